#!/bin/sh
# tests/e2e/t0416-python-examples.sh: the reference processors in Python
# (processors/examples/*.py, at most 30 lines each) give tables identical to
# their C versions (processors/examples/*.c, whose tables t0406 and t0413
# check against values worked out by hand) on the same hand-written updates
# (tests/fixtures/protocols/ and devices/), in one run and in two (the later
# updates indexed before the second run only), with -w 0, 1 and 2, and pass
# --verify=all.
. "$TOP/tests/e2e/lib.sh"

EX="$TOP/processors/examples"
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

for f in protocols_per_day remote_ips_per_hour dns_lookups_per_hour; do
	n=$(wc -l <"$EX/$f.py")
	check "$f.py: $n lines, at most 30" test "$n" -le 30
done

# Updates: the protocols fixture (t0406) and the devices fixture (t0413); the
# second batch is indexed before the second run only.
F="$TOP/tests/fixtures/protocols"
A=OWAAAAAAAAAAAA
B=OWBBBBBBBBBBBB
D=OWDDDDDDDDDDDD
S=1337126390000000
mkdir "$T/u"
mk_tar "$T/u/${A}_2012-05-16_00-10-00.tar" "$F/a-0.txt:$A-1337126390000000-0" \
	"$F/a-1.txt:$A-1337126390000000-1" "$F/c-0.txt:$A-1337126500000000-0"
mk_tar "$T/u/${B}_2011-10-07_16-00-00.tar" "$F/b-0.txt:$B-1318000000000000-0"
mk_tar "$T/u/${D}_2012-05-16_01-00-30.tar" "$TOP/tests/fixtures/devices/d-0.txt:$D-$S-0"
"$BPASS" index -q "$T/u" "$T/idx"
mk_tar "$T/u/${A}_2012-05-16_00-20-00.tar" "$F/a-2.txt:$A-1337126390000000-2"
mk_tar "$T/u/${D}_2012-05-16_01-01-00.tar" "$TOP/tests/fixtures/devices/d-1.txt:$D-$S-1"

# run_both NAME C_PROCESSOR PY_PROCESSOR TABLE: the C version in one run over
# everything, the Python version in two runs (-w 1) and in one (-w 0, -w 2).
run_both() {
	_x=$1 _c=$2 _p=$3 _t=$4
	check_status "$_c (C): exit 0" 0 "$BPASS" run -q "$T/idx2" "$T/c-$_x" -w 1 \
		--plugin "$BUILD/plugins/$_x.so" -p "$_c"
	want="$T/c-$_x/default/results/$_t.csv"
	check "$_c (C): its table is not empty" test "$(wc -l <"$want")" -gt 1
	"$BPASS" run "$T/idx" "$T/py-$_x" -w 1 --plugin "$EX/$_x.py" -p "$_p" >"$T/out" 2>"$T/err"
	check_eq "$_p: first of two runs: exit 0" "$?" "0"
	check_eq "$_p: first of two runs: nothing on stderr" "$(cat "$T/err")" ""
	"$BPASS" run "$T/idx2" "$T/py-$_x" -w 1 --plugin "$EX/$_x.py" -p "$_p" >"$T/out" 2>"$T/err"
	check_eq "$_p: second of two runs: exit 0" "$?" "0"
	check_grep "$_p: second of two runs: only the new updates" ", updates 2," "$T/out"
	check "$_p: two runs: $_t.csv identical to the C version's" \
		diff "$want" "$T/py-$_x/default/results/$_t.csv"
	for w in 0 2; do
		check_status "$_p -w $w: exit 0" 0 "$BPASS" run -q "$T/idx2" "$T/py$w-$_x" -w $w \
			--plugin "$EX/$_x.py" -p "$_p"
		check "$_p -w $w: $_t.csv identical to the C version's" \
			diff "$want" "$T/py$w-$_x/default/results/$_t.csv"
	done
	"$BPASS" run "$T/idx2" "$T/py-$_x" -w 2 --plugin "$EX/$_x.py" -p "$_p" --verify=all >"$T/out" 2>"$T/err"
	check_eq "$_p: --verify=all: exit 0" "$?" "0"
	check_grep "$_p: --verify=all: no difference" " 0 differences\$" "$T/out"
}
cp -r "$T/idx" "$T/idx2"
"$BPASS" index -q --quiet-period 0 "$T/u" "$T/idx2"
run_both protocols_per_day example-protocols example-protocols-py protocols_per_day
run_both remote_ips_per_hour example-remote-ips example-remote-ips-py remote_ips_per_hour
run_both dns_lookups_per_hour example-dns-lookups example-dns-lookups-py dns_lookups_per_hour
# The hand-worked tables of t0406 and t0413 are not trivial here: every class and device.
check_grep "protocols: every class" "non-ip" "$T/py-protocols_per_day/default/results/protocols_per_day.csv"
check_grep "devices: an unknown device" ",unknown," "$T/py-dns_lookups_per_hour/default/results/dns_lookups_per_hour.csv"
done_testing
