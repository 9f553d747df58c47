/*
 * tests/plugins/forgetful.c: a processor, "forgetful", with the bug that
 * `bpass run --verify` exists to catch: it keeps part of its session state
 * in memory only.
 *
 * Per session it keeps a map flow id -> IP protocol, filled from each
 * update's flow table, and counts the packets of each update by the
 * protocol of their flow: tcp, udp, other (a flow of another protocol) and
 * unknown (a flow it has not seen announced). It saves the counters but
 * forgets to save the map, so after a run the next run's packets of flows
 * announced before count as unknown: an incremental run gives other counts
 * than a run from update 0, and nothing fails. The counters are its
 * sessions.csv figures (forgetful_tcp_packets, forgetful_udp_packets,
 * forgetful_other_packets, forgetful_unknown_packets); it has no global
 * result.
 *
 * With $FORGETFUL_REMEMBERS set (to anything) it does save the map and is
 * correct, so that a test can show that the saved map is what matters.
 */
#include <stdlib.h>
#include <string.h>

#include <bpass.h>

#define FLOW_IDS 65536

struct state {
	uint64_t tcp, udp, other, unknown;
	/* The map: per flow id, its protocol + 1, 0 when not announced. */
	uint16_t proto[FLOW_IDS];
};

static void *session_new(struct bpass_ctx *ctx)
{
	struct state *s = calloc(1, sizeof(*s));
	if (!s)
		ctx->error(ctx, "out of memory");
	return s;
}

static void session_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	free(state);
}

static int process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	struct state *s = state;
	for (uint32_t i = 0; i < u->n_flows; i++)
		if (u->flows[i].flow_id >= 0 && u->flows[i].flow_id < FLOW_IDS)
			s->proto[u->flows[i].flow_id] = (uint16_t)(u->flows[i].proto + 1);
	for (uint32_t i = 0; i < u->n_packets; i++) {
		int32_t id = u->packets[i].flow_id;
		uint16_t p = id >= 0 && id < FLOW_IDS ? s->proto[id] : 0;
		if (p == 0)
			s->unknown++;
		else if (p == 6 + 1)
			s->tcp++;
		else if (p == 17 + 1)
			s->udp++;
		else
			s->other++;
	}
	return 0;
}

static bool remembers(void)
{
	return getenv("FORGETFUL_REMEMBERS") != NULL;
}

/* [tcp, udp, other, unknown], then with $FORGETFUL_REMEMBERS the map as
 * [flow id, protocol + 1]... pairs. */
static int save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	const struct state *s = state;
	uint32_t n = 0;
	if (remembers())
		for (uint32_t i = 0; i < FLOW_IDS; i++)
			n += s->proto[i] != 0;
	w->array(w, 4 + 2 * n);
	w->u64(w, s->tcp);
	w->u64(w, s->udp);
	w->u64(w, s->other);
	w->u64(w, s->unknown);
	for (uint32_t i = 0; n && i < FLOW_IDS; i++)
		if (s->proto[i]) {
			w->u64(w, i);
			w->u64(w, s->proto[i]);
		}
	return 0;
}

static int load(struct bpass_ctx *ctx, void *state, uint32_t saved_version, struct bpass_reader *r)
{
	struct state *s = state;
	uint32_t n;
	if (saved_version != 1)
		return -1;
	if (r->array(r, &n) || n < 4 || n % 2 || r->u64(r, &s->tcp) || r->u64(r, &s->udp) ||
	    r->u64(r, &s->other) || r->u64(r, &s->unknown)) {
		ctx->error(ctx, "unreadable saved state");
		return -1;
	}
	for (uint32_t k = 4; k < n; k += 2) {
		uint64_t id, p;
		if (r->u64(r, &id) || r->u64(r, &p) || id >= FLOW_IDS || p > 256) {
			ctx->error(ctx, "unreadable saved flow");
			return -1;
		}
		s->proto[id] = (uint16_t)p;
	}
	return 0;
}

static int figures(struct bpass_ctx *ctx, const void *state, const void *eph,
		   struct bpass_figures *f)
{
	(void)ctx;
	(void)eph;
	const struct state *s = state;
	f->add(f, "forgetful_tcp_packets", (int64_t)s->tcp);
	f->add(f, "forgetful_udp_packets", (int64_t)s->udp);
	f->add(f, "forgetful_other_packets", (int64_t)s->other);
	f->add(f, "forgetful_unknown_packets", (int64_t)s->unknown);
	return 0;
}

static const struct bpass_processor forgetful = {
	BPASS_PROCESSOR_HEADER,
	.name = "forgetful",
	.version = 1,
	.description = "packets per flow protocol; forgets its flow map between runs",
	.session_new = session_new,
	.session_free = session_free,
	.process = process,
	.save = save,
	.load = load,
	.session_figures = figures,
};

BPASS_PLUGIN(&forgetful);
