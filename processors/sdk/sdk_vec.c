/*
 * processors/sdk/sdk_vec.c: the growable vector (struct bpass_vec), its
 * saved form [elem_size, bin], and sdk_grow, the doubling growth every SDK
 * array uses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sdk_internal.h"

void *sdk_grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (p && need <= *cap)
		return p;
	if (!size)
		size = 1;
	size_t n = *cap ? *cap : 8;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			goto too_big;
		n *= 2;
	}
	if (n > SIZE_MAX / size)
		goto too_big;
	void *np = realloc(p, n * size);
	if (!np)
		return NULL;
	*cap = n;
	return np;
too_big:
	errno = ENOMEM;
	return NULL;
}

void bpass_vec_init(struct bpass_vec *v, size_t elem_size)
{
	v->data = NULL;
	v->n = v->cap = 0;
	v->elem_size = elem_size;
}

void bpass_vec_release(struct bpass_vec *v)
{
	free(v->data);
	bpass_vec_init(v, v->elem_size);
}

void bpass_vec_clear(struct bpass_vec *v)
{
	v->n = 0;
}

int bpass_vec_reserve(struct bpass_vec *v, size_t n)
{
	if (!v->elem_size) {
		errno = EINVAL;
		return -1;
	}
	if (n == 0)
		return 0;
	void *p = sdk_grow(v->data, &v->cap, n, v->elem_size);
	if (!p)
		return -1;
	v->data = p;
	return 0;
}

void *bpass_vec_push(struct bpass_vec *v)
{
	if (v->n == SIZE_MAX || bpass_vec_reserve(v, v->n + 1))
		return NULL;
	void *e = bpass_vec_at(v, v->n++);
	memset(e, 0, v->elem_size);
	return e;
}

int bpass_vec_save(const struct bpass_vec *v, struct bpass_writer *w)
{
	if (v->n > UINT32_MAX / (v->elem_size ? v->elem_size : 1)) {
		errno = EINVAL;   /* msgpack binaries hold at most 4 GiB */
		return -1;
	}
	w->array(w, 2);
	w->u64(w, v->elem_size);
	w->bin(w, v->data ? v->data : "", v->n * v->elem_size);
	return 0;
}

int bpass_vec_load(struct bpass_vec *v, struct bpass_reader *r)
{
	struct bpass_read rd;
	bpass_read_init(&rd, r);
	v->n = 0;
	bpass_read_expect_array(&rd, 2);
	if (bpass_read_u64(&rd) != v->elem_size && !rd.failed)
		bpass_read_fail(&rd, "another element size");
	const void *p = NULL;
	size_t len = 0;
	if (!rd.failed && rd.r->bin(rd.r, &p, &len))
		bpass_read_fail(&rd, "not a binary");
	if (!rd.failed && (!v->elem_size || len % v->elem_size))
		bpass_read_fail(&rd, "a partial element");
	if (!rd.failed && bpass_vec_reserve(v, len / v->elem_size))
		return -1;
	if (rd.failed)
		return bpass_read_ok(&rd);
	if (len)
		memcpy(v->data, p, len);
	v->n = len / v->elem_size;
	return 0;
}
