#!/bin/sh
# tests/e2e/browser/t-report.sh: opens the report of `bpass plot` in headless
# Chromium and checks that the page loads with every image. Not part of the
# default test run (it needs a browser, and installs Debian's chromium when
# it is missing); run it with `make browser-test`, or:
#   BPASS=build/bpass BUILD=build TOP=$PWD sh tests/e2e/browser/t-report.sh
# The report's inline script sets the page title to "N/M images loaded"
# (images complete with a non-zero natural width); --dump-dom prints the DOM
# after the load event. Each <img src> must also be a file that is a PNG of
# the plot size, and a screenshot of the page must be written. Removing one
# image must show up as N-1/M, so the check can fail.
. "$TOP/tests/e2e/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	echo "# installing chromium (Debian package)"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium >"$T/apt.log" 2>&1 ||
		{ $SUDO apt-get update -qq >/dev/null 2>&1 &&
		  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends chromium >"$T/apt.log" 2>&1; }
	CHROMIUM=$(command -v chromium || true)
fi
check "chromium is available" test -n "$CHROMIUM"
[ -n "$CHROMIUM" ] || { done_testing; exit 1; }

browse() { # $1 = extra flag, $2 = url; the page's DOM (or screenshot) after load
	"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --no-first-run --user-data-dir="$(mktemp -d "$T/profile.XXXXXX")" \
		--virtual-time-budget=10000 --window-size=1400,1000 "$1" "$2" 2>>"$T/chromium.log"
}

# Results for two nodes: one with data of every kind, one with almost none.
R="$T/results"
mkdir -p "$R"
{
	echo "node_id,minute,minute_iso,bytes,packets"
	m=0
	while [ $m -lt 180 ]; do
		echo "OWC43DC78EE081,$(( (1337104800 + m * 60) * 1000000 )),x,$(( 40000 + (m % 17) * 3000 )),$(( 50 + m % 23 ))"
		m=$((m + 1))
	done
} >"$R/throughput.csv"
printf 'node_id,lower_us,upper_us,lower_iso,upper_iso\nOWC43DC78EE081,1337104800000000,1337115600000000,a,b\n' >"$R/availability.csv"
printf 'node_id,anonymization_context,session_id,availability_lower_us,availability_upper_us\nOWC43DC78EE081,c,1337104800000000,1337104800000000,1337115600000000\n' >"$R/sessions.csv"
printf 'node_id,anonymized,domain,flows\nOWC43DC78EE081,0,google.com,40\nOWC43DC78EE081,1,0123456789abcdef0123456789abcdef01234567,12\n' >"$R/flow_domains_per_node.csv"
printf 'node_id,bytes\nOWC43DC78EE081,123456789\nOW204E7F000001,0\n' >"$R/bytes_per_node.csv"
check "plot writes the report" "$BPASS" plot "$R" --out "$T/plots"

total=$(grep -o '<img ' "$T/plots/index.html" | wc -l)
check_eq "the report has 8 images (2 nodes x 4 kinds)" "$total" "8"

# Every <img src> is a PNG file of 1200 x 600 pixels.
bad=0
for src in $(grep -o '<img src="[^"]*"' "$T/plots/index.html" | sed 's/<img src="//; s/"$//'); do
	size=$(python3 -c 'import struct,sys
d=open(sys.argv[1],"rb").read(24)
assert d[:8]==b"\x89PNG\r\n\x1a\n" and d[12:16]==b"IHDR"
print("%dx%d" % struct.unpack(">II", d[16:24]))' "$T/plots/$src" 2>/dev/null)
	[ "$size" = "1200x600" ] || { bad=$((bad + 1)); echo "# $src: ${size:-not a PNG}"; }
done
check_eq "every image is a 1200x600 PNG" "$bad" "0"

browse --dump-dom "file://$T/plots/index.html" >"$T/dom.html"
check_grep "the page loads with every image" "<title>$total/$total images loaded</title>" "$T/dom.html"
check_grep "the page shows the node table" "OWC43DC78EE081" "$T/dom.html"

browse --screenshot="$T/shot.png" "file://$T/plots/index.html" >/dev/null
check "a screenshot is written" test -s "$T/shot.png"

rm "$T/plots/OW204E7F000001_domains.png"
browse --dump-dom "file://$T/plots/index.html" >"$T/dom2.html"
check_grep "a missing image is noticed" "<title>$((total - 1))/$total images loaded</title>" "$T/dom2.html"
done_testing
