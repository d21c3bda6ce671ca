#!/usr/bin/env bash
# provenant repro check against reprotest: the same C project, the same number of builds (a control and
# one varied build), each tool varying what it can here (reprotest: all but user_group, which needs a
# second configured user; provenant: all but user, to match). Also prints provenant's own overhead:
# its wall time minus the time spent in the build commands.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
cd "$BENCH"
mkdir -p repro-sample/src && cd repro-sample
cat > src/main.c <<'C'
#include <stdio.h>
int main(void) { puts("hello from the benchmark"); return 0; }
C
printf '#!/bin/sh\nset -eu\nmkdir -p out\ncc -O2 -o out/hello src/main.c\n' > build.sh
chmod +x build.sh
git init -q -b main . && git -c user.name=b -c user.email=b@example.invalid add -A
GIT_COMMITTER_DATE=@1700000000 GIT_AUTHOR_DATE=@1700000000 \
  git -c user.name=b -c user.email=b@example.invalid commit -qm bench
export SOURCE_DATE_EPOCH=1700000000
ours=$(seconds "$PROVENANT" repro check --runs 2 --vary=-user --artifact out/hello -- ./build.sh)
theirs=$(seconds reprotest --store-dir="$BENCH/reprotest-store" --vary=-user_group -s . 'sh build.sh' 'out/hello' -- null)
report "repro check: C sample, 2 builds" "$ours" "$theirs" "reprotest"
json=$("$PROVENANT" repro check --output json --runs 2 --vary=-user --artifact out/hello -- ./build.sh)
python3 - "$json" <<'PY'
import json, sys
t = json.loads(sys.argv[1])["timing"]
print("%-44s total %6.3f s   builds %6.3f s   overhead %6.3f s" % (
    "repro check: provenant overhead", t["total_ms"] / 1e3, t["builds_ms"] / 1e3, t["overhead_ms"] / 1e3))
PY
