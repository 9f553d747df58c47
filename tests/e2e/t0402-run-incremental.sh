#!/bin/sh
# tests/e2e/t0402-run-incremental.sh: incremental runs give the results of a
# run from scratch. The older half of the tarballs is indexed and run, then
# the rest is indexed and the run repeated; every result file equals that of
# one run over everything (meta-statistics excepted: it covers only what a
# run processed), for -w 0, 1 and 2. Then a tarball held back leaves gaps:
# the sessions stop before them (reported), and once it is indexed the next
# run fills them and ends with the reference results again.
. "$TOP/tests/e2e/lib.sh"

field() { sed -n "s/.*[:,] $2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }
same_results() { # DIR_A DIR_B
	diff -r -x meta_statistics.csv -x manifest.json -x .owners "$1" "$2"
}

"$BPASS" generate "$T/g" --seed 5 --updates 600 --nodes 3 -q
# Tarballs in time order (the date and time follow the node id in the name).
ls "$T/g" | sed 's/^[^_]*_\([0-9-]*_[0-9-]*\).*/\1 &/' | sort | cut -d' ' -f2 >"$T/order"
n=$(wc -l <"$T/order")
half=$((n / 2))
link() { # FILE_LIST DIR
	mkdir -p "$2"
	while read -r f; do ln -sf "$T/g/$f" "$2/$f"; done <"$1"
}
head -n $half "$T/order" >"$T/first"
tail -n +$((half + 1)) "$T/order" >"$T/second"

# The reference: everything at once.
link "$T/order" "$T/all"
"$BPASS" index -q "$T/all" "$T/ref.idx"
check_status "reference run" 0 "$BPASS" run -q "$T/ref.idx" "$T/ref" -w 2
REF="$T/ref/default/results"

for w in 0 1 2; do
	rm -rf "$T/up$w"
	link "$T/first" "$T/up$w"
	"$BPASS" index -q "$T/up$w" "$T/inc$w.idx"
	check_status "-w $w: first half: exit 0" 0 "$BPASS" run -q "$T/inc$w.idx" "$T/s$w" -w $w
	link "$T/second" "$T/up$w"
	"$BPASS" index -q "$T/up$w" "$T/inc$w.idx"
	"$BPASS" run "$T/inc$w.idx" "$T/s$w" -w $w >"$T/out" 2>"$T/err"
	check_eq "-w $w: second half: exit 0" "$?" "0"
	check "-w $w: incremental equals from scratch" same_results "$REF" "$T/s$w/default/results"
	check "-w $w: some sessions were unchanged" test "$(field "$T/out" unchanged)" -gt 0
	"$BPASS" run "$T/inc$w.idx" "$T/s$w" -w $w >"$T/out" 2>"$T/err"
	check_eq "-w $w: third run processes nothing" "$(field "$T/out" updates)" "0"
done
# The saved states are the same whichever way they were computed.
check "states: -w 0 equals -w 2" diff -r -x results -x session_status.csv -x .last-run "$T/s0/default" "$T/s2/default"
check "states: incremental equals from scratch" diff -r -x results -x session_status.csv -x .last-run "$T/ref/default" "$T/s2/default"

# --- a gap filled by a later tarball ---------------------------------------------
# Hold back, for every node, the second of its tarballs in time order: the
# sessions that continue past it stop at a gap.
: >"$T/held"
for node in $(cut -d_ -f1 "$T/order" | sort -u); do
	grep "^${node}_" "$T/order" | sed -n 2p >>"$T/held"
done
grep -v -x -F -f "$T/held" "$T/order" >"$T/without"
link "$T/without" "$T/gap"
"$BPASS" index -q "$T/gap" "$T/gap.idx"
"$BPASS" sessions --csv "$T/gap.idx" >"$T/gap.sessions"
"$BPASS" run "$T/gap.idx" "$T/sg" -w 2 >"$T/out" 2>"$T/err"
check_eq "held back: exit 0" "$?" "0"
gapped=$(awk -F, 'NR > 1 && $6 == 0 && $8 != ""' "$T/gap.sessions" | wc -l)
check "held back: some sessions have a gap" test "$gapped" -gt 0
check_grep "held back: a gap is reported" "^bpass: warning: session .* stopped at missing update [0-9]+ \\(the index has updates up to [0-9]+\\)" "$T/err"
# Each gapped session was processed up to just before its gap.
awk -F, 'NR > 1 && $6 == 0 && $8 != "" { print $1 "," $2 "," $3 "," ($8 - 1) }' "$T/gap.sessions" |
	LC_ALL=C sort >"$T/want"
tail -n +2 "$T/sg/default/results/sessions.csv" | cut -d, -f1-4 | LC_ALL=C sort >"$T/got_all"
check "held back: gapped sessions stop before the gap" sh -c "LC_ALL=C comm -23 '$T/want' '$T/got_all' | grep -q . && exit 1 || exit 0"
check_status "held back: a second run still waits" 0 "$BPASS" run -q "$T/gap.idx" "$T/sg" -w 2
link "$T/held" "$T/gap"
"$BPASS" index -q "$T/gap" "$T/gap.idx"
"$BPASS" run "$T/gap.idx" "$T/sg" -w 2 >"$T/out" 2>"$T/err"
check_eq "filled: exit 0" "$?" "0"
check "filled: equals the reference" same_results "$REF" "$T/sg/default/results"
check "filled: states equal the reference" diff -r -x results -x session_status.csv -x .last-run "$T/ref/default" "$T/sg/default"
done_testing
