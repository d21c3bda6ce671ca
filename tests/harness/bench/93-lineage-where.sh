#!/usr/bin/env bash
# Reverse lineage queries (`provenant lineage where`) answered from the ledger's indexes, driven by
# provenant-lineage's where_bench example: a SQLite ledger of WHERE_BENCH_ENTRIES entries (five per
# release: build provenance, packaging provenance, an SBOM of twenty packages, a gate decision naming
# three CVEs, a deployment), then the mean time of a --purl range, --cve, --commit and --file query,
# each followed to the images and environments.
# Goal (issue 20): each under 100 ms at 100,000 entries.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
ROOT=$(cd "$HARNESS/../.." && pwd)
# The driver (WHERE_BENCH_BIN to use one already built, e.g. a debug build for a quick check).
BENCH_BIN=${WHERE_BENCH_BIN:-$ROOT/target/release/examples/where_bench}
[ -n "${WHERE_BENCH_BIN:-}" ] ||
  (cd "$ROOT" && cargo build --release --quiet -p provenant-lineage --example where_bench)
N=${WHERE_BENCH_ENTRIES:-100000}
ROUNDS=${WHERE_BENCH_ROUNDS:-200}
cd "$BENCH"
rm -f where.db*
"$BENCH_BIN" fill where.db "$N" >/dev/null
read -r size purl_ms cve_ms commit_ms file_ms found < <("$BENCH_BIN" query where.db "$ROUNDS")
printf 'lineage where at %d entries (mean of %d): --purl range %.2f ms   --cve %.2f ms   --commit %.2f ms   --file %.2f ms   (%d artefacts found)\n' \
  "$size" "$ROUNDS" "$purl_ms" "$cve_ms" "$commit_ms" "$file_ms" "$found"
