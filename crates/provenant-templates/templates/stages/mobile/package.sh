set -euo pipefail
mkdir -p "$EVIDENCE/package"
# Stage 04: the app signed for the store (the gate's candidate), its SBOM attestation and a sigstore
# signature over it, then the app as the OCI artifact the gate passed, pushed with signed packaging
# provenance and every bundle attached. The provenance goes to the ledger, and the artifact enters dev
# only through a governed promotion, which checks it.
candidate=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/artefact/candidate.json" | head -n 1)
key=(); sign=(--keyless); record=()
if [ -n "${PROVENANT_KEY:-}" ]; then
  key=(--key "$PROVENANT_KEY"); sign=(--key "$PROVENANT_KEY"); record=(--record-key "$PROVENANT_KEY")
fi
app="$EVIDENCE/artefact/{{name}}.{{app_extension}}"
provenant sbom generate . --output-file "$EVIDENCE/package/sbom.cdx.json"
provenant attest "$app" --predicate "$EVIDENCE/package/sbom.cdx.json" --type https://cyclonedx.org/bom \
  --bundle "$EVIDENCE/package/sbom.bundle.json" "${key[@]}"
provenant sign "$app" --bundle "$EVIDENCE/package/app.bundle.json" "${key[@]}"
staging="oci:$EVIDENCE/package/layout"
provenant --output json oci push "$staging:$(git rev-parse HEAD)" "$EVIDENCE/artefact/{{name}}.{{app_extension}}:{{app_media_type}}" \
  --artifact-type {{app_media_type}} "${sign[@]}" \
  --provenance-bundle "$EVIDENCE/package/packaging.bundle.json" > "$EVIDENCE/package/artefact.json"
digest=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/package/artefact.json" | head -n 1)
if [ "$digest" != "$candidate" ]; then
  echo "the packaged artifact $digest is not the artifact the gate passed ($candidate)" >&2
  exit 1
fi
for bundle in build/provenance package/sbom package/app gate/decision; do
  provenant oci attach "$staging@$digest" --bundle "$EVIDENCE/$bundle.bundle.json"
done
provenant ledger append "$EVIDENCE/package/packaging.bundle.json"
provenant promote "$staging@$digest" --env dev --environments "$POLICY_DIR/environments.yaml" "${record[@]}"
echo "$digest" > "$EVIDENCE/artefact.digest"
