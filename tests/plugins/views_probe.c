/*
 * tests/plugins/views_probe.c: processors that write down what the views of
 * the correlation built-ins show them (ctx->packet_view, ctx->device_of;
 * bpass.h, docs/semantics.md), for tests/unit/test_views.c and
 * tests/e2e/t0412-views.sh. It uses nothing but the public headers, so it
 * also builds against an installed bpass.
 *
 * Four processors that differ only in .depends:
 *   views-probe        flows, addresses, flow-domains, whitelisted-domains
 *   views-probe-flows  flows
 *   views-probe-fd     addresses, flow-domains
 *   views-probe-none   nothing
 * Each keeps, per session, lines of text (saved as an array of strings):
 *   "SEQ.I flow=F class=C[ SRC>DST proto=P ports=SP>DP anon=SA/DA]
 *    [ local=SIDE LOCAL_IP remote=REMOTE_IP ranon=R][ mac=MAC id=ID]
 *    [ domains=A:NAME[@ENTRY];...]"   for packet I of update SEQ (the
 *      bracketed parts when the view has them: has_flow, local_side >= 0,
 *      has_address_id, n_domains > 0);
 *   "SEQ dev 0=MAC 1=MAC 2=MAC 3=MAC 255=MAC"  device_of of those ids
 *      ("-" for NULL), once per update;
 *   "SEQ api oob=RC other=RC small=RC/SIZE/C/KEPT big=RC/SIZE/ZEROED"  once per
 *      update with packets: what packet_view returns for packet n_packets
 *      and for packet 0 of a copy of the update; for packet 0 with a v_size
 *      that ends after proto_class, its return, the size the framework says
 *      it filled, the class and whether the bytes after v_size were left
 *      alone; with 16 bytes more than the struct, its return, whether it
 *      filled "all" the struct and whether the 16 bytes were zeroed;
 *   "end view=RC"  in session_complete: packet_view outside process.
 * Its global result is every line of every session, written as the table
 * views_probe (views_probe_flows, ...) with columns node_id, session_id, n
 * (the line's number in its session) and line, sorted by the first three.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpass.h>

static const char *const class_names[] = BPASS_CLASS_NAMES;

/* ---- a vector of lines (the session state) ---- */

struct lines {
	char **v;
	uint32_t n, cap;
};

static int lines_add(struct lines *l, const char *s, size_t len)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? 2 * l->cap : 16;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	char *copy = malloc(len + 1);
	if (!copy)
		return -1;
	memcpy(copy, s, len);
	copy[len] = 0;
	l->v[l->n++] = copy;
	return 0;
}

static void *p_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(struct lines));
}

static void p_free(struct bpass_ctx *ctx, void *state)
{
	(void)ctx;
	struct lines *l = state;
	if (!l)
		return;
	for (uint32_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l);
}

/* ---- what the views show ---- */

/* A line being built (bounded; a longer one is cut, which a test would see). */
struct text {
	char s[4096];
	size_t len;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (t->len < sizeof(t->s) - 1) {
		int n = vsnprintf(t->s + t->len, sizeof(t->s) - t->len, fmt, ap);
		if (n > 0)
			t->len += (size_t)n < sizeof(t->s) - t->len ? (size_t)n : sizeof(t->s) - 1 - t->len;
	}
	va_end(ap);
}

static void put_view(struct text *t, const struct bpass_update *u, uint32_t i,
		     const struct bpass_packet_view *v)
{
	const char *cls = (unsigned)v->proto_class < sizeof(class_names) / sizeof(*class_names)
				  ? class_names[v->proto_class] : "?";
	put(t, "%d.%u flow=%d class=%s", (int)u->sequence, (unsigned)i, (int)v->flow_id, cls);
	if (v->has_flow)
		put(t, " %s>%s proto=%u ports=%u>%u anon=%u/%u", v->src_ip, v->dst_ip,
		    (unsigned)v->proto, (unsigned)v->src_port, (unsigned)v->dst_port,
		    (unsigned)v->src_anon, (unsigned)v->dst_anon);
	if (v->local_side >= 0)
		put(t, " local=%d %s remote=%s ranon=%u", (int)v->local_side, v->local_ip,
		    v->remote_ip, (unsigned)v->remote_anon);
	if (v->has_address_id)
		put(t, " mac=%s id=%u", v->device_mac ? v->device_mac : "(null)",
		    (unsigned)v->address_id);
	for (uint32_t k = 0; k < v->n_domains; k++) {
		const struct bpass_domain_ref *d = &v->domains[k];
		put(t, "%s%u:%s", k ? ";" : " domains=", (unsigned)d->anonymized, d->domain);
		if (d->whitelisted)
			put(t, "@%s", d->whitelisted);
	}
}

/* The contract checks of one update with packets. */
static void put_api(struct text *t, struct bpass_ctx *ctx, const struct bpass_update *u)
{
	struct bpass_packet_view v;
	int oob = ctx->packet_view(ctx, u, u->n_packets, &v, sizeof(v));
	struct bpass_update copy = *u;
	int other = ctx->packet_view(ctx, &copy, 0, &v, sizeof(v));

	/* an older, shorter layout: up to proto_class */
	size_t small = offsetof(struct bpass_packet_view, proto_class) + sizeof(v.proto_class);
	unsigned char buf[sizeof(v) + 16];
	memset(buf, 0xa5, sizeof(buf));
	int rc = ctx->packet_view(ctx, u, 0, (struct bpass_packet_view *)(void *)buf, small);
	struct bpass_packet_view head;
	memcpy(&head, buf, small);
	int kept = 1;
	for (size_t k = small; k < sizeof(buf); k++)
		kept &= buf[k] == 0xa5;
	put(t, "%d api oob=%d other=%d small=%d/%u/%d/%s", (int)u->sequence, oob, other, rc,
	    (unsigned)head.struct_size, (int)head.proto_class, kept ? "kept" : "overwritten");

	/* a newer, longer layout: 16 bytes the framework does not know */
	memset(buf, 0xa5, sizeof(buf));
	rc = ctx->packet_view(ctx, u, 0, (struct bpass_packet_view *)(void *)buf, sizeof(buf));
	memcpy(&head, buf, sizeof(head));
	int zeroed = 1;
	for (size_t k = sizeof(v); k < sizeof(buf); k++)
		zeroed &= buf[k] == 0;
	put(t, " big=%d/%s/%s", rc, head.struct_size == sizeof(v) ? "all" : "short",
	    zeroed ? "zeroed" : "not-zeroed");
}

static int p_process(struct bpass_ctx *ctx, void *state, void *eph, const struct bpass_update *u)
{
	(void)eph;
	struct lines *l = state;
	struct text t;
	if (ctx->struct_size <= offsetof(struct bpass_ctx, device_of) || !ctx->packet_view ||
	    !ctx->device_of) {
		ctx->error(ctx, "this bpass has no views");
		return -1;
	}
	for (uint32_t i = 0; i < u->n_packets; i++) {
		struct bpass_packet_view v;
		t.len = 0;
		if (ctx->packet_view(ctx, u, i, &v, sizeof(v)))
			return -1;
		put_view(&t, u, i, &v);
		if (lines_add(l, t.s, t.len))
			return -1;
	}
	t.len = 0;
	put(&t, "%d dev", (int)u->sequence);
	static const uint32_t ids[] = {0, 1, 2, 3, 255};
	for (size_t k = 0; k < sizeof(ids) / sizeof(*ids); k++) {
		const char *mac = ctx->device_of(ctx, ids[k]);
		put(&t, " %u=%s", (unsigned)ids[k], mac ? mac : "-");
	}
	if (lines_add(l, t.s, t.len))
		return -1;
	if (u->n_packets) {
		t.len = 0;
		put_api(&t, ctx, u);
		if (lines_add(l, t.s, t.len))
			return -1;
	}
	return 0;
}

static int p_complete(struct bpass_ctx *ctx, void *state, void *eph)
{
	(void)eph;
	struct bpass_packet_view v;
	struct text t = {.len = 0};
	put(&t, "end view=%d", ctx->packet_view(ctx, NULL, 0, &v, sizeof(v)));
	return lines_add(state, t.s, t.len);
}

static int p_save(struct bpass_ctx *ctx, const void *state, struct bpass_writer *w)
{
	(void)ctx;
	const struct lines *l = state;
	w->array(w, l->n);
	for (uint32_t i = 0; i < l->n; i++)
		w->str(w, l->v[i], strlen(l->v[i]));
	return 0;
}

static int p_load(struct bpass_ctx *ctx, void *state, uint32_t version, struct bpass_reader *r)
{
	(void)ctx;
	uint32_t n;
	if (version != 1 || r->array(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const char *s;
		size_t len;
		if (r->str(r, &s, &len) || lines_add(state, s, len))
			return -1;
	}
	return 0;
}

/* ---- the global result: every line of every session ---- */

struct row {
	char *node;
	int64_t session_id;
	uint32_t n;
	char *line;
};

struct rows {
	struct row *v;
	uint32_t n, cap;
};

static void *g_new(struct bpass_ctx *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(struct rows));
}

static void g_free(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct rows *g = global;
	if (!g)
		return;
	for (uint32_t i = 0; i < g->n; i++) {
		free(g->v[i].node);
		free(g->v[i].line);
	}
	free(g->v);
	free(g);
}

static char *dup_n(const char *s, size_t len)
{
	char *c = malloc(len + 1);
	if (c) {
		memcpy(c, s, len);
		c[len] = 0;
	}
	return c;
}

static int g_add(struct rows *g, const char *node, size_t node_len, int64_t session_id,
		 uint32_t n, const char *line, size_t line_len)
{
	if (g->n == g->cap) {
		uint32_t cap = g->cap ? 2 * g->cap : 64;
		struct row *v = realloc(g->v, cap * sizeof(*v));
		if (!v)
			return -1;
		g->v = v;
		g->cap = cap;
	}
	struct row *r = &g->v[g->n];
	r->node = dup_n(node, node_len);
	r->line = dup_n(line, line_len);
	r->session_id = session_id;
	r->n = n;
	if (!r->node || !r->line) {
		free(r->node);
		free(r->line);
		return -1;
	}
	g->n++;
	return 0;
}

static int g_merge(struct bpass_ctx *ctx, void *global, const void *state, const void *eph)
{
	(void)eph;
	const struct lines *l = state;
	const char *node = ctx->key->node_id;
	for (uint32_t i = 0; i < l->n; i++)
		if (g_add(global, node, strlen(node), ctx->key->session_id, i, l->v[i],
			  strlen(l->v[i])))
			return -1;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->node, y->node);
	if (c)
		return c;
	if (x->session_id != y->session_id)
		return x->session_id < y->session_id ? -1 : 1;
	return (x->n > y->n) - (x->n < y->n);
}

static int g_complete(struct bpass_ctx *ctx, void *global)
{
	(void)ctx;
	struct rows *g = global;
	if (g->n > 1)
		qsort(g->v, g->n, sizeof(*g->v), row_cmp);
	return 0;
}

static int g_save(struct bpass_ctx *ctx, const void *global, struct bpass_writer *w)
{
	(void)ctx;
	const struct rows *g = global;
	w->array(w, g->n);
	for (uint32_t i = 0; i < g->n; i++) {
		w->array(w, 4);
		w->str(w, g->v[i].node, strlen(g->v[i].node));
		w->i64(w, g->v[i].session_id);
		w->u64(w, g->v[i].n);
		w->str(w, g->v[i].line, strlen(g->v[i].line));
	}
	return 0;
}

static int g_load(struct bpass_ctx *ctx, void *global, uint32_t version, struct bpass_reader *r)
{
	(void)ctx;
	uint32_t n, four;
	if (version != 1 || r->array(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const char *node, *line;
		size_t node_len, line_len;
		int64_t session_id;
		uint64_t k;
		if (r->array(r, &four) || four != 4 || r->str(r, &node, &node_len) ||
		    r->i64(r, &session_id) || r->u64(r, &k) || k > UINT32_MAX ||
		    r->str(r, &line, &line_len) ||
		    g_add(global, node, node_len, session_id, (uint32_t)k, line, line_len))
			return -1;
	}
	return g_complete(ctx, global);
}

static int g_write(struct bpass_ctx *ctx, const void *global, struct bpass_results *res)
{
	const struct rows *g = global;
	static const char *const columns[] = {"node_id", "session_id", "n", "line", NULL};
	char name[64];
	size_t k;
	for (k = 0; ctx->processor[k] && k < sizeof(name) - 1; k++)
		name[k] = ctx->processor[k] == '-' ? '_' : ctx->processor[k];
	name[k] = 0;
	struct bpass_table *t = res->table(res, name, columns);
	if (!t)
		return -1;
	int rc = 0;
	for (uint32_t i = 0; i < g->n && !rc; i++) {
		res->str(t, g->v[i].node);
		res->i64(t, g->v[i].session_id);
		res->u64(t, g->v[i].n);
		res->str(t, g->v[i].line);
		rc = res->row_end(t);
	}
	return res->close(t) || rc ? -1 : 0;
}

#define PROBE(ident, pname, deps)                                  \
	static const struct bpass_processor ident = {              \
		BPASS_PROCESSOR_HEADER,                            \
		.name = pname,                                     \
		.version = 1,                                      \
		.description = "test: what the views show",        \
		.depends = deps,                                   \
		.session_new = p_new,                              \
		.session_free = p_free,                            \
		.process = p_process,                              \
		.session_complete = p_complete,                    \
		.save = p_save,                                    \
		.load = p_load,                                    \
		.global_new = g_new,                               \
		.global_free = g_free,                             \
		.merge = g_merge,                                  \
		.global_complete = g_complete,                     \
		.global_save = g_save,                             \
		.global_load = g_load,                             \
		.write_results = g_write,                          \
	}

static const char *const deps_all[] = {"flows", "addresses", "flow-domains",
				       "whitelisted-domains", NULL};
static const char *const deps_flows[] = {"flows", NULL};
static const char *const deps_fd[] = {"addresses", "flow-domains", NULL};

PROBE(probe_all, "views-probe", deps_all);
PROBE(probe_flows, "views-probe-flows", deps_flows);
PROBE(probe_fd, "views-probe-fd", deps_fd);
PROBE(probe_none, "views-probe-none", NULL);

BPASS_PLUGIN(&probe_all, &probe_flows, &probe_fd, &probe_none)
