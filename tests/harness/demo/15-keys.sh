#!/usr/bin/env bash
# Stage: a signing key, a keyed signature of the sample's source archive, and a tampered copy rejected
set -euo pipefail
cd "$DEMO"
export COSIGN_PASSWORD=demo-password
"$PROVENANT" keys generate --output-key-prefix release
git -C "$SAMPLE" archive --format=tar -o "$DEMO/sample-src.tar" HEAD
"$PROVENANT" sign sample-src.tar --key release.key --bundle sample-src.tar.sigstore.json
"$PROVENANT" verify sample-src.tar --bundle sample-src.tar.sigstore.json --key release.pub --insecure-ignore-tlog -q
cp sample-src.tar sample-src.tampered.tar && printf 'x' >> sample-src.tampered.tar
if "$PROVENANT" verify sample-src.tampered.tar --bundle sample-src.tar.sigstore.json --key release.pub \
     --insecure-ignore-tlog -q; then
  echo "a tampered archive was NOT detected" >&2; exit 1
else
  echo "tampered archive rejected (exit $?)"
fi
