#!/bin/sh
# tests/e2e/t0412-run-tables.sh: tables bpass keeps for a processor (.tables,
# ctx->add_row) under the real bpass, with the test plugin
# tests/plugins/tables.c on the hand-written updates of
# tests/fixtures/protocols/ (see t0406-example-protocols.sh for what they
# hold). tables-only declares its two tables and a process callback, nothing
# else. Worked out by hand:
#
# tables_packets (per node: packets, bytes, smallest, largest, distinct flow ids):
#   A, first run: a-0 13 packets, 3160 bytes (60..1000), flows 100, 200, 300,
#     400, 4, 2, 0, -1, 500, 1, 6; a-1 150 + 250 + 350 (flows 100-300); c-0
#     1000 (flow 50) + 10 (flow 4): 18 packets, 4920 bytes, 10..1000, 12 flows
#   A, with a-2 (1500, 40, 44 on flows 100, 200, 400): 21, 6504, 10..1500, 12
#   B: 60, 1514, 80, 90, 70 on flows 0, 4, -1, 7, 5: 5, 1814, 60..1514, 5
# tables_updates (per node and hour of the update's timestamp: updates,
#   distinct sessions, distinct contexts):
#   A: 1337126420, 1337126450, 1337126530 (and 1337126480): 2012-05-16T00,
#     3 (4) updates of 2 sessions; B: 1318000030: 2011-10-07T15, 1, 1
. "$TOP/tests/e2e/lib.sh"

F="$TOP/tests/fixtures/protocols"
P="$BUILD/plugins/tables.so"
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

mkdir "$T/u"
mk_tar "$T/u/${A}_2012-05-16_00-10-00.tar" "$F/a-0.txt:$A-1337126390000000-0" \
	"$F/a-1.txt:$A-1337126390000000-1" "$F/c-0.txt:$A-1337126500000000-0"
mk_tar "$T/u/${B}_2011-10-07_16-00-00.tar" "$F/b-0.txt:$B-1318000000000000-0"
check_status "index: exit 0" 0 "$BPASS" index -q "$T/u" "$T/idx"

"$BPASS" processors --plugin "$P" >"$T/procs"
check_grep "processors: a processor of tables only is valid" \
	"^tables-only +1 +$P +test: tables kept by bpass, nothing else" "$T/procs"

cat >"$T/packets1" <<EOF
node_id,packets,bytes,smallest,largest,flows
$A,18,4920,10,1000,12
$B,5,1814,60,1514,5
EOF
cat >"$T/updates1" <<EOF
node_id,hour,updates,sessions,contexts
$A,2012-05-16T00:00:00Z,3,2,1
$B,2011-10-07T15:00:00Z,1,1,1
EOF

# --- first run ------------------------------------------------------------------
"$BPASS" run "$T/idx" "$T/s" -w 1 --plugin "$P" -p tables-only >"$T/out" 2>"$T/err"
check_eq "run 1: exit 0" "$?" "0"
check_eq "run 1: nothing on stderr" "$(cat "$T/err")" ""
R="$T/s/default/results"
check "run 1: tables_packets.csv as worked out by hand" diff "$T/packets1" "$R/tables_packets.csv"
check "run 1: tables_updates.csv as worked out by hand" diff "$T/updates1" "$R/tables_updates.csv"
for w in 0 2; do
	check_status "run 1 -w $w: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/s$w" -w $w --plugin "$P" -p tables-only
	check "run 1 -w $w: the same tables_packets" diff "$T/packets1" "$T/s$w/default/results/tables_packets.csv"
	check "run 1 -w $w: the same tables_updates" diff "$T/updates1" "$T/s$w/default/results/tables_updates.csv"
done
"$BPASS" run "$T/idx" "$T/s" -w 1 --plugin "$P" -p tables-only >"$T/out" 2>"$T/err"
check_grep "run 1 again: saved states are current" "processed 0, unchanged 3," "$T/out"
check "run 1 again: the same table" diff "$T/packets1" "$R/tables_packets.csv"

# --- second run: one new update, the others from their saved tables -------------
mk_tar "$T/u/${A}_2012-05-16_00-20-00.tar" "$F/a-2.txt:$A-1337126390000000-2"
"$BPASS" index -q "$T/u" "$T/idx"
"$BPASS" run "$T/idx" "$T/s" -w 2 --plugin "$P" -p tables-only >"$T/out" 2>"$T/err"
check_eq "run 2: exit 0" "$?" "0"
check_grep "run 2: one session processed, one update" "processed 1, unchanged 2,.* updates 1," "$T/out"
sed "s/^$A,18,4920,10,1000,12\$/$A,21,6504,10,1500,12/" "$T/packets1" >"$T/packets2"
sed "s/^\($A,2012-05-16T00:00:00Z\),3,2,1\$/\1,4,2,1/" "$T/updates1" >"$T/updates2"
check "run 2: tables_packets adds up" diff "$T/packets2" "$R/tables_packets.csv"
check "run 2: tables_updates adds up" diff "$T/updates2" "$R/tables_updates.csv"
check_status "run 2 from scratch: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/fresh" -w 1 --plugin "$P" -p tables-only
check "run 2 from scratch: the same tables_packets" diff "$T/packets2" "$T/fresh/default/results/tables_packets.csv"
check "run 2 from scratch: the same tables_updates" diff "$T/updates2" "$T/fresh/default/results/tables_updates.csv"

# --- the cached global result ---------------------------------------------------------
check_status "cache: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/s" -w 1 --plugin "$P" -p tables-only --cache-global "$T/g.cache"
check_status "results from the cache: exit 0" 0 "$BPASS" results "$T/g.cache" --out "$T/fromcache" --plugin "$P" -p tables-only
check "results from the cache: the same tables_packets" diff "$T/packets2" "$T/fromcache/tables_packets.csv"
check "results from the cache: the same tables_updates" diff "$T/updates2" "$T/fromcache/tables_updates.csv"

# --- a changed declaration recomputes ------------------------------------------------
TABLES_DECL=2 "$BPASS" run "$T/idx" "$T/s" -w 1 --plugin "$P" -p tables-only >"$T/out" 2>"$T/err"
check_eq "declaration changed: exit 0" "$?" "0"
check_eq "declaration changed: nothing on stderr" "$(cat "$T/err")" ""
check_grep "declaration changed: every session recomputed" "processed 3, unchanged 0," "$T/out"
sed "1s/bytes/octets/" "$T/packets2" >"$T/packets2b"
check "declaration changed: the new column, the same figures" diff "$T/packets2b" "$R/tables_packets.csv"
TABLES_DECL=2 "$BPASS" run "$T/idx" "$T/s" -w 1 --plugin "$P" -p tables-only >"$T/out" 2>"$T/err"
check_grep "declaration changed: then current" "processed 0, unchanged 3," "$T/out"
"$BPASS" run "$T/idx" "$T/s" -w 1 --plugin "$P" -p tables-only >"$T/out" 2>"$T/err"
check_grep "declaration back: recomputed again" "processed 3, unchanged 0," "$T/out"
check "declaration back: the first table" diff "$T/packets2" "$R/tables_packets.csv"

# --- processors with their own state, reading each other, rows from session_complete --
check_status "own state, reader, late: exit 0" 0 "$BPASS" run -q "$T/idx" "$T/o" -w 2 --plugin "$P" -p tables-reader,tables-late
O="$T/o/default/results"
check_eq "own: its own table" "$(cat "$O/tables_own_total.csv")" "updates
5"
check_eq "own: rows from session_complete" "$(cat "$O/tables_own_sessions.csv")" "node_id,sessions,last_seq
$A,2,2
$B,1,0"
check_eq "reader: ctx->state_of gives tables-own's own state" "$(cat "$O/tables_reader.csv")" "node_id,own_updates
$A,3
$B,1"
check_eq "late: session_complete only" "$(cat "$O/tables_late.csv")" "node_id,sessions
$A,2
$B,1"

# --- refusals and failures ------------------------------------------------------------
"$BPASS" run -q "$T/idx" "$T/x" -w 1 --plugin "$P" -p tables-only,tables-clash >"$T/out" 2>"$T/err"
check_eq "clash: exit 1" "$?" "1"
check_eq "clash: both named" "$(cat "$T/err")" \
	"bpass: error: table \"tables_packets\" is declared by both processor \"tables-only\" (plugin \"$P\") and processor \"tables-clash\" (plugin \"$P\"): run them separately"
TABLES_DECL=bad "$BPASS" processors --plugin "$P" >"$T/out" 2>"$T/err"
check_eq "bad declaration: exit 1" "$?" "1"
check_eq "bad declaration: why" "$(cat "$T/err")" \
	"bpass: error: invalid processor \"tables-only\" in plugin \"$P\": invalid table name \"Bad Name\": use 1-100 lower-case letters, digits, '_' and '-'"
for bad in "index:could not add a row to table 9: the processor declares 2 tables" \
	"cells:could not add a row to table \"tables_packets\": 2 cells given, it takes 5" \
	"null:could not add a row to table \"tables_packets\": a NULL string for column \"node_id\"" \
	"ignore:could not add a row to table 9: the processor declares 2 tables"; do
	mode=${bad%%:*}
	TABLES_BAD=$mode "$BPASS" run -q "$T/idx" "$T/bad-$mode" -w 1 --plugin "$P" -p tables-only >"$T/out" 2>"$T/err"
	check_eq "add_row $mode: exit 1" "$?" "1"
	check_grep "add_row $mode: the message" "^bpass: error: processor \"tables-only\" failed on update 0 of session $B/[0-9a-f]*/1318000000000000: ${bad#*:}\$" "$T/err"
	check_eq "add_row $mode: every session stale" \
		"$(tail -n +2 "$T/bad-$mode/default/results/sessions.csv" | cut -d, -f6 | sort -u)" "stale"
done
done_testing
