#!/bin/bash
# Builds the self-contained custody binary for one architecture: every
# dependency from Debian 12's source packages (build/sources.lock), static,
# with musl, into a prefix under the cache directory; then custody itself,
# out of tree, against that prefix, with the compiled magic database inside.
#
#   build/static.sh x86_64|aarch64 [--out DIR] [--cache DIR] [--no-install]
#                   [--regex gnulib|musl] [--malloc mimalloc|musl] [--deps-only]
#
# gnulib's regex and mimalloc (the default) make libmagic's typing as fast as
# the dynamic build's; musl's own made it about twice as slow.
#
# Writes DIR/custody-VERSION-ARCH (DIR defaults to the current directory).
# The dependency prefix is kept in the cache (default ~/.cache/custody-static)
# and reused while the lock file, this script and the toolchain are unchanged.
set -euo pipefail

usage() {
	echo "usage: build/static.sh x86_64|aarch64 [--out DIR] [--cache DIR] [--no-install] [--regex gnulib|musl] [--malloc mimalloc|musl] [--deps-only]" >&2
	exit 2
}

die() {
	echo "static: $*" >&2
	exit 2
}

[ $# -ge 1 ] || usage
ARCH=$1
shift
OUT=$PWD
CACHE=${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/custody-static
INSTALL=1
REGEX=gnulib
MALLOC=mimalloc
DEPS_ONLY=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
	--cache) [ $# -ge 2 ] || usage; CACHE=$2; shift 2 ;;
	--no-install) INSTALL=0; shift ;;
	--regex) [ $# -ge 2 ] || usage; REGEX=$2; shift 2 ;;
	--malloc) [ $# -ge 2 ] || usage; MALLOC=$2; shift 2 ;;
	--deps-only) DEPS_ONLY=1; shift ;;
	*) usage ;;
	esac
done
case $REGEX in musl|gnulib) ;; *) usage ;; esac
case $MALLOC in musl|mimalloc) ;; *) usage ;; esac

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
LOCK=$SRCDIR/build/sources.lock
mkdir -p "$OUT" "$CACHE"
OUT=$(cd "$OUT" && pwd)
CACHE=$(cd "$CACHE" && pwd)

# Nothing of this machine may reach the bytes: time, locale, zone, umask.
export LC_ALL=C TZ=UTC
umask 022
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$SRCDIR" log -1 --format=%ct 2>/dev/null) ||
		SOURCE_DATE_EPOCH=
	if [ -z "$SOURCE_DATE_EPOCH" ]; then
		SOURCE_DATE_EPOCH=$(stat -c %Y "$SRCDIR/configure.ac")
	fi
fi
export SOURCE_DATE_EPOCH
unset CFLAGS CPPFLAGS LDFLAGS LIBS PKG_CONFIG_PATH CC AR RANLIB MAKEFLAGS MFLAGS
JOBS=${JOBS:-2}
DEPS_EPOCH=$(awk '$1 == "source-date-epoch" { print $2 }' "$LOCK")
[ -n "$DEPS_EPOCH" ] || die "$LOCK: no source-date-epoch"

case $ARCH in
x86_64)
	GNU=x86_64-linux-gnu
	HOST=x86_64-linux-musl
	OSSL_TARGET=linux-x86_64
	KERNEL_INC="/usr/include /usr/include/x86_64-linux-gnu"
	;;
aarch64)
	GNU=aarch64-linux-gnu
	HOST=aarch64-linux-musl
	OSSL_TARGET=linux-aarch64
	KERNEL_INC=/usr/aarch64-linux-gnu/include
	;;
*) usage ;;
esac

if [ "$INSTALL" = 1 ]; then
	if [ "$(id -u)" = 0 ]; then
		sh "$SRCDIR/build/install-deps.sh" "$ARCH"
	else
		echo "static: not root: not installing the build dependencies" >&2
	fi
fi

SPECS=/usr/lib/$HOST/musl-gcc.specs
[ -f "$SPECS" ] || die "$SPECS: missing (musl-dev for $ARCH)"
command -v "$GNU-gcc" >/dev/null || die "$GNU-gcc: missing"
export CC="$GNU-gcc -specs $SPECS"
export AR=$GNU-ar RANLIB=$GNU-ranlib
STRIP=$GNU-strip
BUILD_TRIPLE=$(gcc -dumpmachine)

# Installed with DESTDIR under SYSROOT; PREFIX is the fixed name compiled into
# the libraries, a directory that exists nowhere, so that no path of this
# machine is in the binary and nothing is looked up on the host.
PREFIX=/nonexistent/custody-static
VARIANT=$ARCH-$REGEX-$MALLOC
SYSROOT=$CACHE/$VARIANT
P=$SYSROOT$PREFIX
WORK=$CACHE/work/$VARIANT
LOGS=$CACHE/logs/$VARIANT
SRCCACHE=$CACHE/sources

# The kernel's user-space headers, without glibc's.
KINC=$CACHE/kernel-headers-$ARCH

# One mapped name for every build directory, whichever the cache.
MAPS="-ffile-prefix-map=$WORK=/usr/src -ffile-prefix-map=$SYSROOT=/ -ffile-prefix-map=$KINC=/usr/include"
BASE_CFLAGS="-O2 -pipe -fno-plt -fstack-protector-strong $MAPS -isystem $KINC"

step() {
	printf 'static[%s]: %s\n' "$VARIANT" "$*" >&2
}

# The version of PACKAGE the lock asks for, and its fallback.
lock_versions() {
	awk -v p="$1" '$1 == p { print $2; if ($3 != "-") print $3; found = 1 }
		END { if (!found) exit 1 }' "$LOCK" || die "$1: not in $LOCK"
}

# Fetch PACKAGE with apt-get source into the source cache; print the
# directory of the .dsc. The version fetched must be the one asked for.
fetch() {
	local pkg=$1 v dir dsc got
	for v in $(lock_versions "$pkg"); do
		dir=$SRCCACHE/$pkg=${v//:/%}
		dsc=$(ls "$dir"/*.dsc 2>/dev/null | head -1 || true)
		if [ -n "$dsc" ] && [ -f "$dir/.complete" ]; then
			echo "$dir"
			return 0
		fi
		rm -rf "$dir" && mkdir -p "$dir"
		step "fetching $pkg=$v"
		if (cd "$dir" && apt-get source --download-only -qq "$pkg=$v") \
		    >"$dir/.apt.log" 2>&1; then
			dsc=$(ls "$dir"/*.dsc | head -1)
			got=$(sed -n 's/^Version: //p' "$dsc")
			[ "$got" = "$v" ] || die "$pkg: fetched version $got, locked $v"
			touch "$dir/.complete"
			echo "$dir"
			return 0
		fi
		echo "static: $pkg=$v: not at the mirror, trying the release's version" >&2
		grep -E '^(E|W: Failed)' "$dir/.apt.log" >&2 || true
		rm -rf "$dir"
	done
	die "$pkg: no locked version could be fetched (is there a deb-src entry?)"
}

# Unpack PACKAGE (patches applied) into WORK/PACKAGE; print the directory.
unpack() {
	local pkg=$1 dir dsc v
	dir=$(fetch "$pkg")
	dsc=$(ls "$dir"/*.dsc | head -1)
	v=$(sed -n 's/^Version: //p' "$dsc")
	rm -rf "${WORK:?}/$pkg"
	mkdir -p "$WORK"
	dpkg-source --no-check -x "$dsc" "$WORK/$pkg" >"$LOGS/$pkg.unpack.log" 2>&1 ||
		die "$pkg: dpkg-source failed (see $LOGS/$pkg.unpack.log)"
	# Every file dated alike: nothing built may see the day of the fetch.
	find "$WORK/$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	printf '%s %s\n' "$pkg" "$v" >> "$P/SOURCES"
	echo "$WORK/$pkg"
}

# Run a build step with its output in the package's log.
run() {
	local pkg=$1
	shift
	"$@" >>"$LOGS/$pkg.log" 2>&1 || {
		tail -30 "$LOGS/$pkg.log" >&2
		die "$pkg: failed: $* (log: $LOGS/$pkg.log)"
	}
}

# The common autoconf arguments and environment for a dependency.
autoconf_args() {
	echo "--host=$HOST --build=$BUILD_TRIPLE --prefix=$PREFIX --libdir=$PREFIX/lib --disable-shared --enable-static --disable-dependency-tracking"
}

dep_env() {
	env CFLAGS="$BASE_CFLAGS" CPPFLAGS="-I$P/include" LDFLAGS="-L$P/lib" \
	    PKG_CONFIG_LIBDIR="$P/lib/pkgconfig" PKG_CONFIG_PATH="$P/lib/pkgconfig" \
	    PKG_CONFIG_SYSROOT_DIR="$SYSROOT" "$@"
}

build_zlib() {
	local s
	s=$(unpack zlib)
	cd "$s"
	run zlib env CHOST=$GNU CFLAGS="$BASE_CFLAGS" ./configure --static --prefix=$PREFIX --libdir=$PREFIX/lib
	run zlib make -j"$JOBS" libz.a
	run zlib make install DESTDIR="$SYSROOT"
}

build_xz() {
	local s
	s=$(unpack xz-utils)
	cd "$s"
	# shellcheck disable=SC2046
	run xz-utils dep_env ./configure $(autoconf_args) --disable-xz --disable-xzdec \
	    --disable-lzmadec --disable-lzmainfo --disable-lzma-links --disable-scripts \
	    --disable-doc --disable-nls --disable-rpath
	run xz-utils make -j"$JOBS" -C src/liblzma
	run xz-utils make -C src/liblzma install DESTDIR="$SYSROOT"
}

build_zstd() {
	local s
	s=$(unpack libzstd)
	cd "$s"
	run libzstd make -C lib -j"$JOBS" libzstd.a CFLAGS="$BASE_CFLAGS" \
	    PREFIX=$PREFIX LIBDIR=$PREFIX/lib
	run libzstd make -C lib install-static install-includes install-pc \
	    PREFIX=$PREFIX LIBDIR=$PREFIX/lib DESTDIR="$SYSROOT"
}

build_openssl() {
	local s
	s=$(unpack openssl)
	cd "$s"
	# No shared modules, engines or dlopen; no configuration file is ever
	# loaded by default; its directory is one that exists nowhere.
	run openssl env CFLAGS="$BASE_CFLAGS" ./Configure "$OSSL_TARGET" \
	    no-shared no-module no-engine no-dso no-afalgeng no-autoload-config \
	    no-tests no-legacy no-ui-console no-async no-comp \
	    --prefix=$PREFIX --libdir=lib --openssldir=$PREFIX/ssl
	run openssl make -j"$JOBS" build_libs
	run openssl make install_dev DESTDIR="$SYSROOT"
}

build_libarchive() {
	local s
	s=$(unpack libarchive)
	cd "$s"
	run libarchive autoreconf -fi
	# tar and pax with gzip, xz and zstd: no other library.
	# shellcheck disable=SC2046
	run libarchive dep_env ./configure $(autoconf_args) \
	    --disable-bsdtar --disable-bsdcat --disable-bsdcpio --disable-acl \
	    --disable-xattr --without-xml2 --without-expat --without-openssl \
	    --without-nettle --without-mbedtls --without-lz4 --without-bz2lib \
	    --without-lzo2 --without-libb2 --without-cng --with-zlib --with-lzma \
	    --with-zstd
	run libarchive make -j"$JOBS" libarchive.la
	run libarchive make install-libLTLIBRARIES install-includeHEADERS \
	    install-pkgconfigDATA DESTDIR="$SYSROOT"
}

# gnulib's regex engine as a library of its own, with a regex.h that carries
# the definitions it was compiled with: _REGEX_LARGE_OFFSETS changes the size
# of regmatch_t, and a caller compiled without it smashes its stack.
build_gnulib_regex() {
	local s g
	s=$(unpack gnulib)
	g=$WORK/gnulib-regex
	rm -rf "$g"
	run gnulib "$s/gnulib-tool" --create-testdir --dir="$g" --without-tests \
	    --avoid=nls regex
	find "$g" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	cd "$g"
	# shellcheck disable=SC2046
	run gnulib dep_env ./configure $(autoconf_args) --with-included-regex
	run gnulib make -j"$JOBS" -C gllib
	mkdir -p "$P/include/gnulib-regex" "$P/lib"
	cp gllib/libgnu.a "$P/lib/libgnuregex.a"
	cp gllib/regex.h "$P/include/gnulib-regex/gnulib-regex.h"
	{
		echo "/* gnulib's regex, with the definitions it was built with. */"
		echo "#ifndef CUSTODY_GNULIB_REGEX_H"
		echo "#define CUSTODY_GNULIB_REGEX_H"
		grep -E '^#define (_REGEX_|re_|rpl_re|regcomp|regexec|regerror|regfree)' config.h ||
			die "gnulib: no regex definitions in config.h"
		echo '#include "gnulib-regex.h"'
		echo "#endif"
	} > "$P/include/gnulib-regex/regex.h"
	grep -q '_REGEX_LARGE_OFFSETS' "$P/include/gnulib-regex/regex.h" ||
		die "gnulib: _REGEX_LARGE_OFFSETS not found"
}

build_file() {
	local s extra_cppflags="" extra_libs=""
	s=$(unpack file)
	cd "$s"
	if [ "$REGEX" = gnulib ]; then
		extra_cppflags="-I$P/include/gnulib-regex"
		extra_libs="-lgnuregex"
	fi
	run file autoreconf -fi
	# shellcheck disable=SC2046
	run file dep_env CPPFLAGS="-I$P/include $extra_cppflags" LIBS="$extra_libs" \
	    ./configure $(autoconf_args) --disable-zlib --disable-bzlib --disable-xzlib \
	    --disable-zstdlib --disable-lzlib --disable-libseccomp
	if [ "$ARCH" = x86_64 ]; then
		run file make -j"$JOBS"
		run file make install DESTDIR="$SYSROOT"
	else
		# The compiled database comes from the x86_64 build of the same source.
		run file make -j"$JOBS" -C src magic.h
		run file make -j"$JOBS" -C src libmagic.la
		run file make -C src install-libLTLIBRARIES install-nodist_includeHEADERS DESTDIR="$SYSROOT"
		run file make install-pkgconfigexecDATA DESTDIR="$SYSROOT"
	fi
	if [ "$REGEX" = gnulib ]; then
		# Whoever links libmagic links gnulib's regex after it.
		sed -i 's/^Libs.private:\(.*\)$/Libs.private:\1 -lgnuregex/' "$P/lib/pkgconfig/libmagic.pc"
		grep -q -- -lgnuregex "$P/lib/pkgconfig/libmagic.pc" ||
			echo "Libs.private: -lgnuregex" >> "$P/lib/pkgconfig/libmagic.pc"
	fi
}

build_sqlite() {
	local s
	s=$(unpack sqlite3)
	cd "$s"
	# shellcheck disable=SC2046
	run sqlite3 dep_env CFLAGS="$BASE_CFLAGS -DSQLITE_OMIT_LOAD_EXTENSION" \
	    ./configure $(autoconf_args) --disable-readline --disable-editline \
	    --disable-tcl --disable-load-extension --enable-threadsafe \
	    BUILD_CC=gcc
	# The parser generator runs here: build it for this machine.
	run sqlite3 gcc -O2 -o lemon tool/lemon.c
	cp tool/lempar.c .
	run sqlite3 make -j"$JOBS" libsqlite3.la
	mkdir -p "$P/lib/pkgconfig" "$P/include"
	cp .libs/libsqlite3.a "$P/lib/"
	cp sqlite3.h "$P/include/"
	cp sqlite3.pc "$P/lib/pkgconfig/"
}

# A small autotools library whose src/ holds all of it (jansson, libyaml):
# the library and its pkg-config file, without the tools and docs.
build_src_library() {
	local pkg=$1 s
	s=$(unpack "$pkg")
	cd "$s"
	run "$pkg" autoreconf -fi
	# shellcheck disable=SC2046
	run "$pkg" dep_env ./configure $(autoconf_args)
	run "$pkg" make -j"$JOBS" -C src
	run "$pkg" make -C src install DESTDIR="$SYSROOT"
	run "$pkg" make install-pkgconfigDATA DESTDIR="$SYSROOT"
}

build_jansson() {
	build_src_library jansson
}

build_yaml() {
	build_src_library libyaml
	[ -f "$P/include/yaml.h" ] || cp include/yaml.h "$P/include/"
}

# mimalloc as an object that replaces malloc and friends at link time.
build_mimalloc() {
	local s
	s=$(unpack mimalloc)
	cd "$s"
	mkdir -p "$P/lib"
	run mimalloc $CC $BASE_CFLAGS -DNDEBUG -DMI_MALLOC_OVERRIDE -DMI_SECURE=0 \
	    -fvisibility=hidden -ftls-model=initial-exec -Iinclude \
	    -c src/static.c -o "$P/lib/mimalloc.o"
}

# A directory with the kernel's headers only, for code that includes <linux/...>.
kernel_headers() {
	local d
	rm -rf "$KINC"
	mkdir -p "$KINC"
	for d in $KERNEL_INC; do
		for sub in linux asm asm-generic mtd; do
			[ -d "$d/$sub" ] && [ ! -e "$KINC/$sub" ] && ln -s "$d/$sub" "$KINC/$sub"
		done
	done
	[ -e "$KINC/asm" ] && [ -e "$KINC/linux" ] || die "no kernel headers for $ARCH in $KERNEL_INC"
}

# Build one dependency unless an interrupted run of the same key built it.
dep() {
	local pkg=$1 fn=$2
	[ -f "$SYSROOT/.built-$pkg" ] && return 0
	step "$pkg"
	sed -i "/^$pkg /d" "$P/SOURCES"
	# The dependencies' date is the lock's, not custody's commit: the
	# prefix is shared by builds of many commits.
	(SOURCE_DATE_EPOCH=$DEPS_EPOCH; export SOURCE_DATE_EPOCH; "$fn")
	touch "$SYSROOT/.built-$pkg"
}

# What decides the bytes of the dependency prefix.
deps_key() {
	{
		cat "$LOCK"
		sed -n '/^case $ARCH in/,/^# END DEPS/p' "$0"
		$GNU-gcc --version | head -1
		dpkg-query -W musl-dev 2>/dev/null || true
		echo "$REGEX $MALLOC"
	} | sha256sum | cut -c1-16
}

build_deps() {
	local key t0
	key=$(deps_key)
	if [ -f "$SYSROOT/.complete" ] && [ "$(cat "$SYSROOT/.complete")" = "$key" ]; then
		step "dependencies: reusing $SYSROOT"
		return 0
	fi
	t0=$(date +%s)
	if [ -f "$SYSROOT/.partial" ] && [ "$(cat "$SYSROOT/.partial")" = "$key" ]; then
		step "dependencies: resuming the build in $SYSROOT"
	else
		rm -rf "$SYSROOT" "$WORK" "$LOGS"
		mkdir -p "$P" "$LOGS" "$WORK"
		: > "$P/SOURCES"
		echo "$key" > "$SYSROOT/.partial"
	fi
	kernel_headers
	dep zlib build_zlib
	dep xz-utils build_xz
	dep libzstd build_zstd
	dep openssl build_openssl
	dep libarchive build_libarchive
	if [ "$REGEX" = gnulib ]; then dep gnulib build_gnulib_regex; fi
	dep file build_file
	dep sqlite3 build_sqlite
	dep jansson build_jansson
	dep libyaml build_yaml
	if [ "$MALLOC" = mimalloc ]; then dep mimalloc build_mimalloc; fi
	find "$P/lib" -name '*.la' -delete
	# For custody's configure: the same files naming where they are now, so
	# that a configure rerun by make (which forgets PKG_CONFIG_SYSROOT_DIR)
	# still finds them.
	mkdir -p "$SYSROOT/pkgconfig"
	for pc in "$P"/lib/pkgconfig/*.pc; do
		sed "s|$PREFIX|$P|g" "$pc" > "$SYSROOT/pkgconfig/${pc##*/}"
	done
	rm -rf "$WORK"
	rm -f "$SYSROOT"/.built-* "$SYSROOT/.partial"
	echo "$key" > "$SYSROOT/.complete"
	step "dependencies built in $(( $(date +%s) - t0 ))s"
}
# END DEPS

magic_db() {
	local db
	if [ "$ARCH" = x86_64 ]; then
		db=$P/share/misc/magic.mgc
	else
		# The database is the same bytes for either architecture: the
		# x86_64 build of the same source compiles it.
		bash "$0" x86_64 --cache "$CACHE" --no-install --regex "$REGEX" --malloc "$MALLOC" --deps-only
		db=$CACHE/x86_64-$REGEX-$MALLOC$PREFIX/share/misc/magic.mgc
	fi
	[ -s "$db" ] || die "$db: no compiled magic database"
	echo "$db"
}

# A clean copy of the source: the tree may be configured in place (the
# dynamic build), which an out-of-tree configure refuses.
copy_source() {
	local dest=$1
	rm -rf "$dest"
	mkdir -p "$dest"
	if git -C "$SRCDIR" rev-parse --show-toplevel >/dev/null 2>&1 &&
	    [ "$(git -C "$SRCDIR" rev-parse --show-toplevel)" = "$SRCDIR" ]; then
		(cd "$SRCDIR" && git ls-files -z | xargs -0 tar -cf - --no-recursion) |
			tar -xf - -C "$dest"
	else
		(cd "$SRCDIR" && tar -cf - --exclude=./config.status --exclude=./config.h \
		    --exclude=./config.log --exclude=./Makefile --exclude=./stamp-h1 \
		    --exclude=./custody --exclude='*.o' --exclude='*.a' \
		    --exclude=./lib/profiles-builtin.c --exclude='./custody-*' .) |
			tar -xf - -C "$dest"
	fi
	find "$dest" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	(cd "$dest" && ./autogen.sh) >"$LOGS/custody-autogen.log" 2>&1 ||
		die "autogen failed (see $LOGS/custody-autogen.log)"
}

build_custody() {
	local s b t0 version db extra_libs="" name
	t0=$(date +%s)
	s=$CACHE/custody-src/$VARIANT
	b=$CACHE/custody-build/$VARIANT
	# A reused prefix may come without the logs of its build.
	mkdir -p "$LOGS"
	step "copying the source"
	copy_source "$s"
	rm -rf "$b"
	mkdir -p "$b"
	db=$(magic_db)
	[ "$MALLOC" = mimalloc ] && extra_libs="$P/lib/mimalloc.o"
	cd "$b"
	step "configuring custody"
	# cmocka is for the unit tests only, which this build does not run.
	# libnftables is left out: the Debian 12 sources of libmnl, libnftnl
	# and nftables cannot be fetched from the mirror this build uses (their
	# .dsc is there, not their tarballs), so the static firewall source
	# reads the x_tables tables and records nftables as not read.
	run custody env \
	    CFLAGS="$BASE_CFLAGS -ffile-prefix-map=$s=. -ffile-prefix-map=$b=." \
	    LDFLAGS="-static -Wl,--build-id=none" LIBS="$extra_libs" \
	    PKG_CONFIG="pkg-config --static" \
	    PKG_CONFIG_LIBDIR="$SYSROOT/pkgconfig" PKG_CONFIG_PATH="$SYSROOT/pkgconfig" \
	    CMOCKA_CFLAGS=-DCUSTODY_NO_CMOCKA CMOCKA_LIBS=-lc \
	    "$s/configure" --host=$HOST --build="$BUILD_TRIPLE" \
	    --with-magic-db="$db" --without-libnftables
	step "building custody"
	run custody make -j"$JOBS" ARFLAGS=crD custody
	version=$(sed -n 's/^PACKAGE_VERSION = //p' Makefile)
	name=custody-$version-$ARCH
	$STRIP --strip-all -R .comment -o "$OUT/$name.tmp" custody
	mv "$OUT/$name.tmp" "$OUT/$name"
	if LC_ALL=C ldd "$OUT/$name" 2>&1 | grep -q 'not a dynamic executable'; then :; else
		if file "$OUT/$name" | grep -q 'statically linked'; then :; else
			die "$name: not statically linked"
		fi
	fi
	step "custody built in $(( $(date +%s) - t0 ))s: $OUT/$name ($(stat -c %s "$OUT/$name") bytes)"
}

build_deps
[ "$DEPS_ONLY" = 1 ] && exit 0
build_custody
