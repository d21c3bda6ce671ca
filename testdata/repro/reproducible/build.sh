#!/bin/sh
# Reproducible: time from SOURCE_DATE_EPOCH, sorted entries, fixed owners and modes, gzip without a name
# or time stamp.
set -eu
mkdir -p out stage
printf 'hello, reproducible world\n' > stage/greeting.txt
printf 'one\ntwo\nthree\n' > stage/list.txt
LC_ALL=C sort stage/list.txt > stage/sorted.txt
tar --format=gnu --sort=name --mtime="@${SOURCE_DATE_EPOCH:-0}" --owner=0 --group=0 --numeric-owner \
    --mode='u=rwX,go=rX' -cf - -C stage . | gzip -n -9 > out/bundle.tar.gz
cp stage/greeting.txt out/greeting.txt
chmod 0644 out/greeting.txt
