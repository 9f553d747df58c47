/*
 * ops/hourly.c: the hourly pipeline (see hourly.h): configuration, the
 * steps as child processes, the "nothing new" stamp and the lock.
 */
#include "hourly.h"

#include <errno.h>
#include <fcntl.h>
#include <md5.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "buf.h"
#include "duration.h"
#include "log.h"
#include "fs.h"
#include "lock_file.h"
#include "timeutil.h"
#include "paths.h"

static const char *const key_names[HOURLY_KEY_COUNT] = {
	"uploads", "updates", "index", "state", "results", "plots", "processors", "plugins",
	"workers", "anonymized", "lock", "svg", "quiet-period", "anonymize-key",
	"anonymize-manifest", "stale-lock", "options", "database",
};

/* Keys naming paths: relative ones in a config file are taken from the config's folder. */
static const bool key_is_path[HOURLY_KEY_COUNT] = {
	[HOURLY_UPLOADS] = true, [HOURLY_UPDATES] = true, [HOURLY_INDEX] = true,
	[HOURLY_STATE] = true, [HOURLY_RESULTS] = true, [HOURLY_PLOTS] = true,
	[HOURLY_ANONYMIZED] = true, [HOURLY_LOCK] = true, [HOURLY_ANONYMIZE_KEY] = true,
	[HOURLY_ANONYMIZE_MANIFEST] = true,
};

/* One run of the pipeline. */
struct hourly {
	char *const *val;         /* the configuration's values (borrowed); NULL when unset */
	bool force, quiet;
	const char *exe;
	int failed_steps;
	struct buf failed;        /* names of failed steps */
};

int hourly_key_of(const char *name)
{
	for (int k = 0; k < HOURLY_KEY_COUNT; k++)
		if (!strcmp(key_names[k], name))
			return k;
	return -1;
}

const char *hourly_key_name(int k)
{
	return k >= 0 && k < HOURLY_KEY_COUNT ? key_names[k] : NULL;
}

bool hourly_key_required(int k)
{
	return k == HOURLY_UPDATES || k == HOURLY_INDEX || k == HOURLY_STATE ||
	       k == HOURLY_RESULTS || k == HOURLY_PLOTS;
}

void hourly_config_set(struct hourly_config *c, int k, const char *value)
{
	free(c->val[k]);
	c->val[k] = xstrdup(value);
}

void hourly_config_release(struct hourly_config *c)
{
	for (int k = 0; k < HOURLY_KEY_COUNT; k++)
		free(c->val[k]);
	memset(c, 0, sizeof(*c));
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

int hourly_config_read(struct hourly_config *c, const char *path)
{
	struct buf text, dir;
	buf_init(&text);
	buf_init(&dir);
	if (fs_read_file(path, &text) < 0) {
		int rc = log_error("could not read config \"%s\": %s", path, strerror(errno));
		buf_release(&text);
		return rc;
	}
	const char *slash = strrchr(path, '/');
	if (slash)
		buf_append(&dir, path, (size_t)(slash - path) + 1);
	int rc = 0, line_no = 0;
	bool seen[HOURLY_KEY_COUNT] = {false};
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
			int k = hourly_key_of(key);
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
			if (!c->val[k] && *value) {
				struct buf v;
				buf_init(&v);
				/* database: a path unless it is a URL. */
				bool is_path = key_is_path[k] ||
					       (k == HOURLY_DATABASE && !strstr(value, "://"));
				if (is_path && value[0] != '/')
					buf_puts(&v, dir.data);
				buf_puts(&v, value);
				c->val[k] = v.data;
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
	time_now_iso(now);
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
	double t0 = time_monotonic();
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
	double dt = time_monotonic() - t0;
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
	return name[0] != '.' && (fs_has_suffix(name, ".tar") || fs_has_suffix(name, ".tar.gz"));
}

static int count_tarballs(const char *dir)
{
	char **names;
	int n = fs_list(dir, keep_tarball, NULL, &names);
	if (n > 0)
		fs_names_free(names, n);
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
	int n = fs_list(h->val[HOURLY_UPDATES], keep_tarball, NULL, &names);
	for (int i = 0; i < n; i++) {
		struct buf p;
		buf_init(&p);
		buf_printf(&p, "%s/%s", h->val[HOURLY_UPDATES], names[i]);
		struct stat st;
		if (stat(p.data, &st) == 0)
			buf_printf(&s, "tar %s %lld %lld.%09ld\n", names[i], (long long)st.st_size,
				   (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		buf_release(&p);
	}
	if (n > 0)
		fs_names_free(names, n);
	buf_printf(&s, "database %s\n", h->val[HOURLY_DATABASE] ? h->val[HOURLY_DATABASE] : "");
	buf_printf(&s, "processors %s\noptions %s\nworkers %s\nsvg %s\n",
		   h->val[HOURLY_PROCESSORS] ? h->val[HOURLY_PROCESSORS] : "",
		   h->val[HOURLY_OPTIONS] ? h->val[HOURLY_OPTIONS] : "",
		   h->val[HOURLY_WORKERS] ? h->val[HOURLY_WORKERS] : "", h->val[HOURLY_SVG] ? h->val[HOURLY_SVG] : "");
	if (h->val[HOURLY_PLUGINS]) {
		struct argv_buf a = {0};
		list_args(&a, "plugin", h->val[HOURLY_PLUGINS]);
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
	buf_printf(p, "%s/.hourly-stamp", h->val[HOURLY_RESULTS]);
}

static bool stamp_matches(const struct hourly *h, const char stamp[33])
{
	struct buf p, old;
	buf_init(&p);
	buf_init(&old);
	stamp_path(h, &p);
	bool same = fs_read_file(p.data, &old) == 0 && old.len >= 32 &&
		    !memcmp(old.data, stamp, 32);
	buf_reset(&p);
	buf_printf(&p, "%s/index.html", h->val[HOURLY_PLOTS]);
	same = same && access(p.data, F_OK) == 0;
	buf_release(&p);
	buf_release(&old);
	return same;
}

static void stamp_save(const struct hourly *h, const char stamp[33])
{
	struct buf p, text;
	buf_init(&p);
	buf_init(&text);
	stamp_path(h, &p);
	buf_append(&text, stamp, 32);
	buf_putc(&text, '\n');
	if (atomic_file_write(p.data, text.data, text.len, "hourly stamp", 0) < 0)
		log_warn("the results are not stamped: the next hour runs them again");
	buf_release(&p);
	buf_release(&text);
}

/* ---- the lock's holder ----
 *
 * The run holding the lock writes "PID START" (its pid, and when it took the
 * lock in seconds since 1970) into the lock file, so that a later run that
 * finds the lock held can say by whom and for how long, and call a lock
 * held past the stale limit what it is: a hung run, an error.
 */

static void record_holder(int fd)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "%ld %lld\n", (long)getpid(), (long long)time(NULL));
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)n, 0) != n)
		log_warn("could not record this run in its lock file: %s", strerror(errno));
}

/* Reads the holder of the lock: *pid (0 when unknown) and *since (the lock
 * file's modification time when the file does not say). */
static void read_holder(const char *path, long *pid, int64_t *since)
{
	struct buf text;
	buf_init(&text);
	*pid = 0;
	*since = 0;
	struct stat st;
	if (stat(path, &st) == 0)
		*since = (int64_t)st.st_mtime;
	if (fs_read_file(path, &text) == 0) {
		char *end;
		long p = strtol(text.data, &end, 10);
		if (end != text.data && *end == ' ') {
			char *end2;
			long long t = strtoll(end + 1, &end2, 10);
			if (end2 != end + 1 && (*end2 == '\n' || !*end2) && p > 0 && t > 0) {
				*pid = p;
				*since = (int64_t)t;
			}
		}
	}
	buf_release(&text);
}

/*
 * The lock at path is held. Returns -1 after an error message when it has
 * been held for at least stale seconds (stale > 0), else 0, after saying
 * "still running" when tell is set.
 */
static int check_holder(const char *path, int64_t stale, bool tell)
{
	long pid;
	int64_t since;
	read_holder(path, &pid, &since);
	int64_t held = (int64_t)time(NULL) - since;
	if (stale > 0 && held >= stale) {
		/* A run that took the lock a moment ago may not have written its
		 * line yet: look again before calling it hung. */
		usleep(200000);
		read_holder(path, &pid, &since);
		held = (int64_t)time(NULL) - since;
	}
	char held_s[32], stale_s[32];
	duration_format(held, held_s);
	duration_format(stale, stale_s);
	struct buf who;
	buf_init(&who);
	if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		buf_printf(&who, "pid %ld (no longer running: a step it started holds the lock)", pid);
	else if (pid > 0)
		buf_printf(&who, "pid %ld", pid);
	else
		buf_puts(&who, "an unknown process");
	int rc = 0;
	if (stale > 0 && held >= stale)
		rc = log_error("previous hourly run looks hung: %s has held lock \"%s\" for %s, "
			       "longer than stale-lock (%s)", who.data, path, held_s, stale_s);
	else if (tell)
		say("previous hourly run still running (lock \"%s\" held by %s for %s); nothing done",
		    path, who.data, held_s);
	buf_release(&who);
	return rc;
}

/* ---- the pipeline ---- */

static int pipeline(struct hourly *h)
{
	double t0 = time_monotonic();
	struct argv_buf a = {0};
	int collected = 0;

	if (h->val[HOURLY_UPLOADS]) {
		int before = count_tarballs(h->val[HOURLY_UPDATES]);
		arg(&a, "collect");
		if (h->quiet)
			arg(&a, "-q");
		if (h->val[HOURLY_QUIET_PERIOD]) {
			arg(&a, "--quiet-period");
			arg(&a, h->val[HOURLY_QUIET_PERIOD]);
		}
		arg(&a, h->val[HOURLY_UPLOADS]);
		arg(&a, h->val[HOURLY_UPDATES]);
		run_step(h, "collect", a.v);
		args_free(&a);
		collected = count_tarballs(h->val[HOURLY_UPDATES]) - before;
		if (collected < 0)
			collected = 0;
	} else if (fs_mkdirs(h->val[HOURLY_UPDATES]) < 0) {
		return log_error("could not create updates folder \"%s\": %s", h->val[HOURLY_UPDATES],
				 strerror(errno));
	}
	if (h->val[HOURLY_ANONYMIZED]) {
		arg(&a, "anonymize");
		if (h->quiet)
			arg(&a, "-q");
		if (h->val[HOURLY_ANONYMIZE_KEY]) {
			arg(&a, "--key");
			arg(&a, h->val[HOURLY_ANONYMIZE_KEY]);
		}
		if (h->val[HOURLY_ANONYMIZE_MANIFEST]) {
			arg(&a, "--manifest");
			arg(&a, h->val[HOURLY_ANONYMIZE_MANIFEST]);
		}
		arg(&a, h->val[HOURLY_UPDATES]);
		arg(&a, h->val[HOURLY_ANONYMIZED]);
		run_step(h, "anonymize", a.v);
		args_free(&a);
	}
	arg(&a, "index");
	arg(&a, h->val[HOURLY_UPDATES]);
	arg(&a, h->val[HOURLY_INDEX]);
	int index_rc = run_step(h, "index", a.v);
	args_free(&a);

	char stamp[33];
	stamp_of(h, stamp);
	if (!h->force && index_rc == 0 && stamp_matches(h, stamp)) {
		say("nothing new: %d tarball%s collected, no new or changed tarball since the last "
		    "run; run and plot skipped (%.2f s)", collected, collected == 1 ? "" : "s",
		    time_monotonic() - t0);
		return h->failed_steps ? -1 : 0;
	}

	arg(&a, "run");
	arg(&a, h->val[HOURLY_INDEX]);
	arg(&a, h->val[HOURLY_STATE]);
	arg(&a, "--out");
	arg(&a, h->val[HOURLY_RESULTS]);
	if (h->val[HOURLY_PLUGINS])
		list_args(&a, "--plugin", h->val[HOURLY_PLUGINS]);
	if (h->val[HOURLY_PROCESSORS])
		list_args(&a, "-p", h->val[HOURLY_PROCESSORS]);
	if (h->val[HOURLY_OPTIONS])
		list_args(&a, "-o", h->val[HOURLY_OPTIONS]);
	if (h->val[HOURLY_WORKERS]) {
		arg(&a, "--workers");
		arg(&a, h->val[HOURLY_WORKERS]);
	}
	struct buf cache;
	buf_init(&cache);
	buf_printf(&cache, "%s/.hourly-global", h->val[HOURLY_STATE]);
	if (h->val[HOURLY_DATABASE]) {
		unlink(cache.data);   /* an earlier hour's is not this run's */
		arg(&a, "--cache-global");
		arg(&a, cache.data);
	}
	int run_rc = run_step(h, "run", a.v);
	args_free(&a);

	/* The same tables into the database, from the global result the run
	 * cached (a run that failed may still have written it: its tables
	 * are what it published). */
	int db_rc = 0;
	if (h->val[HOURLY_DATABASE]) {
		if (access(cache.data, F_OK) == 0) {
			arg(&a, "results");
			arg(&a, cache.data);
			arg(&a, "--out");
			arg(&a, h->val[HOURLY_DATABASE]);
			if (h->val[HOURLY_PLUGINS])
				list_args(&a, "--plugin", h->val[HOURLY_PLUGINS]);
			db_rc = run_step(h, "database", a.v);
			args_free(&a);
		} else {
			log_error("database step skipped: the run saved no global result \"%s\"",
				  cache.data);
			db_rc = -1;
			h->failed_steps++;
			buf_printf(&h->failed, "%sdatabase", h->failed.len ? ", " : "");
		}
	}
	buf_release(&cache);

	arg(&a, "plot");
	if (h->quiet)
		arg(&a, "-q");
	arg(&a, h->val[HOURLY_RESULTS]);
	arg(&a, "--out");
	arg(&a, h->val[HOURLY_PLOTS]);
	if (h->val[HOURLY_SVG] && (!strcmp(h->val[HOURLY_SVG], "yes") || !strcmp(h->val[HOURLY_SVG], "true") ||
			      !strcmp(h->val[HOURLY_SVG], "1")))
		arg(&a, "--svg");
	int plot_rc = run_step(h, "plot", a.v);
	args_free(&a);

	/* Remember what these results were computed from, once they all are. */
	if (index_rc == 0 && run_rc == 0 && plot_rc == 0 && db_rc == 0)
		stamp_save(h, stamp);
	if (h->failed_steps)
		say("done with failures (%s) in %.2f s", h->failed.data, time_monotonic() - t0);
	else
		say("done: %d tarball%s collected, results and plots updated in %.2f s", collected,
		    collected == 1 ? "" : "s", time_monotonic() - t0);
	return h->failed_steps ? -1 : 0;
}

int hourly_config_check(const struct hourly_config *c)
{
	/* Folders that would feed a step its own output: collect taking its
	 * own folder for a node, index taking anonymized copies for new nodes,
	 * anonymize copying its copies. */
	static const int pairs[][2] = {
		{HOURLY_UPLOADS, HOURLY_UPDATES},
		{HOURLY_ANONYMIZED, HOURLY_UPDATES},
		{HOURLY_ANONYMIZED, HOURLY_UPLOADS},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const char *a = c->val[pairs[i][0]], *b = c->val[pairs[i][1]];
		if (!a || !b)
			continue;
		int r = paths_overlap(a, b);
		if (r < 0)
			return log_error("could not resolve \"%s\" and \"%s\": %s", a, b,
					 strerror(errno));
		if (r)
			return log_error("invalid configuration: \"%s\" (\"%s\") and \"%s\" (\"%s\") "
					 "overlap: a step would take another's output for new input",
					 key_names[pairs[i][0]], a, key_names[pairs[i][1]], b);
	}
	int64_t seconds;
	const char *q = c->val[HOURLY_QUIET_PERIOD];
	if (q && duration_parse(q, &seconds) < 0)
		return log_error("invalid quiet-period \"%s\": expected seconds (or a number with "
				 "s, m or h)", q);
	q = c->val[HOURLY_STALE_LOCK];
	if (q && duration_parse(q, &seconds) < 0)
		return log_error("invalid stale-lock \"%s\": expected seconds (or a number with s, "
				 "m, h or d)", q);
	const char *w = c->val[HOURLY_WORKERS];
	if (w) {
		char *end;
		long n = strtol(w, &end, 10);
		if (*end || end == w || n < 0 || n > 4096)
			return log_error("invalid workers \"%s\": expected a number from 0 to 4096", w);
	}
	return 0;
}

int hourly_run(const struct hourly_config *c, const struct hourly_options *o)
{
	for (int k = 0; k < HOURLY_KEY_COUNT; k++)
		if (hourly_key_required(k) && !c->val[k])
			return log_error("invalid configuration: \"%s\" is not set", key_names[k]);
	if (hourly_config_check(c) < 0)
		return -1;
	struct hourly h = {.val = c->val, .force = o->force, .quiet = o->quiet,
			   .exe = o->exe && *o->exe ? o->exe : "/proc/self/exe"};
	buf_init(&h.failed);
	struct buf lock;
	buf_init(&lock);
	if (c->val[HOURLY_LOCK])
		buf_puts(&lock, c->val[HOURLY_LOCK]);
	else
		buf_printf(&lock, "%s.hourly.lock", c->val[HOURLY_INDEX]);
	int rc = -1;
	char *slash = strrchr(lock.data, '/');
	if (slash && slash != lock.data) {
		*slash = 0;
		if (fs_mkdirs(lock.data) < 0) {
			log_error("could not create folder \"%s\": %s", lock.data, strerror(errno));
			goto out;
		}
		*slash = '/';
	}
	int64_t stale = HOURLY_STALE_LOCK_DEFAULT;
	if (c->val[HOURLY_STALE_LOCK])
		duration_parse(c->val[HOURLY_STALE_LOCK], &stale);   /* checked above */
	/* The lock is inherited by the steps: a step left running by a killed
	 * hourly run still keeps the next one out. */
	int lfd;
	for (;;) {
		lfd = lock_file_take(lock.data, false, false);
		if (lfd != -2)
			break;
		int r = check_holder(lock.data, stale, !o->wait);
		if (r < 0)
			goto out;           /* it looks hung: an error */
		if (!o->wait) {
			rc = 0;             /* still running: said so */
			goto out;
		}
		sleep(1);
	}
	if (lfd < 0)
		goto out;
	record_holder(lfd);
	signal(SIGPIPE, SIG_IGN);
	rc = pipeline(&h);
	/* Done: the lock file no longer names a holder. (A run that is killed
	 * leaves its line, so the next one can name it.) */
	if (ftruncate(lfd, 0) < 0)
		log_warn("could not clear lock file \"%s\": %s", lock.data, strerror(errno));
	close(lfd);
out:
	buf_release(&lock);
	buf_release(&h.failed);
	return rc;
}
