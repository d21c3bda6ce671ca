#!/usr/bin/env bash
# Stage: content digests of the source tree, and a --check round trip
set -euo pipefail
cd "$DEMO"
"$PROVENANT" digest sample/src sample/build.sh | tee digests.txt
"$PROVENANT" digest --check digests.txt
echo "tampering with sample/build.sh ..."
cp sample/build.sh build.sh.orig
echo "# tampered" >> sample/build.sh
if "$PROVENANT" digest --check digests.txt; then
  echo "tampered file was NOT detected" >&2; exit 1
else
  echo "tampered file detected (exit $?)"
fi
cp build.sh.orig sample/build.sh
