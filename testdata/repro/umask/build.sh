#!/bin/sh
# Not reproducible: the staged file's mode follows the umask and tar records it.
set -eu
mkdir -p out stage
printf 'config\n' > stage/app.conf
tar --format=gnu --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -cf out/app.tar -C stage app.conf
