#!/usr/bin/env bash
# Recording a build: `provenant build` (git work tree, toolchains, lockfiles, output hashing, SLSA v1
# statement, unsigned) against in-toto's `in-toto-run` (link metadata: materials, products, command; it
# insists on signing, with an ed25519 key here), on a C project of 200 translation units built with make -j2.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
ORACLES=${PROVENANT_ORACLES:-$(cd "$HARNESS/../.." && pwd)/.oracles}
IN_TOTO_RUN="$ORACLES/venvs/intoto/bin/in-toto-run"
[ -x "$IN_TOTO_RUN" ] || { echo "in-toto-run is not installed: run just setup" >&2; exit 1; }
cd "$BENCH"
mkdir -p proj/src && cd proj
for i in $(seq 1 200); do
  printf 'int f%d(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * %d; return s; }\n' "$i" "$i" > "src/f$i.c"
done
printf 'int main(void) { return 0; }\n' > src/main.c
cat > Makefile <<'MK'
SRC := $(wildcard src/*.c)
out/app: $(SRC:src/%.c=out/%.o)
	cc -o $@ $^
out/%.o: src/%.c
	@mkdir -p out
	cc -O2 -c -o $@ $<
MK
printf '#!/bin/sh\nrm -rf out && make -s -j2 >/dev/null\n' > build.sh && chmod +x build.sh
printf 'out/\n*.link\n*.json\n' > .gitignore
git init -q -b main . && git add -A
git -c user.name=bench -c user.email=bench@example.invalid commit -qm bench
# Warm the compiler and the page cache once, so that every timed run does the same work.
./build.sh
ours=$(seconds "$PROVENANT" build --subject 'out/*' --source github.com/bench/proj --statement p.json -- ./build.sh)
openssl genpkey -algorithm ed25519 -out ../link-key.pem 2>/dev/null
"$IN_TOTO_RUN" -n check --signing-key ../link-key.pem -- true >/dev/null 2>&1 || { echo "in-toto-run does not run" >&2; exit 1; }
rm -f check.*.link
theirs=$(seconds "$IN_TOTO_RUN" -n build --signing-key ../link-key.pem -m src -p out -- ./build.sh)
report "build provenance: make -j2, 200 C files" "$ours" "$theirs" "in-toto-run (link)"
bare=$(seconds ./build.sh)
[ -s p.json ] && ls build.*.link >/dev/null || { echo "a tool wrote no metadata" >&2; exit 1; }
report "build provenance: overhead over the bare build" "$ours" "$bare" "bare make -j2"
