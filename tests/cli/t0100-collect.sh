#!/bin/sh
# custody collect: the awkward file system, one pass, the cross-checks with
# tools we did not write, and every refusal.
. "$(dirname "$0")/lib.sh"

make_key

# An awkward tree: spaces, newlines, symlinks, a FIFO, an empty file, depth.
build_tree() {
	mkdir -p src/sub "src/with space" &&
	printf "hello\n" >src/hello.txt &&
	: >src/empty &&
	printf "spaced\n" >"src/with space/a file.txt" &&
	printf "newline\n" >"src/$(printf "line\nbreak")" &&
	printf "back\\\\slash\n" >"src/back\\slash" &&
	printf "not utf-8\n" >"src/$(printf "bad\377name")" &&
	ln -s hello.txt src/link &&
	ln -s /etc/passwd src/outside-link &&
	# read once, later than it was made, so that relatime spares its atime
	sleep 0.1 && readlink src/outside-link >/dev/null &&
	mkfifo src/fifo &&
	d=src/deep && for i in $(seq 1 60); do d=$d/d$i; done &&
	mkdir -p "$d" && echo bottom >"$d/leaf" &&
	head -c 3000000 /dev/urandom >src/sub/random.bin
}

test_expect_success 'collect an awkward tree: exit 0, archive and sidecar' '
	build_tree &&
	mkdir out &&
	custody collect --key key --case-id C-1 --evidence-id E007 -o out "$TEST_TMP/src" \
	    2>summary &&
	a=$(archive_in out) &&
	case "$a" in out/C-1_E007_*_*Z.tar.zst) ;; *) echo "bad name $a"; false ;; esac &&
	test "$(stat -c %a "$a")" = 600 &&
	(cd out && sha256sum -c "$(basename "$a").sha256") &&
	test_grep "entries" summary &&
	! ls out/.*partial* 2>/dev/null
'

test_expect_success 'GNU tar and bsdtar both list the archive' '
	a=$(archive_in out) &&
	tar -tf "$a" >list.gnu &&
	bsdtar -tf "$a" >list.bsd &&
	test_grep "custody/seal.sig" list.gnu &&
	test_grep "custody/seal.sig" list.bsd &&
	test_grep "files$TEST_TMP/src/hello.txt" list.gnu
'

test_expect_success 'sha256sum -c accepts SHA256SUMS after extraction' '
	extract "$(archive_in out)" x &&
	(cd x && sha256sum --strict -c custody/SHA256SUMS >../sums.out) &&
	! grep -v ": OK$" sums.out
'

test_expect_success 'openssl pkeyutl -verify -rawin accepts the seal' '
	openssl pkeyutl -verify -pubin -inkey key.pub -rawin \
	    -in x/custody/seal.json -sigfile x/custody/seal.sig >v &&
	test_grep "Signature Verified Successfully" v
'

test_expect_success 'the seal commits to the manifest, SHA256SUMS and log by hash' '
	for m in manifest.jsonl SHA256SUMS collection.log; do
		h=$(sha256sum "x/custody/$m" | cut -d" " -f1) &&
		jq -e --arg h "$h" --arg p "custody/$m" \
		    "(.manifest.path == \$p and .manifest.sha256 == \$h) or
		     any(.members[]; .path == \$p and .sha256 == \$h)" \
		    x/custody/seal.json >/dev/null || return 1
	done
'

test_expect_success 'collected files are byte-identical to the source' '
	cmp src/hello.txt "x/files$TEST_TMP/src/hello.txt" &&
	cmp src/sub/random.bin "x/files$TEST_TMP/src/sub/random.bin" &&
	cmp "src/with space/a file.txt" "x/files$TEST_TMP/src/with space/a file.txt" &&
	cmp "src/$(printf "line\nbreak")" "x/files$TEST_TMP/src/$(printf "line\nbreak")" &&
	test -f "x/files$TEST_TMP/src/empty" && ! test -s "x/files$TEST_TMP/src/empty"
'

test_expect_success 'a name that is not UTF-8 is kept byte for byte' '
	cmp "src/$(printf "bad\377name")" "x/files$TEST_TMP/src/$(printf "bad\377name")" &&
	jq -e -s "map(select(.type == \"entry\" and has(\"path_base64\"))) | length == 1" x/custody/manifest.jsonl >/dev/null &&
	test_grep "bad\\xffname" x/custody/collection.log
'

test_expect_success 'symlinks are recorded as symlinks, never followed' '
	e=$(manifest_entry x "$TEST_TMP/src/outside-link") &&
	echo "$e" | jq -e ".kind == \"symlink\" and .link_target == \"/etc/passwd\" and (has(\"path\") | not)" &&
	! test -e "x/files$TEST_TMP/src/outside-link"
'

test_expect_success 'a FIFO is recorded and never opened' '
	e=$(manifest_entry x "$TEST_TMP/src/fifo") &&
	echo "$e" | jq -e ".kind == \"fifo\" and .status == \"metadata-only\""
'

test_expect_success 'the manifest records metadata of each file, and no type by default' '
	e=$(manifest_entry x "$TEST_TMP/src/hello.txt") &&
	echo "$e" | jq -e ".size == 6 and .mode == \"0644\" and (has(\"mime\") | not)
	    and (.sha256 | length) == 64 and .status == \"ok\" and (.mtime | endswith(\"Z\"))" &&
	test "$(echo "$e" | jq -r .sha256)" = "$(sha256sum src/hello.txt | cut -d" " -f1)"
'

test_expect_success 'a deep tree is walked to the bottom' '
	test -n "$(manifest_entry x "$TEST_TMP/src/deep$(for i in $(seq 1 60); do printf /d%s $i; done)/leaf")"
'

test_expect_success 'a file named twice, or inside a tree named too, is collected once' '
	mkdir -p twice/sub && echo one >twice/sub/f && ln twice/sub/f twice/hard &&
	custody collect --key key -o twice1.tar.zst "$TEST_TMP/twice" "$TEST_TMP/twice/sub/f" \
	    "$TEST_TMP/twice/sub/f" 2>/dev/null &&
	custody collect --key key -o twice2.tar.zst "$TEST_TMP/twice/sub/f" "$TEST_TMP/twice" 2>/dev/null &&
	for a in twice1 twice2; do
		custody verify --key key.pub $a.tar.zst >/dev/null &&
		test "$(tar -tf $a.tar.zst | grep -c "^files$TEST_TMP/twice/")" = 1 || return 1
	done &&
	extract twice1.tar.zst tw1 &&
	jq -e -s "[.[] | select(.source == \"$TEST_TMP/twice/sub/f\")] | length == 3" tw1/custody/manifest.jsonl &&
	jq -e -s "[.[] | select(.status == \"skipped\" and (.source | startswith(\"$TEST_TMP/twice/\")))] | length == 3" tw1/custody/manifest.jsonl
'

test_expect_success 'a directory one entry excludes is walked when a later entry names it' '
	mkdir -p ex/a/sub && echo kept >ex/a/sub/f && echo top >ex/a/g &&
	printf "name: ex\nentries:\n  - path: %s\n    exclude: [sub]\n  - path: %s\n" \
	    "$TEST_TMP/ex/a" "$TEST_TMP/ex/a/sub" >ex.yaml &&
	custody collect --key key --profile ex.yaml -o ex.tar 2>/dev/null &&
	custody verify --key key.pub ex.tar >/dev/null &&
	extract ex.tar exx &&
	cmp ex/a/sub/f "exx/files$TEST_TMP/ex/a/sub/f" && cmp ex/a/g "exx/files$TEST_TMP/ex/a/g" &&
	jq -r -s "[.[] | select(.source == \"$TEST_TMP/ex/a/sub\") | .status] | join(\" \")" \
	    exx/custody/manifest.jsonl >ex.statuses &&
	test "$(cat ex.statuses)" = "skipped metadata-only"
'

test_expect_success 'the header records host, tool, examiner and command line' '
	head -n 1 x/custody/manifest.jsonl | jq -e ".type == \"header\" and .case_id == \"C-1\"
	    and (.host.hostname | length) > 0 and (.tool.sha256 | length) == 64
	    and .examiner.name == \"Test Examiner\" and (.command_line | index(\"--case-id\")) != null
	    and (.host.boot_id | length) > 0" &&
	tail -n 1 x/custody/manifest.jsonl | jq -e ".type == \"trailer\""
'

test_expect_success 'collection.log names every entry' '
	test_grep "ok $TEST_TMP/src/hello.txt -> files" x/custody/collection.log &&
	test_grep "sealing" x/custody/collection.log
'

test_expect_success 'atime of the source is preserved' '
	mkdir at && echo data >at/file &&
	touch -a -d "2001-02-03 04:05:06" at/file &&
	before=$(stat -c %X at/file) &&
	custody collect --key key -o at.tar.zst "$TEST_TMP/at" 2>/dev/null &&
	test "$(stat -c %X at/file)" = "$before"
'

test_expect_success 'every requested hash is recorded and right' '
	custody collect --key key --hash sha256,sha1,md5,sha512 -o h.tar.zst \
	    "$TEST_TMP/src/hello.txt" 2>/dev/null &&
	extract h.tar.zst hx &&
	e=$(manifest_entry hx "$TEST_TMP/src/hello.txt") &&
	for alg in sha1 md5 sha512 sha256; do
		test "$(echo "$e" | jq -r .$alg)" = "$(${alg}sum src/hello.txt | cut -d" " -f1)" || return 1
	done
'

test_expect_success 'an unknown hash is refused before anything is written' '
	test_must_fail --status=2 custody collect --key key --hash sha3 -o bad.tar.zst src 2>err &&
	test_grep "unknown hash" err &&
	! test -e bad.tar.zst
'

test_expect_success 'files over --max-file-size are truncated and marked' '
	custody collect --key key --max-file-size 1K -o t.tar.zst "$TEST_TMP/src/sub/random.bin" 2>/dev/null &&
	extract t.tar.zst tx &&
	e=$(manifest_entry tx "$TEST_TMP/src/sub/random.bin") &&
	echo "$e" | jq -e ".status == \"truncated-at-limit\" and .size == 1024 and .source_size == 3000000" &&
	test "$(stat -c %s "tx/files$TEST_TMP/src/sub/random.bin")" = 1024
'

test_expect_success '--over-limit skip records the file as skipped' '
	custody collect --key key --max-file-size 1K --over-limit skip -o s.tar.zst \
	    "$TEST_TMP/src/sub/random.bin" 2>/dev/null &&
	extract s.tar.zst sx &&
	manifest_entry sx "$TEST_TMP/src/sub/random.bin" | jq -e ".status == \"skipped\"" &&
	! test -e "sx/files$TEST_TMP/src/sub/random.bin"
'

test_expect_success 'secrets are excluded by default and the exclusion recorded' '
	mkdir -p home/.ssh && echo PRIVATE >home/.ssh/id_ed25519 && echo PUB >home/.ssh/id_ed25519.pub &&
	custody collect --key key -o sec.tar.zst "$TEST_TMP/home" 2>/dev/null &&
	extract sec.tar.zst secx &&
	manifest_entry secx "$TEST_TMP/home/.ssh/id_ed25519" | jq -e ".status == \"skipped\" and (.reason | test(\"secret\"))" &&
	! test -e "secx/files$TEST_TMP/home/.ssh/id_ed25519" &&
	test -e "secx/files$TEST_TMP/home/.ssh/id_ed25519.pub"
'

test_expect_success '--include-secrets collects them' '
	custody collect --key key --include-secrets -o sec2.tar.zst "$TEST_TMP/home" 2>/dev/null &&
	extract sec2.tar.zst sec2x &&
	cmp home/.ssh/id_ed25519 "sec2x/files$TEST_TMP/home/.ssh/id_ed25519"
'

test_expect_success 'the signing key itself is never collected' '
	mkdir kd && cp key key.pub kd/ && chmod 600 kd/key &&
	custody collect --key kd/key -o kd.tar.zst "$TEST_TMP/kd" 2>/dev/null &&
	extract kd.tar.zst kdx &&
	! test -e "kdx/files$TEST_TMP/kd/key" &&
	manifest_entry kdx "$TEST_TMP/kd/key" | jq -e ".status == \"skipped\""
'

test_expect_success '--exclude leaves matching files out, recorded' '
	custody collect --key key --exclude "*.bin" -o ex.tar.zst "$TEST_TMP/src/sub" 2>/dev/null &&
	extract ex.tar.zst exx &&
	manifest_entry exx "$TEST_TMP/src/sub/random.bin" | jq -e ".status == \"skipped\""
'

test_expect_success 'MIME types agree with file --mime-type' '
	mkdir ty &&
	printf "\211PNG\r\n\032\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\10\6\0\0\0\37\25\304\211" >ty/a.png &&
	echo hello | gzip >ty/b.gz &&
	cp "$CUSTODY" ty/c.elf &&
	printf "%%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%%%EOF\n" >ty/d.pdf &&
	printf "{\"a\": [1, 2, {\"b\": null}]}\n" >ty/e.json &&
	printf "#!/bin/sh\necho hi\n" >ty/f.sh &&
	printf "<?xml version=\"1.0\"?>\n<a><b/></a>\n" >ty/g.xml &&
	printf "plain words\n" >ty/h.txt && : >ty/i.empty &&
	custody collect --key key --types -o ty.tar.zst "$TEST_TMP/ty" 2>/dev/null &&
	extract ty.tar.zst tyx &&
	for f in a.png b.gz c.elf d.pdf e.json f.sh g.xml h.txt i.empty; do
		want=$(file --mime-type -b "ty/$f") &&
		got=$(manifest_entry tyx "$TEST_TMP/ty/$f" | jq -r .mime) &&
		if [ "$want" != "$got" ]; then echo "$f: file says $want, custody $got"; return 1; fi
	done
'

test_expect_success '--no-types leaves types out' '
	custody collect --key key --no-types -o nt.tar.zst "$TEST_TMP/src/hello.txt" 2>/dev/null &&
	extract nt.tar.zst ntx &&
	manifest_entry ntx "$TEST_TMP/src/hello.txt" | jq -e "has(\"mime\") | not"
'

test_expect_success '-o - streams the archive to stdout' '
	custody collect --key key -o - "$TEST_TMP/src/hello.txt" >stream.tar.zst 2>/dev/null &&
	tar -tf stream.tar.zst | grep -q custody/seal.json &&
	custody verify --key key.pub stream.tar.zst >/dev/null
'

test_expect_success 'a live-state profile reads /proc natively into live/' '
	cat >live.yaml <<-YAML &&
	name: livetest
	entries:
	  - live: processes
	  - live: sockets
	  - live: modules
	  - live: mounts
	  - live: users
	  - live: network
	  - live: system
	YAML
	custody collect --key key --profile "$TEST_TMP/live.yaml" -o live.tar.zst 2>/dev/null &&
	extract live.tar.zst lx &&
	for s in processes sockets modules mounts users network system; do
		jq -e . "lx/live/$s.json" >/dev/null || return 1
	done &&
	jq -e "[.. | objects | select(has(\"pid\")) | .pid] | index($$) != null" lx/live/processes.json >/dev/null &&
	manifest_entry lx live:processes | jq -e ".kind == \"live\" and .path == \"live/processes.json\""
'

test_expect_success 'a file that grows while read is marked changed-while-reading' '
	head -c 60000000 /dev/zero >grow || return 1
	# A bounded writer (at most ~20 s) that is stopped when the run ends.
	(exec timeout 20 sh -c "while :; do echo more >>grow; done") &
	writer=$!
	custody collect --key key -o g.tar.zst "$TEST_TMP/grow" 2>/dev/null; rc=$?
	kill $writer; wait $writer
	test $rc = 0 &&
	extract g.tar.zst gx &&
	manifest_entry gx "$TEST_TMP/grow" | jq -e ".status == \"changed-while-reading\""
'

test_expect_success 'the built-in profiles are listed' '
	custody collect --list-profiles >profiles &&
	test_grep triage profiles && test_grep logs profiles && test_grep configs profiles
'

test_expect_success 'a typo in a profile stops the run before anything is written' '
	printf "name: bad\nentries:\n  - path: /etc\n    max_dept: 2\n" >bad.yaml &&
	test_must_fail --status=2 custody collect --key key --profile "$TEST_TMP/bad.yaml" -o bad.tar.zst 2>err &&
	test_grep "max_dept" err &&
	! test -e bad.tar.zst &&
	test_must_fail --status=2 custody collect --key key --profile nosuch -o bad.tar.zst 2>err &&
	test_grep "unknown profile" err
'

test_expect_success 'a bad key, a loose key or no source: exit 2, nothing written' '
	test_must_fail --status=2 custody collect -o n.tar.zst 2>err &&
	test_grep "nothing to collect" err &&
	test_must_fail --status=2 custody collect --key key.pub -o n.tar.zst src 2>err &&
	cp key loose && chmod 644 loose &&
	test_must_fail --status=2 custody collect --key loose -o n.tar.zst src 2>err &&
	test_grep "readable by group or others" err &&
	test_must_fail --status=2 custody collect --key key -o n.tar.zst 2>err &&
	test_grep "nothing to collect" err &&
	! test -e n.tar.zst
'

test_expect_success 'an encrypted key needs its passphrase' '
	printf "pw\n" >pw &&
	custody key generate --name E --role r --passphrase-file pw -o ekey >/dev/null &&
	test_must_fail --status=2 custody collect --key ekey -o e.tar.zst src/hello.txt 2>err &&
	test_grep "encrypted" err &&
	printf "nope\n" >wrong &&
	test_must_fail --status=2 custody collect --key ekey --passphrase-file wrong -o e.tar.zst src/hello.txt 2>err &&
	test_grep "wrong passphrase" err &&
	custody collect --key ekey --passphrase-file pw -o e.tar.zst "$TEST_TMP/src/hello.txt" 2>/dev/null &&
	CUSTODY_PASSPHRASE=pw custody collect --key ekey -o e2.tar.zst "$TEST_TMP/src/hello.txt" 2>/dev/null
'

test_expect_success 'a key without a name and role cannot sign' '
	openssl genpkey -algorithm ed25519 -out bare.key 2>/dev/null && chmod 600 bare.key &&
	test_must_fail --status=2 custody collect --key bare.key -o bare.tar.zst "$TEST_TMP/src/hello.txt" 2>err &&
	test_grep "no name and role" err && ! test -e bare.tar.zst
'

test_expect_success 'collect --help prints the usage and succeeds' '
	custody collect --help >usage && test_grep "--list-profiles" usage
'

test_expect_success 'existing output is never overwritten' '
	echo precious >taken.tar.zst &&
	test_must_fail --status=2 custody collect --key key -o taken.tar.zst src 2>err &&
	test_grep "already exists" err &&
	test "$(cat taken.tar.zst)" = precious &&
	echo precious >side.tar.zst.sha256 &&
	test_must_fail --status=2 custody collect --key key -o side.tar.zst src 2>err &&
	test_grep "side.tar.zst.sha256: already exists" err &&
	! test -e side.tar.zst
'

test_expect_success 'an output directory that does not exist is an error' '
	test_must_fail --status=2 custody collect --key key -o nodir/x.tar.zst src 2>err &&
	! test -e nodir
'

test_expect_success 'bad ids and compressions are refused' '
	test_must_fail --status=2 custody collect --key key --case-id "../x" -o i.tar src &&
	test_must_fail --status=2 custody collect --key key --compress lz4 -o i.tar src &&
	! test -e i.tar
'

test_expect_success 'gzip, xz and none compressions verify' '
	for c in gzip xz none; do
		custody collect --key key --compress $c -o "c.$c" "$TEST_TMP/src/hello.txt" 2>/dev/null &&
		custody verify --key key.pub "c.$c" >/dev/null || return 1
	done
'

test_expect_success 'a missing path on the command line is recorded: exit 3, archive valid' '
	test_must_fail --status=3 custody collect --key key -o m.tar.zst "$TEST_TMP/src/hello.txt" \
	    "$TEST_TMP/no-such-file" 2>err &&
	test_grep "no-such-file" err &&
	custody verify --key key.pub m.tar.zst >/dev/null &&
	extract m.tar.zst mx &&
	manifest_entry mx "$TEST_TMP/no-such-file" | jq -e ".status == \"error\""
'

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	test_expect_success 'a permission-denied file: exit 3, recorded, archive valid' '
		mkdir -p perm && echo open >perm/readable && echo secret >perm/closed &&
		chmod 600 perm/closed && chmod 755 perm && chmod 644 perm/readable &&
		cp key nobody.key && chown nobody nobody.key && mkdir nobody-out && chown nobody nobody-out &&
		test_must_fail --status=3 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    "$CUSTODY" collect --key nobody.key -o nobody-out/p.tar.zst "$TEST_TMP/perm" 2>err &&
		test_grep "Permission denied" err &&
		custody verify --key key.pub nobody-out/p.tar.zst >/dev/null &&
		extract nobody-out/p.tar.zst px &&
		manifest_entry px "$TEST_TMP/perm/closed" | jq -e ".status == \"error\"" &&
		cmp perm/readable "px/files$TEST_TMP/perm/readable"
	'
else
	test_skip 'a permission-denied file: exit 3, recorded, archive valid' 'needs root and setpriv'
fi

test_expect_success 'an interrupted collection leaves nothing that looks complete' '
	mkdir big intr && head -c 300000000 /dev/zero >big/zeros || return 1
	# Alone on its line (an and-list would go to the background whole),
	# and exec, so that $! is custody itself.
	(exec "$CUSTODY" collect --key key --compress xz -o intr/i.tar.xz "$TEST_TMP/big" 2>/dev/null) &
	pid=$!
	for i in $(seq 1 200); do
		# the output is open (unnamed, or a .partial file) once the run writes
		ls -l /proc/$pid/fd 2>/dev/null | grep -q "$TEST_TMP/intr/" && break; sleep 0.05
	done
	# TERM, not INT: a shell without job control starts background jobs
	# with SIGINT ignored, and custody may not have taken it over yet.
	kill -TERM $pid; wait $pid; rc=$?
	echo "custody exited $rc after $i polls; left in intr: $(ls -A intr)" &&
	test $rc -ne 0 &&
	! test -e intr/i.tar.xz && ! test -e intr/i.tar.xz.sha256 &&
	test -z "$(ls -A intr)"
'

test_expect_success 'a real triage collection of this host verifies' '
	mkdir tri &&
	{ custody collect --key key --profile triage -o tri --json >tri.json 2>tri.err; rc=$?; } ;
	{ test $rc = 0 || test $rc = 3; } &&
	jq -e ".entries > 0 and (.sha256 | length) == 64" tri.json &&
	custody verify --key key.pub "$(archive_in tri)" >/dev/null
'

test_done
