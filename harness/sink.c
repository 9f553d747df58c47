/*
 * harness/sink.c: publishing a run's staged tables into a folder or a
 * database (see sink.h): the choice of destination, the column types, the
 * staged tables read back, and the folder's rules.
 */
#include "sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "fs.h"
#include "log.h"
#include "provenance.h"
#include "results.h"

enum sink_kind sink_kind_of(const char *out)
{
	if (!strncmp(out, "postgresql://", 13) || !strncmp(out, "postgres://", 11))
		return SINK_POSTGRES;
	if (fs_has_suffix(out, ".sqlite") || fs_has_suffix(out, ".sqlite3") ||
	    fs_has_suffix(out, ".db"))
		return SINK_SQLITE;
	return SINK_FOLDER;
}

enum sink_type sink_type_of(uint8_t kinds)
{
	const uint8_t ints = RESULTS_KIND_I64 | RESULTS_KIND_U64_BIG;
	const uint8_t times = RESULTS_KIND_ISO_US | RESULTS_KIND_ISO_S;
	if (!kinds || (kinds & RESULTS_KIND_STR))
		return SINK_TEXT;
	if (!(kinds & ~times))
		return SINK_TIME;
	if (kinds & times)
		return SINK_TEXT;            /* times mixed with numbers */
	if (kinds & RESULTS_KIND_F64)
		return SINK_REAL;
	if (!(kinds & ~ints))
		return (kinds & RESULTS_KIND_U64_BIG) ? SINK_NUMERIC : SINK_INTEGER;
	return SINK_TEXT;
}

const char *sink_type_sqlite(enum sink_type t)
{
	switch (t) {
	case SINK_INTEGER: return "INTEGER";
	case SINK_REAL: return "REAL";
	default: return "TEXT";
	}
}

const char *sink_type_pg(enum sink_type t)
{
	switch (t) {
	case SINK_INTEGER: return "bigint";
	case SINK_NUMERIC: return "numeric";
	case SINK_REAL: return "double precision";
	case SINK_TIME: return "timestamptz";
	default: return "text";
	}
}

int sink_check(const char *out)
{
	switch (sink_kind_of(out)) {
	case SINK_POSTGRES:
		return sink_pg_check(out);
	case SINK_SQLITE: {
		struct buf dir;
		buf_init(&dir);
		const char *slash = strrchr(out, '/');
		if (slash)
			buf_append(&dir, out, (size_t)(slash - out) + 1);
		else
			buf_puts(&dir, ".");
		struct stat st;
		int rc = 0;
		if (stat(dir.data, &st) != 0 || !S_ISDIR(st.st_mode))
			rc = log_error("cannot write results database \"%s\": folder \"%s\" does not "
				       "exist", out, dir.data);
		buf_release(&dir);
		return rc;
	}
	default:
		return 0;
	}
}

const char *sink_stage_base(const char *out, const char *fallback_dir)
{
	return sink_is_database(out) ? fallback_dir : out;
}

/* ---------------------------------------------------------------------------
 * Staged tables
 */

static int parse_types(struct sink_table *t, const char *path, const struct buf *text)
{
	const char *p = text->data, *end = text->data + text->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *tab = memchr(p, '\t', (size_t)((nl ? nl : end) - p));
		uint8_t kinds;
		if (!nl || !tab || results_kinds_parse(p, (size_t)(tab - p), &kinds))
			return log_error("could not read column types \"%s\": line %u is not "
					 "\"KINDS<tab>NAME\"", path, t->n_columns + 1);
		t->columns = xrealloc(t->columns, (t->n_columns + 1) * sizeof(*t->columns));
		t->types = xrealloc(t->types, (t->n_columns + 1) * sizeof(*t->types));
		size_t len = (size_t)(nl - tab - 1);
		t->columns[t->n_columns] = xmalloc(len + 1);
		memcpy(t->columns[t->n_columns], tab + 1, len);
		t->columns[t->n_columns][len] = 0;
		t->types[t->n_columns] = sink_type_of(kinds);
		t->n_columns++;
		p = nl + 1;
	}
	if (!t->n_columns)
		return log_error("could not read column types \"%s\": no columns", path);
	return 0;
}

int sink_table_open(struct sink_table *t, const char *dir, const char *name)
{
	memset(t, 0, sizeof(*t));
	buf_init(&t->data);
	buf_init(&t->scratch);
	t->name = xstrdup(name);
	struct buf path;
	buf_init(&path);
	buf_printf(&path, "%s/.%s" RESULTS_TYPES_SUFFIX, dir, name);
	int rc = -1;
	if (fs_read_file(path.data, &t->data) < 0) {
		log_error("could not read column types \"%s\": %s", path.data, strerror(errno));
		goto out;
	}
	if (parse_types(t, path.data, &t->data))
		goto out;
	buf_reset(&path);
	buf_printf(&path, "%s/%s.jsonl", dir, name);
	t->path = xstrdup(path.data);
	buf_reset(&t->data);
	if (fs_read_file(path.data, &t->data) < 0) {
		log_error("could not read results table \"%s\": %s", path.data, strerror(errno));
		goto out;
	}
	t->members = xcalloc(t->n_columns, sizeof(*t->members));
	rc = 0;
out:
	buf_release(&path);
	return rc;
}

int sink_table_next(struct sink_table *t, struct sink_cell *cells)
{
	if (t->pos >= t->data.len)
		return 0;
	const char *p = t->data.data + t->pos;
	const char *nl = memchr(p, '\n', t->data.len - t->pos);
	size_t len = nl ? (size_t)(nl - p) : t->data.len - t->pos;
	t->pos += len + (nl != NULL);
	t->line++;
	uint32_t n;
	const char *err;
	if (jsonl_parse(p, len, &t->scratch, t->members, t->n_columns, &n, &err))
		return log_error("could not read results table \"%s\": line %u: %s", t->path,
				 t->line, err);
	if (n != t->n_columns)
		return log_error("could not read results table \"%s\": line %u: %u columns, "
				 "expected %u", t->path, t->line, n, t->n_columns);
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(t->members[i].key, t->columns[i]))
			return log_error("could not read results table \"%s\": line %u: column %u "
					 "is \"%s\", expected \"%s\"", t->path, t->line, i + 1,
					 t->members[i].key, t->columns[i]);
		bool null = t->members[i].kind == JSONL_NULL;
		cells[i].value = null ? NULL : t->members[i].value;
		cells[i].len = null ? 0 : t->members[i].value_len;
	}
	return 1;
}

void sink_table_close(struct sink_table *t)
{
	for (uint32_t i = 0; i < t->n_columns; i++)
		free(t->columns[i]);
	free(t->columns);
	free(t->types);
	free(t->name);
	free(t->path);
	free(t->members);
	buf_release(&t->data);
	buf_release(&t->scratch);
	memset(t, 0, sizeof(*t));
}

void sink_key_init(struct sink_key *k, uint32_t n_columns)
{
	memset(k, 0, sizeof(*k));
	k->n_columns = n_columns;
	k->len = 1;
	k->first_null = n_columns;
	buf_init(&k->prev);
}

/* The previous row is kept as, per cell: 'n' (null) or 'v', the length as
 * text, ':', the bytes. */
void sink_key_row(struct sink_key *k, const struct sink_cell *cells)
{
	const char *p = k->prev.data;
	uint32_t common = 0;
	bool same = k->rows > 0;
	for (uint32_t i = 0; i < k->n_columns; i++) {
		if (!cells[i].value && i < k->first_null)
			k->first_null = i;
		if (!same)
			continue;
		char flag = *p++;
		size_t len = (size_t)strtoull(p, (char **)&p, 10);
		p++;
		bool eq = flag == 'n' ? !cells[i].value
				      : cells[i].value && cells[i].len == len &&
						!memcmp(cells[i].value, p, len);
		p += len;
		if (eq)
			common++;
		else
			same = false;
	}
	if (k->rows > 0 && common + 1 > k->len)
		k->len = common + 1;
	buf_reset(&k->prev);
	for (uint32_t i = 0; i < k->n_columns; i++) {
		buf_putc(&k->prev, cells[i].value ? 'v' : 'n');
		buf_put_u64(&k->prev, cells[i].len);
		buf_putc(&k->prev, ':');
		if (cells[i].value)
			buf_append(&k->prev, cells[i].value, cells[i].len);
	}
	k->rows++;
}

uint32_t sink_key_len(const struct sink_key *k)
{
	if (!k->rows || k->len > k->n_columns || k->len > k->first_null)
		return 0;
	return k->len;
}

void sink_key_release(struct sink_key *k)
{
	buf_release(&k->prev);
}

/* ---------------------------------------------------------------------------
 * Publication
 */

static bool is_staged_table(const char *name, void *arg)
{
	(void)arg;
	return name[0] != '.' && fs_has_suffix(name, ".jsonl");
}

/* Every staged table of p, in order; a name met twice is refused. */
static int open_tables(const struct sink_publication *p, struct sink_table **out, uint32_t *n)
{
	struct sink_table *t = NULL;
	uint32_t cap = 0;
	int rc = 0;
	*n = 0;
	for (uint32_t d = 0; d < p->n; d++) {
		char **files;
		int k = fs_list(p->dirs[d], is_staged_table, NULL, &files);
		for (int i = 0; i < k; i++) {
			files[i][strlen(files[i]) - strlen(".jsonl")] = 0;
			bool twice = false;
			for (uint32_t j = 0; j < *n; j++)
				twice |= !strcmp(t[j].name, files[i]);
			if (twice || !strcmp(files[i], "provenance")) {
				rc = log_error("could not publish results table \"%s\" of %s%s%s: %s",
					       files[i], p->procs[d] ? "processor \"" : "",
					       p->procs[d] ? p->procs[d] : "bpass",
					       p->procs[d] ? "\"" : "",
					       twice ? "another processor wrote one too"
						     : "the name is bpass's own");
				continue;
			}
			xgrow((void **)&t, &cap, *n + 1, sizeof(*t));
			if (sink_table_open(&t[*n], p->dirs[d], files[i])) {
				sink_table_close(&t[*n]);
				rc = -1;
				continue;
			}
			t[*n].processor = p->procs[d];
			(*n)++;
		}
		if (k >= 0)
			fs_names_free(files, k);
	}
	*out = t;
	return rc;
}

static int publish_database(const struct sink_publication *p)
{
	struct sink_table *t;
	uint32_t n;
	int rc = open_tables(p, &t, &n);
	if (rc == 0 && p->prov)
		for (uint32_t i = 0; i < n; i++)
			provenance_add_table(p->prov, t[i].name, t[i].processor, false);
	if (rc == 0) {
		struct provenance empty;
		const struct provenance *prov = p->prov;
		if (!prov) {
			provenance_init(&empty, NULL, 0);
			prov = &empty;
		}
		if (sink_kind_of(p->out) == SINK_SQLITE)
			rc = sink_sqlite_publish(p->out, t, n, prov);
		else
			rc = sink_pg_publish(p->out, t, n, prov);
		if (!p->prov)
			provenance_release(&empty);
	}
	for (uint32_t i = 0; i < n; i++)
		sink_table_close(&t[i]);
	free(t);
	return rc;
}

#define OWNERS_FILE ".owners"

/* The owners file: "TABLE<tab>PROCESSOR\n" per table ("bpass" for sessions). */
static const char *owner_of(const struct buf *owners, const char *table, struct buf *found)
{
	buf_reset(found);
	const char *p = owners->data, *end = owners->data + owners->len;
	size_t tl = strlen(table);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		if ((size_t)(nl - p) > tl && !memcmp(p, table, tl) && p[tl] == '\t') {
			buf_append(found, p + tl + 1, (size_t)(nl - p - tl - 1));
			return found->data;
		}
		p = nl + 1;
	}
	return NULL;
}

static bool is_table_file(const char *name, void *arg)
{
	(void)arg;
	return name[0] != '.' && (fs_has_suffix(name, ".csv") || fs_has_suffix(name, ".jsonl"));
}

/* Whether this run publishes table name. */
static bool published_now(const struct sink_publication *p, const char *name)
{
	for (uint32_t j = 0; p->prov && j < p->prov->n_tables; j++)
		if (!strcmp(p->prov->tables[j].name, name))
			return true;
	return false;
}

/* Writes the owners file and decides, for bpass's default folder, which
 * tables this run did not write are removed and which kept. */
static int folder_owners(const struct sink_publication *p)
{
	const char *ext = p->json ? ".jsonl" : ".csv";
	struct buf path, old, now, name, owner;
	buf_init(&path);
	buf_init(&old);
	buf_init(&now);
	buf_init(&name);
	buf_init(&owner);
	buf_printf(&path, "%s/" OWNERS_FILE, p->out);
	if (fs_read_file(path.data, &old) < 0)
		buf_reset(&old);
	char **files;
	int k = fs_list(p->out, is_table_file, NULL, &files);
	uint32_t n_kept = 0;
	struct buf kept;
	buf_init(&kept);
	for (int i = 0; i < k; i++) {
		const char *dot = strrchr(files[i], '.');
		buf_reset(&name);
		buf_append(&name, files[i], (size_t)(dot - files[i]));
		bool published = published_now(p, name.data);
		if (published && !strcmp(dot, ext))
			continue;
		const char *who = owner_of(&old, name.data, &owner);
		bool selected = false;
		for (uint32_t j = 0; who && j < p->n_selected; j++)
			selected |= !strcmp(p->selected[j], who);
		if (!p->default_folder) {
			/* A folder of the user's: nothing is removed; say nothing. */
			continue;
		}
		if (published || selected || (who && !strcmp(who, "bpass"))) {
			/* The other format of a table written now, or a table of a
			 * processor of this run that did not write it this time. */
			buf_reset(&path);
			buf_printf(&path, "%s/%s", p->out, files[i]);
			unlink(path.data);
			continue;
		}
		if (p->prov)
			provenance_add_table(p->prov, name.data, who ? who : "unknown", true);
		buf_printf(&kept, "%s\"%s\" (%s%s%s)", n_kept ? ", " : "", files[i],
			   who ? "processor \"" : "", who ? who : "processor unknown",
			   who ? "\"" : "");
		buf_printf(&now, "%s\t%s\n", name.data, who ? who : "unknown");
		n_kept++;
	}
	if (k >= 0)
		fs_names_free(files, k);
	if (n_kept)
		log_warn("kept %u result table%s of processors not in this run, from an earlier "
			 "run: %s", n_kept, n_kept == 1 ? "" : "s", kept.data);
	buf_release(&kept);
	int rc = 0;
	if (p->prov) {
		for (uint32_t j = 0; j < p->prov->n_tables; j++)
			buf_printf(&now, "%s\t%s\n", p->prov->tables[j].name,
				   p->prov->tables[j].processor);
		buf_reset(&path);
		buf_printf(&path, "%s/" OWNERS_FILE, p->out);
		rc = atomic_file_write(path.data, now.data, now.len, "results owners file", 0);
	}
	buf_release(&path);
	buf_release(&old);
	buf_release(&now);
	buf_release(&name);
	buf_release(&owner);
	return rc;
}

static int publish_folder(const struct sink_publication *p)
{
	const char *ext = p->json ? ".jsonl" : ".csv";
	const char **owners = xcalloc(p->n + 1, sizeof(*owners));
	struct buf *names = xcalloc(p->n + 1, sizeof(*names));
	for (uint32_t d = 0; d < p->n; d++) {
		buf_init(&names[d]);
		if (p->procs[d])
			buf_printf(&names[d], "processor \"%s\"", p->procs[d]);
		else
			buf_puts(&names[d], "bpass");
		owners[d] = names[d].data;
		/* The tables about to be published, for the provenance. */
		char **files;
		int k = fs_list(p->dirs[d], is_table_file, NULL, &files);
		for (int i = 0; p->prov && i < k; i++)
			if (fs_has_suffix(files[i], ext)) {
				files[i][strlen(files[i]) - strlen(ext)] = 0;
				bool twice = false;
				for (uint32_t j = 0; j < p->prov->n_tables; j++)
					twice |= !strcmp(p->prov->tables[j].name, files[i]);
				if (!twice)
					provenance_add_table(p->prov, files[i], p->procs[d], false);
			}
		if (k >= 0)
			fs_names_free(files, k);
	}
	int rc = results_publish(p->out, p->dirs, owners, p->n, p->json, false);
	if (folder_owners(p))
		rc = -1;
	if (p->prov) {
		struct buf json, path;
		buf_init(&json);
		buf_init(&path);
		provenance_json(p->prov, &json);
		buf_printf(&path, "%s/manifest.json", p->out);
		if (atomic_file_write(path.data, json.data, json.len, "results manifest", 0))
			rc = -1;
		buf_release(&json);
		buf_release(&path);
	}
	for (uint32_t d = 0; d < p->n; d++)
		buf_release(&names[d]);
	free(names);
	free(owners);
	return rc;
}

int sink_publish(const struct sink_publication *p)
{
	if (sink_is_database(p->out))
		return publish_database(p);
	return publish_folder(p);
}
