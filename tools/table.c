/*
 * tools/table.c: collects rows and prints them aligned or as CSV (table.h).
 */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"

void table_init(struct table *t, uint32_t ncols, const char *const *head, const char *align)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->head = head;
	t->align = align;
	buf_init(&t->cells);
	t->width = xcalloc(ncols, sizeof(*t->width));
	for (uint32_t i = 0; i < ncols; i++)
		t->width[i] = strlen(head[i]);
}

void table_release(struct table *t)
{
	buf_release(&t->cells);
	free(t->offs);
	free(t->width);
	memset(t, 0, sizeof(*t));
}

void table_add(struct table *t, const char *cell)
{
	if (t->n_cells == t->cap_cells)
		xgrow((void **)&t->offs, &t->cap_cells, t->n_cells + 1, sizeof(*t->offs));
	size_t len = strlen(cell);
	t->offs[t->n_cells] = t->cells.len;
	buf_append(&t->cells, cell, len + 1);
	uint32_t col = t->n_cells % t->ncols;
	if (len > t->width[col])
		t->width[col] = len;
	t->n_cells++;
}

void table_add_i64(struct table *t, int64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%lld", (long long)v);
	table_add(t, s);
}

static void put_cell(struct buf *out, const struct table *t, uint32_t col, const char *s,
		     bool csv)
{
	if (csv) {
		if (col)
			buf_putc(out, ',');
		csv_put_field(out, s);
		return;
	}
	if (col)
		buf_puts(out, "  ");
	size_t len = strlen(s), pad = t->width[col] - len;
	bool last = col + 1 == t->ncols;
	if (t->align[col] == 'r')
		for (size_t i = 0; i < pad; i++)
			buf_putc(out, ' ');
	buf_puts(out, s);
	if (t->align[col] != 'r' && !last)
		for (size_t i = 0; i < pad; i++)
			buf_putc(out, ' ');
}

/* Text rows may end in padding of an empty last left column: trim it. */
static void end_row(struct buf *out, bool csv)
{
	while (!csv && out->len && out->data[out->len - 1] == ' ')
		out->len--;
	out->data[out->len] = 0;
	buf_putc(out, '\n');
}

int table_print(const struct table *t, FILE *f, bool csv)
{
	struct buf out;
	buf_init(&out);
	int rc = 0;
	for (uint32_t c = 0; c < t->ncols; c++)
		put_cell(&out, t, c, t->head[c], csv);
	end_row(&out, csv);
	for (uint32_t i = 0; i < t->n_cells; i++) {
		uint32_t c = i % t->ncols;
		put_cell(&out, t, c, t->cells.data + t->offs[i], csv);
		if (c + 1 == t->ncols) {
			end_row(&out, csv);
			if (out.len >= 65536) {
				if (fwrite(out.data, 1, out.len, f) != out.len)
					rc = -1;
				buf_reset(&out);
			}
		}
	}
	if (out.len && fwrite(out.data, 1, out.len, f) != out.len)
		rc = -1;
	if (fflush(f) != 0)
		rc = -1;
	buf_release(&out);
	return rc;
}
