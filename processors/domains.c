/*
 * processors/domains.c: the "domains" processor (DNS correlation,
 * processors.md), and the machinery it shares with whitelisted-domains.
 *
 * Session state: (address_id, ip) -> set of (anonymized, domain, start_us,
 * end_us), plus the private map (address_id, anonymized, domain) -> remembered
 * A records (ip, ttl, ta) used to resolve CNAMEs, and L, the latest update
 * timestamp, for expiry. Per update: every A record whose PKTID indexes a
 * packet of the update is remembered and adds (anon, domain, t, t + ttl);
 * then every CNAME (time c) adds, for each A record (a, ta) remembered under
 * its target, (domain_anon, domain, max(c, ta), min(c + cname_ttl, ta + a_ttl))
 * when start <= end; then, if the update's timestamp is more than 30 s after
 * L, records with end < L and A records with ta + ttl < L are dropped (empty
 * keys too), and L becomes the timestamp. At the end of a run the same expiry
 * runs with L = the last update's timestamp. All times are int64 µs.
 *
 * Sets are linked lists through arrays with free lists (no per-entry
 * allocation), an itab for duplicate detection, and min-heaps on end times
 * for expiry (see correlation.h). Saved canonically (everything sorted) as
 * [has_L, L_us, [[address_id, ip, [[anon, domain, start, end]...]]...],
 *  [[address_id, anon, domain, [[ip, ttl, ta]...]]...], [whitelist...]].
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "builtin.h"
#include "correlation.h"
#include "serial.h"
#include "usec.h"

/* ---- hashing and lookups ---- */

static uint32_t key_hash(uint32_t address_id, uint32_t ip)
{
	return (uint32_t)itab_combine(itab_mix64(address_id), ip);
}

static uint32_t rec_hash(uint32_t key, uint8_t anon, uint32_t domain, int64_t start, int64_t end)
{
	uint64_t h = itab_combine(itab_mix64(key), anon);
	h = itab_combine(h, domain);
	h = itab_combine(h, (uint64_t)start);
	return (uint32_t)itab_combine(h, (uint64_t)end);
}

static uint32_t akey_hash(uint32_t address_id, uint8_t anon, uint32_t domain)
{
	return (uint32_t)itab_combine(itab_combine(itab_mix64(address_id), anon), domain);
}

static uint32_t arec_hash(uint32_t akey, uint32_t ip, int32_t ttl, int64_t ta)
{
	uint64_t h = itab_combine(itab_mix64(akey), ip);
	h = itab_combine(h, (uint32_t)ttl);
	return (uint32_t)itab_combine(h, (uint64_t)ta);
}

static uint32_t key_lookup(const struct domains_state *s, uint32_t address_id, uint32_t ip)
{
	uint32_t h = key_hash(address_id, ip), cur;
	for (uint32_t i = itab_find(&s->key_index, h, &cur); i != ITAB_NONE;
	     i = itab_find_next(&s->key_index, h, &cur))
		if (s->keys[i].address_id == address_id && s->keys[i].ip == ip)
			return i;
	return ITAB_NONE;
}

static uint32_t akey_lookup(const struct domains_state *s, uint32_t address_id, uint8_t anon,
			    uint32_t domain)
{
	uint32_t h = akey_hash(address_id, anon, domain), cur;
	for (uint32_t i = itab_find(&s->akey_index, h, &cur); i != ITAB_NONE;
	     i = itab_find_next(&s->akey_index, h, &cur)) {
		const struct domains_akey *k = &s->akeys[i];
		if (k->address_id == address_id && k->anon == anon && k->domain == domain)
			return i;
	}
	return ITAB_NONE;
}

uint32_t domains_find(const struct domains_state *s, uint32_t address_id, const char *ip)
{
	uint32_t ip_id = strtab_find(&s->names, ip, strlen(ip));
	return ip_id == ITAB_NONE ? ITAB_NONE : key_lookup(s, address_id, ip_id);
}

uint32_t domains_find_akey(const struct domains_state *s, uint32_t address_id, uint8_t anon,
			   const char *name)
{
	uint32_t id = strtab_find(&s->names, name, strlen(name));
	return id == ITAB_NONE ? ITAB_NONE : akey_lookup(s, address_id, anon, id);
}

/* ---- state ---- */

void domains_state_init(struct domains_state *s)
{
	memset(s, 0, sizeof(*s));
	strtab_init(&s->names);
	strtab_init(&s->whitelist);
	itab_init(&s->key_index);
	itab_init(&s->rec_index);
	itab_init(&s->akey_index);
	itab_init(&s->arec_index);
	s->free_keys = s->free_recs = s->free_akeys = s->free_arecs = ITAB_NONE;
}

void domains_state_release(struct domains_state *s)
{
	strtab_release(&s->names);
	strtab_release(&s->whitelist);
	itab_release(&s->key_index);
	itab_release(&s->rec_index);
	itab_release(&s->akey_index);
	itab_release(&s->arec_index);
	free(s->keys);
	free(s->recs);
	free(s->akeys);
	free(s->arecs);
	free(s->rec_expiry.v);
	free(s->arec_expiry.v);
	free(s->whitelist_name);
	domains_state_init(s);
}

/* ---- the expiry heaps ---- */

static void heap_push(struct domains_heap *h, int64_t t, uint32_t pos)
{
	xgrow((void **)&h->v, &h->cap, h->n + 1, sizeof(*h->v));
	uint32_t i = h->n++;
	while (i > 0 && h->v[(i - 1) / 2].t_us > t) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i].t_us = t;
	h->v[i].pos = pos;
}

static void heap_pop(struct domains_heap *h)
{
	struct domains_expiry last = h->v[--h->n];
	uint32_t i = 0;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1].t_us < h->v[c].t_us)
			c++;
		if (h->v[c].t_us >= last.t_us)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
}

/* ---- adding ---- */

static int64_t arec_end(int64_t ta_us, int32_t ttl)
{
	return usec_add(ta_us, usec_from_s(ttl));
}

int domains_add(struct domains_state *s, uint32_t address_id, uint32_t ip, uint8_t anon,
		uint32_t domain, int64_t start_us, int64_t end_us)
{
	uint32_t k = key_lookup(s, address_id, ip);
	if (k != ITAB_NONE) {
		uint32_t h = rec_hash(k, anon, domain, start_us, end_us), cur;
		for (uint32_t i = itab_find(&s->rec_index, h, &cur); i != ITAB_NONE;
		     i = itab_find_next(&s->rec_index, h, &cur)) {
			const struct domains_record *r = &s->recs[i];
			if (r->key == k && r->anon == anon && r->domain == domain &&
			    r->start_us == start_us && r->end_us == end_us)
				return 0;
		}
	} else {
		if (s->free_keys != ITAB_NONE) {
			k = s->free_keys;
			s->free_keys = s->keys[k].head;
		} else {
			xgrow((void **)&s->keys, &s->cap_keys, s->n_keys + 1, sizeof(*s->keys));
			k = s->n_keys++;
		}
		s->keys[k] = (struct domains_key){.address_id = address_id, .ip = ip, .head = ITAB_NONE};
		itab_insert(&s->key_index, key_hash(address_id, ip), k);
		s->live_keys++;
	}
	uint32_t i;
	if (s->free_recs != ITAB_NONE) {
		i = s->free_recs;
		s->free_recs = s->recs[i].next;
	} else {
		xgrow((void **)&s->recs, &s->cap_recs, s->n_recs + 1, sizeof(*s->recs));
		i = s->n_recs++;
	}
	struct domains_key *key = &s->keys[k];
	s->recs[i] = (struct domains_record){.start_us = start_us, .end_us = end_us, .key = k,
					     .domain = domain, .next = key->head, .prev = ITAB_NONE,
					     .anon = anon};
	if (key->head != ITAB_NONE)
		s->recs[key->head].prev = i;
	key->head = i;
	key->n++;
	s->live_recs++;
	itab_insert(&s->rec_index, rec_hash(k, anon, domain, start_us, end_us), i);
	heap_push(&s->rec_expiry, end_us, i);
	return 1;
}

int domains_remember(struct domains_state *s, uint32_t address_id, uint8_t anon,
		     uint32_t domain, uint32_t ip, int32_t ttl, int64_t ta_us)
{
	uint32_t k = akey_lookup(s, address_id, anon, domain);
	if (k != ITAB_NONE) {
		uint32_t h = arec_hash(k, ip, ttl, ta_us), cur;
		for (uint32_t i = itab_find(&s->arec_index, h, &cur); i != ITAB_NONE;
		     i = itab_find_next(&s->arec_index, h, &cur)) {
			const struct domains_arec *a = &s->arecs[i];
			if (a->akey == k && a->ip == ip && a->ttl == ttl && a->ta_us == ta_us)
				return 0;
		}
	} else {
		if (s->free_akeys != ITAB_NONE) {
			k = s->free_akeys;
			s->free_akeys = s->akeys[k].head;
		} else {
			xgrow((void **)&s->akeys, &s->cap_akeys, s->n_akeys + 1, sizeof(*s->akeys));
			k = s->n_akeys++;
		}
		s->akeys[k] = (struct domains_akey){.address_id = address_id, .domain = domain,
						    .head = ITAB_NONE, .anon = anon};
		itab_insert(&s->akey_index, akey_hash(address_id, anon, domain), k);
		s->live_akeys++;
	}
	uint32_t i;
	if (s->free_arecs != ITAB_NONE) {
		i = s->free_arecs;
		s->free_arecs = s->arecs[i].next;
	} else {
		xgrow((void **)&s->arecs, &s->cap_arecs, s->n_arecs + 1, sizeof(*s->arecs));
		i = s->n_arecs++;
	}
	struct domains_akey *key = &s->akeys[k];
	s->arecs[i] = (struct domains_arec){.ta_us = ta_us, .akey = k, .ip = ip, .next = key->head,
					    .prev = ITAB_NONE, .ttl = ttl};
	if (key->head != ITAB_NONE)
		s->arecs[key->head].prev = i;
	key->head = i;
	key->n++;
	s->live_arecs++;
	itab_insert(&s->arec_index, arec_hash(k, ip, ttl, ta_us), i);
	heap_push(&s->arec_expiry, arec_end(ta_us, ttl), i);
	return 1;
}

int domains_whitelist_add(struct domains_state *s, const char *w, size_t len)
{
	uint32_t before = s->whitelist.n;
	uint32_t i = strtab_intern(&s->whitelist, w, len);
	if (s->whitelist.n == before)
		return 0;
	xgrow((void **)&s->whitelist_name, &s->cap_whitelist, i + 1, sizeof(*s->whitelist_name));
	s->whitelist_name[i] = strtab_intern(&s->names, w, len);
	return 1;
}

/* ---- expiry ---- */

static void drop_record(struct domains_state *s, uint32_t i)
{
	struct domains_record *r = &s->recs[i];
	struct domains_key *key = &s->keys[r->key];
	itab_remove(&s->rec_index, rec_hash(r->key, r->anon, r->domain, r->start_us, r->end_us), i);
	if (r->prev != ITAB_NONE)
		s->recs[r->prev].next = r->next;
	else
		key->head = r->next;
	if (r->next != ITAB_NONE)
		s->recs[r->next].prev = r->prev;
	if (--key->n == 0) {
		itab_remove(&s->key_index, key_hash(key->address_id, key->ip), r->key);
		key->head = s->free_keys;
		s->free_keys = r->key;
		s->live_keys--;
	}
	r->key = ITAB_NONE;
	r->next = s->free_recs;
	s->free_recs = i;
	s->live_recs--;
}

static void drop_arec(struct domains_state *s, uint32_t i)
{
	struct domains_arec *a = &s->arecs[i];
	struct domains_akey *key = &s->akeys[a->akey];
	itab_remove(&s->arec_index, arec_hash(a->akey, a->ip, a->ttl, a->ta_us), i);
	if (a->prev != ITAB_NONE)
		s->arecs[a->prev].next = a->next;
	else
		key->head = a->next;
	if (a->next != ITAB_NONE)
		s->arecs[a->next].prev = a->prev;
	if (--key->n == 0) {
		itab_remove(&s->akey_index, akey_hash(key->address_id, key->anon, key->domain), a->akey);
		key->head = s->free_akeys;
		s->free_akeys = a->akey;
		s->live_akeys--;
	}
	a->akey = ITAB_NONE;
	a->next = s->free_arecs;
	s->free_arecs = i;
	s->live_arecs--;
}

void domains_expire(struct domains_state *s, int64_t l_us)
{
	/* every live entry has exactly one heap entry, popped when it is dropped */
	while (s->rec_expiry.n && s->rec_expiry.v[0].t_us < l_us) {
		uint32_t i = s->rec_expiry.v[0].pos;
		heap_pop(&s->rec_expiry);
		drop_record(s, i);
	}
	while (s->arec_expiry.n && s->arec_expiry.v[0].t_us < l_us) {
		uint32_t i = s->arec_expiry.v[0].pos;
		heap_pop(&s->arec_expiry);
		drop_arec(s, i);
	}
}

void domains_advance(struct domains_state *s, int64_t ts_s)
{
	int64_t ts = usec_from_s(ts_s);
	if (s->has_latest && usec_sub(ts, s->latest_us) > 30 * USEC_PER_S)
		domains_expire(s, s->latest_us);
	/* with L = minus infinity nothing can expire, so the first update skips it */
	s->has_latest = true;
	s->latest_us = ts;
}

void domains_finish(struct domains_state *s)
{
	if (s->has_latest)
		domains_expire(s, s->latest_us);
}

/* ---- save and load ---- */

static int cmp_i64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_key(const void *a, const void *b, void *arg)
{
	const struct domains_state *s = arg;
	const struct domains_key *x = &s->keys[*(const uint32_t *)a], *y = &s->keys[*(const uint32_t *)b];
	if (x->address_id != y->address_id)
		return x->address_id < y->address_id ? -1 : 1;
	return strtab_cmp(&s->names, x->ip, y->ip);
}

static int cmp_rec(const void *a, const void *b, void *arg)
{
	const struct domains_state *s = arg;
	const struct domains_record *x = &s->recs[*(const uint32_t *)a];
	const struct domains_record *y = &s->recs[*(const uint32_t *)b];
	if (x->anon != y->anon)
		return x->anon < y->anon ? -1 : 1;
	int c = strtab_cmp(&s->names, x->domain, y->domain);
	if (c)
		return c;
	c = cmp_i64(x->start_us, y->start_us);
	return c ? c : cmp_i64(x->end_us, y->end_us);
}

static int cmp_akey(const void *a, const void *b, void *arg)
{
	const struct domains_state *s = arg;
	const struct domains_akey *x = &s->akeys[*(const uint32_t *)a];
	const struct domains_akey *y = &s->akeys[*(const uint32_t *)b];
	if (x->address_id != y->address_id)
		return x->address_id < y->address_id ? -1 : 1;
	if (x->anon != y->anon)
		return x->anon < y->anon ? -1 : 1;
	return strtab_cmp(&s->names, x->domain, y->domain);
}

static int cmp_arec(const void *a, const void *b, void *arg)
{
	const struct domains_state *s = arg;
	const struct domains_arec *x = &s->arecs[*(const uint32_t *)a];
	const struct domains_arec *y = &s->arecs[*(const uint32_t *)b];
	int c = strtab_cmp(&s->names, x->ip, y->ip);
	if (c)
		return c;
	c = cmp_i64(x->ttl, y->ttl);
	return c ? c : cmp_i64(x->ta_us, y->ta_us);
}

static int cmp_str(const void *a, const void *b, void *arg)
{
	return strtab_cmp(arg, *(const uint32_t *)a, *(const uint32_t *)b);
}

static uint32_t *iota(uint32_t n)
{
	uint32_t *v = xmalloc((size_t)n * sizeof(*v) + 1);
	for (uint32_t i = 0; i < n; i++)
		v[i] = i;
	return v;
}

int domains_save(const struct domains_state *s, struct bpass_writer *w)
{
	void *arg = (void *)s;
	uint32_t max_list = 0, n_keys = 0, n_akeys = 0;
	uint32_t *order = xmalloc((size_t)s->n_keys * sizeof(*order) + 1);
	for (uint32_t k = 0; k < s->n_keys; k++)
		if (s->keys[k].n) {
			order[n_keys++] = k;
			if (s->keys[k].n > max_list)
				max_list = s->keys[k].n;
		}
	uint32_t *aorder = xmalloc((size_t)s->n_akeys * sizeof(*aorder) + 1);
	for (uint32_t k = 0; k < s->n_akeys; k++)
		if (s->akeys[k].n) {
			aorder[n_akeys++] = k;
			if (s->akeys[k].n > max_list)
				max_list = s->akeys[k].n;
		}
	uint32_t *list = xmalloc((size_t)max_list * sizeof(*list) + 1);

	w->array(w, 5);
	w->boolean(w, s->has_latest);
	w->i64(w, s->has_latest ? s->latest_us : 0);

	qsort_r(order, n_keys, sizeof(*order), cmp_key, arg);
	w->array(w, n_keys);
	for (uint32_t k = 0; k < n_keys; k++) {
		const struct domains_key *key = &s->keys[order[k]];
		uint32_t n = 0;
		for (uint32_t i = key->head; i != ITAB_NONE; i = s->recs[i].next)
			list[n++] = i;
		qsort_r(list, n, sizeof(*list), cmp_rec, arg);
		w->array(w, 3);
		w->u64(w, key->address_id);
		serial_put_str(w, &s->names, key->ip);
		w->array(w, n);
		for (uint32_t j = 0; j < n; j++) {
			const struct domains_record *r = &s->recs[list[j]];
			w->array(w, 4);
			w->u64(w, r->anon);
			serial_put_str(w, &s->names, r->domain);
			w->i64(w, r->start_us);
			w->i64(w, r->end_us);
		}
	}
	free(order);

	qsort_r(aorder, n_akeys, sizeof(*aorder), cmp_akey, arg);
	w->array(w, n_akeys);
	for (uint32_t k = 0; k < n_akeys; k++) {
		const struct domains_akey *key = &s->akeys[aorder[k]];
		uint32_t n = 0;
		for (uint32_t i = key->head; i != ITAB_NONE; i = s->arecs[i].next)
			list[n++] = i;
		qsort_r(list, n, sizeof(*list), cmp_arec, arg);
		w->array(w, 4);
		w->u64(w, key->address_id);
		w->u64(w, key->anon);
		serial_put_str(w, &s->names, key->domain);
		w->array(w, n);
		for (uint32_t j = 0; j < n; j++) {
			const struct domains_arec *a = &s->arecs[list[j]];
			w->array(w, 3);
			serial_put_str(w, &s->names, a->ip);
			w->i64(w, a->ttl);
			w->i64(w, a->ta_us);
		}
	}
	free(aorder);

	order = iota(s->whitelist.n);
	qsort_r(order, s->whitelist.n, sizeof(*order), cmp_str, (void *)&s->whitelist);
	w->array(w, s->whitelist.n);
	for (uint32_t i = 0; i < s->whitelist.n; i++)
		serial_put_str(w, &s->whitelist, order[i]);
	free(order);
	free(list);
	return 0;
}

int domains_load(struct domains_state *s, struct bpass_reader *r)
{
	uint32_t n;
	int64_t latest;
	if (serial_array(r, 5) || serial_bool(r, &s->has_latest) ||
	    serial_i64(r, INT64_MIN, INT64_MAX, &latest))
		return -1;
	s->latest_us = s->has_latest ? latest : 0;

	if (serial_array_any(r, &n))
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t address_id, m;
		const char *ip;
		size_t ip_len;
		if (serial_array(r, 3) || serial_u32(r, &address_id) || serial_str(r, &ip, &ip_len) ||
		    serial_array_any(r, &m) || m == 0)
			return -1;
		uint32_t ip_id = strtab_intern(&s->names, ip, ip_len);
		if (key_lookup(s, address_id, ip_id) != ITAB_NONE)
			return -1;  /* a key twice */
		for (uint32_t j = 0; j < m; j++) {
			uint8_t anon;
			const char *d;
			size_t d_len;
			int64_t start, end;
			if (serial_array(r, 4) || serial_u8(r, &anon) || serial_str(r, &d, &d_len) ||
			    serial_i64(r, INT64_MIN, INT64_MAX, &start) ||
			    serial_i64(r, INT64_MIN, INT64_MAX, &end))
				return -1;
			if (!domains_add(s, address_id, ip_id, anon, strtab_intern(&s->names, d, d_len),
					 start, end))
				return -1;  /* a record twice */
		}
	}

	if (serial_array_any(r, &n))
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t address_id, m;
		uint8_t anon;
		const char *d;
		size_t d_len;
		if (serial_array(r, 4) || serial_u32(r, &address_id) || serial_u8(r, &anon) ||
		    serial_str(r, &d, &d_len) || serial_array_any(r, &m) || m == 0)
			return -1;
		uint32_t d_id = strtab_intern(&s->names, d, d_len);
		if (akey_lookup(s, address_id, anon, d_id) != ITAB_NONE)
			return -1;
		for (uint32_t j = 0; j < m; j++) {
			const char *ip;
			size_t ip_len;
			int32_t ttl;
			int64_t ta;
			if (serial_array(r, 3) || serial_str(r, &ip, &ip_len) || serial_i32(r, &ttl) ||
			    serial_i64(r, INT64_MIN, INT64_MAX, &ta))
				return -1;
			if (!domains_remember(s, address_id, anon, d_id,
					      strtab_intern(&s->names, ip, ip_len), ttl, ta))
				return -1;
		}
	}

	if (serial_array_any(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const char *w;
		size_t len;
		if (serial_str(r, &w, &len) || !domains_whitelist_add(s, w, len))
			return -1;
	}
	return 0;
}

/* ---- shared by domains and whitelisted-domains ---- */

void domains_join_cname(struct domains_state *s, uint32_t k, int64_t ct_us, int32_t ttl,
			uint8_t anon, uint32_t domain)
{
	int64_t cend = usec_add(ct_us, usec_from_s(ttl));
	for (uint32_t j = s->akeys[k].head; j != ITAB_NONE; j = s->arecs[j].next) {
		const struct domains_arec *a = &s->arecs[j];
		int64_t start = ct_us > a->ta_us ? ct_us : a->ta_us;
		int64_t aend = arec_end(a->ta_us, a->ttl);
		int64_t end = cend < aend ? cend : aend;
		if (start <= end)
			domains_add(s, s->akeys[k].address_id, a->ip, anon, domain, start, end);
	}
}

void *domains_session_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	struct domains_state *s = xmalloc(sizeof(*s));
	domains_state_init(s);
	return s;
}

void domains_session_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	if (!state)
		return;
	domains_state_release(state);
	free(state);
}

int domains_session_complete(struct bpass_ctx *ctx, void *state, void *eph)
{
	(void)ctx;
	(void)eph;
	domains_finish(state);
	return 0;
}

int domains_session_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	return domains_save(state, w);
}

int domains_session_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
			 struct bpass_reader *r)
{
	(void)ctx;
	if (saved_version != 1)
		return -1;
	return domains_load(state, r);
}

/* ---- the "domains" processor ---- */


static uint32_t intern(struct domains_state *s, const char *str)
{
	return strtab_intern(&s->names, str, strlen(str));
}

static int domains_process(struct bpass_ctx *ctx, void *state, void *eph,
			   const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	struct domains_state *s = state;
	for (uint32_t i = 0; i < u->n_a_records; i++) {
		const struct bpass_a_record *a = &u->a_records[i];
		if (a->packet_id >= u->n_packets)
			continue;
		int64_t t = u->packets[a->packet_id].time_us;
		uint32_t ip = intern(s, a->ip), domain = intern(s, a->domain);
		domains_remember(s, a->address_id, a->anonymized, domain, ip, a->ttl, t);
		domains_add(s, a->address_id, ip, a->anonymized, domain, t,
			    usec_add(t, usec_from_s(a->ttl)));
	}
	for (uint32_t i = 0; i < u->n_cname_records; i++) {
		const struct bpass_cname_record *c = &u->cname_records[i];
		if (c->packet_id >= u->n_packets)
			continue;
		uint32_t k = domains_find_akey(s, c->address_id, c->cname_anonymized, c->cname);
		if (k == ITAB_NONE)
			continue;
		domains_join_cname(s, k, u->packets[c->packet_id].time_us, c->ttl,
				   c->domain_anonymized, intern(s, c->domain));
	}
	domains_advance(s, u->timestamp_s);
	return 0;
}

static int domains_figures(struct bpass_ctx *ctx, const void *state, const void *eph,
			   struct bpass_figures *f)
{
	(void)ctx;
	(void)eph;
	const struct domains_state *s = state;
	f->add(f, "ip_domain_keys", s->live_keys);
	f->add(f, "ip_domain_records", s->live_recs);
	return 0;
}

const struct bpass_processor proc_domains = {
	BPASS_PROCESSOR_HEADER,
	.name = "domains",
	.version = 1,
	.description = "DNS correlation: (address id, ip) to the domains and time windows that resolved to it",
	.session_new = domains_session_new,
	.session_free = domains_session_free,
	.process = domains_process,
	.session_complete = domains_session_complete,
	.save = domains_session_save,
	.load = domains_session_load,
	.session_figures = domains_figures,
};
