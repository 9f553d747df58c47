#!/bin/sh
# tests/e2e/t0505-pipeline.sh: the real hourly pipeline end to end. Generated
# updates are unpacked into per-node upload folders; `bpass hourly` collects,
# anonymizes (keyed: HMAC-SHA256, with a manifest kept outside), indexes, runs
# every processor and plots; the report lists every node with its plots; the
# anonymized copies index with hashed node ids only; a second hour with no
# uploads does almost nothing and says so; a new upload makes the next hour
# run again.
. "$TOP/tests/e2e/lib.sh"

check "generate sample tarballs" "$BPASS" generate "$T/gen" --seed 7 --updates 240 --nodes 2
nodes=""
for tb in "$T"/gen/*.tar; do
	node=$(basename "$tb")
	node=${node%%_*}
	mkdir -p "$T/up/$node"
	tar -xf "$tb" -C "$T/up/$node"
	case " $nodes " in *" $node "*) ;; *) nodes="$nodes $node" ;; esac
done
nnodes=$(echo $nodes | wc -w)
check_eq "two nodes uploaded" "$nnodes" "2"
uploaded=$(find "$T/up" -name '*.gz' | wc -l)

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/anon.key"
chmod 600 "$T/anon.key"
cat >"$T/hourly.conf" <<EOF
uploads = up
updates = updates
index = index.sqlite
state = state
results = results
plots = plots
anonymized = anonymized
anonymize-key = anon.key
anonymize-manifest = private/manifest.tsv
workers = 2
quiet-period = 0
EOF
"$BPASS" hourly "$T/hourly.conf" >"$T/out1" 2>&1
rc=$?
check_eq "first hour: exit 0" "$rc" "0"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/out1" | tail -20
for step in collect anonymize index run plot; do
	check_grep "first hour: $step ok" "hourly: $step: ok in" "$T/out1"
done
check_eq "every upload collected" "$(find "$T/up" -name '*.gz' | wc -l)" "0"
members=$(for tb in "$T"/updates/*.tar; do tar -tf "$tb"; done | wc -l)
check_eq "every upload is in a tarball" "$members" "$uploaded"
check "result tables written" test -s "$T/results/throughput.csv"
check_eq "the report has a row per node" "$(grep -c '<tr id="node-' "$T/plots/index.html")" "$nnodes"
for node in $nodes; do
	for kind in throughput drops sessions domains; do
		check "$node: $kind plot" test -s "$T/plots/${node}_$kind.png"
	done
	check_grep "$node: listed in the report" ">$node<" "$T/plots/index.html"
done
missing=0
for src in $(grep -o '<img src="[^"]*"' "$T/plots/index.html" | sed 's/<img src="//; s/"$//'); do
	[ -f "$T/plots/$src" ] || missing=$((missing + 1))
done
check_eq "every image of the report exists" "$missing" "0"

# The anonymized copies hold no clear node id and index on their own.
check_eq "anonymized copies: one per tarball" "$(ls "$T/anonymized" | grep -c '\.tar$')" \
	"$(ls "$T/updates" | grep -c '\.tar$')"
leaks=0
for node in $nodes; do
	ls "$T/anonymized" | grep -q "$node" && leaks=$((leaks + 1))
	for tb in "$T"/anonymized/*.tar; do
		tar -xOf "$tb" | gunzip -c | grep -q "$node" && leaks=$((leaks + 1))
	done
done
check_eq "anonymized copies: no clear node id" "$leaks" "0"
check_eq "anonymized copies: named by a 64-hex HMAC" \
	"$(ls "$T/anonymized" | grep -cvE '^[0-9a-f]{64}_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}_[0-9a-f]{32}\.tar$')" "0"
check_eq "anonymized copies: the manifest lists each, outside the folder" \
	"$(wc -l <"$T/private/manifest.tsv")" "$(ls "$T/anonymized" | grep -c '\.tar$')"
check "anonymized copies index" "$BPASS" index "$T/anonymized" "$T/anon.sqlite"

# Second hour, nothing uploaded.
"$BPASS" hourly "$T/hourly.conf" >"$T/out2" 2>&1
check_eq "second hour: exit 0" "$?" "0"
check_grep "second hour: nothing new" "nothing new: 0 tarballs collected" "$T/out2"
check_eq "second hour: run and plot skipped" "$(grep -cE 'hourly: (run|plot):' "$T/out2")" "0"

# A new upload: the next hour runs again.
first=$(ls "$T"/gen/*.tar | head -1)
node=$(basename "$first")
node=${node%%_*}
mkdir -p "$T/x"
tar -xf "$first" -C "$T/x"
one=$(ls "$T/x" | head -1)
cp "$T/x/$one" "$T/up/$node/"
"$BPASS" hourly "$T/hourly.conf" >"$T/out3" 2>&1
check_eq "third hour: exit 0" "$?" "0"
check_grep "third hour: one tarball collected" "done: 1 tarball collected" "$T/out3"
check_grep "third hour: run again" "hourly: run: ok in" "$T/out3"
done_testing
