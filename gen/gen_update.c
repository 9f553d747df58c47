/*
 * gen/gen_update.c: writes a synthetic update as router text, version by
 * version (see gen_update.h). Numbers are formatted by hand into space
 * reserved in the output buffer: this is the generator's hot path.
 */
#include "gen_update.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_anon.h"

void gen_update_init(struct gen_update *u)
{
	memset(u, 0, sizeof(*u));
}

void gen_update_release(struct gen_update *u)
{
	free(u->packets);
	free(u->flows);
	free(u->a);
	free(u->cname);
	free(u->addrs);
	free(u->http);
	gen_update_init(u);
}

void gen_update_clear(struct gen_update *u)
{
	struct gen_update keep = *u;
	memset(u, 0, sizeof(*u));
	u->packets = keep.packets;
	u->cap_packets = keep.cap_packets;
	u->flows = keep.flows;
	u->cap_flows = keep.cap_flows;
	u->a = keep.a;
	u->cap_a = keep.cap_a;
	u->cname = keep.cname;
	u->cap_cname = keep.cap_cname;
	u->addrs = keep.addrs;
	u->cap_addrs = keep.cap_addrs;
	u->http = keep.http;
	u->cap_http = keep.cap_http;
}

static inline char *put_u(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static inline char *put_i(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u(p, (uint64_t)0 - (uint64_t)v);
	}
	return put_u(p, (uint64_t)v);
}

static inline char *put_s(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

/* Reserves room for `need` more bytes and returns the write pointer. */
static char *reserve(struct buf *out, size_t need)
{
	buf_reserve(out, need);
	return out->data + out->len;
}

static void commit(struct buf *out, char *p)
{
	out->len = (size_t)(p - out->data);
	out->data[out->len] = 0;
}

/* The longest name in the world, for reserving line space. */
#define NAME_ROOM 200

struct ctx {
	const struct gen_update *u;
	const struct gen_world *w;
	bool legacy;             /* v1-v2: clear values for whitelisted records */
	uint32_t clear_ips[64];  /* v1-v2: addresses of whitelisted A records */
	uint32_t n_clear;
};

static bool name_clear(const struct ctx *c, uint32_t name)
{
	return c->u->whitelist && c->w->names[name].whitelisted;
}

static bool ip_in_clear(const struct ctx *c, uint32_t ip)
{
	for (uint32_t i = 0; i < c->n_clear; i++)
		if (c->clear_ips[i] == ip)
			return true;
	return false;
}

/* Writes "FLAG IP" for a flow endpoint. */
static char *put_endpoint(const struct ctx *c, char *p, uint32_t ip)
{
	if (!c->u->anonymized) {
		p = put_s(p, "1 ");
		return gen_anon_clear_ip(p, ip);
	}
	if (c->legacy && ip_in_clear(c, ip)) {
		p = put_s(p, "0 ");
		return gen_anon_clear_ip(p, ip);
	}
	p = put_s(p, "1 ");
	return gen_anon_ip(p, c->u->key, ip);
}

/* Writes a domain field (clear or hashed) without its flag. */
static char *put_name(const struct ctx *c, char *p, uint32_t name, bool clear, uint64_t key)
{
	if (clear)
		return put_s(p, c->w->names[name].text);
	return gen_anon_name(p, key, c->w->names[name].hash);
}

static void write_intro(const struct ctx *c, struct buf *out)
{
	const struct gen_update *u = c->u;
	char *p = reserve(out, 256);
	if (u->flaw != GEN_FLAW_PREVERSION) {
		p = put_u(p, u->version);
		*p++ = '\n';
		p = put_s(p, u->build_id);
		*p++ = '\n';
	}
	p = put_s(p, u->node_id);
	*p++ = ' ';
	p = put_i(p, u->session_id);
	*p++ = ' ';
	p = put_i(p, u->seq);
	*p++ = ' ';
	p = put_i(p, u->now_s);
	*p++ = '\n';
	if (u->has_pcap && u->flaw != GEN_FLAW_PREVERSION) {
		for (int i = 0; i < 3; i++) {
			p = put_u(p, u->pcap[i]);
			*p++ = i < 2 ? ' ' : '\n';
		}
	}
	*p++ = '\n';
	commit(out, p);

	if (u->seq == 0 && u->whitelist) {
		for (uint32_t i = 0; i < c->w->n_whitelist; i++) {
			p = reserve(out, strlen(c->w->whitelist[i]) + 2);
			p = put_s(p, c->w->whitelist[i]);
			*p++ = '\n';
			commit(out, p);
		}
	}
	p = reserve(out, 64);
	*p++ = '\n';
	if (u->anonymized)
		p = gen_anon_signature(p, u->key);
	else
		p = put_s(p, "UNANONYMIZED");
	*p++ = '\n';
	*p++ = '\n';
	commit(out, p);
}

static void write_packets(const struct ctx *c, struct buf *out)
{
	const struct gen_update *u = c->u;
	char *p = reserve(out, 48 + (size_t)u->n_packets * 36);
	p = put_u(p, u->n_packets ? (uint64_t)u->packets[0].t_us : 0);
	*p++ = ' ';
	p = put_u(p, u->pkt_dropped);
	*p++ = '\n';
	int64_t prev = u->n_packets ? u->packets[0].t_us : 0;
	for (uint32_t i = 0; i < u->n_packets; i++) {
		const struct gen_packet *k = &u->packets[i];
		p = put_i(p, k->t_us - prev);
		prev = k->t_us;
		*p++ = ' ';
		p = put_u(p, k->size);
		*p++ = ' ';
		p = put_i(p, k->flow);
		*p++ = '\n';
	}
	*p++ = '\n';
	commit(out, p);
}

static void write_flows(const struct ctx *c, struct buf *out)
{
	const struct gen_update *u = c->u;
	char *p = reserve(out, 64 + (size_t)u->n_flows * 96);
	p = put_i(p, u->baseline_s);
	*p++ = ' ';
	p = put_u(p, u->occupancy);
	*p++ = ' ';
	p = put_u(p, u->expired);
	*p++ = ' ';
	p = put_u(p, u->flows_dropped);
	*p++ = '\n';
	for (uint32_t i = 0; i < u->n_flows; i++) {
		const struct gen_flow *f = &u->flows[i];
		p = put_i(p, f->id);
		*p++ = ' ';
		p = put_endpoint(c, p, f->sip);
		*p++ = ' ';
		p = put_endpoint(c, p, f->dip);
		*p++ = ' ';
		p = put_u(p, f->proto);
		*p++ = ' ';
		p = put_u(p, f->sport);
		*p++ = ' ';
		p = put_u(p, f->dport);
		*p++ = '\n';
	}
	*p++ = '\n';
	commit(out, p);
}

static void write_dns(const struct ctx *c, struct buf *out)
{
	const struct gen_update *u = c->u;
	char *p = reserve(out, 64 + (size_t)(u->n_a + 1) * (NAME_ROOM + 64));
	p = put_u(p, u->dns_dropped_a);
	*p++ = ' ';
	p = put_u(p, u->dns_dropped_cname);
	*p++ = '\n';
	bool malformed = u->flaw == GEN_FLAW_MALFORMED_A;
	for (uint32_t i = 0; i < u->n_a; i++) {
		const struct gen_a_record *a = &u->a[i];
		bool clear = name_clear(c, a->name);
		p = put_u(p, a->pkt);
		*p++ = ' ';
		p = put_u(p, a->addr);
		*p++ = ' ';
		*p++ = clear ? '0' : '1';
		*p++ = ' ';
		/* UNANONYMIZED builds hash non-whitelisted domains with an all-zero key (§6.7). */
		p = put_name(c, p, a->name, clear, u->anonymized ? u->key : 0);
		*p++ = ' ';
		if (!u->anonymized || (c->legacy && clear))
			p = gen_anon_clear_ip(p, a->ip);
		else
			p = gen_anon_ip(p, u->key, a->ip);
		if (malformed && i == 0) {
			*p++ = '\n';
			continue;
		}
		*p++ = ' ';
		p = put_i(p, a->ttl);
		*p++ = '\n';
	}
	if (malformed && u->n_a == 0) {
		p = put_s(p, "0 0 1 ");
		p = gen_anon_name(p, u->key, 0x6d616c666f726d64ull);
		*p++ = ' ';
		p = gen_anon_ip(p, u->key, 0x4a7de228u);
		*p++ = '\n';
	}
	*p++ = '\n';
	commit(out, p);

	p = reserve(out, 16 + (size_t)u->n_cname * (2 * NAME_ROOM + 64));
	for (uint32_t i = 0; i < u->n_cname; i++) {
		const struct gen_cname_record *r = &u->cname[i];
		p = put_u(p, r->pkt);
		*p++ = ' ';
		p = put_u(p, r->addr);
		*p++ = ' ';
		bool dclear = name_clear(c, r->name), cclear = name_clear(c, r->target);
		if (!u->anonymized)
			dclear = cclear = true;
		if (c->legacy) {
			/* One flag: both names clear if either is whitelisted. */
			bool clear = dclear || cclear;
			*p++ = clear ? '0' : '1';
			*p++ = ' ';
			p = put_name(c, p, r->name, clear, u->key);
			*p++ = ' ';
			p = put_name(c, p, r->target, clear, u->key);
		} else {
			*p++ = dclear ? '0' : '1';
			*p++ = ' ';
			p = put_name(c, p, r->name, dclear, u->key);
			*p++ = ' ';
			*p++ = cclear ? '0' : '1';
			*p++ = ' ';
			p = put_name(c, p, r->target, cclear, u->key);
		}
		*p++ = ' ';
		p = put_i(p, r->ttl);
		*p++ = '\n';
	}
	*p++ = '\n';
	commit(out, p);
}

static void write_addresses(const struct ctx *c, struct buf *out)
{
	const struct gen_update *u = c->u;
	char *p = reserve(out, 32 + (size_t)u->n_addrs * 40);
	p = put_u(p, u->addr_first);
	p = put_s(p, " 256\n");
	for (uint32_t i = 0; i < u->n_addrs; i++) {
		const struct gen_address *a = &u->addrs[i];
		if (u->anonymized) {
			p = gen_anon_mac(p, u->key, a->mac);
			*p++ = ' ';
			p = gen_anon_ip(p, u->key, a->ip);
		} else {
			p = gen_anon_raw_mac(p, a->mac);
			*p++ = ' ';
			p = gen_anon_clear_ip(p, a->ip);
		}
		*p++ = '\n';
	}
	*p++ = '\n';
	commit(out, p);
}

static void write_tail(const struct ctx *c, struct buf *out)
{
	const struct gen_update *u = c->u;
	if (u->has_drops) {
		if (u->drop_counts) {
			/* The writer's loop stops at 1499 (§4.9). */
			for (uint32_t s = 1; s < GEN_DROP_SIZES - 1; s++) {
				if (!u->drop_counts[s])
					continue;
				char *p = reserve(out, 48);
				p = put_u(p, s);
				*p++ = ' ';
				p = put_u(p, u->drop_counts[s]);
				*p++ = '\n';
				commit(out, p);
			}
		}
		if (u->version >= 4)
			buf_putc(out, '\n');
	}
	if (u->has_http) {
		char *p = reserve(out, 32 + (size_t)u->n_http * 64);
		p = put_u(p, u->http_dropped);
		*p++ = ' ';
		*p++ = '\n';
		for (uint32_t i = 0; i < u->n_http; i++) {
			p = put_i(p, u->http[i].flow);
			p = put_s(p, " 0 ");
			p = gen_anon_name(p, u->key, u->http[i].url);
			*p++ = ' ';
			*p++ = '\n';
		}
		*p++ = '\n';
		commit(out, p);
	}
}

void gen_update_write(const struct gen_update *u, const struct gen_world *w, struct buf *out)
{
	struct ctx c = {.u = u, .w = w, .legacy = u->version <= 2 && u->anonymized};
	if (c.legacy) {
		for (uint32_t i = 0; i < u->n_a && c.n_clear < 64; i++)
			if (name_clear(&c, u->a[i].name))
				c.clear_ips[c.n_clear++] = u->a[i].ip;
	}
	write_intro(&c, out);
	write_packets(&c, out);
	write_flows(&c, out);
	write_dns(&c, out);
	write_addresses(&c, out);
	write_tail(&c, out);
}

void gen_update_member_name(const struct gen_update *u, char out[64])
{
	snprintf(out, 64, "%s-%llu-%d.gz", u->node_id, (unsigned long long)u->session_id, u->seq);
}
