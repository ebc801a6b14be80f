#!/bin/sh
# bench/ledger-corpus.sh — make a case holding N signed ledger events, once.
# Not part of `make check`.  The case is reused when DIR/stamp says it was
# made for the same N; `custody ledger record --batch` writes every event.
#
#   bench/ledger-corpus.sh [--custody PATH] [--events N] DIR
#
# DIR/key/KEY(.pub)  the handler's key (also the founder's)
# DIR/case           the case: a registration, a collection, then analysed events
# DIR/more           a batch of 1,000 more events (for incremental verification)
set -eu

custody= events=1000000
while [ $# -gt 1 ]; do
	case $1 in
	--custody) custody=$2; shift 2 ;;
	--events) events=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# = 1 ] || { echo "usage: bench/ledger-corpus.sh [--custody PATH] [--events N] DIR" >&2; exit 2; }
dir=$1
case $events in ''|*[!0-9]*) echo "bench/ledger-corpus.sh: --events wants a number" >&2; exit 2 ;; esac
[ "$events" -ge 3 ] || { echo "bench/ledger-corpus.sh: --events wants at least 3" >&2; exit 2; }
if [ -z "$custody" ]; then
	here=$(cd "$(dirname "$0")/.." && pwd)
	for c in "$here/custody" "$here/build/custody"; do
		[ -x "$c" ] && { custody=$c; break; }
	done
fi
[ -n "$custody" ] && [ -x "$custody" ] || { echo "bench/ledger-corpus.sh: no custody binary (--custody PATH)" >&2; exit 2; }

stamp="events $events"
if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$stamp" ] && [ -d "$dir/case" ]; then
	echo "ledger corpus: reusing $dir/case ($events events)" >&2
	exit 0
fi
rm -rf "$dir/case" "$dir/stamp" "$dir/work"
mkdir -p "$dir/key" "$dir/work/src"
[ -f "$dir/key/KEY" ] || "$custody" key generate --name Bench --role benchmark -o "$dir/key/KEY" >/dev/null
echo evidence >"$dir/work/src/file"
"$custody" init "$dir/case" --case-id BENCH --key "$dir/key/KEY" >/dev/null
"$custody" collect --case "$dir/case" --key "$dir/key/KEY" "$dir/work/src" >/dev/null 2>&1
# batch FROM COUNT: COUNT analysed events, numbered from FROM in their notes
batch() {
	python3 -c 'import json, sys
first, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(first, first + n):
    print(json.dumps({"artifact": "E001", "action": "analysed", "location": "Lab 2",
                      "note": "step %d of the analysis" % i}))' "$1" "$2"
}
# the registration and the collection are the first two events;
# a batch takes at most 1,000,000 lines
left=$((events - 2)) from=0
while [ "$left" -gt 0 ]; do
	n=$left
	[ "$n" -le 500000 ] || n=500000
	batch "$from" "$n" >"$dir/work/batch"
	start=$(date +%s)
	"$custody" ledger record --case "$dir/case" --key "$dir/key/KEY" --batch "$dir/work/batch" >/dev/null
	echo "ledger corpus: $n events recorded in $(( $(date +%s) - start )) s" >&2
	left=$((left - n)) from=$((from + n))
done
batch "$events" 1000 >"$dir/more"
rm -rf "$dir/work"
printf '%s\n' "$stamp" >"$dir/stamp"
echo "ledger corpus: $dir/case holds $events events" >&2
