/*
 * ops/paths.h: where a folder really is, for the checks that keep the
 * operations from feeding on themselves (an output folder inside its input,
 * a private file inside a folder that is published).
 *
 * Paths are compared after resolving them: symbolic links, "." and ".."
 * and repeated slashes of the part that exists are resolved by realpath;
 * the part that does not exist yet (an output folder about to be created)
 * is appended lexically.
 */
#ifndef OPS_PATHS_H
#define OPS_PATHS_H

#include "buf.h"

/* The absolute, resolved form of path into out. Returns 0, or -1 with
 * errno set (nothing printed). */
int paths_resolve(const char *path, struct buf *out);

/* 1 when path is dir or lies inside it, 0 when not, -1 with errno set when
 * either cannot be resolved. */
int paths_inside(const char *path, const char *dir);

/* 1 when folders a and b are the same or one lies inside the other, 0 when
 * not, -1 with errno set. */
int paths_overlap(const char *a, const char *b);

#endif
