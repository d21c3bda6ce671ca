set -euo pipefail
mkdir -p "$EVIDENCE/build" "$EVIDENCE/scans"
# Stage 02: inputs pinned (lockfiles, image digests, action SHAs; a finding stops the build), then the
# build under provenant build, which records signed SLSA provenance for the root filesystem it leaves.
provenant scan pinning . --output sarif > "$EVIDENCE/scans/pinning.sarif"
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
provenant build --subject '{{rootfs}}/**/*' --bundle "$EVIDENCE/build/provenance.bundle.json" "${key[@]}" -- {{build_command}}
tar -cf "$EVIDENCE/build/outputs.tar" {{rootfs}}
