#!/bin/sh
# tests/e2e/t0502-collect.sh: `bpass collect` moves uploads into one tarball
# per node, crash-safely. For every crash point (BPASS_COLLECT_CRASH_AT) the
# command dies there, a second run finishes, and then every update is in
# exactly one tarball with its exact bytes, no upload is left, and no
# temporary tarball or journal remains. Existing tarball names are never
# overwritten, and a re-upload of a different size after a crash is kept.
. "$TOP/tests/e2e/lib.sh"

NODES="OWAAAAAAAAAAAA OWBBBBBBBBBBBB"

# Four updates per node with distinct bytes; $T/expected lists "name md5".
make_uploads() {
	rm -rf "$T/up" "$T/upd"
	: >"$T/expected"
	for n in $NODES; do
		mkdir -p "$T/up/$n"
		for s in 0 1 2 3; do
			f="$T/up/$n/$n-1337104800512345-$s.gz"
			printf '5\nUNKNOWN\n%s 1337104800512345 %s 1337104830\n\n' "$n" "$s" | gzip -n >"$f"
			echo "$n-1337104800512345-$s.gz $(md5sum <"$f" | cut -d' ' -f1)" >>"$T/expected"
		done
	done
	sort -o "$T/expected" "$T/expected"
}

# Extracts every tarball into its own folder; prints "name md5" of all members.
members() {
	rm -rf "$T/x"
	mkdir -p "$T/x"
	for tb in "$T"/upd/*.tar; do
		[ -f "$tb" ] || continue
		d="$T/x/$(basename "$tb")"
		mkdir -p "$d"
		tar -xf "$tb" -C "$d" || echo "BROKEN $tb"
		for f in "$d"/*; do
			[ -f "$f" ] && echo "$(basename "$f") $(md5sum <"$f" | cut -d' ' -f1)"
		done
	done | sort
}

check_clean() { # $1 = label
	check_eq "$1: every update in exactly one tarball, bytes intact" "$(members)" "$(cat "$T/expected")"
	check_eq "$1: no upload left" "$(find "$T/up" -name '*.gz' | wc -l)" "0"
	check_eq "$1: no temporary tarball or journal left" \
		"$(find "$T/upd" -name '*.tmp' -o -name '*.journal' | wc -l)" "0"
	check_eq "$1: tarball names are NODEID_YYYY-MM-DD_HH-MM-SS.tar" \
		"$(ls "$T/upd" | grep -cvE '^OW[A-Z]{12}_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}\.tar$')" "0"
}

# Plain run.
make_uploads
echo "notes" >"$T/up/OWAAAAAAAAAAAA/README.txt"
check "collect runs" "$BPASS" collect --quiet-period 0 "$T/up" "$T/upd"
check_eq "one tarball per node" "$(ls "$T/upd" | wc -l)" "2"
check_clean "plain"
check_eq "files that are not *.gz stay" "$(ls "$T/up/OWAAAAAAAAAAAA")" "README.txt"
check_eq "ASCII member names get plain ustar headers, no pax header" \
	"$(cat "$T"/upd/*.tar | grep -a -c PaxHeader)" "0"
"$BPASS" collect --quiet-period 0 "$T/up" "$T/upd" >"$T/again" 2>&1
check_grep "a second run has nothing to collect" "nothing to collect" "$T/again"
check_eq "and writes no tarball" "$(ls "$T/upd" | wc -l)" "2"

# A crash at every step, then a normal run.
for step in member tmp journal rename unlink done; do
	make_uploads
	check_status "crash at $step exits 99" 99 env BPASS_COLLECT_CRASH_AT=$step \
		"$BPASS" collect --quiet-period 0 "$T/up" "$T/upd"
	if [ "$step" = member ] || [ "$step" = tmp ] || [ "$step" = journal ]; then
		check_eq "crash at $step: no tarball under a real name yet" \
			"$(ls "$T/upd" | grep -c '\.tar$')" "0"
	fi
	check "run after a crash at $step" "$BPASS" collect --quiet-period 0 "$T/up" "$T/upd"
	check_clean "after a crash at $step"
done

# After a crash once the tarball is named, a re-upload of one of its files
# with other bytes is not deleted as "already collected": it is collected anew.
make_uploads
check_status "crash at rename" 99 env BPASS_COLLECT_CRASH_AT=rename "$BPASS" collect --quiet-period 0 "$T/up" "$T/upd"
f="$T/up/OWAAAAAAAAAAAA/OWAAAAAAAAAAAA-1337104800512345-2.gz"
printf '5\nUNKNOWN\nOWAAAAAAAAAAAA 1337104800512345 2 1337104830\n\nmore\n' | gzip -n >"$f"
new_md5=$(md5sum <"$f" | cut -d' ' -f1)
check "run after the re-upload" "$BPASS" collect --quiet-period 0 "$T/up" "$T/upd"
check_eq "the re-upload is in a tarball too" \
	"$(members | grep -c "OWAAAAAAAAAAAA-1337104800512345-2.gz $new_md5")" "1"
check_eq "no upload left after the re-upload" "$(find "$T/up" -name '*.gz' | wc -l)" "0"

# Names already taken (the next few seconds) are never overwritten.
make_uploads
mkdir -p "$T/upd"
now=$(date -u +%s)
for i in 0 1 2 3 4 5; do
	name="OWAAAAAAAAAAAA_$(date -u -d "@$((now + i))" +%Y-%m-%d_%H-%M-%S).tar"
	echo "not a tarball $i" >"$T/upd/$name"
done
before=$(cat "$T"/upd/*.tar | md5sum)
check "collect next to taken names" "$BPASS" collect --quiet-period 0 "$T/up" "$T/upd"
after=$(for i in 0 1 2 3 4 5; do cat "$T/upd/OWAAAAAAAAAAAA_$(date -u -d "@$((now + i))" +%Y-%m-%d_%H-%M-%S).tar"; done | md5sum)
check_eq "taken names keep their contents" "$after" "$before"
check_eq "a new tarball for node A besides them" "$(ls "$T/upd" | grep -c '^OWAAAAAAAAAAAA_')" "7"

# Usage.
check_status "no arguments is a usage error" 2 "$BPASS" collect
check_status "a missing uploads folder fails" 1 "$BPASS" collect --quiet-period 0 "$T/nonexistent" "$T/upd"
"$BPASS" collect --help >"$T/help"
check_grep "--help prints the usage" "usage: bpass collect" "$T/help"
done_testing
