#!/bin/sh
# custody-check: verify a custody evidence archive or a custody ledger
# without custody, from custody-formats(5) alone.
#
#   sh custody-check.sh archive ARCHIVE PUBKEY
#   sh custody-check.sh ledger CASEDIR [CHECKPOINT...]
#
# Exit status: 0 verified; 1 integrity failure (each problem on its own
# line, naming the member or the event); 2 cannot check (a tool missing,
# input unreadable, usage).
#
# Tools: a POSIX sh and awk; od, sed, grep, tr, cut, head, tail, wc, cmp,
# cp, ls, mkdir, rm, sha256sum, basenc and base64 (coreutils); GNU tar and
# the archive's decompressor (zstd, gzip or xz); openssl 3.0 or later (for
# Ed25519); sqlite3 for a ledger. Nothing else: no jq, xxd or python.
#
# It writes nothing but into a private temporary directory, removed on exit
# ($TMPDIR, else /tmp; it needs room for the decompressed archive: it keeps
# at most 1 MiB past the end-of-archive marker and soon stops there). Byte
# strings (member names, ledger texts) are handled as hexadecimal
# throughout, so that newlines, NUL bytes and invalid UTF-8 are compared
# exactly; awk writes bytes back only into files of that directory.
#
# What it checks, in the order of custody-formats(5), VERIFICATION:
#  archive: 0 the .sha256 sidecar, if there is one (a regular file of at
#  most 4 KiB); 1 one layer of compression, nothing after it (not even the
#  zeros gzip ignores), no zstd skippable frame or gzip optional header
#  fields first, no first 512 bytes that GNU tar takes for a header; 2 every
#  512-byte tar header, walked here, not by tar: only ustar regular files
#  of mode 0644 and owner 0, octal numbers, nothing hidden after a text
#  field's NUL, in header bytes 500-511 or in the padding after a member's
#  data, pax 'x' headers with path, size, mtime and hdrcharset only (their
#  own fields as a member's), the end marker of two zero blocks and a zero
#  tail of at most 1 MiB (THE EVIDENCE ARCHIVE);
#  3 the five custody/ members, once each; 4 the manifest, line by line;
#  5 the members against the manifest's entries
#  (extra, missing, duplicate, size, a files/ member's mtime); 6 SHA256SUMS against the manifest;
#  7 what GNU tar extracts: the same members, each of its SHA-256
#  (sha256sum -c); 8 the seal's commitments and the Merkle root; 9 the
#  signer's fingerprint and the signature. At most 10000 problems are
#  listed, the rest counted.
#  ledger: 1 the tables, read with typeof() and hex(); 2 every event rebuilt
#  from its columns, the tree head before it and the row it describes, byte
#  for byte against its signed canonical bytes; 3 every signature; 4 the
#  registration rules; 5 every handler, artifact and time-stamp row bound to
#  its event, each by one event only; 6 the cached tree heads, root and
#  frontier; 7 each checkpoint: origin, signature, size and root (one of
#  another case is said to be that, not checked: exit 2 if nothing else
#  is wrong).

set -u
LC_ALL=C
export LC_ALL
umask 077

T=
cleanup() { [ -n "$T" ] && rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 2' HUP INT PIPE TERM

# cannot WHAT: the check cannot be made (exit 2).
cannot() {
	printf 'custody-check: %s\n' "$*" >&2
	exit 2
}

usage() {
	cannot "usage: custody-check.sh archive ARCHIVE PUBKEY | ledger CASEDIR [CHECKPOINT...]"
}

need() {
	for tool; do
		command -v "$tool" >/dev/null 2>&1 || cannot "needs $tool, which is not installed"
	done
}

# sha256 FILE: its SHA-256 in hex.
sha256() {
	sha256sum <"$1" | cut -c1-64
}

# hexof FILE: its bytes as lower-case hex, one line.
hexof() {
	od -An -v -tx1 "$1" | tr -d ' \n'
}

# bytes FILE: its size.
bytes() {
	wc -c <"$1" | tr -d ' '
}

# problems: print what was found and exit 1, or say verified and exit 0.
finish() {
	if [ -s "$T/problems" ]; then
		# At most 10000 problems listed, as custody; the rest counted.
		n=$(wc -l <"$T/problems" | tr -d ' ')
		head -n 10000 "$T/problems"
		[ "$n" -gt 10000 ] &&
		    printf 'FAILED (archive): %s more problems, not listed\n' $((n - 10000))
		[ -f "$T/note" ] && cat "$T/note"
		printf 'NOT VERIFIED: %s: %s problem(s)\n' "$1" "$n"
		exit 1
	fi
	printf 'verified: %s\n' "$2"
	exit 0
}

# --- awk library: hex tables, display of names, bytes to files, JSON ----
write_awk_library() {
	cat >"$T/lib.awk" <<'EOF'
function init(   i, h) {
	for (i = 0; i < 256; i++) {
		h = sprintf("%02x", i)
		HEX[i] = h; VAL[h] = i
		if (i > 0) ORD[sprintf("%c", i)] = i
	}
	B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
}
# Bytes of a text (no NUL inside) as hex.
function tohex(s,   i, n, r) {
	r = ""; n = length(s)
	for (i = 1; i <= n; i++) r = r HEX[ORD[substr(s, i, 1)]]
	return r
}
# Hex of ASCII-only bytes back to text (for identifiers and digests).
function totext(h,   i, n, r) {
	r = ""; n = length(h)
	for (i = 1; i < n; i += 2) r = r sprintf("%c", VAL[substr(h, i, 2)])
	return r
}
# A name for people: printable ASCII as is, backslash and other bytes escaped.
function show(h,   i, n, r, v) {
	r = ""; n = length(h)
	for (i = 1; i < n; i += 2) {
		v = VAL[substr(h, i, 2)]
		if (v == 92) r = r "\\\\"
		else if (v >= 32 && v < 127) r = r sprintf("%c", v)
		else r = r "\\x" substr(h, i, 2)
	}
	return r
}
# Write the bytes of hex h to file f (opened by the caller's redirections).
function writehex(h, f,   i, n) {
	n = length(h)
	for (i = 1; i < n; i += 2) printf "%c", VAL[substr(h, i, 2)] > f
}
function isascii_text(h,   i, n, v) {
	n = length(h)
	for (i = 1; i < n; i += 2) { v = VAL[substr(h, i, 2)]; if (v < 32 || v > 126) return 0 }
	return 1
}
# Base64 (RFC 4648, padded) of hex bytes.
function base64(h,   i, n, a, b, c, r) {
	r = ""; n = length(h)
	for (i = 1; i <= n; i += 6) {
		a = VAL[substr(h, i, 2)]
		b = i + 2 <= n ? VAL[substr(h, i + 2, 2)] : 0
		c = i + 4 <= n ? VAL[substr(h, i + 4, 2)] : 0
		r = r substr(B64, int(a / 4) + 1, 1) substr(B64, (a % 4) * 16 + int(b / 16) + 1, 1)
		r = r (i + 2 <= n ? substr(B64, (b % 16) * 4 + int(c / 64) + 1, 1) : "=")
		r = r (i + 4 <= n ? substr(B64, c % 64 + 1, 1) : "=")
	}
	return r
}
function utf8(cp) {
	if (cp < 128) return HEX[cp]
	if (cp < 2048) return HEX[192 + int(cp / 64)] HEX[128 + cp % 64]
	if (cp < 65536) return HEX[224 + int(cp / 4096)] HEX[128 + int(cp / 64) % 64] HEX[128 + cp % 64]
	return HEX[240 + int(cp / 262144)] HEX[128 + int(cp / 4096) % 64] HEX[128 + int(cp / 64) % 64] HEX[128 + cp % 64]
}
# Decode UTF-8 hex into code points CP[1..n]; return n, or -1 when the
# bytes are not valid UTF-8 (overlong forms, surrogates, above U+10FFFF).
function decode_utf8(h,   i, n, k, b, c, need, cp, min) {
	n = length(h); i = 1; k = 0
	while (i <= n) {
		b = VAL[substr(h, i, 2)]; i += 2
		if (b < 128) { CP[++k] = b; continue }
		if (b >= 194 && b <= 223) { need = 1; cp = b - 192; min = 128 }
		else if (b >= 224 && b <= 239) { need = 2; cp = b - 224; min = 2048 }
		else if (b >= 240 && b <= 244) { need = 3; cp = b - 240; min = 65536 }
		else return -1
		while (need-- > 0) {
			if (i > n) return -1
			c = VAL[substr(h, i, 2)]; i += 2
			if (c < 128 || c > 191) return -1
			cp = cp * 64 + c - 128
		}
		if (cp < min || cp > 1114111 || (cp >= 55296 && cp <= 57343)) return -1
		CP[++k] = cp
	}
	return k
}
# The canonical JSON string (custody-formats(5), EVENTS) of UTF-8 hex bytes,
# quotes included; "" when they are not valid UTF-8.
function jstr(h,   n, i, c, r, hi) {
	if ((n = decode_utf8(h)) < 0) return ""
	r = "\""
	for (i = 1; i <= n; i++) {
		c = CP[i]
		if (c == 34) r = r "\\\""
		else if (c == 92) r = r "\\\\"
		else if (c == 8) r = r "\\b"
		else if (c == 9) r = r "\\t"
		else if (c == 10) r = r "\\n"
		else if (c == 12) r = r "\\f"
		else if (c == 13) r = r "\\r"
		else if (c < 32) r = r sprintf("\\u%04X", c)
		else if (c < 128) r = r sprintf("%c", c)
		else if (c < 65536) r = r sprintf("\\u%04X", c)
		else {
			c -= 65536; hi = 55296 + int(c / 1024)
			r = r sprintf("\\u%04X\\u%04X", hi, 56320 + c % 1024)
		}
	}
	return r "\""
}
# --- a strict JSON reader (RFC 8259, no duplicate keys, no \u0000) ---
# jparse(S): J[path] = value, JT[path] = s (hex of the decoded string),
# n (number, as written), t, f, z (null), o, a; JK[path] = keys in order,
# separated by SUBSEP; JERR on failure. Paths: a.b, a.0 (array index).
function jparse(s) {
	delete J; delete JT; delete JK
	JS = s; JP = 1; JN = length(s); JERR = ""
	jws(); jvalue("")
	jws()
	if (JERR == "" && JP <= JN) JERR = "text after the JSON value"
	return JERR == ""
}
function jws(   c) {
	while (JP <= JN) {
		c = substr(JS, JP, 1)
		if (c != " " && c != "\t" && c != "\n" && c != "\r") break
		JP++
	}
}
function jfail(what) { if (JERR == "") JERR = what " at byte " JP; JP = JN + 1 }
function jvalue(path,   c, m) {
	if (JERR != "") return
	c = substr(JS, JP, 1)
	if (c == "{") jobject(path)
	else if (c == "[") jarray(path)
	else if (c == "\"") { m = jstring(); if (JERR == "") { J[path] = m; JT[path] = "s" } }
	else if (substr(JS, JP, 4) == "true") { JP += 4; J[path] = "true"; JT[path] = "t" }
	else if (substr(JS, JP, 5) == "false") { JP += 5; J[path] = "false"; JT[path] = "f" }
	else if (substr(JS, JP, 4) == "null") { JP += 4; J[path] = ""; JT[path] = "z" }
	else if (match(substr(JS, JP, 64), /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) {
		m = substr(JS, JP, RLENGTH)
		if (jnumber_fits(m)) { J[path] = m; JT[path] = "n"; JP += RLENGTH }
	} else jfail("unexpected character")
}
# Integers must lie in [-2^63, 2^63-1] and other numbers be finite doubles
# (custody-formats(5), Conventions), as jansson demands.
function jnumber_fits(m,   d) {
	if (m ~ /[.eE]/) {
		if (m + 0 > 1.7976931348623157e308 || m + 0 < -1.7976931348623157e308) {
			jfail("real number overflow"); return 0
		}
		return 1
	}
	d = m; sub(/^-/, "", d)
	if (length(d) < 19) return 1
	if (length(d) > 19 || d "" > (m ~ /^-/ ? "9223372036854775808" : "9223372036854775807")) {
		jfail(m ~ /^-/ ? "too big negative integer" : "too big integer"); return 0
	}
	return 1
}
function jobject(path,   key, sub_, c) {
	JT[path] = "o"; JK[path] = ""; JP++; jws()
	if (substr(JS, JP, 1) == "}") { JP++; return }
	for (;;) {
		if (substr(JS, JP, 1) != "\"") { jfail("expected a key"); return }
		key = jstring(); if (JERR != "") return
		key = isascii_text(key) ? totext(key) : "\\x" key
		sub_ = path == "" ? key : path "." key
		if (sub_ in JT) { jfail("duplicate key \"" key "\""); return }
		JK[path] = JK[path] SUBSEP key
		jws()
		if (substr(JS, JP, 1) != ":") { jfail("expected ':'"); return }
		JP++; jws(); jvalue(sub_); if (JERR != "") return
		jws(); c = substr(JS, JP, 1); JP++
		if (c == "}") return
		if (c != ",") { jfail("expected ',' or '}'"); return }
		jws()
	}
}
function jarray(path,   i, c) {
	JT[path] = "a"; JP++; jws(); i = 0
	if (substr(JS, JP, 1) == "]") { JP++; J[path] = 0; return }
	for (;;) {
		jvalue(path "." i); i++; if (JERR != "") return
		jws(); c = substr(JS, JP, 1); JP++
		if (c == "]") { J[path] = i; return }
		if (c != ",") { jfail("expected ',' or ']'"); return }
		jws()
	}
}
# A string at JP: returns the hex of its decoded bytes.
function jstring(   r, c, v, u, lo, raw) {
	r = ""; raw = ""; JP++
	for (;;) {
		if (JP > JN) { jfail("unterminated string"); return "" }
		c = substr(JS, JP, 1)
		if (c == "\"") { JP++; break }
		v = ORD[c]
		if (v < 32) { jfail("control character in a string"); return "" }
		if (c != "\\") { r = r HEX[v]; JP++; continue }
		c = substr(JS, JP + 1, 1); JP += 2
		if (c == "\"") r = r "22"
		else if (c == "\\") r = r "5c"
		else if (c == "/") r = r "2f"
		else if (c == "b") r = r "08"
		else if (c == "f") r = r "0c"
		else if (c == "n") r = r "0a"
		else if (c == "r") r = r "0d"
		else if (c == "t") r = r "09"
		else if (c == "u") {
			u = jhex4(); if (JERR != "") return ""
			if (u >= 55296 && u <= 56319) {
				if (substr(JS, JP, 2) != "\\u") { jfail("lone surrogate"); return "" }
				JP += 2; lo = jhex4(); if (JERR != "") return ""
				if (lo < 56320 || lo > 57343) { jfail("lone surrogate"); return "" }
				u = 65536 + (u - 55296) * 1024 + (lo - 56320)
			} else if (u >= 56320 && u <= 57343) { jfail("lone surrogate"); return "" }
			if (u == 0) { jfail("\\u0000 in a string"); return "" }
			r = r utf8(u)
		} else { jfail("bad escape"); return "" }
	}
	if (decode_utf8(r) < 0) { jfail("string is not valid UTF-8"); return "" }
	return r
}
function jhex4(   t, i, v, d) {
	t = substr(JS, JP, 4); v = 0
	if (length(t) != 4) { jfail("bad \\u escape"); return 0 }
	for (i = 1; i <= 4; i++) {
		d = index("0123456789abcdef", tolower(substr(t, i, 1)))
		if (d == 0) { jfail("bad \\u escape"); return 0 }
		v = v * 16 + d - 1
	}
	JP += 4
	return v
}
# Hex of base64 text (RFC 4648, padded, no line breaks); "-" when invalid.
function unbase64(s,   n, i, j, c, v, acc, bits, r, pad) {
	n = length(s); r = ""; acc = 0; bits = 0; pad = 0
	if (n % 4 != 0) return "-"
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c == "=") { if (i <= n - 2) return "-"; pad++; continue }
		if (pad) return "-"
		v = index(B64, c)
		if (v == 0) return "-"
		acc = acc * 64 + v - 1; bits += 6
		if (bits >= 8) { bits -= 8; j = int(acc / 2 ^ bits); r = r HEX[j]; acc -= j * 2 ^ bits }
	}
	if (acc != 0) return "-"
	return r
}
# Days from 1970-01-01 to a date of the proleptic Gregorian calendar, and
# back (as "Y M D").
function days_from_civil(y, m, d,   era, yoe, doy, doe) {
	y -= m <= 2
	era = y >= 0 ? int(y / 400) : -int((399 - y) / 400)
	yoe = y - era * 400
	doy = int((153 * ((m + 9) % 12) + 2) / 5) + d - 1
	doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
	return era * 146097 + doe - 719468
}
function civil_from_days(z,   era, doe, yoe, y, doy, mp, d, m) {
	z += 719468
	era = z >= 0 ? int(z / 146097) : -int((146096 - z) / 146097)
	doe = z - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	y = yoe + era * 400
	doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153)
	d = doy - int((153 * mp + 2) / 5) + 1
	m = mp < 10 ? mp + 3 : mp - 9
	return (y + (m <= 2)) " " m " " d
}
# A manifest time "YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ" as "SEC NSEC" (seconds
# since the epoch, floor); "- -" when it is not one, as written.
function isotime(t,   y, m, d, hh, mm, ss, dim) {
	if (t !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]Z$/)
		return "- -"
	y = substr(t, 1, 4) + 0; m = substr(t, 6, 2) + 0; d = substr(t, 9, 2) + 0
	hh = substr(t, 12, 2) + 0; mm = substr(t, 15, 2) + 0; ss = substr(t, 18, 2) + 0
	dim = m == 2 ? ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28) : (m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31)
	if (m < 1 || m > 12 || d < 1 || d > dim || hh > 23 || mm > 59 || ss > 59) return "- -"
	return sprintf("%.0f %d", days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss, substr(t, 21, 9) + 0)
}
# Seconds and nanoseconds as the manifest writes a time.
function timetext(sec, nsec,   z, s, c) {
	z = sec >= 0 ? int(sec / 86400) : -int((86399 - sec) / 86400)
	s = sec - z * 86400
	split(civil_from_days(z), c, " ")
	return sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", c[1], c[2], c[3],
	    int(s / 3600), int(s / 60) % 60, s % 60, nsec)
}
# Field helpers on a parsed document.
function jtext(p) { return (p in JT) && JT[p] == "s" && isascii_text(J[p]) ? totext(J[p]) : "" }
function jint(p) { return (p in JT) && JT[p] == "n" && J[p] ~ /^(0|[1-9][0-9]*)$/ ? J[p] : "" }
function isdigest(s, n) { return length(s) == n && s !~ /[^0-9a-f]/ }
EOF
	# One level of a Merkle tree: each pair of hashes (hex, one a line) as
	# the node preimage 0x01 || left || right, one file each; an odd last
	# hash is written to the file carry, to be carried up unchanged.
	cat >"$T/pair.awk" <<'EOF'
BEGIN { init() }
NR % 2 == 1 { left = $0; next }
{ f = sprintf("%s/%08d", dir, NR / 2); writehex("01" left $0, f); close(f); left = "" }
END { printf "%s", left > carry }
EOF
}

# hash_files DIR: SHA-256 of every file in DIR, in name order, one per line.
hash_files() {
	if [ -n "$(ls "$1")" ]; then
		(cd "$1" && sha256sum -- *) | cut -c1-64
	fi
}

# merkle_root LEAFHASHES: the RFC 9162 root over a list of leaf hashes (hex,
# one per line), level by level: pairs from the left, an odd last hash
# carried up. Each node is SHA-256(0x01 || left || right).
merkle_root() {
	cp "$1" "$T/level"
	n=$(wc -l <"$T/level" | tr -d ' ')
	if [ "$n" -eq 0 ]; then
		printf '' | sha256sum | cut -c1-64
		return
	fi
	while [ "$n" -gt 1 ]; do
		rm -rf "$T/nodes" && mkdir "$T/nodes"
		awk -f "$T/lib.awk" -f "$T/pair.awk" -v dir="$T/nodes" \
		    -v carry="$T/carry" "$T/level" || cannot "awk failed"
		hash_files "$T/nodes" >"$T/level"
		if [ -s "$T/carry" ]; then
			cat "$T/carry" >>"$T/level" && echo >>"$T/level"
		fi
		n=$(wc -l <"$T/level" | tr -d ' ')
	done
	cat "$T/level"
}

# ed25519_pem RAWHEX OUT: a raw 32-byte public key as a PEM public key
# (the fixed SubjectPublicKeyInfo prefix of RFC 8410, then the key).
ed25519_pem() {
	printf '302a300506032b6570032100%s' "$1" | tr 'a-f' 'A-F' |
	    basenc --base16 -d >"$2.der" &&
	    openssl pkey -pubin -inform DER -in "$2.der" -out "$2" 2>/dev/null
}

# ed25519_verify PEM MESSAGE SIGNATURE: 0 when the signature verifies.
ed25519_verify() {
	openssl pkeyutl -verify -pubin -inkey "$1" -rawin -in "$2" -sigfile "$3" \
	    >/dev/null 2>&1
}


# ======================================================================
# archive ARCHIVE PUBKEY
# ======================================================================

# Step 2: walk the tar headers. Reads each 512-byte header with od (data
# blocks are skipped, not read) and prints "M OFFSET SIZE NAMEHEX" per
# member, "END OFFSET" at the end-of-archive marker, and problems.
write_tar_walker() {
	cat >"$T/tar.awk" <<'EOF'
# Numbers as exact decimal integers (awk would print 2^40 as 1.09951e+12).
function num(x) { return sprintf("%.0f", x) }
# Read len bytes at offset at into B[0..len-1], and the pad bytes before
# them into B[-pad..-1] (the padding after the member before, so that it
# costs no process of its own); returns the bytes read from at.
function readat(at, len, pad,   cmd, line, n, i, k, t) {
	pad += 0; k = 0 - pad; delete B
	cmd = "od -An -v -tu1 -j " num(at - pad) " -N " num(len + pad) " '" tar "'"
	while ((cmd | getline line) > 0) {
		n = split(line, t, " ")
		for (i = 1; i <= n; i++) B[k++] = t[i] + 0
	}
	close(cmd)
	return k
}
# A NUL-padded text field with bytes after its end (ustar_text).
function stray(from, len,   i) {
	for (i = from; i < from + len && B[i] != 0; i++) ;
	for (; i < from + len; i++) if (B[i] != 0) return 1
	return 0
}
function allzero(from, len,   i) {
	for (i = from; i < from + len; i++) if (B[i] != 0) return 0
	return 1
}
function field(from, len,   i, r) {
	r = ""
	for (i = from; i < from + len && B[i] != 0; i++) r = r HEX[B[i]]
	return r
}
# An octal number field: its value, -1 when malformed, -2 when all NUL.
function octal(from, len,   i, v, digits) {
	if (allzero(from, len)) return -2
	i = from; v = 0; digits = 0
	while (i < from + len && B[i] >= 48 && B[i] <= 55) { v = v * 8 + B[i] - 48; i++; digits++ }
	if (digits == 0) return -1
	for (; i < from + len; i++) if (B[i] != 0 && B[i] != 32) return -1
	return v
}
function problem(namehex, what) {
	print "FAILED " (namehex == "" ? "(archive)" : show(namehex)) ": " what >> problems
	bad = 1
}
function padded(n) { return int((n + 511) / 512) * 512 }
# A name custody could have written: relative, no empty, . or .. parts.
function name_problem(h,   n, i, part, r) {
	if (h == "") return "empty member name"
	if (length(h) > 8192) return "member name longer than 4096 bytes"
	if (h ~ /^(..)*00/) return "member name holds a NUL byte, which tar cuts it at"
	if (substr(h, 1, 2) == "2f") return "absolute member name"
	n = length(h); part = ""
	for (i = 1; i <= n + 1; i += 2) {
		if (i > n || substr(h, i, 2) == "2f") {
			if (part == "") return "empty component in the member name"
			if (part == "2e") return "'.' component in the member name"
			if (part == "2e2e") return "'..' component in the member name"
			part = ""
		} else part = part substr(h, i, 2)
	}
	return ""
}
# The pax records of an 'x' header: PAX[key] = value as hex. What is wrong
# with them is kept in PAXERR, to be said of the member they apply to.
function paxerr(what) { PAXERR = PAXERR SUBSEP what }
# A pax time "[-]SEC[.FRAC]" as "SEC NSEC", the fraction padded to 9
# digits; before the epoch the second below and what is left: -1.25 is
# second -2 and 750000000 ns.
function paxtime(v,   neg, sec, frac) {
	neg = substr(v, 1, 1) == "-"
	if (neg) v = substr(v, 2)
	sec = v; frac = ""
	if (index(v, ".")) { sec = substr(v, 1, index(v, ".") - 1); frac = substr(v, index(v, ".") + 1) }
	frac = substr(frac "000000000", 1, 9)
	sub(/^0+/, "", sec); if (sec == "") sec = "0"
	sub(/^0+/, "", frac); if (frac == "") frac = "0"
	if (neg && frac + 0 > 0) return "-" bigadd1(sec) " " (1000000000 - frac)
	return (neg && sec != "0" ? "-" : "") sec " " frac
}
# A decimal string plus one (times of up to 19 digits, beyond awk's doubles).
function bigadd1(s,   i, d) {
	for (i = length(s); i > 0; i--) {
		d = substr(s, i, 1) + 1
		if (d < 10) return substr(s, 1, i - 1) d substr(s, i + 1)
		s = substr(s, 1, i - 1) "0" substr(s, i + 1)
	}
	return "1" s
}
function pax(at, size,   got, i, j, k, len, key, v) {
	delete PAX; PAXERR = ""; PAXTIME = ""
	got = readat(at, padded(size))
	if (got < padded(size)) { paxerr("pax header data ends early: truncated"); return 0 }
	if (!allzero(size, padded(size) - size)) paxerr("bytes after the pax records")
	i = 0
	while (i < size) {
		j = i; len = 0
		while (j < size && B[j] >= 48 && B[j] <= 57) { len = len * 10 + B[j] - 48; j++ }
		# LEN: 1 to 19 decimal digits (leading zeros read alike by every
		# tar), covering at least "LEN k=\n".
		if (j == i || j - i > 19 || j >= size || B[j] != 32 || i + len > size ||
		    len < j - i + 4 || B[i + len - 1] != 10) {
			paxerr("malformed pax record at byte " i " of its pax header")
			return 1
		}
		key = ""
		for (k = j + 1; k < i + len - 1 && B[k] != 61; k++) key = key HEX[B[k]]
		if (k >= i + len - 1 || key == "" || key ~ /^(..)*00/) {
			paxerr("malformed pax record at byte " i " of its pax header" (key ~ /^(..)*00/ ? ": a key with a NUL byte" : ""))
			return 1
		}
		v = ""
		for (k++; k < i + len - 1; k++) v = v HEX[B[k]]
		key = show(key)
		if (key in PAX) paxerr("pax key \"" key "\" twice")
		PAX[key] = v
		i += len
	}
	for (key in PAX) {
		v = totext(PAX[key])
		if (key == "path") continue
		# Decimal, 1 to 19 digits; a time of at most 19 digits and 9 decimals.
		if (key == "size") { if (!isascii_text(PAX[key]) || v !~ /^[0-9]+$/ || length(v) > 19) paxerr("pax size is not a decimal number") }
		else if (key == "mtime") {
			if (!isascii_text(PAX[key]) || v !~ /^-?[0-9]+(\.[0-9]+)?$/ ||
			    length(v) - (v ~ /^-/) - (index(v, ".") ? length(v) - index(v, ".") + 1 : 0) > 19 ||
			    (index(v, ".") && length(v) - index(v, ".") > 9))
				paxerr("pax mtime is not a time")
			else PAXTIME = paxtime(v)
		}
		else if (key == "hdrcharset") { if (v != "BINARY" && v != "ISO-IR 10646 2000 UTF-8") paxerr("pax hdrcharset \"" show(PAX[key]) "\"") }
		else if (key ~ /^GNU\.sparse/) paxerr("a GNU sparse member (pax " key "), which custody never writes")
		else paxerr("pax key \"" key "\", which custody never writes")
	}
	return 1
}
# Say what was wrong with the pax header, of the member it applies to.
function paxproblems(name,   n, i, e) {
	n = split(PAXERR, e, SUBSEP)
	for (i = 2; i <= n; i++) problem(name, e[i])
	PAXERR = ""
	# A path that is not UTF-8 must be declared binary: tars convert it.
	if (("path" in PAX) && !(("hdrcharset" in PAX) && totext(PAX["hdrcharset"]) == "BINARY") &&
	    decode_utf8(PAX["path"]) < 0)
		problem(name, "pax path is not UTF-8 and hdrcharset is not BINARY: tars would convert it")
}
# The fields of a regular file's header, and of a pax header's own: mode
# 0644, owner 0:0 without names, no link name or device numbers, nothing
# after a text field's end or in bytes 500-511. what: "" or "pax header ".
function fields(name, what,   mode, v, w) {
	mode = octal(100, 8)
	if (mode != 420 && mode >= 0) problem(name, what sprintf("mode %04o, not 0644", mode))
	if (octal(108, 8) != 0 || octal(116, 8) != 0)
		problem(name, what sprintf("owner %d, group %d, not 0 and 0", octal(108, 8), octal(116, 8)))
	if (!allzero(265, 32) || !allzero(297, 32))
		problem(name, what "owner or group name \"" show(field(265, 32)) "\", \"" show(field(297, 32)) "\", not empty")
	if (!allzero(157, 100)) problem(name, what "a link name \"" show(field(157, 100)) "\" on a regular file")
	v = octal(329, 8); w = octal(337, 8)
	if ((v != 0 && v != -2) || (w != 0 && w != -2)) problem(name, what "device numbers on a regular file")
	if (stray(0, 100) || stray(157, 100) || stray(265, 32) || stray(297, 32) ||
	    stray(345, 155) || !allzero(500, 12))
		problem(name, what "bytes hidden after a field's end or in the header padding")
}
function typename(c) {
	if (c == "L") return "GNU long name ('L')"
	if (c == "K") return "GNU long link name ('K')"
	if (c == "S") return "GNU sparse ('S')"
	if (c == "g") return "pax global ('g')"
	if (c == "V") return "volume label ('V')"
	if (c == "M") return "multi-volume ('M')"
	if (c == "1") return "hard link ('1')"
	if (c == "2") return "symbolic link ('2')"
	if (c == "3" || c == "4") return "device ('" c "')"
	if (c == "5") return "directory ('5')"
	if (c == "6") return "FIFO ('6')"
	if (c == "7") return "contiguous file ('7')"
	if (c == "\\0") return "old-style regular file (NUL)"
	return "unknown type ('" c "')"
}
BEGIN {
	init(); off = 0; pending = 0; bad = 0; members = 0; pad = 0
	for (;;) {
		if (off + 512 > total) {
			print "MORE " num(off + 512)
			problem("", off == total ? "no end-of-archive marker: truncated" : "the archive ends inside a header: truncated")
			break
		}
		# The header, and the padding after the member before it: tar
		# skips that padding, so custody writes only zeros there.
		readat(off, 512, pad)
		if (!allzero(-pad, pad)) problem(padname, "bytes hidden in the padding after this member")
		pad = 0
		if (allzero(0, 512)) {
			if (pending) { paxproblems(pathlabel); problem(pathlabel, "a pax header with no member after it") }
			pending = 0
			if (off + 1024 <= total && readat(off + 512, 512) == 512 && allzero(0, 512)) {
				print "END " num(off); break
			}
			if (off + 1024 > total) { print "MORE " num(off + 1024); problem("", "the end-of-archive marker is one zero block, custody writes two (truncated?)"); break }
			problem("", "a lone zero block at byte " num(off) " with headers after it (tar stops there)")
			off += 512
			continue
		}
		sum = 0
		for (i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? 32 : B[i]
		ustar = field(0, 100)
		prefix = field(345, 155)
		if (prefix != "") ustar = prefix "2f" ustar
		label = pending && ("path" in PAX) ? PAX["path"] : ustar
		if (octal(148, 8) != sum) problem(label, "header checksum is wrong (at byte " num(off) ")")
		if (!(B[257] == 117 && B[258] == 115 && B[259] == 116 && B[260] == 97 && B[261] == 114 &&
		    B[262] == 0 && B[263] == 48 && B[264] == 48))
			problem(label, "not a POSIX ustar header (magic and version)")
		# Every header's numbers are octal: digits, then spaces or NULs.
		if (octal(100, 8) < 0) problem(label, "header field mode is not an octal number")
		if (octal(108, 8) < 0) problem(label, "header field uid is not an octal number")
		if (octal(116, 8) < 0) problem(label, "header field gid is not an octal number")
		# A time before 1970 is base-256 there, beside a pax mtime record.
		b256 = B[136] >= 128
		if (!b256 && octal(136, 12) < 0) problem(label, "header field mtime is not an octal number")
		size = octal(124, 12)
		if (size < 0) { problem(label, "header field size is not an octal number: cannot read further"); break }
		type = B[156] == 0 ? "\\0" : sprintf("%c", B[156])
		if (type == "0" && pending && ("size" in PAX)) size = totext(PAX["size"]) + 0
		if (off + 512 + padded(size) > total) {
			print "MORE " num(off + 512 + padded(size))
			problem(label, "data ends early: truncated"); break
		}
		if (type == "x" && size > 65536) {
			problem(label, "a pax header of " num(size) " bytes, larger than any custody writes")
			pending = 0; delete PAX
			off += 512 + padded(size)
			pad = padded(size) - size; padname = label
			continue
		}
		if (type == "x") {
			# Its own fields as a regular file's; its name is free.
			fields(ustar, "pax header not as custody writes it: ")
			if (pending) { paxproblems(pathlabel); problem(label, "two pax headers in a row") }
			pathlabel = label
			ok = pax(off + 512, size)
			if ("path" in PAX) pathlabel = PAX["path"]
			if (!ok) { paxproblems(pathlabel); break }
			pending = 1
			off += 512 + padded(size)
			continue
		}
		if (pending) paxproblems(label)
		if (type != "0") {
			if ((type == "L" || type == "K") && size > 0 && size < 65536 && readat(off + 512, size) == size) {
				long = field(0, size)
				problem(long, "a " typename(type) " header, which custody never writes")
				readat(off, 512)
			} else
				problem(label, "a " typename(type) " header, which custody never writes")
			pending = 0; delete PAX
			off += 512 + padded(size)
			pad = padded(size) - size; padname = label
			continue
		}
		name = label
		fields(name, "")
		if (b256 && !(pending && ("mtime" in PAX)))
			problem(name, "a base-256 modification time without the pax mtime record custody writes beside it")
		if ((why = name_problem(name)) != "") problem(name, why)
		# The time tar -x sets: the pax mtime to the nanosecond, else the
		# header's whole seconds.
		if (pending && ("mtime" in PAX) && PAXTIME != "") mt = PAXTIME
		else mt = octal(136, 12) >= 0 ? num(octal(136, 12)) " -" : "- -"
		print "M " num(off + 512) " " num(size) " " name " " mt
		members++
		off += 512 + padded(size)
		pad = padded(size) - size; padname = name
		pending = 0; delete PAX
	}
	if (bad) print "BAD"
}
EOF
}

# The names of custody's own five members.
CUSTODY_MEMBERS="custody/manifest.jsonl custody/collection.log custody/SHA256SUMS custody/seal.json custody/seal.sig"

# Step 4: the manifest, line by line (custody-formats(5), MANIFEST and
# VERIFICATION 3). Prints "H CASE EVIDENCE", "E PATHHEX SIZE SHA256" per
# entry with a member, "T KEY VALUE" for the trailer; writes each entry line
# as a Merkle leaf, 0x00 || line, into leafdir.
write_manifest_reader() {
	cat >"$T/manifest.awk" <<'EOF'
function problem(what) { print "FAILED custody/manifest.jsonl: " what >> problems }
# A path custody could have written (manifest_path_safe).
function safe(h,   n, i, part) {
	if (h ~ /^(..)*00/) return 0
	if (!(substr(h, 1, 12) == "66696c65732f" && length(h) > 12) &&
	    !(substr(h, 1, 10) == "6c6976652f" && length(h) > 10)) return 0
	n = length(h); part = ""
	for (i = 1; i <= n + 1; i += 2) {
		if (i > n || substr(h, i, 2) == "2f") {
			if (part == "" || part == "2e" || part == "2e2e") return 0
			part = ""
		} else part = part substr(h, i, 2)
	}
	return 1
}
# The current line is the next leaf of the Merkle tree.
function leaf(   f) {
	entries++
	f = sprintf("%s/%08d", leafdir, entries)
	printf "%c%s", 0, $0 > f
	close(f)
}
BEGIN {
	init(); entries = 0; header = 0; trailer = 0; after = 0
	split("file directory symlink fifo socket block-device char-device live unknown", t, " ")
	for (i in t) KIND[t[i]] = 1
	split("ok changed-while-reading truncated-at-limit skipped metadata-only error", t, " ")
	for (i in t) STATUS[t[i]] = 1
	DIGEST["sha256"] = 64; DIGEST["sha1"] = 40; DIGEST["md5"] = 32; DIGEST["sha512"] = 128
}
{
	n = NR
	if (length($0) > 1048576) { problem("line " n ": longer than 1048576 bytes"); next }
	if (trailer && !after) { problem("line " n ": lines after the trailer"); after = 1 }
	if (!jparse($0)) {
		problem("line " n ": not valid JSON: " JERR)
		# Written as an entry line is, it is a leaf all the same.
		if (substr($0, 1, 16) == "{\"type\":\"entry\",") leaf()
		next
	}
	if (JT[""] != "o") { problem("line " n ": not a JSON object"); next }
	type = jtext("type")
	if (type == "header") {
		if (jtext("format") != "custody-manifest" || jint("version") != "1")
			problem("line " n ": not a version 1 custody manifest")
		if (n != 1) problem("line " n ": header line not at the start")
		header++
		print "H " jtext("case_id") " " jtext("evidence_id")
		next
	}
	if (type == "trailer") {
		if (trailer) problem("line " n ": second trailer line")
		trailer = 1
		if (jint("entries") == "") problem("line " n ": trailer without entry count")
		trailer_entries = jint("entries")
		for (k in J) if (k ~ /^counts\./) print "T " substr(k, 8) " " J[k]
		next
	}
	if (type != "entry") { problem("line " n ": unknown line type"); next }
	if (n == 1) problem("line 1: no header line")
	leaf()
	if (!(jtext("kind") in KIND)) { problem("line " n ": unknown kind"); next }
	if (!(jtext("status") in STATUS)) { problem("line " n ": unknown status"); next }
	for (d in DIGEST)
		if ((d in JT) && !isdigest(jtext(d), DIGEST[d])) problem("line " n ": malformed \"" d "\"")
	if (!("path" in JT) && !("path_base64" in JT)) next
	if (jtext("kind") != "file" && jtext("kind") != "live") {
		problem("line " n ": a " jtext("kind") " entry cannot have a member"); next
	}
	if (("path" in JT) && ("path_base64" in JT)) {
		problem("line " n ": both \"path\" and \"path_base64\""); next
	}
	if (("path" in JT) && JT["path"] == "s") p = J["path"]
	else if (("path_base64" in JT) && JT["path_base64"] == "s") p = unbase64(jtext("path_base64"))
	else p = "-"
	if (p == "-") { problem("line " n ": entry with content has no path"); next }
	if (!safe(p)) { problem("line " n ": unsafe path"); next }
	size = jint("size")
	# At most 2^62-1, compared as digits: a double cannot tell 2^62-1 from 2^62.
	if (size == "" || length(size) > 19 || (length(size) == 19 && size "" > "4611686018427387903")) {
		problem("line " n ": missing or invalid size"); next
	}
	if (!("sha256" in JT)) { problem("line " n ": entry with content has no sha256"); next }
	print "E " p " " size " " jtext("sha256") " " (JT["mtime"] == "s" ? isotime(jtext("mtime")) : "- -")
}
END {
	if (!header) problem("no header line")
	if (!trailer) problem("no trailer line (truncated?)")
	else if (trailer_entries != entries)
		problem("trailer counts " trailer_entries " entries, manifest has " entries)
	print "N " entries
}
EOF
}

# Step 5: members against the manifest (VERIFICATION 2).
write_member_judge() {
	cat >"$T/judge.awk" <<'EOF'
function problem(h, what) { print "FAILED " show(h) ": " what >> problems }
BEGIN { init() }
FILENAME == ARGV[1] && $1 == "M" { count[$4]++; msize[$4] = $3; msec[$4] = $5; mnsec[$4] = $6; next }
FILENAME == ARGV[2] && $1 == "E" { listed[$2]++; esize[$2] = $3; esec[$2] = $5; ensec[$2] = $6; next }
FILENAME == ARGV[3] { own[tohex($0)] = 1; next }
END {
	for (h in own) {
		if (!(h in count)) problem(h, "missing from the archive")
		else if (count[h] > 1) problem(h, count[h] " members with this name")
	}
	for (h in listed) {
		if (listed[h] > 1) problem(h, "listed " listed[h] " times in the manifest")
		if (!(h in count)) problem(h, "missing: in the manifest but not in the archive")
		else if (count[h] > 1) problem(h, count[h] " members with this name")
		else if (msize[h] != esize[h]) problem(h, "size " msize[h] ", manifest says " esize[h])
	}
	for (h in count)
		if (!(h in listed) && !(h in own))
			problem(h, "extra member: not in the manifest" (count[h] > 1 ? " (" count[h] " times)" : ""))
	for (h in listed) if (listed[h] == 1 && count[h] == 1) print h > present
	# A files/ member's time, which tar -x sets, is the manifest's: to the
	# nanosecond with a pax mtime, else in whole seconds.
	for (h in listed) {
		if (listed[h] != 1 || count[h] != 1 || substr(h, 1, 12) != "66696c65732f" ||
		    esec[h] == "-" || msec[h] == "-")
			continue
		# Before 1970 custody writes whole seconds (readers differ on
		# negative fractions).
		if (msec[h] == esec[h] && (mnsec[h] == "-" ||
		    mnsec[h] + 0 == (esec[h] + 0 < 0 ? 0 : ensec[h] + 0))) continue
		problem(h, "modification time in the header is " timetext(msec[h], mnsec[h] == "-" ? 0 : mnsec[h]) \
		    ", the manifest says " timetext(esec[h], ensec[h]) ": tar -x would set the header's")
	}
}
EOF
}

# Step 6: SHA256SUMS against the manifest (VERIFICATION 4). Also writes
# the sums the manifest expects, in sha256sum(1) format, for step 7.
write_sums_judge() {
	cat >"$T/sums.awk" <<'EOF'
function problem(h, what) { print "FAILED " show(h) ": " what >> problems }
function unescape(s,   r, i, n, c) {
	r = ""; n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c != "\\") { r = r HEX[ORD[c]]; continue }
		c = substr(s, ++i, 1)
		if (c == "\\") r = r "5c"
		else if (c == "n") r = r "0a"
		else if (c == "r") r = r "0d"
		else return "-"
	}
	return r
}
BEGIN { init(); SUMS = tohex("custody/SHA256SUMS") }
FILENAME == ARGV[1] { present[$0] = 1; next }
FILENAME == ARGV[2] && $1 == "E" { want[$2] = $4; entry[$2] = 1; next }
FILENAME == ARGV[3] { want[tohex($2)] = $1; next }
FILENAME == ARGV[4] {
	line = $0; esc = substr(line, 1, 1) == "\\"
	if (esc) line = substr(line, 2)
	hex = substr(line, 1, 64); sep = substr(line, 65, 2)
	name = substr(line, 67)
	if (length(hex) != 64 || hex ~ /[^0-9a-f]/ || (sep != "  " && sep != " *") || name == "") {
		problem(SUMS, "line " FNR ": not a sha256sum line"); next
	}
	h = esc ? unescape(name) : tohex(name)
	if (h == "-") { problem(SUMS, "line " FNR ": bad escape"); next }
	if (h in got) { problem(h, "listed twice in SHA256SUMS"); next }
	got[h] = hex
}
END {
	for (h in got) {
		if (h == SUMS || h == tohex("custody/seal.json") || h == tohex("custody/seal.sig"))
			problem(h, "listed in SHA256SUMS, which cannot cover it")
		else if (!(h in want)) problem(h, "listed in SHA256SUMS but not in the manifest")
		else if (got[h] != want[h])
			problem(h, (h in entry) ? "SHA256SUMS disagrees with the manifest" : "does not match SHA256SUMS")
	}
	for (h in want) if (!(h in got)) problem(h, "not listed in SHA256SUMS")
	# The sums the manifest expects, for sha256sum -c on the extracted tree,
	# of the members present once; their names, in the same order.
	for (h in entry) {
		if (!(h in present)) continue
		print h > order
		if (h ~ /^(..)*(5c|0a|0d)/) {
			n = length(h); e = ""
			for (i = 1; i < n; i += 2) {
				c = substr(h, i, 2)
				e = e (c == "5c" ? "5c5c" : c == "0a" ? "5c6e" : c == "0d" ? "5c72" : c)
			}
			printf "\\%s  ", want[h] > expected; writehex(e, expected)
		} else {
			printf "%s  ", want[h] > expected; writehex(h, expected)
		}
		printf "\n" > expected
	}
}
EOF
}

# Step 7: sha256sum -c's verdicts, one line per member in expected.order.
write_sums_verdicts() {
	cat >"$T/sumsout.awk" <<'EOF'
function problem(h, what) { print "FAILED " show(h) ": " what >> problems }
BEGIN { init() }
FILENAME == ARGV[1] { name[++n] = $0; next }
{
	i = ++m
	if ($0 ~ /: OK$/) next
	if ($0 ~ /: FAILED open or read$/) problem(name[i], "not extracted by GNU tar")
	else problem(name[i], "content does not match the manifest (sha256)")
}
END { if (m != n) print "FAILED (archive): sha256sum -c checked " m " members of " n >> problems }
EOF
}

# Step 8: the seal's commitments (SEAL, VERIFICATION 5). Prints
# "KEY BASE64" and "FP HEX" of the collector for step 9.
write_seal_judge() {
	cat >"$T/seal.awk" <<'EOF'
function problem(what) { print "FAILED custody/seal.json: " what >> problems }
BEGIN { init(); while ((getline l < trailer) > 0) { split(l, kv, " "); TR[kv[1]] = kv[2] } }
{ text = text $0 "\n" }
END {
	if (!jparse(text) || JT[""] != "o") { problem("not a JSON object (" JERR ")"); exit }
	if (jtext("format") != "custody-seal" || (jint("version") != "1" && jint("version") != "2")) { problem("not a version 1 or 2 custody seal"); exit }
	# The parts of each text: none in version 1, counted in version 2.
	np = split(parts, P, " ")
	if (jint("version") == "1" && ("parts" in JT)) problem("a version 1 seal has no parts")
	if (jint("version") == "2" && (JT["parts"] != "o" || split(JK["parts"], PK, SUBSEP) != 4))
		problem("parts is missing or not {manifest, sums, log}")
	for (i = 1; i < np; i += 2) {
		sealed = jint("version") == "1" ? 0 : jint("parts." P[i])
		if (jint("version") == "2" && (sealed == "" || sealed + 0 > 999999)) problem("parts." P[i] " is missing or invalid")
		else if (sealed + 0 != P[i + 1] + 0)
			problem("seal counts " sealed " parts of " (P[i] == "manifest" ? "custody/manifest.jsonl" : P[i] == "sums" ? "custody/SHA256SUMS" : "custody/collection.log") ", the archive has " P[i + 1])
	}
	if (jtext("case_id") != case_id) problem("case_id \"" show(J["case_id"]) "\", the manifest says \"" case_id "\"")
	if (jtext("evidence_id") != evidence_id) problem("evidence_id \"" show(J["evidence_id"]) "\", the manifest says \"" evidence_id "\"")
	if (JT["host.hostname"] != "s") problem("host.hostname is missing")
	if (JT["started"] != "s" || JT["finished"] != "s") problem("started or finished is missing")
	if (!isdigest(jtext("collector.fingerprint"), 64)) problem("collector.fingerprint is not a SHA-256 digest")
	split("entries members bytes skipped errors changed", c, " ")
	for (i = 1; i <= 6; i++)
		if (jint("counts." c[i]) == "") problem("counts." c[i] " is missing or invalid")
		else if (i > 1 && ("trailer." c[i]) in TR && TR["trailer." c[i]] != J["counts." c[i]])
			problem("counts." c[i] " is " J["counts." c[i]] ", the manifest's trailer says " TR["trailer." c[i]])
	if (J["counts.entries"] != entries) problem("seal counts " J["counts.entries"] " entries, manifest has " entries)
	if (J["counts.members"] != members || J["counts.bytes"] != bytes)
		problem("seal counts " J["counts.members"] " members of " J["counts.bytes"] " bytes, the archive has " members " of " bytes)
	if (jtext("manifest.path") != "custody/manifest.jsonl") problem("manifest.path is not custody/manifest.jsonl")
	if (jint("manifest.entries") != J["counts.entries"]) problem("manifest.entries disagrees with counts")
	if (jtext("manifest.sha256") != manifest_sha256) print "FAILED custody/manifest.jsonl: does not match the seal's sha256" >> problems
	if (jtext("manifest.merkle_root") != root)
		problem("Merkle root over the manifest entries is " root ", the seal says " show(J["manifest.merkle_root"]))
	if (JT["members"] != "a" || J["members"] != 2 ||
	    jtext("members.0.path") != "custody/SHA256SUMS" || jtext("members.1.path") != "custody/collection.log")
		problem("members is not [custody/SHA256SUMS, custody/collection.log]")
	else {
		if (jtext("members.0.sha256") != sums_sha256) print "FAILED custody/SHA256SUMS: does not match the seal's sha256" >> problems
		if (jtext("members.1.sha256") != log_sha256) print "FAILED custody/collection.log: does not match the seal's sha256" >> problems
	}
	print "KEY " jtext("collector.public_key")
	print "FP " jtext("collector.fingerprint")
}
EOF
}

# Step 3: the parts of the texts (custody-formats(5), PARTS). Reads the
# walker's "M" lines in archive order; prints "TEXT OFFSET SIZE NAME" per
# part, in that order, and "C TEXT COUNT" into counts. A part is named
# DIR/NNNNNN (six digits; .jsonl after them for the manifest), numbered from
# 000001 without gaps or repeats, before its text's final member.
write_parts_reader() {
	cat >"$T/parts.awk" <<'EOF'
function problem(h, what) { print "FAILED " show(h) ": " what >> problems }
BEGIN {
	init(); split("manifest sums log", T, " ")
	D["manifest"] = tohex("custody/manifest.d/"); S["manifest"] = tohex(".jsonl")
	D["sums"] = tohex("custody/SHA256SUMS.d/"); S["sums"] = ""
	D["log"] = tohex("custody/collection.log.d/"); S["log"] = ""
	F["manifest"] = tohex("custody/manifest.jsonl")
	F["sums"] = tohex("custody/SHA256SUMS")
	F["log"] = tohex("custody/collection.log")
}
$1 == "M" {
	h = $4
	for (i = 1; i <= 3; i++) {
		t = T[i]
		if (h == F[t]) { final[t] = 1; next }
		if (substr(h, 1, length(D[t])) != D[t]) continue
		rest = substr(h, length(D[t]) + 1); num = ""
		ok = length(rest) == 12 + length(S[t]) && substr(rest, 13) == S[t]
		for (k = 1; ok && k < 12; k += 2)
			if (substr(rest, k, 2) !~ /^3[0-9]$/) ok = 0
			else num = num substr(rest, k + 1, 1)
		if (!ok || num + 0 == 0) {
			problem(h, "not the name of a part (" totext(D[t]) " then six digits" (t == "manifest" ? " and .jsonl)" : ")"))
			next
		}
		n = num + 0
		if (final[t]) problem(h, "part after " totext(F[t]))
		else if (n != count[t] + 1) problem(h, "part " n " out of order: part " (count[t] + 1) " was due")
		count[t]++
		print t, $2, $3, totext(h)
		next
	}
}
END { for (i = 1; i <= 3; i++) print "C", T[i], count[T[i]] + 0 > counts }
EOF
}

# member_bytes NAME OUT: copy one member's data out of the tar stream, by the
# offset and size the walker found.
member_bytes() {
	h=$(printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n')
	set -- $(awk -v h="$h" '$1 == "M" && $4 == h { print $2, $3; exit }' "$T/walk") "$2"
	[ $# -eq 3 ] || return 1
	tail -c +$(($1 + 1)) "$T/tar" | head -c "$2" >"$3"
}

# pubkey_raw PUBKEY: the raw 32-byte key of a PEM public key, in hex.
pubkey_raw() {
	grep -q 'PRIVATE KEY' "$1" 2>/dev/null &&
	    cannot "$1 is a private key; give the public key (KEYFILE.pub)"
	openssl pkey -pubin -in "$1" -outform DER -out "$T/given.der" 2>/dev/null ||
	    cannot "$1 is not a PEM public key"
	der=$(hexof "$T/given.der")
	case $der in
	302a300506032b6570032100*) ;;
	*) cannot "$1 is not an Ed25519 public key" ;;
	esac
	[ ${#der} -eq 88 ] || cannot "$1 is not an Ed25519 public key"
	printf '%s\n' "${der#302a300506032b6570032100}"
}

archive_mode() {
	[ $# -eq 2 ] || usage
	A=$1 PUB=$2
	need tar od awk sed grep tr cut head tail wc cmp sha256sum basenc base64 openssl
	[ -f "$A" ] && [ -r "$A" ] || cannot "cannot read $A"
	[ -r "$PUB" ] || cannot "cannot read $PUB"
	[ -s "$A" ] || cannot "$A is empty"
	write_awk_library
	raw=$(pubkey_raw "$PUB") || exit 2
	printf '%s' "$raw" | tr 'a-f' 'A-F' | basenc --base16 -d >"$T/given.raw"
	given_fp=$(sha256 "$T/given.raw")
	: >"$T/problems"

	# Step 0: the sidecar ARCHIVE.sha256, when there is one, covers the
	# archive file's exact bytes (padding and framing too).
	# A sidecar that is there but is not a regular file (a symbolic link, a
	# directory), cannot be read or is larger than 4 KiB is a problem, not
	# absent.
	side_size=
	if [ -f "$A.sha256" ] && [ ! -L "$A.sha256" ] && [ -r "$A.sha256" ]; then
		side_size=$(bytes "$A.sha256" 2>/dev/null)
	fi
	if [ -z "$side_size" ] || [ "$side_size" -gt 4096 ]; then
		if [ -e "$A.sha256" ] || [ -L "$A.sha256" ]; then
			echo "FAILED $A.sha256: a sidecar that cannot be read (not a regular file of at most 4096 bytes)" >>"$T/problems"
		fi
	else
		side=$(head -n 1 "$A.sha256" | sed 's/^\\//')
		case $side in
		[0-9a-f]*)
			hex=$(printf '%s' "$side" | cut -c1-64)
			rest=$(printf '%s' "$side" | cut -c65-66)
			;;
		*) hex= rest= ;;
		esac
		if [ ${#hex} -ne 64 ] || [ -n "$(printf '%s' "$hex" | tr -d '0-9a-f')" ] ||
		    { [ "$rest" != "  " ] && [ "$rest" != " *" ]; }; then
			echo "FAILED $A.sha256: not a sha256sum line" >>"$T/problems"
		elif [ "$(sha256 "$A")" != "$hex" ]; then
			echo "FAILED $A: the archive file does not match its .sha256 sidecar ($hex)" >>"$T/problems"
		fi
	fi

	# Step 1: one layer of compression, known by its magic bytes (a zstd
	# skippable frame too: decompressors skip it).
	magic=$(od -An -v -tx1 -N6 "$A" | tr -d ' \n')
	case $magic in
	28b52ffd*) need zstd; set -- zstd -dcq ;;
	5[0-9a-f]2a4d18*) need zstd; set -- zstd -dcq
		echo "FAILED (archive): the zstd stream begins with a skippable frame, which custody never writes" >>"$T/problems" ;;
	1f8b*) need gzip; set -- gzip -dc
		flags=$(printf '%s' "$magic" | cut -c7-8)
		[ "$flags" = 00 ] || [ -z "$flags" ] ||
		    echo "FAILED (archive): the gzip header has optional fields (flags 0x$flags), which custody never writes" >>"$T/problems" ;;
	fd377a585a00) need xz; set -- xz -dcq ;;
	*) set -- cat ;;
	esac
	# GNU tar reads a file whose first block passes its header test as
	# plain tar, whatever it is compressed as: the checksum field (leading
	# spaces, then octal digits) equal to the unsigned or the signed sum of
	# the block's bytes, the field counted as eight spaces.
	if [ "$1" != cat ] && [ "$(bytes "$A")" -ge 512 ] &&
	    od -An -v -tu1 -N512 "$A" | awk '
		{ for (i = 1; i <= NF; i++) b[n++] = $i + 0 }
		END {
			i = 148; while (i < 156 && b[i] == 32) i++
			v = 0; d = 0
			for (; i < 156 && b[i] >= 48 && b[i] <= 55; i++) { v = v * 8 + b[i] - 48; d++ }
			u = 0; sg = 0
			for (i = 0; i < 512; i++) {
				c = (i >= 148 && i < 156) ? 32 : b[i]
				u += c; sg += c >= 128 ? c - 256 : c
			}
			exit !(d > 0 && (v == u || v == sg))
		}'; then
		echo "FAILED (archive): the file's first 512 bytes pass as a tar header: GNU tar would read it as an uncompressed archive, not the $1 stream verified" >>"$T/problems"
	fi
	# Decompress in chunks, so that what follows the end-of-archive marker
	# is not all read: custody reads at most 1 MiB from the marker's first
	# block on (2048 zero blocks; the next block is a problem either way).
	# The headers are walked on what has arrived when a chunk is all zeros
	# and at each doubling of the size, until the marker is found.
	write_tar_walker
	: >"$T/tar"
	{ "$@" <"$A" 2>"$T/err"; echo $? >"$T/rc"; } | {
		chunk=4194304 got=0 next=67108864 znext=0 endstop=
		while head -c "$chunk" >"$T/chunk" && [ -s "$T/chunk" ]; do
			cat "$T/chunk" >>"$T/tar"
			got=$((got + $(bytes "$T/chunk")))
			if [ -n "$endstop" ]; then
				[ "$got" -ge "$endstop" ] && break
				continue
			fi
			zero=no
			if [ "$got" -ge "$znext" ] && [ "$(tr -d '\000' <"$T/chunk" | wc -c)" -eq 0 ]; then
				zero=yes
			fi
			[ "$zero" = yes ] || [ "$got" -ge "$next" ] || continue
			awk -f "$T/lib.awk" -f "$T/tar.awk" -v tar="$T/tar" -v total="$got" \
			    -v problems=/dev/null >"$T/trial" </dev/null ||
			    { : >"$T/awkfailed"; break; }
			e=$(sed -n 's/^END //p' "$T/trial")
			more=$(sed -n 's/^MORE //p' "$T/trial")
			if [ -n "$e" ]; then
				endstop=$((e + 1048576 + 512))
				[ "$got" -ge "$endstop" ] && break
			fi
			[ "$got" -ge "$next" ] && next=$((got * 2))
			[ "$zero" = yes ] && znext=${more:-$next}
		done
		if [ -n "$endstop" ] && [ "$got" -ge "$endstop" ]; then
			head -c "$endstop" "$T/tar" >"$T/tar.cut" && mv "$T/tar.cut" "$T/tar" &&
			    : >"$T/stopped"
		fi
		# Let the decompressor end (on a closed pipe) rather than wait.
		exec 0<&-
	}
	[ -f "$T/awkfailed" ] && cannot "awk failed"
	rc=$(cat "$T/rc" 2>/dev/null)
	if [ ! -f "$T/stopped" ] && [ "${rc:-1}" -ne 0 ]; then
		echo "FAILED (archive): damaged: $* fails: $(head -c 200 "$T/err" | tr '\n' ' ')" >>"$T/problems"
		finish "$A" ""
	fi
	# gzip ignores zero bytes after its stream without a word; custody
	# refuses any byte after the compressed data. A stream that still
	# decompresses without its last byte did not need that byte.
	if [ "$1" = gzip ] && [ "$(tail -c 1 "$A" | od -An -tx1 | tr -d ' ')" = 00 ] &&
	    head -c -1 "$A" | gzip -t 2>/dev/null; then
		echo "FAILED (archive): bytes after the end of the compressed data (zero bytes after the gzip stream)" >>"$T/problems"
	fi
	# One layer: what it holds must not be compressed again.
	inner=$(od -An -v -tx1 -N6 "$T/tar" | tr -d ' \n')
	case $1:$inner in
	cat:*) ;;
	*:28b52ffd*) echo "FAILED (archive): compressed 2 times (zstd under $1): custody writes one layer" >>"$T/problems" ;;
	*:1f8b*) echo "FAILED (archive): compressed 2 times (gzip under $1): custody writes one layer" >>"$T/problems" ;;
	*:fd377a585a00) echo "FAILED (archive): compressed 2 times (xz under $1): custody writes one layer" >>"$T/problems" ;;
	esac
	total=$(bytes "$T/tar")
	if [ "$total" -lt 512 ] ||
	    [ "$(od -An -v -c -j 257 -N 5 "$T/tar" | tr -d ' ')" != ustar ]; then
		[ "$1" = cat ] && cannot "$A is not a tar archive"
		echo "FAILED (archive): the decompressed data is not a tar archive" >>"$T/problems"
		finish "$A" ""
	fi

	# Step 2: the tar headers.
	awk -f "$T/lib.awk" -f "$T/tar.awk" -v tar="$T/tar" -v total="$total" \
	    -v problems="$T/problems" >"$T/walk" </dev/null || cannot "awk failed"
	end=$(sed -n 's/^END //p' "$T/walk")
	if [ -n "$end" ] &&
	    [ "$(tail -c +$((end + 1025)) "$T/tar" | tr -d '\000' | wc -c)" -ne 0 ]; then
		echo "FAILED (archive): data after the end-of-archive marker (at byte $end)" >>"$T/problems"
	elif [ -n "$end" ] && [ $((total - end)) -gt 1048576 ]; then
		echo "FAILED (archive): more than 1024 KiB of zeros after the end-of-archive marker, more than any tar writes (not read further)" >>"$T/problems"
	fi
	grep '^M ' "$T/walk" >"$T/members"
	walked=$(wc -l <"$T/members" | tr -d ' ')
	clean=yes
	grep -q '^BAD' "$T/walk" && clean=no

	# Step 3: custody's own members, read out by offset, and the parts of
	# the texts: each text is its parts in order, then its final member.
	mkdir "$T/c" "$T/p"
	for m in $CUSTODY_MEMBERS; do
		member_bytes "$m" "$T/c/${m#custody/}" || : >"$T/c/${m#custody/}"
	done
	write_parts_reader
	awk -f "$T/lib.awk" -f "$T/parts.awk" -v problems="$T/problems" \
	    -v counts="$T/parts.counts" "$T/members" >"$T/parts" || cannot "awk failed"
	: >"$T/parts.sums"
	: >"$T/parts.own"
	: >"$T/parts.files"
	for t in manifest sums log; do : >"$T/p/$t"; done
	i=0
	while read -r t off size name; do
		i=$((i + 1))
		tail -c +$((off + 1)) "$T/tar" | head -c "$size" >"$T/p/$i"
		# A line is never split between parts: each ends with a newline.
		if [ -s "$T/p/$i" ] && [ "$(tail -c 1 "$T/p/$i" | od -An -tx1 | tr -d ' ')" != 0a ]; then
			echo "FAILED $name: last line has no newline" >>"$T/problems"
		fi
		cat "$T/p/$i" >>"$T/p/$t"
		echo "$(sha256 "$T/p/$i") $name" >>"$T/parts.sums"
		echo "$name" >>"$T/parts.own"
		echo "$i $name" >>"$T/parts.files"
	done <"$T/parts"
	cat "$T/p/manifest" "$T/c/manifest.jsonl" >"$T/c/manifest.all"
	cat "$T/p/sums" "$T/c/SHA256SUMS" >"$T/c/SHA256SUMS.all"

	# Step 4: the manifest.
	if [ -s "$T/c/manifest.jsonl" ] && [ "$(tail -c 1 "$T/c/manifest.jsonl" | od -An -tx1 | tr -d ' ')" != 0a ]; then
		echo "FAILED custody/manifest.jsonl: last line has no newline" >>"$T/problems"
	fi
	mkdir "$T/leaves"
	write_manifest_reader
	awk -f "$T/lib.awk" -f "$T/manifest.awk" -v leafdir="$T/leaves" \
	    -v problems="$T/problems" "$T/c/manifest.all" >"$T/manifest" || cannot "awk failed"

	# Step 5: every member once, as the manifest says.
	write_member_judge
	{ printf '%s\n' $CUSTODY_MEMBERS; cat "$T/parts.own"; } >"$T/own"
	awk -f "$T/lib.awk" -f "$T/judge.awk" -v problems="$T/problems" \
	    -v present="$T/present" "$T/members" "$T/manifest" "$T/own" || cannot "awk failed"
	: >>"$T/present"

	# Step 6: SHA256SUMS.
	if [ -s "$T/c/SHA256SUMS" ] && [ "$(tail -c 1 "$T/c/SHA256SUMS" | od -An -tx1 | tr -d ' ')" != 0a ]; then
		echo "FAILED custody/SHA256SUMS: last line has no newline" >>"$T/problems"
	fi
	{
		echo "$(sha256 "$T/c/manifest.jsonl") custody/manifest.jsonl"
		echo "$(sha256 "$T/c/collection.log") custody/collection.log"
		cat "$T/parts.sums"
	} >"$T/own.sums"
	write_sums_judge
	write_sums_verdicts
	awk -f "$T/lib.awk" -f "$T/sums.awk" -v problems="$T/problems" \
	    -v expected="$T/expected.sums" -v order="$T/expected.order" \
	    "$T/present" "$T/manifest" "$T/own.sums" "$T/c/SHA256SUMS.all" ||
	    cannot "awk failed"

	# Step 7: GNU tar extracts the same: the member count, custody's files,
	# and every member's SHA-256 (sha256sum -c), on the extracted tree. Only
	# when every header is one custody writes: otherwise tar would make
	# something else, which is already a problem.
	if [ "$clean" = yes ]; then
		mkdir "$T/x"
		if ! tar -C "$T/x" --no-same-owner --no-same-permissions -xf "$T/tar" 2>"$T/err"; then
			echo "FAILED (archive): GNU tar cannot extract it: $(head -c 200 "$T/err" | tr '\n' ' ')" >>"$T/problems"
		else
			listed=$(tar -tf "$T/tar" 2>/dev/null | wc -l | tr -d ' ')
			[ "$listed" -eq "$walked" ] ||
			    echo "FAILED (archive): GNU tar lists $listed members, the headers hold $walked" >>"$T/problems"
			for m in $CUSTODY_MEMBERS; do
				if [ -f "$T/x/$m" ] && ! cmp -s "$T/x/$m" "$T/c/${m#custody/}"; then
					echo "FAILED $m: GNU tar extracts other bytes" >>"$T/problems"
				fi
			done
			while read -r i m; do
				if [ -f "$T/x/$m" ] && ! cmp -s "$T/x/$m" "$T/p/$i"; then
					echo "FAILED $m: GNU tar extracts other bytes" >>"$T/problems"
				fi
			done <"$T/parts.files"
			: >>"$T/expected.sums"
			: >>"$T/expected.order"
			# One output line per input line, in order: "NAME: OK".
			(cd "$T/x" && sha256sum -c "$T/expected.sums" 2>/dev/null) >"$T/sums.out"
			awk -f "$T/lib.awk" -f "$T/sumsout.awk" -v problems="$T/problems" \
			    "$T/expected.order" "$T/sums.out" || cannot "awk failed"
		fi
	else
		echo "(member contents not checked: the headers are not all ones custody writes)" >"$T/note"
	fi

	# Step 8: the seal's commitments, the Merkle root over the entry lines.
	hash_files "$T/leaves" >"$T/leafhashes"
	root=$(merkle_root "$T/leafhashes")
	sed -n 's/^T /trailer./p' "$T/manifest" >"$T/trailer"
	set -- $(sed -n 's/^H //p' "$T/manifest") "" ""
	case_id=$1 evidence_id=$2
	entries=$(sed -n 's/^N //p' "$T/manifest")
	members=$(grep -c '^E ' "$T/manifest")
	membytes=$(awk '$1 == "E" { s += $3 } END { printf "%.0f\n", s }' "$T/manifest")
	[ "$(tail -c 1 "$T/c/seal.json" | od -An -tx1 | tr -d ' ')" = 0a ] ||
	    echo "FAILED custody/seal.json: does not end with a newline" >>"$T/problems"
	[ "$(bytes "$T/c/seal.json")" -le 1048576 ] ||
	    echo "FAILED custody/seal.json: larger than 1048576 bytes" >>"$T/problems"
	write_seal_judge
	awk -f "$T/lib.awk" -f "$T/seal.awk" -v problems="$T/problems" \
	    -v case_id="$case_id" -v evidence_id="$evidence_id" -v entries="${entries:-0}" \
	    -v members="$members" -v bytes="$membytes" -v root="$root" \
	    -v manifest_sha256="$(sha256 "$T/c/manifest.all")" \
	    -v parts="$(sed -n 's/^C //p' "$T/parts.counts" | tr '\n' ' ')" \
	    -v sums_sha256="$(sha256 "$T/c/SHA256SUMS")" \
	    -v log_sha256="$(sha256 "$T/c/collection.log")" \
	    -v trailer="$T/trailer" "$T/c/seal.json" >"$T/seal" || cannot "awk failed"

	# Step 9: the signer. The seal names the key; it must be the key given.
	seal_fp=$(sed -n 's/^FP //p' "$T/seal")
	seal_key=$(sed -n 's/^KEY //p' "$T/seal")
	if [ -n "$seal_fp" ] && [ "$seal_fp" != "$given_fp" ]; then
		echo "FAILED custody/seal.json: sealed by key $seal_fp, not by the key given ($given_fp)" >>"$T/problems"
	fi
	if [ -n "$seal_key" ] && printf '%s' "$seal_key" | base64 -d >"$T/seal.raw" 2>/dev/null &&
	    [ "$(bytes "$T/seal.raw")" -eq 32 ]; then
		[ "$(sha256 "$T/seal.raw")" = "$seal_fp" ] ||
		    echo "FAILED custody/seal.json: collector.public_key does not match collector.fingerprint" >>"$T/problems"
	elif [ -s "$T/seal" ]; then
		echo "FAILED custody/seal.json: collector.public_key is not a 32-byte key in base64" >>"$T/problems"
	fi
	if [ "$(bytes "$T/c/seal.sig")" -ne 64 ]; then
		echo "FAILED custody/seal.sig: not 64 bytes" >>"$T/problems"
	else
		ed25519_pem "$raw" "$T/given.pem" || cannot "cannot read the key in $PUB"
		ed25519_verify "$T/given.pem" "$T/c/seal.json" "$T/c/seal.sig" ||
		    echo "FAILED custody/seal.sig: signature does not verify with the key given" >>"$T/problems"
	fi
	finish "$A" "$A: $walked members, sealed by key $given_fp, Merkle root $root"
}

# ======================================================================
# ledger CASEDIR [CHECKPOINT...]
# ======================================================================

# prefix_roots LEAFHASHES: the tree head over the first n events, for n = 0
# to the number of events, one a line (RFC 9162, as in merkle_root).
# Batched, so that each round is one awk and one sha256sum however many
# events there are:
#  1 the complete subtrees: level k holds the hash of each aligned block of
#    2^k leaves, computed from level k-1 by pairs (level.0 is the leaves);
#  2 the head over n leaves is made of the blocks for the bits set in n
#    (for bit k, block number floor(n / 2^k) of level k), folded from the
#    smallest: r = H(0x01 || larger block || r), one bit a round for all n.
prefix_roots() {
	cp "$1" "$T/level.0"
	k=0
	while [ "$(wc -l <"$T/level.$k")" -gt 1 ]; do
		rm -rf "$T/nodes" && mkdir "$T/nodes"
		awk -f "$T/lib.awk" -f "$T/pair.awk" -v dir="$T/nodes" \
		    -v carry=/dev/null "$T/level.$k" || cannot "awk failed"
		k=$((k + 1))
		hash_files "$T/nodes" >"$T/level.$k"
	done
	n=$(wc -l <"$1" | tr -d ' ')
	# The state of each n: "n r bit", r the head folded so far up to bit.
	awk -f "$T/lib.awk" -f "$T/fold.awk" -v levels="$T/level" -v top="$k" -v n="$n" -v step=start \
	    -v frontiers="$T/frontiers" /dev/null >"$T/fold.state" || cannot "awk failed"
	while :; do
		rm -rf "$T/nodes" && mkdir "$T/nodes"
		awk -f "$T/lib.awk" -f "$T/fold.awk" -v levels="$T/level" -v top="$k" \
		    -v dir="$T/nodes" -v step=write "$T/fold.state" || cannot "awk failed"
		[ -n "$(ls "$T/nodes")" ] || break
		hash_files "$T/nodes" >"$T/fold.hashes"
		awk -f "$T/lib.awk" -f "$T/fold.awk" -v levels="$T/level" -v top="$k" \
		    -v hashes="$T/fold.hashes" -v step=update "$T/fold.state" >"$T/fold.next" ||
		    cannot "awk failed"
		mv "$T/fold.next" "$T/fold.state"
	done
	printf '' | sha256sum | cut -c1-64
	cut -d' ' -f2 "$T/fold.state"
}
write_fold() {
	cat >"$T/fold.awk" <<'EOF'
# The next set bit of n above bit b, or -1.
function nextbit(n, b) {
	for (b++; 2 ^ b <= n; b++) if (int(n / 2 ^ b) % 2 == 1) return b
	return -1
}
function block(k, n) { return LEVEL[k, int(n / 2 ^ k)] }
BEGIN {
	init()
	for (k = 0; k <= top; k++) {
		i = 0
		while ((getline h < (levels "." k)) > 0) LEVEL[k, ++i] = h
	}
	if (step == "start") {
		for (m = 1; m <= n; m++) {
			b = nextbit(m, -1); print m, block(b, m), b
			# The frontier: the blocks of the bits set, largest first.
			f = ""
			for (k = top; k >= 0; k--) if (int(m / 2 ^ k) % 2 == 1) f = f block(k, m)
			print m, f > frontiers
		}
		exit
	}
	if (step == "update") while ((getline h < hashes) > 0) H[++nh] = h
}
step == "write" {
	b = nextbit($1, $3)
	if (b >= 0) { f = sprintf("%s/%08d", dir, $1); writehex("01" block(b, $1) $2, f); close(f) }
}
step == "update" {
	b = nextbit($1, $3)
	if (b >= 0) print $1, H[++used], b
	else print
}
EOF
}

# sql QUERY: run a query on the copy of the ledger; every value is printed
# as typeof() and 'x' || hex(), so that types, NULL and every byte show.
sql() {
	sqlite3 -batch -noheader -list -separator ' ' "$T/db/ledger.db" "$1" \
	    >"$T/sql.out" 2>"$T/err" ||
	    cannot "cannot read the ledger: $(head -c 200 "$T/err")"
	tr 'A-F' 'a-f' <"$T/sql.out"
}
col() {
	printf "typeof(%s), 'x' || hex(%s)" "$1" "$1"
}
cols() {
	out=
	for c; do out="$out${out:+, }$(col "$c")"; done
	printf '%s' "$out"
}

# The schema custody creates, statement by statement, exactly as
# custody-formats(5) "The schema" gives it.
write_schema() {
	cat >"$T/schema.sql" <<'EOF'
CREATE TABLE case_info (  id INTEGER PRIMARY KEY CHECK (id = 1),  case_id TEXT NOT NULL, title TEXT, created_at TEXT NOT NULL,  schema_version INTEGER NOT NULL);
CREATE TABLE handlers (  fingerprint TEXT PRIMARY KEY CHECK (length(fingerprint) = 64),  name TEXT NOT NULL, role TEXT NOT NULL, organization TEXT,  public_key BLOB NOT NULL CHECK (length(public_key) = 32),  registered_at TEXT NOT NULL);
CREATE TABLE artifacts (  evidence_id TEXT PRIMARY KEY, archive_name TEXT NOT NULL,  archive_path TEXT NOT NULL, archive_sha256 TEXT NOT NULL UNIQUE,  archive_size INTEGER NOT NULL, merkle_root TEXT NOT NULL,  host TEXT NOT NULL, collected_at TEXT NOT NULL,  collected_by TEXT NOT NULL REFERENCES handlers(fingerprint));
CREATE TABLE events (  seq INTEGER PRIMARY KEY CHECK (seq > 0),  at TEXT NOT NULL, action TEXT NOT NULL,  artifact TEXT REFERENCES artifacts(evidence_id),  handler TEXT NOT NULL REFERENCES handlers(fingerprint),  counterpart TEXT, refers INTEGER REFERENCES events(seq),  location TEXT, note TEXT,  canonical BLOB NOT NULL, signature BLOB NOT NULL);
CREATE INDEX events_artifact ON events(artifact, seq);
CREATE TABLE timestamps (  event_seq INTEGER PRIMARY KEY, file TEXT NOT NULL,  file_sha256 TEXT NOT NULL, token BLOB NOT NULL,  gen_time TEXT NOT NULL, tsa TEXT NOT NULL);
CREATE TABLE tree_heads (  size INTEGER PRIMARY KEY, root BLOB NOT NULL, frontier BLOB NOT NULL);
CREATE TRIGGER case_info_no_update BEFORE UPDATE ON case_info BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;
CREATE TRIGGER case_info_no_delete BEFORE DELETE ON case_info BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;
CREATE TRIGGER handlers_no_update BEFORE UPDATE ON handlers BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;
CREATE TRIGGER handlers_no_delete BEFORE DELETE ON handlers BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;
CREATE TRIGGER artifacts_no_update BEFORE UPDATE ON artifacts BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;
CREATE TRIGGER artifacts_no_delete BEFORE DELETE ON artifacts BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;
CREATE TRIGGER timestamps_no_update BEFORE UPDATE ON timestamps BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;
CREATE TRIGGER timestamps_no_delete BEFORE DELETE ON timestamps BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;
CREATE TRIGGER tree_heads_no_update BEFORE UPDATE ON tree_heads BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;
CREATE TRIGGER tree_heads_no_delete BEFORE DELETE ON tree_heads BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only'); END;
EOF
}

# The schema objects of a database, one a line: hex name, type, hex
# table, hex SQL ("-" for an automatic index).
schema_rows() {
	sqlite3 -batch -noheader -list -separator ' ' "$1" \
	    "SELECT hex(name), type, hex(tbl_name), coalesce(hex(sql), '-') FROM sqlite_schema ORDER BY name" \
	    2>"$T/err" || cannot "cannot read the schema of $1: $(head -c 200 "$T/err")"
}

# Step 0: exactly custody's tables, indexes and append-only triggers.
ledger_schema() {
	write_schema
	sqlite3 -batch "$T/expected.db" <"$T/schema.sql" 2>"$T/err" ||
	    cannot "sqlite3 cannot build custody's schema: $(head -c 200 "$T/err")"
	schema_rows "$T/expected.db" >"$T/schema.expected"
	schema_rows "$T/db/ledger.db" >"$T/schema.actual"
	cat >"$T/schema.awk" <<'EOF'
BEGIN {
	init()
	while ((getline l < expected) > 0) { split(l, f, " "); WANT[f[1]] = l; TYPE[f[1]] = f[2] }
}
{
	if (!($1 in WANT)) print "FAILED the database file holds an extra " $2 " \"" show(tolower($1)) "\", which custody does not create"
	else if (WANT[$1] != $0) print "FAILED the database file holds " TYPE[$1] " \"" show(tolower($1)) "\" altered from what custody creates"
	SEEN[$1] = 1
}
END {
	for (n in WANT) if (!(n in SEEN))
		print "FAILED the database file lacks " TYPE[n] " \"" show(tolower(n)) "\", which custody creates"
}
EOF
	awk -f "$T/lib.awk" -f "$T/schema.awk" -v expected="$T/schema.expected" \
	    "$T/schema.actual" >"$T/schema.problems" || cannot "awk failed"
	sort "$T/schema.problems" >>"$T/problems"
}

# Step 1: the tables, as typed hex.
ledger_dump() {
	enc=$(sqlite3 -batch "$T/db/ledger.db" 'PRAGMA encoding' 2>"$T/err") ||
	    cannot "cannot read the ledger: $(head -c 200 "$T/err")"
	[ "$enc" = UTF-8 ] || cannot "the ledger's text encoding is $enc, not UTF-8"
	check=$(sqlite3 -batch "$T/db/ledger.db" 'PRAGMA integrity_check' 2>&1 | head -5 | tr '\n' ' ')
	[ "$check" = "ok " ] || echo "FAILED ledger: PRAGMA integrity_check: $check" >>"$T/problems"
	# Each table read must be a table, not a view that shows other rows.
	for t in case_info handlers artifacts events timestamps tree_heads; do
		type=$(sqlite3 -batch "$T/db/ledger.db" "SELECT type FROM sqlite_schema WHERE name = '$t'" 2>/dev/null)
		[ "$type" = table ] ||
		    echo "FAILED the database file is damaged: \"$t\" is ${type:+a }${type:-missing}, not the table custody writes" >>"$T/problems"
	done
	{
		sql "SELECT 'ci', count(*) FROM case_info"
		sql "SELECT 'cs', $(cols case_id schema_version title created_at) FROM case_info WHERE id = 1"
		sql "SELECT 'hd', $(cols fingerprint name role organization public_key registered_at) FROM handlers"
		sql "SELECT 'ar', $(cols evidence_id archive_name archive_sha256 archive_size merkle_root host collected_at collected_by archive_path) FROM artifacts"
		sql "SELECT 'ts', $(cols event_seq file file_sha256 token gen_time tsa) FROM timestamps"
		sql "SELECT 'th', $(cols size root frontier) FROM tree_heads ORDER BY size"
		sql "SELECT 'ev', $(cols seq at action artifact handler counterpart refers location note canonical signature) FROM events ORDER BY seq"
	} >"$T/dump"
}

# Step 1b: the bytes to hash and to verify, as files: each event's leaf
# (0x00 || canonical), canonical bytes and signature; each handler's key;
# each time-stamp token.
write_ledger_files() {
	cat >"$T/files.awk" <<'EOF'
function put(h, f) { writehex(h, f); close(f) }
BEGIN { init() }
$1 == "hd" { nh++; put(substr($11, 2), sprintf("%s/keys/%08d", T, nh)) }
$1 == "ts" { nt++; put(substr($9, 2), sprintf("%s/tokens/%08d", T, nt)) }
$1 == "ev" {
	ne++
	put("00" substr($21, 2), sprintf("%s/leaves/%08d", T, ne))
	put(substr($21, 2), sprintf("%s/ev/%08d.msg", T, ne))
	put(substr($23, 2), sprintf("%s/ev/%08d.sig", T, ne))
}
EOF
}

# Steps 2 to 6: every event against its columns and the rows it describes,
# the registration rules, the bindings of every row, the cached heads.
# Prints "V N FINGERPRINT" for each signature to verify, and "K FP RAWHEX"
# for each handler whose key matches its fingerprint.
write_ledger_judge() {
	cat >"$T/ledger.awk" <<'EOF'
function problem(seq, what) { print "FAILED " (seq == "" ? "" : "event #" seq ": ") what >> problems; }
function hx(f) { return substr(f, 2) }
# A text column, as a canonical JSON string; notes a problem when it is not
# text or not UTF-8. seq: the event, what: the column.
function text(seq, what, type, h,   s) {
	if (type != "text") problem(seq, "column \"" what "\" is " type ", not text")
	s = jstr(h)
	if (s == "") { problem(seq, "column \"" what "\" is not valid UTF-8"); s = "\"\\x" h "\"" }
	return s
}
function integer(seq, what, type, h) {
	if (type != "integer") problem(seq, "column \"" what "\" is " type ", not an integer")
	return isascii_text(h) ? totext(h) : "\"\\x" h "\""
}
function handler_details(seq, fp,   r, o) {
	if (!(fp in HROW)) { problem(seq, "registered handler " show(fp) " is missing"); return "" }
	r = HROW[fp]; split(r, f, " ")
	if (f[10] != "blob" || length(hx(f[11])) != 64) problem(seq, "the handler's public_key is not a 32-byte blob")
	o = "{\"fingerprint\":" text(seq, "handlers.fingerprint", f[2], hx(f[3]))
	o = o ",\"name\":" text(seq, "handlers.name", f[4], hx(f[5]))
	if (f[8] != "null") o = o ",\"organization\":" text(seq, "handlers.organization", f[8], hx(f[9]))
	o = o ",\"public_key\":\"" base64(hx(f[11])) "\""
	o = o ",\"registered_at\":" text(seq, "handlers.registered_at", f[12], hx(f[13]))
	o = o ",\"role\":" text(seq, "handlers.role", f[6], hx(f[7])) "}"
	return o
}
function artifact_details(seq, id,   r, o) {
	if (!(id in AROW)) { problem(seq, "artifact " show(id) " is missing"); return "" }
	r = AROW[id]; split(r, f, " ")
	o = "{\"archive_name\":" text(seq, "artifacts.archive_name", f[4], hx(f[5]))
	o = o ",\"archive_sha256\":" text(seq, "artifacts.archive_sha256", f[6], hx(f[7]))
	o = o ",\"archive_size\":" integer(seq, "artifacts.archive_size", f[8], hx(f[9]))
	o = o ",\"collected_at\":" text(seq, "artifacts.collected_at", f[14], hx(f[15]))
	o = o ",\"collected_by\":" text(seq, "artifacts.collected_by", f[16], hx(f[17]))
	o = o ",\"host\":" text(seq, "artifacts.host", f[12], hx(f[13]))
	o = o ",\"merkle_root\":" text(seq, "artifacts.merkle_root", f[10], hx(f[11])) "}"
	# archive_path is not signed, but must be a UTF-8 text without NUL.
	if (f[18] != "text" || hx(f[19]) ~ /^(..)*00/ || decode_utf8(hx(f[19])) < 0)
		problem(seq, "the artifact record it describes differs from its signed form: column \"archive_path\" stored as " \
		    (f[18] != "text" ? f[18] : "the text \"" show(hx(f[19])) "\"" (hx(f[19]) ~ /^(..)*00/ ? ": it holds a NUL byte" : ": it is not valid UTF-8")) \
		    ", where custody writes a UTF-8 text")
	return o
}
# An ingest: the artifact's columns, and the members only its signed
# details hold (custody-formats(5), "The ingested event"), taken from the
# signed bytes (hex) in their sorted place.
function signed_member(k) { return ("details." k) in JT ? ",\"" k "\":" value("details." k) : "" }
function ingested_details(seq, id, hex,   o, i) {
	if ((o = artifact_details(seq, id)) == "") return ""
	if (hex ~ /^(..)*00/ || !jparse(totext(hex))) delete JT
	# No JSON string holds an unescaped quote: the first ,"host": is the member.
	i = index(o, ",\"host\":")
	o = substr(o, 1, i - 1) signed_member("collection_ended") substr(o, i, length(o) - i)
	o = o signed_member("noted_fingerprint") signed_member("received_from")
	o = o signed_member("seal_evidence_id") signed_member("seal_key")
	o = o signed_member("seal_key_kind") signed_member("seal_public_key") "}"
	return o
}
# A typed event: its details are what it signs (custody-formats(5), "The
# typed event"), the members of the documented set, in their sorted place.
function typed_details(hex,   o) {
	if (hex ~ /^(..)*00/ || !jparse(totext(hex))) delete JT
	o = signed_member("database_sha256") signed_member("members") signed_member("merkle_root")
	o = o signed_member("record") signed_member("record_sha256") signed_member("tool_version")
	return "{" substr(o, 2) "}"
}
function timestamp_details(seq,   r, o) {
	if (!(seq in TROW)) { problem(seq, "the time-stamp token of event " seq " is missing"); return "" }
	r = TROW[seq]; split(r, f, " ")
	if (f[8] != "blob") problem(seq, "column \"timestamps.token\" is " f[8] ", not a blob")
	o = "{\"file\":" text(seq, "timestamps.file", f[4], hx(f[5]))
	o = o ",\"file_sha256\":" text(seq, "timestamps.file_sha256", f[6], hx(f[7]))
	o = o ",\"gen_time\":" text(seq, "timestamps.gen_time", f[10], hx(f[11]))
	o = o ",\"token_sha256\":\"" TOKSHA[seq] "\""
	o = o ",\"tsa\":" text(seq, "timestamps.tsa", f[12], hx(f[13])) "}"
	return o
}
# Which fields differ between the rebuilt event (FIELD[key], canonical
# JSON of each value) and the signed bytes (parsed into J).
function differences(seq, hex, action,   t, k, n, keys, i, sk, what) {
	if (hex ~ /^(..)*00/) { problem(seq, "its signed bytes hold a NUL byte"); return }
	if (!jparse(totext(hex)) || JT[""] != "o") { problem(seq, "its signed bytes are not a JSON object (" JERR ")"); return }
	n = 0
	for (k in FIELD) if (!(k in JT) || value(k) != FIELD[k]) { n++; report(seq, k, action) }
	n2 = split(JK[""], keys, SUBSEP)
	for (i = 2; i <= n2; i++) if (!(keys[i] in FIELD)) { n++; report(seq, keys[i], action) }
	if (n == 0) problem(seq, "its signed bytes are not in the canonical form (they do not re-serialize to themselves)")
}
# The canonical serialization of the parsed value at path p.
function value(p,   t, n, keys, i, o) {
	t = JT[p]
	if (t == "s") return jstr(J[p])
	if (t == "n" || t == "t" || t == "f") return J[p]
	if (t == "z") return "null"
	if (t == "o") {
		n = split(JK[p], keys, SUBSEP); o = "{"
		for (i = 2; i <= n; i++) o = o (i > 2 ? "," : "") jstr(tohex(keys[i])) ":" value(p "." keys[i])
		return o "}"
	}
	return "[array]"
}
function report(seq, k, action) {
	if (k == "prev") problem(seq, "does not chain to the tree head before it: events were deleted, inserted or reordered")
	else if (k == "details") problem(seq, "the " (action == "registered" ? "handler" : action == "collected" || action == "ingested" ? "artifact" : action == "typed" ? "types" : "time-stamp") " record it describes differs from its signed form")
	else problem(seq, "field \"" k "\" differs from its signed form")
}
BEGIN {
	init(); ne = 0; nreg = 0
	while ((getline l < roots) > 0) ROOT[nr++] = l
	while ((getline l < keyhashes) > 0) KEYSHA[++nk] = l
	while ((getline l < tokhashes) > 0) TOKSHA_BY[++ntk] = l
	while ((getline l < frontiers) > 0) { split(l, fr, " "); FRONT[fr[1]] = fr[2] }
}
$1 == "ci" { if ($2 != 1) problem("", "case_info holds " $2 " rows, not 1") ; next }
$1 == "cs" {
	if ($2 != "text") problem("", "case_info.case_id is " $2 ", not text")
	if ($4 != "integer") problem("", "case_info.schema_version is " $4 ", not an integer")
	if ($6 != "text" && $6 != "null") problem("", "case_info.title is " $6 ", not text")
	if ($8 != "text") problem("", "case_info.created_at is " $8 ", not text")
	CASE = hx($3)
	next
}
$1 == "hd" {
	nh++
	if ($2 != "text") { problem("", "handler " show(hx($5)) " (" substr(show(hx($3)), 1, 16) ") has no registration event (its fingerprint is " $2 ", not text)"); next }
	fp = hx($3); HROW[fp] = $0; HNAME[fp] = hx($5)
	if ($10 == "blob" && length(hx($11)) == 64 && isascii_text(fp) && KEYSHA[nh] == totext(fp))
		print "K " totext(fp) " " hx($11)
	else HBADKEY[fp] = 1
	next
}
$1 == "ar" {
	if ($2 != "text") problem("", "artifact " show(hx($3)) " has no collection event (its evidence_id is " $2 ", not text)")
	else AROW[hx($3)] = $0
	next
}
$1 == "ts" {
	nt++
	s = $2 == "integer" ? totext(hx($3)) : "?" hx($3)
	TROW[s] = $0; TOKSHA[s] = TOKSHA_BY[nt]
	next
}
$1 == "th" {
	if ($2 != "integer") { problem("", "a cached tree head of a size no ledger has (of type " $2 ")"); next }
	if (totext(hx($3)) in TH) { problem("", "a second cached tree head of size " totext(hx($3))); next }
	TH[totext(hx($3))] = ($4 == "blob" ? hx($5) : "?")
	THF[totext(hx($3))] = ($6 == "blob" ? hx($7) : "?")
	next
}
$1 == "ev" {
	ne++
	seq = totext(hx($3))
	if ($2 != "integer") problem(seq, "seq is " $2)
	if (seq != ne) problem(seq, "out of sequence: expected #" ne " (events deleted or inserted)")
	action = jstr(hx($7)); act = totext(hx($7))
	handler = hx($11); counterpart = hx($13); artifact = hx($9)
	delete FIELD
	FIELD["action"] = text(seq, "action", $6, hx($7))
	if ($8 != "null") FIELD["artifact"] = text(seq, "artifact", $8, artifact)
	FIELD["case"] = jstr(CASE)
	if ($12 != "null") FIELD["counterpart"] = text(seq, "counterpart", $12, counterpart)
	d = ""
	if (act == "registered") d = handler_details(seq, counterpart)
	else if (act == "collected") d = artifact_details(seq, artifact)
	else if (act == "timestamped") d = timestamp_details(seq)
	else if (act == "ingested") d = ingested_details(seq, artifact, hx($21))
	else if (act == "typed") d = typed_details(hx($21))
	if (d != "") FIELD["details"] = d
	FIELD["handler"] = text(seq, "handler", $10, handler)
	if ($16 != "null") FIELD["location"] = text(seq, "location", $16, hx($17))
	if ($18 != "null") FIELD["note"] = text(seq, "note", $18, hx($19))
	FIELD["prev"] = "\"" ROOT[ne - 1] "\""
	if ($14 != "null") {
		FIELD["refers"] = integer(seq, "refers", $14, hx($15))
		# A signed refers names an event: 1 or more.
		if (FIELD["refers"] !~ /^[1-9][0-9]*$/) problem(seq, "its signed bytes are not a canonical event: a number is out of range")
	}
	FIELD["seq"] = seq
	FIELD["time"] = text(seq, "at", $4, hx($5))
	FIELD["v"] = 1
	if ($20 != "blob") problem(seq, "column \"canonical\" is " $20 ", not a blob")
	if ($22 != "blob") problem(seq, "column \"signature\" is " $22 ", not a blob")
	built = "{"
	split("action artifact case counterpart details handler location note prev refers seq time v", order, " ")
	for (i = 1; i <= 13; i++) if (order[i] in FIELD) built = built (built == "{" ? "" : ",") "\"" order[i] "\":" FIELD[order[i]]
	built = built "}"
	if (tohex(built) != hx($21)) differences(seq, hx($21), act)
	# Step 3: the signature, with the key the handler registered.
	if (!(handler in HROW)) problem(seq, "signed by key " substr(totext(handler), 1, 16) ", which is not registered in the case")
	else if (handler in HBADKEY) problem(seq, "handler " show(HNAME[handler]) ": public key does not match its fingerprint")
	else if (length(hx($23)) != 128) problem(seq, "the signature is not 64 bytes")
	else print "V " ne " " totext(handler) " " seq
	# Step 4: only the first key registers itself; a signer is registered first.
	self = act == "registered" && $12 != "null" && counterpart == handler
	if (self && nreg > 0) problem(seq, "a key registers itself, but only the case's first key may (a registration must be signed by a registered handler)")
	else if (!self && !(handler in REG)) problem(seq, "signed by key " substr(totext(handler), 1, 16) " before that key was registered")
	# Step 5: each handler and artifact row is described by one event only.
	if (act == "registered" && $12 != "null") {
		if (counterpart in REG) problem(seq, "registered " show(counterpart) " again (first at #" REG[counterpart] ")")
		else { REG[counterpart] = seq; nreg++ }
	}
	if ((act == "collected" || act == "ingested") && $8 != "null") {
		if (artifact in COL) problem(seq, act " " show(artifact) " again (first at #" COL[artifact] ")")
		else COL[artifact] = seq
	}
	if (act == "timestamped") TSE[seq] = 1
	# Step 6: the cached tree head after this event.
	# Root and frontier, BLOBs of exactly the recomputed bytes.
	if (!(ne in TH)) problem(seq, "the cached tree head after this event is missing")
	else {
		if (TH[ne] != ROOT[ne]) problem(seq, "the cached tree head after this event differs from the recomputed one (its root)")
		if (THF[ne] != FRONT[ne]) problem(seq, "the cached tree head after this event differs from the recomputed one (its frontier)")
	}
	next
}
END {
	# Step 5: every row is bound to an event that signs it.
	for (fp in HROW) if (!(fp in REG)) problem("", "handler " show(HNAME[fp]) " (" substr(show(fp), 1, 16) ") has no registration event")
	for (id in AROW) if (!(id in COL)) problem("", "artifact " show(id) " has no collected or ingested event")
	for (s in TROW) if (!(s in TSE)) problem("", "the time-stamp row of event " s " has no timestamped event of its own")
	for (s in TH)
		if (s + 0 < 1) problem("", "a cached tree head of a size no ledger has (" s ")")
		else if (s + 0 > ne) problem("", "a cached tree head records " s " events, but the ledger holds " ne ": events after #" ne " were removed")
	print "N " ne " " ROOT[ne]
	print "C " totext(CASE)
}
EOF
}

# Step 7: a checkpoint, a C2SP signed note (CHECKPOINTS). Prints "O ORIGIN",
# "S SIZE", "R ROOTHEX", "L TEXTLENGTH" and "G NAME SIGHEX" per signature.
write_checkpoint_reader() {
	cat >"$T/checkpoint.awk" <<'EOF'
function problem(what) { print "FAILED checkpoint " file ": " what >> problems; bad = 1 }
BEGIN { init(); blank = 0; len = 0; nsig = 0 }
{
	if (!blank) {
		if ($0 == "") { blank = 1; next }
		len += length($0) + 1
		if (NR == 1) print "O " $0
		else if (NR == 2) {
			if ($0 !~ /^(0|[1-9][0-9]*)$/) problem("tree size is not a decimal number")
			print "S " $0
		} else if (NR == 3) {
			r = unbase64($0)
			if (length(r) != 64) problem("root hash is not 32 bytes in base64")
			print "R " r
		}
		next
	}
	if (substr($0, 1, 4) != "\342\200\224 ") { problem("signature line " FNR " does not start with an em dash"); next }
	rest = substr($0, 5); sp = index(rest, " ")
	name = substr(rest, 1, sp - 1); sig = unbase64(substr(rest, sp + 1))
	if (sp < 2 || sig == "-" || length(sig) < 10) { problem("signature line " FNR " is malformed"); next }
	if (++nsig > 16) { problem("more than 16 signatures"); exit }
	print "G " name " " sig
}
END {
	if (NR < 3 || !blank) problem("not a signed note (origin, size, root, blank line, signatures)")
	print "L " len
}
EOF
}

# check_checkpoint FILE EVENTS CASE
check_checkpoint() {
	cpf=$1 events=$2 case_id=$3
	[ -f "$cpf" ] && [ -r "$cpf" ] || cannot "cannot read checkpoint $cpf"
	cpn=$(printf '%s' "$cpf" | tr -c '[:alnum:]._/-' '?')
	# Larger than any checkpoint: custody does not read it (exit 2).
	[ "$(bytes "$cpf")" -le 65536 ] || cannot "checkpoint $cpn is larger than 64 KiB"
	# The origin line first: a custody checkpoint of another case is said to
	# be that, and not checked; the ledger is not the worse for it, but
	# what was asked could not be checked (exit 2 when nothing else is wrong).
	origin=$(head -n 1 "$cpf" | tr -d '\000')
	case $origin in
	custody/?*)
		if [ "$origin" != "custody/$raw_case_id" ]; then
			echo "checkpoint $cpn is of case $(printf '%s' "${origin#custody/}" | tr -c '[:print:]' '?'), not of this case $case_id: it was not checked" >>"$T/foreign"
			return
		fi
		;;
	esac
	if [ "$(tail -c 1 "$cpf" | od -An -tx1 | tr -d ' ')" != 0a ] ||
	    [ "$(tr -d '\000' <"$cpf" | bytes /dev/stdin)" -ne "$(bytes "$cpf")" ]; then
		echo "FAILED checkpoint $cpn: not a text note ending with a newline, without NUL bytes" >>"$T/problems"
		return
	fi
	awk -f "$T/lib.awk" -f "$T/checkpoint.awk" -v file="$cpn" \
	    -v problems="$T/problems" "$cpf" >"$T/cp" || cannot "awk failed"
	origin=$(sed -n 's/^O //p' "$T/cp")
	size=$(sed -n 's/^S //p' "$T/cp")
	root=$(sed -n 's/^R //p' "$T/cp")
	head -c "$(sed -n 's/^L //p' "$T/cp")" "$cpf" >"$T/cp.text"
	signer=
	while read -r tag name sig; do
		[ "$tag" = G ] || continue
		# The key name and key id of a handler, and its signature.
		while read -r ktag fp key; do
			[ "$ktag" = K ] && [ "$name" = "custody-$(printf %.16s "$fp")" ] || continue
			id=$( { printf '%s\n\001' "$name"; printf '%s' "$key" | tr 'a-f' 'A-F' | basenc --base16 -d; } |
			    sha256sum | cut -c1-8)
			[ "$(printf %.8s "$sig")" = "$id" ] || continue
			printf '%s' "${sig#????????}" | tr 'a-f' 'A-F' | basenc --base16 -d >"$T/cp.sig"
			ed25519_verify "$T/keys/$fp.pem" "$T/cp.text" "$T/cp.sig" && signer=$fp
		done <"$T/judged"
	done <"$T/cp"
	if [ "$origin" != "custody/$raw_case_id" ]; then
		echo "FAILED checkpoint $cpn: it is for \"$(printf '%s' "$origin" | tr -c '[:print:]' '?')\", not \"custody/$case_id\"" >>"$T/problems"
	elif [ -z "$signer" ]; then
		echo "FAILED checkpoint $cpn: not validly signed by any handler of this case (altered, or another case's)" >>"$T/problems"
	elif [ "$size" -gt "$events" ]; then
		echo "FAILED checkpoint $cpn: it covers $size events but the ledger has $events: events after #$events were removed" >>"$T/problems"
	elif [ "$(sed -n "$((size + 1))p" "$T/roots")" != "$root" ]; then
		echo "FAILED checkpoint $cpn: the ledger's first $size events are not the ones it signed: history was rewritten" >>"$T/problems"
	else
		echo "  checkpoint $cpn ($size events, signed by custody-$(printf %.16s "$signer")): the ledger extends it" >>"$T/extends"
	fi
}

ledger_mode() {
	[ $# -ge 1 ] || usage
	D=$1
	shift
	need sqlite3 od awk sed grep tr cut head tail wc sha256sum basenc base64 openssl
	[ -f "$D/ledger.db" ] && [ -r "$D/ledger.db" ] || cannot "cannot read $D/ledger.db"
	for cpf; do
		[ -f "$cpf" ] && [ -r "$cpf" ] || cannot "cannot read checkpoint $cpf"
	done
	write_awk_library
	: >"$T/problems"
	: >"$T/extends"
	: >"$T/foreign"
	# A copy, so that nothing is written beside the ledger (SQLite would
	# make its -shm file); the -wal file holds committed events too.
	mkdir "$T/db" "$T/keys" "$T/tokens" "$T/leaves" "$T/ev"
	cp "$D/ledger.db" "$T/db/ledger.db" || cannot "cannot copy $D/ledger.db"
	if [ -f "$D/ledger.db-wal" ]; then
		cp "$D/ledger.db-wal" "$T/db/ledger.db-wal" || cannot "cannot copy $D/ledger.db-wal"
	fi
	ledger_schema
	ledger_dump
	grep -q '^cs ' "$T/dump" || cannot "the ledger has no case_info row"
	# Another version is another format (2); a version that is no integer, damage (1).
	case $(grep '^cs ' "$T/dump") in
	"cs "*" "*" integer x31 "*) ;;
	"cs "*" "*" integer "*) cannot "the ledger's schema_version is not 1" ;;
	esac

	write_ledger_files
	awk -f "$T/lib.awk" -f "$T/files.awk" -v T="$T" "$T/dump" || cannot "awk failed"
	hash_files "$T/leaves" >"$T/leafhashes"
	write_fold
	hash_files "$T/keys" >"$T/keyhashes"
	hash_files "$T/tokens" >"$T/tokhashes"
	prefix_roots "$T/leafhashes" >"$T/roots"

	write_ledger_judge
	awk -f "$T/lib.awk" -f "$T/ledger.awk" -v problems="$T/problems" \
	    -v roots="$T/roots" -v keyhashes="$T/keyhashes" -v tokhashes="$T/tokhashes" \
	    -v frontiers="$T/frontiers" \
	    "$T/dump" >"$T/judged" || cannot "awk failed"

	# Step 3: every signature, by the handler's registered key.
	while read -r tag fp key; do
		[ "$tag" = K ] || continue
		ed25519_pem "$key" "$T/keys/$fp.pem" || echo "FAILED handler $fp: not an Ed25519 key" >>"$T/problems"
	done <"$T/judged"
	while read -r tag n fp seq; do
		[ "$tag" = V ] || continue
		file=$(printf '%s/ev/%08d' "$T" "$n")
		ed25519_verify "$T/keys/$fp.pem" "$file.msg" "$file.sig" ||
		    echo "FAILED event #$seq: signature by $(printf %.16s "$fp") does not verify" >>"$T/problems"
	done <"$T/judged"

	events=$(sed -n 's/^N \([0-9]*\) .*/\1/p' "$T/judged")
	head=$(sed -n 's/^N [0-9]* //p' "$T/judged")
	case_id=$(sed -n 's/^C //p' "$T/judged")
	raw_case_id=$case_id
	case_id=$(printf '%s' "$case_id" | tr -c '[:alnum:]._-' '?')

	# Step 7: the checkpoints.
	write_checkpoint_reader
	for cpf; do
		check_checkpoint "$cpf" "$events" "$case_id"
	done
	if [ ! -s "$T/problems" ]; then
		echo "verified: case $case_id, $events events, tree head $head"
		cat "$T/extends"
		[ -s "$T/foreign" ] || exit 0
		cat "$T/foreign"
		exit 2
	fi
	[ -s "$T/foreign" ] && cat "$T/foreign" >"$T/note"
	finish "case $case_id" ""
}

# ======================================================================
T=$(mktemp -d "${TMPDIR:-/tmp}/custody-check.XXXXXX") || cannot "cannot make a temporary directory"
[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
archive) archive_mode "$@" ;;
ledger) ledger_mode "$@" ;;
*) usage ;;
esac
