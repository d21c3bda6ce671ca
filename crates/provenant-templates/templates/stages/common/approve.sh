set -euo pipefail
digest=$(cat "$EVIDENCE/promote/uat.digest")
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--record-key "$PROVENANT_KEY"); fi
# Stage 06: production needs approvals of this digest by release managers (each signs one with
# `provenant approve IMAGE@DIGEST --env prod --role release-manager`); the stage waits for them and
# the promotion is refused without them. There is no bypass.
provenant promote "$REGISTRY/uat/$APP@$digest" --env prod --environments "$POLICY_DIR/environments.yaml" --wait {{approval_wait_minutes}}m "${key[@]}"
echo "$digest" > "$EVIDENCE/prod.digest"
