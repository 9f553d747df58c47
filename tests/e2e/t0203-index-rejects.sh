#!/bin/sh
# tests/e2e/t0203-index-rejects.sh: what bad input costs. A broken member
# (malformed line, not gzip, empty) costs only itself; an unreadable tarball
# costs only itself; a tarball truncated after its first member keeps that
# member ("partial") and is read again, without counting duplicates, once the
# complete file arrives; a wrong md5 in the name rejects the whole tarball,
# which is not read again until the file changes. All are listed by
# `bpass rejects`, and the exit status stays 0. Tarballs are read in name order.
. "$TOP/tests/e2e/lib.sh"

SPEC="$TOP/tests/fixtures/spec"
NODE=OW0123456789AB
CTX=d8ed5acebaa9c7d364d16687864ccc2666576188
S=1337104800512345
S2=1323458422078234
mkdir -p "$T/u" "$T/m"

# upd SEQ FILE: the §13.2 update (seq 1) rewritten with sequence number SEQ.
upd() {
	sed "3s/^$NODE $S 1 1337104860\$/$NODE $S $1 $((1337104830 + 30 * $1))/" \
		"$SPEC/v5-seq1.txt" >"$2"
}

# --- a tarball with broken members ------------------------------------------------
# Line 16 of the §13.1 example is its first packet line, "0 75 10422".
sed '16s/^0 75 10422$/0 75/' "$SPEC/v5-seq0.txt" >"$T/bad0.txt"
check_eq "the malformed copy differs on line 16 only" \
	"$(diff "$SPEC/v5-seq0.txt" "$T/bad0.txt" | head -1)" "16c16"
gzip -c "$T/bad0.txt" >"$T/m/$NODE-$S-0.gz"
gzip -c "$SPEC/v5-seq1.txt" >"$T/m/$NODE-$S-1.gz"
cp "$SPEC/v5-seq1.txt" "$T/m/$NODE-$S-2.gz"          # not gzip
: >"$T/m/$NODE-$S-3.gz"                             # empty
upd 4 "$T/t4"; gzip -c "$T/t4" >"$T/m/$NODE-$S-4.gz"
(cd "$T/m" && tar -cf "$T/u/${NODE}_2012-05-15_18-00-00.tar" \
	$NODE-$S-0.gz $NODE-$S-1.gz $NODE-$S-2.gz $NODE-$S-3.gz $NODE-$S-4.gz)

# --- an unreadable tarball ------------------------------------------------------------------
head -c 3000 /dev/urandom >"$T/u/${NODE}_2012-05-15_19-00-00.tar"

# --- a tarball cut inside its second member (the v2 update comes first) ------------------
rm -rf "$T/m2"; mkdir -p "$T/m2"
gzip -c "$SPEC/v2-http.txt" >"$T/m2/a.gz"
upd 5 "$T/t5"; gzip -c "$T/t5" >"$T/m2/b.gz"
(cd "$T/m2" && tar -cf "$T/full.tar" a.gz b.gz)
a=$(wc -c <"$T/m2/a.gz")
cut=$(( 512 + (a + 511) / 512 * 512 + 512 + 20 ))
head -c $cut "$T/full.tar" >"$T/u/${NODE}_2012-05-15_20-00-00.tar"

# --- a tarball whose name has the md5 of other content ----------------------------------
rm -rf "$T/m3"; mkdir -p "$T/m3"
upd 6 "$T/t6"; gzip -c "$T/t6" >"$T/m3/c.gz"
(cd "$T/m3" && tar -cf "$T/good6.tar" c.gz)
sum=$(md5sum "$T/good6.tar" | cut -d' ' -f1)
MD5TAR="$T/u/${NODE}_2012-05-15_21-00-00_$sum.tar"
head -c 10240 /dev/zero >"$MD5TAR"

"$BPASS" index --quiet-period 0 "$T/u" "$T/idx" >"$T/out" 2>"$T/err"
check_eq "exit 0 despite the rejections" "$?" "0"
check_grep "summary: 4 tarballs (2 rejected, 1 partial), 3 updates, 3 rejected members" \
	"^indexed: tarballs 4 \(rejected 2, partial 1\), unchanged 0, changed 0, updates 3, rejected members 3, duplicates 0," "$T/out"
check_grep "stderr names the malformed member and line" \
	"rejected member \"$NODE-$S-0.gz\" of tarball \"${NODE}_2012-05-15_18-00-00.tar\": line 16 \(section packet series\)" "$T/err"
check_grep "stderr: the unreadable tarball" "rejected tarball \"${NODE}_2012-05-15_19-00-00.tar\"" "$T/err"
check_grep "stderr: the truncated tarball" "partly rejected tarball \"${NODE}_2012-05-15_20-00-00.tar\"" "$T/err"
check_grep "stderr: the md5" "rejected tarball \".*_$sum.tar\": wrong md5: the name says $sum" "$T/err"

"$BPASS" sessions --csv "$T/idx" >"$T/csv"
cat >"$T/want" <<EOF
node_id,anonymization_context,session_id,updates,duplicates,first_seq,last_seq,first_gap
$NODE,$CTX,$S2,1,0,17,17,
$NODE,$CTX,$S,2,0,1,4,2
EOF
check "the good members of both tarballs are indexed" diff "$T/want" "$T/csv"
"$BPASS" show "$T/idx" $NODE $S2 17 >"$T/show"
check "the member before the damage is intact" diff "$SPEC/v2-http.txt" "$T/show"

"$BPASS" rejects --csv "$T/idx" >"$T/rj"
check_eq "rejects: exit 0" "$?" "0"
check_eq "rejects: 6 rows and a header" "$(wc -l <"$T/rj" | tr -d ' ')" "7"
check_grep "rejects: malformed line with its line number" \
	"^${NODE}_2012-05-15_18-00-00.tar,$NODE-$S-0.gz,16,rejected,\"line 16 \(section packet series\): packet line has 2 fields, expected 3\"$" "$T/rj"
check_grep "rejects: not gzip" "^${NODE}_2012-05-15_18-00-00.tar,$NODE-$S-2.gz,,rejected,not gzip$" "$T/rj"
check_grep "rejects: empty member" "^${NODE}_2012-05-15_18-00-00.tar,$NODE-$S-3.gz,,rejected,empty member$" "$T/rj"
check_grep "rejects: the unreadable tarball, no member" "^${NODE}_2012-05-15_19-00-00.tar,,,rejected,.*could not read tarball" "$T/rj"
check_grep "rejects: the truncated tarball, no member" "^${NODE}_2012-05-15_20-00-00.tar,,,rejected,.*could not read tarball" "$T/rj"
check_grep "rejects: the md5" "^${NODE}_2012-05-15_21-00-00_$sum.tar,,,rejected,\"wrong md5: the name says $sum, the file's md5 is $(md5sum "$MD5TAR" | cut -d' ' -f1)\"$" "$T/rj"
"$BPASS" rejects "$T/idx" >"$T/rjt"
check_grep "rejects: aligned text has the header" "^tarball +member +line +kind +reason$" "$T/rjt"

# --- unchanged rejected tarballs are not read again --------------------------------------------
"$BPASS" index --quiet-period 0 "$T/u" "$T/idx" >"$T/out2" 2>"$T/err2"
check_grep "re-run: nothing read" "^indexed: tarballs 0 \(rejected 0, partial 0\), unchanged 4," "$T/out2"
check_eq "re-run: nothing reported" "$(cat "$T/err2")" ""

# --- the complete files arrive ---------------------------------------------------------------
cp "$T/full.tar" "$T/u/${NODE}_2012-05-15_20-00-00.tar"
cp "$T/good6.tar" "$MD5TAR"
"$BPASS" index --quiet-period 0 "$T/u" "$T/idx" >"$T/out3" 2>"$T/err3"
check_eq "complete files: exit 0" "$?" "0"
check_grep "complete files: 2 read again, 2 new updates, no duplicates" \
	"^indexed: tarballs 2 \(rejected 0, partial 0\), unchanged 2, changed 0, updates 2, rejected members 0, duplicates 0," "$T/out3"
"$BPASS" sessions --csv "$T/idx" >"$T/csv3"
cat >"$T/want3" <<EOF
node_id,anonymization_context,session_id,updates,duplicates,first_seq,last_seq,first_gap
$NODE,$CTX,$S2,1,0,17,17,
$NODE,$CTX,$S,4,0,1,6,2
EOF
check "complete files: sessions" diff "$T/want3" "$T/csv3"
"$BPASS" rejects --csv "$T/idx" >"$T/rj3"
check_eq "complete files: their rejects are gone" "$(wc -l <"$T/rj3" | tr -d ' ')" "5"
check_status "complete files: the md5 tarball's update is there" 0 "$BPASS" show "$T/idx" $NODE $S 6

# --- tolerated: an update with an extra section is indexed, with a warning ---------------
mkdir -p "$T/w" "$T/m5"
{ cat "$SPEC/v5-seq1.txt"; printf '0 \n\n1 2 3\n'; } >"$T/x7"
sed -i "3s/^$NODE $S 1 1337104860\$/$NODE $S 7 1337105040/" "$T/x7"
gzip -c "$T/x7" >"$T/m5/$NODE-$S-7.gz"
(cd "$T/m5" && tar -cf "$T/w/${NODE}_2012-05-15_22-00-00.tar" "$NODE-$S-7.gz")
# ... and an empty tarball file (a copy just started) is rejected, to be read later.
: >"$T/w/${NODE}_2012-05-15_23-00-00.tar"
"$BPASS" index --quiet-period 0 --stats "$T/w" "$T/idx" >"$T/out5" 2>"$T/err5"
check_eq "warning: exit 0" "$?" "0"
check_grep "warning: the update is indexed, the empty file rejected" \
	"^indexed: tarballs 2 \(rejected 1, partial 0\), unchanged 0, changed 0, updates 1, rejected members 0, duplicates 0," "$T/out5"
check_grep "warning: counted" "warnings 1\$" "$T/out5"
check_grep "warning: names the tarball, member and line" \
	"warning: tarball \"${NODE}_2012-05-15_22-00-00.tar\" member \"$NODE-$S-7.gz\": ignored 1 extra section from line 30 on, beyond the layout of version 5" "$T/err5"
check_grep "empty file: rejected" "rejected tarball \"${NODE}_2012-05-15_23-00-00.tar\": empty file" "$T/err5"
check_status "warning: the update is there" 0 "$BPASS" show "$T/idx" $NODE $S 7
cp "$T/m5/$NODE-$S-7.gz" "$T/m5/$NODE-$S-8.gz"
(cd "$T/m5" && tar -cf "$T/w/${NODE}_2012-05-15_23-00-00.tar" "$NODE-$S-8.gz")
"$BPASS" index --quiet-period 0 "$T/w" "$T/idx" >"$T/out6" 2>"$T/err6"
check_grep "empty file filled in: read again, its member is a duplicate of seq 7" \
	"^indexed: tarballs 1 \(rejected 0, partial 0\), unchanged 1, changed 0, updates 0, rejected members 0, duplicates 1," "$T/out6"

# --- tarballs are read in name order, whatever order the folder lists them in -----------
# Six tarballs made out of order, each with one empty member: the rejections are
# reported as each tarball is read.
mkdir -p "$T/o" "$T/m4"
: >"$T/m4/empty.gz"
for h in 03 00 05 01 04 02; do
	(cd "$T/m4" && tar -cf "$T/o/${NODE}_2012-05-16_$h-00-00.tar" empty.gz)
done
"$BPASS" index --quiet-period 0 "$T/o" "$T/o.idx" >/dev/null 2>"$T/err4"
check_eq "name order: one rejection per tarball, in name order" \
	"$(sed -n 's/^.*rejected member "empty.gz" of tarball "\([^"]*\)": empty member$/\1/p' "$T/err4" | tr '\n' ' ')" \
	"$(for h in 00 01 02 03 04 05; do printf '%s ' "${NODE}_2012-05-16_$h-00-00.tar"; done)"
# --- a name whose fourth field is no md5 at all: the reference compares it anyway --------
mkdir -p "$T/n"
(cd "$T/m3" && tar -cf "$T/n/${NODE}_2012-05-17_00-00-00_0123.tar" c.gz)
"$BPASS" index --quiet-period 0 "$T/n" "$T/n.idx" >"$T/outn" 2>"$T/errn"
check_eq "bad md5 field: exit 0" "$?" "0"
check_grep "bad md5 field: the tarball is rejected" \
	"rejected tarball \"${NODE}_2012-05-17_00-00-00_0123.tar\": wrong md5: the name says 0123, the file's md5 is $sum" "$T/errn"
check_grep "bad md5 field: nothing indexed" "^indexed: tarballs 1 \(rejected 1, partial 0\),.* updates 0," "$T/outn"
done_testing
