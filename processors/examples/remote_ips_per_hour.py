"""processors/examples/remote_ips_per_hour.py: distinct remote IP addresses per local
device, node and UTC hour, with the packets and bytes they exchanged: the Python twin
of remote_ips_per_hour.c, with the same table. The flow and device of each packet come
from the views of the flows and addresses built-ins (update.view, one column each);
packets without a known local side are not counted.
"""
import numpy as np

name = "example-remote-ips-py"
version = 1
description = "example: distinct remote IP addresses per device, node and UTC hour (Python)"
depends = ["flows", "addresses"]
tables = {"remote_ips_per_hour": ["node_id:str", "device:str", "hour:hour",
                                  "remote_ips:distinct_str", "packets:count", "bytes:sum"]}


def process(ctx, state, update):
    view, packets = update.view, update.packets
    local = view.local_side >= 0
    device = view.device_mac[local]
    device[device == None] = "unknown"  # noqa: E711 (numpy: element-wise)
    ctx.add("remote_ips_per_hour", ctx.key.node_id, device, packets.time_us[local],
            view.remote_ip[local], packets.size[local])
