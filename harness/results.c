/*
 * harness/results.c: CSV and JSON Lines result tables (see results.h).
 */
#include "results.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "csv.h"
#include "fs.h"
#include "log.h"
#include "timeutil.h"

struct bpass_table {
	struct results *res;
	struct atomic_file af;
	char *name;
	char **columns;
	uint32_t n_columns;
	uint32_t cell;            /* cells written in the current row */
	uint8_t *kinds;           /* per column: the RESULTS_KIND_* of its cells */
	bool failed;
	struct buf row;           /* the current row */
	struct bpass_table *next; /* in res->open */
};

/* ---------------------------------------------------------------------------
 * Tables
 */

static void table_fail(struct bpass_table *t)
{
	t->failed = true;
	t->res->failed = true;
}

/* Starts the next cell: the separator, and in JSON the key. */
static bool cell_begin(struct bpass_table *t)
{
	if (t->failed)
		return false;
	if (t->cell >= t->n_columns) {
		log_error("could not write results table \"%s\": row has more than %u cells",
			  t->name, t->n_columns);
		table_fail(t);
		return false;
	}
	if (t->res->json) {
		buf_putc(&t->row, t->cell ? ',' : '{');
		buf_put_json_str(&t->row, t->columns[t->cell]);
		buf_putc(&t->row, ':');
	} else if (t->cell) {
		buf_putc(&t->row, ',');
	}
	t->cell++;
	return true;
}

/* Records the kind of the cell cell_begin has just started. */
static void cell_kind(struct bpass_table *t, uint8_t kind)
{
	t->kinds[t->cell - 1] |= kind;
}

static void t_str(struct bpass_table *t, const char *s)
{
	if (!cell_begin(t))
		return;
	cell_kind(t, RESULTS_KIND_STR);
	if (t->res->json)
		buf_put_json_str(&t->row, s);
	else
		csv_put_field(&t->row, s);
}

static void t_i64(struct bpass_table *t, int64_t v)
{
	if (!cell_begin(t))
		return;
	cell_kind(t, RESULTS_KIND_I64);
	buf_put_i64(&t->row, v);
}

static void t_u64(struct bpass_table *t, uint64_t v)
{
	if (!cell_begin(t))
		return;
	cell_kind(t, v > INT64_MAX ? RESULTS_KIND_U64_BIG : RESULTS_KIND_I64);
	buf_put_u64(&t->row, v);
}

static void t_f64(struct bpass_table *t, double v)
{
	if (!cell_begin(t))
		return;
	cell_kind(t, RESULTS_KIND_F64);
	if (t->res->json && !isfinite(v))
		buf_puts(&t->row, "null");
	else
		buf_printf(&t->row, "%.17g", v);
}

static void t_null(struct bpass_table *t)
{
	if (cell_begin(t) && t->res->json)
		buf_puts(&t->row, "null");
}

static void t_iso(struct bpass_table *t, int64_t v, bool us)
{
	if (!cell_begin(t))
		return;
	cell_kind(t, us ? RESULTS_KIND_ISO_US : RESULTS_KIND_ISO_S);
	bool json = t->res->json;
	if (json)
		buf_putc(&t->row, '"');
	if (us)
		time_iso_us(&t->row, v);
	else
		time_iso_s(&t->row, v);
	if (json)
		buf_putc(&t->row, '"');
}

static void t_iso_us(struct bpass_table *t, int64_t us)
{
	t_iso(t, us, true);
}

static void t_iso_s(struct bpass_table *t, int64_t s)
{
	t_iso(t, s, false);
}

static int t_row_end(struct bpass_table *t)
{
	if (t->failed)
		return -1;
	if (t->cell != t->n_columns) {
		log_error("could not write results table \"%s\": row has %u cells, expected %u",
			  t->name, t->cell, t->n_columns);
		table_fail(t);
		return -1;
	}
	if (t->res->json)
		buf_putc(&t->row, '}');
	buf_putc(&t->row, '\n');
	if (fwrite(t->row.data, 1, t->row.len, t->af.f) != t->row.len) {
		log_error("could not write results table \"%s\": %s", t->name, strerror(errno));
		table_fail(t);
		return -1;
	}
	buf_reset(&t->row);
	t->cell = 0;
	return 0;
}

/* The column types file of a table: .NAME.types beside it (see results.h). */
static int write_types(struct bpass_table *t)
{
	struct buf path, text;
	buf_init(&path);
	buf_init(&text);
	buf_printf(&path, "%s/." "%s" RESULTS_TYPES_SUFFIX, t->res->dir, t->name);
	for (uint32_t i = 0; i < t->n_columns; i++) {
		results_kinds_format(&text, t->kinds[i]);
		buf_printf(&text, "\t%s\n", t->columns[i]);
	}
	int rc = atomic_file_write(path.data, text.data, text.len, "results table types",
				   ATOMIC_FILE_DEFER_DIRSYNC | ATOMIC_FILE_NO_FSYNC);
	buf_release(&path);
	buf_release(&text);
	return rc;
}

static const char kind_letters[] = "iUfstT";

void results_kinds_format(struct buf *out, uint8_t kinds)
{
	if (!kinds)
		buf_putc(out, '-');
	for (int b = 0; kind_letters[b]; b++)
		if (kinds & (1u << b))
			buf_putc(out, kind_letters[b]);
}

int results_kinds_parse(const char *s, size_t len, uint8_t *kinds)
{
	*kinds = 0;
	if (len == 1 && s[0] == '-')
		return 0;
	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		const char *at = memchr(kind_letters, s[i], sizeof(kind_letters) - 1);
		if (!at)
			return -1;
		*kinds |= (uint8_t)(1u << (at - kind_letters));
	}
	return 0;
}

static int t_close(struct bpass_table *t)
{
	if (!t)
		return -1;
	for (struct bpass_table **p = &t->res->open; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	int rc;
	if (t->failed || t->cell != 0) {
		if (!t->failed)
			log_error("could not write results table \"%s\": last row not ended", t->name);
		table_fail(t);
		atomic_file_abort(&t->af);
		rc = -1;
	} else {
		rc = atomic_file_commit(&t->af);
		if (rc == 0)
			rc = write_types(t);
		if (rc)
			t->res->failed = true;
	}
	for (uint32_t i = 0; i < t->n_columns; i++)
		free(t->columns[i]);
	free(t->columns);
	free(t->kinds);
	free(t->name);
	buf_release(&t->row);
	free(t);
	return rc;
}

static bool valid_table_name(const char *s)
{
	if (!*s || strlen(s) > 100)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static struct bpass_table *r_table(struct bpass_results *r, const char *name,
				   const char *const *columns)
{
	struct results *res = r->impl;
	if (!valid_table_name(name)) {
		log_error("invalid results table name \"%s\": use lower-case letters, digits, '_' "
			  "and '-'", name);
		res->failed = true;
		return NULL;
	}
	struct buf line;
	buf_init(&line);
	buf_printf(&line, "\n%s\n", name);
	bool repeated = strstr(res->names.data, line.data) != NULL;
	buf_release(&line);
	uint32_t n = 0;
	while (columns && columns[n])
		n++;
	if (repeated || n == 0) {
		log_error(repeated ? "could not write results table \"%s\": written twice in one run"
				   : "could not write results table \"%s\": no columns",
			  name);
		res->failed = true;
		return NULL;
	}
	struct buf path;
	buf_init(&path);
	buf_printf(&path, "%s/%s.%s", res->dir, name, res->json ? "jsonl" : "csv");
	struct bpass_table *t = xcalloc(1, sizeof(*t));
	if (atomic_file_open(&t->af, path.data, "results table", ATOMIC_FILE_DEFER_DIRSYNC)) {
		buf_release(&path);
		free(t);
		res->failed = true;
		return NULL;
	}
	buf_release(&path);
	buf_printf(&res->names, "%s\n", name);
	t->res = res;
	t->next = res->open;
	res->open = t;
	t->name = xstrdup(name);
	t->n_columns = n;
	t->columns = xcalloc(n, sizeof(*t->columns));
	t->kinds = xcalloc(n, sizeof(*t->kinds));
	buf_init(&t->row);
	for (uint32_t i = 0; i < n; i++) {
		t->columns[i] = xstrdup(columns[i]);
		if (!res->json) {
			if (i)
				buf_putc(&t->row, ',');
			csv_put_field(&t->row, columns[i]);
		}
	}
	if (!res->json) {
		buf_putc(&t->row, '\n');
		if (fwrite(t->row.data, 1, t->row.len, t->af.f) != t->row.len)
			table_fail(t);
		buf_reset(&t->row);
	}
	return t;
}

int results_init(struct results *res, const char *dir, bool json)
{
	memset(res, 0, sizeof(*res));
	buf_init(&res->names);
	buf_putc(&res->names, '\n');
	res->dir = xstrdup(dir);
	res->json = json;
	res->r = (struct bpass_results){
		.impl = res,
		.table = r_table,
		.str = t_str,
		.i64 = t_i64,
		.u64 = t_u64,
		.f64 = t_f64,
		.null = t_null,
		.iso_us = t_iso_us,
		.iso_s = t_iso_s,
		.row_end = t_row_end,
		.close = t_close,
	};
	if (fs_mkdirs(dir) < 0)
		return log_error("could not create results folder \"%s\": %s", dir, strerror(errno));
	return 0;
}

void results_release(struct results *res)
{
	while (res->open) {
		struct bpass_table *t = res->open;
		log_error("results table \"%s\" was not closed: dropped", t->name);
		t->failed = true;
		t_close(t);
	}
	if (res->dir && res->names.len > 1)
		fs_fsync_dir(res->dir);
	free(res->dir);
	buf_release(&res->names);
	memset(res, 0, sizeof(*res));
}

/* Result tables: visible names ending in .csv or .jsonl. */
static bool is_table_file(const char *name, void *arg)
{
	(void)arg;
	return name[0] != '.' && (fs_has_suffix(name, ".csv") || fs_has_suffix(name, ".jsonl"));
}

int results_remove_others(struct results *res)
{
	char **files;
	int n = fs_list(res->dir, is_table_file, NULL, &files);
	if (n < 0)
		return 0;
	int removed = 0;
	struct buf name, path;
	buf_init(&name);
	buf_init(&path);
	for (int i = 0; i < n; i++) {
		const char *dot = strrchr(files[i], '.');
		buf_reset(&name);
		buf_putc(&name, '\n');
		buf_append(&name, files[i], (size_t)(dot - files[i]));
		buf_putc(&name, '\n');
		bool ours = !strcmp(dot, res->json ? ".jsonl" : ".csv");
		if (ours && strstr(res->names.data, name.data))
			continue;
		buf_reset(&path);
		buf_printf(&path, "%s/%s", res->dir, files[i]);
		if (unlink(path.data) == 0)
			removed++;
	}
	fs_names_free(files, n);
	buf_release(&name);
	buf_release(&path);
	return removed;
}

bool results_failed(const struct results *res)
{
	return res->failed;
}

/* ---------------------------------------------------------------------------
 * Staged publication
 */

#define STAGE_PREFIX ".staging."

static bool is_stage(const char *name, void *arg)
{
	(void)arg;
	return !strncmp(name, STAGE_PREFIX, strlen(STAGE_PREFIX));
}

/* Removes the files of folder dir, then dir (one level). */
static void remove_flat(const char *dir)
{
	char **names;
	int n = fs_list(dir, NULL, NULL, &names);
	struct buf path;
	buf_init(&path);
	for (int i = 0; i < n; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s", dir, names[i]);
		unlink(path.data);
	}
	if (n >= 0)
		fs_names_free(names, n);
	buf_release(&path);
	rmdir(dir);
}

void results_unstage(const char *stage)
{
	char **names;
	int n = fs_list(stage, NULL, NULL, &names);
	struct buf path;
	buf_init(&path);
	for (int i = 0; i < n; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s", stage, names[i]);
		struct stat st;
		if (lstat(path.data, &st) == 0 && S_ISDIR(st.st_mode))
			remove_flat(path.data);
		else
			unlink(path.data);
	}
	if (n >= 0)
		fs_names_free(names, n);
	buf_release(&path);
	rmdir(stage);
}

int results_stage(const char *out, struct buf *stage)
{
	buf_reset(stage);
	if (fs_mkdirs(out) < 0)
		return log_error("could not create results folder \"%s\": %s", out, strerror(errno));
	atomic_file_clean_dir(out);
	/* Staging folders of runs that were killed. */
	char **names;
	int n = fs_list(out, is_stage, NULL, &names);
	for (int i = 0; i < n; i++) {
		char *end;
		long pid = strtol(names[i] + strlen(STAGE_PREFIX), &end, 10);
		if (*end || pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH)) {
			buf_reset(stage);
			buf_printf(stage, "%s/%s", out, names[i]);
			results_unstage(stage->data);
		}
	}
	if (n >= 0)
		fs_names_free(names, n);
	buf_reset(stage);
	buf_printf(stage, "%s/" STAGE_PREFIX "%ld", out, (long)getpid());
	results_unstage(stage->data);   /* one of ours, from a process with our pid */
	if (fs_mkdirs(stage->data) < 0)
		return log_error("could not create results folder \"%s\": %s", stage->data,
				 strerror(errno));
	return 0;
}

int results_publish(const char *out, const char *const *dirs, const char *const *owners,
		    uint32_t n, bool json, bool remove_others)
{
	const char *ext = json ? ".jsonl" : ".csv";
	/* names: "\nNAME\n" per published table; who: its owner's index. */
	struct buf names, from, to;
	buf_init(&names);
	buf_init(&from);
	buf_init(&to);
	buf_putc(&names, '\n');
	uint32_t *who = NULL, n_who = 0, cap_who = 0;
	int rc = 0;
	for (uint32_t d = 0; d < n; d++) {
		char **files;
		int k = fs_list(dirs[d], is_table_file, NULL, &files);
		if (k < 0)
			continue;   /* it wrote nothing */
		for (int i = 0; i < k; i++) {
			if (!fs_has_suffix(files[i], ext))
				continue;
			buf_reset(&from);
			buf_putc(&from, '\n');
			buf_append(&from, files[i], strlen(files[i]) - strlen(ext));
			buf_putc(&from, '\n');
			const char *seen = strstr(names.data, from.data);
			if (seen) {
				uint32_t at = 0;
				for (const char *c = names.data + 1; c < seen + 1; c++)
					at += *c == '\n';
				rc = log_error("could not publish results table \"%.*s\" of %s: %s wrote "
					       "one too", (int)(from.len - 2), from.data + 1, owners[d],
					       owners[who[at]]);
				continue;
			}
			buf_append(&names, from.data + 1, from.len - 1);
			xgrow((void **)&who, &cap_who, n_who + 1, sizeof(*who));
			who[n_who++] = d;
			buf_reset(&from);
			buf_printf(&from, "%s/%s", dirs[d], files[i]);
			buf_reset(&to);
			buf_printf(&to, "%s/%s", out, files[i]);
			if (rename(from.data, to.data) != 0)
				rc = log_error("could not publish results table \"%s\": %s", to.data,
					       strerror(errno));
		}
		fs_names_free(files, k);
	}
	if (fs_fsync_dir(out))
		rc = -1;
	if (remove_others) {
		char **files;
		int k = fs_list(out, is_table_file, NULL, &files);
		for (int i = 0; i < k; i++) {
			const char *dot = strrchr(files[i], '.');
			buf_reset(&from);
			buf_putc(&from, '\n');
			buf_append(&from, files[i], (size_t)(dot - files[i]));
			buf_putc(&from, '\n');
			if (!strcmp(dot, ext) && strstr(names.data, from.data))
				continue;
			buf_reset(&to);
			buf_printf(&to, "%s/%s", out, files[i]);
			unlink(to.data);
		}
		if (k >= 0)
			fs_names_free(files, k);
	}
	free(who);
	buf_release(&names);
	buf_release(&from);
	buf_release(&to);
	return rc;
}
