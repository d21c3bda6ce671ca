set -euo pipefail
# Provenant at the platform's version (preinstalled on the platform's runners).
command -v provenant >/dev/null || cargo install --locked --git {{provenant_repository}} --tag v{{provenant_version}} provenant-cli
mkdir -p "$EVIDENCE"
# The build's outputs travel between stages inside the evidence, with their file modes.
if [ -f "$EVIDENCE/build/outputs.tar" ]; then tar -xf "$EVIDENCE/build/outputs.tar"; fi
