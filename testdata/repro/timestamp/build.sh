#!/bin/sh
# Not reproducible: the build stamps the archived file with the current time (the clock, not
# SOURCE_DATE_EPOCH) and tar records that modification time.
set -eu
mkdir -p out stage
printf 'version 1.0\n' > stage/VERSION
touch -d "$(date -u '+%Y-%m-%d %H:%M:%S')" stage/VERSION
tar --format=gnu --sort=name --owner=0 --group=0 --numeric-owner --mode='u=rw,go=r' \
    -cf out/release.tar -C stage VERSION
