set -euo pipefail
ref="$REGISTRY/prod/$APP@$(cat "$EVIDENCE/prod.digest")"
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
# Stage 08: drift and probe indicators of the applied infrastructure before and after, recorded
# against the digest.
provenant release baseline "$ref" --env prod --prometheus "$PROMETHEUS_URL" "${key[@]}" \
  --query 'drifted_resources=sum(iac_drifted_resources{module="{{name}}"})' \
  --query 'probe_failure_rate=1 - avg(avg_over_time(probe_success{module="{{name}}"}[5m]))'
