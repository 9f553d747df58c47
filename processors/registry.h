/*
 * processors/registry.h: the processors a run can use: the built-ins of
 * processors_builtin[] and the processors of plugins loaded with dlopen, all
 * registered through registry_add, which checks every descriptor the same
 * way (ABI version and struct size first, then name, version, callbacks,
 * table declarations, uniqueness). A descriptor that declares tables is
 * stored wrapped (processors/proc_tables.h): bpass keeps its tables, and
 * the rest of bpass calls it like any other. Dependencies are checked once everything is loaded
 * (registry_check), and a run's selection is resolved into run order
 * (registry_select).
 *
 * Plugins: a shared object exporting BPASS_PLUGIN_ENTRY (bpass.h), loaded
 * with RTLD_NOW | RTLD_LOCAL; if any of its descriptors is refused, none of
 * them stays registered and the object is closed again. Loading the same
 * object twice (by --plugin and from BPASS_PLUGIN_PATH) registers it once.
 *
 * Typical use (registry_setup does all of it):
 *   registry_init(&r);
 *   registry_add_builtins(&r);
 *   registry_load_plugin_path(&r, getenv("BPASS_PLUGIN_PATH"));
 *   registry_load_plugin(&r, "./mine.so", true);   ...
 *   registry_check(&r);
 *   registry_select(&r, "a,b", &order, &n);
 *   ...
 *   registry_release(&r);                          closes the plugins
 *
 * Every function that returns int returns 0, or -1 after printing why.
 */
#ifndef PROCESSORS_REGISTRY_H
#define PROCESSORS_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "bpass.h"

#define REGISTRY_BUILTIN "built-in"
#define REGISTRY_PATH_ENV "BPASS_PLUGIN_PATH"

struct registry_proc {
	struct bpass_processor p;  /* copy of the descriptor (fields past the
				    * plugin's struct_size are zero), wrapped
				    * when it declares tables */
	const char *origin;        /* REGISTRY_BUILTIN or the plugin's path (owned by the registry) */
	uint32_t plugin;           /* index in plugins[], or UINT32_MAX for a built-in */
	bool requested;            /* from a plugin named explicitly (--plugin) */
};

struct registry_plugin {
	char *path;                /* as given */
	void *handle;              /* dlopen handle */
};

struct registry {
	struct registry_proc *procs;   /* in registration order */
	uint32_t n, cap;
	struct registry_plugin *plugins;
	uint32_t n_plugins, cap_plugins;
};

void registry_init(struct registry *r);
/* Forgets every processor and dlcloses every plugin. */
void registry_release(struct registry *r);

/* Registers one descriptor (copied). origin is REGISTRY_BUILTIN or a plugin
 * path (copied). plugin: index in plugins[], or UINT32_MAX. */
int registry_add(struct registry *r, const struct bpass_processor *p, const char *origin,
		 uint32_t plugin, bool requested);
int registry_add_builtins(struct registry *r);
/* Loads one plugin. requested: named by the user (its processors are then
 * selected by default, see registry_select). */
int registry_load_plugin(struct registry *r, const char *path, bool requested);
/* Loads every *.so (in name order) of every folder of a colon-separated
 * list; NULL or "" loads nothing. Folders that do not exist are skipped. */
int registry_load_plugin_path(struct registry *r, const char *list);
/* Every dependency is registered and there is no cycle. */
int registry_check(struct registry *r);

/*
 * The plugin folder of this installation, PREFIX/lib/bpass/plugins, found
 * from the running binary (PREFIX/bin/bpass), so an installed bpass finds
 * it wherever it was installed (pkg-config --variable=plugindir bpass names
 * the same folder). Sets out to "" when the binary's path is unknown.
 */
#define REGISTRY_PLUGINDIR_REL "../lib/bpass/plugins"
struct buf;
void registry_plugindir(struct buf *out);

/* Built-ins, the folders of BPASS_PLUGIN_PATH, the plugin folder, then the
 * n_plugins plugins, then check. A plugin given as a bare name (no '/')
 * that is not in the working folder is looked for, as NAME or NAME.so, in
 * the folders of BPASS_PLUGIN_PATH and then in the plugin folder. */
int registry_setup(struct registry *r, char *const *plugins, uint32_t n_plugins);

/* The processor called name, or NULL. */
const struct registry_proc *registry_find(const struct registry *r, const char *name);
/* Its index, or -1. */
int registry_index(const struct registry *r, const char *name);

/*
 * Resolves a selection: list is comma-separated names, or NULL for the
 * default (every built-in, and every processor of a requested plugin). The
 * result adds every dependency, in a topological order that otherwise keeps
 * registration order. *order (caller frees) receives registry indexes.
 * Two selected processors may not declare tables of the same name.
 */
int registry_select(const struct registry *r, const char *list, uint32_t **order, uint32_t *n);

#endif
