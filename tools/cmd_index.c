/*
 * tools/cmd_index.c: `bpass index UPDATES_DIR INDEX`: indexes every new
 * tarball of a folder into the SQLite index (index/indexer.h), draws a
 * progress line on a terminal and prints a one-line summary. Rejected members
 * and tarballs are reported and recorded (see `bpass rejects`), not fatal:
 * the exit status is 0 when everything readable was indexed, 1 when the run
 * itself failed (folder or index unusable, another indexer holds the index),
 * 2 for usage errors (swapped arguments included, caught before anything is
 * created). --quiet-period sets how recent a file may be before it is left
 * for a later run (indexer.h). --stats adds a line with the peak memory and
 * the time split; the hidden --parse-only does everything but SQLite,
 * --gunzip-only only reads and gunzips the members, and --zlib gunzips with
 * zlib instead of libdeflate (benchmarks: tools/bench).
 *
 * --shards N (or an INDEX folder that is already a sharded index) writes a
 * sharded index (index_db.h): one child process per shard, each an
 * ordinary indexer over its share of the tarballs (the nodes hashed to it)
 * into its own file, with -j / N reader threads; the parent adds up their
 * statistics (sent back through a pipe) and prints one summary.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "escape.h"
#include "index_db.h"
#include "indexer.h"
#include "log.h"

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("index");
		return;
	}
	fputs("usage: bpass index UPDATES_DIR INDEX [options]\n"
	      "\n"
	      "Indexes every *.tar and *.tar.gz of UPDATES_DIR that INDEX does not know yet\n"
	      "(or that has changed since it was examined) into the SQLite file INDEX,\n"
	      "which is created if missing. Each tarball is one transaction, or shares one with\n"
	      "other small tarballs (a killed indexer leaves whole tarballs). A file modified\n"
	      "within the quiet period may still be being written: it is skipped and read by a\n"
	      "later run, unless it is a plain tar already ending with tar's end-of-archive\n"
	      "blocks.\n"
	      "\n"
	      "options:\n"
	      "  --quiet-period SECONDS\n"
	      "                    skip files modified less than SECONDS ago (default 60;\n"
	      "                    0: read every file, however recent)\n"
	      "  --wait            wait for another bpass index writing INDEX instead of failing\n"
	      "  -j, --jobs N      N threads read, gunzip, parse and encode tarballs while\n"
	      "                    another writes the index (default: the number of cores;\n"
	      "                    1: everything on one thread)\n"
	      "  --shards N        split the index by node into N files written in parallel:\n"
	      "                    INDEX becomes a folder that bpass run, sessions, show and\n"
	      "                    rejects read as one index (for imports larger than one\n"
	      "                    writer can take; later runs keep the folder's count)\n"
	      "  --sync MODE       full (default): every tarball is on disk when committed;\n"
	      "                    normal: faster, the last tarballs may be lost on power loss\n"
	      "                    (never corrupted; the next run indexes them again)\n"
	      "  --stats           print peak memory, CPU time and the conflicting duplicates\n"
	      "                    (same key, other content) after the summary\n"
	      "  -q, --quiet       no progress line and no summary\n"
	      "  -h, --help        this help\n", f);
}

/* The most reader threads -j takes. */
#define JOBS_MAX 256

enum { OPT_WAIT = 256, OPT_SYNC, OPT_STATS, OPT_PARSE_ONLY, OPT_QUIET_PERIOD,
       OPT_GUNZIP_ONLY, OPT_ZLIB, OPT_SHARDS };

/* Catches arguments that cannot be right before anything is created (the
 * index, its lock file): swapped ones, a file as UPDATES_DIR, a folder as
 * INDEX. A missing UPDATES_DIR is left to the indexer (exit 1). */
static int check_args(const char *dir, const char *index, bool sharded)
{
	struct stat d, x;
	bool dir_is_file = stat(dir, &d) == 0 && !S_ISDIR(d.st_mode);
	bool index_is_dir = !sharded && stat(index, &x) == 0 && S_ISDIR(x.st_mode);
	if (sharded && stat(index, &x) == 0 && !S_ISDIR(x.st_mode))
		return log_error("cannot use file \"%s\" as a sharded index: expected a folder",
				 index);
	if (dir_is_file && index_is_dir)
		return log_error("arguments in the wrong order: \"%s\" is a file and \"%s\" a "
				 "folder; expected UPDATES_DIR INDEX", dir, index);
	if (index_is_dir)
		return log_error("cannot use folder \"%s\" as the index: expected a file", index);
	if (dir_is_file)
		return log_error("cannot index \"%s\": it is not a folder", dir);
	return 0;
}

/* Adds b's counts to a (seconds are the caller's). */
static void add_stats(struct indexer_stats *a, const struct indexer_stats *b)
{
	a->tarballs_found += b->tarballs_found;
	a->tarballs_skipped += b->tarballs_skipped;
	a->tarballs_changed += b->tarballs_changed;
	a->tarballs_young += b->tarballs_young;
	a->tarballs_indexed += b->tarballs_indexed;
	a->tarballs_partial += b->tarballs_partial;
	a->tarballs_rejected += b->tarballs_rejected;
	a->tarballs_unreadable += b->tarballs_unreadable;
	a->members += b->members;
	a->updates += b->updates;
	a->rejected_members += b->rejected_members;
	a->duplicates += b->duplicates;
	a->conflicts += b->conflicts;
	a->warnings += b->warnings;
	a->bytes_in += b->bytes_in;
	a->blob_bytes += b->blob_bytes;
	a->read_seconds += b->read_seconds;
	a->write_seconds += b->write_seconds;
}

/* Indexes dir into the sharded index folder index: one child per shard,
 * each sending its statistics back through a pipe. Returns the worst of
 * their results (INDEXER_BUSY when one found its shard busy). */
static int run_sharded(const char *dir, const char *index, const struct indexer_options *base,
		       uint32_t shards, struct indexer_stats *st)
{
	memset(st, 0, sizeof(*st));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t *pid = xcalloc(shards, sizeof(*pid));
	int *fd = xcalloc(shards, sizeof(*fd));
	int ret = INDEXER_OK;
	fflush(NULL);
	for (uint32_t k = 0; k < shards; k++) {
		int p[2];
		fd[k] = -1;
		if (pipe(p) != 0 || (pid[k] = fork()) < 0) {
			log_error("could not start the indexer of shard %u: %s", k, strerror(errno));
			ret = INDEXER_FAILED;
			break;
		}
		if (pid[k] == 0) {
			close(p[0]);
#ifdef __linux__
			/* A killed parent takes its shards' indexers with it (each
			 * leaves whole tarballs, as any killed indexer). */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(1);
#endif
			struct indexer_options o = *base;
			o.shards = shards;
			o.shard = k;
			o.progress = false;
			o.jobs = base->jobs / (int)shards > 1 ? base->jobs / (int)shards : 1;
			struct buf path;
			buf_init(&path);
			index_db_shard_path(index, k, &path);
			struct indexer_stats s;
			int rc = indexer_run(dir, path.data, &o, &s);
			ssize_t w = write(p[1], &s, sizeof(s));
			_exit(w != (ssize_t)sizeof(s) ? 1 : rc == INDEXER_BUSY ? 3 : rc ? 1 : 0);
		}
		close(p[1]);
		fd[k] = p[0];
	}
	for (uint32_t k = 0; k < shards; k++) {
		if (fd[k] < 0)
			continue;
		struct indexer_stats s;
		if (read(fd[k], &s, sizeof(s)) == (ssize_t)sizeof(s))
			add_stats(st, &s);
		close(fd[k]);
		int status = 0;
		while (waitpid(pid[k], &status, 0) < 0 && errno == EINTR)
			;
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		if (code == 3 && ret == INDEXER_OK)
			ret = INDEXER_BUSY;
		else if (code)
			ret = INDEXER_FAILED;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	free(pid);
	free(fd);
	return ret;
}

int cmd_index(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "jobs", required_argument, NULL, 'j' },
		{ "sync", required_argument, NULL, OPT_SYNC },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "parse-only", no_argument, NULL, OPT_PARSE_ONLY },
		{ "gunzip-only", no_argument, NULL, OPT_GUNZIP_ONLY },
		{ "zlib", no_argument, NULL, OPT_ZLIB },
		{ "shards", required_argument, NULL, OPT_SHARDS },
		{ "quiet-period", required_argument, NULL, OPT_QUIET_PERIOD },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	struct indexer_options o = { .jobs = cores < 1 ? 1 : cores > JOBS_MAX ? JOBS_MAX : (int)cores,
				     .progress = true,
				     .quiet_period_s = INDEXER_QUIET_PERIOD_DEFAULT };
	bool stats = false;
	long shards = 0;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":j:qh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_WAIT:
			o.wait = true;
			break;
		case 'j': {
			char *end;
			long j = strtol(optarg, &end, 10);
			if (*end || end == optarg || j < 1 || j > JOBS_MAX) {
				struct buf e;
				buf_init(&e);
				log_error("invalid --jobs \"%s\": expected a number from 1 to %d",
					  escape_str(&e, optarg), JOBS_MAX);
				buf_release(&e);
				usage(stderr);
				return EXIT_USAGE;
			}
			o.jobs = (int)j;
			break;
		}
		case OPT_SYNC:
			if (!strcmp(optarg, "full")) {
				o.sync_normal = false;
			} else if (!strcmp(optarg, "normal")) {
				o.sync_normal = true;
			} else {
				log_error("invalid --sync \"%s\": expected full or normal", optarg);
				usage(stderr);
				return EXIT_USAGE;
			}
			break;
		case OPT_STATS:
			stats = true;
			break;
		case OPT_PARSE_ONLY:
			o.parse_only = true;
			break;
		case OPT_GUNZIP_ONLY:
			o.parse_only = o.gunzip_only = true;
			break;
		case OPT_ZLIB:
			o.zlib_only = true;
			break;
		case OPT_SHARDS: {
			char *end;
			shards = strtol(optarg, &end, 10);
			if (*end || end == optarg || shards < 1 || shards > INDEX_SHARDS_MAX) {
				struct buf e;
				buf_init(&e);
				log_error("invalid --shards \"%s\": expected a number from 1 to %d",
					  escape_str(&e, optarg), INDEX_SHARDS_MAX);
				buf_release(&e);
				usage(stderr);
				return EXIT_USAGE;
			}
			break;
		}
		case OPT_QUIET_PERIOD: {
			char *end;
			errno = 0;
			long long q = strtoll(optarg, &end, 10);
			if (*end || end == optarg || errno || q < 0 || q > 100LL * 365 * 86400) {
				struct buf e;
				buf_init(&e);
				log_error("invalid --quiet-period \"%s\": expected a number of seconds",
					  escape_str(&e, optarg));
				buf_release(&e);
				usage(stderr);
				return EXIT_USAGE;
			}
			o.quiet_period_s = q;
			break;
		}
		case 'q':
			log_set_quiet(true);
			o.progress = false;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			cli_bad_option(c, argv);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		log_error(argc - optind < 2 ? "missing UPDATES_DIR or INDEX" : "too many arguments");
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *index = argv[optind + 1];
	/* An existing sharded index keeps its count (--shards must agree). */
	struct stat ist;
	if (!o.parse_only && stat(index, &ist) == 0 && S_ISDIR(ist.st_mode)) {
		int have = index_db_shards_read(index);
		if (have < 0)
			return EXIT_FAILURES;
		if (have > 0 && !shards)
			shards = have;
	}
	if (o.parse_only && shards > 1)
		shards = 0;
	if (check_args(argv[optind], index, shards > 1)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	struct indexer_stats st;
	int rc;
	if (shards > 1) {
		if (index_db_shards_create(index, (uint32_t)shards))
			return EXIT_FAILURES;
		rc = run_sharded(argv[optind], index, &o, (uint32_t)shards, &st);
	} else {
		rc = indexer_run(argv[optind], index, &o, &st);
	}
	if (rc == INDEXER_BUSY)
		log_hint("try again later, or use --wait to wait for it");
	uint32_t examined = st.tarballs_indexed + st.tarballs_partial + st.tarballs_rejected;
	char unreadable_s[48] = "", young_s[80] = "";
	if (st.tarballs_unreadable)
		snprintf(unreadable_s, sizeof(unreadable_s), ", unreadable %u", st.tarballs_unreadable);
	if (st.tarballs_young)
		snprintf(young_s, sizeof(young_s), ", skipped %u (modified in the last %lld s)",
			 st.tarballs_young, (long long)o.quiet_period_s);
	double secs = st.seconds > 0 ? st.seconds : 1e-9;
	log_info("%s: tarballs %u (rejected %u, partial %u), unchanged %u, changed %u, "
		 "updates %llu, rejected members %llu, duplicates %llu, seconds %.2f, "
		 "updates/s %.0f, MB/s %.1f%s%s%s",
		 o.parse_only ? "parsed" : "indexed", examined, st.tarballs_rejected,
		 st.tarballs_partial, st.tarballs_skipped, st.tarballs_changed,
		 (unsigned long long)st.updates, (unsigned long long)st.rejected_members,
		 (unsigned long long)st.duplicates, st.seconds, (double)st.updates / secs,
		 (double)st.bytes_in / 1e6 / secs, unreadable_s, young_s, rc ? " (failed)" : "");
	if (stats) {
		struct rusage ru;
		getrusage(shards > 1 ? RUSAGE_CHILDREN : RUSAGE_SELF, &ru);
		double user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
		double sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
		log_info("stats: maxrss_kb %ld, user_s %.2f, sys_s %.2f, read_s %.2f, write_s %.2f, "
			 "input_bytes %llu, blob_bytes %llu, members %llu, conflicts %llu, "
			 "warnings %llu",
			 ru.ru_maxrss, user, sys, st.read_seconds, st.write_seconds,
			 (unsigned long long)st.bytes_in,
			 (unsigned long long)st.blob_bytes, (unsigned long long)st.members,
			 (unsigned long long)st.conflicts, (unsigned long long)st.warnings);
	}
	return rc ? EXIT_FAILURES : EXIT_OK;
}
