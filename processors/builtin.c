/*
 * processors/builtin.c: the static table of built-in processors, in run
 * order: flow-domains reads the states flows, addresses and domains built
 * for the same update, so it comes after them.
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
	NULL,
};
