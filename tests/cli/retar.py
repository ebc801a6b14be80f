#!/usr/bin/env python3
"""Pack an extracted evidence archive again, the way custody writes one,
optionally with one hostile change.

retar.py DIR OUT [CHANGE [ARG...]]

Without a change: ustar headers (mode 0644, owner 0:0 without names), pax
extended headers only where a name needs one, files/ and live/ in name
order, custody's own members last, two zero blocks at the end. Tests use
it to make tampered archives that differ from a real one only in the change
they test. CHANGE applies to the member named by its first ARG (an archive
path), unless it says otherwise:

  splice NAME TAR     the member's bytes are the first member of TAR, as is
                      (made by GNU tar: sparse, long-name records...)
  longname NAME       a GNU long-name record ('L') before it, naming it
  pax NAME KEY=VALUE  an extra pax record in its extended header
  badpax NAME         its extended header holds a record of the wrong length
  mode NAME OCTAL     its header's mode
  owner NAME UID NAMESTR  its header's uid and owner name
  rename NAME NEWNAME the member stored under another name
  type NAME FLAG      its header's typeflag (the data stays)
  global              a pax global header ('g') before the first member
  volume              a volume label ('V') before the first member
  lonezero NAME       after the last member, one zero block, then a new
                      member NAME
  dotslash NAME       the member stored as ./NAME
  rawpax NAME RECORDS an extended header of exactly these bytes (Python
                      escapes: '8 \\0x=y\\n') before it
  mtime NAME SECONDS  its header's modification time
  xheader NAME        its extended header with mode 4777 and owner 1000
  order FILE          the members named in FILE (one a line), in its order,
                      instead of the usual order
"""
import os
import sys
import tarfile

CUSTODY_LAST = ["custody/manifest.jsonl", "custody/collection.log",
                "custody/SHA256SUMS", "custody/seal.json", "custody/seal.sig"]
PART_DIRS = ["custody/manifest.d", "custody/collection.log.d",
             "custody/SHA256SUMS.d"]
BLOCK = 512
ENC = dict(encoding="utf-8", errors="surrogateescape")


# custody's writer gives its pax headers mode 0644; Python's leaves 0.
_create_header = tarfile.TarInfo._create_header


def _custody_header(info, fmt, encoding, errors):
    if info.get("type") in (tarfile.XHDTYPE, tarfile.XGLTYPE) and not info.get("mode"):
        info = dict(info, mode=0o644)
    return _create_header(info, fmt, encoding, errors)


tarfile.TarInfo._create_header = staticmethod(_custody_header)


def members(root):
    found = []
    for top in ("files", "live"):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                found.append(os.path.relpath(os.path.join(d, f), root))
    found.sort(key=os.fsencode)
    found += custody_parts(root)
    found += [m for m in CUSTODY_LAST if os.path.exists(os.path.join(root, m))]
    return found


def custody_parts(root):
    """The parts of custody's texts, as custody writes them: by number,
    the manifest's, the log's and SHA256SUMS's of each number together."""
    parts = []
    for rank, d in enumerate(PART_DIRS):
        top = os.path.join(root, d)
        if os.path.isdir(top):
            parts += [(f.split(".")[0], rank, d + "/" + f) for f in os.listdir(top)]
    return [name for _, _, name in sorted(parts)]


def pad(data):
    return data + bytes(-len(data) % BLOCK)


def info_for(root, name, stored=None):
    st = os.lstat(os.path.join(root, name))
    info = tarfile.TarInfo(stored if stored is not None else name)
    info.size = st.st_size
    info.mtime = int(st.st_mtime)
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def content(root, name):
    with open(os.path.join(root, name), "rb") as f:
        return f.read()


def header(info, fmt=tarfile.PAX_FORMAT):
    return info.tobuf(fmt, **ENC)


def pax_block(records, flag=tarfile.XHDTYPE):
    """A pax header whose data is exactly the given bytes."""
    info = tarfile.TarInfo("PaxHeader/x")
    info.type = flag
    info.size = len(records)
    info.mode = 0o644
    return info.tobuf(tarfile.USTAR_FORMAT, **ENC) + pad(records)


def record(key, value):
    body = b" " + key + b"=" + value + b"\n"
    n = len(body) + 1
    while len(str(n)) + len(body) != n:
        n = len(str(n)) + len(body)
    return str(n).encode() + body


def first_member(path):
    """The raw bytes of the first member of a tar file (headers and data)."""
    with tarfile.open(path, "r:") as t:
        t.next()
        end = t.offset
    with open(path, "rb") as f:
        return f.read(end)


def member(root, name, change, args):
    data = content(root, name)
    if change == "splice":
        return first_member(args[1])
    info = info_for(root, name)
    fmt = tarfile.PAX_FORMAT
    if change == "longname":
        info.name = name
        fmt = tarfile.GNU_FORMAT
        if len(name.encode("utf-8", "surrogateescape")) <= 100:
            # Force the record: a long name nobody needs is still one.
            lname = name.encode("utf-8", "surrogateescape") + b"\0"
            li = tarfile.TarInfo("././@LongLink")
            li.type = tarfile.GNUTYPE_LONGNAME
            li.size = len(lname)
            short = tarfile.TarInfo("files/short")
            short.size, short.mtime, short.mode = info.size, info.mtime, 0o644
            short.uname = short.gname = ""
            return (li.tobuf(tarfile.GNU_FORMAT, **ENC) + pad(lname) +
                    short.tobuf(tarfile.USTAR_FORMAT, **ENC) + pad(data))
    elif change == "pax":
        key, _, value = args[1].partition("=")
        info.pax_headers = {key: value}
    elif change == "badpax":
        return (pax_block(b"99 path=" + name.encode() + b"\n") +
                header(info, tarfile.USTAR_FORMAT) + pad(data))
    elif change == "mode":
        info.mode = int(args[1], 8)
    elif change == "owner":
        info.uid, info.uname = int(args[1]), args[2]
    elif change == "rename":
        info.name = args[1]
    elif change == "type":
        info.type = args[1].encode()
    elif change == "dotslash":
        info.name = "./" + name
    elif change == "rawpax":
        records = args[1].encode("latin-1").decode("unicode_escape").encode("latin-1")
        return (pax_block(records) + header(info, tarfile.USTAR_FORMAT) +
                pad(data))
    elif change == "mtime":
        info.mtime = int(args[1])
    elif change == "xheader":
        x = tarfile.TarInfo("PaxHeader/x")
        x.type, x.mode, x.uid = tarfile.XHDTYPE, 0o4777, 1000
        recs = record(b"path", name.encode("utf-8", "surrogateescape"))
        x.size = len(recs)
        return (x.tobuf(tarfile.USTAR_FORMAT, **ENC) + pad(recs) +
                header(info, tarfile.USTAR_FORMAT) + pad(data))
    return header(info, fmt) + pad(data)


def main():
    root, out = sys.argv[1], sys.argv[2]
    change = sys.argv[3] if len(sys.argv) > 3 else None
    args = sys.argv[4:]
    target = args[0] if args and change not in ("global", "volume", "order") else None
    parts = []
    if change == "global":
        parts.append(pax_block(record(b"comment", b"applies to all"),
                               tarfile.XGLTYPE))
    if change == "volume":
        v = tarfile.TarInfo("custody volume")
        v.type = b"V"
        parts.append(v.tobuf(tarfile.USTAR_FORMAT, **ENC))
    names = members(root)
    if change == "order":
        with open(args[0]) as f:
            names = f.read().splitlines()
    for name in names:
        if name == target and change != "lonezero":
            parts.append(member(root, name, change, args))
        else:
            info = info_for(root, name)
            parts.append(header(info) + pad(content(root, name)))
    if change == "lonezero":
        parts.append(bytes(BLOCK))
        info = tarfile.TarInfo(target)
        info.size, info.mode, info.uname, info.gname = 8, 0o644, "", ""
        parts.append(header(info) + pad(b"planted\n"))
    parts.append(bytes(2 * BLOCK))
    with open(out, "wb") as f:
        f.write(b"".join(parts))


main()
