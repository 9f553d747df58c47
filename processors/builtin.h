/*
 * processors/builtin.h: the built-in processors, registered through the same
 * path as plugins (processors/registry.c). One file per processor.
 */
#ifndef PROCESSORS_BUILTIN_H
#define PROCESSORS_BUILTIN_H

#include "bpass.h"

/* NULL-terminated, in the order they run by default. */
extern const struct bpass_processor *const processors_builtin[];

extern const struct bpass_processor proc_byte_count;
extern const struct bpass_processor proc_flows;
extern const struct bpass_processor proc_addresses;
extern const struct bpass_processor proc_domains;
extern const struct bpass_processor proc_whitelisted_domains;
extern const struct bpass_processor proc_flow_domains;
extern const struct bpass_processor proc_update_statistics;
extern const struct bpass_processor proc_availability;
extern const struct bpass_processor proc_meta_statistics;
extern const struct bpass_processor proc_throughput;
extern const struct bpass_processor proc_bytes_per_device;
extern const struct bpass_processor proc_bytes_per_domain;
extern const struct bpass_processor proc_lookups_per_device;

#endif
