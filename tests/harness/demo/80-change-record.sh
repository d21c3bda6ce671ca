#!/usr/bin/env bash
# Stage: the change record of the prod release, generated from pipeline metadata alone
set -euo pipefail
cd "$DEMO"
digest=$(cat image.digest)
if ! "$PROVENANT" change-record --help >/dev/null 2>&1; then
  echo "(this build has no change-record command: stage skipped)"
  exit 0
fi
"$PROVENANT" change-record "oci:$DEMO/env/prod@$digest" --env prod --environments environments.yaml \
  --ledger sqlite:ledger.db --format markdown
