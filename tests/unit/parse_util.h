/*
 * tests/unit/parse_util.h: helpers shared by the parser tests (static, so
 * each test binary gets its own copy): parsing from an exact-size copy (no
 * NUL after the text, so ASan catches over-reads), and a small line-array
 * "document" built from a valid v5 update that tests mutate line by line,
 * so expected line numbers are easy to state. Fixtures are read with
 * fx_read_file (fixture.h).
 */
#ifndef TESTS_UNIT_PARSE_UTIL_H
#define TESTS_UNIT_PARSE_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "update.h"

/* Not every test file uses every helper. */
#define PU_UNUSED __attribute__((unused))

/* One parse: the buffer, the text it points into, the result. */
struct parsed {
	struct update_buf b;
	char *text;
	size_t len;
	struct update_error err;
	int rc;
};

PU_UNUSED static void parsed_release(struct parsed *p)
{
	update_buf_release(&p->b);
	free(p->text);
	p->text = NULL;
}

/* Parses len bytes of s from an exact-size heap copy. */
PU_UNUSED static int parse_bytes(struct parsed *p, const char *s, size_t len)
{
	update_buf_init(&p->b);
	p->text = malloc(len ? len : 1);
	memcpy(p->text, s, len);
	p->len = len;
	p->rc = update_parse(&p->b, p->text, len, &p->err);
	return p->rc;
}

PU_UNUSED static int parse_str(struct parsed *p, const char *s)
{
	return parse_bytes(p, s, strlen(s));
}

/* ---------------------------------------------------------------------------
 * Documents: a valid version-5 update as an array of lines (1-based below).
 */

#define DOC_MAX 80

struct doc {
	const char *l[DOC_MAX];
	int n;
};

#define SIG40 "d8ed5acebaa9c7d364d16687864ccc2666576188"

/*
 * The base document (24 lines, each ends in \n, the last one empty):
 *  1 version  2 build id  3 node line  4 pcap  5 blank (end intro)
 *  6 blank (empty whitelist)  7 signature  8 blank
 *  9 packet header  10 packet  11 blank
 *  12 flow header  13 flow  14 blank
 *  15 DNS header  16 A record  17 blank
 *  18 CNAME  19 blank
 *  20 address header  21 address  22 blank
 *  23 drop line  24 blank
 */
PU_UNUSED static void doc_base(struct doc *d)
{
	static const char *const base[] = {
		"5",
		"UNKNOWN",
		"OW0123456789AB 1337104800512345 1 1337104860",
		"25 0 0",
		"",
		"",
		SIG40,
		"",
		"1000 0",
		"0 66 27187",
		"",
		"1337104830 10 0 0",
		"6021 1 988425d2def59ffb 1 d80a91fad852ec49 17 123 123",
		"",
		"0 0",
		"1 0 0 www.example.com 73c65311b2a3835d 300",
		"",
		"1 0 0 www.example.com 0 example.net 86400",
		"",
		"2 256",
		"001f3b8becc6 d80a91fad852ec49",
		"",
		"1500 3",
		"",
	};
	d->n = (int)(sizeof(base) / sizeof(base[0]));
	for (int i = 0; i < d->n; i++)
		d->l[i] = base[i];
}

PU_UNUSED static void doc_set(struct doc *d, int line, const char *s)
{
	d->l[line - 1] = s;
}

/* Inserts s so that it becomes line number `line`. */
PU_UNUSED static void doc_insert(struct doc *d, int line, const char *s)
{
	memmove(&d->l[line], &d->l[line - 1], (size_t)(d->n - line + 1) * sizeof(d->l[0]));
	d->l[line - 1] = s;
	d->n++;
}

PU_UNUSED static void doc_delete(struct doc *d, int line)
{
	memmove(&d->l[line - 1], &d->l[line], (size_t)(d->n - line) * sizeof(d->l[0]));
	d->n--;
}

/* Keeps lines 1..n only. */
PU_UNUSED static void doc_truncate(struct doc *d, int n)
{
	d->n = n;
}

/* The text: every line followed by \n. Caller frees. */
PU_UNUSED static char *doc_text(const struct doc *d, size_t *len)
{
	size_t n = 0;
	for (int i = 0; i < d->n; i++)
		n += strlen(d->l[i]) + 1;
	char *t = malloc(n + 1), *p = t;
	for (int i = 0; i < d->n; i++) {
		size_t k = strlen(d->l[i]);
		memcpy(p, d->l[i], k);
		p[k] = '\n';
		p += k + 1;
	}
	*p = 0;
	*len = n;
	return t;
}

PU_UNUSED static int parse_doc(struct parsed *p, const struct doc *d)
{
	size_t len;
	char *t = doc_text(d, &len);
	int rc = parse_bytes(p, t, len);
	free(t);
	return rc;
}

#endif
