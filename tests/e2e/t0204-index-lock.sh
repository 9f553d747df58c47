#!/bin/sh
# tests/e2e/t0204-index-lock.sh: one writer at a time. While another process
# holds INDEX.lock (held here with flock(1) from util-linux), `bpass index`
# refuses with a message naming the holder's pid (and a hint naming --wait)
# and exits 1, leaving the index untouched; readers still work; with --wait it waits and then indexes.
. "$TOP/tests/e2e/lib.sh"

SPEC="$TOP/tests/fixtures/spec"
NODE=OW0123456789AB
S=1337104800512345
mkdir -p "$T/m" "$T/u"
gzip -c "$SPEC/v5-seq0.txt" >"$T/m/$NODE-$S-0.gz"
(cd "$T/m" && tar -cf "$T/u/${NODE}_2012-05-15_18-00-00.tar" "$NODE-$S-0.gz")
gzip -c "$SPEC/v5-seq1.txt" >"$T/m/$NODE-$S-1.gz"
(cd "$T/m" && tar -cf "$T/second.tar" "$NODE-$S-1.gz")

if ! command -v flock >/dev/null 2>&1; then
	ok "# SKIP flock(1) is not installed"
	done_testing
	exit $?
fi

check "a first index" "$BPASS" index -q "$T/u" "$T/idx"
cp "$T/second.tar" "$T/u/${NODE}_2012-05-15_19-00-00.tar"

# hold: takes the lock on $T/idx.lock in the background until $T/release exists.
hold() {
	rm -f "$T/held" "$T/release"
	printf '4242\n' >"$T/idx.lock"
	flock "$T/idx.lock" sh -c "touch '$T/held'; while [ ! -e '$T/release' ]; do sleep 0.05; done" &
	holder=$!
	n=0
	while [ ! -e "$T/held" ] && [ $n -lt 2000 ]; do sleep 0.05; n=$((n + 1)); done
}
release() { touch "$T/release"; wait "$holder"; }

hold
check "the lock is held" test -e "$T/held"
"$BPASS" index "$T/u" "$T/idx" >"$T/out" 2>"$T/err"
check_eq "second writer: exit 1" "$?" "1"
check_grep "second writer: says who holds it" \
	"^bpass: error: index \".*idx\" is being written by another bpass index \(pid 4242\)\$" "$T/err"
check_grep "second writer: a hint names --wait" "^bpass: hint: .*--wait" "$T/err"
check_eq "second writer: nothing indexed" "$("$BPASS" sessions --csv "$T/idx" | tail -1 | cut -d, -f4)" "1"
check_status "a reader works meanwhile" 0 "$BPASS" sessions "$T/idx"
check_status "show works meanwhile" 0 "$BPASS" show "$T/idx" $NODE $S 0

# --wait: waits for the holder, then indexes.
"$BPASS" index --wait "$T/u" "$T/idx" >"$T/wout" 2>"$T/werr" &
waiter=$!
n=0
while ! grep -q "waiting for index" "$T/werr" 2>/dev/null && [ $n -lt 2000 ]; do
	sleep 0.05; n=$((n + 1))
done
check_grep "--wait: says it waits" "waiting for index \".*idx\": another bpass index \(pid 4242\) is writing it" "$T/werr"
check "--wait: still waiting while the lock is held" kill -0 "$waiter"
release
wait "$waiter"
check_eq "--wait: exit 0 once released" "$?" "0"
check_grep "--wait: indexed the new tarball" "^indexed: tarballs 1 .* updates 1," "$T/wout"
check_eq "--wait: the session has both updates" "$("$BPASS" sessions --csv "$T/idx" | tail -1 | cut -d, -f4)" "2"
check_eq "the lock file holds no stale pid" "$(cat "$T/idx.lock")" ""

# A lock file that cannot be created is a failure, not a usage error.
mkdir -p "$T/ro"
check_status "index under a missing folder: exit 1" 1 "$BPASS" index "$T/u" "$T/ro/missing/idx"
done_testing
