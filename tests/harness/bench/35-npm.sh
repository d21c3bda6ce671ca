#!/usr/bin/env bash
# Verifying an npm package's registry attestations (slsa-verifier's npm vector: SLSA v1 provenance signed
# keylessly, publish attestation signed by the registry key): `provenant verify-npm-package` (both
# signatures, certificate, SCT, log entries, then builder, source, digest, certificate claims, name and
# version) against sigstore-js verifying the same two bundles and the tarball's sha512, as the npm CLI
# does for `npm audit signatures` (signatures only, no policy). One process per verification for both,
# averaged over 10 runs; then sigstore-js in one warm process, per verification.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
ROOT=$(cd "$HARNESS/../.." && pwd)
ORACLES=${PROVENANT_ORACLES:-$ROOT/.oracles}
VECTORS=${PROVENANT_VECTORS:-$ROOT/../shared/vectors}
NODE_MODULES="$ORACLES/npm/sigstore/node_modules"
[ -d "$NODE_MODULES/@sigstore/tuf" ] || { echo "sigstore-js is not installed: run just setup" >&2; exit 1; }
[ -d "$VECTORS/slsa-verifier" ] || { echo "no vectors at $VECTORS" >&2; exit 1; }
cd "$BENCH"
NPM="$VECTORS/slsa-verifier/cli/slsa-verifier/testdata/npm/gha"
TARBALL="$NPM/provenance-npm-test-cli-v1-prega.tgz"
TRUSTED_ROOT="$VECTORS/sigstore-python/embedded-trust-roots/prod/trusted_root.json"
python3 - "$NODE_MODULES/@sigstore/tuf/seeds.json" > npm-keys.json <<'PY'
import base64, json, sys
seeds = json.load(open(sys.argv[1]))
target = next(r["targets"]["registry.npmjs.org%2Fkeys.json"] for r in seeds.values()
              if "registry.npmjs.org%2Fkeys.json" in r.get("targets", {}))
sys.stdout.write(base64.b64decode(target).decode())
PY
ours_once() {
  "$PROVENANT" verify-npm-package "$TARBALL" --attestations-path "$TARBALL.json" --npm-keys npm-keys.json \
    --trusted-root "$TRUSTED_ROOT" --source-uri github.com/sigstore/sigstore-js \
    --builder-id https://github.com/actions/runner/github-hosted --package-name sigstore --package-version 2.3.1
}
theirs_once() {
  NODE_PATH="$NODE_MODULES" node "$HARNESS/npm-attestations-verify.js" "$TRUSTED_ROOT" npm-keys.json "$TARBALL.json" "$TARBALL"
}
# Both must accept the package before anything is timed.
ours_once >/dev/null
theirs_once | grep -q '^OK' || { echo "sigstore-js rejects the vector" >&2; exit 1; }
runs=10
ours_runs() { for _ in $(seq $runs); do ours_once; done; }
theirs_runs() { for _ in $(seq $runs); do theirs_once; done; }
ours_total=$(seconds ours_runs)
theirs_total=$(seconds theirs_runs)
ours=$(awk -v t="$ours_total" -v n=$runs 'BEGIN { printf "%.4f", t / n }')
theirs=$(awk -v t="$theirs_total" -v n=$runs 'BEGIN { printf "%.4f", t / n }')
report "verify-npm-package (one process each)" "$ours" "$theirs" "sigstore-js (node)"
warm=$(NODE_PATH="$NODE_MODULES" node "$HARNESS/npm-attestations-verify.js" "$TRUSTED_ROOT" npm-keys.json "$TARBALL.json" "$TARBALL" 200 | awk '{ print $2 }')
report "verify-npm-package vs sigstore-js in-process" "$ours" "$warm" "sigstore-js (in-process)"
