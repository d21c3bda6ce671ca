#!/usr/bin/env bash
# provenant digest against coreutils sha256sum: one 1 GiB file, and a tree of 20,000 small files.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
cd "$BENCH"
head -c 1073741824 /dev/urandom > big.bin
mkdir -p tree
python3 - <<'PY'
import os, random
random.seed(7)
for i in range(20000):
    d = f"tree/d{i % 200:03d}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i:05d}", "wb") as f:
        f.write(os.urandom(random.randint(100, 8000)))
PY
# Warm the page cache for both tools alike.
cat big.bin > /dev/null; find tree -type f -exec cat {} + > /dev/null
ours=$(seconds "$PROVENANT" digest big.bin)
theirs=$(seconds sha256sum big.bin)
report "digest: one 1 GiB file" "$ours" "$theirs" "sha256sum"
ours=$(seconds "$PROVENANT" digest tree)
theirs=$(seconds sh -c 'find tree -type f -print0 | xargs -0 sha256sum')
report "digest: tree of 20,000 small files" "$ours" "$theirs" "find|xargs sha256sum"
