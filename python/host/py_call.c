/*
 * python/host/py_call.c: the callbacks of a Python processor's descriptor.
 * Each finds its processor by name (ctx->processor), points the processor's
 * Context object at ctx, calls the Python callback and turns an exception
 * into ctx->error with the last lines of its traceback (the call then
 * returns -1, or NULL from a *_new): bpass fails that session for that
 * processor, as for a C processor. A callback returning something other
 * than None replaces the state or result it was given.
 *
 * Saved form of a state (save, ephemeral_save, global_save): one msgpack
 * bin, the msgpack encoding of the Python value (py_pack.c).
 */
#include "py_host.h"

#include <stdlib.h>
#include <string.h>

static struct py_value *value_new(PyObject *v)
{
	struct py_value *h = malloc(sizeof(*h));
	if (!h)
		abort();
	h->v = v;
	return h;
}

static void value_free(struct bpass_ctx *ctx, void *p)
{
	(void)ctx;
	struct py_value *h = p;
	if (h) {
		Py_XDECREF(h->v);
		free(h);
	}
}

static PyObject *val(const void *p)
{
	const struct py_value *h = p;
	return h ? h->v : Py_None;
}

/* Replaces h's value by r unless r is None; consumes r. */
static void replace(void *p, PyObject *r)
{
	struct py_value *h = p;
	if (h && r != Py_None)
		Py_SETREF(h->v, r);
	else
		Py_DECREF(r);
}

/* Calls callback cb of ctx's processor with (Context, args...). Returns a
 * new reference, or NULL after ctx->error. */
static PyObject *call(struct bpass_ctx *ctx, const void *eph, enum py_cb cb,
		      PyObject *a1, PyObject *a2, PyObject *a3)
{
	struct py_proc *pp = py_find(ctx->processor);
	if (!pp) {
		ctx->error(ctx, "no Python processor \"%s\" in this process", ctx->processor);
		return NULL;
	}
	PyObject *args[4];
	size_t n = 0;
	args[n++] = py_ctx_enter(pp, ctx, (struct py_value *)eph);
	if (a1)
		args[n++] = a1;
	if (a2)
		args[n++] = a2;
	if (a3)
		args[n++] = a3;
	PY_LSAN_OFF();
	PyObject *r = PyObject_Vectorcall(pp->cb[cb], args, n, NULL);
	py_ctx_leave(pp);
	if (!r)
		py_fail(ctx);
	PY_LSAN_ON();
	return r;
}

static struct py_proc *proc(struct bpass_ctx *ctx)
{
	return py_find(ctx->processor);
}

static void *cb_new(struct bpass_ctx *ctx, enum py_cb cb)
{
	PyObject *r = call(ctx, NULL, cb, NULL, NULL, NULL);
	return r ? value_new(r) : NULL;
}

static void *cb_session_new(struct bpass_ctx *ctx)
{
	return cb_new(ctx, PY_CB_SESSION_NEW);
}

static void *cb_ephemeral_new(struct bpass_ctx *ctx)
{
	return cb_new(ctx, PY_CB_EPHEMERAL_NEW);
}

static void *cb_global_new(struct bpass_ctx *ctx)
{
	return cb_new(ctx, PY_CB_GLOBAL_NEW);
}

static int cb_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	PyObject *up = py_update_new(ctx, u);
	if (!up)
		return py_fail(ctx);
	PyObject *r = call(ctx, eph, PY_CB_PROCESS, val(state), up, NULL);
	py_update_kill(up);
	if (!r)
		return -1;
	replace(state, r);
	return 0;
}

static int cb_session_complete(struct bpass_ctx *ctx, void *state, void *eph)
{
	PyObject *r = call(ctx, eph, PY_CB_SESSION_COMPLETE, val(state), NULL, NULL);
	if (!r)
		return -1;
	replace(state, r);
	return 0;
}

/* Writes v (through the processor's hook cb, when it has one) as one bin. */
static int save_value(struct bpass_ctx *ctx, enum py_cb cb, const void *h, struct bpass_writer *w)
{
	PyObject *v = val(h);
	Py_INCREF(v);
	if (cb != PY_CB_N && proc(ctx)->cb[cb]) {
		Py_SETREF(v, call(ctx, NULL, cb, v, NULL, NULL));
		if (!v)
			return -1;
	}
	PyObject *data = py_pack(v);
	Py_DECREF(v);
	if (!data)
		return py_fail(ctx);
	w->bin(w, PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data));
	Py_DECREF(data);
	return 0;
}

/* Reads what save_value wrote into h: through the processor's hook cb, or
 * as it is when saved by this version (another version is declined). */
static int load_value(struct bpass_ctx *ctx, enum py_cb cb, void *h, uint32_t saved_version,
		      struct bpass_reader *r)
{
	const void *p;
	size_t len;
	if (r->bin(r, &p, &len)) {
		ctx->error(ctx, "the saved state is not a Python processor's");
		return -1;
	}
	struct py_proc *pp = proc(ctx);
	if (cb != PY_CB_N && !pp->cb[cb] && saved_version != pp->desc.version)
		return -1;   /* nothing to upgrade it: recomputed */
	PyObject *v = py_unpack(p, len);
	if (!v)
		return py_fail(ctx);
	if (cb != PY_CB_N && pp->cb[cb]) {
		PyObject *ver = PyLong_FromUnsignedLong(saved_version);
		PyObject *nv = ver ? call(ctx, NULL, cb, v, ver, NULL) : NULL;
		Py_XDECREF(ver);
		Py_DECREF(v);
		if (!nv)
			return -1;   /* a Decline, or another exception: recomputed */
		v = nv;
	}
	Py_SETREF(((struct py_value *)h)->v, v);
	return 0;
}

static int cb_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	return save_value(ctx, PY_CB_SAVE, state, w);
}

static int cb_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		   struct bpass_reader *r)
{
	return load_value(ctx, PY_CB_LOAD, state, saved_version, r);
}

static int cb_ephemeral_save(struct bpass_ctx *ctx, const void *eph, struct bpass_writer *w)
{
	return save_value(ctx, PY_CB_N, eph, w);
}

static int cb_ephemeral_load(struct bpass_ctx *ctx, void *eph, struct bpass_reader *r)
{
	return load_value(ctx, PY_CB_N, eph, 0, r);
}

static int cb_global_save(struct bpass_ctx *ctx, const void *g, struct bpass_writer *w)
{
	return save_value(ctx, PY_CB_GLOBAL_SAVE, g, w);
}

static int cb_global_load(struct bpass_ctx *ctx, void *g, uint32_t saved_version,
			  struct bpass_reader *r)
{
	return load_value(ctx, PY_CB_GLOBAL_LOAD, g, saved_version, r);
}

static int cb_session_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
			      struct bpass_figures *f)
{
	PyObject *r = call(ctx, eph, PY_CB_SESSION_FIGURES, val(state), val(eph), NULL);
	if (!r)
		return -1;
	if (r == Py_None) {
		Py_DECREF(r);
		return 0;
	}
	if (!PyDict_Check(r)) {
		Py_DECREF(r);
		ctx->error(ctx, "session_figures must return a dict of column names and ints");
		return -1;
	}
	PyObject *k, *v;
	Py_ssize_t pos = 0;
	while (PyDict_Next(r, &pos, &k, &v)) {
		const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
		long long x = name ? PyLong_AsLongLong(v) : 0;
		if (!name || (x == -1 && PyErr_Occurred())) {
			PyErr_Clear();
			Py_DECREF(r);
			ctx->error(ctx, "session_figures must return a dict of column names and ints");
			return -1;
		}
		f->add(f, name, x);
	}
	Py_DECREF(r);
	return 0;
}

static int cb_merge(struct bpass_ctx *ctx, void *g, const void *state, const void *eph)
{
	PyObject *r = call(ctx, NULL, PY_CB_MERGE, val(g), val(state), val(eph));
	if (!r)
		return -1;
	replace(g, r);
	return 0;
}

static int cb_combine(struct bpass_ctx *ctx, void *into, const void *from)
{
	PyObject *r = call(ctx, NULL, PY_CB_COMBINE, val(into), val(from), NULL);
	if (!r)
		return -1;
	replace(into, r);
	return 0;
}

static int cb_complete(struct bpass_ctx *ctx, void *g)
{
	PyObject *r = call(ctx, NULL, PY_CB_COMPLETE, val(g), NULL, NULL);
	if (!r)
		return -1;
	replace(g, r);
	return 0;
}

static int cb_write_results(struct bpass_ctx *ctx, const void *g, struct bpass_results *res)
{
	PyObject *ro = py_results_new(res);
	if (!ro)
		return py_fail(ctx);
	PyObject *r = call(ctx, NULL, PY_CB_WRITE_RESULTS, val(g), ro, NULL);
	int rc = r ? 0 : -1;
	Py_XDECREF(r);
	if (py_results_finish(ro) && rc == 0)
		rc = py_fail(ctx);
	PyErr_Clear();
	Py_DECREF(ro);
	return rc;
}

static int cb_init(struct bpass_ctx *ctx)
{
	PyObject *r = call(ctx, NULL, PY_CB_INIT, NULL, NULL, NULL);
	Py_XDECREF(r);
	return r ? 0 : -1;
}

/* exit cannot fail: an exception is a warning. */
static void cb_exit(struct bpass_ctx *ctx)
{
	struct py_proc *pp = py_find(ctx->processor);
	if (!pp)
		return;
	PyObject *arg = py_ctx_enter(pp, ctx, NULL);
	PY_LSAN_OFF();
	PyObject *r = PyObject_Vectorcall(pp->cb[PY_CB_EXIT], &arg, 1, NULL);
	py_ctx_leave(pp);
	if (!r) {
		char *text = py_exception_text();
		ctx->warn(ctx, "exit failed: %s", text);
		free(text);
	}
	Py_XDECREF(r);
	PY_LSAN_ON();
}

void py_call_fill(struct py_proc *pp)
{
	struct bpass_processor *d = &pp->desc;
	PyObject **cb = pp->cb;
	if (cb[PY_CB_SESSION_NEW]) {
		d->session_new = cb_session_new;
		d->session_free = value_free;
		d->save = cb_save;
		d->load = cb_load;
	}
	if (cb[PY_CB_EPHEMERAL_NEW]) {
		d->ephemeral_new = cb_ephemeral_new;
		d->ephemeral_free = value_free;
		d->ephemeral_save = cb_ephemeral_save;
		d->ephemeral_load = cb_ephemeral_load;
	}
	if (cb[PY_CB_PROCESS])
		d->process = cb_process;
	if (cb[PY_CB_SESSION_COMPLETE])
		d->session_complete = cb_session_complete;
	if (cb[PY_CB_SESSION_FIGURES])
		d->session_figures = cb_session_figures;
	if (cb[PY_CB_GLOBAL_NEW]) {
		d->global_new = cb_global_new;
		d->global_free = value_free;
		d->global_save = cb_global_save;
		d->global_load = cb_global_load;
	}
	if (cb[PY_CB_MERGE])
		d->merge = cb_merge;
	if (cb[PY_CB_COMBINE])
		d->global_combine = cb_combine;
	if (cb[PY_CB_COMPLETE])
		d->global_complete = cb_complete;
	if (cb[PY_CB_WRITE_RESULTS])
		d->write_results = cb_write_results;
	if (cb[PY_CB_INIT])
		d->init = cb_init;
	if (cb[PY_CB_EXIT])
		d->exit = cb_exit;
}
