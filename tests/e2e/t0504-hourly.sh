#!/bin/sh
# tests/e2e/t0504-hourly.sh: `bpass hourly` runs collect -> index -> run ->
# plot as child processes, one log line per step; on an unchanged folder it
# does almost nothing and says so; new uploads make it run again; a held lock
# makes a second instance exit 0 at once; a failed step gives exit 1 and is
# retried next hour; config files are checked. The index and run steps are
# stand-ins (BPASS_HOURLY_EXE points at a script that records its arguments
# and runs the real binary for collect and plot), so this test checks the
# pipeline's logic alone; t0505 runs the real thing.
. "$TOP/tests/e2e/lib.sh"

cat >"$T/stub" <<EOF
#!/bin/sh
echo "\$*" >>"$T/calls"
case "\$1" in
index) touch "\$3"; exit \${STUB_INDEX_RC:-0} ;;
run) mkdir -p "\$5"
     printf 'node_id,minute,minute_iso,bytes,packets\nOWAAAAAAAAAAAA,1337104800000000,x,100,1\n' >"\$5/throughput.csv"
     exit \${STUB_RUN_RC:-0} ;;
*) exec "$BPASS" "\$@" ;;
esac
EOF
chmod +x "$T/stub"
export BPASS_HOURLY_EXE="$T/stub"

mkdir -p "$T/site/up/OWAAAAAAAAAAAA" "$T/site/up/OWBBBBBBBBBBBB"
upload() { # $1 node, $2 seq
	printf '5\nUNKNOWN\n%s 1 %s 2\n\n' "$1" "$2" | gzip -n >"$T/site/up/$1/$1-1-$2.gz"
}
upload OWAAAAAAAAAAAA 0
upload OWAAAAAAAAAAAA 1
upload OWBBBBBBBBBBBB 0
cat >"$T/site/hourly.conf" <<EOF
# relative paths are taken from this file's folder
uploads = up
updates = updates
index = index.sqlite
state = state
results = results
plots = plots   # trailing comment
processors = byte-count, flows
workers = 2
quiet-period = 0   # the uploads below are taken at once
EOF
cd "$T"   # run from elsewhere: the config's paths must not depend on the cwd

: >"$T/calls"
check "first hourly run" "$BPASS" hourly "$T/site/hourly.conf"
"$BPASS" hourly "$T/site/hourly.conf" --force >"$T/out1" 2>&1   # again, to see its log
check_eq "steps in order" "$(cut -d' ' -f1 "$T/calls" | tr '\n' ' ')" \
	"collect index run plot collect index run plot "
check_eq "run gets the index, state, results, processors and workers" \
	"$(grep '^run ' "$T/calls" | head -1)" \
	"run $T/site/index.sqlite $T/site/state --out $T/site/results -p byte-count -p flows --workers 2"
check_eq "collect gets the quiet period" "$(grep '^collect ' "$T/calls" | head -1)" \
	"collect --quiet-period 0 $T/site/up $T/site/updates"
check_eq "two tarballs collected" "$(ls "$T/site/updates" | grep -c '\.tar$')" "2"
check_grep "a log line per step with its duration" "hourly: collect: ok in [0-9.]+ s" "$T/out1"
check_grep "run logged" "hourly: run: ok in" "$T/out1"
check_grep "plot logged" "hourly: plot: ok in" "$T/out1"
check "the report exists" test -f "$T/site/plots/index.html"

: >"$T/calls"
"$BPASS" hourly "$T/site/hourly.conf" >"$T/out2" 2>&1
check_eq "unchanged: exit 0" "$?" "0"
check_grep "unchanged: says nothing is new" "nothing new: 0 tarballs collected.*run and plot skipped" "$T/out2"
check_eq "unchanged: only collect and index ran" "$(cut -d' ' -f1 "$T/calls" | tr '\n' ' ')" \
	"collect index "

upload OWBBBBBBBBBBBB 1
: >"$T/calls"
"$BPASS" hourly "$T/site/hourly.conf" >"$T/out3" 2>&1
check_eq "new upload: exit 0" "$?" "0"
check_eq "new upload: every step ran" "$(cut -d' ' -f1 "$T/calls" | tr '\n' ' ')" \
	"collect index run plot "
check_grep "new upload: one tarball collected" "done: 1 tarball collected" "$T/out3"

# A held lock: a second instance exits 0 at once and does nothing.
: >"$T/calls"
flock "$T/site/index.sqlite.hourly.lock" "$BPASS" hourly "$T/site/hourly.conf" >"$T/out4" 2>&1
check_eq "locked: exit 0" "$?" "0"
check_grep "locked: says a previous run is still running" "previous hourly run still running" "$T/out4"
check_eq "locked: no step ran" "$(wc -l <"$T/calls")" "0"

# A failing step: exit 1, named in the last line; not remembered as done.
upload OWAAAAAAAAAAAA 2
: >"$T/calls"
STUB_RUN_RC=1 "$BPASS" hourly "$T/site/hourly.conf" >"$T/out5" 2>&1
check_eq "failed run: exit 1" "$?" "1"
check_grep "failed run: logged with its status" "hourly: run: failed \(exit 1\)" "$T/out5"
check_grep "failed run: summary names it" "done with failures \(run\)" "$T/out5"
: >"$T/calls"
"$BPASS" hourly "$T/site/hourly.conf" >"$T/out6" 2>&1
check_eq "after a failed run the next hour runs again" "$(cut -d' ' -f1 "$T/calls" | tr '\n' ' ')" \
	"collect index run plot "
: >"$T/calls"
STUB_INDEX_RC=1 "$BPASS" hourly "$T/site/hourly.conf" >"$T/out7" 2>&1
check_eq "failed index: exit 1" "$?" "1"
check_eq "failed index: run and plot still go" "$(cut -d' ' -f1 "$T/calls" | tr '\n' ' ')" \
	"collect index run plot "

# Options instead of a file; --wait with a lock released shortly after.
: >"$T/calls"
(flock "$T/lk" sleep 1 &)
check "options and --wait" "$BPASS" hourly --updates "$T/o/updates" --index "$T/o/index.sqlite" \
	--state "$T/o/state" --results "$T/o/results" --plots "$T/o/plots" --lock "$T/lk" --wait
check_eq "options: no collect without uploads" "$(cut -d' ' -f1 "$T/calls" | tr '\n' ' ')" \
	"index run plot "

# A stamp that cannot be saved (its name is taken by a folder): a warning,
# and the stamp's file is closed once (it was closed a second time when the
# rename failed, which could close a descriptor opened meanwhile).
mkdir -p "$T/st/results/.hourly-stamp/x"
if command -v strace >/dev/null 2>&1 &&
	strace -o "$T/strace.probe" true >/dev/null 2>&1; then
	strace -o "$T/strace" -e trace=close,rename "$BPASS" hourly --updates "$T/st/updates" \
		--index "$T/st/index.sqlite" --state "$T/st/state" --results "$T/st/results" \
		--plots "$T/st/plots" >"$T/out8" 2>&1
	check_grep "unsaved stamp: a warning naming it" "could not write hourly stamp \"$T/st/results/.hourly-stamp\": Is a directory" "$T/out8"
	check_eq "unsaved stamp: no descriptor closed twice" "$(grep -c EBADF "$T/strace")" "0"
else
	ok "# skip strace is not available"
	ok "# skip strace is not available"
fi

# Configuration errors.
printf 'updates = u\ncolour = blue\n' >"$T/bad.conf"
check_status "an unknown key is a usage error" 2 "$BPASS" hourly "$T/bad.conf"
printf 'updates = u\n' >"$T/short.conf"
check_status "a missing required key is a usage error" 2 "$BPASS" hourly "$T/short.conf"
check_status "a missing config file fails" 2 "$BPASS" hourly "$T/nonexistent.conf"
check_status "bad workers" 2 "$BPASS" hourly "$T/site/hourly.conf" --workers zero
check_status "a bad quiet period" 2 "$BPASS" hourly "$T/site/hourly.conf" --quiet-period soon
done_testing
