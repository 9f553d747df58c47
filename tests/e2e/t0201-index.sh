#!/bin/sh
# tests/e2e/t0201-index.sh: `bpass index` on tarballs made with tar and gzip
# from the update-format.md §13 examples: the sessions listed (text and CSV,
# worked out by hand from the examples), `show` printing each update exactly
# as the original file, JSON, a re-run that reads nothing, .tar.gz tarballs,
# files that are not tarballs (dot files included), and the usage and exit
# statuses of index, sessions, rejects and show.
. "$TOP/tests/e2e/lib.sh"

SPEC="$TOP/tests/fixtures/spec"
NODE=OW0123456789AB
CTX=d8ed5acebaa9c7d364d16687864ccc2666576188
S5=1337104800512345
S2=1323458422078234

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

mkdir -p "$T/u"
mk_tar "$T/u/${NODE}_2012-05-15_18-00-00.tar" \
	"$SPEC/v5-seq0.txt:$NODE-$S5-0" "$SPEC/v5-seq1.txt:$NODE-$S5-1"
mk_tar "$T/u/${NODE}_2011-12-09_20-00-00.tar.tmp" "$SPEC/v2-http.txt:$NODE-$S2-17"
# A dot file (say, a copy in progress) is not a tarball to index either.
mk_tar "$T/u/.${NODE}_2012-05-15_19-00-00.tar" "$SPEC/v5-seq1.txt:$NODE-$S5-1"
# The v2 update arrives in a .tar.gz.
mk_tar "$T/v2.tar" "$SPEC/v2-http.txt:$NODE-$S2-17"
gzip -c "$T/v2.tar" >"$T/u/${NODE}_2011-12-09_20-00-00.tar.gz"
# Written a while ago: past the quiet period (a .tar.gz cannot be seen to be
# complete without reading it, see t0207).
touch -d "1 hour ago" "$T/u/${NODE}_2011-12-09_20-00-00.tar.gz"
echo "not a tarball" >"$T/u/README"
mkdir "$T/u/sub.tar"

# --- index -------------------------------------------------------------------
"$BPASS" index "$T/u" "$T/idx" >"$T/out" 2>"$T/err"
check_eq "index: exit 0" "$?" "0"
check_grep "summary: 2 tarballs, 3 updates" \
	"^indexed: tarballs 2 \(rejected 0, partial 0\), unchanged 0, changed 0, updates 3, rejected members 0, duplicates 0, seconds [0-9.]+, updates/s [0-9]+" "$T/out"
check_eq "index: nothing on stderr" "$(cat "$T/err")" ""
check "the index exists" test -f "$T/idx"
check "the lock file is next to it" test -f "$T/idx.lock"

# --- sessions ------------------------------------------------------------------
"$BPASS" sessions --csv "$T/idx" >"$T/csv"
check_eq "sessions: exit 0" "$?" "0"
cat >"$T/csv_want" <<EOF
node_id,anonymization_context,session_id,updates,duplicates,first_seq,last_seq,first_gap
$NODE,$CTX,$S2,1,0,17,17,
$NODE,$CTX,$S5,2,0,0,1,
EOF
check "sessions --csv: the two sessions of the examples" diff "$T/csv_want" "$T/csv"

"$BPASS" sessions "$T/idx" >"$T/txt"
{
	printf '%-14s  %-40s  %16s  %7s  %10s  %9s  %8s  %s\n' node_id anonymization_context \
		session_id updates duplicates first_seq last_seq first_gap
	printf '%-14s  %-40s  %16s  %7s  %10s  %9s  %8s\n' $NODE $CTX $S2 1 0 17 17
	printf '%-14s  %-40s  %16s  %7s  %10s  %9s  %8s\n' $NODE $CTX $S5 2 0 0 1
} >"$T/txt_want"
check "sessions: aligned text" diff "$T/txt_want" "$T/txt"

# --- show ------------------------------------------------------------------------
"$BPASS" show "$T/idx" $NODE $S5 0 >"$T/s0"
check_eq "show: exit 0" "$?" "0"
check "show v5 seq 0 diffs equal to the original" diff "$SPEC/v5-seq0.txt" "$T/s0"
"$BPASS" show "$T/idx" $NODE $S5 1 >"$T/s1"
check "show v5 seq 1 diffs equal to the original" diff "$SPEC/v5-seq1.txt" "$T/s1"
"$BPASS" show "$T/idx" $NODE $S2 17 --context $CTX >"$T/s2"
check "show v2 (from the .tar.gz) diffs equal to the original" diff "$SPEC/v2-http.txt" "$T/s2"
"$BPASS" show --json "$T/idx" $NODE $S5 1 >"$T/j1"
check_eq "show --json: one line" "$(wc -l <"$T/j1" | tr -d ' ')" "1"
check_grep "show --json: the node" "\"node_id\":\"$NODE\"" "$T/j1"
check_grep "show --json: the sequence number" "\"sequence_number\":1[,}]" "$T/j1"
check_status "show: unknown seq fails" 1 "$BPASS" show "$T/idx" $NODE $S5 2
check_status "show: unknown session fails" 1 "$BPASS" show "$T/idx" $NODE 42 0
check_status "show: unknown node fails" 1 "$BPASS" show "$T/idx" OWFFFFFFFFFFFF $S5 0
check_status "show: other context fails" 1 "$BPASS" show "$T/idx" $NODE $S5 0 --context UNANONYMIZED
check_status "show: negative session id is an argument" 1 "$BPASS" show "$T/idx" $NODE -1 0
check_status "show: missing SEQ is a usage error" 2 "$BPASS" show "$T/idx" $NODE $S5
check_status "show: SEQ must be a number" 2 "$BPASS" show "$T/idx" $NODE $S5 x
check_status "show: unknown option" 2 "$BPASS" show "$T/idx" $NODE $S5 0 --bogus
check_status "show: --help" 0 "$BPASS" show --help
check_status "show: missing index fails" 1 "$BPASS" show "$T/nope" $NODE $S5 0

# --- re-run: nothing to do ---------------------------------------------------------
cp "$T/idx" "$T/idx.before"
"$BPASS" index "$T/u" "$T/idx" >"$T/out2" 2>&1
check_eq "re-run: exit 0" "$?" "0"
check_grep "re-run: nothing read, 2 unchanged" \
	"^indexed: tarballs 0 \(rejected 0, partial 0\), unchanged 2, changed 0, updates 0," "$T/out2"
"$BPASS" sessions --csv "$T/idx" >"$T/csv2"
check "re-run: same sessions" diff "$T/csv" "$T/csv2"
check_status "re-run -q: exit 0" 0 "$BPASS" index -q "$T/u" "$T/idx"
check_eq "-q prints nothing" "$(cat "$T/.out")" ""

# An indexed tarball that changes is examined again (t0207 has more): here only
# its mtime changed, so it holds nothing new and nothing counts as a duplicate.
touch -d "2001-01-01" "$T/u/${NODE}_2012-05-15_18-00-00.tar"
"$BPASS" index "$T/u" "$T/idx" >"$T/out3" 2>"$T/err3"
check_eq "changed tarball: exit 0" "$?" "0"
check_grep "changed tarball: said" "tarball \".*${NODE}_2012-05-15_18-00-00.tar\" changed since it was indexed \(same size, new mtime\); examined again" "$T/out3"
check_grep "changed tarball: examined, nothing new" "tarballs 1 \(rejected 0, partial 0\), unchanged 1, changed 1, updates 0, rejected members 0, duplicates 0," "$T/out3"
check_eq "changed tarball: nothing on stderr" "$(cat "$T/err3")" ""
"$BPASS" sessions --csv "$T/idx" >"$T/csv3"
check "changed tarball: same sessions" diff "$T/csv" "$T/csv3"

# --- rejects of a clean index: the header only ------------------------------------
"$BPASS" rejects "$T/idx" >"$T/rj"
check_eq "rejects: exit 0" "$?" "0"
check_eq "rejects: header only" "$(cat "$T/rj")" "tarball  member  line  kind  reason"
check_eq "rejects --csv: header only" "$("$BPASS" rejects --csv "$T/idx")" "tarball,member,line,kind,reason"

# --- usage and failures ----------------------------------------------------------------
check_status "index --help" 0 "$BPASS" index --help
"$BPASS" index --help >"$T/help"
check_grep "index --help prints the usage" "^usage: bpass index UPDATES_DIR INDEX" "$T/help"
check_status "index: no arguments" 2 "$BPASS" index
check_status "index: one argument" 2 "$BPASS" index "$T/u"
check_status "index: three arguments" 2 "$BPASS" index "$T/u" "$T/idx" x
check_status "index: unknown option" 2 "$BPASS" index --bogus "$T/u" "$T/idx"
check_status "index: bad --jobs" 2 "$BPASS" index -j 0 "$T/u" "$T/idx"
check_status "index: --jobs past 256" 2 "$BPASS" index -j 257 "$T/u" "$T/idx"
"$BPASS" index -j x "$T/u" "$T/idx" 2>"$T/jerr"
check_grep "index: bad --jobs names the range" '^bpass: error: invalid --jobs "x": expected a number from 1 to 256$' "$T/jerr"
check_status "index: bad --sync" 2 "$BPASS" index --sync maybe "$T/u" "$T/idx"
check_status "index: missing folder fails" 1 "$BPASS" index "$T/nope" "$T/idx2"
check_grep "index: says why" "could not open updates folder \".*nope\": No such file or directory" "$T/.out"
check "index: a missing folder creates no index" test ! -e "$T/idx2" -a ! -e "$T/idx2.lock"
# Swapped arguments are caught before anything is created (no INDEX.lock).
check_status "index: swapped arguments are a usage error" 2 "$BPASS" index "$T/idx" "$T/u"
check_grep "index: swapped arguments: says so" \
	"arguments in the wrong order: \".*idx\" is a file and \".*u\" a folder; expected UPDATES_DIR INDEX" "$T/.out"
check "index: swapped arguments leave no lock file" test ! -e "$T/u.lock"
mkdir "$T/u2"
check_status "index: a folder as the index is a usage error" 2 "$BPASS" index "$T/u" "$T/u2"
check_grep "index: a folder as the index: says so" "cannot use folder \".*u2\" as the index: expected a file$" "$T/.out"
check "index: a folder as the index: no lock file" test ! -e "$T/u2.lock"
check_status "index: a file as the updates folder is a usage error" 2 "$BPASS" index "$T/u/README" "$T/idx3"
check_grep "index: a file as the updates folder: says so" \
	"cannot index \".*README\": it is not a folder$" "$T/.out"
check "index: a file as the updates folder: nothing created" test ! -e "$T/idx3" -a ! -e "$T/idx3.lock"
check_status "index: index in a missing folder fails" 1 "$BPASS" index "$T/u" "$T/nope/idx"
echo "garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage" >"$T/bad.sqlite"
check_status "index: a file that is not an index fails" 1 "$BPASS" index "$T/u" "$T/bad.sqlite"
check_status "sessions: missing index fails" 1 "$BPASS" sessions "$T/nope"
check "sessions: a missing index is not created" test ! -e "$T/nope"
check_status "sessions: no argument" 2 "$BPASS" sessions
check_status "sessions: --help" 0 "$BPASS" sessions --help
check_status "sessions: unknown option" 2 "$BPASS" sessions --bogus "$T/idx"
check_status "rejects: no argument" 2 "$BPASS" rejects
check_status "rejects: --help" 0 "$BPASS" rejects --help
check_status "rejects: missing index fails" 1 "$BPASS" rejects "$T/nope"

# --- an empty folder makes an empty index -------------------------------------------------
mkdir "$T/empty"
check "empty folder: exit 0" "$BPASS" index "$T/empty" "$T/e.idx"
check_eq "empty folder: no sessions" "$("$BPASS" sessions --csv "$T/e.idx" | wc -l | tr -d ' ')" "1"
done_testing
