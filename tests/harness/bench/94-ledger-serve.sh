#!/usr/bin/env bash
# Appends per second through `provenant ledger serve` (crates/provenant-ledger-server) on SQLite:
# batched POSTs of base64 entries over loopback HTTP with keep-alive, each batch acknowledged after its
# fsynced commit and the checkpoint the server signs and keeps for it, against appends of the same
# statements in the same batches to a SQLite store directly (the ledger_bench example: no HTTP, no
# checkpoint). Then every acknowledged index is checked: 0..N in order, no gaps or duplicates.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
ROOT=$(cd "$HARNESS/../.." && pwd)
# LEDGER_BENCH_PROFILE=debug checks the script quickly against a debug build (figures meaningless).
PROFILE=${LEDGER_BENCH_PROFILE:-release}
(cd "$ROOT" && cargo build --quiet $([ "$PROFILE" = release ] && echo --release) -p provenant-ledger-store --example ledger_bench)
BENCH_BIN="$ROOT/target/$PROFILE/examples/ledger_bench"
N=${LEDGER_SERVE_APPENDS:-50000}
BATCH=${LEDGER_SERVE_BATCH:-1000}
cd "$BENCH"
rm -rf serve && mkdir serve && cd serve

"$PROVENANT" ledger init --ledger sqlite:served.db --origin bench.example/ledger --output-key-prefix note >/dev/null
TOKEN=bench-writer-token-0d9e
printf 'tokens:\n  - {name: bench, role: writer, sha256: %s}\n' "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)" > tokens.yaml
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PROVENANT" ledger serve --ledger sqlite:served.db --note-key note.key --listen "127.0.0.1:$PORT" \
  --tokens tokens.yaml 2>serve.log &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=1)" 2>/dev/null && break
  sleep 0.1
done

"$BENCH_BIN" rows "$N" > rows.jsonl
# Through the server: the batches are encoded before the clock starts; one connection, kept alive.
served_s=$(TOKEN="$TOKEN" python3 - "$PORT" "$N" "$BATCH" <<'PY'
import base64, http.client, json, os, sys, time
port, n, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rows = open("rows.jsonl", "rb").read().split(b"\n")[:n]
bodies = [json.dumps([base64.b64encode(r).decode() for r in rows[s:s + batch]]).encode()
          for s in range(0, n, batch)]
headers = {"Authorization": "Bearer " + os.environ["TOKEN"], "Content-Type": "application/json"}
c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
acked = []
t = time.perf_counter()
for body in bodies:
    c.request("POST", "/v1/entries", body=body, headers=headers)
    r = c.getresponse()
    answer = r.read()
    if r.status != 201:
        sys.exit(f"HTTP {r.status}: {answer[:300]!r}")
    acked.extend(a["index"] for a in json.loads(answer))
elapsed = time.perf_counter() - t
if acked != list(range(n)):
    sys.exit("the acknowledged indexes are not 0..N in order")
print(f"{elapsed:.3f}")
PY
)
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
trap - EXIT

# Directly on a SQLite store: the same statements, the same batches.
read -r _ direct_s < <("$BENCH_BIN" append direct.db "$N" "$BATCH")
awk -v n="$N" -v b="$BATCH" -v s="$served_s" -v d="$direct_s" 'BEGIN {
  printf "ledger serve append, batches of %d: %d entries   via HTTP %8.0f /s   store directly %8.0f /s   served/direct %.2f\n", b, n, n / s, n / d, (n / s) / (n / d) }'
