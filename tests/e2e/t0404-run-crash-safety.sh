#!/bin/sh
# tests/e2e/t0404-run-crash-safety.sh: state survives what can happen to a
# run. A damaged state file (flipped byte, truncated, emptied, another
# session's, garbage) gives a warning naming the file and the session is
# recomputed, with the same results. A run killed with SIGKILL (parent and
# workers) at several points, then run again, gives the results and states
# of an uninterrupted run, and leaves no temporary file behind. SIGTERM stops
# a run cleanly (exit 1, no worker left, the next run completes the work).
. "$TOP/tests/e2e/lib.sh"

field() { sed -n "s/.*[:,] $2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }
same_results() { diff -r -x meta_statistics.csv -x manifest.json -x .owners "$1" "$2"; }

"$BPASS" generate "$T/g" --seed 13 --updates 1200 --nodes 3 -q
"$BPASS" index -q "$T/g" "$T/idx"
check_status "reference run" 0 "$BPASS" run -q "$T/idx" "$T/ref" -w 2
REF="$T/ref/default/results"

# --- damaged state files ---------------------------------------------------------------
cp -r "$T/ref" "$T/d"
# Five sessions that have update 0 and no gap (their state files; ids > 0).
"$BPASS" sessions --csv "$T/idx" |
	awk -F, 'NR > 1 && $6 == 0 && $8 == "" && $3 > 0 { print $1 "_" $2 "_" $3 ".state" }' | head -5 >"$T/five"
set -- $(cat "$T/five")
f1="$T/d/default/$1" f2="$T/d/default/$2" f3="$T/d/default/$3" f4="$T/d/default/$4" f5="$T/d/default/$5"
size=$(wc -c <"$f1")
# Flip one byte in the middle.
printf 'X' | dd of="$f1" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
head -c $(($(wc -c <"$f2") - 7)) "$f2" >"$T/cut" && cat "$T/cut" >"$f2"
: >"$f3"
cp "$f5" "$f4"                        # another session's state under this name
printf 'not a state file at all' >"$f5"
"$BPASS" run "$T/idx" "$T/d" -w 2 >"$T/out" 2>"$T/err"
check_eq "damaged: exit 0" "$?" "0"
for f in "$f1" "$f2" "$f3" "$f4" "$f5"; do
	check_grep "damaged: warning for $(basename "$f")" \
		"^bpass: warning: could not read state file \"$f\": .*; recomputing session " "$T/err"
done
check_grep "damaged: a checksum mismatch is named" "\": checksum mismatch; recomputing" "$T/err"
check_grep "damaged: another session's state is named" "\": belongs to session .*; recomputing" "$T/err"
check_eq "damaged: five sessions recomputed" "$(field "$T/out" processed)" "5"
check "damaged: same results" same_results "$REF" "$T/d/default/results"
check "damaged: states repaired" diff -r -x results -x session_status.csv -x .last-run "$T/ref/default" "$T/d/default"
"$BPASS" run "$T/idx" "$T/d" -w 2 >"$T/out" 2>"$T/err"
check_eq "damaged: then nothing to do" "$(field "$T/out" updates)" "0"
check_eq "damaged: and no warning" "$(grep -c 'could not read' "$T/err")" "0"

# The plugin "slow" sleeps SLOW_US µs per update, so that signals land mid-run.
SLOW="-p slow,byte-count,availability --plugin $BUILD/plugins/slow.so"
check_status "reference run with slow" 0 "$BPASS" run -q "$T/idx" "$T/sref" -w 2 $SLOW
SREF="$T/sref/default/results"

# --- killed with SIGKILL, then run again ------------------------------------------------
if command -v setsid >/dev/null 2>&1; then
	# Kills at fixed delays, and one as soon as a new session state is
	# saved (so at least one kill lands after a save, however slow the
	# machine: under the sanitizers on a loaded machine 0.7 s may pass
	# before the first).
	for delay in 0.1 0.3 saved 0.5 0.7; do
		saved=$(ls "$T/k/default" 2>/dev/null | grep -c 'state$')
		SLOW_US=1000 setsid "$BPASS" run -q "$T/idx" "$T/k" -w 2 $SLOW >/dev/null 2>&1 &
		pid=$!
		if [ "$delay" = saved ]; then
			i=0
			while [ "$(ls "$T/k/default" 2>/dev/null | grep -c 'state$')" -le "$saved" ] &&
				kill -0 $pid 2>/dev/null && [ $i -lt 600 ]; do
				sleep 0.05
				i=$((i + 1))
			done
		else
			sleep $delay
		fi
		kill -9 -$pid 2>/dev/null
		wait $pid 2>/dev/null
	done
	check "killed: some sessions were saved before the kills" test "$(ls "$T/k/default" | grep -c 'state$')" -gt 0
	"$BPASS" run "$T/idx" "$T/k" -w 2 $SLOW >"$T/out" 2>"$T/err"
	check_eq "killed: the last run completes" "$?" "0"
	check "killed: same results as uninterrupted" same_results "$SREF" "$T/k/default/results"
	check "killed: same states as uninterrupted" diff -r -x results -x session_status.csv -x .last-run "$T/sref/default" "$T/k/default"
	check_eq "killed: no temporary file left" "$(ls -a "$T/k/default" | grep -c '\.tmp$')" "0"
else
	ok "# SKIP setsid is not installed"
fi

# --- SIGTERM ------------------------------------------------------------------------------
SLOW_US=1000 "$BPASS" run -q "$T/idx" "$T/t" -w 2 $SLOW >"$T/out" 2>"$T/err" &
pid=$!
sleep 0.3
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
if grep -q "run interrupted" "$T/err"; then
	check_eq "SIGTERM: exit 1" "$rc" "1"
	check_grep "SIGTERM: message" "^bpass: error: run interrupted: [0-9]+ of [0-9]+ sessions done, their states are saved; the next run resumes\$" "$T/err"
	check "SIGTERM: no result tables" test ! -e "$T/t/default/results/sessions.csv"
else
	ok "# SKIP the run finished before SIGTERM ($rc)"
	ok "# SKIP"
	ok "# SKIP"
fi
sleep 0.2
check_eq "SIGTERM: no worker left" "$(pgrep -f "run -q $T/idx $T/t" | wc -l)" "0"
"$BPASS" run "$T/idx" "$T/t" -w 2 $SLOW >"$T/out" 2>"$T/err"
check_eq "SIGTERM: the next run completes" "$?" "0"
check "SIGTERM: same results" same_results "$SREF" "$T/t/default/results"
check "SIGTERM: same states" diff -r -x results -x session_status.csv -x .last-run "$T/sref/default" "$T/t/default"
done_testing
