#!/bin/sh
# Every process's executable, open files, environment, maps, cgroup and
# namespaces: hostile processes (deleted and memfd binaries, a deleted
# 10 GB file held open, megabytes of environment, names that are not
# UTF-8, processes that come and go) against the caps, checked with tools
# we did not write (sha256sum, ls, GNU tar).
. "$(dirname "$0")/lib.sh"

make_key

cat >"$TEST_TMP/proc.yaml" <<'YAML'
name: proctest
entries:
  - live: processes
  - live: executables
    max_size: 1M
  - live: maps
YAML

# The scenario runs in a PID namespace of its own where the kernel allows
# it, so that only its processes are seen; elsewhere on the host's /proc.
if unshare --pid --fork --mount-proc true 2>/dev/null; then
	in_namespace() { unshare --pid --fork --mount-proc sh "$@"; }
else
	in_namespace() { sh "$@"; }
fi

# Start the hostile processes, note their pids, read what other tools say
# of them, collect, and leave: scenario DIR.
cat >"$TEST_TMP/scenario.sh" <<'SH'
set -e
cd "$1"
wait_exe() {
	i=0
	until readlink "/proc/$1/exe" 2>/dev/null | grep -q "$2"; do
		i=$((i + 1)); [ $i -lt 200 ] || return 1; sleep 0.05
	done
}
cp /bin/sleep dsleep
./dsleep 300 &
echo $! >pid.deleted
wait_exe $! dsleep
rm dsleep
python3 -c '
import os
data = open("/bin/sleep", "rb").read()
fd = os.memfd_create("custody-test", 0)
os.write(fd, data)
os.execve("/proc/self/fd/%d" % fd, ["memsleep", "300"], {})
' &
echo $! >pid.memfd
wait_exe $! memfd:custody-test
python3 -c '
import os, resource
resource.setrlimit(resource.RLIMIT_STACK, (256 << 20, 256 << 20))
env = {"BIG%02d" % i: "x" * 100000 for i in range(42)}
os.execve("/bin/sleep", ["sleep", "300"], env)
' &
echo $! >pid.environ
truncate -s 10G big
sleep 300 3<big &
echo $! >pid.big
printf 'hello world\n' >data.txt
python3 -c '
import os
fd = os.open("data.txt", os.O_RDWR | os.O_APPEND)
os.dup2(fd, 7)
os.lseek(7, 5, os.SEEK_SET)
os.execv("/bin/sleep", ["sleep", "300"])
' &
echo $! >pid.fdinfo
odd=$(printf 'name-\377\376')
gone=$(printf 'gone-\377')
printf 'kept\n' >"$odd"
printf 'deleted, not UTF-8\n' >"$gone"
printf 'not deleted\n' >"evil (deleted)"
sleep 300 4<"$odd" 5<"$gone" 6<"evil (deleted)" &
echo $! >pid.odd
for p in big environ fdinfo odd; do wait_exe "$(cat pid.$p)" sleep; done
rm big "$gone"
for p in deleted memfd big environ fdinfo odd; do
	pid=$(cat pid.$p)
	ls -l "/proc/$pid/fd/" | sed -n 's/.* \([0-9]*\) -> \(.*\)$/\1 \2/p' >"lsfd.$p"
	readlink "/proc/$pid/ns/net" >"netns.$p"
	cat "/proc/$pid/cgroup" >"cgroup.$p"
done
sha256sum "/proc/$(cat pid.fdinfo)/exe" | cut -d' ' -f1 >sum.sleep
status=0
timeout 120 "$CUSTODY" collect --key ../key --profile ../proc.yaml -o out.tar.zst \
    2>collect.err || status=$?
echo $status >collect.status
SH

test_expect_success 'hostile processes are collected in bounded time' '
	mkdir s &&
	SECONDS=0 &&
	in_namespace scenario.sh "$TEST_TMP/s" &&
	echo "collection took $SECONDS s" &&
	test "$(cat s/collect.status)" = 0 &&
	extract s/out.tar.zst s/x &&
	jq -e . s/x/live/processes.json s/x/live/executables.json \
	    s/x/live/maps.json >/dev/null
'

test_expect_success 'a deleted executable is archived and its digest equals the copy'"'"'s' '
	pid=$(cat s/pid.deleted) &&
	want=$(sha256sum /bin/sleep | cut -d" " -f1) &&
	jq -e --argjson p "$pid" --arg h "$want" "[.executables[] |
	    select(.pids | index(\$p))][0] | .deleted and .sha256 == \$h and
	    .content.status == \"ok\" and .content.sha256 == \$h and
	    (.path | endswith(\"/dsleep\"))" s/x/live/executables.json &&
	member=$(jq -r --argjson p "$pid" "[.executables[] |
	    select(.pids | index(\$p))][0].content.member" s/x/live/executables.json) &&
	test "$(sha256sum "s/x/$member" | cut -d" " -f1)" = "$want" &&
	manifest_entry s/x "/proc/$pid/exe" | jq -e --arg h "$want" \
	    ".status == \"ok\" and .sha256 == \$h"
'

test_expect_success 'a memfd executable is archived, marked memfd, held fd shared' '
	pid=$(cat s/pid.memfd) &&
	want=$(sha256sum /bin/sleep | cut -d" " -f1) &&
	jq -e --argjson p "$pid" --arg h "$want" "[.executables[] |
	    select(.pids | index(\$p))][0] | .memfd and .deleted and
	    .sha256 == \$h and .path == \"/memfd:custody-test\" and
	    (.holders | map(.pid) | index(\$p))" s/x/live/executables.json &&
	jq -e --argjson p "$pid" "[.held_deleted[] | select(.holders |
	    map(.pid) | index(\$p))] == []" s/x/live/executables.json
'

test_expect_success 'each binary is read once: running processes share a record' '
	pid=$(cat s/pid.big) && other=$(cat s/pid.odd) &&
	jq -e --argjson p "$pid" --argjson o "$other" "[.executables[] |
	    select(.pids | index(\$p))] | length == 1 and
	    (.[0].pids | index(\$o)) and .[0].content == null" \
	    s/x/live/executables.json
'

test_expect_success 'sha256sum of /proc/PID/exe equals the recorded digest' '
	pid=$(cat s/pid.fdinfo) &&
	jq -e --argjson p "$pid" --arg h "$(cat s/sum.sleep)" "[.executables[] |
	    select(.pids | index(\$p))][0].sha256 == \$h" s/x/live/executables.json
'

test_expect_success 'a deleted 10 GB file held open stops at the cap, manifest and member agree' '
	pid=$(cat s/pid.big) &&
	jq -e --argjson p "$pid" "[.held_deleted[] | select(.holders ==
	    [{pid: \$p, fd: 3}])][0] | .size == 10737418240 and .links == 0 and
	    .content.status == \"truncated-at-limit\" and
	    .content.size == 1048576" s/x/live/executables.json >/dev/null &&
	member=$(jq -r --argjson p "$pid" "[.held_deleted[] | select(.holders ==
	    [{pid: \$p, fd: 3}])][0].content.member" s/x/live/executables.json) &&
	test "$(wc -c <"s/x/$member")" -eq 1048576 &&
	sum=$(sha256sum "s/x/$member" | cut -d" " -f1) &&
	manifest_entry s/x "/proc/$pid/fd/3" | jq -e --arg h "$sum" \
	    ".status == \"truncated-at-limit\" and .size == 1048576 and
	    .sha256 == \$h and .path == \"$member\"" &&
	jq -e "[.held_deleted[] | .content.status] | index(\"skipped\") == null" \
	    s/x/live/executables.json
'

test_expect_success 'megabytes of environment stop at the 64 KiB cap, flagged' '
	pid=$(cat s/pid.environ) &&
	jq -e --argjson p "$pid" ".processes[] | select(.pid == \$p) |
	    .environ_truncated and (.environ | length) >= 1 and
	    (.environ | join(\"\") | length) <= 65536 and
	    (.environ[0] | startswith(\"BIG\"))" s/x/live/processes.json &&
	test "$(wc -c <s/x/live/processes.json)" -lt 4000000
'

test_expect_success 'every descriptor is listed as ls -l /proc/PID/fd shows it' '
	for p in deleted memfd big environ fdinfo; do
		pid=$(cat s/pid.$p) &&
		jq -r --argjson p "$pid" ".processes[] | select(.pid == \$p) |
		    .fds[] | \"\(.fd) \(.target)\(if .deleted then \" (deleted)\"
		    else \"\" end)\"" s/x/live/processes.json >got.$p &&
		sort s/lsfd.$p >want.$p && sort got.$p >gots.$p &&
		cmp want.$p gots.$p || return 1
	done
'

test_expect_success 'fdinfo gives position, flags decoded, mount and inode' '
	pid=$(cat s/pid.fdinfo) &&
	ino=$(stat -c %i s/data.txt) &&
	jq -e --argjson p "$pid" --argjson i "$ino" ".processes[] |
	    select(.pid == \$p) | .fds[] | select(.fd == 7) | .pos == 5 and
	    .ino == \$i and (.mnt_id | type) == \"number\" and
	    (.flag_names | index(\"O_RDWR\") and index(\"O_APPEND\")) and
	    (.flags | test(\"^0[0-7]+$\")) and .kind == \"path\" and
	    (.target | endswith(\"/data.txt\"))" s/x/live/processes.json
'

test_expect_success 'names that are not UTF-8 are kept byte for byte in base64' '
	pid=$(cat s/pid.odd) &&
	want=$(printf "%s/name-\377\376" "$TEST_TMP/s" | base64 -w0) &&
	jq -e --argjson p "$pid" --arg b "$want" ".processes[] |
	    select(.pid == \$p) | .fds[] | select(.fd == 4) |
	    .target == null and .target_base64 == \$b" s/x/live/processes.json &&
	gone=$(printf "%s/gone-\377" "$TEST_TMP/s" | base64 -w0) &&
	jq -e --argjson p "$pid" --arg b "$gone" "[.held_deleted[] |
	    select(.holders == [{pid: \$p, fd: 5}])][0] | .path == null and
	    .path_base64 == \$b and .content.status == \"ok\"" \
	    s/x/live/executables.json
'

test_expect_success 'a file merely named " (deleted)" is neither flagged nor archived' '
	pid=$(cat s/pid.odd) &&
	jq -e --argjson p "$pid" --arg t "$TEST_TMP/s/evil (deleted)" ".processes[] |
	    select(.pid == \$p) | .fds[] | select(.fd == 6) |
	    .target == \$t and .deleted == null" s/x/live/processes.json &&
	jq -e --argjson p "$pid" "[.held_deleted[] | select(.holders |
	    index({pid: \$p, fd: 6}))] == []" s/x/live/executables.json
'

test_expect_success 'cgroup and namespaces agree with /proc as read by other tools' '
	pid=$(cat s/pid.environ) &&
	net=$(sed "s/.*\[\([0-9]*\)\]/\1/" s/netns.environ) &&
	jq -e --argjson p "$pid" --argjson n "$net" ".processes[] |
	    select(.pid == \$p) | .namespaces.net == \$n and
	    (.namespaces | has(\"mnt\") and has(\"pid\") and has(\"user\"))" \
	    s/x/live/processes.json &&
	jq -r --argjson p "$pid" ".processes[] | select(.pid == \$p) |
	    .cgroup[] | \"\(.hierarchy):\(.controllers | join(\",\")):\(.path)\"" \
	    s/x/live/processes.json >cg.got &&
	cmp s/cgroup.environ cg.got
'

test_expect_success 'maps flag the deleted binary mapped by its process' '
	pid=$(cat s/pid.deleted) &&
	jq -e --argjson p "$pid" ".processes[] | select(.pid == \$p) |
	    [.maps[] | select(.deleted and (.path | endswith(\"/dsleep\")))] |
	    length >= 1 and (.[0].start | test(\"^[0-9a-f]+$\"))" \
	    s/x/live/maps.json
'

test_expect_success 'GNU tar extracts the members and sha256sum -c agrees' '
	(cd s/x && sha256sum -c --quiet custody/SHA256SUMS) &&
	custody verify s/out.tar.zst --key key.pub >v.out &&
	byhand_agrees 0 archive s/out.tar.zst key.pub
'

test_expect_success 'a changed byte in an archived executable is caught' '
	pid=$(cat s/pid.deleted) &&
	member=$(jq -r --argjson p "$pid" "[.executables[] |
	    select(.pids | index(\$p))][0].content.member" s/x/live/executables.json) &&
	cp -a s/x t &&
	printf "\001" | dd of="t/$member" bs=1 seek=100 conv=notrunc 2>/dev/null &&
	retar t bad.tar.zst &&
	test_must_fail --status=1 custody verify bad.tar.zst --key key.pub >bad.out 2>&1 &&
	test_grep "$member" bad.out &&
	byhand_agrees 1 archive bad.tar.zst key.pub
'

# More deleted files held open than the total cap (four members of 1 MiB).
cat >"$TEST_TMP/total.sh" <<'SH'
set -e
cd "$1"
for i in 1 2 3 4 5 6; do
	head -c 2097152 /dev/urandom >held$i
	sleep 300 3<held$i &
	echo $! >>pids
done
sleep 0.3
rm held1 held2 held3 held4 held5 held6
status=0
timeout 120 "$CUSTODY" collect --key ../key --profile ../proc.yaml \
    -o total.tar.zst 2>total.err || status=$?
echo $status >total.status
SH

test_expect_success 'the total content cap holds: four members, the rest skipped' '
	mkdir t6 &&
	in_namespace total.sh "$TEST_TMP/t6" &&
	test "$(cat t6/total.status)" = 0 &&
	extract t6/total.tar.zst t6/x &&
	jq -e ".content_total == 4194304 and .content_total_reached and
	    .content_total_cap == 4194304 and .content_cap == 1048576 and
	    ([.held_deleted[].content.status] | sort ==
	    [\"skipped\", \"skipped\", \"truncated-at-limit\",
	    \"truncated-at-limit\", \"truncated-at-limit\",
	    \"truncated-at-limit\"]) and
	    ([.held_deleted[].content | select(.status == \"skipped\") |
	    .reason] | unique == [\"total content cap reached\"])" \
	    t6/x/live/executables.json &&
	test "$(grep -c "\"source\":\"/proc/[0-9]*/fd/3\"" \
	    t6/x/custody/manifest.jsonl)" -eq 4 &&
	(cd t6/x && sha256sum -c --quiet custody/SHA256SUMS)
'

# Processes that exit while they are read: a churn of short-lived ones.
cat >"$TEST_TMP/churn.sh" <<'SH'
cd "$1"
for i in 1 2 3 4; do
	(while :; do /bin/true; sh -c 'exec 3</etc/passwd; :' ; done) &
done
sleep 0.2
status=0
for i in 1 2 3; do
	timeout 120 "$CUSTODY" collect --key ../key --profile ../proc.yaml \
	    -o "churn$i.tar.zst" 2>"churn$i.err" || status=$?
done
echo $status >churn.status
kill $(jobs -p) 2>/dev/null
exit 0
SH

test_expect_success 'processes that exit while read are recorded, never fatal' '
	mkdir c &&
	in_namespace churn.sh "$TEST_TMP/c" &&
	test "$(cat c/churn.status)" = 0 &&
	for i in 1 2 3; do
		extract c/churn$i.tar.zst c/x$i &&
		jq -e ".vanished | type == \"array\"" c/x$i/live/processes.json \
		    c/x$i/live/executables.json c/x$i/live/maps.json >/dev/null &&
		custody verify c/churn$i.tar.zst --key key.pub >/dev/null || return 1
	done
'

# Secret environment values are left out by default, their names kept.
printf 'name: envtest\nentries:\n  - live: processes\n' >"$TEST_TMP/env.yaml"
test_expect_success 'secret environment values are withheld unless --include-secrets' '
	env -i PGPASSWORD=hunter2-sekret my_api_key=k3y-sekret SAFE=visible-value \
	    MYSQL_PWD=pwd-sekret PWD=/not/secret sleep 300 &
	pid=$! &&
	until tr "\0" "\n" <"/proc/$pid/environ" 2>/dev/null | grep -q ^SAFE=; do sleep 0.05; done &&
	custody collect --key key --profile env.yaml -o env.tar 2>/dev/null &&
	custody collect --key key --profile env.yaml --include-secrets -o envs.tar 2>/dev/null &&
	kill $pid && extract env.tar ex && extract envs.tar exs &&
	jq -e --argjson p "$pid" ".processes[] | select(.pid == \$p) |
	    .environ == [\"PGPASSWORD=\", \"my_api_key=\", \"SAFE=visible-value\",
	        \"MYSQL_PWD=\", \"PWD=/not/secret\"] and
	    .environ_withheld == [\"PGPASSWORD\", \"my_api_key\", \"MYSQL_PWD\"]" \
	    ex/live/processes.json >/dev/null &&
	! grep -r -e sekret ex &&
	jq -e --argjson p "$pid" ".processes[] | select(.pid == \$p) |
	    (.environ | index(\"PGPASSWORD=hunter2-sekret\")) != null and
	    (.environ | index(\"MYSQL_PWD=pwd-sekret\")) != null and
	    has(\"environ_withheld\") == false" exs/live/processes.json >/dev/null
'

# What an unprivileged collector cannot read is recorded with the reason.
cat >"$TEST_TMP/nonroot.sh" <<'SH'
set -e
cd "$1"
sleep 300 3</etc/hostname &
echo $! >pid.root
sleep 0.2
cp ../key key && chown 65534 key . && chmod 600 key
# The binary and the profile are copied here: the build directory may be
# one that only root can enter (mktemp -d makes it 0700).
cp "$CUSTODY" ./custody && cp ../proc.yaml proc.yaml && chmod 755 custody && chmod 644 proc.yaml
status=0
setpriv --reuid=65534 --regid=65534 --clear-groups \
    timeout 120 ./custody collect --key key --profile proc.yaml \
    -o nr.tar.zst 2>nr.err || status=$?
echo $status >nr.status
SH

if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
test_expect_success 'as non-root, another user'"'"'s process is recorded as EACCES' '
	mkdir n && chmod 755 n &&
	chmod o+r proc.yaml &&
	in_namespace nonroot.sh "$TEST_TMP/n" &&
	{ test "$(cat n/nr.status)" = 0 ||
	  { echo "exit $(cat n/nr.status)"; head -c 4000 n/nr.err; false; }; } &&
	extract n/nr.tar.zst n/x &&
	pid=$(cat n/pid.root) &&
	jq -e --argjson p "$pid" ".processes[] | select(.pid == \$p) |
	    .fd_error == \"Permission denied\" and .fds == null and
	    .environ_error == \"Permission denied\" and
	    .namespaces_error == \"Permission denied\"" n/x/live/processes.json &&
	jq -e --argjson p "$pid" "[.unreadable[] | select(.pid == \$p)] |
	    (map(.what) | index(\"exe\") and index(\"fd\")) and
	    (map(.error) | unique == [\"Permission denied\"])" \
	    n/x/live/executables.json &&
	jq -e --argjson p "$pid" ".processes[] | select(.pid == \$p) |
	    .maps_error == \"Permission denied\"" n/x/live/maps.json
'
else
	test_skip 'as non-root, EACCES recorded' 'needs root and setpriv'
fi

test_done
