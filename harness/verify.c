/*
 * harness/verify.c: bpass run --verify: choosing the sessions to recompute,
 * the scratch folder, and comparing the recomputed states and figures with
 * the run's (see verify.h; harness/run.c runs the recomputation).
 */
#include "verify.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "session_key.h"
#include "state_file.h"

/* How many notes of skipped sessions are printed. */
#define VERIFY_MAX_NOTES 10

#define SCRATCH_PREFIX ".verify."

uint32_t verify_pick(uint32_t n, uint32_t want, uint32_t *out)
{
	if (want >= n) {
		for (uint32_t i = 0; i < n; i++)
			out[i] = i;
		return n;
	}
	if (want == 1) {
		out[0] = 0;
		return 1;
	}
	/* n > want >= 2: the steps are at least 1, so the positions differ. */
	for (uint32_t i = 0; i < want; i++)
		out[i] = (uint32_t)((uint64_t)i * (n - 1) / (want - 1));
	return want;
}

void verify_init(struct verify *v, uint32_t want)
{
	memset(v, 0, sizeof(*v));
	v->want = want ? want : 1;
	buf_init(&v->scratch);
	buf_init(&v->text);
}

static void seen_release(struct verify_seen *seen)
{
	free(seen->stale);
	free(seen->figs);
	memset(seen, 0, sizeof(*seen));
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Removes dir and everything in it (symbolic links are removed, never
 * followed). */
static void remove_tree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void verify_release(struct verify *v)
{
	if (v->scratch.len)
		remove_tree(v->scratch.data);
	for (uint32_t i = 0; i < v->n; i++)
		for (int k = 0; k < 2; k++)
			seen_release(&v->s[i].side[k]);
	free(v->s);
	for (uint32_t i = 0; i < v->n_columns; i++) {
		free(v->columns[i].name);
		free(v->columns[i].proc);
	}
	free(v->columns);
	for (int k = 0; k < 2; k++) {
		for (uint32_t i = 0; i < v->n_dead[k]; i++)
			free(v->dead[k][i]);
		free(v->dead[k]);
	}
	for (uint32_t i = 0; i < v->n_notes; i++)
		free(v->notes[i]);
	free(v->notes);
	buf_release(&v->scratch);
	buf_release(&v->text);
	memset(v, 0, sizeof(*v));
}

static struct bpass_session_key key_of(const struct index_session *s)
{
	return (struct bpass_session_key){s->node_id, s->context, s->session_id};
}

/* v->text = the session's name, as messages give it. */
static const char *name_of(struct verify *v, const struct index_session *s)
{
	struct bpass_session_key key = key_of(s);
	buf_reset(&v->text);
	session_key_format(&key, &v->text);
	return v->text.data;
}

/* Notes that session s is skipped, and why. */
static void skip_note(struct verify *v, const struct index_session *s, const char *why)
{
	struct buf note;
	buf_init(&note);
	buf_printf(&note, "verify: session \"%s\" skipped: %s", name_of(v, s), why);
	xgrow((void **)&v->notes, &v->cap_notes, v->n_notes + 1, sizeof(*v->notes));
	v->notes[v->n_notes++] = xstrdup(note.data);
	buf_release(&note);
}

void verify_consider(struct verify *v, const struct index_session *s)
{
	if (s->first_seq != 0 || s->first_gap >= 0) {
		if (v->want != VERIFY_ALL)
			return;
		struct buf why;
		buf_init(&why);
		if (s->first_seq != 0)
			buf_printf(&why, "it has no update 0 (its first is %" PRId32 ")", s->first_seq);
		else
			buf_printf(&why, "it stops at missing update %" PRId32 " (the index has "
				   "updates up to %" PRId32 ")", s->first_gap, s->last_seq);
		skip_note(v, s, why.data);
		buf_release(&why);
		return;
	}
	xgrow((void **)&v->s, &v->cap, v->n + 1, sizeof(*v->s));
	memset(&v->s[v->n], 0, sizeof(v->s[v->n]));
	v->s[v->n++].s = *s;
}

static int key_cmp(const struct index_session *a, const struct index_session *b)
{
	struct bpass_session_key ka = key_of(a), kb = key_of(b);
	return session_key_cmp(&ka, &kb);
}

/* Largest first (stored bytes), then in key order. */
static int size_cmp(const void *a, const void *b)
{
	const struct verify_session *x = a, *y = b;
	if (x->s.blob_bytes != y->s.blob_bytes)
		return x->s.blob_bytes > y->s.blob_bytes ? -1 : 1;
	return key_cmp(&x->s, &y->s);
}

static int by_key(const void *a, const void *b)
{
	return key_cmp(&((const struct verify_session *)a)->s, &((const struct verify_session *)b)->s);
}

void verify_choose(struct verify *v)
{
	if (v->n == 0)
		return;
	qsort(v->s, v->n, sizeof(*v->s), size_cmp);
	uint32_t *at = xmalloc(((size_t)v->n + 1) * sizeof(*at));
	uint32_t k = verify_pick(v->n, v->want, at);
	/* at[] increases, so moving each chosen one forward keeps the others. */
	for (uint32_t i = 0; i < k; i++)
		v->s[i] = v->s[at[i]];
	free(at);
	v->n = k;
	qsort(v->s, v->n, sizeof(*v->s), by_key);
}

uint32_t verify_count(const struct verify *v)
{
	return v->n;
}

const struct index_session *verify_session(const struct verify *v, uint32_t i)
{
	return &v->s[i].s;
}

/* The chosen session named key, or -1. */
static int64_t find(const struct verify *v, const struct bpass_session_key *key)
{
	uint32_t lo = 0, hi = v->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct bpass_session_key km = key_of(&v->s[mid].s);
		int c = session_key_cmp(key, &km);
		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* The index of column name (added by processor proc), added when new. */
static uint32_t column_of(struct verify *v, const char *name, const char *proc)
{
	for (uint32_t i = 0; i < v->n_columns; i++)
		if (!strcmp(v->columns[i].name, name) && !strcmp(v->columns[i].proc, proc))
			return i;
	xgrow((void **)&v->columns, &v->cap_columns, v->n_columns + 1, sizeof(*v->columns));
	v->columns[v->n_columns] = (struct verify_column){xstrdup(name), xstrdup(proc)};
	return v->n_columns++;
}

static bool is_dead(const struct verify *v, enum verify_side side, const char *proc)
{
	for (uint32_t i = 0; i < v->n_dead[side]; i++)
		if (!strcmp(v->dead[side][i], proc))
			return true;
	return false;
}

void verify_figures(struct verify *v, const struct merge *m, enum verify_side side)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (m->mg && m->mg[i].p && m->mg[i].dead) {
			xgrow((void **)&v->dead[side], &v->cap_dead[side], v->n_dead[side] + 1,
			      sizeof(*v->dead[side]));
			v->dead[side][v->n_dead[side]++] = xstrdup(m->procs[i]->name);
		}
	/* Each merge column's column here. */
	uint32_t *col = xmalloc(((size_t)m->n_columns + 1) * sizeof(*col));
	for (uint32_t c = 0; c < m->n_columns; c++)
		col[c] = column_of(v, m->columns[c].name, m->procs[m->columns[c].proc]->name);
	/* Each row's chosen session, -1 when it is not chosen. */
	int64_t *which = xmalloc(((size_t)m->n_rows + 1) * sizeof(*which));
	for (uint32_t r = 0; r < m->n_rows; r++) {
		const struct merge_row *row = &m->rows[r];
		struct bpass_session_key key = {row->node_id, row->context, row->session_id};
		which[r] = find(v, &key);
		if (which[r] < 0)
			continue;
		struct verify_seen *seen = &v->s[which[r]].side[side];
		seen->merged = true;
		if (row->stale && !seen->stale)
			seen->stale = xstrdup(row->stale);
	}
	for (uint32_t f = 0; f < m->n_figs; f++) {
		const struct merge_fig *fig = &m->figs[f];
		if (fig->row >= m->n_rows || which[fig->row] < 0 || fig->column >= m->n_columns)
			continue;
		struct verify_seen *seen = &v->s[which[fig->row]].side[side];
		xgrow((void **)&seen->figs, &seen->cap_figs, seen->n_figs + 1, sizeof(*seen->figs));
		seen->figs[seen->n_figs++] = (struct verify_fig){col[fig->column], fig->value};
	}
	free(which);
	free(col);
	if (side != VERIFY_INCREMENTAL)
		return;
	/* Sessions the run did not process to the end are not recomputed. */
	struct buf why;
	buf_init(&why);
	uint32_t kept = 0;
	for (uint32_t i = 0; i < v->n; i++) {
		struct verify_session *vs = &v->s[i];
		const struct verify_seen *seen = &vs->side[VERIFY_INCREMENTAL];
		if (!seen->merged || seen->stale) {
			buf_reset(&why);
			buf_puts(&why, "it failed in this run");
			if (seen->stale)
				buf_printf(&why, " (%s)", seen->stale);
			skip_note(v, &vs->s, why.data);
			for (int k = 0; k < 2; k++)
				seen_release(&vs->side[k]);
			continue;
		}
		v->s[kept++] = *vs;
	}
	v->n = kept;
	buf_release(&why);
}

/* True when name is SCRATCH_PREFIX and the pid of a process that is gone
 * (or ours: a folder of an earlier process with our pid). */
static bool is_left_over(const char *name, void *arg)
{
	(void)arg;
	size_t n = strlen(SCRATCH_PREFIX);
	if (strncmp(name, SCRATCH_PREFIX, n) || !name[n])
		return false;
	long pid = 0;
	for (const char *p = name + n; *p; p++) {
		if (*p < '0' || *p > '9' || pid > 100000000)
			return false;
		pid = pid * 10 + (*p - '0');
	}
	return pid == (long)getpid() || pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH);
}

int verify_scratch(struct verify *v, const char *state_root)
{
	char **names;
	int n = fs_list(state_root, is_left_over, NULL, &names);
	for (int i = 0; i < n; i++) {
		buf_reset(&v->text);
		buf_printf(&v->text, "%s/%s", state_root, names[i]);
		remove_tree(v->text.data);
	}
	if (n >= 0)
		fs_names_free(names, n);
	buf_reset(&v->scratch);
	buf_printf(&v->scratch, "%s/" SCRATCH_PREFIX "%ld", state_root, (long)getpid());
	if (fs_mkdirs(v->scratch.data) < 0) {
		int e = errno;
		log_error("verify: could not create scratch folder \"%s\": %s", v->scratch.data,
			  strerror(e));
		buf_reset(&v->scratch);
		return -1;
	}
	return 0;
}

/* Reads and parses the state file of session s in dir into *file and *sf.
 * Returns 0, or -1 after a message. */
static int read_state(struct verify *v, const char *dir, const struct index_session *s,
		      struct buf *file, struct state_file *sf)
{
	struct bpass_session_key key = key_of(s);
	struct buf path, err;
	buf_init(&path);
	buf_init(&err);
	buf_printf(&path, "%s/", dir);
	state_file_name(&key, &path);
	int rc = state_file_read(path.data, file);
	if (rc == STATE_FILE_READ_OK && state_file_parse(sf, file->data, file->len, &key, &err) == 0)
		goto out;
	if (rc == STATE_FILE_MISSING)
		buf_puts(&err, "it does not exist");
	else if (rc == STATE_FILE_READ_ERROR)
		buf_puts(&err, strerror(errno));
	rc = log_error("verify: could not read the state of session \"%s\" in \"%s\": %s",
		       name_of(v, s), path.data, err.data);
out:
	buf_release(&path);
	buf_release(&err);
	return rc < 0 ? -1 : 0;
}

/* The parts of procs whose last processed update differs between the two
 * files: the index changed between the run and the recomputation. Returns
 * true (after a note) when one does. */
static bool index_changed(struct verify *v, const struct index_session *s,
			  const struct state_file *inc, const struct state_file *rec,
			  const struct bpass_processor *const *procs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct state_entry *a = state_file_find(inc, procs[i]->name);
		const struct state_entry *b = state_file_find(rec, procs[i]->name);
		if (a && b && a->last_seq != b->last_seq) {
			struct buf why;
			buf_init(&why);
			buf_printf(&why, "the index changed since the run (processor \"%s\" processed "
				   "updates up to %" PRId32 " in the run, up to %" PRId32 " now)",
				   procs[i]->name, a->last_seq, b->last_seq);
			skip_note(v, s, why.data);
			buf_release(&why);
			return true;
		}
	}
	return false;
}

static void put_value(struct buf *out, bool has, int64_t value)
{
	if (has)
		buf_printf(out, "%" PRId64, value);
	else
		buf_puts(out, "none");
}

/* Compares processor p's figures of session vs, with value[side][column]
 * and has[side][column] filled. */
static void compare_figures(struct verify *v, const char *name, const char *proc,
			    int64_t *const value[2], bool *const has[2])
{
	if (is_dead(v, VERIFY_INCREMENTAL, proc) || is_dead(v, VERIFY_RECOMPUTED, proc))
		return;
	struct buf msg;
	buf_init(&msg);
	for (uint32_t c = 0; c < v->n_columns; c++) {
		if (strcmp(v->columns[c].proc, proc))
			continue;
		if (has[0][c] == has[1][c] && (!has[0][c] || value[0][c] == value[1][c]))
			continue;
		buf_reset(&msg);
		buf_puts(&msg, "(incremental ");
		put_value(&msg, has[0][c], value[0][c]);
		buf_puts(&msg, ", recomputed ");
		put_value(&msg, has[1][c], value[1][c]);
		log_error("verify: processor \"%s\" session \"%s\": figure \"%s\" differs from a "
			  "recomputation from update 0 %s)", proc, name, v->columns[c].name, msg.data);
		v->n_differences++;
	}
	buf_release(&msg);
}

static int note_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int verify_compare(struct verify *v, const char *inc_dir, const char *rec_dir,
		   const struct bpass_processor *const *procs, uint32_t n)
{
	struct buf inc_file, rec_file, name;
	struct state_file inc, rec;
	buf_init(&inc_file);
	buf_init(&rec_file);
	buf_init(&name);
	state_file_init(&inc);
	state_file_init(&rec);
	int64_t *value[2];
	bool *has[2];
	for (int k = 0; k < 2; k++) {
		value[k] = xcalloc(v->n_columns + 1, sizeof(*value[k]));
		has[k] = xcalloc(v->n_columns + 1, sizeof(*has[k]));
	}
	v->n_processors = n;
	for (uint32_t i = 0; i < v->n; i++) {
		struct verify_session *vs = &v->s[i];
		const struct verify_seen *re = &vs->side[VERIFY_RECOMPUTED];
		buf_reset(&name);
		buf_puts(&name, name_of(v, &vs->s));
		if (!re->merged || re->stale) {
			log_error("verify: could not recompute session \"%s\": %s", name.data,
				  re->stale ? re->stale : "it was not processed");
			v->n_failed++;
			continue;
		}
		if (read_state(v, inc_dir, &vs->s, &inc_file, &inc) ||
		    read_state(v, rec_dir, &vs->s, &rec_file, &rec)) {
			v->n_failed++;
			continue;
		}
		if (index_changed(v, &vs->s, &inc, &rec, procs, n))
			continue;
		for (int k = 0; k < 2; k++) {
			memset(has[k], 0, (v->n_columns + 1) * sizeof(*has[k]));
			for (uint32_t f = 0; f < vs->side[k].n_figs; f++) {
				const struct verify_fig *fig = &vs->side[k].figs[f];
				value[k][fig->column] = fig->value;
				has[k][fig->column] = true;
			}
		}
		for (uint32_t p = 0; p < n; p++) {
			const struct state_entry *a = state_file_find(&inc, procs[p]->name);
			const struct state_entry *b = state_file_find(&rec, procs[p]->name);
			if (!a || !b || a->data_len != b->data_len ||
			    memcmp(a->data, b->data, a->data_len)) {
				buf_reset(&v->text);
				buf_puts(&v->text, "(incremental ");
				if (a)
					buf_printf(&v->text, "%zu bytes", a->data_len);
				else
					buf_puts(&v->text, "none");
				buf_puts(&v->text, ", recomputed ");
				if (b)
					buf_printf(&v->text, "%zu bytes", b->data_len);
				else
					buf_puts(&v->text, "none");
				log_error("verify: processor \"%s\" session \"%s\": saved state differs "
					  "from a recomputation from update 0 %s)", procs[p]->name,
					  name.data, v->text.data);
				v->n_differences++;
			}
			compare_figures(v, name.data, procs[p]->name, value, has);
		}
		v->n_verified++;
	}
	for (int k = 0; k < 2; k++) {
		free(value[k]);
		free(has[k]);
	}
	state_file_release(&inc);
	state_file_release(&rec);
	buf_release(&inc_file);
	buf_release(&rec_file);
	buf_release(&name);

	if (v->n_notes)
		qsort(v->notes, v->n_notes, sizeof(*v->notes), note_cmp);
	for (uint32_t i = 0; i < v->n_notes && i < VERIFY_MAX_NOTES; i++)
		log_warn("%s", v->notes[i]);
	if (v->n_notes > VERIFY_MAX_NOTES)
		log_warn("verify: ... and %u more sessions skipped", v->n_notes - VERIFY_MAX_NOTES);
	log_result("verify: %u sessions, %u processors, %u differences", v->n_verified,
		   v->n_processors, v->n_differences);
	return v->n_differences || v->n_failed ? -1 : 0;
}
