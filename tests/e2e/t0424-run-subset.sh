#!/bin/sh
# tests/e2e/t0424-run-subset.sh: a run of some processors into the default
# results folder keeps the tables of the others, and says so: a warning names
# each table kept and its processor, manifest.json lists them as
# kept_tables, and they are as the earlier run wrote them; the tables of a
# processor of the run that failed are still removed (its tables are left
# out); the other format of a table written now is removed, a kept table in
# the other format stays; a folder given with --out is never cleaned.
. "$TOP/tests/e2e/lib.sh"

"$BPASS" generate "$T/g" --seed 4 --updates 120 --nodes 2 -q
"$BPASS" index -q "$T/g" "$T/idx"
R="$T/s/default/results"
check_status "a run of every processor: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/s"
cp "$R/throughput.csv" "$T/throughput.before"

"$BPASS" run -q -w 1 "$T/idx" "$T/s" -p byte-count >"$T/out" 2>"$T/err"
check_eq "then a run of byte-count only: exit 0" "$?" "0"
for t in throughput availability update_statistics meta_statistics flow_domains_per_node; do
	check "$t.csv is kept" test -s "$R/$t.csv"
done
check "... as the earlier run wrote it" cmp "$R/throughput.csv" "$T/throughput.before"
check_grep "... and the run says so, naming each table and its processor" \
	'^bpass: warning: kept [0-9]+ result tables of processors not in this run, from an earlier run: .*"throughput.csv" \(processor "throughput"\)' "$T/err"
check_grep "... every one" '"update_versions_per_node.csv" \(processor "update-statistics"\)' "$T/err"
check_grep "manifest.json lists them as kept" '"kept_tables": \[' "$R/manifest.json"
check_grep "... with their processor" '\{"name": "availability", "processor": "availability"\}' "$R/manifest.json"
check "sessions.csv and bytes_per_node.csv are this run's" test "$R/sessions.csv" -nt "$T/throughput.before"

# A processor of the run that fails loses its tables; the others are kept.
P="$BUILD/plugins/hostile.so"
check_status "a run with hostile: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/s" \
	-p byte-count,hostile --plugin "$P"
check "hostile_per_node.csv written" test -s "$R/hostile_per_node.csv"
# (hostile changes behaviour without a version bump: forget the run memo, so
# the run does not find "nothing new")
rm -f "$T/s/default/.last-run"
HOSTILE_WRITE=fail "$BPASS" run -q -w 1 "$T/idx" "$T/s" -p byte-count,hostile --plugin "$P" \
	2>"$T/err2"
check_eq "hostile fails writing its tables: exit 1" "$?" "1"
check "... its table is removed" test ! -e "$R/hostile_per_node.csv"
check "... the other processors' tables are still kept" test -s "$R/throughput.csv"

# The other format.
check_status "a JSON Lines run of byte-count: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/s" \
	-p byte-count --json
check "bytes_per_node.jsonl written" test -s "$R/bytes_per_node.jsonl"
check "... its CSV is removed" test ! -e "$R/bytes_per_node.csv"
check "... a kept table's CSV stays" test -s "$R/throughput.csv"

# A folder of the user's is never cleaned.
mkdir -p "$T/mine"
echo "x" >"$T/mine/notes.csv"
check_status "--out a folder of the user's: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/s" \
	-p byte-count --out "$T/mine"
check "... its own files stay" test -s "$T/mine/notes.csv"

done_testing
