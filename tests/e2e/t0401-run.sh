#!/bin/sh
# tests/e2e/t0401-run.sh: `bpass run` on generated and indexed data: the
# result files of -w 0, 1 and 2 are identical; a re-run with nothing new
# processes 0 updates and writes the same files; sessions.csv agrees with
# the index and with bytes_per_node; the state command prints what was
# saved; --cache-global + `bpass results` rewrite the same tables; JSON
# Lines; node and date filters; usage errors (dates that do not exist); a
# missing index creates no state folder; --stats shows even with -q.
. "$TOP/tests/e2e/lib.sh"

field() { sed -n "s/.*[:,] $2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }

"$BPASS" generate "$T/g" --seed 3 --updates 400 --nodes 3 -q
"$BPASS" index -q "$T/g" "$T/idx"
"$BPASS" sessions --csv "$T/idx" >"$T/sessions"
n_sessions=$(($(wc -l <"$T/sessions") - 1))

# --- serial and parallel give the same files -------------------------------------
"$BPASS" run "$T/idx" "$T/s0" -w 0 >"$T/out0" 2>"$T/err0"
check_eq "run -w 0: exit 0" "$?" "0"
check_grep "run -w 0: summary line" "^run: sessions $n_sessions, processed [0-9]+, unchanged 0, " "$T/out0"
R0="$T/s0/default/results"
for t in sessions bytes_per_node throughput availability update_statistics meta_statistics; do
	check "run -w 0: $t.csv written" test -s "$R0/$t.csv"
done
for w in 1 2; do
	check_status "run -w $w: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/s$w" -w $w
	check "run -w $w: same result files as -w 0" diff -r -x manifest.json -x .owners "$R0" "$T/s$w/default/results"
	check "run -w $w: same state files as -w 0" diff -r -x results -x session_status.csv -x .last-run "$T/s0/default" "$T/s$w/default"
done

# --- sessions.csv against the index ----------------------------------------------
# Sessions with an update 0 are merged: one row each, in key order.
keysort() { LC_ALL=C sort -t, -k1,1 -k2,2 -k3,3n; }
awk -F, 'NR > 1 && $6 == 0 { print $1 "," $2 "," $3 }' "$T/sessions" | keysort >"$T/want_keys"
tail -n +2 "$R0/sessions.csv" | cut -d, -f1-3 >"$T/got_keys"
check "sessions.csv: one row per session with update 0, sorted" diff "$T/want_keys" "$T/got_keys"
check_grep "sessions.csv: header" \
	"^node_id,anonymization_context,session_id,last_sequence_number_processed,updates_processed,packets,bytes," \
	"$R0/sessions.csv"
# A session without a gap is processed to its last update; one with a gap to just before it.
awk -F, 'NR > 1 && $6 == 0 { print $1 "," $2 "," $3 "," ($8 == "" ? $7 : $8 - 1) }' "$T/sessions" |
	keysort >"$T/want_last"
tail -n +2 "$R0/sessions.csv" | cut -d, -f1-4 >"$T/got_last"
check "sessions.csv: last sequence number processed" diff "$T/want_last" "$T/got_last"
# bytes_per_node is the sum of the sessions' bytes (column 7).
tail -n +2 "$R0/sessions.csv" | awk -F, '{ b[$1] += $7 } END { for (n in b) print n "," b[n] }' |
	sort >"$T/sum_bytes"
tail -n +2 "$R0/bytes_per_node.csv" >"$T/bpn"
check "bytes_per_node: the sum of the sessions' bytes" diff "$T/sum_bytes" "$T/bpn"
gaps=$(awk -F, 'NR > 1 && ($6 != 0 || $8 != "")' "$T/sessions" | wc -l)
check_grep "summary: sessions that stop at a gap or lack update 0" "stopped at a gap $gaps, " "$T/out0"

# --- nothing new ---------------------------------------------------------------------
# Without the memo of the last run (t0415 has the run that skips everything).
rm "$T/s0/default/.last-run"
"$BPASS" run "$T/idx" "$T/s0" -w 2 >"$T/out" 2>"$T/err"
check_eq "re-run: exit 0" "$?" "0"
check_eq "re-run: 0 updates processed" "$(field "$T/out" updates)" "0"
check_eq "re-run: no session processed" "$(field "$T/out" processed)" "0"
diff -r -x meta_statistics.csv -x manifest.json -x .owners "$R0" "$T/s1/default/results" >/dev/null
check_eq "re-run: same results (meta-statistics covers this run only)" "$?" "0"
check_eq "re-run: meta-statistics has no times" "$(wc -l <"$R0/meta_statistics.csv")" "1"

# --- bpass state -------------------------------------------------------------------
line=$(awk -F, 'NR > 1 && $6 == 0 && $8 == "" && $3 > 0 && $7 > 0 { print; exit }' "$T/sessions")
node=$(echo "$line" | cut -d, -f1)
sid=$(echo "$line" | cut -d, -f3)
last=$(echo "$line" | cut -d, -f7)
"$BPASS" state "$T/s0" "$node" "$sid" >"$T/state.txt"
check_eq "state: exit 0" "$?" "0"
check_grep "state: header names the session" "^  format 1, session $node/[^/]+/$sid\$" "$T/state.txt"
check_grep "state: byte-count part" "processor \"byte-count\" version 1, last_seq $last, updates_processed $((last + 1))" "$T/state.txt"
"$BPASS" state --json "$T/s0" "$node" "$sid" >"$T/state.json"
check_grep "state --json: header" "\"node_id\": \"$node\", .*\"session_id\": $sid, \"processors\": \\[" "$T/state.json"
bytes=$(grep "^$node,.*,$sid," "$R0/sessions.csv" | cut -d, -f7)
packets=$(grep "^$node,.*,$sid," "$R0/sessions.csv" | cut -d, -f6)
check_grep "state --json: byte-count data is [packets, bytes]" \
	"\"name\": \"byte-count\", \"version\": 1, \"last_seq\": $last, \"updates_processed\": $((last + 1)), \"data\": \\[\\[$packets, $bytes\\]\\]" \
	"$T/state.json"
check_status "state: unknown session" 1 "$BPASS" state "$T/s0" "$node" 12345
check_status "state: bad session id" 2 "$BPASS" state "$T/s0" "$node" 12x

# --- cached global result ------------------------------------------------------------
check_status "run --cache-global: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/c" -w 2 --cache-global "$T/global.cache"
check_status "results: exit 0" 0 "$BPASS" results "$T/global.cache" --out "$T/again"
check "results: same tables as the run" diff -r -x manifest.json -x .owners "$T/c/default/results" "$T/again"
check_status "results -p byte-count: exit 0" 0 "$BPASS" results "$T/global.cache" --out "$T/bc" -p byte-count
check_eq "results -p byte-count: its table, sessions.csv and the manifest" "$(ls "$T/bc" | tr '\n' ' ')" "bytes_per_node.csv manifest.json sessions.csv "
check_status "results: a state file is not a cache" 1 "$BPASS" results "$T/s0/default/$(ls "$T/s0/default" | grep state$ | head -1)" --out "$T/x"
check_status "results: --out is required" 2 "$BPASS" results "$T/global.cache"

# --- JSON Lines ----------------------------------------------------------------------
check_status "run --json: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/j" -w 1 --json --out "$T/jout"
check "run --json: sessions.jsonl" test -s "$T/jout/sessions.jsonl"
check_eq "run --json: as many rows as the CSV" "$(wc -l <"$T/jout/bytes_per_node.jsonl")" \
	"$(($(wc -l <"$R0/bytes_per_node.csv") - 1))"
first_node=$(sed -n 2p "$R0/bytes_per_node.csv" | cut -d, -f1)
first_bytes=$(sed -n 2p "$R0/bytes_per_node.csv" | cut -d, -f2)
check_eq "run --json: a row" "$(head -1 "$T/jout/bytes_per_node.jsonl")" "{\"node_id\":\"$first_node\",\"bytes\":$first_bytes}"

# --- filters -------------------------------------------------------------------------
nodes=$(tail -n +2 "$T/sessions" | cut -d, -f1 | sort -u)
n1=$(echo "$nodes" | sed -n 1p)
n2=$(echo "$nodes" | sed -n 2p)
check_status "--include-nodes: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/f1" -w 0 -p byte-count --include-nodes "$n1,$n2" --exclude-nodes "$n2"
check_eq "--include/--exclude-nodes: only $n1 (exclusion wins)" \
	"$(tail -n +2 "$T/f1/default/results/sessions.csv" | cut -d, -f1 | sort -u)" "$n1"
# Sessions starting on or after 2012-06-01 (session ids are µs since 1970).
cut_us=1338508800000000
check_status "--since: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/f2" -w 0 -p byte-count --since 2012-06-01
check_status "--until: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/f2" -w 0 -p byte-count --until 2012-06-01 --run-name before
after=$(tail -n +2 "$T/f2/default/results/sessions.csv" | awk -F, -v c=$cut_us '$3 < c' | wc -l)
before=$(tail -n +2 "$T/f2/before/results/sessions.csv" | awk -F, -v c=$cut_us '$3 >= c' | wc -l)
check_eq "--since: no session before the date" "$after" "0"
check_eq "--until: no session from the date on" "$before" "0"
total=$(($(wc -l <"$T/f2/default/results/sessions.csv") + $(wc -l <"$T/f2/before/results/sessions.csv") - 2))
check_eq "--since and --until split the sessions" "$total" "$(($(wc -l <"$R0/sessions.csv") - 1))"
# A session filtered out this run is not merged, though its state exists.
check_status "filtered re-run: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/s0" -w 0 --include-nodes "$n1"
check_eq "filtered re-run: only $n1 merged" \
	"$(tail -n +2 "$R0/sessions.csv" | cut -d, -f1 | sort -u)" "$n1"

# --- usage and selection errors --------------------------------------------------------
check_status "run: missing arguments" 2 "$BPASS" run "$T/idx"
check_status "run: bad -w" 2 "$BPASS" run "$T/idx" "$T/u" -w x
check_status "run: bad date" 2 "$BPASS" run "$T/idx" "$T/u" --since 2012-13-01
for d in 2012-02-30 2011-02-29 2012-04-31 2012-06-01T24:00 2012-06-01T12:60 2012-06-01T12:00:61; do
	check_status "run: date $d does not exist" 2 "$BPASS" run "$T/idx" "$T/u" --since $d
done
check_status "run: a leap day exists" 0 "$BPASS" run -q "$T/idx" "$T/leap" -p byte-count --until 2012-02-29T23:59:59
check_status "run: bad run name" 2 "$BPASS" run "$T/idx" "$T/u" --run-name ../x
check_status "run --help" 0 "$BPASS" run --help
"$BPASS" run "$T/idx" "$T/u" -p nope 2>"$T/err"
check_eq "run: unknown processor: exit 1" "$?" "1"
check_grep "run: unknown processor: message" '^bpass: error: unknown processor "nope"' "$T/err"
"$BPASS" run "$T/idx" "$T/u" -p byte-count --recompute=flows 2>"$T/err"
check_eq "run: --recompute of an unselected processor: exit 1" "$?" "1"
check_grep "run: --recompute message" '^bpass: error: cannot recompute processor "flows": it is not selected in this run' "$T/err"
"$BPASS" run "$T/none.idx" "$T/u2" 2>"$T/err"
check_eq "run: missing index: exit 1" "$?" "1"
check_grep "run: missing index: message" "^bpass: error: could not open index \"$T/none.idx\": No such file or directory\$" "$T/err"
check "run: missing index: no state folder created" test ! -e "$T/u2"

# --- --stats shows even with -q --------------------------------------------------------
"$BPASS" run -q --stats "$T/idx" "$T/s1" -w 2 >"$T/out" 2>"$T/err"
check_eq "run -q --stats: exit 0" "$?" "0"
check_grep "run -q --stats: the stats line" "^stats: maxrss_parent_kb [1-9][0-9]*, maxrss_worker_kb [0-9]+, workers 2, " "$T/out"
check_eq "run -q --stats: no summary line" "$(grep -c '^run:' "$T/out")" "0"

# --- the state folder is locked during a run ---------------------------------------
if command -v flock >/dev/null 2>&1; then
	flock "$T/s0/default/.lock" "$BPASS" run "$T/idx" "$T/s0" -w 0 >"$T/out" 2>"$T/err"
	check_eq "locked: exit 1" "$?" "1"
	check_grep "locked: message" "^bpass: error: run \"default\" in \"$T/s0\" is in use by another bpass run" "$T/err"
else
	ok "# SKIP flock(1) is not installed"
fi
done_testing
