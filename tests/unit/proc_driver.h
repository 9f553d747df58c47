/*
 * tests/unit/proc_driver.h: a tiny in-process stand-in for the framework, to
 * test the built-in processors on hand-written updates.
 *
 * It keeps sessions and their saved states (in an in-memory token stream
 * that follows the bpass_writer/bpass_reader contract) across runs. Within a
 * run, pd_feed parses an update with update_parse and passes it through the
 * processors in order, with a bpass_ctx whose state_of gives the declared
 * dependencies' states for the same update. pd_end_run then does what a
 * worker and the parent do: session_complete, save (checking that load +
 * save gives the same stream), ephemeral_save, and in "the parent" load,
 * session_figures, merge in a chosen order, global_complete, global
 * save/load (checking both give the same tables) and write_results into
 * captured tables.
 *
 * Captured tables are text: a header line, then one line per row, cells
 * joined by ','; null cells are empty; iso_us cells read
 * 2012-05-15T18:00:00.512345Z and iso_s cells 2012-05-15T18:00:00Z.
 *
 * Every function that returns int returns 0, or -1 after printing why on
 * stderr.
 */
#ifndef TESTS_PROC_DRIVER_H
#define TESTS_PROC_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpass.h"

struct pd;

/* A driver running the named built-in processors (NULL-terminated, in run
 * order), or every built-in except byte-count in the order of
 * processors_builtin when names is NULL. Aborts on an unknown name.
 * Free with pd_free. */
struct pd *pd_new(const char *const *names);
void pd_free(struct pd *d);

/*
 * The parts of a version-5 update text, without the empty line that ends
 * each section; pd_feed_parts assembles and parses them. Lines end in "\n".
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

/* Parses text (copied) and processes it in its session for the current run. */
int pd_feed(struct pd *d, const char *text);
int pd_feed_parts(struct pd *d, const struct pd_text *t);
/* Processes an update built by hand. */
int pd_feed_update(struct pd *d, const struct bpass_update *u);

/*
 * Ends the current run (see the header comment) and starts the next. order
 * lists session numbers (0 = the first session ever fed) in the order the
 * parent merges them; NULL merges in creation order.
 */
int pd_end_run(struct pd *d, const uint32_t *order);
/* Redoes only the parent's part of the last run with another merge order. */
int pd_merge(struct pd *d, const uint32_t *order);

/* The captured text of table name from the last merge, or NULL. */
const char *pd_table(const struct pd *d, const char *name);
/* All tables of the last merge, sorted by name, each preceded by "# name\n";
 * tables listed in `except` (NULL-terminated, may be NULL) are left out. */
char *pd_tables_text(const struct pd *d, const char *const *except);
/* The figures of the last merge: one line per session in creation order,
 * "NODE CONTEXT SESSION: column=value column=value ...". */
const char *pd_figures(const struct pd *d);
/* The figure column of session number s, or INT64_MIN when absent. */
int64_t pd_figure(const struct pd *d, uint32_t s, const char *column);
uint32_t pd_n_sessions(const struct pd *d);
/* The key of session number s (borrowed until the next pd_feed). */
const struct bpass_session_key *pd_session_key(struct pd *d, uint32_t s);
/* The saved state of processor name for session s as text (see
 * pd_blob_text), or NULL. */
const char *pd_saved(const struct pd *d, uint32_t s, const char *name);

/* ---- token streams: the in-memory writer/reader ---- */

struct pd_blob;
struct pd_blob *pd_blob_new(void);
void pd_blob_free(struct pd_blob *b);
/* A writer appending to b, and a reader from b's first token. Both are
 * owned by b; getting the reader rewinds it. */
struct bpass_writer *pd_blob_writer(struct pd_blob *b);
struct bpass_reader *pd_blob_reader(struct pd_blob *b);
size_t pd_blob_count(const struct pd_blob *b);
void pd_blob_truncate(struct pd_blob *b, size_t n);
/* Replaces token i by one of another type (a string for anything but a
 * string, an integer for a string). */
void pd_blob_mutate(struct pd_blob *b, size_t i);
struct pd_blob *pd_blob_copy(const struct pd_blob *b);
bool pd_blob_equal(const struct pd_blob *a, const struct pd_blob *b);
/* b as text: arrays "[a b c]", maps "{k v}", strings quoted, ints decimal,
 * booleans true/false, nil. Caller frees. */
char *pd_blob_text(const struct pd_blob *b);
/* Writes the values of b to w (e.g. to re-encode them with another writer). */
void pd_blob_replay(const struct pd_blob *b, struct bpass_writer *w);
/* The saved state blob of processor name for session s (borrowed), or NULL. */
const struct pd_blob *pd_saved_blob(const struct pd *d, uint32_t s, const char *name);

/* A context for calling a callback of p directly (about session key, or
 * NULL): the framework's own (processors/proc_ctx.h), with default options.
 * Valid until the next call. */
struct bpass_ctx *pd_ctx(const struct bpass_processor *p, const struct bpass_session_key *key);

/* The built-in processor called name (not byte-count), or NULL. */
const struct bpass_processor *pd_processor(const char *name);

#endif
