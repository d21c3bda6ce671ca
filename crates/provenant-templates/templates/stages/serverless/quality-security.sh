set -euo pipefail
mkdir -p "$EVIDENCE/tests" "$EVIDENCE/scans" "$EVIDENCE/vulns" "$EVIDENCE/gate" "$EVIDENCE/artefact"
# Stage 03: tests (JUnit XML and coverage under evidence/tests/), lint and SAST (SARIF), secrets,
# hygiene and the function's dependencies; then the gate.
{{test_command}}
{{lint_command}}
semgrep scan --config {{sast_rules}} --metrics off --sarif --output "$EVIDENCE/scans/sast.sarif" .
provenant scan secrets . --output sarif > "$EVIDENCE/scans/secrets.sarif" || [ $? -eq 1 ]
provenant scan hygiene . --output sarif > "$EVIDENCE/scans/hygiene.sarif" || [ $? -eq 1 ]
trivy fs --scanners vuln --format json --output "$EVIDENCE/vulns/dependencies.trivy.json" .
# The candidate: the function bundle as the OCI artifact packaging pushes later (the same files and
# types give the same digest), in a layout of its own; it is the gate's subject, by digest.
provenant --output json oci push "oci:$EVIDENCE/artefact/layout:candidate" '{{bundle}}:application/zip' \
  --artifact-type application/vnd.provenant.function.bundle.v1+zip > "$EVIDENCE/artefact/candidate.json"
digest=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/artefact/candidate.json" | head -n 1)
# The gate blocks (exit 1) unless every required gate has evidence and passes; its decision is signed
# and goes to the ledger whatever it is (a blocked one too), then the step ends as the gate did.
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
gate=0
provenant gate evaluate --policy "$POLICY_DIR/gate-policy.yaml" \
  --evidence "$EVIDENCE/tests" "$EVIDENCE/scans" "$EVIDENCE/vulns" \
  --subject "oci:$EVIDENCE/artefact/layout@$digest" --bundle "$EVIDENCE/gate/decision.bundle.json" "${key[@]}" || gate=$?
if [ "$gate" -le 1 ] && [ -f "$EVIDENCE/gate/decision.bundle.json" ]; then
  provenant ledger append "$EVIDENCE/gate/decision.bundle.json"
fi
exit "$gate"
