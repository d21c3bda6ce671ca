set -euo pipefail
mkdir -p "$EVIDENCE/tests" "$EVIDENCE/scans" "$EVIDENCE/vulns" "$EVIDENCE/gate" "$EVIDENCE/image"
# Stage 03: tests (JUnit XML and coverage under evidence/tests/), lint and SAST (SARIF), secrets and
# hygiene, the image built reproducibly from the build's root filesystem and scanned; then the gate.
{{test_command}}
{{lint_command}}
semgrep scan --config {{sast_rules}} --metrics off --sarif --output "$EVIDENCE/scans/sast.sarif" .
provenant scan secrets . --output sarif > "$EVIDENCE/scans/secrets.sarif" || [ $? -eq 1 ]
provenant scan hygiene . --output sarif > "$EVIDENCE/scans/hygiene.sarif" || [ $? -eq 1 ]
provenant --output json oci image {{rootfs}} "oci:$EVIDENCE/image/layout:candidate" > "$EVIDENCE/image/candidate.json"
digest=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/image/candidate.json")
trivy fs --scanners vuln --format json --output "$EVIDENCE/vulns/dependencies.trivy.json" .
trivy image --input "$EVIDENCE/image/layout" --scanners vuln --format json --output "$EVIDENCE/vulns/image.trivy.json"
# The gate blocks (exit 1) unless every required gate has evidence and passes; its decision is signed
# and goes to the ledger whatever it is (a blocked one too), then the step ends as the gate did.
# Its subject is the candidate image by digest, read where it was built so that the container gate can
# find its base image's layers (the same digest is packaged and promoted later, never rebuilt).
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
gate=0
provenant gate evaluate --policy "$POLICY_DIR/gate-policy.yaml" \
  --evidence "$EVIDENCE/tests" "$EVIDENCE/scans" "$EVIDENCE/vulns" \
  --subject "oci:$EVIDENCE/image/layout@$digest" --bundle "$EVIDENCE/gate/decision.bundle.json" "${key[@]}" || gate=$?
if [ "$gate" -le 1 ] && [ -f "$EVIDENCE/gate/decision.bundle.json" ]; then
  provenant ledger append "$EVIDENCE/gate/decision.bundle.json"
fi
exit "$gate"
