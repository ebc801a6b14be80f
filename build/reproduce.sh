#!/bin/bash
# Shows that the x86_64 static binary is reproducible: builds it from clean
# clones of this commit at two different paths, each with its own dependency
# cache (so the dependencies are rebuilt at different paths too), and
# compares the bytes.
#
#   build/reproduce.sh [--arch ARCH] [--work DIR] [--against BIN] [--keep]
#
# --against BIN compares one fresh build with BIN (built by build/static.sh
# from the same commit elsewhere) instead of building twice.
# Exit 0 identical, 1 different, 2 cannot build.
set -euo pipefail

ARCH=x86_64
WORK=
AGAINST=
KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--arch) ARCH=$2; shift 2 ;;
	--work) WORK=$2; shift 2 ;;
	--against) AGAINST=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	*) echo "usage: build/reproduce.sh [--arch ARCH] [--work DIR] [--against BIN] [--keep]" >&2; exit 2 ;;
	esac
done

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
git -C "$SRCDIR" rev-parse HEAD >/dev/null 2>&1 ||
	{ echo "reproduce: $SRCDIR is not a git clone" >&2; exit 2; }
[ -n "$WORK" ] || WORK=$(mktemp -d /tmp/custody-reproduce.XXXXXX)
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT
if [ -n "$AGAINST" ]; then
	AGAINST=$(cd "$(dirname "$AGAINST")" && pwd)/$(basename "$AGAINST")
fi

# One build from a fresh clone at DIR; prints the binary's path.
build_at() {
	local dir=$1 t0
	t0=$(date +%s)
	rm -rf "$dir"
	mkdir -p "$dir"
	git clone -q --no-local "$SRCDIR" "$dir/src"
	git -C "$dir/src" checkout -q "$(git -C "$SRCDIR" rev-parse HEAD)"
	bash "$dir/src/build/static.sh" "$ARCH" --out "$dir/out" --cache "$dir/cache" \
		--no-install >"$dir/build.log" 2>&1 ||
		{ tail -20 "$dir/build.log" >&2; echo "reproduce: the build at $dir failed" >&2; exit 2; }
	echo "reproduce: built at $dir in $(( $(date +%s) - t0 ))s" >&2
	ls "$dir"/out/custody-*-"$ARCH"
}

[ "$(id -u)" = 0 ] && sh "$SRCDIR/build/install-deps.sh" "$ARCH"
first=$AGAINST
[ -n "$first" ] || first=$(build_at "$WORK/first")
second=$(build_at "$WORK/the-second-tree-elsewhere")
sha256sum "$first" "$second"
if cmp "$first" "$second"; then
	echo "reproduce: identical: $(sha256sum < "$second" | cut -d' ' -f1) ($(stat -c %s "$second") bytes)"
	exit 0
fi
echo "reproduce: the two builds differ" >&2
exit 1
