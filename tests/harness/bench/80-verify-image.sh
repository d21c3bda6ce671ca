#!/usr/bin/env bash
# Verifying Google Cloud Build provenance: `provenant verify-image` (signature by the regional KMS key, then
# every slsa-verifier check) against what a user without slsa-verifier would run: python3 to pull the payload
# and signature out of the provenance summary and openssl to check the signature alone (no policy at all).
# slsa-verifier itself (Go) is not installable here.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
ROOT=$(cd "$HARNESS/../.." && pwd)
V="$ROOT/../shared/vectors/slsa-verifier"
[ -d "$V" ] || { echo "slsa-verifier vectors not found at $V" >&2; exit 1; }
SUMMARY="$V/cli/slsa-verifier/testdata/gcb_container/v0.3/gcloud-container-github.json"
KEYS="$V/verifiers/internal/gcb/keys/materials"
IMAGE="us-west2-docker.pkg.dev/gosst-scare-sandbox/quickstart-docker-repo/quickstart-image@$(cat "${SUMMARY%.json}.digest")"
cd "$BENCH"
"$PROVENANT" verify-image "$IMAGE" --provenance-path "$SUMMARY" --source-uri github.com/laurentsimon/gcb-tests \
  --builder-id https://cloudbuild.googleapis.com/GoogleHostedWorker --gcb-key-dir "$KEYS" >/dev/null
ours=$(seconds "$PROVENANT" verify-image "$IMAGE" --provenance-path "$SUMMARY" \
  --source-uri github.com/laurentsimon/gcb-tests --builder-id https://cloudbuild.googleapis.com/GoogleHostedWorker \
  --gcb-key-dir "$KEYS")
cat > by-hand.sh <<'SH'
#!/bin/sh
set -e
python3 - "$1" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))["provenance_summary"]["provenance"][0]["envelope"]
open("payload", "wb").write(base64.b64decode(env["payload"]))
open("sig.der", "wb").write(base64.urlsafe_b64decode(env["signatures"][0]["sig"]))
PY
openssl dgst -sha256 -verify "$2" -signature sig.der payload
SH
sh by-hand.sh "$SUMMARY" "$KEYS/us-west2.key" >/dev/null || { echo "the openssl check does not verify" >&2; exit 1; }
theirs=$(seconds sh by-hand.sh "$SUMMARY" "$KEYS/us-west2.key")
report "verify-image: GCB provenance summary" "$ours" "$theirs" "python3 + openssl (sig only)"
