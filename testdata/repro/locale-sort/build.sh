#!/bin/sh
# Not reproducible: sort follows the locale's collation (in Estonian, z sorts between s and t).
set -eu
mkdir -p out
sort words.txt > out/index.txt
