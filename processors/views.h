/*
 * processors/views.h: the views of the correlation built-ins that the
 * framework hands to processors: ctx->packet_view and ctx->device_of
 * (bpass.h; docs/semantics.md says what every field means).
 *
 * A view is read from the session states of flows, addresses, flow-domains
 * and whitelisted-domains (correlation.h) as they stand after the update
 * being processed, found through ctx->state_of exactly as the calling
 * processor would find them: a part whose built-in the processor does not
 * list in .depends stays empty. Processors never see those private structs,
 * so a built-in can change its state as long as its view stays the same.
 *
 * Cost: the view of a packet depends only on its flow id (and the update's
 * version), so the first view of a flow id in a callback is computed and
 * kept, and the other packets of that flow copy it: one hash lookup per
 * packet. The kept views and their domain lists live in storage reused from
 * one callback to the next: once it has grown, nothing is allocated. What a
 * view points to (its domain list, strings of the dependencies' states)
 * stays valid until the callback returns.
 *
 * Calling sequence (proc_ctx.c does it for every context):
 *   views_init(&v);
 *   views_enter(&v);                   before every callback
 *   views_packet_view(&v, ctx, current, u, i, out, size);    ctx->packet_view
 *   views_device_of(&v, ctx, address_id);                    ctx->device_of
 *   views_release(&v);
 */
#ifndef PROCESSORS_VIEWS_H
#define PROCESSORS_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpass.h"

struct flows_state;
struct addresses_state;
struct fd_state;
struct domains_state;
struct views_memo;                     /* a computed view, by flow id (views.c) */
struct views_chunk;                    /* domain references (views.c) */

struct views {
	uint32_t gen;                  /* the callback's number: memo entries of others are stale */
	bool resolved;                 /* the dependencies' states below are looked up */
	const struct flows_state *flows;            /* NULL when not in .depends */
	const struct addresses_state *addresses;
	const struct fd_state *flow_domains;
	const struct domains_state *whitelisted;
	struct views_memo *memo;       /* open addressing by flow id, memo_mask + 1 slots */
	uint32_t memo_mask, memo_n;
	struct views_chunk *chunks, *cur, *tail;   /* domain reference chunks */
};

void views_init(struct views *v);
void views_release(struct views *v);

/* A new callback begins: forgets the views and states of the last one. O(1). */
void views_enter(struct views *v);

/*
 * ctx->packet_view: fills out (size bytes, the plugin's sizeof) with the view
 * of packet i of u. current is the update being processed (NULL outside
 * process). Fills min(size, sizeof(struct bpass_packet_view)) bytes, zeroes
 * the rest, and sets out->struct_size to the bytes filled. Returns 0, or -1
 * after ctx->error (outside process, u not current, i out of range, size too
 * small to hold struct_size).
 */
int views_packet_view(struct views *v, struct bpass_ctx *ctx, const struct bpass_update *current,
		      const struct bpass_update *u, uint32_t i, struct bpass_packet_view *out,
		      size_t size);

/* ctx->device_of: the MAC of the latest announcement of address-table id
 * address_id, or NULL (never announced, or "addresses" not in .depends).
 * Borrowed until the callback returns. */
const char *views_device_of(struct views *v, struct bpass_ctx *ctx, uint32_t address_id);

#endif
