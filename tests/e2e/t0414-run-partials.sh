#!/bin/sh
# tests/e2e/t0414-run-partials.sh: workers merge sessions into partial
# global results of their own, which the parent combines. Equality is the
# contract: every table (sessions.csv and meta_statistics.csv included) is
# the same for -w 0, 1 and 2. A worker that dies holding its partials
# (partial-crashy crashes in global_save, when the parent asks for them)
# costs nothing: the sessions it had merged are merged again from their
# state files, and the tables equal those of a clean run. A worker that dies
# in the middle of the run loses the sessions it had merged before too, and
# they are merged again: partial-crashy's total equals the sum of
# updates_processed over the sessions that are not stale. A processor
# without global_combine is named once, and merged as before.
. "$TOP/tests/e2e/lib.sh"
P="$BUILD/plugins"

"$BPASS" generate "$T/g" --seed 11 --updates 500 --nodes 3 -q
"$BPASS" index -q "$T/g" "$T/idx"

for w in 0 1 2; do
	check_status "-w $w: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/s$w" -w $w --plugin "$P/partial_crash.so"
done
check "-w 1 equals -w 0" diff -r -x manifest.json -x .owners "$T/s0/default/results" "$T/s1/default/results"
check "-w 2 equals -w 0" diff -r -x manifest.json -x .owners "$T/s0/default/results" "$T/s2/default/results"
total=$(tail -n 1 "$T/s0/default/results/partial_crash.csv")
sum=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "updates_processed") c = i; next }
	{ s += $c } END { print s }' "$T/s0/default/results/sessions.csv")
check_eq "partial-crashy counts every update processed" "$total" "$sum"

# --- a worker dies holding its partials ------------------------------------------
PARTIAL_CRASH=1 "$BPASS" run "$T/idx" "$T/k" -w 2 --plugin "$P/partial_crash.so" >"$T/out" 2>"$T/err"
check_grep "died in flush: the worker's death is reported" "worker [0-9] \\(pid [0-9]+\\) died on signal" "$T/err"
check_grep "died in flush: its sessions are merged again" \
	"^bpass: warning: merged [0-9]+ sessions again from their state files: the partial global results of worker [0-9] were lost" "$T/err"
check "died in flush: tables equal a clean run" diff -r -x manifest.json -x .owners "$T/s0/default/results" "$T/k/default/results"

# --- a worker dies in the middle of the run --------------------------------------
# The largest session is planned first: crash on the smallest, so that the
# worker has merged others before it.
sid=$("$BPASS" sessions --csv "$T/idx" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "session_id") c = i; if ($i == "blob_bytes") b = i }; next }
	{ print $b, $c }' | sort -n | head -1 | cut -d' ' -f2)
CRASHY_SESSION=$sid "$BPASS" run "$T/idx" "$T/m" -w 1 --plugin "$P/partial_crash.so" \
	--plugin "$P/crash.so" >"$T/out" 2>"$T/err"
check_eq "died mid-run: exit 1 (a session failed)" "$?" "1"
check_grep "died mid-run: its sessions are merged again" "merged [0-9]+ sessions again from their state files" "$T/err"
total=$(tail -n 1 "$T/m/default/results/partial_crash.csv")
sum=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "updates_processed") c = i; if ($i == "status") s = i }; next }
	$s == "ok" { t += $c } END { print t }' "$T/m/default/results/sessions.csv")
check_eq "died mid-run: partial-crashy counts every session merged" "$total" "$sum"

# --- a processor without global_combine ------------------------------------------
"$BPASS" run "$T/idx" "$T/v" -w 2 --plugin "$P/versioned.so" >"$T/out" 2>"$T/err"
check_eq "without combine: exit 0" "$?" "0"
check_grep "without combine: named once" \
	"^bpass: warning: processor without global_combine: merged from each session's state by bpass itself, not in the workers: \"versioned\"" "$T/err"
check_eq "without combine: said once" "$(grep -c global_combine "$T/err")" "1"
check_status "without combine: -w 0" 0 "$BPASS" run -q "$T/idx" "$T/v0" -w 0 --plugin "$P/versioned.so"
check "without combine: -w 2 equals -w 0" diff -r -x manifest.json -x .owners "$T/v0/default/results" "$T/v/default/results"
done_testing
