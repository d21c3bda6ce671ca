#!/usr/bin/env python3
"""Verifies a DSSE envelope signed by several keys with securesystemslib, with a threshold.

usage: verify_dsse_threshold.py ENVELOPE.json THRESHOLD PUBLIC_KEY.pem...
Each signature's keyid must be Provenant's key id (hex SHA-256 of the key's DER SubjectPublicKeyInfo);
it is translated to the matching key's securesystemslib keyid, and securesystemslib then decides.
Prints OK and exits 0 when THRESHOLD distinct keys verified; prints FAIL and exits 1 otherwise.
"""
import hashlib
import json
import sys

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

env = json.load(open(sys.argv[1]))
threshold = int(sys.argv[2])
keys = {}
for path in sys.argv[3:]:
    public = load_pem_public_key(open(path, "rb").read())
    ours = hashlib.sha256(public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).hexdigest()
    keys[ours] = SSlibKey.from_crypto(public)
for s in env["signatures"]:
    if s.get("keyid") in keys:
        s["keyid"] = keys[s["keyid"]].keyid
try:
    verified = Envelope.from_dict(env).verify(list(keys.values()), threshold)
    print("OK", len(verified), "keys verified")
except Exception as e:  # noqa: BLE001 - any failure is a verification failure
    print("FAIL", type(e).__name__, e)
    sys.exit(1)
