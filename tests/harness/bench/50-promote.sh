#!/usr/bin/env bash
# provenant promote against skopeo copy --preserve-digests on a multi-layer image: within one registry
# (provenant mounts, transferring no blob bytes) and between two registries (streamed).
set -euo pipefail
source "$HARNESS/bench-lib.sh"
cd "$BENCH"
start_registry() { # NAME PORT
  mkdir -p "$1/data"
  cat > "$1/config.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $BENCH/$1/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$2
YML
  docker-registry serve "$1/config.yml" > "$1/log" 2>&1 &
  echo $! >> pids
}
trap 'kill $(cat "$BENCH/pids") 2>/dev/null || true' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PA=$(port); PB=$(port)
start_registry a "$PA"; start_registry b "$PB"
for p in $PA $PB; do for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done; done
A=127.0.0.1:$PA B=127.0.0.1:$PB

# A multi-layer image (8 layers of 32 MiB of incompressible data) built with umoci, pushed to A.
umoci init --layout img >/dev/null; umoci new --image img:v1 >/dev/null
for i in $(seq 1 8); do
  rm -rf bundle; umoci unpack --rootless --image img:v1 bundle >/dev/null
  head -c $((32 << 20)) /dev/urandom > "bundle/rootfs/layer$i.bin"
  umoci repack --image img:v1 bundle >/dev/null
done
D=$("$PROVENANT" promote --resolve-tag oci:img:v1 "$A/src:v1" --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])')

ours=$(seconds "$PROVENANT" promote "$A/src@$D" "$A/ours:v1")
theirs=$(seconds skopeo copy --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
  "docker://$A/src@$D" "docker://$A/theirs:v1")
report "promote: within one registry (8x32 MiB)" "$ours" "$theirs" "skopeo copy"
"$PROVENANT" promote "$A/src@$D" "$A/ours2:v1" --output json \
  | python3 -c 'import json,sys; r=json.load(sys.stdin)["destinations"][0]["report"]; print("  (provenant: %d blob bytes transferred, %d mounted)" % (r["bytesCopied"], r["bytesMounted"]))'

# Between registries both tools wait on the registries: the destination hashes and writes every byte,
# the source reads it. Their CPU time is measured too, to show how much of the wall time is theirs.
ticks() { local t=0 p; for p in $(cat "$BENCH/pids"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
ours=$(seconds "$PROVENANT" promote "$A/src@$D" "$B/ours:v1")
t1=$(ticks)
theirs=$(seconds skopeo copy --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
  "docker://$A/src@$D" "docker://$B/theirs:v1")
t2=$(ticks)
report "promote: between two registries (8x32 MiB)" "$ours" "$theirs" "skopeo copy"
awk -v a=$((t1 - t0)) -v b=$((t2 - t1)) -v hz="$hz" -v n="$(nproc)" -v t="$theirs" \
  'BEGIN { printf "  (registries used %.2f s of CPU during provenant'"'"'s copy and %.2f s during skopeo'"'"'s, on %d cores:\n   a copy that cost nothing itself could be at most %.2fx faster than skopeo here)\n", a / hz, b / hz, n, t / (a / hz / n) }'

# An image with its evidence between two registries: three layers of 4 MiB and six referrers (their tag
# index written at the destination), against skopeo copying the image alone. Median of five runs, each
# into a destination registry of its own: skopeo remembers where it wrote each blob (its blob info
# cache) and would otherwise mount the blobs from its previous run's repository rather than copy them.
umoci init --layout small >/dev/null; umoci new --image small:v1 >/dev/null
for i in 1 2 3; do
  rm -rf bundle; umoci unpack --rootless --image small:v1 bundle >/dev/null
  head -c $((4 << 20)) /dev/urandom > "bundle/rootfs/part$i.bin"
  umoci repack --image small:v1 bundle >/dev/null
done
S=$("$PROVENANT" promote --resolve-tag oci:small:v1 "$A/small:v1" --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])')
for i in 1 2 3 4 5 6; do
  echo "{\"evidence\": $i}" > "evidence$i.json"
  "$PROVENANT" oci attach "$A/small@$S" --file "evidence$i.json" --artifact-type "application/vnd.example.evidence.v$i+json" >/dev/null
done
: > ours.times; : > theirs.times
for run in 1 2 3 4 5; do
  PO=$(port); PT=$(port)
  start_registry "o$run" "$PO"; start_registry "t$run" "$PT"
  for p in $PO $PT; do for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done; done
  seconds "$PROVENANT" promote "$A/small@$S" "127.0.0.1:$PO/small:v1" >> ours.times; echo >> ours.times
  seconds skopeo copy --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
    "docker://$A/small@$S" "docker://127.0.0.1:$PT/small:v1" >> theirs.times; echo >> theirs.times
  if [ "$run" = 1 ]; then O1=127.0.0.1:$PO; fi
done
carried=$("$PROVENANT" oci discover "$O1/small@$S" --output json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["referrers"]))')
report "promote: image + 6 referrers (3x4 MiB), median of 5" "$(median < ours.times)" "$(median < theirs.times)" "skopeo copy (image only)"
echo "  (provenant: $carried referrers discoverable at the destination; runs: $(tr '\n' ' ' < ours.times)s; skopeo: $(tr '\n' ' ' < theirs.times)s)"
