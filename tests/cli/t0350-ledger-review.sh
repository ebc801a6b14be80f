#!/bin/sh
# The ledger as an attacker with write access to ledger.db leaves it:
# verify --case trusting artifact and handler rows no signed event binds,
# a NULL where custody writes text, schema objects custody never creates,
# unsigned text shown beside signed events, and writers acting on planted
# rows. Each expects a controlled exit code and the thing named.
. "$(dirname "$0")/lib.sh"

custody key generate --name A --role examiner -o "$TEST_TMP/k" >/dev/null
custody key generate --name Bob --role lawyer --org "Smith LLP" -o "$TEST_TMP/bob" >/dev/null
custody key generate --name A --role examiner -o "$TEST_TMP/mk" >/dev/null
MFP=$(sed -n 's/^Fingerprint: //p' "$TEST_TMP/mk")
BFP=$(sed -n 's/^Fingerprint: //p' "$TEST_TMP/bob")

# The raw 32 bytes of public key $1, in hex.
raw_key() {
	openssl pkey -pubin -in "$1" -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n'
}

# A copy $2 of case $1.
copy_case() {
	cp -a "$1" "$2"
}

# The ledger of case $1 does not verify, and names $2.
ledger_fails() {
	test_must_fail --status=1 custody ledger verify --case "$1" >vout &&
	test_grep "$2" vout
}

test_expect_success 'setup: a case with a collection and a hand-over' '
	custody init case --case-id C --title "Web shop leak" --key k >/dev/null &&
	custody key register bob.pub --case case --key k >/dev/null &&
	mkdir src && echo hello >src/a.txt &&
	custody collect --key k --case case --location "Server room" -o case/ src \
	    >/dev/null 2>&1 &&
	custody ledger release --case case --key k --artifact E001 --to Bob >/dev/null &&
	custody ledger receive --case case --key bob --artifact E001 >/dev/null &&
	custody ledger verify --case case >out &&
	test_grep "verified: case C, 5 events" out &&
	mkdir msrc && echo fabricated >msrc/planted.txt &&
	custody collect --key mk --case-id C --evidence-id E009 -o forged.tar.zst msrc \
	    >/dev/null 2>&1
'

test_expect_success 'F2: verify --case with the artifact row repointed at another archive' '
	copy_case case v1 &&
	cp forged.tar.zst v1/other.tar.zst &&
	sha=$(sha256sum v1/other.tar.zst | cut -c1-64) &&
	sqlite3 v1/ledger.db "DROP TRIGGER artifacts_no_update;
	    UPDATE artifacts SET archive_sha256='\''$sha'\''" &&
	test_must_fail --status=1 custody verify --case v1 v1/other.tar.zst >out &&
	head -n 1 out | grep -q "^\*\*\* NOT VERIFIED: the ledger of case C does not verify" &&
	grep -q "^FAILED ledger event #3: .*\"archive_sha256\"" out &&
	grep -q "^NOT VERIFIED: v1/other.tar.zst" out &&
	! grep -q "^verified" out &&
	! grep -q "registered collector" out &&
	byhand_agrees 1 ledger v1
'

test_expect_success 'F2: verify --case with a planted handler and artifact for a stranger key' '
	copy_case case v2 &&
	cp forged.tar.zst v2/ &&
	sha=$(sha256sum v2/forged.tar.zst | cut -c1-64) &&
	size=$(wc -c <v2/forged.tar.zst) &&
	sqlite3 v2/ledger.db "PRAGMA foreign_keys=0;
	    INSERT INTO handlers VALUES('\''$MFP'\'','\''A'\'','\''examiner'\'',NULL,
	        x'\''$(raw_key mk.pub)'\'','\''2026-12-01T11:00:00.000000000Z'\'');
	    INSERT INTO artifacts VALUES('\''E009'\'','\''forged.tar.zst'\'','\'''\'',
	        '\''$sha'\'',$size,'\''x'\'','\''vm'\'','\''2026-12-01T11:00:00.000000000Z'\'','\''$MFP'\'')" &&
	test_must_fail --status=1 custody verify --case v2 v2/forged.tar.zst >out &&
	head -n 1 out | grep -q "^\*\*\* NOT VERIFIED: the ledger" &&
	grep -q "^FAILED ledger: handler A (.*) has no registration event" out &&
	test_grep "artifact E009 has no collection event" out &&
	! grep -q "^verified" out &&
	test_must_fail --status=1 custody verify --case v2 --json v2/forged.tar.zst >out &&
	test_grep "does not verify" out &&
	byhand_agrees 1 ledger v2
'

test_expect_success 'F2: verify --case on an honest ledger still verifies' '
	custody verify --case case "$(archive_in case)" >out &&
	grep -q "^verified: " out &&
	test_grep "sealed by its registered collector" out
'

test_done
