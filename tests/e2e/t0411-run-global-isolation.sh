#!/bin/sh
# tests/e2e/t0411-run-global-isolation.sh: a plugin that crashes, fails or
# hangs in merge, global_complete or write_results (which run for the global
# result, not in a worker) costs only its own tables: the error names it,
# the run exits 1, every other table is written and equals a run without
# the plugin. Tables are published all together: a run killed while a
# plugin writes its tables leaves the previous tables exactly as they were,
# and the next run cleans up after it.
. "$TOP/tests/e2e/lib.sh"

H="--plugin $BUILD/plugins/hostile.so"
# Every table of $2 is in $1, the same, and $1 has no hostile table.
same_tables() {
	for f in "$2"/*.csv; do
		t=$(basename "$f")
		if [ "$t" = sessions.csv ]; then
			cut -d, -f1-7 "$f" >"$T/a"
			cut -d, -f1-7 "$1/$t" >"$T/b"
			cmp -s "$T/a" "$T/b" || { echo "# sessions.csv differs"; return 1; }
		else
			cmp -s "$f" "$1/$t" || { echo "# $t differs"; return 1; }
		fi
	done
	[ ! -e "$1/hostile_per_node.csv" ] || { echo "# hostile_per_node.csv is there"; return 1; }
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

bad() { # NAME EXPECTED_MESSAGE ENV...
	name=$1 msg=$2
	shift 2
	rm -rf "$T/s"
	env "$@" "$BPASS" run "$T/idx" "$T/s" -w 2 $H ${TIMEOUT:-} >"$T/out" 2>"$T/err"
	check_eq "$name: exit 1" "$?" "1"
	check_grep "$name: the error names the plugin" "$msg" "$T/err"
	check "$name: every other table as without the plugin" same_tables "$T/s/default/results" "$REF"
	check_grep "$name: the summary line" "^run: sessions " "$T/out"
}
bad "merge crashes" \
	"^bpass: error: processor \"hostile\" died on signal 11 while merging session $node/$ctx/$sid: its tables are left out\$" \
	HOSTILE_MERGE=crash HOSTILE_MERGE_SESSION=$sid
bad "global_complete crashes" \
	"^bpass: error: processor \"hostile\" died on signal 11 while completing its global result: its tables are left out\$" \
	HOSTILE_COMPLETE=crash
bad "write_results crashes" \
	"^bpass: error: processor \"hostile\" died on signal 11 while writing its results: its tables are left out\$" \
	HOSTILE_WRITE=crash
bad "write_results fails" "^bpass: error: processor \"hostile\" could not write its results\$" HOSTILE_WRITE=fail
bad "global_complete fails" "^bpass: error: processor \"hostile\" could not complete its global result\$" \
	HOSTILE_COMPLETE=fail
TIMEOUT="--session-timeout 1" bad "merge never returns" \
	"^bpass: error: processor \"hostile\" took longer than 1 s while merging session $node/$ctx/$sid \\(killed\\): its tables are left out\$" \
	HOSTILE_MERGE=hang HOSTILE_MERGE_SESSION=$sid
rm -rf "$T/s"
HOSTILE_MERGE=fail HOSTILE_MERGE_SESSION=$sid "$BPASS" run "$T/idx" "$T/s" -w 2 $H >"$T/out" 2>"$T/err"
check_eq "merge fails on a session: exit 1" "$?" "1"
check_grep "merge fails on a session: reported" "^bpass: error: processor \"hostile\" could not merge session $node/$ctx/$sid\$" "$T/err"
check_grep "merge fails on a session: it is stale" \
	"^$node,$ctx,$sid,.*,stale,\"processor \"\"hostile\"\" could not merge this session\"\$" "$T/s/default/results/sessions.csv"
check "merge fails on a session: the plugin's table is written" test -s "$T/s/default/results/hostile_per_node.csv"

# --- all together or not at all ------------------------------------------------------------
check_status "a first run with the plugin" 0 "$BPASS" run -q "$T/idx" "$T/p" -w 2 $H
R="$T/p/default/results"
ls -i "$R" >"$T/before"
if command -v setsid >/dev/null 2>&1; then
	# hostile sleeps 30 s in write_results, after the others have written theirs.
	HOSTILE_WRITE=sleep setsid "$BPASS" run -q "$T/idx" "$T/p" -w 2 $H --recompute >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 100); do
		[ -e "$R"/.staging.*/hostile/.hostile_per_node.csv.*.tmp ] 2>/dev/null && break
		ls "$R"/.staging.*/hostile/ 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	sleep 0.5
	kill -9 -$pid 2>/dev/null
	wait $pid 2>/dev/null
	ls -i "$R" >"$T/after"
	check "killed while writing: the previous tables, untouched" diff "$T/before" "$T/after"
	check_status "the next run" 0 "$BPASS" run -q "$T/idx" "$T/p" -w 2 $H
	check_eq "the next run: no staging folder left" "$(ls -a "$R" | grep -c '^\.staging')" "0"
else
	ok "# SKIP setsid is not installed"
	ok "# SKIP"
	ok "# SKIP"
fi
done_testing
