#!/usr/bin/env bash
# Regenerates the lockfile fixtures in this directory with the real package managers, and writes next to
# each one the ground truth (`expected.txt`: one `type name version` line per package the tool itself
# reports as installed/resolved), which the cataloger accuracy tests compare against.
#
# Needs network access to crates.io, npm and PyPI. Usage: testdata/sbom/make-fixtures.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

# --- Rust: Cargo.lock v4 (current cargo) and v3 (a workspace with a path member) ---
rm -rf cargo-v4 cargo-v3
mkdir -p cargo-v4/src cargo-v3/app/src cargo-v3/util/src
cat > cargo-v4/Cargo.toml <<'T'
[package]
name = "fixture-app"
version = "0.3.1"
edition = "2021"
license = "Apache-2.0"

[dependencies]
serde = { version = "=1.0.200", features = ["derive"] }
itoa = "=1.0.11"

# Not part of the enclosing repository's workspace.
[workspace]
T
echo 'fn main() {}' > cargo-v4/src/main.rs
(cd cargo-v4 && cargo generate-lockfile --quiet)
cat > cargo-v3/Cargo.toml <<'T'
[workspace]
members = ["app", "util"]
resolver = "2"
T
cat > cargo-v3/app/Cargo.toml <<'T'
[package]
name = "ws-app"
version = "1.2.0"
edition = "2021"

[dependencies]
ws-util = { path = "../util" }
hex = "=0.4.3"
T
cat > cargo-v3/util/Cargo.toml <<'T'
[package]
name = "ws-util"
version = "0.1.0"
edition = "2021"

[dependencies]
memchr = "=2.7.4"
T
echo 'fn main() {}' > cargo-v3/app/src/main.rs
echo '' > cargo-v3/util/src/lib.rs
(cd cargo-v3 && cargo generate-lockfile --quiet)
# cargo writes v4 today; rewrite the version marker to v3 (the two differ only in that marker and in
# how git sources are encoded, and this fixture has none).
sed -i 's/^version = 4$/version = 3/' cargo-v3/Cargo.lock
for d in cargo-v4 cargo-v3; do
  (cd "$d" && cargo metadata --format-version 1 --locked --quiet |
    python3 -c 'import json,sys; m=json.load(sys.stdin); [print("cargo", p["name"], p["version"]) for p in m["packages"] if p["source"]]' |
    sort -u > expected.txt)
done

# --- JavaScript: package-lock.json v1, v2 and v3 from the same package.json ---
for v in 1 2 3; do
  rm -rf "npm-v$v"; mkdir -p "npm-v$v"
  cat > "npm-v$v/package.json" <<'T'
{
  "name": "fixture-web",
  "version": "2.0.0",
  "license": "MIT",
  "dependencies": { "express": "4.19.2", "@babel/code-frame": "7.24.7" },
  "devDependencies": { "is-number": "7.0.0" }
}
T
  if [ "$v" = 1 ]; then
    # npm 7+ cannot write v1; v1 is what npm 6 wrote. Produce it with npm 6 from the registry.
    (cd "npm-v$v" && npx --yes npm@6 install --package-lock-only --no-audit --no-fund --ignore-scripts --silent)
  else
    (cd "npm-v$v" && npm install --package-lock-only --lockfile-version "$v" --no-audit --no-fund --ignore-scripts --silent)
  fi
done
# Ground truth: npm's own resolution (v3 lock), every installed package with its version.
(cd npm-v3 && node -e '
const l=require("./package-lock.json"); const out=new Set();
for (const [p,m] of Object.entries(l.packages)) { if (!p) continue;
  const name=m.name || p.slice(p.lastIndexOf("node_modules/")+13); out.add(`npm ${name} ${m.version}`); }
console.log([...out].sort().join("\n"));' > expected.txt)
cp npm-v3/expected.txt npm-v2/expected.txt
cp npm-v3/expected.txt npm-v1/expected.txt

# --- Python: requirements.txt pinned with hashes (pip's own resolution), site-packages dist-info ---
rm -rf pip-req pip-site; mkdir -p pip-req pip-site
python3 -m venv --without-pip pip-site/.venv-tmp 2>/dev/null || true
rm -rf pip-site/.venv-tmp
pip download --quiet --no-deps --only-binary=:all: -d pip-req/.dl requests==2.32.3 idna==3.7 urllib3==2.2.2 certifi==2024.7.4 charset-normalizer==3.3.2 --python-version 3.12 --platform manylinux2014_x86_64 --implementation cp --abi cp312 >/dev/null
{
  echo "# pinned by make-fixtures.sh with the hashes of the downloaded wheels"
  for spec in requests==2.32.3 idna==3.7 urllib3==2.2.2 certifi==2024.7.4 charset-normalizer==3.3.2; do
    name="${spec%%==*}"; norm="$(echo "$name" | tr '-' '_')"
    whl="$(ls pip-req/.dl | grep -i "^${norm}-" | head -1)"
    h="$(sha256sum "pip-req/.dl/$whl" | cut -d' ' -f1)"
    echo "$spec \\"
    echo "    --hash=sha256:$h"
  done
} > pip-req/requirements.txt
# Only the pure-Python wheels install on any host; charset-normalizer stays in requirements.txt only.
pip install --quiet --no-deps --no-compile --target pip-site/site-packages pip-req/.dl/*-none-any.whl
rm -rf pip-req/.dl
# Strip byte code and binaries to keep the fixture small: the catalogers read only the dist-info.
find pip-site/site-packages -mindepth 1 -maxdepth 1 ! -name '*.dist-info' -exec rm -rf {} +
printf 'pypi %s\n' "certifi 2024.7.4" "charset-normalizer 3.3.2" "idna 3.7" "requests 2.32.3" "urllib3 2.2.2" | sort > pip-req/expected.txt
# Ground truth for site-packages: pip's own listing of what is installed there.
pip list --path pip-site/site-packages --format freeze | awk -F== '{print "pypi", tolower($1), $2}' | sort > pip-site/expected.txt

# --- Python: uv.lock (needs uv on PATH, e.g. `pip install uv`), uv's own export as ground truth ---
rm -rf uv-lock; mkdir -p uv-lock
cat > uv-lock/pyproject.toml <<'T'
[project]
name = "fixture-uv"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["requests==2.32.3", "attrs==24.2.0"]

[dependency-groups]
dev = ["iniconfig==2.0.0"]
T
(cd uv-lock && uv lock -q &&
  uv export -q --format requirements-txt --no-hashes --all-groups --no-emit-project |
    awk -F'[ =;]+' '/^[a-zA-Z]/ {print "pypi", $1, $2}' | sort -u > expected.txt)

# --- Debian: this machine's dpkg status database, with dpkg-query as ground truth ---
rm -rf dpkg; mkdir -p dpkg/var/lib/dpkg
cp /var/lib/dpkg/status dpkg/var/lib/dpkg/status
dpkg-query -W -f '${db:Status-Status} deb ${Package} ${Version}\n' | awk '$1=="installed"{print $2, $3, $4}' | sort -u > dpkg/expected.txt

echo "fixtures regenerated in $here"
