set -euo pipefail
mkdir -p "$EVIDENCE/tests" "$EVIDENCE/scans" "$EVIDENCE/vulns" "$EVIDENCE/gate"
# Stage 03: tests (JUnit XML and coverage under evidence/tests/), lint and SAST (SARIF), secrets,
# hygiene and the app's dependencies; then the gate, about the unsigned app the build produced.
{{test_command}}
{{lint_command}}
semgrep scan --config {{sast_rules}} --metrics off --sarif --output "$EVIDENCE/scans/sast.sarif" .
provenant scan secrets . --output sarif > "$EVIDENCE/scans/secrets.sarif" || [ $? -eq 1 ]
provenant scan hygiene . --output sarif > "$EVIDENCE/scans/hygiene.sarif" || [ $? -eq 1 ]
trivy fs --scanners vuln --format json --output "$EVIDENCE/vulns/dependencies.trivy.json" .
# The gate blocks (exit 1) unless every required gate has evidence and passes; its decision is signed.
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
provenant gate evaluate --policy "$POLICY_DIR/gate-policy.yaml" \
  --evidence "$EVIDENCE/tests" "$EVIDENCE/scans" "$EVIDENCE/vulns" \
  --subject {{app_artifact}} --bundle "$EVIDENCE/gate/decision.bundle.json" "${key[@]}"
