/*
 * common/escape.c: escaping untrusted text for messages and terminals (the
 * rules are in escape.h). One pass over the bytes; a UTF-8 sequence is
 * copied only when it is complete and well formed (no overlong forms, no
 * surrogates, nothing past U+10FFFF) and not a C1 control.
 */
#include "escape.h"

#include <stdint.h>

/* The length of the well-formed UTF-8 sequence at s (s[0] >= 0x80), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;   /* a continuation byte, 0xc0/0xc1 (overlong), or past 0xf4 */
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)   /* also stops at the terminating NUL */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

static void put_hex(struct buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
	buf_append(b, e, sizeof(e));
}

void escape_append(struct buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		/* The run of bytes that pass as they are. */
		const unsigned char *run = s;
		for (;;) {
			if (*s >= 0x20 && *s < 0x7f && *s != '\\') {
				s++;
			} else if (*s >= 0x80) {
				size_t n = utf8_len(s);
				if (!n)
					break;
				s += n;
			} else {
				break;
			}
		}
		buf_append(b, run, (size_t)(s - run));
		if (!*s)
			break;
		unsigned char c = *s++;
		switch (c) {
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case 0x1b: buf_puts(b, "\\e"); break;
		default: put_hex(b, c); break;
		}
	}
}

const char *escape_str(struct buf *b, const char *s)
{
	buf_reset(b);
	escape_append(b, s);
	return b->data;
}

bool escape_is_plain(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		if (*s >= 0x20 && *s < 0x7f && *s != '\\') {
			s++;
		} else if (*s >= 0x80) {
			size_t n = utf8_len(s);
			if (!n)
				return false;
			s += n;
		} else {
			return false;
		}
	}
	return true;
}
