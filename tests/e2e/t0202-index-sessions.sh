#!/bin/sh
# tests/e2e/t0202-index-sessions.sh: sessions spanning tarballs, from
# variants of the update-format.md §13.2 example with other sequence numbers:
# a re-upload in a later tarball is stored once and counted as a duplicate,
# a gap is reported and then filled by a later tarball, an earlier sequence
# number arriving late moves first_seq, the identity comes from the content
# and not the member name, a tarball is one transaction, and two different
# updates with one key are a conflicting duplicate, reported and counted.
. "$TOP/tests/e2e/lib.sh"

SPEC="$TOP/tests/fixtures/spec"
NODE=OW0123456789AB
CTX=d8ed5acebaa9c7d364d16687864ccc2666576188
S=1337104800512345

# upd SEQ: the §13.2 update (seq 1) rewritten with sequence number SEQ, as $T/t/SEQ.
mkdir -p "$T/t" "$T/u"
upd() {
	sed "3s/^$NODE $S 1 1337104860\$/$NODE $S $1 $((1337104830 + 30 * $1))/" \
		"$SPEC/v5-seq1.txt" >"$T/t/$1"
	grep -q "^$NODE $S $1 " "$T/t/$1" || echo "upd: line 3 not rewritten for $1" >&2
}
# tarball NAME SEQ...: a tarball of those updates in $T/u, members named as the routers did.
tarball() {
	_tb=$1; shift
	rm -rf "$T/m"; mkdir -p "$T/m"
	for _s in "$@"; do
		[ -f "$T/t/$_s" ] || upd "$_s"
		gzip -c "$T/t/$_s" >"$T/m/$NODE-$S-$_s.gz"
	done
	(cd "$T/m" && tar -cf "$T/u/$_tb" ./*.gz)
}
row() { "$BPASS" sessions --csv "$T/idx" | grep ",$S," ; }

# Hour 1: 0 1 3 -> a gap at 2.
cp "$SPEC/v5-seq0.txt" "$T/t/0"
tarball "${NODE}_2012-05-15_18-00-00.tar" 0 1 3
check "hour 1: index" "$BPASS" index "$T/u" "$T/idx"
check_eq "hour 1: 3 updates, gap at 2" "$(row)" "$NODE,$CTX,$S,3,0,0,3,2"

# Hour 2: 1 again (re-upload) and 4 -> still a gap at 2, one duplicate.
tarball "${NODE}_2012-05-15_19-00-00.tar" 1 4
"$BPASS" index "$T/u" "$T/idx" >"$T/out" 2>&1
check_eq "hour 2: exit 0" "$?" "0"
check_grep "hour 2: one tarball, 1 update, 1 duplicate" \
	"tarballs 1 \(rejected 0, partial 0\), unchanged 1, changed 0, updates 1, rejected members 0, duplicates 1," "$T/out"
check_eq "hour 2: the re-upload is counted once" "$(row)" "$NODE,$CTX,$S,4,1,0,4,2"

# Hour 3: 2 arrives late -> no gap.
tarball "${NODE}_2012-05-15_20-00-00.tar" 2
check "hour 3: index" "$BPASS" index "$T/u" "$T/idx"
check_eq "hour 3: the gap is filled" "$(row)" "$NODE,$CTX,$S,5,1,0,4,"

# Hour 4: 7 and 6 -> the first gap is now 5.
tarball "${NODE}_2012-05-15_21-00-00.tar" 7 6
check "hour 4: index" "$BPASS" index "$T/u" "$T/idx"
check_eq "hour 4: the next gap" "$(row)" "$NODE,$CTX,$S,7,1,0,7,5"

# The stored update 2 is the late one, and update 1 the first copy.
"$BPASS" show "$T/idx" $NODE $S 2 >"$T/s2"
check "show 2 equals the update that arrived late" diff "$T/t/2" "$T/s2"
"$BPASS" show "$T/idx" $NODE $S 1 >"$T/s1"
check "show 1 equals the original" diff "$SPEC/v5-seq1.txt" "$T/s1"

# The identity comes from the content: a member misnamed as seq 99 is seq 5.
rm -rf "$T/m"; mkdir -p "$T/m"
upd 5
gzip -c "$T/t/5" >"$T/m/$NODE-$S-99.gz"
(cd "$T/m" && tar -cf "$T/u/${NODE}_2012-05-15_22-00-00.tar" ./*.gz)
check "misnamed member: index" "$BPASS" index "$T/u" "$T/idx"
check_eq "misnamed member: stored as seq 5" "$(row)" "$NODE,$CTX,$S,8,1,0,7,"
check_status "misnamed member: no seq 99" 1 "$BPASS" show "$T/idx" $NODE $S 99

# Everything twice in one tarball, in a second folder and a fresh index: one copy each.
mkdir -p "$T/u2"
rm -rf "$T/m"; mkdir -p "$T/m"
for s in 0 1 2; do gzip -c "$T/t/$s" >"$T/m/a-$s.gz"; gzip -c "$T/t/$s" >"$T/m/b-$s.gz"; done
(cd "$T/m" && tar -cf "$T/u2/${NODE}_2012-05-16_18-00-00.tar" ./*.gz)
"$BPASS" index "$T/u2" "$T/idx2" >"$T/out" 2>&1
check_grep "twice in one tarball: 3 updates, 3 duplicates" "updates 3, rejected members 0, duplicates 3," "$T/out"
check_eq "twice in one tarball: the session" \
	"$("$BPASS" sessions --csv "$T/idx2" | tail -1)" "$NODE,$CTX,$S,3,3,0,2,"

# Two different updates with the same key (say, a router whose clock reset
# reused a session id): the first stays; the second is a conflicting
# duplicate, reported with the key and both tarballs and members, and counted
# apart from the duplicates in --stats and in bpass rejects.
mkdir -p "$T/u3"
rm -rf "$T/m"; mkdir -p "$T/m"
gzip -c "$T/t/1" >"$T/m/$NODE-$S-1.gz"
gzip -c "$T/t/2" >"$T/m/$NODE-$S-2.gz"
(cd "$T/m" && tar -cf "$T/u3/${NODE}_2012-05-17_18-00-00.tar" ./*.gz)
rm -rf "$T/m"; mkdir -p "$T/m"
sed '4s/^25 0 0$/26 0 0/' "$T/t/1" | gzip -c >"$T/m/other-1.gz"   # seq 1, other pcap counts
gzip -c "$T/t/2" >"$T/m/again-2.gz"                             # seq 2, the same: a duplicate
(cd "$T/m" && tar -cf "$T/u3/${NODE}_2012-05-17_19-00-00.tar" ./*.gz)
"$BPASS" index --stats "$T/u3" "$T/idx3" >"$T/out3" 2>"$T/err3"
check_eq "conflict: exit 0" "$?" "0"
check_grep "conflict: a warning naming the key and both tarballs and members" \
	"^bpass: warning: conflicting duplicate: member \"./other-1.gz\" of tarball \"${NODE}_2012-05-17_19-00-00.tar\": update \(node \"$NODE\", context \"$CTX\", session $S, seq 1\) differs from the one stored from member \"./$NODE-$S-1.gz\" of tarball \"${NODE}_2012-05-17_18-00-00.tar\", which is kept$" "$T/err3"
check_eq "conflict: one line on stderr" "$(wc -l <"$T/err3" | tr -d ' ')" "1"
check_grep "conflict: the identical one is a plain duplicate" \
	"^indexed: tarballs 2 .* updates 2, rejected members 0, duplicates 1," "$T/out3"
check_grep "conflict: --stats counts it" ", conflicts 1, warnings 0$" "$T/out3"
"$BPASS" show "$T/idx3" $NODE $S 1 >"$T/s31"
check "conflict: the first one is kept" diff "$T/t/1" "$T/s31"
"$BPASS" rejects --csv "$T/idx3" >"$T/rj3"
check_eq "conflict: rejects lists it, of kind conflict" "$(tail -n +2 "$T/rj3")" \
	"${NODE}_2012-05-17_19-00-00.tar,./other-1.gz,,conflict,\"update (node \"\"$NODE\"\", context \"\"$CTX\"\", session $S, seq 1) differs from the one stored from member \"\"./$NODE-$S-1.gz\"\" of tarball \"\"${NODE}_2012-05-17_18-00-00.tar\"\", which is kept\""
check_eq "conflict: the session counts both second arrivals as dropped" \
	"$("$BPASS" sessions --csv "$T/idx3" | tail -1)" "$NODE,$CTX,$S,2,2,1,2,"
done_testing
