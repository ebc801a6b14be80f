#!/bin/sh
# verify decompresses zstd itself, straight into the blocks it hashes: the
# stream is read as zstd -d and libarchive read it. Frames one after the
# other and skippable frames between them verify; a frame cut short, bytes
# after the last frame, a damaged block and a second compression inside are
# refused with exit 1 and the reason, as the by-hand verifier refuses them.
. "$(dirname "$0")/lib.sh"

make_key

# zrefused ARCHIVE TEXT: custody verify exits 1 saying TEXT, the by-hand verifier agrees.
zrefused() {
	test_must_fail --status=1 custody verify --key key.pub "$1" >out &&
	test_grep "$2" out &&
	byhand_agrees 1 archive "$1" key.pub
}

test_expect_success 'setup: an archive of several MiB, in many blocks of the stream, verifies' '
	mkdir -p src && seq 1 400000 >src/numbers && head -c 3000000 /dev/urandom >src/random &&
	echo small >src/small &&
	custody collect --key key --case-id Z1 --compress none -o good.tar "$TEST_TMP/src" 2>/dev/null &&
	zstd -q -3 -c good.tar >one.tar.zst &&
	custody verify --key key.pub one.tar.zst >out && test_grep "verified: one.tar.zst" out &&
	byhand_agrees 0 archive one.tar.zst key.pub
'

test_expect_success 'frames one after the other, skippable frames between and after: verified' '
	n=$(stat -c %s good.tar) &&
	skip="\120\052\115\030\004\000\000\000abcd" &&
	{ head -c 1000000 good.tar | zstd -q -c && printf "$skip" &&
	  tail -c $((n - 1000000)) good.tar | zstd -q -c && printf "$skip"; } >frames.tar.zst &&
	zstd -dc frames.tar.zst | cmp - good.tar &&
	custody verify --key key.pub frames.tar.zst >out && test_grep "verified: frames.tar.zst" out &&
	byhand_agrees 0 archive frames.tar.zst key.pub
'

test_expect_success 'the frames verify accepted: GNU tar and bsdtar extract exactly the collected files' '
	mkdir x-gnu x-bsd &&
	tar -C x-gnu -xf frames.tar.zst &&
	bsdtar -C x-bsd -xf frames.tar.zst &&
	diff -r x-gnu x-bsd &&
	cmp "x-gnu/files$TEST_TMP/src/numbers" src/numbers &&
	cmp "x-gnu/files$TEST_TMP/src/random" src/random &&
	cmp "x-gnu/files$TEST_TMP/src/small" src/small &&
	(cd x-gnu && sha256sum -c --quiet custody/SHA256SUMS)
'

test_expect_success 'the same stream from standard input, a file or a pipe: verified, its digest that of the file' '
	sum=$(sha256sum <one.tar.zst | cut -c1-64) &&
	custody verify --key key.pub - <one.tar.zst >out && test_grep "verified: -" out &&
	test_grep "$sum" out &&
	cat one.tar.zst | custody verify --key key.pub - >out && test_grep "verified: -" out &&
	test_grep "$sum" out
'

test_expect_success 'a million empty frames after the archive, which give the decompressor nothing to hand on: verify ends, its digest that of the file, and GNU tar agrees' '
	: | zstd -q -c >nothing.zst &&
	python3 -c "import sys; a = open(\"one.tar.zst\", \"rb\").read(); e = open(\"nothing.zst\", \"rb\").read(); sys.stdout.buffer.write(a + e * 1000000)" >empties.tar.zst &&
	sum=$(sha256sum <empties.tar.zst | cut -c1-64) &&
	timeout 300 "$CUSTODY" verify --key key.pub empties.tar.zst >out &&
	test_grep "verified: empties.tar.zst" out && test_grep "$sum" out &&
	timeout 300 "$CUSTODY" verify --key key.pub - <empties.tar.zst >out &&
	test_grep "$sum" out &&
	mkdir x-empties && tar -C x-empties -xf empties.tar.zst &&
	cmp "x-empties/files$TEST_TMP/src/random" src/random
'

test_expect_success 'a frame cut short, at its end or in its middle: refused as truncated' '
	n=$(stat -c %s one.tar.zst) &&
	head -c $((n - 3)) one.tar.zst >cut-end.tar.zst &&
	zrefused cut-end.tar.zst "damaged or truncated: cut-end.tar.zst: truncated zstd input" &&
	head -c $((n / 2)) one.tar.zst >cut-half.tar.zst &&
	zrefused cut-half.tar.zst "truncated zstd input"
'

test_expect_success 'what verify refuses as cut or followed by bytes, GNU tar and bsdtar refuse too' '
	n=$(stat -c %s one.tar.zst) &&
	head -c $((n - 3)) one.tar.zst >tools-cut.tar.zst &&
	{ cat one.tar.zst && head -c 64 /dev/zero; } >tools-zeros.tar.zst &&
	for a in tools-cut tools-zeros; do
		mkdir "$a.gnu" "$a.bsd" &&
		! tar -C "$a.gnu" -xf "$a.tar.zst" 2>/dev/null &&
		! bsdtar -C "$a.bsd" -xf "$a.tar.zst" 2>/dev/null || return 1
	done
'

test_expect_success 'bytes after the last frame (zeros, text, a partial magic): refused' '
	{ cat one.tar.zst && head -c 64 /dev/zero; } >zeros.tar.zst &&
	zrefused zeros.tar.zst "zstd decompression failed: Unknown frame descriptor" &&
	{ cat one.tar.zst && printf "hello"; } >text.tar.zst &&
	zrefused text.tar.zst "zstd decompression failed" &&
	{ cat one.tar.zst && printf "\050\265"; } >partial.tar.zst &&
	zrefused partial.tar.zst "truncated zstd input"
'

test_expect_success 'a damaged block: refused as damaged, the reason said' '
	zstd -q -3 --check -c good.tar >ck.tar.zst && n=$(stat -c %s ck.tar.zst) &&
	printf "\377\377\377\377" | dd of=ck.tar.zst bs=1 seek=$((n / 2)) conv=notrunc 2>/dev/null &&
	test_must_fail zstd -tq ck.tar.zst &&
	zrefused ck.tar.zst "damaged or truncated: ck.tar.zst: zstd decompression failed"
'

test_expect_success 'a zstd stream holding gzip, xz or zstd again: refused, the layers named' '
	gzip -nc good.tar | zstd -q -c >gz.tar.gz.zst &&
	zrefused gz.tar.gz.zst "compressed 2 times (gzip over zstd): custody writes one layer" &&
	xz -c good.tar | zstd -q -c >xz.tar.xz.zst &&
	zrefused xz.tar.xz.zst "compressed 2 times (xz over zstd)" &&
	zstd -q -c one.tar.zst >twice.tar.zst.zst &&
	zrefused twice.tar.zst.zst "compressed 2 times (zstd over zstd)" &&
	gzip -nc one.tar.zst | zstd -q -c >three.tar.zst.gz.zst &&
	zrefused three.tar.zst.gz.zst "compressed 3 times"
'

test_expect_success 'a zstd stream of nothing, or of what is no tar: refused, bounded' '
	: | zstd -q -c >empty.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub empty.tar.zst >out &&
	test_grep "damaged or truncated" out &&
	head -c 100000 /dev/urandom | zstd -q -c >noise.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub noise.tar.zst >out &&
	test_grep "damaged or truncated" out &&
	byhand_agrees 1 archive noise.tar.zst key.pub
'

test_done
