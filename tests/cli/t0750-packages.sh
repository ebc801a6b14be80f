#!/bin/sh
# The packages source: dpkg's status and md5sums, rpm's database, and the
# native "dpkg -V" of every package file the collection reads. Each hostile
# input (broken stanzas, a 100 MB field, 100,000 files, paths leaving the
# root, corrupt rpm headers) is recorded, bounded and never fatal.
. "$(dirname "$0")/lib.sh"

make_key

# A fake host under $TEST_TMP/host: package "tool" owns usr/bin/tool (a copy
# of a real binary), usr/share/tool/data and the conffile /etc/tool.conf.
make_host() {
	h=$TEST_TMP/host &&
	mkdir -p "$h/var/lib/dpkg/info" "$h/usr/bin" "$h/usr/share/tool" "$h/etc" &&
	cp /bin/true "$h/usr/bin/tool" &&
	echo data >"$h/usr/share/tool/data" &&
	echo "setting=1" >"$h/etc/tool.conf" &&
	echo gone >"$h/usr/share/tool/gone" &&
	(cd "$h" && md5sum usr/bin/tool usr/share/tool/data usr/share/tool/gone) \
	    >"$h/var/lib/dpkg/info/tool.md5sums" &&
	touch -d "2024-03-04 05:06:07 UTC" "$h/var/lib/dpkg/info/tool.list" &&
	cat >"$h/var/lib/dpkg/status" <<-EOF
	Package: tool
	Status: install ok installed
	Installed-Size: 12
	Maintainer: Test <test@example.org>
	Architecture: amd64
	Version: 1.0-1
	Conffiles:
	 /etc/tool.conf $(md5sum <"$h/etc/tool.conf" | cut -c1-32)
	Description: a tool
	 for the tests

	EOF
}

# profile NAME ROOT [PATH...]: the packages source under ROOT, then the paths.
profile() {
	name=$1 root=$2
	shift 2
	{
		echo "name: $name"
		echo "entries:"
		echo "  - live: packages"
		echo "    root: $root"
		for p in "$@"; do
			echo "  - path: $p"
		done
	} >"$name.yaml"
}

# collect_profile NAME OUT: collect with a profile, bounded; status to ./status.
collect_profile() {
	run_bounded "$CUSTODY" collect --key "$TEST_TMP/key" --profile "./$1.yaml" \
	    -o "$2" >/dev/null
}

test_expect_success 'dpkg packages are listed with their install time' '
	make_host && profile p1 "$TEST_TMP/host" &&
	collect_profile p1 p1.tar && test "$(cat status)" = 0 &&
	extract p1.tar x1 &&
	jq -e ".dpkg.count == 1 and .dpkg.rejected_stanzas_count == 0" \
	    x1/live/packages.json &&
	jq -e ".dpkg.packages[0] | .package == \"tool\" and .version == \"1.0-1\"
	    and .installed_size == 12 and .architecture == \"amd64\"
	    and .installed_at == \"2024-03-04T05:06:07.000000000Z\"
	    and .md5sums.digests == 3 and (.conffiles | length) == 1" \
	    x1/live/packages.json &&
	jq -e ".dpkg.log | test(\"dpkg.log\")" x1/live/packages.json
'

test_expect_success 'a changed package file is named with the right digests' '
	h=$TEST_TMP/host &&
	expected=$(md5sum <"$h/usr/bin/tool" | cut -c1-32) &&
	printf "\377" | dd of="$h/usr/bin/tool" bs=1 seek=100 conv=notrunc 2>/dev/null &&
	actual=$(md5sum <"$h/usr/bin/tool" | cut -c1-32) &&
	test "$expected" != "$actual" &&
	echo "setting=2" >"$h/etc/tool.conf" &&
	conf_actual=$(md5sum <"$h/etc/tool.conf" | cut -c1-32) &&
	rm "$h/usr/share/tool/gone" &&
	profile p2 "$h" "$h/usr" "$h/etc" &&
	collect_profile p2 p2.tar && test "$(cat status)" = 0 &&
	custody verify --key key.pub p2.tar >/dev/null &&
	byhand_agrees 0 archive p2.tar key.pub &&
	extract p2.tar x2 && v=x2/live/packages/verify.json &&
	jq -e ".checked == 3 and .ok == 1 and .changed_count == 2 and .missing_count == 1" $v &&
	jq -e --arg p "$h/usr/bin/tool" --arg e "$expected" --arg a "$actual" \
	    ".changed[] | select(.path == \$p) | .package == \"tool\" and
	    .algorithm == \"md5\" and .expected == \$e and .actual == \$a and
	    .conffile == false" $v &&
	jq -e --arg p "$h/etc/tool.conf" --arg a "$conf_actual" \
	    ".changed[] | select(.path == \$p) | .conffile and .actual == \$a" $v &&
	jq -e --arg p "$h/usr/share/tool/gone" ".missing[0].path == \$p" $v &&
	test_grep "package file changed: '\''$h/usr/bin/tool'\'' (package tool): expected md5 $expected, read $actual" \
	    x2/custody/collection.log
'

test_expect_success 'a file read only in part is not checked, and says why' '
	h=$TEST_TMP/host &&
	{ echo "name: p3"; echo "entries:"; echo "  - live: packages";
	  echo "    root: $h"; echo "  - path: $h/usr/bin";
	  echo "    max_size: 10"; } >p3.yaml &&
	collect_profile p3 p3.tar && test "$(cat status)" = 0 &&
	extract p3.tar x3 &&
	jq -e ".checked == 0 and .unchecked_count == 1 and
	    .unchecked[0].reason == \"truncated-at-limit\"" x3/live/packages/verify.json
'

test_expect_success 'broken stanzas are rejected one by one, the rest is read' '
	mkdir -p b/var/lib/dpkg/info &&
	printf "%s\n" " continuation first" "Package: a" "" \
	    "Package: b" "no colon here" "" \
	    "Package: c" "Version: 1" "Version: 2" "" \
	    "Version: 1" "Status: install ok installed" "" \
	    "Package: UPPER/../x" "" \
	    "# a comment" "Package: d" "" \
	    "Package: ok" "Version: 9" "" >b/var/lib/dpkg/status &&
	printf "Package: nul\nVersion: 1\0x\n\n" >>b/var/lib/dpkg/status &&
	profile p4 "$TEST_TMP/b" && collect_profile p4 p4.tar &&
	test "$(cat status)" = 0 && extract p4.tar x4 &&
	j=x4/live/packages.json &&
	jq -e ".dpkg.count == 1 and .dpkg.packages[0].package == \"ok\"" $j &&
	jq -e ".dpkg.rejected_stanzas_count == 7" $j &&
	for r in "a continuation line before any field" \
	    "a line that is neither a field nor a continuation" \
	    "a field given twice" "no Package field" \
	    "a Package name dpkg would not accept" "a comment line" "a NUL byte"; do
		jq -e --arg r "$r" "[.dpkg.rejected_stanzas[].reason] | index(\$r) != null" $j ||
		return 1
	done
'

test_expect_success 'a 100 MB field is cut at the field limit, in bounded memory' '
	mkdir -p big/var/lib/dpkg/info &&
	python3 -c "
import sys
f = open(\"big/var/lib/dpkg/status\", \"w\")
f.write(\"Package: big\nMaintainer: \" + \"m\" * (100 << 20) + \"\n\n\")
f.write(\"Package: long\nDescription: x\n \" + \"d\" * (100 << 20) + \"\n\n\")
f.write(\"Package: after\nVersion: 2\n\n\")" &&
	profile p5 "$TEST_TMP/big" && collect_profile p5 p5.tar &&
	test "$(cat status)" = 0 && test "$(cat rss)" -lt 300000 &&
	extract p5.tar x5 && j=x5/live/packages.json &&
	jq -e ".dpkg.count == 3 and .dpkg.rejected_stanzas_count == 0" $j &&
	jq -e ".dpkg.packages[0] | .package == \"big\" and
	    .truncated_fields == [\"Maintainer\"] and
	    (.maintainer | length) == 1048576 - 12" $j &&
	jq -e ".dpkg.packages[1] | .package == \"long\" and
	    .truncated_fields == [\"Description\"]" $j &&
	jq -e ".dpkg.packages[2].package == \"after\"" $j
'

test_expect_success 'a package of 100,000 files is read whole, in bounded time' '
	mkdir -p many/var/lib/dpkg/info &&
	printf "Package: many\nStatus: install ok installed\n\n" >many/var/lib/dpkg/status &&
	python3 -c "
f = open(\"many/var/lib/dpkg/info/many.md5sums\", \"w\")
for i in range(100000):
    f.write(\"%032x  usr/share/many/%06d\n\" % (i, i))" &&
	profile p6 "$TEST_TMP/many" && collect_profile p6 p6.tar &&
	test "$(cat status)" = 0 && extract p6.tar x6 &&
	jq -e ".dpkg.packages[0].md5sums.digests == 100000 and
	    .recorded_digests == 100000" x6/live/packages.json &&
	jq -e ".recorded == 100000 and .outside == 100000" x6/live/packages/verify.json
'

test_expect_success 'md5sums lines leaving the root or with bad digests are rejected' '
	mkdir -p bad/var/lib/dpkg/info bad/etc &&
	printf "Package: bad\nStatus: install ok installed\nConffiles:\n /etc/../../x 0123456789abcdef0123456789abcdef\n /etc/fine.conf newconffile\n\n" \
	    >bad/var/lib/dpkg/status &&
	printf "%s\n" "0123456789abcdef0123456789abcdef  ../../../etc/passwd" \
	    "0123456789abcdef0123456789abcdef  usr/../../etc/passwd" \
	    "0123456789abcdef0123456789abcdef  /etc/passwd" \
	    "0123456789ABCDEF0123456789abcdef  usr/bin/upper" \
	    "0123456789abcdef  usr/bin/short" "zz23456789abcdef0123456789abcdef  usr/bin/zz" \
	    "0123456789abcdef0123456789abcdef  usr/bin/fine" >bad/var/lib/dpkg/info/bad.md5sums &&
	profile p7 "$TEST_TMP/bad" "$TEST_TMP/bad/etc" && collect_profile p7 p7.tar &&
	test "$(cat status)" = 0 && extract p7.tar x7 && j=x7/live/packages.json &&
	jq -e ".dpkg.packages[0].md5sums.digests == 1 and .recorded_digests == 1" $j &&
	jq -e ".dpkg.rejected_lines_count == 7" $j &&
	jq -e "[.dpkg.rejected_lines[] | select(.reason ==
	    \"a path that is not relative or leaves the root\")] | length == 3" $j &&
	jq -e ".dpkg.packages[0].conffiles == [{\"path\": \"/etc/fine.conf\",
	    \"md5\": \"newconffile\", \"obsolete\": false, \"remove_on_upgrade\": false}]" $j &&
	jq -e ".missing_count == 0 and .recorded == 1" x7/live/packages/verify.json
'

test_expect_success 'rpmdb.sqlite: packages decoded, corrupt headers recorded, files checked' '
	r=$TEST_TMP/rpm && mkdir -p "$r/var/lib/rpm" "$r/usr/bin" &&
	echo "rpm tool" >"$r/usr/bin/tool" &&
	python3 "$SRCDIR/tests/cli/make-rpmdb.py" "$r/var/lib/rpm/rpmdb.sqlite" \
	    "$(sha256sum <"$r/usr/bin/tool" | cut -c1-64)" &&
	cp "$r/var/lib/rpm/rpmdb.sqlite" before.sqlite &&
	echo changed >>"$r/usr/bin/tool" &&
	profile p8 "$r" "$r/usr" && collect_profile p8 p8.tar &&
	test "$(cat status)" = 0 && cmp before.sqlite "$r/var/lib/rpm/rpmdb.sqlite" &&
	! test -e "$r/var/lib/rpm/rpmdb.sqlite-journal" &&
	! test -e "$r/var/lib/rpm/rpmdb.sqlite-wal" &&
	extract p8.tar x8 && j=x8/live/packages.json &&
	jq -e ".dpkg == null and .rpm.databases[0].format == \"sqlite\"" $j &&
	jq -e ".rpm.count == 2 and (.rpm.packages[0] | .name == \"tool\" and
	    .version == \"1.2\" and .release == \"3.el9\" and .epoch == 2 and
	    .arch == \"x86_64\" and .vendor == \"Test Vendor\" and
	    .installed_at == \"2023-11-14T22:13:20.000000000Z\" and
	    .sigmd5 == \"000102030405060708090a0b0c0d0e0f\" and
	    .file_digest_algorithm == \"sha256\" and .file_count == 3 and
	    .files[0].path == \"/usr/bin/tool\" and .files[1].config)" $j &&
	jq -e ".rpm.rejected_headers_count == 3" $j &&
	jq -e ".rpm.packages[1] | .name == \"odd\" and .files == [] and
	    (.files_error | test(\"do not agree\"))" $j &&
	jq -e "[.rpm.rejected_headers[].reason] |
	    (.[0] | test(\"declares 10000 index entries\")) and
	    (.[1] | test(\"offset 2147483632 past\")) and
	    (.[2] | test(\"without its NUL\"))" $j &&
	jq -e --arg p "$r/usr/bin/tool" --arg a "$(sha256sum <"$r/usr/bin/tool" | cut -c1-64)" \
	    ".changed[0] | .path == \$p and .algorithm == \"sha256\" and .actual == \$a" \
	    x8/live/packages/verify.json
'

test_expect_success 'Berkeley DB and ndb databases are recognised and recorded' '
	mkdir -p old/var/lib/rpm suse/usr/lib/sysimage/rpm &&
	python3 -c "
import struct
open(\"old/var/lib/rpm/Packages\", \"wb\").write(b\"\0\" * 12 + struct.pack(\"<I\", 0x061561) + b\"\0\" * 4080)
open(\"suse/usr/lib/sysimage/rpm/Packages.db\", \"wb\").write(b\"RpmP\" + b\"\0\" * 60)" &&
	profile p9 "$TEST_TMP/old" && collect_profile p9 p9.tar &&
	test "$(cat status)" = 0 && extract p9.tar x9 &&
	jq -e ".rpm.databases[0] | .path == \"/var/lib/rpm/Packages\" and
	    .format == \"bdb-hash\" and (.note | test(\"not decoded\"))" x9/live/packages.json &&
	profile p10 "$TEST_TMP/suse" && collect_profile p10 p10.tar &&
	test "$(cat status)" = 0 && extract p10.tar x10 &&
	jq -e ".rpm.databases[0] | .path == \"/usr/lib/sysimage/rpm/Packages.db\" and
	    .format == \"ndb\"" x10/live/packages.json
'

test_expect_success 'an unprivileged run records what it cannot read, and why' '
	mkdir -p np && cp -a "$TEST_TMP/host" np/host &&
	chmod 600 np/host/var/lib/dpkg/status && chmod 700 np/host/var/lib/dpkg/info &&
	chmod 755 np && cp key key.pub np/ && chown 65534 np np/key &&
	profile p11 "$TEST_TMP/np/host" && cp p11.yaml np/ &&
	(cd np && setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$CUSTODY" collect --key key --profile ./p11.yaml -o p11.tar >/dev/null 2>../p11.err;
	    echo $? >../status) &&
	test "$(cat status)" = 0 && extract np/p11.tar x11 &&
	grep "^  live:packages: partial: 1 problem recorded in live/packages.json, the first: .*status: Permission denied$" p11.err &&
	jq -e ".dpkg.error | test(\"Permission denied\")" x11/live/packages.json &&
	jq -e ".errors[0] | test(\"status: Permission denied\")" x11/live/packages.json
'

# The native check against dpkg -V itself, on this host's /etc: the
# conffiles and package files the administrator changed or removed.
if command -v dpkg >/dev/null && test -r /var/lib/dpkg/status && test "$(id -u)" = 0; then
test_expect_success 'on this host, triage names the /etc files dpkg -V names' '
	{ timeout 900 "$CUSTODY" collect --ephemeral --profile triage \
	    -o triage.tar >/dev/null 2>err; echo $? >status; } &&
	test "$(cat status)" = 0 -o "$(cat status)" = 3 &&
	mkdir xt && tar -C xt -xf triage.tar live/packages/verify.json &&
	jq -r ".changed[].path, .missing[].path" xt/live/packages/verify.json |
	    grep "^/etc/" | sort >ours &&
	grep -l "^/etc/" /var/lib/dpkg/info/*.list | sed "s|.*/||; s|\.list\$||" |
	    xargs dpkg -V 2>/dev/null | sed -n "s|^[^/]* \(/etc/.*\)|\1|p" |
	    sort >theirs &&
	cat ours theirs &&
	diff ours theirs
'
else
test_skip 'on this host, triage names the /etc files dpkg -V names' \
    'needs dpkg and root'
fi

test_done
