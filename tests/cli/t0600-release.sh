#!/bin/sh
# Signed releases: custody key sign / export, verify --signature, and make
# release; each signature checked by custody, openssl and minisign, and
# each forgery refused by all three.
. "$(dirname "$0")/lib.sh"

RELEASE_SH=$SRCDIR/release/make-release.sh
BUILDDIR=$(dirname "$CUSTODY")
have_minisign=no
command -v minisign >/dev/null 2>&1 && have_minisign=yes

# minisign's verdict on FILE with SIG and the minisign public key PUB.
minisign_check() {
	minisign -q -Vm "$1" -x "$2" -p "$3"
}

# openssl's verdict on FILE with the raw signature SIG and a PEM key PUB.
openssl_check() {
	openssl pkeyutl -verify -pubin -inkey "$3" -rawin -in "$1" -sigfile "$2"
}

test_expect_success 'setup: a release key, another key, sums to sign' '
	custody key generate --name "custody release" --role release -o rel.key >/dev/null &&
	custody key generate --name "Mallory" --role release -o other.key >/dev/null &&
	printf "%s  custody-0.1.0-x86_64\n" $(printf a | sha256sum | cut -c1-64) >SHA256SUMS &&
	cp SHA256SUMS sums.orig
'

test_expect_success 'key sign writes a raw signature and a minisign signature' '
	custody key sign SHA256SUMS --key rel.key >out &&
	test_grep "wrote SHA256SUMS.sig and SHA256SUMS.minisig" out &&
	test "$(wc -c <SHA256SUMS.sig)" -eq 64 &&
	test "$(sed -n 1p SHA256SUMS.minisig | cut -c1-19)" = "untrusted comment: " &&
	sed -n 3p SHA256SUMS.minisig | tr "\t" " " |
	    grep -q "^trusted comment: timestamp:[0-9]* file:SHA256SUMS hashed\$" &&
	test "$(sed -n 2p SHA256SUMS.minisig | base64 -d | head -c 2)" = ED
'

test_expect_success 'key sign never replaces a signature' '
	cp SHA256SUMS.sig sig.before &&
	test_must_fail --status=2 custody key sign SHA256SUMS --key rel.key 2>err &&
	test_grep "exists" err &&
	cmp SHA256SUMS.sig sig.before
'

test_expect_success 'key sign with SOURCE_DATE_EPOCH signs reproducibly' '
	mkdir repro && cp SHA256SUMS repro/a && cp SHA256SUMS repro/b &&
	SOURCE_DATE_EPOCH=1700000000 custody key sign repro/a --key rel.key >/dev/null &&
	SOURCE_DATE_EPOCH=1700000000 custody key sign repro/b --key rel.key >/dev/null &&
	cmp repro/a.sig repro/b.sig &&
	sed 3s/file:b/file:a/ repro/b.minisig | sed 4d >b.cut && sed 4d repro/a.minisig >a.cut &&
	cmp a.cut b.cut &&
	test_grep "timestamp:1700000000" repro/a.minisig &&
	test_must_fail --status=2 env SOURCE_DATE_EPOCH=soon "$CUSTODY" key sign repro/a --key rel.key 2>err &&
	test_grep "SOURCE_DATE_EPOCH" err
'

test_expect_success 'key export writes the public key as bare PEM and in minisign format' '
	custody key export rel.key.pub --format pem -o rel.pem &&
	custody key export rel.key.pub --format minisign -o rel.minisign.pub &&
	custody key export other.key.pub --format minisign -o other.minisign.pub &&
	test "$(sed -n 1p rel.pem)" = "-----BEGIN PUBLIC KEY-----" &&
	openssl pkey -pubin -in rel.pem -noout &&
	test "$(sed -n 2p rel.minisign.pub | base64 -d | head -c 2)" = Ed &&
	test "$(sed -n 2p rel.minisign.pub | base64 -d | wc -c)" -eq 42 &&
	test_must_fail --status=2 custody key export rel.key.pub --format ssh 2>err &&
	test_grep "pem or minisign" err &&
	test_must_fail --status=2 custody key export rel.key --format pem 2>err &&
	test_grep "private key" err
'

test_expect_success 'the minisign key id is the start of the fingerprint, as minisign prints it' '
	fp=$(custody key show rel.key.pub | sed -n "s/^fingerprint: *//p") &&
	id=$(printf %s "$fp" | cut -c1-16 | sed "s/../& /g" |
	    awk "{ for (i = NF; i >= 1; i--) printf \"%s\", toupper(\$i) }") &&
	test_grep "minisign public key $id" rel.minisign.pub
'

test_expect_success 'custody verifies both signatures, with any of the three key files' '
	custody verify --signature SHA256SUMS.sig --key rel.key.pub SHA256SUMS >out &&
	test_grep "verified: SHA256SUMS is signed by key" out &&
	test_grep "raw Ed25519 signature" out &&
	custody verify --signature SHA256SUMS.sig --key rel.pem SHA256SUMS >/dev/null &&
	custody verify --signature SHA256SUMS.sig --key rel.minisign.pub SHA256SUMS >/dev/null &&
	custody verify --signature SHA256SUMS.minisig --key rel.key.pub SHA256SUMS >out &&
	test_grep "trusted comment: timestamp:" out &&
	custody verify --signature SHA256SUMS.minisig --key rel.minisign.pub SHA256SUMS >/dev/null &&
	custody verify --quiet --signature SHA256SUMS.minisig --key rel.pem SHA256SUMS >out &&
	test ! -s out
'

test_expect_success 'openssl verifies the raw signature with the .pub custody wrote' '
	openssl_check SHA256SUMS SHA256SUMS.sig rel.key.pub &&
	openssl_check SHA256SUMS SHA256SUMS.sig rel.pem
'

if [ "$have_minisign" = yes ]; then
	test_expect_success 'minisign verifies the .minisig with the exported key' '
		minisign -Vm SHA256SUMS -p rel.minisign.pub >out &&
		test_grep "Trusted comment: timestamp:" out
	'
	test_expect_success 'custody verifies what minisign itself signed' '
		printf "\n\n" | minisign -G -W -p ms.pub -s ms.key >/dev/null 2>&1 &&
		minisign -S -W -s ms.key -m SHA256SUMS -x ms.minisig >/dev/null &&
		custody verify --signature ms.minisig --key ms.pub SHA256SUMS >out &&
		test_grep "verified" out &&
		test_must_fail --status=1 custody verify --signature ms.minisig \
		    --key rel.minisign.pub SHA256SUMS >out &&
		test_grep "not by the key given" out
	'
else
	test_skip 'minisign verifies the .minisig with the exported key' \
	    'minisign is not installed (tests/install-deps.sh installs it)'
	test_skip 'custody verifies what minisign itself signed' 'minisign is not installed'
fi

test_expect_success 'hostile: one byte of SHA256SUMS changed is refused by all three' '
	sed "1s/^./X/" sums.orig >SHA256SUMS && ! cmp -s SHA256SUMS sums.orig &&
	test_must_fail --status=1 custody verify --signature SHA256SUMS.sig --key rel.key.pub SHA256SUMS >out &&
	test_grep "FAILED SHA256SUMS: SHA256SUMS.sig: the signature does not verify" out &&
	test_must_fail --status=1 custody verify --signature SHA256SUMS.minisig --key rel.key.pub SHA256SUMS >out &&
	test_grep "FAILED SHA256SUMS: SHA256SUMS.minisig: the signature does not verify" out &&
	test_must_fail openssl_check SHA256SUMS SHA256SUMS.sig rel.pem &&
	if [ "$have_minisign" = yes ]; then
		test_must_fail minisign_check SHA256SUMS SHA256SUMS.minisig rel.minisign.pub
	fi &&
	cp sums.orig SHA256SUMS
'

test_expect_success 'hostile: a signature by another key is refused by all three' '
	mkdir forged && cp sums.orig forged/SHA256SUMS &&
	custody key sign forged/SHA256SUMS --key other.key >/dev/null &&
	test_must_fail --status=1 custody verify --signature forged/SHA256SUMS.sig --key rel.key.pub SHA256SUMS >out &&
	test_grep "the signature does not verify" out &&
	test_must_fail --status=1 custody verify --signature forged/SHA256SUMS.minisig --key rel.key.pub SHA256SUMS >out &&
	test_grep "not by the key given" out &&
	test_must_fail openssl_check SHA256SUMS forged/SHA256SUMS.sig rel.pem &&
	if [ "$have_minisign" = yes ]; then
		test_must_fail minisign_check SHA256SUMS forged/SHA256SUMS.minisig rel.minisign.pub
	fi
'

test_expect_success 'hostile: another key that claims the release key id is refused by all three' '
	spliced=$( { sed -n 2p SHA256SUMS.minisig | base64 -d | head -c 10;
	    sed -n 2p forged/SHA256SUMS.minisig | base64 -d | tail -c 64; } | base64 -w0) &&
	{ sed -n 1p forged/SHA256SUMS.minisig; echo "$spliced"; sed -n 3,4p forged/SHA256SUMS.minisig; } >spliced.minisig &&
	test_must_fail --status=1 custody verify --signature spliced.minisig --key rel.key.pub SHA256SUMS >out &&
	test_grep "the signature does not verify" out &&
	if [ "$have_minisign" = yes ]; then
		test_must_fail minisign_check SHA256SUMS spliced.minisig rel.minisign.pub
	fi
'

test_expect_success 'hostile: a truncated .minisig is refused' '
	for n in 1 2 3; do
		head -n $n SHA256SUMS.minisig >cut.minisig &&
		test_must_fail --status=1 custody verify --signature cut.minisig --key rel.key.pub SHA256SUMS >out &&
		test_grep "not a minisign signature" out &&
		if [ "$have_minisign" = yes ]; then
			test_must_fail minisign_check SHA256SUMS cut.minisig rel.minisign.pub 2>/dev/null
		fi || return 1
	done &&
	head -c 150 SHA256SUMS.minisig >cut.minisig &&
	test_must_fail --status=1 custody verify --signature cut.minisig --key rel.key.pub SHA256SUMS >out &&
	test_grep "not a minisign signature" out
'

test_expect_success 'hostile: a garbled .minisig is refused' '
	sed "2s/^.\{20\}/AAAAAAAAAAAAAAAAAAAA/" SHA256SUMS.minisig >bad.minisig &&
	test_must_fail --status=1 custody verify --signature bad.minisig --key rel.key.pub SHA256SUMS >out &&
	test_grep "FAILED SHA256SUMS: bad.minisig" out &&
	sed "2s/\$/!!!!/" SHA256SUMS.minisig >bad2.minisig &&
	test_must_fail --status=1 custody verify --signature bad2.minisig --key rel.key.pub SHA256SUMS >out &&
	test_grep "not base64" out &&
	sed "2s/^RU/RX/" SHA256SUMS.minisig >bad3.minisig &&
	test_must_fail --status=1 custody verify --signature bad3.minisig --key rel.key.pub SHA256SUMS >out &&
	test_grep "not a minisign signature" out &&
	printf "garbage" >bad4.sig &&
	test_must_fail --status=1 custody verify --signature bad4.sig --key rel.key.pub SHA256SUMS >out &&
	test_grep "neither a raw Ed25519 signature (64 bytes) nor a minisign signature" out &&
	if [ "$have_minisign" = yes ]; then
		for f in bad bad2 bad3; do
			test_must_fail minisign_check SHA256SUMS $f.minisig rel.minisign.pub 2>/dev/null || return 1
		done
	fi
'

test_expect_success 'hostile: a trusted comment edited is refused by custody and minisign' '
	sed "3s/timestamp:[0-9]*/timestamp:4102444800/" SHA256SUMS.minisig >edited.minisig &&
	! cmp -s edited.minisig SHA256SUMS.minisig &&
	test_must_fail --status=1 custody verify --signature edited.minisig --key rel.key.pub SHA256SUMS >out &&
	test_grep "the trusted comment is not the one signed" out &&
	if [ "$have_minisign" = yes ]; then
		test_must_fail minisign_check SHA256SUMS edited.minisig rel.minisign.pub
	fi
'

test_expect_success 'hostile: a truncated raw signature is refused by custody and openssl' '
	head -c 63 SHA256SUMS.sig >short.sig &&
	test_must_fail --status=1 custody verify --signature short.sig --key rel.key.pub SHA256SUMS >out &&
	test_grep "63 bytes" out &&
	test_must_fail openssl_check SHA256SUMS short.sig rel.pem
'

test_expect_success 'verify --signature: what cannot be checked is exit 2' '
	test_must_fail --status=2 custody verify --signature SHA256SUMS.sig SHA256SUMS 2>err &&
	test_grep "takes --key" err &&
	test_must_fail --status=2 custody verify --signature SHA256SUMS.sig --key rel.key.pub \
	    --fingerprint "$(printf %064d 0)" SHA256SUMS 2>err &&
	test_grep "takes --key and nothing else" err &&
	test_must_fail --status=2 custody verify --signature nothing.sig --key rel.key.pub SHA256SUMS 2>err &&
	test_grep "nothing.sig" err &&
	test_must_fail --status=2 custody verify --signature SHA256SUMS.sig --key rel.key.pub nothing 2>err &&
	test_grep "nothing" err &&
	test_must_fail --status=2 custody verify --signature SHA256SUMS.sig --key rel.key SHA256SUMS 2>err &&
	test_grep "private key" err
'

# Stand-ins for what make static and make dist write.
test_expect_success 'setup: stand-in binaries and tarball' '
	mkdir bin &&
	printf "x86_64 binary\n" >bin/custody-0.1.0-x86_64 &&
	printf "aarch64 binary\n" >bin/custody-0.1.0-aarch64 &&
	printf "tarball\n" >custody-0.1.0.tar.gz
'

release() {
	sh "$RELEASE_SH" --custody "$CUSTODY" --version 0.1.0 --bindir bin \
	    --tarball custody-0.1.0.tar.gz "$@"
}

test_expect_success 'the release script makes a release that checks three ways' '
	release --key rel.key --out rel >out &&
	test_grep "release 0.1.0 in rel" out &&
	(cd rel && ls -1 >../listing) &&
	printf "%s\n" SHA256SUMS SHA256SUMS.minisig SHA256SUMS.sig custody-0.1.0-aarch64 \
	    custody-0.1.0-x86_64 custody-0.1.0.tar.gz custody-release.pem custody-release.pub >want &&
	cmp listing want &&
	(cd rel && sha256sum -c SHA256SUMS) >out &&
	test "$(grep -c ": OK\$" out)" -eq 3 &&
	custody verify --signature rel/SHA256SUMS.minisig --key rel/custody-release.pub rel/SHA256SUMS >/dev/null &&
	custody verify --signature rel/SHA256SUMS.sig --key rel/custody-release.pem rel/SHA256SUMS >/dev/null &&
	openssl_check rel/SHA256SUMS rel/SHA256SUMS.sig rel/custody-release.pem &&
	if [ "$have_minisign" = yes ]; then
		(cd rel && minisign -Vm SHA256SUMS -p custody-release.pub >/dev/null)
	fi &&
	cmp rel/custody-release.pub rel.minisign.pub
'

test_expect_success 'the release script signs with an encrypted key and its passphrase file' '
	echo "release secret" >pass &&
	custody key generate --name "custody release" --role release --passphrase-file pass \
	    -o enc.key >/dev/null &&
	release --key enc.key --passphrase-file pass --out rel-enc >/dev/null &&
	custody verify --signature rel-enc/SHA256SUMS.sig --key enc.key.pub rel-enc/SHA256SUMS >/dev/null
'

# Nothing but the finished release may appear: no directory, no leftovers.
no_release() {
	test ! -e "$1" && ! ls -d "$1".tmp.* 2>/dev/null
}

test_expect_success 'hostile release: no key, a missing key, a missing binary, an existing release' '
	test_must_fail --status=2 release --key "" --out r1 2>err &&
	test_grep "RELEASE_KEY is not set" err && no_release r1 &&
	test_must_fail --status=2 release --key nokey --out r1 2>err &&
	test_grep "RELEASE_KEY nokey: no such readable file" err && no_release r1 &&
	mv bin/custody-0.1.0-aarch64 aarch64.aside &&
	test_must_fail --status=2 release --key rel.key --out r1 2>err &&
	test_grep "bin/custody-0.1.0-aarch64 is missing: build it with make static" err &&
	no_release r1 &&
	mv aarch64.aside bin/custody-0.1.0-aarch64 &&
	test_must_fail --status=2 release --key rel.key --out rel 2>err &&
	test_grep "rel exists" err &&
	cmp rel/custody-release.pub rel.minisign.pub
'

test_expect_success 'hostile release: a key that cannot sign leaves nothing behind' '
	echo "wrong" >wrong &&
	test_must_fail --status=2 release --key enc.key --passphrase-file wrong --out r2 2>err &&
	test_grep "nothing was published" err && no_release r2 &&
	cp rel.key.pub notakey.pub && echo "not a key" >notakey && chmod 600 notakey &&
	test_must_fail --status=2 release --key notakey --out r2 2>err &&
	test_grep "nothing was published" err && no_release r2
'

if [ -f "$BUILDDIR/Makefile" ]; then
	test_expect_success 'make release without RELEASE_KEY or a binary fails before make dist' '
		unset MAKEFLAGS MFLAGS MAKELEVEL &&
		test_must_fail make -s -C "$BUILDDIR" release RELEASE_DIR="$TEST_TMP/r3" >out 2>&1 &&
		test_grep "RELEASE_KEY is not set" out && no_release r3 &&
		test_must_fail make -s -C "$BUILDDIR" release RELEASE_KEY="$TEST_TMP/rel.key" \
		    RELEASE_BINDIR="$TEST_TMP/nothing" RELEASE_DIR="$TEST_TMP/r3" >out 2>&1 &&
		test_grep "custody-0.1.0-x86_64 is missing" out && no_release r3 &&
		! grep -q "dist-gzip" out
	'
else
	test_skip 'make release without RELEASE_KEY or a binary fails before make dist' \
	    'no build directory beside the binary'
fi

test_done
