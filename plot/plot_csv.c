/*
 * plot/plot_csv.c: the streaming RFC 4180 reader behind `bpass plot`.
 *
 * A record is parsed with a small state machine over getc_unlocked: field
 * bytes are appended to one reused buffer, each field ends with a NUL, and
 * the start offsets of the fields are kept in a reused array.
 */
#include "plot_csv.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "log.h"

static void add_field_start(struct plot_csv *c)
{
	xgrow((void **)&c->off, &c->cap_off, c->nfields + 1, sizeof(*c->off));
	c->off[c->nfields++] = c->rec.len;
}

/* Reads one physical record. Returns 1, 0 at EOF before any byte, -1 on error. */
static int read_record(struct plot_csv *c)
{
	FILE *f = c->f;
	int ch;

	for (;;) {
		buf_reset(&c->rec);
		c->nfields = 0;
		c->line = c->next_line;
		ch = getc_unlocked(f);
		if (ch == EOF)
			break;
		/* A blank line (LF, CR or CRLF alone) holds no record. */
		if (ch == '\n') {
			c->next_line++;
			continue;
		}
		if (ch == '\r') {
			int n = getc_unlocked(f);
			if (n != '\n' && n != EOF)
				ungetc(n, f);
			c->next_line++;
			continue;
		}
		ungetc(ch, f);
		add_field_start(c);
		bool quoted = false;      /* inside a quoted part of the field */
		for (;;) {
			ch = getc_unlocked(f);
			if (quoted) {
				if (ch == EOF) {
					log_error("could not read \"%s\": unterminated quoted field "
						  "starting on line %llu", c->path,
						  (unsigned long long)c->line);
					return -1;
				}
				if (ch == '"') {
					int n = getc_unlocked(f);
					if (n == '"') {
						buf_putc(&c->rec, '"');
					} else {
						quoted = false;
						if (n != EOF)
							ungetc(n, f);
					}
					continue;
				}
				if (ch == '\n')
					c->next_line++;
				buf_putc(&c->rec, (char)ch);
				continue;
			}
			if (ch == '"' && c->rec.len == c->off[c->nfields - 1]) {
				quoted = true;    /* only a field's first byte opens a quote */
				continue;
			}
			if (ch == ',') {
				buf_putc(&c->rec, '\0');
				add_field_start(c);
				continue;
			}
			if (ch == '\n' || ch == '\r' || ch == EOF) {
				if (ch == '\r') {
					int n = getc_unlocked(f);
					if (n != '\n' && n != EOF)
						ungetc(n, f);
				}
				if (ch != EOF)
					c->next_line++;
				buf_putc(&c->rec, '\0');
				return 1;
			}
			buf_putc(&c->rec, (char)ch);
		}
	}
	if (ferror(f)) {
		log_error("could not read \"%s\": %s", c->path, strerror(errno));
		return -1;
	}
	return 0;
}

static char *trimmed_copy(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	char *r = xmalloc(n + 1);
	memcpy(r, s, n);
	r[n] = 0;
	return r;
}

/* JSON Lines: reads the next non-blank line and parses it into c->members.
 * Returns the member count + 1, 0 at the end, -1 after a message. */
static int jsonl_read(struct plot_csv *c, uint32_t *n)
{
	int ch;
	do {
		buf_reset(&c->text);
		while ((ch = getc_unlocked(c->f)) != EOF && ch != '\n')
			buf_putc(&c->text, (char)ch);
		if (ch == EOF && !c->text.len) {
			if (ferror(c->f))
				return log_error("could not read \"%s\": %s", c->path, strerror(errno));
			return 0;
		}
		c->line = c->next_line++;
		if (c->text.len && c->text.data[c->text.len - 1] == '\r')
			c->text.data[--c->text.len] = 0;
	} while (!c->text.len);
	for (;;) {
		const char *err;
		if (jsonl_parse(c->text.data, c->text.len, &c->scratch, c->members, c->cap_members, n,
				&err) == 0)
			return 1;
		if (strcmp(err, "too many members") || c->cap_members > 100000)
			return log_error("could not read \"%s\": line %llu: %s", c->path,
					 (unsigned long long)c->line, err);
		xgrow((void **)&c->members, &c->cap_members, c->cap_members * 2 + 16,
		      sizeof(*c->members));
	}
}

/* JSON Lines: the current members as a record of the header's columns. */
static void jsonl_record(struct plot_csv *c, uint32_t n)
{
	buf_reset(&c->rec);
	c->nfields = 0;
	for (uint32_t i = 0; i < c->ncols; i++) {
		add_field_start(c);
		/* bpass writes the keys in column order: look there first. */
		uint32_t k = i < n && !strcmp(c->members[i].key, c->names[i]) ? i : n;
		for (uint32_t j = 0; k == n && j < n; j++)
			if (!strcmp(c->members[j].key, c->names[i]))
				k = j;
		if (k < n && c->members[k].kind != JSONL_NULL)
			buf_append(&c->rec, c->members[k].value, c->members[k].value_len);
		buf_putc(&c->rec, '\0');
	}
}

static int jsonl_open(struct plot_csv *c)
{
	c->jsonl = true;
	buf_init(&c->text);
	buf_init(&c->scratch);
	xgrow((void **)&c->members, &c->cap_members, 64, sizeof(*c->members));
	uint32_t n;
	int r = jsonl_read(c, &n);
	if (r <= 0) {
		/* No rows: nothing to draw, as when the table is absent. */
		plot_csv_close(c);
		return r == 0 ? PLOT_CSV_MISSING : PLOT_CSV_ERROR;
	}
	c->ncols = n;
	c->names = xcalloc(n ? n : 1, sizeof(*c->names));
	for (uint32_t i = 0; i < n; i++)
		c->names[i] = xstrdup(c->members[i].key);
	jsonl_record(c, n);
	c->pending = true;
	return PLOT_CSV_OPEN;
}

int plot_csv_open(struct plot_csv *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->rec);
	c->next_line = 1;
	c->f = fopen(path, "rb");
	if (!c->f && errno == ENOENT && fs_has_suffix(path, ".csv")) {
		/* NAME.jsonl instead of NAME.csv: a run with --json. */
		struct buf j;
		buf_init(&j);
		buf_append(&j, path, strlen(path) - 4);
		buf_puts(&j, ".jsonl");
		c->f = fopen(j.data, "rb");
		if (c->f) {
			c->path = xstrdup(j.data);
			buf_release(&j);
			return jsonl_open(c);
		}
		buf_release(&j);
		errno = ENOENT;
	}
	if (!c->f) {
		if (errno == ENOENT)
			return PLOT_CSV_MISSING;
		return log_error("could not open \"%s\": %s", path, strerror(errno));
	}
	c->path = xstrdup(path);
	if (fs_has_suffix(path, ".jsonl"))
		return jsonl_open(c);
	/* Skip a UTF-8 byte-order mark. */
	int b0 = getc_unlocked(c->f);
	if (b0 == 0xEF) {
		int b1 = getc_unlocked(c->f), b2 = getc_unlocked(c->f);
		if (b1 != 0xBB || b2 != 0xBF) {
			rewind(c->f);
		}
	} else if (b0 != EOF) {
		ungetc(b0, c->f);
	}
	int r = read_record(c);
	if (r <= 0) {
		if (r == 0)
			log_error("could not read \"%s\": the file has no header row", path);
		plot_csv_close(c);
		return PLOT_CSV_ERROR;
	}
	c->ncols = c->nfields;
	c->names = xcalloc(c->ncols, sizeof(*c->names));
	for (uint32_t i = 0; i < c->ncols; i++)
		c->names[i] = trimmed_copy(c->rec.data + c->off[i]);
	return PLOT_CSV_OPEN;
}

int plot_csv_next(struct plot_csv *c)
{
	if (!c->f)
		return 0;
	if (!c->jsonl)
		return read_record(c);
	if (c->pending) {
		c->pending = false;
		return 1;
	}
	uint32_t n;
	int r = jsonl_read(c, &n);
	if (r == 1) {
		jsonl_record(c, n);
	}
	return r;
}

int plot_csv_column(const struct plot_csv *c, const char *name)
{
	for (uint32_t i = 0; i < c->ncols; i++)
		if (!strcmp(c->names[i], name))
			return (int)i;
	return -1;
}

const char *plot_csv_field(const struct plot_csv *c, int col)
{
	if (col < 0 || (uint32_t)col >= c->nfields)
		return "";
	return c->rec.data + c->off[col];
}

static bool only_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == 0;
}

int plot_csv_num(const struct plot_csv *c, int col, double *out)
{
	const char *s = plot_csv_field(c, col);
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || !only_blanks(end) || errno == ERANGE || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int plot_csv_int(const struct plot_csv *c, int col, int64_t *out)
{
	const char *s = plot_csv_field(c, col);
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end != s && only_blanks(end) && errno == 0) {
		*out = v;
		return 0;
	}
	double d;
	if (plot_csv_num(c, col, &d) < 0 || d != floor(d) || fabs(d) > 9.2e18)
		return -1;
	*out = (int64_t)d;
	return 0;
}

void plot_csv_close(struct plot_csv *c)
{
	if (c->f)
		fclose(c->f);
	c->f = NULL;
	free(c->path);
	c->path = NULL;
	buf_release(&c->rec);
	free(c->off);
	c->off = NULL;
	c->cap_off = 0;
	c->nfields = 0;
	for (uint32_t i = 0; i < c->ncols; i++)
		free(c->names[i]);
	free(c->names);
	c->names = NULL;
	c->ncols = 0;
	if (c->jsonl) {
		buf_release(&c->text);
		buf_release(&c->scratch);
	}
	free(c->members);
	c->members = NULL;
	c->cap_members = 0;
	c->jsonl = c->pending = false;
}
