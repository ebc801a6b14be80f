#!/bin/sh
# Run every fuzz target built by `make fuzz` over its seeds, for a while.
# Usage: tests/fuzz/run-fuzzers.sh [--time SECONDS | --runs N] [TARGET...]
# Run from the build directory. New inputs go to a temporary directory, not
# into the seeds; a crash leaves its input under tests/fuzz/crashes/ and
# makes the exit status 1. One line per target: "ok TARGET ..." or
# "not ok TARGET ...".
set -u
here=$(cd "$(dirname "$0")" && pwd)
limit=-max_total_time=10
case "${1:-}" in
--time) limit=-max_total_time=$2; shift 2 ;;
--runs) limit=-runs=$2; shift 2 ;;
esac
targets=${*:-checkpoint dpkgstatus manifest minisign profile proof rpmheader seal sums timestamp verify}
work=$(mktemp -d "${TMPDIR:-/tmp}/custody-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p tests/fuzz/crashes
failed=0
for t in $targets; do
	bin=tests/fuzz/fuzz-$t
	if [ ! -x "$bin" ]; then
		echo "not ok $t: $bin not built (make fuzz)"
		failed=1
		continue
	fi
	mkdir -p "$work/$t"
	if ASAN_OPTIONS=detect_leaks=1 "$bin" $limit -max_len=1048576 -rss_limit_mb=2048 \
	    -timeout=25 -artifact_prefix="tests/fuzz/crashes/$t-" \
	    "$work/$t" "$here/corpus/$t" >"$work/$t.log" 2>&1; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/$t.log")
		echo "ok $t: ${runs:-?} executions, no crash"
	else
		echo "not ok $t: see below"
		grep -v '^#' "$work/$t.log" | tail -n 40
		failed=1
	fi
done
exit "$failed"
