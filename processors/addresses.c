/*
 * processors/addresses.c: the "addresses" processor (MAC address
 * correlation, processors.md): per session, ip -> MAC and ip -> address-table
 * id, where line k of an update's address table has id
 * (FIRST_ID + k) mod CAPACITY; the latest announcement wins. No global
 * result; its figure "ip_mac_mappings" is the number of distinct IPs.
 *
 * Both maps share their keys (every announcement sets both), so the state is
 * one map ip -> (mac, id). Besides, id -> the MAC of the id's latest
 * announcement, for ctx->device_of (views.h): when the ring of ids wraps,
 * several ips keep the same id in the first map, and only the order of the
 * announcements tells which device the id names now.
 *
 * Version 2 (version 1 had no id map, so its states are declined and the
 * session recomputed). Saved as [ips, ids]: ips an array of [ip, mac, id]
 * sorted by ip, ids an array of [id, mac] sorted by id.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "builtin.h"
#include "correlation.h"
#include "serial.h"

int addresses_id_of(const struct addresses_state *s, const char *ip, uint32_t *id)
{
	uint32_t i = strtab_find(&s->ips, ip, strlen(ip));
	if (i == ITAB_NONE)
		return -1;
	*id = s->entries[i].id;
	return 0;
}

static uint32_t device_hash(uint32_t id)
{
	return (uint32_t)itab_mix64((uint64_t)id + 3);
}

static uint32_t device_find(const struct addresses_state *s, uint32_t id)
{
	uint32_t h = device_hash(id), cur;
	for (uint32_t i = itab_find(&s->device_index, h, &cur); i != ITAB_NONE;
	     i = itab_find_next(&s->device_index, h, &cur))
		if (s->devices[i].id == id)
			return i;
	return ITAB_NONE;
}

const char *addresses_device(const struct addresses_state *s, uint32_t id)
{
	uint32_t i = device_find(s, id);
	return i == ITAB_NONE ? NULL : strtab_str(&s->macs, s->devices[i].mac);
}

/* Id `id` now names MAC `mac`. Returns 1 when the id is new, else 0. */
static int device_set(struct addresses_state *s, uint32_t id, uint32_t mac)
{
	uint32_t i = device_find(s, id);
	int created = i == ITAB_NONE;
	if (created) {
		xgrow((void **)&s->devices, &s->cap_devices, s->n_devices + 1, sizeof(*s->devices));
		i = s->n_devices++;
		s->devices[i].id = id;
		itab_insert(&s->device_index, device_hash(id), i);
	}
	s->devices[i].mac = mac;
	return created;
}

static void addresses_set(struct addresses_state *s, uint32_t ip, uint32_t mac, uint32_t id)
{
	xgrow((void **)&s->entries, &s->cap, ip + 1, sizeof(*s->entries));
	s->entries[ip].mac = mac;
	s->entries[ip].id = id;
}

static void *addresses_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	struct addresses_state *s = xcalloc(1, sizeof(*s));
	strtab_init(&s->ips);
	strtab_init(&s->macs);
	itab_init(&s->device_index);
	return s;
}

static void addresses_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	struct addresses_state *s = state;
	if (!s)
		return;
	strtab_release(&s->ips);
	strtab_release(&s->macs);
	free(s->entries);
	itab_release(&s->device_index);
	free(s->devices);
	free(s);
}

static int addresses_process(struct bpass_ctx *ctx, void *state, void *eph,
			     const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	struct addresses_state *s = state;
	for (uint32_t k = 0; k < u->n_addresses; k++) {
		const struct bpass_address *a = &u->addresses[k];
		uint64_t id = (uint64_t)u->addresses_first_id + k;
		/* CAPACITY is always 256 as written; a 0 would divide by zero */
		if (u->addresses_capacity)
			id %= u->addresses_capacity;
		uint32_t ip = strtab_intern(&s->ips, a->ip, strlen(a->ip));
		uint32_t mac = strtab_intern(&s->macs, a->mac, strlen(a->mac));
		addresses_set(s, ip, mac, (uint32_t)id);
		device_set(s, (uint32_t)id, mac);
	}
	return 0;
}

static int addresses_cmp_ip(const void *a, const void *b, void *arg)
{
	return strtab_cmp(arg, *(const uint32_t *)a, *(const uint32_t *)b);
}

static int addresses_cmp_device(const void *a, const void *b)
{
	const struct addresses_device *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static int addresses_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	const struct addresses_state *s = state;
	uint32_t n = s->ips.n;
	uint32_t *order = xmalloc((size_t)n * sizeof(*order) + 1);
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), addresses_cmp_ip, (void *)&s->ips);
	w->array(w, 2);
	w->array(w, n);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t ip = order[k], mac = s->entries[ip].mac;
		w->array(w, 3);
		w->str(w, strtab_str(&s->ips, ip), strtab_len(&s->ips, ip));
		w->str(w, strtab_str(&s->macs, mac), strtab_len(&s->macs, mac));
		w->u64(w, s->entries[ip].id);
	}
	free(order);
	struct addresses_device *devices =
		xmalloc((size_t)s->n_devices * sizeof(*devices) + 1);
	if (s->n_devices)
		memcpy(devices, s->devices, (size_t)s->n_devices * sizeof(*devices));
	qsort(devices, s->n_devices, sizeof(*devices), addresses_cmp_device);
	w->array(w, s->n_devices);
	for (uint32_t k = 0; k < s->n_devices; k++) {
		w->array(w, 2);
		w->u64(w, devices[k].id);
		w->str(w, strtab_str(&s->macs, devices[k].mac), strtab_len(&s->macs, devices[k].mac));
	}
	free(devices);
	return 0;
}

static int addresses_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
			  struct bpass_reader *r)
{
	(void)ctx;
	struct addresses_state *s = state;
	uint32_t n;
	if (saved_version != 2 || serial_array(r, 2) || serial_array_any(r, &n))
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		const char *ip, *mac;
		size_t ip_len, mac_len;
		uint32_t id;
		if (serial_array(r, 3) || serial_str(r, &ip, &ip_len) ||
		    serial_str(r, &mac, &mac_len) || serial_u32(r, &id))
			return -1;
		uint32_t before = s->ips.n;
		uint32_t ip_id = strtab_intern(&s->ips, ip, ip_len);
		if (s->ips.n == before)
			return -1;  /* an ip twice */
		addresses_set(s, ip_id, strtab_intern(&s->macs, mac, mac_len), id);
	}
	if (serial_array_any(r, &n))
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		const char *mac;
		size_t mac_len;
		uint32_t id;
		if (serial_array(r, 2) || serial_u32(r, &id) || serial_str(r, &mac, &mac_len) ||
		    !device_set(s, id, strtab_intern(&s->macs, mac, mac_len)))
			return -1;  /* malformed, or an id twice */
	}
	return 0;
}

static int addresses_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
			     struct bpass_figures *f)
{
	(void)ctx;
	(void)eph;
	const struct addresses_state *s = state;
	f->add(f, "ip_mac_mappings", s->ips.n);
	return 0;
}

const struct bpass_processor proc_addresses = {
	BPASS_PROCESSOR_HEADER,
	.name = "addresses",
	.version = 2,
	.description = "MAC address correlation: ip to MAC and to address-table id, latest wins",
	.session_new = addresses_new,
	.session_free = addresses_free,
	.process = addresses_process,
	.save = addresses_save,
	.load = addresses_load,
	.session_figures = addresses_figures,
};
