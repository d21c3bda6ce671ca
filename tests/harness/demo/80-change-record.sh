#!/usr/bin/env bash
# Stage: the change record of the prod release, generated from pipeline metadata alone
set -euo pipefail
cd "$DEMO"
digest=$(cat image.digest)
"$PROVENANT" change-record "oci:$DEMO/env/prod@$digest" --env prod --environments environments.yaml \
  --ledger sqlite:ledger.db --format markdown
