/*
 * processors/proc_tables.c: the result tables bpass keeps for a processor
 * (.tables): declaration checks, the wrapped descriptor and its callbacks,
 * ctx->add_row, the hash of the declarations (see proc_tables.h).
 */
#include "proc_tables.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "proc_ctx.h"
#include "sdk_agg.h"

/* What add_row checks of one table, worked out once. */
struct pt_table {
	const char *name;             /* borrowed from the declaration */
	uint32_t ncells;              /* cells per row: the columns that are not COUNT */
	uint32_t n_str;               /* string cells */
	uint8_t str_cell[BPASS_AGG_MAX_COLUMNS];  /* their index among the cells */
	uint8_t str_col[BPASS_AGG_MAX_COLUMNS];   /* their column */
};

/* What a wrapped descriptor refers to (its .tables is decls). */
struct proc_tables {
	struct bpass_processor inner;  /* the processor's own descriptor */
	uint32_t n;                    /* tables */
	struct pt_table *t;            /* n */
	struct bpass_table_decl decls[];  /* the declarations, n + the end */
};

/* A wrapped session state or global result. */
struct pt_part {
	void *own;                     /* the processor's own, or NULL */
	bool failed;                   /* an add_row failed in the running call */
	struct bpass_agg *agg[];       /* one per table */
};

/* ---------------------------------------------------------------------------
 * Declarations
 */

/* A result table name, as harness/results.c accepts it. */
static bool valid_table_name(const char *s)
{
	if (!*s || strlen(s) > 100)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

int proc_tables_check(const struct bpass_processor *p, struct buf *why)
{
	const struct bpass_table_decl *d = p->tables;
	uint32_t n = 0;
	for (; d[n].name; n++) {
		const char *name = d[n].name;
		if (n == PROC_TABLES_MAX) {
			buf_printf(why, "more than %d tables", PROC_TABLES_MAX);
			return -1;
		}
		if (!valid_table_name(name)) {
			buf_printf(why, "invalid table name \"%s\": use 1-100 lower-case letters, digits, "
				   "'_' and '-'", name);
			return -1;
		}
		if (!strcmp(name, "sessions")) {
			buf_puts(why, "table \"sessions\": the name is bpass's own (sessions.csv)");
			return -1;
		}
		for (uint32_t j = 0; j < n; j++)
			if (!strcmp(d[j].name, name)) {
				buf_printf(why, "table \"%s\" declared twice", name);
				return -1;
			}
		size_t at;
		const char *bad = sdk_agg_check(name, d[n].columns, &at);
		if (bad) {
			buf_printf(why, "table \"%s\": %s", name, bad);
			if (at != SIZE_MAX && *d[n].columns[at].name)
				buf_printf(why, ": \"%s\"", d[n].columns[at].name);
			else if (at != SIZE_MAX)
				buf_printf(why, " (column %zu)", at + 1);
			return -1;
		}
	}
	return 0;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	/* The terminating NUL too, so that "ab","c" differs from "a","bc". */
	do
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	while (*s++);
	return h;
}

uint64_t proc_tables_hash(const struct bpass_processor *p)
{
	if (!p->tables || !p->tables[0].name)
		return 0;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const struct bpass_table_decl *d = p->tables; d->name; d++) {
		h = fnv(h, d->name);
		for (const struct bpass_column *c = d->columns; c->name; c++) {
			char type[4] = {(char)('0' + c->type / 10), (char)('0' + c->type % 10), 0};
			h = fnv(fnv(h, c->name), type);
		}
		h = fnv(h, "");   /* the end of the columns */
	}
	return h ? h : 1;
}

/* ---------------------------------------------------------------------------
 * Finding the wrapper
 */

static void *pt_session_new(struct bpass_ctx *ctx);

bool proc_tables_wrapped(const struct bpass_processor *p)
{
	return p->session_new == pt_session_new;
}

static struct proc_tables *of(const struct bpass_processor *p)
{
	if (!proc_tables_wrapped(p))
		return NULL;
	return (struct proc_tables *)((char *)p->tables - offsetof(struct proc_tables, decls));
}

/* The wrapper of the processor called with ctx. */
static const struct proc_tables *tables_of(struct bpass_ctx *ctx)
{
	return of(((struct proc_ctx *)ctx->impl)->p);
}

const void *proc_tables_own_state(const struct bpass_processor *p, const void *state)
{
	if (!state || !proc_tables_wrapped(p))
		return state;
	return ((const struct pt_part *)state)->own;
}

/* ---------------------------------------------------------------------------
 * Rows
 */

int proc_tables_add_row(struct bpass_ctx *ctx, uint32_t table, const union bpass_cell *cells,
			size_t n)
{
	struct proc_ctx *x = ctx->impl;
	const struct proc_tables *pt = of(x->p);
	struct pt_part *s = x->tables;
	if (!pt) {
		ctx->error(ctx, "could not add a row: the processor declares no tables");
		return -1;
	}
	if (!s) {
		ctx->error(ctx, "could not add a row: rows are added in process and "
			   "session_complete only");
		return -1;
	}
	const struct pt_table *t = table < pt->n ? &pt->t[table] : NULL;
	if (!t) {
		ctx->error(ctx, "could not add a row to table %u: the processor declares %u table%s",
			   table, pt->n, pt->n == 1 ? "" : "s");
		goto fail;
	}
	if (n != t->ncells) {
		ctx->error(ctx, "could not add a row to table \"%s\": %zu cell%s given, it takes %u",
			   t->name, n, n == 1 ? "" : "s", t->ncells);
		goto fail;
	}
	if (!cells && n) {
		ctx->error(ctx, "could not add a row to table \"%s\": no cells (NULL)", t->name);
		goto fail;
	}
	for (uint32_t k = 0; k < t->n_str; k++)
		if (!cells[t->str_cell[k]].s) {
			ctx->error(ctx, "could not add a row to table \"%s\": a NULL string for column "
				   "\"%s\"", t->name, pt->decls[table].columns[t->str_col[k]].name);
			goto fail;
		}
	if (bpass_agg_add_cells(s->agg[table], cells, n)) {
		ctx->error(ctx, "could not add a row to table \"%s\": %s", t->name, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	s->failed = true;   /* the call fails, whatever the processor returns */
	return -1;
}

/* ---------------------------------------------------------------------------
 * The parts: {own, aggs}
 */

static void part_free(struct bpass_ctx *ctx, const struct proc_tables *pt, struct pt_part *s,
		      void (*own_free)(struct bpass_ctx *, void *))
{
	if (!s)
		return;
	if (s->own && own_free)
		own_free(ctx, s->own);
	for (uint32_t i = 0; i < pt->n; i++)
		bpass_agg_free(s->agg[i]);
	free(s);
}

static struct pt_part *part_new(struct bpass_ctx *ctx, const struct proc_tables *pt,
				void *(*own_new)(struct bpass_ctx *))
{
	struct pt_part *s = xcalloc(1, sizeof(*s) + pt->n * sizeof(s->agg[0]));
	for (uint32_t i = 0; i < pt->n; i++) {
		s->agg[i] = bpass_agg_new(pt->decls[i].name, pt->decls[i].columns);
		if (!s->agg[i]) {
			ctx->error(ctx, "could not create table \"%s\": %s", pt->decls[i].name,
				   strerror(errno));
			part_free(ctx, pt, s, NULL);
			return NULL;
		}
	}
	if (own_new && !(s->own = own_new(ctx))) {
		part_free(ctx, pt, s, NULL);
		return NULL;   /* the processor's ctx->error says why */
	}
	return s;
}

/* Writes the tables of s: an array of their saved forms. */
static int save_tables(struct bpass_ctx *ctx, const struct proc_tables *pt,
		       const struct pt_part *s, struct bpass_writer *w)
{
	w->array(w, pt->n);
	for (uint32_t i = 0; i < pt->n; i++)
		if (bpass_agg_save(s->agg[i], w)) {
			ctx->error(ctx, "could not save table \"%s\": %s", pt->decls[i].name,
				   strerror(errno));
			return -1;
		}
	return 0;
}

/* Reads what save_tables wrote into s. Returns 0, or -1 for another
 * number of tables, another declaration or a bad shape. */
static int load_tables(const struct proc_tables *pt, struct pt_part *s, struct bpass_reader *r)
{
	uint32_t n;
	if (r->array(r, &n) || n != pt->n)
		return -1;
	for (uint32_t i = 0; i < pt->n; i++)
		if (bpass_agg_load(s->agg[i], r))
			return -1;
	return 0;
}

/* Adds the tables of from into those of into. */
static int merge_tables(struct bpass_ctx *ctx, const struct proc_tables *pt, struct pt_part *into,
			const struct pt_part *from)
{
	for (uint32_t i = 0; i < pt->n; i++)
		if (bpass_agg_merge(into->agg[i], from->agg[i])) {
			ctx->error(ctx, "could not merge table \"%s\": %s", pt->decls[i].name,
				   strerror(errno));
			return -1;
		}
	return 0;
}

/* ---------------------------------------------------------------------------
 * The wrapped callbacks
 */

static void *pt_session_new(struct bpass_ctx *ctx)
{
	const struct proc_tables *pt = tables_of(ctx);
	return part_new(ctx, pt, pt->inner.session_new);
}

static void pt_session_free(struct bpass_ctx *ctx, void *state)
{
	const struct proc_tables *pt = tables_of(ctx);
	part_free(ctx, pt, state, pt->inner.session_free);
}

/* Rows of add_row go into s while process or session_complete runs: */
static void rows_begin(struct bpass_ctx *ctx, struct pt_part *s)
{
	((struct proc_ctx *)ctx->impl)->tables = s;
	s->failed = false;
}

/* and the call fails when an add_row failed, even if the processor did not
 * see it (rc is the processor's). */
static int rows_end(struct bpass_ctx *ctx, struct pt_part *s, int rc)
{
	((struct proc_ctx *)ctx->impl)->tables = NULL;
	return rc || s->failed ? -1 : 0;
}

static int pt_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	const struct proc_tables *pt = tables_of(ctx);
	struct pt_part *s = state;
	if (!pt->inner.process)
		return 0;   /* its rows come from session_complete */
	rows_begin(ctx, s);
	return rows_end(ctx, s, pt->inner.process(ctx, s->own, eph, u));
}

static int pt_session_complete(struct bpass_ctx *ctx, void *state, void *eph)
{
	const struct proc_tables *pt = tables_of(ctx);
	struct pt_part *s = state;
	rows_begin(ctx, s);
	return rows_end(ctx, s, pt->inner.session_complete(ctx, s->own, eph));
}

static int pt_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	const struct proc_tables *pt = tables_of(ctx);
	const struct pt_part *s = state;
	if (save_tables(ctx, pt, s, w))
		return -1;
	return pt->inner.save ? pt->inner.save(ctx, s->own, w) : 0;
}

static int pt_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		   struct bpass_reader *r)
{
	const struct proc_tables *pt = tables_of(ctx);
	struct pt_part *s = state;
	if (load_tables(pt, s, r))
		return -1;
	if (pt->inner.load)
		return pt->inner.load(ctx, s->own, saved_version, r);
	return saved_version == pt->inner.version && r->at_end(r) ? 0 : -1;
}

static int pt_session_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
			      struct bpass_figures *f)
{
	const struct pt_part *s = state;
	return tables_of(ctx)->inner.session_figures(ctx, s ? s->own : NULL, eph, f);
}

static void *pt_global_new(struct bpass_ctx *ctx)
{
	const struct proc_tables *pt = tables_of(ctx);
	return part_new(ctx, pt, pt->inner.global_new);
}

static void pt_global_free(struct bpass_ctx *ctx, void *global)
{
	const struct proc_tables *pt = tables_of(ctx);
	part_free(ctx, pt, global, pt->inner.global_free);
}

static int pt_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	const struct proc_tables *pt = tables_of(ctx);
	struct pt_part *g = global;
	const struct pt_part *s = state;
	if (merge_tables(ctx, pt, g, s))
		return -1;
	return pt->inner.merge ? pt->inner.merge(ctx, g->own, s->own, eph) : 0;
}

static int pt_global_complete(struct bpass_ctx *ctx, void *global)
{
	return tables_of(ctx)->inner.global_complete(ctx, ((struct pt_part *)global)->own);
}

static int pt_global_save(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w)
{
	const struct proc_tables *pt = tables_of(ctx);
	const struct pt_part *g = global;
	if (save_tables(ctx, pt, g, w))
		return -1;
	return pt->inner.global_save ? pt->inner.global_save(ctx, g->own, w) : 0;
}

static int pt_global_load(struct bpass_ctx *ctx, void *global, uint32_t saved_version,
			  struct bpass_reader *r)
{
	const struct proc_tables *pt = tables_of(ctx);
	struct pt_part *g = global;
	if (load_tables(pt, g, r)) {
		ctx->error(ctx, "its tables were saved with other declarations, or are damaged");
		return -1;
	}
	if (pt->inner.global_load)
		return pt->inner.global_load(ctx, g->own, saved_version, r);
	return saved_version == pt->inner.version && r->at_end(r) ? 0 : -1;
}

static int pt_global_combine(struct bpass_ctx *ctx, void *into, const void *from)
{
	const struct proc_tables *pt = tables_of(ctx);
	struct pt_part *i = into;
	const struct pt_part *f = from;
	if (merge_tables(ctx, pt, i, f))
		return -1;
	return pt->inner.global_combine ? pt->inner.global_combine(ctx, i->own, f->own) : 0;
}

static int pt_write_results(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	const struct proc_tables *pt = tables_of(ctx);
	const struct pt_part *g = global;
	for (uint32_t i = 0; i < pt->n; i++)
		if (bpass_agg_write(g->agg[i], res)) {
			ctx->error(ctx, "could not write table \"%s\"", pt->decls[i].name);
			return -1;
		}
	return pt->inner.write_results ? pt->inner.write_results(ctx, g->own, res) : 0;
}

/* ---------------------------------------------------------------------------
 * Wrapping
 */

void proc_tables_wrap(struct bpass_processor *p)
{
	if (!p->tables || proc_tables_wrapped(p))
		return;
	uint32_t n = 0;
	while (p->tables[n].name)
		n++;
	struct proc_tables *pt = xcalloc(1, sizeof(*pt) + (n + 1) * sizeof(pt->decls[0]));
	pt->inner = *p;
	pt->n = n;
	memcpy(pt->decls, p->tables, (n + 1) * sizeof(pt->decls[0]));
	pt->t = xcalloc(n + 1, sizeof(*pt->t));
	for (uint32_t i = 0; i < n; i++) {
		struct pt_table *t = &pt->t[i];
		t->name = pt->decls[i].name;
		for (uint32_t c = 0; pt->decls[i].columns[c].name; c++) {
			enum bpass_type type = pt->decls[i].columns[c].type;
			if (type == BPASS_VAL_COUNT)
				continue;
			if (type == BPASS_KEY_STR || type == BPASS_VAL_DISTINCT_STR) {
				t->str_cell[t->n_str] = (uint8_t)t->ncells;
				t->str_col[t->n_str++] = (uint8_t)c;
			}
			t->ncells++;
		}
	}
	const struct bpass_processor *in = &pt->inner;
	bool own_global = in->global_new != NULL;
	p->session_new = pt_session_new;
	p->session_free = pt_session_free;
	p->process = pt_process;
	p->session_complete = in->session_complete ? pt_session_complete : NULL;
	p->save = pt_save;
	p->load = pt_load;
	p->session_figures = in->session_figures ? pt_session_figures : NULL;
	p->global_new = pt_global_new;
	p->global_free = pt_global_free;
	p->merge = pt_merge;
	p->global_complete = in->global_complete ? pt_global_complete : NULL;
	p->global_save = !own_global || in->global_save ? pt_global_save : NULL;
	p->global_load = !own_global || in->global_load ? pt_global_load : NULL;
	p->write_results = pt_write_results;
	p->global_combine = !own_global || in->global_combine ? pt_global_combine : NULL;
	p->tables = pt->decls;
}

void proc_tables_release(struct bpass_processor *p)
{
	struct proc_tables *pt = of(p);
	if (!pt)
		return;
	*p = pt->inner;
	free(pt->t);
	free(pt);
}
