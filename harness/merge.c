/*
 * harness/merge.c: merging session states into the global result through
 * each processor's merger, the sessions table, sessions to recompute, and
 * the cached global result (see merge.h).
 */
#include "merge.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "log.h"
#include "results.h"
#include "session_key.h"

static const char *key_text(struct merge *m, const struct bpass_session_key *key)
{
	buf_reset(&m->err);
	session_key_format(key, &m->err);
	return m->err.data;
}

static struct bpass_session_key row_key(const struct merge_row *r)
{
	return (struct bpass_session_key){r->node_id, r->context, r->session_id};
}

/* ---------------------------------------------------------------------------
 * Rows
 */

static uint32_t add_row(struct merge *m, const struct bpass_session_key *key, int32_t last_seq,
			uint64_t updates, const char *stale)
{
	xgrow((void **)&m->rows, &m->cap_rows, m->n_rows + 1, sizeof(*m->rows));
	struct merge_row *r = &m->rows[m->n_rows];
	memset(r, 0, sizeof(*r));
	r->node_id = xstrdup(key->node_id);
	r->context = xstrdup(key->context);
	r->session_id = key->session_id;
	r->last_seq = last_seq;
	r->updates = updates;
	r->stale = stale ? xstrdup(stale) : NULL;
	return m->n_rows++;
}

/* Row r becomes stale for why (unless it already is); the caller hears of
 * it when tell. */
static void make_stale(struct merge *m, uint32_t r, const char *why, bool tell)
{
	struct merge_row *row = &m->rows[r];
	m->failed = true;
	if (row->stale)
		return;
	row->stale = xstrdup(why);
	if (tell && m->on_failure) {
		struct bpass_session_key key = row_key(row);
		m->on_failure(m->on_failure_arg, row->tag, &key, why);
	}
}

void merge_row_stale(struct merge *m, uint32_t row, const char *reason)
{
	struct merge_row *r = &m->rows[row];
	free(r->redo);
	r->redo = NULL;
	r->redo_out = false;
	make_stale(m, row, reason, false);
}

void merge_stale_row(struct merge *m, const struct bpass_session_key *key, const char *reason)
{
	add_row(m, key, -1, 0, reason);
	m->failed = true;
}

/* ---------------------------------------------------------------------------
 * Life cycle
 */

int merge_init(struct merge *m, const struct bpass_processor *const *procs, uint32_t n,
	       const struct proc_options *options)
{
	memset(m, 0, sizeof(*m));
	m->procs = procs;
	m->n = n;
	m->mg = xcalloc(n + 1, sizeof(*m->mg));
	state_file_init(&m->sf);
	buf_init(&m->err);
	for (uint32_t i = 0; i < n; i++)
		if (merger_needed(procs[i]) && merger_init(&m->mg[i], procs[i], options))
			return -1;
	return 0;
}

int merge_init_isolated(struct merge *m, const struct bpass_processor *const *procs, uint32_t n,
			const struct merger_options *o)
{
	memset(m, 0, sizeof(*m));
	m->procs = procs;
	m->n = n;
	m->mg = xcalloc(n + 1, sizeof(*m->mg));
	state_file_init(&m->sf);
	buf_init(&m->err);
	/* Each process closes what the ones started before it left to the
	 * parent, and what o says. */
	int *fds = xcalloc(o->n_close_fds + 2 * n + 1, sizeof(*fds));
	uint32_t n_fds = o->n_close_fds;
	memcpy(fds, o->close_fds, o->n_close_fds * sizeof(*fds));
	int rc = 0;
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		if (!merger_needed(procs[i]))
			continue;
		struct merger_options each = *o;
		each.close_fds = fds;
		each.n_close_fds = n_fds;
		rc = merger_start(&m->mg[i], procs[i], &each);
		fds[n_fds++] = m->mg[i].to;
		fds[n_fds++] = m->mg[i].from;
	}
	free(fds);
	return rc;
}

void merge_close_fds(struct merge *m)
{
	for (uint32_t i = 0; m->mg && i < m->n; i++)
		if (m->mg[i].p)
			merger_close_fds(&m->mg[i]);
}

void merge_release(struct merge *m)
{
	for (uint32_t i = 0; m->mg && i < m->n; i++)
		merger_release(&m->mg[i]);
	free(m->mg);
	state_file_release(&m->sf);
	buf_release(&m->err);
	for (uint32_t i = 0; i < m->n_columns; i++)
		free(m->columns[i].name);
	free(m->columns);
	for (uint32_t i = 0; i < m->n_rows; i++) {
		free(m->rows[i].node_id);
		free(m->rows[i].context);
		free(m->rows[i].stale);
		free(m->rows[i].redo);
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
	for (uint32_t i = 0; eph && i < n; i++)
		if (eph[i].name_len == len && !memcmp(eph[i].name, name, len))
			return &eph[i];
	return NULL;
}

/*
 * What processor i's merger found wrong. A declined part of a saved state
 * is to be recomputed (once); a declined part of a stale session is
 * nothing of it for this processor; anything else makes the session stale.
 * Returns true when a session became stale.
 */
static bool take_problems(struct merge *m, uint32_t i)
{
	struct merger_problem *pr;
	uint32_t n;
	bool stale = false;
	merger_take_problems(&m->mg[i], &pr, &n);
	for (uint32_t k = 0; k < n; k++) {
		struct merge_row *row = &m->rows[pr[k].row];
		if (pr[k].kind == MERGER_DECLINED && row->stale) {
			/* nothing of this session for this processor */
		} else if (pr[k].kind == MERGER_DECLINED && row->saved) {
			if (!row->redo) {
				row->redo = xcalloc(m->n, 1);
				m->n_redo++;
			}
			row->redo[i] = 1;
		} else {
			if (pr[k].kind == MERGER_DECLINED) {
				struct bpass_session_key key = row_key(row);
				log_error("processor \"%s\" could not load the state of session %s",
					  m->procs[i]->name, key_text(m, &key));
			}
			make_stale(m, pr[k].row, pr[k].why, true);
			stale = true;
		}
		free(pr[k].why);
	}
	free(pr);
	return stale;
}

int merge_session(struct merge *m, const struct bpass_session_key *key, const void *container,
		  size_t len, const struct proto_eph *eph, uint32_t n_eph,
		  const struct merge_from *from)
{
	static const struct merge_from current = {.redo_row = -1};
	if (!from)
		from = &current;
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
		if (!es[i] && from->stale)
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
	uint32_t r;
	const uint8_t *only = NULL;
	if (from->redo_row >= 0) {
		/* Recomputed for the processors that declined its saved parts. */
		r = (uint32_t)from->redo_row;
		struct merge_row *row = &m->rows[r];
		row->last_seq = last_seq;
		row->updates = updates;
		row->saved = false;
		row->redo_out = false;
		only = row->redo;
		row->redo = NULL;
	} else {
		r = add_row(m, key, last_seq, updates, from->stale);
		m->rows[r].tag = from->tag;
		m->rows[r].saved = from->saved && !from->stale;
		m->saved_sent = m->saved_sent || m->rows[r].saved;
	}
	bool stale = false;
	for (uint32_t i = 0; i < m->n; i++) {
		if (!m->mg[i].p || !merger_wants_sessions(m->procs[i]) || !es[i] || m->mg[i].dead ||
		    (only && !only[i]))
			continue;
		bool merged = from->figures &&
			      proto_result_was_merged(from->figures, m->procs[i]->name);
		const struct proto_figs *f =
			from->figures && (merged || !m->procs[i]->merge)
				? proto_result_find_figs(from->figures, m->procs[i]->name)
				: NULL;
		if (f)
			merger_figures(&m->mg[i], r, f, from->figures->fig);
		if (f || merged)
			continue;
		const struct proto_eph *pe = find_eph(eph, n_eph, m->procs[i]->name);
		merger_session(&m->mg[i], r, key, es[i], pe ? pe->data : NULL, pe ? pe->len : 0);
		stale = take_problems(m, i) || stale;
	}
	free((void *)only);
	free(es);
	if (from->figures && from->figures->merge_error.len) {
		/* A merge in the worker failed. */
		make_stale(m, r, from->figures->merge_error.data, true);
		stale = true;
	}
	if (stale)
		return 1;
	return 0;
}

uint32_t merge_last_row(const struct merge *m)
{
	return m->n_rows - 1;
}

int merge_again(struct merge *m, uint32_t row, const struct bpass_session_key *key,
		const void *container, size_t len, const struct proto_eph *eph, uint32_t n_eph,
		const uint8_t *only)
{
	struct buf why;
	buf_init(&why);
	if (state_file_parse(&m->sf, container, len, key, &why)) {
		log_error("could not merge session %s again: its state %s", key_text(m, key),
			  why.data);
		buf_release(&why);
		make_stale(m, row, "its state file could not be merged again", true);
		return -1;
	}
	buf_release(&why);
	for (uint32_t i = 0; i < m->n; i++) {
		if (!only[i] || !m->mg[i].p || m->mg[i].dead)
			continue;
		const struct state_entry *e = state_file_find(&m->sf, m->procs[i]->name);
		if (!e) {
			log_error("could not merge session %s again: its state has no part for "
				  "processor \"%s\"", key_text(m, key), m->procs[i]->name);
			make_stale(m, row, "its state file could not be merged again", true);
			continue;
		}
		const struct proto_eph *pe = find_eph(eph, n_eph, m->procs[i]->name);
		merger_again(&m->mg[i], row, key, e, pe ? pe->data : NULL, pe ? pe->len : 0);
		take_problems(m, i);
	}
	return 0;
}

int merge_partial(struct merge *m, const char *name, size_t name_len, uint32_t version,
		  const void *data, size_t len)
{
	for (uint32_t i = 0; i < m->n; i++) {
		if (strlen(m->procs[i]->name) != name_len ||
		    memcmp(m->procs[i]->name, name, name_len))
			continue;
		if (!m->mg[i].p)
			return -1;
		merger_partial(&m->mg[i], version, data, len);
		if (m->mg[i].dead)
			m->failed = true;
		return (int)i;
	}
	return -1;
}

/* What every merger found wrong so far (isolated ones are asked, all at
 * once). Only needed when a saved state was given since the last time:
 * otherwise nothing can be recomputed, and the rest waits for the end. */
static void sync_all(struct merge *m)
{
	if (!m->saved_sent)
		return;
	m->saved_sent = false;
	for (uint32_t i = 0; i < m->n; i++)
		if (m->mg[i].p && !m->mg[i].dead && merger_ask(&m->mg[i]))
			m->failed = true;
	for (uint32_t i = 0; i < m->n; i++) {
		if (!m->mg[i].p || m->mg[i].dead)
			continue;
		if (merger_sync(&m->mg[i]))
			m->failed = true;
		take_problems(m, i);
	}
}

uint32_t merge_redo(struct merge *m, struct merge_redo **out)
{
	*out = NULL;
	sync_all(m);
	if (!m->n_redo)
		return 0;
	struct merge_redo *list = xcalloc(m->n_redo, sizeof(*list));
	uint32_t n = 0;
	for (uint32_t r = 0; r < m->n_rows && n < m->n_redo; r++) {
		struct merge_row *row = &m->rows[r];
		if (!row->redo || row->redo_out)
			continue;
		row->redo_out = true;
		list[n++] = (struct merge_redo){row->tag, r};
	}
	m->n_redo = 0;
	*out = list;
	return n;
}

/* ---------------------------------------------------------------------------
 * The end
 */

int merge_complete(struct merge *m)
{
	int rc = 0;
	for (uint32_t i = 0; i < m->n; i++)
		if (m->mg[i].p && !m->mg[i].dead && merger_complete(&m->mg[i])) {
			m->mg[i].dead = true;
			rc = -1;
		}
	if (rc)
		m->failed = true;
	return rc;
}

/* Appends processor i's figures (its columns in its order) to columns[] and
 * figs[]. */
static void collect_one(struct merge *m, uint32_t i)
{
	const struct merger *mg = &m->mg[i];
	uint32_t *at = xcalloc(mg->n_columns + 1, sizeof(*at));
	for (uint32_t k = 0; k < mg->n_order; k++) {
		xgrow((void **)&m->columns, &m->cap_columns, m->n_columns + 1, sizeof(*m->columns));
		m->columns[m->n_columns] = (struct merge_column){xstrdup(mg->columns[mg->order[k]]), i};
		at[mg->order[k]] = m->n_columns++;
	}
	for (uint32_t k = 0; k < mg->n_figs; k++) {
		xgrow((void **)&m->figs, &m->cap_figs, m->n_figs + 1, sizeof(*m->figs));
		m->figs[m->n_figs++] = (struct merge_fig){mg->figs[k].row, at[mg->figs[k].column],
							   mg->figs[k].value};
	}
	free(at);
}

/* The mergers' figures, in processor run order, into columns[] and figs[]. */
static void collect(struct merge *m)
{
	if (m->collected)
		return;
	m->collected = true;
	for (uint32_t i = 0; i < m->n; i++)
		if (m->mg[i].p)
			collect_one(m, i);
}

static int row_cmp(const void *a, const void *b, void *arg)
{
	const struct merge *m = arg;
	const struct merge_row *x = &m->rows[*(const uint32_t *)a], *y = &m->rows[*(const uint32_t *)b];
	struct bpass_session_key kx = row_key(x), ky = row_key(y);
	return session_key_cmp(&kx, &ky);
}

static int fig_cmp(const void *a, const void *b)
{
	const struct merge_fig *x = a, *y = b;
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	return x->column < y->column ? -1 : x->column > y->column;
}

static int write_sessions(struct merge *m, struct bpass_results *res)
{
	const char **cols = xcalloc(5 + m->n_columns + 2 + 1, sizeof(*cols));
	static const char *const fixed[] = {"node_id", "anonymization_context", "session_id",
					    "last_sequence_number_processed", "updates_processed"};
	for (uint32_t i = 0; i < 5; i++)
		cols[i] = fixed[i];
	for (uint32_t i = 0; i < m->n_columns; i++)
		cols[5 + i] = m->columns[i].name;
	cols[5 + m->n_columns] = "status";
	cols[5 + m->n_columns + 1] = "stale_reason";
	struct bpass_table *t = res->table(res, "sessions", cols);
	free(cols);
	if (!t)
		return -1;
	/* Rows in key order; each row's figures found through first[]. */
	uint32_t *order = xcalloc(m->n_rows + 1, sizeof(*order));
	uint32_t *first = xcalloc(m->n_rows + 1, sizeof(*first));
	for (uint32_t r = 0; r < m->n_rows; r++)
		order[r] = r;
	qsort_r(order, m->n_rows, sizeof(*order), row_cmp, m);
	if (m->n_figs)
		qsort(m->figs, m->n_figs, sizeof(*m->figs), fig_cmp);
	for (uint32_t f = 0, r = 0; r <= m->n_rows; r++) {
		while (f < m->n_figs && m->figs[f].row < r)
			f++;
		first[r] = f;
	}
	int rc = 0;
	for (uint32_t k = 0; k < m->n_rows && rc == 0; k++) {
		const struct merge_row *row = &m->rows[order[k]];
		res->str(t, row->node_id);
		res->str(t, row->context);
		res->i64(t, row->session_id);
		res->i64(t, row->last_seq);
		res->u64(t, row->updates);
		uint32_t f = first[order[k]], end = first[order[k] + 1];
		for (uint32_t c = 0; c < m->n_columns; c++) {
			if (f < end && m->figs[f].column == c)
				res->i64(t, m->figs[f++].value);
			else
				res->null(t);
		}
		res->str(t, row->stale ? "stale" : "ok");
		if (row->stale)
			res->str(t, row->stale);
		else
			res->null(t);
		rc = res->row_end(t);
	}
	free(order);
	free(first);
	if (rc) {
		res->close(t);
		return -1;
	}
	return res->close(t);
}

int merge_write(struct merge *m, struct bpass_results *res)
{
	int rc = 0;
	collect(m);
	for (uint32_t i = 0; i < m->n; i++)
		if (m->mg[i].p && !m->mg[i].dead && merger_write(&m->mg[i], res))
			rc = -1;
	if (write_sessions(m, res))
		rc = -1;
	if (rc)
		m->failed = true;
	return rc;
}

int merge_finish(struct merge *m, const char *dir, bool json, bool save)
{
	int rc = 0;
	struct buf sub;
	buf_init(&sub);
	/* Every process finishes at once, then each answers. */
	for (uint32_t i = 0; i < m->n; i++) {
		struct merger *mg = &m->mg[i];
		if (!mg->p || mg->dead)
			continue;
		buf_reset(&sub);
		buf_printf(&sub, "%s/%s", dir, m->procs[i]->name);
		merger_finish_start(mg, sub.data, json, save);
	}
	for (uint32_t i = 0; i < m->n; i++) {
		struct merger *mg = &m->mg[i];
		if (!mg->p)
			continue;
		merger_finish_wait(mg);
		take_problems(m, i);
		if (mg->dead)
			rc = -1;
	}
	buf_release(&sub);
	/* A declined part that was never recomputed (it should not happen: the
	 * caller asks merge_redo until there is none) leaves the session stale. */
	for (uint32_t r = 0; r < m->n_rows; r++) {
		struct merge_row *row = &m->rows[r];
		for (uint32_t i = 0; row->redo && i < m->n; i++)
			if (row->redo[i]) {
				buf_reset(&sub);
				buf_printf(&sub, "processor \"%s\" could not load the state of this session",
					   m->procs[i]->name);
				make_stale(m, r, sub.data, true);
				break;
			}
		free(row->redo);
		row->redo = NULL;
	}
	buf_release(&sub);
	collect(m);
	struct results res;
	if (results_init(&res, dir, json) || write_sessions(m, &res.r) || results_failed(&res))
		rc = -1;
	results_release(&res);
	if (rc)
		m->failed = true;
	return rc;
}

/* ---------------------------------------------------------------------------
 * The cached global result
 */

static void save_sessions(const struct merge *m, struct bpass_writer *w)
{
	w->array(w, 2);
	w->array(w, m->n_columns);
	for (uint32_t i = 0; i < m->n_columns; i++) {
		const struct merge_column *c = &m->columns[i];
		w->array(w, 2);
		w->str(w, c->name, strlen(c->name));
		w->u64(w, c->proc);
	}
	w->array(w, m->n_rows);
	uint32_t f = 0;
	for (uint32_t r = 0; r < m->n_rows; r++) {
		const struct merge_row *row = &m->rows[r];
		w->array(w, row->stale ? 7 : 6);
		w->str(w, row->node_id, strlen(row->node_id));
		w->str(w, row->context, strlen(row->context));
		w->i64(w, row->session_id);
		w->i64(w, row->last_seq);
		w->u64(w, row->updates);
		uint32_t end = f;
		while (end < m->n_figs && m->figs[end].row == r)
			end++;
		w->array(w, 2 * (end - f));
		for (; f < end; f++) {
			w->u64(w, m->figs[f].column);
			w->i64(w, m->figs[f].value);
		}
		if (row->stale)
			w->str(w, row->stale, strlen(row->stale));
	}
}

int merge_save(struct merge *m, const char *path)
{
	collect(m);
	if (m->n_figs)
		qsort(m->figs, m->n_figs, sizeof(*m->figs), fig_cmp);
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
		struct merger *mg = &m->mg[i];
		if (!p->global_save)
			continue;
		if (mg->has_saved) {
			/* merger_finish saved it (isolated: in its process). */
			state_file_entry(&file, p->name, p->version, -1, 0, mg->saved.data,
					 mg->saved.len);
			continue;
		}
		if (mg->dead || mg->pid)
			rc = log_error("could not save global result cache \"%s\": processor \"%s\" "
				       "has no global result", path, p->name);
		else
			rc = merger_save(mg, &data);
		if (rc == 0)
			state_file_entry(&file, p->name, p->version, -1, 0, data.sbuf.data,
					 data.sbuf.size);
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
		m->columns[m->n_columns++] = (struct merge_column){name, (uint32_t)proc};
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
		struct bpass_session_key key = {node.data, context.data, sid};
		uint32_t row = add_row(m, &key, (int32_t)last_seq, updates, NULL);
		uint32_t f;
		for (f = 0; f < n / 2; f++) {
			uint64_t col;
			int64_t v;
			if (r->u64(r, &col) || col >= n_cols || r->i64(r, &v))
				break;
			xgrow((void **)&m->figs, &m->cap_figs, m->n_figs + 1, sizeof(*m->figs));
			m->figs[m->n_figs++] = (struct merge_fig){row, (uint32_t)col, v};
		}
		if (f < n / 2)
			break;
		if (fields == 7) {
			if (r->str(r, &s, &len))
				break;
			char *why = xmalloc(len + 1);
			memcpy(why, s, len);
			why[len] = 0;
			m->rows[row].stale = why;
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
		if (merger_load(&m->mg[i], e->version, e->data, e->data_len, path))
			return -1;
	}
	/* The figures are the cache's, not the (empty) mergers'. */
	m->collected = true;
	const struct state_entry *e = state_file_find(&m->sf, MERGE_SESSIONS_ENTRY);
	if (e) {
		struct state_reader rd;
		state_reader_init(&rd);
		state_reader_reset(&rd, e->data, e->data_len);
		int rc = load_sessions(m, &rd.r) || rd.failed ? -1 : 0;
		state_reader_release(&rd);
		if (rc)
			return log_error("could not read the sessions table of global result cache "
					 "\"%s\"", path);
	}
	return 0;
}
