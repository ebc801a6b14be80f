#!/bin/sh
# Every row of the ledger equals its signed form, byte for byte, and every
# table is bound to the signed history. Each attack edits a copy of a real
# case's ledger with the sqlite3 shell; custody ledger verify names the
# event and the field, exits 1, and the by-hand verifier agrees. Then
# ledger log, export and audit on a ledger that does not verify: they say
# so first, show the signed events (not the edited columns), exit 1.
. "$(dirname "$0")/lib.sh"

custody key generate --name "Alice Examiner" --role examiner -o "$TEST_TMP/k1" >/dev/null
custody key generate --name "Bob Analyst" --role analyst -o "$TEST_TMP/k2" >/dev/null

# Copy the case to $1 and run SQL on the copy, its triggers dropped first
# and put back after.
attack() {
	rm -rf "$1" && cp -a case "$1" &&
	ledger_edit "$1" "$2"
}

# Declare a column of the copy $1 with another type (the stored file is
# unchanged; only the affinity SQLite applies to new values is).
retype() {
	sqlite3 "$1/ledger.db" ".dbconfig defensive off" "PRAGMA writable_schema = ON;
	    UPDATE sqlite_schema SET sql = replace(sql, '$2', '$3') WHERE name = '$4';" >/dev/null
}

# custody ledger verify on case $1 must exit 1 and print line $2.
verify_names() {
	test_must_fail --status=1 custody ledger verify --case "$1" >out &&
	test_grep "$2" out
}

test_expect_success 'setup: a case with a collection, a hand-over, notes and no location' '
	custody init case --case-id X1 --key k1 >/dev/null &&
	custody key register k2.pub --case case --key k1 >/dev/null &&
	mkdir src && echo evidence >src/a &&
	custody collect --case case --key k1 --location "Server room" "$TEST_TMP/src" 2>/dev/null &&
	custody ledger release --case case --key k1 --artifact E001 --to "Bob Analyst" \
	    --note "for analysis" >/dev/null &&
	custody ledger receive --case case --key k2 --artifact E001 --location "Lab 1" >/dev/null &&
	custody ledger record --case case --key k2 --artifact E001 --action analysed \
	    --note ok --location "Lab 1" >/dev/null &&
	custody ledger record --case case --key k2 --artifact E001 --action stored >/dev/null &&
	custody ledger verify --case case >out && test_grep "verified: case X1, 7 events" out &&
	byhand_agrees 0 ledger case
'

# 1. Invalid UTF-8 in a text column is a difference, never dropped.
test_expect_success 'invalid UTF-8 in an event column: exit 1, event and field named' '
	attack u1 "UPDATE events SET note = CAST(X'\''6f6bff'\'' AS TEXT) WHERE seq = 6" &&
	verify_names u1 "FAILED event #6: field \"note\" differs from its signed form" &&
	test_grep "not valid UTF-8" out &&
	byhand_agrees 1 ledger u1 &&
	attack u2 "UPDATE events SET location = CAST(X'\''c0af'\'' AS TEXT) WHERE seq = 7" &&
	verify_names u2 "FAILED event #7: field \"location\" differs from its signed form: stored as the text" &&
	test_grep "signed as absent" out &&
	byhand_agrees 1 ledger u2
'

test_expect_success 'invalid UTF-8 in a handler or artifact row: exit 1, named' '
	attack u3 "UPDATE handlers SET name = CAST(X'\''426f62ff'\'' AS TEXT) WHERE role = '\''analyst'\''" &&
	verify_names u3 "FAILED event #2: the handler record it describes differs from its signed form: column \"name\"" &&
	test_grep "not valid UTF-8" out &&
	byhand_agrees 1 ledger u3 &&
	attack u4 "UPDATE artifacts SET host = host || CAST(X'\''ff'\'' AS TEXT)" &&
	verify_names u4 "FAILED event #3: the artifact record it describes differs from its signed form: column \"host\"" &&
	byhand_agrees 1 ledger u4
'

# 2. A NUL byte cannot hide the rest of a column.
test_expect_success 'a NUL byte and planted text after it: exit 1, named' '
	attack n1 "UPDATE events SET note = '\''ok'\'' || char(0) || '\''planted'\'' WHERE seq = 6" &&
	verify_names n1 "FAILED event #6: field \"note\" differs from its signed form" &&
	test_grep "holds a NUL byte" out &&
	byhand_agrees 1 ledger n1 &&
	attack n2 "UPDATE artifacts SET archive_sha256 = archive_sha256 || char(0) || '\''x'\''" &&
	verify_names n2 "FAILED event #3: the artifact record it describes differs from its signed form: column \"archive_sha256\"" &&
	byhand_agrees 1 ledger n2 &&
	attack n3 "UPDATE artifacts SET archive_path = archive_path || char(0) || '\''x'\''" &&
	verify_names n3 "column \"archive_path\" stored as the text" &&
	byhand_agrees 1 ledger n3
'

# 3. Types and representations.
test_expect_success 'text where an integer belongs: exit 1, named' '
	rm -rf t1 && cp -a case t1 &&
	retype t1 "refers INTEGER" "refers TEXT" events &&
	ledger_edit t1 "UPDATE events SET refers = '\''4'\'' WHERE seq = 5" &&
	test "$(sqlite3 t1/ledger.db "SELECT typeof(refers) FROM events WHERE seq = 5")" = text &&
	verify_names t1 "FAILED event #5: field \"refers\" differs from its signed form: stored as the text \"4\" (1 bytes), signed as the integer 4" &&
	byhand_agrees 1 ledger t1 &&
	rm -rf t2 && cp -a case t2 &&
	retype t2 "archive_size INTEGER" "archive_size TEXT" artifacts &&
	ledger_edit t2 "UPDATE artifacts SET archive_size = archive_size" &&
	verify_names t2 "column \"archive_size\" stored as the text" &&
	byhand_agrees 1 ledger t2
'

test_expect_success 'text where an integer belongs in a BLOB: exit 1, named' '
	attack t3 "UPDATE events SET refers = CAST('\''4'\'' AS BLOB) WHERE seq = 5" &&
	verify_names t3 "FAILED event #5: field \"refers\" differs from its signed form: stored as a BLOB of 1 bytes, signed as the integer 4" &&
	byhand_agrees 1 ledger t3
'

test_expect_success '0 for absent, and an empty string for absent: exit 1, named' '
	attack t4 "UPDATE events SET refers = 0 WHERE seq = 6" &&
	verify_names t4 "FAILED event #6: field \"refers\" differs from its signed form: stored as the integer 0, signed as absent" &&
	byhand_agrees 1 ledger t4 &&
	attack t5 "UPDATE events SET location = '\'''\'' WHERE seq = 7" &&
	verify_names t5 "FAILED event #7: field \"location\" differs from its signed form: stored as the text \"\" (0 bytes), signed as absent" &&
	byhand_agrees 1 ledger t5
'

test_expect_success 'NULL for a signed text, and a handler organisation of '"''"': exit 1' '
	attack t6 "UPDATE events SET location = NULL WHERE seq = 6" &&
	verify_names t6 "FAILED event #6: field \"location\" differs from its signed form: stored as NULL, signed as the text \"Lab 1\"" &&
	byhand_agrees 1 ledger t6 &&
	attack t7 "UPDATE handlers SET organization = '\'''\'' WHERE role = '\''analyst'\''" &&
	verify_names t7 "FAILED event #2: the handler record it describes differs from its signed form: column \"organization\" stored as the text \"\" (0 bytes), signed as absent" &&
	byhand_agrees 1 ledger t7
'

test_expect_success 'a BLOB holding the same bytes as the signed text: exit 1, named' '
	attack t8 "UPDATE events SET note = CAST(note AS BLOB) WHERE seq = 6" &&
	test "$(sqlite3 t8/ledger.db "SELECT typeof(note) FROM events WHERE seq = 6")" = blob &&
	verify_names t8 "FAILED event #6: field \"note\" differs from its signed form: stored as a BLOB of 2 bytes, signed as the text \"ok\"" &&
	byhand_agrees 1 ledger t8 &&
	attack t9 "UPDATE events SET canonical = CAST(canonical AS TEXT) WHERE seq = 6" &&
	verify_names t9 "FAILED event #6: column \"canonical\" is not the BLOB custody writes" &&
	byhand_agrees 1 ledger t9
'

# 4. Every table is bound to the signed history.
test_expect_success 'a time-stamp row with no timestamped event: exit 1, named' '
	attack s1 "INSERT INTO timestamps VALUES (4, '\''x.tar.zst'\'', '\''$(printf %064d 0)'\'', X'\''00'\'', '\''2026-01-01T00:00:00Z'\'', '\''TSA'\'')" &&
	verify_names s1 "FAILED a time-stamp token is stored for event #4, which is not a timestamped event" &&
	byhand_agrees 1 ledger s1 &&
	attack s2 "INSERT INTO timestamps VALUES (99, '\''x'\'', '\''x'\'', X'\''00'\'', '\''x'\'', '\''x'\'')" &&
	verify_names s2 "a time-stamp token is stored for event #99" &&
	byhand_agrees 1 ledger s2
'

test_expect_success 'a cached tree head beyond the last event, of any size: exit 1, named' '
	attack h1 "INSERT INTO tree_heads SELECT 12, root, frontier FROM tree_heads WHERE size = 7" &&
	verify_names h1 "FAILED a cached tree head records 12 events, but the ledger holds 7" &&
	byhand_agrees 1 ledger h1 &&
	attack h2 "INSERT INTO tree_heads SELECT 8, root, frontier FROM tree_heads WHERE size = 7" &&
	verify_names h2 "a cached tree head records 8 events" &&
	byhand_agrees 1 ledger h2 &&
	attack h3 "INSERT INTO tree_heads VALUES (0, zeroblob(32), X'\'''\'')" &&
	verify_names h3 "FAILED a cached tree head of a size no ledger has" &&
	byhand_agrees 1 ledger h3
'

test_expect_success 'a cached tree head that differs, or is missing: exit 1, named' '
	attack h4 "UPDATE tree_heads SET root = zeroblob(32) WHERE size = 4" &&
	verify_names h4 "FAILED event #4: the cached tree head after this event differs from the recomputed one (its root)" &&
	byhand_agrees 1 ledger h4 &&
	attack h5 "UPDATE tree_heads SET frontier = frontier || zeroblob(32) WHERE size = 5" &&
	verify_names h5 "FAILED event #5: the cached tree head after this event differs from the recomputed one (its frontier)" &&
	byhand_agrees 1 ledger h5 &&
	attack h6 "DELETE FROM tree_heads WHERE size = 3" &&
	verify_names h6 "FAILED event #3: the cached tree head after this event is missing" &&
	byhand_agrees 1 ledger h6
'

test_expect_success 'every column of a handler and an artifact row is compared: exit 1' '
	attack r1 "UPDATE handlers SET public_key = (SELECT public_key FROM handlers WHERE role = '\''examiner'\'') WHERE role = '\''analyst'\''" &&
	verify_names r1 "FAILED event #2: the handler record it describes differs from its signed form: column \"public_key\"" &&
	byhand_agrees 1 ledger r1 &&
	attack r2 "UPDATE handlers SET registered_at = '\''2000-01-01T00:00:00.000000000Z'\'' WHERE role = '\''analyst'\''" &&
	verify_names r2 "column \"registered_at\"" &&
	byhand_agrees 1 ledger r2 &&
	attack r3 "UPDATE artifacts SET archive_size = archive_size + 1, merkle_root = upper(merkle_root)" &&
	verify_names r3 "FAILED event #3: the artifact record it describes differs from its signed form: column \"archive_size\" stored as the integer" &&
	test_grep "column \"merkle_root\"" out &&
	byhand_agrees 1 ledger r3 &&
	attack r4 "DELETE FROM artifacts" 2>/dev/null ||
	attack r4 "PRAGMA foreign_keys = OFF; DELETE FROM artifacts" &&
	verify_names r4 "FAILED event #3: the artifact record it describes is missing" &&
	byhand_agrees 1 ledger r4
'

# 5. The database file itself: a table that disagrees with its index.
test_expect_success 'an index that disagrees with its table: exit 1, the damage named' '
	rm -rf i1 && cp -a case i1 &&
	sqlite3 i1/ledger.db "DROP INDEX events_artifact;
	    CREATE INDEX events_artifact ON events(artifact, seq) WHERE seq <> 6" &&
	retype i1 " WHERE seq <> 6" "" events_artifact &&
	test "$(sqlite3 i1/ledger.db "SELECT count(*) FROM events WHERE artifact = '\''E001'\''")" = 4 &&
	verify_names i1 "FAILED the database file is damaged: row 6 missing from index events_artifact" &&
	byhand_agrees 1 ledger i1 &&
	test_must_fail --status=1 custody ledger log --case i1 --artifact E001 >out 2>/dev/null &&
	test_grep "#6" out && test_grep "NOT VERIFIED" out
'

test_expect_success 'a table replaced by a view that shows other rows: exit 1, named' '
	rm -rf v1 && cp -a case v1 &&
	sqlite3 v1/ledger.db "ALTER TABLE tree_heads RENAME TO th; CREATE VIEW tree_heads AS SELECT * FROM th WHERE size <> 3" &&
	verify_names v1 "FAILED the database file is damaged: \"tree_heads\" is a view, not the table custody writes" &&
	byhand_agrees 1 ledger v1
'

# 6. Every differing field, not only the first.
test_expect_success 'every differing field of an event is reported' '
	attack m1 "UPDATE events SET location = '\''Elsewhere'\'', note = '\''forged'\'', at = '\''2000-01-01T00:00:00.000000000Z'\'' WHERE seq = 6" &&
	verify_names m1 "FAILED event #6: field \"time\" differs" &&
	test_grep "FAILED event #6: field \"location\" differs" out &&
	test_grep "FAILED event #6: field \"note\" differs" out &&
	test_grep "NOT VERIFIED: case X1: 3 problems" out &&
	byhand_agrees 1 ledger m1
'

test_expect_success 'signed bytes that are not a canonical event: exit 1, named' '
	attack c1 "UPDATE events SET canonical = CAST(replace(CAST(canonical AS TEXT), '\'',\"'\'', '\'', \"'\'') AS BLOB) WHERE seq = 6" &&
	verify_names c1 "FAILED event #6: its signed bytes are not a canonical event: not in canonical form" &&
	byhand_agrees 1 ledger c1
'

test_expect_success 'a faithful .dump and reload still verifies, field by field' '
	sqlite3 case/ledger.db .dump >faithful.sql &&
	mkdir r && sqlite3 r/ledger.db <faithful.sql &&
	custody ledger verify --case r >/dev/null &&
	byhand_agrees 0 ledger r
'

# 7. What people read comes from verified data.
test_expect_success 'ledger log of a tampered ledger: the warning first, the signed text, exit 1' '
	test_must_fail --status=1 custody ledger log --case n1 >out 2>err &&
	head -n 1 out | grep -q "^\*\*\* NOT VERIFIED: the ledger of case X1 does not verify" &&
	test_grep "does NOT verify" err &&
	grep "^#6 " out >line6 &&
	test_grep "note: ok" line6 && ! grep -q planted line6 &&
	test_grep "[NOT VERIFIED]" line6 &&
	! grep "^#5 " out | grep -q "NOT VERIFIED" &&
	test_must_fail --status=1 custody ledger log --case n1 --json >out.json 2>/dev/null &&
	jq -e ".verified == false and (.problems | length) == 1 and
	    (.events[5].note == \"ok\") and .events[5].verified == false and
	    .events[4].verified == true" out.json
'

test_expect_success 'ledger log of a clean ledger: unchanged, exit 0' '
	custody ledger log --case case >out 2>err &&
	! grep -q "VERIFIED" out && ! test -s err &&
	head -n 1 out | grep -q "^Case X1$"
'

test_expect_success 'export json and csv of a tampered ledger: marked first, exit 1' '
	test_must_fail --status=1 custody ledger export --case m1 --format json -o m1.json 2>err &&
	test_grep "does NOT verify" err &&
	jq -e ".verified == false and (.problems | length) == 3 and
	    .events[5].note == \"ok\" and .events[5].verified == false" m1.json &&
	test "$(jq "[.events[] | select(.note == \"forged\")] | length" m1.json)" = 0 &&
	test_must_fail --status=1 custody ledger export --case m1 --format csv -o m1.csv 2>/dev/null &&
	head -n 1 m1.csv | grep -q "^\*\*\* NOT VERIFIED" &&
	grep -q "^\"FAILED event #6: field \"\"note\"\" differs" m1.csv &&
	grep -q "^seq,time_utc," m1.csv
'

test_expect_success 'export html of a tampered ledger: loud on top and on every page, exit 1' '
	test_must_fail --status=1 custody ledger export --case m1 --format html -o m1.html 2>/dev/null &&
	test_grep "<div class=\"unverified\">NOT VERIFIED: the ledger of case X1 does not verify (3 problems)" m1.html &&
	test_grep "@top-center{content:\"NOT VERIFIED" m1.html &&
	test_grep "<th class=\"unverified-row\"" m1.html &&
	! grep -q "Generated from the signed custody ledger" m1.html &&
	grep "<tr><td>6</td>" m1.html | grep -q "NOT VERIFIED" &&
	! grep "<tr><td>6</td>" m1.html | grep -q forged &&
	check_html m1.html
'

test_expect_success 'export html of a clean ledger: the sentence is true, no warning, exit 0' '
	custody ledger export --case case --format html -o ok.html &&
	test_grep "Generated from the signed custody ledger, verified in full" ok.html &&
	! grep -q "NOT VERIFIED" ok.html
'

test_expect_success 'audit of a tampered ledger: the warning first, exit 1' '
	test_must_fail --status=1 custody audit --case m1 >out 2>err &&
	head -n 1 out | grep -q "^\*\*\* NOT VERIFIED" &&
	test_grep "FAILED event #6: field \"note\"" out &&
	test_must_fail --status=1 custody audit --case m1 --json >out.json 2>/dev/null &&
	jq -e ".verified == false and .clean == false and (.problems | length) == 3" out.json &&
	custody audit --case case --json >ok.json &&
	jq -e ".verified == true and .clean == true and .problems == []" ok.json
'

test_done
