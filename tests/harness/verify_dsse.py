#!/usr/bin/env python3
"""Verifies a DSSE envelope (or the envelope inside a sigstore bundle) with securesystemslib.

usage: verify_dsse.py ENVELOPE_OR_BUNDLE.json PUBLIC_KEY.pem
Prints OK and exits 0 when a signature verifies with the key; prints FAIL and exits 1 otherwise.
securesystemslib matches signatures to keys by keyid, and DSSE allows an empty keyid, so every
signature is offered under the key's securesystemslib keyid.
"""
import json
import sys

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

doc = json.load(open(sys.argv[1]))
env = doc.get("dsseEnvelope", doc)
key = SSlibKey.from_crypto(load_pem_public_key(open(sys.argv[2], "rb").read()))
for s in env["signatures"]:
    s["keyid"] = key.keyid
try:
    Envelope.from_dict(env).verify([key], 1)
    print("OK", env["payloadType"])
except Exception as e:  # noqa: BLE001 - any failure is a verification failure
    print("FAIL", type(e).__name__, e)
    sys.exit(1)
