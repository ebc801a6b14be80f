#!/bin/sh
# Hostile evidence: archives crafted to escape, confuse or exhaust the
# verifier. verify must never write to disk, must stay within bounded memory
# and time, and must answer exit 1 (not intact) or 2 (cannot be read) with a
# reason, never 0 and never a crash.
. "$(dirname "$0")/lib.sh"

make_key

# craft.py OUT KIND [ARG]: a tar built from the extracted good archive in g/,
# with one hostile change. Python's tarfile writes what GNU tar refuses to.
cat >"$TEST_TMP/craft.py" <<'EOF'
import io, os, sys, tarfile
out, kind = sys.argv[1], sys.argv[2]
def members(root="g"):
    for d, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            p = os.path.join(d, f)
            yield os.path.relpath(p, root), p
def add_file(t, name, data):
    i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o600
    t.addfile(i, io.BytesIO(data))
def add_link(t, name, target, kind):
    i = tarfile.TarInfo(name); i.type = kind; i.linkname = target
    t.addfile(i)
if out == "-":
    t = tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.PAX_FORMAT)
else:
    t = tarfile.open(out, "w", format=tarfile.PAX_FORMAT)
with t:
    meta = []
    for name, path in members():
        if name.startswith("custody/"):
            meta.append((name, path)); continue
        if kind == "dup-first":
            add_file(t, name, b"an impostor with the same name\n")
        t.add(path, arcname=name, recursive=False)
    if kind == "dotdot":
        add_file(t, "../escaped", b"outside\n")
        add_file(t, "files/../../escaped2", b"outside\n")
    elif kind == "absolute":
        add_file(t, os.path.abspath("absolute-target"), b"absolute\n")
    elif kind == "hardlink":
        add_link(t, "files/passwd", "../../../../etc/passwd", tarfile.LNKTYPE)
    elif kind == "symlink":
        add_link(t, "files/shadow", "/etc/shadow", tarfile.SYMTYPE)
    elif kind == "device":
        i = tarfile.TarInfo("files/zero"); i.type = tarfile.CHRTYPE
        i.devmajor, i.devminor = 1, 5; t.addfile(i)
    elif kind == "bomb":
        i = tarfile.TarInfo("files/bomb"); i.size = 2 << 30
        class Zeros:
            left = i.size
            def read(self, n):
                n = min(n, self.left); self.left -= n; return bytes(n)
        t.addfile(i, Zeros())
    elif kind == "giant-pax":
        i = tarfile.TarInfo("files/pax")
        i.pax_headers = {"comment": "x" * (64 << 20)}
        i.size = 4; t.addfile(i, io.BytesIO(b"pax\n"))
    for name, path in meta:
        t.add(path, arcname=name, recursive=False)
EOF

# verify $@ with the test key, bounded (see run_bounded).
bounded_verify() {
	run_bounded "$CUSTODY" verify --key "$TEST_TMP/key.pub" "$@"
}

# The listing of the test directory, to prove nothing was written.
snapshot() {
	(cd "$TEST_TMP" && find . -path ./.out -prune -o -print | grep -v -e "^./out$" -e "^./status$" -e "^./rss$" -e "^./before$" -e "^./after$" | sort)
}

test_expect_success 'setup: a good archive, extracted' '
	mkdir -p src/d && echo alpha >src/a && echo beta >src/d/b &&
	custody collect --key key --case-id H1 -o good.tar "$TEST_TMP/src" 2>/dev/null &&
	extract good.tar g && custody verify --key key.pub good.tar >/dev/null
'

for kind in dotdot absolute hardlink symlink device dup-first giant-pax; do
	test_expect_success "a crafted archive ($kind): exit 1, named, nothing written" "
		python3 craft.py $kind.tar $kind &&
		snapshot >before && mkdir -p deep/er && cd deep/er &&
		bounded_verify ../../$kind.tar >/dev/null && cd ../.. &&
		test \$(cat deep/er/status) = 1 &&
		grep -q FAILED deep/er/out &&
		rm -r deep && snapshot >after && diff before after &&
		! test -e escaped && ! test -e \"\$TEST_TMP/escaped2\" && ! test -e /tmp/escaped2
	"
done

test_expect_success 'each hostile member is named with its reason' '
	bounded_verify dotdot.tar && test_grep "../escaped" out &&
	test_grep "extra member: not in the manifest" out &&
	test_grep "name with a \".\" or \"..\" component" out &&
	bounded_verify hardlink.tar && test_grep "files/passwd: hard link (type '"'"'1'"'"')" out &&
	bounded_verify symlink.tar && test_grep "files/shadow: symbolic link (type '"'"'2'"'"')" out &&
	bounded_verify device.tar && test_grep "files/zero: character device (type '"'"'3'"'"')" out &&
	bounded_verify dup-first.tar && test_grep "2 members with this name" out
'

test_expect_success 'a member declaring a huge size with no data: damaged, exit 1, quickly' '
	python3 -c "
import sys
h = bytearray(512)
h[0:9] = b\"files/big\"
h[100:108] = b\"0000600\\0\"
h[108:116] = b\"0000000\\0\"; h[116:124] = b\"0000000\\0\"
h[124] = 0x80; h[124+4:136] = (1 << 60).to_bytes(8, \"big\")  # base-256 size
h[136:148] = b\"00000000000\\0\"; h[156] = ord(\"0\"); h[257:263] = b\"ustar\\0\"; h[263:265] = b\"00\"
h[148:156] = b\" \" * 8
h[148:156] = (\"%06o\\0 \" % sum(h)).encode()
open(\"huge.tar\", \"wb\").write(bytes(h) + bytes(1024))
" &&
	bounded_verify huge.tar && test $(cat status) = 1 && test_grep "damaged or truncated: huge.tar" out
'

test_expect_success 'a zstd bomb (2 GiB of zeros in under 1 MB): bounded memory, exit 1' '
	python3 craft.py - bomb | zstd -q -1 >bomb.tar.zst &&
	test $(wc -c <bomb.tar.zst) -lt 1000000 &&
	snapshot >before && bounded_verify bomb.tar.zst &&
	test $(cat status) = 1 && test_grep "files/bomb" out && test_grep "extra member: not in the manifest" out &&
	{ test "${CUSTODY_SANITIZED:-no}" = yes || test $(cat rss) -lt 131072; } &&
	snapshot >after && diff before after
'

test_expect_success 'garbage and an empty file: exit 2; a truncated archive: exit 1 or 2, said' '
	head -c 10000 /dev/urandom >garbage.tar.zst && : >empty.tar &&
	head -c $(( $(wc -c <good.tar) / 2 )) good.tar >cut.tar &&
	for f in garbage.tar.zst empty.tar; do
		bounded_verify $f && test $(cat status) = 2 || { echo "$f: $(cat status)"; exit 1; }
		grep -q -e "not a tar header" -e "empty input" out || exit 1
	done &&
	bounded_verify cut.tar && { test $(cat status) = 1 || test $(cat status) = 2; } &&
	grep -q -i -e "damaged or truncated" -e "truncated" out
'

test_expect_success 'prove refuses a hostile archive the same way' '
	test_must_fail custody prove dotdot.tar "$TEST_TMP/src/a" -o p.json >out 2>&1 &&
	! test -e p.json &&
	test_grep "does not verify" out
'

test_done
