#!/bin/sh
# tests/e2e/t0407-run-damaged-index.sh: what a damaged index or workers that
# cannot start cost a run. Pages in the middle of a real index are
# overwritten: the sessions whose updates cannot be read fail, each named
# with SQLite's error, and count as failed; the others are processed; no
# worker is restarted over and over. Workers that cannot start at all stop
# the run early with the reason, every session not done counted as failed.
. "$TOP/tests/e2e/lib.sh"

field() { sed -n "s/.*[:,] $2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }

"$BPASS" generate "$T/g" --seed 3 --updates 400 --nodes 3 -q
"$BPASS" index -q "$T/g" "$T/idx"
"$BPASS" sessions --csv "$T/idx" >"$T/sessions"
n_sessions=$(($(wc -l <"$T/sessions") - 1))

# --- damaged pages ------------------------------------------------------------------
cp "$T/idx" "$T/bad"
pages=$(($(wc -c <"$T/bad") / 4096))
# Deterministic garbage over 4 pages in the middle (the updates' blobs).
head -c 16384 /dev/zero | tr '\0' '\125' >"$T/garbage"
dd if="$T/garbage" of="$T/bad" bs=4096 seek=$((pages / 2)) count=4 conv=notrunc 2>/dev/null
start=$(date +%s)
"$BPASS" run "$T/bad" "$T/s" -w 2 -p byte-count >"$T/out" 2>"$T/err"
rc=$?
check_eq "damaged: exit 1" "$rc" "1"
check_grep "damaged: the SQLite error is named" "database disk image is malformed" "$T/err"
failed=$(field "$T/out" failed)
check "damaged: failures are counted" test "${failed:-0}" -gt 0
listed=$(grep -c "^bpass: error: session .* failed: could not read updates of index \"$T/bad\": database disk image is malformed\$" "$T/err")
more=$(sed -n 's/^bpass: error: \.\.\. and \([0-9]*\) more failed sessions$/\1/p' "$T/err")
check_eq "damaged: every failed session listed with the reason" "$((listed + ${more:-0}))" "$failed"
check_eq "damaged: no worker restarted" "$(grep -c 'exited with status' "$T/err")" "0"
check "damaged: done in less than 30 s" test $(($(date +%s) - start)) -lt 30
processed=$(field "$T/out" processed)
check "damaged: the other sessions are processed" test "${processed:-0}" -gt 0
check "damaged: tables written" test -s "$T/s/default/results/bytes_per_node.csv"

# --- workers that cannot start ---------------------------------------------------------
HOSTILE_START=fail "$BPASS" run "$T/idx" "$T/w" -w 2 -p byte-count,hostile \
	--plugin "$BUILD/plugins/hostile.so" >"$T/out" 2>"$T/err"
check_eq "cannot start: exit 1" "$?" "1"
check_grep "cannot start: stopped with the reason" \
	"^bpass: error: no worker could start: could not load processor plugin \".*hostile.so\": it lists no processors; $n_sessions sessions were not processed\$" "$T/err"
check_eq "cannot start: every session counted as failed" "$(field "$T/out" failed)" "$n_sessions"
check "cannot start: no tables" test ! -e "$T/w/default/results"
check_eq "cannot start: each worker tried once" "$(grep -c 'could not load processor plugin' "$T/err")" "3"
done_testing
