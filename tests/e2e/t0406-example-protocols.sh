#!/bin/sh
# tests/e2e/t0406-example-protocols.sh: the SDK example plugin
# (processors/examples/protocols_per_day.c) under `bpass run --plugin`, on the
# hand-written updates of tests/fixtures/protocols/, its table checked
# against values worked out by hand:
#
# node A (OWAAAAAAAAAAAA), session 1337126390000000 (version 5):
#   seq 0 announces flows 100 tcp, 200 udp, 300 icmp, 400 gre (other-ip); its
#     packets start at 2012-05-15T23:59:59.5Z, 0.1 s apart:
#     100 B tcp, 200 B udp, 300 B icmp, 400 B other-ip, 500 B flow 4 (ipv6)
#     on the 15th; then at 00:00:00.000000-5 on the 16th: 60 B flow 2 (ARP,
#     non-ip), 1000 B tcp, 70 B flow 0 (unknown), 80 B flow -1 (unknown),
#     90 B flow 500 (never announced: unknown), 110 B flow 1 and 120 B flow 6
#     (non-ip); then a delta of -2 s takes 130 B tcp back to the 15th.
#   seq 1 (16th) re-announces flow 200 as tcp: 150 B tcp (flow 100 of seq 0),
#     250 B flow 200 now tcp, 350 B icmp.
#   seq 2 (16th, indexed before the second run only): 1500 B flow 100 tcp and
#     40 B flow 200 tcp, both announced in earlier runs' updates (saved
#     state), 44 B flow 400 other-ip.
# node A, session 1337126500000000: 1000 B tcp (flow 50), 10 B ipv6, on the 16th.
# node B (OWBBBBBBBBBBBB), version 1 (no reserved flow ids), 2011-10-07:
#   60 B flow 0 = the all-zero flow (non-ip), 1514 B flow 4 announced tcp,
#   80 B flow -1 (unknown), 90 B flow 7 udp, 70 B flow 5 never announced (unknown).
. "$TOP/tests/e2e/lib.sh"

F="$TOP/tests/fixtures/protocols"
P="$BUILD/plugins/protocols_per_day.so"
CTX=d8ed5acebaa9c7d364d16687864ccc2666576188
A=OWAAAAAAAAAAAA
B=OWBBBBBBBBBBBB

# mk_tar TARBALL FILE:MEMBER...: gzips each FILE as MEMBER.gz into a plain tar.
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
field() { sed -n "s/.*[:,] $2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }

mkdir "$T/u"
mk_tar "$T/u/${A}_2012-05-16_00-10-00.tar" "$F/a-0.txt:$A-1337126390000000-0" \
	"$F/a-1.txt:$A-1337126390000000-1" "$F/c-0.txt:$A-1337126500000000-0"
mk_tar "$T/u/${B}_2011-10-07_16-00-00.tar" "$F/b-0.txt:$B-1318000000000000-0"
"$BPASS" index -q "$T/u" "$T/idx"
check_eq "index: exit 0" "$?" "0"

"$BPASS" processors --plugin "$P" >"$T/procs"
check_grep "processors: lists example-protocols" \
	"^example-protocols +3 +$P +flows +example: bytes and packets per protocol class" "$T/procs"

# --- first run --------------------------------------------------------------------
"$BPASS" run "$T/idx" "$T/s" -w 1 --plugin "$P" -p example-protocols >"$T/out" 2>"$T/err"
check_eq "run 1: exit 0" "$?" "0"
check_eq "run 1: nothing on stderr" "$(cat "$T/err")" ""
R="$T/s/default/results"
cat >"$T/want1" <<EOF
node_id,day,class,bytes,packets
$A,2012-05-15T00:00:00Z,icmp,300,1
$A,2012-05-15T00:00:00Z,ipv6,500,1
$A,2012-05-15T00:00:00Z,other-ip,400,1
$A,2012-05-15T00:00:00Z,tcp,230,2
$A,2012-05-15T00:00:00Z,udp,200,1
$A,2012-05-16T00:00:00Z,icmp,350,1
$A,2012-05-16T00:00:00Z,ipv6,10,1
$A,2012-05-16T00:00:00Z,non-ip,290,3
$A,2012-05-16T00:00:00Z,tcp,2400,4
$A,2012-05-16T00:00:00Z,unknown,240,3
$B,2011-10-07T00:00:00Z,non-ip,60,1
$B,2011-10-07T00:00:00Z,tcp,1514,1
$B,2011-10-07T00:00:00Z,udp,90,1
$B,2011-10-07T00:00:00Z,unknown,150,2
EOF
check "run 1: protocols_per_day.csv as worked out by hand" diff "$T/want1" "$R/protocols_per_day.csv"
# Every packet counts once: packet lines are the only lines of three fields here.
check_eq "run 1: bytes and packets add up to the packet series" \
	"$(tail -n +2 "$R/protocols_per_day.csv" | awk -F, '{ b += $4; p += $5 } END { print b "," p }')" \
	"$(cat "$F/a-0.txt" "$F/a-1.txt" "$F/c-0.txt" "$F/b-0.txt" | awk 'NF == 3 { b += $2; p++ } END { print b "," p }')"
for w in 0 2; do
	check_status "run 1 -w $w: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/s$w" -w $w --plugin "$P" -p example-protocols
	check "run 1 -w $w: the same table" diff "$T/want1" "$T/s$w/default/results/protocols_per_day.csv"
done

# --- second run: one new update, the others continue from their saved state -----
mk_tar "$T/u/${A}_2012-05-16_00-20-00.tar" "$F/a-2.txt:$A-1337126390000000-2"
"$BPASS" index -q "$T/u" "$T/idx"
"$BPASS" run "$T/idx" "$T/s" -w 1 --plugin "$P" -p example-protocols >"$T/out" 2>"$T/err"
check_eq "run 2: exit 0" "$?" "0"
check_eq "run 2: only the new update is processed" "$(field "$T/out" updates)" "1"
sed -e "s/^$A,2012-05-16T00:00:00Z,tcp,2400,4\$/$A,2012-05-16T00:00:00Z,tcp,3940,6/" \
	-e "s/^\($A,2012-05-16T00:00:00Z,non-ip,290,3\)\$/\1\n$A,2012-05-16T00:00:00Z,other-ip,44,1/" \
	"$T/want1" >"$T/want2"
check "run 2: flows announced in the first run's updates are still known" \
	diff "$T/want2" "$R/protocols_per_day.csv"
check_status "run 2 from scratch: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/fresh" -w 2 --plugin "$P" -p example-protocols
check "run 2 from scratch: the same table" diff "$T/want2" "$T/fresh/default/results/protocols_per_day.csv"

# --- a third run with nothing new, and the cached global result ---------------------
"$BPASS" run "$T/idx" "$T/s" -w 1 --plugin "$P" -p example-protocols --cache-global "$T/g.cache" >"$T/out" 2>"$T/err"
check_eq "run 3: exit 0" "$?" "0"
check_eq "run 3: nothing to process" "$(field "$T/out" updates)" "0"
check "run 3: the same table" diff "$T/want2" "$R/protocols_per_day.csv"
check_status "results from the cache: exit 0" 0 "$BPASS" results "$T/g.cache" --out "$T/fromcache" --plugin "$P" -p example-protocols
check "results from the cache: the same table" diff "$T/want2" "$T/fromcache/protocols_per_day.csv"
done_testing
