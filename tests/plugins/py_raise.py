"""tests/plugins/py_raise.py: a Python processor that raises (t0415): in the
callback named by $PY_RAISE_IN (process by default) of the session whose id
is $PY_RAISE_SESSION (exit: in every process); $PY_RAISE_KIND=arity makes process call ctx.add with a
cell too many, =state makes the state unsaveable (a set). Otherwise it counts
packets and bytes per node in a kept table.
"""
import os

name = "py-raise"
description = "test: raises where its environment says"
tables = {"py_raise_packets": ["node_id:str", "packets:count", "bytes:sum"]}


def helper(n):
    return 1 / n


def here(ctx, callback):
    return (os.environ.get("PY_RAISE_IN", "process") == callback and
            str(ctx.key.session_id) == os.environ.get("PY_RAISE_SESSION"))


def exit(ctx):
    if os.environ.get("PY_RAISE_IN") == "exit":
        helper(0)


def session_new(ctx):
    if here(ctx, "session_new"):
        helper(0)
    return {"n": 0}


def process(ctx, state, update):
    if here(ctx, "process"):
        kind = os.environ.get("PY_RAISE_KIND")
        if kind == "arity":
            ctx.add("py_raise_packets", ctx.key.node_id, 1, 2)
        elif kind == "state":
            state["oops"] = {1, 2}
        else:
            helper(0)
    state["n"] += 1
    ctx.add("py_raise_packets", ctx.key.node_id, update.packets.size)
