#!/usr/bin/env bash
# Builds the release binary of a package and prints the path cargo put it at, wherever that is
# (CARGO_TARGET_DIR, a target-dir in a cargo config, or target/). Extra arguments go to cargo build.
#   release-binary.sh PACKAGE [CARGO_BUILD_ARGS...]
set -euo pipefail
package=$1
shift
cargo build --release --locked -p "$package" --message-format=json-render-diagnostics "$@" |
  python3 -c '
import json, sys
package = sys.argv[1]
found = []
def name(package_id):
    # "path+file:///dir/name#0.1.0" or "path+file:///dir#name@0.1.0", as cargo spells package ids
    url, _, fragment = package_id.partition("#")
    return fragment.split("@")[0] if "@" in fragment else url.rstrip("/").rsplit("/", 1)[-1]
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["bin"] \
            and name(m["package_id"]) == package:
        found.append(m["executable"])
if len(found) != 1:
    sys.exit(f"cargo built {len(found)} executables for {package}, not one: {found}")
print(found[0])
' "$package"
