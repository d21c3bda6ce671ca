#!/usr/bin/env bash
# Eight concurrent appending processes on one PostgreSQL ledger (crates/provenant-ledger-store's
# PostgreSQL store, through its ledger_bench example): each appends its own statements in batches, each
# batch one transaction under the sequencer's advisory lock, acknowledged after its commit. Prints the
# combined throughput (all entries over the wall time of all eight), then reads the ledger back:
# exactly the entries sent, numbered from 0 without gaps or duplicates, each statement once, the stored
# tree equal to the one recomputed from the entries (ledger_bench pg-check) and `provenant ledger
# verify` over a fresh checkpoint.
# PostgreSQL is Debian's (tests/harness/setup.sh installs it), started on a free loopback port.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
ROOT=$(cd "$HARNESS/../.." && pwd)
PROFILE=${LEDGER_BENCH_PROFILE:-release}
(cd "$ROOT" && cargo build --quiet $([ "$PROFILE" = release ] && echo --release) -p provenant-ledger-store --example ledger_bench)
BENCH_BIN="$ROOT/target/$PROFILE/examples/ledger_bench"
PROCS=${LEDGER_PG_PROCESSES:-8}
PER=${LEDGER_PG_APPENDS:-10000}
BATCH=${LEDGER_PG_BATCH:-100}

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL is not installed: run tests/harness/setup.sh (apt-get install -y postgresql)" >&2; exit 2; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# Its own directory beside the scratch one (which is private to us; the server runs as postgres).
PGDIR=$(mktemp -d "${TMPDIR:-/var/tmp}/provenant-bench-pg.XXXXXX")
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDIR"; fi
trap 'rm -rf "$PGDIR"' EXIT
(cd / && as_pg "$PGBIN/initdb" -D "$PGDIR/data" --auth=trust -U postgres -E UTF8 >/dev/null)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd / && as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
  -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on" start >/dev/null)
trap '(cd / && as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1) || true; rm -rf "$PGDIR"' EXIT
URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"

cd "$BENCH"
rm -rf pgbench && mkdir pgbench && cd pgbench
"$PROVENANT" ledger init --ledger "$URL" --origin bench.example/ledger --output-key-prefix note >/dev/null

appenders() {
  local pids=() p
  for p in $(seq 0 $((PROCS - 1))); do
    "$BENCH_BIN" pg-append "$URL" "$PER" "$BATCH" $((p * PER)) > "appender-$p.out" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
}
s=$(seconds appenders)
TOTAL=$((PROCS * PER))
checked=$("$BENCH_BIN" pg-check "$URL" "$TOTAL")
"$PROVENANT" ledger checkpoint --ledger "$URL" --note-key note.key > final.checkpoint
"$PROVENANT" ledger verify --ledger "$URL" --key note.pub --checkpoint final.checkpoint >/dev/null
awk -v p="$PROCS" -v n="$TOTAL" -v b="$BATCH" -v s="$s" -v c="$checked" 'BEGIN {
  printf "ledger on PostgreSQL, %d appending processes, batches of %d: %d entries in %.3f s   %8.0f /s   (checked: %d entries, no gaps or duplicates, tree verified)\n", p, b, n, s, n / s, c }'
