set -euo pipefail
ref="$REGISTRY/prod/$APP@$(cat "$EVIDENCE/prod.digest")"
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
# Stage 08: the function's service-level indicators before and after, recorded against the digest.
provenant release baseline "$ref" --env prod --prometheus "$PROMETHEUS_URL" "${key[@]}" \
  --query 'error_rate=sum(rate(function_invocations_errors_total{function="{{name}}"}[5m])) / sum(rate(function_invocations_total{function="{{name}}"}[5m]))' \
  --query 'duration_p99=histogram_quantile(0.99, sum by (le) (rate(function_duration_seconds_bucket{function="{{name}}"}[5m])))'
