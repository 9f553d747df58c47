/*
 * harness/worker.c: one session through the selected processors, and the
 * loop of a worker process (see worker.h).
 */
#include "worker.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "blob.h"
#include "fs.h"
#include "log.h"
#include "proc_tables.h"
#include "timeutil.h"

/* The stop flag of workers told of none: never set. */
static volatile sig_atomic_t never_stop;

/* The current session in messages (valid until the next call). */
static const char *key_text(struct worker *w)
{
	buf_reset(&w->ktext);
	session_key_format(w->key, &w->ktext);
	return w->ktext.data;
}

/* ---------------------------------------------------------------------------
 * What processors see: bpass_ctx
 */

/* The dependencies' states of the processor called (ctx->state_of). */
static const void *deps_state_of(void *arg, const char *name)
{
	struct worker *w = arg;
	const struct worker_proc *cur = &w->wp[w->cur];
	for (uint32_t k = 0; k < cur->n_deps; k++) {
		const struct worker_proc *d = &w->wp[cur->deps[k]];
		if (!strcmp(d->p->name, name))
			return proc_tables_own_state(d->p, d->state);  /* not bpass's tables */
	}
	return NULL;
}

static void slot_proc(struct worker *w, uint32_t i);

/* The context for a callback of processor i on the current session. */
static struct bpass_ctx *call(struct worker *w, uint32_t i)
{
	slot_proc(w, i);
	return proc_ctx_enter(&w->pc, w->wp[i].p, w->key);
}

/* bpass_figures.add in the worker: recorded as given (the parent's merger
 * replays them, so columns come out as if it had asked itself). */
static void fig_add(struct bpass_figures *f, const char *column, int64_t value)
{
	struct worker *w = f->impl;
	if (!column)
		return;
	size_t len = strlen(column);
	xgrow((void **)&w->figs, &w->cap_figs, w->n_figs + 1, sizeof(*w->figs));
	w->figs[w->n_figs++] = (struct worker_fig){w->fig_proc, w->figtext.len, len, value};
	buf_append(&w->figtext, column, len);
}

/* ---------------------------------------------------------------------------
 * Set-up
 */

static int run_index(const uint32_t *order, uint32_t n, const struct registry *reg,
		     const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(reg->procs[order[i]].p.name, name))
			return (int)i;
	return -1;
}

bool worker_can_combine(const struct bpass_processor *p)
{
	return p->global_combine && p->merge && p->global_new && p->global_free &&
	       p->global_save && p->global_load;
}

/* Creates processor i's empty partial when it can combine. Returns 0, or -1
 * when global_new failed (reported; it is then no longer merged here). */
static int new_partial(struct worker *w, uint32_t i)
{
	struct worker_proc *p = &w->wp[i];
	p->partial = NULL;
	if (!worker_can_combine(p->p))
		return 0;
	slot_proc(w, i);
	p->partial = p->p->global_new(proc_ctx_enter(&w->pc, p->p, NULL));
	w->slot->proc = -1;
	if (!p->partial)
		return log_error("processor \"%s\" could not create a partial global result in "
				 "worker%s", p->p->name, proc_ctx_why(&w->pc));
	return 0;
}

static void free_partial(struct worker *w, uint32_t i)
{
	struct worker_proc *p = &w->wp[i];
	if (p->partial)
		p->p->global_free(proc_ctx_enter(&w->pc, p->p, NULL), p->partial);
	p->partial = NULL;
}

int worker_init(struct worker *w, const struct worker_options *o, struct worker_slot *slot)
{
	memset(w, 0, sizeof(*w));
	w->opt = *o;
	if (!w->opt.stop)
		w->opt.stop = &never_stop;
	const struct worker_options *opt = &w->opt;
	w->slot = slot ? slot : &w->own_slot;
	w->slot->proc = -1;
	w->slot->seq = -1;
	registry_init(&w->reg);
	update_buf_init(&w->ub);
	state_writer_init(&w->data);
	state_writer_init(&w->file);
	state_writer_init(&w->msg);
	state_writer_init(&w->sum);
	state_file_init(&w->sum_sf);
	state_file_init(&w->sf);
	state_reader_init(&w->rd);
	buf_init(&w->saved);
	buf_init(&w->path);
	buf_init(&w->err);
	buf_init(&w->ephbytes);
	buf_init(&w->ktext);
	buf_init(&w->figtext);
	w->fig = (struct bpass_figures){.impl = w, .add = fig_add};
	proto_result_init(&w->res);
	proc_ctx_init(&w->pc, opt->options);
	w->pc.state_of = deps_state_of;
	w->pc.arg = w;
	w->dir_synced_at = time_monotonic();

	uint32_t *order = NULL;
	if (registry_setup(&w->reg, opt->plugins, opt->n_plugins) ||
	    registry_select(&w->reg, opt->select, &order, &w->n))
		return -1;
	w->wp = xcalloc(w->n + 1, sizeof(*w->wp));
	for (uint32_t i = 0; i < w->n; i++) {
		struct worker_proc *p = &w->wp[i];
		p->p = &w->reg.procs[order[i]].p;
		p->options_hash = proc_options_hash(opt->options, p->p);
		for (const char *const *d = p->p->depends; d && *d; d++) {
			int j = run_index(order, w->n, &w->reg, *d);
			if (j < 0)
				continue;  /* registry_select includes every dependency */
			p->deps = xrealloc(p->deps, (p->n_deps + 1) * sizeof(*p->deps));
			p->deps[p->n_deps++] = (uint32_t)j;
		}
	}
	if (opt->recompute) {
		char *copy = xstrdup(opt->recompute);
		for (char *name = copy, *next; name; name = next) {
			next = strchr(name, ',');
			if (next)
				*next++ = 0;
			for (uint32_t i = 0; i < w->n; i++)
				if (!*copy || !strcmp(w->wp[i].p->name, name))
					w->wp[i].recompute = true;
		}
		free(copy);
	}
	free(order);
	if (proc_options_check(opt->options, &w->reg))
		return -1;
	w->procs = xcalloc(w->n + 1, sizeof(*w->procs));
	for (uint32_t i = 0; i < w->n; i++)
		w->procs[i] = w->wp[i].p;
	if (proc_hooks_init(w->procs, w->n, opt->options))
		return -1;
	w->hooked = true;
	w->merged_names = xcalloc(w->n + 1, sizeof(*w->merged_names));
	for (uint32_t i = 0; opt->merge_partials && i < w->n; i++)
		new_partial(w, i);
	return index_db_open(&w->db, opt->index_path, INDEX_OPEN_READ);
}

void worker_release(struct worker *w)
{
	if (w->dir_dirty)
		fs_fsync_dir(w->opt.state_dir);
	index_db_close(w->db);
	for (uint32_t i = 0; w->wp && i < w->n; i++)
		free_partial(w, i);
	free(w->merged_names);
	state_writer_release(&w->sum);
	state_file_release(&w->sum_sf);
	if (w->hooked)
		proc_hooks_exit(w->procs, w->n, w->opt.options);
	free(w->procs);
	proc_ctx_release(&w->pc);
	for (uint32_t i = 0; i < w->n; i++)
		free(w->wp[i].deps);
	free(w->wp);
	update_buf_release(&w->ub);
	state_writer_release(&w->data);
	state_writer_release(&w->file);
	state_writer_release(&w->msg);
	state_file_release(&w->sf);
	state_reader_release(&w->rd);
	buf_release(&w->saved);
	buf_release(&w->path);
	buf_release(&w->err);
	buf_release(&w->ephbytes);
	buf_release(&w->ktext);
	proto_result_release(&w->res);
	free(w->eph_parts);
	free(w->figs);
	free(w->fig_ok);
	buf_release(&w->figtext);
	registry_release(&w->reg);
	memset(w, 0, sizeof(*w));
}

/* ---------------------------------------------------------------------------
 * One session
 */

/* Reads and checks the saved state file. Returns true when it can be used. */
static bool load_saved(struct worker *w, const struct bpass_session_key *key)
{
	buf_reset(&w->path);
	buf_printf(&w->path, "%s/", w->opt.state_dir);
	state_file_name(key, &w->path);
	int rc = state_file_read(w->path.data, &w->saved);
	if (rc == 1)
		return false;
	if (rc < 0) {
		log_warn("could not read state file \"%s\": %s; recomputing session %s",
			 w->path.data, strerror(errno), key_text(w));
		return false;
	}
	if (state_file_parse(&w->sf, w->saved.data, w->saved.len, key, &w->err)) {
		log_warn("could not read state file \"%s\": %s; recomputing session %s",
			 w->path.data, w->err.data, key_text(w));
		return false;
	}
	return true;
}

static void slot_proc(struct worker *w, uint32_t i)
{
	w->cur = i;
	w->slot->proc = (int32_t)i;
}

/*
 * Processor i failed on the session (reported by the caller): it stops here,
 * and so do the processors that read its state (they come later in run
 * order); their saved parts are kept as they were. The first failure is the
 * session's reason for being stale.
 */
static void fail_proc(struct worker *w, uint32_t i, const char *what)
{
	if (w->res.reason.len == 0)
		buf_printf(&w->res.reason, "processor \"%s\" %s", w->wp[i].p->name, what);
	w->wp[i].failed = true;
	for (uint32_t j = i + 1; j < w->n; j++)
		for (uint32_t k = 0; k < w->wp[j].n_deps && !w->wp[j].failed; k++)
			w->wp[j].failed = w->wp[w->wp[j].deps[k]].failed;
}

/* Creates processor i's persistent state (none when it keeps none). */
static int new_state(struct worker *w, uint32_t i)
{
	struct worker_proc *p = &w->wp[i];
	p->state = NULL;
	if (!p->p->session_new)
		return 0;
	p->state = p->p->session_new(call(w, i));
	w->slot->proc = -1;
	if (!p->state) {
		log_error("processor \"%s\" could not create a state for session %s%s", p->p->name,
			  key_text(w), proc_ctx_why(&w->pc));
		fail_proc(w, i, "could not create a state");
		return -1;
	}
	return 0;
}

static void free_state(struct worker *w, uint32_t i)
{
	struct worker_proc *p = &w->wp[i];
	if (p->state) {
		p->p->session_free(call(w, i), p->state);
		w->slot->proc = -1;
	}
	p->state = NULL;
}

/* Replaces processor i's state by a fresh one (from update 0). Returns 0,
 * or -1 when it failed (fail_proc). */
static int make_fresh(struct worker *w, uint32_t i, struct proto_result *res)
{
	struct worker_proc *p = &w->wp[i];
	free_state(w, i);
	if (p->last_seq >= 0)
		res->recomputed++;
	p->last_seq = -1;
	p->updates = 0;
	p->keep = NULL;
	p->fresh = true;
	return new_state(w, i);
}

/* Decides where processor i starts: after its saved state e, or from 0.
 * Returns 0, or -1 when it failed (fail_proc). */
static int start_proc(struct worker *w, uint32_t i, const struct state_entry *e,
		      struct proto_result *res)
{
	struct worker_proc *p = &w->wp[i];
	p->state = p->eph = NULL;
	p->last_seq = -1;
	p->updates = 0;
	p->keep = NULL;
	p->saved = e;
	p->fresh = p->advanced = false;
	/* Other option values make the saved state stale, as another version
	 * without an upgrade would. */
	if (!e || p->recompute || e->options != p->options_hash) {
		if (e && e->last_seq >= 0)
			res->recomputed++;
		return make_fresh(w, i, res);
	}
	if (new_state(w, i))
		return -1;
	int rc = 0;
	if (p->state) {
		state_reader_reset(&w->rd, e->data, e->data_len);
		rc = p->p->load(call(w, i), p->state, e->version, &w->rd.r);
		w->slot->proc = -1;
		if (w->rd.failed)
			rc = -1;
	} else if (e->version != p->p->version) {
		rc = -1;   /* nothing to upgrade: a new version starts again */
	}
	if (rc == 0) {
		p->last_seq = e->last_seq;
		p->updates = e->updates_processed;
		/* An upgraded state (another version) is saved again. */
		p->keep = e->version == p->p->version ? e : NULL;
		return 0;
	}
	if (e->version == p->p->version)
		log_warn("could not load the state of processor \"%s\" saved for session %s; "
			 "recomputing it", p->p->name, key_text(w));
	p->last_seq = e->last_seq;   /* counted as recomputed by make_fresh */
	return make_fresh(w, i, res);
}

/*
 * Feeds the updates after min_start to the processors that have not failed.
 * Returns 0, 1 when abandoned (stop requested), -1 when the index could not
 * be read.
 */
static int feed(struct worker *w, const struct index_session *s, int32_t min_start,
		struct proto_result *res)
{
	struct index_update_iter *it;
	if (index_db_updates_begin(w->db, s->id, min_start, &it))
		return -1;
	int32_t expected = min_start + 1, seq;
	const void *blob;
	size_t len;
	int rc, ret = 0;
	while ((rc = index_db_updates_next(it, &seq, &blob, &len)) == 1) {
		if (seq < expected)
			continue;                       /* a duplicate */
		if (seq > expected) {
			res->missing_seq = expected;    /* a gap: stop here for this run */
			break;
		}
		if (*w->opt.stop) {
			ret = 1;
			break;
		}
		struct update_error err;
		if (blob_decode(&w->ub, blob, len, &err)) {
			log_warn("could not decode update %" PRId32 " of session %s in the index: %s; "
				 "the session stops before it", seq, key_text(w), err.msg);
			res->missing_seq = seq;
			break;
		}
		w->slot->seq = seq;
		w->pc.update = &w->ub.u;      /* for ctx->packet_view */
		for (uint32_t i = 0; i < w->n; i++) {
			struct worker_proc *p = &w->wp[i];
			if (p->failed || p->last_seq >= seq)
				continue;
			if (p->p->process(call(w, i), p->state, p->eph, &w->ub.u)) {
				w->slot->proc = -1;
				log_error("processor \"%s\" failed on update %" PRId32 " of session %s%s",
					  p->p->name, seq, key_text(w), proc_ctx_why(&w->pc));
				char what[64];
				snprintf(what, sizeof(what), "failed on update %" PRId32, seq);
				fail_proc(w, i, what);
				continue;
			}
			p->last_seq = seq;
			p->updates++;
			p->advanced = true;
			p->keep = NULL;      /* saved again */
		}
		w->pc.update = NULL;
		w->slot->proc = -1;
		res->updates++;
		expected = seq + 1;
	}
	if (rc < 0)
		ret = -1;
	w->slot->proc = -1;
	w->slot->seq = -1;
	index_db_updates_end(it);
	return ret;
}

/* Saves the ephemeral state of every processor that has not failed into
 * w->ephbytes; one that cannot fails (fail_proc). */
static void save_ephemeral(struct worker *w)
{
	buf_reset(&w->ephbytes);
	w->n_eph_parts = 0;
	for (uint32_t i = 0; i < w->n; i++) {
		struct worker_proc *p = &w->wp[i];
		if (!p->eph || p->failed)
			continue;
		state_writer_reset(&w->data);
		int rc = p->p->ephemeral_save(call(w, i), p->eph, &w->data.w);
		w->slot->proc = -1;
		if (rc || state_writer_finish(&w->data)) {
			log_error("processor \"%s\" could not save the ephemeral state of session "
				  "%s%s%s%s", p->p->name, key_text(w), w->data.error ? ": " : "",
				  w->data.error ? w->data.error : "", proc_ctx_why(&w->pc));
			fail_proc(w, i, "could not save its ephemeral state");
			continue;
		}
		xgrow((void **)&w->eph_parts, &w->cap_eph_parts, w->n_eph_parts + 1,
		      sizeof(*w->eph_parts));
		w->eph_parts[w->n_eph_parts++] = (struct worker_eph){i, w->ephbytes.len, w->data.sbuf.size};
		buf_append(&w->ephbytes, w->data.sbuf.data, w->data.sbuf.size);
	}
}

/* True when the saved entry e is the part of a processor selected in this run. */
static bool selected(const struct worker *w, const struct state_entry *e)
{
	for (uint32_t i = 0; i < w->n; i++)
		if (strlen(w->wp[i].p->name) == e->name_len &&
		    !memcmp(w->wp[i].p->name, e->name, e->name_len))
			return true;
	return false;
}

/*
 * Encodes the session's container into w->file: each processor's part
 * (its saved part as is when it kept it or failed; none when it failed
 * without one), then the parts of processors not selected in this run.
 * Returns the number of parts, 0 when a processor's save failed (then
 * fail_proc: encode again), or -1 when the container could not be encoded
 * (reported).
 */
static int encode_once(struct worker *w, bool have_saved)
{
	uint32_t carried = 0, parts = 0;
	if (have_saved)
		for (uint32_t e = 0; e < w->sf.n; e++)
			carried += !selected(w, &w->sf.e[e]);
	for (uint32_t i = 0; i < w->n; i++)
		parts += !w->wp[i].failed || w->wp[i].saved;
	state_writer_reset(&w->file);
	state_file_begin(&w->file, STATE_KIND_SESSION, w->key, parts + carried);
	for (uint32_t i = 0; i < w->n; i++) {
		struct worker_proc *p = &w->wp[i];
		if (p->failed || p->keep) {
			const struct state_entry *e = p->failed ? p->saved : p->keep;
			if (e)
				state_file_entry_raw(&w->file, e);
			continue;
		}
		state_writer_reset(&w->data);
		int rc = p->p->save ? p->p->save(call(w, i), p->state, &w->data.w) : 0;
		w->slot->proc = -1;
		if (rc || state_writer_finish(&w->data)) {
			log_error("processor \"%s\" could not save the state of session %s%s%s%s",
				  p->p->name, key_text(w), w->data.error ? ": " : "",
				  w->data.error ? w->data.error : "", proc_ctx_why(&w->pc));
			fail_proc(w, i, "could not save its state");
			return 0;
		}
		state_file_entry_options(&w->file, p->p->name, p->p->version, p->options_hash,
					 p->last_seq, p->updates, w->data.sbuf.data,
					 w->data.sbuf.size);
	}
	if (carried)
		for (uint32_t e = 0; e < w->sf.n; e++)
			if (!selected(w, &w->sf.e[e]))
				state_file_entry_raw(&w->file, &w->sf.e[e]);
	if (state_file_end(&w->file))
		return log_error("could not encode the state of session %s: %s", key_text(w),
				 w->file.error);
	return (int)(parts + carried);
}

/* encode_once until no processor's save fails (each failure leaves one
 * processor fewer to save). Returns the number of parts, or -1. */
static int encode_state(struct worker *w, bool have_saved)
{
	int rc;
	while ((rc = encode_once(w, have_saved)) == 0) {
		bool any = false;
		for (uint32_t i = 0; i < w->n; i++)
			any = any || (!w->wp[i].failed && !w->wp[i].keep);
		if (!any)
			return encode_once(w, have_saved);
	}
	return rc;
}

static void free_states(struct worker *w)
{
	for (uint32_t i = 0; i < w->n; i++) {
		struct worker_proc *p = &w->wp[i];
		if (p->eph)
			p->p->ephemeral_free(call(w, i), p->eph);
		p->eph = NULL;
		free_state(w, i);
	}
	w->slot->proc = -1;
}

/* The outcome of a session that failed: nothing of it is sent (the parent
 * merges what was saved before). Returns 0. */
static int failed(struct proto_result *res)
{
	res->status = PROTO_FAILED;
	return 0;
}

/* Starts every processor (start_proc), then starts again from update 0 the
 * dependencies that are ahead of a processor reading them. A processor that
 * cannot start fails (fail_proc). */
static void start_procs(struct worker *w, bool have_saved, struct proto_result *res)
{
	/* Every processor's saved part first: one that fails before it starts
	 * (a dependency failed) keeps it too. */
	for (uint32_t i = 0; i < w->n; i++) {
		struct worker_proc *p = &w->wp[i];
		p->failed = false;
		p->saved = have_saved ? state_file_find(&w->sf, p->p->name) : NULL;
		p->state = p->eph = NULL;
		p->last_seq = -1;
		p->keep = NULL;
	}
	for (uint32_t i = 0; i < w->n; i++)
		if (!w->wp[i].failed)
			start_proc(w, i, w->wp[i].saved, res);
	/* A processor reads its dependencies' states for the same update, so
	 * none of them may be ahead of it: restart those that are (in reverse
	 * run order, so the dependencies of a restarted one are checked too). */
	for (uint32_t i = w->n; i-- > 0;)
		for (uint32_t k = 0; k < w->wp[i].n_deps && !w->wp[i].failed; k++) {
			uint32_t d = w->wp[i].deps[k];
			if (w->wp[d].last_seq > w->wp[i].last_seq)
				make_fresh(w, d, res);
		}
}

/* The lowest last_seq of the processors that have not failed (INT32_MAX
 * when all have): the updates after it are read. */
static int32_t lowest_start(const struct worker *w)
{
	int32_t min_start = INT32_MAX;
	for (uint32_t i = 0; i < w->n; i++)
		if (!w->wp[i].failed && w->wp[i].last_seq < min_start)
			min_start = w->wp[i].last_seq;
	return min_start;
}

/* Creates the ephemeral states; a processor that cannot fails (fail_proc). */
static void open_ephemeral(struct worker *w)
{
	for (uint32_t i = 0; i < w->n; i++) {
		struct worker_proc *p = &w->wp[i];
		if (!p->p->ephemeral_new || p->failed)
			continue;
		p->eph = p->p->ephemeral_new(call(w, i));
		w->slot->proc = -1;
		if (!p->eph) {
			log_error("processor \"%s\" could not create an ephemeral state for session %s%s",
				  p->p->name, key_text(w), proc_ctx_why(&w->pc));
			fail_proc(w, i, "could not create an ephemeral state");
		}
	}
}

/* Calls every session_complete; a processor whose call fails fails
 * (fail_proc). */
static void complete(struct worker *w)
{
	for (uint32_t i = 0; i < w->n; i++) {
		struct worker_proc *p = &w->wp[i];
		if (!p->p->session_complete || p->failed)
			continue;
		int rc = p->p->session_complete(call(w, i), p->state, p->eph);
		w->slot->proc = -1;
		if (rc) {
			log_error("processor \"%s\" could not complete session %s%s", p->p->name,
				  key_text(w), proc_ctx_why(&w->pc));
			fail_proc(w, i, "could not complete the session");
		}
	}
}

/* Writes the encoded container (w->file) as the session's state file; the
 * folder is synced at most once a second (and by worker_release). Returns 0
 * or -1 (reported). */
static int write_state(struct worker *w)
{
	buf_reset(&w->path);
	buf_printf(&w->path, "%s/", w->opt.state_dir);
	state_file_name(w->key, &w->path);
	if (atomic_file_write(w->path.data, w->file.sbuf.data, w->file.sbuf.size, "state file",
			      ATOMIC_FILE_DEFER_DIRSYNC |
				      (w->opt.no_fsync ? ATOMIC_FILE_NO_FSYNC : 0)))
		return -1;
	w->dir_dirty = true;
	double t = time_monotonic();
	if (t - w->dir_synced_at >= 1.0) {
		fs_fsync_dir(w->opt.state_dir);
		w->dir_dirty = false;
		w->dir_synced_at = t;
	}
	return 0;
}

/*
 * After the updates: the outcome, and unless the session stopped before
 * update 0, the ephemeral states and the container (in res->state), written
 * to the state file when something changed. A state file that cannot be
 * written leaves the container in res->state as computed, and the reason
 * (the session is stale). Returns 0.
 */
static int conclude(struct worker *w, bool have_saved, struct proto_result *res)
{
	save_ephemeral(w);
	int parts = encode_state(w, have_saved);
	if (parts < 0) {
		buf_reset(&res->reason);
		buf_puts(&res->reason, log_last_error());
		return failed(res);
	}
	bool changed = !have_saved, anything = false;
	res->last_seq = INT32_MAX;
	for (uint32_t i = 0; i < w->n; i++) {
		struct worker_proc *p = &w->wp[i];
		if (p->failed)
			continue;
		changed = changed || !p->keep;
		anything = anything || p->last_seq >= 0;
		if (p->last_seq < res->last_seq)
			res->last_seq = p->last_seq;
	}
	if (!anything) {
		/* Stopped before update 0 (it could not be decoded), or every
		 * processor failed: nothing new to keep. */
		res->status = PROTO_GAP;
		res->last_seq = -1;
		w->n_eph_parts = 0;
		return 0;
	}
	if (changed && parts > 0) {
		if (write_state(w)) {
			buf_reset(&res->reason);
			buf_puts(&res->reason, log_last_error());
		} else {
			res->saved = true;
		}
	}
	res->state = w->file.sbuf.data;
	res->state_len = w->file.sbuf.size;
	if (res->missing_seq >= 0)
		res->status = PROTO_GAP;
	else if (!changed)
		res->status = PROTO_UNCHANGED;
	return 0;
}

/*
 * The steps of one session (worker.h), up to its outcome in res. Returns 0
 * (res->status says how it went), 1 when abandoned because *stop was set,
 * -1 when the index could not be read (reported).
 */
static int process(struct worker *w, struct proto_result *res)
{
	struct index_session s;
	int found = index_db_find_session(w->db, w->key, &s);
	if (found < 0)
		return -1;
	if (found == 0) {
		log_error("session %s is not in the index", key_text(w));
		buf_puts(&res->reason, "it is not in the index");
		return failed(res);
	}
	bool have_saved = load_saved(w, w->key);
	start_procs(w, have_saved, res);
	int32_t min_start = lowest_start(w);
	if (min_start == -1 && (s.first_seq != 0 || s.updates == 0)) {
		res->status = PROTO_NO_FIRST;
		res->missing_seq = 0;
		buf_reset(&res->reason);
		return 0;
	}
	open_ephemeral(w);
	if (min_start < INT32_MAX) {
		int rc = feed(w, &s, min_start, res);
		if (rc == 1 || rc < 0)
			return rc;
	}
	complete(w);
	return conclude(w, have_saved, res);
}

/* The figures of every processor that has not failed on the session, in
 * w->figs (a processor whose session_figures fails gives none: the parent's
 * merger asks it again from the saved state, and reports the failure). */
static void take_figures(struct worker *w)
{
	w->n_figs = 0;
	buf_reset(&w->figtext);
	if (!w->fig_ok)
		w->fig_ok = xcalloc(w->n + 1, 1);
	for (uint32_t i = 0; i < w->n; i++) {
		struct worker_proc *p = &w->wp[i];
		w->fig_ok[i] = 0;
		if (!p->p->session_figures || p->failed || (p->p->session_new && !p->state))
			continue;
		uint32_t first = w->n_figs;
		w->fig_proc = i;
		int rc = p->p->session_figures(call(w, i), p->state, p->eph, &w->fig);
		w->slot->proc = -1;
		if (rc) {
			w->n_figs = first;
			continue;
		}
		w->fig_ok[i] = 1;
	}
}

/*
 * Merges the session into the partial of every processor that keeps one and
 * has not failed on it (step 7 of worker.h), after its figures were taken.
 * A merge that fails makes the session stale (res->merge_error); the
 * processor counts as merged all the same (the parent must not merge it
 * again: what the callback did to the partial stays, as in the parent).
 */
static void merge_partials(struct worker *w, struct proto_result *res)
{
	for (uint32_t i = 0; i < w->n; i++) {
		struct worker_proc *p = &w->wp[i];
		p->merged = false;
		if (!p->partial || p->failed || (p->p->session_new && !p->state) ||
		    (p->p->session_figures && !w->fig_ok[i]))
			continue;
		int rc = p->p->merge(call(w, i), p->partial, p->state, p->eph);
		w->slot->proc = -1;
		p->merged = true;
		if (rc) {
			log_error("processor \"%s\" could not merge session %s%s", p->p->name,
				  key_text(w), proc_ctx_why(&w->pc));
			if (!res->merge_error.len)
				buf_printf(&res->merge_error, "processor \"%s\" could not merge this "
					   "session", p->p->name);
		}
	}
}

/*
 * The summary of the container (w->file) for the parent, in w->sum: every
 * selected processor's entry, with its data only when the parent still has
 * to load it (it has merge and was not merged here, or its figures are
 * missing). Returns 0, or -1 when the container cannot be read back (then
 * the whole container is sent).
 */
static int summarize(struct worker *w)
{
	if (state_file_parse(&w->sum_sf, w->file.sbuf.data, w->file.sbuf.size, w->key, &w->err))
		return -1;
	uint32_t n = 0;
	for (uint32_t i = 0; i < w->n; i++)
		n += state_file_find(&w->sum_sf, w->wp[i].p->name) != NULL;
	state_writer_reset(&w->sum);
	state_file_begin(&w->sum, STATE_KIND_SESSION, w->key, n);
	for (uint32_t i = 0; i < w->n; i++) {
		const struct worker_proc *p = &w->wp[i];
		const struct state_entry *e = state_file_find(&w->sum_sf, p->p->name);
		if (!e)
			continue;
		bool data = !p->merged && (p->p->merge || (p->p->session_figures && !w->fig_ok[i]));
		state_file_entry_options(&w->sum, p->p->name, e->version, e->options, e->last_seq,
					 e->updates_processed, data ? e->data : "",
					 data ? e->data_len : 0);
	}
	return state_file_end(&w->sum) ? -1 : 0;
}

/* Encodes the PROTO_RESULT payload into w->msg: nothing to merge from a
 * session that failed or has no update 0. Returns 0 or -1 (reported). */
static int reply(struct worker *w, struct proto_result *res)
{
	if (res->status == PROTO_FAILED || res->status == PROTO_NO_FIRST) {
		res->state = NULL;
		res->state_len = 0;
		w->n_eph_parts = 0;
	}
	uint32_t n_merged = 0;
	if (res->state) {
		take_figures(w);
		for (uint32_t i = 0; i < w->n; i++)
			w->wp[i].merged = false;
		/* A stale session goes whole to the parent, as of its saved parts. */
		if (!res->reason.len && !w->apart)
			merge_partials(w, res);
		if (w->opt.merge_partials && !res->reason.len && res->state == w->file.sbuf.data &&
		    summarize(w) == 0) {
			res->state = w->sum.sbuf.data;
			res->state_len = w->sum.sbuf.size;
		}
		for (uint32_t i = 0; i < w->n; i++)
			if (w->wp[i].merged)
				w->merged_names[n_merged++] = w->wp[i].p->name;
	}
	state_writer_reset(&w->msg);
	proto_result_head(&w->msg, w->key, res, res->state, res->state_len, w->n_eph_parts);
	for (uint32_t k = 0; k < w->n_eph_parts; k++)
		proto_result_eph(&w->msg, w->wp[w->eph_parts[k].proc].p->name,
				 w->ephbytes.data + w->eph_parts[k].off, w->eph_parts[k].len);
	if (res->state) {
		uint32_t n_procs = 0;
		for (uint32_t i = 0; i < w->n; i++)
			n_procs += w->fig_ok[i];
		proto_result_figs_head(&w->msg, n_procs);
		for (uint32_t i = 0, k = 0; i < w->n; i++) {
			if (!w->fig_ok[i])
				continue;
			uint32_t first = k;
			while (k < w->n_figs && w->figs[k].proc == i)
				k++;
			proto_result_figs(&w->msg, w->wp[i].p->name, k - first);
			for (uint32_t j = first; j < k; j++)
				proto_result_fig(&w->msg, w->figtext.data + w->figs[j].off,
						 w->figs[j].len, w->figs[j].value);
		}
		proto_result_merged(&w->msg, w->merged_names, n_merged);
	}
	if (state_writer_finish(&w->msg))
		return log_error("could not encode the result of session %s: %s", key_text(w),
				 w->msg.error);
	return 0;
}

int worker_flush(struct worker *w, const void **payload, size_t *len)
{
	*payload = NULL;
	*len = 0;
	uint32_t n = 0;
	for (uint32_t i = 0; i < w->n; i++)
		n += w->wp[i].partial != NULL;
	state_writer_reset(&w->msg);
	proto_partial_head(&w->msg, n);
	for (uint32_t i = 0; i < w->n; i++) {
		struct worker_proc *p = &w->wp[i];
		if (!p->partial)
			continue;
		state_writer_reset(&w->data);
		slot_proc(w, i);
		int rc = p->p->global_save(proc_ctx_enter(&w->pc, p->p, NULL), p->partial,
					   &w->data.w);
		w->slot->proc = -1;
		if (rc || state_writer_finish(&w->data)) {
			log_error("processor \"%s\" could not save its partial global result%s%s%s",
				  p->p->name, w->data.error ? ": " : "",
				  w->data.error ? w->data.error : "", proc_ctx_why(&w->pc));
			proto_partial_one(&w->msg, p->p->name, p->p->version, NULL, 0);
		} else {
			proto_partial_one(&w->msg, p->p->name, p->p->version, w->data.sbuf.data,
					  w->data.sbuf.size);
		}
		free_partial(w, i);
		new_partial(w, i);
	}
	if (state_writer_finish(&w->msg))
		return log_error("could not encode the partial global results: %s", w->msg.error);
	*payload = w->msg.sbuf.data;
	*len = w->msg.sbuf.size;
	return 0;
}

/* Makes key the current session, and says so in the slot. */
static void begin(struct worker *w, const struct bpass_session_key *key)
{
	struct worker_slot *sl = w->slot;
	snprintf(sl->node_id, sizeof(sl->node_id), "%s", key->node_id);
	snprintf(sl->context, sizeof(sl->context), "%s", key->context);
	sl->session_id = key->session_id;
	sl->proc = -1;
	sl->seq = -1;
	sl->started_ms = (int64_t)(time_monotonic() * 1000);
	sl->busy = 1;
	w->key = key;
	w->n_eph_parts = 0;
}

int worker_session(struct worker *w, const struct bpass_session_key *key, const void **payload,
		   size_t *len)
{
	*payload = NULL;
	*len = 0;
	begin(w, key);
	struct proto_result *res = &w->res;
	res->status = PROTO_PROCESSED;
	res->updates = 0;
	res->last_seq = -1;
	res->missing_seq = -1;
	res->recomputed = 0;
	res->saved = false;
	res->state = NULL;
	res->state_len = 0;
	buf_reset(&res->reason);
	buf_reset(&res->merge_error);
	int rc = process(w, res);
	if (rc < 0) {
		/* The index could not be read (a damaged page, an I/O error): this
		 * session fails, with SQLite's message; the next may be readable. */
		failed(res);
		buf_puts(&res->reason, log_last_error());
		rc = 0;
	}
	if (rc == 0)
		rc = reply(w, res);
	if (rc == 0) {
		*payload = w->msg.sbuf.data;
		*len = w->msg.sbuf.size;
	}
	free_states(w);
	w->slot->busy = 0;
	w->apart = false;
	return rc;
}

int worker_session_apart(struct worker *w, const struct bpass_session_key *key,
			 const void **payload, size_t *len)
{
	w->apart = true;
	return worker_session(w, key, payload, len);
}

/* ---------------------------------------------------------------------------
 * The worker process
 */

int worker_main(const struct worker_options *o, struct worker_slot *slot, int in, int out)
{
	struct worker *w = xmalloc(sizeof(*w));
	if (worker_init(w, o, slot)) {
		if (slot)
			snprintf(slot->error, sizeof(slot->error), "%s", log_last_error());
		worker_release(w);
		free(w);
		return PROTO_EXIT_INIT;
	}
	volatile sig_atomic_t *stop = w->opt.stop;
	struct buf frame, node, context;
	buf_init(&frame);
	buf_init(&node);
	buf_init(&context);
	struct state_reader rd;
	state_reader_init(&rd);
	int status = 0;
	while (!*stop) {
		uint32_t type;
		int rc = proto_recv(in, &type, &frame, stop);
		if (rc <= 0 || type == PROTO_QUIT)
			break;
		if (type == PROTO_FLUSH) {
			const void *p;
			size_t len;
			if (worker_flush(w, &p, &len)) {
				status = 1;
				break;
			}
			if (proto_send(out, PROTO_PARTIAL, p, len))
				break;
			continue;
		}
		int64_t sid;
		if ((type != PROTO_SESSION && type != PROTO_SESSION_APART) ||
		    proto_session_decode(&rd, frame.data, frame.len, &node, &context, &sid)) {
			log_error("worker received an unexpected message (type %" PRIu32 ")", type);
			status = 1;
			break;
		}
		struct bpass_session_key key = {node.data, context.data, sid};
		const void *p;
		size_t len;
		w->apart = type == PROTO_SESSION_APART;
		rc = worker_session(w, &key, &p, &len);
		if (rc == 1)
			break;
		if (rc < 0) {
			status = 1;
			break;
		}
		if (proto_send(out, PROTO_RESULT, p, len))
			break;
	}
	state_reader_release(&rd);
	buf_release(&frame);
	buf_release(&node);
	buf_release(&context);
	worker_release(w);
	free(w);
	return status;
}
