/*
 * tests/unit/proc_driver.h: runs the built-in processors on hand-written
 * updates through the real code path, and shows what it produced.
 *
 * A driver owns a scratch folder with a real SQLite index and a real state
 * folder. pd_feed parses an update text with the real parser (update_parse)
 * and stores it in the index as `bpass index` would (the real blob codec,
 * index_db; the updates fed between two runs form one tarball). pd_end_run
 * then runs every session of the index, in the order sessions were first
 * fed, through the real worker (harness/worker.h: worker_session, which
 * loads and saves the real state files), and merges the sessions' results
 * with the real parent code (harness/merge.h) into result tables written by
 * the real writer (harness/results.h). pd_merge redoes only the parent's part
 * with the same results in another order, as workers may deliver them.
 *
 * At every run the driver also checks what the real code relies on:
 *  - every saved state (each processor's part of each state file) and every
 *    ephemeral state loads and saves back to the same bytes;
 *  - the cached global result (merge_save, then merge_load_cache, as
 *    --cache-global and `bpass results` do) writes the same tables and saves
 *    to the same bytes again.
 *
 * Tables are the files the results writer wrote: NAME.csv as text (a header
 * line, one line per row; see harness/results.h for cells), sessions.csv
 * included as "sessions". Saved states are shown as `bpass state --json`
 * shows them (state/state_dump.h: [true, 5, "a"]).
 *
 * Every function fails the running cmocka test on any error (after printing
 * why), so callers need not check anything.
 */
#ifndef TESTS_PROC_DRIVER_H
#define TESTS_PROC_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpass.h"
#include "buf.h"

struct pd;

/* A driver running the named processors (NULL-terminated; their
 * dependencies are added as `bpass run -p` adds them), or every built-in
 * but byte-count when names is NULL. Free with pd_free, which removes the
 * scratch folder. */
struct pd *pd_new(const char *const *names);
/* The same with the processors of plugins too (paths, NULL-terminated), as
 * `bpass run --plugin` loads them. */
struct pd *pd_new_plugins(const char *const *names, const char *const *plugins);
void pd_free(struct pd *d);

/*
 * The parts of a version-5 update text, without the empty line that ends
 * each section; pd_feed_parts assembles them. Lines end in "\n".
 * Defaults (NULL or 0): version 5, no pcap line, empty whitelist, context
 * PD_CONTEXT, packets "0 0\n", flows "0 0 0 0\n", A "0 0\n", no CNAME,
 * addresses "0 256\n".
 */
#define PD_CONTEXT "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
struct pd_text {
	int version;
	const char *intro;      /* "NODE SESSION_US SEQ NOW_S" */
	const char *pcap;       /* "RECV DROP IFDROP" or NULL for no line */
	const char *whitelist;  /* lines */
	const char *context;    /* the signature line */
	const char *packets;    /* header line and entries */
	const char *flows;      /* header line and entries */
	const char *dns_a;      /* header line and entries */
	const char *cname;      /* entries */
	const char *addresses;  /* header line and entries */
};

/* Stores an update for the next run: a text, a text made of parts, or the
 * text of a file (path relative to the repository top, where tests run). */
void pd_feed(struct pd *d, const char *text);
void pd_feed_parts(struct pd *d, const struct pd_text *t);
void pd_feed_file(struct pd *d, const char *path);

/* Runs every session (see the header comment); a session must end
 * processed or unchanged (not failed, not stopped at a gap). */
void pd_end_run(struct pd *d);
/* Merges the results of the last run again, session number order[k]
 * (0 = the first session ever fed) k-th. pd_end_run's merge takes the
 * sessions.csv figures the worker computed (harness/worker.h); this one has
 * the mergers compute them again from the saved parts. */
void pd_merge(struct pd *d, const uint32_t *order);

/* How many sessions were fed so far. */
uint32_t pd_n_sessions(const struct pd *d);

/* The text of table name ("availability", "sessions"...) of the last
 * merge, or NULL when it was not written. */
const char *pd_table(const struct pd *d, const char *name);
/* All tables of the last merge, sorted by name, each preceded by
 * "# name\n"; tables listed in except (NULL-terminated, may be NULL) are
 * left out. Caller frees. */
char *pd_tables_text(const struct pd *d, const char *const *except);
/* The figures of sessions.csv: one line per session in the order sessions
 * were first fed, "NODE CONTEXT SESSION: column=value ..." (empty cells left
 * out). */
const char *pd_figures(const struct pd *d);
/* The figure column of session number s, or INT64_MIN when empty or absent. */
int64_t pd_figure(const struct pd *d, uint32_t s, const char *column);

/* The part of processor name in the state file of session number s, as
 * `bpass state --json` shows it, or NULL when there is none. Borrowed until
 * the next pd_end_run. */
const char *pd_saved(const struct pd *d, uint32_t s, const char *name);
/* The same part as the bytes the processor saved (borrowed likewise). */
const void *pd_saved_data(const struct pd *d, uint32_t s, const char *name, size_t *len);
/* The global result processor name saved into the cached global result of
 * the last merge (borrowed until the next merge), or NULL. */
const void *pd_global_data(const struct pd *d, const char *name, size_t *len);

/* ---- loading states as the real code does ---- */

/* A context for calling a callback of p directly (about session key, or
 * NULL): the framework's own (processors/proc_ctx.h), with default options.
 * Valid until the next call. */
struct bpass_ctx *pd_ctx(const struct bpass_processor *p, const struct bpass_session_key *key);

/* The built-in processor called name, or NULL. */
const struct bpass_processor *pd_processor(const char *name);

enum pd_part {
	PD_SESSION,             /* session_new, load, save, session_free */
	PD_EPHEMERAL,           /* ephemeral_new, ephemeral_load, ... */
	PD_GLOBAL,              /* global_new, global_load, ... */
};
/*
 * Loads data[0..len) as part of processor p saved by version, through the
 * real msgpack reader exactly as the worker and the parent do (a reader
 * error fails the load). When it loads and saved is not NULL, the state is
 * saved again with the real msgpack writer into saved (reset first).
 * Returns the load's result, 0 or -1.
 */
int pd_load(const struct bpass_processor *p, enum pd_part part, uint32_t version,
	    const void *data, size_t len, struct buf *saved);

/* The values of msgpack data as `bpass state --json` shows them, ", "
 * between top-level values. Caller frees. */
char *pd_msgpack_text(const void *data, size_t len);
/*
 * Msgpack data with value number i (counting every value, containers and
 * their elements, in the order they are written) replaced by one of another
 * type: a string for anything but a string, an integer for a string (a
 * replaced container loses its elements). Into out (reset first). Returns
 * false when data has no value number i.
 */
bool pd_msgpack_retype(const void *data, size_t len, size_t i, struct buf *out);

#endif
