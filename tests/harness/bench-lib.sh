#!/usr/bin/env bash
# Timing helpers for bench/*.sh. Source it.
# seconds CMD...: runs CMD once (output discarded) and prints its wall time in seconds.
seconds() {
  local s e
  s=$(date +%s%N)
  "$@" >/dev/null 2>&1
  e=$(date +%s%N)
  awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", (e - s) / 1e9 }'
}
# median < TIMES: the median of numbers, one a line (the upper one of an even count).
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# report NAME OURS THEIRS THEIR_NAME: one line with both times and the ratio.
report() {
  awk -v n="$1" -v o="$2" -v t="$3" -v tn="$4" \
    'BEGIN { printf "%-44s provenant %8.3f s   %-24s %8.3f s   ratio %6.2fx\n", n, o, tn, t, (o > 0 ? t / o : 0) }'
}
