/*
 * tests/unit/proc_driver.c: the in-process framework stand-in for processor
 * tests (see proc_driver.h): sessions, runs, an in-memory token stream for
 * save/load, captured result tables and figures.
 */
#include "proc_driver.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "builtin.h"
#include "proc_ctx.h"
#include "update.h"

/* ---------------------------------------------------------------------------
 * Token streams
 */

enum pd_tok_type { PD_ARRAY, PD_MAP, PD_NIL, PD_BOOL, PD_INT, PD_UINT, PD_F64, PD_STR, PD_BIN };

struct pd_tok {
	enum pd_tok_type type;
	int64_t i;
	uint64_t u;               /* PD_UINT, PD_ARRAY, PD_MAP, PD_BOOL */
	double f;
	char *s;                  /* PD_STR, PD_BIN (owned) */
	size_t len;
};

struct pd_blob {
	struct pd_tok *t;
	uint32_t n, cap;
	size_t pos;
	bool failed;
	struct bpass_writer w;
	struct bpass_reader r;
};

static struct pd_tok *blob_push(struct bpass_writer *w, enum pd_tok_type type)
{
	struct pd_blob *b = w->impl;
	xgrow((void **)&b->t, &b->cap, b->n + 1, sizeof(*b->t));
	struct pd_tok *t = &b->t[b->n++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	return t;
}

static void w_array(struct bpass_writer *w, uint32_t n) { blob_push(w, PD_ARRAY)->u = n; }
static void w_map(struct bpass_writer *w, uint32_t n) { blob_push(w, PD_MAP)->u = n; }
static void w_nil(struct bpass_writer *w) { blob_push(w, PD_NIL); }
static void w_bool(struct bpass_writer *w, bool v) { blob_push(w, PD_BOOL)->u = v; }
static void w_f64(struct bpass_writer *w, double v) { blob_push(w, PD_F64)->f = v; }
static void w_u64(struct bpass_writer *w, uint64_t v) { blob_push(w, PD_UINT)->u = v; }

/* Like msgpack, non-negative integers are stored unsigned. */
static void w_i64(struct bpass_writer *w, int64_t v)
{
	if (v >= 0)
		blob_push(w, PD_UINT)->u = (uint64_t)v;
	else
		blob_push(w, PD_INT)->i = v;
}

static void w_bytes(struct bpass_writer *w, enum pd_tok_type type, const void *p, size_t len)
{
	struct pd_tok *t = blob_push(w, type);
	t->s = xmalloc(len + 1);
	if (len)
		memcpy(t->s, p, len);
	t->s[len] = 0;
	t->len = len;
}

static void w_str(struct bpass_writer *w, const char *s, size_t len) { w_bytes(w, PD_STR, s, len); }
static void w_bin(struct bpass_writer *w, const void *p, size_t len) { w_bytes(w, PD_BIN, p, len); }

/* The next token if it has one of the two types; NULL (sticky) otherwise. */
static const struct pd_tok *blob_next(struct bpass_reader *r, enum pd_tok_type a,
				      enum pd_tok_type b)
{
	struct pd_blob *bl = r->impl;
	if (bl->failed || bl->pos >= bl->n || (bl->t[bl->pos].type != a && bl->t[bl->pos].type != b)) {
		bl->failed = true;
		return NULL;
	}
	return &bl->t[bl->pos++];
}

static int r_array(struct bpass_reader *r, uint32_t *n)
{
	const struct pd_tok *t = blob_next(r, PD_ARRAY, PD_ARRAY);
	if (!t)
		return -1;
	*n = (uint32_t)t->u;
	return 0;
}

static int r_map(struct bpass_reader *r, uint32_t *n)
{
	const struct pd_tok *t = blob_next(r, PD_MAP, PD_MAP);
	if (!t)
		return -1;
	*n = (uint32_t)t->u;
	return 0;
}

static int r_nil(struct bpass_reader *r)
{
	return blob_next(r, PD_NIL, PD_NIL) ? 0 : -1;
}

static int r_bool(struct bpass_reader *r, bool *v)
{
	const struct pd_tok *t = blob_next(r, PD_BOOL, PD_BOOL);
	if (!t)
		return -1;
	*v = t->u != 0;
	return 0;
}

static int r_i64(struct bpass_reader *r, int64_t *v)
{
	const struct pd_tok *t = blob_next(r, PD_INT, PD_UINT);
	if (t && t->type == PD_UINT && t->u > INT64_MAX) {
		((struct pd_blob *)r->impl)->failed = true;
		t = NULL;
	}
	if (!t)
		return -1;
	*v = t->type == PD_INT ? t->i : (int64_t)t->u;
	return 0;
}

static int r_u64(struct bpass_reader *r, uint64_t *v)
{
	const struct pd_tok *t = blob_next(r, PD_UINT, PD_UINT);
	if (!t)
		return -1;
	*v = t->u;
	return 0;
}

static int r_f64(struct bpass_reader *r, double *v)
{
	struct pd_blob *bl = r->impl;
	if (!bl->failed && bl->pos < bl->n) {
		const struct pd_tok *t = &bl->t[bl->pos];
		if (t->type == PD_F64 || t->type == PD_INT || t->type == PD_UINT) {
			bl->pos++;
			*v = t->type == PD_F64 ? t->f : t->type == PD_INT ? (double)t->i : (double)t->u;
			return 0;
		}
	}
	bl->failed = true;
	return -1;
}

static int r_str(struct bpass_reader *r, const char **s, size_t *len)
{
	const struct pd_tok *t = blob_next(r, PD_STR, PD_STR);
	if (!t)
		return -1;
	*s = t->s;
	*len = t->len;
	return 0;
}

static int r_bin(struct bpass_reader *r, const void **p, size_t *len)
{
	const struct pd_tok *t = blob_next(r, PD_BIN, PD_BIN);
	if (!t)
		return -1;
	*p = t->s;
	*len = t->len;
	return 0;
}

static bool r_at_end(struct bpass_reader *r)
{
	struct pd_blob *bl = r->impl;
	return bl->pos >= bl->n;
}

struct pd_blob *pd_blob_new(void)
{
	struct pd_blob *b = xcalloc(1, sizeof(*b));
	b->w = (struct bpass_writer){b, w_array, w_map, w_nil, w_bool, w_i64, w_u64, w_f64, w_str, w_bin};
	b->r = (struct bpass_reader){b, r_array, r_map, r_nil, r_bool, r_i64, r_u64, r_f64, r_str, r_bin,
				     r_at_end};
	return b;
}

void pd_blob_truncate(struct pd_blob *b, size_t n)
{
	while (b->n > n)
		free(b->t[--b->n].s);
}

void pd_blob_free(struct pd_blob *b)
{
	if (!b)
		return;
	pd_blob_truncate(b, 0);
	free(b->t);
	free(b);
}

struct bpass_writer *pd_blob_writer(struct pd_blob *b)
{
	return &b->w;
}

struct bpass_reader *pd_blob_reader(struct pd_blob *b)
{
	b->pos = 0;
	b->failed = false;
	return &b->r;
}

size_t pd_blob_count(const struct pd_blob *b)
{
	return b->n;
}

void pd_blob_mutate(struct pd_blob *b, size_t i)
{
	struct pd_tok *t = &b->t[i];
	free(t->s);
	if (t->type == PD_STR) {
		memset(t, 0, sizeof(*t));
		t->type = PD_UINT;
		t->u = 1;
	} else {
		memset(t, 0, sizeof(*t));
		t->type = PD_STR;
		t->s = xstrdup("x");
		t->len = 1;
	}
}

struct pd_blob *pd_blob_copy(const struct pd_blob *b)
{
	struct pd_blob *c = pd_blob_new();
	for (uint32_t i = 0; i < b->n; i++) {
		struct pd_tok *t = blob_push(&c->w, b->t[i].type);
		*t = b->t[i];
		if (t->s) {
			t->s = xmalloc(t->len + 1);
			memcpy(t->s, b->t[i].s, t->len + 1);
		}
	}
	return c;
}

static bool tok_equal(const struct pd_tok *x, const struct pd_tok *y)
{
	if (x->type != y->type)
		return false;
	switch (x->type) {
	case PD_INT:
		return x->i == y->i;
	case PD_F64:
		return memcmp(&x->f, &y->f, sizeof(x->f)) == 0;
	case PD_STR:
	case PD_BIN:
		return x->len == y->len && memcmp(x->s, y->s, x->len) == 0;
	default:
		return x->u == y->u;
	}
}

bool pd_blob_equal(const struct pd_blob *a, const struct pd_blob *b)
{
	if (a->n != b->n)
		return false;
	for (uint32_t i = 0; i < a->n; i++)
		if (!tok_equal(&a->t[i], &b->t[i]))
			return false;
	return true;
}

void pd_blob_replay(const struct pd_blob *b, struct bpass_writer *w)
{
	for (uint32_t i = 0; i < b->n; i++) {
		const struct pd_tok *t = &b->t[i];
		switch (t->type) {
		case PD_ARRAY:
			w->array(w, (uint32_t)t->u);
			break;
		case PD_MAP:
			w->map(w, (uint32_t)t->u);
			break;
		case PD_NIL:
			w->nil(w);
			break;
		case PD_BOOL:
			w->boolean(w, t->u != 0);
			break;
		case PD_INT:
			w->i64(w, t->i);
			break;
		case PD_UINT:
			w->u64(w, t->u);
			break;
		case PD_F64:
			w->f64(w, t->f);
			break;
		case PD_STR:
			w->str(w, t->s, t->len);
			break;
		case PD_BIN:
			w->bin(w, t->s, t->len);
			break;
		}
	}
}

/* Appends the value starting at token *i (and its children) to out. */
static void blob_text_value(const struct pd_blob *b, uint32_t *i, struct buf *out)
{
	if (*i >= b->n) {
		buf_puts(out, "<missing>");
		return;
	}
	const struct pd_tok *t = &b->t[(*i)++];
	switch (t->type) {
	case PD_ARRAY:
	case PD_MAP:
		buf_putc(out, t->type == PD_ARRAY ? '[' : '{');
		for (uint64_t k = 0; k < t->u * (t->type == PD_MAP ? 2 : 1); k++) {
			if (k)
				buf_putc(out, ' ');
			blob_text_value(b, i, out);
		}
		buf_putc(out, t->type == PD_ARRAY ? ']' : '}');
		break;
	case PD_NIL:
		buf_puts(out, "nil");
		break;
	case PD_BOOL:
		buf_puts(out, t->u ? "true" : "false");
		break;
	case PD_INT:
		buf_put_i64(out, t->i);
		break;
	case PD_UINT:
		buf_put_u64(out, t->u);
		break;
	case PD_F64:
		buf_printf(out, "%.17g", t->f);
		break;
	case PD_STR:
	case PD_BIN:
		buf_putc(out, '"');
		buf_append(out, t->s, t->len);
		buf_putc(out, '"');
		break;
	}
}

char *pd_blob_text(const struct pd_blob *b)
{
	struct buf out;
	buf_init(&out);
	buf_putc(&out, 0);  /* makes out own an allocation */
	out.len = 0;
	for (uint32_t i = 0; i < b->n;) {
		if (i)
			buf_putc(&out, ' ');
		blob_text_value(b, &i, &out);
	}
	return out.data;
}

/* ---------------------------------------------------------------------------
 * Captured result tables
 */

struct pd_captured {
	char *name;
	char *text;
};

struct pd_capture {
	struct pd_captured *t;
	uint32_t n, cap;
	bool failed;
};

struct bpass_table {
	struct pd_capture *cap;
	char *name;
	struct buf text;
	uint32_t n_cols, n_cells;
};

static struct bpass_table *res_table(struct bpass_results *res, const char *name,
				     const char *const *columns)
{
	struct pd_capture *c = res->impl;
	for (uint32_t i = 0; i < c->n; i++)
		if (strcmp(c->t[i].name, name) == 0) {
			fprintf(stderr, "table \"%s\" opened twice\n", name);
			c->failed = true;
		}
	struct bpass_table *t = xcalloc(1, sizeof(*t));
	t->cap = c;
	t->name = xstrdup(name);
	buf_init(&t->text);
	for (; columns[t->n_cols]; t->n_cols++) {
		if (t->n_cols)
			buf_putc(&t->text, ',');
		buf_puts(&t->text, columns[t->n_cols]);
	}
	buf_putc(&t->text, '\n');
	return t;
}

static void cell(struct bpass_table *t)
{
	if (t->n_cells++)
		buf_putc(&t->text, ',');
}

static void res_str(struct bpass_table *t, const char *s) { cell(t); buf_puts(&t->text, s); }
static void res_i64(struct bpass_table *t, int64_t v) { cell(t); buf_put_i64(&t->text, v); }
static void res_u64(struct bpass_table *t, uint64_t v) { cell(t); buf_put_u64(&t->text, v); }
static void res_f64(struct bpass_table *t, double v) { cell(t); buf_printf(&t->text, "%.17g", v); }
static void res_null(struct bpass_table *t) { cell(t); }

static void iso(struct bpass_table *t, int64_t s, int64_t frac_us, bool with_frac)
{
	cell(t);
	time_t tt = (time_t)s;
	struct tm tm;
	gmtime_r(&tt, &tm);
	char b[64];
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_puts(&t->text, b);
	if (with_frac)
		buf_printf(&t->text, ".%06" PRId64, frac_us);
	buf_putc(&t->text, 'Z');
}

static void res_iso_us(struct bpass_table *t, int64_t us)
{
	int64_t s = us / 1000000, f = us % 1000000;
	if (f < 0) {
		s--;
		f += 1000000;
	}
	iso(t, s, f, true);
}

static void res_iso_s(struct bpass_table *t, int64_t s) { iso(t, s, 0, false); }

static int res_row_end(struct bpass_table *t)
{
	if (t->n_cells != t->n_cols) {
		fprintf(stderr, "table \"%s\": a row of %u cells for %u columns\n", t->name,
			t->n_cells, t->n_cols);
		t->cap->failed = true;
	}
	t->n_cells = 0;
	buf_putc(&t->text, '\n');
	return 0;
}

static int res_close(struct bpass_table *t)
{
	struct pd_capture *c = t->cap;
	if (t->n_cells) {
		fprintf(stderr, "table \"%s\": closed inside a row\n", t->name);
		c->failed = true;
	}
	xgrow((void **)&c->t, &c->cap, c->n + 1, sizeof(*c->t));
	c->t[c->n].name = t->name;
	c->t[c->n].text = xstrdup(t->text.data);
	c->n++;
	buf_release(&t->text);
	free(t);
	return 0;
}

static void capture_release(struct pd_capture *c)
{
	for (uint32_t i = 0; i < c->n; i++) {
		free(c->t[i].name);
		free(c->t[i].text);
	}
	free(c->t);
	memset(c, 0, sizeof(*c));
}

static int cmp_captured(const void *a, const void *b)
{
	return strcmp(((const struct pd_captured *)a)->name, ((const struct pd_captured *)b)->name);
}

static char *capture_text(const struct pd_capture *c, const char *const *except)
{
	struct pd_captured *v = xmalloc((c->n + 1) * sizeof(*v));
	if (c->n)
		memcpy(v, c->t, c->n * sizeof(*v));
	if (c->n > 1)
		qsort(v, c->n, sizeof(*v), cmp_captured);
	struct buf out;
	buf_init(&out);
	buf_puts(&out, "");
	for (uint32_t i = 0; i < c->n; i++) {
		bool skip = false;
		for (const char *const *e = except; e && *e; e++)
			skip |= strcmp(*e, v[i].name) == 0;
		if (skip)
			continue;
		buf_printf(&out, "# %s\n%s", v[i].name, v[i].text);
	}
	free(v);
	char *s = xstrdup(out.data);
	buf_release(&out);
	return s;
}

/* ---------------------------------------------------------------------------
 * Figures
 */

struct pd_fig {
	uint32_t session;
	char *column;
	int64_t value;
};

struct pd_figs {
	struct pd_fig *f;
	uint32_t n, cap;
	uint32_t session;         /* the session being collected */
	bool failed;
};

static void fig_add(struct bpass_figures *f, const char *column, int64_t value)
{
	struct pd_figs *fs = f->impl;
	for (uint32_t i = 0; i < fs->n; i++)
		if (fs->f[i].session == fs->session && strcmp(fs->f[i].column, column) == 0) {
			fprintf(stderr, "figure \"%s\" added twice\n", column);
			fs->failed = true;
		}
	xgrow((void **)&fs->f, &fs->cap, fs->n + 1, sizeof(*fs->f));
	fs->f[fs->n++] = (struct pd_fig){fs->session, xstrdup(column), value};
}

static void figs_release(struct pd_figs *fs)
{
	for (uint32_t i = 0; i < fs->n; i++)
		free(fs->f[i].column);
	free(fs->f);
	memset(fs, 0, sizeof(*fs));
}

/* ---------------------------------------------------------------------------
 * Sessions and runs
 */

#define PD_MAX_PROCS 16

struct pd_session {
	char *node, *context;
	int64_t session_id;
	struct bpass_session_key key;
	bool live;                               /* loaded in the current run */
	void *state[PD_MAX_PROCS];
	void *eph[PD_MAX_PROCS];
	struct pd_blob *saved[PD_MAX_PROCS];     /* persistent, across runs */
	struct pd_blob *eph_saved[PD_MAX_PROCS]; /* of the last run */
	char *saved_text[PD_MAX_PROCS];
};

struct pd {
	const struct bpass_processor *p[PD_MAX_PROCS];
	uint32_t n_p;
	struct pd_session *s;
	uint32_t n_s, cap_s;
	struct update_buf ub;
	struct pd_capture tables;
	struct pd_figs figs;
	char *figs_text;
};

/* The built-ins under test, in run order (byte-count is tested by its owner;
 * not going through processors_builtin keeps the driver linkable alone). */
static const struct bpass_processor *const pd_builtins[] = {
	&proc_flows,
	&proc_addresses,
	&proc_domains,
	&proc_whitelisted_domains,
	&proc_flow_domains,
	&proc_update_statistics,
	&proc_availability,
	&proc_meta_statistics,
	&proc_throughput,
	NULL,
};

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

const struct bpass_processor *pd_processor(const char *name)
{
	for (const struct bpass_processor *const *p = pd_builtins; *p; p++)
		if (strcmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

struct pd *pd_new(const char *const *names)
{
	struct pd *d = xcalloc(1, sizeof(*d));
	update_buf_init(&d->ub);
	if (names) {
		for (; *names; names++) {
			const struct bpass_processor *p = pd_processor(*names);
			if (!p) {
				fprintf(stderr, "no processor \"%s\"\n", *names);
				abort();
			}
			d->p[d->n_p++] = p;
		}
	} else {
		for (const struct bpass_processor *const *p = pd_builtins; *p; p++)
			d->p[d->n_p++] = *p;
	}
	return d;
}

static void session_free_states(struct pd *d, struct pd_session *s)
{
	for (uint32_t i = 0; i < d->n_p; i++) {
		if (s->state[i] && d->p[i]->session_free)
			d->p[i]->session_free(pd_ctx(d->p[i], NULL), s->state[i]);
		if (s->eph[i] && d->p[i]->ephemeral_free)
			d->p[i]->ephemeral_free(pd_ctx(d->p[i], NULL), s->eph[i]);
		s->state[i] = s->eph[i] = NULL;
	}
	s->live = false;
}

void pd_free(struct pd *d)
{
	if (!d)
		return;
	for (uint32_t k = 0; k < d->n_s; k++) {
		struct pd_session *s = &d->s[k];
		session_free_states(d, s);
		for (uint32_t i = 0; i < d->n_p; i++) {
			pd_blob_free(s->saved[i]);
			pd_blob_free(s->eph_saved[i]);
			free(s->saved_text[i]);
		}
		free(s->node);
		free(s->context);
	}
	free(d->s);
	update_buf_release(&d->ub);
	capture_release(&d->tables);
	figs_release(&d->figs);
	free(d->figs_text);
	free(d);
}

/* A fresh persistent state of processor i, loaded from blob when given. */
static int state_open(struct pd *d, uint32_t i, const struct bpass_session_key *key,
		      struct pd_blob *blob, void **out)
{
	const struct bpass_processor *p = d->p[i];
	*out = NULL;
	if (!p->session_new)
		return 0;
	*out = p->session_new(pd_ctx(p, key));
	if (!*out) {
		fprintf(stderr, "%s: session_new failed\n", p->name);
		return -1;
	}
	if (blob && p->load(pd_ctx(p, NULL), *out, p->version, pd_blob_reader(blob))) {
		fprintf(stderr, "%s: could not load its own saved state\n", p->name);
		return -1;
	}
	return 0;
}

static int eph_open(struct pd *d, uint32_t i, const struct bpass_session_key *key,
		    struct pd_blob *blob, void **out)
{
	const struct bpass_processor *p = d->p[i];
	*out = NULL;
	if (!p->ephemeral_new)
		return 0;
	*out = p->ephemeral_new(pd_ctx(p, key));
	if (!*out) {
		fprintf(stderr, "%s: ephemeral_new failed\n", p->name);
		return -1;
	}
	if (blob && p->ephemeral_load(pd_ctx(p, NULL), *out, pd_blob_reader(blob))) {
		fprintf(stderr, "%s: could not load its own ephemeral state\n", p->name);
		return -1;
	}
	return 0;
}

static struct pd_session *session_get(struct pd *d, const char *node, const char *context,
				      int64_t session_id)
{
	for (uint32_t k = 0; k < d->n_s; k++)
		if (strcmp(d->s[k].node, node) == 0 && strcmp(d->s[k].context, context) == 0 &&
		    d->s[k].session_id == session_id)
			return &d->s[k];
	xgrow((void **)&d->s, &d->cap_s, d->n_s + 1, sizeof(*d->s));
	struct pd_session *s = &d->s[d->n_s++];
	memset(s, 0, sizeof(*s));
	s->node = xstrdup(node);
	s->context = xstrdup(context);
	s->session_id = session_id;
	return s;
}

/* The key points into the session, which may move when sessions are added. */
static void session_key(struct pd_session *s)
{
	s->key.node_id = s->node;
	s->key.context = s->context;
	s->key.session_id = s->session_id;
}

static int session_load(struct pd *d, struct pd_session *s)
{
	if (s->live)
		return 0;
	session_key(s);
	for (uint32_t i = 0; i < d->n_p; i++)
		if (state_open(d, i, &s->key, s->saved[i], &s->state[i]) ||
		    eph_open(d, i, &s->key, NULL, &s->eph[i]))
			return -1;
	s->live = true;
	return 0;
}

struct pd_ctx {
	struct bpass_ctx ctx;
	struct pd *d;
	struct pd_session *s;
	uint32_t proc;
};

static const void *ctx_state_of(struct bpass_ctx *ctx, const char *name)
{
	struct pd_ctx *c = (struct pd_ctx *)ctx;
	const struct bpass_processor *p = c->d->p[c->proc];
	bool declared = false;
	for (const char *const *dep = p->depends; dep && *dep; dep++)
		declared |= strcmp(*dep, name) == 0;
	if (!declared)
		return NULL;
	for (uint32_t i = 0; i < c->proc; i++)
		if (strcmp(c->d->p[i]->name, name) == 0)
			return c->s->state[i];
	return NULL;
}

static void ctx_warn(struct bpass_ctx *ctx, const char *fmt, ...)
{
	struct pd_ctx *c = (struct pd_ctx *)ctx;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "warning: %s: ", c->d->p[c->proc]->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void ctx_init(struct pd_ctx *c, struct pd *d, struct pd_session *s, uint32_t proc)
{
	c->ctx.impl = c;
	c->ctx.key = &s->key;
	c->ctx.state_of = ctx_state_of;
	c->ctx.warn = ctx_warn;
	c->d = d;
	c->s = s;
	c->proc = proc;
}

int pd_feed_update(struct pd *d, const struct bpass_update *u)
{
	struct pd_session *s = session_get(d, u->node_id, u->context, u->session_id);
	if (session_load(d, s))
		return -1;
	session_key(s);
	for (uint32_t i = 0; i < d->n_p; i++) {
		if (!d->p[i]->process)
			continue;
		struct pd_ctx c;
		ctx_init(&c, d, s, i);
		if (d->p[i]->process(&c.ctx, s->state[i], s->eph[i], u)) {
			fprintf(stderr, "%s: process failed\n", d->p[i]->name);
			return -1;
		}
	}
	return 0;
}

int pd_feed(struct pd *d, const char *text)
{
	size_t len = strlen(text);
	char *copy = xmalloc(len + 1);
	memcpy(copy, text, len + 1);
	struct update_error err;
	memset(&err, 0, sizeof(err));
	int rc = -1;
	if (update_parse(&d->ub, copy, len, &err)) {
		fprintf(stderr, "could not parse the update: line %u (section %d): %s\n%s", err.line,
			err.section, err.msg, text);
	} else {
		rc = pd_feed_update(d, &d->ub.u);
	}
	free(copy);
	return rc;
}

int pd_feed_parts(struct pd *d, const struct pd_text *t)
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
	int rc = pd_feed(d, b.data);
	buf_release(&b);
	return rc;
}

/* Saves state i of s into a new blob and checks save(load(blob)) == blob. */
static int save_checked(struct pd *d, struct pd_session *s, uint32_t i)
{
	const struct bpass_processor *p = d->p[i];
	struct pd_blob *b = pd_blob_new();
	if (p->save(pd_ctx(p, NULL), s->state[i], pd_blob_writer(b))) {
		fprintf(stderr, "%s: save failed\n", p->name);
		pd_blob_free(b);
		return -1;
	}
	void *again;
	int rc = state_open(d, i, &s->key, b, &again);
	if (!rc) {
		struct pd_blob *b2 = pd_blob_new();
		p->save(pd_ctx(p, NULL), again, pd_blob_writer(b2));
		if (!pd_blob_equal(b, b2)) {
			char *x = pd_blob_text(b), *y = pd_blob_text(b2);
			fprintf(stderr, "%s: save/load/save differs:\n%s\n%s\n", p->name, x, y);
			free(x);
			free(y);
			rc = -1;
		}
		pd_blob_free(b2);
	}
	if (again)
		p->session_free(pd_ctx(p, NULL), again);
	if (rc) {
		pd_blob_free(b);
		return -1;
	}
	pd_blob_free(s->saved[i]);
	s->saved[i] = b;
	free(s->saved_text[i]);
	s->saved_text[i] = pd_blob_text(b);
	return 0;
}

static int eph_save_checked(struct pd *d, struct pd_session *s, uint32_t i)
{
	const struct bpass_processor *p = d->p[i];
	struct pd_blob *b = pd_blob_new();
	int rc = p->ephemeral_save(pd_ctx(p, NULL), s->eph[i], pd_blob_writer(b));
	void *again = NULL;
	if (!rc)
		rc = eph_open(d, i, &s->key, b, &again);
	if (!rc) {
		struct pd_blob *b2 = pd_blob_new();
		p->ephemeral_save(pd_ctx(p, NULL), again, pd_blob_writer(b2));
		if (!pd_blob_equal(b, b2)) {
			fprintf(stderr, "%s: ephemeral save/load/save differs\n", p->name);
			rc = -1;
		}
		pd_blob_free(b2);
	}
	if (again)
		p->ephemeral_free(pd_ctx(p, NULL), again);
	if (rc) {
		pd_blob_free(b);
		return -1;
	}
	pd_blob_free(s->eph_saved[i]);
	s->eph_saved[i] = b;
	return 0;
}

/* Writes the results of every global into c. */
static int write_all(struct pd *d, void **globals, struct pd_capture *c)
{
	struct bpass_results res = {c,        res_table, res_str,    res_i64,     res_u64,
				    res_f64,  res_null,  res_iso_us, res_iso_s,   res_row_end,
				    res_close};
	for (uint32_t i = 0; i < d->n_p; i++)
		if (globals[i] && d->p[i]->write_results && d->p[i]->write_results(pd_ctx(d->p[i], NULL), globals[i], &res)) {
			fprintf(stderr, "%s: write_results failed\n", d->p[i]->name);
			return -1;
		}
	return c->failed ? -1 : 0;
}

static void figs_render(struct pd *d)
{
	struct buf out;
	buf_init(&out);
	buf_puts(&out, "");
	for (uint32_t k = 0; k < d->n_s; k++) {
		buf_printf(&out, "%s %s %" PRId64 ":", d->s[k].node, d->s[k].context, d->s[k].session_id);
		for (uint32_t i = 0; i < d->figs.n; i++)
			if (d->figs.f[i].session == k)
				buf_printf(&out, " %s=%" PRId64, d->figs.f[i].column, d->figs.f[i].value);
		buf_putc(&out, '\n');
	}
	free(d->figs_text);
	d->figs_text = xstrdup(out.data);
	buf_release(&out);
}

int pd_merge(struct pd *d, const uint32_t *order)
{
	void *g[PD_MAX_PROCS] = {0};
	int rc = 0;
	capture_release(&d->tables);
	figs_release(&d->figs);
	for (uint32_t i = 0; i < d->n_p; i++)
		if (d->p[i]->global_new)
			g[i] = d->p[i]->global_new(pd_ctx(d->p[i], NULL));
	struct bpass_figures figs = {&d->figs, fig_add};
	for (uint32_t k = 0; k < d->n_s && !rc; k++) {
		uint32_t idx = order ? order[k] : k;
		struct pd_session *s = &d->s[idx];
		session_key(s);
		d->figs.session = idx;
		for (uint32_t i = 0; i < d->n_p && !rc; i++) {
			const struct bpass_processor *p = d->p[i];
			void *st = NULL, *eph = NULL;
			rc = state_open(d, i, &s->key, s->saved[i], &st);
			if (!rc)
				rc = eph_open(d, i, &s->key, s->eph_saved[i], &eph);
			if (!rc && p->session_figures && p->session_figures(pd_ctx(p, NULL), st, eph, &figs))
				rc = -1;
			if (!rc && g[i] && p->merge(pd_ctx(p, &s->key), g[i], st, eph))
				rc = -1;
			if (rc)
				fprintf(stderr, "%s: figures or merge failed\n", p->name);
			if (st)
				p->session_free(pd_ctx(p, NULL), st);
			if (eph)
				p->ephemeral_free(pd_ctx(p, NULL), eph);
		}
	}
	for (uint32_t i = 0; i < d->n_p && !rc; i++)
		if (g[i] && d->p[i]->global_complete && d->p[i]->global_complete(pd_ctx(d->p[i], NULL), g[i])) {
			fprintf(stderr, "%s: global_complete failed\n", d->p[i]->name);
			rc = -1;
		}
	if (!rc)
		rc = write_all(d, g, &d->tables);
	/* the cached global (global_save + global_load) must give the same tables */
	if (!rc) {
		void *g2[PD_MAX_PROCS] = {0};
		for (uint32_t i = 0; i < d->n_p && !rc; i++) {
			const struct bpass_processor *p = d->p[i];
			if (!g[i] || !p->global_save)
				continue;
			struct pd_blob *b = pd_blob_new(), *b2 = pd_blob_new();
			g2[i] = p->global_new(pd_ctx(p, NULL));
			if (p->global_save(pd_ctx(p, NULL), g[i], pd_blob_writer(b)) ||
			    p->global_load(pd_ctx(p, NULL), g2[i], p->version, pd_blob_reader(b)) ||
			    p->global_save(pd_ctx(p, NULL), g2[i], pd_blob_writer(b2)) || !pd_blob_equal(b, b2)) {
				fprintf(stderr, "%s: global save/load/save failed or differs\n", p->name);
				rc = -1;
			}
			pd_blob_free(b);
			pd_blob_free(b2);
		}
		struct pd_capture c2 = {0};
		if (!rc && write_all(d, g2, &c2) == 0) {
			char *x = capture_text(&d->tables, NULL), *y = capture_text(&c2, NULL);
			if (strcmp(x, y) != 0) {
				fprintf(stderr, "tables differ after global save/load:\n%s---\n%s", x, y);
				rc = -1;
			}
			free(x);
			free(y);
		} else {
			rc = -1;
		}
		capture_release(&c2);
		for (uint32_t i = 0; i < d->n_p; i++)
			if (g2[i])
				d->p[i]->global_free(pd_ctx(d->p[i], NULL), g2[i]);
	}
	for (uint32_t i = 0; i < d->n_p; i++)
		if (g[i])
			d->p[i]->global_free(pd_ctx(d->p[i], NULL), g[i]);
	if (d->figs.failed)
		rc = -1;
	figs_render(d);
	return rc;
}

int pd_end_run(struct pd *d, const uint32_t *order)
{
	/* the workers: every session is completed, saved and sent */
	for (uint32_t k = 0; k < d->n_s; k++) {
		struct pd_session *s = &d->s[k];
		if (session_load(d, s))
			return -1;
		session_key(s);
		for (uint32_t i = 0; i < d->n_p; i++) {
			if (d->p[i]->session_complete) {
				struct pd_ctx c;
				ctx_init(&c, d, s, i);
				if (d->p[i]->session_complete(&c.ctx, s->state[i], s->eph[i])) {
					fprintf(stderr, "%s: session_complete failed\n", d->p[i]->name);
					return -1;
				}
			}
			if (s->state[i] && save_checked(d, s, i))
				return -1;
			if (s->eph[i] && eph_save_checked(d, s, i))
				return -1;
		}
		session_free_states(d, s);
	}
	/* the parent */
	return pd_merge(d, order);
}

const char *pd_table(const struct pd *d, const char *name)
{
	for (uint32_t i = 0; i < d->tables.n; i++)
		if (strcmp(d->tables.t[i].name, name) == 0)
			return d->tables.t[i].text;
	return NULL;
}

char *pd_tables_text(const struct pd *d, const char *const *except)
{
	return capture_text(&d->tables, except);
}

const char *pd_figures(const struct pd *d)
{
	return d->figs_text ? d->figs_text : "";
}

int64_t pd_figure(const struct pd *d, uint32_t s, const char *column)
{
	for (uint32_t i = 0; i < d->figs.n; i++)
		if (d->figs.f[i].session == s && strcmp(d->figs.f[i].column, column) == 0)
			return d->figs.f[i].value;
	return INT64_MIN;
}

uint32_t pd_n_sessions(const struct pd *d)
{
	return d->n_s;
}

const struct bpass_session_key *pd_session_key(struct pd *d, uint32_t s)
{
	session_key(&d->s[s]);
	return &d->s[s].key;
}

static int proc_index(const struct pd *d, const char *name)
{
	for (uint32_t i = 0; i < d->n_p; i++)
		if (strcmp(d->p[i]->name, name) == 0)
			return (int)i;
	return -1;
}

const char *pd_saved(const struct pd *d, uint32_t s, const char *name)
{
	int i = proc_index(d, name);
	return i < 0 || s >= d->n_s ? NULL : d->s[s].saved_text[i];
}

const struct pd_blob *pd_saved_blob(const struct pd *d, uint32_t s, const char *name)
{
	int i = proc_index(d, name);
	return i < 0 || s >= d->n_s ? NULL : d->s[s].saved[i];
}
