#!/usr/bin/env python3
"""Pack an extracted evidence archive again, the way custody writes one.

retar.py DIR OUT: ustar headers (mode 0644, owner 0:0 without names), pax
extended headers only where a name needs one, files/ and live/ in name
order and custody's own members last. Tests use it to make tampered
archives that differ from a real one only in the change they test.
"""
import os
import sys
import tarfile

CUSTODY_LAST = ["custody/manifest.jsonl", "custody/collection.log",
                "custody/SHA256SUMS", "custody/seal.json", "custody/seal.sig"]


def members(root):
    found = []
    for top in ("files", "live"):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                found.append(os.path.relpath(os.path.join(d, f), root))
    found.sort(key=os.fsencode)
    found += [m for m in CUSTODY_LAST if os.path.exists(os.path.join(root, m))]
    return found


def add(t, root, name):
    path = os.path.join(root, name)
    info = tarfile.TarInfo(name)
    st = os.lstat(path)
    info.size = st.st_size
    info.mtime = int(st.st_mtime)
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with open(path, "rb") as f:
        t.addfile(info, f)


def main():
    root, out = sys.argv[1], sys.argv[2]
    with open(out, "wb") as f:
        with tarfile.open(fileobj=f, mode="w|", format=tarfile.PAX_FORMAT,
                          encoding="utf-8", errors="surrogateescape") as t:
            for name in members(root):
                add(t, root, name)


main()
