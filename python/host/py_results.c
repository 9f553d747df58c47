/*
 * python/host/py_results.c: the results argument of write_results
 * (struct bpass_results): results.table(name, columns) opens a result table
 * and returns it; table.row(cell, ...) writes one row (rows sorted by their
 * key columns, as in C). A cell is None (empty), an int, a float, a str, or
 * bpass.iso_us(µs) / bpass.iso_s(s) for ISO times. Tables left open are
 * closed when write_results returns; using them later raises bpass.Error.
 */
#include "py_host.h"

typedef struct {
	PyObject_HEAD
	struct bpass_results *res;       /* NULL once write_results returned */
	PyObject *tables;                /* list of the Table objects opened */
} ResultsObject;

typedef struct {
	PyObject_HEAD
	ResultsObject *owner;
	struct bpass_table *t;           /* NULL once closed */
	Py_ssize_t n_columns;
} TableObject;

static PyTypeObject results_type, table_type;
static PyObject *error_type;

PyObject *py_results_new(struct bpass_results *res)
{
	ResultsObject *o = PyObject_New(ResultsObject, &results_type);
	if (!o)
		return NULL;
	o->res = res;
	o->tables = PyList_New(0);
	if (!o->tables) {
		Py_DECREF(o);
		return NULL;
	}
	return (PyObject *)o;
}

static int table_close(TableObject *t)
{
	if (!t->t)
		return 0;
	int rc = t->owner->res->close(t->t);
	t->t = NULL;
	if (rc)
		PyErr_SetString(error_type, "could not write a result table");
	return rc;
}

int py_results_finish(PyObject *r)
{
	ResultsObject *o = (ResultsObject *)r;
	int rc = 0;
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(o->tables); i++)
		if (table_close((TableObject *)PyList_GET_ITEM(o->tables, i)))
			rc = -1;
	o->res = NULL;
	return rc;
}

static void results_dealloc(ResultsObject *o)
{
	Py_XDECREF(o->tables);
	PyObject_Free(o);
}

static PyObject *results_table(ResultsObject *o, PyObject *args)
{
	const char *name;
	PyObject *cols;
	if (!PyArg_ParseTuple(args, "sO:table", &name, &cols))
		return NULL;
	if (!o->res)
		return PyErr_Format(error_type, "results used after write_results returned");
	PyObject *seq = PySequence_Fast(cols, "table(name, columns): columns is a list of str");
	if (!seq)
		return NULL;
	Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
	const char **names = PyMem_Calloc((size_t)n + 1, sizeof(*names));
	TableObject *t = NULL;
	for (Py_ssize_t i = 0; names && i < n; i++)
		if (!(names[i] = PyUnicode_AsUTF8(PySequence_Fast_ITEMS(seq)[i])))
			goto out;
	if (!names) {
		PyErr_NoMemory();
		goto out;
	}
	struct bpass_table *bt = o->res->table(o->res, name, names);
	if (!bt) {
		PyErr_Format(error_type, "could not open result table \"%s\"", name);
		goto out;
	}
	t = PyObject_New(TableObject, &table_type);
	if (!t) {
		o->res->close(bt);
		goto out;
	}
	Py_INCREF(o);
	t->owner = o;
	t->t = bt;
	t->n_columns = n;
	if (PyList_Append(o->tables, (PyObject *)t))
		Py_CLEAR(t);
out:
	PyMem_Free(names);
	Py_DECREF(seq);
	return (PyObject *)t;
}

static PyObject *table_row(TableObject *t, PyObject *args)
{
	if (!t->t || !t->owner->res)
		return PyErr_Format(error_type, "result table used after it was closed");
	Py_ssize_t n = PyTuple_GET_SIZE(args);
	if (n != t->n_columns)
		return PyErr_Format(PyExc_TypeError, "row: %zd cells for %zd columns", n, t->n_columns);
	struct bpass_results *r = t->owner->res;
	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *c = PyTuple_GET_ITEM(args, i);
		if (c == Py_None) {
			r->null(t->t);
		} else if (PyObject_TypeCheck(c, (PyTypeObject *)py_iso_us_type) ||
			   PyObject_TypeCheck(c, (PyTypeObject *)py_iso_s_type)) {
			long long x = PyLong_AsLongLong(c);
			if (x == -1 && PyErr_Occurred())
				return NULL;
			if (PyObject_TypeCheck(c, (PyTypeObject *)py_iso_us_type))
				r->iso_us(t->t, x);
			else
				r->iso_s(t->t, x);
		} else if (PyLong_Check(c)) {
			int overflow;
			long long x = PyLong_AsLongLongAndOverflow(c, &overflow);
			if (overflow > 0) {
				unsigned long long u = PyLong_AsUnsignedLongLong(c);
				if (PyErr_Occurred())
					return NULL;
				r->u64(t->t, u);
			} else if (overflow < 0) {
				return PyErr_Format(PyExc_OverflowError, "row: cell %zd is out of range", i);
			} else {
				r->i64(t->t, x);
			}
		} else if (PyFloat_Check(c)) {
			r->f64(t->t, PyFloat_AS_DOUBLE(c));
		} else if (PyUnicode_Check(c)) {
			const char *s = PyUnicode_AsUTF8(c);
			if (!s)
				return NULL;
			r->str(t->t, s);
		} else if (PyIndex_Check(c)) {
			long long x = PyLong_AsLongLong(c);
			if (x == -1 && PyErr_Occurred())
				return NULL;
			r->i64(t->t, x);
		} else {
			return PyErr_Format(PyExc_TypeError, "row: cell %zd is a %s (None, int, "
					    "float, str, iso_us or iso_s)", i, Py_TYPE(c)->tp_name);
		}
	}
	if (r->row_end(t->t))
		return PyErr_Format(error_type, "could not write a row");
	Py_RETURN_NONE;
}

static PyObject *table_close_m(TableObject *t, PyObject *unused)
{
	(void)unused;
	if (t->owner->res && table_close(t))
		return NULL;
	Py_RETURN_NONE;
}

static void table_dealloc(TableObject *t)
{
	Py_XDECREF(t->owner);
	PyObject_Free(t);
}

static PyMethodDef results_methods[] = {
	{"table", (PyCFunction)results_table, METH_VARARGS,
	 "table(name, columns): opens a result table; returns it (its row(...) writes a row)."},
	{NULL, NULL, 0, NULL},
};

static PyMethodDef table_methods[] = {
	{"row", (PyCFunction)table_row, METH_VARARGS, "row(cell, ...): writes one row."},
	{"close", (PyCFunction)table_close_m, METH_NOARGS, "close(): ends the table."},
	{NULL, NULL, 0, NULL},
};

int py_results_setup(PyObject *module)
{
	results_type = (PyTypeObject){PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "bpass.Results"};
	results_type.tp_basicsize = sizeof(ResultsObject);
	results_type.tp_flags = Py_TPFLAGS_DEFAULT;
	results_type.tp_methods = results_methods;
	results_type.tp_dealloc = (destructor)results_dealloc;
	table_type = (PyTypeObject){PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "bpass.Table"};
	table_type.tp_basicsize = sizeof(TableObject);
	table_type.tp_flags = Py_TPFLAGS_DEFAULT;
	table_type.tp_methods = table_methods;
	table_type.tp_dealloc = (destructor)table_dealloc;
	if (PyType_Ready(&results_type) || PyType_Ready(&table_type))
		return -1;
	error_type = PyObject_GetAttrString(module, "Error");
	return error_type ? 0 : -1;
}
