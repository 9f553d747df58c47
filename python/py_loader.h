/*
 * python/py_loader.h: bpass's side of Python processors. A processor file
 * ending in ".py" is loaded through the Python host (python/host/, built as
 * bpass_python.so), which bpass dlopens the first time it needs it, so that
 * bpass itself does not link libpython and a run without a Python processor
 * pays nothing for them. The host is looked for beside the running binary
 * (BIN_DIR/python/bpass_python.so in the build tree, and
 * PREFIX/lib/bpass/python/bpass_python.so when installed, next to the bpass
 * module's pure-Python part).
 */
#ifndef PYTHON_PY_LOADER_H
#define PYTHON_PY_LOADER_H

#include <stdbool.h>

#include "bpass.h"

/* True when path names a Python processor file (ends in ".py"). */
bool py_loader_is_py(const char *path);

/*
 * Loads the processors of the Python file path: returns their descriptors
 * (NULL-terminated, owned by the host for the life of the process) and sets
 * *handle to a dlopen handle of the host (dlclose it when done: the host
 * itself stays loaded); or returns NULL after a message naming path.
 */
const struct bpass_processor *const *py_loader_load(const char *path, void **handle);

/* The file name of the host, and where it is installed under PREFIX. */
#define PY_LOADER_HOST "bpass_python.so"
#define PY_LOADER_DIR_REL "../lib/bpass/python"

#endif
