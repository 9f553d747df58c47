/*
 * common/buf.h: a growable byte buffer, and allocation helpers that never
 * return NULL (they print a message and abort on exhaustion, like git's
 * xmalloc: running out of memory is not an input error to recover from).
 *
 * Invariant: after buf_init, data is never NULL and data[len] is always 0,
 * so a buffer holding text can be used as a C string.
 */
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;    /* bytes allocated for data, excluding the terminating 0 */
};

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Grows *array of *cap elements of elem_size bytes to hold at least need elements. */
void xgrow(void **array, uint32_t *cap, uint32_t need, size_t elem_size);

void buf_init(struct buf *b);
void buf_release(struct buf *b);            /* frees; the buffer is then as after buf_init */
void buf_reset(struct buf *b);              /* len = 0, keeps the allocation */
void buf_reserve(struct buf *b, size_t extra); /* room for len + extra bytes */
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a signed/unsigned decimal without printf. */
void buf_put_i64(struct buf *b, int64_t v);
void buf_put_u64(struct buf *b, uint64_t v);
/* Appends s as a JSON string literal, quotes included. */
void buf_put_json_str(struct buf *b, const char *s);

#endif
