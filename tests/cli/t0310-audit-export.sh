#!/bin/sh
# custody audit and custody ledger export: a clean case audits clean; every
# kind of custody anomaly, made for real or by editing a copy of the ledger
# with the sqlite3 shell, is one FINDING line naming artifact, event and
# reason, exit 1; the exports (json, csv, html) are complete and well-formed.
. "$(dirname "$0")/lib.sh"

custody key generate --name "Alice Examiner" --role examiner --org "Lab, Inc" \
    -o "$TEST_TMP/k1" >/dev/null
custody key generate --name "Bob Analyst" --role analyst -o "$TEST_TMP/k2" >/dev/null

NOTE='seen, "intact" <script>alert(1)</script>'
NOBODY=ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff

# Copy the case $1 to $2 and run SQL on the copy, its triggers dropped first
# and put back after.
tamper() {
	cp -a "$1" "$2" &&
	ledger_edit "$2" "$3"
}

# The audit of case $1 must fail with exit 1 and print line $2.
audit_finds() {
	test_must_fail --status=1 custody audit --case "$1" >out &&
	test_grep "$2" out
}

# Check a CSV export $1: a header, one record per event ($2), the note intact.
check_csv() {
	python3 - "$1" "$2" "$NOTE" <<-'EOF'
	import csv, sys
	with open(sys.argv[1], newline='') as f:
	    raw = f.read()
	rows = list(csv.reader(raw.splitlines(keepends=True)))
	assert raw.endswith('\r\n'), 'records end with CRLF'
	assert rows[0][0] == 'seq' and rows[0][-1] == 'signature_base64', rows[0]
	assert len(rows) == int(sys.argv[2]) + 1, len(rows)
	assert all(len(r) == 14 for r in rows), 'every record has 14 fields'
	assert [r[0] for r in rows[1:]] == [str(i) for i in range(1, len(rows))]
	assert sys.argv[3] in [r[12] for r in rows], 'the note round-trips'
	EOF
}

test_expect_success 'setup: a case with a collection, a hand-over and an analysis' '
	custody init case --case-id C1 --title "Audit <test>" --key k1 >/dev/null &&
	custody key register k2.pub --case case --key k1 >/dev/null &&
	mkdir src && echo evidence >src/a &&
	custody collect --case case --key k1 --location "Server room" \
	    "$TEST_TMP/src" 2>/dev/null &&
	custody ledger release --case case --key k1 --artifact E001 --to "Bob Analyst" \
	    --note "for analysis" --location "Lab 1" >/dev/null &&
	custody ledger receive --case case --key k2 --artifact E001 >/dev/null &&
	custody ledger record --case case --key k2 --artifact E001 --action analysed \
	    --note "$NOTE" >/dev/null &&
	test "$(sqlite3 case/ledger.db "SELECT count(*) FROM events")" = 6
'

test_expect_success 'a clean case audits clean: exit 0, a summary line' '
	custody audit --case case >out &&
	test_grep "audit: case C1: 6 events, 1 artifacts, 0 findings" out &&
	! grep FINDING out
'

test_expect_success '--json: clean, counts; --case may come from CUSTODY_CASE' '
	CUSTODY_CASE=case custody audit --json >out.json &&
	jq -e ".case_id == \"C1\" and .events == 6 and .artifacts == 1 and
	    .findings == [] and .clean == true" out.json
'

test_expect_success 'no case, a bad option, a missing ledger: exit 2' '
	test_must_fail --status=2 custody audit 2>err && test_grep "no case" err &&
	test_must_fail --status=2 custody audit --case case --bogus 2>err &&
	test_grep "usage: custody audit" err &&
	test_must_fail --status=2 custody audit --case nowhere 2>err &&
	test_grep "no custody ledger" err
'

test_expect_success '(a) an action by someone who does not hold it: exit 1, named' '
	cp -a case a1 &&
	custody ledger record --case a1 --key k1 --artifact E001 --action accessed >/dev/null &&
	audit_finds a1 "FINDING E001 #7: accessed by Alice Examiner (examiner, Lab, Inc), who did not hold it (held by Bob Analyst (analyst))" &&
	test_grep "1 findings" out
'

test_expect_success '(b) a release never received: exit 1, in text and json' '
	cp -a case b1 &&
	custody ledger release --case b1 --key k2 --artifact E001 --to "Alice Examiner" >/dev/null &&
	audit_finds b1 "FINDING E001 #7: released to Alice Examiner (examiner, Lab, Inc), never received" &&
	test_must_fail --status=1 custody audit --case b1 --json >out.json &&
	jq -e ".clean == false and (.findings | length) == 1 and
	    .findings[0].artifact == \"E001\" and .findings[0].event == 7 and
	    (.findings[0].reason | test(\"never received\"))" out.json
'

# The audit reads the signed events, not the columns: a column edited to
# fake an anomaly (or to hide one) is not believed. The audit says first
# that the ledger does not verify, names the edit, and exits 1. The same
# anomalies, validly signed, are audited in t0340-audit-signed.sh.
audit_not_verified() {
	test_must_fail --status=1 custody audit --case "$1" >out 2>err &&
	head -n 1 out | grep -q "^\*\*\* NOT VERIFIED: the ledger of case C1 does not verify" &&
	test_grep "FAILED event #$2: field \"$3\" differs from its signed form" out &&
	test_grep "does NOT verify" err &&
	! grep -q "^FINDING" out &&
	byhand_agrees 1 ledger "$1"
}

test_expect_success '(d) a time edited to run backwards is not believed: exit 1, named first' '
	tamper case d1 "UPDATE events SET at = '\''2000-01-01T00:00:00.000000000Z'\'' WHERE seq = 5" &&
	audit_not_verified d1 5 time
'

test_expect_success '(d) a time edited out of the ledger format: exit 1, named first' '
	tamper case d2 "UPDATE events SET at = '\''yesterday'\'' WHERE seq = 6" &&
	audit_not_verified d2 6 time
'

test_expect_success '(c) a receipt edited to name no release, or not a release: exit 1' '
	tamper case c1 "UPDATE events SET refers = NULL WHERE seq = 5" &&
	audit_not_verified c1 5 refers &&
	tamper case c2 "UPDATE events SET refers = 3 WHERE seq = 5" &&
	audit_not_verified c2 5 refers
'

test_expect_success '(c) an event edited into a second receipt: both fields named' '
	tamper case c3 "UPDATE events SET action = '\''received'\'', refers = 4 WHERE seq = 6" &&
	audit_not_verified c3 6 action &&
	test_grep "FAILED event #6: field \"refers\" differs from its signed form: stored as the integer 4, signed as absent" out
'

test_expect_success '(a)(c) a receipt edited to another signer: exit 1' '
	tamper case c4 "UPDATE events SET handler = (SELECT handler FROM events WHERE seq = 3) WHERE seq = 5" &&
	audit_not_verified c4 5 handler
'

test_expect_success '(f) an event edited to a key that is not registered: exit 1' '
	tamper case f1 "UPDATE events SET handler = '\''$NOBODY'\'' WHERE seq = 6" &&
	audit_not_verified f1 6 handler
'

test_expect_success '(g) an event edited to an artifact that is not recorded: exit 1' '
	tamper case g1 "UPDATE events SET artifact = '\''E999'\'' WHERE seq = 6" &&
	audit_not_verified g1 6 artifact
'

test_expect_success '(g)(e) an artifact without a collected event and no archive: exit 1' '
	tamper case g2 "INSERT INTO artifacts SELECT '\''E002'\'', '\''gone.tar.zst'\'', '\'''\'',
	    '\''00'\'' || archive_sha256, archive_size, merkle_root, host, collected_at,
	    collected_by FROM artifacts WHERE evidence_id = '\''E001'\''" &&
	audit_finds g2 "FINDING E002 #-: no collected event records this artifact" &&
	test_grep "FINDING E002 #-: archive not found (looked at g2/gone.tar.zst)" out &&
	test_grep "2 artifacts, 2 findings" out
'

test_expect_success '(e) an archive in the case directory with a changed byte: exit 1' '
	tamper case e1 "UPDATE artifacts SET archive_path = '\'''\''" &&
	custody audit --case e1 >/dev/null &&
	a=$(archive_in e1) &&
	printf CHANGED! | dd of="$a" bs=1 seek=100 conv=notrunc 2>/dev/null &&
	audit_finds e1 "FINDING E001 #3: archive $a has SHA-256 $(sha256sum "$a" | cut -d" " -f1), not the"
'

test_expect_success '(e) an archive moved away: not found, and found again with --archives' '
	tamper case e2 "UPDATE artifacts SET archive_path = '\'''\''" &&
	mkdir shelf && mv "$(archive_in e2)" shelf/ &&
	audit_finds e2 "FINDING E001 #3: archive not found (looked at e2/" &&
	custody audit --case e2 --archives nowhere --archives shelf >out &&
	test_grep "0 findings" out
'

test_expect_success 'json export: one document with every event, the canonical bytes, the root' '
	custody ledger export --case case --format json -o export.json &&
	jq -e ".format == \"custody-ledger-export\" and .version == 2 and
	    .case.case_id == \"C1\" and .case.unsigned.title == \"Audit <test>\" and
	    (.handlers | length) == 2 and .handlers[0].organization == \"Lab, Inc\" and
	    (.artifacts | length) == 1 and .artifacts[0].evidence_id == \"E001\" and
	    .artifacts[0].archive_size > 0 and
	    [.events[].seq] == [1, 2, 3, 4, 5, 6] and
	    .events[3].counterpart_name == \"Bob Analyst\" and .events[4].refers == 4 and
	    .events[5].note == \"$(echo "$NOTE" | sed "s/\"/\\\\\"/g")\" and
	    .tree.size == 6 and (.tree.root | test(\"^[0-9a-f]{64}$\"))" export.json &&
	jq -j ".events[3].canonical" export.json >canonical.jq &&
	sqlite3 case/ledger.db "SELECT writefile('\''canonical.db'\'', canonical) FROM events WHERE seq = 4" >/dev/null &&
	cmp canonical.jq canonical.db &&
	test "$(jq -r ".events[3].signature" export.json | base64 -d | wc -c)" = 64
'

test_expect_success 'json export: the tree root is the checkpoint root' '
	custody ledger checkpoint --case case --key k1 -o cp >/dev/null &&
	test "$(sed -n 3p cp | base64 -d | od -An -tx1 | tr -d " \n")" = \
	    "$(jq -r .tree.root export.json)"
'

test_expect_success 'csv export: a header, a record per event, CRLF, the note round-trips' '
	custody ledger export --case case --format csv -o export.csv &&
	check_csv export.csv 6 &&
	head -1 export.csv | tr -d "\r" >header &&
	test "$(cat header)" = "seq,time_utc,action,artifact,handler_fingerprint,handler_name,handler_role,handler_organization,counterpart_fingerprint,counterpart_name,refers,location,note,signature_base64"
'

test_expect_success 'csv export: a text starting like a formula is neutralised' '
	cp -a case x1 &&
	custody ledger record --case x1 --key k2 --artifact E001 --action accessed \
	    --note "=HYPERLINK(\"http://evil\")" >/dev/null &&
	custody ledger export --case x1 --format csv >x1.csv &&
	test_grep "\"'\''=HYPERLINK(\"\"http://evil\"\")\"" x1.csv
'

test_expect_success 'html export: well-formed, self-contained, every party, escaped' '
	custody ledger export --case case --format html -o export.html &&
	check_html export.html &&
	test_grep "<meta charset=\"utf-8\">" export.html &&
	test_grep "Chain of custody: case C1" export.html &&
	test_grep "Audit &lt;test&gt;" export.html &&
	test_grep "Evidence item E001" export.html &&
	test_grep "<strong>Alice Examiner</strong>" export.html &&
	test_grep "<strong>Bob Analyst</strong>" export.html &&
	test_grep "Server room" export.html &&
	test_grep "seen, &quot;intact&quot; &lt;script&gt;alert(1)&lt;/script&gt;" export.html &&
	! grep -i "<script" export.html &&
	! grep -iE "(src|href)=" export.html &&
	test_grep "page-break-before" export.html
'

test_expect_success 'html export: a release never received says so' '
	custody ledger export --case b1 --format html >b1.html &&
	check_html b1.html &&
	test_grep "not received" b1.html
'

test_expect_success 'export: an unknown format is a usage error; an existing output is kept' '
	test_must_fail --status=2 custody ledger export --case case --format xml 2>err &&
	test_grep "json, csv or html" err &&
	test_must_fail --status=2 custody ledger export --case case --format csv -o export.json &&
	jq -e .format export.json >/dev/null
'

test_expect_success '(e) the recorded archive itself changed: exit 1' '
	a=$(sqlite3 case/ledger.db "SELECT archive_path FROM artifacts") &&
	printf Y | dd of="$a" bs=1 seek=50 conv=notrunc 2>/dev/null &&
	audit_finds case "FINDING E001 #3: archive case/$(basename "$a") has SHA-256" &&
	test_grep "audit: case C1: 6 events, 1 artifacts, 1 findings" out
'

test_done
