set -euo pipefail
mkdir -p "$EVIDENCE/build" "$EVIDENCE/scans" dist
# Stage 02: inputs pinned (lock file, module sources; a finding stops the build), formatting and
# validation as the first lint, then the module packaged under provenant build, which records signed
# SLSA provenance for it.
provenant scan pinning . --output sarif > "$EVIDENCE/scans/pinning.sarif"
{{iac_tool}} -chdir={{module}} fmt -check -recursive
{{iac_tool}} -chdir={{module}} init -backend=false -input=false
{{iac_tool}} -chdir={{module}} validate
key=(); if [ -n "${PROVENANT_KEY:-}" ]; then key=(--key "$PROVENANT_KEY"); fi
provenant build --subject 'dist/{{name}}-module.tar.gz' --bundle "$EVIDENCE/build/provenance.bundle.json" "${key[@]}" -- {{build_command}}
tar -cf "$EVIDENCE/build/outputs.tar" dist/{{name}}-module.tar.gz
