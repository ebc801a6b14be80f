#!/bin/sh
# verify sees what tar extracts: every construction that makes GNU tar or
# bsdtar extract other bytes, other names, other metadata or more files
# than custody wrote is refused with exit 1, the member named; custody's own
# archive of names NFC and NFD verifies. Each test first shows what the
# tars make of the construction, then asks custody and the by-hand verifier.
. "$(dirname "$0")/lib.sh"

make_key
S=$TEST_TMP/src
nfc=$(printf 'caf\303\251')
nfd=$(printf 'cafe\314\201')

# craft CHANGE ARGS... : ./x.tar, the good archive repacked with one change.
craft() {
	python3 "$SRCDIR/tests/cli/retar.py" g x.tar "$@"
}

# refused MEMBER TEXT [ARCHIVE]: custody verify exits 1 naming the member
# with the reason, and the by-hand verifier agrees.
refused() {
	test_must_fail --status=1 custody verify --key key.pub "${3:-x.tar}" >out &&
	test_grep "FAILED $1: " out && test_grep "$2" out &&
	byhand_agrees 1 archive "${3:-x.tar}" key.pub
}

test_expect_success 'setup: an archive of NFC and NFD names and a sparse file verifies' '
	mkdir -p src && echo alpha >src/a && printf nfc >"src/$nfc" &&
	printf nfd >"src/$nfd" && dd if=/dev/zero of=src/sparse bs=1 count=0 seek=1M 2>/dev/null &&
	echo end >>src/sparse &&
	custody collect --key key --case-id S1 -o good.tar.zst "$S" 2>/dev/null &&
	custody verify --key key.pub good.tar.zst >out &&
	test_grep "verified: good.tar.zst" out &&
	zstd -dq good.tar.zst -o good.tar && extract good.tar g &&
	cp --sparse=always --preserve=timestamps src/sparse "g/files$S/sparse" &&
	test -f "g/files$S/$nfc" && test -f "g/files$S/$nfd" &&
	byhand_agrees 0 archive good.tar.zst key.pub &&
	craft && custody verify --key key.pub x.tar >/dev/null
'

test_expect_success 'a GNU sparse member (type S): tar extracts the same bytes from less, refused' '
	tar -C g --format=gnu --sparse -cf sp.tar "files$S/sparse" &&
	craft splice "files$S/sparse" sp.tar &&
	tar -tvf x.tar | grep -q "sparse" &&
	mkdir xs && tar -C xs -xf x.tar && cmp src/sparse "xs/files$S/sparse" &&
	refused "files$S/sparse" "GNU sparse file (type '"'"'S'"'"')"
'

test_expect_success 'a pax sparse member (GNU.sparse records): refused, the records named' '
	tar -C g --format=pax --sparse --sparse-version=1.0 -cf sp1.tar "files$S/sparse" &&
	craft splice "files$S/sparse" sp1.tar &&
	mkdir xs1 && tar -C xs1 -xf x.tar && cmp src/sparse "xs1/files$S/sparse" &&
	test_must_fail --status=1 custody verify --key key.pub x.tar >out &&
	test_grep "GNU.sparse.major" out && test_grep "which tar would apply" out &&
	byhand_agrees 1 archive x.tar key.pub
'

test_expect_success 'a GNU long-name record (type L) renames a member for tar: refused, both names said' '
	craft longname "files$S/a" &&
	tar -tf x.tar | grep -qx "files$S/a" && LC_ALL=C.UTF-8 bsdtar -tf x.tar | grep -qx "files$S/a" &&
	refused "files$S/a" "named by a GNU long name record" &&
	test_grep "not as files/short" out
'

test_expect_success 'a pax global header (type g): refused' '
	craft global && tar -tf x.tar | grep -qx "files$S/a" &&
	LC_ALL=C.UTF-8 bsdtar -tf x.tar | grep -qx "files$S/a" &&
	refused "PaxHeader/x" "pax global header (type '"'"'g'"'"')"
'

test_expect_success 'a volume label (type V): refused' '
	craft volume && tar -tvf x.tar | grep -q "Volume Header" &&
	refused "custody volume" "volume label (type '"'"'V'"'"')"
'

test_expect_success 'an unknown type (Z) that GNU tar extracts as a file: refused' '
	craft type "files$S/a" Z &&
	mkdir xz && tar -C xz -xf x.tar 2>err && test -f "xz/files$S/a" &&
	refused "files$S/a" "member of an unknown type (type '"'"'Z'"'"')"
'

test_expect_success 'a multi-volume continuation (type M): refused' '
	craft type "files$S/a" M &&
	refused "files$S/a" "multi-volume continuation (type '"'"'M'"'"')"
'

test_expect_success 'a member after a lone zero block: tar -i extracts it, refused' '
	craft lonezero files/planted &&
	! tar -tf x.tar 2>/dev/null | grep -q planted &&
	tar -i -tf x.tar | grep -q files/planted &&
	refused files/planted "after the end-of-archive marker"
'

test_expect_success 'a second archive after the end: refused' '
	mkdir p && echo evil >p/planted && tar -C p -cf p.tar planted &&
	cat good.tar p.tar >x.tar && tar -i -tf x.tar | grep -q "^planted$" &&
	refused planted "after the end-of-archive marker"
'

test_expect_success 'a second zstd frame appended: zstd -dc | tar -i shows it, refused' '
	zstd -q p.tar -o p.tar.zst && cat good.tar.zst p.tar.zst >x.tar.zst &&
	zstd -dc x.tar.zst | tar -i -tf - | grep -q "^planted$" &&
	refused planted "after the end-of-archive marker" x.tar.zst
'

test_expect_success 'bytes after the compressed data: refused' '
	cp good.tar.zst y.tar.zst && echo trailing >>y.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub y.tar.zst >out &&
	test_grep "FAILED (archive): damaged or truncated" out &&
	byhand_agrees 1 archive y.tar.zst key.pub
'

test_expect_success 'a malformed pax record: refused (a warning is not success)' '
	craft badpax "files$S/a" &&
	LC_ALL=C.UTF-8 bsdtar -tf x.tar 2>err | grep -qx "files$S/a" &&
	test_grep "Ignoring malformed pax extended attribute" err &&
	refused "files$S/a" "malformed pax record"
'

test_expect_success 'a member renamed from NFC to NFD: tar extracts another name, refused' '
	rm -rf g3 && cp -a g g3 && rm "g3/files$S/$nfd" &&
	python3 "$SRCDIR/tests/cli/retar.py" g3 x.tar rename "files$S/$nfc" "files$S/$nfd" &&
	tar --quoting-style=literal -tf x.tar | grep -qx "files$S/$nfd" &&
	! tar --quoting-style=literal -tf x.tar | grep -qx "files$S/$nfc" &&
	refused "files$S/$nfc" "missing: in the manifest but not in the archive" &&
	test_grep "FAILED files$S/$nfd: content does not match the manifest" out
'

test_expect_success 'the NFD member renamed to the NFC name it resembles: refused' '
	rm -r g2 2>/dev/null; cp -a g g2 && rm "g2/files$S/$nfc" &&
	python3 "$SRCDIR/tests/cli/retar.py" g2 x.tar rename "files$S/$nfd" "files$S/$nfc" &&
	test_must_fail --status=1 custody verify --key key.pub x.tar >out &&
	test_grep "FAILED files$S/$nfd: missing: in the manifest but not in the archive" out &&
	test_grep "FAILED files$S/$nfc: content does not match the manifest" out &&
	byhand_agrees 1 archive x.tar key.pub
'

test_expect_success 'a setuid mode that tar -xp applies: refused' '
	craft mode "files$S/a" 4755 &&
	tar -tvf x.tar | grep -q "^-rwsr-xr-x" &&
	refused "files$S/a" "mode 4755 where custody writes 0644"
'

test_expect_success 'another owner, by number and by name: refused' '
	craft owner "files$S/a" 1000 mysql &&
	tar -tvf x.tar | grep -q "mysql/" &&
	refused "files$S/a" "owner 1000:0 where custody writes 0:0" &&
	test_grep "owner or group names" out
'

test_expect_success 'extended attributes and ACLs in pax records: refused, named' '
	craft pax "files$S/a" SCHILY.xattr.user.planted=1 &&
	refused "files$S/a" "SCHILY.xattr.user.planted" &&
	craft pax "files$S/a" "SCHILY.acl.access=user::rwx,user:nobody:rwx" &&
	refused "files$S/a" "SCHILY.acl.access" &&
	craft pax "files$S/a" LIBARCHIVE.xattr.user.x=MQ &&
	refused "files$S/a" "LIBARCHIVE.xattr.user.x"
'

test_expect_success 'a ./ name, which custody never writes: refused' '
	craft dotslash "files$S/a" &&
	refused "./files$S/a" "component"
'

test_expect_success 'a member cut short by the end of the stream: refused as truncated' '
	head -c 700000 good.tar >x.tar &&
	test_must_fail --status=1 custody verify --key key.pub x.tar >out &&
	test_grep "ends inside member" out &&
	byhand_agrees 1 archive x.tar key.pub
'

test_expect_success 'a hidden byte in a header after the name: refused' '
	python3 -c "
import sys
d = bytearray(open(\"good.tar\", \"rb\").read())
n = d.index(b\"\\0\", 0, 100)
d[n + 1] = ord(\"X\")
s = d[0:148] + b\" \" * 8 + d[156:512]
d[148:156] = (\"%06o\\0 \" % sum(s)).encode()
open(\"x.tar\", \"wb\").write(d)
" &&
	test_must_fail --status=1 custody verify --key key.pub x.tar >out &&
	test_grep "bytes hidden after a field" out &&
	byhand_agrees 1 archive x.tar key.pub
'

test_expect_success 'a compressed file whose first block GNU tar reads as a tar header: refused' '
	printf "planted by the attacker\n" >planted.txt &&
	python3 - <<-EOF &&
	import subprocess, struct
	empty = subprocess.run(["zstd", "-q", "-c"], input=b"", capture_output=True).stdout
	data = open("planted.txt", "rb").read()
	body = data + bytes(-len(data) % 512) + bytes(1024)
	skip_len = 512 - len(empty) - 8 + len(body)
	h = bytearray(empty + struct.pack("<II", 0x184D2A50, skip_len))
	h += bytes(512 - len(h))
	h[100:108] = b"0000644\0"; h[108:116] = b"0000000\0"; h[116:124] = b"0000000\0"
	h[124:136] = b"%011o\0" % len(data); h[136:148] = b"00000000000\0"
	h[156] = ord("0"); h[257:265] = b"ustar\x0000"
	h[148:156] = b" " * 8; h[148:156] = b"%06o\0 " % sum(h)
	open("poly.tar.zst", "wb").write(bytes(h) + body + open("good.tar.zst", "rb").read())
	EOF
	tar -xOf poly.tar.zst 2>/dev/null | grep -q "planted by the attacker" &&
	zstd -dc poly.tar.zst | tar -tf - | grep -q "^files$S/a$" &&
	refused "(archive)" "pass as a tar header: GNU tar would read it as an uncompressed archive" poly.tar.zst
'

test_expect_success 'a zstd skippable frame first, or a gzip header with optional fields: refused' '
	printf "\120\052\115\030\004\000\000\000junk" >skip.tar.zst && cat good.tar.zst >>skip.tar.zst &&
	zstd -dc skip.tar.zst | cmp - good.tar &&
	refused "(archive)" "begins with a skippable frame" skip.tar.zst &&
	cp good.tar named.tar && gzip -N -k named.tar &&
	test "$(od -An -tx1 -j3 -N1 named.tar.gz | tr -d " ")" = 08 &&
	refused "(archive)" "gzip header has optional fields (flags 0x08)" named.tar.gz
'

test_expect_success 'a pax key with a NUL byte, a key too long to name, a key given twice: refused' '
	craft rawpax "files$S/a" "7 \\0x=y\\n" &&
	refused "files$S/a" "a key with a NUL byte" &&
	long=$(printf "%0240d" 0 | tr 0 x) &&
	craft pax "files$S/a" "SCHILY.xattr.user.$long=planted" &&
	refused "files$S/a" "1 pax record custody does not write" &&
	craft rawpax "files$S/a" "20 mtime=1000000000\\n20 mtime=2000000000\\n" &&
	refused "files$S/a" "a second mtime record" &&
	craft rawpax "files$S/a" "21 hdrcharset=BINARY\\n21 hdrcharset=BINARY\\n" &&
	refused "files$S/a" "a second hdrcharset record"
'

test_expect_success 'a modification time other than the manifest says, in ustar or pax: refused' '
	craft mtime "files$S/a" 1000000000 &&
	tar -tvf x.tar | grep "files$S/a$" | grep -q 2001-09-09 &&
	refused "files$S/a" "modification time in the header is 2001-09-09T01:46:40.000000000Z" &&
	craft pax "files$S/a" mtime=1000000000.5 &&
	refused "files$S/a" "modification time in the header is 2001-09-09T01:46:40.500000000Z"
'

test_expect_success 'a pax header of another mode and owner: refused' '
	craft xheader "files$S/a" &&
	refused "PaxHeader/x" "pax header not as custody writes it: mode 4777"
'

test_expect_success 'a sidecar that is there but cannot be read is a problem, not absent' '
	cp good.tar.zst sc.tar.zst && mkdir sc.tar.zst.sha256 &&
	test_must_fail --status=1 custody verify --key key.pub sc.tar.zst >out &&
	test_grep "FAILED sc.tar.zst.sha256: a sidecar that cannot be read" out &&
	byhand_agrees 1 archive sc.tar.zst key.pub &&
	test_grep "FAILED sc.tar.zst.sha256: a sidecar that cannot be read" byhand.out &&
	rmdir sc.tar.zst.sha256 && head -c 5000 /dev/zero | tr "\\0" a >sc.tar.zst.sha256 &&
	test_must_fail --status=1 custody verify --key key.pub sc.tar.zst >out &&
	test_grep "a sidecar that cannot be read" out &&
	byhand_agrees 1 archive sc.tar.zst key.pub &&
	sha256sum sc.tar.zst >real.sha256 && rm sc.tar.zst.sha256 &&
	ln -s real.sha256 sc.tar.zst.sha256 &&
	test_must_fail --status=1 custody verify --key key.pub sc.tar.zst >out &&
	test_grep "a sidecar that cannot be read" out &&
	byhand_agrees 1 archive sc.tar.zst key.pub &&
	rm sc.tar.zst.sha256 && ln -s nowhere sc.tar.zst.sha256 &&
	test_must_fail --status=1 custody verify --key key.pub sc.tar.zst >out &&
	test_grep "a sidecar that cannot be read" out &&
	byhand_agrees 1 archive sc.tar.zst key.pub &&
	rm sc.tar.zst.sha256 && mv real.sha256 sc.tar.zst.sha256 &&
	custody verify --key key.pub sc.tar.zst >out &&
	byhand_agrees 0 archive sc.tar.zst key.pub
'

test_expect_success 'many planted members: the problems kept are capped, the rest counted, memory bounded' '
	python3 -c "
import tarfile, io
good = open(\"good.tar\", \"rb\").read()
end = len(good) - 1024
while good[end - 512:end] == bytes(512):
    end -= 512
out = io.BytesIO(); out.write(good[:end])
for i in range(20000):
    t = tarfile.TarInfo(\"files/planted/%05d\" % i); t.mode = 0o644; t.uname = t.gname = \"\"
    out.write(t.tobuf(tarfile.USTAR_FORMAT))
out.write(bytes(1024)); open(\"many.tar\", \"wb\").write(out.getvalue())
" &&
	run_bounded "$CUSTODY" verify --key "$TEST_TMP/key.pub" many.tar >/dev/null &&
	test "$(cat status)" = 1 && test_grep "more problems, not listed" out &&
	test "$(grep -c "^FAILED" out)" -le 10001
'

test_expect_success 'a zero bomb after the end-of-archive marker: refused without decompressing it all' '
	head -c 100000000 /dev/zero | zstd -q -19 >zeros.zst && cat good.tar.zst zeros.zst >zb.tar.zst &&
	test $(wc -c <zb.tar.zst) -lt 1000000 &&
	refused "(archive)" "zeros after the end-of-archive marker" zb.tar.zst
'

# poke NAME OFFSET HEX: in x.tar (the good tar), the bytes HEX at OFFSET
# from the start of member NAME's header (512 and on: its data and the
# padding after it); the header's checksum made right again.
poke() {
	cp good.tar x.tar &&
	python3 - "$@" <<-\EOF
	import sys
	name, at, data = sys.argv[1].encode("utf-8", "surrogateescape"), int(sys.argv[2]), bytes.fromhex(sys.argv[3])
	d = bytearray(open("x.tar", "rb").read())
	off = 0
	while d[off:off + 512] != bytes(512):
	    h = d[off:off + 512]
	    n = h[0:100].split(b"\0")[0]
	    p = h[345:500].split(b"\0")[0]
	    full = p + b"/" + n if p else n
	    size = int(h[124:136].split(b"\0")[0] or b"0", 8)
	    if full == name:
	        d[off + at:off + at + len(data)] = data
	        h = d[off:off + 512]
	        s = sum(h[0:148]) + 8 * 32 + sum(h[156:512])
	        d[off + 148:off + 156] = ("%06o\0 " % s).encode()
	        open("x.tar", "wb").write(d)
	        sys.exit(0)
	    off += 512 + (size + 511) // 512 * 512
	sys.exit("no member " + sys.argv[1])
	EOF
}

test_expect_success 'a hidden byte in the padding after a member (its data ends in mid-block): refused' '
	poke "files$S/a" 520 58 &&
	tar -tf x.tar >/dev/null &&
	refused "files$S/a" "bytes hidden in the padding after this member" && test_grep "bytes hidden in the padding after this member" byhand.out
'

test_expect_success 'hidden bytes after the end of the link name, owner name, prefix, or in bytes 500-511: refused' '
	for at in 158 266 298 346 505; do
		poke "files$S/a" $at 58 &&
		refused "files$S/a" "bytes hidden after a field" && test_grep "bytes hidden after a field" byhand.out || return 1
	done
'

test_expect_success 'an octal field with a leading space, an mtime that is not a number: refused' '
	poke "files$S/a" 100 20303030363434 &&
	refused "files$S/a" "not an octal number" && test_grep "not an octal number" byhand.out &&
	poke "files$S/a" 136 0000000000000000000000 &&
	refused "files$S/a" "not an octal number" && test_grep "not an octal number" byhand.out
'

test_expect_success 'an empty member name, a pax path longer than 4096 bytes: refused' '
	poke "files$S/a" 0 $(printf "%0200d" 0) &&
	test_must_fail --status=1 custody verify --key key.pub x.tar >out &&
	test_grep "empty name" out &&
	byhand_agrees 1 archive x.tar key.pub && test_grep "empty member name" byhand.out &&
	craft pax "files$S/a" "path=files/$(printf "%05000d" 0)" &&
	test_must_fail --status=1 custody verify --key key.pub x.tar >out &&
	test_grep "name longer than 4096 bytes" out &&
	byhand_agrees 1 archive x.tar key.pub && test_grep "name longer than 4096 bytes" byhand.out
'

test_expect_success 'a pax path that is not UTF-8, without hdrcharset BINARY: refused' '
	craft pax "files$S/a" "path=files/$(printf "\377")" &&
	python3 -c "
d = open(\"x.tar\", \"rb\").read()
assert b\"21 hdrcharset=BINARY\\n\" in d
open(\"x.tar\", \"wb\").write(d.replace(b\"21 hdrcharset=BINARY\\n\", b\"21 mtime=123456789.1\\n\"))
" &&
	test_must_fail --status=1 custody verify --key key.pub x.tar >out &&
	test_grep "pax path is not UTF-8" out &&
	byhand_agrees 1 archive x.tar key.pub && test_grep "pax path is not UTF-8" byhand.out
'

test_expect_success 'the end-of-archive marker cut to one zero block: refused' '
	craft && head -c -512 x.tar >y.tar &&
	test_must_fail --status=1 custody verify --key key.pub y.tar >out &&
	test_grep "one zero block" out &&
	byhand_agrees 1 archive y.tar key.pub && test_grep "one zero block" byhand.out
'

test_expect_success 'compressed twice, or zero bytes after a gzip stream that gzip ignores: refused' '
	gzip -nc good.tar.zst >y.tar.zst.gz &&
	test_must_fail --status=1 custody verify --key key.pub y.tar.zst.gz >out &&
	test_grep "compressed 2 times" out &&
	byhand_agrees 1 archive y.tar.zst.gz key.pub && test_grep "compressed 2 times" byhand.out &&
	gzip -nc good.tar >y.tar.gz &&
	custody verify --key key.pub y.tar.gz >/dev/null &&
	byhand_agrees 0 archive y.tar.gz key.pub &&
	head -c 8 /dev/zero >>y.tar.gz && gzip -dc y.tar.gz >/dev/null &&
	test_must_fail --status=1 custody verify --key key.pub y.tar.gz >out &&
	test_grep "bytes after the end of the compressed data" out &&
	byhand_agrees 1 archive y.tar.gz key.pub &&
	test_grep "bytes after the end of the compressed data" byhand.out
'

test_expect_success 'files dated before 1970 verify, tar sets their whole seconds, both tools agree' '
	mkdir -p old && touch -d "1960-03-01 12:34:56.25 UTC" old/f && touch -d "1969-12-31 23:59:59 UTC" old/g &&
	custody collect --key key --case-id S1 -o old.tar.zst "$TEST_TMP/old" 2>/dev/null &&
	custody verify --key key.pub old.tar.zst >out && test_grep "verified: old.tar.zst" out &&
	byhand_agrees 0 archive old.tar.zst key.pub &&
	mkdir xo && tar -C xo -xf old.tar.zst 2>/dev/null &&
	test "$(TZ=UTC stat -c %y "xo/files$TEST_TMP/old/f")" = "1960-03-01 12:34:56.000000000 +0000" &&
	test "$(TZ=UTC stat -c %y "xo/files$TEST_TMP/old/g")" = "1969-12-31 23:59:59.000000000 +0000"
'

test_expect_success 'a base-256 modification time without a pax mtime record: refused' '
	poke "files$S/a" 136 800000000000000000000001 &&
	refused "files$S/a" "a base-256 modification time without the pax mtime record"
'

test_expect_success 'a gzip trailer whose CRC-32 does not match: GNU tar refuses it, so does verify' '
	gzip -n -c good.tar >crc.tar.gz && custody verify --key key.pub crc.tar.gz >/dev/null &&
	n=$(stat -c %s crc.tar.gz) &&
	printf "\001" | dd of=crc.tar.gz bs=1 seek=$((n - 8)) conv=notrunc 2>/dev/null &&
	test_must_fail tar -xOf crc.tar.gz >/dev/null 2>&1 &&
	refused "(archive)" "the gzip trailer'"'"'s CRC-32 or size does not match the data" crc.tar.gz
'

test_expect_success 'prove and verify --types refuse the same constructions' '
	tar -C g --format=gnu --sparse -cf sp.tar "files$S/sparse" &&
	craft splice "files$S/sparse" sp.tar &&
	test_must_fail --status=1 custody verify --types --key key.pub x.tar >out &&
	test_grep "GNU sparse file" out &&
	test_must_fail custody prove x.tar "files$S/a" -o p.json 2>err &&
	! test -e p.json
'

test_done
