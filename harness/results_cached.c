/*
 * harness/results_cached.c: result tables from a cached global result (see
 * results_cached.h).
 */
#include "results_cached.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "merge.h"
#include "provenance.h"
#include "registry.h"
#include "results.h"
#include "sink.h"
#include "state_file.h"

/* Stages the tables (in the folder, or for a database in a temporary
 * folder) and publishes them with their provenance. */
static int publish(struct merge *m, const struct registry *reg, const uint32_t *order,
		   uint32_t n, const struct results_cached_options *o)
{
	bool db = sink_is_database(o->out);
	bool json = o->json || db;
	char tmpl[] = "/tmp/bpass-results.XXXXXX";
	const char *tmp = NULL;
	if (db) {
		const char *env = getenv("TMPDIR");
		struct buf t;
		buf_init(&t);
		buf_printf(&t, "%s/bpass-results.XXXXXX", env && *env ? env : "/tmp");
		if (t.len < sizeof(tmpl))
			memcpy(tmpl, t.data, t.len + 1);
		buf_release(&t);
		tmp = mkdtemp(tmpl);
		if (!tmp)
			return log_error("could not create a temporary folder \"%s\": %s", tmpl,
					 strerror(errno));
	}
	struct buf stage;
	buf_init(&stage);
	int rc = -1;
	if (results_stage(db ? tmp : o->out, &stage) == 0) {
		struct results res;
		if (results_init(&res, stage.data, json) == 0 && merge_write(m, &res.r) == 0 &&
		    !results_failed(&res))
			rc = 0;
		results_release(&res);
		if (rc == 0) {
			struct provenance prov;
			provenance_init(&prov, o->argv, o->argc);
			const char **names = xcalloc(n + 1, sizeof(*names));
			for (uint32_t i = 0; i < n; i++) {
				provenance_add_processor(&prov, reg, order[i], NULL);
				names[i] = reg->procs[order[i]].p.name;
			}
			const char *dirs[1] = {stage.data};
			const char *procs[1] = {"unknown"};   /* one writer for every table */
			struct sink_publication pub = {
				.out = o->out, .json = json, .dirs = dirs, .procs = procs, .n = 1,
				.selected = names, .n_selected = n, .prov = &prov,
			};
			rc = sink_publish(&pub);
			provenance_release(&prov);
			free(names);
		}
		results_unstage(stage.data);
	}
	buf_release(&stage);
	if (tmp)
		rmdir(tmp);
	return rc;
}

int results_cached_write(const char *path, const struct results_cached_options *o)
{
	struct registry reg;
	struct state_file sf;
	struct buf data, err, list;
	registry_init(&reg);
	state_file_init(&sf);
	buf_init(&data);
	buf_init(&err);
	buf_init(&list);
	uint32_t *order = NULL, n = 0;
	const struct bpass_processor **procs = NULL;
	const char *select = o->select;
	struct merge m;
	bool merged = false;
	int rc = -1;

	int r = state_file_read(path, &data);
	if (r != 0) {
		log_error("could not read global result cache \"%s\": %s", path,
			  r == 1 ? "No such file or directory" : strerror(errno));
		goto out;
	}
	if (state_file_parse(&sf, data.data, data.len, NULL, &err) || sf.kind != STATE_KIND_GLOBAL) {
		log_error("could not read global result cache \"%s\": %s", path,
			  err.len ? err.data : "it holds a session state");
		goto out;
	}
	if (registry_setup(&reg, o->plugins, o->n_plugins))
		goto out;
	if (!select) {
		/* Every processor of the cache that we have. */
		for (uint32_t i = 0; i < sf.n; i++) {
			struct buf name;
			buf_init(&name);
			buf_append(&name, sf.e[i].name, sf.e[i].name_len);
			if (registry_find(&reg, name.data)) {
				if (list.len)
					buf_putc(&list, ',');
				buf_puts(&list, name.data);
			} else if (strcmp(name.data, MERGE_SESSIONS_ENTRY)) {
				log_warn("skipping processor \"%s\" of the cache: it is not available "
					 "(a plugin that was not loaded?)", name.data);
			}
			buf_release(&name);
		}
		select = list.data;
	}
	if (registry_select(&reg, select, &order, &n))
		goto out;
	procs = xcalloc(n + 1, sizeof(*procs));
	for (uint32_t i = 0; i < n; i++)
		procs[i] = &reg.procs[order[i]].p;
	merged = true;
	if (merge_init(&m, procs, n, NULL) || merge_load_cache(&m, data.data, data.len, path))
		goto out;
	rc = publish(&m, &reg, order, n, o);
out:
	if (merged)
		merge_release(&m);
	free(procs);
	free(order);
	registry_release(&reg);
	state_file_release(&sf);
	buf_release(&data);
	buf_release(&err);
	buf_release(&list);
	return rc;
}
