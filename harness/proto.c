/*
 * harness/proto.c: framing and the payloads of the parent-worker messages
 * (see proto.h).
 */
#include "proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void proto_iov_advance(struct iovec **iov, int *n_iov, size_t done)
{
	struct iovec *v = *iov;
	while (*n_iov > 0 && done >= v->iov_len) {
		done -= v->iov_len;
		v++;
		(*n_iov)--;
	}
	if (*n_iov > 0) {
		v->iov_base = (char *)v->iov_base + done;
		v->iov_len -= done;
	}
	*iov = v;
}

int proto_send(int fd, uint32_t type, const void *payload, size_t len)
{
	if (len > PROTO_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	unsigned char head[8];
	put_le32(head, type);
	put_le32(head + 4, (uint32_t)len);
	struct iovec iov[2] = {
		{.iov_base = head, .iov_len = sizeof(head)},
		{.iov_base = (void *)payload, .iov_len = len},
	};
	int n_iov = len ? 2 : 1;
	struct iovec *v = iov;
	while (n_iov > 0) {
		ssize_t n = writev(fd, v, n_iov);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		proto_iov_advance(&v, &n_iov, (size_t)n);
	}
	return 0;
}

/* Reads exactly len bytes. Returns 1, 0 on EOF before the first byte, -1 otherwise. */
static int read_full(int fd, void *p, size_t len, volatile sig_atomic_t *stop)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)p + got, len - got);
		if (n < 0) {
			if (errno == EINTR && !(stop && *stop))
				continue;
			return -1;
		}
		if (n == 0) {
			if (got == 0)
				return 0;
			errno = EPIPE;
			return -1;
		}
		got += (size_t)n;
	}
	return 1;
}

int proto_recv(int fd, uint32_t *type, struct buf *payload, volatile sig_atomic_t *stop)
{
	unsigned char head[8];
	buf_reset(payload);
	int rc = read_full(fd, head, sizeof(head), stop);
	if (rc <= 0)
		return rc;
	*type = get_le32(head);
	uint32_t len = get_le32(head + 4);
	if (len > PROTO_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	buf_reserve(payload, len);
	if (len && read_full(fd, payload->data, len, stop) != 1) {
		if (errno == 0)
			errno = EPIPE;
		return -1;
	}
	payload->len = len;
	payload->data[len] = 0;
	return 1;
}

/* ---------------------------------------------------------------------------
 * Payloads
 */

static void put_str(struct bpass_writer *w, const char *s)
{
	w->str(w, s, strlen(s));
}

void proto_session_encode(struct state_writer *sw, const struct bpass_session_key *key)
{
	struct bpass_writer *w = &sw->w;
	w->array(w, 3);
	put_str(w, key->node_id);
	put_str(w, key->context);
	w->i64(w, key->session_id);
}

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

int proto_session_decode(struct state_reader *rd, const void *p, size_t len, struct buf *node,
			 struct buf *context, int64_t *session_id)
{
	struct bpass_reader *r = &rd->r;
	uint32_t n;
	state_reader_reset(rd, p, len);
	if (r->array(r, &n) || n != 3 || get_str(r, node) || get_str(r, context) ||
	    r->i64(r, session_id) || !r->at_end(r))
		return -1;
	return 0;
}

void proto_result_head(struct state_writer *sw, const struct bpass_session_key *key,
		       const struct proto_result *res, const void *state, size_t state_len,
		       uint32_t n_eph)
{
	struct bpass_writer *w = &sw->w;
	bool reason = res->reason.len > 0, merge_error = res->merge_error.len > 0;
	w->map(w, 9 + reason + merge_error);
	put_str(w, "node_id");
	put_str(w, key->node_id);
	put_str(w, "context");
	put_str(w, key->context);
	put_str(w, "session_id");
	w->i64(w, key->session_id);
	put_str(w, "status");
	w->u64(w, (uint64_t)res->status);
	put_str(w, "updates");
	w->u64(w, res->updates);
	put_str(w, "last_seq");
	w->i64(w, res->last_seq);
	put_str(w, "missing_seq");
	w->i64(w, res->missing_seq);
	put_str(w, "recomputed");
	w->u64(w, res->recomputed);
	put_str(w, "saved");
	w->boolean(w, res->saved);
	if (reason) {
		put_str(w, "reason");
		put_str(w, res->reason.data);
	}
	if (merge_error) {
		put_str(w, "merge_error");
		put_str(w, res->merge_error.data);
	}
	if (state)
		w->bin(w, state, state_len);
	else
		w->nil(w);
	w->array(w, n_eph);
}

void proto_result_eph(struct state_writer *sw, const char *name, const void *data, size_t len)
{
	struct bpass_writer *w = &sw->w;
	w->array(w, 2);
	put_str(w, name);
	w->bin(w, data, len);
}

void proto_result_figs_head(struct state_writer *sw, uint32_t n_procs)
{
	sw->w.array(&sw->w, n_procs);
}

void proto_result_figs(struct state_writer *sw, const char *name, uint32_t n)
{
	struct bpass_writer *w = &sw->w;
	w->array(w, 2);
	put_str(w, name);
	w->array(w, 2 * n);
}

void proto_result_fig(struct state_writer *sw, const char *column, size_t column_len,
		      int64_t value)
{
	sw->w.str(&sw->w, column, column_len);
	sw->w.i64(&sw->w, value);
}

void proto_result_merged(struct state_writer *sw, const char *const *names, uint32_t n)
{
	sw->w.array(&sw->w, n);
	for (uint32_t i = 0; i < n; i++)
		put_str(&sw->w, names[i]);
}

bool proto_result_was_merged(const struct proto_result *r, const char *name)
{
	size_t len = strlen(name);
	for (uint32_t i = 0; i < r->n_merged; i++)
		if (r->merged[i].len == len && !memcmp(r->merged[i].name, name, len))
			return true;
	return false;
}

const struct proto_figs *proto_result_find_figs(const struct proto_result *r, const char *name)
{
	size_t len = strlen(name);
	for (uint32_t i = 0; i < r->n_figs; i++)
		if (r->figs[i].name_len == len && !memcmp(r->figs[i].name, name, len))
			return &r->figs[i];
	return NULL;
}

void proto_result_init(struct proto_result *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->node_id);
	buf_init(&r->context);
	buf_init(&r->reason);
	buf_init(&r->merge_error);
	state_reader_init(&r->rd);
}

void proto_result_release(struct proto_result *r)
{
	buf_release(&r->node_id);
	buf_release(&r->context);
	buf_release(&r->reason);
	buf_release(&r->merge_error);
	free(r->merged);
	free(r->eph);
	free(r->figs);
	free(r->fig);
	state_reader_release(&r->rd);
	memset(r, 0, sizeof(*r));
}

int proto_result_decode(struct proto_result *res, const void *p, size_t len)
{
	struct bpass_reader *r = &res->rd.r;
	state_reader_reset(&res->rd, p, len);
	res->n_eph = 0;
	res->n_figs = res->n_fig = 0;
	res->n_merged = 0;
	res->state = NULL;
	res->state_len = 0;
	buf_reset(&res->reason);
	buf_reset(&res->merge_error);
	uint32_t n;
	if (r->map(r, &n))
		return -1;
	uint32_t seen = 0;
	for (uint32_t i = 0; i < n; i++) {
		const char *k;
		size_t kl;
		if (r->str(r, &k, &kl))
			return -1;
#define KEY(s) (kl == sizeof(s) - 1 && !memcmp(k, s, kl))
		int64_t v;
		uint64_t u;
		int rc;
		if (KEY("node_id")) {
			rc = get_str(r, &res->node_id);
			seen |= 1;
		} else if (KEY("context")) {
			rc = get_str(r, &res->context);
			seen |= 2;
		} else if (KEY("session_id")) {
			rc = r->i64(r, &res->session_id);
			seen |= 4;
		} else if (KEY("status")) {
			rc = r->u64(r, &u) || u > PROTO_FAILED;
			res->status = (int)u;
			seen |= 8;
		} else if (KEY("updates")) {
			rc = r->u64(r, &res->updates);
		} else if (KEY("last_seq")) {
			rc = r->i64(r, &v) || v < -1 || v > INT32_MAX;
			res->last_seq = (int32_t)v;
		} else if (KEY("missing_seq")) {
			rc = r->i64(r, &v) || v < -1 || v > INT32_MAX;
			res->missing_seq = (int32_t)v;
		} else if (KEY("recomputed")) {
			rc = r->u64(r, &u) || u > UINT32_MAX;
			res->recomputed = (uint32_t)u;
		} else if (KEY("saved")) {
			rc = r->boolean(r, &res->saved);
		} else if (KEY("reason")) {
			rc = get_str(r, &res->reason);
		} else if (KEY("merge_error")) {
			rc = get_str(r, &res->merge_error);
		} else {
			/* Unknown keys are skipped (their value must be a scalar or nil here). */
			rc = state_reader_next(&res->rd) ? 0 : -1;
		}
#undef KEY
		if (rc)
			return -1;
	}
	if (seen != 15)
		return -1;
	/* Value 2: the container or nil. */
	const msgpack_object *o = state_reader_next(&res->rd);
	if (!o || (o->type != MSGPACK_OBJECT_BIN && o->type != MSGPACK_OBJECT_NIL))
		return -1;
	if (o->type == MSGPACK_OBJECT_BIN) {
		res->state = o->via.bin.size ? o->via.bin.ptr : "";
		res->state_len = o->via.bin.size;
	}
	/* Value 3: the ephemeral states. */
	uint32_t n_eph;
	if (r->array(r, &n_eph))
		return -1;
	for (uint32_t i = 0; i < n_eph; i++) {
		uint32_t two;
		struct proto_eph e;
		if (r->array(r, &two) || two != 2 || r->str(r, &e.name, &e.name_len) ||
		    r->bin(r, &e.data, &e.len))
			return -1;
		xgrow((void **)&res->eph, &res->cap_eph, res->n_eph + 1, sizeof(*res->eph));
		res->eph[res->n_eph++] = e;
	}
	/* Value 4 (optional): the figures. */
	if (r->at_end(r))
		return 0;
	uint32_t n_procs;
	if (r->array(r, &n_procs))
		return -1;
	for (uint32_t i = 0; i < n_procs; i++) {
		uint32_t two, m;
		struct proto_figs f;
		if (r->array(r, &two) || two != 2 || r->str(r, &f.name, &f.name_len) ||
		    r->array(r, &m) || m % 2)
			return -1;
		f.first = res->n_fig;
		f.n = m / 2;
		for (uint32_t k = 0; k < f.n; k++) {
			struct proto_fig g;
			if (r->str(r, &g.column, &g.column_len) || r->i64(r, &g.value))
				return -1;
			xgrow((void **)&res->fig, &res->cap_fig, res->n_fig + 1, sizeof(*res->fig));
			res->fig[res->n_fig++] = g;
		}
		xgrow((void **)&res->figs, &res->cap_figs, res->n_figs + 1, sizeof(*res->figs));
		res->figs[res->n_figs++] = f;
	}
	/* Value 5 (optional): the processors merged in the worker. */
	if (r->at_end(r))
		return 0;
	uint32_t n_merged;
	if (r->array(r, &n_merged))
		return -1;
	for (uint32_t i = 0; i < n_merged; i++) {
		struct proto_name nm;
		if (r->str(r, &nm.name, &nm.len))
			return -1;
		xgrow((void **)&res->merged, &res->cap_merged, res->n_merged + 1,
		      sizeof(*res->merged));
		res->merged[res->n_merged++] = nm;
	}
	return r->at_end(r) ? 0 : -1;
}

void proto_partial_head(struct state_writer *sw, uint32_t n)
{
	sw->w.array(&sw->w, n);
}

void proto_partial_one(struct state_writer *sw, const char *name, uint32_t version,
		       const void *data, size_t len)
{
	struct bpass_writer *w = &sw->w;
	w->array(w, 3);
	put_str(w, name);
	w->u64(w, version);
	if (data)
		w->bin(w, data, len);
	else
		w->nil(w);
}

int proto_partial_decode(struct state_reader *rd, const void *p, size_t len,
			 struct proto_part **parts, uint32_t *n)
{
	struct bpass_reader *r = &rd->r;
	*parts = NULL;
	*n = 0;
	state_reader_reset(rd, p, len);
	uint32_t count;
	if (r->array(r, &count) || count > len)
		return -1;
	struct proto_part *a = xcalloc(count + 1, sizeof(*a));
	for (uint32_t i = 0; i < count; i++) {
		uint32_t three;
		uint64_t version;
		if (r->array(r, &three) || three != 3 || r->str(r, &a[i].name, &a[i].name_len) ||
		    r->u64(r, &version) || version > UINT32_MAX)
			goto bad;
		a[i].version = (uint32_t)version;
		const msgpack_object *o = state_reader_next(rd);
		if (!o || (o->type != MSGPACK_OBJECT_BIN && o->type != MSGPACK_OBJECT_NIL))
			goto bad;
		if (o->type == MSGPACK_OBJECT_BIN) {
			a[i].data = o->via.bin.size ? o->via.bin.ptr : "";
			a[i].len = o->via.bin.size;
		}
	}
	if (!r->at_end(r))
		goto bad;
	*parts = a;
	*n = count;
	return 0;
bad:
	free(a);
	return -1;
}
