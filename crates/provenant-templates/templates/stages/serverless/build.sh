set -euo pipefail
mkdir -p "$EVIDENCE/build" "$EVIDENCE/scans"
# Stage 02: inputs pinned (a finding stops the build), then the function bundle built under
# provenant build, which records signed SLSA provenance for it.
provenant scan pinning . --output sarif > "$EVIDENCE/scans/pinning.sarif"
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
provenant build --subject '{{bundle}}' --bundle "$EVIDENCE/build/provenance.bundle.json" "${key[@]}" -- {{build_command}}
tar -cf "$EVIDENCE/build/outputs.tar" {{bundle}}
