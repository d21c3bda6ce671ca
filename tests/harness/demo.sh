#!/usr/bin/env bash
# The README's demo: the main job end to end on embedded defaults (OCI image-layout directories where a
# registry would be). Each stage is a script in demo/, run in name order with:
#   PROVENANT  the provenant binary       DEMO  a fresh scratch directory
#   SAMPLE     the sample project (a git repository inside $DEMO)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROVENANT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/provenant-demo.XXXXXX")
trap 'rm -rf "$DEMO"' EXIT
export PROVENANT DEMO SAMPLE="$DEMO/sample"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
start=$(date +%s.%N)
for stage in "$HERE"/demo/*.sh; do
  printf '\n\033[1m## %s\033[0m\n' "$(sed -n 's/^# Stage: //p' "$stage")"
  bash "$stage"
done
awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "\ndemo finished in %.1f s\n", e - s }'
