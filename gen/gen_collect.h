/*
 * gen/gen_collect.h: how generated updates reach tarballs, modelled on
 * bismark-data-transmit and collect_uploads.sh (update-format.md §1, §10.3).
 *
 * Updates of one node are added in the order the router wrote them. Each
 * carries a delay counted in tarballs: 0 for the usual case, more for a
 * late arrival (retried uploads) or a re-upload (the same file again).
 * A tarball is cut after about `per_tarball` on-time updates, or when the
 * router was silent for over an hour. Its members are the due files in name
 * order (a shell glob); its name is NODEID_YYYY-MM-DD_HH-MM-SS.tar, with the
 * collection time in UTC, plus _MD5 of the whole tar before 2011-12-11,
 * when routers built and named their tarballs themselves.
 *
 * Deliberately broken tarballs (--broken) are copies of a tarball just
 * written: one named with a wrong md5, one truncated inside a member, one of
 * zero bytes. Each broken item (these, and broken members the caller adds)
 * is reported on stdout as "broken KIND TARBALL MEMBER" (member "-" for a
 * whole tarball).
 */
#ifndef GEN_GEN_COLLECT_H
#define GEN_GEN_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_rng.h"
#include "gen_tar.h"

enum gen_broken_tarball { GEN_BROKEN_WRONG_MD5, GEN_BROKEN_TRUNCATED, GEN_BROKEN_EMPTY, GEN_BROKEN_TARBALL_KINDS };

struct gen_entry;

struct gen_collect {
	const char *out_dir;     /* borrowed */
	uint32_t per_tarball;
	/* The current node. */
	const char *node_id;     /* borrowed */
	struct gen_rng *r;       /* the node's stream, borrowed */
	struct gen_entry *pending;
	uint32_t n_pending, cap_pending;
	uint32_t tar_index;      /* number of the tarball being filled */
	uint32_t on_time;        /* on-time updates in it so far */
	uint32_t target;
	int64_t last_now;        /* NOW_S of the last on-time update */
	int64_t last_name_time;  /* collection time of the last tarball */
	uint32_t broken_next[GEN_BROKEN_TARBALL_KINDS]; /* copies to make after the next tarball */
	struct gen_tar tar;      /* the last tarball written */
	char last_md5[33];       /* its md5 */
	int have_last;
	struct buf path;
	/* Totals over all nodes. */
	uint64_t tarballs, members, bytes;
	uint32_t broken_tarballs;
	int failed;              /* a write failed (already reported) */
};

void gen_collect_init(struct gen_collect *c, const char *out_dir, uint32_t per_tarball);
void gen_collect_release(struct gen_collect *c);

/* Starts a node (node_id and r borrowed until gen_collect_end_node). */
void gen_collect_begin_node(struct gen_collect *c, const char *node_id, struct gen_rng *r);

/*
 * Adds one member (data copied) written at now_s. delay: 0 on time, > 0
 * tarballs late (re-uploads too). broken: NULL, or the kind reported for a
 * deliberately broken member. Returns 0, or -1 when writing a tarball failed.
 */
int gen_collect_add(struct gen_collect *c, const char *name, const void *data, size_t len,
		    int64_t now_s, uint32_t delay, const char *broken);

/* Asks for a broken copy of the next tarball written for this node. */
void gen_collect_break_next(struct gen_collect *c, enum gen_broken_tarball kind);

/* Writes every pending member of the node. Returns 0 or -1. */
int gen_collect_end_node(struct gen_collect *c);

#endif
