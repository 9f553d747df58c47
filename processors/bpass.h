/*
 * processors/bpass.h: the public API for bpass session processors.
 *
 * This is the one header a researcher includes to write a processor. Built-in
 * processors use it exactly as plugins do. What the data means is in two
 * documents installed with it (share/doc/bpass/): docs/update-format.md (the
 * fields of an update) and docs/semantics.md (sessions and sequence rules,
 * flow ids and their reuse, direction, address ids, DNS windows, the
 * whitelist, and the views of the correlation built-ins below).
 *
 * How to write a processor (docs/plugins.md, one page; the examples in
 * share/bpass/examples/ are 40-55 lines each):
 *
 *  1. Include <bpass_sdk.h> (the SDK; it includes this header). Declare the
 *     result tables in .tables (typed key columns; value columns with sum,
 *     min, max, count, count-distinct) and add rows in process with
 *     bpass_add(ctx, table, cell...): bpass keeps them per session, merges,
 *     combines and writes them.
 *  2. For what the correlation built-ins know about a packet (its flow and
 *     protocol class, local device, remote address, domains), call
 *     ctx->packet_view and list the built-ins in .depends.
 *  3. Fill one const struct bpass_processor with designated initializers,
 *     starting with BPASS_PROCESSOR_HEADER, and export it with
 *     BPASS_PLUGIN(&p) (built-ins sit in processors/builtin.c instead).
 *  4. Build: cc -shared -fPIC $(pkg-config --cflags --libs bpass) p.c -o p.so
 *     (outside the default prefix: PKG_CONFIG_PATH=PREFIX/lib/pkgconfig) and
 *     run: bpass run INDEX STATE --plugin ./p.so -p your-name; check the
 *     incremental results with bpass run --verify.
 *  5. Bump .version whenever what you compute changes: saved states of the old
 *     version are then recomputed from update 0 (or upgraded by your load
 *     callback, which is told the version it was saved with).
 *  6. State of your own (session_new/save/load...), a global result of your
 *     own (merge, global_combine, write_results) and figures for
 *     sessions.csv: the callbacks below, written by hand in
 *     docs/plugin-api.md on processors/example/byte_count_plugin.c. Every
 *     callback that returns int returns 0 on success and -1 on failure.
 *  7. Every callback gets a struct bpass_ctx: say why it fails with
 *     ctx->error, warn with ctx->warn, read your declared .options with
 *     ctx->option (set by bpass run -o NAME.OPTION=VALUE; a changed value
 *     recomputes like a version bump). init/exit run once per process.
 *     C++ works as is (extern "C" guards; BPASS_PLUGIN is extern "C").
 *
 * Call order, per run:
 *   - init once in every process that calls the processor, exit at its end;
 *   - in each worker, per session: session_new (or load of the saved state),
 *     ephemeral_new, then process for every new update in sequence order
 *     (processors in dependency order, so a processor sees the state its
 *     dependencies built for the same update), session_complete, save,
 *     ephemeral_save, session_figures; then session_free and ephemeral_free.
 *   - in the processor's merger (a process of its own per processor, forked
 *     by the parent; the parent itself with -w 0): global_new once; per session, load + ephemeral_load of
 *     what the worker sent, session_figures, merge, then the frees (a
 *     processor without merge is not loaded there: the worker's figures are
 *     taken, but for a session merged from its saved state); at the end
 *     global_complete, write_results, global_free. merge must not depend on
 *     the order in which sessions arrive.
 *   - a session with nothing new for any selected processor (same versions,
 *     no --recompute) is merged by the mergers straight from its saved state,
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

#ifdef __cplusplus
extern "C" {
#endif

/* The version of bpass this header belongs to: the one place it is set (the
 * Makefile and bpass.pc read it from here). A plugin that links nothing
 * learns the running framework's version from ctx->bpass_version. */
#define BPASS_VERSION_MAJOR 0
#define BPASS_VERSION_MINOR 2
#define BPASS_VERSION_PATCH 0
#define BPASS_VERSION_STRING "0.2.0"

/* Bumped whenever struct bpass_processor or the vtables below change
 * incompatibly (appending a field is compatible; see struct bpass_processor).
 * ABI 1 (before bpass 0.2.0) had no context in most callbacks. */
#define BPASS_ABI_VERSION 2

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
 * Result tables the framework keeps for a processor (keyed aggregates). A
 * processor declares them in .tables; bpass keeps one of each per session
 * (in the session's saved state), merges them into the global result,
 * combines partial results and writes them as result tables. The processor
 * only adds rows, in process or session_complete:
 *	ctx->add_row(ctx, 0, cells, n)   or, with the SDK, bpass_add(ctx, 0, ...)
 * The SDK's struct bpass_agg is the same thing kept by the processor itself.
 */
enum bpass_type {
	/* Key columns: rows are identified and sorted by them. */
	BPASS_KEY_STR = 1,     /* a string, e.g. a node id; sorted bytewise */
	BPASS_KEY_I64,         /* an integer */
	BPASS_KEY_MINUTE,      /* a time in µs, bucketed to its UTC minute; */
	BPASS_KEY_HOUR,        /*   written as ISO text, 2012-05-15T18:00:00Z */
	BPASS_KEY_DAY,
	/* Value columns: each add gives one cell to each (none to COUNT). */
	BPASS_VAL_SUM,         /* sum of the integer cells (saturating at the int64 limits) */
	BPASS_VAL_MIN,         /* smallest integer cell */
	BPASS_VAL_MAX,         /* largest integer cell */
	BPASS_VAL_COUNT,       /* number of adds; takes no cell */
	BPASS_VAL_DISTINCT,    /* number of distinct integer cells (exact) */
	BPASS_VAL_DISTINCT_STR /* number of distinct string cells (exact) */
};

/* One column of a table: its name in the table and its type. */
struct bpass_column {
	const char *name;
	enum bpass_type type;
};

/* One table: its name (the result file's name without extension) and its
 * columns, key columns and value columns in table order, ended by an entry
 * whose name is NULL. */
struct bpass_table_decl {
	const char *name;
	const struct bpass_column *columns;
};

/* One cell of a row: .s for string columns (never NULL), else .i (times in µs). */
union bpass_cell {
	int64_t i;
	const char *s;
};

/*
 * Views of the correlation built-ins (docs/semantics.md): what flows,
 * addresses, flow-domains and whitelisted-domains know about a packet of the
 * update being processed, as of that update (processors run in dependency
 * order). A processor reads another's state only through such a view, never
 * through its private struct. A processor using a view lists the built-ins
 * it needs in .depends: "flows" for the flow and its class, "flows" and
 * "addresses" for the local side and device, "flow-domains" for the domains,
 * "whitelisted-domains" for their whitelist entries; parts whose built-in is
 * not listed are left empty (zero, NULL, local_side -1). The view structs
 * grow like struct bpass_ctx (fields only appended; the framework fills
 * min(its size, v_size) bytes and zeroes what it does not know).
 */
#define BPASS_VIEW_VERSION 1

/* The protocol class of a packet, from its flow id (docs/semantics.md). */
enum bpass_proto_class {
	BPASS_CLASS_UNKNOWN = 0, /* flow id -1, 0 (version 2 on), a flow never
				  * announced, or "flows" not in .depends */
	BPASS_CLASS_TCP,
	BPASS_CLASS_UDP,
	BPASS_CLASS_ICMP,
	BPASS_CLASS_OTHER_IP,    /* any other IP protocol */
	BPASS_CLASS_IPV6,        /* reserved flow id 4 */
	BPASS_CLASS_NON_IP,      /* reserved ids 1-3, 5, 6 (version 2 on);
				  * version 1's all-zero flow */
};
/* "unknown", "tcp", "udp", "icmp", "other-ip", "ipv6", "non-ip". */
#define BPASS_CLASS_NAMES \
	{"unknown", "tcp", "udp", "icmp", "other-ip", "ipv6", "non-ip"}

/* One domain a flow's remote address resolved from when the flow began. */
struct bpass_domain_ref {
	const char *domain;        /* a clear name, or a 40-hex hash when anonymized */
	uint8_t anonymized;
	/* The session's whitelist entry the (clear) domain matches: equal to
	 * it, or ending with "." and it; the longest when several do. NULL for
	 * none, a hashed domain, or "whitelisted-domains" not in .depends. */
	const char *whitelisted;
};

struct bpass_packet_view {
	uint32_t struct_size;      /* set by the framework: the bytes it filled */
	int32_t flow_id;           /* the packet's */
	enum bpass_proto_class proto_class;
	bool has_flow;             /* the flow was announced in the session */
	/* The flow (when has_flow): as announced, latest announcement wins. */
	const char *src_ip, *dst_ip;
	uint16_t src_port, dst_port;
	uint8_t proto, src_anon, dst_anon;
	/* Which side is local (a LAN address of the address table): 0 the
	 * source, 1 the destination, -1 unknown (neither side, or no flow). */
	int8_t local_side;
	const char *local_ip;      /* NULL when local_side is -1 */
	const char *remote_ip;     /* NULL when local_side is -1 */
	uint8_t remote_anon;
	/* The local device: its MAC address (12 hex digits) and address-table
	 * id; NULL and has_address_id false when unknown. */
	const char *device_mac;
	uint32_t address_id;
	bool has_address_id;
	/* The domains of the flow, as flow-domains computes them: clear
	 * names first, each group sorted bytewise. Reserved ids have none. */
	const struct bpass_domain_ref *domains;
	uint32_t n_domains;
};

/*
 * What every callback is given: the context of the call. The framework owns
 * it; it is valid only during the call (keep nothing it points to). It grows
 * like struct bpass_processor: fields are only ever appended, and a plugin
 * may read a field only when ctx->struct_size covers it, e.g.
 *   if (ctx->struct_size > offsetof(struct bpass_ctx, some_new_field)) ...
 */
struct bpass_ctx {
	uint32_t struct_size;       /* sizeof the framework's struct bpass_ctx */
	uint32_t abi_version;       /* the framework's BPASS_ABI_VERSION */
	const char *bpass_version;  /* the framework's version, e.g. "0.2.0" */
	const char *processor;      /* the name of the processor called */
	/* The session of the call: set for session_new, session_free, process,
	 * session_complete, save, load, the ephemeral_* callbacks,
	 * session_figures and merge; NULL for init, exit and the global_*
	 * callbacks and write_results. */
	const struct bpass_session_key *key;
	void *impl;                 /* the framework's */
	/* The persistent session state of processor `name`, which must be
	 * listed in .depends; NULL otherwise (and outside process and
	 * session_complete). Borrowed for the duration of the call. */
	const void *(*state_of)(struct bpass_ctx *ctx, const char *name);
	/* Says why the callback fails: the text is added to the framework's own
	 * message, e.g. could not save the state of session X: processor "p":
	 * TEXT. Call it, then return -1 (or NULL from a *_new). The last call
	 * wins. */
	void (*error)(struct bpass_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	/* A warning, printed at once with the processor (and session) named. */
	void (*warn)(struct bpass_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	/* The value of one of the processor's declared options (.options): the
	 * one set with bpass run -o PROCESSOR.NAME=VALUE, or its default; NULL
	 * for a name it does not declare. Borrowed for the life of the process. */
	const char *(*option)(struct bpass_ctx *ctx, const char *name);
	/* ---- end of the first ABI 2 layout ---- */

	/* Adds a row to the session's table number `table` (its index in
	 * .tables): n cells in column order, one per column that is not a
	 * COUNT (cells may be NULL when n is 0). In process and
	 * session_complete only. Returns 0, or -1 (the framework has recorded
	 * why: return -1 from the callback; the call fails even if it does
	 * not). The SDK's bpass_add(ctx, table, cell...) builds the cells. */
	int (*add_row)(struct bpass_ctx *ctx, uint32_t table, const union bpass_cell *cells,
		       size_t n);
	/* Fills *v (v_size = sizeof *v) with the view of packet i of update u
	 * (the update being processed). In process only. Returns 0, or -1
	 * (after ctx->error) outside process, when u is not the update being
	 * processed or i is out of range. Pointers are borrowed until the
	 * callback returns (views of other packets do not overwrite them).
	 * Cheap: packets of one flow share one computed view. */
	int (*packet_view)(struct bpass_ctx *ctx, const struct bpass_update *u, uint32_t i,
			   struct bpass_packet_view *v, size_t v_size);
	/* The MAC address of the local device with address-table id
	 * address_id (as in a DNS record): the MAC of the id's latest
	 * announcement as of the update being processed (in session_complete,
	 * the last one), or NULL when it was never announced or "addresses" is
	 * not in .depends. Borrowed until the callback returns. */
	const char *(*device_of)(struct bpass_ctx *ctx, uint32_t address_id);
	/* New fields go here, at the end. */
};

/*
 * A processor option: a name (lower-case letters, digits, '_' and '-'), a
 * one-line description and a default value (NULL: no value unless set).
 * Values are strings; the processor parses them (in init, say) and fails
 * with ctx->error when one is invalid. Option values are part of what makes
 * saved state current: changing one recomputes the processor from update 0,
 * as a version bump does.
 */
struct bpass_option {
	const char *name;
	const char *description;
	const char *default_value;
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

/*
 * A processor descriptor. It can grow: new fields are only ever appended at
 * the end, never reordered, resized or removed (as SQLite's sqlite3ext.h and
 * Redis's RedisModuleTypeMethods do). The registry accepts any struct_size
 * from BPASS_PROCESSOR_V2_MIN_SIZE (the first ABI 2 layout) on: it copies the
 * fields the plugin has and zero-fills the rest, so a plugin built against an
 * older ABI 2 header keeps working, its newer callbacks simply absent. An
 * incompatible change bumps BPASS_ABI_VERSION instead, and plugins of
 * another ABI version are refused.
 *
 * Every callback gets the context of the call (struct bpass_ctx). Every
 * callback that returns int returns 0 on success and -1 on failure (after
 * ctx->error, to say why).
 */
struct bpass_processor {
	uint32_t abi_version;       /* BPASS_ABI_VERSION */
	uint32_t struct_size;       /* sizeof(struct bpass_processor) */
	const char *name;           /* unique, lower-case with dashes, e.g. "byte-count" */
	uint32_t version;           /* bump when results change; >= 1 */
	const char *description;    /* one line */
	const char *const *depends; /* NULL-terminated names whose session state this reads; may be NULL */

	/* Persistent session state (of session ctx->key). session_new returns
	 * NULL only on failure. Optional as a group: a processor keeping only
	 * ephemeral state leaves session_new, session_free, save and load NULL
	 * (state is then NULL). */
	void *(*session_new)(struct bpass_ctx *ctx);
	void (*session_free)(struct bpass_ctx *ctx, void *state);
	/* Ephemeral session state: fresh in every run. NULL when not needed. */
	void *(*ephemeral_new)(struct bpass_ctx *ctx);
	void (*ephemeral_free)(struct bpass_ctx *ctx, void *eph);

	/* Called for each new update of the session, in sequence order. */
	int (*process)(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u);
	/* Called once per run per session, after its last new update (also when there was none). */
	int (*session_complete)(struct bpass_ctx *ctx, void *state, void *eph);

	/* Persist the session state; load it into a fresh session_new() state.
	 * load receives the .version the state was saved with; returning -1 makes
	 * the framework recompute this processor for the session from update 0. */
	int (*save)(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w);
	int (*load)(struct bpass_ctx *ctx, void *state, uint32_t saved_version, struct bpass_reader *r);
	/* The same for ephemeral state (sent from worker to parent, never stored). */
	int (*ephemeral_save)(struct bpass_ctx *ctx, const void *eph, struct bpass_writer *w);
	int (*ephemeral_load)(struct bpass_ctx *ctx, void *eph, struct bpass_reader *r);

	/* Per-session figures for sessions.csv (may be NULL). eph may be NULL. */
	int (*session_figures)(struct bpass_ctx *ctx, const void *state, const void *eph,
			       struct bpass_figures *f);

	/* The global result (ctx->key is NULL, but in merge). */
	void *(*global_new)(struct bpass_ctx *ctx);
	void (*global_free)(struct bpass_ctx *ctx, void *global);
	/* Merge the states of session ctx->key (eph may be NULL) into the global result. */
	int (*merge)(struct bpass_ctx *ctx, void *global, const void *state, const void *eph);
	int (*global_complete)(struct bpass_ctx *ctx, void *global);
	/* Save/load the completed global result (for --cache-global and bpass results). */
	int (*global_save)(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w);
	int (*global_load)(struct bpass_ctx *ctx, void *global, uint32_t saved_version,
			   struct bpass_reader *r);
	/* Write the result tables of the completed global result. */
	int (*write_results)(struct bpass_ctx *ctx, const void *global, struct bpass_results *res);
	/* ---- end of the first ABI 2 layout (BPASS_PROCESSOR_V2_MIN_SIZE) ---- */

	/* The options the processor takes: an array ended by an entry whose
	 * name is NULL; NULL when it takes none. */
	const struct bpass_option *options;
	/* Called once per process that calls any other callback of this
	 * processor (each worker, and the parent), before the first of them;
	 * exit after the last. For a resource opened once per process (a
	 * database, a lookup table); keep it in a static variable (it is the one
	 * global a processor may keep). init returning -1 stops the process. */
	int (*init)(struct bpass_ctx *ctx);
	void (*exit)(struct bpass_ctx *ctx);
	/*
	 * Combines two partial global results: folds `from` into `into`, as if
	 * the sessions merged into `from` had been merged into `into`. Optional.
	 * It must be associative and commutative (the result may not depend on
	 * how sessions were grouped into partials nor on their order), and an
	 * empty partial (fresh from global_new) must be its identity. `from` is
	 * left unchanged. Neither partial is completed (global_complete runs
	 * after the last combine).
	 */
	int (*global_combine)(struct bpass_ctx *ctx, void *into, const void *from);
	/*
	 * Result tables the framework keeps (see struct bpass_table_decl): an
	 * array ended by an entry whose name is NULL; NULL for none (at most
	 * 64; names as result tables take them, not "sessions", and distinct
	 * across a run). With tables, the processor's own session state,
	 * global result and their callbacks are optional: a processor that
	 * only counts declares its tables and a process callback (or only
	 * session_complete), nothing else. Its callbacks, and ctx->state_of of
	 * the processors reading it, see its own state and global result only.
	 * Table declarations are part of what makes saved state current
	 * (changing them recomputes). A saved state of another version keeps
	 * its tables only when the processor's own load accepts it (without
	 * state of its own: never). session_complete runs in every run: rows
	 * it adds must not depend on the number of runs (MAX, DISTINCT).
	 */
	const struct bpass_table_decl *tables;
	/* New fields go here, at the end. */
};

/* The size of the first ABI 2 layout: the smallest struct_size accepted. */
#define BPASS_PROCESSOR_V2_MIN_SIZE                            \
	(offsetof(struct bpass_processor, write_results) +     \
	 sizeof(((struct bpass_processor *)0)->write_results))

/* The entry point a plugin exports: a NULL-terminated array of descriptors. */
typedef const struct bpass_processor *const *(*bpass_plugin_entry_fn)(void);
#define BPASS_PLUGIN_ENTRY "bpass_processors"

/* Defines the entry point of a plugin: BPASS_PLUGIN(&proc_a, &proc_b). In
 * C++ too: the entry point is declared extern "C" (not mangled). */
#ifdef __cplusplus
#define BPASS_EXTERN_C extern "C"
#else
#define BPASS_EXTERN_C
#endif
#define BPASS_PLUGIN(...)                                                           \
	BPASS_EXTERN_C const struct bpass_processor *const *bpass_processors(void); \
	const struct bpass_processor *const *bpass_processors(void)                 \
	{                                                                           \
		static const struct bpass_processor *const list[] = {__VA_ARGS__, NULL}; \
		return list;                                                        \
	}

#ifdef __cplusplus
}
#endif

#endif /* BPASS_H */
