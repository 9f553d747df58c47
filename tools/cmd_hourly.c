/*
 * tools/cmd_hourly.c: `bpass hourly CONFIG`: the whole pipeline in one
 * command for cron or a systemd timer: collect -> anonymize (optional) ->
 * index -> run (writing the result tables) -> plot.
 *
 * Each step runs the bpass binary itself (/proc/self/exe, or
 * $BPASS_HOURLY_EXE for tests) in a child process, so a crash in one step
 * cannot take the others down; each step gets a log line with its exit
 * status and duration. An exclusive flock on a lock file keeps a slow hour
 * from overlapping the next: a second instance prints "previous hourly run
 * still running" and exits 0, or with --wait waits for the lock.
 * When the updates folder holds the same tarballs as after the last complete
 * run (same names, sizes and times; same processors and plugins), the index
 * found nothing new and the results and plots exist, run and plot are
 * skipped and the command says so. Exit status: 0 when every step
 * succeeded, 1 when any failed, 2 for a usage or configuration error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <md5.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "atomic_file.h"
#include "commands.h"
#include "log.h"
#include "ops_fs.h"

enum key {
	K_UPLOADS, K_UPDATES, K_INDEX, K_STATE, K_RESULTS, K_PLOTS, K_PROCESSORS, K_PLUGINS,
	K_WORKERS, K_ANONYMIZED, K_LOCK, K_SVG, K_COUNT
};

static const char *const key_names[K_COUNT] = {
	"uploads", "updates", "index", "state", "results", "plots", "processors", "plugins",
	"workers", "anonymized", "lock", "svg",
};

/* Keys naming paths: relative ones in a config file are taken from the config's folder. */
static const bool key_is_path[K_COUNT] = {
	[K_UPLOADS] = true, [K_UPDATES] = true, [K_INDEX] = true, [K_STATE] = true,
	[K_RESULTS] = true, [K_PLOTS] = true, [K_ANONYMIZED] = true, [K_LOCK] = true,
};

struct hourly {
	char *val[K_COUNT];       /* owned; NULL when unset */
	bool wait, force, quiet;
	const char *exe;
	int failed_steps;
	struct buf failed;        /* names of failed steps */
};

static void usage(FILE *f)
{
	fputs("usage: bpass hourly [CONFIG] [--KEY VALUE...] [--wait] [--force] [-q]\n"
	      "\n"
	      "Runs collect -> anonymize -> index -> run -> plot, for cron. CONFIG is a file of\n"
	      "\"key = value\" lines ('#' starts a comment); the same keys are options, which\n"
	      "override the file. Relative paths in CONFIG are relative to its folder.\n"
	      "\n"
	      "  uploads DIR      node upload folders to collect (optional: no collect step)\n"
	      "  updates DIR      tarballs of updates (required)\n"
	      "  index FILE       the SQLite index (required)\n"
	      "  state DIR        saved session states (required)\n"
	      "  results DIR      result tables (required)\n"
	      "  plots DIR        plots and index.html (required)\n"
	      "  processors LIST  processors to run, comma or space separated (default: all)\n"
	      "  plugins LIST     processor plugins (.so) to load, comma or space separated\n"
	      "  workers N        worker processes for run (default: one per core)\n"
	      "  anonymized DIR   also keep anonymized copies of the tarballs there (optional)\n"
	      "  lock FILE        the lock file (default: INDEX.hourly.lock)\n"
	      "  svg yes|no       also draw SVG plots (default no)\n"
	      "\n"
	      "      --wait      wait for a previous hourly run to finish instead of exiting 0\n"
	      "      --force     run and plot even when nothing is new\n"
	      "  -q, --quiet     print only the step lines and errors\n"
	      "  -h, --help      this help\n", f);
}

static int key_of(const char *name)
{
	for (int k = 0; k < K_COUNT; k++)
		if (!strcmp(key_names[k], name))
			return k;
	return -1;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* Reads CONFIG; values already set (by options) win. Returns 0 or -1. */
static int read_config(struct hourly *h, const char *path)
{
	struct buf text, dir;
	buf_init(&text);
	buf_init(&dir);
	if (ops_read_file(path, &text) < 0) {
		int rc = log_error("could not read config \"%s\": %s", path, strerror(errno));
		buf_release(&text);
		return rc;
	}
	const char *slash = strrchr(path, '/');
	if (slash)
		buf_append(&dir, path, (size_t)(slash - path) + 1);
	int rc = 0, line_no = 0;
	bool seen[K_COUNT] = {false};
	for (char *line = text.data; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		line_no++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *s = trim(line);
		if (*s) {
			char *eq = strchr(s, '=');
			if (!eq) {
				rc = log_error("invalid config \"%s\" line %d: expected \"key = value\"",
					       path, line_no);
				break;
			}
			*eq = 0;
			char *key = trim(s), *value = trim(eq + 1);
			int k = key_of(key);
			if (k < 0) {
				rc = log_error("invalid config \"%s\" line %d: unknown key \"%s\"", path,
					       line_no, key);
				break;
			}
			if (seen[k]) {
				rc = log_error("invalid config \"%s\" line %d: \"%s\" given twice", path,
					       line_no, key);
				break;
			}
			seen[k] = true;
			if (!h->val[k] && *value) {
				struct buf v;
				buf_init(&v);
				if (key_is_path[k] && value[0] != '/')
					buf_puts(&v, dir.data);
				buf_puts(&v, value);
				h->val[k] = v.data;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	buf_release(&text);
	buf_release(&dir);
	return rc;
}

/* ---- steps ---- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char now[24];
	ops_now_iso(now);
	va_list ap;
	va_start(ap, fmt);
	printf("%s hourly: ", now);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
}

/* Runs the bpass binary with args (NULL-terminated, args[0] the command).
 * Returns the exit status, 128 + signal when killed, or -1 when it could not
 * be started. */
static int run_step(struct hourly *h, const char *step, char *const *args)
{
	double t0 = ops_seconds();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		log_error("could not start step \"%s\": %s", step, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		size_t n = 0;
		while (args[n])
			n++;
		char **argv = xcalloc(n + 2, sizeof(*argv));
		argv[0] = (char *)"bpass";
		for (size_t i = 0; i < n; i++)
			argv[i + 1] = args[i];
		execv(h->exe, argv);
		fprintf(stderr, "bpass: could not run \"%s\": %s\n", h->exe, strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			log_error("could not wait for step \"%s\": %s", step, strerror(errno));
			return -1;
		}
	}
	double dt = ops_seconds() - t0;
	int rc;
	if (WIFSIGNALED(status)) {
		rc = 128 + WTERMSIG(status);
		say("%s: killed by signal %d after %.2f s", step, WTERMSIG(status), dt);
	} else {
		rc = WEXITSTATUS(status);
		if (rc)
			say("%s: failed (exit %d) after %.2f s", step, rc, dt);
		else
			say("%s: ok in %.2f s", step, dt);
	}
	if (rc) {
		h->failed_steps++;
		buf_printf(&h->failed, "%s%s", h->failed.len ? ", " : "", step);
	}
	return rc;
}

struct argv_buf {
	char **v;
	uint32_t n, cap;
};

static void arg(struct argv_buf *a, const char *s)
{
	xgrow((void **)&a->v, &a->cap, a->n + 2, sizeof(*a->v));
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void args_free(struct argv_buf *a)
{
	for (uint32_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Appends "flag item" for every item of a comma- or space-separated list. */
static void list_args(struct argv_buf *a, const char *flag, const char *list)
{
	char *copy = xstrdup(list);
	char *p = copy;
	while (*p) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		char *end = p;
		while (*end && *end != ',' && *end != ' ' && *end != '\t')
			end++;
		char saved = *end;
		*end = 0;
		arg(a, flag);
		arg(a, p);
		*end = saved;
		p = end;
	}
	free(copy);
}

/* ---- what is new ---- */

static bool keep_tarball(const char *name, void *arg)
{
	(void)arg;
	return name[0] != '.' && (ops_has_suffix(name, ".tar") || ops_has_suffix(name, ".tar.gz"));
}

static int count_tarballs(const char *dir)
{
	char **names;
	int n = ops_list(dir, keep_tarball, NULL, &names);
	if (n > 0)
		ops_names_free(names, n);
	return n < 0 ? 0 : n;
}

/* The md5 of everything the results depend on: each tarball's name, size and
 * modification time, and the processors, plugins (with their size and time)
 * and workers asked for. */
static void stamp_of(const struct hourly *h, char out[33])
{
	struct buf s;
	buf_init(&s);
	char **names;
	int n = ops_list(h->val[K_UPDATES], keep_tarball, NULL, &names);
	for (int i = 0; i < n; i++) {
		struct buf p;
		buf_init(&p);
		buf_printf(&p, "%s/%s", h->val[K_UPDATES], names[i]);
		struct stat st;
		if (stat(p.data, &st) == 0)
			buf_printf(&s, "tar %s %lld %lld.%09ld\n", names[i], (long long)st.st_size,
				   (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		buf_release(&p);
	}
	if (n > 0)
		ops_names_free(names, n);
	buf_printf(&s, "processors %s\nworkers %s\nsvg %s\n",
		   h->val[K_PROCESSORS] ? h->val[K_PROCESSORS] : "",
		   h->val[K_WORKERS] ? h->val[K_WORKERS] : "", h->val[K_SVG] ? h->val[K_SVG] : "");
	if (h->val[K_PLUGINS]) {
		struct argv_buf a = {0};
		list_args(&a, "plugin", h->val[K_PLUGINS]);
		for (uint32_t i = 1; i < a.n; i += 2) {
			struct stat st;
			if (stat(a.v[i], &st) == 0)
				buf_printf(&s, "plugin %s %lld %lld\n", a.v[i], (long long)st.st_size,
					   (long long)st.st_mtime);
			else
				buf_printf(&s, "plugin %s missing\n", a.v[i]);
		}
		args_free(&a);
	}
	MD5Data((const uint8_t *)s.data, s.len, out);
	buf_release(&s);
}

static void stamp_path(const struct hourly *h, struct buf *p)
{
	buf_reset(p);
	buf_printf(p, "%s/.hourly-stamp", h->val[K_RESULTS]);
}

static bool stamp_matches(const struct hourly *h, const char stamp[33])
{
	struct buf p, old;
	buf_init(&p);
	buf_init(&old);
	stamp_path(h, &p);
	bool same = ops_read_file(p.data, &old) == 0 && old.len >= 32 &&
		    !memcmp(old.data, stamp, 32);
	buf_reset(&p);
	buf_printf(&p, "%s/index.html", h->val[K_PLOTS]);
	same = same && access(p.data, F_OK) == 0;
	buf_release(&p);
	buf_release(&old);
	return same;
}

static void stamp_save(const struct hourly *h, const char stamp[33])
{
	struct buf p, tmp;
	buf_init(&p);
	buf_init(&tmp);
	stamp_path(h, &p);
	buf_printf(&tmp, "%s.tmp", p.data);
	int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ops_write_all(fd, stamp, 32) < 0 || ops_write_all(fd, "\n", 1) < 0 ||
	    fsync(fd) < 0 || close(fd) < 0 || rename(tmp.data, p.data) < 0) {
		log_warn("could not save \"%s\": %s (the next hour will run again)", p.data,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp.data);
	}
	buf_release(&p);
	buf_release(&tmp);
}

/* ---- the pipeline ---- */

static int pipeline(struct hourly *h)
{
	double t0 = ops_seconds();
	struct argv_buf a = {0};
	int collected = 0;

	if (h->val[K_UPLOADS]) {
		int before = count_tarballs(h->val[K_UPDATES]);
		arg(&a, "collect");
		if (h->quiet)
			arg(&a, "-q");
		arg(&a, h->val[K_UPLOADS]);
		arg(&a, h->val[K_UPDATES]);
		run_step(h, "collect", a.v);
		args_free(&a);
		collected = count_tarballs(h->val[K_UPDATES]) - before;
		if (collected < 0)
			collected = 0;
	} else if (atomic_mkdirs(h->val[K_UPDATES]) < 0) {
		return log_error("could not create updates folder \"%s\": %s", h->val[K_UPDATES],
				 strerror(errno));
	}
	if (h->val[K_ANONYMIZED]) {
		arg(&a, "anonymize");
		if (h->quiet)
			arg(&a, "-q");
		arg(&a, h->val[K_UPDATES]);
		arg(&a, h->val[K_ANONYMIZED]);
		run_step(h, "anonymize", a.v);
		args_free(&a);
	}
	arg(&a, "index");
	arg(&a, h->val[K_UPDATES]);
	arg(&a, h->val[K_INDEX]);
	int index_rc = run_step(h, "index", a.v);
	args_free(&a);

	char stamp[33];
	stamp_of(h, stamp);
	if (!h->force && index_rc == 0 && stamp_matches(h, stamp)) {
		say("nothing new: %d tarball%s collected, no new or changed tarball since the last "
		    "run; run and plot skipped (%.2f s)", collected, collected == 1 ? "" : "s",
		    ops_seconds() - t0);
		return h->failed_steps ? -1 : 0;
	}

	arg(&a, "run");
	arg(&a, h->val[K_INDEX]);
	arg(&a, h->val[K_STATE]);
	arg(&a, "--out");
	arg(&a, h->val[K_RESULTS]);
	if (h->val[K_PLUGINS])
		list_args(&a, "--plugin", h->val[K_PLUGINS]);
	if (h->val[K_PROCESSORS])
		list_args(&a, "-p", h->val[K_PROCESSORS]);
	if (h->val[K_WORKERS]) {
		arg(&a, "--workers");
		arg(&a, h->val[K_WORKERS]);
	}
	int run_rc = run_step(h, "run", a.v);
	args_free(&a);

	arg(&a, "plot");
	if (h->quiet)
		arg(&a, "-q");
	arg(&a, h->val[K_RESULTS]);
	arg(&a, "--out");
	arg(&a, h->val[K_PLOTS]);
	if (h->val[K_SVG] && (!strcmp(h->val[K_SVG], "yes") || !strcmp(h->val[K_SVG], "true") ||
			      !strcmp(h->val[K_SVG], "1")))
		arg(&a, "--svg");
	int plot_rc = run_step(h, "plot", a.v);
	args_free(&a);

	/* Remember what these results were computed from, once they all are. */
	if (index_rc == 0 && run_rc == 0 && plot_rc == 0)
		stamp_save(h, stamp);
	if (h->failed_steps)
		say("done with failures (%s) in %.2f s", h->failed.data, ops_seconds() - t0);
	else
		say("done: %d tarball%s collected, results and plots updated in %.2f s", collected,
		    collected == 1 ? "" : "s", ops_seconds() - t0);
	return h->failed_steps ? -1 : 0;
}

int cmd_hourly(int argc, char **argv)
{
	enum { O_WAIT = 1000, O_FORCE };
	static const struct option opts[] = {
		{"uploads", required_argument, NULL, K_UPLOADS},
		{"updates", required_argument, NULL, K_UPDATES},
		{"index", required_argument, NULL, K_INDEX},
		{"state", required_argument, NULL, K_STATE},
		{"results", required_argument, NULL, K_RESULTS},
		{"plots", required_argument, NULL, K_PLOTS},
		{"processors", required_argument, NULL, K_PROCESSORS},
		{"plugins", required_argument, NULL, K_PLUGINS},
		{"workers", required_argument, NULL, K_WORKERS},
		{"anonymized", required_argument, NULL, K_ANONYMIZED},
		{"lock", required_argument, NULL, K_LOCK},
		{"svg", required_argument, NULL, K_SVG},
		{"wait", no_argument, NULL, O_WAIT},
		{"force", no_argument, NULL, O_FORCE},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct hourly h = {0};
	buf_init(&h.failed);
	int ch, rc = EXIT_USAGE;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		if (ch >= 0 && ch < K_COUNT) {
			free(h.val[ch]);
			h.val[ch] = xstrdup(optarg);
		} else if (ch == O_WAIT) {
			h.wait = true;
		} else if (ch == O_FORCE) {
			h.force = true;
		} else if (ch == 'q') {
			h.quiet = true;
			log_set_quiet(true);
		} else if (ch == 'h') {
			usage(stdout);
			rc = EXIT_OK;
			goto out;
		} else {
			usage(stderr);
			goto out;
		}
	}
	if (argc - optind > 1) {
		log_error("expected at most one CONFIG file");
		usage(stderr);
		goto out;
	}
	if (argc - optind == 1 && read_config(&h, argv[optind]) < 0)
		goto out;
	static const int required[] = {K_UPDATES, K_INDEX, K_STATE, K_RESULTS, K_PLOTS};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!h.val[required[i]]) {
			log_error("missing \"%s\": set it in CONFIG or with --%s", key_names[required[i]],
				  key_names[required[i]]);
			usage(stderr);
			goto out;
		}
	if (h.val[K_WORKERS]) {
		char *end;
		long w = strtol(h.val[K_WORKERS], &end, 10);
		if (*end || end == h.val[K_WORKERS] || w < 0 || w > 4096) {
			log_error("invalid workers \"%s\": expected a number from 0 to 4096",
				  h.val[K_WORKERS]);
			goto out;
		}
	}
	h.exe = getenv("BPASS_HOURLY_EXE");
	if (!h.exe || !*h.exe)
		h.exe = "/proc/self/exe";

	struct buf lock;
	buf_init(&lock);
	if (h.val[K_LOCK])
		buf_puts(&lock, h.val[K_LOCK]);
	else
		buf_printf(&lock, "%s.hourly.lock", h.val[K_INDEX]);
	char *slash = strrchr(lock.data, '/');
	if (slash && slash != lock.data) {
		*slash = 0;
		if (atomic_mkdirs(lock.data) < 0) {
			log_error("could not create folder \"%s\": %s", lock.data, strerror(errno));
			*slash = '/';
			buf_release(&lock);
			rc = EXIT_FAILURES;
			goto out;
		}
		*slash = '/';
	}
	/* The lock is inherited by the steps: a step left running by a killed
	 * hourly run still keeps the next one out. */
	int lfd = ops_lock(lock.data, h.wait, false);
	if (lfd == -2) {
		say("previous hourly run still running (lock \"%s\" is held); nothing done", lock.data);
		buf_release(&lock);
		rc = EXIT_OK;
		goto out;
	}
	buf_release(&lock);
	if (lfd < 0) {
		rc = EXIT_FAILURES;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = pipeline(&h) < 0 ? EXIT_FAILURES : EXIT_OK;
	close(lfd);
out:
	for (int k = 0; k < K_COUNT; k++)
		free(h.val[k]);
	buf_release(&h.failed);
	return rc;
}
