set -euo pipefail
mkdir -p "$EVIDENCE/deploy"
ref="$REGISTRY/prod/$APP@$(cat "$EVIDENCE/prod.digest")"
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
# Stage 07: deploy the approved digest, check it, and record the deployment with its checks.
{{deploy_command}} "$ref"
health=pass
{{health_command}} "$ref" || health=fail
smoke=pass
{{smoke_command}} "$ref" || smoke=fail
provenant deploy record "$ref" --env prod --strategy {{strategy}} --health "$health" --smoke "$smoke" "${key[@]}"
if [ "$health" != pass ] || [ "$smoke" != pass ]; then
  echo "deployment of $ref failed its checks: health $health, smoke $smoke" >&2
  exit 1
fi
