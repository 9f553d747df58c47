/*
 * processors/builtin.c: the static table of built-in processors, in run
 * order: flow-domains reads the states flows, addresses and domains built
 * for the same update, so it comes after them, and the analyses reading
 * their views (bytes-per-device, bytes-per-domain, lookups-per-device) come
 * after all of them.
 */
#include "builtin.h"

const struct bpass_processor *const processors_builtin[] = {
	&proc_byte_count,
	&proc_flows,
	&proc_addresses,
	&proc_domains,
	&proc_whitelisted_domains,
	&proc_flow_domains,
	&proc_update_statistics,
	&proc_availability,
	&proc_meta_statistics,
	&proc_throughput,
	&proc_bytes_per_device,
	&proc_bytes_per_domain,
	&proc_lookups_per_device,
	NULL,
};
