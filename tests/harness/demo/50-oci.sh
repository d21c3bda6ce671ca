#!/usr/bin/env bash
# Stage: the sample's container image, evidence attached, promoted by digest into "prod" with nothing rebuilt
set -euo pipefail
cd "$DEMO"
[ -x "$SAMPLE/out/hello" ] || (cd "$SAMPLE" && ./build.sh)
mkdir -p image-root/usr/local/bin
cp "$SAMPLE/out/hello" image-root/usr/local/bin/hello

# A reproducible image, twice: same input, same digest, no daemon. The first records its packaging
# provenance (every packaged file with its digest), signed with the release key and attached.
export COSIGN_PASSWORD=demo-password
ref=$("$PROVENANT" oci image image-root oci:dev:1.0 --entrypoint /usr/local/bin/hello --key release.key)
again=$("$PROVENANT" oci image image-root oci:dev-again:1.0 --entrypoint /usr/local/bin/hello)
digest=${ref##*@}
[ "$digest" = "${again##*@}" ] || { echo "image is not reproducible: $ref vs $again" >&2; exit 1; }
echo "image: $ref (rebuilt: same digest)"

echo "$digest" > image.digest
# Attach the build's evidence to the image: its signed build provenance, its signed reproducibility
# verdict, and an SBOM of the image itself (read from its layers; it describes the manifest digest).
"$PROVENANT" oci attach "oci:dev@$digest" --bundle hello.provenance.sigstore.json
"$PROVENANT" oci attach "oci:dev@$digest" --bundle repro.sigstore.json
"$PROVENANT" sbom generate "oci:dev@$digest" -o image.cdx.json
"$PROVENANT" oci attach "oci:dev@$digest" --sbom image.cdx.json
attached=4
# Sign the image manifest with the release key and attach the bundle: promotion then verifies it at
# both ends.
cp "dev/blobs/sha256/${digest#sha256:}" image-manifest.json
"$PROVENANT" sign image-manifest.json --key release.key --bundle image.sigstore.json
"$PROVENANT" oci attach "oci:dev@$digest" --bundle image.sigstore.json
"$PROVENANT" keys generate --output-key-prefix mallory --force >/dev/null
VERIFY=(--key release.pub --insecure-ignore-tlog)
"$PROVENANT" digest image-root > image-root.digests
"$PROVENANT" oci attach "oci:dev@$digest" --file image-root.digests --artifact-type application/vnd.provenant.digests.v1+text
echo "attached $((attached + 1 + (${#VERIFY[@]} > 0 ? 1 : 0))) referrer(s)"

# Promote by digest into the "prod" layout: manifest, blobs and every referrer, digests preserved; with a
# signature, it must verify (identity and issuer) before anything is copied and again before tagging.
if [ ${#VERIFY[@]} -gt 0 ]; then
  echo "promotion requiring another signer's key is refused and copies nothing:"
  if "$PROVENANT" promote "oci:dev@$digest" oci:rejected:1.0 --key mallory.pub --insecure-ignore-tlog; then
    echo "wrong key accepted!" >&2; exit 1
  fi
  [ ! -d rejected/blobs/sha256 ] || [ -z "$(ls rejected/blobs/sha256)" ] || { echo "blobs were copied" >&2; exit 1; }
fi
"$PROVENANT" promote "oci:dev@$digest" oci:prod:1.0 "${VERIFY[@]}"
echo "promoting again copies nothing:"
"$PROVENANT" promote "oci:dev@$digest" oci:prod:1.0 | grep -E 'blobs|manifests'
echo "a tag is refused as a source without --resolve-tag:"
if "$PROVENANT" promote oci:dev:1.0 oci:prod:1.0 2>&1; then echo "tag accepted!" >&2; exit 1; fi

echo "in prod:"
"$PROVENANT" oci discover oci:prod:1.0
