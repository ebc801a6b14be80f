#!/bin/sh
# Nothing on the host steers custody, and old kernels work: a magic rule
# planted in /etc/magic or $MAGIC changes no recorded type (the database is
# built in), an OpenSSL configuration that demands FIPS properties changes
# nothing (none is ever loaded), and on a kernel without O_TMPFILE and
# renameat2 (Linux 3.10, emulated by a seccomp filter) every output mode
# still works, records the fallback, and leaves no temporary file behind.
. "$(dirname "$0")/lib.sh"

: "${OLD_KERNEL:=$(dirname "$CUSTODY")/tests/cli/old-kernel}"

# The MIME type the manifest of archive $1 records for the file named $2.
recorded_type() {
	tar -xOf "$1" custody/manifest.jsonl |
	    jq -r --arg p "$2" 'select(.type == "entry" and .source == $p) | .mime'
}

test_expect_success 'setup: a key and a tree of text' '
	make_key key >/dev/null &&
	mkdir src && printf "hello world\nplain text\n" >src/note.txt &&
	printf "hello again\n" >src/other.txt
'

test_expect_success '$MAGIC naming a planted database changes no type' '
	printf "0\tstring\thello\tplanted\n!:mime\tapplication/x-planted\n" >planted &&
	file -C -m planted >/dev/null 2>&1; test -s planted.mgc &&
	test "$(MAGIC=$TEST_TMP/planted.mgc file -b --mime-type src/note.txt)" = application/x-planted &&
	MAGIC=$TEST_TMP/planted.mgc custody collect --key key --types -o m.tar.zst "$TEST_TMP/src" 2>/dev/null &&
	test "$(recorded_type m.tar.zst "$TEST_TMP/src/note.txt")" = text/plain
'

if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
test_expect_success 'a rule planted in /etc/magic changes no type' '
	{ cat /etc/magic 2>/dev/null; cat planted; } >etc-magic &&
	unshare -m sh -c "mount --bind \"$TEST_TMP/etc-magic\" /etc/magic &&
	    test \"\$(file -b --mime-type src/note.txt)\" = application/x-planted &&
	    \"$CUSTODY\" collect --key key --types -o e.tar.zst \"$TEST_TMP/src\" 2>/dev/null" &&
	test "$(recorded_type e.tar.zst "$TEST_TMP/src/note.txt")" = text/plain &&
	test "$(file -b --mime-type src/note.txt)" = text/plain
'
else
test_skip 'a rule planted in /etc/magic changes no type' 'needs root and unshare -m'
fi

test_expect_success 'an OpenSSL configuration demanding fips=yes changes nothing' '
	cat >fips.cnf <<-EOF &&
	openssl_conf = openssl_init
	[openssl_init]
	alg_section = evp_properties
	[evp_properties]
	default_properties = fips=yes
	EOF
	test_must_fail env OPENSSL_CONF="$TEST_TMP/fips.cnf" openssl pkey -in key -noout 2>/dev/null &&
	export OPENSSL_CONF="$TEST_TMP/fips.cnf" &&
	custody key generate --name "Fay Fips" --role examiner -o fkey >/dev/null &&
	custody init case --case-id FIPS --key fkey >/dev/null &&
	custody collect --case case --key fkey "$TEST_TMP/src" 2>/dev/null &&
	custody verify --case case case/FIPS_E001_*.tar.zst >/dev/null &&
	custody ledger verify --case case >/dev/null &&
	custody ledger checkpoint --case case --key fkey -o cp >/dev/null &&
	custody ledger verify --case case --checkpoint cp >/dev/null
'

# No file but the outputs in directory $1: no spool, no partial archive.
only_outputs() {
	test -z "$(find "$1" -name ".*" ! -name . -print)"
}

if "$OLD_KERNEL" true 2>/dev/null; then
test_expect_success 'on Linux 3.10: -o FILE works, and the log says what was missing' '
	mkdir o1 &&
	"$OLD_KERNEL" "$CUSTODY" collect --key key -o o1/a.tar.zst "$TEST_TMP/src" 2>err &&
	test_grep "no renameat2" err &&
	custody verify --key key.pub o1/a.tar.zst >/dev/null &&
	(cd o1 && sha256sum -c --status a.tar.zst.sha256) &&
	tar -xOf o1/a.tar.zst custody/collection.log >log &&
	test_grep "note kernel: no unnamed files (O_TMPFILE" log &&
	only_outputs o1 && test "$(ls o1 | wc -l)" = 2
'

test_expect_success 'on Linux 3.10: -o DIR, -o - and --case work' '
	mkdir o2 &&
	"$OLD_KERNEL" "$CUSTODY" collect --key key -o o2 "$TEST_TMP/src" 2>/dev/null &&
	custody verify --key key.pub o2/*.tar.zst >/dev/null && only_outputs o2 &&
	"$OLD_KERNEL" "$CUSTODY" collect --key key -o - "$TEST_TMP/src" >s.tar.zst 2>/dev/null &&
	custody verify --key key.pub s.tar.zst >/dev/null &&
	custody init oc --case-id OLD --key key >/dev/null &&
	"$OLD_KERNEL" "$CUSTODY" collect --case oc --key key "$TEST_TMP/src" 2>/dev/null &&
	custody verify --case oc oc/OLD_E001_*.tar.zst >/dev/null &&
	custody ledger verify --case oc >/dev/null && only_outputs oc
'

test_expect_success 'on Linux 3.10: an existing output is still never replaced' '
	echo keep >o1/b.tar.zst &&
	test_must_fail --status=2 "$OLD_KERNEL" "$CUSTODY" collect --key key -o o1/b.tar.zst \
	    "$TEST_TMP/src" 2>err &&
	test "$(cat o1/b.tar.zst)" = keep && only_outputs o1
'
else
test_skip 'on Linux 3.10: -o FILE works' 'seccomp filters are not allowed here'
test_skip 'on Linux 3.10: -o DIR, -o - and --case work' 'seccomp filters are not allowed here'
test_skip 'on Linux 3.10: an existing output is still never replaced' 'seccomp filters are not allowed here'
fi

test_done
