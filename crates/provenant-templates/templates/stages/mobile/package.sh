set -euo pipefail
mkdir -p "$EVIDENCE/package"
# Stage 04: app-store signing with the platform's app signing key (kept apart from the provenance
# keys), then the signed app's SBOM attestation, a sigstore signature over the signed app, and the
# signed app as an OCI artifact in dev with every bundle attached.
{{app_sign_command}} {{app_artifact}} "$EVIDENCE/package/{{name}}.{{app_extension}}"
app="$EVIDENCE/package/{{name}}.{{app_extension}}"
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
provenant sbom generate . --output-file "$EVIDENCE/package/sbom.cdx.json"
provenant attest "$app" --predicate "$EVIDENCE/package/sbom.cdx.json" --type https://cyclonedx.org/bom \
  --bundle "$EVIDENCE/package/sbom.bundle.json" "${key[@]}"
provenant sign "$app" --bundle "$EVIDENCE/package/app.bundle.json" "${key[@]}"
provenant --output json oci push "$REGISTRY/dev/$APP:$(git rev-parse HEAD)" "$app:{{app_media_type}}" \
  --artifact-type {{app_media_type}} > "$EVIDENCE/package/artefact.json"
digest=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/package/artefact.json" | head -n 1)
for bundle in build/provenance package/sbom package/app gate/decision; do
  provenant oci attach "$REGISTRY/dev/$APP@$digest" --bundle "$EVIDENCE/$bundle.bundle.json"
done
echo "$digest" > "$EVIDENCE/artefact.digest"
