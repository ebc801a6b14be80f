#!/bin/sh
# Nothing is opened by accident: a FIFO or a device node where a history, a
# log, a configuration file, /etc/passwd, kmsg or a path entry is expected
# is recorded with its type and never opened, so every collection ends;
# a link's target is not read where that would change the link's atime;
# and a hostile environment (GCONV_PATH, LOCPATH) loads nothing into custody.
. "$(dirname "$0")/lib.sh"

make_key
H=$TEST_TMP/host
H2=$TEST_TMP/host2
P=$TEST_TMP/paths

# collect_bounded PROFILE OUT: collect under timeout 60; exit status to ./status.
collect_bounded() {
	timeout 60 "$CUSTODY" collect --key "$TEST_TMP/key" --profile "$1" \
	    -o "$2" >/dev/null 2>err
	echo $? >status
}

# The collection ended by itself (not killed by timeout or a signal).
ended() {
	s=$(cat status) && test "$s" -le 3 ||
	    { echo "collect exited $s"; cat err; return 1; }
}

# jq -e over live/$2.json of extracted archive $1.
doc() {
	jq -e "$3" "$1/live/$2.json" >/dev/null ||
	    { echo "live/$2.json: not $3"; jq . "$1/live/$2.json"; return 1; }
}

# jq -e over the manifest entry of host path $2 in extracted archive $1.
entry() {
	e=$(manifest_entry "$1" "$2") && test -n "$e" &&
	    echo "$e" | jq -e "$3" >/dev/null ||
	    { echo "entry $2: not $3: $e"; return 1; }
}

# True when the file system holding $1 never updates atimes (ro, noatime).
atime_never() {
	findmnt -no OPTIONS -T "$1" | tr , '\n' | grep -qxE 'ro|noatime'
}

test_expect_success 'a fake host with FIFOs and devices where files are expected' '
	mkdir -p "$H/etc/mysql" "$H/home/a" "$H/srv/app" "$H/dev" \
	    "$H2/etc/mysql" "$H2/var/log/mysql" "$H2/dev" "$P" &&
	echo "a:x:1000:1000::/home/a:/bin/bash" >"$H/etc/passwd" &&
	mkfifo "$H/home/a/.bash_history" "$H/srv/app/app.log" \
	    "$H/etc/mysql/my.cnf" "$H2/etc/passwd" "$H2/var/log/mysql/err.log" \
	    "$H2/dev/kmsg" "$P/fifo" "$TEST_TMP/named-fifo" &&
	printf "[mysqld]\nlog_error = /var/log/mysql/err.log\n" >"$H2/etc/mysql/my.cnf" &&
	mknod "$H/dev/kmsg" c 1 5 &&
	mknod "$P/null" c 1 3 && mknod "$P/zero" c 1 5 &&
	mknod "$TEST_TMP/named-zero" c 1 5 &&
	cat >fifos.yaml <<-EOF
	name: fifos
	entries:
	  - path: $P
	  - path: $TEST_TMP/named-fifo
	  - path: $TEST_TMP/named-zero
	  - live: histories
	    root: $H
	  - live: logfiles
	    root: $H
	  - live: kmsg
	    root: $H
	EOF
	sed "s|root: $H\$|root: $H2|; s|^name: fifos|name: fifos2|" fifos.yaml >fifos2.yaml
'

test_expect_success 'the collections end, and verify passes' '
	collect_bounded fifos.yaml a.tar && ended &&
	collect_bounded fifos2.yaml b.tar && ended &&
	custody verify --key key.pub a.tar >/dev/null &&
	byhand_agrees 0 archive a.tar key.pub &&
	custody verify --key key.pub b.tar >/dev/null &&
	byhand_agrees 0 archive b.tar key.pub &&
	extract a.tar ax && extract b.tar bx
'

test_expect_success 'path entries: FIFOs and devices recorded with their type, never opened' '
	for f in "$P/fifo" "$TEST_TMP/named-fifo"; do
		entry ax "$f" ".kind == \"fifo\" and .status == \"metadata-only\" and
		    (.reason | test(\"never opened\")) and (has(\"path\") | not)" ||
		    return 1
	done &&
	for f in "$P/null" "$P/zero" "$TEST_TMP/named-zero"; do
		entry ax "$f" ".kind == \"char-device\" and .status == \"metadata-only\" and
		    (.reason | test(\"never opened\")) and (has(\"path\") | not)" ||
		    return 1
	done &&
	entry ax "$P/zero" ".rdev_major == 1 and .rdev_minor == 5"
'

test_expect_success 'histories: a FIFO history is recorded as a fifo; a FIFO passwd is refused unopened' '
	entry ax "$H/home/a/.bash_history" ".kind == \"fifo\" and
	    (.reason | test(\"never opened\"))" &&
	! test -e "ax/files$H/home/a/.bash_history" &&
	jq -e ".. | strings | select(test(\"/etc/passwd: not a regular file \\\\(fifo\\\\), not opened\"))" \
	    bx/live/histories.json >/dev/null
'

test_expect_success 'logfiles: a FIFO configuration file and FIFO logs are never opened' '
	doc ax logfiles ".mysql.files[] | select(.path == \"/etc/mysql/my.cnf\") |
	    .status == \"not collected: not a regular file\" and
	    (.error | test(\"not a regular file \\\\(fifo\\\\)\"))" &&
	doc ax logfiles ".walks[] | select(.path == \"/srv\") |
	    .not_regular == 1 and .matched == 0" &&
	doc bx logfiles "[.. | objects | select(.path? == \"/var/log/mysql/err.log\") |
	    .status] | index(\"not collected: not a regular file\") != null"
'

test_expect_success 'kmsg under root: a char device or a FIFO is refused unopened' '
	doc ax kmsg ".records == [] and .open_error != null and
	    (.errors | any(test(\"dev/kmsg: not a regular file \\\\(char-device\\\\), not opened\")))" &&
	doc bx kmsg ".records == [] and
	    (.errors | any(test(\"dev/kmsg: not a regular file \\\\(fifo\\\\), not opened\")))"
'

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	test_expect_success 'not root: the same FIFOs and devices, the same records' '
		mkdir nobody-out && chown nobody nobody-out &&
		cp key nobody.key && chown nobody nobody.key &&
		timeout 60 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    "$CUSTODY" collect --key nobody.key --profile fifos.yaml \
		    -o nobody-out/n.tar >/dev/null 2>err; test $? -le 3 &&
		custody verify --key key.pub nobody-out/n.tar >/dev/null &&
		extract nobody-out/n.tar nx &&
		entry nx "$P/zero" ".kind == \"char-device\" and (.reason | test(\"never opened\"))" &&
		entry nx "$TEST_TMP/named-fifo" ".kind == \"fifo\"" &&
		doc nx kmsg "(.errors | any(test(\"not a regular file \\\\(char-device\\\\)\")))" &&
		doc nx logfiles ".mysql.files[0].status == \"not collected: not a regular file\""
	'
else
	test_skip 'not root: the same FIFOs and devices, the same records' 'needs root and setpriv'
fi

if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	test_expect_success 'kmsg on the live root: only the kernel log device 1:11 is opened' '
		mkfifo fake-kmsg &&
		printf "name: k\nentries:\n  - live: kmsg\n" >k.yaml &&
		timeout 60 unshare -m sh -c "mount --bind fake-kmsg /dev/kmsg &&
		    \"\$0\" collect --key key --profile k.yaml -o k.tar" "$CUSTODY" \
		    >/dev/null 2>err; test $? -le 3 &&
		extract k.tar kx &&
		doc kx kmsg ".records == [] and
		    (.errors | any(test(\"/dev/kmsg: not the kernel log device \\\\(fifo 0:0\\\\)\")))"
	'
else
	test_skip 'kmsg on the live root: only the kernel log device 1:11 is opened' 'needs root and unshare -m'
fi

test_expect_success 'a link whose atime reading may change: its target is read, its old atime recorded, the risk said' '
	mkdir links && ln -s /etc/passwd links/old && ln -s /etc/hostname links/fresh &&
	touch -h -a -d "2001-01-01 00:00:00" links/old &&
	sleep 0.1 && readlink links/fresh >/dev/null &&
	old_before=$(stat -c %X links/old) && fresh_before=$(stat -c %X links/fresh) &&
	mkdir -p "$H/home" && ln -s /tmp "$H/home/b" &&
	touch -h -a -d "2001-01-01 00:00:00" "$H/home/b" &&
	echo "b:x:1001:1001::/home/b:/bin/sh" >>"$H/etc/passwd" &&
	cat >links.yaml <<-EOF &&
	name: links
	entries:
	  - path: $TEST_TMP/links
	  - live: histories
	    root: $H
	EOF
	collect_bounded links.yaml l.tar && ended &&
	custody verify --key key.pub l.tar >/dev/null &&
	byhand_agrees 0 archive l.tar key.pub &&
	test "$(stat -c %X links/fresh)" = "$fresh_before" &&
	extract l.tar lx &&
	entry lx "$TEST_TMP/links/old" ".kind == \"symlink\" and
	    .link_target == \"/etc/passwd\" and
	    .atime == \"2001-01-01T00:00:00.000000000Z\"" &&
	doc lx histories ".homes[] | select(.path == \"/home/b\") |
	    .target == \"/tmp\"" &&
	if atime_never links; then
		entry lx "$TEST_TMP/links/old" "has(\"noatime\") | not"
	else
		entry lx "$TEST_TMP/links/old" ".noatime == false" &&
		doc lx histories ".homes[] | select(.path == \"/home/b\") |
		    .atime_not_spared == true"
	fi &&
	if findmnt -no OPTIONS -T links | tr , "\n" | grep -qx strictatime; then
		entry lx "$TEST_TMP/links/fresh" ".noatime == false"
	else
		entry lx "$TEST_TMP/links/fresh" ".link_target == \"/etc/hostname\" and
		    (has(\"noatime\") | not)"
	fi
'



# A gconv module that leaves a marker when loaded, and a locale whose
# character set only that module converts: what GCONV_PATH and LOCPATH
# would make the C library load into a program that honours them.
hostile_environment() {
	mkdir -p evil/locale &&
	cat >evil/evil.c <<-EOF &&
	#include <fcntl.h>
	#include <unistd.h>
	__attribute__((constructor)) static void mark(void)
	{
		int fd = open("$TEST_TMP/evil/MARKER", O_WRONLY | O_CREAT, 0600);
		if (fd >= 0)
			close(fd);
	}
	int gconv(void) { return 0; }
	int gconv_init(void) { return 0; }
	EOF
	cc -shared -fPIC -o evil/evil.so evil/evil.c &&
	printf "module EVIL// INTERNAL evil 1\nmodule INTERNAL EVIL// evil 1\n" \
	    >evil/gconv-modules &&
	zcat /usr/share/i18n/charmaps/UTF-8.gz |
	    sed "s/^<code_set_name> UTF-8\$/<code_set_name> EVIL/" >evil/EVIL.cm &&
	{ localedef -c -f evil/EVIL.cm -i C evil/locale/C.UTF-8 >/dev/null 2>&1 ||
	    :; } &&
	test -f evil/locale/C.UTF-8/LC_CTYPE
}

if command -v cc >/dev/null && command -v localedef >/dev/null &&
    test -f /usr/share/i18n/charmaps/UTF-8.gz && test -f /usr/share/i18n/locales/C; then
	test_expect_success 'a hostile GCONV_PATH and LOCPATH load nothing, in collect and verify' '
		hostile_environment &&
		mkdir names && echo x >"names/$(printf "caf\303\251")" &&
		GCONV_PATH=$TEST_TMP/evil LOCPATH=$TEST_TMP/evil/locale \
		    timeout 60 "$CUSTODY" collect --key key -o g.tar names >/dev/null 2>err &&
		! test -e evil/MARKER &&
		GCONV_PATH=$TEST_TMP/evil LOCPATH=$TEST_TMP/evil/locale \
		    timeout 60 "$CUSTODY" verify --key key.pub g.tar >/dev/null &&
		! test -e evil/MARKER &&
		byhand_agrees 0 archive g.tar key.pub
	'
else
	test_skip 'a hostile GCONV_PATH and LOCPATH load nothing, in collect and verify' 'needs cc, localedef and the C locale sources'
fi

# LeakSanitizer refuses to run under ptrace: no strace for sanitized builds.
if test "${CUSTODY_SANITIZED:-no}" != yes && command -v strace >/dev/null &&
    strace -f -o /dev/null true 2>/dev/null; then
	test_expect_success 'strace: no time zone file, nothing under GCONV_PATH or LOCPATH is opened' '
		mkdir -p evil/locale &&
		GCONV_PATH=$TEST_TMP/evil LOCPATH=$TEST_TMP/evil/locale TZ=:/etc/passwd \
		    timeout 60 strace -f -o trace -e trace=open,openat \
		    "$CUSTODY" collect --key key -o s.tar "$P" >/dev/null 2>err &&
		! grep -E "zoneinfo|\"/etc/localtime\"|$TEST_TMP/evil" trace &&
		GCONV_PATH=$TEST_TMP/evil LOCPATH=$TEST_TMP/evil/locale \
		    timeout 60 strace -f -o trace2 -e trace=open,openat \
		    "$CUSTODY" verify --key key.pub s.tar >/dev/null &&
		! grep -E "zoneinfo|\"/etc/localtime\"|$TEST_TMP/evil" trace2
	'
else
	test_skip 'strace: no time zone file, nothing under GCONV_PATH or LOCPATH is opened' 'needs strace and a build without sanitizers'
fi

test_done
