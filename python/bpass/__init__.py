"""python/bpass/__init__.py: the bpass module, the Python side of bpass's
processor API (docs/python.md is the tutorial).

A Python processor is one .py file loaded with `bpass run --plugin FILE.py`
(or found in BPASS_PLUGIN_PATH and the plugin folder). Its processors are
the classes it defines that derive from bpass.Processor, or, when the file
itself defines `name` at module level, the module itself. Either way a
processor has the fields and callbacks of the C API (processors/bpass.h):

    name, version, description, depends, options, tables
    init(ctx), exit(ctx)
    session_new(ctx) -> state          process(ctx, state, update)
    session_complete(ctx, state)       session_figures(ctx, state, eph) -> dict
    save(ctx, state) -> value          load(ctx, value, saved_version) -> state
    ephemeral_new(ctx) -> eph          (ctx.eph in process, session_complete)
    global_new(ctx) -> result          merge(ctx, result, state, eph)
    combine(ctx, into, other)          complete(ctx, result)
    write_results(ctx, result, results)

A callback that returns something other than None replaces the state (or
result) it was given, so immutable values work as states too. States are
saved as msgpack (never pickle): None, bool, int, float, str, bytes, lists,
tuples (read back as lists), dicts and numpy arrays round-trip.

This file is the pure-Python part; _bpass, the C part, is built into the
host that bpass embeds (python/host/). The host calls _load and
_format_exception; everything else here is for processors.
"""
import importlib.util
import os
import sys
import traceback

import _bpass
from _bpass import Error

try:
    import numpy
except ImportError:   # columns are then memoryviews and lists
    numpy = None

__all__ = ["Processor", "Decline", "Error", "iso_us", "iso_s", "CLASS_NAMES", "numpy"]
__version__ = _bpass.version

# The protocol classes of a packet, by view.proto_class (BPASS_CLASS_NAMES).
CLASS_NAMES = ("unknown", "tcp", "udp", "icmp", "other-ip", "ipv6", "non-ip")

# Column types of a declared table (bpass.h, enum bpass_type): "name:type".
TYPES = {"str": 1, "int": 2, "minute": 3, "hour": 4, "day": 5, "sum": 6, "min": 7,
         "max": 8, "count": 9, "distinct": 10, "distinct_str": 11}

CALLBACKS = ("init", "exit", "session_new", "process", "session_complete", "save", "load",
             "ephemeral_new", "session_figures", "global_new", "merge", "combine",
             "complete", "global_save", "global_load", "write_results")


class Processor:
    """Base class of a processor written as a class: one instance per process."""
    name = None
    version = 1
    description = ""
    depends = ()
    options = {}
    tables = {}


class Decline(Exception):
    """Raised by load (or global_load) to decline a saved state: recomputed."""


class iso_us(int):
    """A result cell written as ISO time with microseconds (time in µs)."""


class iso_s(int):
    """A result cell written as ISO time with seconds (time in s)."""


class _Spec:
    """What the host reads of one processor: plain fields, checked here."""

    def __init__(self, obj, where):
        def fail(what):
            raise TypeError("processor %s in %s: %s" % (getattr(obj, "name", None), where, what))
        self.name = getattr(obj, "name", None)
        if not isinstance(self.name, str):
            fail("name must be a str")
        self.version = getattr(obj, "version", 1)
        if not isinstance(self.version, int) or isinstance(self.version, bool):
            fail("version must be an int")
        self.description = str(getattr(obj, "description", "") or "")
        depends = getattr(obj, "depends", ()) or ()
        if isinstance(depends, str):
            depends = (depends,)
        self.depends = [str(d) for d in depends]
        self.options = []
        for k, v in dict(getattr(obj, "options", {}) or {}).items():
            default, desc = (v if isinstance(v, tuple) else (v, ""))
            self.options.append((str(k), str(desc), None if default is None else str(default)))
        self.tables = []
        for tname, cols in dict(getattr(obj, "tables", {}) or {}).items():
            parsed = []
            for c in cols:
                cname, _, ctype = c.partition(":") if isinstance(c, str) else c
                if ctype not in TYPES:
                    fail("table %r: column %r: type %r is none of %s" %
                         (tname, cname, ctype, ", ".join(TYPES)))
                parsed.append((str(cname), TYPES[ctype]))
            self.tables.append((str(tname), parsed))
        self.callbacks = {}
        for cb in CALLBACKS:
            f = getattr(obj, cb, None)
            if f is not None:
                if not callable(f):
                    fail("%s is not callable" % cb)
                self.callbacks[cb] = f


_loaded = 0


def _load(path):
    """Runs the file at path as a module; returns the _Spec of each processor."""
    global _loaded
    _loaded += 1
    stem = os.path.splitext(os.path.basename(path))[0]
    modname = "_bpass_plugin_%d_%s" % (_loaded, "".join(c if c.isalnum() else "_" for c in stem))
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.append(folder)   # helper modules next to the processor
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    found = []
    if "name" in vars(module):
        found.append(_Spec(module, os.path.basename(path)))
    for v in list(vars(module).values()):
        if (isinstance(v, type) and issubclass(v, Processor) and v is not Processor
                and v.__module__ == modname):
            found.append(_Spec(v(), os.path.basename(path)))
    if not found:
        raise TypeError("no processor: define name (and process) at module level, "
                        "or a class derived from bpass.Processor")
    return found


def _format_exception(exc):
    """One line: the exception and the last frames of its traceback."""
    if isinstance(exc, SyntaxError) and exc.filename:
        text = (exc.text or "").strip()
        return "%s: %s (%s, line %s%s)" % (type(exc).__name__, exc.msg,
                                           os.path.basename(exc.filename), exc.lineno,
                                           ": " + text if text else "")
    head = "".join(traceback.format_exception_only(type(exc), exc)).strip().replace("\n", " ")
    frames = traceback.extract_tb(exc.__traceback__)
    # Leave out the frames of this module (the loader's) and of importlib.
    frames = [f for f in frames if not f.filename.startswith("<frozen")
              and os.path.abspath(f.filename) != os.path.abspath(__file__)]
    if not frames:
        return head
    last = frames[-3:]
    where = ", ".join("%s:%d in %s" % (os.path.basename(f.filename), f.lineno, f.name)
                      for f in last)
    line = (last[-1].line or "").strip()
    return "%s (traceback, most recent call last: %s%s)" % (
        head, where, ": " + line if line else "")


def _class_names(codes):
    """The column of class names of a column of class codes (view.class_name)."""
    if numpy is None:
        return [CLASS_NAMES[c] for c in codes]
    return _CLASS_ARRAY[codes]


_CLASS_ARRAY = None if numpy is None else numpy.array(CLASS_NAMES, dtype=object)


def _objects(items):
    """A list as a column: a numpy object array when numpy is there."""
    if numpy is None:
        return items
    return numpy.fromiter(items, dtype=object, count=len(items))


def _column(buf, code):
    """A bytearray as a column of type code (struct module letters)."""
    if numpy is None:
        return memoryview(buf).cast(code)
    return numpy.frombuffer(buf, dtype=code)


def _ndarray_parts(a):
    """What a saved numpy array holds: [dtype, shape, bytes] (no objects)."""
    if a.dtype.hasobject:
        raise TypeError("cannot save a numpy array of objects in a state")
    return [a.dtype.str, list(a.shape), a.tobytes()]


def _ndarray(parts):
    """The numpy array of _ndarray_parts (a saved state), writable."""
    if numpy is None:
        raise Error("a saved state holds a numpy array, and numpy is not installed")
    dtype, shape, data = parts
    dt = numpy.dtype(dtype)
    if dt.hasobject:
        raise ValueError("a saved numpy array of objects")
    return numpy.frombuffer(data, dtype=dt).reshape(shape).copy()
