#!/bin/sh
# tests/e2e/t0423-provenance.sh: every result set says what it was computed
# from: manifest.json in the results folder records the bpass version, each
# processor with its version, origin and option values (defaults and -o),
# each plugin with the SHA-256 of its file (checked against sha256sum), the
# index (path, tarballs and updates, checked against the index itself),
# when and on which host, the command line as typed, and which processor
# wrote which table; `bpass results` writes one too (no index); the same
# facts are in a database's provenance table (t0420, t0421).
. "$TOP/tests/e2e/lib.sh"

"$BPASS" generate "$T/g" --seed 9 --updates 120 --nodes 2 -q
"$BPASS" index -q "$T/g" "$T/idx"
P="$BUILD/plugins"
check_status "run with a plugin and an option: exit 0" 0 "$BPASS" run -q -w 1 "$T/idx" "$T/s" \
	-p byte-count,opts --plugin "$P/opts.so" -o opts.scale=3 --cache-global "$T/cache"
M="$T/s/default/results/manifest.json"
check "manifest.json is written beside the tables" test -s "$M"
check "manifest.json is JSON" python3 -c "import json, sys; json.load(open(sys.argv[1]))" "$M"
j() { python3 -c "import json, sys; m = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$M" "$1"; }
check_eq "the bpass version" "$(j 'm["bpass_version"]')" \
	"$("$BPASS" --version | sed 's/^bpass \([^ ]*\) .*/\1/')"
check_eq "the host" "$(j 'm["host"]')" "$(hostname)"
check_eq "the command line as typed" "$(j '" ".join(m["command_line"][1:])')" \
	"run -q -w 1 $T/idx $T/s -p byte-count,opts --plugin $P/opts.so -o opts.scale=3 --cache-global $T/cache"
check_eq "the index's path" "$(j 'm["index"]["path"]')" "$T/idx"
check_eq "the index's tarballs" "$(j 'm["index"]["tarballs"]')" \
	"$(sqlite3 "$T/idx" "SELECT count(*) FROM tarballs")"
check_eq "the index's updates" "$(j 'm["index"]["updates"]')" \
	"$(sqlite3 "$T/idx" "SELECT count(*) FROM updates")"
check_eq "the processors, with versions and origins" \
	"$(j '" ".join("%s:%d:%s" % (p["name"], p["version"], p["origin"]) for p in m["processors"])')" \
	"byte-count:1:built-in opts:1:$P/opts.so"
check_eq "an option set with -o, and one left at its default" \
	"$(j 'sorted(m["processors"][1]["options"].items())')" "[('fail_save', 'no'), ('scale', '3')]"
check_eq "the plugin's file and SHA-256" "$(j '" ".join(p["path"] + " " + p["sha256"] for p in m["plugins"])')" \
	"$P/opts.so $(sha256sum "$P/opts.so" | cut -d' ' -f1)"
check_eq "which processor wrote which table" \
	"$(j '" ".join(t["name"] + ":" + t["processor"] for t in m["tables"])')" \
	"sessions:bpass bytes_per_node:byte-count opts_total:opts"
check_grep "when, in UTC" '"written_iso": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"' "$M"

# bpass results writes its own manifest.
check_status "results --out DIR: exit 0" 0 "$BPASS" results "$T/cache" --out "$T/again" \
	--plugin "$P/opts.so"
M="$T/again/manifest.json"
check "results: manifest.json" test -s "$M"
check_eq "results: no index" "$(j 'm["index"]')" "None"
check_eq "results: the command line" "$(j '" ".join(m["command_line"][1:3])')" "results $T/cache"

done_testing
