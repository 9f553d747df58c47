#!/bin/sh
# tests/e2e/t0412-views.sh: the views of the correlation built-ins
# (ctx->packet_view, ctx->device_of; docs/semantics.md) from a plugin built
# with nothing but the installed headers: tests/plugins/views_probe.c,
# copied out of the source tree and built against `make install`, runs under
# the installed bpass on the two worked examples of the update format
# (tests/fixtures/spec/v5-seq0.txt and v5-seq1.txt, one session), indexed
# and run one at a time, so the second run reads the saved states. Its
# table is checked against the views worked out by hand below, and a run
# from scratch with two workers shows the same views. make install also
# installs docs/semantics.md.
#
# Update 0: addresses d80a91fad852ec49 = id 0 (MAC 001f3b8becc6),
# 6315897dcc4446c3 = id 1 (012345532d05). Flows, with their local side
# (source first) and domains:
#   3305 d80a -> 6315 udp, 10422 d80a -> 6315 udp: local 0, d80a, id 0
#   3306 6315 -> d80a, 10423 6315 -> d80a: both are local, the source wins:
#     local 0, 6315, id 1
#   27187 d80a -> 73c6 tcp: local 0; 27188 73c6 -> d80a: local 1. The DNS
#     response (packet 1, client 0) has the A record youtube-ui.l.google.com
#     -> 73c6 (ttl 300) and the CNAME www.youtube.com -> it: both hold from
#     packet 1 on, and both flows start after it (packets 2 and 3); sorted,
#     with the longest whitelist entry each matches (google.com,
#     youtube.com, ... are whitelisted): www.youtube.com@youtube.com,
#     youtube-ui.l.google.com@google.com.
#   51790 d80a -> fa28 tcp: local 0; 51791 fa28 -> d80a: local 1. Packet 13
#     answers client 0 with the hashed A record 787f.. -> fa28 (ttl 20) and
#     the hashed CNAME 9943.. -> 787f..; the flows start at packets 14 and
#     15, inside both windows: 1:787f..;1:9943.. (hashed: no entry).
#   Packets of flow 2 are non-ip (ARP), 4 ipv6, 0 unknown.
# Update 1 announces 40112 d80a -> 9884 (local 0) and 6021 9884 -> d80a
# (local 1), no domains; 27187 and 27188 keep theirs (not re-announced).
. "$TOP/tests/e2e/lib.sh"

if ! command -v pkg-config >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
	ok "# SKIP pkg-config or make is not installed"
	done_testing
	exit 0
fi
PREFIX="$T/prefix"
make -s -C "$TOP" install BUILD="$BUILD" PREFIX="$PREFIX" >"$T/out" 2>&1
check_eq "make install: exit 0" "$?" "0"
check "installed: share/doc/bpass/semantics.md" test -f "$PREFIX/share/doc/bpass/semantics.md"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"

mkdir "$T/p"
cp "$TOP/tests/plugins/views_probe.c" "$T/p/probe.c"
(cd "$T/p" && cc -std=c11 -Wall -Wextra -Werror -shared -fPIC $(pkg-config --cflags bpass) probe.c -o probe.so) >"$T/out" 2>&1
check_eq "the probe builds against the installed headers" "$?" "0"
sed 's/^/# /' "$T/out" | head -5
B="$PREFIX/bin/bpass"
P="$T/p/probe.so"

NODE=OW0123456789AB
SESSION=1337104800512345
F="$TOP/tests/fixtures/spec"
# mk_tar TARBALL FILE:MEMBER: gzips FILE as MEMBER.gz into a plain tar.
mk_tar() {
	rm -rf "$T/m"; mkdir -p "$T/m"
	gzip -c "${2%%:*}" >"$T/m/${2#*:}.gz"
	(cd "$T/m" && tar -cf "$1" "${2#*:}.gz")
}
mkdir "$T/u"
mk_tar "$T/u/${NODE}_2012-05-15_18-01-00.tar" "$F/v5-seq0.txt:$NODE-$SESSION-0"
"$B" index -q "$T/u" "$T/idx"
check_status "run 1 (update 0): exit 0" 0 "$B" run -q "$T/idx" "$T/s" -w 1 --plugin "$P" -p views-probe
mk_tar "$T/u/${NODE}_2012-05-15_18-02-00.tar" "$F/v5-seq1.txt:$NODE-$SESSION-1"
"$B" index -q "$T/u" "$T/idx"
check_status "run 2 (update 1): exit 0" 0 "$B" run -q "$T/idx" "$T/s" -w 1 --plugin "$P" -p views-probe

D=d80a91fad852ec49
E=6315897dcc4446c3
Y=73c65311b2a3835d
K=fa287336816097
N=988425d2def59ffb
MD=001f3b8becc6
ME=012345532d05
T1="local=0 $D remote=$E ranon=1 mac=$MD id=0"
T2="local=0 $E remote=$D ranon=1 mac=$ME id=1"
YT="domains=0:www.youtube.com@youtube.com;0:youtube-ui.l.google.com@google.com"
BK="domains=1:787f9e65b830e5efe0a5c7d7cde13b14118a3064;1:99436bf3da600e08e3dc2029a5b34e056e87d3b0"
F7="flow=27187 class=tcp $D>$Y proto=6 ports=49872>443 anon=1/1 local=0 $D remote=$Y ranon=1 mac=$MD id=0 $YT"
F8="flow=27188 class=tcp $Y>$D proto=6 ports=443>49872 anon=1/1 local=1 $D remote=$Y ranon=1 mac=$MD id=0 $YT"
F90="flow=51790 class=tcp $D>$K proto=6 ports=49873>443 anon=1/1 local=0 $D remote=$K ranon=1 mac=$MD id=0 $BK"
F91="flow=51791 class=tcp $K>$D proto=6 ports=443>49873 anon=1/1 local=1 $D remote=$K ranon=1 mac=$MD id=0 $BK"
DEV="dev 0=$MD 1=$ME 2=- 3=- 255=-"
cat >"$T/lines" <<EOF
0.0 flow=10422 class=udp $D>$E proto=17 ports=51234>53 anon=1/1 $T1
0.1 flow=10423 class=udp $E>$D proto=17 ports=53>51234 anon=1/1 $T2
0.2 $F7
0.3 $F8
0.4 $F7
0.5 $F7
0.6 $F8
0.7 $F8
0.8 $F8
0.9 $F7
0.10 flow=2 class=non-ip
0.11 flow=4 class=ipv6
0.12 flow=3305 class=udp $D>$E proto=17 ports=60123>53 anon=1/1 $T1
0.13 flow=3306 class=udp $E>$D proto=17 ports=53>60123 anon=1/1 $T2
0.14 $F90
0.15 $F91
0.16 $F90
0.17 flow=0 class=unknown
0 $DEV
0 api oob=-1 other=-1 small=0/12/2/kept big=0/all/zeroed
end view=-1
1.0 $F7
1.1 $F8
1.2 flow=2 class=non-ip
1.3 flow=2 class=non-ip
1.4 flow=40112 class=udp $D>$N proto=17 ports=123>123 anon=1/1 local=0 $D remote=$N ranon=1 mac=$MD id=0
1.5 flow=6021 class=udp $N>$D proto=17 ports=123>123 anon=1/1 local=1 $D remote=$N ranon=1 mac=$MD id=0
1.6 $F8
1 $DEV
1 api oob=-1 other=-1 small=0/12/1/kept big=0/all/zeroed
end view=-1
EOF
{ echo "node_id,session_id,n,line"; awk -v p="$NODE,$SESSION" '{ print p "," NR - 1 "," $0 }' "$T/lines"; } >"$T/want"
R="$T/s/default/results"
check "views_probe.csv as worked out by hand" diff "$T/want" "$R/views_probe.csv"

# From scratch, both updates in one run and two workers: the same views
# (session_complete runs once, so one "end" line fewer).
check_status "a run from scratch with -w 2: exit 0" 0 "$B" run -q "$T/idx" "$T/fresh" -w 2 --plugin "$P" -p views-probe
awk 'NR != 21' "$T/lines" >"$T/want-fresh"
tail -n +2 "$T/fresh/default/results/views_probe.csv" | cut -d, -f4- >"$T/got-fresh"
check "from scratch: the same views" diff "$T/want-fresh" "$T/got-fresh"
done_testing
