/*
 * index/session_key.c: ordering, comparing and naming session keys (see
 * session_key.h).
 */
#include "session_key.h"

#include <inttypes.h>
#include <string.h>

#include "buf.h"

_Static_assert(SESSION_NODE_ID_SIZE > SESSION_NODE_ID_MAX, "node id buffer too small");
_Static_assert(SESSION_CONTEXT_SIZE > SESSION_CONTEXT_MAX, "context buffer too small");

int session_key_cmp(const struct bpass_session_key *a, const struct bpass_session_key *b)
{
	int c = strcmp(a->node_id, b->node_id);
	if (!c)
		c = strcmp(a->context, b->context);
	if (!c)
		c = (a->session_id > b->session_id) - (a->session_id < b->session_id);
	return c;
}

bool session_key_eq(const struct bpass_session_key *a, const struct bpass_session_key *b)
{
	return a->session_id == b->session_id && !strcmp(a->node_id, b->node_id) &&
	       !strcmp(a->context, b->context);
}

void session_key_format(const struct bpass_session_key *key, struct buf *out)
{
	buf_printf(out, "%s/%s/%" PRId64, key->node_id, key->context, key->session_id);
}
