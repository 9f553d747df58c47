#!/bin/sh
# tests/e2e/t0416-run-session-status.sh: session_status.csv has a row for
# every session of the index, in key order, saying what became of it:
# processed, unchanged, gap (the first missing sequence number, the updates
# left after it), no_update_0, failed (the processor and why), filtered_out;
# the run summary counts them, with the updates left unprocessed at gaps.
. "$TOP/tests/e2e/lib.sh"
P="$BUILD/plugins"
num() { sed -n "s/.*[:,] $1 \([0-9][0-9]*\).*/\1/p" "$2" | head -1; }

"$BPASS" generate "$T/g" --seed 11 --updates 500 --nodes 3 -q
"$BPASS" index -q "$T/g" "$T/idx"
"$BPASS" sessions --csv "$T/idx" >"$T/sessions"
nodes=$(tail -n +2 "$T/sessions" | cut -d, -f1 | sort -u)
out_node=$(echo "$nodes" | head -1)
# A session that is processed (update 0, no gap) of another node fails.
crash=$(awk -F, -v n="$out_node" 'NR > 1 && $1 != n && $6 == 0 && $8 == "" { print $3; exit }' "$T/sessions")
HOSTILE_FAIL=$crash "$BPASS" run "$T/idx" "$T/s" -w 2 --exclude-nodes "$out_node" \
	--plugin "$P/hostile.so" >"$T/out" 2>"$T/err"
check_eq "exit 1 (a session failed)" "$?" "1"
ST="$T/s/default/session_status.csv"
check "not among the result tables" test ! -e "$T/s/default/results/session_status.csv"
check_eq "the header" "$(head -1 "$ST")" \
	"node_id,anonymization_context,session_id,status,gap_sequence_number,updates_left,processor,reason"
check_eq "a row per session of the index, in key order" "$(tail -n +2 "$ST" | cut -d, -f1-3)" \
	"$(tail -n +2 "$T/sessions" | cut -d, -f1-3)"
# Join the index's figures with the statuses: key, first_seq, updates, first_gap, status, gap, left.
paste -d, "$T/sessions" "$ST" | tail -n +2 |
	awk -F, '{ print $1 "," $3 "," $6 "," $4 "," $8 "," $12 "," $13 "," $14 "," $15 }' >"$T/joined"
check_eq "the excluded node's sessions are filtered_out" \
	"$(awk -F, -v n="$out_node" '$1 == n && $6 != "filtered_out"' "$T/joined" | wc -l)" "0"
check_eq "only those" "$(awk -F, -v n="$out_node" '$1 != n && $6 == "filtered_out"' "$T/joined" | wc -l)" "0"
check_eq "the session failed in hostile" \
	"$(awk -F, -v s="$crash" '$2 == s { print $6 "," $9 }' "$T/joined")" "failed,hostile"
check_grep "with why" "^[^,]*,[^,]*,$crash,failed,,,hostile,\"processor \"\"hostile\"\" failed on update 0\"$" "$ST"
check_eq "a session without update 0 is no_update_0, all its updates left" \
	"$(awk -F, '$6 != "filtered_out" && $3 != 0 && !($6 == "no_update_0" && $7 == 0 && $8 == $4)' "$T/joined" | wc -l)" "0"
check "there is one" grep -q ",no_update_0," "$ST"
check_eq "the others are processed or stopped at a gap" \
	"$(awk -F, '$6 != "filtered_out" && $6 != "failed" && $3 == 0 && $6 != "gap" && $6 != "processed"' "$T/joined" | wc -l)" "0"
check_eq "gap rows: the index's first gap, the updates after it left" \
	"$(awk -F, '$6 == "gap" && ($7 != $5 || $8 != $4 - $5)' "$T/joined" | wc -l)" "0"
check "there is one" grep -q ",gap," "$ST"
check_eq "processed rows: no gap, nothing left" \
	"$(awk -F, '$6 == "processed" && ($5 != "" || $7 != "" || $8 != 0)' "$T/joined" | wc -l)" "0"
# The summary counts them.
left=$(awk -F, 'NR > 1 && $6 != "" { s += $6 } END { print s + 0 }' "$ST")
check_eq "summary: updates left at gaps" "$(num "updates left at gaps" "$T/out")" "$left"
check_eq "summary: filtered out" "$(num "filtered out" "$T/out")" "$(grep -c ',filtered_out,' "$ST")"
check_eq "summary: no update 0" "$(num "sessions without update 0" "$T/out")" "$(grep -c ',no_update_0,' "$ST")"
check_eq "summary: failed" "$(num failed "$T/out")" "1"
check_eq "summary: processed" "$(num processed "$T/out")" "$(grep -c ',processed,' "$ST")"

# The next run: what was processed is unchanged, the failed session is processed.
"$BPASS" run "$T/idx" "$T/s" -w 2 --exclude-nodes "$out_node" --plugin "$P/hostile.so" >"$T/out" 2>"$T/err"
check_eq "again: exit 0" "$?" "0"
check_eq "again: the failed session is processed" "$(grep ",$crash," "$ST" | cut -d, -f4)" "processed"
check_eq "again: the others unchanged" "$(grep -c ',processed,' "$ST")" "1"
check_eq "again: summary unchanged" "$(num unchanged "$T/out")" "$(grep -c ',unchanged,' "$ST")"
done_testing
