/*
 * harness/merger.c: one processor's global result: its sessions merged,
 * its figures kept, its problems recorded, its tables (see merger.h).
 */
#include "merger.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "proto.h"
#include "results.h"
#include "session_key.h"

/* The exit status of a merger process whose global_new failed. */
#define MERGER_EXIT_INIT 3

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

/* Everything but the global state. */
static void setup(struct merger *mg, const struct bpass_processor *p)
{
	memset(mg, 0, sizeof(*mg));
	mg->p = p;
	mg->to = mg->from = -1;
	state_reader_init(&mg->rd);
	state_writer_init(&mg->msg);
	buf_init(&mg->text);
	buf_init(&mg->saved);
	buf_init(&mg->frame);
	mg->fig = (struct bpass_figures){.impl = mg, .add = fig_add};
	proc_ctx_init(&mg->pc, NULL);
}

/* The context for a callback of the processor (about session key, or NULL). */
static struct bpass_ctx *call(struct merger *mg, const struct bpass_session_key *key)
{
	return proc_ctx_enter(&mg->pc, mg->p, key);
}

int merger_init(struct merger *mg, const struct bpass_processor *p,
		const struct proc_options *options)
{
	setup(mg, p);
	mg->pc.options = options;
	if (proc_hooks_init(&p, 1, options))
		return -1;
	mg->hooked = true;
	if (p->global_new) {
		mg->global = p->global_new(call(mg, NULL));
		if (!mg->global)
			return log_error("processor \"%s\" could not create its global result%s",
					 p->name, proc_ctx_why(&mg->pc));
	}
	return 0;
}

void merger_release(struct merger *mg)
{
	if (!mg->p)
		return;
	if (mg->pid) {
		kill(mg->pid, SIGKILL);
		while (waitpid(mg->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (mg->to >= 0)
		close(mg->to);
	if (mg->from >= 0)
		close(mg->from);
	if (mg->slot)
		munmap(mg->slot, sizeof(*mg->slot));
	if (mg->global && mg->p->global_free)
		mg->p->global_free(call(mg, NULL), mg->global);
	if (mg->hooked)
		proc_hooks_exit(&mg->p, 1, mg->pc.options);
	proc_ctx_release(&mg->pc);
	for (uint32_t i = 0; i < mg->n_columns; i++)
		free(mg->columns[i]);
	free(mg->columns);
	free(mg->order);
	free(mg->figs);
	for (uint32_t i = 0; i < mg->n_problems; i++)
		free(mg->problems[i].why);
	free(mg->problems);
	state_reader_release(&mg->rd);
	state_writer_release(&mg->msg);
	buf_release(&mg->text);
	buf_release(&mg->saved);
	buf_release(&mg->frame);
	memset(mg, 0, sizeof(*mg));
	mg->to = mg->from = -1;
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

static void send_session(struct merger *mg, uint32_t row, const struct bpass_session_key *key,
			 const struct state_entry *e, const void *eph, size_t eph_len,
			 bool figures);

/* merger_session in this process (without the figures: merger_again). */
static void session_here(struct merger *mg, uint32_t row, const struct bpass_session_key *key,
			 const struct state_entry *e, const void *eph, size_t eph_len,
			 bool figures)
{
	const struct bpass_processor *p = mg->p;
	void *state = NULL, *es = NULL;
	const char *what = NULL;
	if (p->session_new) {
		state = p->session_new(call(mg, key));
		if (!state) {
			what = "create a state for";
			goto out;
		}
		state_reader_reset(&mg->rd, e->data, e->data_len);
		if (p->load(call(mg, key), state, e->version, &mg->rd.r) || mg->rd.failed) {
			problem(mg, row, MERGER_DECLINED, "load the state of");
			goto out;
		}
	}
	if (eph && p->ephemeral_new) {
		es = p->ephemeral_new(call(mg, key));
		state_reader_reset(&mg->rd, eph, eph_len);
		if (!es || p->ephemeral_load(call(mg, key), es, &mg->rd.r) || mg->rd.failed) {
			what = "load the ephemeral state of";
			goto out;
		}
	}
	mg->cur_row = row;
	mg->cur_first_fig = mg->n_figs;
	mg->cur_prev = -1;
	if (figures && p->session_figures &&
	    p->session_figures(call(mg, key), state, es, &mg->fig)) {
		what = "give the figures of";
		goto out;
	}
	if (p->merge && p->merge(call(mg, key), mg->global, state, es))
		what = "merge";
out:
	if (what) {
		buf_reset(&mg->text);
		session_key_format(key, &mg->text);
		log_error("processor \"%s\" could not %s session %s%s", p->name, what, mg->text.data,
			  proc_ctx_why(&mg->pc));
		problem(mg, row, MERGER_FAILED, what);
	}
	if (es)
		p->ephemeral_free(call(mg, key), es);
	if (state)
		p->session_free(call(mg, key), state);
}

void merger_session(struct merger *mg, uint32_t row, const struct bpass_session_key *key,
		    const struct state_entry *e, const void *eph, size_t eph_len)
{
	if (mg->dead)
		return;
	if (mg->pid)
		send_session(mg, row, key, e, eph, eph_len, true);
	else
		session_here(mg, row, key, e, eph, eph_len, true);
}

void merger_again(struct merger *mg, uint32_t row, const struct bpass_session_key *key,
		  const struct state_entry *e, const void *eph, size_t eph_len)
{
	if (mg->dead || !mg->p->merge)
		return;
	if (mg->pid)
		send_session(mg, row, key, e, eph, eph_len, false);
	else
		session_here(mg, row, key, e, eph, eph_len, false);
}

static int send_msg(struct merger *mg, uint32_t type, bool payload);

/* merger_partial in this process (and in its process). Returns 0, or -1
 * after a message. */
static int combine_here(struct merger *mg, uint32_t version, const void *data, size_t len)
{
	const struct bpass_processor *p = mg->p;
	void *part = p->global_new(call(mg, NULL));
	const char *what = "create a global result for";
	if (part) {
		state_reader_reset(&mg->rd, data, len);
		what = "load";
		if (!p->global_load(call(mg, NULL), part, version, &mg->rd.r) && !mg->rd.failed)
			what = p->global_combine(call(mg, NULL), mg->global, part) ? "combine" : NULL;
		p->global_free(call(mg, NULL), part);
	}
	if (what)
		return log_error("processor \"%s\" could not %s a worker's partial global result: "
				 "its tables are left out%s", p->name, what, proc_ctx_why(&mg->pc));
	return 0;
}

void merger_partial(struct merger *mg, uint32_t version, const void *data, size_t len)
{
	if (mg->dead)
		return;
	if (!mg->pid) {
		if (combine_here(mg, version, data, len))
			mg->dead = true;
		return;
	}
	struct bpass_writer *w = &mg->msg.w;
	state_writer_reset(&mg->msg);
	w->array(w, 2);
	w->u64(w, version);
	w->bin(w, data, len);
	send_msg(mg, MERGER_MSG_PARTIAL, true);
}

/* The figures of a row in this process: replayed through fig_add. */
static void figures_here(struct merger *mg, uint32_t row, const struct proto_fig *fig, uint32_t n)
{
	mg->cur_row = row;
	mg->cur_first_fig = mg->n_figs;
	mg->cur_prev = -1;
	for (uint32_t k = 0; k < n; k++) {
		buf_reset(&mg->text);
		buf_append(&mg->text, fig[k].column, fig[k].column_len);
		fig_add(&mg->fig, mg->text.data, fig[k].value);
	}
}

static void send_figures(struct merger *mg, uint32_t row, const struct proto_fig *fig,
			 uint32_t n);

void merger_figures(struct merger *mg, uint32_t row, const struct proto_figs *f,
		    const struct proto_fig *fig)
{
	if (mg->dead)
		return;
	if (mg->pid)
		send_figures(mg, row, fig + f->first, f->n);
	else
		figures_here(mg, row, fig + f->first, f->n);
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
	if (mg->p->global_complete && mg->p->global_complete(call(mg, NULL), mg->global))
		return log_error("processor \"%s\" could not complete its global result%s",
				 mg->p->name, proc_ctx_why(&mg->pc));
	return 0;
}

int merger_write(struct merger *mg, struct bpass_results *res)
{
	if (mg->p->write_results && mg->p->write_results(call(mg, NULL), mg->global, res))
		return log_error("processor \"%s\" could not write its results%s", mg->p->name,
				 proc_ctx_why(&mg->pc));
	return 0;
}

int merger_save(struct merger *mg, struct state_writer *data)
{
	state_writer_reset(data);
	if (!mg->p->global_save)
		return 1;
	if (mg->p->global_save(call(mg, NULL), mg->global, &data->w) ||
	    state_writer_finish(data))
		return log_error("processor \"%s\" could not save its global result%s%s%s",
				 mg->p->name, data->error ? ": " : "", data->error ? data->error : "",
				 proc_ctx_why(&mg->pc));
	return 0;
}

int merger_load(struct merger *mg, uint32_t version, const void *data, size_t len,
		const char *path)
{
	state_reader_reset(&mg->rd, data, len);
	if (!mg->p->global_load ||
	    mg->p->global_load(call(mg, NULL), mg->global, version, &mg->rd.r) || mg->rd.failed)
		return log_error("processor \"%s\" could not load its result (version %u) from "
				 "global result cache \"%s\"%s", mg->p->name, version, path,
				 proc_ctx_why(&mg->pc));
	return 0;
}

/* merger_finish in this process. */
static int finish_here(struct merger *mg, const char *dir, bool json, bool save)
{
	int rc = merger_complete(mg);
	if (rc == 0) {
		struct results res;
		rc = results_init(&res, dir, json);
		if (rc == 0 && (merger_write(mg, &res.r) || results_failed(&res) || res.open))
			rc = -1;
		results_release(&res);
	}
	if (rc == 0 && save) {
		struct state_writer data;
		state_writer_init(&data);
		int s = merger_save(mg, &data);
		if (s == 0) {
			buf_reset(&mg->saved);
			buf_append(&mg->saved, data.sbuf.data, data.sbuf.size);
			mg->has_saved = true;
		}
		state_writer_release(&data);
	}
	if (rc)
		mg->dead = true;
	return rc;
}

/* ---------------------------------------------------------------------------
 * Isolated: the process
 */

static void put_str(struct bpass_writer *w, const char *s)
{
	w->str(w, s, strlen(s));
}

static void put_problems(struct merger *mg, struct bpass_writer *w)
{
	w->array(w, mg->n_problems);
	for (uint32_t i = 0; i < mg->n_problems; i++) {
		w->array(w, 3);
		w->u64(w, mg->problems[i].row);
		w->u64(w, (uint64_t)mg->problems[i].kind);
		put_str(w, mg->problems[i].why);
		free(mg->problems[i].why);
	}
	mg->n_problems = 0;
}

/* Reads a string into a NUL-terminated copy. */
static int get_str(struct bpass_reader *r, struct buf *out)
{
	const char *s;
	size_t len;
	if (r->str(r, &s, &len) || memchr(s, 0, len))
		return -1;
	buf_reset(out);
	buf_append(out, s, len);
	return 0;
}

/* The next value as bin data (*p), or NULL for nil. Returns 0 or -1. */
static int get_bin_or_nil(struct state_reader *rd, const void **p, size_t *len)
{
	const msgpack_object *o = state_reader_next(rd);
	*p = NULL;
	*len = 0;
	if (!o)
		return -1;
	if (o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (o->type != MSGPACK_OBJECT_BIN) {
		rd->failed = true;
		return -1;
	}
	*p = o->via.bin.size ? o->via.bin.ptr : "";
	*len = o->via.bin.size;
	return 0;
}

/* Sends the payload in mg->msg as a frame of type to fd (blocking). */
static int reply(struct merger *mg, int fd, uint32_t type)
{
	if (state_writer_finish(&mg->msg))
		return -1;
	return proto_send(fd, type, mg->msg.sbuf.data, mg->msg.sbuf.size);
}

/* The DONE message: whether the tables are written, the figures in output
 * order, the problems, the saved bytes. */
static int reply_done(struct merger *mg, int fd, bool ok)
{
	struct bpass_writer *w = &mg->msg.w;
	state_writer_reset(&mg->msg);
	w->array(w, 5);
	w->boolean(w, ok);
	w->array(w, mg->n_order);
	uint32_t *pos = xcalloc(mg->n_columns + 1, sizeof(*pos));
	for (uint32_t k = 0; k < mg->n_order; k++) {
		put_str(w, mg->columns[mg->order[k]]);
		pos[mg->order[k]] = k;
	}
	w->array(w, 3 * mg->n_figs);
	for (uint32_t k = 0; k < mg->n_figs; k++) {
		w->u64(w, mg->figs[k].row);
		w->u64(w, pos[mg->figs[k].column]);
		w->i64(w, mg->figs[k].value);
	}
	free(pos);
	put_problems(mg, w);
	if (mg->has_saved)
		w->bin(w, mg->saved.data, mg->saved.len);
	else
		w->nil(w);
	return reply(mg, fd, MERGER_MSG_DONE);
}

/* The frames the process reads, buffered (many small sessions come at
 * once): one read(2) per buffer, not two per frame. */
struct frame_in {
	int fd;
	struct buf b;
	size_t off;                   /* start of the next frame in b */
};

/* Makes n bytes available from off. Returns 1, 0 at the end of the input
 * before any, -1 on an error or a frame cut short. */
static int fill(struct frame_in *in, size_t n)
{
	if (in->off > 0 && in->off + n > in->b.cap) {
		memmove(in->b.data, in->b.data + in->off, in->b.len - in->off);
		in->b.len -= in->off;
		in->off = 0;
	}
	while (in->b.len - in->off < n) {
		size_t want = n - (in->b.len - in->off);
		buf_reserve(&in->b, want < 65536 ? 65536 : want);
		ssize_t r = read(in->fd, in->b.data + in->b.len, in->b.cap - in->b.len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 && in->b.len == in->off ? 0 : -1;
		in->b.len += (size_t)r;
	}
	return 1;
}

/* The next frame: its type and payload (borrowed until the next call).
 * Returns 1, 0 at the end of the input, -1 otherwise. */
static int next_frame(struct frame_in *in, uint32_t *type, const char **payload, size_t *len)
{
	int rc = fill(in, 8);
	if (rc <= 0)
		return rc;
	const unsigned char *h = (const unsigned char *)in->b.data + in->off;
	*type = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
	uint32_t n = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 |
		     (uint32_t)h[7] << 24;
	if (n > PROTO_MAX_PAYLOAD || fill(in, 8 + (size_t)n) != 1)
		return -1;
	*payload = in->b.data + in->off + 8;
	*len = n;
	in->off += 8 + (size_t)n;
	return 1;
}

/* The process: the global result of p, fed by the parent over in, answering
 * on out. Returns its exit status. */
static int child_loop(struct merger *mg, const struct bpass_processor *p,
		      const struct proc_options *options, struct merger_slot *slot, int in, int out)
{
	if (merger_init(mg, p, options))
		return MERGER_EXIT_INIT;
	struct state_reader rd;
	state_reader_init(&rd);
	struct bpass_reader *r = &rd.r;
	struct frame_in fin = {.fd = in};
	struct buf node, context, dir;
	buf_init(&fin.b);
	buf_init(&node);
	buf_init(&context);
	buf_init(&dir);
	int status = 1;
	bool broken = false;          /* a partial could not be combined: no tables */
	for (;;) {
		uint32_t type, n;
		const char *payload;
		size_t len_payload;
		if (next_frame(&fin, &type, &payload, &len_payload) != 1)
			break;                       /* the parent is gone */
		state_reader_reset(&rd, payload, len_payload);
		if (type == MERGER_MSG_SESSION) {
			uint64_t row, version;
			int64_t sid;
			const void *data, *eph = NULL;
			size_t len, eph_len = 0;
			bool figures = true;
			if (r->array(r, &n) || n < 7 || n > 8 || r->u64(r, &row) || get_str(r, &node) ||
			    get_str(r, &context) || r->i64(r, &sid) || r->u64(r, &version) ||
			    r->bin(r, &data, &len))
				break;
			if (get_bin_or_nil(&rd, &eph, &eph_len) || (n == 8 && r->boolean(r, &figures)))
				break;
			struct state_entry e = {.version = (uint32_t)version, .data = data,
						.data_len = len};
			struct bpass_session_key key = {node.data, context.data, sid};
			snprintf(slot->node_id, sizeof(slot->node_id), "%s", node.data);
			snprintf(slot->context, sizeof(slot->context), "%s", context.data);
			slot->session_id = sid;
			slot->phase = MERGER_MERGING;
			session_here(mg, (uint32_t)row, &key, &e, eph, eph_len, figures);
			slot->phase = MERGER_IDLE;
		} else if (type == MERGER_MSG_PARTIAL) {
			uint64_t version;
			const void *data;
			size_t len;
			if (r->array(r, &n) || n != 2 || r->u64(r, &version) || version > UINT32_MAX ||
			    r->bin(r, &data, &len))
				break;
			slot->phase = MERGER_MERGING;
			slot->node_id[0] = slot->context[0] = 0;
			slot->session_id = 0;
			if (!broken && combine_here(mg, (uint32_t)version, data, len))
				broken = true;
			slot->phase = MERGER_IDLE;
		} else if (type == MERGER_MSG_FIGURES) {
			uint64_t row;
			uint32_t m;
			if (r->array(r, &n) || n != 2 || r->u64(r, &row) || r->array(r, &m) || m % 2)
				break;
			struct proto_fig *fig = xcalloc(m / 2 + 1, sizeof(*fig));
			for (uint32_t k = 0; k < m / 2; k++)
				if (r->str(r, &fig[k].column, &fig[k].column_len) ||
				    r->i64(r, &fig[k].value))
					m = 0;
			if (rd.failed || row > UINT32_MAX) {
				free(fig);
				break;
			}
			figures_here(mg, (uint32_t)row, fig, m / 2);
			free(fig);
		} else if (type == MERGER_MSG_REPORT) {
			state_writer_reset(&mg->msg);
			put_problems(mg, &mg->msg.w);
			if (reply(mg, out, MERGER_MSG_PROBLEMS))
				break;
		} else if (type == MERGER_MSG_FINISH) {
			bool json, save;
			if (r->array(r, &n) || n != 3 || get_str(r, &dir) || r->boolean(r, &json) ||
			    r->boolean(r, &save))
				break;
			slot->phase = MERGER_COMPLETING;
			int rc = broken ? -1 : merger_complete(mg);
			if (rc == 0) {
				slot->phase = MERGER_WRITING;
				struct results res;
				rc = results_init(&res, dir.data, json);
				if (rc == 0 && (merger_write(mg, &res.r) || results_failed(&res) || res.open))
					rc = -1;
				results_release(&res);
			}
			if (rc == 0 && save) {
				slot->phase = MERGER_SAVING;
				struct state_writer data;
				state_writer_init(&data);
				if (merger_save(mg, &data) == 0) {
					buf_append(&mg->saved, data.sbuf.data, data.sbuf.size);
					mg->has_saved = true;
				}
				state_writer_release(&data);
			}
			slot->phase = MERGER_IDLE;
			status = reply_done(mg, out, rc == 0) ? 1 : 0;
			break;
		} else {
			log_error("processor \"%s\": unexpected message (type %u) for its global result",
				  p->name, type);
			break;
		}
	}
	state_reader_release(&rd);
	buf_release(&fin.b);
	buf_release(&node);
	buf_release(&context);
	buf_release(&dir);
	merger_release(mg);
	return status;
}

int merger_start(struct merger *mg, const struct bpass_processor *p,
		 const struct merger_options *o)
{
	setup(mg, p);
	mg->pc.options = o->options;
	mg->timeout_s = o->timeout_s;
	void *m = mmap(NULL, sizeof(*mg->slot), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	if (m == MAP_FAILED)
		return log_error("could not start the global result of processor \"%s\": %s", p->name,
				 strerror(errno));
	mg->slot = m;
	memset(mg->slot, 0, sizeof(*mg->slot));
	int cmd[2], res[2];
	if (pipe2(cmd, O_CLOEXEC))
		return log_error("could not start the global result of processor \"%s\": %s", p->name,
				 strerror(errno));
	if (pipe2(res, O_CLOEXEC)) {
		int e = errno;
		close(cmd[0]);
		close(cmd[1]);
		return log_error("could not start the global result of processor \"%s\": %s", p->name,
				 strerror(e));
	}
	/* Room for many sessions before the parent waits for the process. */
	fcntl(cmd[1], F_SETPIPE_SZ, 1 << 20);
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(cmd[0]);
		close(cmd[1]);
		close(res[0]);
		close(res[1]);
		return log_error("could not start the global result of processor \"%s\": %s", p->name,
				 strerror(e));
	}
	if (pid == 0) {
		/* It dies with the parent, whatever it is doing. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = SIG_DFL;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGCHLD, &sa, NULL);
		/* A ^C on the terminal is the parent's to handle: it stops the run
		 * and ends this process. */
		sa.sa_handler = SIG_IGN;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGPIPE, &sa, NULL);
		for (uint32_t i = 0; i < o->n_close_fds; i++)
			if (o->close_fds[i] >= 0)
				close(o->close_fds[i]);
		close(cmd[1]);
		close(res[0]);
		log_set_quiet(true);
		/* States of every size come and go: keep freed memory for the next
		 * one instead of giving it back and faulting it in again. */
		mallopt(M_MMAP_THRESHOLD, 64 << 20);
		mallopt(M_TRIM_THRESHOLD, 256 << 20);
		struct merger_slot *slot = mg->slot;
		struct merger *child = xmalloc(sizeof(*child));
		int status = child_loop(child, p, o->options, slot, cmd[0], res[1]);
		free(child);
		fflush(stdout);
		fflush(stderr);
		exit(status);
	}
	close(cmd[0]);
	close(res[1]);
	mg->pid = pid;
	mg->to = cmd[1];
	mg->from = res[0];
	fcntl(mg->to, F_SETFL, fcntl(mg->to, F_GETFL) | O_NONBLOCK);
	return 0;
}

void merger_close_fds(struct merger *mg)
{
	if (mg->to >= 0)
		close(mg->to);
	if (mg->from >= 0)
		close(mg->from);
	mg->to = mg->from = -1;
	mg->pid = 0;
}

/* ---------------------------------------------------------------------------
 * Isolated: the parent's side
 */

/*
 * The process is gone, or hung (then killed): says so, naming what it was
 * doing, and the merger is dead.
 */
static void lost(struct merger *mg, bool hung)
{
	if (!mg->pid)
		return;
	kill(mg->pid, SIGKILL);
	int status = 0;
	pid_t r;
	do
		r = waitpid(mg->pid, &status, 0);
	while (r < 0 && errno == EINTR);
	buf_reset(&mg->text);
	buf_printf(&mg->text, "processor \"%s\" ", mg->p->name);
	const struct merger_slot *s = mg->slot;
	if (hung)
		buf_printf(&mg->text, "took longer than %u s", mg->timeout_s);
	else if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == MERGER_EXIT_INIT)
		buf_puts(&mg->text, "could not create its global result");
	else if (r > 0 && WIFSIGNALED(status))
		buf_printf(&mg->text, "died on signal %d", WTERMSIG(status));
	else if (r > 0)
		buf_printf(&mg->text, "ended with status %d", WEXITSTATUS(status));
	else
		buf_puts(&mg->text, "ended");
	switch (s->phase) {
	case MERGER_MERGING:
		buf_puts(&mg->text, " while merging session ");
		session_key_format(&(struct bpass_session_key){s->node_id, s->context, s->session_id},
				   &mg->text);
		break;
	case MERGER_COMPLETING:
		buf_puts(&mg->text, " while completing its global result");
		break;
	case MERGER_WRITING:
		buf_puts(&mg->text, " while writing its results");
		break;
	case MERGER_SAVING:
		buf_puts(&mg->text, " while saving its global result");
		break;
	}
	log_error("%s%s: its tables are left out", mg->text.data, hung ? " (killed)" : "");
	mg->pid = 0;
	mg->dead = true;
	close(mg->to);
	close(mg->from);
	mg->to = mg->from = -1;
}

/* Waits until fd is ready for events, up to the time limit. Returns 1, 0
 * on time out, -1 on error. */
static int wait_fd(struct merger *mg, int fd, short events)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int ms = mg->timeout_s ? (int)(mg->timeout_s > 2000000 ? 2000000000 : mg->timeout_s * 1000)
			       : -1;
	for (;;) {
		int n = poll(&pfd, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -1 : n > 0;
	}
}

/* Writes the n_iov buffers of iov to the process (one system call when the
 * pipe has room); a full pipe is waited for, up to the time limit. Returns
 * 0, or -1 after lost(). */
static int send_iov(struct merger *mg, struct iovec *iov, int n_iov)
{
	while (n_iov > 0) {
		ssize_t w = writev(mg->to, iov, n_iov);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			int rc = wait_fd(mg, mg->to, POLLOUT);
			if (rc > 0)
				continue;
			lost(mg, rc == 0);
			return -1;
		}
		if (w < 0) {
			lost(mg, false);
			return -1;
		}
		proto_iov_advance(&iov, &n_iov, (size_t)w);
	}
	return 0;
}

/* Sends mg->msg's payload (none when !payload) as a frame of type. Returns
 * 0, or -1 (reported; after lost() when the process is gone). */
static int send_msg(struct merger *mg, uint32_t type, bool payload)
{
	if (payload && state_writer_finish(&mg->msg))
		return log_error("could not encode a message for processor \"%s\": %s", mg->p->name,
				 mg->msg.error);
	size_t len = payload ? mg->msg.sbuf.size : 0;
	unsigned char head[8];
	for (int i = 0; i < 4; i++) {
		head[i] = (unsigned char)(type >> (8 * i));
		head[4 + i] = (unsigned char)(len >> (8 * i));
	}
	struct iovec iov[2] = {
		{.iov_base = head, .iov_len = sizeof(head)},
		{.iov_base = payload ? mg->msg.sbuf.data : NULL, .iov_len = len},
	};
	return send_iov(mg, iov, len ? 2 : 1);
}

/* Receives a frame of type want into mg->frame, waiting up to the time
 * limit. Returns 0, or -1 after lost(). */
static int recv_msg(struct merger *mg, uint32_t want)
{
	int rc = wait_fd(mg, mg->from, POLLIN);
	if (rc <= 0) {
		lost(mg, rc == 0);
		return -1;
	}
	uint32_t type;
	if (proto_recv(mg->from, &type, &mg->frame, NULL) != 1 || type != want) {
		lost(mg, false);
		return -1;
	}
	return 0;
}

static void send_session(struct merger *mg, uint32_t row, const struct bpass_session_key *key,
			 const struct state_entry *e, const void *eph, size_t eph_len,
			 bool figures)
{
	struct bpass_writer *w = &mg->msg.w;
	state_writer_reset(&mg->msg);
	w->array(w, figures ? 7 : 8);
	w->u64(w, row);
	put_str(w, key->node_id);
	put_str(w, key->context);
	w->i64(w, key->session_id);
	w->u64(w, e->version);
	w->bin(w, e->data, e->data_len);
	if (eph)
		w->bin(w, eph, eph_len);
	else
		w->nil(w);
	if (!figures)
		w->boolean(w, false);
	send_msg(mg, MERGER_MSG_SESSION, true);
}

static void send_figures(struct merger *mg, uint32_t row, const struct proto_fig *fig,
			 uint32_t n)
{
	struct bpass_writer *w = &mg->msg.w;
	state_writer_reset(&mg->msg);
	w->array(w, 2);
	w->u64(w, row);
	w->array(w, 2 * n);
	for (uint32_t k = 0; k < n; k++) {
		w->str(w, fig[k].column, fig[k].column_len);
		w->i64(w, fig[k].value);
	}
	send_msg(mg, MERGER_MSG_FIGURES, true);
}

/* Appends the problems [[row, kind, why]...] read from r. */
static int get_problems(struct merger *mg, struct bpass_reader *r)
{
	uint32_t n, three;
	if (r->array(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t row, kind;
		if (r->array(r, &three) || three != 3 || r->u64(r, &row) || r->u64(r, &kind) ||
		    get_str(r, &mg->text) || row > UINT32_MAX)
			return -1;
		xgrow((void **)&mg->problems, &mg->cap_problems, mg->n_problems + 1,
		      sizeof(*mg->problems));
		mg->problems[mg->n_problems++] =
			(struct merger_problem){(uint32_t)row, (int)kind, xstrdup(mg->text.data)};
	}
	return 0;
}

int merger_ask(struct merger *mg)
{
	if (mg->dead)
		return -1;
	if (!mg->pid || mg->asked)
		return 0;
	if (send_msg(mg, MERGER_MSG_REPORT, false))
		return -1;
	mg->asked = true;
	return 0;
}

int merger_sync(struct merger *mg)
{
	if (merger_ask(mg))
		return -1;
	if (!mg->pid)
		return 0;
	mg->asked = false;
	if (recv_msg(mg, MERGER_MSG_PROBLEMS))
		return -1;
	state_reader_reset(&mg->rd, mg->frame.data, mg->frame.len);
	if (get_problems(mg, &mg->rd.r) || mg->rd.failed) {
		log_error("could not read the problems of processor \"%s\"", mg->p->name);
		lost(mg, false);
		return -1;
	}
	return 0;
}

/* Reads the DONE message: figures, problems, saved bytes. Returns whether
 * the tables were written, or -1 when it cannot be read. */
static int get_done(struct merger *mg)
{
	struct bpass_reader *r = &mg->rd.r;
	state_reader_reset(&mg->rd, mg->frame.data, mg->frame.len);
	uint32_t n, cols, figs;
	bool ok;
	if (r->array(r, &n) || n != 5 || r->boolean(r, &ok) || r->array(r, &cols))
		return -1;
	for (uint32_t k = 0; k < cols; k++) {
		if (get_str(r, &mg->text))
			return -1;
		add_column(mg, mg->text.data, (int32_t)mg->n_order - 1);
	}
	if (r->array(r, &figs) || figs % 3)
		return -1;
	for (uint32_t k = 0; k < figs / 3; k++) {
		uint64_t row, col;
		int64_t v;
		if (r->u64(r, &row) || r->u64(r, &col) || r->i64(r, &v) || row > UINT32_MAX ||
		    col >= cols)
			return -1;
		xgrow((void **)&mg->figs, &mg->cap_figs, mg->n_figs + 1, sizeof(*mg->figs));
		mg->figs[mg->n_figs++] = (struct merger_fig){(uint32_t)row, (uint32_t)col, v};
	}
	if (get_problems(mg, r))
		return -1;
	const void *saved;
	size_t len;
	if (get_bin_or_nil(&mg->rd, &saved, &len))
		return -1;
	mg->has_saved = saved != NULL;
	buf_reset(&mg->saved);
	if (saved)
		buf_append(&mg->saved, saved, len);
	return mg->rd.failed ? -1 : ok;
}

int merger_finish_start(struct merger *mg, const char *dir, bool json, bool save)
{
	if (mg->dead)
		return -1;
	if (!mg->pid) {
		mg->finished = finish_here(mg, dir, json, save) == 0 ? 1 : -1;
		return 0;
	}
	struct bpass_writer *w = &mg->msg.w;
	state_writer_reset(&mg->msg);
	w->array(w, 3);
	put_str(w, dir);
	w->boolean(w, json);
	w->boolean(w, save);
	return send_msg(mg, MERGER_MSG_FINISH, true);
}

int merger_finish_wait(struct merger *mg)
{
	if (mg->dead)
		return -1;
	if (!mg->pid)
		return mg->finished == 1 ? 0 : -1;
	if (recv_msg(mg, MERGER_MSG_DONE))
		return -1;
	int ok = get_done(mg);
	int status = 0;
	while (waitpid(mg->pid, &status, 0) < 0 && errno == EINTR)
		;
	mg->pid = 0;
	close(mg->to);
	close(mg->from);
	mg->to = mg->from = -1;
	if (ok < 0)
		log_error("could not read the result of processor \"%s\": its tables are left out",
			  mg->p->name);
	if (ok != 1) {
		/* complete or write failed: said in its process */
		mg->dead = true;
		return -1;
	}
	return 0;
}

int merger_finish(struct merger *mg, const char *dir, bool json, bool save)
{
	if (merger_finish_start(mg, dir, json, save))
		return -1;
	return merger_finish_wait(mg);
}
