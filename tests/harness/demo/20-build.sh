#!/usr/bin/env bash
# Stage: build the sample through provenant build, sign its SLSA provenance with the release key, verify it
set -euo pipefail
cd "$DEMO"
export COSIGN_PASSWORD=demo-password
echo "building the sample through provenant build ..."
(cd "$SAMPLE" && "$PROVENANT" build --subject out/hello --source github.com/provenant-dev/sample \
  --builder-id https://ci.example.com/builders/linux --statement "$DEMO/hello.provenance.json" \
  --bundle "$DEMO/hello.provenance.sigstore.json" --key "$DEMO/release.key" -- ./build.sh)
python3 -c 'import json, sys; p = json.load(open(sys.argv[1])); print("subject", p["subject"][0]["name"], p["subject"][0]["digest"]["sha256"][:16], "from", p["predicate"]["buildDefinition"]["externalParameters"]["source"]["uri"])' hello.provenance.json

verify() {
  "$PROVENANT" verify-provenance "$@" --bundle hello.provenance.sigstore.json \
    --builder-id https://ci.example.com/builders/linux --key release.pub --insecure-ignore-tlog
}
verify "$SAMPLE/out/hello" --source-uri github.com/provenant-dev/sample --source-branch main --vsa hello.vsa.json 2>/dev/null
echo "verifying against another branch ..."
if verify "$SAMPLE/out/hello" --source-uri github.com/provenant-dev/sample --source-branch release 2>/dev/null; then
  echo "a wrong branch was NOT detected" >&2; exit 1
fi
echo "verifying a tampered artefact ..."
cp "$SAMPLE/out/hello" hello.tampered && printf 'x' >> hello.tampered
if verify hello.tampered --source-uri github.com/provenant-dev/sample 2>/dev/null; then
  echo "a tampered artefact was NOT detected" >&2; exit 1
fi
