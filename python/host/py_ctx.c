/*
 * python/host/py_ctx.c: bpass.Context, the ctx argument of every Python
 * callback (struct bpass_ctx as Python sees it): the session key, options,
 * warnings, the ephemeral state, the devices and states of dependencies,
 * and ctx.add, which adds rows to a declared table through ctx->add_row.
 *
 * ctx.add(table, cell, ...) takes one cell per column that is not a count;
 * any cell may be a column instead (a numpy array, memoryview, list or
 * tuple): then it adds one row per element, the scalar cells repeated. The
 * loop over rows runs here, in C: numeric columns are read through the
 * buffer protocol, without a Python object per element.
 *
 * One Context per processor and process, pointed at the struct bpass_ctx of
 * each call (py_ctx_enter) and at nothing between calls: using a context
 * kept from an earlier call raises bpass.Error.
 */
#include "py_host.h"

#include <string.h>

typedef struct {
	PyObject_HEAD
	struct py_proc *pp;
	struct bpass_ctx *c;       /* during a call, else NULL */
	struct py_value *eph;      /* the ephemeral state of the call, or NULL */
	PyObject *key;             /* made on first use in a call */
} CtxObject;

static PyTypeObject ctx_type;
static PyTypeObject *key_type;
static PyObject *error_type;

static struct PyStructSequence_Field key_fields[] = {
	{"node_id", "the node id"},
	{"context", "the anonymization context (40 hex, or UNANONYMIZED)"},
	{"session_id", "the session id (µs)"},
	{NULL, NULL},
};
static struct PyStructSequence_Desc key_desc = {
	"bpass.SessionKey", "The key of a session.", key_fields, 3,
};

PyObject *py_ctx_new(struct py_proc *pp)
{
	CtxObject *o = PyObject_New(CtxObject, &ctx_type);
	if (!o)
		return NULL;
	o->pp = pp;
	o->c = NULL;
	o->eph = NULL;
	o->key = NULL;
	return (PyObject *)o;
}

PyObject *py_ctx_enter(struct py_proc *pp, struct bpass_ctx *ctx, struct py_value *eph)
{
	CtxObject *o = (CtxObject *)pp->ctx;
	o->c = ctx;
	o->eph = eph;
	return pp->ctx;
}

void py_ctx_leave(struct py_proc *pp)
{
	CtxObject *o = (CtxObject *)pp->ctx;
	o->c = NULL;
	o->eph = NULL;
	Py_CLEAR(o->key);
}

static struct bpass_ctx *live(CtxObject *o)
{
	if (!o->c)
		PyErr_SetString(error_type, "the context of a callback used after it returned");
	return o->c;
}

static PyObject *ctx_get_key(CtxObject *o, void *closure)
{
	(void)closure;
	struct bpass_ctx *c = live(o);
	if (!c)
		return NULL;
	if (!c->key)
		Py_RETURN_NONE;
	if (!o->key) {
		PyObject *k = PyStructSequence_New(key_type);
		if (!k)
			return NULL;
		PyStructSequence_SET_ITEM(k, 0, PyUnicode_FromString(c->key->node_id));
		PyStructSequence_SET_ITEM(k, 1, PyUnicode_FromString(c->key->context));
		PyStructSequence_SET_ITEM(k, 2, PyLong_FromLongLong(c->key->session_id));
		if (PyErr_Occurred()) {
			Py_DECREF(k);
			return NULL;
		}
		o->key = k;
	}
	Py_INCREF(o->key);
	return o->key;
}

static PyObject *ctx_get_processor(CtxObject *o, void *closure)
{
	(void)closure;
	return PyUnicode_FromString(o->pp->name);
}

static PyObject *ctx_get_eph(CtxObject *o, void *closure)
{
	(void)closure;
	if (!live(o))
		return NULL;
	PyObject *v = o->eph ? o->eph->v : Py_None;
	Py_INCREF(v);
	return v;
}

static int ctx_set_eph(CtxObject *o, PyObject *v, void *closure)
{
	(void)closure;
	if (!live(o))
		return -1;
	if (!o->eph) {
		PyErr_SetString(error_type, "no ephemeral state here: define ephemeral_new; "
			       "it is in process and session_complete");
		return -1;
	}
	Py_INCREF(v ? v : Py_None);
	Py_SETREF(o->eph->v, v ? v : Py_None);
	return 0;
}

static PyObject *ctx_option(CtxObject *o, PyObject *name)
{
	struct bpass_ctx *c = live(o);
	const char *n = c ? PyUnicode_AsUTF8(name) : NULL;
	if (!n)
		return NULL;
	const char *v = c->option(c, n);
	if (!v)
		Py_RETURN_NONE;
	return PyUnicode_FromString(v);
}

static PyObject *ctx_warn(CtxObject *o, PyObject *msg)
{
	struct bpass_ctx *c = live(o);
	PyObject *s = c ? PyObject_Str(msg) : NULL;
	const char *t = s ? PyUnicode_AsUTF8(s) : NULL;
	if (t)
		c->warn(c, "%s", t);
	Py_XDECREF(s);
	if (!t)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *ctx_device_of(CtxObject *o, PyObject *id)
{
	struct bpass_ctx *c = live(o);
	if (!c)
		return NULL;
	PyObject *i = PyNumber_Index(id);   /* an int, or a numpy integer */
	unsigned long long a = i ? PyLong_AsUnsignedLongLong(i) : (unsigned long long)-1;
	Py_XDECREF(i);
	if (a == (unsigned long long)-1 && PyErr_Occurred())
		return NULL;
	const char *mac = a <= UINT32_MAX ? c->device_of(c, (uint32_t)a) : NULL;
	if (!mac)
		Py_RETURN_NONE;
	return PyUnicode_FromString(mac);
}

static PyObject *ctx_state_of(CtxObject *o, PyObject *name)
{
	struct bpass_ctx *c = live(o);
	const char *n = c ? PyUnicode_AsUTF8(name) : NULL;
	if (!n)
		return NULL;
	if (!py_find(n))
		return PyErr_Format(error_type, "processor \"%s\" is not a Python processor: "
				    "read the built-ins through update.view and ctx.device_of", n);
	const struct py_value *h = c->state_of(c, n);
	PyObject *v = h ? h->v : Py_None;
	Py_INCREF(v);
	return v;
}

/* ---- ctx.add ------------------------------------------------------------------ */

enum cell_kind { CELL_SCALAR, CELL_BUFFER, CELL_SEQ, CELL_OBJECTS };

struct cell {
	enum cell_kind kind;
	union bpass_cell v;        /* CELL_SCALAR */
	Py_buffer view;            /* CELL_BUFFER */
	bool is_signed;
	PyObject *seq;             /* CELL_SEQ: a list or tuple (owned) */
	const char *objs;          /* CELL_OBJECTS: a numpy object array's PyObject *s */
	Py_ssize_t stride;
	Py_ssize_t n;
};

/* A one-dimensional numpy array of objects (strings), read in place through
 * its __array_interface__ (no list made of it). Returns 1 when a is one
 * (c filled), 0 when it is not, -1 on error. */
static int object_array(struct cell *c, PyObject *a)
{
	static PyObject *attr;
	if (!attr && !(attr = PyUnicode_InternFromString("__array_interface__")))
		return -1;
	PyObject *ai = PyObject_GetAttr(a, attr);
	if (!ai) {
		PyErr_Clear();
		return 0;
	}
	int rc = 0;
	PyObject *ts = PyDict_Check(ai) ? PyDict_GetItemString(ai, "typestr") : NULL;
	PyObject *shape = ts ? PyDict_GetItemString(ai, "shape") : NULL;
	PyObject *data = shape ? PyDict_GetItemString(ai, "data") : NULL;
	PyObject *strides = data ? PyDict_GetItemString(ai, "strides") : NULL;
	if (ts && PyUnicode_Check(ts) && !PyUnicode_CompareWithASCIIString(ts, "|O") &&
	    PyTuple_Check(shape) && PyTuple_GET_SIZE(shape) == 1 && PyTuple_Check(data) &&
	    PyTuple_GET_SIZE(data) >= 1) {
		c->n = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, 0));
		c->objs = PyLong_AsVoidPtr(PyTuple_GET_ITEM(data, 0));
		c->stride = strides && PyTuple_Check(strides) ?
			PyLong_AsSsize_t(PyTuple_GET_ITEM(strides, 0)) : (Py_ssize_t)sizeof(PyObject *);
		if (PyErr_Occurred()) {
			rc = -1;
		} else {
			c->kind = CELL_OBJECTS;
			rc = 1;
		}
	}
	Py_DECREF(ai);
	return rc;
}

static bool int_format(const char *f, bool *is_signed)
{
	while (*f == '@' || *f == '=' || *f == '<')
		f++;
	if (!f[0] || f[1])
		return false;
	if (strchr("bhilqn", f[0])) {
		*is_signed = true;
		return true;
	}
	if (strchr("BHILQN?", f[0])) {
		*is_signed = false;
		return true;
	}
	return false;
}

static int64_t buffer_int(const struct cell *c, Py_ssize_t i)
{
	const char *p = (const char *)c->view.buf + i * c->view.strides[0];
	switch (c->view.itemsize) {
	case 1: return c->is_signed ? *(const int8_t *)p : *(const uint8_t *)p;
	case 2: {
		int16_t s; uint16_t u;
		memcpy(&s, p, 2); memcpy(&u, p, 2);
		return c->is_signed ? (int64_t)s : (int64_t)u;
	}
	case 4: {
		int32_t s; uint32_t u;
		memcpy(&s, p, 4); memcpy(&u, p, 4);
		return c->is_signed ? (int64_t)s : (int64_t)u;
	}
	default: {
		int64_t s;
		memcpy(&s, p, 8);
		return s;
	}
	}
}

/* Classifies argument a for a cell of the given kind. Returns 0 or -1. */
static int cell_open(struct cell *c, PyObject *a, bool is_str, const char *col)
{
	memset(c, 0, sizeof(*c));
	c->n = -1;
	if (PyUnicode_Check(a)) {
		if (!is_str)
			goto type;
		c->v.s = PyUnicode_AsUTF8(a);
		return c->v.s ? 0 : -1;
	}
	if (PyLong_Check(a)) {
		if (is_str)
			goto type;
		c->v.i = PyLong_AsLongLong(a);
		return c->v.i == -1 && PyErr_Occurred() ? -1 : 0;
	}
	if (PyList_Check(a) || PyTuple_Check(a)) {
		c->kind = CELL_SEQ;
		c->seq = a;
		Py_INCREF(a);
		c->n = PySequence_Fast_GET_SIZE(a);
		return 0;
	}
	if (!is_str && PyObject_CheckBuffer(a)) {
		if (PyObject_GetBuffer(a, &c->view, PyBUF_STRIDES | PyBUF_FORMAT))
			return -1;
		if (c->view.ndim == 1 && int_format(c->view.format, &c->is_signed) &&
		    c->view.itemsize <= 8) {
			c->kind = CELL_BUFFER;
			c->n = c->view.shape[0];
			return 0;
		}
		bool scalar = c->view.ndim == 0;
		PyBuffer_Release(&c->view);
		if (!scalar) {
			PyErr_Format(PyExc_TypeError, "column \"%s\": an array of integers "
				     "(one dimension) is needed, not of format \"%s\"", col,
				     c->view.format ? c->view.format : "?");
			return -1;
		}
	}
	if (is_str) {
		int r = object_array(c, a);
		if (r)
			return r < 0 ? -1 : 0;
	}
	if (!is_str && PyIndex_Check(a)) {   /* a numpy integer */
		c->v.i = PyLong_AsLongLong(a);
		return c->v.i == -1 && PyErr_Occurred() ? -1 : 0;
	}
	if (PySequence_Check(a)) {           /* a numpy object array, a range... */
		c->kind = CELL_SEQ;
		c->seq = PySequence_Fast(a, "a column");
		if (!c->seq)
			return -1;
		c->n = PySequence_Fast_GET_SIZE(c->seq);
		return 0;
	}
type:
	PyErr_Format(PyExc_TypeError, "column \"%s\" takes %s, not %s", col,
		     is_str ? "a str" : "an int", Py_TYPE(a)->tp_name);
	return -1;
}

static void cell_close(struct cell *c)
{
	if (c->kind == CELL_BUFFER)
		PyBuffer_Release(&c->view);
	Py_XDECREF(c->seq);
}

static int seq_item(struct cell *c, Py_ssize_t i, bool is_str, const char *col, union bpass_cell *out)
{
	PyObject *x;
	if (c->kind == CELL_OBJECTS)
		memcpy(&x, c->objs + i * c->stride, sizeof(x));
	else
		x = PySequence_Fast_ITEMS(c->seq)[i];
	if (!x) {
		PyErr_Format(PyExc_TypeError, "column \"%s\", row %zd: empty", col, i);
		return -1;
	}
	if (is_str) {
		if (!PyUnicode_Check(x)) {
			PyErr_Format(PyExc_TypeError, "column \"%s\", row %zd: a str is needed, not %s",
				     col, i, Py_TYPE(x)->tp_name);
			return -1;
		}
		out->s = PyUnicode_AsUTF8(x);
		return out->s ? 0 : -1;
	}
	out->i = PyLong_AsLongLong(x);
	if (out->i == -1 && PyErr_Occurred()) {
		PyErr_Clear();
		PyErr_Format(PyExc_TypeError, "column \"%s\", row %zd: an int is needed, not %s",
			     col, i, Py_TYPE(x)->tp_name);
		return -1;
	}
	return 0;
}

static PyObject *ctx_add(CtxObject *o, PyObject *const *args, Py_ssize_t nargs)
{
	struct bpass_ctx *c = live(o);
	if (!c)
		return NULL;
	struct py_proc *pp = o->pp;
	if (nargs < 1)
		return PyErr_Format(PyExc_TypeError, "add(table, cell...): no table");
	uint32_t t = UINT32_MAX;
	if (PyUnicode_Check(args[0])) {
		for (uint32_t i = 0; i < pp->n_tables; i++)
			if (pp->tables[i].name == args[0] ||
			    PyUnicode_Compare(pp->tables[i].name, args[0]) == 0)
				t = i;
	} else if (PyLong_Check(args[0])) {
		long x = PyLong_AsLong(args[0]);
		if (x >= 0 && x < (long)pp->n_tables)
			t = (uint32_t)x;
	}
	if (t == UINT32_MAX) {
		PyErr_Clear();
		PyObject *r = PyObject_Repr(args[0]);
		PyErr_Format(PyExc_ValueError, "add: no table %s: the processor declares %u",
			     r ? PyUnicode_AsUTF8(r) : "?", pp->n_tables);
		Py_XDECREF(r);
		return NULL;
	}
	const struct py_table *pt = &pp->tables[t];
	if ((uint32_t)(nargs - 1) != pt->n_cells)
		return PyErr_Format(PyExc_TypeError, "add: table \"%s\" takes %u cells (its columns "
				    "but counts), not %zd", PyUnicode_AsUTF8(pt->name),
				    pt->n_cells, nargs - 1);
	struct cell cells[64];
	union bpass_cell row[64];
	Py_ssize_t n = -1, opened = 0;
	PyObject *ret = NULL;
	for (uint32_t j = 0; j < pt->n_cells; j++) {
		if (cell_open(&cells[j], args[j + 1], pt->cell_is_str[j], pt->cell_name[j]))
			goto out;
		opened++;
		if (cells[j].kind == CELL_SCALAR) {
			row[j] = cells[j].v;
			continue;
		}
		if (n >= 0 && cells[j].n != n) {
			PyErr_Format(PyExc_ValueError, "add: column \"%s\" has %zd rows, another %zd",
				     pt->cell_name[j], cells[j].n, n);
			goto out;
		}
		n = cells[j].n;
	}
	if (n < 0)
		n = 1;   /* scalars only: one row */
	for (Py_ssize_t i = 0; i < n; i++) {
		for (uint32_t j = 0; j < pt->n_cells; j++) {
			struct cell *x = &cells[j];
			if (x->kind == CELL_BUFFER)
				row[j].i = buffer_int(x, i);
			else if ((x->kind == CELL_SEQ || x->kind == CELL_OBJECTS) &&
				 seq_item(x, i, pt->cell_is_str[j], pt->cell_name[j], &row[j]))
				goto out;
		}
		if (c->add_row(c, t, row, pt->n_cells)) {
			PyErr_Format(error_type, "could not add a row to table \"%s\"",
				     PyUnicode_AsUTF8(pt->name));
			goto out;
		}
	}
	ret = Py_None;
	Py_INCREF(ret);
out:
	for (Py_ssize_t j = 0; j < opened; j++)
		cell_close(&cells[j]);
	return ret;
}

static PyMethodDef ctx_methods[] = {
	{"add", (PyCFunction)(void (*)(void))ctx_add, METH_FASTCALL,
	 "add(table, cell, ...): adds rows to a declared table (a cell may be a column)."},
	{"option", (PyCFunction)ctx_option, METH_O, "option(name): an option's value (str) or None."},
	{"warn", (PyCFunction)ctx_warn, METH_O, "warn(message): prints a warning naming the processor."},
	{"device_of", (PyCFunction)ctx_device_of, METH_O,
	 "device_of(address_id): the MAC of the local device with that address id, or None."},
	{"state_of", (PyCFunction)ctx_state_of, METH_O,
	 "state_of(name): the session state of a Python processor listed in depends."},
	{NULL, NULL, 0, NULL},
};

static PyGetSetDef ctx_getset[] = {
	{"key", (getter)ctx_get_key, NULL, "the session (a bpass.SessionKey), or None", NULL},
	{"processor", (getter)ctx_get_processor, NULL, "the processor's name", NULL},
	{"eph", (getter)ctx_get_eph, (setter)ctx_set_eph, "the ephemeral state", NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static void ctx_dealloc(CtxObject *o)
{
	Py_XDECREF(o->key);
	PyObject_Free(o);
}

int py_ctx_setup(PyObject *module)
{
	ctx_type = (PyTypeObject){PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "bpass.Context"};
	ctx_type.tp_basicsize = sizeof(CtxObject);
	ctx_type.tp_flags = Py_TPFLAGS_DEFAULT;
	ctx_type.tp_doc = "The context of a callback (struct bpass_ctx).";
	ctx_type.tp_methods = ctx_methods;
	ctx_type.tp_getset = ctx_getset;
	ctx_type.tp_dealloc = (destructor)ctx_dealloc;
	if (PyType_Ready(&ctx_type))
		return -1;
	key_type = PyStructSequence_NewType(&key_desc);
	error_type = PyObject_GetAttrString(module, "Error");
	if (!key_type || !error_type)
		return -1;
	Py_INCREF(&ctx_type);
	if (PyModule_AddObject(module, "Context", (PyObject *)&ctx_type))
		return -1;
	Py_INCREF(key_type);
	return PyModule_AddObject(module, "SessionKey", (PyObject *)key_type);
}
