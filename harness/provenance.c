/*
 * harness/provenance.c: the record of what a result set was computed from
 * (see provenance.h).
 */
#include "provenance.h"

#include <errno.h>
#include <inttypes.h>
#include <sha2.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpass.h"
#include "log.h"
#include "proc_options.h"
#include "registry.h"
#include "timeutil.h"

void provenance_init(struct provenance *p, char *const *argv, uint32_t argc)
{
	memset(p, 0, sizeof(*p));
	struct buf b;
	buf_init(&b);
	time_iso_s(&b, (int64_t)time(NULL));
	p->written_iso = xstrdup(b.data);
	buf_release(&b);
	char host[256];
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = 0;
	host[sizeof(host) - 1] = 0;
	p->host = xstrdup(host);
	p->argc = argc;
	p->argv = xcalloc(argc + 1, sizeof(*p->argv));
	for (uint32_t i = 0; i < argc; i++)
		p->argv[i] = xstrdup(argv[i]);
	p->index_tarballs = p->index_updates = -1;
}

void provenance_release(struct provenance *p)
{
	free(p->written_iso);
	free(p->host);
	for (uint32_t i = 0; i < p->argc; i++)
		free(p->argv[i]);
	free(p->argv);
	free(p->index_path);
	for (uint32_t i = 0; i < p->n_procs; i++) {
		struct provenance_proc *q = &p->procs[i];
		for (uint32_t k = 0; k < q->n_options; k++) {
			free(q->option_names[k]);
			free(q->option_values[k]);
		}
		free(q->option_names);
		free(q->option_values);
		free(q->name);
		free(q->origin);
	}
	free(p->procs);
	for (uint32_t i = 0; i < p->n_plugins; i++)
		free(p->plugins[i].path);
	free(p->plugins);
	for (uint32_t i = 0; i < p->n_tables; i++) {
		free(p->tables[i].name);
		free(p->tables[i].processor);
	}
	for (uint32_t i = 0; i < p->n_kept; i++) {
		free(p->kept[i].name);
		free(p->kept[i].processor);
	}
	free(p->tables);
	free(p->kept);
	memset(p, 0, sizeof(*p));
}

int provenance_sha256_file(const char *path, char hex[65])
{
	hex[0] = 0;
	if (!SHA256File(path, hex)) {
		hex[0] = 0;
		return -1;
	}
	return 0;
}

void provenance_add_processor(struct provenance *p, const struct registry *r, uint32_t index,
			      const struct proc_options *o)
{
	const struct registry_proc *rp = &r->procs[index];
	p->procs = xrealloc(p->procs, (p->n_procs + 1) * sizeof(*p->procs));
	struct provenance_proc *q = &p->procs[p->n_procs++];
	memset(q, 0, sizeof(*q));
	q->name = xstrdup(rp->p.name);
	q->origin = xstrdup(rp->origin ? rp->origin : REGISTRY_BUILTIN);
	q->version = rp->p.version;
	for (const struct bpass_option *op = rp->p.options; op && op->name; op++) {
		q->option_names = xrealloc(q->option_names, (q->n_options + 1) * sizeof(char *));
		q->option_values = xrealloc(q->option_values, (q->n_options + 1) * sizeof(char *));
		const char *v = proc_options_get(o, &rp->p, op->name);
		q->option_names[q->n_options] = xstrdup(op->name);
		q->option_values[q->n_options] = v ? xstrdup(v) : NULL;
		q->n_options++;
	}
	if (rp->plugin == UINT32_MAX || rp->plugin >= r->n_plugins)
		return;
	const char *path = r->plugins[rp->plugin].path;
	for (uint32_t i = 0; i < p->n_plugins; i++)
		if (!strcmp(p->plugins[i].path, path))
			return;
	p->plugins = xrealloc(p->plugins, (p->n_plugins + 1) * sizeof(*p->plugins));
	struct provenance_plugin *pl = &p->plugins[p->n_plugins++];
	pl->path = xstrdup(path);
	if (provenance_sha256_file(path, pl->sha256))
		log_warn("could not hash plugin \"%s\" for the provenance: %s", path,
			 strerror(errno));
}

void provenance_set_index(struct provenance *p, const char *path)
{
	free(p->index_path);
	p->index_path = xstrdup(path);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
					"SELECT (SELECT count(*) FROM tarballs), "
					"(SELECT coalesce(sum(updates), 0) FROM sessions)",
					-1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		p->index_tarballs = sqlite3_column_int64(st, 0);
		p->index_updates = sqlite3_column_int64(st, 1);
	} else {
		log_warn("could not count the tarballs and updates of index \"%s\" for the "
			 "provenance: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

void provenance_add_table(struct provenance *p, const char *name, const char *processor,
			  bool kept)
{
	struct provenance_table **v = kept ? &p->kept : &p->tables;
	uint32_t *n = kept ? &p->n_kept : &p->n_tables;
	uint32_t *cap = kept ? &p->cap_kept : &p->cap_tables;
	xgrow((void **)v, cap, *n + 1, sizeof(**v));
	(*v)[*n].name = xstrdup(name);
	(*v)[*n].processor = xstrdup(processor ? processor : "bpass");
	(*n)++;
}

static void key(struct buf *out, const char *k)
{
	buf_puts(out, "  ");
	buf_put_json_str(out, k);
	buf_puts(out, ": ");
}

static void tables_json(struct buf *out, const struct provenance_table *t, uint32_t n)
{
	buf_putc(out, '[');
	for (uint32_t i = 0; i < n; i++) {
		buf_puts(out, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
		buf_put_json_str(out, t[i].name);
		buf_puts(out, ", \"processor\": ");
		buf_put_json_str(out, t[i].processor);
		buf_putc(out, '}');
	}
	buf_puts(out, n ? "\n  ]" : "]");
}

void provenance_json(const struct provenance *p, struct buf *out)
{
	buf_puts(out, "{\n");
	key(out, "bpass_version");
	buf_put_json_str(out, BPASS_VERSION_STRING);
	buf_puts(out, ",\n");
	key(out, "written_iso");
	buf_put_json_str(out, p->written_iso);
	buf_puts(out, ",\n");
	key(out, "host");
	buf_put_json_str(out, p->host);
	buf_puts(out, ",\n");
	key(out, "command_line");
	buf_putc(out, '[');
	for (uint32_t i = 0; i < p->argc; i++) {
		if (i)
			buf_puts(out, ", ");
		buf_put_json_str(out, p->argv[i]);
	}
	buf_puts(out, "],\n");
	key(out, "index");
	if (p->index_path) {
		buf_puts(out, "{\"path\": ");
		buf_put_json_str(out, p->index_path);
		buf_puts(out, ", \"tarballs\": ");
		buf_put_i64(out, p->index_tarballs);
		buf_puts(out, ", \"updates\": ");
		buf_put_i64(out, p->index_updates);
		buf_putc(out, '}');
	} else {
		buf_puts(out, "null");
	}
	buf_puts(out, ",\n");
	key(out, "processors");
	buf_putc(out, '[');
	for (uint32_t i = 0; i < p->n_procs; i++) {
		const struct provenance_proc *q = &p->procs[i];
		buf_puts(out, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
		buf_put_json_str(out, q->name);
		buf_printf(out, ", \"version\": %" PRIu32 ", \"origin\": ", q->version);
		buf_put_json_str(out, q->origin);
		buf_puts(out, ", \"options\": {");
		for (uint32_t k = 0; k < q->n_options; k++) {
			if (k)
				buf_puts(out, ", ");
			buf_put_json_str(out, q->option_names[k]);
			buf_puts(out, ": ");
			if (q->option_values[k])
				buf_put_json_str(out, q->option_values[k]);
			else
				buf_puts(out, "null");
		}
		buf_puts(out, "}}");
	}
	buf_puts(out, p->n_procs ? "\n  ],\n" : "],\n");
	key(out, "plugins");
	buf_putc(out, '[');
	for (uint32_t i = 0; i < p->n_plugins; i++) {
		buf_puts(out, i ? ",\n    {\"path\": " : "\n    {\"path\": ");
		buf_put_json_str(out, p->plugins[i].path);
		buf_puts(out, ", \"sha256\": ");
		if (p->plugins[i].sha256[0])
			buf_put_json_str(out, p->plugins[i].sha256);
		else
			buf_puts(out, "null");
		buf_putc(out, '}');
	}
	buf_puts(out, p->n_plugins ? "\n  ],\n" : "],\n");
	key(out, "tables");
	tables_json(out, p->tables, p->n_tables);
	buf_puts(out, ",\n");
	key(out, "kept_tables");
	tables_json(out, p->kept, p->n_kept);
	buf_puts(out, "\n}\n");
}

int provenance_rows(const struct provenance *p,
		    int (*row)(void *arg, const char *item, const char *name,
			       const char *attribute, const char *value),
		    void *arg)
{
	struct buf v;
	buf_init(&v);
	int rc;
#define ROW(i, n, a, val) do { if ((rc = row(arg, i, n, a, val)) != 0) goto out; } while (0)
	ROW("bpass", "", "version", BPASS_VERSION_STRING);
	ROW("run", "", "written_iso", p->written_iso);
	ROW("run", "", "host", p->host);
	for (uint32_t i = 0; i < p->argc; i++) {
		if (i)
			buf_putc(&v, ' ');
		buf_puts(&v, p->argv[i]);
	}
	ROW("run", "", "command_line", v.data);
	if (p->index_path) {
		buf_reset(&v);
		buf_put_i64(&v, p->index_tarballs);
		ROW("index", p->index_path, "tarballs", v.data);
		buf_reset(&v);
		buf_put_i64(&v, p->index_updates);
		ROW("index", p->index_path, "updates", v.data);
	}
	for (uint32_t i = 0; i < p->n_procs; i++) {
		const struct provenance_proc *q = &p->procs[i];
		buf_reset(&v);
		buf_printf(&v, "%" PRIu32, q->version);
		ROW("processor", q->name, "version", v.data);
		ROW("processor", q->name, "origin", q->origin);
		for (uint32_t k = 0; k < q->n_options; k++) {
			buf_reset(&v);
			buf_printf(&v, "option.%s", q->option_names[k]);
			ROW("processor", q->name, v.data, q->option_values[k]);
		}
	}
	for (uint32_t i = 0; i < p->n_plugins; i++)
		ROW("plugin", p->plugins[i].path, "sha256",
		    p->plugins[i].sha256[0] ? p->plugins[i].sha256 : NULL);
	for (uint32_t i = 0; i < p->n_tables; i++)
		ROW("table", p->tables[i].name, "processor", p->tables[i].processor);
	for (uint32_t i = 0; i < p->n_kept; i++)
		ROW("kept_table", p->kept[i].name, "processor", p->kept[i].processor);
	buf_reset(&v);
	provenance_json(p, &v);
	ROW("manifest", "", "json", v.data);
#undef ROW
	rc = 0;
out:
	buf_release(&v);
	return rc;
}
