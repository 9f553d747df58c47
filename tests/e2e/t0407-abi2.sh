#!/bin/sh
# tests/e2e/t0407-abi2.sh: processor ABI 2 under the real bpass: a plugin
# built against the first ABI 2 layout (a smaller descriptor) loads and runs,
# and its results are incremental like any other's.
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

done_testing
