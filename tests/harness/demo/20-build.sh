#!/usr/bin/env bash
# Stage: build the sample through provenant build, sign its SLSA provenance, verify it
set -euo pipefail
HARNESS=$(cd "$(dirname "$0")/.." && pwd)
ORACLES=${PROVENANT_ORACLES:-$(cd "$HARNESS/../.." && pwd)/.oracles}
cd "$DEMO"
# A loopback sigstore (Fulcio and Rekor with fresh keys) stands in for the public instance, so that the
# demo signs keylessly and verifies offline on this machine.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p sigstore
NODE_PATH="$ORACLES/npm/sigstore/node_modules" node "$HARNESS/mock-sigstore-server.js" "$port" sigstore \
  > sigstore/server.log 2>&1 &
mock=$!
trap 'kill "$mock" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s sigstore/trusted_root.json ] && break; sleep 0.1; done
[ -s sigstore/trusted_root.json ] || { cat sigstore/server.log >&2; echo "the loopback sigstore did not start: run just setup" >&2; exit 1; }
b64() { python3 -c 'import sys, base64; print(base64.urlsafe_b64encode(sys.stdin.buffer.read()).decode().rstrip("="))'; }
issuer=https://ci.example.com
signer=https://ci.example.com/provenant-dev/sample/.ci/release.yml@refs/heads/main
now=$(date +%s)
token="$(printf '{"alg":"none"}' | b64).$(printf '{"iss":"%s","sub":"%s","aud":"sigstore","iat":%d,"exp":%d}' \
  "$issuer" "$signer" "$now" $((now + 600)) | b64).sig"

echo "building the sample through provenant build ..."
(cd "$SAMPLE" && "$PROVENANT" build --subject out/hello --source github.com/provenant-dev/sample \
  --builder-id https://ci.example.com/builders/linux --statement "$DEMO/hello.provenance.json" \
  --bundle "$DEMO/hello.provenance.sigstore.json" --identity-token "$token" \
  --fulcio-url "http://127.0.0.1:$port" --rekor-url "http://127.0.0.1:$port" -- ./build.sh)
python3 -c 'import json, sys; p = json.load(open(sys.argv[1])); print("subject", p["subject"][0]["name"], p["subject"][0]["digest"]["sha256"][:16], "from", p["predicate"]["buildDefinition"]["externalParameters"]["source"]["uri"])' hello.provenance.json

verify() {
  "$PROVENANT" verify-provenance "$@" --bundle hello.provenance.sigstore.json \
    --builder-id https://ci.example.com/builders/linux --certificate-identity "$signer" \
    --certificate-oidc-issuer "$issuer" --trusted-root sigstore/trusted_root.json
}
verify "$SAMPLE/out/hello" --source-uri github.com/provenant-dev/sample --source-branch main --vsa hello.vsa.json
echo "verifying against another branch ..."
if verify "$SAMPLE/out/hello" --source-uri github.com/provenant-dev/sample --source-branch release; then
  echo "a wrong branch was NOT detected" >&2; exit 1
fi
echo "verifying a tampered artefact ..."
cp "$SAMPLE/out/hello" hello.tampered && printf 'x' >> hello.tampered
if verify hello.tampered --source-uri github.com/provenant-dev/sample; then
  echo "a tampered artefact was NOT detected" >&2; exit 1
fi
