#!/bin/sh
# The by-hand verifier, verify/custody-check.sh: a second implementation of
# custody verify and custody ledger verify, in POSIX sh from
# custody-formats(5). It must say 0 on every good archive and ledger, and 1
# on every tampered one; each verdict of custody's own is shown beside it.
. "$(dirname "$0")/lib.sh"

CHECK="$SRCDIR/verify/custody-check.sh"

# byhand STATUS ARGS...: the script's verdict must be STATUS; its output to
# ./byhand.out and into the log.
byhand() {
	want=$1
	shift
	sh "$CHECK" "$@" >byhand.out 2>&1
	got=$?
	sed 's/^/  custody-check: /' byhand.out
	if [ "$got" -ne "$want" ]; then
		echo "custody-check.sh $* exited $got, expected $want" >&2
		return 1
	fi
}

# note_custody ARGS...: what custody says today, for the log (TAP comments).
note_custody() {
	(cd "$TEST_TMP" && "$CUSTODY" "$@" >custody.out 2>&1)
	echo "# custody $*: exit $?"
	sed 's/^/#   /' "$TEST_TMP/custody.out"
}

# note_tars ARCHIVE: what GNU tar and bsdtar make of an archive, for the log.
note_tars() {
	echo "# tar -tvf $1:"
	(cd "$TEST_TMP" && tar -tvf "$1" 2>&1) | sed 's/^/#   /'
	echo "# bsdtar -tvf $1:"
	(cd "$TEST_TMP" && bsdtar -tvf "$1" 2>&1) | sed 's/^/#   /'
}

make_key
custody key generate --name "Eve Stranger" --role examiner -o "$TEST_TMP/eve" >/dev/null

# A source tree with the names that break tools.
python3 - "$TEST_TMP/src" <<'EOF'
import os, sys, unicodedata
root = sys.argv[1].encode()
os.makedirs(root + b"/deep/" + b"d" * 120)
def put(name, data):
    with open(root + b"/" + name, "wb") as f:
        f.write(data)
put(b"plain.txt", b"hello\n")
put(b"empty", b"")
put(b"new\nline", b"a newline in the name\n")
put(b"bad-\xff\xfe-utf8", b"not UTF-8\n")
put("café-nfc".encode(), b"NFC\n")
put(b"back\\slash", b"backslash\n")
put(b"L" * 150, b"a name longer than 100 bytes\n")
put(b"deep/" + b"d" * 120 + b"/" + b"n" * 110, b"a path longer than 255 bytes\n")
put(b"several-mib", os.urandom(5 << 20))
EOF

test_expect_success 'good archives, every compression: 0' '
	custody collect --key key -o good.tar.zst src >/dev/null 2>&1 &&
	custody collect --key key --compress gzip -o good.tar.gz src >/dev/null 2>&1 &&
	custody collect --key key --compress xz -o good.tar.xz src >/dev/null 2>&1 &&
	custody collect --key key --compress none -o good.tar src >/dev/null 2>&1 &&
	for a in good.tar.zst good.tar.gz good.tar.xz good.tar; do
		byhand 0 archive $a key.pub || return 1
	done &&
	test_grep "verified: good.tar:" byhand.out
'
note_custody verify --key key.pub good.tar.zst

test_expect_success 'custody agrees on them' '
	custody verify --key key.pub good.tar.zst >/dev/null &&
	byhand_agrees 0 archive good.tar.zst key.pub &&
	custody verify --key key.pub good.tar >/dev/null &&
	byhand_agrees 0 archive good.tar key.pub
'

test_expect_success 'a file collected under an NFD name: 0' '
	mkdir -p nfdsrc && cp src/plain.txt nfdsrc/ &&
	python3 -c "import unicodedata, sys; open(unicodedata.normalize(\"NFD\", \"nfdsrc/café\"), \"w\").write(\"NFD\\n\")" &&
	custody collect --key key -o nfd.tar.zst nfdsrc >/dev/null 2>&1 &&
	byhand 0 archive nfd.tar.zst key.pub &&
	custody verify --key key.pub nfd.tar.zst >/dev/null &&
	byhand_agrees 0 archive nfd.tar.zst key.pub
'
note_custody verify --key key.pub nfd.tar.zst

mkdir -p "$TEST_TMP/plainsrc" && cp "$TEST_TMP/src/plain.txt" "$TEST_TMP/src/empty" "$TEST_TMP/plainsrc/"

# The time it takes goes to the log; shared machines are too noisy for a
# bound on it here.
test_expect_success 'a triage-size archive (800 members): 0' '
	mkdir -p many && i=0 &&
	while [ $i -lt 800 ]; do echo "file $i" >many/f$i; i=$((i + 1)); done &&
	custody collect --key key -o many.tar.zst many >/dev/null 2>&1 &&
	start=$(date +%s) && byhand 0 archive many.tar.zst key.pub &&
	echo "took $(($(date +%s) - start)) s" &&
	byhand_agrees 0 archive many.tar.zst key.pub
'

# craft.py IN OUT KIND: a copy of the plain tar IN with one change, written
# with python's tarfile (pax format, like custody) or as raw bytes.
cat >"$TEST_TMP/craft.py" <<'EOF'
import io, hashlib, sys, tarfile, unicodedata
src, out, kind = sys.argv[1], sys.argv[2], sys.argv[3]
t = tarfile.open(src, encoding="utf-8", errors="surrogateescape")
members = [(m, t.extractfile(m).read()) for m in t.getmembers()]
# Only the mtime record is kept as written, to the nanosecond (tarfile
# would read it into a float); path and hdrcharset follow the name.
for m, _ in members:
    m.pax_headers = {k: v for k, v in m.pax_headers.items() if k == "mtime"}
# custody gives its pax headers mode 0644; tarfile leaves 0.
create_header = tarfile.TarInfo._create_header
def custody_header(info, fmt, encoding, errors):
    if info.get("type") == tarfile.XHDTYPE and not info.get("mode"):
        info = dict(info, mode=0o644)
    return create_header(info, fmt, encoding, errors)
tarfile.TarInfo._create_header = staticmethod(custody_header)
def name(m):
    return m.name.encode("utf-8", "surrogateescape")
def find(pred):
    return next(i for i, (m, _) in enumerate(members) if pred(name(m)))
plain = find(lambda n: n.endswith(b"/plain.txt"))
if kind == "flip":
    m, d = members[find(lambda n: n.endswith(b"/several-mib"))]
    d = bytearray(d); d[len(d) // 2] ^= 1
    members[find(lambda n: n.endswith(b"/several-mib"))] = (m, bytes(d))
elif kind == "plant":
    m = tarfile.TarInfo("files/etc/cron.d/planted"); m.mode = 0o644
    members.insert(plain, (m, b"* * * * * root sh /tmp/x\n"))
elif kind == "drop":
    del members[plain]
elif kind == "manifest":
    i = find(lambda n: n == b"custody/manifest.jsonl")
    m, d = members[i]
    members[i] = (m, d.replace(b'"status":"ok"', b'"status":"OK"', 1))
elif kind == "nfd":
    i = find(lambda n: "café-nfc" in n.decode("utf-8", "replace"))
    members[i][0].name = unicodedata.normalize("NFD", members[i][0].name)
elif kind == "setuid":
    members[plain][0].mode = 0o4755
elif kind == "owner":
    members[plain][0].uid = 1000; members[plain][0].uname = "eve"
elif kind == "pax-key":
    members[plain][0].pax_headers["SCHILY.xattr.user.note"] = "planted"
elif kind == "seal":
    # Another key's seal: its collector, signed by it (sign.sh does that).
    pass
fmt = {"gnu": tarfile.GNU_FORMAT}.get(kind, tarfile.PAX_FORMAT)
buf = io.BytesIO()
extra = {"comment": "global"} if kind == "global" else {}
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, pax_headers=extra) as o:
    for i, (m, d) in enumerate(members):
        if kind == "gnu" and len(name(m)) > 100:
            o.format = tarfile.GNU_FORMAT
        if kind == "sparse" and i == plain:
            m.type = tarfile.GNUTYPE_SPARSE
        o.addfile(m, io.BytesIO(d))
        o.format = tarfile.PAX_FORMAT
data = buf.getvalue()
end = len(data)
while data[end - 512:end] == bytes(512):
    end -= 512
def member(n, d):
    m = tarfile.TarInfo(n); m.size = len(d); m.mode = 0o644
    return m.tobuf(tarfile.USTAR_FORMAT) + d + bytes(-len(d) % 512)
if kind == "pax-bad":
    # The first pax record's length one more than it is.
    i = data.index(b" hdrcharset=BINARY\n") - 2
    data = data[:i] + b"22" + data[i + 2:]
if kind == "lone-zero":
    data = data[:end] + bytes(512) + member("files/after-zero", b"hidden\n") + bytes(1024)
elif kind == "after-end":
    data = data + member("files/after-end", b"second archive\n") + bytes(1024)
open(out, "wb").write(data)
EOF

test_expect_success 'the plain good tar, repacked faithfully by python, still verifies' '
	python3 craft.py good.tar repack.tar none && byhand 0 archive repack.tar key.pub
'
note_custody verify --key key.pub repack.tar

# tampered KIND [COMPRESS]: craft a tampered copy (no .sha256 sidecar).
for kind in flip plant drop manifest gnu global sparse pax-key pax-bad lone-zero after-end nfd setuid owner; do
	test_expect_success "archive tampered ($kind): 1" "
		python3 craft.py good.tar t-$kind.tar $kind &&
		! test -e t-$kind.tar.sha256 &&
		byhand 1 archive t-$kind.tar key.pub
	"
	echo "# custody-check archive t-$kind.tar key.pub:"
	sed 's/^/#   /' "$TEST_TMP/byhand.out"
	note_tars t-$kind.tar
	note_custody verify --key key.pub t-$kind.tar
done

test_expect_success 'archive tampered (frame: a second zstd frame of tar data appended): 1' '
	python3 craft.py good.tar extra.tar after-end &&
	tail -c 2048 extra.tar | zstd -q >extra.zst &&
	cat good.tar.zst extra.zst >t-frame.tar &&
	byhand 1 archive t-frame.tar key.pub && test_grep "data after the end" byhand.out
'
note_tars t-frame.tar
note_custody verify --key key.pub t-frame.tar

test_expect_success 'the script names what it finds' '
	byhand 1 archive t-pax-key.tar key.pub &&
	test_grep "plain.txt: pax key \"SCHILY.xattr.user.note\"" byhand.out &&
	byhand 1 archive t-pax-bad.tar key.pub && test_grep "malformed pax record" byhand.out &&
	byhand 1 archive t-plant.tar key.pub &&
	test_grep "files/etc/cron.d/planted: extra member" byhand.out &&
	byhand 1 archive t-drop.tar key.pub && test_grep "plain.txt: missing" byhand.out &&
	byhand 1 archive t-flip.tar key.pub && test_grep "several-mib: content does not match" byhand.out &&
	byhand 1 archive t-gnu.tar key.pub && test_grep "GNU long name" byhand.out &&
	byhand 1 archive t-global.tar key.pub && test_grep "pax global" byhand.out &&
	byhand 1 archive t-sparse.tar key.pub && test_grep "plain.txt: a GNU sparse" byhand.out &&
	byhand 1 archive t-lone-zero.tar key.pub && test_grep "lone zero block" byhand.out &&
	byhand 1 archive t-after-end.tar key.pub && test_grep "data after the end" byhand.out &&
	byhand 1 archive t-setuid.tar key.pub && test_grep "plain.txt: mode 4755" byhand.out &&
	byhand 1 archive t-owner.tar key.pub && test_grep "plain.txt: owner 1000" byhand.out &&
	byhand 1 archive t-nfd.tar key.pub && test_grep "extra member" byhand.out
'

test_expect_success 'custody agrees on every tampered archive' '
	for kind in flip plant drop manifest gnu global sparse pax-key pax-bad lone-zero after-end nfd setuid owner frame; do
		test_must_fail --status=1 custody verify --key key.pub t-$kind.tar >/dev/null &&
		byhand_agrees 1 archive t-$kind.tar key.pub || return 1
	done
'

test_expect_success 'a forged seal: another key, signed by it' '
	python3 craft.py good.tar forged.tar none && mkdir fx && tar -C fx -xf forged.tar &&
	eve_raw=$(openssl pkey -pubin -in eve.pub -outform DER | tail -c 32 | base64) &&
	eve_fp=$(openssl pkey -pubin -in eve.pub -outform DER | tail -c 32 | sha256sum | cut -c1-64) &&
	key_raw=$(openssl pkey -pubin -in key.pub -outform DER | tail -c 32 | base64) &&
	key_fp=$(openssl pkey -pubin -in key.pub -outform DER | tail -c 32 | sha256sum | cut -c1-64) &&
	sed -i "s|$key_raw|$eve_raw|; s|$key_fp|$eve_fp|" fx/custody/seal.json &&
	openssl pkeyutl -sign -inkey eve -rawin -in fx/custody/seal.json -out fx/custody/seal.sig &&
	(cd fx && tar --format=posix --owner=0 --group=0 --numeric-owner -cf ../forged.tar *) &&
	byhand 1 archive forged.tar key.pub &&
	test_grep "sealed by key $eve_fp, not by the key given" byhand.out &&
	test_must_fail --status=1 custody verify --key key.pub forged.tar >/dev/null
'
note_custody verify --key key.pub forged.tar

test_expect_success 'the wrong key: 1' '
	byhand 1 archive good.tar.zst eve.pub &&
	test_grep "not by the key given" byhand.out &&
	test_must_fail --status=1 custody verify --key eve.pub good.tar.zst >/dev/null &&
	byhand_agrees 1 archive good.tar.zst eve.pub
'
note_custody verify --key eve.pub good.tar.zst

test_expect_success 'cannot check: 2' '
	byhand 2 archive nonexistent key.pub &&
	: >empty && byhand 2 archive empty key.pub &&
	echo garbage >garbage && byhand 2 archive garbage key.pub &&
	byhand 2 archive good.tar.zst key && test_grep "private key" byhand.out &&
	byhand 2 archive && byhand 2 frobnicate x
'

# A case: init, a second key, a collection, a hand-over, a record, a checkpoint.
test_expect_success 'a good case ledger: 0' '
	custody key generate --name "Bob Ünïcode" --role counsel -o bob >/dev/null &&
	custody init case --case-id IR-450 --title "By hand" --key key >/dev/null &&
	custody key register bob.pub --case case --key key >/dev/null &&
	custody collect --case case --key key --location "Server room" -o case.tar.zst plainsrc >/dev/null 2>&1 &&
	custody ledger release --case case --key key --artifact E001 --to "Bob Ünïcode" \
	    --location Lobby --note "sealed bag 17, ☃ and 😀" >/dev/null &&
	custody ledger receive --case case --key bob --artifact E001 --location "Law office" >/dev/null &&
	custody ledger record --case case --key bob --artifact E001 --action analysed \
	    --note "$(printf "two\nlines\tand \"quotes\" \\\\ / \177")" >/dev/null &&
	custody ledger checkpoint --case case --key key -o cp >/dev/null &&
	custody ledger verify --case case --checkpoint cp >/dev/null &&
	byhand 0 ledger case cp && test_grep "the ledger extends it" byhand.out &&
	byhand_agrees 0 ledger case cp &&
	byhand 0 archive case.tar.zst key.pub
'
note_custody ledger verify --case "$TEST_TMP/case" --checkpoint "$TEST_TMP/cp"

# tamper NAME SQL: a copy of the case, changed with the sqlite3 shell.
tamper() {
	rm -rf "$1" && cp -r case "$1" &&
	sqlite3 "$1/ledger.db" "PRAGMA foreign_keys = OFF;
	    DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;
	    DROP TRIGGER IF EXISTS handlers_no_update; DROP TRIGGER IF EXISTS timestamps_no_update;
	    DROP TRIGGER IF EXISTS tree_heads_no_update; DROP TRIGGER IF EXISTS tree_heads_no_delete;
	    $2"
}

test_expect_success 'ledger: an edited note' '
	tamper l-note "UPDATE events SET note = '\''sealed bag 18'\'' WHERE seq = 4" &&
	byhand 1 ledger l-note && test_grep "event #4: field \"note\" differs" byhand.out &&
	test_must_fail --status=1 custody ledger verify --case l-note >/dev/null &&
	byhand_agrees 1 ledger l-note
'
note_custody ledger verify --case "$TEST_TMP/l-note"

test_expect_success 'ledger: a NUL in a note' '
	tamper l-nul "UPDATE events SET note = CAST(CAST(note AS BLOB) || X'\''00'\'' || CAST('\''planted'\'' AS BLOB) AS TEXT) WHERE seq = 4" &&
	byhand 1 ledger l-nul && test_grep "event #4: field \"note\" differs" byhand.out
'
note_custody ledger verify --case "$TEST_TMP/l-nul"

test_expect_success 'ledger: invalid UTF-8 in a note' '
	tamper l-utf8 "UPDATE events SET note = CAST(X'\''ff706c616e746564'\'' AS TEXT) WHERE seq = 4" &&
	byhand 1 ledger l-utf8 && test_grep "event #4: column \"note\" is not valid UTF-8" byhand.out &&
	test_must_fail --status=1 custody ledger verify --case l-utf8 >/dev/null &&
	byhand_agrees 1 ledger l-utf8
'
note_custody ledger verify --case "$TEST_TMP/l-utf8"

test_expect_success 'ledger: a note stored as a BLOB of the same bytes' '
	tamper l-blob "UPDATE events SET note = CAST(note AS BLOB) WHERE seq = 4" &&
	byhand 1 ledger l-blob && test_grep "event #4: column \"note\" is blob, not text" byhand.out
'
note_custody ledger verify --case "$TEST_TMP/l-blob"

test_expect_success 'ledger: refers 0 in place of NULL, an empty location in place of NULL' '
	tamper l-zero "UPDATE events SET refers = 0 WHERE seq = 6; UPDATE events SET location = '\'''\'' WHERE seq = 6" &&
	byhand 1 ledger l-zero && test_grep "event #6: field \"refers\" differs" byhand.out &&
	test_grep "event #6: field \"location\" differs" byhand.out &&
	test_must_fail --status=1 custody ledger verify --case l-zero >/dev/null &&
	byhand_agrees 1 ledger l-zero
'
note_custody ledger verify --case "$TEST_TMP/l-zero"

test_expect_success 'ledger: a deleted event' '
	tamper l-del "DELETE FROM events WHERE seq = 4" &&
	byhand 1 ledger l-del && test_grep "event #5: out of sequence" byhand.out &&
	test_must_fail --status=1 custody ledger verify --case l-del >/dev/null &&
	byhand_agrees 1 ledger l-del
'
note_custody ledger verify --case "$TEST_TMP/l-del"

test_expect_success 'ledger: a cached tree head beyond the last event, a time-stamp row of no event' '
	tamper l-cache "INSERT INTO tree_heads VALUES (40, zeroblob(32), zeroblob(32))" &&
	byhand 1 ledger l-cache && test_grep "a cached tree head records 40 events" byhand.out &&
	tamper l-ts "INSERT INTO timestamps VALUES (3, '\''x'\'', '\''00'\'', X'\''00'\'', '\''2026'\'', '\''none'\'')" &&
	byhand 1 ledger l-ts && test_grep "time-stamp row of event 3 has no timestamped event" byhand.out
'
note_custody ledger verify --case "$TEST_TMP/l-cache"
note_custody ledger verify --case "$TEST_TMP/l-ts"

test_expect_success 'ledger: an edited handler row' '
	tamper l-handler "UPDATE handlers SET name = '\''Mallory'\'' WHERE name = '\''Bob Ünïcode'\''" &&
	byhand 1 ledger l-handler && test_grep "event #2: the handler record it describes differs" byhand.out &&
	test_must_fail --status=1 custody ledger verify --case l-handler >/dev/null &&
	byhand_agrees 1 ledger l-handler
'
note_custody ledger verify --case "$TEST_TMP/l-handler"

test_expect_success 'ledger: a foreign checkpoint' '
	custody init other --case-id IR-999 --key eve >/dev/null &&
	custody ledger checkpoint --case other --key eve -o foreign >/dev/null &&
	byhand 2 ledger case foreign &&
	test_grep "checkpoint foreign is of case IR-999, not of this case IR-450: it was not checked" byhand.out &&
	test_must_fail --status=2 custody ledger verify --case case --checkpoint foreign >out &&
	test_grep "checkpoint foreign is of case IR-999" out &&
	byhand_agrees 2 ledger case foreign &&
	tamper l-foreign "UPDATE events SET note = '"'"'x'"'"' WHERE seq = 5" &&
	test_must_fail --status=1 custody ledger verify --case l-foreign --checkpoint foreign >out &&
	test_grep "checkpoint foreign is of case IR-999" out &&
	byhand_agrees 1 ledger l-foreign foreign
'
note_custody ledger verify --case "$TEST_TMP/case" --checkpoint "$TEST_TMP/foreign"

test_expect_success 'ledger: a checkpoint of a history rewritten' '
	tamper l-rewrite "DELETE FROM events WHERE seq >= 5; DELETE FROM tree_heads WHERE size >= 5" &&
	byhand 1 ledger l-rewrite cp && test_grep "checkpoint cp: it covers 6 events" byhand.out &&
	test_must_fail --status=1 custody ledger verify --case l-rewrite --checkpoint cp >/dev/null &&
	byhand_agrees 1 ledger l-rewrite cp
'
note_custody ledger verify --case "$TEST_TMP/l-rewrite" --checkpoint "$TEST_TMP/cp"

test_expect_success 'custody agrees on every tampered ledger' '
	for c in l-note l-nul l-utf8 l-blob l-zero l-del l-cache l-ts l-handler; do
		test_must_fail --status=1 custody ledger verify --case $c >/dev/null &&
		byhand_agrees 1 ledger $c || return 1
	done
'

test_expect_success 'ledger: cannot check: 2' '
	byhand 2 ledger nonexistent && byhand 2 ledger case missing-checkpoint &&
	byhand 2 ledger
'

test_expect_success 'the script writes nothing outside its temporary directory' '
	find case -printf "%p %s %T@ %m\n" | sort >before &&
	byhand 0 ledger case cp &&
	find case -printf "%p %s %T@ %m\n" | sort >after &&
	cmp before after
'

test_done
