"""tests/plugins/py_counter.py: a Python processor using the whole contract
(tests/e2e/t0414-python.sh): per-session state of every kind that must
round-trip through msgpack (int, float, str, bytes, list, tuple, nested dict,
numpy arrays), an option (min_size: packets smaller are not counted), an
ephemeral state, session figures, a global result built by merge, combine and
complete and written by write_results, and a table kept by bpass.
"""
import bpass
import numpy as np


class Counter(bpass.Processor):
    name = "py-counter"
    version = 1
    description = "test: packets and bytes per session, in Python"
    options = {"min_size": ("0", "packets smaller than this are not counted")}
    tables = {"py_sizes": ["node_id:str", "size:int", "packets:count", "first:min"]}

    def init(self, ctx):
        self.min_size = int(ctx.option("min_size"))

    def session_new(self, ctx):
        return {"packets": 0, "bytes": 0, "mean": 0.0, "node": ctx.key.node_id,
                "raw": b"\x00\xff", "seqs": [], "pair": (1, "x"),
                "hist": np.zeros(4, dtype=np.int64), "last": None, "big": 2**63 + 1}

    def ephemeral_new(self, ctx):
        return 0

    def process(self, ctx, state, update):
        size = update.packets.size
        keep = size >= self.min_size
        # Round trips: what the last run saved reads back as it was written.
        assert state["raw"] == b"\x00\xff" and state["pair"] == [1, "x"] or \
            state["pair"] == (1, "x"), state
        assert state["hist"].dtype == np.int64 and state["big"] == 2**63 + 1
        state["packets"] += int(keep.sum())
        state["bytes"] += int(size[keep].sum())
        state["mean"] = state["bytes"] / max(state["packets"], 1)
        state["seqs"].append(update.sequence)
        state["hist"] += np.bincount(np.minimum(size[keep] // 500, 3), minlength=4)
        ctx.eph += len(size)   # this run's packets (ephemeral: sent to merge)
        ctx.add("py_sizes", ctx.key.node_id, size[keep], update.packets.time_us[keep])

    def session_figures(self, ctx, state, eph):
        assert eph is None or isinstance(eph, int)
        return {"py_packets": state["packets"]}

    def global_new(self, ctx):
        return {}

    def merge(self, ctx, result, state, eph):
        assert eph is None or eph > 0, eph   # None: merged from the saved state
        key = "%s/%d" % (ctx.key.node_id, ctx.key.session_id)
        result[key] = [state["packets"], state["bytes"], state["hist"].tolist(),
                       len(state["seqs"])]

    def combine(self, ctx, into, other):
        into.update(other)

    def complete(self, ctx, result):
        return dict(sorted(result.items()))

    def write_results(self, ctx, result, results):
        t = results.table("py_counter", ["session", "packets", "bytes", "hist", "updates",
                                         "when"])
        for k, (p, b, h, n) in result.items():
            t.row(k, p, b, "/".join(map(str, h)), n, bpass.iso_s(0))
