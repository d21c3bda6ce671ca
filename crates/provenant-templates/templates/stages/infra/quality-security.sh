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
# The candidate: the module and the plan it was checked with, as the OCI artifact packaging pushes
# later (the same files and types give the same digest), in a layout of its own; it is the gate's
# subject, by digest.
provenant --output json oci push "oci:$EVIDENCE/artefact/layout:candidate" 'dist/{{name}}-module.tar.gz:application/vnd.provenant.terraform.module.v1.tar+gzip' \
  "$EVIDENCE/plan/plan.json:application/vnd.provenant.terraform.plan.v1+json" \
  --artifact-type application/vnd.provenant.terraform.module.v1 > "$EVIDENCE/artefact/candidate.json"
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
