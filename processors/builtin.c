/*
 * processors/builtin.c: the static table of built-in processors.
 */
#include "builtin.h"

const struct bpass_processor *const processors_builtin[] = {
	&proc_byte_count,
	NULL,
};
