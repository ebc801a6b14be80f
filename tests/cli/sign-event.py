#!/usr/bin/env python3
"""Append one correctly signed event to a custody ledger, as custody would.

    sign-event.py CASEDIR KEYFILE JSON

JSON is an object with the event's members that vary (action, and any of
artifact, counterpart, refers, location, note, time, details); the rest
(v, case, seq, prev, handler) are computed: seq is the next number, prev
the RFC 9162 tree head over the canonical bytes of every earlier event,
handler the fingerprint of KEYFILE's key (SHA-256 of the raw public key),
time now unless given. A member "artifact_row" (not signed) is an object
with the columns of an artifacts row to insert with the event; a member
"handler_row" likewise for a handlers row (its public_key in base64).

The event is serialized canonically (custody-formats(5), EVENTS), signed
with `openssl pkeyutl -rawin`, and inserted with the tree head cache row
that custody ledger verify compares (root and frontier). The ledger's
foreign keys are not enforced by this connection, as by the sqlite3 shell.
Prints the new event's seq.
"""
import base64
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time


def canonical(event):
    """Sorted keys, compact, non-ASCII as upper-case \\uXXXX escapes."""
    text = json.dumps(event, sort_keys=True, separators=(',', ':'),
                      ensure_ascii=True)

    def upper(m):
        return m.group(1) or '\\u' + m.group(2).upper()
    return re.sub(r'(\\\\)|\\u([0-9a-fA-F]{4})', upper, text).encode('ascii')


def leaf(data):
    return hashlib.sha256(b'\x00' + data).digest()


def node(left, right):
    return hashlib.sha256(b'\x01' + left + right).digest()


def frontier(leaves):
    """The roots of the complete subtrees, largest (leftmost) first."""
    stack = []
    for i, h in enumerate(leaves):
        size = i
        while size & 1:
            h = node(stack.pop(), h)
            size >>= 1
        stack.append(h)
    return stack


def root(leaves):
    stack = frontier(leaves)
    if not stack:
        return hashlib.sha256(b'').digest()
    h = stack[-1]
    for left in reversed(stack[:-1]):
        h = node(left, h)
    return h


def fingerprint(keyfile):
    der = subprocess.run(['openssl', 'pkey', '-in', keyfile, '-pubout',
                          '-outform', 'DER'], check=True,
                         stdout=subprocess.PIPE).stdout
    return hashlib.sha256(der[-32:]).hexdigest()


def sign(keyfile, data):
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        sig = subprocess.run(['openssl', 'pkeyutl', '-sign', '-inkey', keyfile,
                              '-rawin', '-in', f.name], check=True,
                             stdout=subprocess.PIPE).stdout
    assert len(sig) == 64, 'an Ed25519 signature is 64 bytes'
    return sig


def now():
    ns = time.time_ns()
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(ns // 10**9)) + \
        '.%09dZ' % (ns % 10**9)


def main():
    case_dir, keyfile, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    artifact_row = spec.pop('artifact_row', None)
    handler_row = spec.pop('handler_row', None)
    db = sqlite3.connect(os.path.join(case_dir, 'ledger.db'),
                         isolation_level=None)
    db.execute('BEGIN IMMEDIATE')
    case_id = db.execute('SELECT case_id FROM case_info').fetchone()[0]
    leaves = [leaf(bytes(c)) for (c,) in
              db.execute('SELECT canonical FROM events ORDER BY seq')]
    event = dict(spec)
    event.update({'v': 1, 'case': case_id, 'seq': len(leaves) + 1,
                  'prev': root(leaves).hex(), 'handler': fingerprint(keyfile)})
    event.setdefault('time', now())
    data = canonical(event)
    signature = sign(keyfile, data)
    if artifact_row is not None:
        columns = ', '.join(artifact_row)
        marks = ', '.join('?' for _ in artifact_row)
        db.execute('INSERT INTO artifacts (%s) VALUES (%s)' % (columns, marks),
                   list(artifact_row.values()))
    if handler_row is not None:
        handler_row = dict(handler_row)
        handler_row['public_key'] = base64.b64decode(handler_row['public_key'])
        columns = ', '.join(handler_row)
        marks = ', '.join('?' for _ in handler_row)
        db.execute('INSERT INTO handlers (%s) VALUES (%s)' % (columns, marks),
                   list(handler_row.values()))
    db.execute('INSERT INTO events (seq, at, action, artifact, handler, '
               'counterpart, refers, location, note, canonical, signature) '
               'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
               (event['seq'], event['time'], event['action'],
                event.get('artifact'), event['handler'],
                event.get('counterpart'), event.get('refers'),
                event.get('location'), event.get('note'), data, signature))
    leaves.append(leaf(data))
    db.execute('INSERT INTO tree_heads (size, root, frontier) VALUES (?, ?, ?)',
               (len(leaves), root(leaves), b''.join(frontier(leaves))))
    db.execute('COMMIT')
    db.close()
    print(event['seq'])


if __name__ == '__main__':
    main()
