/*
 * tests/fuzz/update_diff.h: field-by-field comparison of two parsed updates,
 * which the fuzz targets use to check that a round trip (text or blob) gives
 * the update back (test_parse.c checks that it sees every difference).
 */
#ifndef TESTS_FUZZ_UPDATE_DIFF_H
#define TESTS_FUZZ_UPDATE_DIFF_H

#include "bpass_update.h"

/* Compares a and b field by field (strings by content). Returns NULL when
 * they are equal, else a static name of the first part that differs, e.g.
 * "packets". */
const char *update_diff(const struct bpass_update *a, const struct bpass_update *b);

#endif
