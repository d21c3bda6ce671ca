#!/usr/bin/env bash
# Stage: the sample's container image, evidence attached, promoted by digest into "prod" with nothing rebuilt
set -euo pipefail
cd "$DEMO"
[ -x "$SAMPLE/out/hello" ] || (cd "$SAMPLE" && ./build.sh)
mkdir -p image-root/usr/local/bin
cp "$SAMPLE/out/hello" image-root/usr/local/bin/hello

# A reproducible image, twice: same input, same digest, no daemon.
ref=$("$PROVENANT" oci image image-root oci:dev:1.0 --entrypoint /usr/local/bin/hello)
again=$("$PROVENANT" oci image image-root oci:dev-again:1.0 --entrypoint /usr/local/bin/hello)
digest=${ref##*@}
[ "$digest" = "${again##*@}" ] || { echo "image is not reproducible: $ref vs $again" >&2; exit 1; }
echo "image: $ref (rebuilt: same digest)"

# Attach evidence to the image: whatever earlier stages produced (SBOMs, bundles), else a digest list.
attached=0
for f in "$DEMO"/*.cdx.json "$DEMO"/*.spdx.json; do
  [ -f "$f" ] && "$PROVENANT" oci attach "oci:dev@$digest" --sbom "$f" && attached=$((attached + 1))
done
for f in "$DEMO"/*.sigstore.json "$DEMO"/*.bundle.json; do
  [ -f "$f" ] && "$PROVENANT" oci attach "oci:dev@$digest" --bundle "$f" && attached=$((attached + 1))
done
"$PROVENANT" digest image-root > image-root.digests
"$PROVENANT" oci attach "oci:dev@$digest" --file image-root.digests --artifact-type application/vnd.provenant.digests.v1+text
echo "attached $((attached + 1)) referrer(s)"

# Promote by digest into the "prod" layout: manifest, blobs and every referrer, digests preserved.
"$PROVENANT" promote "oci:dev@$digest" oci:prod:1.0
echo "promoting again copies nothing:"
"$PROVENANT" promote "oci:dev@$digest" oci:prod:1.0 | grep -E 'blobs|manifests'
echo "a tag is refused as a source without --resolve-tag:"
if "$PROVENANT" promote oci:dev:1.0 oci:prod:1.0 2>&1; then echo "tag accepted!" >&2; exit 1; fi

echo "in prod:"
"$PROVENANT" oci discover oci:prod:1.0
