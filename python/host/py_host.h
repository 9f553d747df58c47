/*
 * python/host/py_host.h: the Python host, the shared object bpass loads
 * (dlopen, processors/registry.c through python/py_loader.h) the first time
 * it loads a .py processor. It embeds CPython: one interpreter per process,
 * started in the process that loads the file (the parent), inherited by the
 * workers and mergers it forks (pthread_atfork runs CPython's before/after
 * fork hooks; the main thread holds the GIL for the life of the process, as
 * bpass calls processors from one thread). Every Python processor becomes an
 * ordinary struct bpass_processor whose callbacks call into Python, so the
 * harness handles it like a C plugin: crash isolation, mergers, options,
 * --verify, saved state. The host uses only the public headers: it links
 * nothing of bpass.
 *
 * Files: py_host.c (interpreter, loading, descriptors, the entry point),
 * py_call.c (the descriptor's callbacks), py_ctx.c (the Context type and
 * ctx.add), py_update.c (updates and views as columns), py_pack.c (states as
 * msgpack), py_results.c (write_results). python/bpass/__init__.py is the
 * module's pure-Python part.
 */
#ifndef PYTHON_HOST_PY_HOST_H
#define PYTHON_HOST_PY_HOST_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdbool.h>
#include <stdint.h>

#include "bpass.h"

/*
 * LeakSanitizer: CPython keeps objects it never frees (the interpreter is
 * never finalized) reachable in ways LeakSanitizer cannot follow, so what
 * Python allocates while it runs (loading a file, running a callback) is
 * not leak-checked in sanitizer builds; bpass's own allocations still are.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define PY_LSAN_OFF() __lsan_disable()
#define PY_LSAN_ON() __lsan_enable()
#else
#define PY_LSAN_OFF() ((void)0)
#define PY_LSAN_ON() ((void)0)
#endif

/* The entry point bpass looks up (python/py_loader.h). */
#define PY_HOST_ENTRY "bpass_python_load"

/* The callbacks a Python processor may define, as bpass.CALLBACKS lists them. */
enum py_cb {
	PY_CB_INIT, PY_CB_EXIT, PY_CB_SESSION_NEW, PY_CB_PROCESS, PY_CB_SESSION_COMPLETE,
	PY_CB_SAVE, PY_CB_LOAD, PY_CB_EPHEMERAL_NEW, PY_CB_SESSION_FIGURES, PY_CB_GLOBAL_NEW,
	PY_CB_MERGE, PY_CB_COMBINE, PY_CB_COMPLETE, PY_CB_GLOBAL_SAVE, PY_CB_GLOBAL_LOAD,
	PY_CB_WRITE_RESULTS, PY_CB_N
};

/* A declared table as ctx.add needs it: per cell (non-COUNT column), whether
 * it takes a string. */
struct py_table {
	PyObject *name;            /* str */
	uint32_t n_cells;
	bool cell_is_str[64];
	const char *cell_name[64]; /* borrowed from the processor's declaration */
};

/* One Python processor of this process. */
struct py_proc {
	struct bpass_processor desc;     /* what bpass registers */
	const char *file;                /* the file it came from, as given */
	PyObject *cb[PY_CB_N];           /* callables, or NULL */
	PyObject *ctx;                   /* its Context object (py_ctx.c), reused */
	struct py_table *tables;         /* as declared */
	uint32_t n_tables;
	/* Owned storage behind desc: */
	char *name, *description;
	char **depends;                  /* NULL-terminated */
	struct bpass_option *options;    /* ended by a NULL name */
	struct bpass_table_decl *decls;  /* ended by a NULL name */
	struct bpass_column **columns;
	char **strs;                     /* every other string, freed with it */
	size_t n_strs;
};

/* A state, ephemeral state or global result: a Python value. */
struct py_value {
	PyObject *v;                     /* owned; Py_None for none */
};

/* The Python processor called name (ctx->processor), or NULL. */
struct py_proc *py_find(const char *name);

/* The pure-Python part (bpass) and the marker types it defines. */
extern PyObject *py_bpass;
extern PyObject *py_iso_us_type, *py_iso_s_type, *py_objects, *py_decline;

/* Says why the running callback fails: ctx->error with the current Python
 * exception (its last traceback lines, through bpass._format_exception),
 * which is cleared. Returns -1. */
int py_fail(struct bpass_ctx *ctx);
/* One line for the current Python exception (cleared); caller frees. */
char *py_exception_text(void);

/* py_ctx.c: the Context type. */
int py_ctx_setup(PyObject *module);
PyObject *py_ctx_new(struct py_proc *pp);
/* Points pp's Context at ctx for one call (eph: the ephemeral state or NULL)
 * and returns it (borrowed); py_ctx_leave ends the call. */
PyObject *py_ctx_enter(struct py_proc *pp, struct bpass_ctx *ctx, struct py_value *eph);
void py_ctx_leave(struct py_proc *pp);

/* py_update.c: the Update type (columns), alive during one process call. */
int py_update_setup(PyObject *module);
PyObject *py_update_new(struct bpass_ctx *ctx, const struct bpass_update *u);
/* Ends its life: its columns stay, new ones cannot be made. Consumes u. */
void py_update_kill(PyObject *u);
/* Reads what it needs of the bpass module once imported. */
int py_update_ready(PyObject *bpass_module);

/* py_pack.c: msgpack <-> Python. py_pack returns a bytes object or NULL
 * (exception set); py_unpack the value or NULL (exception set). */
PyObject *py_pack(PyObject *v);
PyObject *py_unpack(const void *data, size_t len);

/* py_results.c: the results object handed to write_results. */
int py_results_setup(PyObject *module);
PyObject *py_results_new(struct bpass_results *res);
/* Closes the tables it opened and ends its life (the caller still owns
 * r). Returns 0 or -1 (exception set). */
int py_results_finish(PyObject *r);

/* py_call.c: fills pp->desc's callbacks from pp->cb. */
void py_call_fill(struct py_proc *pp);

#endif
