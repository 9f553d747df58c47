/*
 * processors/registry.c: registration of built-in and plugin processors
 * through one function, plugin loading (dlopen), dependency checks and the
 * resolution of a run's selection into run order (see registry.h).
 */
#include "registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "builtin.h"
#include "log.h"
#include "proc_tables.h"
#include "py_loader.h"

void registry_init(struct registry *r)
{
	memset(r, 0, sizeof(*r));
}

void registry_release(struct registry *r)
{
	for (uint32_t i = 0; i < r->n; i++) {
		proc_tables_release(&r->procs[i].p);
		free((char *)r->procs[i].origin);
	}
	for (uint32_t i = 0; i < r->n_plugins; i++) {
		if (r->plugins[i].handle)
			dlclose(r->plugins[i].handle);
		free(r->plugins[i].path);
	}
	free(r->procs);
	free(r->plugins);
	registry_init(r);
}

/* `plugin "PATH"` or `built-in`, for messages. */
static const char *where(const char *origin, struct buf *b)
{
	buf_reset(b);
	if (!strcmp(origin, REGISTRY_BUILTIN))
		buf_puts(b, "built-in");
	else
		buf_printf(b, "plugin \"%s\"", origin);
	return b->data;
}

static bool valid_name(const char *s)
{
	if (!s || !*s || *s == '-' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

/* Appends the names of the required callbacks p lacks to out. */
static void missing_callbacks(const struct bpass_processor *p, struct buf *out)
{
	struct {
		bool ok;
		const char *name;
	} req[] = {
		/* A processor with tables may add its rows in session_complete only. */
		{p->process || (p->tables && p->session_complete), "process"},
		/* Persistent state comes with all four callbacks or none (a
		 * processor may keep only ephemeral state). */
		{!p->session_new == !p->session_free, p->session_new ? "session_free" : "session_new"},
		{!p->session_new == !p->save, p->session_new ? "save" : "session_new"},
		{!p->session_new == !p->load, p->session_new ? "load" : "session_new"},
		/* So does ephemeral state. */
		{!p->ephemeral_new == !p->ephemeral_free, p->ephemeral_new ? "ephemeral_free" : "ephemeral_new"},
		{!p->ephemeral_new == !p->ephemeral_save, p->ephemeral_new ? "ephemeral_save" : "ephemeral_new"},
		{!p->ephemeral_new == !p->ephemeral_load, p->ephemeral_new ? "ephemeral_load" : "ephemeral_new"},
		/* A global result is optional (a processor may only feed others). */
		{!p->global_new == !p->global_free, p->global_new ? "global_free" : "global_new"},
		/* Cached global results need both directions. */
		{!p->global_save == !p->global_load, p->global_save ? "global_load" : "global_save"},
	};
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		if (req[i].ok || strstr(out->data, req[i].name))
			continue;
		if (out->len)
			buf_puts(out, ", ");
		buf_puts(out, req[i].name);
	}
}

int registry_add(struct registry *r, const struct bpass_processor *p, const char *origin,
		 uint32_t plugin, bool requested)
{
	struct buf w, w2, why;
	buf_init(&w);
	buf_init(&w2);
	buf_init(&why);
	int rc = -1;
	bool builtin = !strcmp(origin, REGISTRY_BUILTIN);
	/* The ABI fields come first and are checked before anything else is read. */
	if (p->abi_version != BPASS_ABI_VERSION) {
		if (builtin)
			log_error("incompatible built-in processor: ABI version %u, bpass expects %d",
				  p->abi_version, BPASS_ABI_VERSION);
		else if (p->abi_version < BPASS_ABI_VERSION)
			log_error("incompatible processor plugin \"%s\": ABI version %u, bpass expects %d "
				  "(rebuild it with the headers of bpass %s)", origin, p->abi_version,
				  BPASS_ABI_VERSION, BPASS_VERSION_STRING);
		else
			log_error("incompatible processor plugin \"%s\": ABI version %u, bpass expects %d",
				  origin, p->abi_version, BPASS_ABI_VERSION);
		goto out;
	}
	if (p->struct_size < BPASS_PROCESSOR_V2_MIN_SIZE) {
		log_error("incompatible processor %s: processor descriptor of %u bytes, bpass expects "
			  "at least %zu", where(origin, &w), p->struct_size,
			  (size_t)BPASS_PROCESSOR_V2_MIN_SIZE);
		goto out;
	}
	/* Fields are only ever appended: read what the plugin has, and take
	 * the fields of a newer header than ours as unknown (not read). */
	struct bpass_processor full;
	memset(&full, 0, sizeof(full));
	memcpy(&full, p, p->struct_size < sizeof(full) ? p->struct_size : sizeof(full));
	p = &full;
	if (!valid_name(p->name)) {
		log_error("invalid processor name \"%s\" in %s: use 1-64 lower-case letters, digits "
			  "and dashes", p->name ? p->name : "", where(origin, &w));
		goto out;
	}
	if (p->version < 1) {
		log_error("invalid processor \"%s\" in %s: version must be at least 1", p->name,
			  where(origin, &w));
		goto out;
	}
	missing_callbacks(p, &why);
	if (why.len) {
		log_error("invalid processor \"%s\" in %s: missing callbacks %s", p->name,
			  where(origin, &w), why.data);
		goto out;
	}
	if (p->tables && proc_tables_check(p, &why)) {
		log_error("invalid processor \"%s\" in %s: %s", p->name, where(origin, &w), why.data);
		goto out;
	}
	const struct registry_proc *dup = registry_find(r, p->name);
	if (dup) {
		log_error("duplicate processor \"%s\" in %s: already registered by %s", p->name,
			  where(origin, &w), where(dup->origin, &w2));
		goto out;
	}
	xgrow((void **)&r->procs, &r->cap, r->n + 1, sizeof(*r->procs));
	struct registry_proc *e = &r->procs[r->n++];
	memset(e, 0, sizeof(*e));
	e->p = full;
	/* Tables are kept by bpass: the descriptor is wrapped (proc_tables.h). */
	proc_tables_wrap(&e->p);
	e->origin = xstrdup(origin);
	e->plugin = plugin;
	e->requested = requested;
	rc = 0;
out:
	buf_release(&w);
	buf_release(&w2);
	buf_release(&why);
	return rc;
}

int registry_add_builtins(struct registry *r)
{
	for (const struct bpass_processor *const *p = processors_builtin; *p; p++)
		if (registry_add(r, *p, REGISTRY_BUILTIN, UINT32_MAX, false))
			return -1;
	return 0;
}

/* Forgets the processors registered from the end of the table down to n. */
static void unregister_from(struct registry *r, uint32_t n)
{
	while (r->n > n) {
		r->n--;
		proc_tables_release(&r->procs[r->n].p);
		free((char *)r->procs[r->n].origin);
	}
}

/* Marks the processors of plugin i requested. */
static void request_plugin(struct registry *r, uint32_t i)
{
	for (uint32_t j = 0; j < r->n; j++)
		if (r->procs[j].plugin == i)
			r->procs[j].requested = true;
}

/* Opens a Python processor file through the Python host (py_loader.h):
 * sets *list to its descriptors and *h to the host's handle and returns 0;
 * returns 1 when the file is loaded already, -1 after a message. */
static int open_python(struct registry *r, const char *path, bool requested,
		       const struct bpass_processor *const **list, void **h)
{
	char *real = realpath(path, NULL);
	for (uint32_t i = 0; real && i < r->n_plugins; i++) {
		char *other = realpath(r->plugins[i].path, NULL);
		bool same = other && !strcmp(other, real);
		free(other);
		if (same) {
			free(real);
			if (requested)
				request_plugin(r, i);
			return 1;
		}
	}
	free(real);
	*list = py_loader_load(path, h);
	return *list ? 0 : -1;
}

int registry_load_plugin(struct registry *r, const char *path, bool requested)
{
	const struct bpass_processor *const *list = NULL;
	void *h;
	if (py_loader_is_py(path)) {
		int st = open_python(r, path, requested, &list, &h);
		if (st)
			return st < 0 ? -1 : 0;
		goto loaded;
	}
	/* dlopen searches the library path for names without a slash. */
	struct buf full;
	buf_init(&full);
	if (!strchr(path, '/'))
		buf_puts(&full, "./");
	buf_puts(&full, path);
	h = dlopen(full.data, RTLD_NOW | RTLD_LOCAL);
	buf_release(&full);
	if (!h)
		return log_error("could not load processor plugin \"%s\": %s", path, dlerror());
	for (uint32_t i = 0; i < r->n_plugins; i++) {
		if (r->plugins[i].handle != h)
			continue;
		/* Already loaded (dlopen counted a reference: give it back). */
		dlclose(h);
		if (requested)
			request_plugin(r, i);
		return 0;
	}
	bpass_plugin_entry_fn entry;
	*(void **)&entry = dlsym(h, BPASS_PLUGIN_ENTRY);
	if (!entry) {
		dlclose(h);
		return log_error("could not load processor plugin \"%s\": no entry point \"%s\"",
				 path, BPASS_PLUGIN_ENTRY);
	}
	list = entry();
loaded:
	xgrow((void **)&r->plugins, &r->cap_plugins, r->n_plugins + 1, sizeof(*r->plugins));
	uint32_t idx = r->n_plugins;
	uint32_t first = r->n;
	int rc = 0;
	if (!list || !list[0]) {
		rc = log_error("could not load processor plugin \"%s\": it lists no processors", path);
	} else {
		for (uint32_t i = 0; list[i] && rc == 0; i++)
			rc = registry_add(r, list[i], path, idx, requested);
	}
	if (rc) {
		unregister_from(r, first);
		dlclose(h);
		return -1;
	}
	r->plugins[idx].path = xstrdup(path);
	r->plugins[idx].handle = h;
	r->n_plugins++;
	return 0;
}

static int so_filter(const struct dirent *de)
{
	size_t n = strlen(de->d_name);
	return de->d_name[0] != '.' && n > 3 &&
	       (!strcmp(de->d_name + n - 3, ".so") || py_loader_is_py(de->d_name));
}

static int load_folders(struct registry *r, const char *list, const char *from);

int registry_load_plugin_path(struct registry *r, const char *list)
{
	return load_folders(r, list, REGISTRY_PATH_ENV);
}

void registry_plugindir(struct buf *out)
{
	buf_reset(out);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = 0;
	buf_printf(out, "%s/%s", exe, REGISTRY_PLUGINDIR_REL);
}

/* The plugin a bare name (no '/') given to --plugin means: NAME or NAME.so
 * in the working folder, else in the plugin folders ($BPASS_PLUGIN_PATH,
 * then plugindir). Sets *out to the path to load. */
static void resolve_bare_name(const char *name, const char *plugindir, struct buf *out)
{
	buf_reset(out);
	bool has_so = strlen(name) > 3 && !strcmp(name + strlen(name) - 3, ".so");
	const char *suffix = has_so || py_loader_is_py(name) ? "" : ".so";
	if (strchr(name, '/') || access(name, F_OK) == 0) {
		buf_puts(out, name);
		return;
	}
	const char *env = getenv(REGISTRY_PATH_ENV);
	struct buf dirs;
	buf_init(&dirs);
	buf_printf(&dirs, "%s:%s", env ? env : "", plugindir);
	for (char *dir = dirs.data, *next; dir; dir = next) {
		next = strchr(dir, ':');
		if (next)
			*next++ = 0;
		if (!*dir)
			continue;
		buf_reset(out);
		buf_printf(out, "%s/%s%s", dir, name, suffix);
		if (access(out->data, F_OK) == 0) {
			buf_release(&dirs);
			return;
		}
	}
	buf_release(&dirs);
	buf_reset(out);
	buf_puts(out, name);
}

static int load_folders(struct registry *r, const char *list, const char *from)
{
	if (!list || !*list)
		return 0;
	char *copy = xstrdup(list);
	int rc = 0;
	struct buf path;
	buf_init(&path);
	for (char *dir = copy, *next; dir && rc == 0; dir = next) {
		next = strchr(dir, ':');
		if (next)
			*next++ = 0;
		if (!*dir)
			continue;
		struct dirent **names;
		int n = scandir(dir, &names, so_filter, alphasort);
		if (n < 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				rc = log_error("could not read plugin folder \"%s\" (from %s): %s", dir,
					       from, strerror(errno));
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (rc == 0) {
				buf_reset(&path);
				buf_printf(&path, "%s/%s", dir, names[i]->d_name);
				rc = registry_load_plugin(r, path.data, false);
			}
			free(names[i]);
		}
		free(names);
	}
	buf_release(&path);
	free(copy);
	return rc;
}

const struct registry_proc *registry_find(const struct registry *r, const char *name)
{
	int i = registry_index(r, name);
	return i < 0 ? NULL : &r->procs[i];
}

int registry_index(const struct registry *r, const char *name)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (!strcmp(r->procs[i].p.name, name))
			return (int)i;
	return -1;
}

/* Depth-first search for a cycle through i; mark: 0 new, 1 on the path, 2 done. */
static int find_cycle(const struct registry *r, uint32_t i, uint8_t *mark, uint32_t *path,
		      uint32_t depth)
{
	mark[i] = 1;
	path[depth] = i;
	const char *const *d = r->procs[i].p.depends;
	for (; d && *d; d++) {
		uint32_t j = (uint32_t)registry_index(r, *d);
		if (mark[j] == 1) {
			struct buf b;
			buf_init(&b);
			uint32_t k = depth;
			while (path[k] != j)
				k--;
			for (; k <= depth; k++)
				buf_printf(&b, "\"%s\" -> ", r->procs[path[k]].p.name);
			buf_printf(&b, "\"%s\"", r->procs[j].p.name);
			log_error("circular dependency between processors: %s", b.data);
			buf_release(&b);
			return -1;
		}
		if (mark[j] == 0 && find_cycle(r, j, mark, path, depth + 1))
			return -1;
	}
	mark[i] = 2;
	return 0;
}

int registry_check(struct registry *r)
{
	struct buf w;
	buf_init(&w);
	for (uint32_t i = 0; i < r->n; i++) {
		for (const char *const *d = r->procs[i].p.depends; d && *d; d++) {
			if (registry_index(r, *d) >= 0)
				continue;
			log_error("processor \"%s\" (%s) depends on unknown processor \"%s\"",
				  r->procs[i].p.name, where(r->procs[i].origin, &w), *d);
			buf_release(&w);
			return -1;
		}
	}
	buf_release(&w);
	uint8_t *mark = xcalloc(r->n + 1, 1);
	uint32_t *path = xcalloc(r->n + 1, sizeof(*path));
	int rc = 0;
	for (uint32_t i = 0; i < r->n && rc == 0; i++)
		if (mark[i] == 0)
			rc = find_cycle(r, i, mark, path, 0);
	free(mark);
	free(path);
	return rc;
}

int registry_setup(struct registry *r, char *const *plugins, uint32_t n_plugins)
{
	struct buf dir, path;
	buf_init(&dir);
	buf_init(&path);
	registry_plugindir(&dir);
	int rc = registry_add_builtins(r) || registry_load_plugin_path(r, getenv(REGISTRY_PATH_ENV)) ||
		 load_folders(r, dir.data, "the plugin folder") ? -1 : 0;
	for (uint32_t i = 0; i < n_plugins && rc == 0; i++) {
		resolve_bare_name(plugins[i], dir.data, &path);
		rc = registry_load_plugin(r, path.data, true);
	}
	buf_release(&dir);
	buf_release(&path);
	return rc ? -1 : registry_check(r);
}

/* Marks i and, transitively, its dependencies. */
static void want(const struct registry *r, uint32_t i, bool *sel)
{
	if (sel[i])
		return;
	sel[i] = true;
	for (const char *const *d = r->procs[i].p.depends; d && *d; d++) {
		int j = registry_index(r, *d);
		if (j >= 0)
			want(r, (uint32_t)j, sel);
	}
}

/* Two processors of order[0..n) that declare a table of the same name
 * (their result files would clash). Returns 0, or -1 after a message. */
static int tables_clash(const struct registry *r, const uint32_t *order, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < i; j++) {
			const struct registry_proc *a = &r->procs[order[j]], *b = &r->procs[order[i]];
			for (const struct bpass_table_decl *x = a->p.tables; x && x->name; x++)
				for (const struct bpass_table_decl *y = b->p.tables; y && y->name; y++) {
					if (strcmp(x->name, y->name))
						continue;
					struct buf w, w2;
					buf_init(&w);
					buf_init(&w2);
					log_error("table \"%s\" is declared by both processor \"%s\" (%s) and "
						  "processor \"%s\" (%s): run them separately", x->name,
						  a->p.name, where(a->origin, &w), b->p.name,
						  where(b->origin, &w2));
					buf_release(&w);
					buf_release(&w2);
					return -1;
				}
		}
	return 0;
}

int registry_select(const struct registry *r, const char *list, uint32_t **order, uint32_t *n)
{
	*order = NULL;
	*n = 0;
	bool *sel = xcalloc(r->n + 1, sizeof(*sel));
	bool *done = xcalloc(r->n + 1, sizeof(*done));
	int rc = 0;
	if (!list) {
		for (uint32_t i = 0; i < r->n; i++)
			if (r->procs[i].plugin == UINT32_MAX || r->procs[i].requested)
				want(r, i, sel);
	} else {
		char *copy = xstrdup(list);
		for (char *name = copy, *next; name; name = next) {
			next = strchr(name, ',');
			if (next)
				*next++ = 0;
			if (!*name)
				continue;
			int i = registry_index(r, name);
			if (i < 0) {
				rc = log_error("unknown processor \"%s\" (bpass processors lists them)",
					       name);
				break;
			}
			want(r, (uint32_t)i, sel);
		}
		free(copy);
		if (rc == 0) {
			uint32_t count = 0;
			for (uint32_t i = 0; i < r->n; i++)
				count += sel[i];
			if (count == 0)
				rc = log_error("no processor selected");
		}
	}
	if (rc == 0) {
		/* Repeatedly take the first selected processor, in registration
		 * order, whose dependencies are all taken (registry_check has
		 * ruled out cycles, so every pass takes one). */
		uint32_t *out = xcalloc(r->n + 1, sizeof(*out));
		uint32_t k = 0;
		for (bool progress = true; progress;) {
			progress = false;
			for (uint32_t i = 0; i < r->n; i++) {
				if (!sel[i] || done[i])
					continue;
				bool ready = true;
				for (const char *const *d = r->procs[i].p.depends; d && *d; d++) {
					int j = registry_index(r, *d);
					if (j >= 0 && !done[j])
						ready = false;
				}
				if (!ready)
					continue;
				done[i] = true;
				out[k++] = i;
				progress = true;
				break;
			}
		}
		if (tables_clash(r, out, k)) {
			free(out);
			rc = -1;
		} else {
			*order = out;
			*n = k;
		}
	}
	free(sel);
	free(done);
	return rc;
}
