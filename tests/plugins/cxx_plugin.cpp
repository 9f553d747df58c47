/*
 * tests/plugins/cxx_plugin.cpp: the processor "cxx-plugin", written in C++17
 * against the public headers (their extern "C" guards keep the entry point
 * bpass_processors unmangled). It counts the updates of each node with a
 * std::map and writes table cxx_updates_per_node (node_id, updates).
 */
#include <bpass.h>

#include <cstdlib>
#include <map>
#include <new>
#include <string>

namespace {

struct state {
	uint64_t updates = 0;
};

using global = std::map<std::string, uint64_t>;

void *s_new(bpass_ctx *) { return new (std::nothrow) state; }
void s_free(bpass_ctx *, void *p) { delete static_cast<state *>(p); }

int s_process(bpass_ctx *, void *st, void *, const bpass_update *)
{
	static_cast<state *>(st)->updates++;
	return 0;
}

int s_save(bpass_ctx *, const void *st, bpass_writer *w)
{
	w->u64(w, static_cast<const state *>(st)->updates);
	return 0;
}

int s_load(bpass_ctx *ctx, void *st, uint32_t version, bpass_reader *r)
{
	if (version != 1 || r->u64(r, &static_cast<state *>(st)->updates)) {
		ctx->error(ctx, "unreadable state (version %u)", version);
		return -1;
	}
	return 0;
}

void *g_new(bpass_ctx *) { return new (std::nothrow) global; }
void g_free(bpass_ctx *, void *g) { delete static_cast<global *>(g); }

int g_merge(bpass_ctx *ctx, void *g, const void *st, const void *)
{
	(*static_cast<global *>(g))[ctx->key->node_id] += static_cast<const state *>(st)->updates;
	return 0;
}

int g_write(bpass_ctx *, const void *g, bpass_results *res)
{
	static const char *const columns[] = {"node_id", "updates", nullptr};
	bpass_table *t = res->table(res, "cxx_updates_per_node", columns);
	if (!t)
		return -1;
	for (const auto &kv : *static_cast<const global *>(g)) {  // sorted by node
		res->str(t, kv.first.c_str());
		res->u64(t, kv.second);
		if (res->row_end(t)) {
			res->close(t);
			return -1;
		}
	}
	return res->close(t);
}

bpass_processor make()
{
	bpass_processor p{};
	p.abi_version = BPASS_ABI_VERSION;
	p.struct_size = sizeof(bpass_processor);
	p.name = "cxx-plugin";
	p.version = 1;
	p.description = "test: a C++ plugin";
	p.session_new = s_new;
	p.session_free = s_free;
	p.process = s_process;
	p.save = s_save;
	p.load = s_load;
	p.global_new = g_new;
	p.global_free = g_free;
	p.merge = g_merge;
	p.write_results = g_write;
	return p;
}

const bpass_processor cxx = make();

}  // namespace

BPASS_PLUGIN(&cxx)
