#!/bin/sh
# tests/e2e/t0415-python-errors.sh: what a failing Python processor costs, with
# the real interpreter: an exception in a callback fails that session for that
# processor (exit 1) with the exception and the last lines of its traceback in
# the message, the other sessions and processors are unaffected, and the next
# run retries it (tests/plugins/py_raise.py); a segfault in extension code
# (ctypes) is isolated like a crashing C plugin (py_crash.py); a syntax error,
# a file without processors, a bad table declaration and a state that msgpack
# cannot hold are clear errors.
. "$TOP/tests/e2e/lib.sh"

F="$TOP/tests/fixtures/protocols"
PR="$TOP/tests/plugins/py_raise.py"
PC="$TOP/tests/plugins/py_crash.py"
A=OWAAAAAAAAAAAA
B=OWBBBBBBBBBBBB
SB=1318000000000000

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
mkdir "$T/u"
mk_tar "$T/u/${A}_2012-05-16_00-10-00.tar" "$F/a-0.txt:$A-1337126390000000-0" \
	"$F/a-1.txt:$A-1337126390000000-1" "$F/c-0.txt:$A-1337126500000000-0"
mk_tar "$T/u/${B}_2011-10-07_16-00-00.tar" "$F/b-0.txt:$B-$SB-0"
"$BPASS" index -q "$T/u" "$T/idx"
CTX=$(sqlite3 "$T/idx/index.sqlite" "select distinct anonymization_context from sessions" 2>/dev/null | head -1)
[ -n "$CTX" ] || CTX=d8ed5acebaa9c7d364d16687864ccc2666576188
line() { grep -n "$1" "$PR" | head -1 | cut -d: -f1; }

# --- an exception in process -------------------------------------------------------
for w in 0 1 2; do
	PY_RAISE_SESSION=$SB "$BPASS" run "$T/idx" "$T/r$w" -w $w --plugin "$PR" --plugin "$PC" \
		-p py-raise,py-crash >"$T/out" 2>"$T/err"
	check_eq "raise -w $w: exit 1" "$?" "1"
	check_grep "raise -w $w: the session, the exception and its traceback's last lines" \
		"^bpass: error: processor \"py-raise\" failed on update 0 of session $B/$CTX/$SB: \
ZeroDivisionError: division by zero \\(traceback, most recent call last: py_raise.py:$(line '^            helper(0)$') in \
process, py_raise.py:$(line 'return 1 / n') in helper: return 1 / n\\)\$" "$T/err"
	R="$T/r$w/default/results"
	check_eq "raise -w $w: the other sessions are counted" "$(cut -d, -f1,2 "$R/py_raise_packets.csv")" \
		"node_id,packets
$A,$(cat "$F/a-0.txt" "$F/a-1.txt" "$F/c-0.txt" | awk 'NF == 3 { p++ } END { print p }')"
	check_grep "raise -w $w: the other processor has the failed session" "^$B,5," "$R/py_crash_packets.csv"
done
PY_RAISE_SESSION=none "$BPASS" run "$T/idx" "$T/r1" -w 1 --plugin "$PR" -p py-raise >"$T/out" 2>"$T/err"
check_eq "raise: the next run retries the session: exit 0" "$?" "0"
check_grep "raise: and counts it" "^$B,5,1814\$" "$T/r1/default/results/py_raise_packets.csv"

# --- in session_new, a bad add, a state msgpack cannot hold -------------------------------
PY_RAISE_IN=session_new PY_RAISE_SESSION=$SB "$BPASS" run "$T/idx" "$T/n" -w 1 --plugin "$PR" \
	-p py-raise >"$T/out" 2>"$T/err"
check_eq "session_new raises: exit 1" "$?" "1"
check_grep "session_new raises: named" "^bpass: error: processor \"py-raise\" could not create a state \
for session $B/$CTX/$SB: ZeroDivisionError: division by zero \\(traceback, most recent call last: \
py_raise.py:[0-9]+ in session_new, py_raise.py:[0-9]+ in helper: return 1 / n\\)\$" "$T/err"
PY_RAISE_KIND=arity PY_RAISE_SESSION=$SB "$BPASS" run "$T/idx" "$T/a" -w 1 --plugin "$PR" \
	-p py-raise >"$T/out" 2>"$T/err"
check_eq "a cell too many: exit 1" "$?" "1"
check_grep "a cell too many: named" "TypeError: add: table \"py_raise_packets\" takes 2 cells \
\\(its columns but counts\\), not 3 \\(traceback, most recent call last: py_raise.py:[0-9]+ in process: " "$T/err"
PY_RAISE_KIND=state PY_RAISE_SESSION=$SB "$BPASS" run "$T/idx" "$T/st" -w 1 --plugin "$PR" \
	-p py-raise >"$T/out" 2>"$T/err"
check_eq "a set in the state: exit 1" "$?" "1"
check_grep "a set in the state: cannot be saved" "^bpass: error: processor \"py-raise\" could not save \
the state of session $B/$CTX/$SB.*TypeError: cannot save a set in a state" "$T/err"

PY_RAISE_IN=exit "$BPASS" run "$T/idx" "$T/x" -w 1 --plugin "$PR" -p py-raise >"$T/out" 2>"$T/err"
check_eq "exit raises: the run is done (exit 0)" "$?" "0"
check_grep "exit raises: a warning says so" "^bpass: warning: processor \"py-raise\": exit failed: \
ZeroDivisionError: division by zero \(traceback, most recent call last: py_raise.py:[0-9]+ in exit, " "$T/err"

# --- a segfault in extension code -----------------------------------------------------------
for w in 1 2; do
	PY_CRASH_SESSION=$SB "$BPASS" run "$T/idx" "$T/c$w" -w $w --plugin "$PC" --plugin "$PR" \
		-p py-crash,py-raise >"$T/out" 2>"$T/err"
	check_eq "crash -w $w: exit 1" "$?" "1"
	check_grep "crash -w $w: the death is reported" "^bpass: error: worker [0-9]+ \\(pid [0-9]+\\) died \
on signal 11 while processor \"py-crash\" was processing session $B/$CTX/$SB \\(update 0\\)\$" "$T/err"
	check_grep "crash -w $w: one failure in the summary" ", failed 1, " "$T/out"
	check_eq "crash -w $w: the other sessions are counted" \
		"$(cut -d, -f1,2 "$T/c$w/default/results/py_crash_packets.csv")" "node_id,packets
$A,$(cat "$F/a-0.txt" "$F/a-1.txt" "$F/c-0.txt" | awk 'NF == 3 { p++ } END { print p }')"
done

# --- loading errors -------------------------------------------------------------------------
printf 'name = "x"\n\ndef process(ctx, state, update)\n    pass\n' >"$T/syntax.py"
"$BPASS" processors --plugin "$T/syntax.py" >"$T/out" 2>"$T/err"
check_eq "a syntax error: exit 1" "$?" "1"
check_eq "a syntax error: file, line and text" "$(cat "$T/err")" "bpass: error: could not load \
Python processor \"$T/syntax.py\": SyntaxError: expected ':' (syntax.py, line 3: def process(ctx, state, update))"
printf 'import bpass\nx = 1\n' >"$T/none.py"
check_status "a file without processors: exit 1" 1 "$BPASS" processors --plugin "$T/none.py"
check_grep "a file without processors: says what a processor is" "could not load Python processor \
\"$T/none.py\": TypeError: no processor: define name \\(and process\\) at module level, or a class derived \
from bpass.Processor\$" "$T/.out"
printf 'name = "x"\ntables = {"t": ["a:str", "b:avg"]}\ndef process(ctx, state, update):\n    pass\n' >"$T/table.py"
check_status "a bad column type: exit 1" 1 "$BPASS" processors --plugin "$T/table.py"
check_grep "a bad column type: named" "TypeError: processor x in table.py: table 't': column 'b': type \
'avg' is none of str, int," "$T/.out"
printf 'import no_such_module\n' >"$T/imp.py"
check_status "a missing import: exit 1" 1 "$BPASS" processors --plugin "$T/imp.py"
check_grep "a missing import: named with its line" "ModuleNotFoundError: No module named 'no_such_module' \
\\(traceback, most recent call last: imp.py:1 in <module>: import no_such_module\\)\$" "$T/.out"
check_status "a file that does not exist: exit 1" 1 "$BPASS" processors --plugin "$T/nope.py"
check_grep "a file that does not exist: named" "could not load Python processor \"$T/nope.py\": No such file" "$T/.out"
done_testing
