#!/usr/bin/env python3
"""Independent reference verifier for the audit ledger's proofs and checkpoints.

Written from RFC 9162 (sections 2.1.3.2 and 2.1.4.2: verifying inclusion and consistency proofs) and
c2sp.org/signed-note + c2sp.org/tlog-checkpoint alone, so that the end-to-end tests check Provenant's
output against a second implementation.

Usage:
  tlog.py inclusion PROOF.json ENTRY      (PROOF from `ledger prove --index --output json`)
  tlog.py consistency PROOF.json          (PROOF from `ledger prove --from --to --output json`)
  tlog.py checkpoint NOTE VKEY            prints "origin size root" when the note verifies under VKEY
  tlog.py vectors DIR                     runs transparency-dev/merkle's inclusion and consistency vectors
Exit 0 when verified, 1 when not.
"""
import base64
import hashlib
import json
import os
import sys


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, proof, root):
    # RFC 9162 2.1.3.2 (hashes are SHA-256: 32 bytes, as transparency-dev requires).
    if index >= size or len(leaf) != 32 or len(root) != 32 or any(len(p) != 32 for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, proof):
    # RFC 9162 2.1.4.2, with transparency-dev's convention that first must be at least 1.
    if first < 1 or first > second:
        return False
    if first == second:
        return not proof and first_hash == second_hash
    proof = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first tree's root is the first node
        proof.insert(0, first_hash)
    if not proof:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def b64(s):
    return base64.b64decode(s, validate=True)


def open_checkpoint(note, vkey):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    name, keyhash, key = vkey.strip().split("+", 2)
    key = b64(key)
    if key[0] != 1 or len(key) != 33:
        raise ValueError("not an Ed25519 verifier key")
    if hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex() != keyhash:
        raise ValueError("key hash does not match")
    text, sep, sigs = note.rpartition("\n\n")
    if not sep:
        raise ValueError("no signature block")
    text += "\n"
    ok = False
    for line in sigs.rstrip("\n").split("\n"):
        prefix = "\u2014 " + name + " "
        if not line.startswith(prefix):
            continue
        sig = b64(line[len(prefix):])
        if sig[:4].hex() != keyhash:
            continue
        Ed25519PublicKey.from_public_bytes(key[1:]).verify(sig[4:], text.encode())
        ok = True
    if not ok:
        raise ValueError("no signature by the key")
    origin, size, root = text.split("\n")[:3]
    if origin != name:
        raise ValueError("origin is not the key's name")
    return origin, int(size), b64(root)


def vectors(d):
    agree = disagree = 0
    for kind in ("inclusion", "consistency"):
        for dirpath, _, files in os.walk(os.path.join(d, kind)):
            for f in sorted(files):
                v = json.load(open(os.path.join(dirpath, f)))
                try:
                    proof = [b64(h) for h in (v.get("proof") or [])]
                    if kind == "inclusion":
                        got = verify_inclusion(v["leafIdx"], v["treeSize"], b64(v["leafHash"]), proof, b64(v["root"]))
                    else:
                        got = verify_consistency(v["size1"], v["size2"], b64(v["root1"]), b64(v["root2"]), proof)
                except Exception:
                    got = False
                if got == (not v["wantErr"]):
                    agree += 1
                else:
                    disagree += 1
                    print("disagree:", os.path.join(dirpath, f))
    print(f"{agree} agree, {disagree} disagree")
    return disagree == 0


def main(argv):
    cmd = argv[1]
    if cmd == "inclusion":
        p = json.load(open(argv[2]))
        data = open(argv[3], "rb").read()
        ok = leaf_hash(data) == b64(p["leafHash"]) and verify_inclusion(
            p["index"], p["treeSize"], leaf_hash(data), [b64(h) for h in p["hashes"]], b64(p["rootHash"]))
    elif cmd == "consistency":
        p = json.load(open(argv[2]))
        ok = verify_consistency(p["from"], p["to"], b64(p["rootFrom"]), b64(p["rootTo"]), [b64(h) for h in p["hashes"]])
    elif cmd == "checkpoint":
        try:
            origin, size, root = open_checkpoint(open(argv[2]).read(), open(argv[3]).read())
        except Exception as e:
            print(f"checkpoint does not verify: {e}")
            return 1
        print(origin, size, base64.b64encode(root).decode())
        ok = True
    elif cmd == "vectors":
        ok = vectors(argv[2])
    else:
        raise SystemExit(__doc__)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
