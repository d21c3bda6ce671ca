#!/usr/bin/env bash
# Stage: a sample project in a git repository
set -euo pipefail
mkdir -p "$SAMPLE/src"
cd "$SAMPLE"
cat > src/main.c <<'C'
#include <stdio.h>
int main(void) { puts("hello from the provenant sample"); return 0; }
C
cat > build.sh <<'SH'
#!/bin/sh
set -eu
mkdir -p out
cc -O2 -o out/hello src/main.c
SH
chmod +x build.sh
git init -q -b main .
git -c user.name=demo -c user.email=demo@example.invalid add -A
GIT_COMMITTER_DATE="@$SOURCE_DATE_EPOCH" GIT_AUTHOR_DATE="@$SOURCE_DATE_EPOCH" \
  git -c user.name=demo -c user.email=demo@example.invalid commit -qm "sample project"
echo "sample project at commit $(git rev-parse --short HEAD)"
