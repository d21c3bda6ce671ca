#!/usr/bin/env bash
# Benchmarks: each capability against the tool a user would otherwise run, one run each, printing the
# ratio (theirs / ours: above 1 means Provenant is faster). Scripts in bench/ run in name order with
# PROVENANT (the release binary) and BENCH (a scratch directory) set; the helpers below time commands.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROVENANT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
BENCH=$(mktemp -d "${TMPDIR:-/var/tmp}/provenant-bench.XXXXXX")
trap 'rm -rf "$BENCH"' EXIT
export PROVENANT BENCH HARNESS="$HERE"
for b in "$HERE"/bench/*.sh; do
  bash "$b"
done
