#!/bin/sh
# custody key: generation, identity, fingerprints, passphrases, refusals.
. "$(dirname "$0")/lib.sh"

test_expect_success 'key generate writes a 0600 private key and a public key' '
	custody key generate --name "Ada Examiner" --role examiner --org "ACME IR" \
	    -o k1 >out &&
	test "$(stat -c %a k1)" = 600 &&
	test -f k1.pub &&
	test_grep "fingerprint:" out &&
	test_grep "Name: Ada Examiner" k1 &&
	test_grep "Organization: ACME IR" k1.pub &&
	test_grep "BEGIN PRIVATE KEY" k1 &&
	test_grep "BEGIN PUBLIC KEY" k1.pub
'

test_expect_success 'the fingerprint is the SHA-256 of the raw public key' '
	want=$(openssl pkey -pubin -in k1.pub -outform DER | tail -c 32 | sha256sum | cut -d" " -f1) &&
	test_grep "$want" out &&
	test_grep "Fingerprint: $want" k1.pub
'

test_expect_success 'openssl reads both key files (PKCS#8, Ed25519)' '
	openssl pkey -in k1 -noout -text >text &&
	test_grep "ED25519" text &&
	openssl pkey -pubin -in k1.pub -noout
'

test_expect_success 'key show prints the identity of a public key' '
	custody key show k1.pub >show &&
	test_grep "name:         Ada Examiner" show &&
	test_grep "role:         examiner" show
'

test_expect_success 'an existing key is never overwritten' '
	cp k1 k1.before &&
	test_must_fail --status=2 custody key generate --name X --role Y -o k1 2>err &&
	test_grep "exists" err &&
	cmp k1 k1.before
'

test_expect_success 'an existing public key stops generation before anything is written' '
	touch k2.pub &&
	test_must_fail --status=2 custody key generate --name X --role Y -o k2 2>err &&
	! test -e k2
'

test_expect_success 'missing --name or --role is a usage error' '
	test_must_fail --status=2 custody key generate --role Y -o k3 2>err &&
	test_grep "usage:" err &&
	test_must_fail --status=2 custody key generate --name X -o k3 &&
	! test -e k3
'

test_expect_success 'a name with a newline is refused' '
	test_must_fail --status=2 custody key generate --name "$(printf "a\nb")" \
	    --role Y -o k4 2>err &&
	test_grep "one line" err &&
	! test -e k4
'

test_expect_success 'a passphrase file encrypts the private key' '
	printf "correct horse\n" >pass &&
	custody key generate --name E --role examiner --passphrase-file pass -o k5 >out &&
	test_grep "ENCRYPTED PRIVATE KEY" k5 &&
	test_grep "encrypted" out &&
	openssl pkey -in k5 -passin pass:"correct horse" -noout &&
	test_must_fail openssl pkey -in k5 -passin pass:wrong -noout 2>/dev/null
'

test_expect_success 'CUSTODY_PASSPHRASE encrypts too, and nothing secret is printed' '
	CUSTODY_PASSPHRASE=s3cret-phrase custody key generate --name E --role r -o k6 >out 2>&1 &&
	test_grep "ENCRYPTED PRIVATE KEY" k6 &&
	! grep -q s3cret-phrase out k6 k6.pub
'

test_expect_success 'an empty passphrase file is refused' '
	: >empty &&
	test_must_fail --status=2 custody key generate --name E --role r \
	    --passphrase-file empty -o k7 2>err &&
	test_grep "empty passphrase" err &&
	! test -e k7
'

test_expect_success 'key show refuses a file that is not a key' '
	echo "not a key" >junk &&
	test_must_fail --status=2 custody key show junk 2>err &&
	test_grep "not a PEM public key" err
'

test_expect_success 'a private key where a public key belongs, and the reverse: named as such' '
	mkdir -p src && echo x >src/x &&
	custody collect --key k1 --case-id K -o a.tar.zst src 2>/dev/null &&
	test_must_fail --status=2 custody verify --key k1 a.tar.zst 2>err &&
	test_grep "k1: is a private key, where a public key is needed" err &&
	test_must_fail --status=2 custody key show k5 2>err &&
	test_grep "k5: is a private key" err &&
	test_must_fail --status=2 custody collect --key k1.pub -o b.tar.zst src 2>err &&
	test_grep "k1.pub: is a public key, where the private key that signs is needed" err &&
	! test -e b.tar.zst
'

test_expect_success 'OpenSSL never asks for a passphrase on the terminal' '
	script -qec "timeout 20 $CUSTODY verify --key k5 a.tar.zst" /dev/null </dev/null >tty.out 2>&1;
	test $? = 2 && test_grep "is a private key" tty.out &&
	script -qec "timeout 20 $CUSTODY collect --key k5 -o c.tar.zst src" /dev/null </dev/null >tty.out 2>&1;
	test $? = 2 && test_grep "key is encrypted: give --passphrase-file" tty.out &&
	! grep -qi "pass phrase" tty.out && ! test -e c.tar.zst
'

test_expect_success 'unknown subcommands and options are usage errors' '
	test_must_fail --status=2 custody key frobnicate &&
	test_must_fail --status=2 custody key generate --bogus &&
	test_must_fail --status=2 custody frobnicate 2>err &&
	test_grep "unknown command" err
'

test_done
