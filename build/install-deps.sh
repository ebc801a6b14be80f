#!/bin/sh
# Installs what build/static.sh needs on Debian 12, as root: the musl
# toolchains for both architectures, the tools that build the dependencies,
# and a deb-src entry for the configured mirror so that `apt-get source` can
# fetch Debian's own source packages.
#   build/install-deps.sh [x86_64|aarch64]...
set -eu

arches=${*:-x86_64}

have_deb_src() {
	grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list && return 0
	grep -Eqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}

# Copy each deb822 stanza of the configured sources, as deb-src.
add_deb_src() {
	out=/etc/apt/sources.list.d/custody-deb-src.sources
	: > "$out.tmp"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
			/^Types:/ { print "Types: deb-src"; next }
			{ print }
		' "$f" >> "$out.tmp"
		echo >> "$out.tmp"
	done
	if [ -f /etc/apt/sources.list ]; then
		sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list \
			> /etc/apt/sources.list.d/custody-deb-src.list
	fi
	if [ -s "$out.tmp" ]; then mv "$out.tmp" "$out"; else rm -f "$out.tmp"; fi
}

need_update=0
if ! have_deb_src; then
	add_deb_src
	need_update=1
fi

pkgs="musl-tools musl-dev dpkg-dev build-essential pkg-config autoconf automake
	libtool autopoint gettext perl m4 bison ca-certificates gnulib cmake tclsh
	file"
for a in $arches; do
	case $a in
	x86_64) ;;
	aarch64)
		if ! dpkg --print-foreign-architectures | grep -qx arm64; then
			dpkg --add-architecture arm64
			need_update=1
		fi
		pkgs="$pkgs gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu musl-dev:arm64
			linux-libc-dev-arm64-cross qemu-user-static"
		;;
	*) echo "install-deps: unknown architecture: $a" >&2; exit 2 ;;
	esac
done

# Install only what is missing: an offline rerun need not reach the mirror.
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ] || [ "$need_update" = 1 ]; then
	apt-get update -qq
fi
if [ -n "$missing" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
