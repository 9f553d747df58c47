/*
 * harness/sink_sqlite.c: a run's tables in one SQLite file (see sink.h).
 *
 * The file is built whole under a temporary name in the same folder
 * (.NAME.PID.tmp): one table per result table, with typed columns
 * (sink_type_sqlite: INTEGER, REAL, TEXT; ISO times as TEXT), the rows as
 * staged, and the provenance table (item, name, attribute, value); then it
 * is closed, fsynced, renamed over the old file and the folder fsynced.
 * A reader sees the previous run's file or this one, never half of one; a
 * failure removes the temporary file and leaves the old one.
 */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "provenance.h"

struct sq {
	sqlite3 *db;
	sqlite3_stmt *st;
	const char *path;     /* the final name, for messages */
};

static int sq_error(struct sq *s, const char *what)
{
	return log_error("could not write results database \"%s\": %s: %s", s->path, what,
			 s->db ? sqlite3_errmsg(s->db) : "out of memory");
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

static int exec(struct sq *s, const char *sql, const char *what)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_error(s, what);
	return 0;
}

static int bind_cell(sqlite3_stmt *st, int i, enum sink_type type, const struct sink_cell *c)
{
	if (!c->value)
		return sqlite3_bind_null(st, i);
	char *end;
	if (type == SINK_INTEGER) {
		errno = 0;
		long long v = strtoll(c->value, &end, 10);
		if (!*end && end != c->value && errno == 0)
			return sqlite3_bind_int64(st, i, v);
	} else if (type == SINK_REAL) {
		double v = strtod(c->value, &end);
		if (!*end && end != c->value)
			return sqlite3_bind_double(st, i, v);
	}
	return sqlite3_bind_text(st, i, c->value, (int)c->len, SQLITE_STATIC);
}

static int write_table(struct sq *s, struct sink_table *t)
{
	struct buf sql;
	buf_init(&sql);
	int rc = -1;
	buf_puts(&sql, "CREATE TABLE ");
	quote_ident(&sql, t->name);
	buf_puts(&sql, " (");
	for (uint32_t i = 0; i < t->n_columns; i++) {
		if (i)
			buf_puts(&sql, ", ");
		quote_ident(&sql, t->columns[i]);
		buf_printf(&sql, " %s", sink_type_sqlite(t->types[i]));
	}
	buf_puts(&sql, ")");
	struct buf what;
	buf_init(&what);
	buf_printf(&what, "table \"%s\"", t->name);
	struct sink_cell *cells = xcalloc(t->n_columns, sizeof(*cells));
	if (exec(s, sql.data, what.data))
		goto out;
	buf_reset(&sql);
	buf_puts(&sql, "INSERT INTO ");
	quote_ident(&sql, t->name);
	buf_puts(&sql, " VALUES (");
	for (uint32_t i = 0; i < t->n_columns; i++)
		buf_puts(&sql, i ? ", ?" : "?");
	buf_puts(&sql, ")");
	if (sqlite3_prepare_v2(s->db, sql.data, -1, &s->st, NULL) != SQLITE_OK) {
		sq_error(s, what.data);
		goto out;
	}
	int r;
	while ((r = sink_table_next(t, cells)) == 1) {
		for (uint32_t i = 0; i < t->n_columns; i++)
			bind_cell(s->st, (int)i + 1, t->types[i], &cells[i]);
		if (sqlite3_step(s->st) != SQLITE_DONE) {
			sq_error(s, what.data);
			goto out;
		}
		sqlite3_reset(s->st);
	}
	if (r == 0)
		rc = 0;
out:
	sqlite3_finalize(s->st);
	s->st = NULL;
	free(cells);
	buf_release(&what);
	buf_release(&sql);
	return rc;
}

static int prov_row(void *arg, const char *item, const char *name, const char *attribute,
		    const char *value)
{
	struct sq *s = arg;
	sqlite3_bind_text(s->st, 1, item, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st, 3, attribute, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(s->st, 4, value, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s->st, 4);
	if (sqlite3_step(s->st) != SQLITE_DONE)
		return sq_error(s, "table \"provenance\"");
	sqlite3_reset(s->st);
	return 0;
}

static int write_provenance(struct sq *s, const struct provenance *prov)
{
	if (exec(s, "CREATE TABLE provenance (item TEXT NOT NULL, name TEXT NOT NULL, "
		    "attribute TEXT NOT NULL, value TEXT, PRIMARY KEY (item, name, attribute))",
		 "table \"provenance\""))
		return -1;
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO provenance VALUES (?, ?, ?, ?)", -1,
			       &s->st, NULL) != SQLITE_OK)
		return sq_error(s, "table \"provenance\"");
	int rc = provenance_rows(prov, prov_row, s);
	sqlite3_finalize(s->st);
	s->st = NULL;
	return rc;
}

int sink_sqlite_publish(const char *path, struct sink_table *t, uint32_t n,
			const struct provenance *prov)
{
	struct buf tmp, dir;
	buf_init(&tmp);
	buf_init(&dir);
	const char *slash = strrchr(path, '/');
	if (slash) {
		buf_append(&dir, path, (size_t)(slash - path));
		if (!dir.len)
			buf_putc(&dir, '/');
	} else {
		buf_putc(&dir, '.');
	}
	buf_printf(&tmp, "%.*s.%s.%ld.tmp", slash ? (int)(slash - path + 1) : 0, path,
		   slash ? slash + 1 : path, (long)getpid());
	struct sq s = {.path = path};
	int rc = -1;
	unlink(tmp.data);
	if (sqlite3_open_v2(tmp.data, &s.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		sq_error(&s, "could not create a temporary file");
		goto out;
	}
	if (exec(&s, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN", "begin"))
		goto out;
	for (uint32_t i = 0; i < n; i++)
		if (write_table(&s, &t[i]))
			goto out;
	if (write_provenance(&s, prov) || exec(&s, "COMMIT", "commit"))
		goto out;
	if (sqlite3_close(s.db) != SQLITE_OK) {
		sq_error(&s, "close");
		s.db = NULL;
		goto out;
	}
	s.db = NULL;
	int fd = open(tmp.data, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		log_error("could not write results database \"%s\": %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (rename(tmp.data, path) != 0) {
		log_error("could not write results database \"%s\": %s", path, strerror(errno));
		goto out;
	}
	fs_fsync_dir(dir.data);
	rc = 0;
out:
	if (s.db)
		sqlite3_close(s.db);
	if (rc)
		unlink(tmp.data);
	buf_release(&tmp);
	buf_release(&dir);
	return rc;
}
