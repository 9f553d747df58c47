/*
 * tests/bench/bench_blob.c: the blob codec's micro-benchmark (`make bench`,
 * tools/bench). Usage: bench_blob [-r REPEAT] [-o BLOBS] [-n] DIR
 *
 * Reads every *.tar of DIR (name order), gunzips and parses every member,
 * then, per batch of BATCH (16) updates held in memory (small enough to stay
 * in cache, as an update the indexer has just parsed is), encodes the batch REPEAT
 * times with one reused codec (as an indexer thread does) and decodes the
 * blobs REPEAT times; for each batch the fastest pass counts, so that a busy
 * machine inflates the figures as little as it can. Times are the thread's
 * CPU time (CLOCK_THREAD_CPUTIME_ID), not wall time. Every blob must decode
 * back to the parsed update (tests/fuzz/update_diff.c), so a faster encoder
 * that breaks the format fails here too.
 *
 * Prints one line:
 *   blob: updates N, packets P, text bytes T, blob bytes B, encode ns/update E,
 *   decode ns/update D, encode ns/packet e
 * With -o, every blob (in order, each preceded by its length as 4 bytes
 * little-endian) is written to the file BLOBS, so that two builds of the
 * encoder can be compared byte for byte (cmp).
 * -n encodes only (no decoding, no check), REPEAT times per update, for a
 * cycle counter: `perf stat -e cycles:u` of -n -r 6 minus -n -r 1 is five
 * encodes of every update, whatever else the machine runs.
 * Exit status: 0, 1 when a member does not round-trip or a file cannot be
 * read, 2 for usage errors.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blob.h"
#include "buf.h"
#include "tarball.h"
#include "update.h"
#include "../fuzz/update_diff.h"

#define BATCH 16

struct slot {
	struct buf text;          /* the member's text, parsed in place */
	struct update_buf ub;
	struct buf blob;
};

struct bench {
	struct slot s[BATCH];
	unsigned n;               /* slots filled */
	unsigned repeat;
	int encode_only;          /* -n */
	struct blob_codec *codec;
	struct update_buf dec;
	FILE *out;                /* -o, or NULL */
	uint64_t updates, packets, text_bytes, blob_bytes;
	double enc_ns, dec_ns;
	int failed;
};

static double thread_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void run_batch(struct bench *bn)
{
	double best_enc = 0, best_dec = 0;
	for (unsigned r = 0; r < bn->repeat; r++) {
		double t0 = thread_ns();
		for (unsigned i = 0; i < bn->n; i++) {
			buf_reset(&bn->s[i].blob);
			blob_codec_encode(bn->codec, &bn->s[i].ub.u, &bn->s[i].blob);
		}
		double t1 = thread_ns();
		if (r == 0 || t1 - t0 < best_enc)
			best_enc = t1 - t0;
	}
	for (unsigned r = 0; r < bn->repeat && !bn->encode_only; r++) {
		double t0 = thread_ns();
		for (unsigned i = 0; i < bn->n; i++)
			blob_decode(&bn->dec, bn->s[i].blob.data, bn->s[i].blob.len, NULL);
		double t1 = thread_ns();
		if (r == 0 || t1 - t0 < best_dec)
			best_dec = t1 - t0;
	}
	bn->enc_ns += best_enc;
	bn->dec_ns += best_dec;
	for (unsigned i = 0; i < bn->n; i++) {
		struct slot *s = &bn->s[i];
		struct update_error err;
		const char *what = NULL;
		if (bn->encode_only)
			;
		else if (blob_decode(&bn->dec, s->blob.data, s->blob.len, &err))
			what = err.msg;
		else
			what = update_diff(&s->ub.u, &bn->dec.u);
		if (what && bn->failed++ < 10) {
			fprintf(stderr, "bench_blob: update %llu does not round-trip: %s\n",
				(unsigned long long)(bn->updates + i), what);
		}
		bn->packets += s->ub.u.n_packets;
		bn->blob_bytes += s->blob.len;
		if (bn->out) {
			uint8_t len[4] = { (uint8_t)s->blob.len, (uint8_t)(s->blob.len >> 8),
					   (uint8_t)(s->blob.len >> 16), (uint8_t)(s->blob.len >> 24) };
			fwrite(len, 1, 4, bn->out);
			fwrite(s->blob.data, 1, s->blob.len, bn->out);
		}
	}
	bn->updates += bn->n;
	bn->n = 0;
}

static int on_member(void *arg, const struct tarball_member *m)
{
	struct bench *bn = arg;
	if (m->reject)
		return 0;
	struct slot *s = &bn->s[bn->n];
	buf_reset(&s->text);
	buf_append(&s->text, m->data, m->len);
	if (update_parse(&s->ub, s->text.data, s->text.len, NULL))
		return 0;
	bn->text_bytes += m->len;
	if (++bn->n == BATCH)
		run_batch(bn);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	struct bench *bn = xcalloc(1, sizeof(*bn));
	const char *out_path = NULL;
	bn->repeat = 5;
	int c;
	while ((c = getopt(argc, argv, "r:o:n")) != -1) {
		if (c == 'r' && atoi(optarg) > 0)
			bn->repeat = (unsigned)atoi(optarg);
		else if (c == 'o')
			out_path = optarg;
		else if (c == 'n')
			bn->encode_only = 1;
		else
			goto usage;
	}
	if (argc - optind != 1)
		goto usage;
	const char *dir = argv[optind];
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return 1;
	}
	char **names = NULL;
	uint32_t nnames = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".tar"))
			continue;
		xgrow((void **)&names, &cap, nnames + 1, sizeof(*names));
		names[nnames++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, nnames, sizeof(*names), cmp_str);

	if (out_path && !(bn->out = fopen(out_path, "wb"))) {
		perror(out_path);
		return 1;
	}
	for (unsigned i = 0; i < BATCH; i++) {
		buf_init(&bn->s[i].text);
		update_buf_init(&bn->s[i].ub);
		buf_init(&bn->s[i].blob);
	}
	update_buf_init(&bn->dec);
	bn->codec = blob_codec_new();
	struct tarball_reader *tr = tarball_reader_new();
	struct buf path, err;
	buf_init(&path);
	buf_init(&err);
	for (uint32_t i = 0; i < nnames; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s", dir, names[i]);
		buf_reset(&err);
		if (tarball_walk(tr, path.data, on_member, bn, &err)) {
			fprintf(stderr, "bench_blob: %s\n", err.data);
			bn->failed = 1;
		}
		free(names[i]);
	}
	if (bn->n)
		run_batch(bn);
	free(names);
	if (bn->out && fclose(bn->out)) {
		perror(out_path);
		bn->failed = 1;
	}

	double u = bn->updates ? (double)bn->updates : 1, p = bn->packets ? (double)bn->packets : 1;
	printf("blob: updates %llu, packets %llu, text bytes %llu, blob bytes %llu, "
	       "encode ns/update %.0f, decode ns/update %.0f, encode ns/packet %.1f\n",
	       (unsigned long long)bn->updates, (unsigned long long)bn->packets,
	       (unsigned long long)bn->text_bytes, (unsigned long long)bn->blob_bytes,
	       bn->enc_ns / u, bn->dec_ns / u, bn->enc_ns / p);

	tarball_reader_free(tr);
	blob_codec_free(bn->codec);
	update_buf_release(&bn->dec);
	for (unsigned i = 0; i < BATCH; i++) {
		buf_release(&bn->s[i].text);
		update_buf_release(&bn->s[i].ub);
		buf_release(&bn->s[i].blob);
	}
	buf_release(&path);
	buf_release(&err);
	int failed = bn->failed;
	free(bn);
	return failed ? 1 : 0;
usage:
	fputs("usage: bench_blob [-r REPEAT] [-o BLOBS] [-n] DIR\n", stderr);
	return 2;
}
