#!/bin/sh
# make release: gather the two static binaries and the source tarball into a
# release directory with SHA256SUMS, its raw Ed25519 signature (openssl) and
# its minisign signature, and the public key in both tools' formats. Checks
# everything before it starts, builds in a temporary directory beside the
# target and renames it into place only when all three checks pass, so a
# failure never leaves a half-made release.
#
#   make-release.sh [--check] --custody BIN --version V --key KEYFILE
#       --bindir DIR [--tarball FILE --out DIR] [--passphrase-file FILE]
#
# --check stops after the checks of the inputs (make release runs it before
# make dist). Exit 0 done, 2 an input is missing or a step failed.
set -u

die() {
	echo "make release: $*" >&2
	exit 2
}

check_only=no custody= version= key= bindir= tarball= out= passphrase_file=
while [ $# -gt 0 ]; do
	case $1 in
	--check) check_only=yes; shift; continue ;;
	--custody) custody=${2-} ;;
	--version) version=${2-} ;;
	--key) key=${2-} ;;
	--bindir) bindir=${2-} ;;
	--tarball) tarball=${2-} ;;
	--out) out=${2-} ;;
	--passphrase-file) passphrase_file=${2-} ;;
	*) die "unknown option $1" ;;
	esac
	[ $# -ge 2 ] || die "$1 needs a value"
	shift 2
done

[ -n "$key" ] || die "RELEASE_KEY is not set: make release RELEASE_KEY=FILE, the Ed25519 private key (custody key generate) that signs SHA256SUMS"
[ -f "$key" ] && [ -r "$key" ] || die "RELEASE_KEY $key: no such readable file"
[ -f "$key.pub" ] || die "RELEASE_KEY $key: its public key $key.pub is missing"
[ -n "$version" ] || die "no version given"
[ -x "$custody" ] || die "$custody: not built (make custody first)"
[ -n "$passphrase_file" ] && { [ -r "$passphrase_file" ] || die "RELEASE_PASSPHRASE_FILE $passphrase_file: no such readable file"; }
binaries="custody-$version-x86_64 custody-$version-aarch64"
for b in $binaries; do
	[ -f "$bindir/$b" ] || die "$bindir/$b is missing: build it with make static (or set RELEASE_BINDIR)"
done
[ "$check_only" = yes ] && exit 0

[ -f "$tarball" ] || die "$tarball is missing: make dist"
[ -n "$out" ] || die "no release directory given"
[ -e "$out" ] && die "$out exists: remove it or set RELEASE_DIR"

work=$(mktemp -d "$out.tmp.XXXXXX") || die "cannot make a directory beside $out"
trap 'rm -rf "$work"' EXIT
trap 'exit 2' HUP INT TERM

# Copy the files, sum them, sign the sums; stop at the first failure.
build() {
	for b in $binaries; do
		cp "$bindir/$b" "$work/$b" && chmod 755 "$work/$b" || return 1
	done
	cp "$tarball" "$work/" || return 1
	(cd "$work" && sha256sum $binaries "$(basename "$tarball")" >SHA256SUMS) || return 1
	if [ -n "$passphrase_file" ]; then
		"$custody" key sign "$work/SHA256SUMS" --key "$key" \
		    --passphrase-file "$passphrase_file" >/dev/null || return 1
	else
		"$custody" key sign "$work/SHA256SUMS" --key "$key" >/dev/null || return 1
	fi
	"$custody" key export "$key.pub" --format pem -o "$work/custody-release.pem" &&
	"$custody" key export "$key.pub" --format minisign -o "$work/custody-release.pub"
}

# The release must check the three ways the README says, before it is published.
check() {
	(cd "$work" && sha256sum --quiet -c SHA256SUMS) &&
	"$custody" verify --quiet --signature "$work/SHA256SUMS.sig" \
	    --key "$work/custody-release.pem" "$work/SHA256SUMS" &&
	"$custody" verify --quiet --signature "$work/SHA256SUMS.minisig" \
	    --key "$work/custody-release.pub" "$work/SHA256SUMS" &&
	openssl pkeyutl -verify -pubin -inkey "$work/custody-release.pem" -rawin \
	    -in "$work/SHA256SUMS" -sigfile "$work/SHA256SUMS.sig" >/dev/null || return 1
	if command -v minisign >/dev/null 2>&1; then
		minisign -q -Vm "$work/SHA256SUMS" -p "$work/custody-release.pub" || return 1
	else
		echo "make release: minisign is not installed; its check is left to the README's command" >&2
	fi
}

build || die "could not make the release in $work; nothing was published"
check || die "the release does not verify; nothing was published"
chmod 755 "$work" && mv "$work" "$out" || die "cannot rename $work to $out"
trap - EXIT
echo "release $version in $out:"
(cd "$out" && ls -1)
