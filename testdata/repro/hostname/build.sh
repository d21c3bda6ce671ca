#!/bin/sh
# Not reproducible: the build records the machine it ran on.
set -eu
mkdir -p out
printf 'built on %s\n' "$(uname -n)" > out/buildinfo.txt
