#!/bin/sh
# The timeline source: a mactime bodyfile of the local filesystems, read by
# the Sleuth Kit's mactime; hostile trees (names, depth, size, a tree that
# changes while walked, unreadable directories) end in bounded time with
# what happened recorded in live/timeline.json.
. "$(dirname "$0")/lib.sh"

: "${OLD_KERNEL:=$(dirname "$CUSTODY")/tests/cli/old-kernel}"

make_key

# profile FILE ROOT [MAX_SIZE]: a profile of the timeline alone, rooted at ROOT.
profile() {
	{
		echo "name: timeline-test"
		echo "entries:"
		echo "  - live: timeline"
		[ -z "$2" ] || echo "    root: $2"
		[ -z "${3:-}" ] || echo "    max_size: $3"
	} >"$1"
}

# timeline ROOT OUT DIR [MAX_SIZE]: collect ROOT's timeline into OUT (verified,
# with the by-hand verifier agreeing), extract it into DIR, parts joined in DIR/body.
timeline() {
	profile "$TEST_TMP/$2.yaml" "$1" "${4:-}" &&
	{ timeout 300 "$CUSTODY" collect --key "$TEST_TMP/key" \
	    --profile "$TEST_TMP/$2.yaml" -o "$2" >/dev/null 2>"$2.err" ||
	    { echo "collect exited $?:" >&2; cat "$2.err" >&2; return 1; }; } &&
	custody verify --key key.pub "$2" >/dev/null &&
	byhand_agrees 0 archive "$2" key.pub &&
	extract "$2" "$3" &&
	cat "$3"/live/timeline/body-* >"$3/body"
}

# doc DIR FILTER: a jq filter on DIR's timeline.json.
doc() {
	jq -r "$2" "$1/live/timeline.json"
}

# eleven DIR: every line of the bodyfile has the eleven fields of mactime 3.x.
eleven() {
	awk -F'|' 'NF != 11 { print "line " NR ": " NF " fields: " $0; bad = 1 }
	    END { exit bad }' "$1/body"
}

# The link is read once a clock tick after it was made: under relatime its
# atime then lies after its mtime, and custody may read its target unchanged.
test_expect_success 'setup: a tree with a file of a known time and size' '
	mkdir -p tree/docs tree/empty &&
	printf "quarterly figures\n" >tree/docs/report.txt &&
	touch -m -d "2024-03-05 06:07:08 UTC" tree/docs/report.txt &&
	ln -s report.txt tree/docs/link && sleep 0.1 &&
	readlink tree/docs/link >/dev/null &&
	mkfifo tree/fifo && chmod 4755 tree/docs/report.txt &&
	mkdir tree/sticky && chmod 1777 tree/sticky
'

test_expect_success 'mactime reads the timeline and names the file with its mtime and size' '
	timeline "$TEST_TMP/tree" t1.tar.zst t1 &&
	eleven t1 &&
	mactime -b t1/body -d -y >t1/mactime &&
	grep "^2024-03-05T06:07:08Z,18,m" t1/mactime >t1/line &&
	test_grep "\"/docs/report.txt\"" t1/line &&
	test_grep "r/rrwsr-xr-x" t1/line &&
	test "$(doc t1 .format)" = "mactime 3.x bodyfile" &&
	test "$(doc t1 .parts[0])" = live/timeline/body-0001 &&
	test "$(doc t1 .lines)" = "$(wc -l <t1/body)" &&
	test "$(doc t1 .truncated)" = false &&
	manifest_entry t1 live:timeline/body-0001 | jq -e ".kind == \"live\"" >/dev/null
'

test_expect_success 'modes as fls writes them, links as name -> target, names from the root' '
	grep -F "0|/|" t1/body | grep -F "|d/drwx" >/dev/null &&
	grep -F "0|/docs/link -> report.txt|" t1/body | grep -F "|l/lrwxrwxrwx|" >/dev/null &&
	grep -F "0|/fifo|" t1/body | grep -F "|p/prw-r--r--|" >/dev/null &&
	grep -F "0|/sticky|" t1/body | grep -F "|d/drwxrwxrwt|" >/dev/null &&
	! grep -F "$TEST_TMP" t1/body &&
	test "$(cut -d"|" -f1 t1/body | sort -u)" = 0
'

test_expect_success 'crtime is there where the filesystem keeps birth times' '
	birth=$(stat -c %W tree/docs/report.txt) &&
	if [ "$birth" != 0 ] && [ "$birth" != "-" ]; then
		grep -F "0|/docs/report.txt|" t1/body | cut -d"|" -f11 >crtime &&
		test "$(cat crtime)" = "$birth" &&
		test "$(doc t1 .totals.birth_times)" -gt 0 &&
		test "$(doc t1 .stat)" = statx
	fi
'

test_expect_success 'each mount is recorded with what was done and why' '
	test "$(doc t1 "[.mounts[] | select(.action == \"walked\")] | length")" = 1 &&
	doc t1 ".mounts[] | select(.fstype == \"proc\") | .reason" >reason &&
	test_grep "pseudo filesystem" reason &&
	test "$(doc t1 "[.mounts[] | select(.action == null)] | length")" = 0
'

test_expect_success "hostile names: |, %, newline, backslash, 255 bytes of non-UTF-8" '
	mkdir names &&
	python3 -c "
import os
for n in (b\"pipe|name\", b\"per%41cent\", b\"new\nline\", b\"back\\\\slash\",
          b\"\\xff\" * 255, b\"tab\\there\", b\"caf\\xc3\\xa9\"):
    open(os.path.join(b\"names\", n), \"wb\").close()
" &&
	timeline "$TEST_TMP/names" t2.tar.zst t2 &&
	eleven t2 && test "$(wc -l <t2/body)" = 8 &&
	grep -F "0|/pipe%7Cname|" t2/body >/dev/null &&
	grep -F "0|/per%2541cent|" t2/body >/dev/null &&
	grep -F "0|/new\\nline|" t2/body >/dev/null &&
	grep -F "0|/back\\\\slash|" t2/body >/dev/null &&
	grep -F "0|/tab%09here|" t2/body >/dev/null &&
	grep -F "0|/café|" t2/body >/dev/null &&
	grep -c "%FF" t2/body >/dev/null &&
	mactime -b t2/body -d -y >t2/mactime &&
	test_grep "\"/pipe|name\"" t2/mactime &&
	test_grep "\"/per%41cent\"" t2/mactime &&
	test_grep "\"/new\\nline\"" t2/mactime &&
	test "$(sed 1d t2/mactime | cut -d, -f8- | sort -u | wc -l)" = 8
'

# A name or a target holding " -> " cannot be split wrongly: '>' is %3E.
test_expect_success 'names and link targets holding " -> ": > written %3E, mactime reads them back' '
	mkdir arrows && : >"arrows/a -> b" && ln -s "t -> y" "arrows/l -> x" &&
	sleep 0.1 && readlink "arrows/l -> x" >/dev/null &&
	timeline "$TEST_TMP/arrows" t2a.tar.zst t2a &&
	eleven t2a && test "$(grep -c -F " -> " t2a/body)" -le 1 &&
	grep -F "0|/a -%3E b|" t2a/body >/dev/null &&
	{ grep -F "0|/l -%3E x -> t -%3E y|" t2a/body >/dev/null ||
	  { grep -F "0|/l -%3E x|" t2a/body >/dev/null &&
	    test "$(jq .totals.link_targets_not_read t2a/live/timeline.json)" -ge 1; }; } &&
	mactime -b t2a/body -d -y >t2a/mactime &&
	test_grep "\"/a -> b\"" t2a/mactime &&
	test_grep "\"/l -> x" t2a/mactime
'

test_expect_success 'a chain deeper than the depth cap: listed to the cap, counted, bounded' '
	python3 -c "
import os
os.mkdir(\"deep\")
fd = os.open(\"deep\", os.O_RDONLY)
for i in range(300):
    os.mkdir(\"d\", dir_fd=fd)
    nfd = os.open(\"d\", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
" &&
	timeline "$TEST_TMP/deep" t3.tar.zst t3 &&
	test "$(doc t3 .caps.depth)" = 256 &&
	test "$(doc t3 .totals.not_entered_depth)" = 1 &&
	test "$(wc -l <t3/body)" = 258 &&
	awk -F"|" "{ n = gsub(\"/d\", \"\", \$2); if (n > max) max = n } END { exit max != 257 }" t3/body
'

test_expect_success 'a directory of 100,000 entries, cut into parts of at most 8 MiB' '
	mkdir -p big/d && python3 -c "
import os
for i in range(100000):
    os.close(os.open(\"big/d/file-with-a-rather-long-name-%06d\" % i, os.O_CREAT | os.O_WRONLY, 0o644))
" &&
	timeline "$TEST_TMP/big" t4.tar.zst t4 &&
	test "$(wc -l <t4/body)" = 100002 &&
	test "$(doc t4 ".parts | length")" -ge 2 &&
	for p in t4/live/timeline/body-*; do
		test "$(wc -c <"$p")" -le 8388608 || return 1
	done &&
	test "$(doc t4 .bytes)" = "$(wc -c <t4/body)" &&
	eleven t4 && test "$(grep -c "file-with-a-rather-long-name-0" t4/body)" = 100000
'

test_expect_success 'max_size caps the bodyfile: truncated, and said so' '
	timeline "$TEST_TMP/big" t5.tar.zst t5 64K &&
	test "$(doc t5 .truncated)" = true &&
	test "$(doc t5 .truncated_by)" = size &&
	test "$(wc -c <t5/body)" -le 65536 && eleven t5
'

test_expect_success 'a tree that changes during the walk: bounded, vanished entries counted' '
	mkdir -p churn/a/b/c &&
	python3 -c "
import os
for d in (\"churn/a\", \"churn/a/b\", \"churn/a/b/c\"):
    for i in range(10000):
        open(\"%s/f%d\" % (d, i), \"w\").close()
" &&
	cat >churn.py <<-\EOF &&
	# Delete and recreate files at random, make and remove directories,
	# and move directories up and down the tree, for argv[1] seconds.
	import os, random, sys, time
	end = time.time() + float(sys.argv[1])
	dirs = ("churn/a", "churn/a/b", "churn/a/b/c")
	rnd = random.Random()
	n = 0
	while time.time() < end:
	    for _ in range(200):
	        name = "%s/f%d" % (rnd.choice(dirs), rnd.randrange(10000))
	        try:
	            os.unlink(name)
	        except OSError:
	            try:
	                open(name, "w").close()
	            except OSError:
	                pass
	    try:
	        os.makedirs("churn/a/new%d/x" % n)
	        os.rename("churn/a/b/c", "churn/c")
	        os.rename("churn/c", "churn/a/b/c")
	        os.rename("churn/a/b", "churn/b")
	        os.rename("churn/b", "churn/a/b")
	        os.rmdir("churn/a/new%d/x" % n)
	        os.rmdir("churn/a/new%d" % n)
	    except OSError:
	        pass
	    n += 1
	EOF
	tries=0 &&
	while :; do
		tries=$((tries + 1))
		python3 churn.py 2 &
		churner=$!
		sleep 0.3 &&
		timeline "$TEST_TMP/churn" t6.tar.zst t6 && eleven t6 &&
		vanished=$(doc t6 .totals.vanished) &&
		wait $churner || { echo "try $tries failed" >&2; kill $churner; return 1; }
		if [ "$vanished" -gt 0 ] || [ $tries = 12 ]; then break; fi
		rm -rf t6 t6.tar.zst t6.tar.zst.sha256
	done &&
	echo "vanished $vanished in try $tries" &&
	test "$vanished" -gt 0
'

if [ "$(id -u)" = 0 ] && mount -t tmpfs -o strictatime tmpfs "$TEST_TMP/tree/empty" 2>/dev/null; then
test_expect_success 'on a strictatime tmpfs: no atime changes, and no step into other mounts' '
	mkdir tree/empty/dir && echo x >tree/empty/dir/file &&
	ln -s file tree/empty/dir/link &&
	stat -c "%n %X.%x" tree/empty/dir tree/empty/dir/file tree/empty/dir/link >before &&
	mkdir tree/empty/proc && mount -t proc proc tree/empty/proc &&
	mkdir tree/empty/again && mount --bind tree/empty/dir tree/empty/again &&
	sleep 1.1 &&
	timeline "$TEST_TMP/tree" t7.tar.zst t7 &&
	stat -c "%n %X.%x" tree/empty/dir tree/empty/dir/file tree/empty/dir/link >after &&
	umount tree/empty/again tree/empty/proc &&
	cmp before after &&
	grep -F "0|/empty/dir/link|" t7/body >/dev/null &&
	test "$(doc t7 .totals.link_targets_not_read)" -ge 1 &&
	! grep -F "0|/empty/proc/" t7/body &&
	test "$(grep -c "0|/empty/dir/file|" t7/body)" = 1 &&
	doc t7 ".mounts[] | select(.mount_point == \"$TEST_TMP/tree/empty\") | .action" >act &&
	test "$(cat act)" = walked &&
	doc t7 ".mounts[] | select(.mount_point == \"$TEST_TMP/tree/empty/again\") | .reason" >why &&
	test_grep "walked once" why &&
	doc t7 ".mounts[] | select(.mount_point == \"$TEST_TMP/tree/empty/proc\") | .reason" >why &&
	test_grep "pseudo filesystem" why &&
	test "$(doc t7 "[.mounts[] | select(.action == \"walked\")] | length")" = 2
'
umount "$TEST_TMP/tree/empty"
else
	test_skip 'on a strictatime tmpfs: no atime changes, no step into other mounts' 'needs root and mount'
fi

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
test_expect_success 'as nobody: an unreadable directory is recorded with EACCES' '
	mkdir -p shut/open shut/closed && touch shut/open/f shut/closed/g &&
	chmod 000 shut/closed && chmod 755 shut shut/open &&
	cp key nobody.key && chown nobody nobody.key && mkdir nobody-out &&
	chown nobody nobody-out && profile nobody.yaml "$TEST_TMP/shut" &&
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$CUSTODY" collect \
	    --key nobody.key --profile "$TEST_TMP/nobody.yaml" \
	    -o nobody-out/n.tar.zst >/dev/null 2>err &&
	custody verify --key key.pub nobody-out/n.tar.zst >/dev/null &&
	extract nobody-out/n.tar.zst t8 &&
	test "$(doc t8 .totals.unreadable)" = 1 &&
	doc t8 ".problems[0] | .name + \": \" + .error" >problem &&
	test_grep "/closed: Permission denied" problem &&
	test "$(doc t8 .totals.atime_not_spared)" -ge 1 &&
	cat t8/live/timeline/body-* >t8/body &&
	grep -F "0|/closed|" t8/body >/dev/null && grep -F "0|/open/f|" t8/body >/dev/null &&
	! grep -F "0|/closed/g|" t8/body
'
else
	test_skip 'as nobody: an unreadable directory is recorded with EACCES' 'needs root and setpriv'
fi

if "$OLD_KERNEL" true 2>/dev/null; then
test_expect_success 'on Linux 3.10 (no statx): fstatat, crtime 0, said so, mactime still reads it' '
	profile old.yaml "$TEST_TMP/tree" &&
	"$OLD_KERNEL" "$CUSTODY" collect --key key --profile "$TEST_TMP/old.yaml" \
	    -o old.tar.zst >/dev/null 2>&1 &&
	custody verify --key key.pub old.tar.zst >/dev/null &&
	extract old.tar.zst t9 && cat t9/live/timeline/body-* >t9/body &&
	test "$(doc t9 .stat)" = "fstatat (no statx: crtime 0)" &&
	test "$(cut -d"|" -f11 t9/body | sort -u)" = 0 &&
	test "$(doc t9 .totals.birth_times)" = 0 && eleven t9 &&
	mactime -b t9/body -d -y >t9/mactime &&
	test_grep "2024-03-05T06:07:08Z,18,m" t9/mactime
'
else
	test_skip 'on Linux 3.10 (no statx): fstatat, crtime 0, mactime still reads it' 'no seccomp here'
fi

test_expect_success 'in every output mode: -o DIR, -o - and --case' '
	profile modes.yaml "$TEST_TMP/big" &&
	mkdir od && custody collect --key key --profile "$TEST_TMP/modes.yaml" -o od >/dev/null 2>&1 &&
	custody verify --key key.pub od/*.tar.zst >/dev/null &&
	custody collect --key key --profile "$TEST_TMP/modes.yaml" -o - 2>/dev/null >s.tar.zst &&
	custody verify --key key.pub s.tar.zst >/dev/null &&
	extract s.tar.zst sx && test "$(cat sx/live/timeline/body-* | wc -l)" = 100002 &&
	custody init tc --case-id TL --key key >/dev/null &&
	custody collect --case tc --key key --profile "$TEST_TMP/modes.yaml" >/dev/null 2>&1 &&
	custody verify --case tc tc/TL_E001_*.tar.zst >/dev/null
'

test_expect_success 'the whole host: verifies, holds /, walks each filesystem once' '
	timeline "" host.tar.zst host &&
	grep "^0|/|" host/body | grep -F "|d/d" >/dev/null &&
	grep -F "0|/etc/passwd|" host/body >/dev/null &&
	! grep "^0|/proc/" host/body && ! grep "^0|/sys/" host/body &&
	test "$(doc host .root)" = / && eleven host &&
	test "$(doc host "[.mounts[] | select(.mount_point == \"/\") | .action] | index(\"walked\") != null")" = true
'

test_done
