/*
 * index/update_buf.c: the storage behind a struct bpass_update. The arrays
 * keep their capacity between updates, so a stream of parses or blob decodes
 * into the same buffer allocates nothing once it has grown to the largest
 * update; update_buf_clear empties the update without freeing anything.
 */
#include "update.h"

#include <stdlib.h>
#include <string.h>

void update_buf_init(struct update_buf *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->scratch);
	update_buf_clear(b);
}

void update_buf_release(struct update_buf *b)
{
	free(b->whitelist);
	free(b->packets);
	free(b->flows);
	free(b->a_records);
	free(b->cname_records);
	free(b->addresses);
	free(b->drop_stats);
	free(b->http_urls);
	buf_release(&b->scratch);
	update_buf_init(b);
}

void update_buf_clear(struct update_buf *b)
{
	struct bpass_update *u = &b->u;
	memset(u, 0, sizeof(*u));
	u->build_id = "";
	u->node_id = "";
	u->context = "";
	u->whitelist = (const char *const *)b->whitelist;
	u->packets = b->packets;
	u->flows = b->flows;
	u->a_records = b->a_records;
	u->cname_records = b->cname_records;
	u->addresses = b->addresses;
	u->drop_stats = b->drop_stats;
	u->http_urls = b->http_urls;
	buf_reset(&b->scratch);
}
