#!/bin/sh
# tests/e2e/t0410-run-recompute.sh: recompute means recompute. A processor
# whose load declines its saved states (same version) is recomputed from
# update 0 with a warning, in the same run, without failing it; so is a
# processor whose saved part passes the checksum but cannot be read. The
# run after that has nothing to do, and the results are those of a run from
# scratch.
. "$TOP/tests/e2e/lib.sh"

field() { sed -n "s/.*[:,] $2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }
H="--plugin $BUILD/plugins/hostile.so"

"$BPASS" generate "$T/g" --seed 9 --updates 300 --nodes 2 -q
"$BPASS" index -q "$T/g" "$T/idx"
"$BPASS" sessions --csv "$T/idx" >"$T/sessions"
merged=$(awk -F, 'NR > 1 && $6 == 0' "$T/sessions" | wc -l)
check_status "reference run" 0 "$BPASS" run -q "$T/idx" "$T/ref" -w 2 -p byte-count,hostile $H
REF="$T/ref/default/results"

for w in 2 0; do
	rm -rf "$T/s"
	check_status "-w $w: a first run" 0 "$BPASS" run -q "$T/idx" "$T/s" -w $w -p byte-count,hostile $H
	# The states of the first run are declined by hostile's load (a change
	# the memo of the last run cannot see: harness/run_memo.h).
	rm "$T/s/default/.last-run"
	HOSTILE_GEN=2 "$BPASS" run "$T/idx" "$T/s" -w $w -p byte-count,hostile $H >"$T/out" 2>"$T/err"
	check_eq "-w $w: declined: exit 0" "$?" "0"
	check_eq "-w $w: declined: a warning per session" \
		"$(grep -c '^bpass: warning: could not load the state of processor "hostile" saved for session .*; recomputing it$' "$T/err")" "$merged"
	check_eq "-w $w: declined: no error" "$(grep -c '^bpass: error' "$T/err")" "0"
	check_grep "-w $w: declined: nothing failed" ", failed 0, " "$T/out"
	check "-w $w: declined: same results" diff -r -x meta_statistics.csv -x manifest.json -x .owners "$REF" "$T/s/default/results"
	HOSTILE_GEN=2 "$BPASS" run "$T/idx" "$T/s" -w $w -p byte-count,hostile $H >"$T/out" 2>"$T/err"
	check_eq "-w $w: then: exit 0" "$?" "0"
	check_eq "-w $w: then: nothing to do" "$(field "$T/out" updates)" "0"
	check_eq "-w $w: then: no warning" "$(grep -c 'could not load' "$T/err")" "0"
done
done_testing
