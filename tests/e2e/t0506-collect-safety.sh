#!/bin/sh
# tests/e2e/t0506-collect-safety.sh: `bpass collect` never acts outside its
# folders, and one bad upload costs only itself: a node folder or an update
# that is a symbolic link is skipped and reported, never followed (not even
# when finishing an interrupted run).
. "$TOP/tests/e2e/lib.sh"

A=OWAAAAAAAAAAAA
B=OWBBBBBBBBBBBB
C=OWCCCCCCCCCCCC

# upload DIR NODE SEQ: one gzipped update file.
upload() {
	mkdir -p "$1"
	printf '5\nUNKNOWN\n%s 1 %s 2\n\n' "$2" "$3" | gzip -n >"$1/$2-1-$3.gz"
}
# members: the member names of every tarball in $T/upd, sorted.
members() {
	for tb in "$T"/upd/*.tar; do
		[ -f "$tb" ] && tar -tf "$tb"
	done | sort
}

# ---- Symbolic links ----
# Node B's folder is a link to a folder elsewhere: collect must neither read
# nor delete the files there. Node A holds a link to a file elsewhere.
upload "$T/up/$A" "$A" 0
upload "$T/elsewhere" "$B" 0
upload "$T/elsewhere" "$B" 1
ln -s "$T/elsewhere" "$T/up/$B"
upload "$T/secret" "$A" 9
ln -s "$T/secret/$A-1-9.gz" "$T/up/$A/$A-1-9.gz"
"$BPASS" collect "$T/up" "$T/upd" >"$T/out1" 2>&1
check_eq "links: exit 0 (reported, not failed)" "$?" "0"
check_eq "links: the files behind a linked node folder stay" "$(ls "$T/elsewhere" | wc -l)" "2"
check_eq "links: the file behind a linked update stays" "$(ls "$T/secret")" "$A-1-9.gz"
check_eq "links: only node A's own update is collected" "$(members)" "$A-1-0.gz"
check_grep "links: the linked node folder is reported" \
	"skipped upload folder \"$B\": it is a symbolic link" "$T/out1"
check_grep "links: the linked update is reported" \
	"skipped upload \"$T/up/$A/$A-1-9.gz\": it is a symbolic link" "$T/out1"
check "links: the linked update itself is left in place" test -L "$T/up/$A/$A-1-9.gz"

# A crash after the tarball got its name, then the node folder is swapped for
# a link to a folder holding files of the same names and sizes: finishing
# the interrupted run must not delete them.
rm -rf "$T/up" "$T/upd" "$T/elsewhere"
upload "$T/up/$C" "$C" 0
upload "$T/up/$C" "$C" 1
check_status "swap: crash once the tarball is named" 99 env BPASS_COLLECT_CRASH_AT=rename \
	"$BPASS" collect "$T/up" "$T/upd"
mv "$T/up/$C" "$T/elsewhere"
ln -s "$T/elsewhere" "$T/up/$C"
"$BPASS" collect "$T/up" "$T/upd" >"$T/out2" 2>&1
check_eq "swap: the files behind the link stay" "$(ls "$T/elsewhere" | wc -l)" "2"
check_grep "swap: reported" "node folder \"$C\" is a symbolic link" "$T/out2"
check_eq "swap: the journal is gone" "$(find "$T/upd" -name '*.journal' | wc -l)" "0"

done_testing
