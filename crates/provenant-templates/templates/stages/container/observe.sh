set -euo pipefail
ref="$REGISTRY/prod/$APP@$(cat "$EVIDENCE/prod.digest")"
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
# Stage 08: the release's service-level indicators before and after, recorded against the digest.
provenant release baseline "$ref" --env prod --prometheus "$PROMETHEUS_URL" "${key[@]}" \
  --query 'error_rate=sum(rate(http_requests_total{app="{{name}}",code=~"5.."}[5m])) / sum(rate(http_requests_total{app="{{name}}"}[5m]))' \
  --query 'latency_p99=histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app="{{name}}"}[5m])))'
