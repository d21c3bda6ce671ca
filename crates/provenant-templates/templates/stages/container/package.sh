set -euo pipefail
mkdir -p "$EVIDENCE/package"
# Stage 04: the same root filesystem gives the same image: pushed to dev with signed packaging
# provenance attached, then its SBOM signed and attached, and the gate decision attached.
candidate=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/image/candidate.json")
key=(); sign=(--keyless)
if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); sign=(--key "$PROVENANT_KEY"); fi
provenant --output json oci image {{rootfs}} "$REGISTRY/dev/$APP:$(git rev-parse HEAD)" "${sign[@]}" \
  --provenance-bundle "$EVIDENCE/package/packaging.bundle.json" > "$EVIDENCE/package/image.json"
digest=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/package/image.json")
if [ "$digest" != "$candidate" ]; then
  echo "the packaged image $digest is not the image the gate passed ($candidate)" >&2
  exit 1
fi
provenant sbom attest "$REGISTRY/dev/$APP@$digest" "${key[@]}" --bundle "$EVIDENCE/package/sbom.bundle.json" --attach
provenant oci attach "$REGISTRY/dev/$APP@$digest" --bundle "$EVIDENCE/gate/decision.bundle.json"
echo "$digest" > "$EVIDENCE/artefact.digest"
