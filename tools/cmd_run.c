/*
 * tools/cmd_run.c: `bpass run INDEX STATE_DIR [options]`: runs the selected
 * processors over the indexed sessions, resuming from the saved states, and
 * writes the result tables (harness/run.h does the work).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "index_db.h"
#include "log.h"
#include "proc_options.h"
#include "registry.h"
#include "run.h"
#include "sink.h"
#include "timeutil.h"
#include "verify.h"

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("run");
		return;
	}
	fputs("usage: bpass run INDEX STATE_DIR [options]\n"
	      "\n"
	      "Runs processors over every session of the index: each session's new updates,\n"
	      "in sequence order, continuing from its saved state in STATE_DIR/RUN_NAME/.\n"
	      "Then writes the result tables (one file per table) and sessions.csv.\n"
	      "\n"
	      "  -p, --processors LIST    comma-separated processors (default: every built-in\n"
	      "                           and every processor of a --plugin); dependencies\n"
	      "                           are added; repeatable\n"
	      "  -o PROCESSOR.NAME=VALUE  set an option of a processor (repeatable; bpass\n"
	      "                           processors lists them); changing one recomputes\n"
	      "                           that processor from update 0\n"
	      "      --plugin PATH.so     load processors from a plugin (repeatable); also\n"
	      "                           every *.so in the folders of $BPASS_PLUGIN_PATH\n"
	      "                           and of PREFIX/lib/bpass/plugins; a bare NAME is\n"
	      "                           looked for there as NAME.so\n"
	      "  -w, --workers N          worker processes (default: one per core);\n"
	      "                           0 runs everything in this process\n"
	      "      --include-nodes LIST only these nodes (comma-separated ids)\n"
	      "      --exclude-nodes LIST not these nodes (wins over --include-nodes)\n"
	      "      --since DATE         sessions that started at or after DATE (UTC;\n"
	      "                           YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)\n"
	      "      --until DATE         sessions that started before DATE\n"
	      "      --run-name NAME      the state folder under STATE_DIR (default \"default\")\n"
	      "      --recompute[=LIST]   start these processors (default: all selected) again\n"
	      "                           from update 0 in every session\n"
	      "      --out DIR|FILE.sqlite|postgresql://...\n"
	      "                           where the tables go: a folder (default\n"
	      "                           STATE_DIR/NAME/results, where the tables of\n"
	      "                           processors not in this run are kept, with a\n"
	      "                           warning), one SQLite file (also .sqlite3, .db)\n"
	      "                           or a PostgreSQL schema (?schema=NAME, default\n"
	      "                           bpass); with manifest.json or a provenance table\n"
	      "      --json               JSON Lines tables instead of CSV\n"
	      "      --cache-global FILE  also save the global result, for `bpass results`\n"
	      "      --session-timeout S  a session that takes longer than S seconds in a\n"
	      "                           worker (a processor that never returns) fails: its\n"
	      "                           worker is killed and replaced (default 3600;\n"
	      "                           0: no limit; none with -w 0)\n"
	      "      --no-fsync           do not fsync each state file before renaming it\n"
	      "                           into place (faster with many small sessions; after\n"
	      "                           a power loss a damaged state is detected by its\n"
	      "                           checksum and recomputed, so results stay right)\n"
	      "      --verify[=N|all]     after the run, recompute N sessions (default 3: the\n"
	      "                           largest and others spread over the rest; all:\n"
	      "                           every one) from update 0 in a scratch state folder\n"
	      "                           and compare each processor's saved state and\n"
	      "                           sessions.csv figures with the run's; every\n"
	      "                           difference is an error (exit 1); the published\n"
	      "                           tables are not affected\n"
	      "      --stats              print the peak memory of the parent and the workers\n"
	      "                           (also with -q)\n"
	      "  -q, --quiet              no progress and no summary\n"
	      "  -h, --help               this help\n",
	      f);
}

/* An -o naming a processor or option that does not exist is a usage error.
 * When the processors themselves cannot be loaded, the run reports it. */
static bool options_unknown(char *const *plugins, uint32_t n_plugins,
			    const struct proc_options *popts)
{
	struct registry r;
	registry_init(&r);
	bool bad = registry_setup(&r, plugins, n_plugins) == 0 &&
		   proc_options_check(popts, &r) != 0;
	registry_release(&r);
	return bad;
}

static int bad_usage(const char *fmt, const char *arg)
{
	log_error(fmt, arg);
	usage(stderr);
	return EXIT_USAGE;
}

/* Reads n digits at *p into *v. */
static bool digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

/* YYYY-MM-DD, optionally followed by T or a space and HH:MM[:SS], and Z.
 * A date or time that does not exist (2012-02-30, 24:00) is refused: it
 * must come back unchanged from timegm and time_civil. */
static bool parse_date(const char *s, int64_t *us)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	int y, mo, d, h = 0, mi = 0, se = 0;
	const char *p = s;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return false;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return false;
		if (*p == ':' && (p++, !digits(&p, 2, &se)))
			return false;
	}
	if (*p == 'Z')
		p++;
	if (*p)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	time_t t = timegm(&tm);
	struct tm back;
	if (!time_civil((int64_t)t, &back) || back.tm_year != y - 1900 || back.tm_mon != mo - 1 ||
	    back.tm_mday != d || back.tm_hour != h || back.tm_min != mi || back.tm_sec != se)
		return false;
	*us = (int64_t)t * 1000000;
	return true;
}

/* Nodes of --include-nodes / --exclude-nodes, marked when the index has them. */
struct node_check {
	char **ids;
	bool *found;
	uint32_t n;
};

static int mark_node(void *arg, const struct index_session *s)
{
	struct node_check *nc = arg;
	for (uint32_t i = 0; i < nc->n; i++)
		if (!strcmp(nc->ids[i], s->node_id))
			nc->found[i] = true;
	return 0;
}

/*
 * No silent successes: a node of --include-nodes (or --exclude-nodes) that
 * the index does not have gets a warning; when it has none of
 * --include-nodes, nothing would run: an error. Returns 0, or -1 after that
 * error. An index that cannot be read is left to the run to report.
 */
static int check_nodes(const char *index, const char *list, const char *option)
{
	if (!list || access(index, F_OK) != 0)
		return 0;
	struct node_check nc = {0};
	char *copy = xstrdup(list);
	for (char *tok = copy, *comma; tok; tok = comma ? comma + 1 : NULL) {
		comma = strchr(tok, ',');
		if (comma)
			*comma = 0;
		if (!*tok)
			continue;
		nc.ids = xrealloc(nc.ids, (nc.n + 1) * sizeof(*nc.ids));
		nc.ids[nc.n++] = tok;
	}
	nc.found = xcalloc(nc.n + 1, sizeof(*nc.found));
	struct index_db *db;
	int rc = 0;
	if (index_db_open(&db, index, INDEX_OPEN_READ) == INDEX_DB_OK) {
		if (index_db_sessions(db, mark_node, &nc) == 0) {
			uint32_t found = 0;
			for (uint32_t i = 0; i < nc.n; i++) {
				found += nc.found[i];
				if (!nc.found[i])
					log_warn("node \"%s\" of %s is not in index \"%s\"", nc.ids[i],
						 option, index);
			}
			if (!found && !strcmp(option, "--include-nodes"))
				rc = log_error("no node of --include-nodes is in index \"%s\": nothing "
					       "to run", index);
		}
		index_db_close(db);
	}
	free(nc.ids);
	free(nc.found);
	free(copy);
	return rc;
}

static bool valid_run_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 100)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

int cmd_run(int argc, char **argv)
{
	enum {
		O_PLUGIN = 256, O_INCLUDE, O_EXCLUDE, O_SINCE, O_UNTIL, O_RUN_NAME, O_RECOMPUTE,
		O_OUT, O_JSON, O_CACHE, O_STATS, O_NO_FSYNC, O_TIMEOUT, O_VERIFY,
	};
	static const struct option opts[] = {
		{"processors", required_argument, NULL, 'p'},
		{"option", required_argument, NULL, 'o'},
		{"plugin", required_argument, NULL, O_PLUGIN},
		{"workers", required_argument, NULL, 'w'},
		{"include-nodes", required_argument, NULL, O_INCLUDE},
		{"exclude-nodes", required_argument, NULL, O_EXCLUDE},
		{"since", required_argument, NULL, O_SINCE},
		{"until", required_argument, NULL, O_UNTIL},
		{"run-name", required_argument, NULL, O_RUN_NAME},
		{"recompute", optional_argument, NULL, O_RECOMPUTE},
		{"out", required_argument, NULL, O_OUT},
		{"json", no_argument, NULL, O_JSON},
		{"cache-global", required_argument, NULL, O_CACHE},
		{"stats", no_argument, NULL, O_STATS},
		{"no-fsync", no_argument, NULL, O_NO_FSYNC},
		{"session-timeout", required_argument, NULL, O_TIMEOUT},
		{"verify", optional_argument, NULL, O_VERIFY},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct run_options o = {
		.workers = -1,
		.session_timeout_s = RUN_SESSION_TIMEOUT,
		.since_us = INT64_MIN,
		.until_us = INT64_MAX,
	};
	char **plugins = xcalloc((size_t)argc + 1, sizeof(*plugins));
	uint32_t n_plugins = 0;
	struct buf sel;
	buf_init(&sel);
	struct proc_options popts;
	proc_options_init(&popts);
	int rc = EXIT_USAGE, c;
	char *end;
	/* The command line as given, for the provenance (getopt reorders argv;
	 * argv[-1] is the bpass command itself: tools/bpass.c). */
	char **cmdline = xcalloc((size_t)argc + 2, sizeof(*cmdline));
	for (int i = -1; i < argc; i++)
		cmdline[i + 1] = argv[i];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:o:w:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			/* Repeatable: -p a -p b,c is -p a,b,c. */
			if (sel.len)
				buf_putc(&sel, ',');
			buf_puts(&sel, optarg);
			o.select = sel.data;
			break;
		case 'o':
			if (proc_options_add(&popts, optarg)) {
				usage(stderr);
				goto out;
			}
			break;
		case O_PLUGIN:
			plugins[n_plugins++] = optarg;
			break;
		case 'w': {
			long n = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || n > 1024) {
				rc = bad_usage("invalid worker count \"%s\": use 0-1024", optarg);
				goto out;
			}
			o.workers = (int)n;
			break;
		}
		case O_INCLUDE:
			o.include_nodes = optarg;
			break;
		case O_EXCLUDE:
			o.exclude_nodes = optarg;
			break;
		case O_SINCE:
		case O_UNTIL:
			if (!parse_date(optarg, c == O_SINCE ? &o.since_us : &o.until_us)) {
				rc = bad_usage("invalid date \"%s\": use YYYY-MM-DD or "
					       "YYYY-MM-DDTHH:MM:SS (UTC)", optarg);
				goto out;
			}
			break;
		case O_RUN_NAME:
			if (!valid_run_name(optarg)) {
				rc = bad_usage("invalid run name \"%s\": use letters, digits, '-', '_' "
					       "and '.', not first", optarg);
				goto out;
			}
			o.run_name = optarg;
			break;
		case O_RECOMPUTE:
			o.recompute = optarg ? optarg : "";
			break;
		case O_OUT:
			o.out_dir = optarg;
			break;
		case O_JSON:
			o.json = true;
			break;
		case O_CACHE:
			o.cache_global = optarg;
			break;
		case O_STATS:
			o.stats = true;
			break;
		case O_NO_FSYNC:
			o.no_fsync = true;
			break;
		case O_TIMEOUT: {
			unsigned long n = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || n > UINT32_MAX) {
				rc = bad_usage("invalid session time limit \"%s\": use a number of "
					       "seconds, 0 for none", optarg);
				goto out;
			}
			o.session_timeout_s = (uint32_t)n;
			break;
		}
		case O_VERIFY: {
			/* --verify, --verify=all or --verify=N (N >= 1). */
			unsigned long n = VERIFY_DEFAULT;
			if (optarg && !strcmp(optarg, "all"))
				n = VERIFY_ALL;
			else if (optarg)
				n = strtoul(optarg, &end, 10);
			if (optarg && strcmp(optarg, "all") &&
			    (*optarg < '0' || *optarg > '9' || *end || n == 0 || n >= VERIFY_ALL)) {
				rc = bad_usage("invalid --verify \"%s\": use a number of sessions (1 or "
					       "more) or \"all\"", optarg);
				goto out;
			}
			o.verify = (uint32_t)n;
			break;
		}
		case 'q':
			log_set_quiet(true);
			break;
		case 'h':
			usage(stdout);
			rc = EXIT_OK;
			goto out;
		default:
			cli_bad_option(c, argv);
			usage(stderr);
			goto out;
		}
	}
	if (argc - optind != 2) {
		rc = bad_usage("%s", argc - optind < 2 ? "missing INDEX or STATE_DIR" :
							 "too many arguments");
		goto out;
	}
	o.index_path = argv[optind];
	o.state_root = argv[optind + 1];
	o.plugins = plugins;
	o.n_plugins = n_plugins;
	o.options = &popts;
	o.argv = cmdline;
	o.argc = (uint32_t)argc + 1;
	if (popts.n && options_unknown(plugins, n_plugins, &popts)) {
		usage(stderr);
		goto out;
	}
	if (check_nodes(o.index_path, o.include_nodes, "--include-nodes") ||
	    check_nodes(o.index_path, o.exclude_nodes, "--exclude-nodes")) {
		rc = EXIT_FAILURES;
		goto out;
	}
	if (o.out_dir && sink_check(o.out_dir)) {
		rc = EXIT_FAILURES;
		goto out;
	}
	rc = harness_run(&o);
out:
	proc_options_release(&popts);
	buf_release(&sel);
	free(plugins);
	free(cmdline);
	return rc;
}
