set -euo pipefail
ref="$REGISTRY/prod/$APP@$(cat "$EVIDENCE/prod.digest")"
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
# Stage 08: freshness and failed-run indicators of the pipeline before and after, recorded against
# the digest.
provenant release baseline "$ref" --env prod --prometheus "$PROMETHEUS_URL" "${key[@]}" \
  --query 'run_failure_rate=sum(rate(pipeline_runs_failed_total{pipeline="{{name}}"}[1h])) / sum(rate(pipeline_runs_total{pipeline="{{name}}"}[1h]))' \
  --query 'freshness_seconds=max(time() - pipeline_last_success_timestamp_seconds{pipeline="{{name}}"})'
