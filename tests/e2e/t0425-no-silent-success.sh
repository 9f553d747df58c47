#!/bin/sh
# tests/e2e/t0425-no-silent-success.sh: nothing succeeds silently. A usage
# error of any command prints its one-line message and where to get help
# (`bpass CMD --help`), not the whole help text, and exits 2; `bpass plot`
# on a folder without result tables is an error, on tables without any node
# a warning, and it reads JSON Lines results (the same plots as from CSV);
# `bpass run --include-nodes` naming a node the index does not have warns,
# and naming none that it has is an error before anything runs.
. "$TOP/tests/e2e/lib.sh"

# usage_error "description" CMD ARGS...: exit 2, two lines: the error, the hint.
usage_error() {
	_d=$1; _cmd=$2; shift 2
	"$BPASS" "$@" >"$T/uo" 2>"$T/ue"
	_rc=$?
	if [ "$_rc" -eq 2 ] && [ "$(wc -l <"$T/ue")" -eq 2 ] &&
	   head -1 "$T/ue" | grep -q '^bpass: error: ' &&
	   [ "$(tail -1 "$T/ue")" = "bpass: hint: see 'bpass $_cmd --help'" ] &&
	   ! grep -q 'usage:' "$T/ue" && [ ! -s "$T/uo" ]; then
		ok "$_d"
	else
		not_ok "$_d (status $_rc)"; sed 's/^/# /' "$T/ue" | head -5
	fi
}
usage_error "index: unknown option" index index --nope a b
usage_error "index: missing value" index index a b -j
usage_error "sessions: no INDEX" sessions sessions
usage_error "rejects: unknown option" rejects rejects --nope x
usage_error "show: missing SEQ" show show idx OW1 1
usage_error "parse: no file" parse parse
usage_error "generate: unknown option" generate generate --nope d
usage_error "run: bad -w" run run idx st -w many
usage_error "run: unknown -o option form" run run idx st -o nodot
usage_error "processors: an argument" processors processors extra
usage_error "results: no --out" results results cache
usage_error "state: too few arguments" state state st
usage_error "plot: no --out" plot plot results
usage_error "collect: one folder" collect collect a
usage_error "anonymize: unknown option" anonymize anonymize --nope a b
usage_error "hourly: missing value" hourly hourly --state
# The top level names itself.
"$BPASS" nope >"$T/uo" 2>"$T/ue"
check_eq "unknown command: exit 2" "$?" "2"
check_eq "unknown command: error and hint" "$(cat "$T/ue")" \
	"$(printf '%s\n%s' 'bpass: error: unknown command "nope"' "bpass: hint: see 'bpass --help'")"
check_status "--help still prints the whole help" 0 "$BPASS" run --help
check_grep "... on stdout" "^usage: bpass run INDEX STATE_DIR" "$T/.out"

"$BPASS" generate "$T/g" --seed 2 --updates 100 --nodes 2 -q
"$BPASS" index -q "$T/g" "$T/idx"
node=$("$BPASS" sessions --csv "$T/idx" | sed -n '2s/,.*//p')

# --include-nodes.
"$BPASS" run -q -w 1 "$T/idx" "$T/s" --include-nodes "$node,OWNOTINDEX0000" >"$T/out" 2>"$T/err"
check_eq "--include-nodes with one unknown node: exit 0" "$?" "0"
check_grep "... a warning names it" \
	"^bpass: warning: node \"OWNOTINDEX0000\" of --include-nodes is not in index \"$T/idx\"\$" "$T/err"
check_status "--include-nodes with only unknown nodes: exit 1" 1 "$BPASS" run -q "$T/idx" "$T/s2" \
	--include-nodes OWNOTINDEX0000
check_grep "... an error" "^bpass: error: no node of --include-nodes is in index \"$T/idx\": nothing to run\$" "$T/.out"
check "... nothing was run" test ! -e "$T/s2"
check_status "--exclude-nodes with an unknown node: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/s" \
	--exclude-nodes OWNOTINDEX0000
check_grep "... a warning names it" 'node "OWNOTINDEX0000" of --exclude-nodes is not in index' "$T/.out"

# plot: a folder without results, JSON Lines results, tables without nodes.
mkdir -p "$T/empty"
check_status "plot of a folder without results: exit 1" 1 "$BPASS" plot "$T/empty" --out "$T/p0"
check_grep "... says so" "^bpass: error: could not plot results \"$T/empty\": it holds no result table" "$T/.out"
check "... no report written" test ! -e "$T/p0/index.html"
check_status "a run with --json" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/j" --json
check_status "plot of JSON Lines results: exit 0" 0 "$BPASS" plot -q "$T/j/default/results" --out "$T/pj"
check_status "plot of the CSV results" 0 "$BPASS" plot -q "$T/s/default/results" --out "$T/pc"
for png in "$T"/pc/*.png; do
	check "JSON Lines: $(basename "$png") as from CSV" cmp "$png" "$T/pj/$(basename "$png")"
done
check_eq "JSON Lines: the report lists every node" "$(grep -c '<tr id="node-' "$T/pj/index.html")" \
	"$(grep -c '<tr id="node-' "$T/pc/index.html")"
mkdir -p "$T/nonodes"
head -1 "$T/s/default/results/throughput.csv" >"$T/nonodes/throughput.csv"
"$BPASS" plot "$T/nonodes" --out "$T/pn" >"$T/out" 2>"$T/err"
check_eq "plot of tables without a node: exit 0" "$?" "0"
check_grep "... a warning" "^bpass: warning: no node in the result tables of \"$T/nonodes\": the report is empty\$" "$T/err"

done_testing
