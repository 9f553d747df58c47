#!/bin/sh
# tests/e2e/t0208-index-shards.sh: `bpass index --shards N` on generated data
# (with --broken items). The sharded index (a folder of N index files and a
# manifest) reads as one index: the same sessions, rejects, `show` output
# and `bpass run` result tables as an unsharded index of the same folder.
# Every node's tarballs are in one shard. A re-run keeps the folder's shard
# count; another count, or a file as a sharded index, is refused. Killed
# with SIGKILL (the whole process group) several times and then completed:
# every shard holds whole tarballs only, and the result is the reference.
. "$TOP/tests/e2e/lib.sh"

field() { sed -n "s/.*[:,] $2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }

"$BPASS" generate "$T/g" --seed 11 --updates 600 --nodes 5 --broken >"$T/gen" 2>&1
check_eq "generate: exit 0" "$?" "0"
updates=$(field "$T/gen" updates)
touch -d "1 hour ago" "$T"/g/*

# --- the reference: one index file ---------------------------------------------
"$BPASS" index -q -j 1 "$T/g" "$T/ref.idx"
"$BPASS" sessions --csv "$T/ref.idx" >"$T/ref.sessions"
"$BPASS" rejects --csv "$T/ref.idx" | LC_ALL=C sort >"$T/ref.rejects"

# --- three shards -----------------------------------------------------------------
"$BPASS" index --shards 3 -j 2 "$T/g" "$T/sh" >"$T/out" 2>"$T/err"
check_eq "--shards 3: exit 0" "$?" "0"
check_grep "--shards 3: one summary for all shards" " updates $updates, " "$T/out"
check_eq "--shards 3: the manifest" "$(cat "$T/sh/shards")" "bpass index shards 3"
for k in 0 1 2; do
	check "--shards 3: shard $k written" test -s "$T/sh/shard-$k.sqlite"
done
"$BPASS" sessions --csv "$T/sh" >"$T/sh.sessions"
"$BPASS" rejects --csv "$T/sh" | LC_ALL=C sort >"$T/sh.rejects"
check "sharded: same sessions, in key order" diff "$T/ref.sessions" "$T/sh.sessions"
check "sharded: same rejects" diff "$T/ref.rejects" "$T/sh.rejects"
# A node's sessions all live in one shard.
split=0
for k in 0 1 2; do
	"$BPASS" sessions --csv "$T/sh/shard-$k.sqlite" | tail -n +2 | cut -d, -f1 | sort -u
done | sort | uniq -d >"$T/split"
check "sharded: no node in two shards" test ! -s "$T/split"
check "sharded: more than one shard used" \
	test "$(for k in 0 1 2; do "$BPASS" sessions --csv "$T/sh/shard-$k.sqlite" | tail -n +2 | head -1; done | wc -l)" -gt 1

# show: the same update through either index.
key=$(sed -n 2p "$T/ref.sessions" | cut -d, -f1,3 | tr , ' ')
set -- $key
"$BPASS" show "$T/ref.idx" "$1" "$2" 0 >"$T/show.ref" 2>&1
"$BPASS" show "$T/sh" "$1" "$2" 0 >"$T/show.sh" 2>&1
check "show: same update" diff "$T/show.ref" "$T/show.sh"
check "show: printed something" test -s "$T/show.sh"

# run: the same result tables.
check_status "run on the unsharded index" 0 "$BPASS" run -q -w 2 "$T/ref.idx" "$T/s.ref"
check_status "run on the sharded index" 0 "$BPASS" run -q -w 2 "$T/sh" "$T/s.sh"
check "run: same result tables" diff -r -x manifest.json -x .owners "$T/s.ref/default/results" "$T/s.sh/default/results"
check "run: same state files" diff -r -x results -x session_status.csv -x .last-run "$T/s.ref/default" "$T/s.sh/default"

# --- re-runs ------------------------------------------------------------------------
"$BPASS" index "$T/g" "$T/sh" >"$T/again" 2>&1
check_eq "re-run without --shards: exit 0" "$?" "0"
check_grep "re-run: keeps the folder's shards, nothing new" "unchanged [0-9]+, changed 0, updates 0," "$T/again"
"$BPASS" index --shards 2 "$T/g" "$T/sh" >"$T/o2" 2>"$T/e2"
check_eq "--shards 2 on 3 shards: exit 1" "$?" "1"
check_grep "--shards 2 on 3 shards: says why" 'cannot index into ".*" with 2 shards: it has 3' "$T/e2"
: >"$T/file.idx"
"$BPASS" index --shards 2 "$T/g" "$T/file.idx" >"$T/o3" 2>"$T/e3"
check_eq "--shards with a file: exit 2" "$?" "2"
check_grep "--shards with a file: says why" 'cannot use file ".*" as a sharded index: expected a folder' "$T/e3"
"$BPASS" index --shards 0 "$T/g" "$T/x" >"$T/o4" 2>"$T/e4"
check_eq "--shards 0: exit 2" "$?" "2"

# --- killed with SIGKILL, then completed ------------------------------------------------
for d in 0.02 0.1 0.2 0.4; do
	setsid "$BPASS" index -q --shards 3 -j 2 "$T/g" "$T/k" >/dev/null 2>&1 &
	pid=$!
	sleep $d
	kill -9 -- -$pid 2>/dev/null || kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if command -v sqlite3 >/dev/null 2>&1; then
		half=0
		for f in "$T"/k/shard-*.sqlite; do
			[ -f "$f" ] || continue
			h=$(sqlite3 "$f" 'SELECT count(*) FROM tarballs t WHERE t.updates !=
				(SELECT count(*) FROM updates u WHERE u.tarball = t.id)' 2>/dev/null || echo 0)
			half=$((half + h))
		done
		check_eq "killed after $d s: whole tarballs only, in every shard" "$half" "0"
	fi
done
check "killed: the last run completes" "$BPASS" index -q --shards 3 "$T/g" "$T/k"
"$BPASS" sessions --csv "$T/k" >"$T/k.sessions"
check "killed: same sessions as the reference" diff "$T/ref.sessions" "$T/k.sessions"
if command -v sqlite3 >/dev/null 2>&1; then
	n=0
	for k in 0 1 2; do
		check_eq "killed: shard $k integrity" "$(sqlite3 "$T/k/shard-$k.sqlite" 'PRAGMA integrity_check')" "ok"
		n=$((n + $(sqlite3 "$T/k/shard-$k.sqlite" 'SELECT count(*) FROM updates')))
	done
	check_eq "killed: no update stored twice" "$n" "$updates"
else
	ok "# SKIP sqlite3 is not installed"
fi

done_testing
