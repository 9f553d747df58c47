#!/bin/sh
# tests/e2e/t0413-example-devices.sh: the SDK's reference processors
# processors/examples/remote_ips_per_hour.c and dns_lookups_per_hour.c under
# `bpass run --plugin`, on the hand-written updates of tests/fixtures/devices/,
# their tables checked against values worked out by hand, in one run and in
# two (update 1 indexed only before the second run, so flows, addresses and
# the tables come from saved state).
#
# node D (OWDDDDDDDDDDDD), session 1337126390000000, version 5. Address table
# (seq 0): id 0 = aa01 (MAC a1b2c3000001, device A), id 1 = aa02 (a1b2c3000002,
# device B). Flows: 10 aa01->bb01 (A, remote bb01), 11 cc02->aa01 (A, remote
# cc02), 12 aa02->bb01 (B, bb01), 13 dd01->aa02 (B, dd01), 14 ee01->ff01
# (neither side local); seq 1 adds 15 aa01->ee01 (A, ee01).
# seq 0 packets from 2012-05-16T00:59:50Z: 100 B f10, 200 B f11, 300 B f12,
#   60 B f13, 70 B f10 (hour 00); 80 B f11 at 01:00:00.004 (hour 01); 90 B
#   f14 (no local side: not counted), 50 B flow 4 (ipv6: no flow, not counted).
# seq 1 packets from 01:00:10Z: 500 B f12, 400 B f15, 40 B f10.
# remote IPs per device and hour:
#   A, 00: {bb01, cc02}, 3 packets, 370 B; A, 01: {cc02, ee01, bb01}, 3, 520 B
#   B, 00: {bb01, dd01}, 2 packets, 360 B; B, 01: {bb01}, 1, 500 B
# DNS answers (A records, then CNAMEs), clear names only, at their packet's time:
#   seq 0: www.example.com for id 1 (B) at packet 3 (hour 00); a hashed name
#   (not counted); example.com for id 0 (A) at packet 5 (hour 01); packet id
#   9 out of range (skipped); example.com for id 7 (never announced:
#   "unknown") at packet 4 (hour 00); CNAME alias mail.example.com for B at
#   packet 3 (hour 00); a CNAME with a hashed alias (not counted).
#   seq 1: example.com for A at packet 0 (hour 01).
#   A, 01: 2 lookups, 1 domain; B, 00: 2 lookups, 2 domains; unknown, 00: 1, 1.
. "$TOP/tests/e2e/lib.sh"

F="$TOP/tests/fixtures/devices"
IPS="$BUILD/plugins/remote_ips_per_hour.so"
DNS="$BUILD/plugins/dns_lookups_per_hour.so"
D=OWDDDDDDDDDDDD
S=1337126390000000

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

cat >"$T/want_ips" <<EOF2
node_id,device,hour,remote_ips,packets,bytes
$D,a1b2c3000001,2012-05-16T00:00:00Z,2,3,370
$D,a1b2c3000001,2012-05-16T01:00:00Z,3,3,520
$D,a1b2c3000002,2012-05-16T00:00:00Z,2,2,360
$D,a1b2c3000002,2012-05-16T01:00:00Z,1,1,500
EOF2
cat >"$T/want_dns" <<EOF2
node_id,device,hour,lookups,domains
$D,a1b2c3000001,2012-05-16T01:00:00Z,2,1
$D,a1b2c3000002,2012-05-16T00:00:00Z,2,2
$D,unknown,2012-05-16T00:00:00Z,1,1
EOF2
RUN="-w 1 --plugin $IPS --plugin $DNS -p example-remote-ips,example-dns-lookups"

"$BPASS" processors --plugin "$IPS" --plugin "$DNS" >"$T/procs"
check_grep "processors: lists example-remote-ips" \
	"^example-remote-ips +1 +$IPS +flows,addresses +example: distinct remote IP" "$T/procs"
check_grep "processors: lists example-dns-lookups" \
	"^example-dns-lookups +1 +$DNS +addresses +example: DNS lookups" "$T/procs"

# --- one run over both updates ------------------------------------------------------
mkdir "$T/u1"
mk_tar "$T/u1/${D}_2012-05-16_01-01-00.tar" "$F/d-0.txt:$D-$S-0" "$F/d-1.txt:$D-$S-1"
"$BPASS" index -q "$T/u1" "$T/idx1"
# shellcheck disable=SC2086
"$BPASS" run "$T/idx1" "$T/s1" $RUN >"$T/out" 2>"$T/err"
check_eq "one run: exit 0" "$?" "0"
check_eq "one run: nothing on stderr" "$(cat "$T/err")" ""
R="$T/s1/default/results"
check "one run: remote_ips_per_hour.csv as worked out by hand" diff "$T/want_ips" "$R/remote_ips_per_hour.csv"
check "one run: dns_lookups_per_hour.csv as worked out by hand" diff "$T/want_dns" "$R/dns_lookups_per_hour.csv"

# --- two runs: update 1 comes later ---------------------------------------------------
mkdir "$T/u2"
mk_tar "$T/u2/${D}_2012-05-16_01-00-30.tar" "$F/d-0.txt:$D-$S-0"
"$BPASS" index -q "$T/u2" "$T/idx2"
# shellcheck disable=SC2086
"$BPASS" run -q "$T/idx2" "$T/s2" $RUN
check_eq "first of two runs: exit 0" "$?" "0"
R="$T/s2/default/results"
check_eq "first of two runs: device A's hour 01 has one remote ip so far" \
	"$(grep "^$D,a1b2c3000001,2012-05-16T01" "$R/remote_ips_per_hour.csv")" \
	"$D,a1b2c3000001,2012-05-16T01:00:00Z,1,1,80"
mk_tar "$T/u2/${D}_2012-05-16_01-01-00.tar" "$F/d-1.txt:$D-$S-1"
"$BPASS" index -q --quiet-period 0 "$T/u2" "$T/idx2"
# shellcheck disable=SC2086
"$BPASS" run "$T/idx2" "$T/s2" $RUN >"$T/out" 2>"$T/err"
check_eq "second of two runs: exit 0" "$?" "0"
check_eq "second of two runs: nothing on stderr" "$(cat "$T/err")" ""
check "two runs: remote_ips_per_hour.csv as in one run" diff "$T/want_ips" "$R/remote_ips_per_hour.csv"
check "two runs: dns_lookups_per_hour.csv as in one run" diff "$T/want_dns" "$R/dns_lookups_per_hour.csv"
check_grep "second of two runs: processed update 1 only" "^run: sessions 1, processed 1, .*, updates 1," "$T/out"

# Their incremental states equal a recomputation from update 0.
# shellcheck disable=SC2086
"$BPASS" run "$T/idx2" "$T/s2" $RUN --verify=all >"$T/out" 2>"$T/err"
check_eq "--verify=all after two runs: exit 0" "$?" "0"
check_grep "--verify=all: no difference" "^verify: 1 sessions, .* 0 differences" "$T/out"

# The processors stay small: the SDK's promise (at most 60 lines each).
for f in remote_ips_per_hour dns_lookups_per_hour protocols_per_day; do
	n=$(wc -l <"$TOP/processors/examples/$f.c")
	check "$f.c: $n lines, at most 60" test "$n" -le 60
done
done_testing
