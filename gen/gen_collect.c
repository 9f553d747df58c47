/*
 * gen/gen_collect.c: puts generated updates into tarballs the way the
 * upload and collection scripts did (see gen_collect.h).
 */
#include "gen_collect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "gen_node.h"
#include "log.h"
#include "timeutil.h"

struct gen_entry {
	char name[64];
	uint8_t *data;           /* owned */
	size_t len;
	int64_t now_s;
	uint32_t due;            /* tarball number it goes into */
	uint8_t on_time;
	const char *broken;
};

/* Routers named their own tarballs (with the md5) until uploads moved to
 * bismark-data-transmit (§10.3). */
#define MD5_NAMES_UNTIL (15319 * 86400LL)  /* 2011-12-11 */

void gen_collect_init(struct gen_collect *c, const char *out_dir, uint32_t per_tarball)
{
	memset(c, 0, sizeof(*c));
	c->out_dir = out_dir;
	c->per_tarball = per_tarball ? per_tarball : 1;
	gen_tar_init(&c->tar);
	buf_init(&c->path);
}

void gen_collect_release(struct gen_collect *c)
{
	for (uint32_t i = 0; i < c->n_pending; i++)
		free(c->pending[i].data);
	free(c->pending);
	gen_tar_release(&c->tar);
	buf_release(&c->path);
	c->pending = NULL;
	c->n_pending = c->cap_pending = 0;
}

static uint32_t draw_target(struct gen_collect *c)
{
	uint32_t k = c->per_tarball;
	if (k < 4)
		return k;
	return (uint32_t)gen_rng_range(c->r, k - k / 2, k + k / 2);
}

void gen_collect_begin_node(struct gen_collect *c, const char *node_id, struct gen_rng *r)
{
	c->node_id = node_id;
	c->r = r;
	c->tar_index = 0;
	c->have_last = 0;
	c->on_time = 0;
	c->last_now = 0;
	c->last_name_time = 0;
	memset(c->broken_next, 0, sizeof(c->broken_next));
	c->target = draw_target(c);
}

void gen_collect_break_next(struct gen_collect *c, enum gen_broken_tarball kind)
{
	c->broken_next[kind]++;
}

static int write_file(struct gen_collect *c, const char *name, const void *data, size_t len)
{
	buf_reset(&c->path);
	buf_printf(&c->path, "%s/%s", c->out_dir, name);
	FILE *f = fopen(c->path.data, "wb");
	if (!f) {
		c->failed = 1;
		return log_error("could not create tarball \"%s\": %s", c->path.data, strerror(errno));
	}
	size_t w = len ? fwrite(data, 1, len, f) : 0;
	int bad = w != len;
	if (fclose(f) != 0)
		bad = 1;
	if (bad) {
		c->failed = 1;
		return log_error("could not write tarball \"%s\": %s", c->path.data, strerror(errno));
	}
	c->tarballs++;
	c->bytes += len;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct gen_entry *)a)->name, ((const struct gen_entry *)b)->name);
}

static void tar_name(const struct gen_collect *c, int64_t t, const char *md5, char out[128])
{
	char when[24];
	time_stamp(t, when);
	if (md5)
		snprintf(out, 128, "%s_%s_%s.tar", c->node_id, when, md5);
	else
		snprintf(out, 128, "%s_%s.tar", c->node_id, when);
}

static int write_broken(struct gen_collect *c, int kind, int64_t t, const char *md5)
{
	char name[128];
	const uint8_t *data = (const uint8_t *)c->tar.data.data;
	size_t len = c->tar.data.len;
	const char *label;
	if (kind == GEN_BROKEN_WRONG_MD5) {
		char bad[33];
		memcpy(bad, md5, 33);
		bad[0] = bad[0] == '0' ? '1' : '0';
		tar_name(c, t, bad, name);
		label = "wrong-md5";
	} else if (kind == GEN_BROKEN_TRUNCATED) {
		/* Cut inside the first member's data. */
		size_t first = 0;
		for (int i = 124; i < 135; i++)
			first = first * 8 + (size_t)(data[i] - '0');
		len = 512 + (first > 1 ? first / 2 : 0) + 1;
		tar_name(c, t, NULL, name);
		label = "truncated-tarball";
	} else {
		len = 0;
		tar_name(c, t, NULL, name);
		label = "empty-tarball";
	}
	if (write_file(c, name, data, len) < 0)
		return -1;
	c->broken_tarballs++;
	printf("broken %s %s -\n", label, name);
	return 0;
}

/* Writes tarball number c->tar_index (the members due by then), if any. */
static int flush(struct gen_collect *c)
{
	uint32_t n = 0;
	int64_t latest = 0;
	for (uint32_t i = 0; i < c->n_pending; i++) {
		if (c->pending[i].due > c->tar_index)
			continue;
		struct gen_entry e = c->pending[i];
		c->pending[i] = c->pending[n];
		c->pending[n++] = e;
		if (e.on_time && e.now_s > latest)
			latest = e.now_s;
	}
	c->tar_index++;
	c->on_time = 0;
	c->target = draw_target(c);
	if (!n)
		return 0;
	qsort(c->pending, n, sizeof(*c->pending), cmp_entry);

	/* Collection time: a few minutes after the last file came in. */
	int64_t t = latest ? latest + gen_rng_range(c->r, 20, 600) : c->last_name_time + gen_rng_range(c->r, 300, 900);
	if (t <= c->last_name_time)
		t = c->last_name_time + 1;
	c->last_name_time = t;

	int rc = 0;
	gen_tar_reset(&c->tar);
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		struct gen_entry *e = &c->pending[i];
		int64_t mtime = e->on_time ? e->now_s + gen_rng_range(c->r, 1, 15) : t - gen_rng_range(c->r, 5, 300);
		if (mtime > t)
			mtime = t;
		rc = gen_tar_add(&c->tar, e->name, e->len ? (const void *)e->data : (const void *)"", e->len, mtime);
	}
	gen_tar_finish(&c->tar);
	char md5[33];
	gen_tar_md5(c->tar.data.data, c->tar.data.len, md5);
	memcpy(c->last_md5, md5, sizeof(md5));
	c->have_last = 1;
	char name[128];
	tar_name(c, t, t < MD5_NAMES_UNTIL ? md5 : NULL, name);
	if (rc == 0)
		rc = write_file(c, name, c->tar.data.data, c->tar.data.len);
	if (rc == 0) {
		c->members += n;
		for (uint32_t i = 0; i < n; i++)
			if (c->pending[i].broken)
				printf("broken %s %s %s\n", c->pending[i].broken, name, c->pending[i].name);
	}
	for (uint32_t i = 0; i < n; i++)
		free(c->pending[i].data);
	memmove(c->pending, c->pending + n, (c->n_pending - n) * sizeof(*c->pending));
	c->n_pending -= n;

	for (int k = 0; k < GEN_BROKEN_TARBALL_KINDS && rc == 0; k++) {
		while (c->broken_next[k] && rc == 0) {
			c->broken_next[k]--;
			c->last_name_time++;
			rc = write_broken(c, k, c->last_name_time, md5);
		}
	}
	return rc;
}

int gen_collect_add(struct gen_collect *c, const char *name, const void *data, size_t len,
		    int64_t now_s, uint32_t delay, const char *broken)
{
	bool on_time = delay == 0 && !broken;
	if (on_time) {
		/* The collector ran while the router was silent, or the tarball is full. */
		if (c->on_time && (now_s - c->last_now > 3600 || c->on_time >= c->target))
			if (flush(c) < 0)
				return -1;
		c->on_time++;
		c->last_now = now_s;
	}
	if (c->n_pending == c->cap_pending)
		xgrow((void **)&c->pending, &c->cap_pending, c->n_pending + 1, sizeof(*c->pending));
	struct gen_entry *e = &c->pending[c->n_pending++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->data = xmalloc(len ? len : 1);
	if (len)
		memcpy(e->data, data, len);
	e->len = len;
	e->now_s = now_s;
	e->due = c->tar_index + delay;
	e->on_time = on_time;
	e->broken = broken;
	return 0;
}

int gen_collect_end_node(struct gen_collect *c)
{
	int guard = 0;
	while (c->n_pending && guard++ < 1000)
		if (flush(c) < 0)
			return -1;
	/* Broken copies asked for after the last tarball: copy that one. */
	for (int k = 0; k < GEN_BROKEN_TARBALL_KINDS; k++) {
		while (c->broken_next[k] && c->have_last) {
			c->broken_next[k]--;
			c->last_name_time++;
			if (write_broken(c, k, c->last_name_time, c->last_md5) < 0)
				return -1;
		}
		c->broken_next[k] = 0;
	}
	c->have_last = 0;
	return 0;
}
