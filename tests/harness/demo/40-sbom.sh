#!/usr/bin/env bash
# Stage: CycloneDX 1.6 and SPDX 2.3 SBOMs of the sample project, validated, and byte-identical when made twice
set -euo pipefail
HARNESS=$(cd "$(dirname "$0")/.." && pwd)
cd "$DEMO"
"$PROVENANT" sbom generate "$SAMPLE" --format cyclonedx-json -o sample.cdx.json
"$PROVENANT" sbom generate "$SAMPLE" --format spdx-json -o sample.spdx.json
"$PROVENANT" sbom validate sample.cdx.json
"$PROVENANT" sbom validate sample.spdx.json
# Deterministic: a second run gives the same bytes (SOURCE_DATE_EPOCH fixes the timestamp).
"$PROVENANT" sbom generate "$SAMPLE" --format cyclonedx-json -o again.cdx.json
cmp sample.cdx.json again.cdx.json && echo "two runs: byte-identical CycloneDX"
# The independent validators, where they are installed.
oracles=${PROVENANT_ORACLES:-}
if [ -n "$oracles" ] && [ -x "$oracles/venvs/sbom/bin/python" ]; then
  "$oracles/venvs/sbom/bin/python" "$HARNESS/validate_cdx.py" sample.cdx.json
  "$oracles/venvs/sbom/bin/pyspdxtools" -i sample.spdx.json && echo "VALID SPDX 2.3 (pyspdxtools)"
fi
python3 -c 'import json,sys; d=json.load(open("sample.cdx.json")); c=d["metadata"]["component"]; print("root:", c["name"], c["hashes"][0]["alg"], c["hashes"][0]["content"]); print("components:", len(d.get("components", [])))'
# Converted to SPDX, the CycloneDX document is what `generate` writes as SPDX.
"$PROVENANT" sbom convert sample.cdx.json --format spdx-json -o converted.spdx.json
cmp converted.spdx.json sample.spdx.json && echo "CycloneDX -> SPDX conversion: byte-identical to the generated SPDX"
# Signed as an in-toto statement about the project's tree digest (release.key from the keys stage), and
# verified by that digest.
if [ -f release.key ]; then
  export COSIGN_PASSWORD=demo-password
  "$PROVENANT" sbom attest "$SAMPLE" --key release.key --bundle sample.sbom.sigstore.json
  tree=$("$PROVENANT" digest "$SAMPLE" | awk '{print $1}')
  "$PROVENANT" verify-attestation "$tree" --bundle sample.sbom.sigstore.json --key release.pub \
    --insecure-ignore-tlog --type https://cyclonedx.org/bom >/dev/null && echo "SBOM attestation of $tree: verified"
fi
