#!/bin/sh
# tests/e2e/t0412-run-verify.sh: bpass run --verify recomputes sessions from
# update 0 in a scratch state folder and compares them with the incremental
# states and figures. The data are indexed in two steps (every other tarball
# in time order, then all of them), so that sessions are processed in two
# runs, the second one resuming from saved states. The "forgetful" plugin
# does not save its flow map: --verify=all names each session where that
# changed its results (the sessions whose figures differ from a run over
# everything at once), with the processor, exits 1, and leaves the published
# tables as a run without --verify writes them. The built-ins, the example
# plugins and a forgetful that saves its map verify clean (exit 0). The
# default sample, the sample size, usage errors, a recomputation that crashes
# and the scratch folder's removal are checked too.
. "$TOP/tests/e2e/lib.sh"

F="--plugin $BUILD/plugins/forgetful.so"
EX="--plugin $BUILD/plugins/byte_count_plugin.so --plugin $BUILD/plugins/protocols_per_day.so"
CR="--plugin $BUILD/plugins/crash.so"
summary() { grep '^verify: [0-9]* sessions, [0-9]* processors, [0-9]* differences$' "$1"; }
no_scratch() { # STATE_DIR: no .verify.* folder is left in it
	! ls -a "$1" | grep -q '^\.verify\.'
}
# Per row of a sessions.csv: NODE/CONTEXT/SESSION and the forgetful columns.
forgetful_figures() {
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^forgetful_/) c[++n] = i; next }
		 { s = $1 "/" $2 "/" $3; for (k = 1; k <= n; k++) s = s "," $(c[k]); print s }' "$1" |
		LC_ALL=C sort
}

"$BPASS" generate "$T/g" --seed 5 --updates 600 --nodes 3 -q
# Tarballs in time order (the date and time follow the node id in the name).
ls "$T/g" | sed 's/^[^_]*_\([0-9-]*_[0-9-]*\).*/\1 &/' | sort | cut -d' ' -f2 >"$T/order"
link() { # FILE_LIST DIR
	mkdir -p "$2"
	while read -r f; do ln -sf "$T/g/$f" "$2/$f"; done <"$1"
}
awk 'NR % 2 == 1' "$T/order" >"$T/odd"

# The reference: everything at once.
link "$T/order" "$T/all"
"$BPASS" index -q "$T/all" "$T/ref.idx"
check_status "reference run" 0 "$BPASS" run -q "$T/ref.idx" "$T/ref" $F

# The first step, run for every later variant.
link "$T/odd" "$T/up"
"$BPASS" index -q "$T/up" "$T/idx"
"$BPASS" run -q "$T/idx" "$T/first" $F 2>/dev/null
"$BPASS" run -q "$T/idx" "$T/first-ex" $EX 2>/dev/null
FORGETFUL_REMEMBERS=1 "$BPASS" run -q "$T/idx" "$T/first-rem" $F 2>/dev/null
"$BPASS" run -q "$T/idx" "$T/first-crash" $CR -p byte-count,crashy 2>/dev/null
"$BPASS" sessions --csv "$T/idx" >"$T/sessions1"
# A first run's sessions are computed from update 0: nothing to report.
cp -r "$T/first" "$T/again"
"$BPASS" run "$T/idx" "$T/again" $F --verify=all >"$T/out" 2>"$T/err"
check_eq "first step: --verify=all: exit 0" "$?" "0"
check_grep "first step: no difference" " 14 processors, 0 differences$" "$T/out"

# The sample starts with the largest session (stored bytes) and ends with
# the smallest: crashy crashes on the one named, which a run with nothing
# new never processes, so only its recomputation does.
if command -v sqlite3 >/dev/null 2>&1; then
	# Largest first, ties in key order: the last is the smallest, largest key.
	for end in DESC ASC; do
		k=ASC; [ $end = ASC ] && k=DESC
		key=$(sqlite3 -separator / "$T/idx" "SELECT node_id, context, session_id FROM sessions
			WHERE first_seq = 0 AND first_gap IS NULL
			ORDER BY blob_bytes $end, node_id $k, context $k, session_id $k LIMIT 1")
		n=1; [ $end = ASC ] && n=2
		CRASHY_SESSION=${key##*/} "$BPASS" run "$T/idx" "$T/first-crash" $CR -p byte-count,crashy \
			--verify=$n >"$T/out" 2>"$T/err"
		check_eq "--verify=$n: exit 1" "$?" "1"
		check_grep "--verify=$n: it recomputes the $([ $end = ASC ] && echo smallest || echo largest) session" \
			"^bpass: error: verify: could not recompute session \"$key\": " "$T/err"
		check_eq "--verify=$n: the others are verified" "$(summary "$T/out")" \
			"verify: $((n - 1)) sessions, 2 processors, 0 differences"
	done
else
	ok "# SKIP sqlite3 is not installed"
fi

# The second step.
link "$T/order" "$T/up"
"$BPASS" index -q "$T/up" "$T/idx"
"$BPASS" sessions --csv "$T/idx" >"$T/sessions"
# Sessions with update 0 and no gap are the ones a run processes to the end.
whole=$(awk -F, 'NR > 1 && $6 == 0 && $8 == ""' "$T/sessions" | wc -l)
check "some sessions can be verified" test "$whole" -gt 4
for v in plain w2 w0; do cp -r "$T/first" "$T/$v"; done

check_status "plain second run: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/plain" $F
"$BPASS" run "$T/idx" "$T/w2" $F -w 2 --verify=all >"$T/out" 2>"$T/err"
check_eq "forgetful: --verify=all: exit 1" "$?" "1"
check "forgetful: the published tables equal a run's without --verify" \
	diff -r -x manifest.json -x .owners "$T/plain/default/results" "$T/w2/default/results"
check "forgetful: the saved states equal a run's without --verify" \
	diff -r -x results -x session_status.csv -x .last-run "$T/plain/default" "$T/w2/default"
check "forgetful: the scratch folder is gone" no_scratch "$T/w2"

# The sessions forgetful got wrong: their figures differ from the reference.
forgetful_figures "$T/ref/default/results/sessions.csv" >"$T/ref.fig"
forgetful_figures "$T/plain/default/results/sessions.csv" >"$T/plain.fig"
LC_ALL=C comm -13 "$T/ref.fig" "$T/plain.fig" | cut -d, -f1 >"$T/wrong"
check "forgetful: some sessions are wrong" test -s "$T/wrong"
sed -n 's/^bpass: error: verify: processor "forgetful" session "\([^"]*\)": saved state differs from a recomputation from update 0 (incremental [0-9]* bytes, recomputed [0-9]* bytes)$/\1/p' \
	"$T/err" | LC_ALL=C sort >"$T/named"
check "forgetful: every wrong session is named, no other" diff "$T/wrong" "$T/named"
check_eq "forgetful: no built-in differs" \
	"$(grep '^bpass: error: verify: processor' "$T/err" | grep -vc 'processor "forgetful"')" "0"
check_eq "forgetful: every error is a difference" \
	"$(grep '^bpass: error:' "$T/err" | grep -vc '^bpass: error: verify: processor "forgetful" session "[^"]*": ')" "0"
# Each figure named carries the incremental and the recomputed value.
grep '^bpass: error: verify: .*: figure ' "$T/err" >"$T/figs"
check "forgetful: figures are named" test -s "$T/figs"
bad=0
while read -r line; do
	key=$(echo "$line" | sed 's/.* session "\([^"]*\)".*/\1/')
	col=$(echo "$line" | sed 's/.* figure "\([^"]*\)" differs from a recomputation from update 0 (incremental -*[0-9]*, recomputed -*[0-9]*)$/\1/')
	inc=$(echo "$line" | sed 's/.*(incremental \(-*[0-9]*\), recomputed.*/\1/')
	rec=$(echo "$line" | sed 's/.*, recomputed \(-*[0-9]*\))$/\1/')
	i=$(head -1 "$T/ref/default/results/sessions.csv" | tr , '\n' | grep -nx "$col" | cut -d: -f1)
	want_inc=$(awk -F, -v k="$key" -v i="$i" '$1 "/" $2 "/" $3 == k { print $i }' "$T/plain/default/results/sessions.csv")
	want_rec=$(awk -F, -v k="$key" -v i="$i" '$1 "/" $2 "/" $3 == k { print $i }' "$T/ref/default/results/sessions.csv")
	[ -n "$i" ] && [ "$inc" = "$want_inc" ] && [ "$rec" = "$want_rec" ] || { bad=1; echo "# $line"; }
done <"$T/figs"
check_eq "forgetful: figure values are the incremental and the recomputed ones" "$bad" "0"
diffs=$(grep -c '^bpass: error: verify: processor ' "$T/err")
check_eq "forgetful: the summary counts them" "$(summary "$T/out")" \
	"verify: $whole sessions, 14 processors, $diffs differences"

# In one process (-w 0): the same differences.
"$BPASS" run "$T/idx" "$T/w0" $F -w 0 --verify=all >"$T/out0" 2>"$T/err0"
check_eq "forgetful: -w 0: exit 1" "$?" "1"
check "forgetful: -w 0: the same report" diff "$T/err" "$T/err0"
check "forgetful: -w 0: the scratch folder is gone" no_scratch "$T/w0"

# A forgetful that saves its map, the built-ins and the example plugins (one
# written with the SDK): clean.
FORGETFUL_REMEMBERS=1 "$BPASS" run "$T/idx" "$T/first-rem" $F --verify=all >"$T/out" 2>"$T/err"
check_eq "remembering forgetful: exit 0" "$?" "0"
check_eq "remembering forgetful: no difference" "$(summary "$T/out")" \
	"verify: $whole sessions, 14 processors, 0 differences"
"$BPASS" run "$T/idx" "$T/first-ex" $EX --verify=all >"$T/out" 2>"$T/err"
check_eq "built-ins and the example plugins: exit 0" "$?" "0"
check_eq "built-ins and the example plugins: no difference" "$(summary "$T/out")" \
	"verify: $whole sessions, 15 processors, 0 differences"
check_eq "built-ins and the example plugins: no error" "$(grep -c '^bpass: error' "$T/err")" "0"
check "built-ins and the example plugins: the scratch folder is gone" no_scratch "$T/first-ex"

# The default sample: 3 sessions; --verify=N: N; more than there are: all.
"$BPASS" run "$T/idx" "$T/first-ex" $EX --verify >"$T/out" 2>"$T/err"
check_eq "--verify: exit 0" "$?" "0"
check_eq "--verify: three sessions" "$(summary "$T/out")" \
	"verify: 3 sessions, 15 processors, 0 differences"
"$BPASS" run -q "$T/idx" "$T/first-ex" $EX --verify=2 >"$T/out" 2>"$T/err"
check_eq "--verify=2 -q: two sessions" "$(summary "$T/out")" \
	"verify: 2 sessions, 15 processors, 0 differences"
"$BPASS" run "$T/idx" "$T/first-ex" $EX --verify=100000 >"$T/out" 2>"$T/err"
check_eq "--verify=100000: every session" "$(summary "$T/out")" \
	"verify: $whole sessions, 15 processors, 0 differences"
# Sessions not processed to the end are skipped, with a note.
other=$(awk -F, 'NR > 1 && !($6 == 0 && $8 == "")' "$T/sessions" | wc -l)
check "some sessions cannot be verified" test "$other" -gt 0
"$BPASS" run "$T/idx" "$T/first-ex" $EX --verify=all >"$T/out" 2>"$T/err"
check_grep "a session with a gap is skipped" \
	'^bpass: warning: verify: session "[^"]*" skipped: (it stops at missing update [0-9]+|it has no update 0)' "$T/err"

# Usage errors.
for bad_arg in 0 x 3x -1 ''; do
	check_status "--verify=$bad_arg: usage error" 2 "$BPASS" run "$T/idx" "$T/u" --verify="$bad_arg"
done
"$BPASS" run "$T/idx" "$T/u" --verify=x 2>"$T/err"
check_grep "--verify=x: says why" '^bpass: error: invalid --verify "x": use a number of sessions \(1 or more\) or "all"$' "$T/err"
check "a usage error creates no state folder" test ! -e "$T/u"

# A recomputation that crashes costs its session: the run goes on and
# exits 1, naming it. crashy crashes on a session the second run did not
# process (its saved state was current), so only its recomputation does.
sid=$(awk -F, 'NR > 1 && $6 == 0 && $8 == "" { print $1 "," $2 "," $3 "," $7 }' "$T/sessions1" |
	LC_ALL=C sort >"$T/s1"; awk -F, 'NR > 1 && $6 == 0 && $8 == "" { print $1 "," $2 "," $3 "," $7 }' "$T/sessions" |
	LC_ALL=C sort | LC_ALL=C comm -12 - "$T/s1" | head -1 | cut -d, -f3)
check "a session unchanged by the second step" test -n "$sid"
echo "$sid" >"$T/sid"
CRASHY_SESSION=$sid "$BPASS" run "$T/idx" "$T/first-crash" $CR -p byte-count,crashy --verify=all \
	>"$T/out" 2>"$T/err"
check_eq "crash in a recomputation: exit 1" "$?" "1"
check_grep "crash: the worker's death is reported" "died on signal 11 while processor \"crashy\" was processing session [^ ]*/$sid" "$T/err"
check_grep "crash: the session is named" "^bpass: error: verify: could not recompute session \"[^\"]*/$sid\": " "$T/err"
check_eq "crash: the others are verified" "$(summary "$T/out")" \
	"verify: $((whole - 1)) sessions, 2 processors, 0 differences"
check "crash: the scratch folder is gone" no_scratch "$T/first-crash"

# SIGTERM during the verification: exit 1, the scratch folder is removed,
# the run's tables are published. slow sleeps in every update it processes;
# the run has nothing new, so only the recomputation is slow.
SL="--plugin $BUILD/plugins/slow.so -p byte-count,slow"
"$BPASS" run -q "$T/idx" "$T/slow" $SL 2>/dev/null
rm -rf "$T/slow/default/results"
SLOW_US=20000 "$BPASS" run "$T/idx" "$T/slow" $SL -w 1 --verify=all >"$T/out" 2>"$T/err" &
pid=$!
i=0
while [ $i -lt 300 ] && no_scratch "$T/slow"; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
kill -TERM $pid
wait $pid
check_eq "SIGTERM while verifying: exit 1" "$?" "1"
check_grep "SIGTERM while verifying: said" "^bpass: error: verify interrupted: nothing was compared$" "$T/err"
check "SIGTERM while verifying: the scratch folder is gone" no_scratch "$T/slow"
check "SIGTERM while verifying: the run's tables are published" test -s "$T/slow/default/results/sessions.csv"

# A scratch folder left by a verification that was killed is removed.
dead=$(sh -c 'echo $$')
mkdir -p "$T/first-ex/.verify.$dead/default"
: >"$T/first-ex/.verify.$dead/default/x.state"
check_status "a leftover scratch folder: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/first-ex" $EX --verify=1
check "a leftover scratch folder is removed" no_scratch "$T/first-ex"
done_testing
