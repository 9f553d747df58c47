#!/bin/sh
# tests/run.sh: runs every test of one or more build folders and prints the
# totals. Unit tests (cmocka) and e2e scripts speak TAP; a binary or script
# that dies or exits non-zero without reporting a failure counts one failure.
# Usage: tests/run.sh BUILD [BUILD...]     (last line: "N passed, N failed")
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
# A sanitizer report exits 86, so it can never pass for an expected exit status.
export ASAN_OPTIONS="exitcode=86:detect_leaks=1:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="exitcode=86${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=86:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
failures=""

# The inputs a fuzz target replays besides its corpus (paths from the top,
# globbed there): the parser's are the update fixtures, which exist only in
# tests/fixtures/ (the Makefile's fuzz rule seeds libFuzzer with the same).
seeds() { # $1 = target
	case $1 in
	parse) echo "tests/fixtures/spec/*.txt tests/fixtures/bad/*.txt" ;;
	esac
}

count() { # $1 = name, $2 = output file, $3 = exit code
	p=$(grep -c '^ok ' "$2")
	f=$(grep -c '^not ok ' "$2")
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $1 exited with status $3"
	fi
	[ "$f" -gt 0 ] && failures="$failures $1"
	passed=$((passed + p))
	failed=$((failed + f))
}

for build in "$@"; do
	build=$(cd "$build" && pwd)
	echo "# suite in $build"
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		out=$(mktemp)
		(cd "$top" && CMOCKA_MESSAGE_OUTPUT=TAP BPASS="$build/bpass" BUILD="$build" "$t") >"$out" 2>&1
		rc=$?
		sed "s/^/[$n] /" "$out" | grep -E '^\[[^]]*\] (not ok|#)' | head -40
		count "$n" "$out" "$rc"
		echo "# $n: $(grep -c '^ok ' "$out") ok"
		rm -f "$out"
	done
	for r in "$build"/tests/replay_*; do
		[ -x "$r" ] || continue
		n=$(basename "$r")
		out=$(mktemp)
		(cd "$top" && "$r" "tests/fuzz/corpus/${n#replay_}" $(seeds "${n#replay_}")) >"$out" 2>&1
		rc=$?
		grep -E '^(not ok|#)' "$out" | head -20
		count "$n" "$out" "$rc"
		echo "# $n: $(grep -c '^ok ' "$out") ok"
		rm -f "$out"
	done
	for s in "$top"/tests/e2e/t*.sh; do
		[ -f "$s" ] || continue
		n=$(basename "$s" .sh)
		out=$(mktemp)
		(cd "$top" && BPASS="$build/bpass" BUILD="$build" TOP="$top" sh "$s") >"$out" 2>&1
		rc=$?
		sed "s/^/[$n] /" "$out" | grep -E '^\[[^]]*\] (not ok|#)' | head -40
		count "$n" "$out" "$rc"
		echo "# $n: $(grep -c '^ok ' "$out") ok"
		rm -f "$out"
	done
done
[ -n "$failures" ] && echo "# failing:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
