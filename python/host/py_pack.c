/*
 * python/host/py_pack.c: Python values as msgpack (msgpack-c), the saved
 * form of a Python processor's states. Never pickle: reading a state file
 * makes only plain values. None, bool, int (64 bits), float, str, bytes
 * (and bytearray), list, tuple (read back as list) and dict map to their
 * msgpack types; a numpy array (of numbers, bytes or str, not objects) is
 * the ext type PY_PACK_NDARRAY holding the msgpack array [dtype.str, shape,
 * bytes in C order]; numpy scalars are saved as the Python scalar they
 * equal. Anything else is a TypeError naming its type.
 */
#include "py_host.h"

#include <msgpack.h>
#include <string.h>

#define PY_PACK_NDARRAY 1
#define PY_PACK_DEPTH 200

static PyObject *ndarray_type(void)
{
	PyObject *np = PyObject_GetAttrString(py_bpass, "numpy");
	PyObject *t = np && np != Py_None ? PyObject_GetAttrString(np, "ndarray") : NULL;
	Py_XDECREF(np);
	PyErr_Clear();
	return t;   /* new reference, or NULL without numpy */
}

static int pack(msgpack_packer *pk, PyObject *v, int depth, PyObject *nd);

static int pack_ndarray(msgpack_packer *pk, PyObject *v, int depth, PyObject *nd)
{
	PyObject *parts = PyObject_CallMethod(py_bpass, "_ndarray_parts", "O", v);
	if (!parts)
		return -1;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer inner;
	msgpack_packer_init(&inner, &sb, msgpack_sbuffer_write);
	int rc = pack(&inner, parts, depth + 1, nd);
	Py_DECREF(parts);
	if (rc == 0) {
		msgpack_pack_ext(pk, sb.size, PY_PACK_NDARRAY);
		msgpack_pack_ext_body(pk, sb.data, sb.size);
	}
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

static int pack(msgpack_packer *pk, PyObject *v, int depth, PyObject *nd)
{
	if (depth > PY_PACK_DEPTH) {
		PyErr_SetString(PyExc_ValueError, "a state nested more than 200 deep");
		return -1;
	}
	if (v == Py_None)
		return msgpack_pack_nil(pk);
	if (PyBool_Check(v))
		return v == Py_True ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	if (PyLong_Check(v)) {
		int overflow;
		long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
		if (!overflow)
			return x == -1 && PyErr_Occurred() ? -1 : msgpack_pack_int64(pk, x);
		unsigned long long u = PyLong_AsUnsignedLongLong(v);
		if (u == (unsigned long long)-1 && PyErr_Occurred()) {
			PyErr_SetString(PyExc_OverflowError, "an int of a state does not fit 64 bits");
			return -1;
		}
		return msgpack_pack_uint64(pk, u);
	}
	if (PyFloat_Check(v))
		return msgpack_pack_double(pk, PyFloat_AS_DOUBLE(v));
	if (PyUnicode_Check(v)) {
		Py_ssize_t n;
		const char *s = PyUnicode_AsUTF8AndSize(v, &n);
		if (!s)
			return -1;
		msgpack_pack_str(pk, (size_t)n);
		return msgpack_pack_str_body(pk, s, (size_t)n);
	}
	if (PyBytes_Check(v) || PyByteArray_Check(v)) {
		bool b = PyBytes_Check(v);
		size_t n = (size_t)(b ? PyBytes_GET_SIZE(v) : PyByteArray_GET_SIZE(v));
		msgpack_pack_bin(pk, n);
		return msgpack_pack_bin_body(pk, b ? PyBytes_AS_STRING(v) : PyByteArray_AS_STRING(v), n);
	}
	if (PyList_Check(v) || PyTuple_Check(v)) {
		Py_ssize_t n = PySequence_Fast_GET_SIZE(v);
		msgpack_pack_array(pk, (size_t)n);
		for (Py_ssize_t i = 0; i < n; i++)
			if (pack(pk, PySequence_Fast_ITEMS(v)[i], depth + 1, nd))
				return -1;
		return 0;
	}
	if (PyDict_Check(v)) {
		msgpack_pack_map(pk, (size_t)PyDict_GET_SIZE(v));
		PyObject *k, *x;
		Py_ssize_t pos = 0;
		while (PyDict_Next(v, &pos, &k, &x))
			if (pack(pk, k, depth + 1, nd) || pack(pk, x, depth + 1, nd))
				return -1;
		return 0;
	}
	if (nd && PyObject_TypeCheck(v, (PyTypeObject *)nd))
		return pack_ndarray(pk, v, depth, nd);
	if (nd && PyObject_HasAttrString(v, "item") && PyObject_HasAttrString(v, "dtype")) {
		PyObject *s = PyObject_CallMethod(v, "item", NULL);   /* a numpy scalar */
		int rc = s ? pack(pk, s, depth + 1, nd) : -1;
		Py_XDECREF(s);
		return rc;
	}
	PyErr_Format(PyExc_TypeError, "cannot save a %s in a state: use None, bool, int, float, "
		     "str, bytes, list, tuple, dict or numpy arrays", Py_TYPE(v)->tp_name);
	return -1;
}

PyObject *py_pack(PyObject *v)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	PyObject *nd = ndarray_type();
	int rc = pack(&pk, v, 0, nd);
	Py_XDECREF(nd);
	PyObject *r = rc ? NULL : PyBytes_FromStringAndSize(sb.data ? sb.data : "", (Py_ssize_t)sb.size);
	msgpack_sbuffer_destroy(&sb);
	return r;
}

static PyObject *bad(void)
{
	PyErr_SetString(PyExc_ValueError, "a damaged saved state");
	return NULL;
}

static PyObject *unpack_bytes(const char *data, size_t len);

static PyObject *to_py(const msgpack_object *o, int depth)
{
	if (depth > PY_PACK_DEPTH)
		return bad();
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: Py_RETURN_NONE;
	case MSGPACK_OBJECT_BOOLEAN: return PyBool_FromLong(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER: return PyLong_FromUnsignedLongLong(o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return PyLong_FromLongLong(o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: return PyFloat_FromDouble(o->via.f64);
	case MSGPACK_OBJECT_STR: return PyUnicode_DecodeUTF8(o->via.str.ptr, o->via.str.size, NULL);
	case MSGPACK_OBJECT_BIN: return PyBytes_FromStringAndSize(o->via.bin.ptr, o->via.bin.size);
	case MSGPACK_OBJECT_ARRAY: {
		PyObject *l = PyList_New(o->via.array.size);
		for (uint32_t i = 0; l && i < o->via.array.size; i++) {
			PyObject *x = to_py(&o->via.array.ptr[i], depth + 1);
			if (!x)
				Py_CLEAR(l);
			else
				PyList_SET_ITEM(l, i, x);
		}
		return l;
	}
	case MSGPACK_OBJECT_MAP: {
		PyObject *d = PyDict_New();
		for (uint32_t i = 0; d && i < o->via.map.size; i++) {
			PyObject *k = to_py(&o->via.map.ptr[i].key, depth + 1);
			PyObject *x = k ? to_py(&o->via.map.ptr[i].val, depth + 1) : NULL;
			if (!x || PyDict_SetItem(d, k, x))
				Py_CLEAR(d);
			Py_XDECREF(k);
			Py_XDECREF(x);
		}
		return d;
	}
	case MSGPACK_OBJECT_EXT: {
		if (o->via.ext.type != PY_PACK_NDARRAY)
			return bad();
		PyObject *parts = unpack_bytes(o->via.ext.ptr, o->via.ext.size);
		if (!parts)
			return NULL;
		PyObject *a = PyObject_CallMethod(py_bpass, "_ndarray", "O", parts);
		Py_DECREF(parts);
		return a;
	}
	default:
		return bad();
	}
}

static PyObject *unpack_bytes(const char *data, size_t len)
{
	msgpack_unpacked up;
	msgpack_unpacked_init(&up);
	size_t off = 0;
	PyObject *r = NULL;
	if (msgpack_unpack_next(&up, data, len, &off) == MSGPACK_UNPACK_SUCCESS && off == len)
		r = to_py(&up.data, 0);
	else
		bad();
	msgpack_unpacked_destroy(&up);
	return r;
}

PyObject *py_unpack(const void *data, size_t len)
{
	return unpack_bytes(data, len);
}
