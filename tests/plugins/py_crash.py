"""tests/plugins/py_crash.py: a Python processor whose extension code crashes
(t0415): on the session whose id is $PY_CRASH_SESSION it dereferences a null
pointer through ctypes (SIGSEGV, with the default handler put back so that
the process dies on the signal even under AddressSanitizer). Otherwise it
counts packets per node in a kept table.
"""
import ctypes
import os
import signal

name = "py-crash"
tables = {"py_crash_packets": ["node_id:str", "packets:count", "first_us:min"]}


def process(ctx, state, update):
    if str(ctx.key.session_id) == os.environ.get("PY_CRASH_SESSION"):
        signal.signal(signal.SIGSEGV, signal.SIG_DFL)
        ctypes.string_at(0)
    ctx.add("py_crash_packets", ctx.key.node_id, update.packets.time_us)
