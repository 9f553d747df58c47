#!/bin/sh
# tests/e2e/t0300-generate.sh: `bpass generate` writes tarballs of gzipped
# updates as the real pipeline did: byte-identical for a seed, different for
# another seed, NODEID-SESSION-SEQ.gz members that gunzip, md5 name fields
# that verify, the requested number of updates (plus re-uploads), every
# format version with its quirks, a working packet cap, deliberately broken
# items listed by --broken, and members that `bpass parse` accepts.
. "$TOP/tests/e2e/lib.sh"

# Prints the number after FIELD ("tarballs", "re-uploads", "broken members")
# in the summary line of file $1.
field() { sed -n "s/.*[:,] $2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }

# Decompresses every member of the tarballs in folder $1 into one text file $2
# (gzip -d reads concatenated members).
all_text() {
	for tb in "$1"/*.tar; do tar -xOf "$tb"; done | gzip -dc >"$2"
}

# --- usage ---------------------------------------------------------------
check_status "--help exits 0" 0 "$BPASS" generate --help
"$BPASS" generate --help >"$T/help" 2>&1
check_grep "--help prints the usage" "^usage: bpass generate OUT_DIR" "$T/help"
check_status "no OUT_DIR is a usage error" 2 "$BPASS" generate
check_status "unknown option is a usage error" 2 "$BPASS" generate "$T/x" --bogus
check_status "--max-packets 0 is a usage error" 2 "$BPASS" generate "$T/x" --max-packets 0
check_status "--start must be a date" 2 "$BPASS" generate "$T/x" --start 2012-02-30
: >"$T/file"
check_status "OUT_DIR that is a file fails" 1 "$BPASS" generate "$T/file/sub"

# --- determinism -----------------------------------------------------------
check "generate A (seed 5)" sh -c "'$BPASS' generate '$T/a' --seed 5 --updates 300 --nodes 3 >'$T/sum_a'"
check "generate B (seed 5 again)" sh -c "'$BPASS' generate '$T/b' --seed 5 --updates 300 --nodes 3 >'$T/sum_b'"
check "generate C (seed 6)" sh -c "'$BPASS' generate '$T/c' --seed 6 --updates 300 --nodes 3 >'$T/sum_c'"
check_grep "summary line" "^generated: tarballs [0-9]+, updates 300, re-uploads [0-9]+, .*nodes 3, sessions [0-9]+, bytes [0-9]+, seconds " "$T/sum_a"
ls "$T/a" >"$T/ls_a"
ls "$T/b" >"$T/ls_b"
check "same seed: same tarball names" cmp "$T/ls_a" "$T/ls_b"
check "same seed: byte-identical tarballs" diff -r "$T/a" "$T/b"
check_eq "tarball count matches the summary" "$(wc -l <"$T/ls_a" | tr -d ' ')" "$(field "$T/sum_a" tarballs)"
if diff -r "$T/a" "$T/c" >/dev/null 2>&1; then not_ok "different seed: different tarballs"; else ok "different seed: different tarballs"; fi

# --- names, members, gzip, md5 ----------------------------------------------
bad_names=$(grep -cvE '^OW[0-9A-F]{12}_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}(_[0-9a-f]{32})?\.tar$' "$T/ls_a")
check_eq "tarball names NODEID_YYYY-MM-DD_HH-MM-SS[_MD5].tar" "$bad_names" "0"
members=0
bad_members=0
bad_gzip=0
mkdir -p "$T/ex"
for f in $(cat "$T/ls_a"); do
	d="$T/ex/${f%.tar}"
	mkdir -p "$d"
	tar -xf "$T/a/$f" -C "$d" || bad_members=$((bad_members + 1))
	node=${f%%_*}
	tar -tf "$T/a/$f" >"$T/list"
	members=$((members + $(wc -l <"$T/list")))
	bad_members=$((bad_members + $(grep -cvE "^$node-[0-9]+-[0-9]+\.gz\$" "$T/list")))
	(cd "$d" && gzip -t *) 2>/dev/null || bad_gzip=$((bad_gzip + 1))
done
check_eq "tar tf lists bare NODEID-SESSION-SEQ.gz members" "$bad_members" "0"
check_eq "gzip -t passes on every member" "$bad_gzip" "0"
reup=$(field "$T/sum_a" re-uploads)
check_eq "members minus re-uploads = --updates" "$((members - reup))" "300"
md5_named=0
md5_bad=0
for f in $(grep -E '_[0-9a-f]{32}\.tar$' "$T/ls_a"); do
	md5_named=$((md5_named + 1))
	want=${f%.tar}
	want=${want##*_}
	got=$(md5sum "$T/a/$f" | cut -d' ' -f1)
	[ "$got" = "$want" ] || md5_bad=$((md5_bad + 1))
done
if [ "$md5_named" -gt 0 ]; then ok "some tarballs carry an md5 ($md5_named)"; else not_ok "some tarballs carry an md5"; fi
check_eq "md5 fields verify with md5sum" "$md5_bad" "0"
tar -tvf "$T/a/$(head -1 "$T/ls_a")" >"$T/tv"
check_grep "fixed owner in tar headers" "bismark/bismark-passive" "$T/tv"

# --- content: versions and quirks over a larger dataset ----------------------
check "generate D (3000 updates)" sh -c "'$BPASS' generate '$T/d' --seed 11 --updates 3000 --nodes 4 >'$T/sum_d'"
all_text "$T/d" "$T/d.txt"
# The version is the line two above each intro line NODEID SESSION SEQ NOW.
awk '/^OW[0-9A-F]+ -?[0-9]+ [0-9]+ [0-9]+$/ { n[p2]++ } { p2 = p1; p1 = $0 }
	END { for (v = 1; v <= 5; v++) print v, n[v] + 0 }' "$T/d.txt" >"$T/versions"
while read -r v n; do
	if [ "$n" -gt 0 ]; then ok "version $v present ($n updates)"; else not_ok "version $v present"; fi
done <"$T/versions"
check_grep "UNANONYMIZED updates present" "^UNANONYMIZED$" "$T/d.txt"
check_grep "6-field legacy CNAME lines" "^[0-9]+ [0-9]+ [01] [^ ]+ [^ ]+ -?[0-9]+$" "$T/d.txt"
check_grep "clear whitelisted endpoints (flag 0)" "^[0-9]+ [01] [0-9a-f]+ 0 [0-9a-f]{1,8} [0-9]+ [0-9]+ [0-9]+$" "$T/d.txt"
check_grep "HTTP URL lines with a trailing space" "^[0-9]+ 0 [0-9a-f]{40} $" "$T/d.txt"
check_grep "negative packet deltas" "^-[0-9]+ [0-9]+ -?[0-9]+$" "$T/d.txt"
check_grep "packets with flow id -1" "^[0-9]+ [0-9]+ -1$" "$T/d.txt"
check_grep "whitelist at seq 0" "^google.com$" "$T/d.txt"
check_grep "negative DNS TTLs" "^[0-9]+ [0-9]+ [01] [^ ]+ [0-9a-f]+ -[0-9]+$" "$T/d.txt"
# Sessions without update 0, sequence gaps, re-uploads (from the intro lines).
awk '/^OW[0-9A-F]+ -?[0-9]+ [0-9]+ [0-9]+$/ {
		k = $1 " " $2; if (seen[k " " $3]++) dup++
		if (!(k in min) || $3 + 0 < min[k]) min[k] = $3 + 0
		if (!(k in max) || $3 + 0 > max[k]) max[k] = $3 + 0
		if (seen[k " " $3] == 1) cnt[k]++ }
	END { for (k in min) { if (min[k] > 0) nozero++; if (max[k] - min[k] + 1 > cnt[k]) gaps++ }
		print nozero + 0, gaps + 0, dup + 0 }' "$T/d.txt" >"$T/seqs"
read -r nozero gaps dups <"$T/seqs"
if [ "$nozero" -gt 0 ]; then ok "sessions without update 0 ($nozero)"; else not_ok "sessions without update 0"; fi
if [ "$gaps" -gt 0 ]; then ok "sessions with sequence gaps ($gaps)"; else not_ok "sessions with sequence gaps"; fi
check_eq "re-uploaded updates appear twice" "$dups" "$(field "$T/sum_d" re-uploads)"

# --- the packet cap ------------------------------------------------------------
check "generate E (--max-packets 40)" sh -c "'$BPASS' generate '$T/e' --seed 3 --updates 200 --nodes 2 --max-packets 40 >'$T/sum_e'"
all_text "$T/e" "$T/e.txt"
awk '
	/^OW[0-9A-F]+ -?[0-9]+ [0-9]+ [0-9]+$/ { sec = 0; n = 0; next }
	/^$/ { if (sec == 3 && n > max) max = n; sec++; n = 0; next }
	sec == 3 { if (n == 0 && $2 > 0) dropped++; n++ }
	END { print max - 1, dropped + 0 }' "$T/e.txt" >"$T/cap"
read -r maxp dropped <"$T/cap"
check_eq "no update has more than 40 packet lines" "$([ "$maxp" -le 40 ] && echo yes)" "yes"
if [ "$dropped" -gt 0 ]; then ok "overflowing updates count dropped packets"; else not_ok "overflowing updates count dropped packets"; fi

# --- --broken ------------------------------------------------------------------
check "generate F (--broken)" sh -c "'$BPASS' generate '$T/f' --seed 5 --updates 300 --nodes 3 --broken >'$T/sum_f'"
for kind in not-gzip empty-member truncated-gzip malformed-line pre-version wrong-md5 truncated-tarball empty-tarball; do
	check_eq "--broken lists $kind once" "$(grep -c "^broken $kind " "$T/sum_f")" "1"
done
line() { grep "^broken $1 " "$T/sum_f" | head -1; }
set -- $(line not-gzip)
tar -xOf "$T/f/$3" "$4" >"$T/m1" 2>/dev/null
if [ -s "$T/m1" ] && ! gzip -t <"$T/m1" 2>/dev/null; then ok "not-gzip member is not gzip"; else not_ok "not-gzip member is not gzip"; fi
set -- $(line empty-member)
tar -tvf "$T/f/$3" >"$T/tv2"
check_grep "empty member has 0 bytes" " 0 [0-9-]+ [0-9:]+ $4\$" "$T/tv2"
set -- $(line truncated-gzip)
tar -xOf "$T/f/$3" "$4" >"$T/m3" 2>/dev/null
if [ -s "$T/m3" ] && ! gzip -t <"$T/m3" 2>/dev/null; then ok "truncated gzip member fails gzip -t"; else not_ok "truncated gzip member fails gzip -t"; fi
set -- $(line malformed-line)
tar -xOf "$T/f/$3" "$4" | gzip -dc >"$T/m4"
check_eq "malformed member has one 5-field line" "$(awk 'NF == 5' "$T/m4" | wc -l | tr -d ' ')" "1"
set -- $(line pre-version)
tar -xOf "$T/f/$3" "$4" | gzip -dc >"$T/m5"
check_grep "pre-version member starts with the node id" "^OW[0-9A-F]{12} " "$T/m5"
check_eq "pre-version member has no version line" "$(head -1 "$T/m5" | grep -c '^[0-9]*$')" "0"
set -- $(line wrong-md5)
want=${3%.tar}
want=${want##*_}
check "wrong-md5 tarball exists" test -s "$T/f/$3"
if [ "$(md5sum "$T/f/$3" | cut -d' ' -f1)" != "$want" ]; then ok "wrong-md5 name does not verify"; else not_ok "wrong-md5 name does not verify"; fi
set -- $(line truncated-tarball)
if tar -tf "$T/f/$3" >/dev/null 2>&1; then not_ok "truncated tarball fails tar tf"; else ok "truncated tarball fails tar tf"; fi
set -- $(line empty-tarball)
check_eq "empty tarball has 0 bytes" "$(wc -c <"$T/f/$3" | tr -d ' ')" "0"
# Members of the good tarballs = updates + re-uploads + broken members.
grep -E '^broken (wrong-md5|truncated-tarball|empty-tarball) ' "$T/sum_f" | cut -d' ' -f3 >"$T/badtars"
fm=0
for f in $(ls "$T/f"); do
	grep -qx "$f" "$T/badtars" && continue
	fm=$((fm + $(tar -tf "$T/f/$f" | wc -l)))
done
check_eq "broken dataset: members = updates + re-uploads + broken members" "$fm" \
	"$((300 + $(field "$T/sum_f" re-uploads) + $(field "$T/sum_f" "broken members")))"

# --- bpass parse accepts every member of a well-formed dataset --------------------
"$BPASS" parse "$(find "$T/ex" -name '*.gz' | head -1)" >"$T/p1" 2>&1
if grep -q "not built yet" "$T/p1"; then
	ok "# skip bpass parse is not built yet"
elif "$BPASS" parse $(find "$T/ex" -name '*.gz') >/dev/null 2>"$T/perr"; then
	ok "bpass parse accepts every member (one call)"
else
	# One file at a time, to name the members that fail.
	nparsed=0
	nfailed=0
	for m in $(find "$T/ex" -name '*.gz'); do
		if "$BPASS" parse "$m" >/dev/null 2>"$T/perr"; then
			nparsed=$((nparsed + 1))
		else
			nfailed=$((nfailed + 1))
			[ "$nfailed" -le 3 ] && sed "s|^|# $m: |" "$T/perr" | head -3
		fi
	done
	check_eq "bpass parse accepts every member ($nparsed parsed)" "$nfailed" "0"
fi

done_testing
