#!/bin/sh
# tests/e2e/t0422-hourly-database.sh: the hourly configuration names a
# database output: `database = results.sqlite` (relative to the config file)
# adds a "database" step after run that publishes the run's tables into that
# SQLite file, equal to the CSV tables of the results folder; an hour with
# nothing new skips it with run and plot; `--database postgresql://...` does
# the same into a real PostgreSQL server (tests/e2e/pg.sh); a run that
# cached no global result fails the step (exit 1) instead of publishing an
# older one.
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/pg.sh"
pg_start || { not_ok "PostgreSQL server started"; done_testing; exit 1; }

mkdir -p "$T/site"
"$BPASS" generate "$T/site/updates" --seed 11 --updates 200 --nodes 2 -q
cat >"$T/site/hourly.conf" <<EOF
updates = updates
index = index.sqlite
state = state
results = results
plots = plots
workers = 1
database = results.sqlite
EOF
"$BPASS" hourly "$T/site/hourly.conf" >"$T/out1" 2>&1
check_eq "first hour: exit 0" "$?" "0"
check_grep "first hour: the database step ran" "hourly: database: ok in" "$T/out1"
check "... right after run" sh -c "grep 'hourly: ' '$T/out1' | grep -A1 'run: ok' | grep -q 'database: ok'"
check "the SQLite file is in the config's folder" test -s "$T/site/results.sqlite"
for f in "$T"/site/results/*.csv; do
	t=$(basename "$f" .csv)
	sqlite3 -header -csv "$T/site/results.sqlite" "SELECT * FROM \"$t\"" | tr -d '\r' >"$T/$t.got"
	check "table $t: equal to the results folder's $t.csv" cmp "$T/$t.got" "$f"
done

"$BPASS" hourly "$T/site/hourly.conf" >"$T/out2" 2>&1
check_eq "second hour, nothing new: exit 0" "$?" "0"
check_grep "... run, plot and database skipped" "nothing new" "$T/out2"
check "... no database step" sh -c "! grep -q 'database:' '$T/out2'"

# A PostgreSQL URL as an option; --force runs everything again.
"$BPASS" hourly "$T/site/hourly.conf" --force --database "$PG_URL&schema=hourly" >"$T/out3" 2>&1
check_eq "into PostgreSQL: exit 0" "$?" "0"
check_grep "... the database step ran" "hourly: database: ok in" "$T/out3"
check_eq "... the tables are there" "$(psql_q "SELECT count(*) FROM hourly.throughput")" \
	"$(($(wc -l <"$T/site/results/throughput.csv") - 1))"

# A run that fails before caching its global result: the step fails.
printf '#!/bin/sh\ncase "$1" in\nrun) exit 1 ;;\n*) exec "%s" "$@" ;;\nesac\n' "$BPASS" >"$T/stub"
chmod +x "$T/stub"
BPASS_HOURLY_EXE="$T/stub" "$BPASS" hourly "$T/site/hourly.conf" --force >"$T/out4" 2>&1
check_eq "a run that cached nothing: exit 1" "$?" "1"
check_grep "... the database step says why" 'database step skipped: the run saved no global result ".*/state/.hourly-global"' "$T/out4"

done_testing
