"""processors/examples/dns_lookups_per_hour.py: DNS lookups of clear (whitelisted)
domains per local device, node and UTC hour, and the distinct names: the Python twin
of dns_lookups_per_hour.c, with the same table. Every A and CNAME answer whose name is
in clear counts once at the time of its response packet, for the device its address
id names ("unknown" when never announced); answers whose packet id is out of range
are skipped.
"""
name = "example-dns-lookups-py"
version = 1
description = "example: DNS lookups of clear domains per device, node and UTC hour (Python)"
depends = ["addresses"]
tables = {"dns_lookups_per_hour": ["node_id:str", "device:str", "hour:hour", "lookups:count",
                                   "domains:distinct_str"]}


def process(ctx, state, update):
    times = update.packets.time_us
    for records, anonymized in ((update.a_records, update.a_records.anonymized),
                                (update.cname_records, update.cname_records.domain_anonymized)):
        keep = (anonymized == 0) & (records.packet_id < len(times))
        devices = [ctx.device_of(a) or "unknown" for a in records.address_id[keep]]
        ctx.add("dns_lookups_per_hour", ctx.key.node_id, devices,
                times[records.packet_id[keep]], records.domain[keep])
