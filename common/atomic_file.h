/*
 * common/atomic_file.h: crash-safe file replacement. A file is written under
 * a temporary name in the same folder (".NAME.PID.tmp"), flushed, fsynced,
 * closed and renamed over NAME, then the folder is fsynced, so a reader
 * (or the next run after a crash) sees either the old file or the new one,
 * never a mixture. On any failure the temporary file is removed and the old
 * file is left as it was.
 *
 * The folder fsync makes the rename itself durable. A caller that replaces
 * many files may defer it (ATOMIC_FILE_DEFER_DIRSYNC) and call fs_fsync_dir
 * (fs.h) once for the batch: until then a power loss may bring back the
 * previous version of a file, never a damaged one. fs_mkdirs creates the
 * folder such files go into.
 *
 * Messages name the file and what it is, e.g.
 *   could not write state file "s/x.state": No space left on device
 */
#ifndef COMMON_ATOMIC_FILE_H
#define COMMON_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fs.h"

enum atomic_file_flags {
	ATOMIC_FILE_DEFER_DIRSYNC = 1 << 0,  /* skip the folder fsync (see above) */
	ATOMIC_FILE_NO_FSYNC = 1 << 1,       /* skip the file fsync too: the rename is
					      * still atomic for readers, but after a
					      * power loss the new file may be empty or
					      * damaged (for files checked on reading) */
};

/* A file being written; fields are private except f. */
struct atomic_file {
	FILE *f;              /* write here between open and commit */
	char *path;           /* final name */
	char *tmp;            /* temporary name */
	const char *what;     /* for messages, e.g. "results table" (static) */
	int flags;
};

/* Creates the temporary file for path. what names the kind of file in
 * messages (a static string). Returns 0, or -1 after a message. */
int atomic_file_open(struct atomic_file *af, const char *path, const char *what, int flags);
/* Flushes, fsyncs, closes and renames the file into place, then fsyncs the
 * folder. Returns 0, or -1 after a message (the temporary file is removed).
 * Either way af is released. */
int atomic_file_commit(struct atomic_file *af);
/* Drops the temporary file. No-op on a released af. */
void atomic_file_abort(struct atomic_file *af);

/* Writes len bytes as the new content of path, atomically. Returns 0 or -1. */
int atomic_file_write(const char *path, const void *data, size_t len, const char *what,
		      int flags);

/* Removes the temporary files that atomic_file writers killed before commit
 * or abort left in dir (names ".*.tmp"). Only call it when no other process
 * can be writing into dir. Returns the number removed, or -1. */
int atomic_file_clean_dir(const char *dir);

#endif
