#!/bin/sh
# tests/e2e/t0010-messages.sh: every message on stderr says what it is, as
# git's do: "bpass: error: ..." for a failure (usage errors included),
# "bpass: warning: ..." when the work goes on, "bpass: hint: ..." for advice
# after an error. Checked on the real binary for usage errors of several
# commands, a failure, and a warning.
. "$TOP/tests/e2e/lib.sh"

"$BPASS" nope >"$T/out" 2>"$T/err"
check_eq "unknown command: exit 2" "$?" "2"
check_grep "unknown command: an error" '^bpass: error: unknown command "nope"$' "$T/err"

"$BPASS" processors extra >"$T/out" 2>"$T/err"
check_eq "processors with an argument: exit 2" "$?" "2"
check_grep "processors with an argument: an error" '^bpass: error: unexpected argument "extra"$' "$T/err"

"$BPASS" state "$T" OW1 notanumber >"$T/out" 2>"$T/err"
check_eq "state with a bad session id: exit 2" "$?" "2"
check_grep "state with a bad session id: an error" '^bpass: error: invalid session id "notanumber"$' "$T/err"

"$BPASS" state "$T" >"$T/out" 2>"$T/err"
check_eq "state with too few arguments: exit 2" "$?" "2"
check_grep "state with too few arguments: an error" '^bpass: error: expected STATE_DIR NODE_ID SESSION_ID$' "$T/err"

"$BPASS" run "$T/idx" "$T/s" -w many >"$T/out" 2>"$T/err"
check_eq "run with a bad -w: exit 2" "$?" "2"
check_grep "run with a bad -w: an error" '^bpass: error: ' "$T/err"

"$BPASS" index -q "$T/missing" "$T/idx" >"$T/out" 2>"$T/err"
check_eq "index of a missing folder: exit 1" "$?" "1"
check_grep "index of a missing folder: an error" '^bpass: error: could not open updates folder' "$T/err"

# A tarball with a member that is not an update: a warning, exit 0.
mkdir -p "$T/m" "$T/u"
gzip -c "$TOP/tests/fixtures/spec/v5-seq0.txt" >"$T/m/OW0123456789AB-1337104800512345-0.gz"
echo "not gzip" >"$T/m/OW0123456789AB-1337104800512345-1.gz"
(cd "$T/m" && tar -cf "$T/u/OW0123456789AB_2012-05-15_18-00-00.tar" *.gz)
"$BPASS" index -q --quiet-period 0 "$T/u" "$T/idx2" >"$T/out" 2>"$T/err"
check_eq "rejected member: exit 0" "$?" "0"
check_grep "rejected member: a warning" '^bpass: warning: rejected member ".*-1.gz" of tarball' "$T/err"
check_status "no message without its kind" 1 grep -qvE '^bpass: (error|warning|hint): ' "$T/err"
done_testing
