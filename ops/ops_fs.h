/*
 * ops/ops_fs.h: file-system helpers shared by the operations engines
 * (collect, anonymize, hourly): durable writes (fsync of files and folders),
 * exclusive lock files, sorted folder listings and UTC time stamps.
 *
 * These are the functions that common/fs.h, common/lock_file.h and
 * common/timeutil.h provide under other names (fs_*, lock_file_take,
 * time_*); keep the names and signatures as they are until they are renamed.
 */
#ifndef OPS_OPS_FS_H
#define OPS_OPS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

/* fsyncs a folder so that renames and unlinks in it are durable.
 * Returns 0, or -1 after printing why. */
int ops_fsync_dir(const char *dir);

/* Writes all n bytes to fd (retrying short writes). Returns 0, or -1 with errno set. */
int ops_write_all(int fd, const void *p, size_t n);

/* Reads a whole file into out (replacing its contents). Returns 0, or -1 with errno set. */
int ops_read_file(const char *path, struct buf *out);

/*
 * Takes an exclusive flock on path (created if missing). With wait false,
 * returns -2 at once when another process holds it. Returns the lock's file
 * descriptor (keep it open to hold the lock; closing it releases it), -2 when
 * busy, or -1 after printing why. The descriptor is inherited by children
 * unless cloexec is true.
 */
int ops_lock(const char *path, bool wait, bool cloexec);

/* The names in dir (not "." or ".."), sorted bytewise, that keep(name, arg)
 * accepts (NULL keeps all). *names is an xmalloc'd array of xmalloc'd
 * strings; free with ops_names_free. Returns the count, or -1 with errno set. */
int ops_list(const char *dir, bool (*keep)(const char *name, void *arg), void *arg,
	     char ***names);
void ops_names_free(char **names, int n);

bool ops_has_suffix(const char *s, const char *suffix);

/* "YYYY-MM-DD_HH-MM-SS" of a UTC time in seconds, into out[24]. */
void ops_stamp(int64_t t, char out[24]);
/* "YYYY-MM-DDTHH:MM:SSZ" of the current time, into out[24]. */
void ops_now_iso(char out[24]);
/* Seconds on a monotonic clock, for durations. */
double ops_seconds(void);

#endif
