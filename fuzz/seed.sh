#!/usr/bin/env bash
# Seeds every fuzz corpus (git-ignored, under fuzz/corpus/<target>) from the third-party vectors beside
# the repository (../shared/vectors, or PROVENANT_VECTORS) and from the repository's testdata/.
# Targets whose first input byte selects a parser get seeds prefixed with that byte.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
VECTORS=${PROVENANT_VECTORS:-$ROOT/../shared/vectors}
[ -d "$VECTORS" ] || { echo "no vectors at $VECTORS (set PROVENANT_VECTORS)" >&2; exit 2; }
CORPUS="$HERE/corpus"
exec python3 - "$VECTORS" "$ROOT" "$CORPUS" <<'PY'
import base64, hashlib, json, pathlib, sys

vectors, root, corpus = (pathlib.Path(p) for p in sys.argv[1:4])
targets = {f.stem for f in (root / "fuzz" / "fuzz_targets").glob("*.rs")}
counts = {}

def put(target, data, prefix=None):
    if target not in targets:
        return
    if isinstance(data, str):
        data = data.encode()
    if prefix is not None:
        data = bytes([prefix]) + data
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("seed-" + hashlib.sha256(data).hexdigest()[:16])).write_bytes(data)
    counts[target] = counts.get(target, 0) + 1

def files(base, *patterns):
    base = vectors / base if not str(base).startswith("/") else pathlib.Path(base)
    for pattern in patterns:
        for f in sorted(base.rglob(pattern)):
            if f.is_file() and f.stat().st_size < 4 << 20:
                yield f

def load(f):
    try:
        return json.loads(f.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return None

def walk(v):
    yield v
    if isinstance(v, dict):
        for x in v.values():
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)

# sigstore bundles, trusted roots, DSSE envelopes and the statements they carry.
SIGSTORE = ("sigstore-conformance", "sigstore-python", "sigstore-go")
statements = []
for base in SIGSTORE:
    for f in files(base, "*.sigstore*", "bundle*.json"):
        put("sigstore_bundle", f.read_bytes())
        put("ledger_entry", f.read_bytes())
        doc = load(f)
        env = doc.get("dsseEnvelope") if isinstance(doc, dict) else None
        if isinstance(env, dict):
            put("dsse_envelope", json.dumps(env), 0)
            try:
                statements.append(base64.b64decode(env.get("payload", "")))
            except ValueError:
                pass
    for f in files(base, "*trusted*root*.json", "trustedroot*.json", "trust_config.json"):
        put("sigstore_trusted_root", f.read_bytes())
# Ambiguous bundles (a second dsseEnvelope, a duplicate member deeper down, both dsseEnvelope and
# messageSignature, an unknown top-level member), written member by member since json merges duplicates.
def members(pairs):
    return "{" + ",".join(json.dumps(k) + ":" + json.dumps(v) for k, v in pairs) + "}"
happy = vectors / "sigstore-conformance/test/assets/bundle-verify"
dsse_bundle = load(happy / "happy-path-intoto-in-dsse-v3/bundle.sigstore.json")
sig_bundle = load(happy / "happy-path-v0.3/bundle.sigstore.json")
if dsse_bundle and sig_bundle:
    head = [("mediaType", dsse_bundle["mediaType"]), ("verificationMaterial", dsse_bundle["verificationMaterial"])]
    env = dsse_bundle["dsseEnvelope"]
    put("sigstore_bundle", members(head + [("dsseEnvelope", dict(env, payload="e30=")), ("dsseEnvelope", env)]))
    put("sigstore_bundle", json.dumps(dsse_bundle).replace('"payloadType":', '"payloadType": "text/plain", "payloadType":', 1))
    put("sigstore_bundle", members(head + [("dsseEnvelope", env), ("messageSignature", sig_bundle["messageSignature"])]))
    put("sigstore_bundle", members(head + [("dsseEnvelope", env), ("extension", {})]))
# cosign attestations logged as Rekor intoto/0.0.1 entries (the SLSA generator's container images).
for index in (vectors / "slsa-verifier").glob("cli/slsa-verifier/testdata/gha_generic_container/*/container_workflow_dispatch/index.json"):
    blobs = index.parent / "blobs" / "sha256"
    for m in (load(index) or {}).get("manifests", []):
        if m.get("annotations", {}).get("kind") != "dev.cosignproject.cosign/atts":
            continue
        for layer in (load(blobs / m["digest"].split(":")[1]) or {}).get("layers", []):
            a = layer.get("annotations", {})
            try:
                cert = base64.b64decode("".join(l for l in a["dev.sigstore.cosign/certificate"].splitlines() if not l.startswith("-----")))
                body = json.loads(a["dev.sigstore.cosign/bundle"])["Payload"]["body"].encode()
            except (KeyError, ValueError):
                continue
            envelope = (blobs / layer["digest"].split(":")[1]).read_bytes()
            if len(envelope) < 65536 and len(cert) < 65536:
                put("sigstore_intoto_v001", len(envelope).to_bytes(2, "big") + len(cert).to_bytes(2, "big") + envelope + cert + body)
dsse = load(vectors / "dsse" / "dsse_vectors.json") or {}
for v in walk(dsse):
    if isinstance(v, dict) and "payloadType" in v and "signatures" in v:
        put("dsse_envelope", json.dumps(v), 0)
        put("attest_dsse", json.dumps(v))
        try:
            statements.append(base64.b64decode(v.get("payload", "")))
        except ValueError:
            pass

# in-toto statements (also signed, as DSSE payloads past the signature check).
for f in files("in-toto-attestation", "*.json"):
    doc = load(f)
    for v in walk(doc):
        if isinstance(v, dict) and "_type" in v:
            statements.append(json.dumps(v).encode())
validator = load(vectors / "in-toto-attestation" / "validator_vectors.json") or {}
for case in validator.get("cases", []):
    if isinstance(case, dict) and isinstance(case.get("input_raw"), str):
        statements.append(case["input_raw"].encode())
for s in statements:
    put("intoto_statement", s)
    put("attest_statement", s)
    put("dsse_envelope", s, 1)

# SLSA predicates and VSAs from slsa-verifier's DSSE envelopes, and the in-toto examples.
for f in files("slsa-verifier", "*.intoto*", "*.jsonl", "*.json"):
    for line in f.read_bytes().splitlines():
        try:
            v = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            continue
        for env in walk(v):
            if isinstance(env, dict) and isinstance(env.get("payload"), str):
                try:
                    st = json.loads(base64.b64decode(env["payload"]))
                except (ValueError, UnicodeDecodeError):
                    continue
                if isinstance(st, dict) and "predicate" in st:
                    put("slsa_predicate", json.dumps(st["predicate"]))
                    put("intoto_statement", json.dumps(st))
for s in statements:
    try:
        st = json.loads(s)
    except (ValueError, UnicodeDecodeError):
        continue
    if isinstance(st, dict) and "predicate" in st:
        put("slsa_predicate", json.dumps(st["predicate"]))

# npm attestation sets (selector 0), a keys.json built from the sets' key hints (selector 1) and a version
# document with registry signatures (selector 2).
for f in files("slsa-verifier", "*.tgz.json"):
    put("npm_attestations", f.read_bytes(), 0)
put("npm_attestations", json.dumps({"keys": [{"keyId": "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA",
    "keyUsage": "npm:attestations", "publicKey": {"rawBytes": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i6UPp+IhuteBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg==",
    "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": {"start": "2022-12-01T00:00:00.000Z", "end": "2025-01-29T00:00:00.000Z"}}},
    {"keyid": "k", "key": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i6UPp+IhuteBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg==", "expires": None}]}), 1)
put("npm_attestations", json.dumps({"name": "sigstore", "version": "2.3.1", "dist": {
    "integrity": "sha512-8G+/XDU8wNsJOQS5ysDVO0Etg9/2uA5gR9l4ZwijjlwxBcrU6RPfwi2+jJmbP+Ap1Hlp/nVAaEO4Fj22/SL2gQ==",
    "signatures": [{"keyid": "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA", "sig": "MEUCIQD="}]}}), 2)

# PEP 740 provenance objects (even selector) and attestations (odd), from pypi-attestations' test assets
# when the harness has downloaded them.
oracles = pathlib.Path(__import__("os").environ.get("PROVENANT_ORACLES", root / ".oracles"))
for f in sorted((oracles / "fixtures" / "pypi-attestations").glob("*.provenance")):
    put("pypi_attestations", f.read_bytes(), 0)
for f in sorted((oracles / "fixtures" / "pypi-attestations").glob("*.attestation")):
    put("pypi_attestations", f.read_bytes(), 1)

# Key files: cosign encrypted keys, PEM keys and certificates.
for f in files("cosign-keys", "*.key"):
    put("key_files", f.read_bytes(), 4)
    put("keys_cosign", f.read_bytes())
    body = b"".join(l for l in f.read_bytes().splitlines() if not l.startswith(b"-----"))
    try:
        put("keys_cosign", base64.b64decode(body))
    except ValueError:
        pass
for base in ("cosign-keys", "slsa-verifier", "sigstore-go", "sigstore-python"):
    for f in files(base, "*.pem", "*.pub", "*.key"):
        data = f.read_bytes()
        put("key_files", data, 0)
        put("key_files", data, 2 if b"PRIVATE" in data else 3)
        put("keys_cosign", data)

# OCI manifests and indexes.
for f in files("oci-image-spec", "*.json"):
    doc = load(f)
    if isinstance(doc, dict) and ("manifests" in doc or "layers" in doc or "config" in doc):
        put("oci_manifest", f.read_bytes())
    for v in walk(doc):
        if isinstance(v, dict) and ("manifests" in v or "layers" in v) and v is not doc:
            put("oci_manifest", json.dumps(v))

# Checksum lists, both styles, from a few files.
lines = []
for f in list(files(root / "testdata", "*"))[:50]:
    data = f.read_bytes()
    lines.append(f"{hashlib.sha256(data).hexdigest()}  {f.name}\n")
    lines.append(f"sha512:{hashlib.sha512(data).hexdigest()}  {f.name}\n")
    lines.append(f"SHA256 ({f.name}) = {hashlib.sha256(data).hexdigest()}\n")
    lines.append(f"\\{hashlib.sha256(data).hexdigest()}  a\\\\b\\n{f.name}\n")
for i in range(0, len(lines), 8):
    put("digest_checklist", "".join(lines[i:i + 8]))

# SBOMs: CycloneDX and SPDX examples, and purls.
for base in ("cyclonedx-specification", "spdx-spec"):
    for f in files(base, "*.json"):
        doc = load(f)
        if isinstance(doc, dict) and ("bomFormat" in doc or "spdxVersion" in doc):
            put("sbom_validate", f.read_bytes())
for f in files("purl-spec", "*.json"):
    for v in walk(load(f)):
        if isinstance(v, str) and v.startswith("pkg:"):
            put("sbom_validate", v)

# Lockfiles, prefixed with the selector byte of catalog_lockfiles.
for f in files(root / "testdata" / "sbom", "*"):
    name, data = f.name, f.read_bytes()
    if name == "Cargo.lock":
        put("catalog_lockfiles", data, 0)
    elif name == "package-lock.json":
        put("catalog_lockfiles", data, 1)
    elif name.startswith("requirements") and name.endswith(".txt"):
        put("catalog_lockfiles", data, 3)
    elif name == "uv.lock":
        put("catalog_lockfiles", data, 4)
    elif name == "status":
        put("catalog_lockfiles", data, 5)
    elif name == "METADATA":
        put("catalog_lockfiles", data, 6)
    elif name == "pnpm-lock.yaml":
        put("catalog_lockfiles", data, 7)
    elif name == "yarn.lock":
        put("catalog_lockfiles", data, 8)
    elif name == "poetry.lock":
        put("catalog_lockfiles", data, 9)
        put("catalog_lockfiles", data, 10)
    elif data[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe") or data[:2] == b"MZ":
        put("catalog_executables", data)

# Hostile lockfiles: padding that once cost memory per line (TOML keeps a token for every blank and comment
# line), and nested flow collections that once cost quadratic time in the YAML scanner.
for selector, head in ((0, b"version = 4\n"), (9, b"[[package]]\nname = \"a\"\nversion = \"1\"\n"),
                       (4, b"version = 1\n"), (3, b"six==1.16.0\n")):
    put("catalog_lockfiles", head + b"\n#\n \n" * 20000, selector)
for unit in (b"[", b"{", b"[a 'b, ", b"{k: \"]]]}}\", v: ", b"[x#y, "):
    put("catalog_lockfiles", b"lockfileVersion: '9.0'\npackages:\n  x: " + unit * 2000, 7)
    put("catalog_lockfiles", b"__metadata:\n  version: 8\n\"a@npm:1\":\n  resolution: " + unit * 2000, 8)

# An ELF package note as Debian's systemd writes it, where this machine has one of its programs.
for program in ("/usr/bin/busctl", "/usr/bin/journalctl"):
    p = pathlib.Path(program)
    if p.is_file() and p.stat().st_size < 4 << 20:
        put("catalog_executables", p.read_bytes())
        put("archive_readers", p.read_bytes())

# Gzip streams of the repository's test data, at several levels, one of them in two members, each behind
# the selector byte of its chunk size (32 KiB to 256 KiB).
import gzip as gz
texts = [f.read_bytes() for f in sorted(files(root / "testdata" / "sbom", "*"))[:40]]
for selector, level in enumerate((1, 6, 9)):
    put("gzip_parallel", gz.compress(b"".join(texts), compresslevel=level, mtime=0), selector)
put("gzip_parallel", gz.compress(b"".join(texts[:10]), mtime=0) + gz.compress(b"".join(texts[10:]), mtime=0), 3)
# Zip archives of the repository's test data, stored and deflated, as jars and wheels arrive.
import io, zipfile
for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for i, t in enumerate(texts[:8]):
            z.writestr(zipfile.ZipInfo(f"META-INF/f{i}.txt", (1980, 1, 1, 0, 0, 0)), t[:4096], compress_type=method)
    put("archive_readers", buf.getvalue())
# Go build information in the pointer format (Go before 1.18), as the executables target wraps its input
# in a small ELF: a selector byte (class and byte order), then what follows the magic: pointer size, byte
# order flag, the two pointers, the two string headers and the strings, at addresses of that wrapper
# (the file mapped at 0x400000, the blob at offset 0x100).
for choice in range(4):
    wide, big = choice & 1, choice & 2
    width, order = (8 if wide else 4), ("big" if big else "little")
    at = lambda off: (0x400000 + 0x100 + off).to_bytes(width, order)
    size = lambda n: n.to_bytes(width, order)
    version = b"go1.16.15"
    modinfo = (b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6path\texample.com/x\n"
               b"mod\texample.com/x\t(devel)\t\ndep\texample.com/a\tv1.0.0\t"
               b"h1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n=>\texample.com/b\tv1.0.1\t\n"
               b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2")
    tail = (bytes([width, 1 if big else 0]) + at(32) + at(48)).ljust(32 - 14, b"\0")
    tail = (tail + at(64) + size(len(version))).ljust(48 - 14, b"\0")
    tail = (tail + at(96) + size(len(modinfo))).ljust(64 - 14, b"\0")
    tail = (tail + version).ljust(96 - 14, b"\0") + modinfo
    put("catalog_executables", tail, choice)

# Quality-gate evidence: the documented report fixtures.
for f in sorted((root / "crates" / "provenant-findings" / "tests" / "fixtures" / "documented").glob("*")):
    put("findings_read", f.read_bytes())

# gitleaks configurations: gitleaks' own (whole, and each rule on its own), Go patterns translated too.
for f in files("gitleaks", "*.toml"):
    data = f.read_bytes()
    put("scan_gitleaks_config", data, 1)
    for part in data.split(b"[[rules]]")[1:60]:
        put("scan_gitleaks_config", b"[[rules]]" + part, 0)
# Encoded secrets for the default rules, decoded up to depth 5 (mode 2 | 5 << 2).
_token = b"token: ghp_9fKq2LmXv7RtB4nWz8YcJ3sHd6GpA1eUo5Qi"
for _text in [base64.b64encode(_token), base64.b64encode(base64.b64encode(_token)), _token.hex().encode(),
              b"".join(b"%%%02X" % c for c in _token), b"".join(b"\\u%04x" % c for c in _token)]:
    put("scan_gitleaks_config", b"x = " + _text + b"\n", 2 | 5 << 2)

# Ledger entries whose terms are indexed: an SBOM, a vulnerability statement, a gate decision, a provenance.
for predicate_type, predicate in [
    ("https://cyclonedx.org/bom", {"components": [{"purl": "pkg:npm/lodash@4.17.20", "components": [{"purl": "pkg:npm/a@1.0.0"}]}]}),
    ("https://spdx.dev/Document", {"packages": [{"externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:pypi/django@4.2"}]}]}),
    ("https://in-toto.io/attestation/vulns/v0.2", {"scanner": {"result": [{"id": "CVE-2021-23337"}]}}),
    ("https://provenant.dev/attestation/gate-decision/v1", {"gates": [{"findings": [{"rule": "GHSA-35jh-r3h4-6jhm"}]}], "backlog": []}),
    ("https://slsa.dev/provenance/v1", {"buildDefinition": {"resolvedDependencies": [{"digest": {"sha256": "ab" * 32}}]}}),
]:
    put("ledger_entry", json.dumps({"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "a", "digest": {"sha256": "cd" * 32}}], "predicateType": predicate_type, "predicate": predicate}))
# Pipeline files: a stamp and recorded parameters before each CI system's template skeleton.
for f in sorted((root / "crates" / "provenant-templates" / "templates").glob("*.yml")):
    stamp = b"# provenant-template: container-" + f.stem.encode() + b"@1.0.0\n# provenant-parameter: name=shop\n"
    put("templates_drift", stamp + f.read_bytes())
# AdmissionReview requests: a Pod and every pod-template kind, CREATE, UPDATE and DELETE.
pod = {"containers": [{"name": "app", "image": "registry.example/app@sha256:" + "a" * 64}],
       "initContainers": [{"name": "init", "image": "registry.example/init:1"}],
       "ephemeralContainers": [{"name": "debug", "image": "busybox"}]}
tpl = {"metadata": {"labels": {"app": "x"}}, "spec": pod}
sel = {"matchLabels": {"app": "x"}}
kinds = [("", "Pod", "pods", pod), ("", "ReplicationController", "replicationcontrollers", {"template": tpl}),
         ("apps", "Deployment", "deployments", {"selector": sel, "template": tpl}),
         ("apps", "ReplicaSet", "replicasets", {"selector": sel, "template": tpl}),
         ("apps", "StatefulSet", "statefulsets", {"selector": sel, "serviceName": "s", "template": tpl}),
         ("apps", "DaemonSet", "daemonsets", {"selector": sel, "template": tpl}),
         ("batch", "Job", "jobs", {"template": tpl}),
         ("batch", "CronJob", "cronjobs", {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": tpl}}})]
for group, kind, resource, spec in kinds:
    for op in ("CREATE", "UPDATE", "DELETE"):
        gvk = {"group": group, "version": "v1", "kind": kind}
        obj = None if op == "DELETE" else {"apiVersion": (group + "/v1").lstrip("/"), "kind": kind,
                                           "metadata": {"name": "x"}, "spec": spec}
        put("admission_review", json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u-" + kind, "kind": gvk, "resource": {"group": group, "version": "v1",
            "resource": resource}, "namespace": "prod", "operation": op,
            "userInfo": {"username": "u"}, "object": obj, "oldObject": None}}))
# Environments files: two environments with every option.
put("env_environments", b"version: 1\nroles: roles.yaml\nenvironments:\n  - {name: dev, repository: r/dev, promote_roles: [ci], trigger: on-commit, requires: {provenance: {role: ci}}}\n  - {name: prod, repository: r/prod, promote_roles: [ci], trigger: on-approval, requires: {gate_decision: {role: ci, max_age: 7d}, approvals: {roles: [release-manager], count: 2}, change_windows: [{days: [fri], start: '22:00', end: '02:00'}, {from: 2026-12-01T09:00:00Z, until: 2026-12-01T12:00:00Z}]}}\n")
# Prometheus instant-query answers: each result type, missing values and an error envelope.
for answer in [
    '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1435781451.781,"0.25"]}]}}',
    '{"status":"success","data":{"resultType":"vector","result":[]}}',
    '{"status":"success","data":{"resultType":"scalar","result":[1435781451.781,"NaN"]}}',
    '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"2"]]}]}}',
    '{"status":"error","errorType":"bad_data","error":"parse error"}',
]:
    put("deploy_prometheus", answer)
# The source stage: Conventional Commits messages (the specification's examples), allowed-signers lines,
# CODEOWNERS (GitHub's documented patterns), GitHub reviews and teams, and this repository's own history.
for m in ["feat: allow provided config object to extend other configs\n\nBREAKING CHANGE: `extends` key\n",
          "feat(api)!: send an email\n", "fix: prevent racing\n\nbody\n\nReviewed-by: Z\nRefs: #123\n",
          "chore!: drop Node 6\n\nBREAKING-CHANGE: use new features\n", "feat(a(b)): x", "feat:x"]:
    put("source_inputs", m, 0)
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGr7PwIVrR7XaRdnEytKSnsl6g5R2AuHDP3dSEE2H8dy"
for line in [f"alice@example.com {KEY}\n", f"*@example.com,!bob@example.com namespaces=\"git,file\",valid-after=20240101,valid-before=202501011230Z {KEY} c\n",
             f"a@b cert-authority {KEY}\n", "# comment\n\n\"unterminated\n"]:
    put("source_inputs", line, 1)
for text in ["*       @global-owner1 @global-owner2\n*.js    @js-owner #inline\n/build/logs/ @doctocat\ndocs/*  docs@example.com\napps/ @octocat\n**/logs @octocat\n/apps/github\n",
             "!*.md @a\n", "*.[ch] @a\n", "/docs/**/*.md @org/team\n"]:
    put("source_inputs", text, 2)
put("source_inputs", '[{"id":1,"user":{"login":"a"},"state":"APPROVED","commit_id":"0000000000000000000000000000000000000000","submitted_at":"2024-01-01T00:00:00Z"},{"id":2,"user":null,"state":"COMMENTED"}]', 3)
put("source_inputs", '{"@org/team": ["a", "@b"], "docs@example.com": ["c"]}', 4)

for target in sorted(counts):
    print(f"{target}: {counts[target]} seeds")
PY
