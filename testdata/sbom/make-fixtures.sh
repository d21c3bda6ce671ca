#!/usr/bin/env bash
# Regenerates the lockfile fixtures in this directory with the real package managers, and writes next to
# each one the ground truth (`expected.txt`: one `type name version` line per package the tool itself
# reports as installed/resolved), which the cataloger accuracy tests compare against.
#
# Needs network access to crates.io, npm and PyPI, and these tools: cargo, cargo-auditable, npm/npx, pip, uv,
# poetry, pipenv, go, a JDK (`jar`), unzip, bundler (with ruby-rack and ruby-rack-test installed), composer
# with php-zip, dpkg. Usage: testdata/sbom/make-fixtures.sh
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
# pip records where each wheel came from; keep the fixture free of this machine's paths.
sed -i "s|file://$PWD/pip-req/|file:///src/pip-req/|" pip-site/site-packages/*.dist-info/direct_url.json
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

# --- JavaScript: yarn.lock classic (v1) and berry, pnpm-lock.yaml v6 (pnpm 8) and v9 (pnpm 9), and an
# installed node_modules tree (yarn classic's install, reduced to the package.json files a cataloger reads).
# All resolve the npm fixtures' package.json. Ground truth: each tool's own listing.
js_pkg="$(cat npm-v3/package.json)"
rm -rf yarn-v1 yarn-berry pnpm-v6 pnpm-v9 node-modules
mkdir -p yarn-v1 yarn-berry pnpm-v6 pnpm-v9 node-modules
for d in yarn-v1 yarn-berry pnpm-v6 pnpm-v9 node-modules; do echo "$js_pkg" > "$d/package.json"; done
work="$(mktemp -d)"
# yarn classic: a real install, listed by npm ls (an independent reader of node_modules).
cp yarn-v1/package.json "$work/"
(cd "$work" && npx --yes yarn@1.22.22 install --ignore-scripts --no-progress --non-interactive --registry https://registry.npmjs.org >/dev/null)
cp "$work/yarn.lock" yarn-v1/
(cd "$work" && npm ls --all --parseable --long 2>/dev/null | tail -n +2 | sed 's/.*://' |
  sed -E 's/^(@?[^@]+)@(.*)$/npm \1 \2/' | sort -u) > yarn-v1/expected.txt
(cd "$work" && find node_modules -name package.json -not -path '*/node_modules/*/*/*/*' | while read -r f; do
  # only each installed package's own manifest (node_modules/x/package.json, node_modules/@s/x/package.json,
  # and nested node_modules/.../node_modules/x/package.json)
  case "$f" in */node_modules/.*) continue;; esac
  rel="${f#node_modules/}"; dir="${rel%/package.json}"
  if [[ "$dir" =~ ^(@[^/]+/)?[^/@]+(/node_modules/(@[^/]+/)?[^/]+)*$ ]]; then
    mkdir -p "$here/node-modules/node_modules/$dir"; cp "$f" "$here/node-modules/node_modules/$dir/package.json"
  fi
done)
cp yarn-v1/expected.txt node-modules/expected.txt
# yarn berry (4.x), lockfile only, listed by `yarn info --all --recursive`.
rm -rf "$work"; work="$(mktemp -d)"
cp yarn-berry/package.json "$work/"
printf 'npmRegistryServer: "https://registry.npmjs.org"\nenableTelemetry: false\nnodeLinker: node-modules\nenableGlobalCache: false\n' > "$work/.yarnrc.yml"
touch "$work/yarn.lock"
(cd "$work" && npx --yes -p @yarnpkg/cli-dist@4.5.3 yarn install --mode=update-lockfile >/dev/null &&
  npx --yes -p @yarnpkg/cli-dist@4.5.3 yarn info --all --recursive --json |
  node -e 'const l=require("fs").readFileSync(0,"utf8").trim().split("\n");
    for (const x of l) { const v=JSON.parse(x).value; const i=v.lastIndexOf("@npm:"); if (i>0) console.log(`npm ${v.slice(0,i)} ${v.slice(i+5)}`); }' |
  sort -u) > yarn-berry/expected.txt
cp "$work/yarn.lock" yarn-berry/
# pnpm 8 writes lockfile 6.0, pnpm 9 writes 9.0; ground truth from a real install listed by `pnpm list`.
for v in 6:8.15.9 9:9.15.0; do
  d="pnpm-v${v%%:*}"; ver="${v#*:}"
  rm -rf "$work"; work="$(mktemp -d)"
  cp "$d/package.json" "$work/"
  (cd "$work" && npx --yes "pnpm@$ver" install --ignore-scripts --reporter silent >/dev/null &&
    npx --yes "pnpm@$ver" list --depth Infinity --json |
    node -e 'const t=JSON.parse(require("fs").readFileSync(0,"utf8")); const out=new Set();
      const walk=(deps)=>{ for (const [k,m] of Object.entries(deps||{})) { out.add(`npm ${m.from||k} ${m.version}`); walk(m.dependencies); } };
      for (const p of t) { walk(p.dependencies); walk(p.devDependencies); walk(p.optionalDependencies); }
      console.log([...out].sort().join("\n"));' | sort -u) > "$d/expected.txt"
  cp "$work/pnpm-lock.yaml" "$d/"
done
rm -rf "$work"

# --- Python: poetry.lock (poetry 2.x) and Pipfile.lock (pipenv), with each tool's own listing as ground
# truth. Needs `pip install poetry pipenv`. The simple index is named explicitly because poetry otherwise
# asks PyPI's JSON API, which mirrors do not always serve.
rm -rf poetry-lock pipfile-lock; mkdir -p poetry-lock pipfile-lock
cat > poetry-lock/pyproject.toml <<'T'
[tool.poetry]
name = "fixture-poetry"
version = "0.1.0"
description = ""
authors = ["Fixture <fixture@example.org>"]
package-mode = false

[tool.poetry.dependencies]
python = "^3.9"
requests = "2.32.3"
attrs = "24.2.0"

[tool.poetry.group.dev.dependencies]
iniconfig = "2.0.0"

[[tool.poetry.source]]
name = "pypi-simple"
url = "https://pypi.org/simple/"
priority = "primary"
T
(cd poetry-lock && poetry lock -n >/dev/null &&
  poetry show --all --no-ansi | sed 's/(!)//' | awk '{print "pypi", $1, $2}' | sort -u > expected.txt)
cat > pipfile-lock/Pipfile <<'T'
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
requests = "==2.32.3"
attrs = "==24.2.0"

[dev-packages]
iniconfig = "==2.0.0"
T
(cd pipfile-lock && PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1 pipenv lock >/dev/null 2>&1 &&
  pipenv requirements --dev | awk -F'[=;]+' '/^[a-zA-Z]/ {gsub(/ /,"",$1); print "pypi", $1, $2}' | sort -u > expected.txt &&
  rm -rf .venv)

# --- Go: go.mod/go.sum written by `go mod tidy`, and a binary built by `go build` carrying the build
# information. The two dependency modules are served from a file:// module proxy built here (the Go
# toolchain computes and records their real h1: hashes); needs `go` (Debian: golang-go).
rm -rf go-mod go-bin go-bin-cross; mkdir -p go-mod go-bin go-bin-cross
work="$(mktemp -d)"
python3 - "$work/proxy" <<'PY'
import os, sys, zipfile
root = sys.argv[1]
mods = {
    ("example.com/words", "v0.3.1"): ("module example.com/words\n\ngo 1.19\n",
        {"words.go": "package words\n\nfunc Hello() string { return \"hello\" }\n"}),
    ("example.com/greet", "v1.2.0"): ("module example.com/greet\n\ngo 1.19\n\nrequire example.com/words v0.3.1\n",
        {"greet.go": "package greet\n\nimport \"example.com/words\"\n\nfunc Greet(n string) string { return words.Hello() + \", \" + n }\n"}),
}
for (path, ver), (gomod, files) in mods.items():
    d = os.path.join(root, path, "@v"); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "list"), "a").write(ver + "\n")
    open(os.path.join(d, ver + ".info"), "w").write('{"Version":"%s","Time":"2024-01-01T00:00:00Z"}' % ver)
    open(os.path.join(d, ver + ".mod"), "w").write(gomod)
    with zipfile.ZipFile(os.path.join(d, ver + ".zip"), "w") as z:
        z.writestr(f"{path}@{ver}/go.mod", gomod)
        for n, t in files.items():
            z.writestr(f"{path}@{ver}/{n}", t)
PY
mkdir -p "$work/app"
printf 'module example.com/hello\n\ngo 1.19\n\nrequire example.com/greet v1.2.0\n' > "$work/app/go.mod"
printf 'package main\n\nimport "example.com/greet"\n\nfunc main() { println(greet.Greet("world")) }\n' > "$work/app/main.go"
export GOPROXY="file://$work/proxy" GOSUMDB=off GOFLAGS=-mod=mod GOPATH="$work/gopath" GOCACHE="$work/cache"
(cd "$work/app" && go mod tidy && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o hello . &&
  GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o hello.exe . &&
  GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o hello-darwin . &&
  go list -m -f '{{if not .Main}}golang {{.Path}} {{.Version}}{{end}}' all | sed '/^$/d' | sort -u > expected.txt)
cp "$work/app/go.mod" "$work/app/go.sum" "$work/app/main.go" "$work/app/expected.txt" go-mod/
cp "$work/app/hello" go-bin/hello
# The same program cross-built as a Windows PE and a macOS Mach-O executable.
cp "$work/app/hello.exe" "$work/app/hello-darwin" go-bin-cross/
# Ground truth for the binary: what `go version -m` reads from it.
# The first line names the toolchain (`go-bin/hello: go1.19.8`): the standard library, as syft reports it;
# the main module (`mod`) is listed with its version, `(devel)` for a build in a work tree, as syft lists it.
go version -m go-bin/hello | awk 'NR==1 {sub(/^go/, "", $2); print "golang stdlib", $2} $1=="dep" || $1=="mod" {print "golang", $2, $3}' \
  | sort -u > go-bin/expected.txt
for f in go-bin-cross/hello.exe go-bin-cross/hello-darwin; do go version -m "$f"; done |
  awk 'NR==1 {sub(/^go/, "", $2); print "golang stdlib", $2} $1=="dep" || $1=="mod" {print "golang", $2, $3}' |
  sort -u > go-bin-cross/expected.txt
chmod -R u+w "$work"; rm -rf "$work"
unset GOPROXY GOSUMDB GOFLAGS GOPATH GOCACHE

# --- Rust binary built with cargo-auditable (`cargo install cargo-auditable`), which embeds the dependency
# list in the `.dep-v0` section; ground truth from `cargo tree` over the same lockfile.
rm -rf cargo-auditable; mkdir -p cargo-auditable
work="$(mktemp -d)"
mkdir -p "$work/src"
cat > "$work/Cargo.toml" <<'T'
[package]
name = "audited-app"
version = "0.1.0"
edition = "2021"

[dependencies]
itoa = "=1.0.11"
hex = "=0.4.3"

[profile.release]
strip = true
opt-level = "s"

[workspace]
T
printf 'fn main() {\n    let mut b = itoa::Buffer::new();\n    println!("{} {}", b.format(42), hex::encode([1u8, 2]));\n}\n' > "$work/src/main.rs"
(cd "$work" && cargo auditable build --release --quiet &&
  cargo tree --edges normal,build --prefix none --format '{p}' | grep -v '(\*)' | grep -v '^audited-app ' |
  awk '{sub(/^v/, "", $2); print "cargo", $1, $2}' | sort -u > expected.txt)
cp "$work/target/release/audited-app" cargo-auditable/audited-app
cp "$work/expected.txt" cargo-auditable/
rm -rf "$work"

# --- Java archives: jars as Debian ships them (libcommons-cli-java, libjansi-java, libaopalliance-java;
# aopalliance's has a manifest but no pom.properties) and a .war written by the JDK's `jar` tool nesting
# two of them under WEB-INF/lib. Ground truth: the pom.properties files as `unzip` extracts them.
rm -rf java-jars; mkdir -p java-jars/lib
cp -L /usr/share/java/commons-cli.jar /usr/share/java/aopalliance.jar java-jars/lib/
work="$(mktemp -d)"; mkdir -p "$work/WEB-INF/lib"
cp -L /usr/share/java/commons-cli.jar /usr/share/java/jansi.jar "$work/WEB-INF/lib/"
printf '<web-app/>\n' > "$work/WEB-INF/web.xml"
(cd "$work" && jar --create --file "$here/java-jars/app.war" WEB-INF)
rm -rf "$work"
{
  for j in java-jars/lib/*.jar /usr/share/java/jansi.jar; do
    for p in $(unzip -Z1 "$j" 'META-INF/maven/*/pom.properties' 2>/dev/null); do
      unzip -p "$j" "$p" | awk -F= '/^groupId=/{g=$2} /^artifactId=/{a=$2} /^version=/{v=$2} END{print "maven", g ":" a, v}'
    done
  done
} | tr -d '\r' | sort -u > java-jars/expected.txt

# --- maven-pom/pom.xml and gradle-lock/gradle.lockfile are hand-written to the Maven POM 4.0.0 reference and
# Gradle's dependency-locking format (neither Maven Central nor a Gradle with locking is reachable here);
# they are not regenerated, and their expected.txt is written by hand.

# --- Ruby: Gemfile.lock from `bundle lock --local` (Debian: ruby-bundler, ruby-rack, ruby-rack-test), resolved
# against the gems installed on this machine, with a local PATH gem; ground truth from `bundle list`.
rm -rf gemfile-lock; mkdir -p gemfile-lock/mylib
cat > gemfile-lock/Gemfile <<'T'
source "https://rubygems.org"

gem "rack-test"
gem "rake"
gem "test-unit"
gem "mylib", path: "mylib"
T
cat > gemfile-lock/mylib/mylib.gemspec <<'T'
Gem::Specification.new do |s|
  s.name = "mylib"
  s.version = "0.1.0"
  s.summary = "fixture"
  s.authors = ["fixture"]
  s.files = []
  s.add_dependency "rack", ">= 2"
end
T
(cd gemfile-lock && bundle lock --local >/dev/null &&
  bundle list 2>/dev/null | sed -n 's/^  \* \([^ ]*\) (\([^)]*\)).*/gem \1 \2/p' | grep -v -e '^gem bundler ' -e '^gem mylib ' | sort -u > expected.txt)

# --- PHP: composer.lock from `composer update --no-install` (Debian: composer) against an artifact repository of
# package zips built here (packagist is not reachable); ground truth from `composer show --locked`.
rm -rf composer-lock; mkdir -p composer-lock
work="$(mktemp -d)"; mkdir -p "$work/artifacts"
python3 - "$work/artifacts" <<'PY'
import json, sys, zipfile
pkgs = [
    {"name": "acme/log", "version": "1.4.2", "license": ["MIT"], "require": {"php": ">=8.1"},
     "authors": [{"name": "Acme Log Team"}]},
    {"name": "acme/http", "version": "2.0.1", "license": ["Apache-2.0", "MIT"],
     "require": {"php": ">=8.1", "ext-json": "*", "acme/log": "^1.4"}},
    {"name": "acme/testkit", "version": "0.9.0", "license": ["BSD-3-Clause"]},
]
for p in pkgs:
    with zipfile.ZipFile(f"{sys.argv[1]}/{p['name'].replace('/', '-')}-{p['version']}.zip", "w") as z:
        z.writestr("composer.json", json.dumps(p))
        z.writestr("src/.keep", "")
PY
cat > composer-lock/composer.json <<'T'
{
    "name": "fixture/app",
    "require": { "php": ">=8.1", "acme/http": "^2.0" },
    "require-dev": { "acme/testkit": "0.9.0" },
    "repositories": [ { "type": "artifact", "url": "ARTIFACTS" }, { "packagist.org": false } ]
}
T
sed "s#ARTIFACTS#$work/artifacts#" composer-lock/composer.json > "$work/composer.json"
(cd "$work" && COMPOSER_HOME="$work/home" composer update --no-install --no-interaction --quiet &&
  COMPOSER_HOME="$work/home" composer show --locked --no-interaction 2>/dev/null | awk '{print "composer", $1, $2}' | sort -u > expected.txt)
# The artifact paths are machine-specific: the lockfile keeps them as the relative "artifacts/..." URL.
sed "s#$work/#./#g" "$work/composer.lock" > composer-lock/composer.lock
cp "$work/expected.txt" composer-lock/
rm -rf "$work"

# --- RPM: an rpmdb.sqlite written by rpm itself (Debian: rpm, whose database backend is sqlite): packages built
# with rpmbuild (one with an epoch, one with a pre-SPDX licence, one with enough files that its header spills
# onto SQLite overflow pages) and registered with `rpm -i --justdb`; ground truth from `rpm -qa`.
rm -rf rpm; mkdir -p rpm/var/lib/rpm
work="$(mktemp -d)"; mkdir -p "$work/build/SPECS" "$work/db"
for p in "hello-tool 1.2.3 4 MIT 0 0" "libwidget 0.9 1.fc40 Apache-2.0 2 0" "oldstyle 2.0 7 GPLv2+ 0 0" "bigpkg 3.1 1 BSD-3-Clause 0 400"; do
  set -- $p
  {
    printf 'Name: %s\nVersion: %s\nRelease: %s\nSummary: fixture\nLicense: %s\nVendor: Fixture Vendor\nBuildArch: noarch\n' "$1" "$2" "$3" "$4"
    [ "$5" != 0 ] && printf 'Epoch: %s\n' "$5"
    printf '\n%%description\nfixture\n\n%%install\nmkdir -p %%{buildroot}/usr/share/%s\n' "$1"
    printf 'for i in $(seq 1 %s); do echo $i > %%{buildroot}/usr/share/%s/file-with-a-long-name-$i.txt; done\n' "$6" "$1"
    printf '\n%%files\n/usr/share/%s\n' "$1"
  } > "$work/build/SPECS/$1.spec"
  rpmbuild --define "_topdir $work/build" --define "_build_id_links none" -bb "$work/build/SPECS/$1.spec" >/dev/null 2>&1
done
rpm --dbpath "$work/db" --initdb
rpm --dbpath "$work/db" -i --justdb --nodeps --noscripts "$work"/build/RPMS/*/*.rpm 2>/dev/null
rpm --dbpath "$work/db" -qa --qf 'rpm %{NAME} %{VERSION}-%{RELEASE}\n' | sort -u > rpm/expected.txt
cp "$work/db/rpmdb.sqlite" rpm/var/lib/rpm/
rm -rf "$work"

echo "fixtures regenerated in $here"
