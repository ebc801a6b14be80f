#!/usr/bin/env python3
"""Build an rpm 4.16 style rpmdb.sqlite for the tests: a Packages table whose
blobs are rpm headers (count and length, index entries, data; big-endian).

Usage: make-rpmdb.py OUT.sqlite FILE_SHA256 [SEED_DIR]
Row 1 is a sound package "tool" owning /usr/bin/tool with the SHA-256 given;
rows 2-4 are corrupt headers (an index count past the end, an offset out of
range, a string without its NUL); row 5 is package "odd" whose file digests
are integers, not strings. With SEED_DIR, the five blobs are also written
there as header-1 to header-5 (fuzz seeds).
"""
import sqlite3
import struct
import sys

CHAR, INT8, INT16, INT32, INT64, STRING, BIN, STRING_ARRAY = 1, 2, 3, 4, 5, 6, 7, 8
ALIGN = {INT16: 2, INT32: 4, INT64: 8}


def encode(kind, value):
    if kind == STRING:
        return value.encode() + b"\0", 1
    if kind == STRING_ARRAY:
        return b"".join(v.encode() + b"\0" for v in value), len(value)
    if kind == BIN:
        return value, len(value)
    fmt = {INT16: ">H", INT32: ">I", INT64: ">Q"}[kind]
    return b"".join(struct.pack(fmt, v) for v in value), len(value)


def header(entries, strip_last_nul=False):
    index, data = b"", b""
    for tag, kind, value in sorted(entries):
        raw, count = encode(kind, value)
        while len(data) % ALIGN.get(kind, 1):
            data += b"\0"
        index += struct.pack(">IIII", tag, kind, len(data), count)
        data += raw
    if strip_last_nul:
        data = data[:-1]
    return struct.pack(">II", len(entries), len(data)) + index + data


def package(name, digest):
    return [
        (1000, STRING, name), (1001, STRING, "1.2"), (1002, STRING, "3.el9"),
        (1003, INT32, [2]), (1022, STRING, "x86_64"), (1008, INT32, [1700000000]),
        (1011, STRING, "Test Vendor"), (261, BIN, bytes(range(16))),
        (5011, INT32, [8]),
        (1117, STRING_ARRAY, ["tool", "tool.conf", "gone"]),
        (1116, INT32, [0, 1, 0]),
        (1118, STRING_ARRAY, ["/usr/bin/", "/etc/"]),
        (1035, STRING_ARRAY, [digest, "00" * 32, "11" * 32]),
        (1028, INT32, [1, 2, 3]),
        (1030, INT16, [0o100755, 0o100644, 0o100644]),
        (1037, INT32, [0, 1, 0]),
    ]


def main():
    out, digest = sys.argv[1], sys.argv[2]
    good = header(package("tool", digest))
    count_past_end = bytearray(good)
    count_past_end[0:4] = struct.pack(">I", 10000)
    offset_out = bytearray(good)
    offset_out[8 + 8:8 + 12] = struct.pack(">I", 0x7FFFFFF0)
    # Put the name last and drop its NUL: the string runs off the data.
    no_nul = header([(1000, STRING, "x"), (1001, STRING, "unterminated")],
                    strip_last_nul=True)
    db = sqlite3.connect(out)
    db.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, "
               "blob BLOB NOT NULL)")
    odd = [e for e in package("odd", digest) if e[0] != 1035]
    odd.append((1035, INT32, [1, 2, 3]))
    blobs = (good, bytes(count_past_end), bytes(offset_out), no_nul, header(odd))
    for blob in blobs:
        db.execute("INSERT INTO Packages (blob) VALUES (?)", (blob,))
    db.commit()
    db.close()
    for n, blob in enumerate(blobs if len(sys.argv) > 3 else ()):
        with open("%s/header-%d" % (sys.argv[3], n + 1), "wb") as f:
            f.write(blob)


main()
