set -euo pipefail
mkdir -p "$EVIDENCE/package"
# Stage 04: the function bundle as an OCI artifact in dev, with its build provenance, its signed SBOM
# and the gate decision attached.
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
provenant sbom generate . --output-file "$EVIDENCE/package/sbom.cdx.json"
provenant attest {{bundle}} --predicate "$EVIDENCE/package/sbom.cdx.json" --type https://cyclonedx.org/bom \
  --bundle "$EVIDENCE/package/sbom.bundle.json" "${key[@]}"
provenant --output json oci push "$REGISTRY/dev/$APP:$(git rev-parse HEAD)" '{{bundle}}:application/zip' \
  --artifact-type application/vnd.provenant.function.bundle.v1+zip > "$EVIDENCE/package/artefact.json"
digest=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/package/artefact.json" | head -n 1)
for bundle in build/provenance package/sbom gate/decision; do
  provenant oci attach "$REGISTRY/dev/$APP@$digest" --bundle "$EVIDENCE/$bundle.bundle.json"
done
echo "$digest" > "$EVIDENCE/artefact.digest"
