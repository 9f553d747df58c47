/*
 * harness/results_cached.h: the result tables written again from a global
 * result cached by `bpass run --cache-global FILE` (the engine of
 * `bpass results`), without reading any session: each processor loads its
 * cached global result (global_load, told the version that saved it) and
 * writes its tables; sessions.csv comes from the cache too. They are
 * staged and published like a run's (harness/sink.h), with a provenance
 * that has no index.
 */
#ifndef HARNESS_RESULTS_CACHED_H
#define HARNESS_RESULTS_CACHED_H

#include <stdbool.h>
#include <stdint.h>

struct results_cached_options {
	const char *out;            /* folder of the tables (created when missing),
				     * FILE.sqlite or a postgresql:// URL (sink.h) */
	bool json;                  /* JSON Lines instead of CSV */
	const char *select;         /* processors, comma separated; NULL: every processor
				     * of the cache that is available (others are warned
				     * about and skipped) */
	char *const *plugins;       /* plugin paths to load (borrowed) */
	uint32_t n_plugins;
	char *const *argv;          /* the command line, for the provenance */
	uint32_t argc;
};

/*
 * Reads the cache at path and writes its tables into o->out. Returns 0, or
 * -1 after printing why (unreadable cache, a session state instead of a
 * global result, an unknown processor, a table that could not be written).
 */
int results_cached_write(const char *path, const struct results_cached_options *o);

#endif
