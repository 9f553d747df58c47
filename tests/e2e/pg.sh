# tests/e2e/pg.sh: a real PostgreSQL server for end-to-end tests (sourced
# after lib.sh). pg_start creates a cluster with Debian's initdb in a scratch
# folder and starts it listening on a Unix socket only (listen_addresses
# ''), as an unprivileged user: the current one, or "nobody" when the tests
# run as root. It is stopped at exit, also when a check fails. Sets PG_URL
# (a libpq URL for the database "postgres" through the socket) and PSQL.
# Skips the whole script (exit 0, "1..0 # SKIP") when no server is installed.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PG_DIR=""
pg_as() { # runs "$@" as the server's user
	if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
	else "$@"; fi
}
pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=""
}
pg_start() {
	if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
		echo "1..0 # SKIP no PostgreSQL server (tools/install-deps installs it)"
		exit 0
	fi
	PG_DIR=$(mktemp -d /tmp/bpass-pg.XXXXXX)   # /tmp: the server user must reach it
	trap 'pg_stop; rm -rf "$T"' EXIT
	chmod 755 "$PG_DIR"
	[ "$(id -u)" -eq 0 ] && chown nobody "$PG_DIR"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
		>"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log"; return 1; }
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
		-o "-c listen_addresses='' -c unix_socket_directories='$PG_DIR' -c fsync=off" \
		start >/dev/null || { cat "$PG_DIR/server.log"; return 1; }
	PG_USER=$(pg_as id -un)
	PG_URL="postgresql:///postgres?host=$PG_DIR&user=$PG_USER"
	PSQL="$PG_BIN/psql"
}
# psql_q SQL: runs SQL, prints unaligned tuples only.
psql_q() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$PG_URL" -c "$1"; }
