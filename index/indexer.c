/*
 * index/indexer.c: indexes the new tarballs of a folder (see indexer.h).
 *
 * The work is split in two halves joined by a "batch", one tarball's worth of
 * results: fill_batch reads a tarball (md5 check, tar walk, gunzip, parse,
 * blob encode) into records held in one arena, and apply_batch writes the
 * records to the index, several small tarballs in one transaction (a
 * "group": the tarballs ready when the writer gets to them, up to
 * GROUP_TARBALLS, GROUP_UPDATES or GROUP_BYTES; a large one alone), each
 * counted and reported only once its group is committed. With one job they alternate on one
 * thread; with N, N reader threads fill batches while the calling thread
 * applies them in plan order (the pipeline below); batches are reused, so the
 * steady state allocates nothing. Everything printed comes from the writer
 * side, in tarball order.
 *
 * Choices: a tarball whose archive is damaged after some members keeps those
 * members (status "partial", with the reason); one damaged before any member,
 * or with a wrong md5 in its name, keeps nothing ("rejected"). Every tarball,
 * indexed ones included, is examined again once its size or mtime changes
 * (a copy that was read while still in progress completes). A member that is
 * not a readable update is rejected on its own; the rest of its tarball is
 * indexed. Files modified within the quiet period are left for a later run
 * (indexer.h).
 */
#include "indexer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "buf.h"
#include "fs.h"
#include "escape.h"
#include "index_db.h"
#include "log.h"
#include "tarball.h"
#include "timeutil.h"
#include "update.h"

#define STATUS_UNREADABLE (-1)   /* a batch status besides enum index_tarball_status */
#define MAX_NODE_ID 64

/* ---------------------------------------------------------------------------
 * The plan: which files to read
 */

struct plan_item {
	char *name;        /* base name */
	char *path;        /* dir/name */
	int64_t size;
	int64_t mtime_ns;
};

struct known {
	char *name;
	int64_t size;
	int64_t mtime_ns;
	int status;
};

struct known_list {
	struct known *v;
	uint32_t n, cap;
};

static int known_add(void *arg, const struct index_tarball *t)
{
	struct known_list *k = arg;
	if (k->n == k->cap)
		xgrow((void **)&k->v, &k->cap, k->n + 1, sizeof(*k->v));
	k->v[k->n].name = xstrdup(t->name);
	k->v[k->n].size = t->size;
	k->v[k->n].mtime_ns = t->mtime_ns;
	k->v[k->n].status = t->status;
	k->n++;
	return 0;
}

static int cmp_known(const void *a, const void *b)
{
	return strcmp(((const struct known *)a)->name, ((const struct known *)b)->name);
}

/* A tarball's name, of this indexer's shard (arg: the options). */
static bool is_tarball_name(const char *n, void *arg)
{
	const struct indexer_options *o = arg;
	if (o->shards > 1 && index_shard_of(n, o->shards) != o->shard)
		return false;
	return n[0] != '.' && ((fs_has_suffix(n, ".tar") && strlen(n) > 4) ||
			       (fs_has_suffix(n, ".tar.gz") && strlen(n) > 7));
}

/* ---------------------------------------------------------------------------
 * Batches: one tarball's results
 */

enum rec_kind { REC_UPDATE, REC_REJECT, REC_WARN };

struct rec {
	int kind;           /* enum rec_kind */
	size_t a, b;        /* arena offsets: node_id / member, context / reason or warning */
	size_t member;      /* REC_UPDATE: arena offset of the member name */
	size_t blob;        /* arena offset of the blob */
	size_t blob_len;
	int64_t session_id;
	int64_t timestamp_s;
	int32_t seq;
	int32_t version;
	uint32_t packets;
	uint32_t line;      /* REC_REJECT */
};

struct batch {
	const struct plan_item *item;
	char md5[33];       /* the md5 checked, or "" */
	int status;         /* enum index_tarball_status */
	struct buf reason;  /* tarball-level reason, or empty */
	uint32_t members;
	struct buf arena;
	struct rec *recs;
	uint32_t n_recs, cap_recs;
	/* Set by apply_batch, added to the stats once the batch is committed. */
	uint64_t n_updates, n_dups, n_rejected, n_conflicts, n_warnings, n_blob_bytes;
};

static void batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->reason);
	buf_init(&b->arena);
}

static void batch_release(struct batch *b)
{
	buf_release(&b->reason);
	buf_release(&b->arena);
	free(b->recs);
}

static void batch_reset(struct batch *b, const struct plan_item *item)
{
	b->item = item;
	b->md5[0] = 0;
	b->status = INDEX_TARBALL_INDEXED;
	buf_reset(&b->reason);
	b->members = 0;
	buf_reset(&b->arena);
	b->n_recs = 0;
	/* Do not keep a huge tarball's worth of memory for the next ones. */
	if (b->arena.cap > (256u << 20))
		buf_release(&b->arena);
}

static size_t arena_str(struct batch *b, const char *s)
{
	size_t off = b->arena.len;
	buf_append(&b->arena, s, strlen(s) + 1);
	return off;
}

static struct rec *batch_rec(struct batch *b, int kind)
{
	if (b->n_recs == b->cap_recs)
		xgrow((void **)&b->recs, &b->cap_recs, b->n_recs + 1, sizeof(*b->recs));
	struct rec *r = &b->recs[b->n_recs++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	return r;
}

static void batch_reject(struct batch *b, const char *member, uint32_t line, const char *reason)
{
	size_t a = arena_str(b, member);
	size_t rs = arena_str(b, reason);
	struct rec *r = batch_rec(b, REC_REJECT);
	r->a = a;
	r->b = rs;
	r->line = line;
}

/* ---------------------------------------------------------------------------
 * The reading half
 */

struct reader {
	bool gunzip_only;   /* indexer_options */
	struct tarball_reader *tr;
	struct blob_codec *codec;
	struct update_buf ub;
	struct buf msg;
	struct batch *b;    /* being filled */
};

static void reader_init(struct reader *r, const struct indexer_options *o)
{
	memset(r, 0, sizeof(*r));
	r->tr = tarball_reader_new();
	r->gunzip_only = o->parse_only && o->gunzip_only;
	if (o->zlib_only)
		tarball_reader_set_deflate_max(r->tr, 0);
	r->codec = blob_codec_new();
	update_buf_init(&r->ub);
	buf_init(&r->msg);
}

static void reader_release(struct reader *r)
{
	tarball_reader_free(r->tr);
	blob_codec_free(r->codec);
	update_buf_release(&r->ub);
	buf_release(&r->msg);
}

static int on_member(void *arg, const struct tarball_member *m)
{
	struct reader *r = arg;
	struct batch *b = r->b;
	b->members++;
	if (r->gunzip_only && !m->reject)
		return 0;
	if (m->reject) {
		batch_reject(b, m->name, 0, m->reject);
		return 0;
	}
	struct update_error err;
	memset(&err, 0, sizeof(err));
	if (update_parse(&r->ub, m->mutable_data, m->len, &err)) {
		buf_reset(&r->msg);
		update_error_format(&err, NULL, NULL, &r->msg);
		batch_reject(b, m->name, err.line, r->msg.data);
		return 0;
	}
	const struct bpass_update *u = &r->ub.u;
	if (strlen(u->node_id) > MAX_NODE_ID) {
		batch_reject(b, m->name, 0, "node id longer than 64 characters");
		return 0;
	}
	if (strlen(u->context) > 40) {
		batch_reject(b, m->name, 0, "anonymization context longer than 40 characters");
		return 0;
	}
	if (err.warning[0]) {
		size_t a = arena_str(b, m->name);
		size_t w = arena_str(b, err.warning);
		struct rec *x = batch_rec(b, REC_WARN);
		x->a = a;
		x->b = w;
	}
	size_t member = arena_str(b, m->name);
	size_t node = arena_str(b, u->node_id);
	size_t ctx = arena_str(b, u->context);
	size_t blob = b->arena.len;
	blob_codec_encode(r->codec, u, &b->arena);   /* appends: no copy */
	struct rec *x = batch_rec(b, REC_UPDATE);
	x->a = node;
	x->b = ctx;
	x->member = member;
	x->blob = blob;
	x->blob_len = b->arena.len - blob;
	x->session_id = u->session_id;
	x->timestamp_s = u->timestamp_s;
	x->seq = u->sequence;
	x->version = u->version;
	x->packets = u->n_packets;
	return 0;
}


/* Copies the fourth '_'-separated field of a tarball name (extension
 * ".tar" or ".tar.gz" removed) into out: the md5 field of the reference
 * reader. Returns false when the name has fewer than four fields. */
static bool name_md5_field(const char *name, char *out, size_t n)
{
	size_t len = strlen(name);
	if (len > 7 && !strcmp(name + len - 7, ".tar.gz"))
		len -= 7;
	else if (len > 4 && !strcmp(name + len - 4, ".tar"))
		len -= 4;
	const char *p = name, *end = name + len;
	for (int i = 0; i < 3; i++) {
		p = memchr(p, '_', (size_t)(end - p));
		if (!p)
			return false;
		p++;
	}
	const char *q = memchr(p, '_', (size_t)(end - p));
	size_t m = (size_t)((q ? q : end) - p);
	if (m >= n)
		m = n - 1;
	memcpy(out, p, m);
	out[m] = 0;
	return true;
}

/* Reads one tarball into r->b. Never fails: problems become rejections. */
static void fill_batch(struct reader *r, struct batch *b, const struct plan_item *it)
{
	batch_reset(b, it);
	r->b = b;
	/* A file we cannot open (permissions, vanished) is not judged: it is
	 * reported and tried again next run. */
	int fd = open(it->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf_printf(&b->reason, "could not open tarball \"%s\": %s", it->path,
			   strerror(errno));
		b->status = STATUS_UNREADABLE;
		return;
	}
	close(fd);
	if (it->size == 0) {
		buf_puts(&b->reason, "empty file");
		b->status = INDEX_TARBALL_REJECTED;
		return;
	}
	/* Like the reference reader (update-format.md §10.3): a fourth field of
	 * the name is the md5 of the whole file; a mismatch rejects the tarball. */
	char md5[64];
	if (name_md5_field(it->name, md5, sizeof(md5))) {
		char got[33];
		if (tarball_md5_file(it->path, got)) {
			buf_printf(&b->reason, "could not read tarball \"%s\": %s", it->path,
				   strerror(errno));
			b->status = INDEX_TARBALL_REJECTED;
			return;
		}
		if (strcmp(got, md5)) {
			buf_printf(&b->reason, "wrong md5: the name says %s, the file's md5 is %s",
				   md5, got);
			b->status = INDEX_TARBALL_REJECTED;
			return;
		}
		memcpy(b->md5, got, sizeof(b->md5));
	}
	if (tarball_walk(r->tr, it->path, on_member, r, &b->reason) != 0) {
		if (!b->reason.len)
			buf_printf(&b->reason, "could not read tarball \"%s\"", it->path);
		b->status = b->members ? INDEX_TARBALL_PARTIAL : INDEX_TARBALL_REJECTED;
	}
}

/* ---------------------------------------------------------------------------
 * The writing half
 */

struct writer {
	struct index_db *db;          /* NULL with parse_only */
	struct indexer_stats *st;
	const struct indexer_options *o;
	uint32_t done, todo;
	double t0, last_progress;
	struct buf esc[3];            /* escaped names for messages (escape.h) */
	struct buf reason;            /* a conflict's reason */
};

/* Reports and records a conflicting duplicate: the update r of member of the
 * current tarball has the key of a stored update with other content. */
static int conflict(struct writer *w, const char *name, const char *arena, const struct rec *r)
{
	const char *tarball0, *member0;
	index_db_stored_origin(w->db, &tarball0, &member0);
	struct buf *why = &w->reason, *e = w->esc;
	buf_reset(why);
	buf_puts(why, "update (node \"");
	buf_puts(why, arena + r->a);
	buf_printf(why, "\", context \"%s\", session %lld, seq %d) differs from the one stored "
		   "from member \"%s\" of tarball \"%s\", which is kept", arena + r->b,
		   (long long)r->session_id, r->seq, *member0 ? member0 : "(unknown)", tarball0);
	log_warn("conflicting duplicate: member \"%s\" of tarball \"%s\": %s",
		 escape_str(&e[0], arena + r->member), escape_str(&e[1], name),
		 escape_str(&e[2], why->data));
	return index_db_add_conflict(w->db, arena + r->member, why->data);
}

static void progress(struct writer *w, bool force)
{
	if (!w->o->progress)
		return;
	double t = time_monotonic();
	if (!force && t - w->last_progress < 0.2)
		return;
	w->last_progress = t;
	double el = t - w->t0;
	log_progress("indexing: tarball %u/%u (%u%%), %llu updates, %.0f updates/s", w->done,
		     w->todo, w->todo ? (unsigned)(100.0 * w->done / w->todo) : 100u,
		     (unsigned long long)w->st->updates, el > 0 ? (double)w->st->updates / el : 0.0);
}

/* Writes one batch as one tarball of the open group (or its own transaction
 * without a database). Counts go into the batch, for tally_batch once the
 * group is committed. Returns 0 or -1 (the run fails; the group is rolled
 * back). */
static int apply_batch(struct writer *w, struct batch *b)
{
	const char *name = b->item->name;
	const char *arena = b->arena.data;
	struct buf *e = w->esc;
	b->n_updates = b->n_dups = b->n_rejected = b->n_conflicts = b->n_warnings = 0;
	b->n_blob_bytes = 0;
	if (b->status == STATUS_UNREADABLE) {
		log_warn("%s; it is tried again next run", escape_str(&e[0], b->reason.data));
		return 0;
	}
	if (w->db && index_db_tarball_begin(w->db, name, b->item->size, b->item->mtime_ns, b->md5))
		return -1;
	for (uint32_t i = 0; i < b->n_recs; i++) {
		const struct rec *r = &b->recs[i];
		if (r->kind == REC_WARN) {
			log_warn("tarball \"%s\" member \"%s\": %s", escape_str(&e[0], name),
				 escape_str(&e[1], arena + r->a), escape_str(&e[2], arena + r->b));
			b->n_warnings++;
		} else if (r->kind == REC_REJECT) {
			log_warn("rejected member \"%s\" of tarball \"%s\": %s",
				 escape_str(&e[0], arena + r->a), escape_str(&e[1], name),
				 escape_str(&e[2], arena + r->b));
			b->n_rejected++;
			if (w->db && index_db_add_reject(w->db, arena + r->a, r->line, arena + r->b))
				goto fail;
		} else if (w->db) {
			struct index_update_row row = {
				.node_id = arena + r->a,
				.context = arena + r->b,
				.session_id = r->session_id,
				.seq = r->seq,
				.version = r->version,
				.timestamp_s = r->timestamp_s,
				.packets = r->packets,
				.blob = arena + r->blob,
				.blob_len = r->blob_len,
				.member = arena + r->member,
			};
			int rc = index_db_add_update(w->db, &row);
			if (rc == INDEX_ADD_ERROR)
				goto fail;
			if (rc == INDEX_ADD_STORED) {
				b->n_updates++;
				b->n_blob_bytes += r->blob_len;
			} else if (rc == INDEX_ADD_DUPLICATE) {
				b->n_dups++;
			} else if (rc == INDEX_ADD_CONFLICT) {
				b->n_conflicts++;
				if (conflict(w, name, arena, r))
					goto fail;
			}
		} else {
			b->n_updates++;
			b->n_blob_bytes += r->blob_len;
		}
	}
	if (b->reason.len) {
		log_warn("%s tarball \"%s\": %s", b->status == INDEX_TARBALL_PARTIAL ?
			 "partly rejected" : "rejected", escape_str(&e[0], name),
			 escape_str(&e[1], b->reason.data));
		if (w->db && index_db_add_reject(w->db, NULL, 0, b->reason.data))
			goto fail;
	}
	if (w->db) {
		index_db_tarball_counts(w->db)->members = b->members;
		if (index_db_tarball_commit(w->db, b->status, b->reason.len ? b->reason.data : NULL))
			return -1;
	}
	return 0;
fail:
	index_db_tarball_abort(w->db);
	return -1;
}

/* Adds a committed batch to the stats. */
static void tally_batch(struct writer *w, const struct batch *b)
{
	struct indexer_stats *st = w->st;
	w->done++;
	if (b->status == STATUS_UNREADABLE) {
		st->tarballs_unreadable++;
		return;
	}
	st->members += b->members;
	st->updates += b->n_updates;
	st->duplicates += b->n_dups;
	st->conflicts += b->n_conflicts;
	st->rejected_members += b->n_rejected;
	st->warnings += b->n_warnings;
	st->blob_bytes += b->n_blob_bytes;
	st->bytes_in += (uint64_t)b->item->size;
	if (b->status == INDEX_TARBALL_INDEXED)
		st->tarballs_indexed++;
	else if (b->status == INDEX_TARBALL_PARTIAL)
		st->tarballs_partial++;
	else
		st->tarballs_rejected++;
}

/* ---------------------------------------------------------------------------
 * The pipeline: jobs reader threads, the writer on the calling thread
 *
 * Readers take the plan's items in order (next_item) and fill a batch each;
 * the writer takes them back in the same order (next_write), so what is
 * written and printed does not depend on the number of readers. A reader
 * starts item i only when i < next_write + QUEUE_SLOTS and the batches filled
 * but not yet written hold less than QUEUE_BYTES (the item the writer waits
 * for is always started): deep enough to ride out an fsync or checkpoint
 * stall of a second or more, bounded in memory whatever the tarballs. Batches
 * are made on demand and reused. With one job there is no thread: the writer
 * fills each batch itself when it takes it.
 */

#define QUEUE_SLOTS 1024u
/* A group (one transaction) ends at this many tarballs, records (updates and
 * rejects) or bytes of encoded updates: a tarball this large is alone. */
#define GROUP_TARBALLS 64u
#define GROUP_UPDATES 1000u
#define GROUP_BYTES (4u << 20)
#define QUEUE_BYTES (8u << 20)
/* A batch whose arena grew past this gives the memory back when written. */
#define BATCH_KEEP_BYTES (4u << 20)

struct pipeline {
	pthread_mutex_t mu;
	pthread_cond_t cv_read, cv_write;
	const struct plan_item *items;
	uint32_t n_items;
	uint32_t next_item;            /* the next item a reader starts */
	uint32_t next_write;           /* the next item the writer takes */
	struct batch *slot[QUEUE_SLOTS];   /* slot[i % QUEUE_SLOTS]: item i, filled */
	struct batch **free_;          /* empty batches */
	uint32_t n_free, cap_free;
	size_t held_bytes;             /* arena bytes of filled batches not yet given back */
	bool stop;                     /* the writer failed: readers stop */
	double read_seconds;           /* the readers', summed */
	int jobs;
	const struct indexer_options *o;
	struct reader inline_reader;   /* jobs == 1 */
};

static size_t batch_bytes(const struct batch *b)
{
	return b->arena.len + (size_t)b->n_recs * sizeof(*b->recs) + 4096;
}

/* A batch from the pool, or a new one. Called with p->mu held (or alone). */
static struct batch *pool_get(struct pipeline *p)
{
	if (p->n_free)
		return p->free_[--p->n_free];
	struct batch *b = xmalloc(sizeof(*b));
	batch_init(b);
	return b;
}

static void pool_put(struct pipeline *p, struct batch *b)
{
	if (b->arena.cap > BATCH_KEEP_BYTES)
		buf_release(&b->arena);
	if (p->n_free == p->cap_free)
		xgrow((void **)&p->free_, &p->cap_free, p->n_free + 1, sizeof(*p->free_));
	p->free_[p->n_free++] = b;
}

static bool reader_may_start(const struct pipeline *p)
{
	uint32_t i = p->next_item;
	return i == p->next_write ||
	       (i - p->next_write < QUEUE_SLOTS && p->held_bytes < QUEUE_BYTES);
}

static void *reader_main(void *arg)
{
	struct pipeline *p = arg;
	struct reader r;
	reader_init(&r, p->o);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->next_item < p->n_items && !reader_may_start(p))
			pthread_cond_wait(&p->cv_read, &p->mu);
		if (p->stop || p->next_item >= p->n_items)
			break;
		uint32_t i = p->next_item++;
		struct batch *b = pool_get(p);
		pthread_mutex_unlock(&p->mu);

		double t = time_monotonic();
		fill_batch(&r, b, &p->items[i]);
		t = time_monotonic() - t;

		pthread_mutex_lock(&p->mu);
		p->read_seconds += t;
		p->held_bytes += batch_bytes(b);
		p->slot[i % QUEUE_SLOTS] = b;
		if (i == p->next_write)
			pthread_cond_signal(&p->cv_write);
	}
	pthread_mutex_unlock(&p->mu);
	reader_release(&r);
	return NULL;
}

/* The next batch in plan order; with wait false, NULL when it is not filled
 * yet. Returns NULL at the end of the plan. */
static struct batch *pipeline_take(struct pipeline *p, bool wait)
{
	if (p->next_write >= p->n_items)
		return NULL;
	if (p->jobs == 1) {
		struct batch *b = pool_get(p);
		double t = time_monotonic();
		fill_batch(&p->inline_reader, b, &p->items[p->next_write++]);
		p->read_seconds += time_monotonic() - t;
		p->held_bytes += batch_bytes(b);
		return b;
	}
	pthread_mutex_lock(&p->mu);
	struct batch **s = &p->slot[p->next_write % QUEUE_SLOTS];
	while (wait && !*s)
		pthread_cond_wait(&p->cv_write, &p->mu);
	struct batch *b = *s;
	if (b) {
		*s = NULL;
		p->next_write++;
		pthread_cond_broadcast(&p->cv_read);
	}
	pthread_mutex_unlock(&p->mu);
	return b;
}

/* Gives a written batch back to the pool. */
static void pipeline_done(struct pipeline *p, struct batch *b)
{
	if (p->jobs > 1)
		pthread_mutex_lock(&p->mu);
	p->held_bytes -= batch_bytes(b);
	pool_put(p, b);
	if (p->jobs > 1) {
		pthread_cond_broadcast(&p->cv_read);
		pthread_mutex_unlock(&p->mu);
	}
}

static int run_pipeline(struct writer *w, const struct plan_item *items, uint32_t n, int jobs)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_read, NULL);
	pthread_cond_init(&p->cv_write, NULL);
	p->items = items;
	p->n_items = n;
	if ((uint32_t)jobs > n)
		jobs = (int)n;
	p->jobs = jobs < 1 ? 1 : jobs;
	pthread_t *th = NULL;
	int started = 0, ret = 0;
	p->o = w->o;
	if (p->jobs == 1) {
		reader_init(&p->inline_reader, w->o);
	} else {
		th = xcalloc((size_t)p->jobs, sizeof(*th));
		for (; started < p->jobs; started++) {
			int e = pthread_create(&th[started], NULL, reader_main, p);
			if (e) {
				log_error("could not start a reader thread: %s", strerror(e));
				ret = -1;
				break;
			}
		}
	}
	struct batch *group[GROUP_TARBALLS];
	while (ret == 0 && (started > 0 || p->jobs == 1)) {
		/* A group: the next tarball, and those after it that are ready
		 * now, while the group stays small (never waiting for one). */
		uint32_t k = 0;
		uint64_t updates = 0;
		size_t bytes = 0;
		struct batch *b = pipeline_take(p, true);
		while (b) {
			group[k++] = b;
			updates += b->n_recs;
			bytes += b->arena.len;
			if (k == GROUP_TARBALLS || updates >= GROUP_UPDATES || bytes >= GROUP_BYTES)
				break;
			b = pipeline_take(p, false);
		}
		if (k == 0)
			break;
		double t = time_monotonic();
		if (w->db && index_db_group_begin(w->db))
			ret = -1;
		for (uint32_t i = 0; i < k && ret == 0; i++)
			ret = apply_batch(w, group[i]);
		if (ret == 0 && w->db && index_db_group_commit(w->db))
			ret = -1;
		if (ret && w->db)
			index_db_tarball_abort(w->db);
		w->st->write_seconds += time_monotonic() - t;
		for (uint32_t i = 0; i < k; i++) {
			if (ret == 0)
				tally_batch(w, group[i]);   /* durable now: reported */
			pipeline_done(p, group[i]);
		}
		if (ret == 0)
			progress(w, false);
	}
	if (p->jobs > 1) {
		pthread_mutex_lock(&p->mu);
		p->stop = true;
		pthread_cond_broadcast(&p->cv_read);
		pthread_mutex_unlock(&p->mu);
		for (int i = 0; i < started; i++)
			pthread_join(th[i], NULL);
		for (uint32_t i = 0; i < QUEUE_SLOTS; i++)
			if (p->slot[i])
				pool_put(p, p->slot[i]);
	} else {
		reader_release(&p->inline_reader);
	}
	w->st->read_seconds += p->read_seconds;
	for (uint32_t i = 0; i < p->n_free; i++) {
		batch_release(p->free_[i]);
		free(p->free_[i]);
	}
	free(p->free_);
	free(th);
	pthread_cond_destroy(&p->cv_write);
	pthread_cond_destroy(&p->cv_read);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return ret;
}

/* ---------------------------------------------------------------------------
 * The run
 */

static void fmt_size_change(struct buf *out, const struct known *k, const struct plan_item *it)
{
	if (k->size != it->size)
		buf_printf(out, "size %lld, now %lld", (long long)k->size, (long long)it->size);
	else
		buf_puts(out, "same size, new mtime");
}

static int64_t now_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* True when path is a plain (not gzipped) tar that already ends with tar's
 * end-of-archive blocks, two zero blocks at a block boundary: its writer has
 * finished. A copy cut anywhere ends in member data instead. */
static bool tar_is_finished(const char *path, int64_t size)
{
	if (size < 1024 || size % 512)
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	unsigned char head[2], tail[1024];
	bool ok = pread(fd, head, 2, 0) == 2 && !(head[0] == 0x1f && head[1] == 0x8b) &&
		  pread(fd, tail, sizeof(tail), (off_t)(size - 1024)) == (ssize_t)sizeof(tail);
	close(fd);
	for (size_t i = 0; ok && i < sizeof(tail); i++)
		ok = tail[i] == 0;
	return ok;
}

int indexer_run(const char *dir, const char *index_path, const struct indexer_options *o,
		struct indexer_stats *st)
{
	memset(st, 0, sizeof(*st));
	double t0 = time_monotonic();
	struct index_db *db = NULL;
	struct known_list known = { 0 };
	char **names = NULL;
	uint32_t n_names = 0;
	struct plan_item *items = NULL;
	uint32_t n_items = 0;
	int ret = INDEXER_FAILED;
	struct buf path, msg, esc;
	buf_init(&path);
	buf_init(&msg);
	buf_init(&esc);

	/* Nothing is created (the index, its lock file) for a folder that cannot
	 * be read or an index path that is a folder. */
	struct stat ds;
	if (stat(dir, &ds) != 0) {
		int e0 = errno;
		log_error("could not open updates folder \"%s\": %s", escape_str(&esc, dir),
			  strerror(e0));
		goto out;
	}
	if (!S_ISDIR(ds.st_mode)) {
		log_error("could not open updates folder \"%s\": %s", escape_str(&esc, dir),
			  strerror(ENOTDIR));
		goto out;
	}
	if (!o->parse_only && stat(index_path, &ds) == 0 && S_ISDIR(ds.st_mode)) {
		log_error("could not open index \"%s\": %s", escape_str(&esc, index_path),
			  strerror(EISDIR));
		goto out;
	}
	if (!o->parse_only) {
		int flags = INDEX_OPEN_WRITE;
		if (o->wait)
			flags |= INDEX_OPEN_WAIT;
		if (o->sync_normal)
			flags |= INDEX_OPEN_SYNC_NORMAL;
		int rc = index_db_open(&db, index_path, flags);
		if (rc != INDEX_DB_OK) {
			if (rc == INDEX_DB_BUSY)
				ret = INDEXER_BUSY;
			goto out;
		}
		if (index_db_tarballs(db, known_add, &known))
			goto out;
		if (o->jobs > 1)
			index_db_checkpointer_start(db);   /* checkpoints off the writer's thread */
		if (known.n)
			qsort(known.v, known.n, sizeof(*known.v), cmp_known);
	}
	int listed = fs_list(dir, is_tarball_name, (void *)o, &names);
	if (listed < 0) {
		int e0 = errno;
		log_error("could not read updates folder \"%s\": %s", escape_str(&esc, dir),
			  strerror(e0));
		goto out;
	}
	n_names = (uint32_t)listed;
	st->tarballs_found = n_names;
	items = n_names ? xcalloc(n_names, sizeof(*items)) : NULL;
	int64_t now_ns = now_realtime_ns(), quiet_ns = 0;
	if (o->quiet_period_s > 0)
		quiet_ns = o->quiet_period_s > INT64_MAX / 4000000000 ? INT64_MAX / 4
			   : o->quiet_period_s * 1000000000;
	for (uint32_t i = 0; i < n_names; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s", dir, names[i]);
		struct stat sb;
		if (stat(path.data, &sb) != 0) {
			int e0 = errno;
			if (e0 != ENOENT)   /* vanished since readdir: not ours to report */
				log_warn("could not read tarball \"%s\": %s",
					 escape_str(&esc, path.data), strerror(e0));
			st->tarballs_found--;
			continue;
		}
		if (!S_ISREG(sb.st_mode)) {
			st->tarballs_found--;
			continue;
		}
		struct plan_item it = {
			.name = names[i],
			.size = (int64_t)sb.st_size,
			.mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec,
		};
		struct known key = { .name = names[i] };
		const struct known *k = known.n ? bsearch(&key, known.v, known.n, sizeof(*known.v),
							  cmp_known) : NULL;
		if (k && k->size == it.size && k->mtime_ns == it.mtime_ns) {
			st->tarballs_skipped++;
			continue;
		}
		/* Still being written? Not read at all; a later run reads it. */
		int64_t age_ns = now_ns - it.mtime_ns;
		if (quiet_ns && age_ns < quiet_ns && age_ns >= -quiet_ns &&
		    !tar_is_finished(path.data, it.size)) {
			int64_t age_s = (age_ns < 0 ? -age_ns : age_ns) / 1000000000;
			log_info("tarball \"%s\" skipped: modified %lld s %s (quiet period %lld s)",
				 escape_str(&esc, path.data), (long long)age_s,
				 age_ns < 0 ? "in the future" : "ago", (long long)o->quiet_period_s);
			st->tarballs_young++;
			continue;
		}
		if (k && k->status == INDEX_TARBALL_INDEXED) {
			buf_reset(&msg);
			fmt_size_change(&msg, k, &it);
			log_info("tarball \"%s\" changed since it was indexed (%s); examined again",
				 escape_str(&esc, path.data), msg.data);
			st->tarballs_changed++;
		}
		it.path = xstrdup(path.data);
		items[n_items++] = it;
	}

	struct writer w = { .db = db, .st = st, .o = o, .todo = n_items, .t0 = t0 };
	for (int i = 0; i < 3; i++)
		buf_init(&w.esc[i]);
	buf_init(&w.reason);
	ret = n_items ? run_pipeline(&w, items, n_items, o->jobs) : INDEXER_OK;
	for (int i = 0; i < 3; i++)
		buf_release(&w.esc[i]);
	buf_release(&w.reason);
	if (o->progress)
		log_clear_progress();
out:
	buf_release(&path);
	buf_release(&msg);
	buf_release(&esc);
	index_db_close(db);
	for (uint32_t i = 0; i < known.n; i++)
		free(known.v[i].name);
	free(known.v);
	for (uint32_t i = 0; i < n_items; i++)
		free(items[i].path);
	free(items);
	fs_names_free(names, (int)n_names);
	st->seconds = time_monotonic() - t0;
	return ret;
}
