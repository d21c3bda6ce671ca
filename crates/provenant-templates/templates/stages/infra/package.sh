set -euo pipefail
mkdir -p "$EVIDENCE/package"
# Stage 04: the module and the plan it was checked with, as the OCI artifact the gate passed, pushed
# with signed packaging provenance; the build provenance, a signed statement about the plan, the signed
# SBOM and the gate decision attached. The provenance goes to the ledger, and the artifact enters dev
# only through a governed promotion, which checks it.
candidate=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/artefact/candidate.json" | head -n 1)
key=(); sign=(--keyless); record=()
if [ -n "${PROVENANT_KEY:-}" ]; then
  key=(--key "$PROVENANT_KEY"); sign=(--key "$PROVENANT_KEY"); record=(--record-key "$PROVENANT_KEY")
fi
provenant sbom generate {{module}} --output-file "$EVIDENCE/package/sbom.cdx.json"
provenant attest dist/{{name}}-module.tar.gz --predicate "$EVIDENCE/package/sbom.cdx.json" --type https://cyclonedx.org/bom \
  --bundle "$EVIDENCE/package/sbom.bundle.json" "${key[@]}"
provenant sign "$EVIDENCE/plan/plan.json" --bundle "$EVIDENCE/package/plan.bundle.json" "${key[@]}"
staging="oci:$EVIDENCE/package/layout"
provenant --output json oci push "$staging:$(git rev-parse HEAD)" 'dist/{{name}}-module.tar.gz:application/vnd.provenant.terraform.module.v1.tar+gzip' \
  "$EVIDENCE/plan/plan.json:application/vnd.provenant.terraform.plan.v1+json" \
  --artifact-type application/vnd.provenant.terraform.module.v1 "${sign[@]}" \
  --provenance-bundle "$EVIDENCE/package/packaging.bundle.json" > "$EVIDENCE/package/artefact.json"
digest=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/package/artefact.json" | head -n 1)
if [ "$digest" != "$candidate" ]; then
  echo "the packaged artifact $digest is not the artifact the gate passed ($candidate)" >&2
  exit 1
fi
for bundle in build/provenance package/sbom package/plan gate/decision; do
  provenant oci attach "$staging@$digest" --bundle "$EVIDENCE/$bundle.bundle.json"
done
provenant ledger append "$EVIDENCE/package/packaging.bundle.json"
provenant promote "$staging@$digest" --env dev --environments "$POLICY_DIR/environments.yaml" "${record[@]}"
echo "$digest" > "$EVIDENCE/artefact.digest"
