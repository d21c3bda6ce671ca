set -euo pipefail
ref="$REGISTRY/prod/$APP@$(cat "$EVIDENCE/prod.digest")"
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
# Stage 08: the release's crash and start-up indicators before and after, recorded against the digest.
provenant release baseline "$ref" --env prod --prometheus "$PROMETHEUS_URL" "${key[@]}" \
  --query 'crash_rate=sum(rate(app_crashes_total{app="{{name}}"}[1h])) / sum(rate(app_sessions_total{app="{{name}}"}[1h]))' \
  --query 'cold_start_p90=histogram_quantile(0.9, sum by (le) (rate(app_cold_start_seconds_bucket{app="{{name}}"}[1h])))'
