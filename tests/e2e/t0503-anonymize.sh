#!/bin/sh
# tests/e2e/t0503-anonymize.sh: `bpass anonymize` (update-format.md §6.6) on a
# hand-built tarball: the node id is replaced by its md5 in the tarball name,
# the member names and every line before the signature, and nowhere else is
# anything changed; UNANONYMIZED and unreadable updates are left out; the copy
# is named <md5(node)>_<date>_<time>_<md5 of the copy>.tar; a second run skips
# it, and a rebuild after losing its record of what is done gives the very
# same file; a file that is not a tar is reported once and then skipped.
. "$TOP/tests/e2e/lib.sh"

NODE=OWC43DC78EE081
OTHER=OW204E7F000001
MD5=$(printf %s "$NODE" | md5sum | cut -d' ' -f1)
OTHER_MD5=$(printf %s "$OTHER" | md5sum | cut -d' ' -f1)
SIG=0123456789abcdef0123456789abcdef01234567
mkdir -p "$T/src" "$T/m"

# seq 0: version 5, pcap line, a whitelist.
printf '5\nUNKNOWN\n%s 1337104800512345 0 1337104830\n100 0 0\n\ngoogle.com\nfacebook.com\n\n%s\n\n1337104800600000 0\n0 60 7\n\n1337104800 1 0 0\n7 1 a1 1 b2 6 1000 80\n\n0 0\n\n\n0 256\n\n\n' \
	"$NODE" "$SIG" >"$T/m/$NODE-1337104800512345-0"
# seq 1: no whitelist (two empty lines in a row), a different node id inside.
printf '5\nUNKNOWN\n%s 1337104800512345 1 1337104860\n\n\n%s\n\n0 0\n\n1337104830 0 0 0\n\n0 0\n\n\n0 256\n\n\n' \
	"$OTHER" "$SIG" >"$T/m/$NODE-1337104800512345-1"
# The unversioned format: line 1 is "NODEID SESSION SEQ NOW".
printf '%s 1337104800512345 2 1337104890\n\n%s\n\n0 0\n\n0 0 0 0\n\n0 0\n\n\n0 256\n\n' \
	"$NODE" "$SIG" >"$T/m/$NODE-1337104800512345-2"
# UNANONYMIZED: left out.
printf '5\nUNKNOWN\n%s 99 0 1337104830\n\n\nUNANONYMIZED\n\n0 0\n\n0 0 0 0\n\n0 0\n\n\n0 256\n\n\n' \
	"$NODE" >"$T/m/$NODE-99-0"
for f in "$T"/m/*; do gzip -n "$f"; done
echo "plain text, not gzip" >"$T/m/$NODE-1337104800512345-3.gz"
(cd "$T/m" && tar -cf "$T/src/${NODE}_2012-05-15_18-00-00.tar" -- *.gz)
echo "not a tarball name" >"$T/src/README.tar"

check "anonymize runs" "$BPASS" anonymize "$T/src" "$T/dst"
ls "$T/dst" >"$T/names"
out=$(cat "$T/names")
check_eq "one copy" "$(wc -l <"$T/names")" "1"
check_grep "named <md5(node)>_<date>_<time>_<md5>.tar" \
	"^${MD5}_2012-05-15_18-00-00_[0-9a-f]{32}\.tar$" "$T/names"
check_eq "the md5 in the name is the copy's" "$(md5sum <"$T/dst/$out" | cut -d' ' -f1)" \
	"$(echo "$out" | sed 's/.*_\([0-9a-f]*\)\.tar$/\1/')"

mkdir -p "$T/x"
tar -xf "$T/dst/$out" -C "$T/x"
check_eq "members: the three readable anonymized updates" "$(ls "$T/x" | sort)" \
	"$(printf '%s\n' "$MD5-1337104800512345-0.gz" "$MD5-1337104800512345-1.gz" "$MD5-1337104800512345-2.gz")"
for f in "$T"/x/*.gz; do gunzip "$f"; done
check_eq "no clear node id in names or content" \
	"$(grep -rl -e "$NODE" -e "$OTHER" "$T/x" | wc -l)$(ls "$T/x" | grep -c -e "$NODE")" "00"
check_eq "seq 0: intro line 3 carries the md5" "$(sed -n 3p "$T/x/$MD5-1337104800512345-0")" \
	"$MD5 1337104800512345 0 1337104830"
check_eq "seq 1: a foreign node id gets its own md5" "$(sed -n 3p "$T/x/$MD5-1337104800512345-1")" \
	"$OTHER_MD5 1337104800512345 1 1337104860"
check_eq "unversioned: line 1 carries the md5" "$(sed -n 1p "$T/x/$MD5-1337104800512345-2")" \
	"$MD5 1337104800512345 2 1337104890"
for s in 0 1 2; do
	gunzip -c "$T/m/$NODE-1337104800512345-$s.gz" >"$T/orig"
	sed -e "s/$OTHER_MD5/$OTHER/g" -e "s/$MD5/$NODE/g" "$T/x/$MD5-1337104800512345-$s" >"$T/back"
	check "seq $s: nothing else changed" cmp "$T/orig" "$T/back"
done

"$BPASS" anonymize "$T/src" "$T/dst" >"$T/again" 2>&1
check_grep "a second run skips the copied tarball" "1 already done" "$T/again"
check_eq "and writes nothing new" "$(ls "$T/dst")" "$out"
check "the record of what is done exists" rm "$T/dst/.anonymize-done"
"$BPASS" anonymize "$T/src" "$T/dst" >"$T/rebuild" 2>&1
check_grep "a rebuild without that record" "anonymized 1 tarball" "$T/rebuild"
check_eq "gives the very same file" "$(ls "$T/dst")" "$out"

: >"$T/src/${NODE}_2012-05-16_00-00-00.tar"
check_status "an empty tarball is reported" 1 "$BPASS" anonymize "$T/src" "$T/dst"
check_status "and not retried every run" 0 "$BPASS" anonymize "$T/src" "$T/dst"
check_eq "it gives no copy" "$(ls "$T/dst")" "$out"

check_status "no arguments is a usage error" 2 "$BPASS" anonymize
check_status "a missing source folder fails" 1 "$BPASS" anonymize "$T/nonexistent" "$T/dst"
done_testing
