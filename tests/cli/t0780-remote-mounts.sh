#!/bin/sh
# Network, FUSE and automount filesystems: a walk of a path entry (a tree,
# a glob), the locators of histories and logs, and the timeline never wait
# on them nor step onto them; the mount point is recorded as not read.
# Their hostile case is a dead FUSE mount that never answers a request
# (tests/cli/fuse-dead.py): every collection must end in bounded time.
# A path naming the mount itself is still attempted. And sysctl never
# collects the secrets it holds.
#
# The dead mounts are made in a mount namespace of this test's own, so
# that nothing else on the host ever meets them.
if [ -z "${CUSTODY_T0780_NAMESPACE:-}" ] && [ "$(id -u)" -eq 0 ] &&
    unshare --mount --propagation private true 2>/dev/null; then
	CUSTODY_T0780_NAMESPACE=1
	export CUSTODY_T0780_NAMESPACE
	exec unshare --mount --propagation private "${SHELL:-/bin/sh}" "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

make_key
H=$TEST_TMP/host
mkdir -p "$H/etc" "$H/home/alice" "$H/home/bob" "$H/srv/share" "$H/srv/app" \
    "$H/var/log"
{
	echo "root:x:0:0:root:/root:/bin/sh"
	echo "alice:x:1000:1000:Alice:/home/alice:/bin/bash"
	echo "bob:x:1001:1001:Bob:/home/bob:/bin/bash"
} >"$H/etc/passwd"
echo "ls /srv" >"$H/home/bob/.bash_history"
: >"$H/home/bob/.python_history"
: >"$H/srv/app/dead.log"
echo "started" >"$H/srv/app/app.log"

# The dead mounts: the helpers' pids in ./fuse.pids, their directories in
# ./fuse.dirs. Ending a helper aborts its connection; umount -l then takes
# the mount away. Always, on the way out, before the temporary tree goes.
fuse_cleanup() {
	[ -f "$TEST_TMP/fuse.pids" ] && while read -r pid; do
		kill "$pid" 2>/dev/null
	done <"$TEST_TMP/fuse.pids"
	sleep 0.2
	[ -f "$TEST_TMP/fuse.dirs" ] && while read -r dir; do
		umount -l "$dir" 2>/dev/null
	done <"$TEST_TMP/fuse.dirs"
	chmod -R u+rwx "$TEST_TMP" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap fuse_cleanup EXIT

# fuse_dead PATH TYPE [ROOTMODE]: a dead FUSE mount of TYPE on PATH (a
# directory, or with ROOTMODE 100000 a file); 0 once it is there.
fuse_dead() {
	rm -f "$TEST_TMP/fuse.out"
	python3 "$SRCDIR/tests/cli/fuse-dead.py" "$@" >"$TEST_TMP/fuse.out" \
	    2>"$TEST_TMP/fuse.err" &
	echo $! >>"$TEST_TMP/fuse.pids"
	echo "$1" >>"$TEST_TMP/fuse.dirs"
	i=0
	while [ $i -lt 100 ]; do
		grep -q mounted "$TEST_TMP/fuse.out" 2>/dev/null && return 0
		kill -0 "$!" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	cat "$TEST_TMP/fuse.err" >&2
	return 1
}

reason=
if [ -z "${CUSTODY_T0780_NAMESPACE:-}" ]; then
	reason="needs root and a mount namespace of its own (unshare -m)"
elif [ ! -c /dev/fuse ]; then
	reason="no /dev/fuse"
elif ! fuse_dead "$H/home/alice" fuse 2>"$TEST_TMP/why" ||
    ! fuse_dead "$H/srv/share" fuse.sshfs 2>>"$TEST_TMP/why" ||
    ! fuse_dead "$H/home/bob/.python_history" fuse.histfs 100000 \
    2>>"$TEST_TMP/why" ||
    ! fuse_dead "$H/srv/app/dead.log" fuse 100000 2>>"$TEST_TMP/why"; then
	reason="a FUSE mount is not allowed here: $(head -n 1 "$TEST_TMP/why")"
fi

# remote_collect NAME ENTRIES...: collect a profile of the entries (YAML
# lines) under timeout 60 (then KILL) into NAME.tar; its status in NAME.status, the
# archive verified (by hand too) and extracted into NAME/.
remote_collect() {
	name=$1
	shift
	{
		echo "name: $name"
		echo "entries:"
		for e in "$@"; do
			echo "$e"
		done
	} >"$name.yaml" &&
	{ timeout -k 10 60 "$CUSTODY" collect --key "$TEST_TMP/key" --compress none \
	    --profile "$name.yaml" -o "$name.tar" >"$name.out" 2>&1
	  echo $? >"$name.status"; } &&
	case $(cat "$name.status") in
	124 | 137) echo "$name: timed out" >&2; return 1 ;;
	esac &&
	custody verify --key key.pub "$name.tar" >/dev/null &&
	byhand_agrees 0 archive "$name.tar" key.pub &&
	extract "$name.tar" "$name"
}

# not_read DIR PATH TYPE: the manifest of DIR records PATH as a mount not read.
not_read() {
	manifest_entry "$1" "$2" | jq -e --arg r \
	    "network or FUSE filesystem, not read: $3" \
	    '.status == "skipped" and .reason == $r and .path == null' >/dev/null ||
	{ echo "$2 in $1:" >&2; manifest_entry "$1" "$2" >&2; return 1; }
}

if [ -n "$reason" ]; then
	for t in "a path entry for the parent tree ends; the mount is not read" \
	    "a glob matching the mount ends; the mount is not read" \
	    "histories and logfiles with the mount under root: end; not read" \
	    "the timeline ends and leaves the mounts out" \
	    "as non-root: the mounts are not read" \
	    "a path entry naming the mount itself is attempted"; do
		test_skip "$t" "$reason"
	done
else
	test_expect_success 'a path entry for the parent tree ends; the mount is not read' '
		remote_collect tree "  - path: $H" &&
		test "$(cat tree.status)" = 0 &&
		not_read tree "$H/home/alice" fuse &&
		not_read tree "$H/srv/share" fuse.sshfs &&
		not_read tree "$H/home/bob/.python_history" fuse.histfs &&
		not_read tree "$H/srv/app/dead.log" fuse &&
		manifest_entry tree "$H/home/bob/.bash_history" |
		    jq -e ".status == \"ok\"" >/dev/null &&
		manifest_entry tree "$H/srv/app/app.log" |
		    jq -e ".status == \"ok\"" >/dev/null &&
		! grep -F "$H/home/alice/" tree/custody/manifest.jsonl
	'

	test_expect_success 'a glob matching the mount ends; the mount is not read' '
		remote_collect glob "  - path: $H/home/*/.bash_history" \
		    "  - path: $H/srv/*" &&
		test "$(cat glob.status)" = 0 &&
		not_read glob "$H/home/alice" fuse &&
		not_read glob "$H/srv/share" fuse.sshfs &&
		manifest_entry glob "$H/home/bob/.bash_history" |
		    jq -e ".status == \"ok\"" >/dev/null &&
		manifest_entry glob "$H/srv/app/app.log" |
		    jq -e ".status == \"ok\"" >/dev/null
	'

	test_expect_success 'histories and logfiles with the mount under root: end; not read' '
		remote_collect located "  - live: histories" "    root: $H" \
		    "  - live: logfiles" "    root: $H" &&
		test "$(cat located.status)" = 0 &&
		not_read located "$H/home/alice" fuse &&
		not_read located "$H/srv/share" fuse.sshfs &&
		not_read located "$H/home/bob/.python_history" fuse.histfs &&
		not_read located "$H/srv/app/dead.log" fuse &&
		jq -e ".homes[] | select(.path == \"/home/alice\") |
		    .status == \"network or FUSE filesystem, not read\"" \
		    located/live/histories.json >/dev/null &&
		jq -e ".walks[] | select(.path == \"/srv\") |
		    (.mounts_not_read | sort) == [\"/srv/app/dead.log\", \"/srv/share\"]" \
		    located/live/logfiles.json >/dev/null &&
		jq -e ".walks[] | select(.path == \"/home/alice\") |
		    .status == \"network or FUSE filesystem, not read\"" \
		    located/live/logfiles.json >/dev/null &&
		manifest_entry located "$H/home/bob/.bash_history" |
		    jq -e ".status == \"ok\"" >/dev/null &&
		manifest_entry located "$H/srv/app/app.log" |
		    jq -e ".status == \"ok\"" >/dev/null
	'

	test_expect_success 'the timeline ends and leaves the mounts out' '
		remote_collect timeline "  - live: timeline" "    root: $H" &&
		test "$(cat timeline.status)" = 0 &&
		jq -e --arg p "$H/home/alice" ".mounts[] | select(.mount_point == \$p) |
		    .action == \"skipped\" and (.reason | startswith(\"FUSE filesystem\"))" \
		    timeline/live/timeline.json >/dev/null &&
		jq -e --arg p "$H/srv/share" ".mounts[] | select(.mount_point == \$p) |
		    .action == \"skipped\" and (.reason | startswith(\"network filesystem\"))" \
		    timeline/live/timeline.json >/dev/null &&
		cat timeline/live/timeline/body-* >body &&
		grep -F "|/home/bob/.bash_history|" body &&
		! grep -F "|/home/alice/" body
	'

	# Without allow_other, the kernel refuses a FUSE mount's attributes to
	# other users before asking its process, but tells its device.
	if command -v setpriv >/dev/null; then
	test_expect_success 'as non-root: the collection ends; the mounts are not read' '
		mkdir nr && cp key nr/key && cp "$CUSTODY" nr/custody &&
		chmod 755 nr/custody &&
		printf "name: nr\nentries:\n  - path: %s\n  - live: histories\n    root: %s\n" \
		    "$H" "$H" >nr/nr.yaml &&
		chown 65534 nr nr/key && chmod 600 nr/key && chmod 644 nr/nr.yaml &&
		{ (cd nr && setpriv --reuid=65534 --regid=65534 --clear-groups \
		    timeout -k 10 60 ./custody collect --key key --compress none \
		    --profile nr.yaml -o nr.tar >nr.out 2>&1); echo $? >nr/status; } &&
		{ test "$(cat nr/status)" = 0 ||
		  { echo "exit $(cat nr/status)"; cat nr/nr.out; false; }; } &&
		custody verify --key key.pub nr/nr.tar >/dev/null &&
		byhand_agrees 0 archive nr/nr.tar key.pub &&
		extract nr/nr.tar nrx &&
		not_read nrx "$H/home/alice" fuse &&
		not_read nrx "$H/srv/share" fuse.sshfs &&
		manifest_entry nrx "$H/home/alice" |
		    jq -e ".kind == \"unknown\" and .uid == null" >/dev/null &&
		jq -e ".homes[] | select(.path == \"/home/alice\") |
		    .status == \"network or FUSE filesystem, not read\"" \
		    nrx/live/histories.json >/dev/null &&
		manifest_entry nrx "$H/home/bob/.bash_history" |
		    jq -e ".status == \"ok\"" >/dev/null
	'
	else
		test_skip "as non-root: the mounts are not read" "needs setpriv"
	fi

	# Last: ending alice's helper takes that mount's connection away.
	test_expect_success 'a path entry naming the mount itself is attempted' '
		{
			echo "name: named"
			echo "entries:"
			echo "  - path: $H/home/alice"
		} >named.yaml &&
		{ timeout -k 10 60 "$CUSTODY" collect --key "$TEST_TMP/key" --compress none \
		    --profile named.yaml -o named.tar >named.out 2>&1
		  echo $? >named.status; } &
		collecting=$! &&
		sleep 2 &&
		kill "$(head -n 1 "$TEST_TMP/fuse.pids")" &&
		wait "$collecting" &&
		test "$(cat named.status)" = 3 &&
		custody verify --key key.pub named.tar >/dev/null &&
		byhand_agrees 0 archive named.tar key.pub &&
		extract named.tar named &&
		manifest_entry named "$H/home/alice" | jq -e ".status == \"error\" and
		    (.reason | startswith(\"open directory: \"))" >/dev/null
	'
fi

test_expect_success 'sysctl: secret values are listed, never collected' '
	remote_collect sysctl "  - live: sysctl" &&
	test "$(cat sysctl.status)" = 0 &&
	jq -e "(.values | keys | map(select(test(\"^net[.]ipv4[.]tcp_fastopen_key$|[.]stable_secret$\")))) == [] and
	    (.unreadable | keys | map(select(test(\"[.]stable_secret$\")))) == [] and
	    (.secrets_not_collected | index(\"net.ipv6.conf.all.stable_secret\") != null) and
	    (.values | has(\"kernel.random.boot_id\"))" sysctl/live/sysctl.json >/dev/null &&
	if [ -e /proc/sys/net/ipv4/tcp_fastopen_key ]; then
		jq -e ".secrets_not_collected | index(\"net.ipv4.tcp_fastopen_key\") != null" \
		    sysctl/live/sysctl.json >/dev/null
	fi
'

test_done
