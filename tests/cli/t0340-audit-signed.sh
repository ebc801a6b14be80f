#!/bin/sh
# custody audit on ledgers whose every event is validly signed, yet whose
# custody story is wrong: custody ledger verify passes (exit 0, and the
# by-hand verifier agrees), custody audit names the anomaly (exit 1). The
# anomalies are made as a real ledger would get them: with custody's own
# commands where they allow it, under a clock set back with faketime, and
# otherwise by a handler holding a registered key who signs an event that
# custody's commands would refuse to write (tests/cli/sign-event.py, which
# appends it canonically serialized, chained and signed, with its tree head).
# Where verify refuses an anomaly by design, the test says so and checks
# that verify names it.
. "$(dirname "$0")/lib.sh"

custody key generate --name "Alice Examiner" --role examiner --org "Lab, Inc" \
    -o "$TEST_TMP/k1" >/dev/null
custody key generate --name "Bob Analyst" --role analyst -o "$TEST_TMP/k2" >/dev/null
# Carol's key is never registered in the case.
custody key generate --name "Carol Outsider" --role visitor -o "$TEST_TMP/k3" >/dev/null

ALICE="Alice Examiner (examiner, Lab, Inc)"
BOB="Bob Analyst (analyst)"
FP1=$(sed -n 's/^Fingerprint: //p' "$TEST_TMP/k1")
FP3=$(sed -n 's/^Fingerprint: //p' "$TEST_TMP/k3")

# Append to case $1 an event signed with key $2: the JSON members $3.
sign_event() {
	python3 "$SRCDIR/tests/cli/sign-event.py" "$1" "$2" "$3" >/dev/null
}

# Copy the case $1 to $2 (custody's own files, as a copied case).
copy_case() {
	cp -a "$1" "$2"
}

# Case $1 verifies: every event is signed and chained, custody and the
# by-hand verifier agree.
signed_ok() {
	custody ledger verify --case "$1" >vout &&
	test_grep "verified: case C1, $2 events" vout &&
	byhand_agrees 0 ledger "$1"
}

# The audit of the verified case $1 ($2 events) fails with exit 1, prints
# FINDING line $3 and no warning that the ledger does not verify.
signed_finds() {
	signed_ok "$1" "$2" &&
	test_must_fail --status=1 custody audit --case "$1" >out &&
	test_grep "$3" out &&
	! grep -q "NOT VERIFIED" out
}

# Case $1 does not verify, and verify names problem $2 (the anomaly cannot
# be signed validly); the audit still exits 1, the warning first.
verify_refuses() {
	test_must_fail --status=1 custody ledger verify --case "$1" >vout 2>verr &&
	test_grep "$2" vout &&
	byhand_agrees 1 ledger "$1" &&
	test_must_fail --status=1 custody audit --case "$1" >out &&
	head -n 1 out | grep -q "^\*\*\* NOT VERIFIED"
}

test_expect_success 'setup: a case with a collection, a hand-over and an analysis' '
	custody init case --case-id C1 --key k1 >/dev/null &&
	custody key register k2.pub --case case --key k1 >/dev/null &&
	mkdir src && echo evidence >src/a &&
	custody collect --case case --key k1 --location "Server room" \
	    "$TEST_TMP/src" 2>/dev/null &&
	custody ledger release --case case --key k1 --artifact E001 --to "Bob Analyst" >/dev/null &&
	custody ledger receive --case case --key k2 --artifact E001 >/dev/null &&
	custody ledger record --case case --key k2 --artifact E001 --action analysed >/dev/null &&
	signed_ok case 6 &&
	custody audit --case case >out &&
	test_grep "audit: case C1: 6 events, 1 artifacts, 0 findings" out
'

test_expect_success 'the helper signs as custody does: a valid event audits clean, custody appends after it' '
	copy_case case h1 &&
	sign_event h1 k2 "{\"action\":\"stored\",\"artifact\":\"E001\",\"note\":\"caf\\u00e9 \\\\u00e9 \\ud83d\\ude00\"}" &&
	custody ledger record --case h1 --key k2 --artifact E001 --action verified >/dev/null &&
	signed_ok h1 8 &&
	custody audit --case h1 >out &&
	test_grep "8 events, 1 artifacts, 0 findings" out &&
	sqlite3 h1/ledger.db "SELECT canonical FROM events WHERE seq = 7" >canon &&
	grep -F "\"note\":\"caf\\u00E9 \\\\u00e9 \\uD83D\\uDE00\"" canon
'

test_expect_success '(a) custody ledger record by someone who does not hold it' '
	copy_case case a1 &&
	custody ledger record --case a1 --key k1 --artifact E001 --action accessed >/dev/null &&
	signed_finds a1 7 "FINDING E001 #7: accessed by $ALICE, who did not hold it (held by $BOB)" &&
	test_grep "7 events, 1 artifacts, 1 findings" out
'

test_expect_success '(a) a release signed by someone who does not hold it' '
	copy_case case a2 &&
	sign_event a2 k1 "{\"action\":\"released\",\"artifact\":\"E001\",\"counterpart\":\"$FP1\"}" &&
	signed_finds a2 7 "FINDING E001 #7: released by $ALICE, who did not hold it (held by $BOB)"
'

test_expect_success '(a) an action before the artifact was collected' '
	copy_case case a3 &&
	sign_event a3 k1 "{\"action\":\"accessed\",\"artifact\":\"E002\"}" &&
	custody collect --case a3 --key k1 --location "Server room" \
	    "$TEST_TMP/src" 2>/dev/null &&
	test "$(sqlite3 a3/ledger.db "SELECT artifact FROM events WHERE seq = 8")" = E002 &&
	signed_finds a3 8 "FINDING E002 #7: accessed by $ALICE before the artifact was collected" &&
	test_grep "8 events, 2 artifacts, 1 findings" out
'

test_expect_success '(b) custody ledger release never received' '
	copy_case case b1 &&
	custody ledger release --case b1 --key k2 --artifact E001 --to "Alice Examiner" >/dev/null &&
	signed_finds b1 7 "FINDING E001 #7: released to $ALICE, never received" &&
	test_grep "1 findings" out
'

test_expect_success '(b) a second release while the first waits, and a receipt of the replaced one' '
	copy_case b1 b2 &&
	sign_event b2 k2 "{\"action\":\"released\",\"artifact\":\"E001\",\"counterpart\":\"$FP1\"}" &&
	signed_finds b2 8 "FINDING E001 #8: released while release #7 was still waiting to be received" &&
	sign_event b2 k1 "{\"action\":\"received\",\"artifact\":\"E001\",\"refers\":7}" &&
	signed_finds b2 9 "FINDING E001 #9: received by $ALICE: release #7 was replaced by release #8" &&
	test_grep "FINDING E001 #8: released to $ALICE, never received" out
'

test_expect_success '(b) a release that names no receiver' '
	copy_case case b3 &&
	sign_event b3 k2 "{\"action\":\"released\",\"artifact\":\"E001\"}" &&
	signed_finds b3 7 "FINDING E001 #7: release names no receiver" &&
	test_grep "1 findings" out
'

test_expect_success '(c) a receipt that names no release' '
	copy_case case c1 &&
	sign_event c1 k2 "{\"action\":\"received\",\"artifact\":\"E001\"}" &&
	signed_finds c1 7 "FINDING E001 #7: received by $BOB: receipt names no release"
'

test_expect_success '(c) a receipt naming an event that is not a release, itself, a later one' '
	copy_case case c2 &&
	sign_event c2 k2 "{\"action\":\"received\",\"artifact\":\"E001\",\"refers\":3}" &&
	sign_event c2 k2 "{\"action\":\"received\",\"artifact\":\"E001\",\"refers\":8}" &&
	sign_event c2 k2 "{\"action\":\"received\",\"artifact\":\"E001\",\"refers\":10}" &&
	signed_finds c2 9 "FINDING E001 #7: received by $BOB: receipt names #3, which is not an earlier release" &&
	test_grep "FINDING E001 #8: received by $BOB: receipt names #8, which is not an earlier release" out &&
	test_grep "FINDING E001 #9: received by $BOB: receipt names #10, which is not an earlier release" out
'

test_expect_success '(c) a receipt naming the release of another artifact' '
	copy_case case c3 &&
	custody collect --case c3 --key k1 --location "Server room" \
	    "$TEST_TMP/src" 2>/dev/null &&
	custody ledger release --case c3 --key k1 --artifact E002 --to "Bob Analyst" >/dev/null &&
	sign_event c3 k2 "{\"action\":\"received\",\"artifact\":\"E001\",\"refers\":8}" &&
	signed_finds c3 9 "FINDING E001 #9: received by $BOB: receipt names release #8, which is of E002" &&
	test_grep "FINDING E002 #8: released to $BOB, never received" out
'

test_expect_success '(c) a release received twice' '
	copy_case case c4 &&
	sign_event c4 k2 "{\"action\":\"received\",\"artifact\":\"E001\",\"refers\":4}" &&
	signed_finds c4 7 "FINDING E001 #7: received by $BOB: release #4 was already received at #5" &&
	test_grep "1 findings" out
'

test_expect_success '(c) a receipt by someone the release did not name' '
	copy_case b1 c5 &&
	sign_event c5 k2 "{\"action\":\"received\",\"artifact\":\"E001\",\"refers\":7}" &&
	signed_finds c5 8 "FINDING E001 #8: received by $BOB: received by someone release #7 did not name (it was to $ALICE)" &&
	test_grep "FINDING E001 #7: released to $ALICE, never received" out
'

# faketime (libfaketime) sets the clock custody reads; under sanitizers the
# preloaded library must be allowed to come before the sanitizer runtime.
backwards() {
	TZ=UTC ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    faketime -f "2020-01-01 00:00:00" "$CUSTODY" "$@"
}

if command -v faketime >/dev/null; then
test_expect_success '(d) an event recorded by a clock set back: the time runs backwards' '
	copy_case case d1 &&
	backwards ledger record --case d1 --key k2 --artifact E001 --action stored >/dev/null &&
	test "$(sqlite3 d1/ledger.db "SELECT at FROM events WHERE seq = 7")" = \
	    2020-01-01T00:00:00.000000000Z &&
	t6=$(sqlite3 d1/ledger.db "SELECT at FROM events WHERE seq = 6") &&
	signed_finds d1 7 "FINDING E001 #7: time 2020-01-01T00:00:00.000000000Z is earlier than that of the previous event #6 ($t6)" &&
	test_grep "1 findings" out
'
else
test_skip '(d) an event recorded by a clock set back' 'faketime is not installed'
fi

# Times out of custody's format, or of its shape but naming no real day or
# time of day; the last one exists (2400 is a leap year) and is no finding.
test_expect_success '(d) times not written as custody writes them, or that do not exist' '
	copy_case case d2 &&
	for t in "2099-01-01 10:00:00" 2099-01-01T11:00:00.000000000+01:00 \
	    2026-02-29T10:00:00.000000000Z 2099-12-01T24:00:00.000000000Z \
	    2100-02-29T00:00:00.000000000Z 2099-04-31T00:00:00.000000000Z \
	    2099-00-10T00:00:00.000000000Z 2099-01-01T00:60:00.000000000Z \
	    2400-02-29T23:59:59.999999999Z
	do
		sign_event d2 k2 "{\"action\":\"stored\",\"artifact\":\"E001\",\"time\":\"$t\"}" ||
		return 1
	done &&
	signed_finds d2 15 "FINDING E001 #7: time \"2099-01-01 10:00:00\" is not UTC ISO-8601 as custody writes it" &&
	test_grep "FINDING E001 #8: time \"2099-01-01T11:00:00.000000000+01:00\" is not UTC ISO-8601 as custody writes it" out &&
	test_grep "FINDING E001 #9: time \"2026-02-29T10:00:00.000000000Z\" is not" out &&
	test_grep "FINDING E001 #10: time \"2099-12-01T24:00:00.000000000Z\" is not" out &&
	test_grep "FINDING E001 #11: time \"2100-02-29T00:00:00.000000000Z\" is not" out &&
	test_grep "FINDING E001 #12: time \"2099-04-31T00:00:00.000000000Z\" is not" out &&
	test_grep "FINDING E001 #13: time \"2099-00-10T00:00:00.000000000Z\" is not" out &&
	test_grep "FINDING E001 #14: time \"2099-01-01T00:60:00.000000000Z\" is not" out &&
	test_grep "15 events, 1 artifacts, 8 findings" out
'

# A signer must be a registered handler: verify checks each signature with
# the key its handlers row holds, so an event signed by an unregistered key
# cannot verify. Verify names it; the audit, on the signed events, too.
test_expect_success '(f) an event signed by a key that is not registered: verify refuses it by design' '
	copy_case case f1 &&
	sign_event f1 k3 "{\"action\":\"accessed\",\"artifact\":\"E001\"}" &&
	verify_refuses f1 "FAILED event #7: signed by key $(echo "$FP3" | cut -c1-16), which is not registered in the case" &&
	test_grep "FINDING E001 #7: accessed event signed by key $FP3, which is not registered" out
'

test_expect_success '(f) a release to a key that is not registered' '
	copy_case case f2 &&
	sign_event f2 k2 "{\"action\":\"released\",\"artifact\":\"E001\",\"counterpart\":\"$FP3\"}" &&
	signed_finds f2 7 "FINDING E001 #7: released names key $FP3, which is not registered" &&
	test_grep "FINDING E001 #7: released to unregistered key $(echo "$FP3" | cut -c1-16), never received" out
'

test_expect_success '(g) an event about an artifact that is not recorded' '
	copy_case case g1 &&
	sign_event g1 k2 "{\"action\":\"accessed\",\"artifact\":\"E999\"}" &&
	signed_finds g1 7 "FINDING E999 #7: accessed event about an artifact that is not recorded" &&
	test_grep "1 findings" out
'

test_expect_success '(g) an action that names no artifact' '
	copy_case case g2 &&
	sign_event g2 k2 "{\"action\":\"analysed\"}" &&
	signed_finds g2 7 "FINDING - #7: analysed event names no artifact"
'

test_expect_success '(g) an action custody does not know' '
	copy_case case g3 &&
	sign_event g3 k2 "{\"action\":\"destroyed\",\"artifact\":\"E001\"}" &&
	signed_finds g3 7 "FINDING E001 #7: unknown action \"destroyed\""
'

test_expect_success '(g) a collection signed by someone else than the collector it records' '
	copy_case case g4 &&
	echo other >g4/other.tar &&
	sha=$(sha256sum g4/other.tar | cut -d" " -f1) &&
	size=$(wc -c <g4/other.tar) &&
	at=2026-01-01T00:00:00.000000000Z &&
	root=$(printf x | sha256sum | cut -d" " -f1) &&
	details="\"archive_name\":\"other.tar\",\"archive_sha256\":\"$sha\",\"archive_size\":$size,\"collected_at\":\"$at\",\"collected_by\":\"$FP1\",\"host\":\"vm\",\"merkle_root\":\"$root\"" &&
	sign_event g4 k2 "{\"action\":\"collected\",\"artifact\":\"E002\",\"details\":{$details},
	    \"artifact_row\":{\"evidence_id\":\"E002\",\"archive_path\":\"\",$details}}" &&
	signed_finds g4 7 "FINDING E002 #7: collected by $BOB, but the artifact records $ALICE as its collector" &&
	test_grep "2 artifacts, 1 findings" out
'

# An artifact is described by exactly one collected event: verify refuses
# a second collection, and an artifact row without one, by design.
test_expect_success '(g) a second collection of an artifact: verify refuses it by design' '
	copy_case case g5 &&
	details=$(sqlite3 g5/ledger.db "SELECT canonical FROM events WHERE seq = 3" |
	    jq -c .details) &&
	sign_event g5 k1 "{\"action\":\"collected\",\"artifact\":\"E001\",\"details\":$details}" &&
	verify_refuses g5 "FAILED event #7: collected E001 again (first at #3)" &&
	test_grep "FINDING E001 #7: collected again (first collected at #3)" out
'

test_expect_success '(g) a second registration of a key: verify refuses it by design' '
	copy_case case g7 &&
	details=$(sqlite3 g7/ledger.db "SELECT canonical FROM events WHERE seq = 2" |
	    jq -c .details) &&
	fp2=$(sqlite3 g7/ledger.db "SELECT counterpart FROM events WHERE seq = 2") &&
	sign_event g7 k1 "{\"action\":\"registered\",\"counterpart\":\"$fp2\",\"details\":$details}" &&
	verify_refuses g7 "FAILED event #7: registered $fp2 again (first at #2)" &&
	test_grep "registered $fp2 again (first at #2)" byhand.out
'

test_expect_success '(g) a signed refers of 0, which names no event: verify refuses it' '
	copy_case case g8 &&
	sign_event g8 k2 "{\"action\":\"analysed\",\"artifact\":\"E001\",\"refers\":0}" &&
	verify_refuses g8 "FAILED event #7: its signed bytes are not a canonical event: a number is out of range" &&
	test_grep "a number is out of range" byhand.out
'

test_expect_success '(g) an artifact no collected event records: verify refuses it by design' '
	copy_case case g6 &&
	sqlite3 g6/ledger.db "INSERT INTO artifacts SELECT '\''E002'\'', archive_name,
	    archive_path, '\''00'\'' || archive_sha256, archive_size, merkle_root, host,
	    collected_at, collected_by FROM artifacts WHERE evidence_id = '\''E001'\''" &&
	verify_refuses g6 "FAILED artifact E002 has no collection event" &&
	test_grep "FINDING E002 #-: no collected event records this artifact" out
'

test_expect_success '(e) the archive changed on a ledger that verifies' '
	copy_case case e1 &&
	sqlite3 e1/ledger.db "SELECT archive_name FROM artifacts" >name &&
	a=e1/$(cat name) &&
	printf CHANGED! | dd of="$a" bs=1 seek=100 conv=notrunc 2>/dev/null &&
	signed_finds e1 6 "FINDING E001 #3: archive $a has SHA-256 $(sha256sum "$a" | cut -d" " -f1), not the" &&
	test_grep "1 findings" out
'

test_done
