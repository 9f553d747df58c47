/*
 * common/csv.c: RFC 4180 field quoting (see csv.h).
 */
#include "csv.h"

#include <string.h>

void csv_put_field(struct buf *out, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		buf_puts(out, s);
		return;
	}
	buf_putc(out, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(out, '"');
		buf_putc(out, *s);
	}
	buf_putc(out, '"');
}
