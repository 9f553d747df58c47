/*
 * processors/sdk/sdk_sort.c: a stable merge sort of uint32 items (row or
 * entry positions) with a comparison that takes a context, which qsort does
 * not offer portably; the SDK sorts rows by key with it when saving and
 * writing an aggregate.
 */
#include <stdlib.h>
#include <string.h>

#include "sdk_internal.h"

int sdk_sort_u32(uint32_t *items, size_t n, int (*cmp)(uint32_t a, uint32_t b, const void *ctx),
		 const void *ctx)
{
	if (n < 2)
		return 0;
	uint32_t *tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -1;
	/* Bottom-up: runs of width 1, 2, 4... merged from src into dst. */
	uint32_t *src = items, *dst = tmp;
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				dst[k++] = cmp(src[j], src[i], ctx) < 0 ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		uint32_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != items)
		memcpy(items, src, n * sizeof(*items));
	free(tmp);
	return 0;
}
