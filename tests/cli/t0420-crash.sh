#!/bin/sh
# Crashes and concurrency: SIGKILL at random moments during collect and
# during ledger writes, four writers appending at once, and a full disk.
# Afterwards nothing incomplete is under a final name, nothing is left that
# a rerun trips over, and the ledger verifies with every acknowledged event
# there exactly once.
. "$(dirname "$0")/lib.sh"

make_key

# A random delay in milliseconds below $1.
random_ms() {
	od -An -N2 -tu2 /dev/urandom | awk -v max="$1" '{ print $1 % max }'
}

# Sleep for a number of milliseconds.
sleep_ms() {
	sleep "$(awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }')"
}

test_expect_success 'setup: a tree that takes a moment to collect, and a case' '
	mkdir -p src && i=0 &&
	while [ $i -lt 40 ]; do head -c 500000 /dev/urandom >src/f$i; i=$((i + 1)); done &&
	start=$(date +%s%N) &&
	custody collect --key key -o timing.tar.zst "$TEST_TMP/src" 2>/dev/null &&
	echo $(( ($(date +%s%N) - start) / 1000000 + 50 )) >collect-ms &&
	custody init case --case-id CR --key key >/dev/null &&
	custody collect --case case --key key "$TEST_TMP/src" 2>/dev/null
'

test_expect_success 'SIGKILL at 20 random moments of collect: never an incomplete archive, nothing left over' '
	mkdir outs && trial=0 && complete=0 &&
	while [ $trial -lt 20 ]; do
		trial=$((trial + 1))
		"$CUSTODY" collect --key key -o outs/a$trial.tar.zst "$TEST_TMP/src" 2>/dev/null &
		pid=$!
		sleep_ms $(random_ms $(cat collect-ms))
		kill -KILL $pid 2>/dev/null; wait $pid
		if [ -e outs/a$trial.tar.zst ]; then
			custody verify --key key.pub outs/a$trial.tar.zst >/dev/null || exit 1
			complete=$((complete + 1))
		fi
	done &&
	echo "$complete of 20 finished before the kill" &&
	leftover=$(ls -A outs | grep -v -E "^a[0-9]+\.tar\.zst(\.sha256)?$") ;
	test -z "$leftover" || { echo "left over: $leftover"; exit 1; }
	# a rerun under the same name succeeds wherever the kill came first
	trial=0 && while [ $trial -lt 20 ]; do
		trial=$((trial + 1))
		[ -e outs/a$trial.tar.zst ] && continue
		custody collect --key key -o outs/a$trial.tar.zst "$TEST_TMP/src" 2>/dev/null || exit 1
		custody verify --key key.pub outs/a$trial.tar.zst >/dev/null || exit 1
	done
'

test_expect_success 'SIGKILL during ledger writes: verify passes, acknowledged events there once' '
	: >acked && n=0 &&
	while [ $n -lt 30 ]; do
		n=$((n + 1))
		"$CUSTODY" ledger record --case case --key key --artifact E001 --action accessed \
		    --note "kill-$n" >/dev/null 2>&1 &
		pid=$!
		sleep_ms $(random_ms 60)
		kill -KILL $pid 2>/dev/null
		if wait $pid; then echo "kill-$n" >>acked; fi
	done &&
	custody ledger verify --case case >out &&
	sqlite3 case/ledger.db "SELECT note FROM events WHERE note IS NOT NULL" >notes &&
	while read -r note; do
		test $(grep -c -x "$note" notes) = 1 || { echo "$note: not there once"; exit 1; }
	done <acked &&
	# and nothing appears twice, acknowledged or not
	test -z "$(grep "^kill-" notes | sort | uniq -d)"
'

test_expect_success 'four writers appending 250 events each at once: all 1000 there, once' '
	for w in 1 2 3 4; do
		(i=0; while [ $i -lt 250 ]; do i=$((i + 1));
			"$CUSTODY" ledger record --case case --key key --artifact E001 --action accessed \
			    --note "w$w-$i" >/dev/null 2>>writer-errors || echo "w$w-$i" >>failed; done) &
	done; wait &&
	! test -s failed &&
	custody ledger verify --case case >out &&
	sqlite3 case/ledger.db "SELECT note FROM events WHERE note IS NOT NULL" >notes &&
	test $(grep -c -x -E "w[1-4]-[0-9]+" notes) = 1000 &&
	test -z "$(grep -x -E "w[1-4]-[0-9]+" notes | sort | uniq -d)"
'

# A full disk: a small tmpfs (needs root and mount).
if [ "$(id -u)" = 0 ] && mkdir -p "$TEST_TMP/full" && mount -t tmpfs -o size=2m tmpfs "$TEST_TMP/full" 2>/dev/null; then
	test_expect_success 'a full disk during collect: exit 2, no output, the ledger unchanged' '
		custody init full/case --case-id FULL --key key >/dev/null &&
		before=$(sqlite3 full/case/ledger.db "SELECT count(*) FROM events") &&
		test_must_fail --status=2 custody collect --case full/case --key key "$TEST_TMP/src" 2>err &&
		test_grep "No space left on device" err &&
		! ls full/case/*.tar.zst 2>/dev/null && test -z "$(ls -A full/case | grep -v -E "^ledger\.db(-wal|-shm)?$")" &&
		test "$(sqlite3 full/case/ledger.db "SELECT count(*) FROM events")" = "$before" &&
		custody ledger verify --case full/case >/dev/null &&
		test_must_fail --status=2 custody collect --key key -o full/x.tar.zst "$TEST_TMP/src" 2>err &&
		! test -e full/x.tar.zst && test -z "$(ls -A full | grep -v ^case$)"
	'
	umount "$TEST_TMP/full"
else
	test_skip 'a full disk during collect: exit 2, no output, the ledger unchanged' 'needs root and a tmpfs mount'
fi

test_done
