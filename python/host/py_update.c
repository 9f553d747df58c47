/*
 * python/host/py_update.c: bpass.Update, the update argument of process,
 * as columns. Its fields (update.version, update.node_id, ...) are those of
 * struct bpass_update (index/bpass_update.h); its sections are tables of
 * columns:
 *
 *   update.packets         time_us, flow_id, size
 *   update.flows           flow_id, src_anon, dst_anon, proto, src_port,
 *                          dst_port, src_ip, dst_ip
 *   update.a_records       packet_id, address_id, anonymized, ttl, domain, ip
 *   update.cname_records   packet_id, address_id, domain_anonymized,
 *                          cname_anonymized, legacy, ttl, domain, cname
 *   update.addresses       mac, ip
 *   update.drop_stats      size, count
 *   update.http_urls       flow_id, reserved, hash
 *   update.view            per packet, the views of the correlation
 *                          built-ins (ctx->packet_view): flow_id,
 *                          proto_class, class_name, has_flow, src_ip,
 *                          dst_ip, src_port, dst_port, proto, src_anon,
 *                          dst_anon, local_side, local_ip, remote_ip,
 *                          remote_anon, device_mac, address_id,
 *                          has_address_id, domains, whitelisted
 *
 * A column is made on first use and kept: a numeric column is one buffer
 * filled in one loop over the update's array (a numpy array over it, or a
 * memoryview without numpy), never a Python object per element; a string
 * column is a numpy object array (a list without numpy) whose equal strings
 * (the same pointer: packets of one flow share their view) share one str.
 * Columns may be kept after the call; the update itself cannot make new
 * ones then (bpass.Error): what it points to belongs to bpass.
 */
#include "py_host.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum col_kind {
	K_I64, K_I32, K_U32, K_U16, K_U8, K_I8, K_BOOL, K_ENUM, /* numbers */
	K_STR, K_STR_NONE, K_CLASS_NAME, K_DOMAINS, K_WHITELISTED, K_STRLIST,
};

struct col_spec {
	const char *name;
	enum col_kind kind;
	size_t off;
};

#define C(s, f, k) {#f, k, offsetof(struct s, f)}
static const struct col_spec packet_cols[] = {
	C(bpass_packet, time_us, K_I64), C(bpass_packet, flow_id, K_I32),
	C(bpass_packet, size, K_U16), {NULL, 0, 0}};
static const struct col_spec flow_cols[] = {
	C(bpass_flow, flow_id, K_I32), C(bpass_flow, src_anon, K_U8), C(bpass_flow, dst_anon, K_U8),
	C(bpass_flow, proto, K_U8), C(bpass_flow, src_port, K_U16), C(bpass_flow, dst_port, K_U16),
	C(bpass_flow, src_ip, K_STR), C(bpass_flow, dst_ip, K_STR), {NULL, 0, 0}};
static const struct col_spec a_cols[] = {
	C(bpass_a_record, packet_id, K_U32), C(bpass_a_record, address_id, K_U32),
	C(bpass_a_record, anonymized, K_U8), C(bpass_a_record, ttl, K_I32),
	C(bpass_a_record, domain, K_STR), C(bpass_a_record, ip, K_STR), {NULL, 0, 0}};
static const struct col_spec cname_cols[] = {
	C(bpass_cname_record, packet_id, K_U32), C(bpass_cname_record, address_id, K_U32),
	C(bpass_cname_record, domain_anonymized, K_U8), C(bpass_cname_record, cname_anonymized, K_U8),
	C(bpass_cname_record, legacy, K_U8), C(bpass_cname_record, ttl, K_I32),
	C(bpass_cname_record, domain, K_STR), C(bpass_cname_record, cname, K_STR), {NULL, 0, 0}};
static const struct col_spec address_cols[] = {
	C(bpass_address, mac, K_STR), C(bpass_address, ip, K_STR), {NULL, 0, 0}};
static const struct col_spec drop_cols[] = {
	C(bpass_drop_stat, size, K_U32), {"count", K_I64, offsetof(struct bpass_drop_stat, count)},
	{NULL, 0, 0}};
static const struct col_spec http_cols[] = {
	C(bpass_http_url, flow_id, K_I32), C(bpass_http_url, reserved, K_U32),
	C(bpass_http_url, hash, K_STR), {NULL, 0, 0}};
static const struct col_spec view_cols[] = {
	C(bpass_packet_view, flow_id, K_I32), C(bpass_packet_view, proto_class, K_ENUM),
	{"class_name", K_CLASS_NAME, offsetof(struct bpass_packet_view, proto_class)},
	C(bpass_packet_view, has_flow, K_BOOL), C(bpass_packet_view, src_ip, K_STR_NONE),
	C(bpass_packet_view, dst_ip, K_STR_NONE), C(bpass_packet_view, src_port, K_U16),
	C(bpass_packet_view, dst_port, K_U16), C(bpass_packet_view, proto, K_U8),
	C(bpass_packet_view, src_anon, K_U8), C(bpass_packet_view, dst_anon, K_U8),
	C(bpass_packet_view, local_side, K_I8), C(bpass_packet_view, local_ip, K_STR_NONE),
	C(bpass_packet_view, remote_ip, K_STR_NONE), C(bpass_packet_view, remote_anon, K_U8),
	C(bpass_packet_view, device_mac, K_STR_NONE), C(bpass_packet_view, address_id, K_U32),
	C(bpass_packet_view, has_address_id, K_BOOL),
	{"domains", K_DOMAINS, 0}, {"whitelisted", K_WHITELISTED, 0}, {NULL, 0, 0}};

/* Scalar fields of struct bpass_update. */
static const struct col_spec update_fields[] = {
	C(bpass_update, version, K_I32), C(bpass_update, build_id, K_STR),
	C(bpass_update, node_id, K_STR), C(bpass_update, session_id, K_I64),
	C(bpass_update, sequence, K_I32), C(bpass_update, timestamp_s, K_I64),
	C(bpass_update, has_pcap, K_BOOL), C(bpass_update, pcap_received, K_U32),
	C(bpass_update, pcap_dropped, K_U32), C(bpass_update, iface_dropped, K_U32),
	{"whitelist", K_STRLIST, 0},
	C(bpass_update, context, K_STR), C(bpass_update, anonymized, K_BOOL),
	C(bpass_update, packets_first_us, K_I64), C(bpass_update, packets_dropped, K_U32),
	C(bpass_update, n_packets, K_U32), C(bpass_update, flows_baseline_s, K_I64),
	C(bpass_update, flows_occupancy, K_U32), C(bpass_update, flows_expired, K_U32),
	C(bpass_update, flows_dropped, K_U32), C(bpass_update, dns_dropped_a, K_U32),
	C(bpass_update, dns_dropped_cname, K_U32), C(bpass_update, addresses_first_id, K_U32),
	C(bpass_update, addresses_capacity, K_U32), C(bpass_update, has_drop_stats, K_BOOL),
	C(bpass_update, has_http, K_BOOL), C(bpass_update, http_dropped, K_U32),
	{NULL, 0, 0}};
#undef C

typedef struct {
	PyObject_HEAD
	struct bpass_ctx *c;                 /* NULL once the call has returned */
	const struct bpass_update *u;
	PyObject *dict;                      /* fields and tables made so far */
} UpdateObject;

/* The views of the update being processed: one buffer, grown and reused
 * (one update is alive at a time; a dead one makes no new columns). */
static struct bpass_packet_view *views;
static size_t cap_views;

typedef struct {
	PyObject_HEAD
	UpdateObject *up;
	const struct col_spec *spec;
	const char *base;
	size_t stride;
	uint32_t n;
	PyObject *dict;                      /* columns made so far */
	PyObject *names;                     /* tuple of the column names */
} ColumnsObject;

static PyTypeObject update_type, columns_type;
static PyObject *error_type, *column_fn;

/* ---- building columns ---------------------------------------------------------- */

static size_t kind_size(enum col_kind k)
{
	switch (k) {
	case K_I64: return 8;
	case K_I32: case K_U32: return 4;
	case K_U16: return 2;
	default: return 1;
	}
}

static const char *kind_code(enum col_kind k)
{
	switch (k) {
	case K_I64: return "q";
	case K_I32: return "i";
	case K_U32: return "I";
	case K_U16: return "H";
	case K_I8: return "b";
	case K_BOOL: return "?";
	default: return "B";
	}
}

static PyObject *numeric(const char *base, size_t stride, uint32_t n, size_t off, enum col_kind k)
{
	size_t isz = kind_size(k);
	PyObject *ba = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(n * isz));
	if (!ba)
		return NULL;
	char *d = PyByteArray_AS_STRING(ba);
	const char *s = n ? base + off : NULL;   /* an empty section may have no array */
	switch (k) {
	case K_I64:
		for (uint32_t i = 0; i < n; i++, s += stride, d += 8)
			memcpy(d, s, 8);
		break;
	case K_I32: case K_U32:
		for (uint32_t i = 0; i < n; i++, s += stride, d += 4)
			memcpy(d, s, 4);
		break;
	case K_U16:
		for (uint32_t i = 0; i < n; i++, s += stride, d += 2)
			memcpy(d, s, 2);
		break;
	case K_ENUM:
		for (uint32_t i = 0; i < n; i++, s += stride) {
			enum bpass_proto_class e;
			memcpy(&e, s, sizeof(e));
			*d++ = (char)e;
		}
		break;
	case K_BOOL:
		for (uint32_t i = 0; i < n; i++, s += stride)
			*d++ = *(const bool *)s ? 1 : 0;
		break;
	default:
		for (uint32_t i = 0; i < n; i++, s += stride)
			*d++ = *s;
	}
	PyObject *r = PyObject_CallFunction(column_fn, "Os", ba, kind_code(k));
	Py_DECREF(ba);
	return r;
}

/* Strings by pointer: equal pointers give one str. */
struct strmap {
	const char **keys;
	PyObject **vals;
	size_t cap, n;
};

static PyObject *str_of(struct strmap *m, const char *s)
{
	if (!s)
		Py_RETURN_NONE;
	if (2 * (m->n + 1) > m->cap) {
		struct strmap g = {NULL, NULL, m->cap ? 2 * m->cap : 64, 0};
		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.vals = calloc(g.cap, sizeof(*g.vals));
		if (!g.keys || !g.vals)
			abort();
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->keys[i])
				continue;
			size_t h = ((uintptr_t)m->keys[i] >> 3) * 0x9E3779B97F4A7C15ull >> 7;
			while (g.keys[h & (g.cap - 1)])
				h++;
			g.keys[h & (g.cap - 1)] = m->keys[i];
			g.vals[h & (g.cap - 1)] = m->vals[i];
			g.n++;
		}
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	size_t h = ((uintptr_t)s >> 3) * 0x9E3779B97F4A7C15ull >> 7;
	for (;; h++) {
		size_t i = h & (m->cap - 1);
		if (m->keys[i] == s) {
			Py_INCREF(m->vals[i]);
			return m->vals[i];
		}
		if (!m->keys[i]) {
			PyObject *v = PyUnicode_FromString(s);
			if (!v)
				return NULL;
			m->keys[i] = s;
			m->vals[i] = v;   /* the map's reference */
			m->n++;
			Py_INCREF(v);
			return v;
		}
	}
}

static void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			Py_DECREF(m->vals[i]);
	free(m->keys);
	free(m->vals);
}

/* The domains (or their whitelist entries) of one view, as a tuple. */
static PyObject *domain_tuple(struct strmap *m, const struct bpass_packet_view *v, bool wl)
{
	PyObject *t = PyTuple_New(v->n_domains);
	for (uint32_t i = 0; t && i < v->n_domains; i++) {
		PyObject *s = str_of(m, wl ? v->domains[i].whitelisted : v->domains[i].domain);
		if (!s) {
			Py_CLEAR(t);
			break;
		}
		PyTuple_SET_ITEM(t, i, s);
	}
	return t;
}

static PyObject *strings(const char *base, size_t stride, uint32_t n, size_t off, enum col_kind k)
{
	PyObject *list = PyList_New(n);
	struct strmap m = {0};
	PyObject *last_t = NULL;
	const struct bpass_domain_ref *last_d = NULL;
	for (uint32_t i = 0; list && i < n; i++) {
		const char *p = base + (size_t)i * stride;
		PyObject *s;
		if (k == K_DOMAINS || k == K_WHITELISTED) {
			const struct bpass_packet_view *v = (const void *)p;
			/* Packets of one flow share their domain list. */
			if (last_t && v->domains == last_d && v->n_domains) {
				s = last_t;
				Py_INCREF(s);
			} else {
				s = domain_tuple(&m, v, k == K_WHITELISTED);
				last_t = s;
				last_d = v->domains;
			}
		} else {
			const char *str;
			memcpy(&str, p + off, sizeof(str));
			s = str_of(&m, str);
		}
		if (!s) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, i, s);
	}
	strmap_free(&m);
	if (!list)
		return NULL;
	PyObject *r = PyObject_CallFunctionObjArgs(py_objects, list, NULL);
	Py_DECREF(list);
	return r;
}

static PyObject *make_column(const char *base, size_t stride, uint32_t n, const struct col_spec *s)
{
	if (s->kind == K_CLASS_NAME) {
		/* The names by class, in one indexing of the class codes. */
		PyObject *codes = numeric(base, stride, n, s->off, K_ENUM);
		PyObject *r = codes ? PyObject_CallMethod(py_bpass, "_class_names", "O", codes) : NULL;
		Py_XDECREF(codes);
		return r;
	}
	if (s->kind >= K_STR)
		return strings(base, stride, n, s->off, s->kind);
	return numeric(base, stride, n, s->off, s->kind);
}

/* ---- Columns ---------------------------------------------------------------------- */

static PyObject *columns_new(UpdateObject *up, const struct col_spec *spec, const void *base,
			     size_t stride, uint32_t n)
{
	ColumnsObject *o = PyObject_New(ColumnsObject, &columns_type);
	if (!o)
		return NULL;
	Py_INCREF(up);
	o->up = up;
	o->spec = spec;
	o->base = base;
	o->stride = stride;
	o->n = n;
	o->dict = PyDict_New();
	size_t nn = 0;
	while (spec[nn].name)
		nn++;
	o->names = PyTuple_New((Py_ssize_t)nn);
	for (size_t i = 0; o->names && i < nn; i++)
		PyTuple_SET_ITEM(o->names, i, PyUnicode_FromString(spec[i].name));
	if (!o->dict || !o->names) {
		Py_DECREF(o);
		return NULL;
	}
	return (PyObject *)o;
}

static void columns_dealloc(ColumnsObject *o)
{
	Py_XDECREF(o->up);
	Py_XDECREF(o->dict);
	Py_XDECREF(o->names);
	PyObject_Free(o);
}

static PyObject *columns_getattro(ColumnsObject *o, PyObject *name)
{
	PyObject *v = PyDict_GetItemWithError(o->dict, name);
	if (v) {
		Py_INCREF(v);
		return v;
	}
	if (PyErr_Occurred())
		return NULL;
	const char *n = PyUnicode_AsUTF8(name);
	if (!n)
		return NULL;
	if (!strcmp(n, "names")) {
		Py_INCREF(o->names);
		return o->names;
	}
	const struct col_spec *s = o->spec;
	while (s->name && strcmp(s->name, n))
		s++;
	if (!s->name)
		return PyObject_GenericGetAttr((PyObject *)o, name);
	if (!o->up->c)
		return PyErr_Format(error_type, "column \"%s\" of an update used after process "
				    "returned: take the columns during the call", n);
	v = make_column(o->base, o->stride, o->n, s);
	if (!v || PyDict_SetItem(o->dict, name, v)) {
		Py_XDECREF(v);
		return NULL;
	}
	return v;
}

static Py_ssize_t columns_len(ColumnsObject *o)
{
	return o->n;
}

static PyObject *columns_dir(ColumnsObject *o, PyObject *unused)
{
	(void)unused;
	return PySequence_List(o->names);
}

static PyMethodDef columns_methods[] = {
	{"__dir__", (PyCFunction)columns_dir, METH_NOARGS, NULL},
	{NULL, NULL, 0, NULL},
};

static PySequenceMethods columns_seq = {.sq_length = (lenfunc)columns_len};

/* ---- Update ------------------------------------------------------------------------- */

PyObject *py_update_new(struct bpass_ctx *ctx, const struct bpass_update *u)
{
	UpdateObject *o = PyObject_New(UpdateObject, &update_type);
	if (!o)
		return NULL;
	o->c = ctx;
	o->u = u;
	o->dict = PyDict_New();
	if (!o->dict) {
		Py_DECREF(o);
		return NULL;
	}
	return (PyObject *)o;
}

void py_update_kill(PyObject *p)
{
	UpdateObject *o = (UpdateObject *)p;
	o->c = NULL;
	Py_DECREF(p);
}

static void update_dealloc(UpdateObject *o)
{
	Py_XDECREF(o->dict);
	PyObject_Free(o);
}

static PyObject *make_view(UpdateObject *o)
{
	const struct bpass_update *u = o->u;
	if (u->n_packets > cap_views) {
		free(views);
		cap_views = u->n_packets + u->n_packets / 2;
		views = malloc(cap_views * sizeof(*views));
		if (!views) {
			cap_views = 0;
			return PyErr_NoMemory();
		}
	}
	for (uint32_t i = 0; i < u->n_packets; i++)
		if (o->c->packet_view(o->c, u, i, &views[i], sizeof(views[i])))
			return PyErr_Format(error_type, "could not compute the view of packet %u", i);
	return columns_new(o, view_cols, views, sizeof(*views), u->n_packets);
}

static PyObject *update_getattro(UpdateObject *o, PyObject *name)
{
	PyObject *v = PyDict_GetItemWithError(o->dict, name);
	if (v) {
		Py_INCREF(v);
		return v;
	}
	if (PyErr_Occurred())
		return NULL;
	const char *n = PyUnicode_AsUTF8(name);
	if (!n)
		return NULL;
	const struct bpass_update *u = o->u;
	struct {
		const char *name;
		const struct col_spec *spec;
		const void *base;
		size_t stride;
		uint32_t n;
	} tabs[] = {
		{"packets", packet_cols, u->packets, sizeof(*u->packets), u->n_packets},
		{"flows", flow_cols, u->flows, sizeof(*u->flows), u->n_flows},
		{"a_records", a_cols, u->a_records, sizeof(*u->a_records), u->n_a_records},
		{"cname_records", cname_cols, u->cname_records, sizeof(*u->cname_records),
		 u->n_cname_records},
		{"addresses", address_cols, u->addresses, sizeof(*u->addresses), u->n_addresses},
		{"drop_stats", drop_cols, u->drop_stats, sizeof(*u->drop_stats), u->n_drop_stats},
		{"http_urls", http_cols, u->http_urls, sizeof(*u->http_urls), u->n_http_urls},
	};
	const struct col_spec *f = update_fields;
	while (f->name && strcmp(f->name, n))
		f++;
	size_t t = 0;
	while (t < sizeof(tabs) / sizeof(tabs[0]) && strcmp(tabs[t].name, n))
		t++;
	bool view = !strcmp(n, "view");
	if (!f->name && t == sizeof(tabs) / sizeof(tabs[0]) && !view)
		return PyObject_GenericGetAttr((PyObject *)o, name);
	if (!o->c)
		return PyErr_Format(error_type, "update.%s used after process returned: take what "
				    "you keep during the call", n);
	if (view)
		v = make_view(o);
	else if (t < sizeof(tabs) / sizeof(tabs[0]))
		v = columns_new(o, tabs[t].spec, tabs[t].base, tabs[t].stride, tabs[t].n);
	else if (f->kind == K_STRLIST) {
		v = PyTuple_New(u->n_whitelist);
		for (uint32_t i = 0; v && i < u->n_whitelist; i++) {
			PyObject *s = PyUnicode_FromString(u->whitelist[i]);
			if (!s)
				Py_CLEAR(v);
			else
				PyTuple_SET_ITEM(v, i, s);
		}
	} else {
		const char *p = (const char *)u + f->off;
		switch (f->kind) {
		case K_I64: { int64_t x; memcpy(&x, p, 8); v = PyLong_FromLongLong(x); break; }
		case K_I32: { int32_t x; memcpy(&x, p, 4); v = PyLong_FromLong(x); break; }
		case K_U32: { uint32_t x; memcpy(&x, p, 4); v = PyLong_FromUnsignedLong(x); break; }
		case K_BOOL: v = PyBool_FromLong(*(const bool *)p); break;
		default: { const char *s; memcpy(&s, p, sizeof(s)); v = PyUnicode_FromString(s); }
		}
	}
	if (!v || PyDict_SetItem(o->dict, name, v)) {
		Py_XDECREF(v);
		return NULL;
	}
	return v;
}

static PyObject *update_dir(UpdateObject *o, PyObject *unused)
{
	(void)o, (void)unused;
	static const char *const tabs[] = {"packets", "flows", "a_records", "cname_records",
					   "addresses", "drop_stats", "http_urls", "view"};
	PyObject *l = PyList_New(0);
	for (const struct col_spec *f = update_fields; l && f->name; f++) {
		PyObject *s = PyUnicode_FromString(f->name);
		if (!s || PyList_Append(l, s))
			Py_CLEAR(l);
		Py_XDECREF(s);
	}
	for (size_t i = 0; l && i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		PyObject *s = PyUnicode_FromString(tabs[i]);
		if (!s || PyList_Append(l, s))
			Py_CLEAR(l);
		Py_XDECREF(s);
	}
	return l;
}

static PyMethodDef update_methods[] = {
	{"__dir__", (PyCFunction)update_dir, METH_NOARGS, NULL},
	{NULL, NULL, 0, NULL},
};

int py_update_setup(PyObject *module)
{
	update_type = (PyTypeObject){PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "bpass.Update"};
	update_type.tp_basicsize = sizeof(UpdateObject);
	update_type.tp_flags = Py_TPFLAGS_DEFAULT;
	update_type.tp_doc = "An update, as columns (python/host/py_update.c lists them).";
	update_type.tp_getattro = (getattrofunc)update_getattro;
	update_type.tp_dealloc = (destructor)update_dealloc;
	update_type.tp_methods = update_methods;
	columns_type = (PyTypeObject){PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "bpass.Columns"};
	columns_type.tp_basicsize = sizeof(ColumnsObject);
	columns_type.tp_flags = Py_TPFLAGS_DEFAULT;
	columns_type.tp_doc = "A section of an update as columns: one attribute per field.";
	columns_type.tp_getattro = (getattrofunc)columns_getattro;
	columns_type.tp_dealloc = (destructor)columns_dealloc;
	columns_type.tp_as_sequence = &columns_seq;
	columns_type.tp_methods = columns_methods;
	if (PyType_Ready(&update_type) || PyType_Ready(&columns_type))
		return -1;
	error_type = PyObject_GetAttrString(module, "Error");
	if (!error_type)
		return -1;
	Py_INCREF(&update_type);
	Py_INCREF(&columns_type);
	return PyModule_AddObject(module, "Update", (PyObject *)&update_type) ||
	       PyModule_AddObject(module, "Columns", (PyObject *)&columns_type);
}

int py_update_ready(PyObject *bpass_module)
{
	column_fn = PyObject_GetAttrString(bpass_module, "_column");
	return column_fn ? 0 : -1;
}
