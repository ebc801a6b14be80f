#!/bin/sh
# The custody ledger end to end: a case is played (collect, release, receive,
# analyse, checkpoint, verify), then attacked with the sqlite3 shell on copies:
# every edit, deletion, insertion, reordering and truncation is named, exit 1.
. "$(dirname "$0")/lib.sh"

make_key ada
custody key generate --name "Bob Counsel" --role lawyer -o "$TEST_TMP/bob" >/dev/null
custody key generate --name "Eve Outsider" --role intruder -o "$TEST_TMP/eve" >/dev/null

# Play the case into $TEST_TMP/case.
test_expect_success 'init creates a private ledger the sqlite3 shell can open' '
	custody init case --case-id IR-7 --title "Web leak" --key ada >out &&
	test_grep "created case IR-7" out &&
	test "$(stat -c %a case)" = 700 && test "$(stat -c %a case/ledger.db)" = 600 &&
	test "$(sqlite3 case/ledger.db "PRAGMA integrity_check")" = ok &&
	sqlite3 case/ledger.db .tables | grep -q events
'

test_expect_success 'init refuses an existing case, a bad id, a missing id' '
	test_must_fail --status=2 custody init case --case-id IR-7 2>err &&
	test_grep "already exists" err &&
	test_must_fail --status=2 custody init c2 --case-id "../x" &&
	test_must_fail --status=2 custody init c3 && ! test -e c3
'

test_expect_success 'key register: by a registered handler only' '
	test_must_fail --status=2 custody key register bob.pub --case case --key eve 2>err &&
	test_grep "not registered" err &&
	test_must_fail --status=2 custody key register bob.pub --case case 2>err &&
	custody key register bob.pub --case case --key ada >out &&
	test_grep "registered Bob Counsel" out &&
	test_must_fail --status=2 custody key register bob.pub --case case --key ada 2>err &&
	test_grep "already registered" err
'

test_expect_success 'the first key of a case registers itself' '
	custody init solo --case-id SOLO >/dev/null &&
	test_must_fail --status=2 custody key register bob.pub --case solo --key ada 2>err &&
	test_grep "registers itself" err &&
	custody key register ada.pub --case solo --key ada >/dev/null
'

test_expect_success 'collect --case records the archive as E001, signed by the collector' '
	mkdir src && echo "access log" >src/access.log &&
	custody collect --case case --key ada --location "Server room B" \
	    --note "initial triage" "$TEST_TMP/src" 2>err &&
	test_grep "recorded as E001 in case IR-7" err &&
	ls case/IR-7_E001_*.tar.zst && custody verify --case case case/IR-7_E001_*.tar.zst >out &&
	test_grep "recorded in case IR-7 as E001" out
'

test_expect_success 'a second collection is E002; a used or unregistered id is refused' '
	custody collect --case case --key ada "$TEST_TMP/src" 2>/dev/null &&
	ls case/IR-7_E002_*.tar.zst &&
	test_must_fail --status=2 custody collect --case case --key ada --evidence-id E001 \
	    "$TEST_TMP/src" 2>err && test_grep "already recorded" err &&
	test_must_fail --status=2 custody collect --case case --key eve "$TEST_TMP/src" 2>err &&
	test_grep "not registered" err && ! ls case/IR-7_E003_* 2>/dev/null
'

test_expect_success 'hand-over rules: only the holder releases, only the named receiver receives' '
	test_must_fail --status=2 custody ledger release --case case --key bob \
	    --artifact E001 --to "Test Examiner" 2>err && test_grep "not held by you" err &&
	test_must_fail --status=2 custody ledger release --case case --key ada \
	    --artifact E001 --to "Nobody" 2>err && test_grep "no handler" err &&
	test_must_fail --status=2 custody ledger receive --case case --key bob \
	    --artifact E001 2>err && test_grep "no release" err &&
	test_must_fail --status=2 custody ledger release --case case --key ada \
	    --artifact E999 --to bob 2>err && test_grep "no artifact E999" err
'

test_expect_success 'release, receive, analyse: each a signed event' '
	custody ledger release --case case --key ada --artifact E001 --to "Bob Counsel" \
	    --location "Lobby" --note "for legal review, sealed bag 17" >out &&
	test_grep "E001 released" out &&
	custody ledger receive --case case --key bob --artifact E001 --location "Law office" >out &&
	test_grep "E001 received" out &&
	custody ledger record --case case --key bob --artifact E001 --action analysed \
	    --note "read the access log, 3 suspicious IPs" >out &&
	test_must_fail --status=2 custody ledger record --case case --key bob --artifact E001 \
	    --action released 2>err && test_grep "action must be" err
'

test_expect_success 'CUSTODY_CASE stands in for --case' '
	CUSTODY_CASE=case custody ledger record --key bob --artifact E001 --action stored \
	    --location "Safe 3" >/dev/null
'

test_expect_success 'ledger log tells the story in order, with names' '
	custody ledger log --case case >log &&
	test_grep "E001 collected by Test Examiner (examiner, Test Org)" log &&
	test_grep "E001 released by Test Examiner (examiner, Test Org) to Bob Counsel (lawyer)" log &&
	test_grep "E001 received by Bob Counsel (lawyer) (completing #5)" log &&
	test_grep "note: read the access log, 3 suspicious IPs" log &&
	test_grep "8 events" log &&
	custody ledger log --case case --artifact E001 --json >log.json &&
	jq -e ".case_id == \"IR-7\" and (.events | length) == 5 and .events[0].action == \"collected\"" log.json
'

test_expect_success 'checkpoint writes a C2SP signed note; verify proves the ledger extends it' '
	custody ledger checkpoint --case case --key bob -o cp1 >/dev/null &&
	test "$(sed -n 1p cp1)" = custody/IR-7 && test "$(sed -n 2p cp1)" = 8 &&
	test "$(sed -n 4p cp1)" = "" && grep -q "^— custody-" cp1 &&
	custody ledger record --case case --key bob --artifact E001 --action accessed >/dev/null &&
	custody ledger verify --case case --checkpoint cp1 >out &&
	test_grep "verified: case IR-7, 9 events" out &&
	test_grep "checkpoint cp1 (8 events, signed by Bob Counsel): the ledger extends it" out &&
	custody ledger verify --case case --checkpoint cp1 --json | jq -e ".verified and .checkpoints[0].consistent"
'

test_expect_success 'the append-only triggers refuse UPDATE and DELETE' '
	cp -a case trig &&
	! sqlite3 trig/ledger.db "UPDATE events SET note = 1 WHERE seq = 3" 2>err &&
	test_grep "append-only" err &&
	! sqlite3 trig/ledger.db "DELETE FROM events WHERE seq = 3" 2>/dev/null &&
	! sqlite3 trig/ledger.db "DELETE FROM handlers" 2>/dev/null &&
	custody ledger verify --case trig >/dev/null
'

# attack NAME SQL: run SQL on a copy of the case with the triggers dropped
# (and put back after).
attack() {
	rm -rf "$1" && cp -a case "$1" &&
	ledger_edit "$1" "$2"
}

test_expect_success 'an edited field: exit 1, event and field named' '
	attack a1 "UPDATE events SET location = \"Elsewhere\" WHERE seq = 5" &&
	test_must_fail --status=1 custody ledger verify --case a1 >out &&
	test_grep "FAILED event #5: field \"location\" differs from its signed form" out
'

test_expect_success 'an edited time: exit 1, named' '
	attack a2 "UPDATE events SET at = \"2020-01-01T00:00:00.000000000Z\" WHERE seq = 6" &&
	test_must_fail --status=1 custody ledger verify --case a2 >out &&
	test_grep "FAILED event #6: field \"time\" differs" out
'

test_expect_success 'a deleted event: exit 1, the gap named' '
	attack a3 "DELETE FROM events WHERE seq = 5" &&
	test_must_fail --status=1 custody ledger verify --case a3 >out &&
	test_grep "FAILED event #6: out of sequence: expected #5" out
'

test_expect_success 'reordered events: exit 1, named' '
	attack a4 "UPDATE events SET seq = 100 WHERE seq = 7; UPDATE events SET seq = 7 WHERE seq = 6; UPDATE events SET seq = 6 WHERE seq = 100" &&
	test_must_fail --status=1 custody ledger verify --case a4 >out &&
	test_grep "FAILED event #6" out && test_grep "FAILED event #7" out
'

test_expect_success 'an inserted event (a copy re-numbered): exit 1, named' '
	attack a5 "UPDATE events SET seq = seq + 1 WHERE seq >= 8 AND seq < 100; INSERT INTO events SELECT 8, at, action, artifact, handler, counterpart, refers, location, note, canonical, signature FROM events WHERE seq = 7" 2>/dev/null ||
	attack a5 "CREATE TABLE t AS SELECT * FROM events WHERE seq >= 8; DELETE FROM events WHERE seq >= 8; INSERT INTO events SELECT 8, at, action, artifact, handler, counterpart, refers, location, note, canonical, signature FROM events WHERE seq = 7; INSERT INTO events SELECT seq + 1, at, action, artifact, handler, counterpart, refers, location, note, canonical, signature FROM t" &&
	test_must_fail --status=1 custody ledger verify --case a5 >out &&
	test_grep "FAILED event #8" out
'

test_expect_success 'a handler renamed or an artifact hash edited: exit 1, named' '
	attack a6 "UPDATE handlers SET name = \"Eve\" WHERE name = \"Bob Counsel\"" &&
	test_must_fail --status=1 custody ledger verify --case a6 >out &&
	test_grep "FAILED event #2: the handler record it describes differs" out &&
	attack a7 "UPDATE artifacts SET archive_sha256 = \"$(printf %064d 0)\" WHERE evidence_id = \"E001\"" &&
	test_must_fail --status=1 custody ledger verify --case a7 >out &&
	test_grep "FAILED event #3: the artifact record it describes differs" out
'

test_expect_success 'a forged signature or a planted handler: exit 1, named' '
	attack a8 "UPDATE events SET signature = zeroblob(64) WHERE seq = 4" &&
	test_must_fail --status=1 custody ledger verify --case a8 >out &&
	test_grep "FAILED event #4: signature by" out &&
	attack a9 "INSERT INTO handlers SELECT \"$(printf %064d 1)\", \"Mallory\", \"x\", NULL, public_key, registered_at FROM handlers LIMIT 1" &&
	test_must_fail --status=1 custody ledger verify --case a9 >out &&
	test_grep "Mallory" out
'

test_expect_success 'a ledger rebuilt from an edited .dump: exit 1, named' '
	sqlite3 case/ledger.db .dump | grep -v "^INSERT INTO events VALUES(6," >edited.sql &&
	mkdir a10 && sqlite3 a10/ledger.db <edited.sql &&
	test_must_fail --status=1 custody ledger verify --case a10 >out &&
	test_grep "FAILED event #7: out of sequence: expected #6" out
'

test_expect_success 'a faithful .dump and reload still verifies' '
	sqlite3 case/ledger.db .dump >faithful.sql &&
	mkdir r1 && sqlite3 r1/ledger.db <faithful.sql &&
	custody ledger verify --case r1 --checkpoint cp1 >/dev/null
'

test_expect_success 'a ledger truncated behind a checkpoint: exit 1, named' '
	attack a11 "DELETE FROM events WHERE seq >= 8; DELETE FROM tree_heads WHERE size >= 8" &&
	custody ledger verify --case a11 >/dev/null &&
	test_must_fail --status=1 custody ledger verify --case a11 --checkpoint cp1 >out &&
	test_grep "it covers 8 events but the ledger has 7" out
'

test_expect_success 'history rewritten under a checkpoint: exit 1, named' '
	attack a12 "UPDATE events SET note = \"rewritten\" WHERE seq = 6" &&
	test_must_fail --status=1 custody ledger verify --case a12 --checkpoint cp1 >out &&
	test_grep "FAILED event #6" out
'

test_expect_success 'an altered checkpoint: exit 1, named' '
	sed "2s/8/7/" cp1 >cp-altered &&
	test_must_fail --status=1 custody ledger verify --case case --checkpoint cp-altered >out &&
	test_grep "not validly signed" out &&
	byhand_agrees 1 ledger case cp-altered
'

test_expect_success 'another case'"'"'s checkpoint is said to be that: exit 2, not a failing ledger' '
	custody ledger checkpoint --case solo --key ada -o cp-solo >/dev/null &&
	test_must_fail --status=2 custody ledger verify --case case --checkpoint cp-solo >out 2>err &&
	test_grep "checkpoint cp-solo is of case SOLO, not of this case IR-7" out &&
	test_grep "of another case" err &&
	! grep -q "FAILED" out &&
	custody ledger verify --case case --checkpoint cp-solo --json 2>/dev/null >out.json;
	test $? = 2 &&
	jq -e ".verified and .checkpoints[0].other_case == \"SOLO\"" out.json &&
	byhand_agrees 2 ledger case cp-solo
'

test_expect_success 'a key that registers itself into a running case: exit 1, named' '
	custody key generate --name "Bob Counsel" --role lawyer -o mallory >/dev/null &&
	rm -rf a13 && cp -a case a13 &&
	fp=$(sed -n "s/^Fingerprint: //p" mallory) &&
	b64=$(openssl pkey -pubin -in mallory.pub -outform DER | tail -c 32 | base64) &&
	at=2026-12-01T11:00:00.000000000Z &&
	row="\"fingerprint\":\"$fp\",\"name\":\"Bob Counsel\",\"role\":\"lawyer\",\"public_key\":\"$b64\",\"registered_at\":\"$at\"" &&
	python3 "$SRCDIR/tests/cli/sign-event.py" a13 mallory \
	    "{\"action\":\"registered\",\"counterpart\":\"$fp\",\"details\":{$row},\"handler_row\":{$row}}" >/dev/null &&
	test_must_fail --status=1 custody ledger verify --case a13 >out &&
	test_grep "a key registers itself, but only the case" out
'

test_expect_success 'unreadable checkpoint or CA files are operational errors: exit 2' '
	test_must_fail --status=2 custody ledger verify --case case --checkpoint no-such-file 2>err &&
	test_must_fail --status=2 custody ledger verify --case case --tsa-ca no-such-ca 2>err
'

test_expect_success 'the ledger is in WAL mode' '
	test "$(sqlite3 case/ledger.db "PRAGMA journal_mode")" = wal
'

test_expect_success 'init with a key that cannot sign makes no case' '
	openssl genpkey -algorithm ed25519 -out bare.key 2>/dev/null && chmod 600 bare.key &&
	test_must_fail --status=2 custody init nocase --case-id N --key bare.key 2>err &&
	! test -e nocase
'

test_expect_success 'verify --case refuses an archive the case did not record' '
	custody collect --key ada --case-id IR-7 -o stray7.tar.zst "$TEST_TMP/src" 2>/dev/null &&
	test_must_fail --status=1 custody verify --case case stray7.tar.zst >out &&
	test_grep "not recorded in case IR-7" out
'

test_expect_success 'an archive of another case, by --case or CUSTODY_CASE: said plainly, exit 2' '
	custody collect --key ada -o stray.tar.zst "$TEST_TMP/src" 2>/dev/null &&
	test_must_fail --status=2 custody verify --case case stray.tar.zst 2>err &&
	test_grep "stray.tar.zst is sealed for case CASE, but the case given (case) is case IR-7" err &&
	CUSTODY_CASE=case test_must_fail --status=2 custody verify stray.tar.zst 2>err &&
	test_grep "(case, from CUSTODY_CASE) is case IR-7" err
'

test_expect_success 'writes without a registered key, or with no case, are refused: exit 2' '
	test_must_fail --status=2 custody ledger record --case case --key eve --artifact E001 \
	    --action accessed 2>err && test_grep "not registered" err &&
	test_must_fail --status=2 custody ledger record --key ada --artifact E001 \
	    --action accessed 2>err && test_grep "no case" err &&
	test_must_fail --status=2 custody ledger log --case nowhere 2>err &&
	test_grep "no custody ledger" err
'

test_expect_success 'record --batch: many events in one transaction, all or nothing' '
	before=$(custody ledger log --case case --json | jq ".events | length") &&
	for i in $(seq 1 50); do
		printf "{\"artifact\": \"E002\", \"action\": \"accessed\", \"note\": \"bulk %s\"}\n" $i
	done >batch.jsonl &&
	custody ledger record --case case --key bob --batch batch.jsonl >out &&
	test_grep "recorded 50 events" out &&
	test $(( $(custody ledger log --case case --json | jq ".events | length") - before )) = 50 &&
	{ head -n 3 batch.jsonl; echo "{\"artifact\": \"E002\", \"action\": \"stolen\"}"; } >bad.jsonl &&
	test_must_fail --status=2 custody ledger record --case case --key bob --batch bad.jsonl 2>err &&
	test_grep "line 4" err && test_grep "nothing recorded" err &&
	echo "{\"artifact\": \"E404\", \"action\": \"accessed\"}" | \
	    test_must_fail --status=2 custody ledger record --case case --key bob --batch - 2>err &&
	test_grep "no artifact E404" err &&
	test $(( $(custody ledger log --case case --json | jq ".events | length") - before )) = 50 &&
	custody ledger verify --case case --checkpoint cp1 >/dev/null
'

test_expect_success 'four writers at once: nothing lost, the chain intact' '
	for k in ada bob; do
		custody key generate --name "Writer $k" --role clerk -o "w$k" >/dev/null &&
		custody key register "w$k.pub" --case case --key ada >/dev/null || return 1
	done
	before=$(custody ledger log --case case --json | jq ".events | length")
	for w in wada wbob wada wbob; do
		( for i in $(seq 1 15); do
			custody ledger record --case case --key $w --artifact E002 \
			    --action accessed --note "$w $i" >/dev/null || echo fail
		done ) >"$w.$$.$RANDOM.out" &
	done
	wait
	! grep -q fail w*.out &&
	after=$(custody ledger log --case case --json | jq ".events | length") &&
	test $((after - before)) = 60 &&
	custody ledger verify --case case --checkpoint cp1 >/dev/null
'

test_done
