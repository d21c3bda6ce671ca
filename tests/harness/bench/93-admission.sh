#!/usr/bin/env bash
# The admission webhook (crates/provenant-admission) under wrk: 16 keep-alive TLS connections on
# loopback, two threads, a POST body per request from a Lua script, against the release binary's
# `admission serve` over a SQLite ledger of signed promotion records.
#  1. cached: the same Pod (one promoted digest) every time, answered from the decision cache;
#  2. uncached: every request names another promoted digest, so every decision reads the ledger and
#     verifies the promotion record's signature.
# Goals (issue 19): p99 under 10 ms cached, under 100 ms uncached; requests/s reported.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
ROOT=$(cd "$HARNESS/../.." && pwd)
command -v wrk >/dev/null || { echo "wrk is not installed: run tests/harness/setup.sh" >&2; exit 2; }
# The fixture writer (ADMISSION_FIXTURE_BIN to use one already built).
FIXTURE_BIN=${ADMISSION_FIXTURE_BIN:-$ROOT/target/release/examples/admission_fixture}
[ -n "${ADMISSION_FIXTURE_BIN:-}" ] ||
  (cd "$ROOT" && cargo build --release --quiet -p provenant-admission --example admission_fixture)
N=${ADMISSION_BENCH_RECORDS:-100000}
SECONDS_EACH=${ADMISSION_BENCH_SECONDS:-10}
cd "$BENCH"
rm -rf admission && mkdir admission && cd admission
"$FIXTURE_BIN" . "$N" >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout tls.key -out tls.crt -days 2 2>/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PROVENANT" admission serve --environments environments.yaml --ledger sqlite:ledger.db \
  --listen "127.0.0.1:$PORT" --tls-cert tls.crt --tls-key tls.key --namespace-env shop=prod -q &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -skf "https://127.0.0.1:$PORT/readyz" >/dev/null && break
  sleep 0.1
done
curl -skf "https://127.0.0.1:$PORT/readyz" >/dev/null || { echo "the webhook did not become ready" >&2; exit 2; }

cat > review.lua <<'LUA'
-- One AdmissionReview per request; DIGESTS (a file, one digest a line) picks each request's image:
-- MODE=cached always the first, MODE=uncached a different one each time (threads interleaved).
local mode = os.getenv("MODE")
local digests = {}
for line in io.lines(os.getenv("DIGESTS")) do digests[#digests + 1] = line end
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
local n = 0
function request()
  n = n + 1
  local d = digests[1]
  if mode == "uncached" then d = digests[((n * 2 + id) % #digests) + 1] end
  local body = '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-' .. n ..
    '","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},' ..
    '"namespace":"shop","operation":"CREATE","userInfo":{"username":"bench"},"object":{"apiVersion":"v1","kind":"Pod",' ..
    '"metadata":{"name":"p"},"spec":{"containers":[{"name":"app","image":"registry.example/shop@' .. d .. '"}]}},' ..
    '"oldObject":null}}'
  return wrk.format("POST", "/validate", {["Content-Type"] = "application/json"}, body)
end
local denied = 0
function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"allowed":true', 1, true) then denied = denied + 1 end
end
LUA

run() {
  local mode=$1
  MODE=$mode DIGESTS=digests.txt wrk -t2 -c16 -d"${SECONDS_EACH}s" --latency -s review.lua \
    "https://127.0.0.1:$PORT/validate" > "wrk-$mode.txt"
  awk -v mode="$mode" '
    /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 } /^Requests\/sec:/ { rps = $2 }
    /Non-2xx/ { bad = $NF }
    END { printf "admission %-8s p50 %8s   p99 %8s   %10.0f requests/s%s\n", mode, p50, p99, rps,
          (bad ? "   non-2xx " bad : "") }' "wrk-$mode.txt"
}
run cached
run uncached
misses=$(curl -sk "https://127.0.0.1:$PORT/metrics" | awk '/^provenant_admission_cache_misses_total/ { print $2 }')
denied=$(curl -sk "https://127.0.0.1:$PORT/metrics" | awk '/decision="denied"/ { s += $2 } END { print s + 0 }')
echo "admission: $misses ledger lookups in the uncached run, $denied requests denied (expected 0) over $N records"
