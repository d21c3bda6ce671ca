set -euo pipefail
mkdir -p "$EVIDENCE/package"
# Stage 04: the module and the plan it was checked with, as one OCI artifact in dev, with the build
# provenance, a signed statement about the plan, the signed SBOM and the gate decision attached.
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
provenant sbom generate {{module}} --output-file "$EVIDENCE/package/sbom.cdx.json"
provenant attest dist/{{name}}-module.tar.gz --predicate "$EVIDENCE/package/sbom.cdx.json" --type https://cyclonedx.org/bom \
  --bundle "$EVIDENCE/package/sbom.bundle.json" "${key[@]}"
provenant sign "$EVIDENCE/plan/plan.json" --bundle "$EVIDENCE/package/plan.bundle.json" "${key[@]}"
provenant --output json oci push "$REGISTRY/dev/$APP:$(git rev-parse HEAD)" \
  'dist/{{name}}-module.tar.gz:application/vnd.provenant.terraform.module.v1.tar+gzip' \
  "$EVIDENCE/plan/plan.json:application/vnd.provenant.terraform.plan.v1+json" \
  --artifact-type application/vnd.provenant.terraform.module.v1 > "$EVIDENCE/package/artefact.json"
digest=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/package/artefact.json" | head -n 1)
for bundle in build/provenance package/sbom package/plan gate/decision; do
  provenant oci attach "$REGISTRY/dev/$APP@$digest" --bundle "$EVIDENCE/$bundle.bundle.json"
done
echo "$digest" > "$EVIDENCE/artefact.digest"
