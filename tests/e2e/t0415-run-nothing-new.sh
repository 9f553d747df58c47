#!/bin/sh
# tests/e2e/t0415-run-nothing-new.sh: a run with nothing new since the last
# complete run decides so from the index, the run memo and stat(2) of the
# state files alone: it says "run: nothing new", loads no session state,
# starts nothing and leaves the tables as they are. Anything
# that can change a table makes it run again: a state file damaged by hand,
# new updates (batches that split sessions), another selection, another option value, a version bump,
# a sessions table removed, a failed run before; --recompute and --verify
# always run. Every table then equals a run from scratch, for -w 0 and -w 2.
. "$TOP/tests/e2e/lib.sh"
P="$BUILD/plugins"
nothing() { grep -q "^run: nothing new since the last run: sessions [0-9]*, processed 0, unchanged [0-9]*, stopped at a gap [0-9]*, failed 0, updates 0; no state loaded, tables left as they are$" "$1"; }

"$BPASS" generate "$T/g" --seed 7 --updates 400 --nodes 2 -q
ls "$T/g" | sed 's/^[^_]*_\([0-9-]*_[0-9-]*\).*/\1 &/' | sort | cut -d' ' -f2 >"$T/order"
n=$(wc -l <"$T/order")
link() { mkdir -p "$2"; while read -r f; do ln -sf "$T/g/$f" "$2/$f"; done <"$1"; }
head -n $((n / 2)) "$T/order" >"$T/first"
link "$T/order" "$T/all"
"$BPASS" index -q "$T/all" "$T/ref.idx"
check_status "reference run" 0 "$BPASS" run -q "$T/ref.idx" "$T/ref" -w 2 --plugin "$P/versioned.so"
REF="$T/ref/default/results"

for w in 0 2; do
	S="$T/s$w/default"
	link "$T/first" "$T/up$w"
	"$BPASS" index -q "$T/up$w" "$T/i$w.idx"
	check_status "-w $w: first run" 0 "$BPASS" run -q "$T/i$w.idx" "$T/s$w" -w $w --plugin "$P/versioned.so"
	check "-w $w: a memo is written" test -s "$S/.last-run"
	cp -r "$S/results" "$T/before"
	"$BPASS" run "$T/i$w.idx" "$T/s$w" -w $w --plugin "$P/versioned.so" >"$T/out" 2>"$T/err"
	check_eq "-w $w: again: exit 0" "$?" "0"
	check "-w $w: again: nothing new" nothing "$T/out"
	check "-w $w: again: tables as they were" diff -r -x manifest.json -x .owners "$T/before" "$S/results"
	check_eq "-w $w: again: no table rewritten" "$(find "$S/results" -newer "$S/.last-run" | wc -l)" "0"
	# State files are not read, only stat(2)ed: one damaged by hand is seen.
	f=$(ls "$S"/*.state | head -1)
	cp "$f" "$T/keep"
	echo garbage >"$f"
	"$BPASS" run "$T/i$w.idx" "$T/s$w" -w $w --plugin "$P/versioned.so" >"$T/out" 2>"$T/err"
	check "-w $w: a damaged state: runs" sh -c "! grep -q 'nothing new' '$T/out'"
	check_grep "-w $w: a damaged state: recomputed" "^bpass: warning: could not read state file \"$f\"" "$T/err"
	check "-w $w: a damaged state: same tables" diff -r -x manifest.json -x .owners -x meta_statistics.csv "$T/before" "$S/results"
	check "-w $w: a damaged state: repaired" cmp "$T/keep" "$f"
	# New updates, in sessions that already have some and in new ones.
	link "$T/order" "$T/up$w"
	"$BPASS" index -q "$T/up$w" "$T/i$w.idx"
	"$BPASS" run "$T/i$w.idx" "$T/s$w" -w $w --plugin "$P/versioned.so" >"$T/out" 2>"$T/err"
	check_eq "-w $w: new updates: exit 0" "$?" "0"
	check "-w $w: new updates: run" sh -c "! grep -q 'nothing new' '$T/out'"
	check "-w $w: new updates: equals from scratch" diff -r -x manifest.json -x .owners -x meta_statistics.csv "$REF" "$S/results"
	check_status "-w $w: then nothing new" 0 sh -c "'$BPASS' run '$T/i$w.idx' '$T/s$w' -w $w --plugin '$P/versioned.so' | grep -q 'nothing new'"
	rm -rf "$T/before"
done

S="$T/s2/default"
run2() { "$BPASS" run "$T/i2.idx" "$T/s2" -w 2 "$@" >"$T/out" 2>"$T/err"; }
run2 --plugin "$P/versioned.so" -p byte-count
check "another selection: runs" sh -c "! grep -q 'nothing new' '$T/out'"
run2 --plugin "$P/versioned.so" -p byte-count
check "the same selection again: nothing new" nothing "$T/out"
run2 --plugin "$P/opts.so" -p opts -o opts.scale=2
check "an option: runs" sh -c "! grep -q 'nothing new' '$T/out'"
run2 --plugin "$P/opts.so" -p opts -o opts.scale=2
check "the same option again: nothing new" nothing "$T/out"
run2 --plugin "$P/opts.so" -p opts -o opts.scale=3
check "another option value: runs" sh -c "! grep -q 'nothing new' '$T/out'"
run2 --plugin "$P/versioned.so"
check "all again: runs" sh -c "! grep -q 'nothing new' '$T/out'"
VERSIONED_VERSION=2 "$BPASS" run "$T/i2.idx" "$T/s2" -w 2 --plugin "$P/versioned.so" >"$T/out" 2>"$T/err"
check "a version bump: runs" sh -c "! grep -q 'nothing new' '$T/out'"
check_grep "a version bump: the table has the new version" ",2$" "$S/results/versioned_updates.csv"
run2 --plugin "$P/versioned.so"
check "the version back: runs" sh -c "! grep -q 'nothing new' '$T/out'"
# (opts_total.csv: the table of the earlier opts run, kept as a run of other
# processors keeps it)
check "the version back: equals from scratch" diff -r -x manifest.json -x .owners -x meta_statistics.csv -x opts_total.csv "$REF" "$S/results"
run2 --plugin "$P/versioned.so" --recompute
check "--recompute: runs" sh -c "! grep -q 'nothing new' '$T/out'"
run2 --plugin "$P/versioned.so" --verify
check_eq "--verify: exit 0" "$?" "0"
check_grep "--verify: verified" "^verify: [0-9]+ sessions, [0-9]+ processors, 0 differences$" "$T/out"
rm "$S/results/sessions.csv"
run2 --plugin "$P/versioned.so"
check "sessions.csv removed: runs" sh -c "! grep -q 'nothing new' '$T/out'"
check "sessions.csv removed: written again" diff "$REF/sessions.csv" "$S/results/sessions.csv"
# A run that failed leaves no memo: the next one runs (and fails again).
sid=$(tail -n 1 "$S/results/sessions.csv" | cut -d, -f3)
CRASHY_SESSION=$sid "$BPASS" run "$T/i2.idx" "$T/s2" -w 2 --plugin "$P/versioned.so" --plugin "$P/crash.so" >"$T/out" 2>"$T/err"
check_eq "a failed run: exit 1" "$?" "1"
check "a failed run: no memo" test ! -e "$S/.last-run"
CRASHY_SESSION=$sid "$BPASS" run "$T/i2.idx" "$T/s2" -w 2 --plugin "$P/versioned.so" --plugin "$P/crash.so" >"$T/out" 2>"$T/err"
check_eq "after a failed run: runs and fails again" "$?" "1"
done_testing
