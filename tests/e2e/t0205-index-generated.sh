#!/bin/sh
# tests/e2e/t0205-index-generated.sh: `bpass index` on generated data
# (`bpass generate`, with --broken items). An uninterrupted run is the
# reference; a run killed with SIGKILL several times and then completed gives
# the same sessions and rejects; so do two jobs (-j 2, the default on two
# cores) and three (-j 3: same messages in the same order) and --sync normal; the counts agree with the generator's summary;
# every broken item it lists is rejected; and `show` prints stored updates
# exactly as the original members.
. "$TOP/tests/e2e/lib.sh"

field() { sed -n "s/.*[:,] $2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }

"$BPASS" generate "$T/g" --seed 11 --updates 800 --nodes 3 --broken >"$T/gen" 2>&1
check_eq "generate: exit 0" "$?" "0"
tarballs=$(field "$T/gen" tarballs)
updates=$(field "$T/gen" updates)
reuploads=$(field "$T/gen" re-uploads)
grep '^broken ' "$T/gen" >"$T/broken"
# An archive written an hour ago: the truncated and empty tarballs are past
# the quiet period too.
touch -d "1 hour ago" "$T"/g/*

# --- the reference run ---------------------------------------------------------
"$BPASS" index -j 1 "$T/g" "$T/ref.idx" >"$T/out" 2>"$T/err"
check_eq "reference: exit 0" "$?" "0"
check_grep "reference: all tarballs examined" "^indexed: tarballs $tarballs " "$T/out"
check_grep "reference: as many updates as generated" " updates $updates, " "$T/out"
check_grep "reference: re-uploads are the duplicates" " duplicates $reuploads, " "$T/out"
"$BPASS" sessions --csv "$T/ref.idx" >"$T/ref.sessions"
"$BPASS" rejects --csv "$T/ref.idx" >"$T/ref.rejects"
sum=$(tail -n +2 "$T/ref.sessions" | awk -F, '{ n += $4 } END { print n }')
check_eq "the sessions add up to the updates" "$sum" "$updates"
check_eq "as many sessions as generated" "$(($(wc -l <"$T/ref.sessions") - 1))" \
	"$(field "$T/gen" sessions)"
missing=0
while read -r _ kind tb member; do
	if [ "$member" = "-" ]; then
		grep -q "^$tb,," "$T/ref.rejects" || { missing=$((missing + 1)); echo "# not rejected: $kind $tb"; }
	else
		grep -q "^$tb,$member," "$T/ref.rejects" || { missing=$((missing + 1)); echo "# not rejected: $kind $tb $member"; }
	fi
done <"$T/broken"
check_eq "every broken item is rejected" "$missing" "0"
check "some broken items were generated" test -s "$T/broken"

# --- killed with SIGKILL at several points, then completed ----------------------------
j=1
for d in 0.01 0.05 0.1 0.2 0.3 0.5; do
	j=$((3 - j))
	"$BPASS" index -q -j $j "$T/g" "$T/k.idx" >/dev/null 2>&1 &
	pid=$!
	sleep $d
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	# Whole tarballs only: each recorded tarball has all its updates.
	if command -v sqlite3 >/dev/null 2>&1; then
		half=$(sqlite3 "$T/k.idx" 'SELECT count(*) FROM tarballs t WHERE t.updates !=
			(SELECT count(*) FROM updates u WHERE u.tarball = t.id)' 2>/dev/null || echo 0)
		check_eq "killed after $d s (-j $j): whole tarballs only" "$half" "0"
	fi
done
check "killed: the last run completes" "$BPASS" index -q "$T/g" "$T/k.idx"
"$BPASS" sessions --csv "$T/k.idx" >"$T/k.sessions"
"$BPASS" rejects --csv "$T/k.idx" >"$T/k.rejects"
check "killed: same sessions as the reference" diff "$T/ref.sessions" "$T/k.sessions"
check "killed: same rejects as the reference" diff "$T/ref.rejects" "$T/k.rejects"
if command -v sqlite3 >/dev/null 2>&1; then
	check_eq "killed: integrity check" "$(sqlite3 "$T/k.idx" 'PRAGMA integrity_check')" "ok"
	check_eq "killed: no update stored twice" \
		"$(sqlite3 "$T/k.idx" 'SELECT count(*) FROM updates')" "$updates"
else
	ok "# SKIP sqlite3 is not installed"
fi

# --- two jobs, and synchronous=NORMAL: same result --------------------------------------
check "-j 2: index" "$BPASS" index -q -j 2 "$T/g" "$T/j.idx"
"$BPASS" sessions --csv "$T/j.idx" >"$T/j.sessions"
"$BPASS" rejects --csv "$T/j.idx" >"$T/j.rejects"
check "-j 2: same sessions" diff "$T/ref.sessions" "$T/j.sessions"
check "-j 2: same rejects" diff "$T/ref.rejects" "$T/j.rejects"
check "-j 3: index" "$BPASS" index -q -j 3 "$T/g" "$T/j3.idx"
"$BPASS" sessions --csv "$T/j3.idx" >"$T/j3.sessions"
"$BPASS" rejects --csv "$T/j3.idx" >"$T/j3.rejects"
check "-j 3: same sessions" diff "$T/ref.sessions" "$T/j3.sessions"
check "-j 3: same rejects" diff "$T/ref.rejects" "$T/j3.rejects"
"$BPASS" index -j 3 --sync normal "$T/g" "$T/j3n.idx" >"$T/j3.out" 2>"$T/j3.err"
"$BPASS" index -j 1 --sync normal "$T/g" "$T/j1n.idx" >"$T/j1.out" 2>"$T/j1.err"
check "-j 3: the same messages, in the same order" diff "$T/j1.err" "$T/j3.err"
check "--sync normal: index" "$BPASS" index -q --sync normal "$T/g" "$T/n.idx"
"$BPASS" sessions --csv "$T/n.idx" >"$T/n.sessions"
check "--sync normal: same sessions" diff "$T/ref.sessions" "$T/n.sessions"

# --- parse only: no index, same counts ---------------------------------------------------
"$BPASS" index --parse-only "$T/g" "$T/p.idx" >"$T/pout" 2>/dev/null
check_eq "--parse-only: exit 0" "$?" "0"
check "--parse-only: no index written" test ! -e "$T/p.idx"
check_grep "--parse-only: every update parsed" "^parsed: tarballs $tarballs .* updates $((updates + reuploads)), " "$T/pout"
"$BPASS" index --stats -q "$T/g" "$T/ref.idx" >"$T/sout" 2>&1
check_eq "-q --stats: quiet" "$(cat "$T/sout")" ""
"$BPASS" index --stats "$T/g" "$T/ref.idx" >"$T/sout" 2>&1
check_grep "--stats: peak memory" "^stats: maxrss_kb [0-9]+, " "$T/sout"

# --- show gives back the members exactly ----------------------------------------------------
mkdir -p "$T/x"
n=0
bad=0
for tb in $(ls "$T/g" | awk 'NR % 9 == 1'); do
	grep -q " $tb " "$T/broken" && continue
	rm -rf "$T/x"; mkdir -p "$T/x"
	tar -xf "$T/g/$tb" -C "$T/x" || continue
	for m in $(ls "$T/x" | head -3); do
		gzip -dc "$T/x/$m" >"$T/orig"
		set -- $(sed -n 3p "$T/orig")
		node=$1 sid=$2 seq=$3
		ctx=$(awk 'BEGIN { s = 0 } /^$/ { s++; next } s == 2 { print; exit }' "$T/orig")
		"$BPASS" show --context "$ctx" "$T/ref.idx" "$node" -- "$sid" "$seq" >"$T/shown" 2>&1
		if ! cmp -s "$T/orig" "$T/shown"; then
			bad=$((bad + 1)); echo "# differs: $tb $m"
		fi
		n=$((n + 1))
	done
done
check "show: several members compared" test "$n" -ge 10
check_eq "show: every compared member is identical" "$bad" "0"
done_testing
