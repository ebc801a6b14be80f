#!/bin/sh
# CI: the release tarball must build and pass its tests on its own.
# 1. make distcheck: a VPATH build from the tarball with a read-only source
#    tree, its make check, install and uninstall.
# 2. The tarball holds every tracked file but the CI and git ones.
# 3. The tarball, extracted into an empty directory, configures and builds
#    without autotools and without the git tree.
# Prints "ok"/"not ok" lines and exits non-zero on the first failure.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j2 distcheck
echo "ok make distcheck"

version=$(sed -n 's/^PACKAGE_VERSION = //p' Makefile)
tarball=custody-$version.tar.gz
listing=$(mktemp)
tracked=$(mktemp)
tar -tzf "$tarball" | sed "s|^custody-$version/||" | grep -v -e '/$' -e '^$' | sort >"$listing"
# Deliberately left out: .ci/ (CI of the git clone) and .gitignore.
git ls-files | sort >"$tracked"
missing=$(grep -v -e '^\.ci/' -e '^\.gitignore$' "$tracked" | comm -23 - "$listing")
# Nothing else but what autoreconf makes: no build products of the tree.
extra=$(comm -13 "$tracked" "$listing" | grep -v -x -e Makefile.in -e aclocal.m4 \
	-e configure -e config.h.in -e 'build-aux/[a-z-]*\(\.sh\)\{0,1\}' || true)
rm -f "$listing" "$tracked"
if [ -n "$missing" ]; then
	echo "not ok the tarball leaves out tracked files:"
	echo "$missing"
	exit 1
fi
echo "ok the tarball holds every tracked file"
if [ -n "$extra" ]; then
	echo "not ok the tarball holds files that are not tracked:"
	echo "$extra"
	exit 1
fi
echo "ok the tarball holds nothing else but what autoreconf makes"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/custody-dist.XXXXXX")
tar -xzf "$tarball" -C "$scratch"
(cd "$scratch/custody-$version" && ./configure >/dev/null && make -j2 >/dev/null)
echo "ok the extracted tarball builds"
rm -rf "$scratch"
