#!/usr/bin/env bash
# provenant scan secrets against gitleaks 8.30.1 (`gitleaks dir`) with the same rules (gitleaks' own
# configuration, read from the vectors) on a large tree: a few hundred MB of JavaScript and TypeScript
# sources installed from the npm registry once and cached. The installed packages are moved out of
# `node_modules` (which gitleaks' global allowlist skips) so that both tools scan every file.
# Each tool runs once for its findings (which also warms the page cache), once for its peak memory (from
# /usr/bin/time -v), then RUNS times for the median wall time; the findings of both are compared (file, line,
# column and rule; both redact the secret).
set -euo pipefail
source "$HARNESS/bench-lib.sh"
cd "$BENCH"
ORACLES=${PROVENANT_ORACLES:-$HARNESS/../../.oracles}
GITLEAKS="$ORACLES/venvs/gitleaks/bin/gitleaks"
VECTORS=${PROVENANT_VECTORS:-$HARNESS/../../../shared/vectors}
CONFIG="$VECTORS/gitleaks/gitleaks-8.30.1.toml"
CACHE=${SCAN_BENCH_CACHE:-$ORACLES/cache/scan-npm-tree}
RUNS=${RUNS:-3}
[ -x "$GITLEAKS" ] || { echo "gitleaks is not installed at $GITLEAKS: run tests/harness/setup.sh" >&2; exit 1; }
[ -f "$CONFIG" ] || { echo "gitleaks' configuration is not at $CONFIG: set PROVENANT_VECTORS" >&2; exit 1; }

# The tree: large, popular packages (and their dependencies) with exact versions, so it is the same tree
# on every machine.
if [ ! -f "$CACHE/.complete" ]; then
  rm -rf "$CACHE" && mkdir -p "$CACHE/install"
  (cd "$CACHE/install" && npm init -y >/dev/null &&
    npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
      typescript@5.6.3 aws-sdk@2.1691.0 googleapis@144.0.0 next@15.0.3 @angular/core@18.2.12 \
      webpack@5.96.1 eslint@9.14.0 @babel/core@7.26.0 rxjs@7.8.1 lodash@4.17.21 firebase@11.0.1 >/dev/null)
  mv "$CACHE/install/node_modules" "$CACHE/tree"
  rm -rf "$CACHE/install"
  touch "$CACHE/.complete"
fi
TREE="$CACHE/tree"
size=$(du -sm "$TREE" | cut -f1)
files=$(find "$TREE" -type f | wc -l)
echo "scan secrets: tree of $files files, $size MB (npm packages, outside node_modules)"

if [ -x /usr/bin/time ]; then
  # peak CMD...: peak resident memory in MiB of one run (exit status 1, "found", is not a failure here).
  peak() { { /usr/bin/time -v "$@" 2>&1 >/dev/null || true; } | awk -F: '/Maximum resident/ { printf "%.0f", $2 / 1024 }'; }
else
  peak() { echo "n/a"; }
  echo "(no /usr/bin/time: peak memory not measured)"
fi

ours=("$PROVENANT" scan secrets "$TREE" --config "$CONFIG" --output gitleaks)
theirs=("$GITLEAKS" dir "$TREE" --config "$CONFIG" --no-banner --log-level error --redact --exit-code 0
  --report-format json --report-path theirs.json)
# One run each for the findings (and a warm page cache), one for peak memory, then RUNS timed runs.
"${ours[@]}" > ours.json || [ $? -eq 1 ]
"${theirs[@]}"
om=$(peak "${ours[@]}"); tm=$(peak "${theirs[@]}")
o=$(for _ in $(seq "$RUNS"); do seconds "${ours[@]}"; echo; done | median)
t=$(for _ in $(seq "$RUNS"); do seconds "${theirs[@]}"; echo; done | median)
report "scan secrets: npm tree ($size MB), median of $RUNS" "$o" "$t" "gitleaks dir"
printf '%-44s peak memory: provenant %s MiB, gitleaks %s MiB\n' "" "$om" "$tm"

# Same findings? (Secrets are redacted by both; file, line, column and rule are compared.)
python3 - <<'PY'
import json
def keys(p):
    return sorted((f["File"], f["StartLine"], f["StartColumn"], f["RuleID"]) for f in json.load(open(p)))
ours, theirs = keys("ours.json"), keys("theirs.json")
print(f"findings: provenant {len(ours)}, gitleaks {len(theirs)}, "
      + ("identical" if ours == theirs else f"differ: {len(set(ours) - set(theirs))} only ours, "
         f"{len(set(theirs) - set(ours))} only gitleaks"))
for k in sorted(set(theirs) - set(ours))[:10]:
    print("  only gitleaks:", k)
for k in sorted(set(ours) - set(theirs))[:10]:
    print("  only provenant:", k)
PY
