#!/bin/sh
# Not reproducible: the compiler is given the absolute source path, which __FILE__ embeds.
set -eu
mkdir -p out
cc -O2 -o out/hello "$(pwd)/src/main.c"
