#!/bin/sh
# Path entries that choose what they keep: files kept by class (keep:) from
# their first bytes or mode, the rest counted per directory (skipped:
# summary), a total per entry (max_total), digests without content
# (content: hash), and profiles that include a built-in one (the full
# profile). A /tmp-like tree of scripts, ELF files, archives of each kind,
# text, a truncated ELF, 10 GB sparse files, 60,000 small files and names
# that are not UTF-8.
. "$(dirname "$0")/lib.sh"

make_key
T=$TEST_TMP/t
H=$TEST_TMP/h
nonutf=$(printf 'tool-\377\376')

# entries FILTER: the manifest's entries of ./x, through jq.
entries() {
	jq -c "select(.type == \"entry\") | $1" x/custody/manifest.jsonl
}

# source_of: the source bytes of an entry on stdin (source or source_base64), as hex.
hex() {
	od -An -v -tx1 | tr -d ' \n'
}

# reseal DIR KEY: after an edit of DIR's manifest, bring SHA256SUMS and the
# seal's digests up to date and sign again with KEY, so that only what the
# edit broke beyond them (the Merkle root) is left to find.
reseal() {
	m=$(sha256sum "$1/custody/manifest.jsonl" | cut -c1-64) &&
	sed -i "s|^[0-9a-f]*  custody/manifest.jsonl\$|$m  custody/manifest.jsonl|" \
	    "$1/custody/SHA256SUMS" &&
	s=$(sha256sum "$1/custody/SHA256SUMS" | cut -c1-64) &&
	jq --indent 2 --arg m "$m" --arg s "$s" '.manifest.sha256 = $m |
	    (.members[] | select(.path == "custody/SHA256SUMS") | .sha256) = $s' \
	    "$1/custody/seal.json" >"$1/seal.new" &&
	mv "$1/seal.new" "$1/custody/seal.json" &&
	openssl pkeyutl -sign -inkey "$2" -rawin -in "$1/custody/seal.json" \
	    -out "$1/custody/seal.sig"
}

test_expect_success 'setup: a /tmp-like tree' '
	mkdir -p t/sub t/many &&
	printf "#!/bin/sh\necho staged\n" >t/run.sh &&
	printf "#!/usr/bin/env python3\nprint(1)\n" >t/exfil.py &&
	printf "#!/bin/sh\n: not UTF-8\n" >"t/$nonutf.sh" &&
	cp /bin/true t/elf && cp /bin/ls t/sub/elf2 &&
	printf "\177ELF" >t/short-elf &&
	seq 1 2000 >t/notes.txt && echo plain >t/sub/readme &&
	echo "not UTF-8" >"t/$nonutf.txt" && ln t/notes.txt t/notes.link &&
	seq 1 500 >payload && gzip -c payload >t/p.gz && xz -c payload >t/p.xz &&
	zstd -q -c payload >t/p.zst && bzip2 -c payload >t/p.bz2 &&
	zip -q t/p.zip payload && bsdtar --format 7zip -cf t/p.7z payload &&
	printf "Rar!\032\007\001\000rest of a rar archive" >t/p.rar &&
	tar --format=ustar -cf t/p.tar payload && bsdtar --format newc -cf t/p.cpio payload &&
	bsdtar --format odc -cf t/p.odc payload &&
	truncate -s 10G t/sparse && { printf "\177ELF"; } >t/sparse-elf &&
	truncate -s 10G t/sparse-elf &&
	python3 -c "
import os
for i in range(60000):
    with open(\"t/many/f%05d\" % i, \"w\") as f:
        f.write(\"line %d\n\" % i)
" &&
	cat >p.yaml <<-EOF
	name: tmp-like
	entries:
	  - path: $T
	    keep: [script, elf, archive]
	    skipped: summary
	    max_size: 1M
	    over_limit: skip
	EOF
'

test_expect_success 'kept by class, the rest summarized; verify and the by-hand verifier accept it' '
	custody collect --key key --case-id S1 --profile ./p.yaml -o x.tar.zst 2>err &&
	custody verify --key key.pub x.tar.zst >out &&
	test_grep "verified: x.tar.zst" out &&
	byhand_agrees 0 archive x.tar.zst key.pub &&
	extract x.tar.zst x
'

test_expect_success 'scripts, ELF files (a truncated one too) and every kind of archive are members, with their class' '
	entries "select(.path != null) | \"\\(.source) \\(.class) \\(.status) \\(.path)\"" |
	    tr -d "\"" >kept &&
	for f in run.sh:script exfil.py:script elf:elf sub/elf2:elf short-elf:elf \
	    p.gz:archive p.xz:archive p.zst:archive p.bz2:archive p.zip:archive \
	    p.7z:archive p.rar:archive p.tar:archive p.cpio:archive p.odc:archive; do
		name=${f%:*} class=${f#*:} &&
		grep -qxF "$T/$name $class ok files$T/$name" kept || return 1
	done &&
	test "$(wc -l <kept)" = 15 && test "$(entries "select(.status == \"ok\")" | wc -l)" = 16 &&
	test "$(manifest_entry x "$T/short-elf" | jq -r .size)" = 4
'

test_expect_success 'the kept files extract byte-identical with GNU tar and bsdtar, a name that is not UTF-8 too' '
	mkdir g b && tar -C g -xf x.tar.zst && bsdtar -C b -xf x.tar.zst &&
	for name in run.sh exfil.py "$nonutf.sh" elf sub/elf2 short-elf p.gz p.xz \
	    p.zst p.bz2 p.zip p.7z p.rar p.tar p.cpio p.odc; do
		cmp "t/$name" "g/files$T/$name" && cmp "t/$name" "b/files$T/$name" || return 1
	done &&
	want=$(printf "%s" "$T/$nonutf.sh" | hex) &&
	entries "select(.source_base64 != null) | .source_base64" | tr -d "\"" |
	    while read -r b64; do printf "%s" "$b64" | base64 -d | hex; echo; done >names &&
	grep -qx "$want" names
'

test_expect_success 'text files are not members: no file of them in the archive' '
	test ! -e "g/files$T/notes.txt" && test ! -e "g/files$T/sub/readme" &&
	test ! -e "g/files$T/many/f00000" && test ! -e "g/files$T/sparse" &&
	test -z "$(manifest_entry x "$T/notes.txt")"
'

test_expect_success 'a 10 GB sparse file is counted; one that starts as ELF is recorded with its class, not read' '
	entry=$(manifest_entry x "$T/sparse-elf") &&
	test "$(echo "$entry" | jq -r .status)" = skipped &&
	test "$(echo "$entry" | jq -r .class)" = elf &&
	test "$(echo "$entry" | jq -r .source_size)" = 10737418240 &&
	echo "$entry" | jq -r .reason | grep -q "larger than the size limit of 1048576 bytes" &&
	test -z "$(manifest_entry x "$T/sparse")"
'

test_expect_success 'the summaries count what find counts, files and bytes' '
	many=$(entries "select(.source == \"$T/many\" and .status == \"skipped\")") &&
	test "$(echo "$many" | jq -r .skipped_files)" = "$(find t/many -type f | wc -l)" &&
	test "$(echo "$many" | jq -r .skipped_files)" = 60000 &&
	test "$(echo "$many" | jq -r .skipped_bytes)" = \
	    "$(find t/many -type f -printf "%s\n" | awk "{ n += \$1 } END { print n }")" &&
	echo "$many" | jq -r .reason | grep -q "^summary of the files of this directory not collected" &&
	summed=$(entries "select(.skipped_files != null) | .skipped_files" |
	    awk "{ n += \$1 } END { print n }") &&
	single=$(entries "select(.kind == \"file\")" | wc -l) &&
	test $((summed + single)) = "$(find t -type f | wc -l)" &&
	sub=$(entries "select(.source == \"$T/sub\" and .status == \"skipped\") | .skipped_files") &&
	test "$sub" = 1
'

test_expect_success 'a second link of a summarized file is counted, not listed' '
	test -z "$(manifest_entry x "$T/notes.link")" &&
	root=$(entries "select(.source == \"$T\" and .status == \"skipped\") | .skipped_files") &&
	# notes.txt, notes.link, the one not UTF-8 and sparse: 16 others are listed.
	test "$root" = 4 && test "$(find t -maxdepth 1 -type f | wc -l)" = 20
'

test_expect_success 'the manifest of 60,000 skipped files stays small (under 64 KiB)' '
	size=$(wc -c <x/custody/manifest.jsonl) &&
	echo "# manifest: $size bytes" &&
	test "$size" -lt 65536
'

test_expect_success 'skipped: each (the default) lists every file, as before' '
	sed "/skipped: summary/d" p.yaml >each.yaml &&
	custody collect --key key --case-id S1 --profile ./each.yaml -o each.tar.zst 2>err &&
	extract each.tar.zst e &&
	whole_manifest e >e.manifest &&
	n=$(jq -c "select(.type == \"entry\" and .status == \"skipped\" and .kind == \"file\")" \
	    e.manifest | wc -l) &&
	# many/, sub/readme, and notes.txt, notes.link, sparse, sparse-elf and the one not UTF-8.
	test "$n" = $((60000 + 1 + 5)) &&
	test "$(wc -c <e.manifest)" -gt 10000000
'

test_expect_success 'max_total: files of a kept class past the entry total are recorded with their class' '
	mkdir bud && cp /bin/ls bud/a && cp /bin/ls bud/b && cp /bin/ls bud/c &&
	size=$(stat -c %s bud/a) &&
	cat >bud.yaml <<-EOF &&
	name: budget
	entries:
	  - path: $TEST_TMP/bud
	    keep: elf
	    max_total: $((size * 2 + size / 2))
	EOF
	custody collect --key key --case-id S1 --profile ./bud.yaml -o bud.tar.zst 2>err &&
	extract bud.tar.zst bx &&
	test "$(manifest_entry bx "$TEST_TMP/bud/a" | jq -r .status)" = ok &&
	test "$(manifest_entry bx "$TEST_TMP/bud/b" | jq -r .status)" = ok &&
	c=$(manifest_entry bx "$TEST_TMP/bud/c") &&
	test "$(echo "$c" | jq -r .status)" = skipped && test "$(echo "$c" | jq -r .class)" = elf &&
	echo "$c" | jq -r .reason | grep -q "max_total" &&
	byhand_agrees 0 archive bud.tar.zst key.pub
'

test_expect_success 'setup: program trees for content: hash' '
	mkdir -p h/lib && cp /bin/true h/tool && cp /bin/ls h/lib/copy.so &&
	chmod 0644 h/lib/copy.so && ln h/tool h/tool.link && ln -s tool h/alias &&
	printf "#!/bin/sh\nexit 0\n" >h/run && chmod 0755 h/run &&
	echo data >h/lib/data.txt &&
	cat >hash.yaml <<-EOF
	name: hashes
	entries:
	  - path: $H
	    keep: [elf, executable]
	    content: hash
	    skipped: summary
	EOF
'

test_expect_success 'content: hash: ELF files and executables hashed, no member, digests those of sha256sum' '
	custody collect --key key --case-id S1 --profile ./hash.yaml -o h.tar.zst 2>err &&
	custody verify --key key.pub h.tar.zst >out && test_grep "verified: h.tar.zst" out &&
	byhand_agrees 0 archive h.tar.zst key.pub &&
	extract h.tar.zst hx && test ! -d hx/files &&
	for f in tool lib/copy.so run; do
		e=$(manifest_entry hx "$H/$f") &&
		test "$(echo "$e" | jq -r .sha256)" = "$(sha256sum "h/$f" | cut -c1-64)" &&
		test "$(echo "$e" | jq -r .size)" = "$(stat -c %s "h/$f")" &&
		test "$(echo "$e" | jq -r .path)" = null &&
		test "$(echo "$e" | jq -r .status)" = ok || return 1
	done &&
	test "$(manifest_entry hx "$H/run" | jq -r .class)" = executable &&
	test "$(manifest_entry hx "$H/lib/copy.so" | jq -r .class)" = elf &&
	test "$(manifest_entry hx "$H/alias" | jq -r .kind)" = symlink &&
	test "$(jq -r ".counts.members" hx/custody/seal.json)" = 0
'

test_expect_success 'a hard link is hashed once' '
	n=$(jq -r "select(.type == \"entry\" and .sha256 == \"$(sha256sum h/tool | cut -c1-64)\") | .source" \
	    hx/custody/manifest.jsonl | wc -l) &&
	test "$n" = 1
'

test_expect_success 'a hash-only digest altered and the archive resealed: verify and the by-hand verifier refuse it' '
	cp -a hx ht && good=$(sha256sum h/tool | cut -c1-64) &&
	sed -i "s/$good/$(printf "%064d" 0)/" ht/custody/manifest.jsonl &&
	! cmp -s hx/custody/manifest.jsonl ht/custody/manifest.jsonl &&
	reseal ht key && retar ht ht.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub ht.tar.zst >out &&
	test_grep "Merkle root" out &&
	byhand_agrees 1 archive ht.tar.zst key.pub
'

test_expect_success 'a hash-only entry given a member path that is not in the archive: refused' '
	cp -a hx hm &&
	jq -c "if .source == \"$H/tool\" then .path = \"files$H/tool\" else . end" \
	    hx/custody/manifest.jsonl >hm/custody/manifest.jsonl &&
	reseal hm key && retar hm hm.tar.zst &&
	test_must_fail --status=1 custody verify --key key.pub hm.tar.zst >out &&
	test_grep "files$H/tool" out &&
	byhand_agrees 1 archive hm.tar.zst key.pub
'

test_expect_success 'as an unprivileged user: what cannot be read is recorded with the reason' '
	mkdir -p n/closed nout && printf "#!/bin/sh\n" >n/secret.sh && chmod 0700 n/secret.sh &&
	printf "#!/bin/sh\n" >n/open.sh && chmod 0755 n/open.sh &&
	echo x >n/closed/inner && chmod 0700 n/closed && chmod 0777 nout &&
	cat >n.yaml <<-EOF &&
	name: unprivileged
	entries:
	  - path: $TEST_TMP/n
	    keep: script
	    skipped: summary
	EOF
	chmod 0644 n.yaml &&
	setpriv --reuid=65534 --regid=65534 --clear-groups "$CUSTODY" collect --ephemeral \
	    --profile ./n.yaml -o nout/n.tar.zst 2>err; test $? = 3 &&
	extract nout/n.tar.zst nx &&
	test "$(manifest_entry nx "$TEST_TMP/n/secret.sh" | jq -r .status)" = error &&
	manifest_entry nx "$TEST_TMP/n/secret.sh" | jq -r .reason | grep -q "Permission denied" &&
	manifest_entry nx "$TEST_TMP/n/closed" | jq -r .reason | grep -q "Permission denied" &&
	test "$(manifest_entry nx "$TEST_TMP/n/open.sh" | jq -r .class)" = script
'

# bad_profile TEXT MESSAGE: a profile with TEXT as its entries is refused (2).
bad_profile() {
	printf "name: bad\nentries:\n%s\n" "$1" >bad.yaml &&
	test_must_fail --status=2 custody collect --key key --profile ./bad.yaml -o bad.tar.zst 2>err &&
	test_grep "$2" err && test ! -e bad.tar.zst
}

test_expect_success 'profile keys are checked: unknown classes and values named with the known ones' '
	bad_profile "  - path: /tmp
    keep: [script, bogus]" "unknown value \"bogus\" of \"keep\" (known: script, elf, archive, executable)" &&
	bad_profile "  - path: /tmp
    keep: []" "\"keep\" is empty" &&
	bad_profile "  - path: /tmp
    keep: {a: b}" "\"keep\" must be a class or a sequence of classes" &&
	bad_profile "  - path: /tmp
    content: copy" "unknown value \"copy\" of \"content\" (known: archive, hash)" &&
	bad_profile "  - path: /tmp
    skipped: some" "unknown value \"some\" of \"skipped\" (known: each, summary)" &&
	bad_profile "  - path: /tmp
    max_total: 10Q" "\"max_total\": invalid size" &&
	bad_profile "  - live: processes
    keep: elf" "\"keep\" applies only to path entries" &&
	bad_profile "  - live: processes
    content: hash" "\"content\" applies only to path entries"
'

test_expect_success 'include: a built-in profile only, one level only' '
	printf "name: a\ninclude: nosuch\nentries:\n  - path: /tmp\n" >inc.yaml &&
	test_must_fail --status=2 custody collect --key key --profile ./inc.yaml -o i.tar.zst 2>err &&
	test_grep "\"include\" names \"nosuch\", which is not a built-in profile" err &&
	printf "name: a\ninclude: full\nentries:\n  - path: /tmp\n" >inc.yaml &&
	test_must_fail --status=2 custody collect --key key --profile ./inc.yaml -o i.tar.zst 2>err &&
	test_grep "which includes another profile (one level only)" err &&
	printf "name: a\ninclude: [configs]\nentries:\n  - path: /tmp\n" >inc.yaml &&
	test_must_fail --status=2 custody collect --key key --profile ./inc.yaml -o i.tar.zst 2>err &&
	test_grep "\"include\" must be a string" err
'

test_expect_success 'include: the included entries come first, then the own ones' '
	printf "name: more\ninclude: configs\nentries:\n  - path: %s\n" "$H/run" >inc.yaml &&
	custody collect --key key --profile ./inc.yaml -o i.tar.zst 2>err; test $? -le 3 &&
	extract i.tar.zst ix &&
	test "$(jq -c .profiles ix/custody/manifest.jsonl | head -n 1)" = "[\"more\"]" &&
	first=$(jq -r "select(.type == \"entry\") | .source" ix/custody/manifest.jsonl | grep -n "^/etc$" | cut -d: -f1) &&
	own=$(jq -r "select(.type == \"entry\") | .source" ix/custody/manifest.jsonl | grep -n "^$H/run\$" | cut -d: -f1) &&
	test -n "$first" && test -n "$own" && test "$first" -lt "$own"
'

test_expect_success 'the full profile is built in and includes triage' '
	custody collect --list-profiles >profiles && test_grep full profiles &&
	grep -q "^include: triage$" "$SRCDIR/profiles/full.yaml"
'

test_done
