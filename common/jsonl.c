/*
 * common/jsonl.c: one line of flat JSON Lines (see jsonl.h).
 */
#include "jsonl.h"

#include <string.h>

struct cursor {
	const char *p, *end;
	const char *err;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
		c->p++;
}

static int fail(struct cursor *c, const char *why)
{
	if (!c->err)
		c->err = why;
	return -1;
}

static int hex4(struct cursor *c, uint32_t *v)
{
	if (c->end - c->p < 4)
		return fail(c, "bad \\u escape");
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char h = *c->p++;
		uint32_t d;
		if (h >= '0' && h <= '9')
			d = (uint32_t)(h - '0');
		else if (h >= 'a' && h <= 'f')
			d = (uint32_t)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			d = (uint32_t)(h - 'A' + 10);
		else
			return fail(c, "bad \\u escape");
		*v = *v << 4 | d;
	}
	return 0;
}

static void put_utf8(struct buf *b, uint32_t cp)
{
	if (cp < 0x800) {
		buf_putc(b, (char)(0xc0 | cp >> 6));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xe0 | cp >> 12));
		buf_putc(b, (char)(0x80 | (cp >> 6 & 0x3f)));
	} else {
		buf_putc(b, (char)(0xf0 | cp >> 18));
		buf_putc(b, (char)(0x80 | (cp >> 12 & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp >> 6 & 0x3f)));
	}
	buf_putc(b, (char)(0x80 | (cp & 0x3f)));
}

/* A string at c->p (its opening quote), unescaped onto b. */
static int string(struct cursor *c, struct buf *b)
{
	c->p++;
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p++;
		if (ch < 0x20)
			return fail(c, "control character in a string");
		if (ch != '\\') {
			buf_putc(b, (char)ch);
			continue;
		}
		if (c->p >= c->end)
			break;
		char e = *c->p++;
		uint32_t cp;
		switch (e) {
		case '"': case '\\': case '/':
			buf_putc(b, e);
			break;
		case 'b': buf_putc(b, '\b'); break;
		case 'f': buf_putc(b, '\f'); break;
		case 'n': buf_putc(b, '\n'); break;
		case 'r': buf_putc(b, '\r'); break;
		case 't': buf_putc(b, '\t'); break;
		case 'u':
			if (hex4(c, &cp))
				return -1;
			if (cp >= 0xd800 && cp < 0xdc00) {
				uint32_t lo;
				if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u')
					return fail(c, "lone surrogate in a \\u escape");
				c->p += 2;
				if (hex4(c, &lo))
					return -1;
				if (lo < 0xdc00 || lo >= 0xe000)
					return fail(c, "lone surrogate in a \\u escape");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				return fail(c, "lone surrogate in a \\u escape");
			}
			if (cp < 0x100)
				buf_putc(b, (char)cp);
			else
				put_utf8(b, cp);
			break;
		default:
			return fail(c, "bad escape in a string");
		}
	}
	if (c->p >= c->end)
		return fail(c, "unterminated string");
	c->p++;
	return 0;
}

static bool is_number_char(char ch)
{
	return (ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' ||
	       ch == 'E';
}

static bool word(struct cursor *c, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n))
		return false;
	c->p += n;
	return true;
}

int jsonl_parse(const char *line, size_t len, struct buf *scratch, struct jsonl_member *members,
		uint32_t max, uint32_t *n, const char **err)
{
	struct cursor c = {line, line + len, NULL};
	*n = 0;
	buf_reset(scratch);
	skip_ws(&c);
	if (c.p >= c.end || *c.p != '{') {
		fail(&c, "not a JSON object");
		goto out;
	}
	c.p++;
	skip_ws(&c);
	if (c.p < c.end && *c.p == '}') {
		c.p++;
	} else {
		for (;;) {
			skip_ws(&c);
			if (c.p >= c.end || *c.p != '"') {
				fail(&c, "expected a key");
				goto out;
			}
			if (*n >= max) {
				fail(&c, "too many members");
				goto out;
			}
			struct jsonl_member *m = &members[*n];
			m->key_off = scratch->len;   /* scratch may still move */
			if (string(&c, scratch))
				goto out;
			buf_putc(scratch, 0);
			skip_ws(&c);
			if (c.p >= c.end || *c.p++ != ':') {
				fail(&c, "expected ':'");
				goto out;
			}
			skip_ws(&c);
			m->value_off = scratch->len;
			size_t start = scratch->len;
			if (c.p >= c.end) {
				fail(&c, "expected a value");
				goto out;
			} else if (*c.p == '"') {
				m->kind = JSONL_STRING;
				if (string(&c, scratch))
					goto out;
			} else if (*c.p == '-' || (*c.p >= '0' && *c.p <= '9')) {
				m->kind = JSONL_NUMBER;
				const char *s = c.p;
				while (c.p < c.end && is_number_char(*c.p))
					c.p++;
				buf_append(scratch, s, (size_t)(c.p - s));
			} else if (word(&c, "null")) {
				m->kind = JSONL_NULL;
			} else if (word(&c, "true")) {
				m->kind = JSONL_BOOL;
				buf_puts(scratch, "true");
			} else if (word(&c, "false")) {
				m->kind = JSONL_BOOL;
				buf_puts(scratch, "false");
			} else {
				fail(&c, *c.p == '{' || *c.p == '[' ? "nested value" : "bad value");
				goto out;
			}
			m->value_len = scratch->len - start;
			buf_putc(scratch, 0);
			(*n)++;
			skip_ws(&c);
			if (c.p < c.end && *c.p == ',') {
				c.p++;
				continue;
			}
			if (c.p < c.end && *c.p == '}') {
				c.p++;
				break;
			}
			fail(&c, "expected ',' or '}'");
			goto out;
		}
	}
	skip_ws(&c);
	if (c.p != c.end)
		fail(&c, "text after the object");
out:
	if (!c.err)
		for (uint32_t i = 0; i < *n; i++) {
			members[i].key = scratch->data + members[i].key_off;
			members[i].value = scratch->data + members[i].value_off;
		}
	*err = c.err;
	return c.err ? -1 : 0;
}
