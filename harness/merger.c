/*
 * harness/merger.c: one processor's global result: its sessions merged,
 * its figures kept, its problems recorded, its tables (see merger.h).
 */
#include "merger.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "session_key.h"

bool merger_needed(const struct bpass_processor *p)
{
	return p->global_new || p->merge || p->session_figures || p->global_complete ||
	       p->write_results || p->global_save;
}

bool merger_wants_sessions(const struct bpass_processor *p)
{
	return p->merge || p->session_figures;
}

/* ---------------------------------------------------------------------------
 * Figures
 */

static int find_column(const struct merger *mg, const char *name)
{
	for (uint32_t i = 0; i < mg->n_columns; i++)
		if (!strcmp(mg->columns[i], name))
			return (int)i;
	return -1;
}

static int32_t order_pos(const struct merger *mg, uint32_t column)
{
	for (uint32_t i = 0; i < mg->n_order; i++)
		if (mg->order[i] == column)
			return (int32_t)i;
	return -1;
}

/* Adds a column after position prev of order[] (-1: at the front). */
static uint32_t add_column(struct merger *mg, const char *name, int32_t prev)
{
	xgrow((void **)&mg->columns, &mg->cap_columns, mg->n_columns + 1, sizeof(*mg->columns));
	uint32_t c = mg->n_columns++;
	mg->columns[c] = xstrdup(name);
	uint32_t at = prev >= 0 ? (uint32_t)prev + 1 : 0;
	xgrow((void **)&mg->order, &mg->cap_order, mg->n_order + 1, sizeof(*mg->order));
	memmove(&mg->order[at + 1], &mg->order[at], (mg->n_order - at) * sizeof(*mg->order));
	mg->order[at] = c;
	mg->n_order++;
	return c;
}

static void fig_add(struct bpass_figures *f, const char *column, int64_t value)
{
	struct merger *mg = f->impl;
	if (!column || !*column)
		return;
	int c = find_column(mg, column);
	if (c < 0)
		c = (int)add_column(mg, column, mg->cur_prev);
	mg->cur_prev = order_pos(mg, (uint32_t)c);
	/* A column given twice for one session keeps the last value. */
	for (uint32_t i = mg->cur_first_fig; i < mg->n_figs; i++)
		if (mg->figs[i].column == (uint32_t)c) {
			mg->figs[i].value = value;
			return;
		}
	xgrow((void **)&mg->figs, &mg->cap_figs, mg->n_figs + 1, sizeof(*mg->figs));
	mg->figs[mg->n_figs++] = (struct merger_fig){mg->cur_row, (uint32_t)c, value};
}

/* ---------------------------------------------------------------------------
 * Life cycle
 */

int merger_init(struct merger *mg, const struct bpass_processor *p)
{
	memset(mg, 0, sizeof(*mg));
	mg->p = p;
	state_reader_init(&mg->rd);
	buf_init(&mg->text);
	mg->fig = (struct bpass_figures){.impl = mg, .add = fig_add};
	if (p->global_new) {
		mg->global = p->global_new();
		if (!mg->global)
			return log_error("processor \"%s\" could not create its global result", p->name);
	}
	return 0;
}

void merger_release(struct merger *mg)
{
	if (!mg->p)
		return;
	if (mg->global && mg->p->global_free)
		mg->p->global_free(mg->global);
	for (uint32_t i = 0; i < mg->n_columns; i++)
		free(mg->columns[i]);
	free(mg->columns);
	free(mg->order);
	free(mg->figs);
	for (uint32_t i = 0; i < mg->n_problems; i++)
		free(mg->problems[i].why);
	free(mg->problems);
	state_reader_release(&mg->rd);
	buf_release(&mg->text);
	memset(mg, 0, sizeof(*mg));
}

/* ---------------------------------------------------------------------------
 * Sessions
 */

static void problem(struct merger *mg, uint32_t row, int kind, const char *what)
{
	xgrow((void **)&mg->problems, &mg->cap_problems, mg->n_problems + 1,
	      sizeof(*mg->problems));
	buf_reset(&mg->text);
	buf_printf(&mg->text, "processor \"%s\" could not %s this session", mg->p->name, what);
	mg->problems[mg->n_problems++] = (struct merger_problem){row, kind, xstrdup(mg->text.data)};
}

void merger_session(struct merger *mg, uint32_t row, const struct bpass_session_key *key,
		    const struct state_entry *e, const void *eph, size_t eph_len)
{
	const struct bpass_processor *p = mg->p;
	void *state = NULL, *es = NULL;
	const char *what = NULL;
	if (p->session_new) {
		state = p->session_new(key);
		if (!state) {
			what = "create a state for";
			goto out;
		}
		state_reader_reset(&mg->rd, e->data, e->data_len);
		if (p->load(state, e->version, &mg->rd.r) || mg->rd.failed) {
			problem(mg, row, MERGER_DECLINED, "load the state of");
			goto out;
		}
	}
	if (eph && p->ephemeral_new) {
		es = p->ephemeral_new(key);
		state_reader_reset(&mg->rd, eph, eph_len);
		if (!es || p->ephemeral_load(es, &mg->rd.r) || mg->rd.failed) {
			what = "load the ephemeral state of";
			goto out;
		}
	}
	mg->cur_row = row;
	mg->cur_first_fig = mg->n_figs;
	mg->cur_prev = -1;
	if (p->session_figures && p->session_figures(state, es, &mg->fig)) {
		what = "give the figures of";
		goto out;
	}
	if (p->merge && p->merge(mg->global, key, state, es))
		what = "merge";
out:
	if (what) {
		buf_reset(&mg->text);
		session_key_format(key, &mg->text);
		log_error("processor \"%s\" could not %s session %s", p->name, what, mg->text.data);
		problem(mg, row, MERGER_FAILED, what);
	}
	if (es)
		p->ephemeral_free(es);
	if (state)
		p->session_free(state);
}

void merger_take_problems(struct merger *mg, struct merger_problem **out, uint32_t *n)
{
	*out = mg->problems;
	*n = mg->n_problems;
	mg->problems = NULL;
	mg->n_problems = mg->cap_problems = 0;
}

/* ---------------------------------------------------------------------------
 * The end
 */

int merger_complete(struct merger *mg)
{
	if (mg->p->global_complete && mg->p->global_complete(mg->global))
		return log_error("processor \"%s\" could not complete its global result",
				 mg->p->name);
	return 0;
}

int merger_write(struct merger *mg, struct bpass_results *res)
{
	if (mg->p->write_results && mg->p->write_results(mg->global, res))
		return log_error("processor \"%s\" could not write its results", mg->p->name);
	return 0;
}

int merger_save(struct merger *mg, struct state_writer *data)
{
	state_writer_reset(data);
	if (!mg->p->global_save)
		return 1;
	if (mg->p->global_save(mg->global, &data->w) || state_writer_finish(data))
		return log_error("processor \"%s\" could not save its global result%s%s",
				 mg->p->name, data->error ? ": " : "", data->error ? data->error : "");
	return 0;
}

int merger_load(struct merger *mg, uint32_t version, const void *data, size_t len,
		const char *path)
{
	state_reader_reset(&mg->rd, data, len);
	if (!mg->p->global_load || mg->p->global_load(mg->global, version, &mg->rd.r) ||
	    mg->rd.failed)
		return log_error("processor \"%s\" could not load its result (version %u) from "
				 "global result cache \"%s\"", mg->p->name, version, path);
	return 0;
}
