#!/usr/bin/env bash
# Seeds the fuzz corpora (git-ignored) from the third-party vectors beside the repository.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VECTORS=${PROVENANT_VECTORS:-$HERE/../../shared/vectors}
mkdir -p "$HERE/corpus/sigstore_bundle" "$HERE/corpus/sigstore_trusted_root"
i=0
while IFS= read -r -d '' f; do
  i=$((i + 1)); cp "$f" "$HERE/corpus/sigstore_bundle/seed-$i"
done < <(find "$VECTORS/sigstore-conformance" "$VECTORS/sigstore-python" "$VECTORS/sigstore-go" \
  \( -name '*.sigstore*' -o -name 'bundle*.json' \) -type f -print0)
while IFS= read -r -d '' f; do
  i=$((i + 1)); cp "$f" "$HERE/corpus/sigstore_trusted_root/seed-$i"
done < <(find "$VECTORS/sigstore-conformance" "$VECTORS/sigstore-python" "$VECTORS/sigstore-go" \
  \( -name '*trusted*root*.json' -o -name 'trustedroot*.json' -o -name 'trust_config.json' \) -type f -print0)
echo "seeded $i files"
