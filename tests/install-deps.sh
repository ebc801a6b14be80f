#!/bin/sh
# Install what custody needs to build and test, on Debian 12 (as root).
set -e
packages="build-essential autoconf automake libtool pkg-config
libssl-dev libarchive-dev libzstd-dev zlib1g-dev libmagic-dev libsqlite3-dev libjansson-dev
libyaml-dev libcmocka-dev libnftables-dev
file jq zstd xz-utils gzip libarchive-tools openssl sqlite3 util-linux mandoc
python3 faketime minisign nftables iptables sleuthkit"
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run as root (or install these by hand): $packages" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $packages >/dev/null
