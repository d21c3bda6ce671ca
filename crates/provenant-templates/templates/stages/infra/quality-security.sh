set -euo pipefail
mkdir -p "$EVIDENCE/tests" "$EVIDENCE/scans" "$EVIDENCE/vulns" "$EVIDENCE/gate" "$EVIDENCE/plan"
# Stage 03: module tests, tflint (SARIF) as lint, the plan against the target (the plan file is
# evidence), the policy check on the plan (misconfigurations, SARIF), secrets and hygiene; then the gate.
{{test_command}}
tflint --chdir={{module}} --format sarif > "$EVIDENCE/scans/lint.sarif" || [ $? -ne 1 ]
{{iac_tool}} -chdir={{module}} init -input=false
{{iac_tool}} -chdir={{module}} plan -input=false -lock-timeout=5m -out="$PWD/$EVIDENCE/plan/plan.bin"
{{iac_tool}} -chdir={{module}} show -json "$PWD/$EVIDENCE/plan/plan.bin" > "$EVIDENCE/plan/plan.json"
trivy config --format sarif --output "$EVIDENCE/scans/plan-policy.sarif" "$EVIDENCE/plan/plan.json"
provenant scan secrets . --output sarif > "$EVIDENCE/scans/secrets.sarif" || [ $? -eq 1 ]
provenant scan hygiene . --output sarif > "$EVIDENCE/scans/hygiene.sarif" || [ $? -eq 1 ]
trivy fs --scanners vuln --format json --output "$EVIDENCE/vulns/dependencies.trivy.json" {{module}}
# The gate blocks (exit 1) unless every required gate has evidence and passes; its decision is signed.
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
provenant gate evaluate --policy "$POLICY_DIR/gate-policy.yaml" \
  --evidence "$EVIDENCE/tests" "$EVIDENCE/scans" "$EVIDENCE/vulns" \
  --subject dist/{{name}}-module.tar.gz --bundle "$EVIDENCE/gate/decision.bundle.json" "${key[@]}"
