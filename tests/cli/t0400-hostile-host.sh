#!/bin/sh
# A hostile host: files that block, loop, lie about their size, change or
# vanish while read, and names built to break tools. Every collection must
# end in bounded time with a valid archive in which each such file's outcome
# is recorded and explained.
. "$(dirname "$0")/lib.sh"

make_key

# collect_bounded OUT PATH... : collect with a time bound; status to ./status.
collect_bounded() {
	out=$1
	shift
	timeout 120 "$CUSTODY" collect --key "$TEST_TMP/key" -o "$out" "$@" >/dev/null 2>err
	echo $? >status
}

# The archive verifies and lists with GNU tar and bsdtar.
sound() {
	custody verify --key key.pub "$1" >/dev/null &&
	tar -tf "$1" >/dev/null && bsdtar -tf "$1" >/dev/null
}

# entry_field X SOURCE FIELD: one field of a manifest entry in extracted X.
entry_field() {
	manifest_entry "$1" "$2" | jq -r ".$3"
}

test_expect_success 'FIFOs and sockets are recorded, never opened' '
	mkdir -p ipc && mkfifo ipc/fifo &&
	python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind(\"ipc/sock\")" &&
	echo plain >ipc/plain &&
	collect_bounded ipc.tar "$TEST_TMP/ipc" && test $(cat status) = 0 &&
	sound ipc.tar && extract ipc.tar ix &&
	test $(entry_field ix "$TEST_TMP/ipc/fifo" kind) = fifo &&
	test $(entry_field ix "$TEST_TMP/ipc/sock" kind) = socket &&
	test $(entry_field ix "$TEST_TMP/ipc/sock" status) = metadata-only &&
	! test -e "ix/files$TEST_TMP/ipc/sock" && ! test -e "ix/files$TEST_TMP/ipc/fifo"
'

if [ "$(id -u)" = 0 ]; then
	test_expect_success 'a copy of /dev/zero made with mknod is never read' '
		mkdir -p dev && mknod dev/zero c 1 5 && mknod dev/loop0 b 7 0 &&
		collect_bounded dev.tar "$TEST_TMP/dev" && test $(cat status) = 0 &&
		sound dev.tar && extract dev.tar dx &&
		test $(entry_field dx "$TEST_TMP/dev/zero" kind) = char-device &&
		test $(entry_field dx "$TEST_TMP/dev/loop0" kind) = block-device &&
		test $(entry_field dx "$TEST_TMP/dev/zero" status) = metadata-only &&
		! test -e "dx/files$TEST_TMP/dev/zero"
	'
else
	test_skip 'a copy of /dev/zero made with mknod is never read' 'needs root for mknod'
fi

test_expect_success 'symlink loops are recorded as symlinks, not followed' '
	mkdir -p loops/d && ln -s self loops/self && ln -s b loops/a && ln -s a loops/b &&
	ln -s .. loops/d/up && ln -s "$TEST_TMP/loops" loops/d/abs && echo x >loops/d/f &&
	collect_bounded loops.tar "$TEST_TMP/loops" && test $(cat status) = 0 &&
	sound loops.tar && extract loops.tar lx &&
	test $(entry_field lx "$TEST_TMP/loops/self" kind) = symlink &&
	test $(entry_field lx "$TEST_TMP/loops/d/up" kind) = symlink &&
	test $(jq -c "select(.type == \"entry\" and .source == \"$TEST_TMP/loops/d/f\")" \
	    lx/custody/manifest.jsonl | wc -l) = 1
'

if [ "$(id -u)" = 0 ] && mkdir -p "$TEST_TMP/cyc/a/b" && mount --bind "$TEST_TMP/cyc" "$TEST_TMP/cyc/a/b" 2>/dev/null; then
	test_expect_success 'a directory cycle (a bind mount of an ancestor) is walked once' '
		echo once >cyc/file &&
		collect_bounded cyc.tar "$TEST_TMP/cyc"; umount "$TEST_TMP/cyc/a/b";
		test $(cat status) = 0 && sound cyc.tar && extract cyc.tar cx &&
		test $(jq -c "select(.type == \"entry\" and .kind == \"file\")" cx/custody/manifest.jsonl | wc -l) = 1
	'
else
	test_skip 'a directory cycle (a bind mount of an ancestor) is walked once' 'needs root and mount --bind'
fi

test_expect_success 'a file appended to without pause: bounded, marked changed' '
	head -c 30000000 /dev/urandom >busy || return 1
	(exec timeout 60 sh -c "while :; do echo more; done >>busy") &
	writer=$!
	collect_bounded busy.tar "$TEST_TMP/busy"
	kill $writer; wait $writer
	test $(cat status) = 0 && sound busy.tar && extract busy.tar bx &&
	test $(entry_field bx "$TEST_TMP/busy" status) = changed-while-reading &&
	size=$(entry_field bx "$TEST_TMP/busy" size) &&
	test $(wc -c <"bx/files$TEST_TMP/busy") = "$size"
'

test_expect_success 'a file truncated while read: bounded, marked changed, padded to its size' '
	truncate -s 20G shrink &&
	(sleep 1; truncate -s 1000 shrink) &
	cutter=$!
	collect_bounded shrink.tar.zst --no-types "$TEST_TMP/shrink"
	wait $cutter
	test $(cat status) = 0 && sound shrink.tar.zst && extract shrink.tar.zst sx &&
	test $(entry_field sx "$TEST_TMP/shrink" status) = changed-while-reading &&
	size=$(entry_field sx "$TEST_TMP/shrink" size) &&
	test $(wc -c <"sx/files$TEST_TMP/shrink") = "$size" &&
	grep -F "$TEST_TMP/shrink" "sx/custody/collection.log" | grep -q -i -e shrank -e truncat -e changed
'

test_expect_success 'files that vanish while the tree is walked: recorded, archive valid' '
	mkdir -p vanish && i=0 && while [ $i -lt 3000 ]; do echo $i >vanish/f$i; i=$((i + 1)); done &&
	(exec timeout 60 sh -c "for f in vanish/*; do rm -f \$f; done") &
	remover=$!
	collect_bounded vanish.tar "$TEST_TMP/vanish"
	wait $remover
	{ test $(cat status) = 0 || test $(cat status) = 3; } && sound vanish.tar &&
	extract vanish.tar vx &&
	# every file in the manifest is in the archive, or is recorded as an error
	jq -r "select(.type == \"entry\" and .kind == \"file\") | [.status, .path // \"\"] | @tsv" \
	    vx/custody/manifest.jsonl >vanish.list &&
	while IFS="	" read -r st p; do
		case $st in
		ok) test -f "vx/$p" ;;
		error) ;;
		*) echo "unexpected status $st for $p"; false ;;
		esac || exit 1
	done <vanish.list
'

test_expect_success 'names with newlines, invalid UTF-8 and 255-byte components' '
	mkdir -p names && long=$(printf "%0255d" 0) &&
	printf "nl\n" >"names/with
newline" && printf "bad\n" >"names/$(printf "caf\351")" &&
	printf "long\n" >"names/$long" && mkdir -p "names/d${long#??}" && echo deep >"names/d${long#??}/$long" &&
	collect_bounded names.tar "$TEST_TMP/names" && test $(cat status) = 0 &&
	sound names.tar && mkdir nx && tar -C nx -xf names.tar &&
	test "$(cat "nx/files$TEST_TMP/names/with
newline")" = nl &&
	test "$(cat "nx/files$TEST_TMP/names/d${long#??}/$long")" = deep &&
	(cd nx && sha256sum -c --quiet custody/SHA256SUMS)
'

test_expect_success 'paths near PATH_MAX are collected whole' '
	comp=$(printf "%0200d" 7) && p="$TEST_TMP/deep" && n=0 &&
	while [ $(printf "%s/%s" "$p" "$comp" | wc -c) -lt 3900 ]; do p="$p/$comp"; n=$((n + 1)); done &&
	mkdir -p "$p" && echo bottom >"$p/end" &&
	collect_bounded deep.tar "$TEST_TMP/deep" && test $(cat status) = 0 &&
	sound deep.tar && bsdtar -tf deep.tar | grep -q "/end$" &&
	bsdtar -xOf deep.tar custody/manifest.jsonl |
	    jq -r "select(.type == \"entry\") | .source" | grep -q "/$comp/end$"
'

test_expect_success 'a 100 GB sparse file is bounded by --max-file-size' '
	truncate -s 100G sparse &&
	collect_bounded sparse.tar.zst --max-file-size 4M "$TEST_TMP/sparse" &&
	test $(cat status) = 0 && sound sparse.tar.zst && extract sparse.tar.zst spx &&
	test $(entry_field spx "$TEST_TMP/sparse" status) = truncated-at-limit &&
	test $(wc -c <"spx/files$TEST_TMP/sparse") = 4194304 &&
	test $(entry_field spx "$TEST_TMP/sparse" source_size) = 107374182400
'

test_expect_success '/proc and /sys files whose size lies are read whole' '
	collect_bounded pseudo.tar /proc/cpuinfo /proc/self/status /sys/kernel/mm/transparent_hugepage/enabled \
	    /proc/sys/kernel/hostname &&
	{ test $(cat status) = 0 || test $(cat status) = 3; } && sound pseudo.tar && extract pseudo.tar px &&
	test $(stat -c %s /proc/cpuinfo) = 0 &&
	size=$(entry_field px /proc/cpuinfo size) && test "$size" -gt 0 &&
	test $(wc -c <px/files/proc/cpuinfo) = "$size" &&
	grep -q "^processor" px/files/proc/cpuinfo &&
	test "$(cat px/files/proc/sys/kernel/hostname)" = "$(cat /proc/sys/kernel/hostname)"
'

test_done
