/*
 * harness/run.c: the parent of a run: planning, the dispatch loop over the
 * worker pool (or in-process with -w 0), merging, results and the summary
 * (see run.h).
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "atomic_file.h"
#include "index_db.h"
#include "lock_file.h"
#include "log.h"
#include "merge.h"
#include "pool.h"
#include "provenance.h"
#include "proto.h"
#include "registry.h"
#include "results.h"
#include "sink.h"
#include "run_memo.h"
#include "state_file.h"
#include "timeutil.h"
#include "verify.h"
#include "worker.h"

/* Set by SIGINT/SIGTERM during a run; the workers have their own copy
 * (struct worker_options.stop, set by pool.c's handler). */
static volatile sig_atomic_t run_stop;

/* How many gap and failure lines are printed at the end. */
#define RUN_MAX_NOTES 10

/* What became of a session (session_status.csv). */
enum run_status {
	RUN_PENDING = 0,              /* not done (the run stopped before it) */
	RUN_PROCESSED,                /* new updates processed */
	RUN_UNCHANGED,                /* nothing new: merged as saved */
	RUN_GAP,                      /* stopped at a missing update (gap_seq) */
	RUN_NO_FIRST,                 /* no update 0: not processed */
	RUN_FAILED,                   /* failed (why), merged as of its last good state */
	RUN_FILTERED,                 /* left out by --include-nodes, --since... */
};

struct plan_session {
	struct index_session s;
	uint8_t status;               /* enum run_status */
	int32_t gap_seq;              /* RUN_GAP: the first missing sequence number */
	char *why;                    /* RUN_FAILED: why (owned) */
};

/* A session a worker merged into its partial global results, kept until
 * the partials arrive, so that it can be merged again from its state file
 * if they are lost. */
struct run_merged {
	uint32_t idx;                 /* plan index */
	uint32_t row;                 /* its row (merge.h) */
	uint32_t mask;                /* offset in masks[]: n bytes, 1 per processor merged */
	uint32_t first_eph, n_eph;    /* its ephemeral states in ephs[] */
};

/* An ephemeral state kept for merge_again: the processor, bytes in bytes. */
struct run_eph {
	uint32_t proc;
	size_t off, len;
};

/* What one worker has merged since it last sent its partials. */
struct run_partials {
	struct run_merged *s;
	uint32_t n, cap;
	uint8_t *masks;
	uint32_t n_masks, cap_masks;
	struct run_eph *ephs;
	uint32_t n_ephs, cap_ephs;
	struct buf bytes;
	bool asked;                   /* PROTO_FLUSH sent, PROTO_PARTIAL not received */
};

struct run {
	const struct run_options *o;
	const char *label;            /* "run", or "verify" for a --verify recomputation */
	struct buf state_dir;
	int lock_fd;
	int outer_lock_fd;            /* a --verify recomputation: the run's lock, which its
				       * workers and mergers close too; else -1 */
	int close_fds[2];             /* what mergers close: lock_fd, outer_lock_fd */
	bool planned;                 /* plan[] is given (--verify): the index is not listed */
	bool finished;                /* merge_finish was called: the figures are collected */
	struct registry reg;
	uint32_t *order;
	uint32_t n;
	const struct bpass_processor **procs;
	const char **names;
	bool any_recompute;

	struct plan_session *plan;
	uint32_t n_plan, cap_plan;
	struct plan_session *filtered; /* sessions of the index left out by the filters */
	uint32_t n_filtered, cap_filtered;
	uint32_t next;                /* next plan index to look at */
	int64_t pending;              /* plan index waiting for a worker, -1 */

	struct merge m;
	bool merge_inited;
	struct worker_options wopt;   /* what workers are told */
	struct pool pool;
	bool pool_started;
	uint32_t n_workers;
	struct worker *inproc;        /* -w 0 */
	struct pollfd *pfd;           /* one per worker */
	uint32_t *who;
	uint32_t *retry;              /* sessions to send again (their worker died, or to
				       * recompute for merge_redo) */
	uint32_t n_retry, cap_retry;
	int64_t *redo_row;            /* per plan index: its row while recomputed for
				       * merge_redo, else -1; NULL until the first */
	uint32_t *deaths;             /* per worker: ends in a row not explained by a session */
	char **killed;                /* per worker: why it was killed (a timeout), or NULL */
	uint32_t n_slots;             /* workers of deaths[] and killed[] */
	bool any_result;              /* a worker has answered (so workers can start) */
	struct buf worker_error;      /* why the last worker that could not go on ended */
	struct run_partials *parts;   /* per worker (one for -w 0) */
	uint32_t n_parts;
	uint32_t n_merged_again;      /* sessions merged again after their partials were lost */

	struct state_file sf;
	struct buf file, path, err, payload, why, text;
	struct proto_result res;

	uint32_t n_done, n_processed, n_unchanged, n_gap, n_failed;
	uint64_t updates;
	uint64_t bytes_total, bytes_done;
	char **gaps, **failures;
	uint32_t n_gaps, cap_gaps, n_failures, cap_failures;
	double t0, last_progress;
	bool fatal;
	bool nothing_new;             /* the memo says nothing changed: nothing is done */
	struct run_memo memo;         /* this run's, written when it completes */
};

static void note(char ***list, uint32_t *n, uint32_t *cap, struct buf *text)
{
	xgrow((void **)list, cap, *n + 1, sizeof(**list));
	(*list)[(*n)++] = xstrdup(text->data);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct bpass_session_key key_of(const struct plan_session *ps)
{
	return (struct bpass_session_key){ps->s.node_id, ps->s.context, ps->s.session_id};
}

/* Session ps ends with status st (a failure is never overridden). */
static void set_status(struct plan_session *ps, int st, const char *why)
{
	if (ps->status == RUN_FAILED)
		return;
	ps->status = (uint8_t)st;
	if (why)
		ps->why = xstrdup(why);
}

/* The indexed updates a session leaves unprocessed because of a gap: those
 * after it (the sequence numbers before it are all there, once each), or
 * all of them without update 0. */
static uint64_t left_at_gap(const struct plan_session *ps)
{
	if (ps->status == RUN_NO_FIRST)
		return ps->s.updates;
	if (ps->status == RUN_GAP && ps->gap_seq >= 0 && ps->s.updates > (uint32_t)ps->gap_seq)
		return ps->s.updates - (uint32_t)ps->gap_seq;
	return 0;
}

static void note_gap(struct run *r, struct plan_session *ps, int32_t missing)
{
	struct bpass_session_key key = key_of(ps);
	buf_reset(&r->text);
	buf_puts(&r->text, "session ");
	session_key_format(&key, &r->text);
	if (missing <= 0 && ps->s.first_seq != 0) {
		buf_printf(&r->text, " has no update 0 (its first is %" PRId32 "): not processed",
			   ps->s.first_seq);
		set_status(ps, RUN_NO_FIRST, NULL);
	} else {
		buf_printf(&r->text, " stopped at missing update %" PRId32 " (the index has updates up "
			   "to %" PRId32 ")", missing, ps->s.last_seq);
		set_status(ps, RUN_GAP, NULL);
		ps->gap_seq = missing;
	}
	note(&r->gaps, &r->n_gaps, &r->cap_gaps, &r->text);
	r->n_gap++;
}

static void note_failure(struct run *r, struct plan_session *ps, const char *why)
{
	struct bpass_session_key key = key_of(ps);
	if (ps->status != RUN_FAILED) {
		ps->status = RUN_FAILED;
		free(ps->why);
		ps->why = xstrdup(why && *why ? why : "failed");
	}
	buf_reset(&r->text);
	session_key_format(&key, &r->text);
	buf_puts(&r->text, " failed");
	if (why && *why)
		buf_printf(&r->text, ": %s", why);
	note(&r->failures, &r->n_failures, &r->cap_failures, &r->text);
	r->n_failed++;
}

static void progress(struct run *r, bool force)
{
	double t = time_monotonic();
	if (!force && t - r->last_progress < 0.2)
		return;
	r->last_progress = t;
	double el = t - r->t0;
	double rate = el > 0 ? r->updates / el : 0;
	char left[32] = "";
	if (r->bytes_done > 0 && r->bytes_done < r->bytes_total && el > 1) {
		double rest = el * (double)(r->bytes_total - r->bytes_done) / (double)r->bytes_done;
		snprintf(left, sizeof(left), ", %d:%02d left", (int)rest / 60, (int)rest % 60);
	}
	log_progress("%s: sessions %u/%u, updates %" PRIu64 ", %.0f updates/s%s", r->label,
		     r->n_done, r->n_plan, r->updates, rate, left);
}

/* ---------------------------------------------------------------------------
 * Planning
 */

static bool in_list(const char *list, const char *s)
{
	size_t n = strlen(s);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !memcmp(p, s, n))
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

static int add_session(void *arg, const struct index_session *s)
{
	struct run *r = arg;
	const struct run_options *o = r->o;
	if ((o->include_nodes && !in_list(o->include_nodes, s->node_id)) ||
	    (o->exclude_nodes && in_list(o->exclude_nodes, s->node_id)) ||
	    s->session_id < o->since_us ||
	    (o->until_us != INT64_MAX && s->session_id >= o->until_us)) {
		xgrow((void **)&r->filtered, &r->cap_filtered, r->n_filtered + 1,
		      sizeof(*r->filtered));
		r->filtered[r->n_filtered++] = (struct plan_session){.s = *s, .status = RUN_FILTERED};
		return 0;
	}
	xgrow((void **)&r->plan, &r->cap_plan, r->n_plan + 1, sizeof(*r->plan));
	r->plan[r->n_plan++] = (struct plan_session){.s = *s};
	r->bytes_total += s->blob_bytes;
	return 0;
}

/* Largest first; ties in key order, so plans are reproducible. */
static int plan_cmp(const void *a, const void *b)
{
	const struct plan_session *x = a, *y = b;
	if (x->s.blob_bytes != y->s.blob_bytes)
		return x->s.blob_bytes > y->s.blob_bytes ? -1 : 1;
	struct bpass_session_key kx = key_of(x), ky = key_of(y);
	return session_key_cmp(&kx, &ky);
}

static int plan(struct run *r)
{
	struct index_db *db;
	if (index_db_open(&db, r->o->index_path, INDEX_OPEN_READ))
		return -1;
	int rc = index_db_sessions(db, add_session, r);
	index_db_close(db);
	if (rc)
		return -1;
	if (r->n_plan)
		qsort(r->plan, r->n_plan, sizeof(*r->plan), plan_cmp);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Sessions
 */

/*
 * Handles a session in the parent when its saved state is complete and
 * current for every selected processor (merging it from the file), or when
 * it cannot be processed at all. Returns 0 when handled, 1 when a worker
 * must process it.
 */
static int check_session(struct run *r, uint32_t idx)
{
	struct plan_session *ps = &r->plan[idx];
	struct bpass_session_key key = key_of(ps);
	if (r->any_recompute)
		return 1;
	buf_reset(&r->path);
	buf_printf(&r->path, "%s/", r->state_dir.data);
	state_file_name(&key, &r->path);
	int rc = state_file_read(r->path.data, &r->file);
	if (rc == 1 && ps->s.first_seq != 0) {
		note_gap(r, ps, 0);
		goto done;
	}
	if (rc != 0 || ps->s.first_seq != 0 ||
	    state_file_parse(&r->sf, r->file.data, r->file.len, &key, &r->err))
		return 1;
	int32_t end = ps->s.first_gap >= 0 ? ps->s.first_gap - 1 : ps->s.last_seq;
	for (uint32_t i = 0; i < r->n; i++) {
		const struct state_entry *e = state_file_find(&r->sf, r->procs[i]->name);
		if (!e || e->version != r->procs[i]->version || e->last_seq != end ||
		    e->options != proc_options_hash(r->o->options, r->procs[i]))
			return 1;
	}
	const struct merge_from from = {.saved = true, .tag = idx, .redo_row = -1};
	rc = merge_session(&r->m, &key, r->file.data, r->file.len, NULL, 0, &from);
	if (rc < 0)
		note_failure(r, ps, "could not be merged");
	else if (rc > 0)
		;   /* stale: told by on_merge_failure */
	else if (end < ps->s.last_seq)
		note_gap(r, ps, end + 1);
	else {
		r->n_unchanged++;
		set_status(ps, RUN_UNCHANGED, NULL);
	}
done:
	r->n_done++;
	r->bytes_done += ps->s.blob_bytes;
	return 0;
}

/* A session became stale while it was merged (merge.h's failure hook). */
static void on_merge_failure(void *arg, uint32_t tag, const struct bpass_session_key *key,
			     const char *why)
{
	struct run *r = arg;
	if (tag < r->n_plan && session_key_eq(key, &(struct bpass_session_key){
			r->plan[tag].s.node_id, r->plan[tag].s.context, r->plan[tag].s.session_id})) {
		struct plan_session *ps = &r->plan[tag];
		if (ps->status != RUN_FAILED) {
			ps->status = RUN_FAILED;
			free(ps->why);
			ps->why = xstrdup(why);
		}
	}
	buf_reset(&r->text);
	session_key_format(key, &r->text);
	buf_printf(&r->text, " failed: %s", why);
	note(&r->failures, &r->n_failures, &r->cap_failures, &r->text);
	r->n_failed++;
}

/* The row of plan index idx when it is being recomputed for merge_redo (and
 * forgets it), else -1. */
static int64_t take_redo_row(struct run *r, uint32_t idx)
{
	if (!r->redo_row || r->redo_row[idx] < 0)
		return -1;
	int64_t row = r->redo_row[idx];
	r->redo_row[idx] = -1;
	return row;
}

/*
 * Session idx failed in this run (why: the reason, for its note and its row):
 * it is merged as of its last good saved state, marked stale, so that a
 * failure never takes data out of the results; a session with no usable
 * saved state gets a stale row without figures. A session recomputed for
 * merge_redo (redo_row >= 0) already has its row: it becomes stale.
 */
static void merge_stale(struct run *r, uint32_t idx, int64_t redo_row, const char *why)
{
	struct plan_session *ps = &r->plan[idx];
	struct bpass_session_key key = key_of(ps);
	note_failure(r, ps, why);
	if (redo_row >= 0) {
		/* It was counted when merged from its file. */
		if (ps->s.first_gap >= 0)
			r->n_gap--;
		else
			r->n_unchanged--;
		merge_row_stale(&r->m, (uint32_t)redo_row, why);
		return;
	}
	buf_reset(&r->path);
	buf_printf(&r->path, "%s/", r->state_dir.data);
	state_file_name(&key, &r->path);
	const struct merge_from from = {.stale = why, .tag = idx, .redo_row = -1};
	if (state_file_read(r->path.data, &r->file) == STATE_FILE_READ_OK &&
	    state_file_parse(&r->sf, r->file.data, r->file.len, &key, &r->err) == 0 &&
	    merge_session(&r->m, &key, r->file.data, r->file.len, NULL, 0, &from) >= 0)
		return;
	merge_stale_row(&r->m, &key, why);
}

/* Remembers that worker wk merged session idx (row row) into its partials,
 * with the ephemeral states of the processors that read them in merge. */
static void remember_merged(struct run *r, uint32_t wk, uint32_t idx, uint32_t row,
			    const struct proto_result *res)
{
	struct run_partials *pp = &r->parts[wk];
	xgrow((void **)&pp->s, &pp->cap, pp->n + 1, sizeof(*pp->s));
	struct run_merged *ms = &pp->s[pp->n++];
	*ms = (struct run_merged){idx, row, pp->n_masks, pp->n_ephs, 0};
	xgrow((void **)&pp->masks, &pp->cap_masks, pp->n_masks + r->n, 1);
	for (uint32_t i = 0; i < r->n; i++) {
		uint8_t merged = proto_result_was_merged(res, r->names[i]);
		pp->masks[pp->n_masks++] = merged;
		if (!merged || !r->procs[i]->ephemeral_load)
			continue;
		size_t len = strlen(r->names[i]);
		for (uint32_t k = 0; k < res->n_eph; k++) {
			if (res->eph[k].name_len != len || memcmp(res->eph[k].name, r->names[i], len))
				continue;
			xgrow((void **)&pp->ephs, &pp->cap_ephs, pp->n_ephs + 1, sizeof(*pp->ephs));
			pp->ephs[pp->n_ephs++] = (struct run_eph){i, pp->bytes.len, res->eph[k].len};
			buf_append(&pp->bytes, res->eph[k].data, res->eph[k].len);
			ms->n_eph++;
		}
	}
}

static void forget_merged(struct run_partials *pp)
{
	pp->n = 0;
	pp->n_masks = 0;
	pp->n_ephs = 0;
	buf_reset(&pp->bytes);
	pp->asked = false;
}

/*
 * Worker wk's partial global results are lost (it died, or could not save
 * one: only is then that processor's run-order index, else -1): the
 * sessions it had merged into them are merged again, for those processors,
 * from their state files (which it had saved), with the ephemeral states it
 * sent. A session whose file cannot be read becomes stale.
 */
static void merge_lost(struct run *r, uint32_t wk, int64_t only_proc)
{
	struct run_partials *pp = &r->parts[wk];
	uint8_t *only = xcalloc(r->n + 1, 1);
	struct proto_eph *eph = NULL;
	uint32_t cap_eph = 0, again = 0;
	for (uint32_t k = 0; k < pp->n; k++) {
		const struct run_merged *ms = &pp->s[k];
		bool any = false;
		for (uint32_t i = 0; i < r->n; i++) {
			only[i] = pp->masks[ms->mask + i] && (only_proc < 0 || i == only_proc);
			any = any || only[i];
		}
		if (!any)
			continue;
		struct plan_session *ps = &r->plan[ms->idx];
		struct bpass_session_key key = key_of(ps);
		buf_reset(&r->path);
		buf_printf(&r->path, "%s/", r->state_dir.data);
		state_file_name(&key, &r->path);
		if (state_file_read(r->path.data, &r->file) != STATE_FILE_READ_OK) {
			log_error("could not read state file \"%s\" to merge it again", r->path.data);
			merge_row_stale(&r->m, ms->row, "its state file could not be merged again");
			note_failure(r, ps, "its state file could not be merged again");
			continue;
		}
		xgrow((void **)&eph, &cap_eph, ms->n_eph + 1, sizeof(*eph));
		for (uint32_t e = 0; e < ms->n_eph; e++) {
			const struct run_eph *re = &pp->ephs[ms->first_eph + e];
			eph[e] = (struct proto_eph){r->names[re->proc], strlen(r->names[re->proc]),
						    pp->bytes.data + re->off, re->len};
		}
		merge_again(&r->m, ms->row, &key, r->file.data, r->file.len, eph, ms->n_eph, only);
		again++;
	}
	if (again)
		log_warn("merged %u sessions again from their state files: the partial global "
			 "results of worker %u were lost", again, wk + 1);
	r->n_merged_again += again;
	free(eph);
	free(only);
}

/* Combines the partial global results worker wk sent (PROTO_PARTIAL); a
 * processor's that is missing is merged again (merge_lost). */
static void handle_partial(struct run *r, uint32_t wk, const void *payload, size_t len)
{
	struct state_reader rd;
	state_reader_init(&rd);
	struct proto_part *parts;
	uint32_t n;
	uint8_t *got = xcalloc(r->n + 1, 1);
	if (proto_partial_decode(&rd, payload, len, &parts, &n) == 0) {
		for (uint32_t k = 0; k < n; k++) {
			if (!parts[k].data)
				continue;
			int i = merge_partial(&r->m, parts[k].name, parts[k].name_len,
					      parts[k].version, parts[k].data, parts[k].len);
			if (i >= 0)
				got[i] = 1;
		}
		free(parts);
	} else {
		log_error("could not read the partial global results of worker %u", wk + 1);
	}
	for (uint32_t i = 0; i < r->n; i++)
		if (!got[i])
			merge_lost(r, wk, i);
	forget_merged(&r->parts[wk]);
	free(got);
	state_reader_release(&rd);
}

/* Merges or records the result worker wk sent for plan index idx. */
static void handle_result(struct run *r, uint32_t wk, uint32_t idx, const void *payload,
			  size_t len)
{
	struct plan_session *ps = &r->plan[idx];
	struct bpass_session_key key = key_of(ps);
	struct proto_result *res = &r->res;
	int64_t redo_row = take_redo_row(r, idx);
	if (redo_row < 0) {
		r->n_done++;
		r->bytes_done += ps->s.blob_bytes;
	}
	if (proto_result_decode(res, payload, len) ||
	    !session_key_eq(&(struct bpass_session_key){res->node_id.data, res->context.data,
							res->session_id}, &key)) {
		buf_reset(&r->text);
		session_key_format(&key, &r->text);
		log_error("could not read the result of session %s from a worker", r->text.data);
		merge_stale(r, idx, redo_row, "unreadable result from its worker");
		return;
	}
	r->updates += res->updates;
	if (res->status == PROTO_FAILED || (res->reason.len && !res->state)) {
		merge_stale(r, idx, redo_row, res->reason.data);
		return;
	}
	if (res->status == PROTO_NO_FIRST) {
		note_gap(r, ps, 0);
		return;
	}
	struct merge_from from = {.tag = idx, .redo_row = redo_row, .figures = res};
	if (res->reason.len) {
		/* Stale: a processor failed (it kept its saved part), or the state
		 * file could not be written (merged as computed). */
		if (redo_row >= 0) {
			merge_stale(r, idx, redo_row, res->reason.data);
			return;
		}
		note_failure(r, ps, res->reason.data);
		from.stale = res->reason.data;
		merge_session(&r->m, &key, res->state, res->state_len, res->eph, res->n_eph, &from);
		return;
	}
	int rc = res->state ? merge_session(&r->m, &key, res->state, res->state_len, res->eph,
					    res->n_eph, &from) : 0;
	if (rc >= 0 && res->state && res->n_merged && redo_row < 0)
		remember_merged(r, wk, idx, merge_last_row(&r->m), res);
	if (rc < 0 && redo_row >= 0) {
		merge_stale(r, idx, redo_row, "could not be merged");
		return;
	}
	if (rc < 0) {
		note_failure(r, ps, "could not be merged");
		return;
	}
	if (rc > 0 || redo_row >= 0)
		return;   /* stale (told by on_merge_failure), or counted when first merged */
	if (res->status == PROTO_GAP) {
		note_gap(r, ps, res->missing_seq);
	} else if (res->status == PROTO_UNCHANGED) {
		r->n_unchanged++;
		set_status(ps, RUN_UNCHANGED, NULL);
	} else {
		r->n_processed++;
		set_status(ps, RUN_PROCESSED, NULL);
	}
}

static void requeue(struct run *r, uint32_t idx)
{
	xgrow((void **)&r->retry, &r->cap_retry, r->n_retry + 1, sizeof(*r->retry));
	r->retry[r->n_retry++] = idx;
}

/*
 * Hands the sessions whose saved parts a processor declined (merge_redo) to
 * the workers, to recompute that processor from update 0 (they decline the
 * same parts). Returns true when there are some.
 */
static bool take_redo(struct run *r)
{
	struct merge_redo *list;
	uint32_t n = merge_redo(&r->m, &list);
	if (!n)
		return false;
	if (!r->redo_row) {
		r->redo_row = xmalloc((r->n_plan + 1) * sizeof(*r->redo_row));
		for (uint32_t i = 0; i < r->n_plan; i++)
			r->redo_row[i] = -1;
	}
	for (uint32_t k = 0; k < n; k++) {
		r->redo_row[list[k].tag] = list[k].row;
		requeue(r, list[k].tag);
	}
	free(list);
	return true;
}

/* ---------------------------------------------------------------------------
 * Workers
 */

static int child_main(void *arg, struct worker_slot *slot, int in, int out)
{
	struct run *r = arg;
	/* The run's lock is the parent's (flock belongs to the open file, which
	 * fork shares): a worker must not keep it. */
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	r->lock_fd = -1;
	if (r->outer_lock_fd >= 0)
		close(r->outer_lock_fd);
	r->outer_lock_fd = -1;
	merge_close_fds(&r->m);
	return worker_main(&r->wopt, slot, in, out);
}

static bool more_to_do(const struct run *r)
{
	return r->pending >= 0 || r->n_retry > 0 || r->next < r->n_plan;
}

/* How many times in a row a worker may end without a session to blame
 * (not while processing one) before it is not started again. */
#define RUN_MAX_DEATHS 2

/*
 * A worker ended (its result pipe closed): report, replace. The session its
 * slot names failed; the others sent to it go to another worker. A worker
 * that could not start (PROTO_EXIT_INIT: it said why itself) is not started
 * again, nor one that ended RUN_MAX_DEATHS times in a row while processing
 * nothing: something is wrong with every worker, not with a session.
 */
/* Worker i ended: its partial global results died with it. */
static void lost_with(struct run *r, uint32_t i)
{
	merge_lost(r, i, -1);
	forget_merged(&r->parts[i]);
}

static void worker_ended(struct run *r, uint32_t i)
{
	struct pool_lost lost;
	int status = pool_reap(&r->pool, i, true, &r->why, &lost);
	char *killed = r->killed[i];
	r->killed[i] = NULL;
	if (run_stop) {
		free(killed);
		return;
	}
	for (uint32_t k = 0; k < lost.n_resend; k++)
		requeue(r, lost.resend[k]);
	if (lost.failed >= 0) {
		uint32_t idx = (uint32_t)lost.failed;
		int64_t redo_row = take_redo_row(r, idx);
		if (killed) {
			/* killed: "timed out after N s[ in processor "P"]", then the message. */
			char *msg = strchr(killed, '\n');
			*msg++ = 0;
			log_error("%s", msg);
			merge_stale(r, idx, redo_row, killed);
		} else {
			log_error("%s", r->why.data);
			merge_stale(r, idx, redo_row, "its worker died");
		}
		if (redo_row < 0) {
			r->n_done++;
			r->bytes_done += r->plan[idx].s.blob_bytes;
		}
		r->deaths[i] = 0;
	} else if (status == PROTO_EXIT_INIT) {
		buf_reset(&r->worker_error);
		buf_puts(&r->worker_error, r->pool.slots[i].error[0] ? r->pool.slots[i].error
								     : r->why.data);
		free(killed);
		lost_with(r, i);
		return;
	} else if (status != 0) {
		log_error("%s", r->why.data);
		buf_reset(&r->worker_error);
		buf_puts(&r->worker_error, r->why.data);
		if (++r->deaths[i] >= RUN_MAX_DEATHS) {
			log_error("worker %u ended %u times in a row without processing a session: "
				  "not started again", i + 1, r->deaths[i]);
			free(killed);
			lost_with(r, i);
			return;
		}
	}
	free(killed);
	lost_with(r, i);
	if (!more_to_do(r))
		return;
	/* Guard against a worker that dies at every start. */
	if (pool_spawned(&r->pool, i) > r->n_plan + 2 || pool_spawn(&r->pool, i))
		return;
}

/*
 * Kills the workers busy with one session for longer than --session-timeout
 * (a processor that never returns). The session fails when the worker is
 * reaped (worker_ended), with the message prepared here from its slot.
 */
static void check_timeouts(struct run *r)
{
	uint32_t limit = r->o->session_timeout_s;
	if (!limit || !r->pool_started)
		return;
	int64_t now = (int64_t)(time_monotonic() * 1000);
	for (uint32_t i = 0; i < r->pool.n; i++) {
		const struct worker_slot *s = &r->pool.slots[i];
		if (r->killed[i] || !pool_running(&r->pool, i) || !s->busy ||
		    now - s->started_ms < (int64_t)limit * 1000)
			continue;
		const char *proc = s->proc >= 0 && (uint32_t)s->proc < r->n ? r->names[s->proc] : NULL;
		buf_reset(&r->text);
		buf_printf(&r->text, "timed out after %u s", limit);
		if (proc)
			buf_printf(&r->text, " in processor \"%s\"", proc);
		buf_puts(&r->text, "\nsession ");
		session_key_format(&(struct bpass_session_key){s->node_id, s->context, s->session_id},
				   &r->text);
		buf_printf(&r->text, " timed out after %u s while ", limit);
		if (proc)
			buf_printf(&r->text, "processor \"%s\" was processing it", proc);
		else
			buf_puts(&r->text, "it was being processed");
		if (s->seq >= 0)
			buf_printf(&r->text, " (update %d)", (int)s->seq);
		buf_printf(&r->text, ": worker %u (pid %ld) killed", i + 1, (long)r->pool.w[i].pid);
		if (pool_kill(&r->pool, i) == 0)
			r->killed[i] = xstrdup(r->text.data);
	}
}

static void parts_alloc(struct run *r, uint32_t n)
{
	r->parts = xcalloc(n, sizeof(*r->parts));
	r->n_parts = n;
	for (uint32_t i = 0; i < n; i++)
		buf_init(&r->parts[i].bytes);
}

static int start_pool(struct run *r)
{
	uint32_t left = r->n_plan - r->next + (r->pending >= 0);
	uint32_t n = r->n_workers < left ? r->n_workers : left;
	if (n == 0)
		n = 1;
	const struct pool_options po = {
		.workers = n,
		.child = child_main,
		.arg = r,
		.stop = &run_stop,
		.proc_names = r->names,
		.n_proc_names = r->n,
	};
	r->pool_started = true;       /* pool_release is needed even when init fails */
	if (pool_init(&r->pool, &po))
		return -1;
	r->pfd = xcalloc(n, sizeof(*r->pfd));
	r->who = xcalloc(n, sizeof(*r->who));
	r->deaths = xcalloc(n, sizeof(*r->deaths));
	parts_alloc(r, n);
	r->killed = xcalloc(n, sizeof(*r->killed));
	r->n_slots = n;
	for (uint32_t i = 0; i < n; i++)
		if (pool_spawn(&r->pool, i))
			return -1;
	return 0;
}

/* Hands the pending session to the least loaded worker with room (up to
 * POOL_DEPTH each). Returns true when it did. */
static bool dispatch(struct run *r)
{
	for (uint32_t load = 0; load < POOL_DEPTH; load++) {
		for (uint32_t i = 0; i < r->pool.n; i++) {
			if (!pool_running(&r->pool, i) || pool_queued(&r->pool, i) != load)
				continue;
			struct bpass_session_key key = key_of(&r->plan[r->pending]);
			bool apart = r->redo_row && r->redo_row[r->pending] >= 0;
			if (pool_send_session_as(&r->pool, i, (uint32_t)r->pending, &key,
						 apart ? PROTO_SESSION_APART : PROTO_SESSION)) {
				worker_ended(r, i);
				continue;
			}
			r->pending = -1;
			return true;
		}
	}
	return false;
}

/*
 * Waits up to timeout_ms for results or ended workers and handles them. A
 * worker that dies closes its result pipe, so poll sees every death; the
 * SIGCHLD flag only cuts the wait short.
 */
static void collect(struct run *r, int timeout_ms)
{
	nfds_t n = 0;
	for (uint32_t i = 0; i < r->pool.n; i++) {
		int fd = pool_result_fd(&r->pool, i);
		if (fd < 0)
			continue;
		r->pfd[n] = (struct pollfd){.fd = fd, .events = POLLIN};
		r->who[n++] = i;
	}
	if (poll(r->pfd, n, timeout_ms) <= 0)
		return;
	for (nfds_t j = 0; j < n; j++) {
		if (!r->pfd[j].revents)
			continue;
		uint32_t i = r->who[j], idx;
		int got = pool_recv_result(&r->pool, i, &r->payload, &idx);
		if (got == 2 && r->parts[i].asked) {
			handle_partial(r, i, r->payload.data, r->payload.len);
		} else if (got == 1) {
			r->deaths[i] = 0;
			r->any_result = true;
			handle_result(r, i, idx, r->payload.data, r->payload.len);
		} else {
			worker_ended(r, i);
		}
	}
}

static void in_process(struct run *r)
{
	uint32_t idx = (uint32_t)r->pending;
	r->pending = -1;
	struct bpass_session_key key = key_of(&r->plan[idx]);
	const void *payload;
	size_t len;
	bool apart = r->redo_row && r->redo_row[idx] >= 0;
	int rc = apart ? worker_session_apart(r->inproc, &key, &payload, &len)
		       : worker_session(r->inproc, &key, &payload, &len);
	if (rc == 1)
		return;                       /* stopping */
	if (rc < 0) {
		r->fatal = true;
		note_failure(r, &r->plan[idx], "its result could not be encoded");
		return;
	}
	handle_result(r, 0, idx, payload, len);
}

/*
 * The end of the sessions: asks every worker that merged sessions for its
 * partial global results (with -w 0, takes them). Returns true while some
 * are still to come.
 */
static bool flush_partials(struct run *r)
{
	bool waiting = false;
	for (uint32_t i = 0; i < r->n_parts; i++) {
		struct run_partials *pp = &r->parts[i];
		if (!pp->n)
			continue;
		if (r->inproc) {
			const void *payload;
			size_t len;
			if (worker_flush(r->inproc, &payload, &len)) {
				merge_lost(r, i, -1);
				forget_merged(pp);
			} else {
				handle_partial(r, i, payload, len);
			}
			continue;
		}
		if (!pp->asked) {
			if (!pool_running(&r->pool, i) || pool_send_flush(&r->pool, i)) {
				worker_ended(r, i);
				continue;
			}
			pp->asked = true;
		}
		waiting = true;
	}
	return waiting;
}

static void loop(struct run *r)
{
	r->pending = -1;
	while (!run_stop && !r->fatal) {
		/* Sessions of a worker that died come first, */
		if (r->pending < 0 && r->n_retry > 0)
			r->pending = r->retry[--r->n_retry];
		/* then the parent's own checks, a batch at a time. */
		for (uint32_t budget = 64; r->pending < 0 && r->next < r->n_plan && budget; budget--) {
			uint32_t idx = r->next++;
			if (check_session(r, idx) == 1)
				r->pending = idx;
		}
		if (r->pending >= 0 && r->inproc) {
			in_process(r);
			progress(r, false);
			continue;
		}
		if (r->pending >= 0 && !r->pool_started && start_pool(r)) {
			r->fatal = true;
			break;
		}
		if (r->pending >= 0 && dispatch(r))
			continue;
		if (!more_to_do(r) && pool_in_flight(&r->pool) == 0) {
			/* Sessions whose saved parts a processor declined: again. */
			if (take_redo(r))
				continue;
			/* Then the workers' partial global results. */
			if (!flush_partials(r))
				break;
		}
		if (r->pool_started && pool_live(&r->pool) == 0) {
			/* Every session not done counts as failed. */
			uint32_t left = r->n_plan - r->next + (r->pending >= 0) + r->n_retry;
			log_error("%s: %s; %u sessions were not processed",
				  r->any_result ? "no worker left" : "no worker could start",
				  r->worker_error.len ? r->worker_error.data : "unknown reason", left);
			r->n_failed += left;
			r->fatal = true;
			break;
		}
		/* Block only when there is nothing the parent can check meanwhile. */
		bool can_check = r->pending < 0 && (r->next < r->n_plan || r->n_retry);
		collect(r, can_check ? 0 : 250);
		check_timeouts(r);
		progress(r, false);
	}
}

/* ---------------------------------------------------------------------------
 * Set-up and the end
 */

static void on_stop(int sig)
{
	(void)sig;
	run_stop = 1;
}

/* Only cuts collect's poll short (installed without SA_RESTART). */
static void on_child(int sig)
{
	(void)sig;
}

static int lock_run(struct run *r)
{
	buf_reset(&r->path);
	buf_printf(&r->path, "%s/.lock", r->state_dir.data);
	int fd = lock_file_take(r->path.data, false, true);
	if (fd == LOCK_FILE_BUSY)
		return log_error("run \"%s\" in \"%s\" is in use by another bpass run",
				 r->o->run_name ? r->o->run_name : "default", r->o->state_root);
	if (fd < 0)
		return -1;
	r->lock_fd = fd;
	return 0;
}

/* Says once which processors are merged by the parent from each session's
 * state, because they cannot combine partial global results (merge without
 * global_combine: an older plugin). */
static void warn_parent_merged(struct run *r)
{
	buf_reset(&r->text);
	uint32_t n = 0;
	for (uint32_t i = 0; i < r->n; i++) {
		if (!r->procs[i]->merge || worker_can_combine(r->procs[i]))
			continue;
		buf_printf(&r->text, "%s\"%s\"", n++ ? ", " : "", r->names[i]);
	}
	if (n)
		log_warn("%s without global_combine: merged from each session's state by bpass "
			 "itself, not in the workers: %s", n == 1 ? "processor" : "processors",
			 r->text.data);
}

/* The fingerprint of the run's inputs and of its state files (run_memo.h). */
static uint64_t memo_fingerprint(struct run *r)
{
	const struct index_session **ss = xcalloc(r->n_plan + 1, sizeof(*ss));
	for (uint32_t i = 0; i < r->n_plan; i++)
		ss[i] = &r->plan[i].s;
	uint64_t h = run_memo_fingerprint(ss, r->n_plan, r->procs, r->n, r->o->options,
					  r->o->out_dir, r->o->json);
	h = run_memo_states(h, r->state_dir.data, ss, r->n_plan);
	free(ss);
	return h;
}

/* True when the results folder holds the sessions table of the format asked
 * for (tables removed by hand make the run write them again). */
static bool results_present(struct run *r)
{
	buf_reset(&r->path);
	if (r->o->out_dir)
		buf_puts(&r->path, r->o->out_dir);
	else
		buf_printf(&r->path, "%s/results", r->state_dir.data);
	buf_printf(&r->path, "/sessions.%s", r->o->json ? "jsonl" : "csv");
	return access(r->path.data, F_OK) == 0;
}

static int setup(struct run *r)
{
	const struct run_options *o = r->o;
	const char *run_name = o->run_name ? o->run_name : "default";
	buf_printf(&r->state_dir, "%s/%s", o->state_root, run_name);
	/* The index first: a missing one creates no state folder. */
	if (!r->planned && plan(r))
		return -1;
	if (fs_mkdirs(r->state_dir.data) < 0)
		return log_error("could not create state folder \"%s\": %s", r->state_dir.data,
				 strerror(errno));
	if (lock_run(r))
		return -1;
	atomic_file_clean_dir(r->state_dir.data);
	if (registry_setup(&r->reg, o->plugins, o->n_plugins) ||
	    registry_select(&r->reg, o->select, &r->order, &r->n))
		return -1;
	r->procs = xcalloc(r->n + 1, sizeof(*r->procs));
	r->names = xcalloc(r->n + 1, sizeof(*r->names));
	for (uint32_t i = 0; i < r->n; i++) {
		r->procs[i] = &r->reg.procs[r->order[i]].p;
		r->names[i] = r->procs[i]->name;
	}
	if (o->recompute) {
		r->any_recompute = true;
		char *copy = xstrdup(o->recompute);
		int rc = 0;
		for (char *name = copy, *next; name && *copy; name = next) {
			next = strchr(name, ',');
			if (next)
				*next++ = 0;
			bool found = false;
			for (uint32_t i = 0; i < r->n; i++)
				found = found || !strcmp(r->names[i], name);
			if (!found && *name)
				rc = log_error("cannot recompute processor \"%s\": it is not selected in "
					       "this run", name);
		}
		free(copy);
		if (rc)
			return -1;
	}
	r->n_workers = o->workers < 0 ? pool_cores() : (uint32_t)o->workers;
	/* Nothing new since the last complete run: nothing to do (never with
	 * --recompute, --verify or --cache-global, which need the run). */
	struct run_memo last;
	if (!r->planned && !o->recompute && !o->verify && !o->cache_global &&
	    run_memo_read(r->state_dir.data, &last) == 0 && last.sessions == r->n_plan &&
	    last.fingerprint == memo_fingerprint(r) && results_present(r)) {
		r->nothing_new = true;
		r->memo = last;
		return 0;
	}
	if (!r->planned && run_memo_remove(r->state_dir.data))
		return -1;
	r->merge_inited = true;
	/* Each processor's global result in a process of its own, unless the run
	 * is to stay in this one (-w 0, for gdb). */
	r->close_fds[0] = r->lock_fd;
	r->close_fds[1] = r->outer_lock_fd;
	const struct merger_options mo = {
		.timeout_s = o->session_timeout_s,
		.close_fds = r->close_fds,
		.n_close_fds = 2,
		.options = o->options,
	};
	if (o->workers == 0 ? merge_init(&r->m, r->procs, r->n, o->options)
			    : merge_init_isolated(&r->m, r->procs, r->n, &mo))
		return -1;
	r->m.on_failure = on_merge_failure;
	r->m.on_failure_arg = r;
	r->wopt = (struct worker_options){
		.index_path = o->index_path,
		.state_dir = r->state_dir.data,
		.select = o->select,
		.plugins = o->plugins,
		.n_plugins = o->n_plugins,
		.recompute = o->recompute,
		.options = o->options,
		.no_fsync = o->no_fsync,
		.merge_partials = true,
		.stop = &run_stop,
	};
	r->n_workers = o->workers < 0 ? pool_cores() : (uint32_t)o->workers;
	warn_parent_merged(r);
	if (o->workers == 0) {
		parts_alloc(r, 1);
		r->inproc = xmalloc(sizeof(*r->inproc));
		if (worker_init(r->inproc, &r->wopt, NULL))
			return -1;
	}
	return 0;
}

static int status_cmp(const void *a, const void *b)
{
	const struct plan_session *x = *(const struct plan_session *const *)a;
	const struct plan_session *y = *(const struct plan_session *const *)b;
	struct bpass_session_key kx = key_of(x), ky = key_of(y);
	return session_key_cmp(&kx, &ky);
}

/*
 * STATE_DIR/<run-name>/session_status.csv (.jsonl with --json), next to the
 * results folder rather than in it, since it describes this run, not the
 * data (the result tables are the same whichever runs computed them): every
 * session of the index, in key order, with what
 * became of it in this run: processed, unchanged, gap (gap_sequence_number:
 * the first missing one), no_update_0, failed (processor and reason),
 * filtered_out (or pending: the run stopped before it); updates_left: the
 * indexed updates left unprocessed because of a gap. Returns 0 or -1.
 */
static int write_status(struct run *r, const char *dir)
{
	static const char *const names[] = {"pending", "processed", "unchanged", "gap",
					    "no_update_0", "failed", "filtered_out"};
	static const char *const cols[] = {"node_id", "anonymization_context", "session_id",
					   "status", "gap_sequence_number", "updates_left",
					   "processor", "reason", NULL};
	uint32_t n = r->n_plan + r->n_filtered;
	const struct plan_session **all = xcalloc(n + 1, sizeof(*all));
	for (uint32_t i = 0; i < r->n_plan; i++)
		all[i] = &r->plan[i];
	for (uint32_t i = 0; i < r->n_filtered; i++)
		all[r->n_plan + i] = &r->filtered[i];
	qsort(all, n, sizeof(*all), status_cmp);
	struct results res;
	int rc = results_init(&res, dir, r->o->json);
	struct bpass_table *t = rc ? NULL : res.r.table(&res.r, "session_status", cols);
	if (!t)
		rc = -1;
	for (uint32_t k = 0; k < n && rc == 0; k++) {
		const struct plan_session *ps = all[k];
		res.r.str(t, ps->s.node_id);
		res.r.str(t, ps->s.context);
		res.r.i64(t, ps->s.session_id);
		res.r.str(t, names[ps->status]);
		if (ps->status == RUN_GAP)
			res.r.i64(t, ps->gap_seq);
		else if (ps->status == RUN_NO_FIRST)
			res.r.i64(t, 0);
		else
			res.r.null(t);
		if (ps->status == RUN_FILTERED || ps->status == RUN_PENDING ||
		    ps->status == RUN_FAILED)
			res.r.null(t);
		else
			res.r.i64(t, (int64_t)left_at_gap(ps));
		/* A processor's failure says so first: processor "NAME" ... */
		const char *why = ps->status == RUN_FAILED && ps->why ? ps->why : NULL;
		const char *q = why && !strncmp(why, "processor \"", 11) ? why + 11 : NULL;
		const char *e = q ? strchr(q, '"') : NULL;
		if (e) {
			buf_reset(&r->text);
			buf_append(&r->text, q, (size_t)(e - q));
			res.r.str(t, r->text.data);
		} else {
			res.r.null(t);
		}
		if (why)
			res.r.str(t, why);
		else
			res.r.null(t);
		rc = res.r.row_end(t);
	}
	if (t && res.r.close(t))
		rc = -1;
	if (results_failed(&res))
		rc = -1;
	results_release(&res);
	free(all);
	return rc;
}

/*
 * The end of a run: every processor writes its tables (isolated, in its own
 * process) into a staging folder, sessions.csv too, and only then are they
 * all moved into the results folder; a processor that failed costs its own
 * tables. A run killed before that leaves the previous tables.
 */
static int finish(struct run *r)
{
	struct buf out, stage, sub, base;
	buf_init(&out);
	buf_init(&stage);
	buf_init(&sub);
	buf_init(&base);
	if (r->o->out_dir)
		buf_puts(&out, r->o->out_dir);
	else
		buf_printf(&out, "%s/results", r->state_dir.data);
	/* A database's tables are staged in the state folder, as JSON Lines. */
	buf_printf(&base, "%s/.out", r->state_dir.data);
	bool json = r->o->json || sink_is_database(out.data);
	int rc = results_stage(sink_stage_base(out.data, base.data), &stage);
	if (rc == 0) {
		r->finished = true;
		if (merge_finish(&r->m, stage.data, json, r->o->cache_global != NULL))
			rc = -1;
		/* sessions.csv first, then each processor's tables in run order. */
		char **dirs = xcalloc(r->n + 2, sizeof(*dirs));
		const char **procs = xcalloc(r->n + 2, sizeof(*procs));
		uint32_t n = 0;
		dirs[n] = xstrdup(stage.data);
		procs[n++] = NULL;
		for (uint32_t i = 0; i < r->n; i++) {
			if (!r->m.mg[i].p || r->m.mg[i].dead)
				continue;
			buf_reset(&sub);
			buf_printf(&sub, "%s/%s", stage.data, r->names[i]);
			dirs[n] = xstrdup(sub.data);
			procs[n++] = r->names[i];
		}
		/* The hook of harness/sink.h: the folder, SQLite file or
		 * PostgreSQL schema, with the provenance. */
		struct provenance prov;
		provenance_init(&prov, r->o->argv, r->o->argc);
		provenance_set_index(&prov, r->o->index_path);
		for (uint32_t i = 0; i < r->n; i++)
			provenance_add_processor(&prov, &r->reg, r->order[i], r->o->options);
		struct sink_publication pub = {
			.out = out.data, .default_folder = !r->o->out_dir, .json = json,
			.dirs = (const char *const *)dirs, .procs = procs, .n = n,
			.selected = (const char *const *)r->names, .n_selected = r->n, .prov = &prov,
		};
		if (sink_publish(&pub))
			rc = -1;
		provenance_release(&prov);
		for (uint32_t k = 0; k < n; k++)
			free(dirs[k]);
		free(dirs);
		free(procs);
		results_unstage(stage.data);
		if (sink_is_database(out.data))
			rmdir(base.data);
	}
	buf_release(&out);
	buf_release(&stage);
	buf_release(&sub);
	buf_release(&base);
	if (r->o->cache_global && merge_save(&r->m, r->o->cache_global))
		rc = -1;
	return rc;
}

static void print_notes(char **list, uint32_t n, bool error)
{
	if (n)
		qsort(list, n, sizeof(*list), str_cmp);
	for (uint32_t i = 0; i < n && i < RUN_MAX_NOTES; i++) {
		if (error)
			log_error("session %s", list[i]);
		else
			log_warn("%s", list[i]);
	}
	if (n > RUN_MAX_NOTES) {
		if (error)
			log_error("... and %u more failed sessions", n - RUN_MAX_NOTES);
		else
			log_warn("... and %u more sessions stopped at a gap", n - RUN_MAX_NOTES);
	}
}

static void release(struct run *r)
{
	if (r->pool_started)
		pool_release(&r->pool, run_stop || r->fatal);
	if (r->inproc) {
		worker_release(r->inproc);
		free(r->inproc);
	}
	if (r->merge_inited)
		merge_release(&r->m);
	registry_release(&r->reg);
	free(r->order);
	free(r->procs);
	free(r->names);
	for (uint32_t i = 0; i < r->n_plan; i++)
		free(r->plan[i].why);
	free(r->plan);
	free(r->filtered);
	free(r->pfd);
	free(r->who);
	free(r->retry);
	free(r->redo_row);
	free(r->deaths);
	for (uint32_t i = 0; i < r->n_parts; i++) {
		free(r->parts[i].s);
		free(r->parts[i].masks);
		free(r->parts[i].ephs);
		buf_release(&r->parts[i].bytes);
	}
	free(r->parts);
	for (uint32_t i = 0; r->killed && i < r->n_slots; i++)
		free(r->killed[i]);
	free(r->killed);
	buf_release(&r->worker_error);
	state_file_release(&r->sf);
	buf_release(&r->state_dir);
	buf_release(&r->file);
	buf_release(&r->path);
	buf_release(&r->err);
	buf_release(&r->payload);
	buf_release(&r->why);
	buf_release(&r->text);
	proto_result_release(&r->res);
	for (uint32_t i = 0; i < r->n_gaps; i++)
		free(r->gaps[i]);
	for (uint32_t i = 0; i < r->n_failures; i++)
		free(r->failures[i]);
	free(r->gaps);
	free(r->failures);
	if (r->lock_fd >= 0)
		close(r->lock_fd);
}

static struct run *run_new(const struct run_options *o)
{
	struct run *r = xcalloc(1, sizeof(*r));
	r->o = o;
	r->label = "run";
	r->lock_fd = -1;
	r->outer_lock_fd = -1;
	registry_init(&r->reg);
	state_file_init(&r->sf);
	buf_init(&r->state_dir);
	buf_init(&r->file);
	buf_init(&r->path);
	buf_init(&r->err);
	buf_init(&r->payload);
	buf_init(&r->why);
	buf_init(&r->text);
	buf_init(&r->worker_error);
	proto_result_init(&r->res);
	return r;
}

/*
 * --verify (harness/verify.h), after the run's tables are published:
 * recomputes a sample of its sessions from update 0, by a run of their own
 * whose state folder is in a scratch folder (STATE_DIR/.verify.PID, empty:
 * every processor starts fresh) with the same processors, options and
 * workers, then compares with the run's saved states and figures. The
 * run's tables and states are only read. Returns 0, or -1 when something
 * differs or failed.
 */
static int run_verify(struct run *r)
{
	struct verify v;
	verify_init(&v, r->o->verify);
	for (uint32_t i = 0; i < r->n_plan; i++)
		verify_consider(&v, &r->plan[i].s);
	verify_choose(&v);
	verify_figures(&v, &r->m, VERIFY_INCREMENTAL);
	/* The run's workers and mergers are done. */
	if (r->pool_started)
		pool_release(&r->pool, false);
	r->pool_started = false;
	if (r->merge_inited)
		merge_release(&r->m);
	r->merge_inited = false;

	struct run *c = NULL;
	struct run_options o = *r->o;
	struct buf out;
	buf_init(&out);
	int rc = 0;
	uint32_t n = verify_count(&v);
	if (n && verify_scratch(&v, r->o->state_root)) {
		rc = -1;
		goto out;
	}
	if (n) {
		buf_printf(&out, "%s/results", v.scratch.data);
		o.state_root = v.scratch.data;
		o.out_dir = out.data;
		o.json = false;
		o.cache_global = NULL;
		o.stats = false;
		o.no_fsync = true;
		o.recompute = "";
		o.verify = 0;
		c = run_new(&o);
		c->label = "verify";
		c->outer_lock_fd = r->lock_fd;
		c->planned = true;
		c->plan = xcalloc(n, sizeof(*c->plan));
		c->n_plan = c->cap_plan = n;
		for (uint32_t i = 0; i < n; i++) {
			c->plan[i].s = *verify_session(&v, i);
			c->bytes_total += c->plan[i].s.blob_bytes;
		}
		if (setup(c)) {
			rc = -1;
			goto out;
		}
		loop(c);
		log_clear_progress();
		if (run_stop) {
			rc = log_error("verify interrupted: nothing was compared");
			goto out;
		}
		if (!c->fatal)
			finish(c);
		if (c->finished)
			verify_figures(&v, &c->m, VERIFY_RECOMPUTED);
	}
	if (verify_compare(&v, r->state_dir.data, c ? c->state_dir.data : "", r->procs, r->n))
		rc = -1;
out:
	if (c) {
		release(c);
		free(c);
	}
	buf_release(&out);
	verify_release(&v);       /* removes the scratch folder */
	return rc;
}

/* --stats: peak memory and CPU of the parent, the workers and the mergers. */
static void print_stats(struct run *r)
{
	struct rusage self;
	getrusage(RUSAGE_SELF, &self);
	uint64_t wk = 0;
	double cpu_workers = 0;
	if (r->pool_started) {
		pool_release(&r->pool, false);
		wk = r->pool.maxrss_children_kb;   /* kept by pool_release */
		cpu_workers = r->pool.cpu_children_s;
	}
	r->pool_started = false;
	struct rusage ch;
	getrusage(RUSAGE_CHILDREN, &ch);
	if ((uint64_t)ch.ru_maxrss > wk)
		wk = (uint64_t)ch.ru_maxrss;
	/* The other children are the mergers (all reaped by now). */
	double cpu_parent = self.ru_utime.tv_sec + self.ru_stime.tv_sec +
			    (self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;
	double cpu_children = ch.ru_utime.tv_sec + ch.ru_stime.tv_sec +
			      (ch.ru_utime.tv_usec + ch.ru_stime.tv_usec) / 1e6;
	double cpu_mergers = cpu_children > cpu_workers ? cpu_children - cpu_workers : 0;
	double per = r->updates ? 1e6 / (double)r->updates : 0;
	log_result("stats: maxrss_parent_kb %ld, maxrss_worker_kb %" PRIu64 ", workers %u, "
		 "cpu_parent_s %.2f, cpu_workers_s %.2f, cpu_mergers_s %.2f, "
		 "parent_us_per_update %.2f, mergers_us_per_update %.2f",
		 self.ru_maxrss, wk, r->n_workers, cpu_parent, cpu_workers, cpu_mergers,
		 cpu_parent * per, cpu_mergers * per);
}

int harness_run(const struct run_options *o)
{
	struct run *r = run_new(o);

	run_stop = 0;
	struct sigaction sa, old_int, old_term, old_chld, old_pipe;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, &old_chld);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);

	int status = 0;
	r->t0 = time_monotonic();
	if (setup(r)) {
		status = 1;
		goto out;
	}
	if (r->nothing_new) {
		log_info("run: nothing new since the last run: sessions %u, processed 0, unchanged %u, "
			 "stopped at a gap %u, failed 0, updates 0; no state loaded, tables left as "
			 "they are",
			 r->memo.sessions, r->memo.sessions - r->memo.gaps, r->memo.gaps);
		if (o->stats)
			print_stats(r);
		goto out;
	}
	loop(r);
	log_clear_progress();
	if (run_stop) {
		log_error("run interrupted: %u of %u sessions done, their states are saved; the next "
			  "run resumes", r->n_done, r->n_plan);
		status = 1;
		goto out;
	}
	if (r->fatal)
		status = 1;
	else if (finish(r) || r->m.failed)
		status = 1;
	if (write_status(r, r->state_dir.data))
		status = 1;
	print_notes(r->gaps, r->n_gaps, false);
	print_notes(r->failures, r->n_failures, true);
	if (r->n_failed)
		status = 1;
	/* Complete and published: the next run may find nothing new. */
	r->memo.sessions = r->n_plan;
	r->memo.gaps = r->n_gap;
	if (status == 0 && r->finished && !r->m.failed && !o->recompute)
		r->memo.fingerprint = memo_fingerprint(r);   /* the states as written */
	if (status == 0 && r->finished && !r->m.failed && !o->recompute &&
	    run_memo_write(r->state_dir.data, &r->memo, o->no_fsync))
		status = 1;
	double el = time_monotonic() - r->t0;
	uint64_t left = 0;
	uint32_t no_first = 0;
	for (uint32_t i = 0; i < r->n_plan; i++) {
		left += left_at_gap(&r->plan[i]);
		no_first += r->plan[i].status == RUN_NO_FIRST;
	}
	log_info("run: sessions %u, processed %u, unchanged %u, stopped at a gap %u, failed %u, "
		 "filtered out %u, updates %" PRIu64 ", updates left at gaps %" PRIu64 ", sessions "
		 "without update 0 %u, seconds %.2f, updates/s %.0f",
		 r->n_plan, r->n_processed, r->n_unchanged, r->n_gap, r->n_failed, r->n_filtered,
		 r->updates, left, no_first, el, el > 0 ? r->updates / el : 0.0);
	if (o->stats)
		print_stats(r);
	if (o->verify && (r->fatal || !r->finished))
		log_warn("verify: not done: the run did not complete");
	else if (o->verify && run_verify(r))
		status = 1;
out:
	release(r);
	free(r);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGCHLD, &old_chld, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	return status;
}
