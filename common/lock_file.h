/*
 * common/lock_file.h: exclusive lock files, so that one process at a time
 * writes an index, a run's state folder or an operations folder.
 *
 * The lock is a flock(2) on a file that is created when missing and never
 * removed. It belongs to the open file, not to the process: the holder keeps
 * the returned descriptor open for as long as it needs the lock, and
 * closing it (or exiting, or being killed) releases it, so a crash never
 * leaves a stale lock behind. The file's contents are the caller's (the
 * index writes its pid there for the next one's message).
 *
 * Calling sequence:
 *   int fd = lock_file_take(path, false, true);
 *   if (fd == LOCK_FILE_BUSY)  ... another process holds it: say so
 *   if (fd < 0)                ... LOCK_FILE_ERROR: a message was printed
 *   ... work ...
 *   close(fd);
 */
#ifndef COMMON_LOCK_FILE_H
#define COMMON_LOCK_FILE_H

#include <stdbool.h>

/* What lock_file_take returns instead of a descriptor. */
enum lock_file_status {
	LOCK_FILE_ERROR = -1,   /* could not open or lock the file; a message was printed */
	LOCK_FILE_BUSY = -2,    /* another open file holds the lock (only when not waiting);
				 * nothing was printed: the caller knows what is locked */
};

/*
 * Takes an exclusive flock on path (created with mode 0644 if missing).
 * With wait false, returns LOCK_FILE_BUSY at once when another process (or
 * another open of the same file) holds it; with wait true, blocks until it
 * is released. Returns the lock's file descriptor (owned by the caller: keep
 * it open to hold the lock, close it to release), LOCK_FILE_BUSY, or
 * LOCK_FILE_ERROR after printing why. The descriptor is inherited by child
 * processes unless cloexec is true.
 */
int lock_file_take(const char *path, bool wait, bool cloexec);

#endif
