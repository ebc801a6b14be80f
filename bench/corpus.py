#!/usr/bin/env python3
"""Deterministic benchmark corpora for bench/run.

    corpus.py logs  DIR --mib N --files N [--seed S]
    corpus.py small DIR --files N [--seed S]
    corpus.py tree  DIR --files N [--seed S]

"logs" writes text logs (syslog, web access log, JSON lines) of 10 KiB to
50 MiB each (truncated Pareto: median ~40 KiB), about N MiB in all; "small" writes N files of 200 B to 8 KiB
that look like /etc and /usr/share/doc (configs, scripts, XML, HTML, JSON,
prose, gzip-compressed changelogs, PNG-like binaries); "tree" writes N files
of 0 to 64 bytes, about 25 to a directory, in directories up to five levels
deep (metadata to walk, for the timeline).

Speed: the realistic lines are generated once per kind into pools of a few
MiB; files are slices of those pools at seeded offsets, each slice with its
digits 1-9 permuted (bytes.translate, C speed), written in large blocks.

Determinism: only random.Random(seed) is used, names are unique by
construction, mtimes are fixed.  The same arguments give the same bytes.
On success one JSON line goes to stdout: kind, files, bytes, seconds and
the fingerprint, the SHA-256 of the sorted "path<TAB>size<TAB>sha256" lines.
"""

import argparse
import gzip
import hashlib
import json
import os
import random
import sys
import time

KIB = 1024
MIB = 1024 * 1024
BASE_TIME = 1763900000  # fixed mtimes: 2025-11-23

# --------------------------------------------------------------------------
# vocabulary and pools


class Words(list):
    """A vocabulary with Zipf weights (rank r has weight 1/r), as in text."""

    def __init__(self, items):
        items = list(items)
        super().__init__(items)
        self.cw, acc = [], 0.0
        for r in range(1, len(items) + 1):
            acc += 1.0 / r
            self.cw.append(acc)


def pick(rnd, words):
    """One word of a Words vocabulary, Zipf-distributed; or one item of a
    plain sequence, uniformly."""
    if isinstance(words, Words):
        return rnd.choices(words, cum_weights=words.cw)[0]
    return rnd.choice(words)


def make_words(rnd, n):
    """Pronounceable pseudo-words plus some common English ones, most
    frequent first."""
    common = ("the of and to in is for on that by this with from are be as at "
              "or an not it all which if may can any will file files system "
              "service user data default configuration package license "
              "version see more information software used use must should "
              "without warranty copyright free distributed under terms "
              "directory option options value values set path debian").split()
    onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r",
              "s", "t", "v", "w", "z", "br", "ch", "cl", "dr", "fl", "gr",
              "pl", "pr", "sh", "st", "str", "th", "tr"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"]
    codas = ["", "", "n", "r", "s", "t", "l", "m", "nd", "ng", "st", "x"]
    words = list(common)
    seen = set(words)
    while len(words) < n:
        w = "".join(rnd.choice(onsets) + rnd.choice(vowels) + rnd.choice(codas)
                    for _ in range(rnd.choice((1, 1, 2, 2, 2, 3))))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return Words(words)


def prose(rnd, words, nbytes, width=72):
    """Wrapped lines of random words, about nbytes long."""
    ws = rnd.choices(words, cum_weights=words.cw, k=nbytes // 5 + 8)
    out, line, total = [], [], 0
    ln = 0
    for w in ws:
        if ln + len(w) + 1 > width:
            s = " ".join(line)
            out.append(s)
            total += len(s) + 1
            if total >= nbytes:
                break
            line, ln = [], 0
            if rnd.random() < 0.08:
                out.append("")
                total += 1
        line.append(w)
        ln += len(w) + 1
    if line and total < nbytes:
        out.append(" ".join(line))
    return "\n".join(out) + "\n"


def hexs(rnd, n):
    return rnd.getrandbits(4 * n).to_bytes((4 * n + 7) // 8, "big").hex()[:n].rjust(n, "0")


def ip_pool(rnd, n, firsts):
    """n IPv4 addresses, Zipf-distributed when picked (few busy clients)."""
    return Words("%d.%d.%d.%d" % (rnd.choice(firsts) if firsts else rnd.randrange(1, 224),
                                  rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255))
                 for _ in range(n))


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
          "Nov", "Dec"]


def syslog_pool(rnd, words, nbytes):
    hosts = ["web%02d" % i for i in range(1, 9)] + ["db01", "db02", "bastion"]
    users = ["alice", "bob", "carol", "deploy", "backup", "root", "www-data",
             "postgres", "nagios", "mallory"]
    ips = ip_pool(rnd, 400, (10, 172, 192, 203))
    keys = [hexs(rnd, 43) for _ in range(40)]
    lines, total, t = [], 0, BASE_TIME - 86400 * 30
    while total < nbytes:
        t += rnd.randrange(0, 4)
        tm = time.gmtime(t)
        stamp = "%s %2d %02d:%02d:%02d" % (MONTHS[tm.tm_mon - 1], tm.tm_mday,
                                             tm.tm_hour, tm.tm_min, tm.tm_sec)
        host = rnd.choice(hosts)
        pid = rnd.randrange(300, 65000)
        r = rnd.random()
        ip = pick(rnd, ips)
        if r < 0.25:
            msg = "sshd[%d]: %s" % (pid, rnd.choice((
                "Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%s"
                % (rnd.choice(users), ip, rnd.randrange(1024, 65535), rnd.choice(keys)),
                "Failed password for invalid user %s from %s port %d ssh2"
                % (pick(rnd, words), ip, rnd.randrange(1024, 65535)),
                "Connection closed by authenticating user %s %s port %d [preauth]"
                % (rnd.choice(users), ip, rnd.randrange(1024, 65535)),
                "pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)"
                % (rnd.choice(users), rnd.randrange(0, 2000)))))
        elif r < 0.40:
            msg = "CRON[%d]: (%s) CMD (%s)" % (pid, rnd.choice(users), rnd.choice((
                "command -v debian-sa1 > /dev/null && debian-sa1 1 1",
                "cd / && run-parts --report /etc/cron.hourly",
                "/usr/local/bin/backup.sh --incremental /srv/%s" % pick(rnd, words),
                "test -x /usr/sbin/anacron || ( cd / && run-parts /etc/cron.daily )")))
        elif r < 0.60:
            unit = pick(rnd, words) + rnd.choice((".service", ".timer", ".socket", ".mount"))
            msg = "systemd[1]: %s" % rnd.choice((
                "Started %s - %s %s." % (unit, pick(rnd, words).title(), pick(rnd, words)),
                "Stopping %s..." % unit,
                "%s: Deactivated successfully." % unit,
                "%s: Consumed %d.%03ds CPU time." % (unit, rnd.randrange(60), rnd.randrange(1000))))
        elif r < 0.75:
            msg = "kernel: [%d.%06d] %s" % (rnd.randrange(1, 9000000), rnd.randrange(1000000),
                                           rnd.choice((
                "[UFW BLOCK] IN=eth0 OUT= MAC=%s SRC=%s DST=10.0.0.%d LEN=%d TOS=0x00 PROTO=TCP SPT=%d DPT=%d"
                % (":".join(hexs(rnd, 2) for _ in range(6)), ip, rnd.randrange(1, 255),
                   rnd.randrange(40, 1500), rnd.randrange(1024, 65535), rnd.choice((22, 23, 80, 443, 3389, 8080))),
                "EXT4-fs (vda1): mounted filesystem %s r/w with ordered data mode" % hexs(rnd, 8),
                "audit: type=1400 audit(%d.%03d:%d): apparmor=\"DENIED\" operation=\"open\" profile=\"%s\" name=\"/etc/%s\" pid=%d comm=\"%s\""
                % (t, rnd.randrange(1000), rnd.randrange(1, 99999), pick(rnd, words),
                   pick(rnd, words), pid, pick(rnd, words)))))
        elif r < 0.85:
            msg = "sudo[%d]: %8s : TTY=pts/%d ; PWD=/home/%s ; USER=root ; COMMAND=/usr/bin/%s %s" % (
                pid, rnd.choice(users), rnd.randrange(9), rnd.choice(users), pick(rnd, words),
                pick(rnd, words))
        else:
            msg = "postfix/smtpd[%d]: %s: client=%s[%s], sasl_method=PLAIN, sasl_username=%s@%s.example" % (
                pid, hexs(rnd, 10).upper(), pick(rnd, words), ip, rnd.choice(users), pick(rnd, words))
        s = "%s %s %s\n" % (stamp, host, msg)
        lines.append(s)
        total += len(s)
    return "".join(lines)


def access_pool(rnd, words, nbytes):
    agents = [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        "curl/7.88.1", "python-requests/2.31.0", "Go-http-client/1.1",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "sqlmap/1.7.2#stable (https://sqlmap.org)"]
    ips = ip_pool(rnd, 2000, None)
    lines, total, t = [], 0, BASE_TIME - 86400 * 30
    while total < nbytes:
        t += rnd.randrange(0, 2)
        tm = time.gmtime(t)
        stamp = "%02d/%s/%d:%02d:%02d:%02d +0000" % (tm.tm_mday, MONTHS[tm.tm_mon - 1], tm.tm_year,
                                                   tm.tm_hour, tm.tm_min, tm.tm_sec)
        ip = pick(rnd, ips)
        method = rnd.choices(("GET", "POST", "HEAD", "PUT", "DELETE"), (80, 12, 4, 2, 2))[0]
        r = rnd.random()
        if r < 0.5:
            path = "/api/v1/%s/%d" % (pick(rnd, words), rnd.randrange(100000))
        elif r < 0.8:
            path = "/static/%s/%s.%s" % (pick(rnd, words), pick(rnd, words),
                                         rnd.choice(("js", "css", "png", "woff2", "svg")))
        elif r < 0.95:
            path = "/%s?q=%s&page=%d" % (pick(rnd, words), pick(rnd, words), rnd.randrange(50))
        else:
            path = rnd.choice(("/wp-login.php", "/.env", "/admin/../../etc/passwd",
                               "/cgi-bin/luci/;stok=/locale", "/index.php?id=1%27%20OR%201=1--"))
        status = rnd.choices((200, 304, 301, 404, 403, 500), (70, 10, 5, 10, 3, 2))[0]
        ref = "-" if rnd.random() < 0.4 else "https://www.example.com/%s" % pick(rnd, words)
        s = '%s - %s [%s] "%s %s HTTP/1.1" %d %d "%s" "%s"\n' % (
            ip, "-" if rnd.random() < 0.9 else pick(rnd, words), stamp, method, path, status,
            rnd.randrange(0, 300000), ref, rnd.choice(agents))
        lines.append(s)
        total += len(s)
    return "".join(lines)


def jsonl_pool(rnd, words, nbytes):
    services = ["orders", "payments", "auth", "search", "inventory", "mailer"]
    levels = ["debug", "info", "info", "info", "warn", "error"]
    lines, total, t = [], 0, (BASE_TIME - 86400 * 30) * 1000
    while total < nbytes:
        t += rnd.randrange(0, 900)
        tm = time.gmtime(t // 1000)
        rec = {
            "ts": "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour,
                                                           tm.tm_min, tm.tm_sec, t % 1000),
            "level": rnd.choice(levels),
            "service": rnd.choice(services),
            "trace_id": hexs(rnd, 32),
            "span_id": hexs(rnd, 16),
            "msg": " ".join(rnd.choices(words, cum_weights=words.cw, k=rnd.randrange(2, 9))),
            "user_id": rnd.randrange(1, 10 ** 6),
            "http": {"method": rnd.choice(("GET", "POST")),
                     "path": "/%s/%s" % (pick(rnd, words), pick(rnd, words)),
                     "status": rnd.choice((200, 201, 204, 400, 401, 404, 500))},
            "latency_ms": round(rnd.random() * 800, 3),
        }
        if rnd.random() < 0.1:
            rec["error"] = {"type": pick(rnd, words).title() + "Error",
                            "stack": ["at %s (%s.js:%d)" % (pick(rnd, words), pick(rnd, words),
                                                            rnd.randrange(1, 900)) for _ in range(3)]}
        s = json.dumps(rec, separators=(",", ":")) + "\n"
        lines.append(s)
        total += len(s)
    return "".join(lines)


# --------------------------------------------------------------------------
# helpers


class Writer:
    """Writes files, remembers path/size/digest for the fingerprint."""

    def __init__(self, root):
        self.root = root
        self.entries = []
        self.bytes = 0
        self.dirs = set()

    def write(self, rel, chunks, mtime):
        path = os.path.join(self.root, rel)
        d = os.path.dirname(path)
        if d not in self.dirs:
            os.makedirs(d, exist_ok=True)
            self.dirs.add(d)
        h = hashlib.sha256()
        n = 0
        with open(path, "wb", buffering=0) as f:
            for c in chunks:
                f.write(c)
                h.update(c)
                n += len(c)
        os.utime(path, (mtime, mtime))
        self.entries.append((rel, n, h.hexdigest()))
        self.bytes += n

    def finish(self):
        for d in sorted(self.dirs, reverse=True):
            os.utime(d, (BASE_TIME, BASE_TIME))
        os.utime(self.root, (BASE_TIME, BASE_TIME))
        fp = hashlib.sha256()
        for rel, n, hx in sorted(self.entries):
            fp.update(("%s\t%d\t%s\n" % (rel, n, hx)).encode())
        return fp.hexdigest()


def digit_tables(rnd, n):
    """n translation tables, each a permutation of the digits 1-9 (0 stays,
    so numbers keep their shape)."""
    tabs = []
    for _ in range(n):
        p = list(b"123456789")
        rnd.shuffle(p)
        tabs.append(bytes.maketrans(b"123456789", bytes(p)))
    return tabs


def line_start(pool, off):
    """First line start at or after off (pool is doubled, so always found)."""
    i = pool.find(b"\n", off)
    return i + 1


def log_sizes(rnd, n, total, lo, hi):
    """n sizes in [lo, hi] from a truncated Pareto distribution (many small
    files, a few big ones, as in /var/log), its shape solved so that the
    sizes sum to about total."""
    if n <= 0:
        return []
    if total <= n * lo:
        return [lo] * n
    if total >= n * hi:
        return [hi] * n
    us = [rnd.random() for _ in range(n)]

    def sizes_for(alpha):
        k = 1 - (lo / hi) ** alpha
        return [min(hi, lo * (1 - u * k) ** (-1 / alpha)) for u in us]

    a_lo, a_hi = 1e-3, 50.0  # the sum falls as alpha grows
    for _ in range(100):
        mid = (a_lo + a_hi) / 2
        if sum(sizes_for(mid)) > total:
            a_lo = mid
        else:
            a_hi = mid
    sizes = [int(x) for x in sizes_for((a_lo + a_hi) / 2)]
    # put the rounding remainder on the largest file
    k = max(range(n), key=lambda i: sizes[i])
    sizes[k] = max(lo, min(hi, sizes[k] + total - sum(sizes)))
    return sizes


# --------------------------------------------------------------------------
# logs


def gen_logs(root, mib, nfiles, seed):
    rnd = random.Random("logs-%d" % seed)
    words = make_words(rnd, 3000)
    pool_bytes = 6 * MIB if mib >= 256 else 3 * MIB
    pools = {}
    for kind, fn in (("syslog", syslog_pool), ("access", access_pool), ("jsonl", jsonl_pool)):
        p = fn(rnd, words, pool_bytes).encode()
        pools[kind] = (p + p, len(p))  # doubled: a slice never wraps
    tabs = digit_tables(rnd, 720)
    total = mib * MIB
    sizes = log_sizes(rnd, nfiles, total, 10 * KIB, 50 * MIB)
    w = Writer(root)
    counters = {}
    hosts = max(1, nfiles // 60)
    for i, size in enumerate(sizes):
        kind = rnd.choices(("syslog", "access", "jsonl"), (40, 30, 30))[0]
        g = rnd.randrange(hosts)
        key = (kind, g)
        c = counters.get(key, 0)
        counters[key] = c + 1
        if kind == "syslog":
            rel = "var/log/host%03d/%s" % (g, "syslog" if c == 0 else "syslog.%d" % c)
        elif kind == "access":
            rel = "var/log/nginx/site%03d/%s" % (g, "access.log" if c == 0 else "access.log.%d" % c)
        else:
            rel = "srv/app/svc%03d/events-%05d.jsonl" % (g, c)
        pool, plen = pools[kind]
        chunks = []
        left = size
        while left > 0:
            n = min(left, MIB)
            off = line_start(pool, rnd.randrange(plen))
            chunks.append(pool[off:off + n].translate(rnd.choice(tabs)))
            left -= n
        last = chunks[-1]
        if not last.endswith(b"\n"):
            chunks[-1] = last[:-1] + b"\n"
        w.write(rel, chunks, BASE_TIME - (nfiles - i) * 600)
    return w


# --------------------------------------------------------------------------
# small files


def png_like(rnd, size):
    ihdr = b"\x00\x00\x00\x0dIHDR" + rnd.randrange(16, 256).to_bytes(4, "big") * 2 + \
        b"\x08\x06\x00\x00\x00" + rnd.randbytes(4)
    head = b"\x89PNG\r\n\x1a\n" + ihdr
    body = max(0, size - len(head) - 12)
    return head + body.to_bytes(4, "big") + b"IDAT" + rnd.randbytes(body) + b"\x00\x00\x00\x00IEND"


def gen_small(root, nfiles, seed):
    rnd = random.Random("small-%d" % seed)
    words = make_words(rnd, 4000)
    tabs = digit_tables(rnd, 720)

    def pool_of(text):
        b = text.encode()
        return (b + b, len(b))

    def fill(limit, line):
        """Concatenate line() until limit characters."""
        out, n = [], 0
        while n < limit:
            x = line()
            out.append(x)
            n += len(x)
        return "".join(out)

    def conf_line():
        r = rnd.random()
        if r < 0.3:
            return "# " + " ".join(rnd.choices(words, cum_weights=words.cw, k=rnd.randrange(3, 12))) + "\n"
        if r < 0.4:
            return "\n[%s]\n" % pick(rnd, words)
        return "%s%s = %s\n" % (rnd.choice(("", "", "#")), "_".join(rnd.choices(words, cum_weights=words.cw, k=2)),
                                rnd.choice((str(rnd.randrange(100000)), pick(rnd, words),
                                            "/usr/lib/%s/%s" % (pick(rnd, words), pick(rnd, words)),
                                            "yes", "no", "true", "false")))

    def shell_line():
        v = pick(rnd, words).upper()
        return rnd.choice((
            '%s="${%s:-/var/lib/%s}"\n' % (v, v, pick(rnd, words)),
            'if [ -f "/etc/default/%s" ]; then\n    . "/etc/default/%s"\nfi\n' % ((pick(rnd, words),) * 2),
            '[ -x /usr/sbin/%s ] || exit 0\n' % pick(rnd, words),
            'case "$1" in\n  start) %s_start ;;\n  stop) %s_stop ;;\n'
            '  *) echo "usage: $0 start|stop" >&2; exit 3 ;;\nesac\n' % ((pick(rnd, words),) * 2),
            '# %s\n' % " ".join(rnd.choices(words, cum_weights=words.cw, k=8)),
            'for f in /etc/%s.d/*; do\n    [ -r "$f" ] && . "$f"\ndone\n' % pick(rnd, words)))

    def python_line():
        return rnd.choice((
            "import %s\n" % pick(rnd, words),
            "def %s(%s, %s):\n    return %s(%s)\n\n" % tuple(rnd.choices(words, cum_weights=words.cw, k=5)),
            "    %s = %s.%s(%d)\n" % (pick(rnd, words), pick(rnd, words), pick(rnd, words),
                                     rnd.randrange(999)),
            '    """%s."""\n' % " ".join(rnd.choices(words, cum_weights=words.cw, k=7)).capitalize()))

    def xml_line():
        return '  <%s name="%s" value="%s" id="%d"/>\n' % (pick(rnd, words), pick(rnd, words),
                                                          pick(rnd, words), rnd.randrange(99999))

    def html_line():
        return rnd.choice((
            "<p>%s.</p>\n" % " ".join(rnd.choices(words, cum_weights=words.cw, k=rnd.randrange(8, 40))).capitalize(),
            '<h2 id="%s">%s</h2>\n' % (pick(rnd, words), pick(rnd, words).title()),
            '<li><a href="%s.html">%s</a></li>\n' % (pick(rnd, words), pick(rnd, words))))

    pools = {
        "conf": pool_of(fill(2 * MIB, conf_line)),
        "sh": pool_of(fill(MIB, shell_line)),
        "py": pool_of(fill(MIB, python_line)),
        "xml": pool_of(fill(MIB, xml_line)),
        "html": pool_of(fill(MIB, html_line)),
        "doc": pool_of(prose(rnd, words, 2 * MIB)),
    }

    def text(kind, n):
        pool, plen = pools[kind]
        off = line_start(pool, rnd.randrange(plen))
        return pool[off:off + max(0, n)].translate(rnd.choice(tabs))

    sizes = [int(200 * (8192 / 200) ** rnd.random()) for _ in range(nfiles)]
    kinds = ("conf", "doc", "gz", "sh", "xml", "json", "py", "html", "png")
    weights = (30, 16, 14, 10, 8, 7, 5, 5, 5)
    ext = {"conf": ".conf", "doc": "", "gz": ".gz", "sh": ".sh", "xml": ".xml", "json": ".json",
           "py": ".py", "html": ".html", "png": ".png"}
    npkg = max(1, nfiles // 20)
    pkgs = []
    seen = set()
    while len(pkgs) < npkg:
        p = rnd.choice(("", "", "lib", "python3-", "x11-")) + pick(rnd, words) + \
            rnd.choice(("", "", "-common", "-utils", "-data", "%d" % rnd.randrange(10)))
        if p not in seen:
            seen.add(p)
            pkgs.append(p)
    used = set()
    w = Writer(root)
    for i, size in enumerate(sizes):
        kind = rnd.choices(kinds, weights)[0]
        pkg = rnd.choice(pkgs)
        if kind in ("conf", "sh"):
            top = rnd.choice(("etc/%s" % pkg, "etc/%s/conf.d" % pkg, "etc/%s.d" % rnd.choice(pkgs[:50])))
        elif kind in ("doc", "gz", "html"):
            top = rnd.choice(("usr/share/doc/%s" % pkg, "usr/share/doc/%s/examples" % pkg))
        else:
            top = rnd.choice(("usr/share/%s" % pkg, "usr/lib/%s" % pkg, "etc/%s" % pkg))
        if kind == "doc":
            stem = rnd.choice(("README", "copyright", "NEWS", "AUTHORS", "TODO", "changelog",
                               pick(rnd, words) + ".txt"))
        elif kind == "gz":
            stem = rnd.choice(("changelog.Debian", "changelog", "NEWS.Debian", pick(rnd, words) + ".txt"))
        else:
            stem = pick(rnd, words)
        rel = "%s/%s%s" % (top, stem, ext[kind])
        if rel in used:
            rel = "%s/%s-%d%s" % (top, stem, i, ext[kind])
        used.add(rel)

        if kind == "conf":
            data = b"# /%s: %s\n" % (rel.encode(), pick(rnd, words).encode()) + text("conf", size)
        elif kind == "sh":
            data = b"#!/bin/sh\nset -e\n\n" + text("sh", size)
        elif kind == "py":
            data = b"#!/usr/bin/python3\n# -*- coding: utf-8 -*-\n" + text("py", size)
        elif kind == "xml":
            data = b'<?xml version="1.0" encoding="UTF-8"?>\n<config>\n' + text("xml", size - 60) + \
                b"</config>\n"
        elif kind == "html":
            data = b"<!DOCTYPE html>\n<html lang=\"en\">\n<head><title>%s</title></head>\n<body>\n" % \
                pick(rnd, words).encode() + text("html", size - 90) + b"</body>\n</html>\n"
        elif kind == "doc":
            data = text("doc", size)
        elif kind == "gz":
            data = gzip.compress(text("doc", size * 2), compresslevel=9, mtime=0)
        elif kind == "json":
            n = max(1, size // 60)
            obj = {"name": pick(rnd, words), "version": "%d.%d.%d" % (rnd.randrange(9), rnd.randrange(20),
                                                                        rnd.randrange(99)),
                   "settings": {"%s_%d" % (pick(rnd, words), j): rnd.choice(
                       (rnd.randrange(10000), pick(rnd, words), True, None, [pick(rnd, words)]))
                       for j in range(n)}}
            data = json.dumps(obj, indent=2).encode() + b"\n"
        else:
            data = png_like(rnd, size)
        w.write(rel, [data], BASE_TIME - (nfiles - i) * 60)
    return w


def gen_tree(root, nfiles, seed):
    """nfiles tiny files, about 25 per directory, the directories spread
    over up to five levels: what a filesystem timeline walks."""
    rnd = random.Random(seed)
    ndirs = max(1, nfiles // 25)
    dirs = [""]
    while len(dirs) < ndirs:
        parent = rnd.choice(dirs[-200:] if rnd.random() < 0.7 else dirs)
        if parent.count("/") >= 4:
            parent = ""
        dirs.append("%sd%05d/" % (parent, len(dirs)))
    w = Writer(root)
    for i in range(nfiles):
        rel = "%sf%07d.%s" % (rnd.choice(dirs), i, rnd.choice(("txt", "log", "conf", "dat")))
        w.write(rel, [b"x" * rnd.randrange(65)], BASE_TIME - (nfiles - i) * 7)
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=("logs", "small", "tree"))
    ap.add_argument("dir")
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if os.path.exists(a.dir):
        sys.exit("corpus.py: %s already exists; refusing to write into it" % a.dir)
    os.makedirs(a.dir)
    t0 = time.perf_counter()
    if a.kind == "logs":
        w = gen_logs(a.dir, a.mib, a.files, a.seed)
    elif a.kind == "tree":
        w = gen_tree(a.dir, a.files, a.seed)
    else:
        w = gen_small(a.dir, a.files, a.seed)
    fp = w.finish()
    print(json.dumps({"kind": a.kind, "dir": a.dir, "files": len(w.entries), "bytes": w.bytes,
                      "seed": a.seed, "fingerprint": fp,
                      "seconds": round(time.perf_counter() - t0, 2)}))


if __name__ == "__main__":
    main()
