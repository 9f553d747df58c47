/*
 * processors/bpass.h: the public API for bpass session processors.
 *
 * This is the one header a researcher includes to write a processor. Built-in
 * processors use it exactly as plugins do.
 *
 * How to write a processor (processors/example/byte_count_plugin.c is the
 * template to copy):
 *
 *  1. Include <bpass.h>. Decide what you keep per session (persistent state,
 *     saved between runs), what you keep only for this run (ephemeral state),
 *     and what you build across all sessions (the global result).
 *  2. Write the callbacks you need; leave the others NULL. Every callback that
 *     returns int returns 0 on success and -1 on failure.
 *  3. Fill one const struct bpass_processor with designated initializers,
 *     starting with BPASS_PROCESSOR_HEADER.
 *  4. Export it: for a plugin, define
 *        const struct bpass_processor *const *bpass_processors(void)
 *     returning a NULL-terminated array of your descriptors (use the macro
 *     BPASS_PLUGIN(...)). Built-ins sit in processors/builtin.c instead.
 *  5. Build: cc -shared -fPIC $(pkg-config --cflags bpass) p.c -o p.so
 *     and run: bpass run INDEX STATE --plugin ./p.so -p your-name
 *  6. Bump .version whenever what you compute changes: saved states of the old
 *     version are then recomputed from update 0 (or upgraded by your load
 *     callback, which is told the version it was saved with).
 *
 * Call order, per run:
 *   - in each worker, per session: session_new (or load of the saved state),
 *     ephemeral_new, then process for every new update in sequence order
 *     (processors in dependency order, so a processor sees the state its
 *     dependencies built for the same update), session_complete, save,
 *     ephemeral_save; then session_free and ephemeral_free.
 *   - in the parent: global_new once; per session, load + ephemeral_load of
 *     what the worker sent, session_figures, merge, then the frees; at the end
 *     global_complete, write_results, global_free. merge must not depend on
 *     the order in which sessions arrive.
 *   - a session with nothing new for any selected processor (same versions,
 *     no --recompute) is merged by the parent straight from its saved state,
 *     without a worker: session_complete is not called for it again, and
 *     merge gets eph == NULL.
 * Callbacks run single-threaded within their process; a processor may keep no
 * global mutable variables (workers and the parent are separate processes).
 *
 * Ownership: the framework owns every pointer it passes in; they are valid
 * only during the call. A processor owns the states it returns from *_new and
 * frees them in the matching *_free.
 */
#ifndef BPASS_H
#define BPASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpass_update.h"
#include "session_key.h"   /* struct bpass_session_key: the identity of a session */

/* Bumped whenever struct bpass_processor or the vtables below change incompatibly. */
#define BPASS_ABI_VERSION 1

/*
 * A msgpack writer handed to the save callbacks. Write any sequence of values;
 * the reader handed to load gives them back in the same order. Errors are
 * sticky and reported by the framework; the calls themselves cannot fail.
 */
struct bpass_writer {
	void *impl;
	void (*array)(struct bpass_writer *w, uint32_t n);  /* n values follow */
	void (*map)(struct bpass_writer *w, uint32_t n);    /* n key, value pairs follow */
	void (*nil)(struct bpass_writer *w);
	void (*boolean)(struct bpass_writer *w, bool v);
	void (*i64)(struct bpass_writer *w, int64_t v);
	void (*u64)(struct bpass_writer *w, uint64_t v);
	void (*f64)(struct bpass_writer *w, double v);
	void (*str)(struct bpass_writer *w, const char *s, size_t len);
	void (*bin)(struct bpass_writer *w, const void *p, size_t len);
};

/*
 * A msgpack reader handed to the load callbacks. Each call reads the next
 * value and returns 0, or -1 when the next value is missing or of another
 * type. After a failure every later call fails too, so a load callback can
 * read everything and check once. Strings and binaries are borrowed until the
 * load callback returns; they are not NUL-terminated.
 */
struct bpass_reader {
	void *impl;
	int (*array)(struct bpass_reader *r, uint32_t *n);
	int (*map)(struct bpass_reader *r, uint32_t *n);
	int (*nil)(struct bpass_reader *r);
	int (*boolean)(struct bpass_reader *r, bool *v);
	int (*i64)(struct bpass_reader *r, int64_t *v);   /* accepts any integer that fits */
	int (*u64)(struct bpass_reader *r, uint64_t *v);
	int (*f64)(struct bpass_reader *r, double *v);    /* accepts integers too */
	int (*str)(struct bpass_reader *r, const char **s, size_t *len);
	int (*bin)(struct bpass_reader *r, const void **p, size_t *len);
	bool (*at_end)(struct bpass_reader *r);           /* true when nothing is left */
};

/*
 * What a processor sees while processing a session (passed to process and
 * session_complete).
 */
struct bpass_ctx {
	void *impl;
	const struct bpass_session_key *key;
	/* The persistent session state of processor `name`, which must be listed in
	 * .depends; NULL otherwise. Borrowed for the duration of the call. */
	const void *(*state_of)(struct bpass_ctx *ctx, const char *name);
	/* A warning about this session, printed with the session and processor named. */
	void (*warn)(struct bpass_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
};

/*
 * Per-session figures for the run's sessions table (sessions.csv): a processor
 * adds named integer columns for one session. Names are lower_snake_case and
 * unique across processors.
 */
struct bpass_figures {
	void *impl;
	void (*add)(struct bpass_figures *f, const char *column, int64_t value);
};

/*
 * Result tables. A table is opened with its name (the file name without
 * extension, e.g. "bytes_per_node") and its column names; then rows are written
 * cell by cell and ended with row_end. Rows must be written sorted by their
 * key columns. The framework writes CSV (header row first) or JSON Lines.
 */
struct bpass_table;
struct bpass_results {
	void *impl;
	/* columns: NULL-terminated. Returns NULL (after a message) on I/O error. */
	struct bpass_table *(*table)(struct bpass_results *res, const char *name,
				     const char *const *columns);
	void (*str)(struct bpass_table *t, const char *s);
	void (*i64)(struct bpass_table *t, int64_t v);
	void (*u64)(struct bpass_table *t, uint64_t v);
	void (*f64)(struct bpass_table *t, double v);        /* printed exactly (%.17g) */
	void (*null)(struct bpass_table *t);                 /* empty cell / JSON null */
	void (*iso_us)(struct bpass_table *t, int64_t us);   /* 2012-05-15T18:00:00.512345Z */
	void (*iso_s)(struct bpass_table *t, int64_t s);     /* 2012-05-15T18:00:00Z */
	int (*row_end)(struct bpass_table *t);
	int (*close)(struct bpass_table *t);                 /* flushes and frees t */
};

/* Fills in the ABI fields; put it first in every descriptor. */
#define BPASS_PROCESSOR_HEADER \
	.abi_version = BPASS_ABI_VERSION, .struct_size = sizeof(struct bpass_processor)

struct bpass_processor {
	uint32_t abi_version;       /* BPASS_ABI_VERSION */
	uint32_t struct_size;       /* sizeof(struct bpass_processor) */
	const char *name;           /* unique, lower-case with dashes, e.g. "byte-count" */
	uint32_t version;           /* bump when results change; >= 1 */
	const char *description;    /* one line */
	const char *const *depends; /* NULL-terminated names whose session state this reads; may be NULL */

	/* Persistent session state. session_new returns NULL only on failure.
	 * Optional as a group: a processor keeping only ephemeral state leaves
	 * session_new, session_free, save and load NULL (state is then NULL). */
	void *(*session_new)(const struct bpass_session_key *key);
	void (*session_free)(void *state);
	/* Ephemeral session state: fresh in every run. NULL when not needed. */
	void *(*ephemeral_new)(const struct bpass_session_key *key);
	void (*ephemeral_free)(void *eph);

	/* Called for each new update of the session, in sequence order. */
	int (*process)(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u);
	/* Called once per run per session, after its last new update (also when there was none). */
	int (*session_complete)(struct bpass_ctx *ctx, void *state, void *eph);

	/* Persist the session state; load it into a fresh session_new() state.
	 * load receives the .version the state was saved with; returning -1 makes
	 * the framework recompute this processor for the session from update 0. */
	int (*save)(const void *state, struct bpass_writer *w);
	int (*load)(void *state, uint32_t saved_version, struct bpass_reader *r);
	/* The same for ephemeral state (sent from worker to parent, never stored). */
	int (*ephemeral_save)(const void *eph, struct bpass_writer *w);
	int (*ephemeral_load)(void *eph, struct bpass_reader *r);

	/* Per-session figures for sessions.csv (may be NULL). eph may be NULL. */
	int (*session_figures)(const void *state, const void *eph, struct bpass_figures *f);

	/* The global result. */
	void *(*global_new)(void);
	void (*global_free)(void *global);
	/* Merge one session's states (eph may be NULL) into the global result. */
	int (*merge)(void *global, const struct bpass_session_key *key, const void *state,
		     const void *eph);
	int (*global_complete)(void *global);
	/* Save/load the completed global result (for --cache-global and bpass results). */
	int (*global_save)(const void *global, struct bpass_writer *w);
	int (*global_load)(void *global, uint32_t saved_version, struct bpass_reader *r);
	/* Write the result tables of the completed global result. */
	int (*write_results)(const void *global, struct bpass_results *res);
};

/* The entry point a plugin exports: a NULL-terminated array of descriptors. */
typedef const struct bpass_processor *const *(*bpass_plugin_entry_fn)(void);
#define BPASS_PLUGIN_ENTRY "bpass_processors"

/* Defines the entry point of a plugin: BPASS_PLUGIN(&proc_a, &proc_b). */
#define BPASS_PLUGIN(...)                                                           \
	const struct bpass_processor *const *bpass_processors(void);                \
	const struct bpass_processor *const *bpass_processors(void)                 \
	{                                                                           \
		static const struct bpass_processor *const list[] = {__VA_ARGS__, NULL}; \
		return list;                                                        \
	}

#endif /* BPASS_H */
