#!/bin/sh
# tests/e2e/t0421-out-postgres.sh: `bpass run --out postgresql://...` into a
# real PostgreSQL server (tests/e2e/pg.sh: initdb in a scratch folder, a
# Unix socket only, an unprivileged user), read back with the real psql:
# every table of the run in the schema "bpass" (created when missing), equal
# to the CSV tables of the same run into a folder; typed columns (bigint,
# timestamptz, text) and primary keys on the key columns; the provenance
# table; ?schema=NAME; the next run replaces the tables of the previous
# one; a run that fails in the middle of its transaction leaves the previous
# tables as they were; `bpass results --out postgresql://...`; a wrong URL
# and a refused connection give a clear message and exit 1 before anything
# runs.
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/pg.sh"
pg_start || { not_ok "PostgreSQL server started"; done_testing; exit 1; }

"$BPASS" generate "$T/g" --seed 5 --updates 300 --nodes 3 -q
"$BPASS" index -q "$T/g" "$T/idx"

check_status "run into the default folder: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/a"
check_status "run --out postgresql://: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/b" \
	--out "$PG_URL" --cache-global "$T/cache"
R="$T/a/default/results"

# Each table equals its CSV: the CSV loaded into a table of the same column
# types by psql's \copy, then compared both ways, rows counted.
same_as_csv() { # $1 = schema, $2 = table, $3 = CSV file
	"$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$PG_URL" >"$T/cmp.out" 2>&1 <<SQL
CREATE TEMP TABLE c (LIKE "$1"."$2");
\\copy c FROM '$3' WITH (FORMAT csv, HEADER true)
SELECT (SELECT count(*) FROM c) = (SELECT count(*) FROM "$1"."$2")
   AND NOT EXISTS (TABLE c EXCEPT ALL TABLE "$1"."$2")
   AND NOT EXISTS (TABLE "$1"."$2" EXCEPT ALL TABLE c);
SQL
	[ "$(tail -1 "$T/cmp.out")" = "t" ] || { cat "$T/cmp.out"; return 1; }
}
n=0
for f in "$R"/*.csv; do
	t=$(basename "$f" .csv)
	check "table $t: equal to $t.csv" same_as_csv bpass "$t" "$f"
	n=$((n + 1))
done
check_eq "every table of the run and provenance, nothing else" \
	"$(psql_q "SELECT count(*) FROM pg_tables WHERE schemaname = 'bpass'")" "$((n + 1))"

# Types and keys.
coltypes() { psql_q "SELECT string_agg(column_name || ':' || data_type, ' ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = '${2:-bpass}' AND table_name = '$1'"; }
pkey() { psql_q "SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE i.indisprimary AND i.indrelid = '${2:-bpass}.$1'::regclass"; }
check_eq "throughput: typed columns" "$(coltypes throughput)" \
	"node_id:text minute:bigint minute_iso:timestamp with time zone bytes:bigint packets:bigint"
check_eq "throughput: primary key (node_id, minute)" "$(pkey throughput)" "node_id,minute"
check_eq "sessions: primary key (node_id, anonymization_context, session_id)" "$(pkey sessions)" \
	"node_id,anonymization_context,session_id"
check_eq "bytes_per_node: primary key (node_id)" "$(pkey bytes_per_node)" "node_id"
check_eq "availability: ISO times as timestamptz" \
	"$(psql_q "SELECT count(*) FROM bpass.availability WHERE lower_iso <> to_timestamp(lower_us / 1e6)")" "0"

# Provenance.
prov() { psql_q "SELECT value FROM ${4:-bpass}.provenance WHERE item = '$1' AND name = '$2' AND attribute = '$3'"; }
check_eq "provenance: the index's updates" "$(prov index "$T/idx" updates)" \
	"$(sqlite3 "$T/idx" "SELECT count(*) FROM updates")"
check_eq "provenance: a processor's version" "$(prov processor addresses version)" "2"
check_eq "provenance: the table's processor" "$(prov table throughput processor)" "throughput"
check_eq "provenance: the manifest is JSON" \
	"$(psql_q "SELECT (value::json)->>'bpass_version' FROM bpass.provenance WHERE item = 'manifest'")" \
	"$(prov bpass '' version)"

# Another schema.
check_status "?schema=other: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/b" -p byte-count \
	--out "$PG_URL&schema=other"
check_eq "?schema=other: its tables there" \
	"$(psql_q "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'other'")" \
	"bytes_per_node provenance sessions"
check "?schema=other: bytes_per_node equal to the CSV" same_as_csv other bytes_per_node "$R/bytes_per_node.csv"

# The next run into bpass replaces the previous run's tables.
check_status "a run of byte-count only: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/b" \
	-p byte-count --out "$PG_URL"
check_eq "only its tables are left" \
	"$(psql_q "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'bpass'")" \
	"bytes_per_node provenance sessions"

# A run that fails in its transaction (a view of the user's has the name of
# a table to write) leaves the previous tables.
psql_q "CREATE VIEW bpass.throughput AS SELECT 1 AS x; CREATE TABLE bpass.users_own (x int)"
psql_q "COPY (SELECT * FROM bpass.sessions ORDER BY 1, 2, 3) TO STDOUT" >"$T/sessions.before"
"$BPASS" run -q -w 1 "$T/idx" "$T/b" --out "$PG_URL" 2>"$T/err"
check_eq "a failing publication: exit 1" "$?" "1"
check_grep "... says why" 'could not write results database "postgresql:///postgres\?host=.*": table "throughput": .*"throughput" is not a table' "$T/err"
psql_q "COPY (SELECT * FROM bpass.sessions ORDER BY 1, 2, 3) TO STDOUT" >"$T/sessions.after"
check "... the previous sessions table is as it was" cmp "$T/sessions.before" "$T/sessions.after"
check_eq "... and the previous set of tables" \
	"$(psql_q "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'bpass'")" \
	"bytes_per_node provenance sessions users_own"
psql_q "DROP VIEW bpass.throughput"
check_status "then a run succeeds: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/b" --out "$PG_URL"
check "... a table of the user's is left alone" psql_q "SELECT * FROM bpass.users_own"

# bpass results from the cache.
check_status "results --out postgresql://: exit 0" 0 "$BPASS" results "$T/cache" \
	--out "$PG_URL&schema=cached"
check "results: throughput equal to the CSV" same_as_csv cached throughput "$R/throughput.csv"

# Wrong URLs and refused connections: a message and exit 1, nothing run.
check_status "a malformed URL: exit 1" 1 "$BPASS" run -q "$T/idx" "$T/c" \
	--out "postgresql://u:secret@[bad"
check_grep "... says why, without the password" \
	'^bpass: error: could not connect to results database "postgresql://u@\[bad": ' "$T/.out"
check "... the password is not shown" test -z "$(grep secret "$T/.out")"
check "... nothing was run" test ! -e "$T/c"
check_status "no server at that socket: exit 1" 1 "$BPASS" run -q "$T/idx" "$T/c" \
	--out "postgresql:///postgres?host=$T/nosocket"
check_grep "... says why" 'could not connect to results database .*No such file or directory' "$T/.out"
check_status "a refused TCP connection: exit 1" 1 "$BPASS" results "$T/cache" \
	--out "postgresql://127.0.0.1:1/postgres?connect_timeout=5"
check_grep "... says why" 'could not connect to results database "postgresql://127.0.0.1:1/postgres.*": .*Connection refused' "$T/.out"

done_testing
