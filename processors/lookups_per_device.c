/*
 * processors/lookups_per_device.c: the "lookups-per-device" processor: DNS
 * lookups per local device, clear domain, node and UTC hour
 * (lookups_per_device.csv; docs/results.md).
 *
 * A lookup is one DNS response, received by one device, answering for one
 * clear name: the name of an A record, or the alias of a CNAME record (the
 * name asked; the CNAME's target is counted when the response's A record
 * for it is listed). Several answers for one name in one response (several
 * IPs) are one lookup. Its time is the response packet's; records whose
 * packet id is out of range have none and are skipped (docs/semantics.md
 * §5). Hashed names are not counted. The device is the MAC of the record's
 * address id, as of the update (ctx->device_of: the id's latest
 * announcement), "unknown" when the address table never announced it.
 *
 * The table is kept by bpass (.tables): no state of its own. Answers are
 * made unique per update by sorting them in a scratch vector kept for the
 * life of the process (freed by exit): the one global a processor may keep.
 */
#include <stdlib.h>
#include <string.h>

#include "bpass_sdk.h"
#include "builtin.h"

static const struct bpass_column lpd_columns[] = {
	{"node_id", BPASS_KEY_STR}, {"device", BPASS_KEY_STR},   {"domain", BPASS_KEY_STR},
	{"hour_us", BPASS_KEY_I64}, {"hour_iso", BPASS_KEY_HOUR},
	{"lookups", BPASS_VAL_COUNT}, {NULL, 0}};
static const struct bpass_table_decl lpd_tables[] = {{"lookups_per_device", lpd_columns},
						     {NULL, NULL}};
static const char *const lpd_depends[] = {"addresses", NULL};

/* One answer of the update being processed (name borrowed from it). */
struct lpd_answer {
	uint32_t packet_id, address_id;
	const char *name;
};

static struct bpass_vec lpd_scratch = BPASS_VEC_INIT(struct lpd_answer);

/* Frees the scratch vector (a later call of process would allocate it again). */
static void lpd_exit(struct bpass_ctx *ctx)
{
	(void)ctx;
	bpass_vec_release(&lpd_scratch);
}

static int lpd_cmp(const void *a, const void *b)
{
	const struct lpd_answer *x = a, *y = b;
	if (x->packet_id != y->packet_id)
		return x->packet_id < y->packet_id ? -1 : 1;
	if (x->address_id != y->address_id)
		return x->address_id < y->address_id ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Keeps an answer with a time and a clear name for the sort. */
static int lpd_keep(struct bpass_ctx *ctx, const struct bpass_update *u, uint32_t packet_id,
		    uint32_t address_id, bool anonymized, const char *name)
{
	if (anonymized || packet_id >= u->n_packets)
		return 0;
	struct lpd_answer *a = bpass_vec_push(&lpd_scratch);
	if (!a) {
		ctx->error(ctx, "out of memory");
		return -1;
	}
	*a = (struct lpd_answer){packet_id, address_id, name};
	return 0;
}

static int lpd_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)state, (void)eph;
	bpass_vec_clear(&lpd_scratch);
	for (uint32_t i = 0; i < u->n_a_records; i++) {
		const struct bpass_a_record *r = &u->a_records[i];
		if (lpd_keep(ctx, u, r->packet_id, r->address_id, r->anonymized, r->domain))
			return -1;
	}
	for (uint32_t i = 0; i < u->n_cname_records; i++) {
		const struct bpass_cname_record *r = &u->cname_records[i];
		if (lpd_keep(ctx, u, r->packet_id, r->address_id, r->domain_anonymized, r->domain))
			return -1;
	}
	const struct lpd_answer *all = lpd_scratch.data;
	if (lpd_scratch.n > 1)
		qsort(lpd_scratch.data, lpd_scratch.n, sizeof(*all), lpd_cmp);
	for (size_t i = 0; i < lpd_scratch.n; i++) {
		if (i > 0 && !lpd_cmp(&all[i - 1], &all[i]))
			continue;   /* the same response, device and name */
		const char *device = ctx->device_of(ctx, all[i].address_id);
		int64_t t = u->packets[all[i].packet_id].time_us;
		if (bpass_add(ctx, 0, ctx->key->node_id, device ? device : "unknown", all[i].name,
			      bpass_utc_hour_us(t), t))
			return -1;
	}
	return 0;
}

const struct bpass_processor proc_lookups_per_device = {
	BPASS_PROCESSOR_HEADER,
	.name = "lookups-per-device",
	.version = 1,
	.description = "DNS lookups per device, clear domain, node and UTC hour (A and CNAME answers)",
	.depends = lpd_depends,
	.process = lpd_process,
	.exit = lpd_exit,
	.tables = lpd_tables,
};
