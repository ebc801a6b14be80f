#!/bin/sh
# The examiner's key stays home: collect seals with a one-time key made in
# memory, the examiner ingests the archive into the case with a signed
# event. Hostile twins: a wrong fingerprint, an archive changed in transit,
# the wrong case, a reused one-time key, a rerun; each refusal leaves the
# ledger byte for byte as it was.
. "$(dirname "$0")/lib.sh"

make_key ex
custody key generate --name "Lee Other" --role technician -o "$TEST_TMP/other" >/dev/null
custody key generate --name "Kim Known" --role forger -o "$TEST_TMP/known" >/dev/null
custody init "$TEST_TMP/case" --case-id IR-9 --key "$TEST_TMP/ex" >/dev/null
custody init "$TEST_TMP/elsewhere" --case-id IR-8 --key "$TEST_TMP/ex" >/dev/null
mkdir "$TEST_TMP/src" && echo "auth log" >"$TEST_TMP/src/auth.log" &&
    echo "second host" >"$TEST_TMP/src2" && echo "third" >"$TEST_TMP/src3"

# The fingerprint as the collect line prints it, in groups (from file $1).
noted() {
	sed -n 's/^custody collect: one-time key fingerprint \([0-9a-f ]*\) (write it down.*/\1/p' "$1"
}

# The seal's member $2 (a jq path) of archive $1.
seal_field() {
	tar -xOf "$1" custody/seal.json | jq -r "$2"
}

# The PEM public key the seal of archive $1 carries, to $2.
seal_pubkey() {
	seal_field "$1" .collector.public_key | base64 -d >"$2.raw" &&
	{ printf '\060\052\060\005\006\003\053\145\160\003\041\000' && cat "$2.raw"; } >"$2.der" &&
	openssl pkey -pubin -inform DER -in "$2.der" -out "$2"
}

# Reseal extracted archive $1 with private key $2 as a one-time key, packed as $3.
reseal_one_time() {
	openssl pkey -in "$2" -pubout -outform DER | tail -c 32 >"$1.raw" &&
	python3 - "$1/custody/seal.json" "$1.raw" <<-'EOF' &&
	import base64, hashlib, json, sys
	seal = json.load(open(sys.argv[1]))
	raw = open(sys.argv[2], "rb").read()
	seal["collector"] = {"fingerprint": hashlib.sha256(raw).hexdigest(),
	    "public_key": base64.b64encode(raw).decode(), "one_time": True}
	open(sys.argv[1], "w").write(json.dumps(seal, indent=2) + "\n")
	EOF
	openssl pkeyutl -sign -rawin -inkey "$2" -in "$1/custody/seal.json" \
	    -out "$1/custody/seal.sig" && retar "$1" "$3"
}

test_expect_success 'collect without --key seals with a one-time key and prints its fingerprint' '
	mkdir out && custody collect --case-id IR-9 -o out/a.tar.zst "$TEST_TMP/src" 2>err &&
	test "$(grep -c "one-time key fingerprint" err)" = 1 &&
	fp=$(noted err | tr -d " ") && test ${#fp} = 64 &&
	test "$(seal_field out/a.tar.zst .collector.one_time)" = true &&
	test "$(seal_field out/a.tar.zst .collector.fingerprint)" = "$fp" &&
	test "$(seal_field out/a.tar.zst ".collector | has(\"name\")")" = false &&
	tar -xOf out/a.tar.zst custody/manifest.jsonl | head -1 | jq -e \
	    ".examiner == {\"fingerprint\": \"$fp\", \"one_time\": true}" >/dev/null &&
	tar -xOf out/a.tar.zst custody/collection.log >log &&
	test_grep "sealed with one-time key $fp" log &&
	test "$(ls -A out | tr "\n" " ")" = "a.tar.zst a.tar.zst.sha256 "
'

test_expect_success 'the one-time key is written nowhere: no file holds a private key' '
	! grep -rl "PRIVATE KEY" out && ! tar -xOf out/a.tar.zst | grep -q "PRIVATE KEY"
'

test_expect_success '--ephemeral is the same (the fingerprint even with --quiet); --ephemeral with --key, or a passphrase without a key, is refused' '
	custody collect --ephemeral --quiet --case-id IR-9 -o out/b.tar.zst "$TEST_TMP/src" 2>err &&
	test_grep "one-time key fingerprint" err && test "$(wc -l <err)" = 1 &&
	test_must_fail --status=2 custody collect --ephemeral --key ex -o out/c.tar.zst \
	    "$TEST_TMP/src" 2>err && test_grep "takes no --key" err &&
	test_must_fail --status=2 custody collect --passphrase-file /dev/null \
	    -o out/c.tar.zst "$TEST_TMP/src" 2>err && test_grep "passphrase of --key" err &&
	! test -e out/c.tar.zst
'

test_expect_success '--case (or CUSTODY_CASE) without --key is refused: nothing written or recorded' '
	sha256sum case/ledger.db >before &&
	test_must_fail --status=2 custody collect --case case "$TEST_TMP/src" 2>err &&
	test_grep "needs --key" err && test_grep "custody ledger ingest" err &&
	CUSTODY_CASE=$TEST_TMP/case test_must_fail --status=2 custody collect \
	    -o out/d.tar.zst "$TEST_TMP/src" 2>err &&
	test_grep "(from CUSTODY_CASE) needs --key" err &&
	! test -e out/d.tar.zst && test -z "$(archive_in case)" && sha256sum -c before
'

test_expect_success 'collect --json gives the one-time fingerprint in the summary' '
	custody collect --json --case-id IR-9 -o out/j.tar.zst "$TEST_TMP/src" >sum 2>err &&
	test "$(jq -r .one_time_key_fingerprint sum)" = \
	    "$(seal_field out/j.tar.zst .collector.fingerprint)" &&
	! grep -q "one-time key fingerprint" err
'

test_expect_success 'verify without --case: intact, not authenticated (3), naming the one-time key' '
	fp=$(seal_field out/a.tar.zst .collector.fingerprint) &&
	test_must_fail --status=3 custody verify out/a.tar.zst >out.txt &&
	test_grep "sealed with the one-time key $fp" out.txt &&
	test_grep "NOT AUTHENTICATED" out.txt &&
	seal_pubkey out/a.tar.zst onetime.pub &&
	custody verify --key onetime.pub out/a.tar.zst >/dev/null &&
	byhand_agrees 0 archive out/a.tar.zst onetime.pub
'

test_expect_success 'verify --fingerprint checks the paper note: match 0, other 1, malformed 2' '
	fp=$(seal_field out/a.tar.zst .collector.fingerprint) &&
	custody verify --fingerprint "$(echo $fp | cut -c1-32)" out/a.tar.zst >out.txt &&
	test_grep "sealed by the key whose fingerprint was given" out.txt &&
	other=$(seal_field out/b.tar.zst .collector.fingerprint) &&
	test_must_fail --status=1 custody verify --fingerprint "$other" out/a.tar.zst >out.txt &&
	test_grep "not by the key whose fingerprint was given" out.txt &&
	test_must_fail --status=2 custody verify --fingerprint 1234abcd out/a.tar.zst 2>err &&
	test_grep "at least 32 are needed" err &&
	test_must_fail --status=2 custody verify --fingerprint "xyz$fp" out/a.tar.zst 2>err &&
	test_grep "not hexadecimal digits" err &&
	test_must_fail --status=2 custody verify --fingerprint "$fp" --case case \
	    out/a.tar.zst 2>err && test_grep "trust anchor itself" err
'

test_expect_success 'the streamed path: collect -o - > x.tar.zst, then ingest with the noted fingerprint' '
	custody collect --case-id IR-9 -o - "$TEST_TMP/src" >x.tar.zst 2>err &&
	noted err >paper &&
	custody ledger ingest --case case --key ex --fingerprint "$(cat paper)" \
	    --from "Sam Tech (night shift)" --location "Lab 2, bench 4" x.tar.zst >out.txt &&
	test_grep "ingested x.tar.zst into case IR-9 as E001 (#2)" out.txt &&
	test_grep "the fingerprint written down" out.txt &&
	test "$(sqlite3 case/ledger.db "SELECT archive_name FROM artifacts")" = x.tar.zst &&
	test "$(sqlite3 case/ledger.db "SELECT archive_path FROM artifacts")" = "$TEST_TMP/x.tar.zst" &&
	custody ledger log --case case >log &&
	test_grep "E001 ingested by Test Examiner (examiner, Test Org): x.tar.zst" log &&
	test_grep "received from Sam Tech (night shift)" log && test_grep "at: Lab 2, bench 4" log &&
	! grep -q "\"-\"" log
'

test_expect_success 'the ingest event signs the archive, the seal and the one-time key' '
	sqlite3 case/ledger.db "SELECT canonical FROM events WHERE seq = 2" >ev.json &&
	jq -e ".action == \"ingested\" and .artifact == \"E001\" and
	    .details.archive_name == \"x.tar.zst\" and
	    .details.seal_key_kind == \"one-time\" and
	    .details.seal_key == \"$(seal_field x.tar.zst .collector.fingerprint)\" and
	    .details.seal_public_key == \"$(seal_field x.tar.zst .collector.public_key)\" and
	    .details.noted_fingerprint == \"$(tr -d " " <paper)\" and
	    .details.collected_at == \"$(seal_field x.tar.zst .started)\" and
	    .details.collection_ended == \"$(seal_field x.tar.zst .finished)\" and
	    .details.seal_evidence_id == \"E001\" and
	    .details.received_from == \"Sam Tech (night shift)\" and
	    .details.archive_sha256 == \"$(sha256sum <x.tar.zst | cut -c1-64)\"" ev.json >/dev/null
'

test_expect_success 'verify --case checks the ingested archive with the key the event recorded' '
	custody verify --case case x.tar.zst >out.txt &&
	test_grep "recorded in case IR-9 as E001; sealed by the one-time key its signed ingest event records" out.txt &&
	custody ledger verify --case case >/dev/null && byhand_agrees 0 ledger case &&
	seal_pubkey x.tar.zst x.pub && byhand_agrees 0 archive x.tar.zst x.pub &&
	custody audit --case case >out.txt && test_grep "0 findings" out.txt &&
	custody ledger export --case case --format html -o page.html &&
	check_html page.html && test_grep "x.tar.zst" page.html &&
	! grep -q "NOT VERIFIED" page.html &&
	custody ledger export --case case --format json -o page.json &&
	jq -e ".events[1].action == \"ingested\"" page.json >/dev/null
'

test_expect_success 'the same archive again is a safe rerun: already there as E001, nothing new' '
	sha256sum case/ledger.db >before &&
	custody ledger ingest --case case --key ex x.tar.zst >out.txt &&
	test_grep "already recorded in case IR-9 as E001" out.txt &&
	test_grep "nothing new recorded" out.txt && sha256sum -c before
'

test_expect_success 'a wrong fingerprint is refused (1), nothing recorded' '
	custody collect --case-id IR-9 -o - "$TEST_TMP/src2" >y.tar.zst 2>err &&
	sha256sum case/ledger.db >before &&
	wrong=$(seal_field out/a.tar.zst .collector.fingerprint) &&
	test_must_fail --status=1 custody ledger ingest --case case --key ex \
	    --fingerprint "$wrong" y.tar.zst 2>err &&
	test_grep "not by the key whose fingerprint was written down" err &&
	test_grep "nothing recorded" err && sha256sum -c before
'

test_expect_success 'an archive changed in transit (one byte, truncated) is refused (1), nothing recorded' '
	sha256sum case/ledger.db >before &&
	size=$(stat -c %s y.tar.zst) &&
	cp y.tar.zst flipped.tar.zst &&
	printf "\\377" | dd of=flipped.tar.zst bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null &&
	! cmp -s y.tar.zst flipped.tar.zst &&
	test_must_fail --status=1 custody ledger ingest --case case --key ex flipped.tar.zst >out.txt 2>err &&
	test_grep "does not verify" err && test_grep "nothing recorded" err &&
	test_grep "FAILED" out.txt && sha256sum -c before &&
	seal_pubkey y.tar.zst y.pub &&
	test_must_fail --status=1 custody verify --key y.pub flipped.tar.zst >/dev/null &&
	byhand_agrees 1 archive flipped.tar.zst y.pub &&
	head -c $((size - 100)) y.tar.zst >short.tar.zst &&
	test_must_fail --status=1 custody ledger ingest --case case --key ex short.tar.zst >out.txt 2>err &&
	test_grep "does not verify" err && sha256sum -c before &&
	test_must_fail --status=1 custody verify --key y.pub short.tar.zst >/dev/null &&
	byhand_agrees 1 archive short.tar.zst y.pub
'

test_expect_success 'an archive resealed in transit with another one-time key fails the fingerprint (1)' '
	extract y.tar.zst yx && reseal_one_time yx known resealed.tar.zst &&
	openssl pkey -in known -pubout -out known.pem &&
	custody verify --key known.pem resealed.tar.zst >/dev/null &&
	byhand_agrees 0 archive resealed.tar.zst known.pem &&
	sha256sum case/ledger.db >before &&
	test_must_fail --status=1 custody ledger ingest --case case --key ex \
	    --fingerprint "$(seal_field y.tar.zst .collector.fingerprint)" resealed.tar.zst 2>err &&
	test_grep "not by the key whose fingerprint was written down" err &&
	sha256sum -c before
'

test_expect_success 'an archive sealed for another case is refused (2), nothing recorded' '
	sha256sum elsewhere/ledger.db >before &&
	test_must_fail --status=2 custody ledger ingest --case elsewhere --key ex y.tar.zst 2>err &&
	test_grep "sealed for case IR-9, but elsewhere is case IR-8" err &&
	test_grep "nothing recorded" err && sha256sum -c before &&
	test_must_fail --status=2 custody verify --case elsewhere x.tar.zst >/dev/null 2>err &&
	test_grep "sealed for case IR-9" err
'

test_expect_success 'a second archive sealed with the same one-time key is refused (1)' '
	extract y.tar.zst ry1 && reseal_one_time ry1 known reused1.tar.zst &&
	custody collect --case-id IR-9 -o - "$TEST_TMP/src3" >z.tar.zst 2>/dev/null &&
	extract z.tar.zst ry2 && reseal_one_time ry2 known reused2.tar.zst &&
	byhand_agrees 0 archive reused1.tar.zst known.pem &&
	byhand_agrees 0 archive reused2.tar.zst known.pem &&
	custody ledger ingest --case case --key ex reused1.tar.zst >out.txt 2>err &&
	test_grep "as E002" out.txt && test_grep "the seal calls it E001" out.txt &&
	test_grep "no --fingerprint was given" err &&
	sha256sum case/ledger.db >before &&
	test_must_fail --status=1 custody ledger ingest --case case --key ex reused2.tar.zst 2>err &&
	test_grep "which already sealed E002 (#4) in case IR-9" err &&
	test_grep "a one-time key seals one archive only" err &&
	test_grep "nothing recorded" err && sha256sum -c before &&
	custody ledger verify --case case >/dev/null && byhand_agrees 0 ledger case
'

test_expect_success 'an archive sealed with a registered long-term key is ingested too' '
	custody collect --key ex --case-id IR-9 --evidence-id E777 -o long.tar.zst \
	    "$TEST_TMP/src3" 2>/dev/null &&
	custody ledger ingest --case case --key ex --name "host-b.tar.zst" long.tar.zst >out.txt &&
	test_grep "as E777" out.txt && test_grep "with the registered key" out.txt &&
	test "$(sqlite3 case/ledger.db "SELECT archive_name FROM artifacts WHERE evidence_id = \"E777\"")" = host-b.tar.zst &&
	custody verify --case case long.tar.zst >out.txt &&
	test_grep "sealed by the registered key its signed ingest event records" out.txt &&
	custody ledger verify --case case >/dev/null && byhand_agrees 0 ledger case
'

test_expect_success 'an archive sealed by a long-term key the case does not know is refused (2)' '
	custody collect --key other --case-id IR-9 -o stranger.tar.zst "$TEST_TMP/src3" 2>/dev/null &&
	sha256sum case/ledger.db >before &&
	test_must_fail --status=2 custody ledger ingest --case case --key ex stranger.tar.zst 2>err &&
	test_grep "not a one-time key and not registered in case IR-9" err &&
	sha256sum -c before
'

test_expect_success 'ingest refuses bad arguments (2) before reading anything' '
	sha256sum case/ledger.db >before &&
	test_must_fail --status=2 custody ledger ingest --case case --key ex - <y.tar.zst 2>err &&
	test_grep "needs the archive as a file" err &&
	test_must_fail --status=2 custody ledger ingest --case case y.tar.zst 2>err &&
	test_grep "the examiner signs the ingest" err &&
	test_must_fail --status=2 custody ledger ingest --case case --key ex --name a/b y.tar.zst 2>err &&
	test_grep "must be a file name" err &&
	test_must_fail --status=2 custody ledger ingest --case case --key ex --fingerprint 12 y.tar.zst 2>err &&
	test_grep "at least 32 are needed" err &&
	test_must_fail --status=2 custody ledger ingest --case case --key other y.tar.zst 2>err &&
	test_grep "not registered" err &&
	test_must_fail --status=2 custody ledger ingest --key ex y.tar.zst 2>err &&
	test_grep "no case" err &&
	test_must_fail --status=2 custody ledger ingest --case case --key ex missing.tar.zst 2>err &&
	sha256sum -c before
'

test_expect_success 'an ingested artifact row edited with the sqlite3 shell is named (1), by hand too' '
	cp -r case c2 &&
	ledger_edit c2 "UPDATE artifacts SET host = \"elsewhere\" WHERE evidence_id = \"E001\"" &&
	test_must_fail --status=1 custody ledger verify --case c2 >out.txt &&
	test_grep "artifact record it describes differs from its signed form: column \"host\"" out.txt &&
	byhand_agrees 1 ledger c2 &&
	test_must_fail --status=1 custody verify --case c2 x.tar.zst >/dev/null
'

test_expect_success 'an ingested event whose details were changed (re-signed by nobody) is named (1)' '
	cp -r case c3 &&
	ledger_edit c3 "UPDATE events SET canonical = CAST(replace(CAST(canonical AS TEXT), \"one-time\", \"registered\") AS BLOB) WHERE seq = 2" &&
	test_must_fail --status=1 custody ledger verify --case c3 >out.txt &&
	byhand_agrees 1 ledger c3
'

test_done
