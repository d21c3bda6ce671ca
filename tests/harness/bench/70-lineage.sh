#!/usr/bin/env bash
# provenant lineage verify against what a user would otherwise script with the same tools' help: unpack
# the image with umoci, check every packaged file's digest with sha256sum, verify the packaging and build
# provenance bundles with sigstore-js, and check the commit with git. Same image layout, same keys, one run.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
ROOT=$(cd "$HARNESS/../.." && pwd)
ORACLES=${PROVENANT_ORACLES:-$ROOT/.oracles}
NODE_MODULES="$ORACLES/npm/sigstore/node_modules"
[ -d "$NODE_MODULES" ] || { echo "sigstore-js missing: run tests/harness/setup.sh" >&2; exit 1; }
cd "$BENCH"
export COSIGN_PASSWORD=bench SOURCE_DATE_EPOCH=1700000000
mkdir -p lineage && cd lineage

# A project whose build produces 200 files (64 MiB in all), built with signed provenance.
mkdir -p app && (
  cd app
  cat > build.sh <<'SH'
#!/bin/sh
set -eu
mkdir -p out
i=0
while [ $i -lt 200 ]; do
  head -c 335544 /dev/zero | tr '\0' "$(printf '\\%03o' $((i % 200 + 32)))" > "out/file$i.bin"
  i=$((i + 1))
done
SH
  chmod +x build.sh
  printf 'out/\n' > .gitignore
  git init -q -b main . && git -c user.name=b -c user.email=b@x add -A && git -c user.name=b -c user.email=b@x commit -qm app
)
"$PROVENANT" keys generate --output-key-prefix release >/dev/null 2>&1
(cd app && "$PROVENANT" build --subject 'out/*' --source github.com/bench/app --builder-id https://ci.example.com/b \
  --bundle ../build.sigstore.json --key ../release.key -- ./build.sh >/dev/null 2>&1)
mkdir -p rootfs/opt/app && cp app/out/* rootfs/opt/app/
D=$("$PROVENANT" oci image rootfs oci:img:1 --key release.key --provenance-bundle packaging.sigstore.json 2>/dev/null)
D=${D##*@}
"$PROVENANT" oci attach "oci:img@$D" --bundle build.sigstore.json >/dev/null
COMMIT=$(git -C app rev-parse HEAD)
printf '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}\n' > empty-root.json

ours=$(seconds "$PROVENANT" lineage verify "oci:img@$D" --key release.pub --insecure-ignore-tlog --commit "$COMMIT" \
  --repo app --branch main --builder-id https://ci.example.com/b)
"$PROVENANT" lineage verify "oci:img@$D" --key release.pub --insecure-ignore-tlog --commit "$COMMIT" \
  --repo app --branch main --builder-id https://ci.example.com/b -q >/dev/null || { echo "lineage did not verify" >&2; exit 1; }

# The same checks by hand: unpack, hash every file against the build provenance's subjects, verify both
# bundles (sigstore-js checks a DSSE bundle against its statement subject's digest, given as the artefact's
# bytes: here the image manifest and one built file), and check the commit is on main.
by_hand() {
  rm -rf unpacked
  umoci unpack --rootless --image img:1 unpacked >/dev/null
  python3 - build.sigstore.json <<'PY' > sums
import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["dsseEnvelope"]["payload"]))
for sub in s["subject"]:
    print(f'{sub["digest"]["sha256"]}  unpacked/rootfs/opt/app/{sub["name"].split("/")[-1]}')
PY
  sha256sum --quiet -c sums
  cp "img/blobs/sha256/${D#sha256:}" manifest.json
  NODE_PATH="$NODE_MODULES" node "$HARNESS/sigstore-js-verify.js" empty-root.json packaging.sigstore.json manifest.json --key release.pub
  NODE_PATH="$NODE_MODULES" node "$HARNESS/sigstore-js-verify.js" empty-root.json build.sigstore.json unpacked/rootfs/opt/app/file0.bin --key release.pub
  git -C app merge-base --is-ancestor "$COMMIT" main
}
by_hand >/dev/null 2>&1 || { echo "the by-hand lineage check failed" >&2; by_hand; exit 1; }
theirs=$(seconds by_hand)
report "lineage verify (200 files, 64 MiB)" "$ours" "$theirs" "umoci+sha256sum+sigstore-js"
