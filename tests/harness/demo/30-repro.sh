#!/usr/bin/env bash
# Stage: the sample builds reproducibly under varied conditions; an unreproducible build is caught and explained
set -euo pipefail
cd "$DEMO"
echo "checking the sample build (control + 2 varied builds) ..."
"$PROVENANT" repro check --source "$SAMPLE" --runs 3 --artifact out/hello -- ./build.sh
echo
echo "a build that stamps the build time into its output ..."
if "$PROVENANT" repro check --source "$SAMPLE" --vary time,build-path --artifact 'out/*' \
     -- sh -c './build.sh && date -u > out/built-at.txt'; then
  echo "an unreproducible build was NOT detected" >&2; exit 1
else
  echo "unreproducible build detected and explained (exit $?)"
fi
