/*
 * processors/update_statistics.c: the "update-statistics" processor
 * (processors.md). Session state: one record per processed update: its
 * timestamp, file format version, and the fields below (the sequence number
 * is kept to order updates with equal timestamps). Fix: an update without the
 * optional pcap line counts 0 for the pcap fields.
 *
 * Global: every record of every session (update_statistics.csv, sorted by
 * node, context, session, timestamp), per-node sums
 * (update_statistics_per_node.csv) and updates per node and file format
 * version (update_versions_per_node.csv). Merging appends; global_complete
 * sorts, so the result does not depend on the merge order.
 *
 * Saved as an array of [sequence, timestamp_s, version, fields...].
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "builtin.h"
#include "serial.h"
#include "strtab.h"

enum {
	US_PCAP_DROPPED,
	US_IFACE_DROPPED,
	US_PACKET_SERIES_DROPPED,
	US_FLOW_TABLE_DROPPED,
	US_DROPPED_A,
	US_DROPPED_CNAME,
	US_PACKETS,
	US_OCCUPANCY,
	US_A_RECORDS,
	US_CNAME_RECORDS,
	US_FIELDS
};

static const char *const us_field_names[US_FIELDS] = {
	"pcap_dropped", "iface_dropped", "packet_series_dropped", "flow_table_dropped",
	"dropped_a_records", "dropped_cname_records", "packets", "flow_table_occupancy",
	"a_records", "cname_records",
};

struct us_record {
	int64_t timestamp_s;
	int32_t sequence;
	int32_t version;
	uint32_t f[US_FIELDS];
};

struct us_state {
	struct us_record *recs;
	uint32_t n, cap;
};

static void *us_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return xcalloc(1, sizeof(struct us_state));
}

static void us_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	struct us_state *s = state;
	if (!s)
		return;
	free(s->recs);
	free(s);
}

static int us_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)ctx;
	(void)eph;
	struct us_state *s = state;
	xgrow((void **)&s->recs, &s->cap, s->n + 1, sizeof(*s->recs));
	struct us_record *r = &s->recs[s->n++];
	r->timestamp_s = u->timestamp_s;
	r->sequence = u->sequence;
	r->version = u->version;
	r->f[US_PCAP_DROPPED] = u->has_pcap ? u->pcap_dropped : 0;
	r->f[US_IFACE_DROPPED] = u->has_pcap ? u->iface_dropped : 0;
	r->f[US_PACKET_SERIES_DROPPED] = u->packets_dropped;
	r->f[US_FLOW_TABLE_DROPPED] = u->flows_dropped;
	r->f[US_DROPPED_A] = u->dns_dropped_a;
	r->f[US_DROPPED_CNAME] = u->dns_dropped_cname;
	r->f[US_PACKETS] = u->n_packets;
	r->f[US_OCCUPANCY] = u->flows_occupancy;
	r->f[US_A_RECORDS] = u->n_a_records;
	r->f[US_CNAME_RECORDS] = u->n_cname_records;
	return 0;
}

static void us_put_record(struct bpass_writer *w, const struct us_record *r)
{
	w->array(w, 3 + US_FIELDS);
	w->i64(w, r->sequence);
	w->i64(w, r->timestamp_s);
	w->i64(w, r->version);
	for (int i = 0; i < US_FIELDS; i++)
		w->u64(w, r->f[i]);
}

static int us_get_record(struct bpass_reader *r, struct us_record *rec)
{
	if (serial_array(r, 3 + US_FIELDS) || serial_i32(r, &rec->sequence) ||
	    serial_i64(r, INT64_MIN, INT64_MAX, &rec->timestamp_s) || serial_i32(r, &rec->version))
		return -1;
	for (int i = 0; i < US_FIELDS; i++)
		if (serial_u32(r, &rec->f[i]))
			return -1;
	return 0;
}

static int us_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	const struct us_state *s = state;
	w->array(w, s->n);
	for (uint32_t i = 0; i < s->n; i++)
		us_put_record(w, &s->recs[i]);
	return 0;
}

static int us_load(struct bpass_ctx *ctx, void *state, uint32_t saved_version,
		   struct bpass_reader *r)
{
	(void)ctx;
	struct us_state *s = state;
	uint32_t n;
	if (saved_version != 1 || serial_array_any(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		struct us_record rec;
		if (us_get_record(r, &rec))
			return -1;
		xgrow((void **)&s->recs, &s->cap, s->n + 1, sizeof(*s->recs));
		s->recs[s->n++] = rec;
	}
	return 0;
}

/* ---- global ---- */

struct us_session {
	uint32_t node, ctx;        /* ids in us_global.names */
	int64_t session_id;
	uint32_t first, n;         /* records[first .. first + n) */
};

struct us_node {
	uint32_t node;
	uint64_t updates;
	int64_t first_s, last_s;
	uint64_t sums[US_FIELDS];
};

struct us_version {
	uint32_t node;
	int32_t version;
	uint64_t updates;
};

struct us_global {
	struct strtab names;
	struct us_session *sessions;  uint32_t n_sessions, cap_sessions;
	struct us_record *recs;       uint32_t n_recs, cap_recs;
	/* filled by global_complete */
	struct us_node *nodes;        uint32_t n_nodes, cap_nodes;
	struct us_version *versions;  uint32_t n_versions, cap_versions;
};

static void *usg_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	struct us_global *g = xcalloc(1, sizeof(*g));
	strtab_init(&g->names);
	return g;
}

static void usg_free(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct us_global *g = global;
	if (!g)
		return;
	strtab_release(&g->names);
	free(g->sessions);
	free(g->recs);
	free(g->nodes);
	free(g->versions);
	free(g);
}

static struct us_session *usg_add_session(struct us_global *g, const char *node, size_t node_len,
					  const char *ctx, size_t ctx_len, int64_t session_id)
{
	xgrow((void **)&g->sessions, &g->cap_sessions, g->n_sessions + 1, sizeof(*g->sessions));
	struct us_session *se = &g->sessions[g->n_sessions++];
	se->node = strtab_intern(&g->names, node, node_len);
	se->ctx = strtab_intern(&g->names, ctx, ctx_len);
	se->session_id = session_id;
	se->first = g->n_recs;
	se->n = 0;
	return se;
}

static void usg_add_record(struct us_global *g, struct us_session *se, const struct us_record *r)
{
	xgrow((void **)&g->recs, &g->cap_recs, g->n_recs + 1, sizeof(*g->recs));
	g->recs[g->n_recs++] = *r;
	se->n++;
}

static int usg_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	const struct bpass_session_key *key = ctx->key;
	(void)eph;
	struct us_global *g = global;
	const struct us_state *s = state;
	struct us_session *se = usg_add_session(g, key->node_id, strlen(key->node_id), key->context,
						strlen(key->context), key->session_id);
	for (uint32_t i = 0; i < s->n; i++)
		usg_add_record(g, se, &s->recs[i]);
	return 0;
}

/* Folds partial `from` into `into`: its sessions and their records are
 * appended (a session is merged into one partial only); global_complete
 * sorts and sums, so the order of combining does not show. */
static int usg_combine(struct bpass_ctx *ctx, void *into, const void *from)
{
	(void)ctx;
	struct us_global *g = into;
	const struct us_global *f = from;
	for (uint32_t i = 0; i < f->n_sessions; i++) {
		const struct us_session *fs = &f->sessions[i];
		uint32_t idx = g->n_sessions;
		usg_add_session(g, strtab_str(&f->names, fs->node), strtab_len(&f->names, fs->node),
				strtab_str(&f->names, fs->ctx), strtab_len(&f->names, fs->ctx),
				fs->session_id);
		for (uint32_t j = 0; j < fs->n; j++)
			usg_add_record(g, &g->sessions[idx], &f->recs[fs->first + j]);
	}
	return 0;
}

static int usg_cmp_session(const void *a, const void *b, void *arg)
{
	const struct us_session *x = a, *y = b;
	int c = strtab_cmp(arg, x->node, y->node);
	if (!c)
		c = strtab_cmp(arg, x->ctx, y->ctx);
	if (!c)
		c = (x->session_id > y->session_id) - (x->session_id < y->session_id);
	return c;
}

static int usg_cmp_record(const void *a, const void *b)
{
	const struct us_record *x = a, *y = b;
	if (x->timestamp_s != y->timestamp_s)
		return x->timestamp_s < y->timestamp_s ? -1 : 1;
	if (x->sequence != y->sequence)
		return x->sequence < y->sequence ? -1 : 1;
	return memcmp(x, y, sizeof(*x));
}

static int usg_cmp_version(const void *a, const void *b)
{
	const struct us_version *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

static int usg_complete(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct us_global *g = global;
	/* records by (timestamp, sequence) within a session; sessions by key */
	for (uint32_t i = 0; i < g->n_sessions; i++)
		if (g->sessions[i].n > 1)
			qsort(g->recs + g->sessions[i].first, g->sessions[i].n, sizeof(*g->recs),
			      usg_cmp_record);
	if (g->n_sessions > 1)
		qsort_r(g->sessions, g->n_sessions, sizeof(*g->sessions), usg_cmp_session,
			&g->names);

	g->n_nodes = g->n_versions = 0;
	for (uint32_t i = 0; i < g->n_sessions; i++) {
		const struct us_session *se = &g->sessions[i];
		if (se->n == 0)
			continue;
		if (!g->n_nodes || g->nodes[g->n_nodes - 1].node != se->node) {
			xgrow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof(*g->nodes));
			struct us_node *nd = &g->nodes[g->n_nodes++];
			memset(nd, 0, sizeof(*nd));
			nd->node = se->node;
			nd->first_s = INT64_MAX;
			nd->last_s = INT64_MIN;
		}
		struct us_node *nd = &g->nodes[g->n_nodes - 1];
		for (uint32_t j = 0; j < se->n; j++) {
			const struct us_record *r = &g->recs[se->first + j];
			nd->updates++;
			if (r->timestamp_s < nd->first_s)
				nd->first_s = r->timestamp_s;
			if (r->timestamp_s > nd->last_s)
				nd->last_s = r->timestamp_s;
			for (int f = 0; f < US_FIELDS; f++)
				nd->sums[f] += r->f[f];
			uint32_t v = g->n_versions;
			while (v > 0 && g->versions[v - 1].node == se->node &&
			       g->versions[v - 1].version != r->version)
				v--;
			if (v > 0 && g->versions[v - 1].node == se->node) {
				g->versions[v - 1].updates++;
			} else {
				xgrow((void **)&g->versions, &g->cap_versions, g->n_versions + 1,
				      sizeof(*g->versions));
				g->versions[g->n_versions++] =
					(struct us_version){se->node, r->version, 1};
			}
		}
	}
	/* each node's versions are contiguous; sort them by version */
	for (uint32_t i = 0; i < g->n_versions;) {
		uint32_t j = i;
		while (j < g->n_versions && g->versions[j].node == g->versions[i].node)
			j++;
		qsort(g->versions + i, j - i, sizeof(*g->versions), usg_cmp_version);
		i = j;
	}
	return 0;
}

static int usg_save(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w)
{
	(void)ctx;
	const struct us_global *g = global;
	w->array(w, g->n_sessions);
	for (uint32_t i = 0; i < g->n_sessions; i++) {
		const struct us_session *se = &g->sessions[i];
		w->array(w, 4);
		serial_put_str(w, &g->names, se->node);
		serial_put_str(w, &g->names, se->ctx);
		w->i64(w, se->session_id);
		w->array(w, se->n);
		for (uint32_t j = 0; j < se->n; j++)
			us_put_record(w, &g->recs[se->first + j]);
	}
	return 0;
}

static int usg_load(struct bpass_ctx *ctx, void *global, uint32_t saved_version,
		    struct bpass_reader *r)
{
	(void)ctx;
	struct us_global *g = global;
	uint32_t n;
	if (saved_version != 1 || serial_array_any(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const char *node, *cx;
		size_t node_len, ctx_len;
		int64_t session_id;
		uint32_t m;
		if (serial_array(r, 4) || serial_str(r, &node, &node_len) ||
		    serial_str(r, &cx, &ctx_len) ||
		    serial_i64(r, INT64_MIN, INT64_MAX, &session_id) || serial_array_any(r, &m))
			return -1;
		uint32_t idx = g->n_sessions;
		usg_add_session(g, node, node_len, cx, ctx_len, session_id);
		for (uint32_t j = 0; j < m; j++) {
			struct us_record rec;
			if (us_get_record(r, &rec))
				return -1;
			usg_add_record(g, &g->sessions[idx], &rec);
		}
	}
	return usg_complete(ctx, g);
}

static struct bpass_table *usg_table(struct bpass_results *res, const char *name,
				     const char *const *first, int n_first, bool fields)
{
	const char *cols[16 + US_FIELDS];
	int n = 0;
	for (int i = 0; i < n_first; i++)
		cols[n++] = first[i];
	if (fields)
		for (int i = 0; i < US_FIELDS; i++)
			cols[n++] = us_field_names[i];
	cols[n] = NULL;
	return res->table(res, name, cols);
}

static int usg_write(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	(void)ctx;
	const struct us_global *g = global;
	const struct strtab *names = &g->names;
	int rc = 0;

	static const char *const per_node[] = {"node_id", "updates", "first_timestamp", "first_iso",
					       "last_timestamp", "last_iso"};
	struct bpass_table *t = usg_table(res, "update_statistics_per_node", per_node, 6, true);
	if (!t)
		return -1;
	for (uint32_t i = 0; i < g->n_nodes && !rc; i++) {
		const struct us_node *nd = &g->nodes[i];
		res->str(t, strtab_str(names, nd->node));
		res->u64(t, nd->updates);
		res->i64(t, nd->first_s);
		res->iso_s(t, nd->first_s);
		res->i64(t, nd->last_s);
		res->iso_s(t, nd->last_s);
		for (int f = 0; f < US_FIELDS; f++)
			res->u64(t, nd->sums[f]);
		rc = res->row_end(t);
	}
	if (res->close(t) || rc)
		return -1;

	static const char *const versions[] = {"node_id", "file_format_version", "updates"};
	t = usg_table(res, "update_versions_per_node", versions, 3, false);
	if (!t)
		return -1;
	for (uint32_t i = 0; i < g->n_versions && !rc; i++) {
		res->str(t, strtab_str(names, g->versions[i].node));
		res->i64(t, g->versions[i].version);
		res->u64(t, g->versions[i].updates);
		rc = res->row_end(t);
	}
	if (res->close(t) || rc)
		return -1;

	static const char *const all[] = {"node_id", "anonymization_context", "session_id",
					  "timestamp", "iso", "file_format_version"};
	t = usg_table(res, "update_statistics", all, 6, true);
	if (!t)
		return -1;
	for (uint32_t i = 0; i < g->n_sessions && !rc; i++) {
		const struct us_session *se = &g->sessions[i];
		for (uint32_t j = 0; j < se->n && !rc; j++) {
			const struct us_record *r = &g->recs[se->first + j];
			res->str(t, strtab_str(names, se->node));
			res->str(t, strtab_str(names, se->ctx));
			res->i64(t, se->session_id);
			res->i64(t, r->timestamp_s);
			res->iso_s(t, r->timestamp_s);
			res->i64(t, r->version);
			for (int f = 0; f < US_FIELDS; f++)
				res->u64(t, r->f[f]);
			rc = res->row_end(t);
		}
	}
	return res->close(t) || rc ? -1 : 0;
}

const struct bpass_processor proc_update_statistics = {
	BPASS_PROCESSOR_HEADER,
	.name = "update-statistics",
	.version = 1,
	.description = "per-update drop counters and sizes, per node sums and file format versions",
	.session_new = us_new,
	.session_free = us_free,
	.process = us_process,
	.save = us_save,
	.load = us_load,
	.global_new = usg_new,
	.global_free = usg_free,
	.merge = usg_merge,
	.global_complete = usg_complete,
	.global_save = usg_save,
	.global_load = usg_load,
	.write_results = usg_write,
	.global_combine = usg_combine,
};
