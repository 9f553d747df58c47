/*
 * processors/sdk/sdk_read.c: strict reading for load callbacks (struct
 * bpass_read): every value is checked for its type and range, and the first
 * failure is sticky, so a load callback reads everything and checks once.
 */
#include <errno.h>
#include <string.h>

#include "sdk_internal.h"

void bpass_read_init(struct bpass_read *rd, struct bpass_reader *r)
{
	rd->r = r;
	rd->failed = false;
	rd->error = NULL;
}

void bpass_read_fail(struct bpass_read *rd, const char *why)
{
	if (!rd->failed) {
		rd->failed = true;
		rd->error = why;
	}
}

int bpass_read_ok(const struct bpass_read *rd)
{
	if (!rd->failed)
		return 0;
	errno = EINVAL;
	return -1;
}

int bpass_read_end(struct bpass_read *rd)
{
	if (!rd->failed && !rd->r->at_end(rd->r))
		bpass_read_fail(rd, "values left unread");
	return bpass_read_ok(rd);
}

int64_t bpass_read_i64_range(struct bpass_read *rd, int64_t min, int64_t max)
{
	int64_t v;
	if (rd->failed)
		return 0;
	if (rd->r->i64(rd->r, &v)) {
		bpass_read_fail(rd, "not an integer in the int64 range");
		return 0;
	}
	if (v < min || v > max) {
		bpass_read_fail(rd, "integer out of range");
		return 0;
	}
	return v;
}

uint64_t bpass_read_u64_max(struct bpass_read *rd, uint64_t max)
{
	uint64_t v;
	if (rd->failed)
		return 0;
	if (rd->r->u64(rd->r, &v)) {
		bpass_read_fail(rd, "not an integer in the uint64 range");
		return 0;
	}
	if (v > max) {
		bpass_read_fail(rd, "integer out of range");
		return 0;
	}
	return v;
}

int64_t bpass_read_i64(struct bpass_read *rd)
{
	return bpass_read_i64_range(rd, INT64_MIN, INT64_MAX);
}

uint64_t bpass_read_u64(struct bpass_read *rd)
{
	return bpass_read_u64_max(rd, UINT64_MAX);
}

int32_t bpass_read_i32(struct bpass_read *rd)
{
	return (int32_t)bpass_read_i64_range(rd, INT32_MIN, INT32_MAX);
}

uint32_t bpass_read_u32(struct bpass_read *rd)
{
	return (uint32_t)bpass_read_u64_max(rd, UINT32_MAX);
}

uint16_t bpass_read_u16(struct bpass_read *rd)
{
	return (uint16_t)bpass_read_u64_max(rd, UINT16_MAX);
}

uint8_t bpass_read_u8(struct bpass_read *rd)
{
	return (uint8_t)bpass_read_u64_max(rd, UINT8_MAX);
}

bool bpass_read_bool(struct bpass_read *rd)
{
	bool v;
	if (rd->failed)
		return false;
	if (rd->r->boolean(rd->r, &v)) {
		bpass_read_fail(rd, "not a boolean");
		return false;
	}
	return v;
}

double bpass_read_f64(struct bpass_read *rd)
{
	double v;
	if (rd->failed)
		return 0;
	if (rd->r->f64(rd->r, &v)) {
		bpass_read_fail(rd, "not a number");
		return 0;
	}
	return v;
}

void bpass_read_nil(struct bpass_read *rd)
{
	if (!rd->failed && rd->r->nil(rd->r))
		bpass_read_fail(rd, "not nil");
}

uint32_t bpass_read_array(struct bpass_read *rd, uint32_t max)
{
	uint32_t n;
	if (rd->failed)
		return 0;
	if (rd->r->array(rd->r, &n)) {
		bpass_read_fail(rd, "not an array");
		return 0;
	}
	if (n > max) {
		bpass_read_fail(rd, "array too long");
		return 0;
	}
	return n;
}

void bpass_read_expect_array(struct bpass_read *rd, uint32_t n)
{
	uint32_t got;
	if (rd->failed)
		return;
	if (rd->r->array(rd->r, &got))
		bpass_read_fail(rd, "not an array");
	else if (got != n)
		bpass_read_fail(rd, "array of another length");
}

uint32_t bpass_read_map(struct bpass_read *rd, uint32_t max)
{
	uint32_t n;
	if (rd->failed)
		return 0;
	if (rd->r->map(rd->r, &n)) {
		bpass_read_fail(rd, "not a map");
		return 0;
	}
	if (n > max) {
		bpass_read_fail(rd, "map too long");
		return 0;
	}
	return n;
}

const char *bpass_read_str_ref(struct bpass_read *rd, size_t max, size_t *len)
{
	const char *s;
	size_t n;
	*len = 0;
	if (rd->failed)
		return NULL;
	if (rd->r->str(rd->r, &s, &n)) {
		bpass_read_fail(rd, "not a string");
		return NULL;
	}
	if (n > max) {
		bpass_read_fail(rd, "string too long");
		return NULL;
	}
	if (n && memchr(s, 0, n)) {
		bpass_read_fail(rd, "string with a NUL byte");
		return NULL;
	}
	*len = n;
	return n ? s : "";
}

size_t bpass_read_str(struct bpass_read *rd, char *dst, size_t cap)
{
	size_t len;
	if (cap == 0) {
		bpass_read_fail(rd, "no room for a string");
		return 0;
	}
	dst[0] = 0;
	const char *s = bpass_read_str_ref(rd, cap - 1, &len);
	if (!s)
		return 0;
	memcpy(dst, s, len);
	dst[len] = 0;
	return len;
}

void bpass_read_bin(struct bpass_read *rd, void *dst, size_t n)
{
	const void *p;
	size_t len;
	if (rd->failed)
		return;
	if (rd->r->bin(rd->r, &p, &len))
		bpass_read_fail(rd, "not a binary");
	else if (len != n)
		bpass_read_fail(rd, "binary of another length");
	else if (n)
		memcpy(dst, p, n);
}
