/*
 * python/py_loader.c: finding and opening the Python host, and asking it
 * for the processors of a .py file (see py_loader.h).
 */
#include "py_loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

/* Must match python/host/py_host.h. */
#define PY_HOST_ENTRY "bpass_python_load"
typedef const struct bpass_processor *const *(*py_host_load_fn)(const char *path, char *err,
								 size_t errlen);

bool py_loader_is_py(const char *path)
{
	size_t n = strlen(path);
	return n > 3 && !strcmp(path + n - 3, ".py");
}

/* Opens the host: BIN_DIR/python/, then BIN_DIR/../lib/bpass/python/
 * (BIN_DIR/../python/ too, for the test programs of the build tree). */
static void *open_host(struct buf *tried)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	static const char *const dirs[] = {"python", PY_LOADER_DIR_REL, "../python"};
	struct buf path;
	buf_init(&path);
	void *h = NULL;
	for (size_t i = 0; !h && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s/%s", exe, dirs[i], PY_LOADER_HOST);
		if (access(path.data, F_OK))
			continue;
		/* RTLD_NODELETE: the interpreter outlives the registry. */
		h = dlopen(path.data, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
		if (!h) {
			buf_reset(tried);
			buf_printf(tried, "could not load the Python host \"%s\": %s", path.data,
				   dlerror());
		}
	}
	if (!h && !tried->len)
		buf_printf(tried, "no Python host (%s) beside \"%s\"", PY_LOADER_HOST, exe);
	buf_release(&path);
	return h;
}

const struct bpass_processor *const *py_loader_load(const char *path, void **handle)
{
	*handle = NULL;
	struct buf why;
	buf_init(&why);
	const struct bpass_processor *const *list = NULL;
	if (access(path, R_OK)) {
		log_error("could not load Python processor \"%s\": %s", path, strerror(errno));
		goto out;
	}
	void *h = open_host(&why);
	if (!h) {
		log_error("could not load Python processor \"%s\": %s", path, why.data);
		goto out;
	}
	py_host_load_fn load;
	*(void **)&load = dlsym(h, PY_HOST_ENTRY);
	if (!load) {
		dlclose(h);
		log_error("could not load Python processor \"%s\": the Python host has no \"%s\"",
			  path, PY_HOST_ENTRY);
		goto out;
	}
	char err[2048];
	err[0] = 0;
	list = load(path, err, sizeof(err));
	if (!list) {
		dlclose(h);
		log_error("could not load Python processor \"%s\": %s", path, err);
		goto out;
	}
	*handle = h;
out:
	buf_release(&why);
	return list;
}
