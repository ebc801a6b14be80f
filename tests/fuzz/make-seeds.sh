#!/bin/sh
# Make the fuzzers' seed corpora from real custody output: a collected
# archive, its manifest and SHA256SUMS lines, its seal, a proof, a signed
# ledger checkpoint, RFC 3161 requests and responses, and the profiles.
# Usage: tests/fuzz/make-seeds.sh CUSTODY-BINARY. Writes tests/fuzz/corpus/.
# The seeds are kept in the repository; rerun this when a format changes.
set -eu
custody=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
out=$here/corpus
work=$(mktemp -d "${TMPDIR:-/tmp}/custody-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
rm -rf "$out"
for t in manifest minisign sums seal proof profile checkpoint timestamp verify rpmheader dpkgstatus; do
	mkdir -p "$out/$t"
done

# An archive of a small tree, plain and compressed, with a proof of one file.
mkdir -p src/d && echo alpha >src/a && printf 'b\n\001\002' >src/d/b && : >src/empty &&
printf nfd >"src/$(printf 'cafe\314\201')"
"$custody" key generate --name "Seed Examiner" --role examiner -o key >/dev/null
"$custody" collect --key key --case-id SEED --compress none -o seed.tar src 2>/dev/null
"$custody" collect --key key --case-id SEED -o seed.tar.zst src 2>/dev/null
"$custody" collect --key key --case-id SEED --compress gzip -o seed.tar.gz src 2>/dev/null
"$custody" prove seed.tar "$work/src/a" -o seed.proof >/dev/null
cp seed.tar seed.tar.zst seed.tar.gz "$out/verify/"
mkdir x && tar -C x -xf seed.tar
# The constructions verify must name, made as the tests make them.
first=$(cd x && find files -type f | LC_ALL=C sort | head -n 1)
for change in "longname $first" global "lonezero files/planted" \
    "pax $first SCHILY.xattr.user.a=1" "mode $first 4755"; do
	# shellcheck disable=SC2086
	python3 "$here/../cli/retar.py" x "$out/verify/$(echo $change | cut -d" " -f1).tar" $change
done
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s' "$line" >"$out/manifest/line-$n"
done <x/custody/manifest.jsonl
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s' "$line" >"$out/sums/line-$n"
done <x/custody/SHA256SUMS
cp x/custody/seal.json "$out/seal/seal.json"
cp seed.proof "$out/proof/seed.proof"
cp "$here/../../profiles/"*.yaml "$out/profile/"

# rpm headers as rpmdb.sqlite holds them: one sound, three corrupt.
python3 "$here/../cli/make-rpmdb.py" rpmdb.sqlite "$(printf x | sha256sum | cut -c1-64)" \
    "$out/rpmheader"
# dpkg status: a few stanzas of this host's, and the broken forms the tests use.
awk 'BEGIN { RS = ""; ORS = "\n\n" } NR <= 20' /var/lib/dpkg/status >"$out/dpkgstatus/host" 2>/dev/null ||
    printf 'Package: a\nVersion: 1\nConffiles:\n /etc/a 0123456789abcdef0123456789abcdef\n\n' \
    >"$out/dpkgstatus/host"
printf ' first\nPackage: a\n\nPackage: b\nno colon\n\nPackage: c\nVersion: 1\nVersion: 2\n\n# c\n' \
    >"$out/dpkgstatus/broken"

# A checkpoint: key name line, raw public key, signed note.
"$custody" init case --case-id SEED --key key >/dev/null 2>&1
"$custody" ledger checkpoint --case case --key key -o cp.note >/dev/null
name=$(sed -n 's/^\xe2\x80\x94 \([^ ]*\) .*/\1/p' cp.note | head -n 1)
openssl pkey -pubin -in key.pub -outform DER | tail -c 32 >raw
{ printf '%s\n' "$name"; cat raw cp.note; } >"$out/checkpoint/checkpoint"

# RFC 3161: a request and the response of a throwaway TSA, length-prefixed.
cat >tsa.cnf <<'EOF'
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = ./serial
crypto_device = builtin
signer_cert = ./tsa.crt
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ess_cert_id_chain = no
ess_cert_id_alg = sha256
[ ext ]
extendedKeyUsage = critical,timeStamping
EOF
echo 01 >serial
openssl req -x509 -newkey ed25519 -nodes -keyout tsa.key -out tsa.crt \
	-subj /CN=seed-tsa -days 3650 -addext "extendedKeyUsage=critical,timeStamping" 2>/dev/null
openssl ts -query -data seed.tar -sha256 -cert -out req.der 2>/dev/null
openssl ts -reply -config tsa.cnf -queryfile req.der -out resp.der 2>/dev/null
python3 - req.der resp.der "$out/timestamp/granted" <<'EOF'
import sys
req = open(sys.argv[1], "rb").read()
resp = open(sys.argv[2], "rb").read()
open(sys.argv[3], "wb").write(len(req).to_bytes(2, "big") + req + resp)
EOF
# A minisign public key, a NUL and a signature of "data", as custody writes them.
printf data >signed
"$custody" key sign signed --key key >/dev/null
"$custody" key export key.pub --format minisign -o key.minisign
{ cat key.minisign; printf '\0'; cat signed.minisig; } >"$out/minisign/signed"
{ cat key.minisign; printf '\0'; sed 3s/timestamp/timestamq/ signed.minisig; } >"$out/minisign/edited"
ls -R "$out" | grep -c . >/dev/null
echo "seeds written to $out"
