set -euo pipefail
mkdir -p "$EVIDENCE/package"
# Stage 04: the pipeline package as an OCI artifact in dev, with its build provenance, its signed SBOM
# and the gate decision attached.
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
provenant sbom generate . --output-file "$EVIDENCE/package/sbom.cdx.json"
provenant attest {{pipeline_package}} --predicate "$EVIDENCE/package/sbom.cdx.json" --type https://cyclonedx.org/bom \
  --bundle "$EVIDENCE/package/sbom.bundle.json" "${key[@]}"
provenant --output json oci push "$REGISTRY/dev/$APP:$(git rev-parse HEAD)" '{{pipeline_package}}:application/vnd.provenant.data.pipeline.v1.tar+gzip' \
  --artifact-type application/vnd.provenant.data.pipeline.v1 > "$EVIDENCE/package/artefact.json"
digest=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/package/artefact.json" | head -n 1)
for bundle in build/provenance package/sbom gate/decision; do
  provenant oci attach "$REGISTRY/dev/$APP@$digest" --bundle "$EVIDENCE/$bundle.bundle.json"
done
echo "$digest" > "$EVIDENCE/artefact.digest"
