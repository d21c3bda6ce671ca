#!/usr/bin/env bash
# Stage: the sample builds reproducibly under varied conditions (signed verdict), an unreproducible build is explained, and the build is re-run from its provenance
set -euo pipefail
cd "$DEMO"
echo "checking the sample build (control + 2 varied builds), writing the reproducibility attestation ..."
"$PROVENANT" repro check --source "$SAMPLE" --runs 3 --artifact out/hello --statement repro.statement.json -- ./build.sh
echo "attestation: $(grep -c . repro.statement.json) lines, predicate type $(sed -n 's/.*"predicateType": "\(.*\)".*/\1/p' repro.statement.json)"
echo
echo "a build that stamps the build time into its output ..."
if "$PROVENANT" repro check --source "$SAMPLE" --vary time,build-path --artifact 'out/*' \
     -- sh -c './build.sh && date -u > out/built-at.txt'; then
  echo "an unreproducible build was NOT detected" >&2; exit 1
else
  echo "unreproducible build detected and explained (exit $?)"
fi
echo
echo "recording the sample build's provenance, then rebuilding from it ..."
rm -rf rebuild-src && git clone -q "$SAMPLE" rebuild-src
(cd rebuild-src && "$PROVENANT" build --subject out/hello --source github.com/example/sample \
   --statement "$DEMO/sample.provenance.json" -- ./build.sh >/dev/null)
"$PROVENANT" repro verify --bundle sample.provenance.json --source "$SAMPLE"
