/*
 * python/host/py_host.c: the embedded interpreter (started by the first .py
 * processor a process loads), the _bpass module, reading a processor file
 * through bpass._load and turning each processor into a struct
 * bpass_processor (see py_host.h).
 */
#include "py_host.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PY_HOME
#error "PY_HOME (the prefix of the Python installation) is set by the Makefile"
#endif

PyObject *py_bpass, *py_iso_us_type, *py_iso_s_type, *py_objects, *py_decline;

static struct py_proc **procs;      /* the loaded processors */
static size_t n_procs;
/* The files loaded, by real path, and their descriptor lists: loading one
 * again (each registry of the process does, as dlopen does for a C
 * plugin) gives the same processors without running the file again. */
static struct loaded {
	char *real;
	const struct bpass_processor **list;
} *files;
static size_t n_files;
static bool started;

/* Everything made here lives as long as the process: kept reachable (for
 * LeakSanitizer), including the processors of a file that failed to load. */
static void **kept;
static size_t n_kept;

static void *keep_ptr(void *p)
{
	kept = realloc(kept, (n_kept + 1) * sizeof(*kept));
	if (!kept)
		abort();
	return kept[n_kept++] = p;
}

struct py_proc *py_find(const char *name)
{
	for (size_t i = 0; i < n_procs; i++)
		if (procs[i]->name == name || !strcmp(procs[i]->name, name))
			return procs[i];
	return NULL;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

char *py_exception_text(void)
{
	PyObject *t, *v, *tb;
	PyErr_Fetch(&t, &v, &tb);
	if (!t)
		return strdup("unknown Python error");
	PyErr_NormalizeException(&t, &v, &tb);
	if (tb && v)
		PyException_SetTraceback(v, tb);
	PyObject *s = NULL;
	if (py_bpass && v)
		s = PyObject_CallMethod(py_bpass, "_format_exception", "O", v);
	if (!s) {
		PyErr_Clear();
		s = v ? PyObject_Str(v) : NULL;
	}
	char *out = NULL;
	const char *u = s ? PyUnicode_AsUTF8(s) : NULL;
	if (!u)
		PyErr_Clear();
	out = strdup(u ? u : "unknown Python error");
	Py_XDECREF(s);
	Py_XDECREF(t);
	Py_XDECREF(v);
	Py_XDECREF(tb);
	return out;
}

int py_fail(struct bpass_ctx *ctx)
{
	char *text = py_exception_text();
	ctx->error(ctx, "%s", text);
	free(text);
	return -1;
}

/* ---- the _bpass module ------------------------------------------------------ */

static struct PyModuleDef bpass_module = {
	PyModuleDef_HEAD_INIT, "_bpass", "The C part of the bpass module (python/host/).", -1,
	NULL, NULL, NULL, NULL, NULL,
};

static PyObject *init_bpass_module(void)
{
	PyObject *m = PyModule_Create(&bpass_module);
	if (!m)
		return NULL;
	PyObject *err = PyErr_NewExceptionWithDoc("bpass.Error", "An error of the bpass module.",
						  NULL, NULL);
	if (!err || PyModule_AddObject(m, "Error", err) ||
	    PyModule_AddStringConstant(m, "version", BPASS_VERSION_STRING) ||
	    py_ctx_setup(m) || py_update_setup(m) || py_results_setup(m)) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}

/* The folder of this shared object: the pure-Python part sits beside it. */
static void host_dir(char *out, size_t size)
{
	Dl_info info;
	out[0] = 0;
	if (dladdr((void *)host_dir, &info) && info.dli_fname) {
		snprintf(out, size, "%s", info.dli_fname);
		char *slash = strrchr(out, '/');
		if (slash)
			*slash = 0;
		else
			snprintf(out, size, ".");
	}
}

/* Why the interpreter could not start (it is tried once per process). */
static char start_error[2048];

static int start_once(char *err, size_t errlen);

static int start(char *err, size_t errlen)
{
	if (!started && !start_error[0] && start_once(start_error, sizeof(start_error)) &&
	    !start_error[0])
		snprintf(start_error, sizeof(start_error), "could not start Python");
	if (start_error[0]) {
		set_err(err, errlen, "%s", start_error);
		return -1;
	}
	return 0;
}

static int start_once(char *err, size_t errlen)
{
	/* Extension modules (numpy's) are not linked with libpython: they find
	 * its symbols in the global scope, as in the python command. */
	Dl_info info;
	if (dladdr((void *)Py_InitializeFromConfig, &info) && info.dli_fname)
		dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD | RTLD_NODELETE);
	/* Worker processes are pinned to one core each. */
	setenv("OPENBLAS_NUM_THREADS", "1", 0);
	if (PyImport_AppendInittab("_bpass", init_bpass_module)) {
		set_err(err, errlen, "could not register the _bpass module");
		return -1;
	}
	PyPreConfig pre;
	PyPreConfig_InitPythonConfig(&pre);
#ifdef __SANITIZE_ADDRESS__
	/* Every object a malloc block, so that LeakSanitizer sees the pointers. */
	pre.allocator = PYMEM_ALLOCATOR_MALLOC;
#endif
	PyStatus st = Py_PreInitialize(&pre);
	PyConfig c;
	PyConfig_InitPythonConfig(&c);
	c.install_signal_handlers = 0;   /* bpass's handlers stay */
	c.parse_argv = 0;
	c.buffered_stdio = 0;            /* print() is not lost by _exit */
	c.write_bytecode = 0;            /* no __pycache__ beside processors */
	if (!PyStatus_Exception(st))
		st = PyConfig_SetBytesString(&c, &c.home, PY_HOME);
	if (!PyStatus_Exception(st))
		st = PyConfig_SetBytesString(&c, &c.program_name, "bpass");
	if (!PyStatus_Exception(st))
		st = Py_InitializeFromConfig(&c);
	PyConfig_Clear(&c);
	if (PyStatus_Exception(st)) {
		set_err(err, errlen, "could not start Python: %s",
			st.err_msg ? st.err_msg : "unknown error");
		return -1;
	}
	started = true;
	/* The main thread keeps the GIL; a fork in it (a worker, a merger)
	 * gets a working copy of the interpreter. */
	pthread_atfork(PyOS_BeforeFork, PyOS_AfterFork_Parent, PyOS_AfterFork_Child);
	char dir[4096];
	host_dir(dir, sizeof(dir));
	PyObject *path = PySys_GetObject("path");   /* borrowed */
	PyObject *d = PyUnicode_DecodeFSDefault(dir);
	if (!path || !d || PyList_Insert(path, 0, d)) {
		Py_XDECREF(d);
		goto fail;
	}
	Py_DECREF(d);
	py_bpass = PyImport_ImportModule("bpass");
	if (!py_bpass)
		goto fail;
	py_iso_us_type = PyObject_GetAttrString(py_bpass, "iso_us");
	py_iso_s_type = PyObject_GetAttrString(py_bpass, "iso_s");
	py_objects = PyObject_GetAttrString(py_bpass, "_objects");
	py_decline = PyObject_GetAttrString(py_bpass, "Decline");
	if (!py_iso_us_type || !py_iso_s_type || !py_objects || !py_decline ||
	    py_update_ready(py_bpass))
		goto fail;
	return 0;
fail:;
	char *text = py_exception_text();
	set_err(err, errlen, "could not import the bpass module (from \"%s\"): %s", dir, text);
	free(text);
	Py_CLEAR(py_bpass);
	return -1;
}

/* ---- descriptors --------------------------------------------------------------- */

static char *keep(struct py_proc *pp, const char *s)
{
	pp->strs = realloc(pp->strs, (pp->n_strs + 1) * sizeof(*pp->strs));
	if (!pp->strs)
		abort();
	return pp->strs[pp->n_strs++] = strdup(s);
}

/* A str attribute of spec, kept in pp; NULL (exception set) when not a str. */
static char *str_attr(struct py_proc *pp, PyObject *spec, const char *attr)
{
	PyObject *o = PyObject_GetAttrString(spec, attr);
	const char *s = o ? PyUnicode_AsUTF8(o) : NULL;
	char *out = s ? keep(pp, s) : NULL;
	Py_XDECREF(o);
	return out;
}

static const char *utf8(PyObject *o)
{
	return o == Py_None ? NULL : PyUnicode_AsUTF8(o);
}

static int fill_tables(struct py_proc *pp, PyObject *tables)
{
	Py_ssize_t n = PyList_GET_SIZE(tables);
	if (n > 64) {
		PyErr_SetString(PyExc_ValueError, "more than 64 tables");
		return -1;
	}
	pp->n_tables = (uint32_t)n;
	pp->tables = calloc((size_t)n + 1, sizeof(*pp->tables));
	pp->decls = calloc((size_t)n + 1, sizeof(*pp->decls));
	pp->columns = calloc((size_t)n + 1, sizeof(*pp->columns));
	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *t = PyList_GET_ITEM(tables, i);   /* (name, [(col, type)]) */
		PyObject *cols = PyTuple_GET_ITEM(t, 1);
		Py_ssize_t nc = PyList_GET_SIZE(cols);
		struct py_table *pt = &pp->tables[i];
		pt->name = PyTuple_GET_ITEM(t, 0);
		Py_INCREF(pt->name);
		pp->decls[i].name = keep(pp, PyUnicode_AsUTF8(pt->name));
		pp->columns[i] = calloc((size_t)nc + 1, sizeof(**pp->columns));
		pp->decls[i].columns = pp->columns[i];
		for (Py_ssize_t j = 0; j < nc; j++) {
			PyObject *c = PyList_GET_ITEM(cols, j);
			const char *cname = PyUnicode_AsUTF8(PyTuple_GET_ITEM(c, 0));
			long type = PyLong_AsLong(PyTuple_GET_ITEM(c, 1));
			if (!cname || type < 0)
				return -1;
			pp->columns[i][j].name = keep(pp, cname);
			pp->columns[i][j].type = (enum bpass_type)type;
			if (type == BPASS_VAL_COUNT)
				continue;
			if (pt->n_cells == 64) {
				PyErr_SetString(PyExc_ValueError, "more than 64 columns");
				return -1;
			}
			pt->cell_name[pt->n_cells] = pp->columns[i][j].name;
			pt->cell_is_str[pt->n_cells++] =
				type == BPASS_KEY_STR || type == BPASS_VAL_DISTINCT_STR;
		}
	}
	return 0;
}

/* A struct py_proc for one bpass._Spec; NULL with an exception set. */
static struct py_proc *make_proc(PyObject *spec)
{
	struct py_proc *pp = keep_ptr(calloc(1, sizeof(*pp)));
	PyObject *depends = NULL, *options = NULL, *tables = NULL, *cbs = NULL, *version = NULL;
	if (!pp)
		return (struct py_proc *)PyErr_NoMemory();
	pp->name = str_attr(pp, spec, "name");
	pp->description = pp->name ? str_attr(pp, spec, "description") : NULL;
	if (!pp->description)
		goto fail;
	version = PyObject_GetAttrString(spec, "version");
	long long v = version ? PyLong_AsLongLong(version) : -1;
	if (v < 0 || v > UINT32_MAX) {
		if (!PyErr_Occurred())
			PyErr_Format(PyExc_ValueError, "processor \"%s\": version %lld is out of range",
				     pp->name, v);
		goto fail;
	}
	depends = PyObject_GetAttrString(spec, "depends");
	options = PyObject_GetAttrString(spec, "options");
	tables = PyObject_GetAttrString(spec, "tables");
	cbs = PyObject_GetAttrString(spec, "callbacks");
	if (!depends || !options || !tables || !cbs)
		goto fail;
	Py_ssize_t nd = PyList_GET_SIZE(depends), no = PyList_GET_SIZE(options);
	pp->depends = calloc((size_t)nd + 1, sizeof(*pp->depends));
	for (Py_ssize_t i = 0; i < nd; i++)
		if (!(pp->depends[i] = (char *)utf8(PyList_GET_ITEM(depends, i))) ||
		    !(pp->depends[i] = keep(pp, pp->depends[i])))
			goto fail;
	pp->options = calloc((size_t)no + 1, sizeof(*pp->options));
	for (Py_ssize_t i = 0; i < no; i++) {
		PyObject *o = PyList_GET_ITEM(options, i);   /* (name, description, default) */
		const char *name = utf8(PyTuple_GET_ITEM(o, 0));
		const char *desc = utf8(PyTuple_GET_ITEM(o, 1));
		const char *def = utf8(PyTuple_GET_ITEM(o, 2));
		if (!name || !desc || (!def && PyErr_Occurred()))
			goto fail;
		pp->options[i].name = keep(pp, name);
		pp->options[i].description = keep(pp, desc);
		pp->options[i].default_value = def ? keep(pp, def) : NULL;
	}
	if (PyList_GET_SIZE(tables) && fill_tables(pp, tables))
		goto fail;
	static const char *const names[PY_CB_N] = {
		"init", "exit", "session_new", "process", "session_complete", "save", "load",
		"ephemeral_new", "session_figures", "global_new", "merge", "combine", "complete",
		"global_save", "global_load", "write_results"};
	for (int i = 0; i < PY_CB_N; i++) {
		pp->cb[i] = PyDict_GetItemString(cbs, names[i]);   /* borrowed */
		Py_XINCREF(pp->cb[i]);
	}
	pp->desc = (struct bpass_processor){
		BPASS_PROCESSOR_HEADER,
		.name = pp->name,
		.version = (uint32_t)v,
		.description = pp->description,
		.depends = nd ? (const char *const *)pp->depends : NULL,
		.options = no ? pp->options : NULL,
		.tables = pp->n_tables ? pp->decls : NULL,
	};
	py_call_fill(pp);
	pp->ctx = py_ctx_new(pp);
	if (!pp->ctx)
		goto fail;
	Py_DECREF(version);
	Py_DECREF(depends);
	Py_DECREF(options);
	Py_DECREF(tables);
	Py_DECREF(cbs);
	return pp;
fail:
	/* Kept: a half-made processor is never registered, and this is rare. */
	Py_XDECREF(version);
	Py_XDECREF(depends);
	Py_XDECREF(options);
	Py_XDECREF(tables);
	Py_XDECREF(cbs);
	return NULL;
}

/*
 * The entry point (PY_HOST_ENTRY): loads the processors of the Python file
 * path. Returns a NULL-terminated array of descriptors that live as long as
 * the process, or NULL with the reason in err.
 */
const struct bpass_processor *const *bpass_python_load(const char *path, char *err,
						      size_t errlen);
static const struct bpass_processor *const *load(const char *path, char *err, size_t errlen);

__attribute__((visibility("default")))
const struct bpass_processor *const *bpass_python_load(const char *path, char *err,
						      size_t errlen)
{
	PY_LSAN_OFF();
	const struct bpass_processor *const *list = load(path, err, errlen);
	PY_LSAN_ON();
	return list;
}

static const struct bpass_processor *const *load(const char *path, char *err, size_t errlen)
{
	if (start(err, errlen))
		return NULL;
	char *real = realpath(path, NULL);
	for (size_t i = 0; real && i < n_files; i++)
		if (!strcmp(files[i].real, real)) {
			free(real);
			return files[i].list;
		}
	PyObject *specs = PyObject_CallMethod(py_bpass, "_load", "s", path);
	if (!specs) {
		char *text = py_exception_text();
		set_err(err, errlen, "%s", text);
		free(text);
		free(real);
		return NULL;
	}
	Py_ssize_t n = PyList_GET_SIZE(specs);
	const struct bpass_processor **list = keep_ptr(calloc((size_t)n + 1, sizeof(*list)));
	struct py_proc **made = calloc((size_t)n + 1, sizeof(*made));
	for (Py_ssize_t i = 0; i < n; i++) {
		made[i] = make_proc(PyList_GET_ITEM(specs, i));
		const char *dup = made[i] ? made[i]->name : NULL;
		if (made[i])
			made[i]->file = keep(made[i], path);
		for (size_t j = 0; dup && j < n_procs; j++)
			if (!strcmp(procs[j]->name, dup))
				PyErr_Format(PyExc_ValueError, "duplicate processor \"%s\": already "
					     "registered by plugin \"%s\"", dup, procs[j]->file);
		for (Py_ssize_t j = 0; dup && j < i; j++)
			if (!strcmp(made[j]->name, dup))
				PyErr_Format(PyExc_ValueError, "processor \"%s\" defined twice", dup);
		if (!made[i] || PyErr_Occurred()) {
			char *text = py_exception_text();
			set_err(err, errlen, "%s", text);
			free(text);
			free(made);
			free(real);
			Py_DECREF(specs);
			return NULL;
		}
		list[i] = &made[i]->desc;
	}
	Py_DECREF(specs);
	procs = realloc(procs, (n_procs + (size_t)n) * sizeof(*procs));
	if (!procs)
		abort();
	for (Py_ssize_t i = 0; i < n; i++)
		procs[n_procs++] = made[i];
	free(made);
	if (real) {
		files = realloc(files, (n_files + 1) * sizeof(*files));
		if (!files)
			abort();
		files[n_files].real = real;
		files[n_files++].list = list;
	}
	return list;
}
