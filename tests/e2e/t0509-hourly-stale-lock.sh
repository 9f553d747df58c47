#!/bin/sh
# tests/e2e/t0509-hourly-stale-lock.sh: an hourly run that hangs keeps its
# lock; later runs say "still running" and exit 0 only while the lock is
# younger than the stale limit (stale-lock, default 6 h). Past it they exit
# 1 with a message naming the lock, the holder's pid and how long it has
# been held, also when the hourly process is gone and a step it started
# holds the lock. The index step of the first run is a stand-in that hangs
# (BPASS_HOURLY_EXE).
. "$TOP/tests/e2e/lib.sh"

cat >"$T/stub" <<EOF
#!/bin/sh
case "\$1" in
index) echo \$\$ >"$T/step.pid"; exec sleep 60 ;;   # hangs
*) exit 0 ;;
esac
EOF
chmod +x "$T/stub"
cat >"$T/hourly.conf" <<EOF
updates = updates
index = index.sqlite
state = state
results = results
plots = plots
EOF
LOCK="$T/index.sqlite.hourly.lock"

BPASS_HOURLY_EXE="$T/stub" "$BPASS" hourly "$T/hourly.conf" >"$T/first" 2>&1 &
first=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	[ -s "$T/step.pid" ] && break
	sleep 0.2
done
step=$(cat "$T/step.pid" 2>/dev/null)
trap 'kill "$first" ${step:+"$step"} 2>/dev/null; rm -rf "$T"' EXIT
check "the first run hangs in its index step" test -n "$step"
sleep 2

"$BPASS" hourly "$T/hourly.conf" >"$T/out1" 2>&1
check_eq "young lock: exit 0" "$?" "0"
check_grep "young lock: still running, with the holder" \
	"previous hourly run still running \\(lock \"$LOCK\" held by pid $first for [0-9]+ s\\)" "$T/out1"

"$BPASS" hourly "$T/hourly.conf" --stale-lock 1 >"$T/out2" 2>&1
check_eq "stale lock: exit 1" "$?" "1"
check_grep "stale lock: names the lock, the pid and how long" \
	"previous hourly run looks hung: pid $first has held lock \"$LOCK\" for [0-9]+ s, longer than stale-lock \\(1 s\\)" "$T/out2"
check_status "stale-lock 0 never calls a lock stale" 0 \
	"$BPASS" hourly "$T/hourly.conf" --stale-lock 0
printf 'stale-lock = 1s\n' >>"$T/hourly.conf"
check_status "stale lock: the limit from the config file" 1 "$BPASS" hourly "$T/hourly.conf"
check_status "stale lock: --wait does not wait for a hung run" 1 \
	"$BPASS" hourly "$T/hourly.conf" --wait

# The hourly process is killed; the step it started still holds the lock.
kill "$first"
wait "$first" 2>/dev/null
"$BPASS" hourly "$T/hourly.conf" >"$T/out3" 2>&1
check_eq "orphaned step: exit 1" "$?" "1"
check_grep "orphaned step: says the hourly process is gone" \
	"pid $first \\(no longer running: a step it started holds the lock\\)" "$T/out3"
kill "$step" 2>/dev/null

check_status "a bad stale-lock is a usage error" 2 "$BPASS" hourly "$T/hourly.conf" --stale-lock soon
done_testing
