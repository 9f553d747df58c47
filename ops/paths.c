/*
 * ops/paths.c: resolving paths that may not exist yet, and comparing them
 * (see paths.h).
 */
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Drops the last component of the absolute path in out ("/" stays). */
static void drop_last(struct buf *out)
{
	char *slash = strrchr(out->data, '/');
	size_t n = slash && slash != out->data ? (size_t)(slash - out->data) : 1;
	out->len = n;
	out->data[n] = 0;
}

int paths_resolve(const char *path, struct buf *out)
{
	buf_reset(out);
	if (!*path) {
		errno = ENOENT;
		return -1;
	}
	char *real = realpath(path, NULL);
	if (real) {
		buf_puts(out, real);
		free(real);
		return 0;
	}
	if (errno != ENOENT)
		return -1;
	/* Resolve the parent, then append the last component as it is. */
	struct buf parent;
	buf_init(&parent);
	buf_puts(&parent, path);
	while (parent.len > 1 && parent.data[parent.len - 1] == '/')
		parent.data[--parent.len] = 0;
	char *slash = strrchr(parent.data, '/');
	const char *last;
	int rc;
	if (!slash) {
		last = parent.data;
		char *cwd = getcwd(NULL, 0);
		rc = cwd ? 0 : -1;
		if (cwd) {
			buf_puts(out, cwd);
			free(cwd);
		}
	} else {
		*slash = 0;
		last = slash + 1;
		struct buf up;
		buf_init(&up);
		rc = paths_resolve(slash == parent.data ? "/" : parent.data, &up);
		buf_reset(out);
		buf_append(out, up.data, up.len);
		buf_release(&up);
	}
	if (rc == 0) {
		if (!strcmp(last, "..")) {
			drop_last(out);
		} else if (*last && strcmp(last, ".")) {
			if (out->len > 1)
				buf_putc(out, '/');
			buf_puts(out, last);
		}
	}
	buf_release(&parent);
	return rc;
}

/* Whether the resolved path a is b or lies inside it. */
static bool within(const struct buf *a, const struct buf *b)
{
	if (b->len == 1)   /* "/" */
		return true;
	return a->len >= b->len && !memcmp(a->data, b->data, b->len) &&
	       (a->len == b->len || a->data[b->len] == '/');
}

static int compare(const char *a, const char *b, bool either_way)
{
	struct buf ra, rb;
	buf_init(&ra);
	buf_init(&rb);
	int rc = -1;
	if (paths_resolve(a, &ra) == 0 && paths_resolve(b, &rb) == 0)
		rc = within(&ra, &rb) || (either_way && within(&rb, &ra));
	int e = errno;
	buf_release(&ra);
	buf_release(&rb);
	errno = e;
	return rc;
}

int paths_inside(const char *path, const char *dir)
{
	return compare(path, dir, false);
}

int paths_overlap(const char *a, const char *b)
{
	return compare(a, b, true);
}
