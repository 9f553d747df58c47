#!/bin/sh
# tests/e2e/t0407-abi2.sh: processor ABI 2 under the real bpass: a plugin
# built against the first ABI 2 layout (a smaller descriptor) loads and runs,
# and its results are incremental like any other's; processor options (-o):
# listed, checked (exit 2), passed to workers, and a changed value recomputes;
# a callback's ctx->error text ends the framework's message; init/exit run
# once per process that uses the processor; a C++ plugin loads and runs;
# bpass --version gives the Makefile's version (read from bpass.h) and the ABI.
. "$TOP/tests/e2e/lib.sh"

P="$BUILD/plugins"
"$BPASS" generate "$T/g" --seed 7 --updates 120 --nodes 2 -q
"$BPASS" index -q "$T/g" "$T/idx"

# --- a descriptor of the first ABI 2 layout ------------------------------------------
check_status "old layout: listed" 0 "$BPASS" processors --plugin "$P/old_layout.so"
check_status "old layout: run" 0 "$BPASS" run -q "$T/idx" "$T/o" -w 2 -p old-layout --plugin "$P/old_layout.so"
R="$T/o/default/results"
n=$(tail -n +2 "$R/old_layout_updates.csv")
total=$(awk -F, 'NR > 1 { s += $5 } END { print s }' "$R/sessions.csv")
check_eq "old layout: counts every update processed" "$n" "$total"
check "old layout: counts something" test "$n" -gt 0
check_status "old layout: run again" 0 "$BPASS" run -q "$T/idx" "$T/o" -w 1 -p old-layout --plugin "$P/old_layout.so"
check_eq "old layout: same count from saved states" "$(tail -n +2 "$R/old_layout_updates.csv")" "$n"

# --- options --------------------------------------------------------------------------
O="--plugin $P/opts.so"
"$BPASS" processors $O >"$T/procs"
check_grep "options: listed with default" "^opts.scale=1  added per update\$" "$T/procs"
check_status "options: unknown key: usage" 2 "$BPASS" run -q "$T/idx" "$T/x" -p opts $O -o opts.nope=1
check_status "options: unknown processor: usage" 2 "$BPASS" run -q "$T/idx" "$T/x" -p opts $O -o nope.scale=1
check_status "options: malformed: usage" 2 "$BPASS" run -q "$T/idx" "$T/x" -p opts $O -o scale
check "options: nothing run on a usage error" test ! -e "$T/x/default/results"
R="$T/op/default/results"
check_status "options: default run" 0 "$BPASS" run -q "$T/idx" "$T/op" -w 2 -p opts $O
check_eq "options: default scale counts updates" "$(tail -n +2 "$R/opts_total.csv")" "$n"
OPTS_LOG="$T/hooks" "$BPASS" run "$T/idx" "$T/op" -w 2 -p opts $O -o opts.scale=3 >"$T/out" 2>"$T/err"
check_grep "options: 21 sessions" "sessions 21," "$T/out"
check_eq "options: -o passed to workers" "$(tail -n +2 "$R/opts_total.csv")" "$((3 * n))"
check_grep "options: a changed value recomputes every session" "processed 21, unchanged 0," "$T/out"
"$BPASS" run "$T/idx" "$T/op" -w 2 -p opts $O -o opts.scale=3 >"$T/out2" 2>"$T/err2"
check_grep "options: the same value again: saved states are current" "processed 0, unchanged 21," "$T/out2"
check_eq "options: the same value again: same total" "$(tail -n +2 "$R/opts_total.csv")" "$((3 * n))"
check_status "options: back to the default" 0 "$BPASS" run -q "$T/idx" "$T/op" -w 1 -p opts $O
check_eq "options: back to the default: recomputed" "$(tail -n +2 "$R/opts_total.csv")" "$n"
# init and exit: once per process that called the processor (2 workers, the parent).
check_eq "hooks: init in 3 processes" "$(grep -c '^init ' "$T/hooks")" "3"
check_eq "hooks: one init per process" "$(grep '^init ' "$T/hooks" | sort -u | wc -l)" "3"
check_eq "hooks: an exit for every init" "$(grep '^exit ' "$T/hooks" | sed 's/exit/init/' | sort)" \
	"$(grep '^init ' "$T/hooks" | sort)"
rm -f "$T/hooks"
OPTS_LOG="$T/hooks" "$BPASS" run -q "$T/idx" "$T/op0" -w 0 -p opts $O
check_eq "hooks: -w 0: init once" "$(grep -c '^init ' "$T/hooks")" "1"
check_eq "hooks: -w 0: exit once" "$(grep -c '^exit ' "$T/hooks")" "1"
"$BPASS" run -q "$T/idx" "$T/bad" -w 1 -p opts $O -o opts.scale=x >"$T/out" 2>"$T/err"
check_eq "init fails: exit 1" "$?" "1"
check_grep "init fails: its reason" '^bpass: error: processor "opts" could not start: invalid scale "x": use a positive integer$' "$T/err"

# --- ctx->error ------------------------------------------------------------------------
"$BPASS" run -q "$T/idx" "$T/fs" -w 1 -p opts $O -o opts.fail_save=yes >"$T/out" 2>"$T/err"
check_eq "error: exit 1" "$?" "1"
check_grep "error: the processor's reason ends the message" \
	'^bpass: error: processor "opts" could not save the state of session [^ ]*: disk full \(test\)$' "$T/err"

# --- a C++ plugin ------------------------------------------------------------------------
check "C++ plugin: entry point not mangled" sh -c "nm -D '$P/cxx_plugin.so' | grep -q ' T bpass_processors\$'"
check_status "C++ plugin: run" 0 "$BPASS" run -q "$T/idx" "$T/cx" -w 2 -p cxx-plugin --plugin "$P/cxx_plugin.so"
R="$T/cx/default/results"
awk -F, 'NR > 1 { s[$1] += $5 } END { for (k in s) print k "," s[k] }' "$R/sessions.csv" | sort >"$T/want"
tail -n +2 "$R/cxx_updates_per_node.csv" >"$T/got"
check "C++ plugin: updates per node" diff "$T/want" "$T/got"
check "C++ plugin: two nodes" test "$(wc -l <"$T/got")" -eq 2

# --- versions ------------------------------------------------------------------------------
check_eq "--version" "$("$BPASS" --version)" "bpass $(make -s -C "$TOP" print-BPASS_VERSION) (processor ABI 2)"

done_testing
