#!/usr/bin/env bash
# Stage: the sample builds reproducibly under varied conditions (verdict signed with the release key), an unreproducible build is explained, and the build is re-run from its key-signed provenance
set -euo pipefail
cd "$DEMO"
export COSIGN_PASSWORD=demo-password
echo "checking the sample build (control + 2 varied builds), signing the reproducibility attestation ..."
"$PROVENANT" repro check --source "$SAMPLE" --runs 3 --artifact out/hello --statement repro.statement.json \
  --bundle repro.sigstore.json --key "$DEMO/release.key" -- ./build.sh
echo "attestation: $(grep -c . repro.statement.json) lines, predicate type $(sed -n 's/.*"predicateType": "\(.*\)".*/\1/p' repro.statement.json)"
"$PROVENANT" verify-attestation "$SAMPLE/out/hello" --bundle repro.sigstore.json \
  --type https://provenant.dev/attestation/reproducibility/v1 --key release.pub --insecure-ignore-tlog -q >/dev/null
echo "the signed verdict verifies with the release key"
echo
echo "a build that stamps the build time into its output ..."
if "$PROVENANT" repro check --source "$SAMPLE" --vary time,build-path --artifact 'out/*' \
     -- sh -c './build.sh && date -u > out/built-at.txt'; then
  echo "an unreproducible build was NOT detected" >&2; exit 1
else
  echo "unreproducible build detected and explained (exit $?)"
fi
echo
echo "recording the sample build's provenance signed with the release key, then rebuilding from it ..."
rm -rf rebuild-src && git clone -q "$SAMPLE" rebuild-src
(cd rebuild-src && "$PROVENANT" build --subject out/hello --source github.com/example/sample \
   --statement "$DEMO/sample.provenance.json" --bundle "$DEMO/sample.provenance.sigstore.json" \
   --key "$DEMO/release.key" -- ./build.sh >/dev/null)
"$PROVENANT" repro verify --bundle sample.provenance.sigstore.json --source "$SAMPLE" \
  --key release.pub --insecure-ignore-tlog
echo "the unsigned statement is refused without --insecure-skip-signature ..."
if "$PROVENANT" repro verify --bundle sample.provenance.json --source "$SAMPLE" \
     --key release.pub --insecure-ignore-tlog >/dev/null; then
  echo "an unsigned provenance was trusted" >&2; exit 1
else
  echo "unsigned provenance refused (exit $?)"
fi
