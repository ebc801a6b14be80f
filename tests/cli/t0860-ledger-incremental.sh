#!/bin/sh
# ledger verify --since-verified: the tree head of a ledger verified whole is
# remembered in the verifier's own state directory, and a later verify proves
# the ledger extends it and checks only the events after it. Someone who
# rewrites the database (rows, signatures made again with the handler's own
# key, cached tree heads) or the state file cannot make a forged older part
# pass: each case is refused with a controlled exit and a clear message.
. "$(dirname "$0")/lib.sh"

XDG_STATE_HOME=$TEST_TMP/state
export XDG_STATE_HOME
make_key ada

# batch FROM COUNT: analysed events of E001, one JSON object a line
batch() {
	i=$1
	while [ "$i" -lt $(($1 + $2)) ]; do
		printf '{"artifact": "E001", "action": "analysed", "note": "step %d"}\n' "$i"
		i=$((i + 1))
	done
}

# state_file: the one state file there is
state_file() {
	ls "$XDG_STATE_HOME"/custody/ledger-verified/*.json
}

test_expect_success 'a plain verify checks in full and remembers nothing' '
	custody init case --case-id INC-1 --key ada >/dev/null &&
	mkdir src && echo evidence >src/file &&
	custody collect --case case --key ada "$TEST_TMP/src" 2>/dev/null &&
	batch 1 20 >b1 && custody ledger record --case case --key ada --batch b1 >/dev/null &&
	custody ledger verify --case case >out &&
	test_grep "verified: case INC-1, 22 events" out &&
	! test -e "$XDG_STATE_HOME" &&
	byhand_agrees 0 ledger case
'

test_expect_success '--since-verified with nothing remembered checks in full and remembers the head' '
	custody ledger verify --case case --since-verified >out &&
	test_grep "verified: case INC-1, 22 events" out &&
	test_grep "remembered: 22 events, in $XDG_STATE_HOME/custody/ledger-verified/" out &&
	! grep -q "were verified on" out &&
	f=$(state_file) &&
	test "$(stat -c %a "$f")" = 600 &&
	test "$(stat -c %a "$XDG_STATE_HOME/custody/ledger-verified")" = 700 &&
	test "$(jq -r .format "$f")" = custody-ledger-verified &&
	test "$(jq -r .version "$f")" = 1 &&
	test "$(jq -r .case_id "$f")" = INC-1 &&
	test "$(jq -r .size "$f")" = 22 &&
	test "$(jq -r .root "$f")" = "$(sed -n "s/.*tree head \([0-9a-f]*\)$/\1/p" out)" &&
	test "$(jq -r .first_event "$f")" = "$(python3 -c "import sqlite3, hashlib, sys
row = sqlite3.connect(sys.argv[1]).execute(\"SELECT canonical FROM events WHERE seq = 1\").fetchone()
print(hashlib.sha256(b\"\\0\" + row[0]).hexdigest())" case/ledger.db)" &&
	test "$(jq -r "keys | join(\",\")" "$f")" = "case_id,first_event,format,root,size,verified_at,version"
'

test_expect_success 'a case grown after a remembered verify: the new events are checked, the head moves on' '
	batch 21 5 >b2 && custody ledger record --case case --key ada --batch b2 >/dev/null &&
	custody ledger verify --case case --since-verified >out &&
	test_grep "verified: case INC-1, 27 events" out &&
	test_grep "events 1 to 22 were verified on" out &&
	test_grep "the ledger extends that tree head" out &&
	test_grep "remembered: 27 events" out &&
	test "$(jq -r .size "$(state_file)")" = 27 &&
	custody ledger verify --case case --since-verified --json >out.json &&
	test "$(jq -r .verified_before out.json)" = 27 &&
	test "$(jq -r .verified out.json)" = true &&
	byhand_agrees 0 ledger case
'

test_expect_success 'an event after the remembered head is checked in full: a forged signature is named' '
	cp -a case g1 && batch 26 3 >b3 &&
	custody ledger record --case g1 --key ada --batch b3 >/dev/null &&
	ledger_edit g1 "UPDATE events SET signature = zeroblob(64) WHERE seq = 29" &&
	test_must_fail --status=1 custody ledger verify --case g1 --since-verified >out &&
	test_grep "FAILED event #29: signature by Test Examiner does not verify" out &&
	test "$(jq -r .size "$(state_file)")" = 27 &&
	byhand_agrees 1 ledger g1
'

test_expect_success 'an event before the head rewritten and signed again with the handler key: refused' '
	cp -a case r1 &&
	sqlite3 r1/ledger.db "SELECT writefile(\"ev5.json\", canonical) FROM events WHERE seq = 5" >/dev/null &&
	sed "s/step 3/step 9/" ev5.json >ev5.forged && ! cmp -s ev5.json ev5.forged &&
	openssl pkeyutl -sign -inkey ada -rawin -in ev5.forged -out ev5.sig &&
	openssl pkeyutl -verify -pubin -inkey ada.pub -rawin -in ev5.forged -sigfile ev5.sig >/dev/null &&
	ledger_edit r1 "UPDATE events SET canonical = readfile(\"ev5.forged\"),
	    signature = readfile(\"ev5.sig\"), note = \"step 9\" WHERE seq = 5" &&
	test_must_fail --status=1 custody ledger verify --case r1 --since-verified >out &&
	test_grep "FAILED the ledger'"'"'s first 27 events are not the ones verified on" out &&
	test_grep "history was rewritten" out &&
	test "$(jq -r .size "$(state_file)")" = 27 &&
	test_must_fail --status=1 custody ledger verify --case r1 >out &&
	test_grep "FAILED event #6: does not chain to the tree head before it" out &&
	byhand_agrees 1 ledger r1
'

test_expect_success 'the stored tree head of the remembered size edited: refused' '
	cp -a case t1 &&
	ledger_edit t1 "UPDATE tree_heads SET frontier = zeroblob(length(frontier)) WHERE size = 27" &&
	test_must_fail --status=1 custody ledger verify --case t1 --since-verified >out &&
	test_grep "FAILED event #27: the cached tree head after this event differs from the recomputed one (its frontier)" out &&
	byhand_agrees 1 ledger t1 &&
	cp -a case t2 &&
	ledger_edit t2 "UPDATE tree_heads SET root = zeroblob(32) WHERE size = 3" &&
	test_must_fail --status=1 custody ledger verify --case t2 >out &&
	test_grep "FAILED event #3: the cached tree head after this event differs from the recomputed one (its root)" out &&
	byhand_agrees 1 ledger t2
'

test_expect_success 'events removed behind the remembered head: refused (a check without it cannot tell)' '
	cp -a case d1 &&
	ledger_edit d1 "DELETE FROM events WHERE seq > 20; DELETE FROM tree_heads WHERE size > 20" &&
	test_must_fail --status=1 custody ledger verify --case d1 --since-verified >out &&
	test_grep "FAILED 27 events were verified on" out &&
	test_grep "the ledger holds 20: events after #20 were removed" out &&
	test_grep "NOT VERIFIED: case INC-1: 1 problem" out &&
	custody ledger verify --case d1 >out &&
	test_grep "verified: case INC-1, 20 events" out &&
	byhand_agrees 0 ledger d1
'

test_expect_success 'a state file naming a root the case cannot prove consistency with: refused' '
	f=$(state_file) && cp "$f" state.good &&
	jq -c ".root = \"$(printf %064d 0)\"" state.good >"$f" &&
	test_must_fail --status=1 custody ledger verify --case case --since-verified >out &&
	test_grep "FAILED the ledger'"'"'s first 27 events are not the ones verified on" out &&
	jq -c ".size = 26" state.good >"$f" &&
	test_must_fail --status=1 custody ledger verify --case case --since-verified >out &&
	test_grep "history was rewritten" out &&
	jq -c ".size = 40" state.good >"$f" &&
	test_must_fail --status=1 custody ledger verify --case case --since-verified >out &&
	test_grep "40 events were verified on" out &&
	cp state.good "$f" && chmod 600 "$f" &&
	custody ledger verify --case case --since-verified >out
'

test_expect_success 'a state file damaged, of another case, or not the user'"'"'s own: exit 2, named' '
	f=$(state_file) && cp "$f" state.good &&
	echo "{not json" >"$f" &&
	test_must_fail --status=2 custody ledger verify --case case --since-verified 2>err &&
	test_grep "not JSON" err && test_grep "remove it to verify in full" err &&
	jq -c ".case_id = \"OTHER\"" state.good >"$f" &&
	test_must_fail --status=2 custody ledger verify --case case --since-verified 2>err &&
	test_grep "it is of another case" err &&
	jq -c ". + {\"extra\": 1}" state.good >"$f" &&
	test_must_fail --status=2 custody ledger verify --case case --since-verified 2>err &&
	test_grep "not a version 1 custody-ledger-verified state" err &&
	cp state.good "$f" && chmod 620 "$f" &&
	test_must_fail --status=2 custody ledger verify --case case --since-verified 2>err &&
	test_grep "writable by others: it is not trusted" err &&
	chmod 600 "$f" &&
	{ test "$(id -u)" != 0 || { chown 65534 "$f" &&
	  test_must_fail --status=2 custody ledger verify --case case --since-verified 2>err &&
	  test_grep "owned by another user" err; }; } &&
	rm -f "$f" && ln -s "$TEST_TMP/state.good" "$f" &&
	test_must_fail --status=2 custody ledger verify --case case --since-verified 2>err &&
	test_grep "$f" err &&
	rm -f "$f" && cp state.good "$f" && chmod 600 "$f" &&
	echo "{not json" >"$f" && custody ledger verify --case case >out &&
	test_grep "verified: case INC-1, 27 events" out
'

test_expect_success '--full --since-verified checks every event and remembers the head anew' '
	f=$(state_file) && echo "{not json" >"$f" &&
	custody ledger verify --case case --since-verified --full >out &&
	test_grep "remembered: 27 events" out && ! grep -q "were verified on" out &&
	test "$(jq -r .size "$f")" = 27 &&
	custody ledger verify --case case --since-verified >out &&
	test_grep "events 1 to 27 were verified on" out
'

test_expect_success 'a case with the same id but another first event does not use the state' '
	custody init other --case-id INC-1 --key ada >/dev/null &&
	custody ledger verify --case other --since-verified >out &&
	! grep -q "were verified on" out &&
	test "$(ls "$XDG_STATE_HOME"/custody/ledger-verified/*.json | wc -l)" = 2
'

test_expect_success 'problems across many batches checked on every core: the same, in event order, every run' '
	custody init many --case-id INC-2 --key ada >/dev/null &&
	custody collect --case many --key ada "$TEST_TMP/src" 2>/dev/null &&
	batch 1 3000 >b4 && custody ledger record --case many --key ada --batch b4 >/dev/null &&
	ledger_edit many "UPDATE events SET signature = zeroblob(64) WHERE seq IN (7, 1100, 2999);
	    UPDATE events SET note = \"edited\" WHERE seq = 2050" &&
	test_must_fail --status=1 custody ledger verify --case many >run1 &&
	test_must_fail --status=1 custody ledger verify --case many >run2 &&
	test_must_fail --status=1 custody ledger verify --case many >run3 &&
	cmp run1 run2 && cmp run1 run3 &&
	grep "^FAILED" run1 | sed "s/^FAILED event #\([0-9]*\):.*/\1/" >order &&
	test "$(cat order | tr "\n" " ")" = "7 1100 2050 2999 " &&
	test_grep "FAILED event #2050: field \"note\" differs from its signed form" run1 &&
	test_grep "NOT VERIFIED: case INC-2: 4 problems" run1 &&
	byhand_agrees 1 ledger many
'

test_done
