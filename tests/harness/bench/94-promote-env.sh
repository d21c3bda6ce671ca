#!/usr/bin/env bash
# The governed promotion's overhead (`provenant promote IMAGE@DIGEST --env prod`) beyond the copy: the
# same image promoted into an empty OCI layout by a plain `provenant promote` and by `promote --env
# prod`, which also reads the image's referrers, verifies the entry provenance, the promotion into uat,
# the gate decision and the approval from the ledger, signs its promotion record and appends it. The
# ledger is pre-filled (batched `provenant ledger append`) with statements about other digests of the
# same predicate types and environments (promotions, approvals, gate decisions, provenance), to each
# size in PROMOTE_ENV_BENCH_SIZES; each size prints the mean of PROMOTE_ENV_BENCH_ROUNDS runs and the
# milliseconds added.
# Goal (issue 18): under 50 ms added, at 1,000 and at 100,000 entries.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
SIZES=${PROMOTE_ENV_BENCH_SIZES:-1000 100000}
ROUNDS=${PROMOTE_ENV_BENCH_ROUNDS:-20}
BATCH=${PROMOTE_ENV_BENCH_BATCH:-5000}
W="$BENCH/promote-env"
rm -rf "$W" && mkdir -p "$W" && cd "$W"
export COSIGN_PASSWORD=bench SOURCE_DATE_EPOCH=1780000000
P() { "$PROVENANT" "$@" -q; }

for k in ci rm; do P keys generate --output-key-prefix "$k" >/dev/null; done
# The promotion records are signed with an unencrypted PKCS#8 key held by ci: a cosign-encrypted key
# costs its scrypt derivation on every run, measured once, apart, below.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out record.key 2>/dev/null
openssl pkey -in record.key -pubout -out record.pub
printf 'roles:\n  ci:\n    keys: [ci.pub, record.pub]\n  release-manager:\n    keys: [rm.pub]\n' > roles.yaml
P ledger init --ledger sqlite:ledger.db --origin bench.example/audit --output-key-prefix note >/dev/null
P env init --repository-template "oci:$W/{env}" -o environments.yaml >/dev/null
mkdir -p rootfs/usr/local/bin
head -c 4194304 /dev/urandom > rootfs/usr/local/bin/app
printf 'bench\n' > rootfs/README
digest=$(P oci image rootfs "oci:$W/build:1" --key ci.key --provenance-bundle prov.json --output json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["digest"])')
printf '{"decision": "pass", "gates": [], "evaluatedAt": "2026-05-28T20:00:00Z"}' > gate.predicate.json
P attest "app@$digest" --predicate gate.predicate.json --type https://provenant.dev/attestation/gate-decision/v1 \
  --key ci.key --bundle gate.json >/dev/null
P ledger append --ledger sqlite:ledger.db --note-key note.key prov.json gate.json >/dev/null
GOV=(promote "oci:$W/build@$digest" --env prod --environments environments.yaml --record-key record.key
  --ledger sqlite:ledger.db)
for env in dev test uat; do
  P promote "oci:$W/build@$digest" --env "$env" --environments environments.yaml --record-key ci.key \
    --ledger sqlite:ledger.db >/dev/null
done
P approve "oci:$W/build@$digest" --env prod --role release-manager --key rm.key --ledger sqlite:ledger.db >/dev/null
# Once, to check that it promotes (and to warm the caches); removed before each timed run.
P "${GOV[@]}" >/dev/null
rm -rf prod

# Filler: statements about other digests, of the predicate types and environments a promotion reads.
fill_to() {
  local want=$1 have
  have=$(python3 -c 'import sqlite3; print(sqlite3.connect("ledger.db").execute("select count(*) from entries").fetchone()[0])')
  while [ "$have" -lt "$want" ]; do
    local n=$((want - have < BATCH ? want - have : BATCH))
    rm -rf fill && mkdir fill
    python3 - "$have" "$n" <<'PY'
import hashlib, json, sys
start, n = int(sys.argv[1]), int(sys.argv[2])
kinds = [("https://provenant.dev/attestation/promotion/v1", {"environment": "prod", "outcome": "promoted"}),
         ("https://provenant.dev/attestation/approval/v1", {"environment": "prod", "role": "release-manager"}),
         ("https://provenant.dev/attestation/gate-decision/v1", {"decision": "pass", "gates": [], "evaluatedAt": "2026-05-28T20:00:00Z"}),
         ("https://slsa.dev/provenance/v1", {"buildDefinition": {"buildType": "https://example.com/b", "externalParameters": {}}})]
for i in range(start, start + n):
    t, p = kinds[i % len(kinds)]
    s = {"_type": "https://in-toto.io/Statement/v1",
         "subject": [{"name": "other", "digest": {"sha256": hashlib.sha256(b"filler %d" % i).hexdigest()}}],
         "predicateType": t, "predicate": p}
    open("fill/%08d.json" % i, "w").write(json.dumps(s))
PY
    (cd fill && printf "%s\n" *.json | xargs "$PROVENANT" ledger append -q --ledger "sqlite:$W/ledger.db" --note-key "$W/note.key" >/dev/null)
    have=$((have + n))
  done
  rm -rf fill
}

mean_ms() { # mean_ms SETUP CMD...: SETUP before each run (untimed), CMD timed; mean in ms
  local setup=$1 total=0 t
  shift
  for _ in $(seq "$ROUNDS"); do
    eval "$setup"
    t=$(seconds "$@")
    total=$(awk -v a="$total" -v b="$t" 'BEGIN { print a + b }')
  done
  awk -v s="$total" -v n="$ROUNDS" 'BEGIN { printf "%.1f", s * 1000 / n }'
}

first=1
for size in $SIZES; do
  fill_to "$size"
  plain=$(mean_ms 'rm -rf plain' "$PROVENANT" promote "oci:$W/build@$digest" "oci:$W/plain:1")
  governed=$(mean_ms 'rm -rf prod' "$PROVENANT" "${GOV[@]}")
  # Each governed run appends its record: the size the last run saw.
  awk -v n="$size" -v r="$ROUNDS" -v p="$plain" -v g="$governed" 'BEGIN {
    printf "promote --env prod at %7d ledger entries (mean of %d): plain promote %8.1f ms   promote --env %8.1f ms   added %7.1f ms\n", n, r, p, g, g - p }'
  if [ -n "$first" ]; then
    first=
    GOV[7]=ci.key
    encrypted=$(mean_ms 'rm -rf prod' "$PROVENANT" "${GOV[@]}")
    GOV[7]=record.key
    awk -v p="$plain" -v g="$governed" -v e="$encrypted" 'BEGIN {
      printf "  the same with a cosign-encrypted record key (scrypt on every run): promote --env %8.1f ms   added %7.1f ms\n", e, e - p }'
  fi
done
