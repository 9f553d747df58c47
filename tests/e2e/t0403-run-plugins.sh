#!/bin/sh
# tests/e2e/t0403-run-plugins.sh: processor plugins under `bpass run`: the
# refusals (wrong ABI, no entry point, duplicate name, cycle) with their
# messages and nothing run; the example plugin gives byte-count's numbers;
# BPASS_PLUGIN_PATH; a plugin that crashes on one session costs that session
# only (exit 1, message naming worker, signal, processor and session, the
# session's saved state untouched and merged as it was, marked stale, the
# others saved); and a processor whose
# version changes is recomputed alone (the others are not fed again).
. "$TOP/tests/e2e/lib.sh"

P="$BUILD/plugins"
field() { sed -n "s/.*[:,] $2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }

"$BPASS" generate "$T/g" --seed 9 --updates 300 --nodes 2 -q
"$BPASS" index -q "$T/g" "$T/idx"
"$BPASS" sessions --csv "$T/idx" >"$T/sessions"

# --- refused plugins -------------------------------------------------------------
refused() { # NAME.so EXPECTED_MESSAGE
	"$BPASS" run "$T/idx" "$T/r" -w 1 --plugin "$P/$1" >"$T/out" 2>"$T/err"
	check_eq "$1: exit 1" "$?" "1"
	check_grep "$1: message" "$2" "$T/err"
	check "$1: nothing was run" test ! -e "$T/r/default/results"
}
refused bad_abi.so "^bpass: error: incompatible processor plugin \"$P/bad_abi.so\": ABI version 999, bpass expects 2\$"
refused no_entry.so "^bpass: error: could not load processor plugin \"$P/no_entry.so\": no entry point \"bpass_processors\"\$"
refused dup_name.so "^bpass: error: duplicate processor \"byte-count\" in plugin \"$P/dup_name.so\": already registered by built-in\$"
refused cycle.so "^bpass: error: circular dependency between processors: \"cycle-a\" -> \"cycle-b\" -> \"cycle-a\"\$"
"$BPASS" processors --plugin "$P/cycle.so" >"$T/out" 2>"$T/err"
check_eq "processors: a cycle: exit 1" "$?" "1"

# --- the example plugin ------------------------------------------------------------
"$BPASS" processors --plugin "$P/byte_count_plugin.so" >"$T/procs"
check_grep "processors: lists the plugin with its origin" "^example-byte-count +1 +$P/byte_count_plugin.so +example plugin" "$T/procs"
check_grep "processors: lists dependencies" "^flow-domains +1 +built-in +flows,addresses,domains " "$T/procs"
check_status "example plugin: run" 0 "$BPASS" run -q "$T/idx" "$T/ex" -w 2 -p byte-count,example-byte-count --plugin "$P/byte_count_plugin.so"
R="$T/ex/default/results"
tail -n +2 "$R/bytes_per_node.csv" >"$T/a"
tail -n +2 "$R/example_bytes_per_node.csv" >"$T/b"
check "example plugin: same bytes per node as byte-count" diff "$T/a" "$T/b"
check_grep "example plugin: its sessions.csv columns" "^node_id,.*,packets,bytes,example_packets,example_bytes,status,stale_reason\$" "$R/sessions.csv"
awk -F, 'NR > 1 && ($6 != $8 || $7 != $9)' "$R/sessions.csv" >"$T/mismatch"
check_eq "example plugin: same figures per session" "$(wc -l <"$T/mismatch")" "0"
# Without -p, a --plugin's processors run with the built-ins.
check_status "example plugin: default selection" 0 "$BPASS" run -q "$T/idx" "$T/ex2" -w 1 --plugin "$P/byte_count_plugin.so"
check "example plugin: selected by default" test -s "$T/ex2/default/results/example_bytes_per_node.csv"
# From BPASS_PLUGIN_PATH it is available, not selected by default.
mkdir "$T/pp"
cp "$P/byte_count_plugin.so" "$T/pp/"
BPASS_PLUGIN_PATH="/nonexistent:$T/pp" "$BPASS" processors >"$T/procs"
check_grep "BPASS_PLUGIN_PATH: listed" "^example-byte-count +1 +$T/pp/byte_count_plugin.so " "$T/procs"
check_status "BPASS_PLUGIN_PATH: run -p" 0 env BPASS_PLUGIN_PATH="$T/pp" "$BPASS" run -q "$T/idx" "$T/ex3" -w 1 -p example-byte-count
check "BPASS_PLUGIN_PATH: its table" test -s "$T/ex3/default/results/example_bytes_per_node.csv"

# --- a crashing plugin --------------------------------------------------------------
# A session with update 0 and several updates, to crash in.
line=$(awk -F, 'NR > 1 && $6 == 0 && $8 == "" && $3 > 0 && $4 > 2 { print; exit }' "$T/sessions")
node=$(echo "$line" | cut -d, -f1)
ctx=$(echo "$line" | cut -d, -f2)
sid=$(echo "$line" | cut -d, -f3)
merged=$(awk -F, 'NR > 1 && $6 == 0' "$T/sessions" | wc -l)
check_status "crash: a first run with byte-count" 0 "$BPASS" run -q "$T/idx" "$T/cr" -w 2 -p byte-count
state="$T/cr/default/${node}_${ctx}_${sid}.state"
cp "$state" "$T/before.state"
cp "$T/cr/default/results/sessions.csv" "$T/ref.csv"
for w in 2 1; do
	CRASHY_SESSION=$sid "$BPASS" run "$T/idx" "$T/cr" -w $w -p crashy,byte-count --plugin "$P/crash.so" >"$T/out" 2>"$T/err"
	check_eq "crash -w $w: exit 1" "$?" "1"
	check_grep "crash -w $w: the death is reported" \
		"^bpass: error: worker [0-9]+ \\(pid [0-9]+\\) died on signal 11 while processor \"crashy\" was processing session $node/$ctx/$sid \\(update 0\\)\$" "$T/err"
	check_grep "crash -w $w: listed as failed at the end" "^bpass: error: session $node/$ctx/$sid failed: its worker died\$" "$T/err"
	check_grep "crash -w $w: one failure in the summary" ", failed 1, " "$T/out"
	check "crash -w $w: its state is untouched" cmp "$state" "$T/before.state"
	check_eq "crash -w $w: every session merged" "$(($(wc -l <"$T/cr/default/results/sessions.csv") - 1))" "$merged"
	check_eq "crash -w $w: it is stale, as of its saved state" \
		"$(grep "^$node,$ctx,$sid," "$T/cr/default/results/sessions.csv" | cut -d, -f4-)" \
		"$(grep "^$node,$ctx,$sid," "$T/ref.csv" | cut -d, -f4-7),stale,its worker died"
	other=$(ls "$T/cr/default" | grep '\.state$' | grep -v "_${sid}.state" | head -1)
	"$BPASS" state -- "$T/cr" "$(echo "$other" | cut -d_ -f1)" "$(echo "$other" | sed 's/.*_\([0-9-]*\)\.state$/\1/')" >"$T/other" 2>&1
	check_grep "crash -w $w: another session has crashy's state" 'processor "crashy"' "$T/other"
done
CRASHY_SESSION=$sid CRASHY_SIGNAL=abort "$BPASS" run "$T/idx" "$T/cr" -w 1 -p crashy,byte-count --plugin "$P/crash.so" >"$T/out" 2>"$T/err"
check_grep "crash: abort is signal 6" "died on signal 6 while processor \"crashy\"" "$T/err"
check_status "crash: without the crash, the session completes" 0 "$BPASS" run -q "$T/idx" "$T/cr" -w 2 -p crashy,byte-count --plugin "$P/crash.so"
check_eq "crash: all sessions merged again" "$(($(wc -l <"$T/cr/default/results/sessions.csv") - 1))" "$merged"

# --- a processor version change --------------------------------------------------
run_v() { # VERSION OUT ERR [ENV...]
	v=$1 out=$2 err=$3
	shift 3
	env VERSIONED_VERSION=$v "$@" "$BPASS" run "$T/idx" "$T/v" -w 2 -p versioned,crashy,byte-count \
		--plugin "$P/versioned.so" --plugin "$P/crash.so" >"$out" 2>"$err"
}
run_v 1 "$T/out" "$T/err"
check_eq "version 1: exit 0" "$?" "0"
"$BPASS" state --json "$T/v" "$node" "$sid" >"$T/v1.json"
# Version 2 with crashy set to crash on a session: crashy is not fed again, so it cannot crash.
run_v 2 "$T/out" "$T/err" CRASHY_SESSION=$sid
check_eq "version 2: exit 0 (no other processor was fed)" "$?" "0"
check_eq "version 2: every merged session processed again" "$(field "$T/out" processed)" "$merged"
"$BPASS" state --json "$T/v" "$node" "$sid" >"$T/v2.json"
part() { sed 's/}, {/}\n{/g' "$1" | grep "\"name\": \"$2\""; }
check_eq "version 2: byte-count's part byte for byte the same" "$(part "$T/v2.json" byte-count)" "$(part "$T/v1.json" byte-count)"
check_eq "version 2: crashy's part the same" "$(part "$T/v2.json" crashy)" "$(part "$T/v1.json" crashy)"
check_grep "version 2: versioned recomputed with version 2" '"name": "versioned", "version": 2, .*"data": \[\[[0-9]+, 2\]\]' "$T/v2.json"
check_eq "version 2: the table shows version 2 only" \
	"$(tail -n +2 "$T/v/default/results/versioned_updates.csv" | cut -d, -f3 | sort -u)" "2"
run_v 2 "$T/out" "$T/err"
check_eq "version 2 again: nothing to do" "$(field "$T/out" updates)" "0"
# --recompute=PROC does the same for one processor of the same version.
env VERSIONED_VERSION=2 CRASHY_SESSION=$sid "$BPASS" run "$T/idx" "$T/v" -w 1 -p versioned,crashy,byte-count \
	--plugin "$P/versioned.so" --plugin "$P/crash.so" --recompute=versioned >"$T/out" 2>"$T/err"
check_eq "--recompute=versioned: exit 0 (crashy not fed)" "$?" "0"
check_eq "--recompute=versioned: every merged session processed" "$(field "$T/out" processed)" "$merged"
# A processor not selected in a run keeps its part byte for byte.
check_status "a run without versioned" 0 "$BPASS" run -q "$T/idx" "$T/v" -w 1 -p byte-count --recompute
"$BPASS" state --json "$T/v" "$node" "$sid" >"$T/v3.json"
check_eq "unselected processor: its part is carried over" "$(part "$T/v3.json" versioned)" "$(part "$T/v2.json" versioned)"
done_testing
