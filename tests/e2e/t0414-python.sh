#!/bin/sh
# tests/e2e/t0414-python.sh: Python processors under `bpass run --plugin
# FILE.py` with the real embedded interpreter: tests/plugins/py_counter.py
# (state of every kind round-tripping through msgpack, an option, ephemeral
# state, session figures, merge/combine/complete/write_results and a kept
# table) on the hand-written updates of tests/fixtures/protocols/ (see
# t0406): its tables against the packet series, the same with -w 0, 1 and 2,
# in two runs as in one, under --verify=all, with another option value and
# after a version bump; the loading rules (BPASS_PLUGIN_PATH, a bare name,
# the same file twice); and the processor docs/python.md and README.md show.
. "$TOP/tests/e2e/lib.sh"

F="$TOP/tests/fixtures/protocols"
P="$TOP/tests/plugins/py_counter.py"
A=OWAAAAAAAAAAAA
B=OWBBBBBBBBBBBB

mk_tar() {
	_tb=$1; shift
	rm -rf "$T/m"; mkdir -p "$T/m"
	_names=""
	for _fm in "$@"; do
		gzip -c "${_fm%%:*}" >"$T/m/${_fm#*:}.gz"
		_names="$_names ${_fm#*:}.gz"
	done
	# shellcheck disable=SC2086
	(cd "$T/m" && tar -cf "$_tb" $_names)
}
# packets and bytes of the packet lines (the only lines of three fields) of FILEs,
# those of at least $min bytes
series() { awk -v min="${min:-0}" 'NF == 3 && $2 >= min { b += $2; p++ } END { print p "," b }' "$@"; }

mkdir "$T/u"
mk_tar "$T/u/${A}_2012-05-16_00-10-00.tar" "$F/a-0.txt:$A-1337126390000000-0" \
	"$F/c-0.txt:$A-1337126500000000-0"
mk_tar "$T/u/${B}_2011-10-07_16-00-00.tar" "$F/b-0.txt:$B-1318000000000000-0"
"$BPASS" index -q "$T/u" "$T/idx"

"$BPASS" processors --plugin "$P" >"$T/procs"
check_grep "processors: lists py-counter from its file" \
	"^py-counter +1 +$P +test: packets and bytes per session, in Python" "$T/procs"
check_grep "processors: lists its option" "^py-counter.min_size=0 +packets smaller" "$T/procs"

# --- first run: sessions A/1337126390000000 (update 0), A/1337126500000000, B ---------
"$BPASS" run "$T/idx" "$T/s" -w 1 --plugin "$P" -p py-counter >"$T/out" 2>"$T/err"
check_eq "run 1: exit 0" "$?" "0"
check_eq "run 1: nothing on stderr" "$(cat "$T/err")" ""
R="$T/s/default/results"
check_eq "run 1: py_counter.csv: packets and bytes per session from the packet series" \
	"$(cut -d, -f1-3,5 "$R/py_counter.csv")" "session,packets,bytes,updates
$A/1337126390000000,$(series "$F/a-0.txt"),1
$A/1337126500000000,$(series "$F/c-0.txt"),1
$B/1318000000000000,$(series "$F/b-0.txt"),1"
check_grep "run 1: the histogram (a numpy array in the state) and an iso_s cell" \
	"^$B/1318000000000000,5,1814,4/0/0/1,1,1970-01-01T00:00:00Z\$" "$R/py_counter.csv"
check_grep "run 1: session figures" "^$B,[0-9a-f]*,1318000000000000,0,1,5,ok," "$R/sessions.csv"
check_eq "run 1: the kept table counts every packet" \
	"$(tail -n +2 "$R/py_sizes.csv" | awk -F, '{ p += $3 } END { print p }')" \
	"$(cat "$F/a-0.txt" "$F/c-0.txt" "$F/b-0.txt" | awk 'NF == 3 { p++ } END { print p }')"
check_grep "run 1: its min column" "^$B,1514,1,1318000001000010\$" "$R/py_sizes.csv"

# --- second run: update 1 of the first session continues from the saved state -----
mk_tar "$T/u/${A}_2012-05-16_00-20-00.tar" "$F/a-1.txt:$A-1337126390000000-1"
"$BPASS" index -q --quiet-period 0 "$T/u" "$T/idx"
"$BPASS" run "$T/idx" "$T/s" -w 1 --plugin "$P" -p py-counter >"$T/out" 2>"$T/err"
check_eq "run 2: exit 0 (the saved states read back as written)" "$?" "0"
check_eq "run 2: nothing on stderr" "$(cat "$T/err")" ""
check_grep "run 2: only the new update is processed" ", updates 1," "$T/out"
check_grep "run 2: the session's state continued" \
	"^$A/1337126390000000,$(series "$F/a-0.txt" "$F/a-1.txt"),[0-9/]*,2," "$R/py_counter.csv"
for w in 0 1 2; do
	check_status "one run -w $w: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/one$w" -w $w --plugin "$P" -p py-counter
	for t in py_counter py_sizes sessions; do
		check "one run -w $w: $t.csv as in two runs" diff "$R/$t.csv" "$T/one$w/default/results/$t.csv"
	done
done

# --- --verify=all recomputes every session and finds the same -----------------------
"$BPASS" run "$T/idx" "$T/s" -w 2 --plugin "$P" -p py-counter --verify=all >"$T/out" 2>"$T/err"
check_eq "--verify=all: exit 0" "$?" "0"
check_grep "--verify=all: no difference" "^verify: 3 sessions, 1 processors, 0 differences\$" "$T/out"

# --- an option: another value recomputes ------------------------------------------------
"$BPASS" run "$T/idx" "$T/s" -w 1 --plugin "$P" -p py-counter -o py-counter.min_size=100 >"$T/out" 2>"$T/err"
check_eq "min_size=100: exit 0" "$?" "0"
check_grep "min_size=100: every update processed again" ", updates 4," "$T/out"
min=100
check_grep "min_size=100: only packets of 100 bytes or more" \
	"^$A/1337126390000000,$(series "$F/a-0.txt" "$F/a-1.txt"),[0-9/]*,2," "$R/py_counter.csv"
check_grep "min_size=100: in the kept table too" "^$B,1514,1," "$R/py_sizes.csv"
check "min_size=100: no packet under 100 bytes in the kept table" \
	sh -c "! grep -q '^[^,]*,[0-9]\{1,2\},' '$R/py_sizes.csv'"

# --- a version bump recomputes from update 0 ----------------------------------------------
mkdir "$T/v2"
sed 's/^    version = 1$/    version = 2/' "$P" >"$T/v2/py_counter.py"
"$BPASS" run "$T/idx" "$T/s" -w 1 --plugin "$T/v2/py_counter.py" -p py-counter -o py-counter.min_size=100 >"$T/out" 2>"$T/err"
check_eq "version 2: exit 0" "$?" "0"
check_grep "version 2: every update processed again" ", updates 4," "$T/out"
check_grep "version 2: the session counted once" \
	"^$A/1337126390000000,$(series "$F/a-0.txt" "$F/a-1.txt"),[0-9/]*,2," "$R/py_counter.csv"

# --- loading: a folder of BPASS_PLUGIN_PATH, a bare name, the same file twice ----------
mkdir "$T/plugins"
cp "$P" "$T/plugins/"
BPASS_PLUGIN_PATH="$T/plugins" "$BPASS" processors >"$T/procs" 2>"$T/err"
check_grep "BPASS_PLUGIN_PATH: *.py loaded" "^py-counter +1 +$T/plugins/py_counter.py " "$T/procs"
(cd "$T" && BPASS_PLUGIN_PATH="$T/plugins" "$BPASS" run -q idx s-bare -w 1 \
	--plugin py_counter.py -p py-counter) >"$T/out" 2>"$T/err"
check_eq "a bare name found in BPASS_PLUGIN_PATH, loaded once: exit 0" "$?" "0"
check "a bare name: the same table" diff "$T/one1/default/results/py_counter.csv" \
	"$T/s-bare/default/results/py_counter.csv"
"$BPASS" processors --plugin "$P" --plugin "$T/v2/py_counter.py" >"$T/out" 2>"$T/err"
check_eq "another file with the same processor: exit 1" "$?" "1"
check_grep "another file with the same processor: named" "^bpass: error: could not load Python \
processor \"$T/v2/py_counter.py\": ValueError: duplicate processor \"py-counter\": already \
registered by plugin \"$P\"\$" "$T/err"

# --- the processor of docs/python.md and README.md, as written there ---------------------
min=0
for doc in docs/python.md README.md; do
	awk '/^```python$/ { f++; next } /^```$/ { if (f == 1) exit } f == 1' "$TOP/$doc" >"$T/sizes.py"
	rm -rf "$T/sz"
	check_status "$doc: its processor runs" 0 "$BPASS" run -q "$T/idx" "$T/sz" -w 1 --plugin "$T/sizes.py" -p sizes
	check_eq "$doc: its table counts every packet" \
		"$(tail -n +2 "$T/sz/default/results/sizes_per_hour.csv" | awk -F, '{ p += $3; b += $4 } END { print p "," b }')" \
		"$(series "$F/a-0.txt" "$F/a-1.txt" "$F/c-0.txt" "$F/b-0.txt")"
done
done_testing
