/*
 * common/fs.h: the file-system helpers every folder uses: mkdir -p, fsync of
 * a folder, writing a whole buffer, reading a whole file, sorted folder
 * listings and file-name suffixes.
 *
 * Conventions: functions return 0 (or a count) on success and -1 on failure.
 * Only fs_fsync_dir prints a message; the others set errno and leave the
 * message to the caller, who knows what the file or folder is for (e.g.
 * could not create plot folder "out": Permission denied). Nothing here
 * keeps state between calls, so every function may be used from any process
 * or thread.
 *
 * Crash-safe replacement of a file is atomic_file.h; lock files are
 * lock_file.h.
 */
#ifndef COMMON_FS_H
#define COMMON_FS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Creates dir and its missing parents (mode 0755), like mkdir -p; an
 * existing folder is fine. Returns 0, or -1 with errno set (ENOTDIR when
 * dir or one of its parents exists but is not a folder); prints nothing. */
int fs_mkdirs(const char *dir);

/* fsyncs a folder so that renames and unlinks in it are durable (a file
 * system that cannot sync folders, EINVAL, counts as done). Returns 0, or
 * -1 after printing why. */
int fs_fsync_dir(const char *dir);

/* Writes all n bytes of p to fd, retrying short writes and EINTR. Returns 0,
 * or -1 with errno set (part of the data may have been written). */
int fs_write_all(int fd, const void *p, size_t n);

/* Reads the whole file at path into out, replacing its contents (out keeps
 * buf's invariants: out->data[out->len] is 0). A symbolic link as the last
 * component is refused (ELOOP). Returns 0, or -1 with errno set (ENOENT
 * when the file does not exist); out may then hold part of the file. */
int fs_read_file(const char *path, struct buf *out);

/* Lists the names in dir (not "." or ".."), sorted bytewise, that
 * keep(name, arg) accepts (keep NULL keeps all). *names becomes an
 * xmalloc'd array of xmalloc'd strings that the caller frees with
 * fs_names_free(*names, count), also when the count is 0. Returns the
 * count, or -1 with errno set (*names is then NULL). */
int fs_list(const char *dir, bool (*keep)(const char *name, void *arg), void *arg,
	    char ***names);
/* The same for the folder open as dirfd (which stays open and unmoved). */
int fs_list_at(int dirfd, bool (*keep)(const char *name, void *arg), void *arg,
	       char ***names);
/* Frees n names and the array of fs_list. NULL with n 0 is fine. */
void fs_names_free(char **names, int n);

/* True when s ends with suffix (every string ends with ""). */
bool fs_has_suffix(const char *s, const char *suffix);

#endif
