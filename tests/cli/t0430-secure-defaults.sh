#!/bin/sh
# Secure defaults: everything custody writes is private (0600, directories
# 0700) whatever the umask, never replaces or follows what is already there,
# loose private keys are refused, no passphrase is written anywhere, and the
# environment (PATH, locale, TZ) changes nothing that is recorded.
. "$(dirname "$0")/lib.sh"

pass="correct-horse-SECRET-7391"
printf '%s\n' "$pass" >"$TEST_TMP/pass"
chmod 600 "$TEST_TMP/pass"

test_expect_success 'setup: an encrypted key and a case, under umask 000' '
	umask 000 &&
	custody key generate --name "Pat Private" --role examiner --passphrase-file pass -o key >/dev/null &&
	test "$(stat -c %a key)" = 600 &&
	custody init case --case-id SEC --key key --passphrase-file pass >/dev/null &&
	test "$(stat -c %a case)" = 700 && test "$(stat -c %a case/ledger.db)" = 600
'

test_expect_success 'every output is 0600 under umask 000' '
	umask 000 && mkdir src && echo data >src/f &&
	custody collect --key key --passphrase-file pass -o a.tar.zst "$TEST_TMP/src" 2>/dev/null &&
	custody collect --case case --key key --passphrase-file pass "$TEST_TMP/src" 2>/dev/null &&
	custody prove a.tar.zst "$TEST_TMP/src/f" -o proof.json >/dev/null &&
	custody ledger checkpoint --case case --key key --passphrase-file pass -o cp.note >/dev/null &&
	custody ledger export --case case --format json -o export.json >/dev/null &&
	custody timestamp request a.tar.zst -o a.tsq >/dev/null &&
	for f in a.tar.zst a.tar.zst.sha256 case/SEC_E001_*.tar.zst case/SEC_E001_*.tar.zst.sha256 \
	    proof.json cp.note export.json a.tsq; do
		test "$(stat -c %a $f)" = 600 || { echo "$f: $(stat -c %a $f)"; exit 1; }
	done
'

test_expect_success 'an output that exists, or is a symlink, is never replaced or followed' '
	echo keep >victim && ln -s victim link.tar.zst && ln -s victim link.json &&
	test_must_fail --status=2 custody collect --key key --passphrase-file pass \
	    -o link.tar.zst "$TEST_TMP/src" 2>/dev/null &&
	test_must_fail --status=2 custody prove a.tar.zst "$TEST_TMP/src/f" -o link.json 2>/dev/null &&
	test_must_fail --status=2 custody ledger export --case case --format json -o link.json 2>/dev/null &&
	test "$(cat victim)" = keep && test -L link.tar.zst && test -L link.json
'

test_expect_success 'a private key readable by group or others is refused' '
	cp key loose && chmod 640 loose &&
	test_must_fail --status=2 custody collect --key loose --passphrase-file pass -o l.tar.zst \
	    "$TEST_TMP/src" 2>err && test_grep "loose" err && ! test -e l.tar.zst &&
	chmod 604 loose &&
	test_must_fail --status=2 custody ledger record --case case --key loose --passphrase-file pass \
	    --artifact E001 --action accessed 2>err && test_grep "loose" err
'

test_expect_success 'no passphrase in any archive member, seal, log, ledger or output' '
	mkdir x && tar -C x -xf a.tar.zst &&
	! grep -r -F "$pass" x && ! grep -F "$pass" case/ledger.db case/*.sha256 proof.json cp.note export.json &&
	sqlite3 case/ledger.db .dump >dump && ! grep -F "$pass" dump
'

test_expect_success 'PATH, locale and TZ change nothing that is recorded' '
	env -i PATH=/nonexistent TZ=Pacific/Chatham LC_ALL=tr_TR.UTF-8 LANG=ja_JP.eucJP \
	    "$CUSTODY" collect --key key --passphrase-file pass -o env.tar.zst "$TEST_TMP/src" 2>/dev/null &&
	custody verify --key key.pub env.tar.zst >/dev/null &&
	mkdir e && tar -C e -xf env.tar.zst &&
	jq -r "select(.type == \"header\") | .started" e/custody/manifest.jsonl | grep -q "Z$" &&
	jq -r "select(.type == \"entry\" and .kind == \"file\") | .mtime" e/custody/manifest.jsonl |
	    grep -q "Z$" &&
	test "$(jq -r "select(.type == \"entry\" and .kind == \"file\") | .mtime" e/custody/manifest.jsonl)" = \
	    "$(jq -r "select(.type == \"entry\" and .kind == \"file\") | .mtime" x/custody/manifest.jsonl)"
'

test_done
