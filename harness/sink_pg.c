/*
 * harness/sink_pg.c: a run's tables in a PostgreSQL schema, with libpq (see
 * sink.h).
 *
 * The URL is libpq's (postgresql://USER:PASSWORD@HOST:PORT/DB?PARAMS, or
 * postgresql:///DB?host=/socket/folder), plus one parameter of bpass's own,
 * schema=NAME (default "bpass"), taken out before libpq sees it. Messages
 * show the URL without its password.
 *
 * One transaction per run: the schema is created when missing; the tables
 * of the previous run (its provenance table names them) are dropped, and
 * each table is created with typed columns (sink_type_pg: bigint, numeric,
 * double precision, timestamptz, text), filled with COPY and given a primary
 * key on its key columns (sink_key; when the rows do not allow one, e.g. a
 * table not sorted by its key, the table has none, with a warning); then
 * the provenance table; then COMMIT. Any failure rolls everything back: the
 * previous tables stay as they were. Text that is not valid UTF-8 is stored
 * with each byte above 0x7f read as Latin-1.
 */
#include "sink.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "provenance.h"

#define PG_DEFAULT_SCHEMA "bpass"
#define PG_COPY_CHUNK (256 * 1024)

struct pg {
	PGconn *conn;
	struct buf url;       /* for libpq: without schema= */
	struct buf shown;     /* for messages: without the password */
	struct buf schema;    /* quoted */
	struct buf copy;      /* COPY data not sent yet */
};

/* Splits url into the libpq URL, the schema and the URL to show. */
static void pg_parse(struct pg *g, const char *url)
{
	buf_init(&g->url);
	buf_init(&g->shown);
	buf_init(&g->schema);
	buf_init(&g->copy);
	const char *q = strchr(url, '?');
	buf_append(&g->url, url, q ? (size_t)(q - url) : strlen(url));
	char *schema = NULL;
	bool first = true;
	while (q && *q) {
		q++;
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		if (len > 7 && !strncmp(q, "schema=", 7)) {
			free(schema);
			schema = xmalloc(len - 7 + 1);
			memcpy(schema, q + 7, len - 7);
			schema[len - 7] = 0;
		} else if (len) {
			buf_putc(&g->url, first ? '?' : '&');
			buf_append(&g->url, q, len);
			first = false;
		}
		q = amp;
	}
	/* The schema, quoted as an identifier. */
	const char *s = schema ? schema : PG_DEFAULT_SCHEMA;
	buf_putc(&g->schema, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(&g->schema, '"');
		buf_putc(&g->schema, *s);
	}
	buf_putc(&g->schema, '"');
	free(schema);
	/* Without the password: scheme://user:PASSWORD@ -> scheme://user@ */
	const char *rest = strstr(url, "://");
	const char *at = rest ? strchr(rest + 3, '@') : NULL;
	const char *colon = rest ? strchr(rest + 3, ':') : NULL;
	const char *slash = rest ? strchr(rest + 3, '/') : NULL;
	if (at && colon && colon < at && (!slash || at < slash)) {
		buf_append(&g->shown, url, (size_t)(colon - url));
		buf_puts(&g->shown, at);
	} else {
		buf_puts(&g->shown, url);
	}
}

static void pg_release(struct pg *g)
{
	if (g->conn)
		PQfinish(g->conn);
	g->conn = NULL;
	buf_release(&g->url);
	buf_release(&g->shown);
	buf_release(&g->schema);
	buf_release(&g->copy);
}

/* libpq's message on one line, without its final newline, and with the
 * URL it may quote shown without its password. */
static const char *pg_message(struct pg *g, struct buf *b)
{
	buf_reset(b);
	const char *m = g->conn ? PQerrorMessage(g->conn) : "out of memory";
	for (; *m; m++)
		if (g->url.len && !strncmp(m, g->url.data, g->url.len)) {
			buf_puts(b, g->shown.data);
			m += g->url.len - 1;
		} else if (*m == '\n') {
			if (m[1])
				buf_puts(b, "; ");
		} else {
			buf_putc(b, *m);
		}
	return b->data;
}

static void quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int pg_connect(struct pg *g, const char *url)
{
	pg_parse(g, url);
	g->conn = PQconnectdb(g->url.data);
	if (!g->conn || PQstatus(g->conn) != CONNECTION_OK) {
		struct buf m;
		buf_init(&m);
		int rc = log_error("could not connect to results database \"%s\": %s", g->shown.data,
				   pg_message(g, &m));
		buf_release(&m);
		return rc;
	}
	PQsetNoticeProcessor(g->conn, quiet_notices, NULL);
	return 0;
}

int sink_pg_check(const char *url)
{
	struct pg g;
	memset(&g, 0, sizeof(g));
	int rc = pg_connect(&g, url);
	pg_release(&g);
	return rc;
}

static int pg_fail(struct pg *g, const char *what)
{
	struct buf m;
	buf_init(&m);
	int rc = log_error("could not write results database \"%s\": %s: %s", g->shown.data, what,
			   pg_message(g, &m));
	buf_release(&m);
	return rc;
}

static int pg_exec(struct pg *g, const char *sql, const char *what)
{
	PGresult *r = PQexec(g->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
	PQclear(r);
	if (rc)
		pg_fail(g, what);
	return rc;
}

static void quote_ident(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void table_ident(struct pg *g, struct buf *b, const char *name)
{
	buf_append(b, g->schema.data, g->schema.len);
	buf_putc(b, '.');
	quote_ident(b, name);
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 :
		     (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (!len || len > n || (len == 2 && p[0] < 0xc2))
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Appends one value in COPY's text format (NULL: \N). */
static void copy_value(struct buf *b, const char *v, size_t n)
{
	if (!v) {
		buf_puts(b, "\\N");
		return;
	}
	const unsigned char *p = (const unsigned char *)v;
	bool valid = true;
	for (size_t i = 0; i < n && valid;) {
		size_t l = utf8_len(p + i, n - i);
		valid = l != 0;
		i += l;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		switch (c) {
		case 0: break;    /* text cannot hold NUL */
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default:
			if (c >= 0x80 && !valid) {
				buf_putc(b, (char)(0xc0 | c >> 6));
				buf_putc(b, (char)(0x80 | (c & 0x3f)));
			} else {
				buf_putc(b, (char)c);
			}
		}
	}
}

static int copy_flush(struct pg *g, bool all)
{
	if (g->copy.len && (all || g->copy.len >= PG_COPY_CHUNK)) {
		if (PQputCopyData(g->conn, g->copy.data, (int)g->copy.len) != 1)
			return -1;
		buf_reset(&g->copy);
	}
	return 0;
}

static int copy_begin(struct pg *g, const char *name, const char *what)
{
	struct buf sql;
	buf_init(&sql);
	buf_puts(&sql, "COPY ");
	table_ident(g, &sql, name);
	buf_puts(&sql, " FROM STDIN");
	PGresult *r = PQexec(g->conn, sql.data);
	int rc = PQresultStatus(r) == PGRES_COPY_IN ? 0 : -1;
	PQclear(r);
	buf_release(&sql);
	buf_reset(&g->copy);
	if (rc)
		pg_fail(g, what);
	return rc;
}

/* Ends COPY (error: abort it with that reason). */
static int copy_end(struct pg *g, const char *error, const char *what)
{
	int rc = error ? -1 : copy_flush(g, true);
	if (PQputCopyEnd(g->conn, error ? error : (rc ? "could not send the rows" : NULL)) != 1)
		rc = -1;
	PGresult *r;
	while ((r = PQgetResult(g->conn))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = -1;
		PQclear(r);
	}
	if (rc && !error)
		pg_fail(g, what);
	return rc;
}

static int write_table(struct pg *g, struct sink_table *t)
{
	struct buf sql, what;
	buf_init(&sql);
	buf_init(&what);
	buf_printf(&what, "table \"%s\"", t->name);
	struct sink_cell *cells = xcalloc(t->n_columns, sizeof(*cells));
	struct sink_key key;
	sink_key_init(&key, t->n_columns);
	int rc = -1;
	buf_puts(&sql, "DROP TABLE IF EXISTS ");
	table_ident(g, &sql, t->name);
	buf_puts(&sql, "; CREATE TABLE ");
	table_ident(g, &sql, t->name);
	buf_puts(&sql, " (");
	for (uint32_t i = 0; i < t->n_columns; i++) {
		if (i)
			buf_puts(&sql, ", ");
		quote_ident(&sql, t->columns[i]);
		buf_printf(&sql, " %s", sink_type_pg(t->types[i]));
	}
	buf_puts(&sql, ")");
	if (pg_exec(g, sql.data, what.data) || copy_begin(g, t->name, what.data))
		goto out;
	int r;
	while ((r = sink_table_next(t, cells)) == 1) {
		sink_key_row(&key, cells);
		for (uint32_t i = 0; i < t->n_columns; i++) {
			if (i)
				buf_putc(&g->copy, '\t');
			copy_value(&g->copy, cells[i].value, cells[i].len);
		}
		buf_putc(&g->copy, '\n');
		if (copy_flush(g, false)) {
			r = -1;
			pg_fail(g, what.data);
			break;
		}
	}
	if (copy_end(g, r ? "bpass could not read the table" : NULL, what.data) || r)
		goto out;
	uint32_t k = sink_key_len(&key);
	if (k) {
		buf_reset(&sql);
		buf_puts(&sql, "SAVEPOINT bpass_key; ALTER TABLE ");
		table_ident(g, &sql, t->name);
		buf_puts(&sql, " ADD PRIMARY KEY (");
		for (uint32_t i = 0; i < k; i++) {
			if (i)
				buf_puts(&sql, ", ");
			quote_ident(&sql, t->columns[i]);
		}
		buf_puts(&sql, ")");
		PGresult *res = PQexec(g->conn, sql.data);
		bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!ok) {
			struct buf m;
			buf_init(&m);
			log_warn("results table \"%s\" has no primary key in \"%s\": %s", t->name,
				 g->shown.data, pg_message(g, &m));
			buf_release(&m);
			if (pg_exec(g, "ROLLBACK TO SAVEPOINT bpass_key", what.data))
				goto out;
		}
		if (pg_exec(g, "RELEASE SAVEPOINT bpass_key", what.data))
			goto out;
	}
	rc = 0;
out:
	sink_key_release(&key);
	free(cells);
	buf_release(&sql);
	buf_release(&what);
	return rc;
}

static int prov_row(void *arg, const char *item, const char *name, const char *attribute,
		    const char *value)
{
	struct pg *g = arg;
	copy_value(&g->copy, item, strlen(item));
	buf_putc(&g->copy, '\t');
	copy_value(&g->copy, name, strlen(name));
	buf_putc(&g->copy, '\t');
	copy_value(&g->copy, attribute, strlen(attribute));
	buf_putc(&g->copy, '\t');
	copy_value(&g->copy, value, value ? strlen(value) : 0);
	buf_putc(&g->copy, '\n');
	return copy_flush(g, false);
}

/* Drops the tables the previous run published (named by its provenance). */
static int drop_previous(struct pg *g)
{
	struct buf sql;
	buf_init(&sql);
	int rc = -1;
	buf_puts(&sql, "SELECT to_regclass('");
	for (const char *s = g->schema.data; *s; s++)
		buf_append(&sql, s, *s == '\'' ? 0 : 1);
	buf_puts(&sql, ".provenance') IS NOT NULL");
	PGresult *r = PQexec(g->conn, sql.data);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		pg_fail(g, "the previous tables");
		goto out;
	}
	bool exists = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (!exists) {
		rc = 0;
		goto out;
	}
	buf_reset(&sql);
	buf_puts(&sql, "SELECT name FROM ");
	table_ident(g, &sql, "provenance");
	buf_puts(&sql, " WHERE item = 'table'");
	r = PQexec(g->conn, sql.data);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		pg_fail(g, "the previous tables");
		goto out;
	}
	buf_reset(&sql);
	for (int i = 0; i < PQntuples(r); i++) {
		buf_puts(&sql, "DROP TABLE IF EXISTS ");
		table_ident(g, &sql, PQgetvalue(r, i, 0));
		buf_puts(&sql, "; ");
	}
	PQclear(r);
	buf_puts(&sql, "DROP TABLE ");
	table_ident(g, &sql, "provenance");
	rc = pg_exec(g, sql.data, "the previous tables");
out:
	buf_release(&sql);
	return rc;
}

int sink_pg_publish(const char *url, struct sink_table *t, uint32_t n,
		    const struct provenance *prov)
{
	struct pg g;
	memset(&g, 0, sizeof(g));
	struct buf sql;
	buf_init(&sql);
	int rc = -1;
	if (pg_connect(&g, url))
		goto out;
	buf_puts(&sql, "SET client_min_messages = warning; BEGIN; CREATE SCHEMA IF NOT EXISTS ");
	buf_append(&sql, g.schema.data, g.schema.len);
	if (pg_exec(&g, sql.data, "schema") || drop_previous(&g))
		goto rollback;
	for (uint32_t i = 0; i < n; i++)
		if (write_table(&g, &t[i]))
			goto rollback;
	buf_reset(&sql);
	buf_puts(&sql, "CREATE TABLE ");
	table_ident(&g, &sql, "provenance");
	buf_puts(&sql, " (item text NOT NULL, name text NOT NULL, attribute text NOT NULL, "
		       "value text, PRIMARY KEY (item, name, attribute))");
	if (pg_exec(&g, sql.data, "table \"provenance\"") ||
	    copy_begin(&g, "provenance", "table \"provenance\""))
		goto rollback;
	int prc = provenance_rows(prov, prov_row, &g);
	if (copy_end(&g, prc ? "could not send the provenance" : NULL, "table \"provenance\"") ||
	    prc)
		goto rollback;
	if (pg_exec(&g, "COMMIT", "commit"))
		goto out;
	rc = 0;
	goto out;
rollback:
	if (g.conn && PQstatus(g.conn) == CONNECTION_OK) {
		PGresult *r = PQexec(g.conn, "ROLLBACK");
		PQclear(r);
	}
out:
	pg_release(&g);
	buf_release(&sql);
	return rc;
}
