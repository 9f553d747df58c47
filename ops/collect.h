/*
 * ops/collect.h: collecting uploaded updates into tarballs (the engine of
 * `bpass collect`, update-format.md §1 step 5, collect_uploads.sh).
 *
 * For every node folder UPLOADS/<NODEID>/ holding *.gz updates, one
 * uncompressed tarball NODEID_YYYY-MM-DD_HH-MM-SS.tar (current UTC time) is
 * written into UPDATES with the bare file names as members, then the
 * collected files are removed.
 *
 * Crash safety, step by step for one node:
 *   1. write the tar under a temporary name .NODEID_....tar.tmp, fsync it;
 *   2. write a journal .collect-NODEID.journal naming the final tarball and
 *      every member (name and size), fsync it and the folder;
 *   3. link the temporary file to the final name (never over an existing
 *      file: the seconds are bumped instead), fsync the folder, drop the
 *      temporary name;
 *   4. unlink the collected files, fsync the node folder;
 *   5. remove the journal.
 * A later run first finishes or undoes any journal it finds: if the tarball
 * exists, the files it lists with the same name and size are removed (they
 * are in that tarball already); if not, the journal is dropped and the files
 * are collected again. Leftover temporary tarballs are removed. So a crash at
 * any point loses no update and never leaves a half tarball under a real
 * name, and no update ends up in two tarballs. Concurrent runs into one
 * UPDATES folder are serialized by UPDATES/.collect.lock.
 *
 * Only complete files are taken: an update must be left unchanged for the
 * quiet period (options) and must not change while it is read; others wait
 * for a later run, so a file still being uploaded is never copied truncated
 * (and then deleted).
 *
 * Collect never acts outside its two folders: a node folder or an update
 * that is a symbolic link (or a special file) is reported and left alone,
 * never followed; every file is opened, linked and removed through a
 * descriptor of its folder.
 */
#ifndef OPS_COLLECT_H
#define OPS_COLLECT_H

#include <stdint.h>

/* The quiet period of `bpass collect` unless told otherwise: uploads are
 * written in well under a minute. */
#define COLLECT_QUIET_PERIOD_DEFAULT 60

struct collect_options {
	/* Seconds an update must have been left unchanged (status change time,
	 * which every write moves and no uploader can set back) before it is
	 * taken; younger ones wait for a later run. 0 takes every file. A file
	 * that changes while it is read is left for a later run either way. */
	int64_t quiet_period;
	/* Called right after each crash-safety step with its name: "member"
	 * (first member written), "tmp", "journal", "rename", "unlink" (first
	 * file removed), "done". The fault-injection tests kill the process
	 * there. NULL: no calls. */
	void (*checkpoint)(const char *step, void *arg);
	void *checkpoint_arg;
};

struct collect_stats {
	unsigned long nodes;       /* node folders looked at */
	unsigned long tarballs;    /* tarballs written */
	unsigned long updates;     /* updates collected into them */
	unsigned long waiting;     /* updates left for a later run: still being written */
	unsigned long skipped;     /* reported and left alone: symbolic links, special
				    * files, names that cannot be used */
	unsigned long failures;    /* errors reported (a node, a journal, a file) */
};

/* Checks the two folders: they must not overlap (the same folder, or one
 * inside the other, after resolving links). Returns 0, or -1 after printing
 * why. */
int collect_check(const char *uploads, const char *updates);

/*
 * Collects every node folder of uploads into tarballs in updates (created
 * when missing), after finishing what an interrupted run left. Each node
 * folder is collected on its own: one that fails is reported and the others
 * go on. Fills st (zeroed first). Returns 0 when nothing failed, or -1 after
 * printing why (st->failures says how many errors).
 */
int collect_run(const char *uploads, const char *updates, const struct collect_options *o,
		struct collect_stats *st);

#endif
