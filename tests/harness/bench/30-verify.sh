#!/usr/bin/env bash
# Sigstore bundle verification and signing throughput.
#  1. A keyless bundle (Fulcio certificate, Rekor v1 entry with inclusion proof and SET, RFC 3161
#     timestamp) signed by `provenant sign` against the loopback mock instance, verified offline:
#     provenant's verifier on one core (one prepared verifier, the bundle parsed every round) against
#     the sigstore-python CLI (`sigstore verify identity --offline`), one process per verification as a
#     user runs it; and the two CLIs process for process.
#  2. The same for a production v0.3 bundle from sigstore-conformance.
#  3. ECDSA P-256 signatures per second with a local key against `openssl speed ecdsap256`.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
ROOT=$(cd "$HARNESS/../.." && pwd)
ORACLES=${PROVENANT_ORACLES:-$ROOT/.oracles}
SIGSTORE_PY="$ORACLES/venvs/sigstore/bin/sigstore"
[ -x "$SIGSTORE_PY" ] || { echo "sigstore-python missing: run tests/harness/setup.sh" >&2; exit 1; }
(cd "$ROOT" && cargo build --release --quiet -p provenant-sigstore --example throughput)
THROUGHPUT="$ROOT/target/release/examples/throughput"
ONE_CORE="taskset -c 0"
command -v taskset >/dev/null || ONE_CORE=""
cd "$BENCH"

# A loopback sigstore instance and a keyless bundle.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p mock
NODE_PATH="$ORACLES/npm/sigstore/node_modules" node "$HARNESS/mock-sigstore-server.js" "$PORT" mock >mock/log 2>&1 &
MOCK=$!
trap 'kill $MOCK 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s mock/client_trust_config.json ] && grep -q ready mock/log && break; sleep 0.1; done
b64u() { python3 -c 'import sys,base64;print(base64.urlsafe_b64encode(sys.stdin.buffer.read()).decode().rstrip("="))'; }
NOW=$(date +%s)
TOKEN="$(printf '{"alg":"none","typ":"JWT"}' | b64u).$(printf '{"iss":"https://issuer.example","sub":"bench@example.com","aud":"sigstore","iat":%d,"exp":%d}' "$NOW" $((NOW + 3600)) | b64u).sig"
head -c 4096 /dev/urandom > artifact.bin
"$PROVENANT" sign artifact.bin --bundle artifact.sigstore.json --identity-token "$TOKEN" --signing-config mock/signing_config.json >/dev/null

# throughput_line NAME ROOT BUNDLE ARTIFACT IDENTITY ISSUER TRUST_CONFIG
bench_bundle() {
  local name=$1 root=$2 bundle=$3 artifact=$4 identity=$5 issuer=$6 trust_config=$7 n=2000 k=5
  read -r count secs cpu < <($ONE_CORE "$THROUGHPUT" verify "$root" "$bundle" "$artifact" "$identity" "$issuer" $n)
  local py_start py_end py_secs
  py_start=$(date +%s%N)
  for _ in $(seq $k); do
    $ONE_CORE "$SIGSTORE_PY" --trust-config "$trust_config" verify identity --offline --bundle "$bundle" \
      --cert-identity "$identity" --cert-oidc-issuer "$issuer" "$artifact" >/dev/null 2>&1
  done
  py_end=$(date +%s%N)
  py_secs=$(awk -v s="$py_start" -v e="$py_end" -v k=$k 'BEGIN { printf "%.6f", (e - s) / 1e9 / k }')
  # Per verification: wall time, and CPU time (what counts when other work shares the core).
  awk -v n="$name" -v c="$count" -v s="$secs" -v u="$cpu" -v p="$py_secs" 'BEGIN {
    ours = s / c; cpu = u / c;
    printf "%-44s provenant %6.3f ms wall, %6.3f ms CPU (%5.0f/s, 1 core)   sigstore-python %7.1f ms   ratio %6.0fx\n",
      n, ours * 1e3, cpu * 1e3, 1 / ours, p * 1e3, p / ours }'
  local cli theirs
  cli=$(seconds $ONE_CORE "$PROVENANT" verify "$artifact" --bundle "$bundle" --certificate-identity "$identity" \
    --certificate-oidc-issuer "$issuer" --trusted-root "$root")
  theirs=$(awk -v p="$py_secs" 'BEGIN { printf "%.3f", p }')
  report "$name (CLI, one process each)" "$cli" "$theirs" "sigstore-python CLI"
}

printf '{"mediaType":"application/vnd.dev.sigstore.clienttrustconfig.v0.1+json","trustedRoot":%s,"signingConfig":%s}\n' \
  "$(cat "$ROOT/../shared/vectors/sigstore-conformance/prod-trusted-root-snapshot/trusted_root.json" 2>/dev/null || echo null)" \
  "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["signingConfig"]))' mock/client_trust_config.json)" \
  > prod_trust_config.json

bench_bundle "verify: keyless bundle (mock, SET + TSA)" mock/trusted_root.json artifact.sigstore.json artifact.bin \
  bench@example.com https://issuer.example mock/client_trust_config.json

CONF="$ROOT/../shared/vectors/sigstore-conformance"
if [ -d "$CONF" ]; then
  B="$CONF/test/assets/bundle-verify"
  bench_bundle "verify: production v0.3 bundle" "$CONF/prod-trusted-root-snapshot/trusted_root.json" \
    "$B/happy-path-v0.3/bundle.sigstore.json" "$B/a.txt" \
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main" \
    https://token.actions.githubusercontent.com prod_trust_config.json
fi

# Signatures per second with a local P-256 key (one core): our signing primitive against OpenSSL's.
read -r count secs _ < <($ONE_CORE "$THROUGHPUT" sign-p256 - - - - - 20000)
ours=$(awk -v c="$count" -v s="$secs" 'BEGIN { printf "%.0f", c / s }')
theirs=$($ONE_CORE openssl speed -seconds 2 ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ && /nistp256/ { print $(NF-1) }' | tail -1)
awk -v o="$ours" -v t="$theirs" 'BEGIN {
  printf "%-44s provenant %8.0f sign/s (1 core)        openssl speed %8.0f sign/s   ratio %6.2fx\n",
    "sign: ECDSA P-256 with a local key", o, t, (t > 0 ? o / t : 0) }'
