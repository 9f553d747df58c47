#!/bin/sh
# tests/e2e/t0508-overlap.sh: folders that overlap (the same folder, or one
# inside the other, also through a symbolic link) would feed the operations
# their own output: anonymize would anonymize its copies again, hourly would
# index the anonymized copies as new nodes, collect would take its own
# folder for a node. They are refused with a clear message and exit status
# 2, before anything is written.
. "$TOP/tests/e2e/lib.sh"

NODE=OWC43DC78EE081
SIG=0123456789abcdef0123456789abcdef01234567
mkdir -p "$T/x/m"
printf '5\nUNKNOWN\n%s 1337104800512345 0 1337104830\n\n\n%s\n\n0 0\n\n1337104830 0 0 0\n\n0 0\n\n\n0 256\n\n\n' \
	"$NODE" "$SIG" | gzip -n >"$T/x/m/$NODE-1337104800512345-0.gz"
(cd "$T/x/m" && tar -cf "$T/x/${NODE}_2012-05-15_18-00-00.tar" -- *.gz)
rm -rf "$T/x/m"
ln -s "$T/x" "$T/alias"
before=$(ls -A "$T/x")

# ---- anonymize ----
check_status "anonymize X X: a usage error" 2 "$BPASS" anonymize "$T/x" "$T/x"
check_grep "anonymize X X: says the folders overlap" \
	"cannot anonymize \"$T/x\" into \"$T/x\": the folders overlap" "$T/.out"
check_status "anonymize X X/anon: refused" 2 "$BPASS" anonymize "$T/x" "$T/x/anon"
check_status "anonymize X/sub X: refused" 2 "$BPASS" anonymize "$T/x/sub" "$T/x"
check_status "anonymize X ALIAS-OF-X: refused" 2 "$BPASS" anonymize "$T/x" "$T/alias"
check_eq "anonymize: nothing written" "$(ls -A "$T/x")" "$before"
check "anonymize X Y (siblings with a common prefix): fine" "$BPASS" anonymize "$T/x" "$T/x2"

# ---- collect ----
mkdir -p "$T/up/$NODE"
printf 'x\n' | gzip -n >"$T/up/$NODE/$NODE-1-0.gz"
check_status "collect UP UP: a usage error" 2 "$BPASS" collect --quiet-period 0 "$T/up" "$T/up"
check_grep "collect UP UP: says the folders overlap" \
	"cannot collect \"$T/up\" into \"$T/up\": the folders overlap" "$T/.out"
check_status "collect UP UP/updates: refused" 2 \
	"$BPASS" collect --quiet-period 0 "$T/up" "$T/up/updates"
check_eq "collect: nothing written, nothing taken" "$(find "$T/up" | wc -l)" "3"

# ---- hourly ----
site() { # $1: extra config lines
	rm -rf "$T/site"
	mkdir -p "$T/site"
	printf 'updates = updates\nindex = index.sqlite\nstate = state\nresults = results\nplots = plots\n%s\n' \
		"$1" >"$T/site/hourly.conf"
}
site "anonymized = updates/anonymized"
check_status "hourly: anonymized inside updates is a configuration error" 2 \
	"$BPASS" hourly "$T/site/hourly.conf"
check_grep "hourly: says why" \
	"\"anonymized\" \\(.*\\) and \"updates\" \\(.*\\) overlap" "$T/.out"
check_eq "hourly: no step ran" "$(ls -A "$T/site")" "hourly.conf"
site "anonymized = updates"
check_status "hourly: anonymized equal to updates is refused" 2 "$BPASS" hourly "$T/site/hourly.conf"
site "uploads = updates/.."
check_status "hourly: uploads containing updates is refused" 2 "$BPASS" hourly "$T/site/hourly.conf"
site "uploads = up
anonymized = up/anon"
check_status "hourly: anonymized inside uploads is refused" 2 "$BPASS" hourly "$T/site/hourly.conf"
done_testing
