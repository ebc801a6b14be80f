# Shared helpers for custody's command-line tests: TAP output, temp dirs, fixtures.
# Each test file sources this, calls test_expect_success for each check, and
# ends with test_done. Set CUSTODY to the binary (make check does).

set -u
: "${CUSTODY:?set CUSTODY to the custody binary}"
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
LC_ALL=C
export LC_ALL
unset CUSTODY_PASSPHRASE CUSTODY_CASE

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/custody-test.XXXXXX")
chmod 755 "$TEST_TMP"
trap 'chmod -R u+rwx "$TEST_TMP" 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
test_count=0
test_failures=0

# custody, the binary under test.
custody() {
	"$CUSTODY" "$@"
}

# Run a check: test_expect_success DESCRIPTION 'shell commands'.
test_expect_success() {
	test_count=$((test_count + 1))
	if (cd "$TEST_TMP" && eval "$2") >"$TEST_TMP/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failures=$((test_failures + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TEST_TMP/.out"
	fi
}

# Skip a check with a reason: test_skip DESCRIPTION REASON.
test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# Expect a command to fail cleanly: not 0, not killed by a signal, and, with
# --status=N, exactly N.
test_must_fail() {
	want=
	case "$1" in
	--status=*) want=${1#--status=}; shift ;;
	esac
	"$@"
	status=$?
	if [ "$status" -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	fi
	if [ "$status" -gt 128 ]; then
		echo "test_must_fail: '$*' died by signal $((status - 128))" >&2
		return 1
	fi
	if [ -n "$want" ] && [ "$status" -ne "$want" ]; then
		echo "test_must_fail: '$*' exited $status, expected $want" >&2
		return 1
	fi
	return 0
}

# Expect a file to contain a fixed string.
test_grep() {
	if ! grep -F -e "$1" "$2" >/dev/null; then
		echo "test_grep: '$1' not in $2:" >&2
		sed 's/^/  | /' "$2" >&2
		return 1
	fi
}

# Make a signing key pair at $TEST_TMP/key (and key.pub).
make_key() {
	custody key generate --name "Test Examiner" --role examiner \
	    --org "Test Org" -o "$TEST_TMP/${1:-key}" >/dev/null
}

# The archives in a directory (not their .sha256, .tsq or .tsr companions).
archive_in() {
	ls "$1" | grep -E '\.tar(\.(zst|gz|xz))?$' | sed "s|^|$1/|"
}

# The whole manifest of an extracted archive: its parts in order, then
# custody/manifest.jsonl (a large collection writes it in parts).
whole_manifest() {
	for part in "$1"/custody/manifest.d/*.jsonl; do
		[ -f "$part" ] || continue
		cat "$part" || return 1
	done
	cat "$1/custody/manifest.jsonl"
}

# Extract an archive into a new directory.
extract() {
	mkdir -p "$2" && tar -C "$2" -xf "$1"
}

# Pack an extracted archive directory $1 again as $2, the way custody writes
# one (tests/cli/retar.py), compressed by $2's suffix (.zst, .gz, .xz or none).
retar() {
	python3 "$SRCDIR/tests/cli/retar.py" "$1" "$2.plain" || return 1
	case $2 in
	*.zst) zstd -q -f --rm "$2.plain" -o "$2" ;;
	*.gz) gzip -c "$2.plain" >"$2" && rm "$2.plain" ;;
	*.xz) xz -c "$2.plain" >"$2" && rm "$2.plain" ;;
	*) mv "$2.plain" "$2" ;;
	esac
}

# The manifest entry (one JSON line) whose source is $2, from an extracted archive $1.
manifest_entry() {
	jq -c --arg s "$2" 'select(.type == "entry" and .source == $s)' \
	    "$1/custody/manifest.jsonl"
}

# Run a command bounded in time (120 s) and, unless built with sanitizers
# (whose shadow memory needs a vast address space), in address space (1 GiB):
# output to ./out, exit status to ./status, peak RSS in KiB to ./rss.
run_bounded() {
	python3 - "$@" >out 2>&1 <<'PY'
import resource, subprocess, sys, os
def cap():
    if os.environ.get("CUSTODY_SANITIZED") != "yes":
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
try:
    status = subprocess.run(sys.argv[1:], timeout=120, preexec_fn=cap).returncode
except subprocess.TimeoutExpired:
    status = "timeout"
open("status", "w").write("%s\n" % status)
open("rss", "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
	cat out
}

# The independent by-hand verifier (verify/custody-check.sh: POSIX sh with
# tar, zstd, sha256sum, openssl and sqlite3) must reach custody's verdict:
# byhand_agrees STATUS archive ARCHIVE PUBKEY | ledger CASEDIR [CHECKPOINT]...
# Its output goes to ./byhand.out.
byhand_agrees() {
	want=$1
	shift
	sh "$SRCDIR/verify/custody-check.sh" "$@" >byhand.out 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "byhand_agrees: custody-check.sh $* exited $got, custody $want:" >&2
		sed 's/^/  | /' byhand.out >&2
		return 1
	fi
	return 0
}

# Run SQL $2 on the ledger of case $1 as an attacker who puts the schema
# back: the append-only triggers are dropped first and recreated after,
# byte for byte, so that only the rows differ.
ledger_edit() {
	_triggers=$(sqlite3 "$1/ledger.db" "SELECT group_concat(sql || ';', ' ')
	    FROM sqlite_master WHERE type = 'trigger'") &&
	_drops=$(sqlite3 "$1/ledger.db" "SELECT group_concat('DROP TRIGGER ' ||
	    name || ';', ' ') FROM sqlite_master WHERE type = 'trigger'") &&
	sqlite3 "$1/ledger.db" "$_drops $2;
	    $_triggers"
}

# An HTML page custody wrote is well formed: a doctype, balanced elements,
# no script element.
check_html() {
	python3 - "$1" <<-'EOF'
	import sys
	from html.parser import HTMLParser
	VOID = {'meta', 'br', 'hr', 'img', 'link', 'input', 'col', 'wbr'}
	class Check(HTMLParser):
	    stack = []
	    def handle_starttag(self, tag, attrs):
	        if tag == 'script':
	            raise SystemExit('a script element')
	        if tag not in VOID:
	            self.stack.append(tag)
	    def handle_endtag(self, tag):
	        assert self.stack and self.stack.pop() == tag, 'unbalanced ' + tag
	text = open(sys.argv[1], encoding='utf-8').read()
	assert text.startswith('<!DOCTYPE html>')
	c = Check()
	c.feed(text)
	c.close()
	assert c.stack == [], c.stack
	EOF
}

# Finish: print the plan and exit non-zero if anything failed.
test_done() {
	echo "1..$test_count"
	[ "$test_failures" -eq 0 ]
}
