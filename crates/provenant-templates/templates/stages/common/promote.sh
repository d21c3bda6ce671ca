set -euo pipefail
mkdir -p "$EVIDENCE/promote"
digest=$(cat "$EVIDENCE/artefact.digest")
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--record-key "$PROVENANT_KEY"); fi
# Stage 05: by digest, one environment after the other; each promotion is refused (exit 1) unless the
# environment's requirements hold (signed gate decision, previous environment), and is recorded.
provenant promote "$REGISTRY/dev/$APP@$digest" --env test --environments "$POLICY_DIR/environments.yaml" "${key[@]}"
provenant promote "$REGISTRY/test/$APP@$digest" --env uat --environments "$POLICY_DIR/environments.yaml" "${key[@]}"
echo "$digest" > "$EVIDENCE/promote/uat.digest"
