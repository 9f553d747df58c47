/*
 * processors/serial.c: strict value readers for load callbacks (see serial.h).
 */
#include "serial.h"

#include <string.h>

int serial_array(struct bpass_reader *r, uint32_t n)
{
	uint32_t got;
	if (r->array(r, &got) || got != n)
		return -1;
	return 0;
}

int serial_array_any(struct bpass_reader *r, uint32_t *n)
{
	return r->array(r, n) ? -1 : 0;
}

int serial_i64(struct bpass_reader *r, int64_t min, int64_t max, int64_t *v)
{
	int64_t x;
	if (r->i64(r, &x) || x < min || x > max)
		return -1;
	*v = x;
	return 0;
}

int serial_u64(struct bpass_reader *r, uint64_t max, uint64_t *v)
{
	uint64_t x;
	if (r->u64(r, &x) || x > max)
		return -1;
	*v = x;
	return 0;
}

int serial_u32(struct bpass_reader *r, uint32_t *v)
{
	uint64_t x;
	if (serial_u64(r, UINT32_MAX, &x))
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int serial_i32(struct bpass_reader *r, int32_t *v)
{
	int64_t x;
	if (serial_i64(r, INT32_MIN, INT32_MAX, &x))
		return -1;
	*v = (int32_t)x;
	return 0;
}

int serial_u8(struct bpass_reader *r, uint8_t *v)
{
	uint64_t x;
	if (serial_u64(r, UINT8_MAX, &x))
		return -1;
	*v = (uint8_t)x;
	return 0;
}

int serial_bool(struct bpass_reader *r, bool *v)
{
	return r->boolean(r, v) ? -1 : 0;
}

int serial_str(struct bpass_reader *r, const char **s, size_t *len)
{
	const char *p;
	size_t n;
	if (r->str(r, &p, &n) || (n && memchr(p, 0, n)))
		return -1;
	*s = n ? p : "";
	*len = n;
	return 0;
}

void serial_put_str(struct bpass_writer *w, const struct strtab *t, uint32_t id)
{
	w->str(w, strtab_str(t, id), strtab_len(t, id));
}
