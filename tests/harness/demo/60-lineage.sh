#!/usr/bin/env bash
# Stage: the promoted image verified back to the commit it came from: packaging provenance, the packaged file, its build provenance, the source commit on main
set -euo pipefail
cd "$DEMO"
digest=$(cat image.digest)
commit=$(git -C "$SAMPLE" rev-parse HEAD)
LINEAGE=(lineage verify "oci:prod@$digest" --key release.pub --insecure-ignore-tlog --commit "$commit"
  --repo "$SAMPLE" --branch main --builder-id https://ci.example.com/builders/linux
  --source-uri github.com/provenant-dev/sample --require-sbom)
"$PROVENANT" "${LINEAGE[@]}" 2>/dev/null
echo
echo "the same image, if only mallory's key were trusted for builds:"
code=0
out=$("$PROVENANT" "${LINEAGE[@]}" --build-key mallory.pub 2>/dev/null) || code=$?
[ "$code" -eq 1 ] || { echo "an untrusted builder was accepted (exit $code)!" >&2; exit 1; }
printf '%s\n' "$out" | sed -n '/lineage BROKEN/,$p'
