/*
 * index/indexer.h: indexing a folder of tarballs into the SQLite index (the
 * engine of `bpass index`).
 *
 * Every *.tar and *.tar.gz of the folder (not recursive, dot files ignored)
 * is taken in name order. One that the index already knows with the same
 * size and mtime is skipped without being read, so a re-run over an
 * unchanged folder only stats the files. One that changed since it was
 * examined (whatever its status: indexed, partial or rejected) is examined
 * again: its new updates are stored, the ones it shares with other tarballs
 * count as duplicates, the ones stored by its own earlier examination count
 * as neither. A second update with a stored key but other content is a
 * conflicting duplicate: the stored one is kept, and the other is warned
 * about (naming the key and both tarballs and members), recorded in the
 * rejects as a "conflict" and counted apart. Each tarball to read is md5-checked when its name carries an
 * md5, walked member by member (gunzip, parse, blob-encode) and written in
 * one transaction, shared with the small tarballs read just after it (a
 * group, index_db.h): a killed indexer leaves whole tarballs only, and a
 * tarball is counted (stats, progress) only once its group is committed,
 * so every tarball reported indexed is durable. With jobs > 1, checkpoints
 * run on a thread of their own (index_db_checkpointer_start).
 *
 * A tarball still being written must not be read: one modified within the
 * quiet period (its mtime less than quiet_period_s ago, or no further in
 * the future than that) is skipped, reported, not recorded, and read by a
 * later run. The exception is a plain tar that already ends with tar's
 * end-of-archive blocks (two zero blocks): its writer has finished (bpass
 * collect's tarballs, renamed into place when complete, are read at once).
 *
 * With jobs = N > 1, N reader threads read, gunzip, parse and encode
 * tarballs (md5 included) while the calling thread writes them, in plan
 * order, through a queue of up to 1024 tarballs or 8 MiB of encoded
 * updates, so that an fsync or checkpoint stall of the writer does not stop
 * the readers. The result, and everything printed, is the same for every N.
 */
#ifndef INDEX_INDEXER_H
#define INDEX_INDEXER_H

#include <stdbool.h>
#include <stdint.h>

/* The default quiet period of `bpass index` (seconds). */
#define INDEXER_QUIET_PERIOD_DEFAULT 60

struct indexer_options {
	bool parse_only;    /* do everything but SQLite: no index is opened (benchmarks) */
	bool gunzip_only;   /* with parse_only: read and gunzip members, nothing more (benchmarks) */
	bool zlib_only;     /* gunzip every member with zlib, not libdeflate (benchmarks) */
	int64_t quiet_period_s; /* skip files modified this recently (see above); 0: none */
	bool wait;          /* wait for another writer instead of failing */
	bool sync_normal;   /* synchronous=NORMAL instead of FULL (see index_db.c) */
	bool progress;      /* draw a progress line (log_progress, terminals only) */
	int jobs;           /* reader threads; 1: everything on the calling thread */
	uint32_t shards;    /* > 1: index only the tarballs of shard `shard` of this many */
	uint32_t shard;     /* (index_shard_of, index_db.h); the others are not even counted */
};

struct indexer_stats {
	uint32_t tarballs_found;     /* *.tar and *.tar.gz files in the folder */
	uint32_t tarballs_skipped;   /* known and unchanged: not read */
	uint32_t tarballs_changed;   /* indexed before, changed since: examined again */
	uint32_t tarballs_young;     /* modified within the quiet period: not read */
	uint32_t tarballs_indexed;   /* read to the end (members may have been rejected) */
	uint32_t tarballs_partial;   /* damaged after some members: those were kept */
	uint32_t tarballs_rejected;  /* wrong md5 or unreadable: nothing kept */
	uint32_t tarballs_unreadable;/* could not be opened: reported, not recorded, tried next run */
	uint64_t members;            /* members examined */
	uint64_t updates;            /* new updates stored (parse_only: parsed) */
	uint64_t rejected_members;   /* members that are not readable updates */
	uint64_t duplicates;         /* updates already in the index (re-uploads) */
	uint64_t conflicts;          /* conflicting duplicates: a stored key, other content */
	uint64_t warnings;           /* updates parsed with a warning */
	uint64_t bytes_in;           /* tarball bytes read */
	uint64_t blob_bytes;         /* encoded bytes of the new updates */
	double seconds;              /* wall time of the whole run */
	double read_seconds;         /* wall time reading tarballs (md5, gunzip, parse, encode) */
	double write_seconds;        /* wall time writing them (SQLite, fsync) */
};

/* What indexer_run returns. */
enum indexer_status {
	INDEXER_OK = 0,
	INDEXER_FAILED = -1,   /* the run itself failed (a message was printed) */
	INDEXER_BUSY = -2,     /* another writer holds the index and o->wait is false
				* (a message naming it was printed) */
};

/*
 * Indexes the new tarballs of dir into the index at index_path (created if
 * missing). Rejected members and tarballs are recorded in the index and
 * counted in st; they are not errors. Returns INDEXER_OK; INDEXER_BUSY when
 * another writer holds the index; or INDEXER_FAILED when the run itself
 * failed (folder or index unreadable, SQLite error). Failures are printed;
 * tarballs committed before a failure stay.
 */
int indexer_run(const char *dir, const char *index_path, const struct indexer_options *o,
		struct indexer_stats *st);

#endif
