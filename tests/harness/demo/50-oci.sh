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
# Sign the image manifest keylessly against a local mock sigstore (Fulcio, Rekor, TSA) when the npm peers
# are installed, and attach the bundle: promotion then verifies it at both ends.
HARNESS_DIR=$(cd "$(dirname "$0")/.." && pwd)
ORACLES=${PROVENANT_ORACLES:-$HARNESS_DIR/../../.oracles}
VERIFY=()
if command -v node >/dev/null && [ -d "$ORACLES/npm/sigstore/node_modules" ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p mock
  NODE_PATH="$ORACLES/npm/sigstore/node_modules" node "$HARNESS_DIR/mock-sigstore-server.js" "$port" mock > mock.log 2>&1 &
  mock_pid=$!
  trap 'kill $mock_pid 2>/dev/null || true' EXIT
  for _ in $(seq 100); do [ -f mock/signing_config.json ] && break; sleep 0.1; done
  token=$(python3 - <<'PY'
import base64, json, time
b = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
now = int(time.time())
print(b({"alg": "none", "typ": "JWT"}) + "." + b({"iss": "https://issuer.example", "sub": "releaser@example.com",
      "aud": "sigstore", "iat": now, "exp": now + 3600}) + ".sig")
PY
)
  cp "dev/blobs/sha256/${digest#sha256:}" image-manifest.json
  "$PROVENANT" sign image-manifest.json --bundle image.sigstore.json --identity-token "$token" \
    --signing-config mock/signing_config.json
  "$PROVENANT" oci attach "oci:dev@$digest" --bundle image.sigstore.json
  VERIFY=(--certificate-identity releaser@example.com --certificate-oidc-issuer https://issuer.example
          --trusted-root mock/trusted_root.json)
else
  echo "(npm sigstore peers not installed: the image is promoted unsigned; run tests/harness/setup.sh)"
fi
"$PROVENANT" digest image-root > image-root.digests
"$PROVENANT" oci attach "oci:dev@$digest" --file image-root.digests --artifact-type application/vnd.provenant.digests.v1+text
echo "attached $((attached + 1 + (${#VERIFY[@]} > 0 ? 1 : 0))) referrer(s)"

# Promote by digest into the "prod" layout: manifest, blobs and every referrer, digests preserved; with a
# signature, it must verify (identity and issuer) before anything is copied and again before tagging.
if [ ${#VERIFY[@]} -gt 0 ]; then
  echo "promotion with the wrong signer identity is refused and copies nothing:"
  if "$PROVENANT" promote "oci:dev@$digest" oci:rejected:1.0 --certificate-identity mallory@example.com \
       --certificate-oidc-issuer https://issuer.example --trusted-root mock/trusted_root.json; then
    echo "wrong identity accepted!" >&2; exit 1
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
