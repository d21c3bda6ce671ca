#!/bin/sh
# Not reproducible: tar archives a directory in the order the file system lists it.
set -eu
mkdir -p out
tar --format=gnu --mtime=@0 --owner=0 --group=0 --numeric-owner --mode='u=rwX,go=rX' \
    -cf out/data.tar data
