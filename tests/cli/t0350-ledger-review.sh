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
	jq -e "[.problems[] | select(.member == \"ledger.db\") | .problem] |
	    any(test(\"^handler A .* has no registration event\")) and
	    any(test(\"^artifact E009 has no collection event\")) and
	    any(test(\"does not verify\"))" out &&
	byhand_agrees 1 ledger v2
'

test_expect_success 'F2: verify --case on an honest ledger still verifies' '
	custody verify --case case "$(archive_in case)" >out &&
	grep -q "^verified: " out &&
	test_grep "sealed by its registered collector" out
'

# Relax the NOT NULL of column $2 in table $3 of case $1 (as writable_schema allows).
drop_not_null() {
	sqlite3 "$1/ledger.db" "PRAGMA writable_schema=1;
	    UPDATE sqlite_schema SET sql=replace(sql,'$2 NOT NULL','$2')
	    WHERE name='$3'"
}

test_expect_success 'F12: a NULL case id: every command says the ledger is damaged, none crashes' '
	copy_case case n1 &&
	sqlite3 n1/ledger.db "DROP TRIGGER case_info_no_update" &&
	drop_not_null n1 "case_id TEXT" case_info &&
	sqlite3 n1/ledger.db "UPDATE case_info SET case_id=NULL" &&
	ledger_fails n1 "n1/ledger.db: case_info.case_id is NULL, where custody writes a text" &&
	byhand_agrees 1 ledger n1 &&
	test_must_fail --status=1 custody ledger log --case n1 >out &&
	head -n 1 out | grep -q "^\*\*\* NOT VERIFIED" &&
	test_must_fail --status=1 custody audit --case n1 >out &&
	test_must_fail --status=1 custody ledger export --case n1 --format json >out &&
	test_must_fail --status=1 custody verify --case n1 "$(archive_in n1)" >out &&
	head -n 1 out | grep -q "^\*\*\* NOT VERIFIED: the ledger" &&
	test_must_fail --status=2 custody ledger record --case n1 --key k \
	    --artifact E001 --action analysed 2>err &&
	test_grep "case_info.case_id is NULL, not what custody writes: the ledger is damaged" err
'

test_expect_success 'F12: a schema version and a title stored as BLOBs' '
	copy_case case n2 &&
	sqlite3 n2/ledger.db "DROP TRIGGER case_info_no_update;
	    UPDATE case_info SET schema_version=CAST('\''1'\'' AS BLOB), title=CAST(title AS BLOB)" &&
	ledger_fails n2 "case_info.schema_version is a BLOB, where custody writes an integer" &&
	test_grep "case_info.title is a BLOB, where custody writes a text" vout &&
	byhand_agrees 1 ledger n2 &&
	test_must_fail --status=2 custody ledger record --case n2 --key k \
	    --artifact E001 --action analysed 2>err &&
	test_grep "the ledger is damaged" err
'

test_expect_success 'F12: a NULL canonical event: verify names it, readers exit 1, writers refuse' '
	copy_case case n3 &&
	sqlite3 n3/ledger.db "DROP TRIGGER events_no_update" &&
	drop_not_null n3 "canonical BLOB" events &&
	sqlite3 n3/ledger.db "UPDATE events SET canonical=NULL WHERE seq=3" &&
	ledger_fails n3 "FAILED event #3: column \"canonical\" is not the BLOB custody writes" &&
	byhand_agrees 1 ledger n3 &&
	test_must_fail --status=1 custody ledger log --case n3 >out &&
	test_must_fail --status=1 custody ledger log --case n3 --artifact E001 >out &&
	test_must_fail --status=1 custody audit --case n3 >out
'

# Change the schema of case $1 with the SQL $2 (writable_schema on).
schema_edit() {
	sqlite3 "$1/ledger.db" "PRAGMA writable_schema=1; $2"
}

test_expect_success 'F18: a dropped append-only trigger is named' '
	copy_case case s1 &&
	sqlite3 s1/ledger.db "DROP TRIGGER events_no_delete" &&
	ledger_fails s1 "the schema is not the one custody creates: missing trigger \"events_no_delete\" (on table \"events\")" &&
	byhand_agrees 1 ledger s1
'

test_expect_success 'F18: an extra table, view, index and trigger are each named' '
	copy_case case s2 &&
	sqlite3 s2/ledger.db "CREATE TABLE notes(a); CREATE VIEW v AS SELECT 1;
	    CREATE INDEX handlers_name ON handlers(name);
	    CREATE TRIGGER spy AFTER INSERT ON events BEGIN SELECT 1; END" &&
	ledger_fails s2 "extra table \"notes\"" &&
	test_grep "extra view \"v\"" vout &&
	test_grep "extra index \"handlers_name\" (on table \"handlers\")" vout &&
	test_grep "extra trigger \"spy\" (on table \"events\")" vout &&
	test_grep "NOT VERIFIED: case C: 4 problems" vout &&
	byhand_agrees 1 ledger s2
'

test_expect_success 'F18: a trigger that fires on the next honest write is named before it runs' '
	copy_case case s3 &&
	sqlite3 s3/ledger.db "CREATE TABLE loot(x);
	    CREATE TRIGGER steal AFTER INSERT ON events BEGIN
	    INSERT INTO loot VALUES (new.note); END" &&
	ledger_fails s3 "extra trigger \"steal\" (on table \"events\")" &&
	byhand_agrees 1 ledger s3
'

test_expect_success 'F18: a NOCASE collation injected into a table is named' '
	copy_case case s4 &&
	schema_edit s4 "UPDATE sqlite_schema SET sql=replace(sql,
	    '\''name TEXT NOT NULL'\'','\''name TEXT NOT NULL COLLATE NOCASE'\'')
	    WHERE name='\''handlers'\''" &&
	ledger_fails s4 "altered table \"handlers\"" &&
	byhand_agrees 1 ledger s4
'

test_expect_success 'F18: schema_version declared as TEXT is named' '
	copy_case case s5 &&
	schema_edit s5 "UPDATE sqlite_schema SET sql=replace(sql,
	    '\''schema_version INTEGER NOT NULL'\'','\''schema_version TEXT NOT NULL'\'')
	    WHERE name='\''case_info'\''" &&
	ledger_fails s5 "altered table \"case_info\"" &&
	byhand_agrees 1 ledger s5
'

test_expect_success 'F18: a duplicate cached tree head is named' '
	copy_case case s6 &&
	sqlite3 s6/ledger.db "CREATE TABLE t2(size INTEGER, root BLOB, frontier BLOB);
	    INSERT INTO t2 SELECT * FROM tree_heads;
	    INSERT INTO t2 SELECT * FROM tree_heads WHERE size=5;
	    DROP TABLE tree_heads; ALTER TABLE t2 RENAME TO tree_heads" &&
	ledger_fails s6 "a second cached tree head of size 5" &&
	test_grep "altered table \"tree_heads\"" vout &&
	test_grep "missing trigger \"tree_heads_no_update\" (on table \"tree_heads\")" vout &&
	byhand_agrees 1 ledger s6
'

test_expect_success 'F15: ledger log says the title is not signed, in text and in JSON' '
	custody ledger log --case case >out &&
	head -n 1 out | grep -qx "Case C: \"Web shop leak\" (not signed)" &&
	custody ledger log --case case --json >out.json &&
	jq -e ".verified == true and .unsigned.title == \"Web shop leak\" and
	    (has(\"title\") | not)" out.json
'

test_expect_success 'F15: a forged title is shown as not signed beside a verified ledger' '
	copy_case case u1 &&
	ledger_edit u1 "UPDATE case_info SET title = '\''Nothing to see'\''" &&
	custody ledger verify --case u1 >out &&
	byhand_agrees 0 ledger u1 &&
	custody ledger log --case u1 >out &&
	head -n 1 out | grep -qx "Case C: \"Nothing to see\" (not signed)"
'

test_expect_success 'F15: the JSON export keeps title and archive_path apart, under "unsigned"' '
	custody ledger export --case case --format json >out.json &&
	jq -e ".version == 2 and .verified == true and
	    .case.unsigned.title == \"Web shop leak\" and (.case | has(\"title\") | not) and
	    (.artifacts[0].unsigned.archive_path | endswith(\".tar.zst\")) and
	    (.artifacts[0] | has(\"archive_path\") | not)" out.json
'

# The number of events in case $1.
events_in() {
	sqlite3 "$1/ledger.db" "SELECT count(*) FROM events"
}

# A writer refuses case $1 with exit 2, says $2, and writes nothing.
writer_refuses() {
	before=$(events_in "$1") &&
	test_must_fail --status=2 "$@" 2>err &&
	test_grep "$2" err &&
	test "$(events_in "$1")" = "$before"
}

test_expect_success 'F13: release --to a planted handler row named as the receiver: refused' '
	copy_case case w1 &&
	custody ledger release --case w1 --key bob --artifact E001 --to A >/dev/null &&
	custody ledger receive --case w1 --key k --artifact E001 >/dev/null &&
	ledger_edit w1 "UPDATE handlers SET name = '\''Bob (old)'\'' WHERE name = '\''Bob'\'';
	    INSERT INTO handlers VALUES('\''$MFP'\'','\''Bob'\'','\''lawyer'\'','\''Smith LLP'\'',
	        x'\''$(raw_key mk.pub)'\'','\''2026-12-01T11:00:00.000000000Z'\'')" &&
	before=$(events_in w1) &&
	test_must_fail --status=2 custody ledger release --case w1 --key k \
	    --artifact E001 --to Bob 2>err &&
	test_grep "handler Bob (${MFP%${MFP#????????????????}}) is not bound to a signed registration, so nothing is written" err &&
	test "$(events_in w1)" = "$before" &&
	! sqlite3 w1/ledger.db "SELECT counterpart FROM events" | grep -q "$MFP"
'

test_expect_success 'F13: the receiver renamed in its row: refused, the real one still reachable by fingerprint' '
	copy_case case w2 &&
	custody ledger release --case w2 --key bob --artifact E001 --to A >/dev/null &&
	custody ledger receive --case w2 --key k --artifact E001 >/dev/null &&
	ledger_edit w2 "UPDATE handlers SET name = '\''Robert'\'' WHERE name = '\''Bob'\''" &&
	before=$(events_in w2) &&
	test_must_fail --status=2 custody ledger release --case w2 --key k \
	    --artifact E001 --to Robert 2>err &&
	test_grep "handler Robert" err &&
	test_grep "the row differs from its signed details" err &&
	test "$(events_in w2)" = "$before"
'

test_expect_success 'F13: a signer whose own row was edited cannot write' '
	copy_case case w3 &&
	ledger_edit w3 "UPDATE handlers SET role = '\''judge'\'' WHERE name = '\''A'\''" &&
	before=$(events_in w3) &&
	test_must_fail --status=2 custody ledger record --case w3 --key k \
	    --artifact E001 --action analysed 2>err &&
	test_grep "its signer A (" err &&
	test_grep "is not bound to a signed registration: the row differs from its signed details" err &&
	test "$(events_in w3)" = "$before"
'

test_expect_success 'F13: an artifact row that differs from its collection: nothing is written about it' '
	copy_case case w4 &&
	ledger_edit w4 "UPDATE artifacts SET host = '\''elsewhere'\''" &&
	before=$(events_in w4) &&
	test_must_fail --status=2 custody ledger record --case w4 --key bob \
	    --artifact E001 --action analysed 2>err &&
	test_grep "artifact E001 is not bound to a signed collection" err &&
	test "$(events_in w4)" = "$before"
'

test_expect_success 'F13: a last tree head or last event that does not verify: nothing is written' '
	copy_case case w5 &&
	ledger_edit w5 "UPDATE tree_heads SET frontier = zeroblob(length(frontier))
	    WHERE size = (SELECT max(size) FROM tree_heads)" &&
	before=$(events_in w5) &&
	test_must_fail --status=2 custody ledger record --case w5 --key bob \
	    --artifact E001 --action analysed 2>err &&
	test_grep "the ledger'\''s last event or tree head does not verify, so nothing is written" err &&
	test "$(events_in w5)" = "$before" &&
	copy_case case w6 &&
	ledger_edit w6 "UPDATE events SET canonical = CAST(replace(CAST(canonical AS TEXT),
	    '\''\"received\"'\'', '\''\"released\"'\'') AS BLOB) WHERE seq = 5" &&
	test_must_fail --status=2 custody ledger record --case w6 --key bob \
	    --artifact E001 --action analysed 2>err &&
	test_grep "does not verify" err &&
	copy_case case w7 &&
	ledger_edit w7 "DELETE FROM events WHERE seq = 2" &&
	test_must_fail --status=2 custody key register mk.pub --case w7 --key k 2>err &&
	test_grep "the ledger holds 4 events numbered 1 to 5, but its last tree head is of 5" err
'

test_expect_success 'F13: the holding comes from signed events; a row filed under the artifact is checked' '
	copy_case case w9 &&
	ledger_edit w9 "UPDATE events SET artifact = '\''E001'\'' WHERE seq = 2" &&
	before=$(events_in w9) &&
	test_must_fail --status=2 custody ledger release --case w9 --key bob \
	    --artifact E001 --to A 2>err &&
	test_grep "event 2 is stored under E001 but signed for another artifact, so nothing is written" err &&
	test "$(events_in w9)" = "$before"
'

test_expect_success 'F13: honest writes still work after all these checks' '
	copy_case case w8 &&
	custody ledger record --case w8 --key bob --artifact E001 --action analysed >/dev/null &&
	custody ledger release --case w8 --key bob --artifact E001 --to A >/dev/null &&
	custody ledger receive --case w8 --key k --artifact E001 >/dev/null &&
	custody ledger verify --case w8 >out &&
	test_grep "verified: case C, 8 events" out
'

test_done
