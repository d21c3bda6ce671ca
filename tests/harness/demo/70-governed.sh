#!/usr/bin/env bash
# Stage: the governed path dev -> test -> uat -> prod: a signed gate decision, environments that cannot be skipped, a refused promotion, an approval that does not count (separation of duties) and one that does, every attempt in the audit ledger
set -euo pipefail
cd "$DEMO"
export COSIGN_PASSWORD=demo-password
digest=$(cat image.digest)
"$PROVENANT" keys generate --output-key-prefix release-manager -q
# The release key signs builds and packaging (the ci role); in this small team it may also approve
# releases, which separation of duties then forbids for what it built.
cat > roles.yaml <<'YAML'
roles:
  ci:
    keys: [release.pub]
  release-manager:
    keys: [release-manager.pub, release.pub]
YAML
"$PROVENANT" ledger init --ledger sqlite:ledger.db --origin demo.example/audit --output-key-prefix ledger-note -q
"$PROVENANT" env init --repository-template "oci:$DEMO/env/{env}" --roles roles.yaml -o environments.yaml
GOV=(--environments environments.yaml --record-key release.key --ledger sqlite:ledger.db -q)

# The quality and security gate over the reports the pipeline's scanners wrote, signed by ci and
# attached to the image (it reaches the ledger when a promotion relies on it). The demo's platform policy
# is the default with the gates this offline sample has no scanner for made optional: coverage, SAST,
# dependency and container vulnerabilities (and lint when shellcheck is not installed).
optional="coverage sast dependencies container"
command -v shellcheck >/dev/null || optional="$optional lint"
"$PROVENANT" gate policy init > gate-policy.yaml
for gate in $optional; do
  python3 - "$gate" <<'PY'
import re, sys
text = open("gate-policy.yaml").read()
text = re.sub(r"(\n  %s:\n    required: )true" % sys.argv[1], r"\1false", text)
open("gate-policy.yaml", "w").write(text)
PY
done
mkdir -p reports
"$PROVENANT" scan secrets "$SAMPLE" --output gitleaks > reports/gitleaks.json
"$PROVENANT" scan hygiene "$SAMPLE" --output sarif > reports/hygiene.sarif
"$PROVENANT" scan pinning "$SAMPLE" --output sarif > reports/pinning.sarif
if command -v shellcheck >/dev/null; then
  shellcheck -f checkstyle "$SAMPLE/build.sh" > reports/shellcheck.xml
fi
out=$("$SAMPLE/out/hello")
[ "$out" = "hello from the provenant sample" ] && failure= || failure='<failure message="unexpected output"/>'
printf '<testsuites><testsuite name="sample"><testcase classname="sample" name="prints its greeting">%s</testcase></testsuite></testsuites>\n' \
  "$failure" > reports/junit.xml
# The image's SBOM as a signed attestation attached to it: a promotion appends it to the ledger.
"$PROVENANT" sbom attest "oci:dev@$digest" --key release.key --bundle image.sbom.sigstore.json --attach -q
"$PROVENANT" gate evaluate --policy gate-policy.yaml --evidence reports --subject "oci:dev@$digest" --key release.key \
  --bundle gate.sigstore.json --attach | tail -n 3

echo
echo "straight to prod, skipping dev, test and uat: refused, nothing copied"
code=0
"$PROVENANT" promote "oci:dev@$digest" --env prod "${GOV[@]}" || code=$?
[ "$code" -eq 1 ] || { echo "a skipped environment was accepted (exit $code)!" >&2; exit 1; }
[ ! -e env/prod ] || { echo "prod was written" >&2; exit 1; }

echo
from="oci:dev@$digest"
for env in dev test uat; do
  "$PROVENANT" promote "$from" --env "$env" "${GOV[@]}"
  from="oci:$DEMO/env/$env@$digest"
done

echo
echo "prod without an approval: refused"
code=0
"$PROVENANT" promote "$from" --env prod "${GOV[@]}" || code=$?
[ "$code" -eq 1 ] || { echo "prod without an approval (exit $code)!" >&2; exit 1; }
echo
echo "the build's own key approves: it does not count (separation of duties)"
"$PROVENANT" approve "$from" --env prod --role release-manager --key release.key --ledger sqlite:ledger.db \
  --change CHG0001 --comment "self-approval"
code=0
"$PROVENANT" promote "$from" --env prod "${GOV[@]}" | grep -E 'REFUSED|approval' || code=$?
[ ! -e env/prod ] || { echo "prod was written" >&2; exit 1; }
echo
echo "the release manager approves: promoted"
"$PROVENANT" approve "$from" --env prod --role release-manager --key release-manager.key --ledger sqlite:ledger.db \
  --change CHG0001 --comment "release 1.0"
"$PROVENANT" promote "$from" --env prod "${GOV[@]}"
echo
echo "the audit ledger: every attempt, promoted or refused, and the evidence relied on (entry, type)"
"$PROVENANT" ledger query --ledger sqlite:ledger.db --subject "$digest"
echo
echo "answered from the ledger: where the sample's commit went"
"$PROVENANT" lineage where --commit "$(git -C "$SAMPLE" rev-parse HEAD)" --ledger sqlite:ledger.db
