#!/usr/bin/env bash
# The audit ledger on SQLite (crates/provenant-ledger-store, driven by its ledger_bench example):
#  1. batched appends per second, each batch acknowledged after its fsynced commit (WAL,
#     synchronous=FULL), against raw SQLite inserts of the same rows with the same durability (python3's
#     sqlite3 module: same pragmas, same batches, one transaction each; no parsing, no tree);
#  2. inclusion-proof and query-by-subject latency at 1,000,000 entries.
# Goals (issue 17): at least 10,000 appends/s and at least half the raw rate; proofs under 1 ms and
# queries under 5 ms at 1,000,000 entries.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
ROOT=$(cd "$HARNESS/../.." && pwd)
# LEDGER_BENCH_PROFILE=debug checks the script quickly against a debug build (figures meaningless).
PROFILE=${LEDGER_BENCH_PROFILE:-release}
(cd "$ROOT" && cargo build --quiet $([ "$PROFILE" = release ] && echo --release) -p provenant-ledger-store --example ledger_bench)
BENCH_BIN="$ROOT/target/$PROFILE/examples/ledger_bench"
N=${LEDGER_BENCH_APPENDS:-100000}
BATCH=${LEDGER_BENCH_BATCH:-1000}
BIG=${LEDGER_BENCH_BIG:-1000000}
cd "$BENCH"
rm -f ours.db* raw.db* big.db*

# 1. Appends.
read -r count ours_s < <("$BENCH_BIN" append ours.db "$N" "$BATCH")
"$BENCH_BIN" rows "$N" > rows.jsonl
raw_s=$(python3 - "$N" "$BATCH" <<'PY'
import hashlib, json, sqlite3, sys, time
n, batch = int(sys.argv[1]), int(sys.argv[2])
rows = open("rows.jsonl", "rb").read().split(b"\n")[:n]
c = sqlite3.connect("raw.db", isolation_level=None)
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA synchronous=FULL")
c.executescript("""
CREATE TABLE entries (idx INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL, time INTEGER NOT NULL, content BLOB,
  predicate_type TEXT, commit_sha TEXT, environment TEXT, pipeline_run TEXT, actor TEXT, redacted_by INTEGER) STRICT;
CREATE INDEX entries_predicate_type ON entries (predicate_type); CREATE INDEX entries_commit ON entries (commit_sha);
CREATE INDEX entries_environment ON entries (environment); CREATE INDEX entries_pipeline_run ON entries (pipeline_run);
CREATE INDEX entries_actor ON entries (actor); CREATE INDEX entries_time ON entries (time);
CREATE TABLE subjects (digest TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (digest, idx)) STRICT, WITHOUT ROWID;
""")
# The same rows, prepared before the clock starts (the raw side neither parses nor hashes).
prepared = []
for i, r in enumerate(rows):
    d = json.loads(r); p = d["predicate"]
    prepared.append(((i, hashlib.sha256(b"\0" + r).digest(), 1700000000, r, d["predicateType"], p["commit"],
                      p["environment"], p["pipelineRun"], p["actor"]), ("sha256:" + d["subject"][0]["digest"]["sha256"], i)))
t = time.perf_counter()
for s in range(0, n, batch):
    chunk = prepared[s:s + batch]
    c.execute("BEGIN IMMEDIATE")
    c.executemany("INSERT INTO entries (idx, leaf_hash, time, content, predicate_type, commit_sha, environment, pipeline_run, actor) VALUES (?,?,?,?,?,?,?,?,?)", [e for e, _ in chunk])
    c.executemany("INSERT INTO subjects (digest, idx) VALUES (?,?)", [k for _, k in chunk])
    c.execute("COMMIT")
print(f"{time.perf_counter() - t:.3f}")
PY
)
awk -v n="$N" -v b="$BATCH" -v o="$ours_s" -v r="$raw_s" 'BEGIN {
  printf "ledger append, batches of %d: %d entries   provenant %8.0f /s   raw sqlite3 inserts %8.0f /s   ours/raw %.2f\n", b, n, n / o, n / r, (n / o) / (n / r) }'

# 2. Latency at BIG entries.
"$BENCH_BIN" append big.db "$BIG" "$(( BIG < 10000 ? BIG : 10000 ))" >/dev/null
PROBES=${LEDGER_BENCH_PROBES:-10000}
read -r size prove_us query_us < <("$BENCH_BIN" latency big.db "$PROBES")
printf 'ledger at %d entries: inclusion proof %.1f us   query by subject %.1f us (mean of %d)\n' "$size" "$prove_us" "$query_us" "$PROBES"
