/*
 * gen/gen_sim.h: the traffic simulation of one router session, producing
 * the content of its updates one 30-second period at a time.
 *
 * It models what bismark-passive saw on the LAN bridge: devices that look up
 * names through the router's DNS forwarder and then open TCP connections to
 * the returned addresses (web pages with their resources, downloads, video
 * streams), long-lived keep-alive connections, ARP, IPv6, mDNS, SSDP, NTP,
 * LAN and VPN-peer traffic, and rare frames of odd EtherTypes. The router
 * state is modelled as the writer kept it: an open-addressed flow table of
 * 65,529 slots with 3 probes and 30-minute expiry (ids reused, -1 for the
 * top seven ids, 0 when an insert fails), the 256-entry address ring, the
 * packet buffer of max_packets entries (the rest counted as dropped, and
 * their DNS records dropped in v5 or given PKTID 65535 before), cumulative
 * drop statistics and pcap counters.
 *
 * Packet counts are heavy-tailed: a household is idle, browsing lightly,
 * browsing busily or streaming, changing state from one update to the next
 * and following the time of day.
 */
#ifndef GEN_GEN_SIM_H
#define GEN_GEN_SIM_H

#include <stdint.h>

#include "gen_node.h"
#include "gen_rng.h"
#include "gen_update.h"
#include "gen_world.h"

struct gen_sim;

/* A simulator for the sessions of one node (w and n are borrowed and must
 * outlive it). max_packets is the packet buffer size (1-65536). */
struct gen_sim *gen_sim_new(const struct gen_world *w, const struct gen_node *n,
			    uint32_t max_packets);
void gen_sim_free(struct gen_sim *s);    /* NULL is a no-op */

/* Starts a session of the node following plan (borrowed until the next
 * gen_sim_begin). r is the node's stream. */
void gen_sim_begin(struct gen_sim *s, const struct gen_session_plan *plan, struct gen_rng *r);

/* Simulates the next update period of the session and fills u (cleared
 * first; u->drop_counts points into s until the next call). */
void gen_sim_next(struct gen_sim *s, struct gen_update *u);

#endif
