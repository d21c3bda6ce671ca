#!/usr/bin/env bash
# Seeds the fuzz corpora (git-ignored) from the third-party vectors beside the repository.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VECTORS=${PROVENANT_VECTORS:-$HERE/../../shared/vectors}
mkdir -p "$HERE/corpus/sigstore_bundle" "$HERE/corpus/sigstore_trusted_root"
i=0
while IFS= read -r -d '' f; do
  i=$((i + 1)); cp "$f" "$HERE/corpus/sigstore_bundle/seed-$i"
done < <(find "$VECTORS/sigstore-conformance" "$VECTORS/sigstore-python" "$VECTORS/sigstore-go" \
  \( -name '*.sigstore*' -o -name 'bundle*.json' \) -type f -print0)
while IFS= read -r -d '' f; do
  i=$((i + 1)); cp "$f" "$HERE/corpus/sigstore_trusted_root/seed-$i"
done < <(find "$VECTORS/sigstore-conformance" "$VECTORS/sigstore-python" "$VECTORS/sigstore-go" \
  \( -name '*trusted*root*.json' -o -name 'trustedroot*.json' -o -name 'trust_config.json' \) -type f -print0)
# Statements, DSSE envelopes and key files for the attest_* and keys_* targets.
mkdir -p "$HERE/corpus/attest_statement" "$HERE/corpus/attest_dsse" "$HERE/corpus/keys_cosign"
python3 - "$VECTORS" "$HERE/corpus" <<'PY'
import json, os, sys
vectors, corpus = sys.argv[1], sys.argv[2]
n = 0
def put(target, data):
    global n
    n += 1
    with open(os.path.join(corpus, target, f"seed-{n}"), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
for case in json.load(open(os.path.join(vectors, "in-toto-attestation/validator_vectors.json")))["cases"]:
    put("attest_statement", case["input_raw"])
dsse = json.load(open(os.path.join(vectors, "dsse/dsse_vectors.json")))
for case in dsse["envelope_cases"]:
    put("attest_dsse", json.dumps(case["envelope"]))
put("keys_cosign", dsse["key"]["public_key_pem"])
put("keys_cosign", dsse["key"]["private_key_pkcs8_pem"])
keys = os.path.join(vectors, "cosign-keys")
for name in sorted(os.listdir(keys)):
    data = open(os.path.join(keys, name), "rb").read()
    put("keys_cosign", data)
    if b"ENCRYPTED SIGSTORE PRIVATE KEY" in data:
        import base64
        body = b"".join(l for l in data.splitlines() if not l.startswith(b"-----"))
        put("keys_cosign", base64.b64decode(body))
print(f"seeded {n} statement, envelope and key files")
PY
echo "seeded $i files"
