#!/usr/bin/env bash
# provenant gate evaluate on large evidence against a straightforward Python reader of the same files
# (junitparser for JUnit, line-by-line lcov, json for SARIF): a 50,000-test JUnit report, a 1,000,000-line
# lcov tracefile and a SARIF log of 100,000 results. Both compute the pass rate, the merged line coverage
# and the blocking findings; after a warm-up that compares their results, each runs RUNS times and the
# medians are reported. BENCH_DIVISOR=N (default 1) divides the sizes, to check the script quickly against
# a debug build.
set -euo pipefail
source "$HARNESS/bench-lib.sh"
cd "$BENCH"
ORACLES=${PROVENANT_ORACLES:-$HARNESS/../../.oracles}
PYTHON="$ORACLES/venvs/gates/bin/python"

BENCH_DIVISOR=${BENCH_DIVISOR:-1} python3 - <<'PY'
import json, os, random
random.seed(91)
div = max(1, int(os.environ["BENCH_DIVISOR"]))
suites, files, results_n = max(1, 500 // div), max(1, 1000 // div), max(1, 100_000 // div)
with open("junit.xml", "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="bench">\n')
    for s in range(suites):
        f.write(f'<testsuite name="suite{s}" tests="100">\n')
        for t in range(100):
            f.write(f'<testcase classname="pkg.mod{s}" name="test_{t}" time="0.001"')
            r = random.random()
            if r < 0.002:
                f.write(f'><failure message="assert {t} == {t + 1}">Traceback</failure></testcase>\n')
            elif r < 0.004:
                f.write('><skipped message="later"/></testcase>\n')
            else:
                f.write('/>\n')
        f.write('</testsuite>\n')
    f.write('</testsuites>\n')
with open("lcov.info", "w") as f:
    for i in range(files):
        f.write(f"TN:\nSF:src/module_{i:04d}.py\n")
        for line in range(1, 997):
            f.write(f"DA:{line},{1 if random.random() < 0.85 else 0}\n")
        f.write("LF:996\nLH:0\nend_of_record\n")
rules = [{"id": f"rule-{r}", "defaultConfiguration": {"level": random.choice(["error", "warning", "note"])},
          "properties": {"security-severity": f"{random.uniform(1, 10):.1f}"}} for r in range(200)]
results = []
for i in range(results_n):
    r = random.randrange(200)
    results.append({"ruleId": f"rule-{r}", "ruleIndex": r, "message": {"text": f"finding {i} of rule {r}"},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"src/module_{i % 1000:04d}.py"},
                                                        "region": {"startLine": i % 996 + 1}}}],
                    "partialFingerprints": {"primaryLocationLineHash": f"{i:016x}:1"}})
json.dump({"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
           "runs": [{"tool": {"driver": {"name": "Semgrep OSS", "rules": rules}}, "results": results}]},
          open("results.sarif", "w"))
PY

cat > reader.py <<'PY'
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped

junit, lcov, sarif = sys.argv[1:4]
passed = failed = skipped = 0
xml = JUnitXml.fromfile(junit)
suites = [xml] if xml._tag == "testsuite" else list(xml)
for suite in suites:
    for case in suite:
        kinds = {type(r) for r in case.result}
        if Failure in kinds or Error in kinds:
            failed += 1
        elif Skipped in kinds:
            skipped += 1
        else:
            passed += 1
lines = {}
path = None
with open(lcov) as f:
    for line in f:
        if line.startswith("SF:"):
            path = line[3:].strip()
            lines.setdefault(path, {})
        elif line.startswith("DA:"):
            n, hits = line[3:].split(",")[:2]
            d = lines[path]
            d[int(n)] = d.get(int(n), False) or int(hits) > 0
found = sum(len(d) for d in lines.values())
hit = sum(sum(d.values()) for d in lines.values())
doc = json.load(open(sarif))
blocking = 0
for run in doc["runs"]:
    rules = {r["id"]: r for r in run["tool"]["driver"].get("rules", [])}
    for r in run.get("results", []):
        rule = rules.get(r.get("ruleId"), {})
        score = r.get("properties", {}).get("security-severity") or rule.get("properties", {}).get("security-severity")
        level = r.get("level") or rule.get("defaultConfiguration", {}).get("level", "warning")
        if (float(score) >= 7.0) if score is not None else level == "error":
            blocking += 1
rate = passed * 100 / max(1, passed + failed)
print(json.dumps({"pass_rate": rate, "line_rate": hit * 100 / max(1, found), "blocking": blocking}))
PY

ours() { "$PROVENANT" gate evaluate --evidence junit.xml lcov.info results.sarif --output json >ours.json || true; }
theirs() { "$PYTHON" reader.py junit.xml lcov.info results.sarif >theirs.json; }
ours; theirs  # warm-up, and the results compared below
python3 - <<'PY'
import json
o = json.load(open("ours.json")); t = json.load(open("theirs.json"))
g = {x["id"]: x for x in o["gates"]}
assert abs(g["tests"]["value"] - t["pass_rate"]) < 1e-9, (g["tests"]["value"], t["pass_rate"])
assert abs(g["coverage"]["value"] - t["line_rate"]) < 1e-9, (g["coverage"]["value"], t["line_rate"])
assert g["sast"]["value"] == t["blocking"], (g["sast"]["value"], t["blocking"])
PY
label="gate evaluate (50k tests, 1M lcov lines, 100k SARIF)"
[ "${BENCH_DIVISOR:-1}" = 1 ] || label="gate evaluate (sizes / ${BENCH_DIVISOR})"
# Each tool runs RUNS times (default 5), alternately, and the medians are compared: one run of either
# varies by about 10 ms on a shared machine. Before each run the files just written are flushed to disk,
# so that their write-back does not take a core from whichever tool is timed, and the previous decision is
# removed: truncating it (about 15 ms for 23 MB of page cache) would be the shell's work, not the
# evaluation's, and each run writes its own.
RUNS=${RUNS:-5}
: > ours.times; : > theirs.times
for _ in $(seq "$RUNS"); do
  rm -f ours.json; sync
  seconds ours >> ours.times; echo >> ours.times
  sync
  seconds theirs >> theirs.times; echo >> theirs.times
done
report "$label, median of $RUNS" "$(median < ours.times)" "$(median < theirs.times)" "python junitparser+json"
echo "  (runs: provenant $(tr '\n' ' ' < ours.times)s; python $(tr '\n' ' ' < theirs.times)s)"
