/*
 * ops/hourly.h: the whole pipeline in one call for cron or a systemd timer
 * (the engine of `bpass hourly`): collect -> anonymize (optional) -> index
 * -> run (writing the result tables) -> database (with "database" set: the
 * same tables into an SQLite file or a PostgreSQL schema, by `bpass results`
 * of the global result the run cached in STATE/.hourly-global) -> plot.
 *
 * Each step runs the bpass binary itself (options.exe: /proc/self/exe, or a
 * stand-in in tests) in a child process, so a crash in one step cannot take
 * the others down; each step gets a log line on stdout with its exit status
 * and duration. An exclusive flock on a lock file keeps a slow hour from
 * overlapping the next: a second instance says "previous hourly run still
 * running" and returns 0 at once, or with wait waits for the lock. The
 * holder writes its pid and start time into the lock file; a lock held
 * longer than the stale limit (HOURLY_STALE_LOCK) is a hung run: the second
 * instance then returns -1 after a message naming the lock, the holder's
 * pid and how long it has held it (so that monitoring sees it, instead of
 * "still running" every hour forever).
 * When the updates folder holds the same tarballs as after the last complete
 * run (same names, sizes and times; same processors and plugins), the index
 * found nothing new and the results and plots exist, run and plot are
 * skipped and the pipeline says so.
 *
 * The configuration is a set of keys (hourly_key_name), read from a file of
 * "key = value" lines ('#' starts a comment) or set one by one; relative
 * paths in a file are taken from the file's folder.
 */
#ifndef OPS_HOURLY_H
#define OPS_HOURLY_H

#include <stdbool.h>

enum hourly_key {
	HOURLY_UPLOADS,      /* node upload folders to collect (optional) */
	HOURLY_UPDATES,      /* tarballs of updates (required) */
	HOURLY_INDEX,        /* the SQLite index (required) */
	HOURLY_STATE,        /* saved session states (required) */
	HOURLY_RESULTS,      /* result tables (required) */
	HOURLY_PLOTS,        /* plots and index.html (required) */
	HOURLY_PROCESSORS,   /* processors to run, comma or space separated */
	HOURLY_PLUGINS,      /* plugins to load, comma or space separated */
	HOURLY_WORKERS,      /* worker processes for run */
	HOURLY_ANONYMIZED,   /* folder of anonymized copies (optional) */
	HOURLY_LOCK,         /* the lock file (default INDEX.hourly.lock) */
	HOURLY_SVG,          /* yes|no: also draw SVG plots */
	HOURLY_QUIET_PERIOD, /* collect's quiet period (duration.h) */
	HOURLY_ANONYMIZE_KEY,      /* anonymize's key file: HMAC-SHA256 node ids */
	HOURLY_ANONYMIZE_MANIFEST, /* anonymize's manifest (clear name -> copy) */
	HOURLY_STALE_LOCK,   /* a lock held longer is a hung run (duration.h; 0: never) */
	HOURLY_OPTIONS,      /* processor options PROCESSOR.NAME=VALUE (run -o), space separated */
	HOURLY_DATABASE,     /* also publish the tables into FILE.sqlite or a postgresql://
			      * URL (optional; a relative file is taken from the config's
			      * folder) */
	HOURLY_KEY_COUNT
};

/* A run takes minutes; one that has held the lock for 6 hours is hung. */
#define HOURLY_STALE_LOCK_DEFAULT (6 * 3600)

/* The configuration: val[key] is an xmalloc'd string, NULL when unset.
 * Zero-initialize; free with hourly_config_release. */
struct hourly_config {
	char *val[HOURLY_KEY_COUNT];
};

/* The key's name in files and options ("uploads"…); NULL out of range. */
const char *hourly_key_name(int key);
/* The key named name, or -1. */
int hourly_key_of(const char *name);
/* Whether a run needs the key set. */
bool hourly_key_required(int key);

/* Sets a key (a copy of value), replacing any earlier value. */
void hourly_config_set(struct hourly_config *c, int key, const char *value);
/* Reads the file at path; keys already set win over the file. Returns 0, or
 * -1 after printing why (unreadable, a line that is not "key = value", an
 * unknown or repeated key). */
int hourly_config_read(struct hourly_config *c, const char *path);
/* Checks the values (the required keys are the caller's to check): numbers
 * and durations, and that the uploads, updates and anonymized folders do
 * not overlap (the same folder, or one inside another, after resolving
 * links: a step would take another step's output for new input). Returns
 * 0, or -1 after printing what is wrong. */
int hourly_config_check(const struct hourly_config *c);
void hourly_config_release(struct hourly_config *c);

struct hourly_options {
	bool wait;           /* wait for a previous run's lock instead of returning */
	bool force;          /* run and plot even when nothing is new */
	bool quiet;          /* quiet steps: only the step lines and errors */
	const char *exe;     /* the bpass binary for the steps; NULL: /proc/self/exe */
};

/*
 * Runs the pipeline under the lock (after checking that the required keys
 * are set and hourly_config_check). Returns 0 when every step succeeded (or
 * a previous run still holds the lock, younger than the stale limit), -1
 * when a step failed, the lock looks hung or the pipeline could not start,
 * after printing why.
 */
int hourly_run(const struct hourly_config *c, const struct hourly_options *o);

#endif
