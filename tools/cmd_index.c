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
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "escape.h"
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
       OPT_GUNZIP_ONLY, OPT_ZLIB };

/* Catches arguments that cannot be right before anything is created (the
 * index, its lock file): swapped ones, a file as UPDATES_DIR, a folder as
 * INDEX. A missing UPDATES_DIR is left to the indexer (exit 1). */
static int check_args(const char *dir, const char *index)
{
	struct stat d, x;
	bool dir_is_file = stat(dir, &d) == 0 && !S_ISDIR(d.st_mode);
	bool index_is_dir = stat(index, &x) == 0 && S_ISDIR(x.st_mode);
	if (dir_is_file && index_is_dir)
		return log_error("arguments in the wrong order: \"%s\" is a file and \"%s\" a "
				 "folder; expected UPDATES_DIR INDEX", dir, index);
	if (index_is_dir)
		return log_error("cannot use folder \"%s\" as the index: expected a file", index);
	if (dir_is_file)
		return log_error("cannot index \"%s\": it is not a folder", dir);
	return 0;
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
	if (check_args(argv[optind], argv[optind + 1])) {
		usage(stderr);
		return EXIT_USAGE;
	}
	struct indexer_stats st;
	int rc = indexer_run(argv[optind], argv[optind + 1], &o, &st);
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
		getrusage(RUSAGE_SELF, &ru);
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
