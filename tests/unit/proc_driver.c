/*
 * tests/unit/proc_driver.c: hand-written updates through the real indexer
 * storage, worker, merge and results code, and views of what they produced
 * (see proc_driver.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "proc_driver.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builtin.h"
#include "fixture.h"
#include "index_db.h"
#include "merge.h"
#include "proc_ctx.h"
#include "proto.h"
#include "registry.h"
#include "results.h"
#include "state_dump.h"
#include "state_file.h"
#include "worker.h"

struct pd_session {
	struct bpass_session_key key;  /* strings owned */
	struct buf payload;            /* the worker's PROTO_RESULT of the last run */
	struct buf file;               /* its state file after the last run */
	struct state_file sf;          /* file, parsed */
	char **text;                   /* sf.e[i] as text */
};

struct pd_table {
	char *name;
	char *text;
};

struct pd_tables {
	struct pd_table *t;
	uint32_t n, cap;
};

struct pd {
	char dir[FX_PATH], index[FX_PATH], state[FX_PATH];
	struct buf select;             /* the -p list */
	char **plugins;                /* plugin paths, as --plugin gives them */
	uint32_t n_plugins;
	struct registry reg;
	const struct bpass_processor **procs;  /* the selection in run order */
	uint32_t n;
	struct pd_session *s;
	uint32_t n_s, cap_s;
	struct fx_tarball *tarball;    /* open while updates are fed */
	uint32_t tarballs;
	struct pd_tables tables;       /* of the last merge */
	struct buf figures;
	struct buf cache;              /* the cached global result of the last merge */
	struct state_file cache_sf;
};

/* ---------------------------------------------------------------------------
 * Loading and showing states
 */

const struct bpass_processor *pd_processor(const char *name)
{
	for (const struct bpass_processor *const *p = processors_builtin; *p; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	return NULL;
}

struct bpass_ctx *pd_ctx(const struct bpass_processor *p, const struct bpass_session_key *key)
{
	/* One for the test process (never released: it owns only small buffers). */
	static struct proc_ctx x;
	static bool ready;
	if (!ready) {
		proc_ctx_init(&x, NULL);
		ready = true;
	}
	return proc_ctx_enter(&x, p, key);
}

static const struct bpass_session_key default_key = {"N1", PD_CONTEXT, 1};

static int load_part(const struct bpass_processor *p, enum pd_part part,
		     const struct bpass_session_key *key, uint32_t version, const void *data,
		     size_t len, struct buf *saved)
{
	struct bpass_ctx *ctx = pd_ctx(p, key);
	void *st = part == PD_SESSION     ? p->session_new(ctx)
		   : part == PD_EPHEMERAL ? p->ephemeral_new(ctx)
					  : p->global_new(ctx);
	assert_non_null(st);
	struct state_reader rd;
	state_reader_init(&rd);
	state_reader_reset(&rd, data, len);
	int rc = part == PD_SESSION     ? p->load(ctx, st, version, &rd.r)
		 : part == PD_EPHEMERAL ? p->ephemeral_load(ctx, st, &rd.r)
					: p->global_load(ctx, st, version, &rd.r);
	if (rd.failed)
		rc = -1;
	if (rc == 0 && saved) {
		struct state_writer sw;
		state_writer_init(&sw);
		int s = part == PD_SESSION     ? p->save(ctx, st, &sw.w)
			: part == PD_EPHEMERAL ? p->ephemeral_save(ctx, st, &sw.w)
					       : p->global_save(ctx, st, &sw.w);
		if (s || state_writer_finish(&sw))
			fail_msg("%s: could not save what it loaded", p->name);
		buf_reset(saved);
		buf_append(saved, sw.sbuf.data, sw.sbuf.size);
		state_writer_release(&sw);
	}
	if (part == PD_SESSION)
		p->session_free(ctx, st);
	else if (part == PD_EPHEMERAL)
		p->ephemeral_free(ctx, st);
	else
		p->global_free(ctx, st);
	state_reader_release(&rd);
	return rc ? -1 : 0;
}

int pd_load(const struct bpass_processor *p, enum pd_part part, uint32_t version,
	    const void *data, size_t len, struct buf *saved)
{
	return load_part(p, part, &default_key, version, data, len, saved);
}

char *pd_msgpack_text(const void *data, size_t len)
{
	struct buf out;
	buf_init(&out);
	struct state_reader rd;
	state_reader_init(&rd);
	state_reader_reset(&rd, data, len);
	for (bool first = true; !state_reader_done(&rd); first = false) {
		const msgpack_object *o = state_reader_next(&rd);
		if (!o) {
			buf_puts(&out, first ? "(not msgpack)" : ", (not msgpack)");
			break;
		}
		if (!first)
			buf_puts(&out, ", ");
		state_dump_json(o, &out);
	}
	state_reader_release(&rd);
	buf_putc(&out, 0);         /* makes out own an allocation */
	out.len--;
	return out.data;
}

/* Value number i under o (o itself is number *count), or NULL. */
static msgpack_object *nth_value(msgpack_object *o, size_t i, size_t *count)
{
	if ((*count)++ == i)
		return o;
	msgpack_object *hit = NULL;
	if (o->type == MSGPACK_OBJECT_ARRAY)
		for (uint32_t k = 0; k < o->via.array.size && !hit; k++)
			hit = nth_value(&o->via.array.ptr[k], i, count);
	if (o->type == MSGPACK_OBJECT_MAP)
		for (uint32_t k = 0; k < o->via.map.size && !hit; k++) {
			hit = nth_value(&o->via.map.ptr[k].key, i, count);
			if (!hit)
				hit = nth_value(&o->via.map.ptr[k].val, i, count);
		}
	return hit;
}

bool pd_msgpack_retype(const void *data, size_t len, size_t i, struct buf *out)
{
	msgpack_zone zone;
	msgpack_zone_init(&zone, 4096);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	size_t off = 0, count = 0;
	bool found = false;
	msgpack_object o;
	while (off < len) {
		int rc = msgpack_unpack(data, len, &off, &zone, &o);
		assert_true(rc == MSGPACK_UNPACK_SUCCESS || rc == MSGPACK_UNPACK_EXTRA_BYTES);
		msgpack_object *hit = found ? NULL : nth_value(&o, i, &count);
		if (hit) {
			found = true;
			if (hit->type == MSGPACK_OBJECT_STR) {
				hit->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
				hit->via.u64 = 1;
			} else {
				hit->type = MSGPACK_OBJECT_STR;
				hit->via.str.ptr = "x";
				hit->via.str.size = 1;
			}
		}
		msgpack_pack_object(&pk, o);
	}
	buf_reset(out);
	buf_append(out, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	msgpack_zone_destroy(&zone);
	return found;
}

/* ---------------------------------------------------------------------------
 * Set-up
 */

struct pd *pd_new(const char *const *names)
{
	return pd_new_plugins(names, NULL);
}

struct pd *pd_new_plugins(const char *const *names, const char *const *plugins)
{
	struct pd *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	assert_int_equal(fx_scratch_run("proc", d->dir, d->index, d->state), 0);
	assert_int_equal(mkdir(d->state, 0755), 0);
	struct index_db *db;            /* an empty index: a run may come first */
	assert_int_equal(index_db_open(&db, d->index, INDEX_OPEN_WRITE), 0);
	index_db_close(db);
	buf_init(&d->select);
	if (names) {
		for (; *names; names++)
			buf_printf(&d->select, "%s%s", d->select.len ? "," : "", *names);
	} else {
		for (const struct bpass_processor *const *p = processors_builtin; *p; p++)
			if (strcmp((*p)->name, "byte-count"))
				buf_printf(&d->select, "%s%s", d->select.len ? "," : "", (*p)->name);
	}
	for (; plugins && *plugins; plugins++) {
		d->plugins = xrealloc(d->plugins, (d->n_plugins + 1) * sizeof(*d->plugins));
		d->plugins[d->n_plugins++] = xstrdup(*plugins);
	}
	registry_init(&d->reg);
	uint32_t *order;
	assert_int_equal(registry_setup(&d->reg, d->plugins, d->n_plugins), 0);
	assert_int_equal(registry_select(&d->reg, d->select.data, &order, &d->n), 0);
	d->procs = calloc(d->n, sizeof(*d->procs));
	for (uint32_t i = 0; i < d->n; i++)
		d->procs[i] = &d->reg.procs[order[i]].p;
	free(order);
	buf_init(&d->figures);
	buf_init(&d->cache);
	state_file_init(&d->cache_sf);
	return d;
}

static void tables_release(struct pd_tables *t)
{
	for (uint32_t i = 0; i < t->n; i++) {
		free(t->t[i].name);
		free(t->t[i].text);
	}
	free(t->t);
	memset(t, 0, sizeof(*t));
}

static void session_texts_free(struct pd_session *s)
{
	for (uint32_t i = 0; s->text && i < s->sf.n; i++)
		free(s->text[i]);
	free(s->text);
	s->text = NULL;
}

void pd_free(struct pd *d)
{
	if (d->tarball)
		fx_tarball_commit(d->tarball);
	for (uint32_t k = 0; k < d->n_s; k++) {
		struct pd_session *s = &d->s[k];
		session_texts_free(s);
		free((char *)s->key.node_id);
		free((char *)s->key.context);
		buf_release(&s->payload);
		buf_release(&s->file);
		state_file_release(&s->sf);
	}
	free(d->s);
	free(d->procs);
	registry_release(&d->reg);
	for (uint32_t i = 0; i < d->n_plugins; i++)
		free(d->plugins[i]);
	free(d->plugins);
	buf_release(&d->select);
	tables_release(&d->tables);
	buf_release(&d->figures);
	buf_release(&d->cache);
	state_file_release(&d->cache_sf);
	assert_int_equal(fx_remove(d->dir), 0);
	free(d);
}

/* ---------------------------------------------------------------------------
 * Feeding
 */

void pd_feed(struct pd *d, const char *text)
{
	if (!d->tarball) {
		char name[32];
		snprintf(name, sizeof(name), "t%u.tar", ++d->tarballs);
		d->tarball = fx_tarball_begin(d->index, name);
	}
	const struct bpass_update *u = fx_tarball_add(d->tarball, text, strlen(text));
	const struct bpass_session_key key = {u->node_id, u->context, u->session_id};
	for (uint32_t k = 0; k < d->n_s; k++)
		if (session_key_eq(&d->s[k].key, &key))
			return;
	xgrow((void **)&d->s, &d->cap_s, d->n_s + 1, sizeof(*d->s));
	struct pd_session *s = &d->s[d->n_s++];
	memset(s, 0, sizeof(*s));
	s->key = (struct bpass_session_key){xstrdup(key.node_id), xstrdup(key.context),
					    key.session_id};
	buf_init(&s->payload);
	buf_init(&s->file);
	state_file_init(&s->sf);
}

void pd_feed_parts(struct pd *d, const struct pd_text *t)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%d\nUNKNOWN\n%s\n", t->version ? t->version : 5, t->intro);
	if (t->pcap)
		buf_printf(&b, "%s\n", t->pcap);
	buf_printf(&b, "\n%s\n%s\n\n", t->whitelist ? t->whitelist : "",
		   t->context ? t->context : PD_CONTEXT);
	buf_printf(&b, "%s\n", t->packets ? t->packets : "0 0\n");
	buf_printf(&b, "%s\n", t->flows ? t->flows : "0 0 0 0\n");
	buf_printf(&b, "%s\n", t->dns_a ? t->dns_a : "0 0\n");
	buf_printf(&b, "%s\n", t->cname ? t->cname : "");
	buf_printf(&b, "%s\n", t->addresses ? t->addresses : "0 256\n");
	buf_puts(&b, "\n");  /* the empty drop-statistics section */
	pd_feed(d, b.data);
	buf_release(&b);
}

void pd_feed_file(struct pd *d, const char *path)
{
	size_t len;
	char *text = fx_read_file(path, &len);
	assert_non_null(text);
	pd_feed(d, text);
	free(text);
}

/* ---------------------------------------------------------------------------
 * Runs
 */

static const struct bpass_processor *find_proc(const struct pd *d, const char *name, size_t len)
{
	for (uint32_t i = 0; i < d->reg.n; i++)
		if (strlen(d->reg.procs[i].p.name) == len && !memcmp(d->reg.procs[i].p.name, name, len))
			return &d->reg.procs[i].p;
	fail_msg("no processor \"%.*s\"", (int)len, name);
	return NULL;
}

/* A saved part must load and save back to the same bytes. */
static void check_round_trip(const struct bpass_processor *p, enum pd_part part,
			     const struct bpass_session_key *key, uint32_t version,
			     const void *data, size_t len)
{
	struct buf again;
	buf_init(&again);
	if (load_part(p, part, key, version, data, len, &again))
		fail_msg("%s: could not load its own saved state: %s", p->name,
			 pd_msgpack_text(data, len));
	if (again.len != len || memcmp(again.data, data, len))
		fail_msg("%s: save(load(x)) differs from x:\n%s\n%s", p->name,
			 pd_msgpack_text(data, len), pd_msgpack_text(again.data, again.len));
	buf_release(&again);
}

/* Reads and checks the state file of s and renders its parts. */
static void read_state(struct pd *d, struct pd_session *s)
{
	struct buf path, err;
	buf_init(&path);
	buf_init(&err);
	buf_printf(&path, "%s/", d->state);
	state_file_name(&s->key, &path);
	assert_int_equal(state_file_read(path.data, &s->file), STATE_FILE_READ_OK);
	if (state_file_parse(&s->sf, s->file.data, s->file.len, &s->key, &err))
		fail_msg("state file \"%s\": %s", path.data, err.data);
	s->text = calloc(s->sf.n + 1, sizeof(*s->text));
	for (uint32_t i = 0; i < s->sf.n; i++) {
		const struct state_entry *e = &s->sf.e[i];
		const struct bpass_processor *p = find_proc(d, e->name, e->name_len);
		if (p->session_new)
			check_round_trip(p, PD_SESSION, &s->key, e->version, e->data, e->data_len);
		s->text[i] = pd_msgpack_text(e->data, e->data_len);
	}
	buf_release(&path);
	buf_release(&err);
}

void pd_end_run(struct pd *d)
{
	if (d->tarball)
		fx_tarball_commit(d->tarball);
	d->tarball = NULL;
	const struct worker_options o = {
		.index_path = d->index,
		.state_dir = d->state,
		.select = d->select.data,
		.plugins = d->plugins,
		.n_plugins = d->n_plugins,
		.no_fsync = true,
	};
	struct worker *w = malloc(sizeof(*w));
	assert_non_null(w);
	assert_int_equal(worker_init(w, &o, NULL), 0);
	struct proto_result res;
	proto_result_init(&res);
	struct buf name;
	buf_init(&name);
	for (uint32_t k = 0; k < d->n_s; k++) {
		struct pd_session *s = &d->s[k];
		const void *p;
		size_t len;
		assert_int_equal(worker_session(w, &s->key, &p, &len), 0);
		buf_reset(&s->payload);
		buf_append(&s->payload, p, len);
		assert_int_equal(proto_result_decode(&res, s->payload.data, s->payload.len), 0);
		if (res.status != PROTO_PROCESSED && res.status != PROTO_UNCHANGED) {
			buf_reset(&name);
			session_key_format(&s->key, &name);
			fail_msg("session %s ended with status %d (missing update %" PRId32 ")",
				 name.data, res.status, res.missing_seq);
		}
		for (uint32_t j = 0; j < res.n_eph; j++)
			check_round_trip(find_proc(d, res.eph[j].name, res.eph[j].name_len),
					 PD_EPHEMERAL, &s->key, 0, res.eph[j].data, res.eph[j].len);
	}
	buf_release(&name);
	proto_result_release(&res);
	worker_release(w);
	free(w);
	for (uint32_t k = 0; k < d->n_s; k++) {
		session_texts_free(&d->s[k]);
		read_state(d, &d->s[k]);
	}
	pd_merge(d, NULL);
}

/* ---------------------------------------------------------------------------
 * Merging and tables
 */

static int table_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pd_table *)a)->name, ((const struct pd_table *)b)->name);
}

/* Writes m's tables into folder sub of the scratch folder and reads them back. */
static void write_tables(struct pd *d, struct merge *m, const char *sub, struct pd_tables *out)
{
	char dir[FX_PATH + 16];
	snprintf(dir, sizeof(dir), "%s/%s", d->dir, sub);
	struct results res;
	assert_int_equal(results_init(&res, dir, false), 0);
	assert_int_equal(merge_write(m, &res.r), 0);
	assert_false(results_failed(&res));
	results_remove_others(&res);
	results_release(&res);
	tables_release(out);
	DIR *dh = opendir(dir);
	assert_non_null(dh);
	struct dirent *e;
	while ((e = readdir(dh))) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".csv"))
			continue;
		char path[sizeof(dir) + 256];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		size_t len;
		xgrow((void **)&out->t, &out->cap, out->n + 1, sizeof(*out->t));
		struct pd_table *t = &out->t[out->n++];
		t->name = xstrdup(e->d_name);
		t->name[n - 4] = 0;
		t->text = fx_read_file(path, &len);
		assert_non_null(t->text);
	}
	closedir(dh);
	if (out->n)
		qsort(out->t, out->n, sizeof(*out->t), table_cmp);
}

/* The cell number col of a CSV line (no quoted cells in these tables). */
static bool csv_cell(const char *line, size_t col, const char **cell, size_t *len)
{
	for (; col > 0; col--) {
		line = strpbrk(line, ",\n");
		if (!line || *line == '\n')
			return false;
		line++;
	}
	*cell = line;
	*len = strcspn(line, ",\n");
	return true;
}

/* The line of sessions.csv of session s, or NULL. */
static const char *session_row(const struct pd *d, const struct pd_session *s)
{
	const char *text = pd_table(d, "sessions");
	assert_non_null(text);
	assert_null(strchr(text, '"'));
	char sid[24];
	snprintf(sid, sizeof(sid), "%" PRId64, s->key.session_id);
	for (const char *line = strchr(text, '\n'); line && line[1]; line = strchr(line, '\n')) {
		line++;
		const char *node, *ctx, *id;
		size_t n1, n2, n3;
		if (csv_cell(line, 0, &node, &n1) && csv_cell(line, 1, &ctx, &n2) &&
		    csv_cell(line, 2, &id, &n3) && n1 == strlen(s->key.node_id) &&
		    !memcmp(node, s->key.node_id, n1) && n2 == strlen(s->key.context) &&
		    !memcmp(ctx, s->key.context, n2) && n3 == strlen(sid) && !memcmp(id, sid, n3))
			return line;
	}
	return NULL;
}

/* The columns of sessions.csv before the processors' figures. */
#define PD_FIXED_COLUMNS 5

static void render_figures(struct pd *d)
{
	const char *head = pd_table(d, "sessions");
	assert_non_null(head);
	buf_reset(&d->figures);
	for (uint32_t k = 0; k < d->n_s; k++) {
		const struct pd_session *s = &d->s[k];
		buf_printf(&d->figures, "%s %s %" PRId64 ":", s->key.node_id, s->key.context,
			   s->key.session_id);
		const char *row = session_row(d, s), *cell, *column;
		size_t len, clen;
		for (size_t c = PD_FIXED_COLUMNS; row && csv_cell(head, c, &column, &clen); c++)
			if (!(clen == 6 && !memcmp(column, "status", 6)) &&  /* the harness's */
			    csv_cell(row, c, &cell, &len) && len)
				buf_printf(&d->figures, " %.*s=%.*s", (int)clen, column, (int)len, cell);
		buf_putc(&d->figures, '\n');
	}
}

/* Saves m as the cached global result into path and reads the file into out. */
static void save_cache(struct merge *m, const char *path, struct buf *out)
{
	assert_int_equal(merge_save(m, path), 0);
	size_t len;
	char *data = fx_read_file(path, &len);
	assert_non_null(data);
	buf_reset(out);
	buf_append(out, data, len);
	free(data);
}

/* The cached global result must write the same tables and save the same bytes. */
static void check_cache(struct pd *d)
{
	char path[FX_PATH + 16];
	snprintf(path, sizeof(path), "%s/cached.state", d->dir);
	struct merge m;
	assert_int_equal(merge_init(&m, d->procs, d->n, NULL), 0);
	assert_int_equal(merge_load_cache(&m, d->cache.data, d->cache.len, path), 0);
	struct pd_tables again = {0};
	write_tables(d, &m, "cached", &again);
	assert_int_equal(again.n, d->tables.n);
	for (uint32_t i = 0; i < again.n; i++) {
		assert_string_equal(again.t[i].name, d->tables.t[i].name);
		assert_string_equal(again.t[i].text, d->tables.t[i].text);
	}
	tables_release(&again);
	struct buf bytes;
	buf_init(&bytes);
	save_cache(&m, path, &bytes);
	assert_int_equal(bytes.len, d->cache.len);
	assert_memory_equal(bytes.data, d->cache.data, bytes.len);
	buf_release(&bytes);
	merge_release(&m);
}

void pd_merge(struct pd *d, const uint32_t *order)
{
	struct merge m;
	assert_int_equal(merge_init(&m, d->procs, d->n, NULL), 0);
	struct proto_result res;
	proto_result_init(&res);
	for (uint32_t k = 0; k < d->n_s; k++) {
		const struct pd_session *s = &d->s[order ? order[k] : k];
		assert_int_equal(proto_result_decode(&res, s->payload.data, s->payload.len), 0);
		assert_non_null(res.state);
		/* The run's own order takes the figures the worker computed; any
		 * other has every part loaded again by the mergers (the path of
		 * a plugin's figures before workers gave them), which must give
		 * the same sessions.csv. */
		const struct merge_from from = {.redo_row = -1, .figures = order ? NULL : &res};
		assert_int_equal(merge_session(&m, &s->key, res.state, res.state_len, res.eph,
					       res.n_eph, &from), 0);
	}
	proto_result_release(&res);
	assert_int_equal(merge_complete(&m), 0);
	write_tables(d, &m, "results", &d->tables);
	char path[FX_PATH + 16];
	snprintf(path, sizeof(path), "%s/global.state", d->dir);
	save_cache(&m, path, &d->cache);
	merge_release(&m);
	struct buf err;
	buf_init(&err);
	if (state_file_parse(&d->cache_sf, d->cache.data, d->cache.len, NULL, &err))
		fail_msg("global result cache: %s", err.data);
	buf_release(&err);
	check_cache(d);
	render_figures(d);
}

/* ---------------------------------------------------------------------------
 * Views
 */

const char *pd_table(const struct pd *d, const char *name)
{
	for (uint32_t i = 0; i < d->tables.n; i++)
		if (!strcmp(d->tables.t[i].name, name))
			return d->tables.t[i].text;
	return NULL;
}

char *pd_tables_text(const struct pd *d, const char *const *except)
{
	struct buf out;
	buf_init(&out);
	buf_putc(&out, 0);         /* makes out own an allocation */
	out.len = 0;
	for (uint32_t i = 0; i < d->tables.n; i++) {
		bool skip = false;
		for (const char *const *e = except; e && *e; e++)
			skip = skip || !strcmp(*e, d->tables.t[i].name);
		if (!skip)
			buf_printf(&out, "# %s\n%s", d->tables.t[i].name, d->tables.t[i].text);
	}
	return out.data;
}

uint32_t pd_n_sessions(const struct pd *d)
{
	return d->n_s;
}

const char *pd_figures(const struct pd *d)
{
	return d->figures.data;
}

int64_t pd_figure(const struct pd *d, uint32_t s, const char *column)
{
	assert_true(s < d->n_s);
	const char *head = pd_table(d, "sessions"), *row = session_row(d, &d->s[s]), *cell;
	size_t len;
	for (size_t c = PD_FIXED_COLUMNS; row && csv_cell(head, c, &cell, &len); c++)
		if (len == strlen(column) && !memcmp(cell, column, len)) {
			if (!csv_cell(row, c, &cell, &len) || !len)
				return INT64_MIN;
			return strtoll(cell, NULL, 10);
		}
	return INT64_MIN;
}

static const struct state_entry *saved_entry(const struct pd *d, uint32_t s, const char *name)
{
	assert_true(s < d->n_s);
	return state_file_find(&d->s[s].sf, name);
}

const char *pd_saved(const struct pd *d, uint32_t s, const char *name)
{
	const struct state_entry *e = saved_entry(d, s, name);
	return e ? d->s[s].text[e - d->s[s].sf.e] : NULL;
}

const void *pd_saved_data(const struct pd *d, uint32_t s, const char *name, size_t *len)
{
	const struct state_entry *e = saved_entry(d, s, name);
	*len = e ? e->data_len : 0;
	return e ? e->data : NULL;
}

const void *pd_global_data(const struct pd *d, const char *name, size_t *len)
{
	const struct state_entry *e = state_file_find(&d->cache_sf, name);
	*len = e ? e->data_len : 0;
	return e ? e->data : NULL;
}
