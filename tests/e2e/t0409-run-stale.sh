#!/bin/sh
# tests/e2e/t0409-run-stale.sh: a failure never takes data out of the
# results. A session that fails in a run stays in every table as of its last
# good state (or as computed, when only its state file could not be
# written), with status "stale" and the reason in sessions.csv, and the run
# exits 1: a plugin that fails on one session (the built-ins go on: every
# built-in table equals a run without the plugin), a worker that dies on a
# session (merged from its saved state), a state file that cannot be
# written. The next run without the failure makes the session current again.
. "$TOP/tests/e2e/lib.sh"

field() { sed -n "s/.*[:,] $2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }
P="$BUILD/plugins"
# Every built-in table of $1 equals the one of $2 (sessions.csv apart); $3:
# a table to leave out, or "".
same_builtin_tables() {
	for f in "$2"/*.csv; do
		t=$(basename "$f")
		[ "$t" = sessions.csv ] || [ "$t" = "$3" ] && continue
		cmp -s "$f" "$1/$t" || { echo "# $t differs"; return 1; }
	done
}
# Column $2 (by name) of sessions.csv $1, for the row of session id $3.
cell() {
	awk -F, -v col="$2" -v sid="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
		$3 == sid { print $c }' "$1"
}

"$BPASS" generate "$T/g" --seed 9 --updates 300 --nodes 2 -q
"$BPASS" index -q "$T/g" "$T/idx"
"$BPASS" sessions --csv "$T/idx" >"$T/sessions"
line=$(awk -F, 'NR > 1 && $6 == 0 && $8 == "" && $3 > 0 && $4 > 2 { print; exit }' "$T/sessions")
node=$(echo "$line" | cut -d, -f1)
ctx=$(echo "$line" | cut -d, -f2)
sid=$(echo "$line" | cut -d, -f3)
check_status "reference run (built-ins)" 0 "$BPASS" run -q "$T/idx" "$T/ref" -w 2
REF="$T/ref/default/results"
rows=$(wc -l <"$REF/sessions.csv")

# --- a plugin that fails on one session --------------------------------------------------
HOSTILE_FAIL=$sid "$BPASS" run "$T/idx" "$T/f" -w 2 --plugin "$P/hostile.so" >"$T/out" 2>"$T/err"
check_eq "plugin error: exit 1" "$?" "1"
check_grep "plugin error: reported" "^bpass: error: processor \"hostile\" failed on update 0 of session $node/$ctx/$sid\$" "$T/err"
check_grep "plugin error: listed as failed" "^bpass: error: session $node/$ctx/$sid failed: processor \"hostile\" failed on update 0\$" "$T/err"
check_grep "plugin error: one failure" ", failed 1, " "$T/out"
R="$T/f/default/results"
check "plugin error: every built-in table as without the plugin" same_builtin_tables "$R" "$REF" ""
check_eq "plugin error: sessions.csv has every row" "$(wc -l <"$R/sessions.csv")" "$rows"
check_eq "plugin error: the built-ins' figures of every row" "$(cut -d, -f1-7 "$R/sessions.csv")" "$(cut -d, -f1-7 "$REF/sessions.csv")"
check_eq "plugin error: the session is stale" "$(cell "$R/sessions.csv" status "$sid")" "stale"
check_eq "plugin error: with the reason (CSV-quoted)" "$(cell "$R/sessions.csv" stale_reason "$sid")" "\"processor \"\"hostile\"\" failed on update 0\""
check_eq "plugin error: no figure of the plugin for it" "$(cell "$R/sessions.csv" hostile_updates "$sid")" ""
check_eq "plugin error: the others are ok" "$(tail -n +2 "$R/sessions.csv" | grep -c ',stale,')" "1"
"$BPASS" state "$T/f" "$node" "$sid" >"$T/state" 2>&1
check_grep "plugin error: the built-ins' states are saved" 'processor "byte-count" version 1' "$T/state"
check_eq "plugin error: no state of the plugin" "$(grep -c 'processor "hostile"' "$T/state")" "0"
"$BPASS" run "$T/idx" "$T/f" -w 2 --plugin "$P/hostile.so" >"$T/out" 2>"$T/err"
check_eq "then without the error: exit 0" "$?" "0"
check_eq "then without the error: no stale session" "$(tail -n +2 "$R/sessions.csv" | grep -c ',stale,')" "0"
check_eq "then without the error: the plugin's figure" "$(cell "$R/sessions.csv" hostile_updates "$sid")" "$(echo "$line" | cut -d, -f4)"

# --- a worker that dies on a session ------------------------------------------------------
check_status "crash: a first run" 0 "$BPASS" run -q "$T/idx" "$T/c" -w 2 --plugin "$P/crash.so"
state="$T/c/default/${node}_${ctx}_${sid}.state"
cp "$state" "$T/before.state"
CRASHY_SESSION=$sid "$BPASS" run "$T/idx" "$T/c" -w 2 --plugin "$P/crash.so" --recompute=crashy >"$T/out" 2>"$T/err"
check_eq "crash: exit 1" "$?" "1"
R="$T/c/default/results"
check "crash: built-in tables as before (meta-statistics is per run)" same_builtin_tables "$R" "$REF" meta_statistics.csv
check_eq "crash: sessions.csv has every row" "$(wc -l <"$R/sessions.csv")" "$rows"
check_eq "crash: the session is stale" "$(cell "$R/sessions.csv" status "$sid")" "stale"
check_eq "crash: with the reason" "$(cell "$R/sessions.csv" stale_reason "$sid")" "its worker died"
check "crash: its saved state is untouched" cmp "$state" "$T/before.state"

# --- a state file that cannot be written --------------------------------------------------
check_status "unwritable: a first run" 0 "$BPASS" run -q "$T/idx" "$T/u" -w 2
state="$T/u/default/${node}_${ctx}_${sid}.state"
rm "$state" && mkdir "$state" && touch "$state/x"
"$BPASS" run "$T/idx" "$T/u" -w 2 >"$T/out" 2>"$T/err"
check_eq "unwritable: exit 1" "$?" "1"
check_grep "unwritable: reported" "^bpass: error: could not write state file \"$state\": " "$T/err"
R="$T/u/default/results"
check "unwritable: built-in tables as computed (meta-statistics is per run)" same_builtin_tables "$R" "$REF" meta_statistics.csv
check_eq "unwritable: sessions.csv has every row" "$(wc -l <"$R/sessions.csv")" "$rows"
check_eq "unwritable: the session is stale" "$(cell "$R/sessions.csv" status "$sid")" "stale"
check_grep "unwritable: with the reason" ",stale,\"?could not write state file " "$R/sessions.csv"
check_eq "unwritable: its figures as computed" "$(grep "^$node,$ctx,$sid," "$R/sessions.csv" | cut -d, -f1-7)" \
	"$(grep "^$node,$ctx,$sid," "$REF/sessions.csv" | cut -d, -f1-7)"
done_testing
