#!/bin/sh
# tests/e2e/t0414-analyses.sh: the built-in analyses bytes-per-device,
# bytes-per-domain and lookups-per-device (docs/results.md) under the real
# `bpass run`, on the hand-written updates of tests/fixtures/devices/, their
# tables checked against values worked out by hand, in one run and in two
# (updates 1 indexed only before the second run, so flows, addresses,
# flow-domains and the tables come from saved state), and in the default
# selection (no -p). Hours: 00 = 2012-05-16T00:00:00Z = 1337126400000000 µs,
# 01 = 1337130000000000.
#
# Node D (d-0.txt, d-1.txt: worked out in t0413-example-devices.sh), whitelist
# example.com. Devices A = a1b2c3000001 (id 0, aa01), B = a1b2c3000002 (id 1,
# aa02). Bytes per device and hour: A 00: 100 + 200 + 70 = 370 (3 packets),
# A 01: 80 + 400 + 40 = 520 (3); B 00: 300 + 60 = 360 (2), B 01: 500 (1);
# unknown 01: 90 (flow 14, no local side) + 50 (flow 4, ipv6) = 140 (2).
# Domains of flows: only flow 15 (seq 1, aa01 -> ee01, first packet at
# 01:00:10.001) has one: example.com, answered to A for ee01 at 01:00:10.000
# (ttl 60); so example.com gets 400 B in hour 01, for A. (Flow 11's key
# (0, cc02) has example.com only from 01:00:00.004, after its first packet.)
# Lookups: B 00: www.example.com (A record) and mail.example.com (CNAME
# alias) at packet 3; unknown (id 7) 00: example.com; A 01: example.com at
# packet 5 and in seq 1 (2). Hashed names and packet id 9 (out of range) are
# not counted.
#
# Node W (w-0.txt, w-1.txt), whitelist google.com, youtube.com, example.org.
# Devices P = 00aa00000001 (id 0, 0a01), Q = 00aa00000002 (id 1, 0a02).
# DNS (seq 0, from 00:59:50.000, 1 ms apart): packet 0 to P:
# youtube-ui.l.google.com -> 5501 and -> 5502 (ttl 300) and the CNAME
# www.youtube.com -> youtube-ui.l.google.com; packet 1 to P: www.google.com
# -> 5503 (60); packet 2 to P: google.com -> 5503 (60); packet 3 to Q:
# www.example.org -> 5504 (120) and a hashed name -> 5504. Seq 1 (from
# 01:00:10.000): packet 0 to Q: www.google.com -> 5503; packet 4 to Q:
# www.google.com -> 5503 and -> 5506 (one response: one lookup).
# Flows and their domains (whitelist entries):
#   20 P -> 5501, 21 5501 -> P: www.youtube.com, youtube-ui.l.google.com
#      (youtube.com and google.com: each gets all the bytes);
#   22 P -> 5503: www.google.com, google.com (google.com, once);
#   23 Q -> 5504: www.example.org and a hash (example.org);
#   24 Q -> 5501, 25 P -> 5505, 26 dd53 -> P, 27 dd53 -> Q: none;
#   28 (seq 1) Q -> 5503, first packet 01:00:10.001: www.google.com (google.com).
# Packets, seq 0: 120 f26, 100 f26, 90 f26, 110 f27, 60 f20, 1500 f21, 70 f22,
# 80 f23, 200 f24, 50 f25 (hour 00); 1400 f21, 300 f23, 40 flow 4 (01).
# Seq 1 (01): 130 f27, 700 f28, 1000 f21, 90 f24, 100 f27.
#   P 00: 120 + 100 + 90 + 60 + 1500 + 70 + 50 = 1990 (7); P 01: 1400 + 1000
#   = 2400 (2); Q 00: 110 + 80 + 200 = 390 (3); Q 01: 300 + 130 + 700 + 90 +
#   100 = 1320 (5); unknown 01: 40 (1).
#   google.com 00: 60 + 1500 + 70 = 1630 (3, all P); 01: 1400 + 1000 (P) + 700
#   (Q) = 3100 (3); youtube.com 00: 60 + 1500 = 1560 (2), 01: 1400 + 1000 =
#   2400 (2); example.org 00: 80, 01: 300 (Q).
. "$TOP/tests/e2e/lib.sh"

F="$TOP/tests/fixtures/devices"
D=OWDDDDDDDDDDDD
W=OWWWWWWWWWWWWW
S=1337126390000000
H0=1337126400000000,2012-05-16T00:00:00Z
H1=1337130000000000,2012-05-16T01:00:00Z

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

cat >"$T/want_bytes_per_device" <<EOF2
node_id,device,hour_us,hour_iso,bytes,packets
$D,a1b2c3000001,$H0,370,3
$D,a1b2c3000001,$H1,520,3
$D,a1b2c3000002,$H0,360,2
$D,a1b2c3000002,$H1,500,1
$D,unknown,$H1,140,2
$W,00aa00000001,$H0,1990,7
$W,00aa00000001,$H1,2400,2
$W,00aa00000002,$H0,390,3
$W,00aa00000002,$H1,1320,5
$W,unknown,$H1,40,1
EOF2
cat >"$T/want_bytes_per_domain" <<EOF2
node_id,domain,hour_us,hour_iso,bytes,packets
$D,example.com,$H1,400,1
$W,example.org,$H0,80,1
$W,example.org,$H1,300,1
$W,google.com,$H0,1630,3
$W,google.com,$H1,3100,3
$W,youtube.com,$H0,1560,2
$W,youtube.com,$H1,2400,2
EOF2
cat >"$T/want_bytes_per_domain_per_device" <<EOF2
node_id,device,domain,hour_us,hour_iso,bytes,packets
$D,a1b2c3000001,example.com,$H1,400,1
$W,00aa00000001,google.com,$H0,1630,3
$W,00aa00000001,google.com,$H1,2400,2
$W,00aa00000001,youtube.com,$H0,1560,2
$W,00aa00000001,youtube.com,$H1,2400,2
$W,00aa00000002,example.org,$H0,80,1
$W,00aa00000002,example.org,$H1,300,1
$W,00aa00000002,google.com,$H1,700,1
EOF2
cat >"$T/want_lookups_per_device" <<EOF2
node_id,device,domain,hour_us,hour_iso,lookups
$D,a1b2c3000001,example.com,$H1,2
$D,a1b2c3000002,mail.example.com,$H0,1
$D,a1b2c3000002,www.example.com,$H0,1
$D,unknown,example.com,$H0,1
$W,00aa00000001,google.com,$H0,1
$W,00aa00000001,www.google.com,$H0,1
$W,00aa00000001,www.youtube.com,$H0,1
$W,00aa00000001,youtube-ui.l.google.com,$H0,1
$W,00aa00000002,www.example.org,$H0,1
$W,00aa00000002,www.google.com,$H1,2
EOF2
TABLES="bytes_per_device bytes_per_domain bytes_per_domain_per_device lookups_per_device"
RUN="-w 1 -p bytes-per-device,bytes-per-domain,lookups-per-device,throughput"

"$BPASS" processors >"$T/procs"
check_grep "processors: lists bytes-per-device" \
	"^bytes-per-device +1 +built-in +flows,addresses +bytes and packets per local device" "$T/procs"
check_grep "processors: lists bytes-per-domain" \
	"^bytes-per-domain +1 +built-in +flows,addresses,flow-domains,whitelisted-domains +bytes and packets per whitelisted domain" "$T/procs"
check_grep "processors: lists lookups-per-device" \
	"^lookups-per-device +1 +built-in +addresses +DNS lookups per device" "$T/procs"

# --- one run over both sessions' updates ------------------------------------------------
mkdir "$T/u1"
mk_tar "$T/u1/${D}_2012-05-16_01-01-00.tar" "$F/d-0.txt:$D-$S-0" "$F/d-1.txt:$D-$S-1"
mk_tar "$T/u1/${W}_2012-05-16_01-01-00.tar" "$F/w-0.txt:$W-$S-0" "$F/w-1.txt:$W-$S-1"
"$BPASS" index -q "$T/u1" "$T/idx1"
# shellcheck disable=SC2086
"$BPASS" run "$T/idx1" "$T/s1" $RUN >"$T/out" 2>"$T/err"
check_eq "one run: exit 0" "$?" "0"
check_eq "one run: nothing on stderr" "$(cat "$T/err")" ""
R="$T/s1/default/results"
for t in $TABLES; do
	check "one run: $t.csv as worked out by hand" diff "$T/want_$t" "$R/$t.csv"
done
# Every packet counts for exactly one device (or unknown): per node and hour,
# bytes_per_device adds up to throughput's minutes of that hour.
awk -F, 'NR > 1 { b[$1 "," substr($3, 1, 13)] += $4 } END { for (k in b) print k "," b[k] }' \
	"$R/throughput.csv" | sort >"$T/tp_hours"
awk -F, 'NR > 1 { b[$1 "," substr($4, 1, 13)] += $5 } END { for (k in b) print k "," b[k] }' \
	"$R/bytes_per_device.csv" | sort >"$T/dev_hours"
check "bytes_per_device adds up to throughput per node and hour" diff "$T/tp_hours" "$T/dev_hours"

# --- two runs: updates 1 come later ----------------------------------------------------
mkdir "$T/u2"
mk_tar "$T/u2/${D}_2012-05-16_01-00-30.tar" "$F/d-0.txt:$D-$S-0"
mk_tar "$T/u2/${W}_2012-05-16_01-00-30.tar" "$F/w-0.txt:$W-$S-0"
"$BPASS" index -q "$T/u2" "$T/idx2"
# shellcheck disable=SC2086
"$BPASS" run -q "$T/idx2" "$T/s2" $RUN
check_eq "first of two runs: exit 0" "$?" "0"
R="$T/s2/default/results"
check_eq "first of two runs: Q's hour 01 has packet 11 only so far" \
	"$(grep "^$W,00aa00000002,$H1" "$R/bytes_per_device.csv")" "$W,00aa00000002,$H1,300,1"
mk_tar "$T/u2/${D}_2012-05-16_01-01-00.tar" "$F/d-1.txt:$D-$S-1"
mk_tar "$T/u2/${W}_2012-05-16_01-01-00.tar" "$F/w-1.txt:$W-$S-1"
"$BPASS" index -q --quiet-period 0 "$T/u2" "$T/idx2"
# shellcheck disable=SC2086
"$BPASS" run "$T/idx2" "$T/s2" $RUN >"$T/out" 2>"$T/err"
check_eq "second of two runs: exit 0" "$?" "0"
check_eq "second of two runs: nothing on stderr" "$(cat "$T/err")" ""
check_grep "second of two runs: processed updates 1 only" "^run: sessions 2, processed 2, .*, updates 2," "$T/out"
for t in $TABLES; do
	check "two runs: $t.csv as in one run" diff "$T/want_$t" "$R/$t.csv"
done

# --- the default selection runs them too -----------------------------------------------
"$BPASS" run -q -w 1 "$T/idx1" "$T/s3"
check_eq "default run: exit 0" "$?" "0"
for t in $TABLES; do
	check "default run: $t.csv as worked out by hand" diff "$T/want_$t" "$T/s3/default/results/$t.csv"
done
done_testing
