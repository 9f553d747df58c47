#!/bin/sh
# tests/e2e/t0206-index-escapes.sh: names that would act on a terminal reach
# it escaped. A tarball name with an ESC sequence, a member name with an
# OSC sequence, a BEL and a newline, a node id with ESC, and a member name
# that is not UTF-8 are printed as \e, \x07, \n, \xff (common/escape.h) by
# bpass index, rejects, sessions, show and parse: no raw control byte, and
# one line per message.
. "$TOP/tests/e2e/lib.sh"

SPEC="$TOP/tests/fixtures/spec"
NODE=OW0123456789AB
S=1337104800512345
ESC=$(printf '\033')
BEL=$(printf '\007')
mkdir -p "$T/u" "$T/m"

# no_raw FILE: FILE holds no ESC, BEL or other control byte but newline and tab.
no_raw() { ! LC_ALL=C tr -d '\n\t' <"$1" | LC_ALL=C grep -aq '[[:cntrl:]]'; }

evil=$(printf 'evil\033]0;pwned\007\nx.gz')
cp "$SPEC/v5-seq1.txt" "$T/m/$evil"                     # not gzip: rejected by name
latin=$(printf 'caf\351.gz')                             # Latin-1, not UTF-8
: >"$T/m/$latin"                                         # empty: rejected
sed "3s/^$NODE /OW${ESC}[2JX /" "$SPEC/v5-seq0.txt" | gzip -c >"$T/m/node.gz"
TB=$(printf '%s_2012-05-15_18-00-00\033[2J.tar' $NODE)
(cd "$T/m" && tar -cf "$T/u/$TB" node.gz "$evil" "$latin")

"$BPASS" index "$T/u" "$T/idx" >"$T/out" 2>"$T/err"
check_eq "index: exit 0" "$?" "0"
check_grep "index: the update is indexed, two members rejected" \
	"^indexed: tarballs 1 \(rejected 0, partial 0\),.* updates 1, rejected members 2," "$T/out"
check "index: no raw control byte on stderr" no_raw "$T/err"
check_eq "index: one line per rejection" "$(wc -l <"$T/err" | tr -d ' ')" "2"
check_grep "index: the member name escaped" \
	'rejected member "evil\\e\]0;pwned\\x07\\nx\.gz" of tarball "OW0123456789AB_2012-05-15_18-00-00\\e\[2J\.tar": not gzip' "$T/err"
check_grep "index: a name that is not UTF-8 escaped" \
	'rejected member "caf\\xe9\.gz" of tarball ".*": empty member' "$T/err"

"$BPASS" rejects "$T/idx" >"$T/rj" 2>&1
check_eq "rejects: exit 0" "$?" "0"
check "rejects: no raw control byte" no_raw "$T/rj"
check_grep "rejects: the member escaped" 'evil\\e\]0;pwned\\x07\\nx\.gz' "$T/rj"
"$BPASS" rejects --csv "$T/idx" >"$T/rjc" 2>&1
check "rejects --csv: no raw control byte" no_raw "$T/rjc"
check_eq "rejects --csv: a header and 2 rows" "$(wc -l <"$T/rjc" | tr -d ' ')" "3"

"$BPASS" sessions "$T/idx" >"$T/ss" 2>&1
check "sessions: no raw control byte" no_raw "$T/ss"
check_grep "sessions: the node id escaped" '^OW\\e\[2JX ' "$T/ss"

check_status "show: an unknown node fails" 1 "$BPASS" show "$T/idx" "OW${ESC}]0;x${BEL}" $S 0
cp "$T/.out" "$T/sh"
check "show: its message is escaped" no_raw "$T/sh"
check_grep "show: names the node escaped" 'node "OW\\e\]0;x\\x07"' "$T/sh"

"$BPASS" parse "$T/m/$evil" >"$T/po" 2>"$T/pe"
check_eq "parse: exit 0" "$?" "0"
check "parse: the summary has no raw control byte" no_raw "$T/po"
check_grep "parse: the file name escaped in the summary" 'evil\\e\]0;pwned\\x07\\nx\.gz: node OW0123456789AB ' "$T/po"
check_status "parse: a missing file named with ESC fails" 1 "$BPASS" parse "$T/m/no${ESC}[2J.gz"
cp "$T/.out" "$T/pm"
check "parse: its message is escaped" no_raw "$T/pm"
check_grep "parse: names the file escaped" 'could not open ".*no\\e\[2J\.gz"' "$T/pm"
sed "3s/^$NODE /OW${ESC}[2JX /" "$SPEC/v5-seq1.txt" >"$T/m/n.txt"
"$BPASS" parse "$T/m/n.txt" >"$T/po2" 2>&1
check "parse: a node id with ESC is escaped in the summary" no_raw "$T/po2"
done_testing
