set -euo pipefail
mkdir -p "$EVIDENCE/source"
# Stage 01: every commit since the last release tag is conventional, signed by an allowed signer and
# touches only owned files.
base=$(git describe --tags --abbrev=0 --match 'v*' 2>/dev/null || git rev-list --max-parents=0 HEAD | tail -n 1)
provenant source check --range "${SOURCE_RANGE:-$base..HEAD}" \
  --allowed-signers "$POLICY_DIR/allowed_signers" --codeowners {{codeowners}} \
  --require conventional,signed,owned --output json > "$EVIDENCE/source/source-check.json"
