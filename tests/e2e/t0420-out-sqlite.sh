#!/bin/sh
# tests/e2e/t0420-out-sqlite.sh: `bpass run --out FILE.sqlite`: every table
# of the run in one SQLite file, read back with the real sqlite3 command:
# the same rows as the CSV tables of the same run into a folder, typed
# columns (INTEGER, REAL, TEXT; ISO times as TEXT), the provenance table;
# the file is replaced whole by the next run (a new file renamed over it:
# no temporary file left, tables of the previous run gone); a run whose
# publication fails leaves the previous file as it was; `bpass results
# --out FILE.sqlite` writes the cached tables; a folder that does not
# exist is refused before anything runs.
. "$TOP/tests/e2e/lib.sh"

"$BPASS" generate "$T/g" --seed 5 --updates 300 --nodes 3 -q
"$BPASS" index -q "$T/g" "$T/idx"

# Two runs of the same index from nothing: one into a folder, one into SQLite.
check_status "run into the default folder: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/a"
check_status "run --out r.sqlite: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/b" \
	--out "$T/r.sqlite" --cache-global "$T/cache"
check "the file is an SQLite database" sqlite3 "$T/r.sqlite" "PRAGMA integrity_check"
check "no staging folder left in the state folder" test ! -e "$T/b/default/.out"
R="$T/a/default/results"
n=0
for f in "$R"/*.csv; do
	t=$(basename "$f" .csv)
	sqlite3 -header -csv "$T/r.sqlite" "SELECT * FROM \"$t\"" | tr -d '\r' >"$T/$t.got"
	check "table $t: the rows of $t.csv" cmp "$T/$t.got" "$f"
	n=$((n + 1))
done
check "every table of the run: $n tables and provenance" test \
	"$(sqlite3 "$T/r.sqlite" "SELECT count(*) FROM sqlite_master WHERE type = 'table'")" \
	-eq $((n + 1))

# Typed columns.
types=$(sqlite3 "$T/r.sqlite" "SELECT group_concat(name || ':' || type, ' ') FROM pragma_table_info('throughput')")
check_eq "throughput: typed columns" "$types" \
	"node_id:TEXT minute:INTEGER minute_iso:TEXT bytes:INTEGER packets:INTEGER"
check_eq "throughput: integers are stored as integers" \
	"$(sqlite3 "$T/r.sqlite" "SELECT DISTINCT typeof(bytes) || typeof(minute_iso) FROM throughput")" \
	"integertext"
check_eq "sessions: an ok session's stale_reason is NULL" \
	"$(sqlite3 "$T/r.sqlite" "SELECT count(*) FROM sessions WHERE status = 'ok' AND stale_reason IS NOT NULL")" "0"

# Provenance.
prov() { sqlite3 "$T/r.sqlite" "SELECT value FROM provenance WHERE item = '$1' AND name = '$2' AND attribute = '$3'"; }
check_eq "provenance: bpass version" "$(prov bpass '' version)" \
	"$("$BPASS" --version | sed 's/^bpass \([^ ]*\) .*/\1/')"
check_eq "provenance: the index's tarballs" "$(prov index "$T/idx" tarballs)" \
	"$(sqlite3 "$T/idx" "SELECT count(*) FROM tarballs")"
check_eq "provenance: the index's updates" "$(prov index "$T/idx" updates)" \
	"$(sqlite3 "$T/idx" "SELECT count(*) FROM updates")"
check_eq "provenance: a processor's version" "$(prov processor throughput version)" "1"
check_eq "provenance: the table's processor" "$(prov table bytes_per_node processor)" "byte-count"
check_eq "provenance: the host" "$(prov run '' host)" "$(hostname)"
check_grep "provenance: the command line" "run -q -w 1 $T/idx $T/b --out $T/r.sqlite" \
	"$(prov run '' command_line >"$T/cl"; echo "$T/cl")"
prov manifest '' json >"$T/manifest"
check_grep "provenance: the manifest" '"tables": \[' "$T/manifest"

# The next run replaces the file: a new file (another inode), only its tables.
ino() { ls -i "$1" | cut -d' ' -f1; }
before=$(ino "$T/r.sqlite")
check_status "a run of byte-count only: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/b" \
	-p byte-count --out "$T/r.sqlite"
check "replaced by a new file" test "$(ino "$T/r.sqlite")" != "$before"
check_eq "only the tables of that run" \
	"$(sqlite3 "$T/r.sqlite" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)")" \
	"bytes_per_node provenance sessions"
check "no temporary file left" test -z "$(ls -A "$T" | grep '\.tmp$')"

# A run whose tables cannot be published leaves the previous file.
cp "$T/r.sqlite" "$T/r.before"
HOSTILE_TABLE=provenance "$BPASS" run -q -w 1 "$T/idx" "$T/b" -p byte-count,hostile \
	--plugin "$BUILD/plugins/hostile.so" --out "$T/r.sqlite" 2>"$T/err"
check_eq "a table named provenance: exit 1" "$?" "1"
check_grep "... says why" 'could not publish results table "provenance" of processor "hostile": the name is bpass.s own' "$T/err"
check "... the previous file is as it was" cmp "$T/r.sqlite" "$T/r.before"
check "... no temporary file left" test -z "$(ls -A "$T" | grep '\.tmp$')"

# bpass results from the cache.
check_status "results --out c.sqlite: exit 0" 0 "$BPASS" results "$T/cache" --out "$T/c.sqlite"
sqlite3 -header -csv "$T/c.sqlite" "SELECT * FROM throughput" | tr -d '\r' >"$T/c.got"
check "results --out: throughput as the run wrote it" cmp "$T/c.got" "$R/throughput.csv"

# A folder that does not exist: refused before the run.
check_status "--out in a missing folder: exit 1" 1 "$BPASS" run -q "$T/idx" "$T/c" \
	--out "$T/nope/r.sqlite"
check_grep "... says why" 'cannot write results database ".*/nope/r.sqlite": folder ".*/nope/" does not exist' "$T/.out"
check "... nothing was run" test ! -e "$T/c"

done_testing
