#!/bin/sh
# tests/e2e/t0207-index-changed.sh: tarballs that change after they were
# indexed, and tarballs still being written. A tarball read while it was
# being copied (cut at a member boundary, so it reads as a shorter valid tar)
# is examined again once the copy completes, and its new updates are indexed;
# updates it shares with other tarballs count as duplicates, those stored from
# its own first examination do not. A file modified within the quiet period
# (--quiet-period, default 60 s) is not read at all, unless it is a plain
# .tar that already ends with tar's end-of-archive blocks; it is reported as
# "skipped: modified N s ago" and read by a later run.
. "$TOP/tests/e2e/lib.sh"

SPEC="$TOP/tests/fixtures/spec"
NODE=OW0123456789AB
CTX=d8ed5acebaa9c7d364d16687864ccc2666576188
S=1337104800512345
mkdir -p "$T/t" "$T/u" "$T/m"

# upd SEQ: the §13.2 update (seq 1) rewritten with sequence number SEQ, gzipped
# as the member $T/m/$NODE-$S-SEQ.gz.
upd() {
	sed "3s/^$NODE $S 1 1337104860\$/$NODE $S $1 $((1337104830 + 30 * $1))/" \
		"$SPEC/v5-seq1.txt" | gzip -c >"$T/m/$NODE-$S-$1.gz"
}
for s in 1 2 3 4 5; do upd $s; done
row() { "$BPASS" sessions --csv "$T/idx" | grep ",$S," ; }
# cut_at_member FULL N OUT: the first N members of the plain tar FULL, no end blocks.
cut_at_member() {
	_off=0; _i=0
	while [ $_i -lt "$2" ]; do
		_size=$(dd if="$1" bs=1 skip=$((_off + 124)) count=11 2>/dev/null)
		_off=$((_off + 512 + ($(printf '%d' "0$_size") + 511) / 512 * 512))
		_i=$((_i + 1))
	done
	head -c $_off "$1" >"$3"
}

# --- the copy in progress, read with the quiet period off -----------------------
A="$T/u/${NODE}_2012-05-15_18-00-00.tar"
(cd "$T/m" && tar -cf "$T/a-full.tar" $NODE-$S-1.gz $NODE-$S-2.gz $NODE-$S-3.gz)
cut_at_member "$T/a-full.tar" 2 "$A"
"$BPASS" index --quiet-period 0 "$T/u" "$T/idx" >"$T/out1" 2>"$T/err1"
check_eq "cut copy: exit 0" "$?" "0"
check_grep "cut copy: reads as a shorter valid tar, 2 updates" \
	"^indexed: tarballs 1 \(rejected 0, partial 0\), unchanged 0, changed 0, updates 2," "$T/out1"
check_eq "cut copy: sessions" "$(row)" "$NODE,$CTX,$S,2,0,1,2,"

# The copy completes: the tarball is examined again and its third update indexed;
# the two stored from it before are neither new nor duplicates.
cp "$T/a-full.tar" "$A"
touch -d "2012-05-15 18:05:00" "$A"
"$BPASS" index --quiet-period 0 "$T/u" "$T/idx" >"$T/out2" 2>"$T/err2"
check_eq "completed copy: exit 0" "$?" "0"
check_grep "completed copy: examined again, 1 new update, no duplicates" \
	"^indexed: tarballs 1 \(rejected 0, partial 0\), unchanged 0, changed 1, updates 1, rejected members 0, duplicates 0," "$T/out2"
check_grep "completed copy: says it is examined again" \
	"tarball \".*${NODE}_2012-05-15_18-00-00.tar\" changed since it was indexed \(size [0-9]+, now [0-9]+\); examined again" "$T/out2"
check_eq "completed copy: nothing on stderr" "$(cat "$T/err2")" ""
check_eq "completed copy: sessions" "$(row)" "$NODE,$CTX,$S,3,0,1,3,"
check_status "completed copy: the new update is there" 0 "$BPASS" show "$T/idx" $NODE $S 3

# Unchanged now: nothing read.
"$BPASS" index --quiet-period 0 "$T/u" "$T/idx" >"$T/out3" 2>&1
check_grep "re-run: nothing read" "^indexed: tarballs 0 .* unchanged 1, changed 0, updates 0," "$T/out3"

# A changed tarball whose new member is also in another tarball: a duplicate.
B="$T/u/${NODE}_2012-05-15_19-00-00.tar"
(cd "$T/m" && tar -cf "$B" $NODE-$S-4.gz)
touch -d "2012-05-15 19:00:00" "$B"
"$BPASS" index --quiet-period 0 "$T/u" "$T/idx" >/dev/null 2>&1
(cd "$T/m" && tar -cf "$A" $NODE-$S-1.gz $NODE-$S-2.gz $NODE-$S-3.gz $NODE-$S-4.gz)
touch -d "2012-05-15 18:10:00" "$A"
"$BPASS" index --quiet-period 0 "$T/u" "$T/idx" >"$T/out4" 2>&1
check_grep "changed again: seq 4 is a duplicate of the other tarball's" \
	"^indexed: tarballs 1 .* changed 1, updates 0, rejected members 0, duplicates 1," "$T/out4"
check_eq "changed again: sessions count the duplicate" "$(row)" "$NODE,$CTX,$S,4,1,1,4,"

# --- the quiet period ----------------------------------------------------------------
# A copy in progress (cut at a member boundary, just written) is not read at all.
mkdir -p "$T/q"
Q="$T/q/${NODE}_2012-05-16_00-00-00.tar"
(cd "$T/m" && tar -cf "$T/q-full.tar" $NODE-$S-5.gz $NODE-$S-1.gz)
cut_at_member "$T/q-full.tar" 1 "$Q"
"$BPASS" index "$T/q" "$T/q.idx" >"$T/qout" 2>"$T/qerr"
check_eq "young cut tarball: exit 0" "$?" "0"
check_grep "young cut tarball: skipped: modified N s ago" \
	"tarball \".*${NODE}_2012-05-16_00-00-00.tar\" skipped: modified [0-9]+ s ago \(quiet period 60 s\)" "$T/qout"
check_grep "young cut tarball: nothing read, counted" \
	"^indexed: tarballs 0 .* updates 0, .*, skipped 1 \(modified in the last 60 s\)$" "$T/qout"
check_eq "young cut tarball: not recorded" "$("$BPASS" rejects --csv "$T/q.idx" | wc -l | tr -d ' ')" "1"
check_eq "young cut tarball: no session" "$("$BPASS" sessions --csv "$T/q.idx" | wc -l | tr -d ' ')" "1"
"$BPASS" index --quiet-period 3600 "$T/q" "$T/q.idx" >"$T/qout2" 2>&1
check_grep "--quiet-period 3600: says so" "skipped: modified [0-9]+ s ago \(quiet period 3600 s\)" "$T/qout2"
check_status "-q: exit 0" 0 "$BPASS" index -q "$T/q" "$T/q.idx"
check_eq "-q: says nothing" "$(cat "$T/.out")" ""
# Once the file has been quiet for the period, it is read.
touch -d "2 minutes ago" "$Q"
"$BPASS" index "$T/q" "$T/q.idx" >"$T/qout3" 2>&1
check_grep "quiet for 2 minutes: read" "^indexed: tarballs 1 .* updates 1," "$T/qout3"
# A young complete .tar (it ends with tar's end-of-archive blocks) is read at once.
mkdir -p "$T/c"
(cd "$T/m" && tar -cf "$T/c/${NODE}_2012-05-16_01-00-00.tar" $NODE-$S-5.gz)
"$BPASS" index "$T/c" "$T/c.idx" >"$T/cout" 2>&1
check_grep "young complete tar: read at once" "^indexed: tarballs 1 .* updates 1," "$T/cout"
# A young .tar.gz cannot be seen to be complete without reading it: skipped.
gzip -c "$T/q-full.tar" >"$T/c/${NODE}_2012-05-16_02-00-00.tar.gz"
"$BPASS" index "$T/c" "$T/c.idx" >"$T/cout2" 2>&1
check_grep "young .tar.gz: skipped" "_2012-05-16_02-00-00.tar.gz\" skipped: modified [0-9]+ s ago" "$T/cout2"
"$BPASS" index --quiet-period 0 "$T/c" "$T/c.idx" >"$T/cout3" 2>&1
check_grep "--quiet-period 0: read" "^indexed: tarballs 1 .* updates 1, rejected members 0, duplicates 1," "$T/cout3"
# A file whose mtime is far in the future (a wrong clock) is not being written: read.
mkdir -p "$T/f"
cut_at_member "$T/q-full.tar" 1 "$T/f/${NODE}_2012-05-16_03-00-00.tar"
touch -d "next year" "$T/f/${NODE}_2012-05-16_03-00-00.tar"
"$BPASS" index "$T/f" "$T/f.idx" >"$T/fout" 2>&1
check_grep "mtime in the future: read" "^indexed: tarballs 1 .* updates 1," "$T/fout"

# --- usage ------------------------------------------------------------------------------
check_status "--quiet-period x is a usage error" 2 "$BPASS" index --quiet-period x "$T/q" "$T/q.idx"
check_grep "--quiet-period x: says why" "invalid --quiet-period \"x\": expected a number of seconds" "$T/.out"
check_status "--quiet-period -1 is a usage error" 2 "$BPASS" index --quiet-period -1 "$T/q" "$T/q.idx"
"$BPASS" index --help >"$T/help"
check_grep "--help documents --quiet-period" "--quiet-period SECONDS" "$T/help"
done_testing
