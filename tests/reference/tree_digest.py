#!/usr/bin/env python3
"""Independent reference implementation of the Provenant tree digest (docs/tree-digest.md).

Usage: tree_digest.py [sha256|sha512] DIR
Prints '<algorithm>:<hex>'. Written from the specification alone, so that the end-to-end tests can check
the Rust implementation against a second one.
"""
import hashlib
import os
import stat
import sys


def entries(root):
    out = []
    stack = [(root, b"")]
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as it:
            for e in it:
                rel = (prefix + b"/" if prefix else b"") + os.fsencode(e.name)
                if b"\n" in rel:
                    raise SystemExit(f"unrepresentable path {rel!r}")
                st = os.lstat(e.path)
                out.append((rel, e.path, st))
                if stat.S_ISDIR(st.st_mode):
                    stack.append((e.path, rel))
    return out


def main():
    algo, root = (sys.argv[1], sys.argv[2]) if len(sys.argv) == 3 else ("sha256", sys.argv[1])
    h = hashlib.new(algo)
    h.update(b"provenant-tree-v1\n")
    for rel, path, st in sorted(entries(root), key=lambda e: e[0]):
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            tag, value = b"d", b"-"
        elif stat.S_ISREG(mode):
            with open(path, "rb") as f:
                value = hashlib.file_digest(f, algo).hexdigest().encode()
            tag = b"x" if mode & 0o111 else b"f"
        elif stat.S_ISLNK(mode):
            tag, value = b"l", hashlib.new(algo, os.fsencode(os.readlink(path))).hexdigest().encode()
        elif stat.S_ISFIFO(mode):
            tag, value = b"p", b"-"
        elif stat.S_ISSOCK(mode):
            tag, value = b"s", b"-"
        elif stat.S_ISBLK(mode):
            tag, value = b"b", b"-"
        else:
            tag, value = b"c", b"-"
        h.update(tag + b" " + value + b" " + rel + b"\n")
    print(f"{algo}:{h.hexdigest()}")


if __name__ == "__main__":
    main()
