#!/bin/sh
# tests/e2e/t0501-plot.sh: `bpass plot` on hand-written result tables: one PNG
# (and with --svg one SVG) per node and kind, of the asked size, the SVGs
# well-formed XML, a node without data gets "no data" plots instead of a
# failure, plugin series become kinds, every <img> of index.html exists, and
# usage and input errors give the documented exit statuses.
. "$TOP/tests/e2e/lib.sh"

R="$T/results"
mkdir -p "$R"
{
	echo "node_id,minute,minute_iso,bytes,packets"
	m=0
	while [ $m -lt 120 ]; do
		echo "OWC43DC78EE081,$(( (1337104800 + m * 60) * 1000000 )),\"2012-05-15T18:00:00Z\",$(( 1000 + m * 37 % 500 )),$(( 3 + m % 5 ))"
		m=$((m + 1))
	done
} >"$R/throughput.csv"
cat >"$R/update_statistics.csv" <<'EOF'
node_id,anonymization_context,session_id,timestamp,iso,file_format_version,pcap_dropped,iface_dropped,packet_series_dropped,flow_table_dropped,dropped_a_records,dropped_cname_records,packets,flow_table_occupancy,a_records,cname_records
OWC43DC78EE081,ctx,1337104800512345,1337104830,x,5,0,0,0,0,0,0,10,1,0,0
OWC43DC78EE081,ctx,1337104800512345,1337104860,x,5,4,0,2,0,0,0,10,1,0,0
OWC43DC78EE081,ctx,1337104800512345,1337104890,x,5,9,1,0,0,0,0,10,1,0,0
EOF
printf 'node_id,domain,flows,anonymized\nOWC43DC78EE081,"google.com",9,0\n' >"$R/flow_domains_per_node.csv"
printf 'node_id,bytes\nOWC43DC78EE081,5000\nOWEMPTY0000000,0\n' >"$R/bytes_per_node.csv"
printf 'node_id,time_us,loss,delay\nOWC43DC78EE081,1337104800000000,1,2\nOWC43DC78EE081,1337104860000000,2,3\n' >"$R/series_probe.csv"

check "plot with --svg at 1000x500" "$BPASS" plot "$R" --out "$T/p" --svg --width 1000 --height 500
for node in OWC43DC78EE081 OWEMPTY0000000; do
	for kind in throughput drops sessions domains probe; do
		check "$node $kind: a PNG and an SVG" test -s "$T/p/${node}_$kind.png" -a -s "$T/p/${node}_$kind.svg"
	done
done
check_eq "nothing else but index.html" "$(ls "$T/p" | wc -l)" "21"

sizes=$(for f in "$T"/p/*.png; do python3 -c 'import struct,sys
d=open(sys.argv[1],"rb").read(24)
print("%dx%d" % struct.unpack(">II", d[16:24]) if d[:8]==b"\x89PNG\r\n\x1a\n" else "bad")' "$f"; done | sort -u)
check_eq "every PNG is 1000x500" "$sizes" "1000x500"
bad=0
for f in "$T"/p/*.svg; do
	python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$f" || bad=$((bad + 1))
done
check_eq "every SVG is well-formed XML" "$bad" "0"
check_grep "the SVG has the asked size" 'width="1000' "$T/p/OWC43DC78EE081_throughput.svg"

# Every image of the report exists; the empty node is listed.
missing=0
for src in $(grep -o '<img src="[^"]*"' "$T/p/index.html" | sed 's/<img src="//; s/"$//'); do
	[ -f "$T/p/$src" ] || missing=$((missing + 1))
done
check_eq "index.html: 10 images" "$(grep -o '<img ' "$T/p/index.html" | wc -l)" "10"
check_eq "index.html: every image exists" "$missing" "0"
check_grep "index.html lists the node without data" "OWEMPTY0000000" "$T/p/index.html"
check_grep "index.html links the SVGs" 'href="OWC43DC78EE081_throughput.svg"' "$T/p/index.html"

# The empty node's PNGs are "no data" plots, far smaller than a drawn one.
check "a no-data plot is smaller than a drawn one" test \
	"$(wc -c <"$T/p/OWEMPTY0000000_throughput.png")" -lt "$(wc -c <"$T/p/OWC43DC78EE081_throughput.png")"

# A second run over the same folder replaces the files (no temporary left).
check "plot again into the same folder" "$BPASS" plot "$R" --out "$T/p" -q
check_eq "no temporary files left" "$(ls -a "$T/p" | grep -c '\.tmp$')" "0"

# Errors.
check_status "missing --out is a usage error" 2 "$BPASS" plot "$R"
check_status "a bad --width is a usage error" 2 "$BPASS" plot "$R" --out "$T/q" --width 5
check_status "a missing results folder fails" 1 "$BPASS" plot "$T/nonexistent" --out "$T/q"
printf 'node_id,minute,bytes\nOWX,1,"open\n' >"$R/throughput.csv"
check_status "a malformed table fails" 1 "$BPASS" plot "$R" --out "$T/q"
check "the other plots are still drawn" test -s "$T/q/OWC43DC78EE081_drops.png"
"$BPASS" plot --help >"$T/help"
check_grep "--help prints the usage" "usage: bpass plot" "$T/help"
done_testing
