"""Validate an in-toto Statement v1 (or a DSSE envelope carrying one) with in-toto-attestation.

usage: validate_statement.py FILE

The statement is parsed into the Statement v1 protobuf with unknown fields rejected and checked with
in_toto_attestation's own validator; SLSA provenance v1 and VSA v1 predicates are parsed strictly into
their protobuf messages too. Exit status 0 when valid; otherwise the validator's error on stderr.
Run it with the `intoto` virtualenv that tests/harness/setup.sh installs.
"""
import base64
import json
import sys

from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
from in_toto_attestation.predicates.vsa.v1 import vsa_pb2

VSA_V1 = "https://slsa.dev/verification_summary/v1"
PREDICATES = {
    "https://slsa.dev/provenance/v1": provenance_pb2.Provenance,
    "https://slsa.dev/verification_summary/v1": vsa_pb2.VerificationSummary,
}


def main(path):
    with open(path) as f:
        doc = json.load(f)
    if "dsseEnvelope" in doc:
        doc = doc["dsseEnvelope"]
    if "payload" in doc and "payloadType" in doc:
        doc = json.loads(base64.b64decode(doc["payload"]))
    message = json_format.ParseDict(doc, statement_pb2.Statement(), ignore_unknown_fields=False)
    Statement.copy_from_pb(message).validate()
    predicate_type = doc.get("predicateType")
    predicate = dict(doc.get("predicate", {}))
    if predicate_type == VSA_V1:
        # in-toto-attestation 0.9.3's VSA binding declares `verifiedLevels` a single string and has no
        # `verifier.version`, unlike the SLSA VSA v1 specification and the in-toto proto it now ships
        # (repeated string; version map). Check those two fields by the specification, the rest strictly.
        levels = predicate.pop("verifiedLevels", [])
        if not isinstance(levels, list) or not all(isinstance(x, str) and x for x in levels):
            raise SystemExit("verifiedLevels must be an array of non-empty strings")
        verifier = dict(predicate.get("verifier", {}))
        version = verifier.pop("version", {})
        if not isinstance(version, dict) or not all(isinstance(v, str) for v in version.values()):
            raise SystemExit("verifier.version must map names to strings")
        predicate["verifier"] = verifier
    kind = PREDICATES.get(predicate_type)
    if kind is not None:
        json_format.ParseDict(predicate, kind(), ignore_unknown_fields=False)
    print(f"valid Statement v1, {len(doc['subject'])} subject(s), predicateType {doc.get('predicateType')}")


if __name__ == "__main__":
    main(sys.argv[1])
