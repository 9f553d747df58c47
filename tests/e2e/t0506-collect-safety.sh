#!/bin/sh
# tests/e2e/t0506-collect-safety.sh: `bpass collect` never acts outside its
# folders, and one bad upload costs only itself: a node folder or an update
# that is a symbolic link is skipped and reported, never followed (not even
# when finishing an interrupted run); an update whose name is not valid
# UTF-8 is reported with its name escaped and skipped, and the rest of its
# node folder is collected (a valid UTF-8 name that is not ASCII is fine); a
# file still being written is left for a later run (--quiet-period), never
# taken truncated; a full disk is reported once, with its real reason, and
# leaves every upload in place (on a small tmpfs when one can be mounted,
# else under a file size limit, else skipped).
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
		[ -f "$tb" ] && tar -tf "$tb" 2>/dev/null
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
"$BPASS" collect --quiet-period 0 "$T/up" "$T/upd" >"$T/out1" 2>&1
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
	"$BPASS" collect --quiet-period 0 "$T/up" "$T/upd"
mv "$T/up/$C" "$T/elsewhere"
ln -s "$T/elsewhere" "$T/up/$C"
"$BPASS" collect --quiet-period 0 "$T/up" "$T/upd" >"$T/out2" 2>&1
check_eq "swap: the files behind the link stay" "$(ls "$T/elsewhere" | wc -l)" "2"
check_grep "swap: reported" "node folder \"$C\" is a symbolic link" "$T/out2"
check_eq "swap: the journal is gone" "$(find "$T/upd" -name '*.journal' | wc -l)" "0"

# ---- File names ----
rm -rf "$T/up" "$T/upd"
upload "$T/up/$A" "$A" 0
bad=$(printf 'bad\377name.gz')
echo "not utf-8" >"$T/up/$A/$bad"
echo "utf-8" >"$T/up/$A/café.gz"
mkdir -p "$T/up/$(printf 'OW\377')"
"$BPASS" collect --quiet-period 0 "$T/up" "$T/upd" >"$T/out3" 2>&1
check_eq "names: exit 0 (reported, not failed)" "$?" "0"
check_eq "names: the rest of the node folder is collected" "$(members)" \
	"$(printf '%s\n' "$A-1-0.gz" "café.gz" | sort)"
check_grep "names: the bad name is reported, escaped" \
	"skipped upload \"$T/up/$A/bad\\\\xffname.gz\": its name is not valid UTF-8" "$T/out3"
check_grep "names: a bad folder name is escaped too" \
	"skipped upload folder \"OW\\\\xff\": not a usable node id" "$T/out3"
check "names: the file with the bad name is left in place" test -f "$T/up/$A/$bad"
tar -tf "$T"/upd/*.tar >/dev/null 2>"$T/tar.err"
check_eq "names: the UTF-8 name is a plain pax path record (tar reads it without a word)" \
	"$(cat "$T/tar.err")" ""
upload "$T/up/$A" "$A" 1
"$BPASS" collect --quiet-period 0 "$T/up" "$T/upd" >"$T/out4" 2>&1
check_eq "names: the next run exits 0" "$?" "0"
check_grep "names: the next run collects the new upload" "collected 1 update of node \"$A\"" "$T/out4"

# ---- Files still being written ----
rm -rf "$T/up" "$T/upd"
mkdir -p "$T/up/$A"
f="$T/up/$A/$A-1-5.gz"
# A slow upload: a line every 0.2 s for 3 s.
(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do echo "line $i" >>"$f"; sleep 0.2; done) &
writer=$!
sleep 0.5
"$BPASS" collect "$T/up" "$T/upd" >"$T/out5" 2>&1
check_eq "growing: exit 0" "$?" "0"
check "growing: the file being written is not taken" test -f "$f"
check_eq "growing: no tarball" "$(members)" ""
check_grep "growing: said so" "left 1 update of node \"$A\" for a later run" "$T/out5"
"$BPASS" collect --quiet-period 1 "$T/up" "$T/upd" >"$T/out6" 2>&1
check "growing: not taken with a 1 s quiet period either" test -f "$f"
wait $writer
sleep 1.2
"$BPASS" collect --quiet-period 1 "$T/up" "$T/upd" >"$T/out7" 2>&1
check_eq "quiet for 1 s: collected" "$(members)" "$A-1-5.gz"
check_eq "quiet for 1 s: the whole file" "$(cat "$T"/upd/*.tar | tar -xOf - "$A-1-5.gz" | wc -l)" "15"
upload "$T/up/$A" "$A" 6
check "quiet period 0: taken at once" "$BPASS" collect --quiet-period 0 "$T/up" "$T/upd"
check_eq "quiet period 0: no upload left" "$(ls "$T/up/$A" | wc -l)" "0"
check_status "a bad quiet period is a usage error" 2 "$BPASS" collect --quiet-period soon "$T/up" "$T/upd"

# ---- A full disk ----
rm -rf "$T/up" "$T/upd"
mkdir -p "$T/up/$A" "$T/up/$B" "$T/full"
head -c 400000 /dev/urandom >"$T/up/$A/$A-1-0.gz"
upload "$T/up/$B" "$B" 0
full_reason=""
if mount -t tmpfs -o size=256k bpass-e2e-full "$T/full" 2>/dev/null; then
	trap 'umount "$T/full" 2>/dev/null; rm -rf "$T"' EXIT
	full_reason="No space left on device"
	"$BPASS" collect --quiet-period 0 "$T/up" "$T/full" >"$T/out8" 2>&1
	full_rc=$?
elif (trap '' XFSZ; ulimit -f 200) 2>/dev/null; then
	full_reason="File too large"
	(trap '' XFSZ; ulimit -f 200; exec "$BPASS" collect --quiet-period 0 "$T/up" "$T/full") \
		>"$T/out8" 2>&1
	full_rc=$?
fi
if [ -n "$full_reason" ]; then
	check_eq "full disk: exit 1" "$full_rc" "1"
	check_grep "full disk: the real error, naming the file and the tarball" \
		"could not write \"$A-1-0.gz\" into tarball \"$T/full/\.${A}_[0-9_-]+\.tar\.tmp\": $full_reason" "$T/out8"
	check_eq "full disk: reported once" "$(grep -c "$full_reason" "$T/out8")" "1"
	check_eq "full disk: no bare \"Write error\"" "$(grep -c 'Write error' "$T/out8")" "0"
	check_eq "full disk: no \"nothing to collect\"" "$(grep -c 'nothing to collect' "$T/out8")" "0"
	check_eq "full disk: every upload stays" "$(find "$T/up" -name '*.gz' | wc -l)" "2"
	check_eq "full disk: no temporary file left" "$(find "$T/full" -name '*.tmp' | wc -l)" "0"
	umount "$T/full" 2>/dev/null
else
	for i in 1 2 3 4 5 6 7; do ok "# skip no tmpfs and no file size limit here"; done
fi

done_testing
