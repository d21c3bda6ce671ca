set -euo pipefail
mkdir -p "$EVIDENCE/package"
# Stage 04: the same root filesystem gives the same image: built with signed packaging provenance, its
# SBOM signed and attached, and the gate decision attached. The provenance and the decision go to the
# ledger, and the image enters dev only through a governed promotion, which checks that provenance.
candidate=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/image/candidate.json")
key=(); sign=(--keyless); record=()
if [ -n "${PROVENANT_KEY:-}" ]; then
  key=(--key "$PROVENANT_KEY"); sign=(--key "$PROVENANT_KEY"); record=(--record-key "$PROVENANT_KEY")
fi
staging="oci:$EVIDENCE/package/layout"
provenant --output json oci image {{rootfs}} "$staging:$(git rev-parse HEAD)" "${sign[@]}" \
  --provenance-bundle "$EVIDENCE/package/packaging.bundle.json" > "$EVIDENCE/package/image.json"
digest=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$EVIDENCE/package/image.json")
if [ "$digest" != "$candidate" ]; then
  echo "the packaged image $digest is not the image the gate passed ($candidate)" >&2
  exit 1
fi
provenant sbom attest "$staging@$digest" "${key[@]}" --bundle "$EVIDENCE/package/sbom.bundle.json" --attach
provenant oci attach "$staging@$digest" --bundle "$EVIDENCE/gate/decision.bundle.json"
provenant ledger append "$EVIDENCE/package/packaging.bundle.json"
provenant promote "$staging@$digest" --env dev --environments "$POLICY_DIR/environments.yaml" "${record[@]}"
echo "$digest" > "$EVIDENCE/artefact.digest"
