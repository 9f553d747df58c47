/*
 * harness/merge.c: merging session states into the global result, the
 * sessions table, and the cached global result (see merge.h).
 */
#include "merge.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "log.h"
#include "session_key.h"

/* ---------------------------------------------------------------------------
 * Columns of sessions.csv
 */

static int find_column(const struct merge *m, const char *name)
{
	for (uint32_t i = 0; i < m->n_columns; i++)
		if (!strcmp(m->columns[i].name, name))
			return (int)i;
	return -1;
}

static int order_pos(const struct merge *m, uint32_t column)
{
	for (uint32_t i = 0; i < m->n_order; i++)
		if (m->order[i] == column)
			return (int)i;
	return -1;
}

/* Adds a column of processor proc after position prev of order[] (-1: at
 * the start of the processor's columns). Returns its index. */
static uint32_t add_column(struct merge *m, const char *name, uint32_t proc, int32_t prev)
{
	xgrow((void **)&m->columns, &m->cap_columns, m->n_columns + 1, sizeof(*m->columns));
	uint32_t c = m->n_columns++;
	m->columns[c].name = xstrdup(name);
	m->columns[c].proc = proc;
	uint32_t at;
	if (prev >= 0) {
		at = (uint32_t)prev + 1;
	} else {
		at = 0;
		while (at < m->n_order && m->columns[m->order[at]].proc < proc)
			at++;
	}
	xgrow((void **)&m->order, &m->cap_order, m->n_order + 1, sizeof(*m->order));
	memmove(&m->order[at + 1], &m->order[at], (m->n_order - at) * sizeof(*m->order));
	m->order[at] = c;
	m->n_order++;
	return c;
}

static void fig_add(struct bpass_figures *f, const char *column, int64_t value)
{
	struct merge *m = f->impl;
	if (!column || !*column)
		return;
	int c = find_column(m, column);
	if (c < 0)
		c = (int)add_column(m, column, m->cur_proc, m->cur_prev);
	m->cur_prev = order_pos(m, (uint32_t)c);
	struct merge_row *row = &m->rows[m->n_rows - 1];
	/* A column given twice for one session keeps the last value. */
	for (uint32_t i = row->first_fig; i < m->n_figs; i++)
		if (m->figs[i].column == (uint32_t)c) {
			m->figs[i].value = value;
			return;
		}
	xgrow((void **)&m->figs, &m->cap_figs, m->n_figs + 1, sizeof(*m->figs));
	m->figs[m->n_figs++] = (struct merge_fig){(uint32_t)c, value};
	row->n_figs++;
}

static struct merge_row *add_row(struct merge *m, const char *node_id, const char *context,
				 int64_t session_id, int32_t last_seq, uint64_t updates,
				 const char *stale)
{
	xgrow((void **)&m->rows, &m->cap_rows, m->n_rows + 1, sizeof(*m->rows));
	struct merge_row *r = &m->rows[m->n_rows++];
	r->node_id = xstrdup(node_id);
	r->context = xstrdup(context);
	r->session_id = session_id;
	r->last_seq = last_seq;
	r->updates = updates;
	r->first_fig = m->n_figs;
	r->n_figs = 0;
	r->stale = stale ? xstrdup(stale) : NULL;
	return r;
}

/* ---------------------------------------------------------------------------
 * Life cycle
 */

int merge_init(struct merge *m, const struct bpass_processor *const *procs, uint32_t n)
{
	memset(m, 0, sizeof(*m));
	m->procs = procs;
	m->n = n;
	m->globals = xcalloc(n + 1, sizeof(*m->globals));
	state_file_init(&m->sf);
	state_reader_init(&m->rd);
	buf_init(&m->err);
	m->fig = (struct bpass_figures){.impl = m, .add = fig_add};
	for (uint32_t i = 0; i < n; i++) {
		if (!procs[i]->global_new)
			continue;
		m->globals[i] = procs[i]->global_new();
		if (!m->globals[i])
			return log_error("processor \"%s\" could not create its global result",
					 procs[i]->name);
	}
	return 0;
}

void merge_release(struct merge *m)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (m->globals && m->globals[i] && m->procs[i]->global_free)
			m->procs[i]->global_free(m->globals[i]);
	free(m->globals);
	state_file_release(&m->sf);
	state_reader_release(&m->rd);
	buf_release(&m->err);
	for (uint32_t i = 0; i < m->n_columns; i++)
		free(m->columns[i].name);
	free(m->columns);
	free(m->order);
	for (uint32_t i = 0; i < m->n_rows; i++) {
		free(m->rows[i].node_id);
		free(m->rows[i].context);
		free(m->rows[i].stale);
	}
	free(m->rows);
	free(m->figs);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------------------
 * Sessions
 */

static const struct proto_eph *find_eph(const struct proto_eph *eph, uint32_t n, const char *name)
{
	size_t len = strlen(name);
	for (uint32_t i = 0; i < n; i++)
		if (eph[i].name_len == len && !memcmp(eph[i].name, name, len))
			return &eph[i];
	return NULL;
}

static const char *key_text(struct merge *m, const struct bpass_session_key *key)
{
	buf_reset(&m->err);
	session_key_format(key, &m->err);
	return m->err.data;
}

void merge_stale_row(struct merge *m, const struct bpass_session_key *key, const char *reason)
{
	add_row(m, key->node_id, key->context, key->session_id, -1, 0, reason);
}

int merge_session(struct merge *m, const struct bpass_session_key *key, const void *container,
		  size_t len, const struct proto_eph *eph, uint32_t n_eph, const char *stale)
{
	struct buf why;
	buf_init(&why);
	if (state_file_parse(&m->sf, container, len, key, &why)) {
		log_error("could not merge session %s: its state %s", key_text(m, key), why.data);
		buf_release(&why);
		m->failed = true;
		return -1;
	}
	buf_release(&why);
	const struct state_entry **es = xcalloc(m->n + 1, sizeof(*es));
	int32_t last_seq = INT32_MAX;
	uint64_t updates = UINT64_MAX;
	bool any = false;
	for (uint32_t i = 0; i < m->n; i++) {
		es[i] = state_file_find(&m->sf, m->procs[i]->name);
		if (!es[i] && stale)
			continue;   /* it failed before it had saved anything */
		if (!es[i]) {
			log_error("could not merge session %s: its state has no part for processor \"%s\"",
				  key_text(m, key), m->procs[i]->name);
			free(es);
			m->failed = true;
			return -1;
		}
		any = true;
		if (es[i]->last_seq < last_seq)
			last_seq = es[i]->last_seq;
		if (es[i]->updates_processed < updates)
			updates = es[i]->updates_processed;
	}
	if (!any) {
		last_seq = -1;
		updates = 0;
	}
	add_row(m, key->node_id, key->context, key->session_id, last_seq, updates, stale);
	int rc = 0;
	for (uint32_t i = 0; i < m->n; i++) {
		const struct bpass_processor *p = m->procs[i];
		if (!p->merge && !p->session_figures)
			continue;  /* it only feeds other processors */
		if (!es[i])
			continue;
		void *state = NULL, *e = NULL;
		const char *what = NULL;
		if (p->session_new) {
			state = p->session_new(key);
			if (!state) {
				what = "create a state for";
				goto next;
			}
			state_reader_reset(&m->rd, es[i]->data, es[i]->data_len);
			if (p->load(state, es[i]->version, &m->rd.r) || m->rd.failed) {
				/* A stale session's part may be of another version,
				 * declined: the processor has nothing of it. */
				if (!stale)
					what = "load the state of";
				goto next;
			}
		}
		const struct proto_eph *pe = eph ? find_eph(eph, n_eph, p->name) : NULL;
		if (pe && p->ephemeral_new) {
			e = p->ephemeral_new(key);
			state_reader_reset(&m->rd, pe->data, pe->len);
			if (!e || p->ephemeral_load(e, &m->rd.r) || m->rd.failed) {
				what = "load the ephemeral state of";
				goto next;
			}
		}
		m->cur_proc = i;
		m->cur_prev = -1;
		if (p->session_figures && p->session_figures(state, e, &m->fig)) {
			what = "give the figures of";
			goto next;
		}
		if (p->merge && p->merge(m->globals[i], key, state, e))
			what = "merge";
next:
		if (what) {
			log_error("processor \"%s\" could not %s session %s", p->name, what,
				  key_text(m, key));
			rc = -1;
		}
		if (e)
			p->ephemeral_free(e);
		if (state)
			p->session_free(state);
	}
	free(es);
	if (rc)
		m->failed = true;
	return rc;
}

int merge_complete(struct merge *m)
{
	int rc = 0;
	for (uint32_t i = 0; i < m->n; i++)
		if (m->procs[i]->global_complete && m->procs[i]->global_complete(m->globals[i]))
			rc = log_error("processor \"%s\" could not complete its global result",
				       m->procs[i]->name);
	return rc;
}

/* ---------------------------------------------------------------------------
 * Output
 */

static int row_cmp(const void *a, const void *b)
{
	const struct merge_row *x = a, *y = b;
	return session_key_cmp(&(struct bpass_session_key){x->node_id, x->context, x->session_id},
			       &(struct bpass_session_key){y->node_id, y->context, y->session_id});
}

static int write_sessions(struct merge *m, struct bpass_results *res)
{
	const char **cols = xcalloc(5 + m->n_order + 2 + 1, sizeof(*cols));
	static const char *const fixed[] = {"node_id", "anonymization_context", "session_id",
					    "last_sequence_number_processed", "updates_processed"};
	for (uint32_t i = 0; i < 5; i++)
		cols[i] = fixed[i];
	for (uint32_t i = 0; i < m->n_order; i++)
		cols[5 + i] = m->columns[m->order[i]].name;
	cols[5 + m->n_order] = "status";
	cols[5 + m->n_order + 1] = "stale_reason";
	struct bpass_table *t = res->table(res, "sessions", cols);
	free(cols);
	if (!t)
		return -1;
	qsort(m->rows, m->n_rows, sizeof(*m->rows), row_cmp);
	for (uint32_t r = 0; r < m->n_rows; r++) {
		const struct merge_row *row = &m->rows[r];
		res->str(t, row->node_id);
		res->str(t, row->context);
		res->i64(t, row->session_id);
		res->i64(t, row->last_seq);
		res->u64(t, row->updates);
		for (uint32_t i = 0; i < m->n_order; i++) {
			const struct merge_fig *f = NULL;
			for (uint32_t k = 0; k < row->n_figs && !f; k++)
				if (m->figs[row->first_fig + k].column == m->order[i])
					f = &m->figs[row->first_fig + k];
			if (f)
				res->i64(t, f->value);
			else
				res->null(t);
		}
		res->str(t, row->stale ? "stale" : "ok");
		if (row->stale)
			res->str(t, row->stale);
		else
			res->null(t);
		if (res->row_end(t)) {
			res->close(t);
			return -1;
		}
	}
	return res->close(t);
}

int merge_write(struct merge *m, struct bpass_results *res)
{
	int rc = 0;
	for (uint32_t i = 0; i < m->n; i++)
		if (m->procs[i]->write_results && m->procs[i]->write_results(m->globals[i], res))
			rc = log_error("processor \"%s\" could not write its results", m->procs[i]->name);
	if (write_sessions(m, res))
		rc = -1;
	return rc;
}

/* ---------------------------------------------------------------------------
 * The cached global result
 */

static void save_sessions(const struct merge *m, struct bpass_writer *w)
{
	w->array(w, 2);
	w->array(w, m->n_order);
	for (uint32_t i = 0; i < m->n_order; i++) {
		const struct merge_column *c = &m->columns[m->order[i]];
		w->array(w, 2);
		w->str(w, c->name, strlen(c->name));
		w->u64(w, c->proc);
	}
	w->array(w, m->n_rows);
	for (uint32_t r = 0; r < m->n_rows; r++) {
		const struct merge_row *row = &m->rows[r];
		w->array(w, row->stale ? 7 : 6);
		w->str(w, row->node_id, strlen(row->node_id));
		w->str(w, row->context, strlen(row->context));
		w->i64(w, row->session_id);
		w->i64(w, row->last_seq);
		w->u64(w, row->updates);
		w->array(w, 2 * row->n_figs);
		for (uint32_t k = 0; k < row->n_figs; k++) {
			const struct merge_fig *f = &m->figs[row->first_fig + k];
			w->u64(w, (uint64_t)order_pos(m, f->column));
			w->i64(w, f->value);
		}
		if (row->stale)
			w->str(w, row->stale, strlen(row->stale));
	}
}

int merge_save(struct merge *m, const char *path)
{
	struct state_writer file, data;
	state_writer_init(&file);
	state_writer_init(&data);
	uint32_t n_entries = 1;
	for (uint32_t i = 0; i < m->n; i++) {
		if (m->procs[i]->global_save)
			n_entries++;
		else if (m->procs[i]->global_new)
			log_warn("processor \"%s\" cannot cache its global result (no global_save)",
				 m->procs[i]->name);
	}
	int rc = 0;
	state_file_begin(&file, STATE_KIND_GLOBAL, NULL, n_entries);
	for (uint32_t i = 0; i < m->n && rc == 0; i++) {
		const struct bpass_processor *p = m->procs[i];
		if (!p->global_save)
			continue;
		state_writer_reset(&data);
		if (p->global_save(m->globals[i], &data.w) || state_writer_finish(&data)) {
			rc = log_error("processor \"%s\" could not save its global result%s%s", p->name,
				       data.error ? ": " : "", data.error ? data.error : "");
			break;
		}
		state_file_entry(&file, p->name, p->version, -1, 0, data.sbuf.data, data.sbuf.size);
	}
	if (rc == 0) {
		state_writer_reset(&data);
		save_sessions(m, &data.w);
		if (state_writer_finish(&data))
			rc = log_error("could not save the sessions table: %s", data.error);
		else
			state_file_entry(&file, MERGE_SESSIONS_ENTRY, 2, -1, m->n_rows, data.sbuf.data,
					 data.sbuf.size);
	}
	if (rc == 0 && state_file_end(&file))
		rc = log_error("could not encode the global result: %s", file.error);
	if (rc == 0)
		rc = atomic_file_write(path, file.sbuf.data, file.sbuf.size, "global result cache", 0);
	state_writer_release(&file);
	state_writer_release(&data);
	return rc;
}

static int load_sessions(struct merge *m, struct bpass_reader *r)
{
	uint32_t n, two, n_cols, n_rows;
	if (r->array(r, &two) || two != 2 || r->array(r, &n_cols))
		return -1;
	for (uint32_t i = 0; i < n_cols; i++) {
		const char *s;
		size_t len;
		uint64_t proc;
		if (r->array(r, &two) || two != 2 || r->str(r, &s, &len) || r->u64(r, &proc))
			return -1;
		char *name = xmalloc(len + 1);
		memcpy(name, s, len);
		name[len] = 0;
		/* Columns come in output order: append each. */
		xgrow((void **)&m->columns, &m->cap_columns, m->n_columns + 1, sizeof(*m->columns));
		m->columns[m->n_columns] = (struct merge_column){name, (uint32_t)proc};
		xgrow((void **)&m->order, &m->cap_order, m->n_order + 1, sizeof(*m->order));
		m->order[m->n_order++] = m->n_columns++;
	}
	if (r->array(r, &n_rows))
		return -1;
	struct buf node, context;
	buf_init(&node);
	buf_init(&context);
	int rc = 0;
	for (uint32_t k = 0; k < n_rows && rc == 0; k++) {
		const char *s;
		size_t len;
		int64_t sid, last_seq;
		uint64_t updates;
		rc = -1;
		uint32_t fields;
		if (r->array(r, &fields) || (fields != 6 && fields != 7) || r->str(r, &s, &len))
			break;
		buf_reset(&node);
		buf_append(&node, s, len);
		if (r->str(r, &s, &len))
			break;
		buf_reset(&context);
		buf_append(&context, s, len);
		if (r->i64(r, &sid) || r->i64(r, &last_seq) || r->u64(r, &updates) ||
		    r->array(r, &n) || n % 2 || last_seq < -1 || last_seq > INT32_MAX)
			break;
		add_row(m, node.data, context.data, sid, (int32_t)last_seq, updates, NULL);
		uint32_t f;
		for (f = 0; f < n / 2; f++) {
			uint64_t col;
			int64_t v;
			if (r->u64(r, &col) || col >= n_cols || r->i64(r, &v))
				break;
			xgrow((void **)&m->figs, &m->cap_figs, m->n_figs + 1, sizeof(*m->figs));
			m->figs[m->n_figs++] = (struct merge_fig){(uint32_t)col, v};
			m->rows[m->n_rows - 1].n_figs++;
		}
		if (f < n / 2)
			break;
		if (fields == 7) {
			if (r->str(r, &s, &len))
				break;
			struct merge_row *row = &m->rows[m->n_rows - 1];
			row->stale = xmalloc(len + 1);
			memcpy(row->stale, s, len);
			row->stale[len] = 0;
		}
		rc = 0;
	}
	buf_release(&node);
	buf_release(&context);
	return rc;
}

int merge_load_cache(struct merge *m, const void *data, size_t len, const char *path)
{
	struct buf why;
	buf_init(&why);
	if (state_file_parse(&m->sf, data, len, NULL, &why) || m->sf.kind != STATE_KIND_GLOBAL) {
		log_error("could not read global result cache \"%s\": %s", path,
			  why.len ? why.data : "it holds a session state");
		buf_release(&why);
		return -1;
	}
	buf_release(&why);
	for (uint32_t i = 0; i < m->n; i++) {
		const struct bpass_processor *p = m->procs[i];
		if (!p->global_new)
			continue;
		const struct state_entry *e = state_file_find(&m->sf, p->name);
		if (!e || !p->global_load)
			return log_error("global result cache \"%s\" has no result of processor \"%s\"",
					 path, p->name);
		state_reader_reset(&m->rd, e->data, e->data_len);
		if (p->global_load(m->globals[i], e->version, &m->rd.r) || m->rd.failed)
			return log_error("processor \"%s\" could not load its result (version %u) from "
					 "global result cache \"%s\"", p->name, e->version, path);
	}
	const struct state_entry *e = state_file_find(&m->sf, MERGE_SESSIONS_ENTRY);
	if (e) {
		state_reader_reset(&m->rd, e->data, e->data_len);
		if (load_sessions(m, &m->rd.r) || m->rd.failed)
			return log_error("could not read the sessions table of global result cache "
					 "\"%s\"", path);
	}
	return 0;
}
