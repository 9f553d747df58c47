#!/bin/sh
# tests/e2e/t0408-run-timeout.sh: a processor that never returns. With
# --session-timeout 1 the session is reported (session, processor, update),
# its worker killed and replaced, the session counted as failed (stale in
# sessions.csv) and the others processed. A parent killed with SIGKILL takes its workers with it
# (even one looping in a plugin), so the state folder's lock is free.
. "$TOP/tests/e2e/lib.sh"

field() { sed -n "s/.*[:,] $2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }
H="--plugin $BUILD/plugins/hostile.so"

"$BPASS" generate "$T/g" --seed 9 --updates 300 --nodes 2 -q
"$BPASS" index -q "$T/g" "$T/idx"
"$BPASS" sessions --csv "$T/idx" >"$T/sessions"
line=$(awk -F, 'NR > 1 && $6 == 0 && $8 == "" && $3 > 0 && $4 > 2 { print; exit }' "$T/sessions")
node=$(echo "$line" | cut -d, -f1)
ctx=$(echo "$line" | cut -d, -f2)
sid=$(echo "$line" | cut -d, -f3)
merged=$(awk -F, 'NR > 1 && $6 == 0' "$T/sessions" | wc -l)

# --- the time limit --------------------------------------------------------------------
start=$(date +%s)
HOSTILE_HANG=$sid "$BPASS" run "$T/idx" "$T/s" -w 2 -p byte-count,hostile $H --session-timeout 1 \
	>"$T/out" 2>"$T/err"
check_eq "timeout: exit 1" "$?" "1"
check "timeout: the run did not hang" test $(($(date +%s) - start)) -lt 30
check_grep "timeout: reported with session, processor and update" \
	"^bpass: error: session $node/$ctx/$sid timed out after 1 s while processor \"hostile\" was processing it \\(update 0\\): worker [0-9]+ \\(pid [0-9]+\\) killed\$" "$T/err"
check_grep "timeout: listed as failed" "^bpass: error: session $node/$ctx/$sid failed: timed out after 1 s in processor \"hostile\"\$" "$T/err"
check_grep "timeout: one failure" ", failed 1, " "$T/out"
check_eq "timeout: the others processed" "$(field "$T/out" processed)" "$((merged - 1))"
check "timeout: tables written" test -s "$T/s/default/results/hostile_per_node.csv"
check_grep "timeout: the session stays in sessions.csv, stale" \
	"^$node,$ctx,$sid,.*,stale,\"timed out after 1 s in processor \"\"hostile\"\"\"\$" "$T/s/default/results/sessions.csv"
check_status "timeout: bad value" 2 "$BPASS" run "$T/idx" "$T/s" --session-timeout x
check_status "timeout: negative" 2 "$BPASS" run "$T/idx" "$T/s" --session-timeout -1

# --- the parent killed with SIGKILL ------------------------------------------------------
HOSTILE_HANG=$sid "$BPASS" run "$T/idx" "$T/k" -w 2 -p hostile $H --session-timeout 0 \
	>/dev/null 2>&1 &
pid=$!
# Wait (up to 10 s) for the state files of the other sessions: the workers are busy.
for i in $(seq 100); do
	[ "$(ls "$T/k/default" 2>/dev/null | grep -c 'state$')" -ge $((merged - 2)) ] && break
	sleep 0.1
done
workers=$(pgrep -P $pid | tr '\n' ' ')
check "killed: the run has workers" test -n "$workers"
kill -9 $pid
wait $pid 2>/dev/null
sleep 0.5
# Running: it exists and is not a zombie (the container's init may not reap).
running() { s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
alive=0
for w in $workers; do running "$w" && alive=$((alive + 1)); done
check_eq "killed: no worker left behind" "$alive" "0"
for w in $workers; do kill -9 "$w" 2>/dev/null; done
if command -v flock >/dev/null 2>&1; then
	check "killed: the state folder's lock is free" flock -n "$T/k/default/.lock" true
else
	ok "# SKIP flock(1) is not installed"
fi
done_testing
