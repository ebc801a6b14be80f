#!/bin/sh
# Types off the host: the default collection types nothing and says so;
# --types types on the host as file --mime-type does; the examiner's
# verify --types-out writes a signed types record bound to the archive's
# Merkle root, which verifies with custody and with openssl; ingest keeps
# one in the case behind a signed typed event. Hostile twins: a record of
# another archive, an edited type, a dropped or duplicated member, another
# key, a truncated record, a missing signature: each exit 1, named.
. "$(dirname "$0")/lib.sh"

make_key key
custody key generate --name "Other Person" --role examiner -o "$TEST_TMP/other" >/dev/null

# Sign record $1 again with private key $2, as someone holding that key could.
resign() {
	openssl pkeyutl -sign -rawin -inkey "$2" -in "$1" -out "$1.sig"
}

# The members of record $1 as "path mime" lines, sorted.
record_types() {
	grep '"type":"member"' "$1" | jq -r '.path + " " + .mime' | LC_ALL=C sort
}

# The types manifest $1 (extracted) records, as "path mime" lines, sorted.
manifest_types() {
	jq -r 'select(.type == "entry" and has("mime")) | .path + " " + .mime' \
	    "$1/custody/manifest.jsonl" | LC_ALL=C sort
}

# Record $1 with its trailer's count set to the member lines it holds.
recount() {
	n=$(grep -c '"type":"member"' "$1") &&
	sed -i "s/^{\"members\":[0-9]*,\"type\":\"trailer\"}\$/{\"members\":$n,\"type\":\"trailer\"}/" "$1"
}

test_expect_success 'setup: a tree of text, script, ELF, gzip, PNG and empty files' '
	mkdir ty &&
	printf "plain words\n" >ty/a.txt &&
	printf "#!/bin/sh\necho hi\n" >ty/b.sh &&
	cp "$CUSTODY" ty/c.elf &&
	echo hello | gzip >ty/d.gz &&
	printf "\211PNG\r\n\032\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\10\6\0\0\0\37\25\304\211" >ty/e.png &&
	: >ty/f.empty &&
	mkdir elsewhere && echo "another host" >elsewhere/x.txt
'

test_expect_success 'the default collection types nothing on the host and says so in the header' '
	custody collect --key key -o d.tar.zst "$TEST_TMP/ty" 2>/dev/null &&
	extract d.tar.zst dx &&
	head -1 dx/custody/manifest.jsonl | jq -e ".types == \"none\" and (has(\"type_bytes\") | not)" &&
	test "$(jq -c "select(has(\"mime\"))" dx/custody/manifest.jsonl | wc -l)" = 0 &&
	custody collect --key key --no-types -o n.tar.zst "$TEST_TMP/ty" 2>/dev/null &&
	tar -xOf n.tar.zst custody/manifest.jsonl | head -1 | jq -e ".types == \"none\"" &&
	byhand_agrees 0 archive d.tar.zst key.pub
'

test_expect_success '--types types on the host as file --mime-type does, and says so' '
	custody collect --key key --types -o h.tar.zst "$TEST_TMP/ty" 2>/dev/null &&
	extract h.tar.zst hx &&
	head -1 hx/custody/manifest.jsonl | jq -e ".types == \"host\" and .type_bytes == 1048576" &&
	for f in a.txt b.sh c.elf d.gz e.png f.empty; do
		want=$(file --mime-type -b "ty/$f") &&
		got=$(manifest_entry hx "$TEST_TMP/ty/$f" | jq -r .mime) &&
		if [ "$want" != "$got" ]; then echo "$f: file says $want, custody $got"; return 1; fi
	done &&
	custody collect --key key --types --type-bytes 1K -o k.tar.zst "$TEST_TMP/ty" 2>/dev/null &&
	tar -xOf k.tar.zst custody/manifest.jsonl | head -1 | jq -e ".type_bytes == 1024" &&
	test_must_fail --status=2 custody collect --key key --type-bytes 1K -o z.tar.zst \
	    "$TEST_TMP/ty" 2>err &&
	test_grep "--type-bytes is for --types" err && ! test -e z.tar.zst
'

test_expect_success 'verify --types-out writes a signed record of every member, bound to the archive' '
	custody verify --key key.pub --types-out d.types --sign-key key d.tar.zst >out &&
	test_grep "types record d.types written" out &&
	test "$(stat -c %s d.types.sig)" = 64 &&
	head -1 d.types | jq -e --arg sha "$(sha256sum d.tar.zst | cut -d" " -f1)" \
	    --arg root "$(jq -r .manifest.merkle_root dx/custody/seal.json)" \
	    ".format == \"custody-types\" and .version == 1 and .archive_sha256 == \$sha
	     and .merkle_root == \$root and .entries == 7 and .type_bytes == 1048576
	     and .tool.name == \"libmagic\"" &&
	test "$(grep -c "\"type\":\"member\"" d.types)" = 6 &&
	tail -1 d.types | jq -e ". == {\"members\": 6, \"type\": \"trailer\"}" &&
	record_types d.types >rt && manifest_types hx >mt && cmp rt mt
'

test_expect_success 'the record verifies with custody, with the types recomputed, and with openssl by hand' '
	custody verify --key key.pub --types-record d.types d.tar.zst >out &&
	test_grep "types record d.types verified: signed by key $(head -1 d.types | jq -r .signer)" out &&
	custody verify --key key.pub --types --types-record d.types d.tar.zst >out &&
	test_grep "image/png	files$TEST_TMP/ty/e.png" out &&
	openssl pkeyutl -verify -pubin -inkey key.pub -rawin -in d.types -sigfile d.types.sig &&
	test "$(head -1 d.types | jq -r .tool.database_sha256)" != "" &&
	test "$(head -1 d.types | jq -r .archive_sha256)" = "$(cut -d" " -f1 d.tar.zst.sha256)"
'

test_expect_success 'a record is not written over a file, nor of an archive that does not verify' '
	test_must_fail --status=2 custody verify --key key.pub --types-out d.types \
	    --sign-key key d.tar.zst 2>err &&
	test_grep "d.types" err &&
	cp d.tar.zst bad.tar.zst && n=$(stat -c %s bad.tar.zst) &&
	head -c $((n - 100)) d.tar.zst >bad.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub --types-out bad.types \
	    --sign-key key bad.tar.zst >out 2>&1 && ! test -e bad.types &&
	test_must_fail --status=2 custody verify --types-out anon.types --sign-key key \
	    d.tar.zst >out 2>err && test_grep "verified with a trust anchor" err &&
	! test -e anon.types
'

test_expect_success 'usage: --types-out without --sign-key, a record without a key, an unreadable record (2)' '
	test_must_fail --status=2 custody verify --key key.pub --types-out x.types d.tar.zst 2>err &&
	test_grep "go together" err &&
	test_must_fail --status=2 custody verify --types-record d.types d.tar.zst 2>err &&
	test_grep "needs the key that signed it" err &&
	test_must_fail --status=2 custody verify --key key.pub --types-record nope.types d.tar.zst 2>err &&
	test_grep "nope.types" err
'

test_expect_success 'a record of another archive: exit 1, the archive and root named' '
	custody collect --key key -o o.tar.zst "$TEST_TMP/elsewhere" 2>/dev/null &&
	test_must_fail --status=1 custody verify --key key.pub --types-record d.types o.tar.zst >out &&
	test_grep "FAILED d.types: a record of another archive: made for Merkle root" out &&
	test_grep "made for archive SHA-256" out &&
	byhand_agrees 0 archive o.tar.zst key.pub
'

test_expect_success 'an edited type: the signature fails; re-signed, the recomputed types catch it (1)' '
	sed "s|\"mime\":\"image/png\"|\"mime\":\"text/plain\"|" d.types >e.types &&
	! cmp -s d.types e.types && cp d.types.sig e.types.sig &&
	test_must_fail --status=1 custody verify --key key.pub --types-record e.types d.tar.zst >out &&
	test_grep "FAILED e.types: signature does not verify" out &&
	! openssl pkeyutl -verify -pubin -inkey key.pub -rawin -in e.types -sigfile e.types.sig >/dev/null 2>&1 &&
	resign e.types key &&
	test_must_fail --status=1 custody verify --key key.pub --types --types-record e.types d.tar.zst >out &&
	test_grep "the record says text/plain, its content is image/png" out &&
	byhand_agrees 0 archive d.tar.zst key.pub
'

test_expect_success 'a dropped member, re-signed: exit 1, the member named' '
	grep -v "/e.png\"" d.types >r.types && recount r.types && resign r.types key &&
	test_must_fail --status=1 custody verify --key key.pub --types-record r.types d.tar.zst >out &&
	test_grep "(files$TEST_TMP/ty/e.png) is not in the record" out
'

test_expect_success 'a duplicated member, re-signed: exit 1, the member named' '
	{ head -3 d.types && sed -n 3p d.types && tail -n +4 d.types; } >u.types &&
	recount u.types && resign u.types key &&
	test "$(grep -c "\"type\":\"member\"" u.types)" = 7 &&
	test_must_fail --status=1 custody verify --key key.pub --types-record u.types d.tar.zst >out &&
	test_grep "is listed more than once" out
'

test_expect_success 'a record signed by another key: exit 1, with the key given or named' '
	cp d.types s.types && resign s.types other &&
	test_must_fail --status=1 custody verify --key key.pub --types-record s.types d.tar.zst >out &&
	test_grep "FAILED s.types: signature does not verify" out &&
	test_must_fail --status=1 custody verify --key key.pub --types-key other.pub \
	    --types-record d.types d.tar.zst >out &&
	test_grep "signed by key $(head -1 d.types | jq -r .signer), not by the key given" out
'

test_expect_success 'a truncated record, or one without its signature: exit 1, named' '
	n=$(stat -c %s d.types) && head -c $((n - 10)) d.types >t.types && cp d.types.sig t.types.sig &&
	test_must_fail --status=1 custody verify --key key.pub --types-record t.types d.tar.zst >out &&
	test_grep "the last line has no newline (truncated?)" out &&
	head -n 4 d.types >l.types && cp d.types.sig l.types.sig &&
	test_must_fail --status=1 custody verify --key key.pub --types-record l.types d.tar.zst >out &&
	test_grep "no trailer line at the end (truncated?)" out &&
	cp d.types w.types &&
	test_must_fail --status=1 custody verify --key key.pub --types-record w.types d.tar.zst >out &&
	test_grep "FAILED w.types: not signed" out &&
	: >z.types && cp d.types.sig z.types.sig &&
	test_must_fail --status=1 custody verify --key key.pub --types-record z.types d.tar.zst >out &&
	test_grep "types record: empty" out
'

test_expect_success 'ingest types the archive: the record kept in the case, a signed typed event' '
	custody init case --case-id IR-7 --key "$TEST_TMP/key" >/dev/null &&
	custody collect --case-id IR-7 -o i.tar.zst "$TEST_TMP/ty" 2>/dev/null &&
	custody ledger ingest --case case --key key i.tar.zst >out 2>/dev/null &&
	test_grep "typed its 6 members with libmagic" out &&
	test -f case/types/E001.types && test -f case/types/E001.types.sig &&
	test "$(sqlite3 case/ledger.db "SELECT action FROM events WHERE seq = 3")" = typed &&
	sqlite3 case/ledger.db "SELECT canonical FROM events WHERE seq = 3" >ev.json &&
	jq -e --arg sha "$(sha256sum case/types/E001.types | cut -d" " -f1)" \
	    ".artifact == \"E001\" and .details.record == \"types/E001.types\"
	     and .details.record_sha256 == \$sha and .details.members == 6" ev.json &&
	custody ledger verify --case case >/dev/null && byhand_agrees 0 ledger case &&
	custody ledger log --case case >log &&
	test_grep "E001 typed by Test Examiner (examiner, Test Org): 6 members with libmagic" log &&
	custody verify --case case --types --types-record case/types/E001.types i.tar.zst >out &&
	test_grep "types record case/types/E001.types verified" out &&
	custody audit --case case >out && test_grep "0 findings" out
'

test_expect_success 'a case record edited after ingest fails; a typed event edited in the ledger fails both verifiers' '
	cp -r case case2 &&
	sed -i "s|\"mime\":\"image/png\"|\"mime\":\"text/plain\"|" case2/types/E001.types &&
	test_must_fail --status=1 custody verify --case case2 --types-record \
	    case2/types/E001.types i.tar.zst >out &&
	test_grep "signature does not verify" out &&
	test "$(sha256sum case2/types/E001.types | cut -d" " -f1)" != \
	    "$(jq -r .details.record_sha256 ev.json)" &&
	cp -r case case3 &&
	ledger_edit case3 "UPDATE events SET canonical = CAST(replace(CAST(canonical AS TEXT),
	    \"types/E001.types\", \"types/E002.types\") AS BLOB) WHERE seq = 3" &&
	test_must_fail --status=1 custody ledger verify --case case3 >out &&
	byhand_agrees 1 ledger case3
'

test_done
