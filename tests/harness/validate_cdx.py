# Validates a CycloneDX JSON document with cyclonedx-python-lib's strict JSON validator, for the
# specVersion the document declares. Exit 0 and "VALID ..." on success, 1 and the errors otherwise.
# Usage: $PROVENANT_ORACLES/venvs/sbom/bin/python tests/harness/validate_cdx.py BOM.json
import json
import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

text = open(sys.argv[1], encoding="utf-8").read()
version = SchemaVersion.from_version(json.loads(text)["specVersion"])
errors = JsonStrictValidator(version).validate_str(text)
if errors:
    print("INVALID", version, repr(errors)[:4000])
    sys.exit(1)
print("VALID CycloneDX", version.to_version(), "(strict)")
