"""processors/examples/protocols_per_day.py: bytes and packets per protocol class
(tcp, udp, icmp, other-ip, ipv6, non-ip, unknown), node and UTC day: the Python
twin of protocols_per_day.c, with the same table. The class of each packet comes
from the view of the flows built-in (update.view), as one column per update; the
table is kept by bpass, and ctx.add adds one row per packet from whole columns.
"""
name = "example-protocols-py"
version = 1
description = "example: bytes and packets per protocol class, node and UTC day (Python)"
depends = ["flows"]
tables = {"protocols_per_day": ["node_id:str", "day:day", "class:str", "bytes:sum",
                                "packets:count"]}


def process(ctx, state, update):
    packets = update.packets
    ctx.add("protocols_per_day", ctx.key.node_id, packets.time_us, update.view.class_name,
            packets.size)
