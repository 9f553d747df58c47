# tests/e2e/t0100-parse.sh: `bpass parse` on real files: the spec examples
# plain and gzipped (one member or two), --json, every malformed fixture in
# tests/fixtures/bad/ with the exact message of its .err sidecar, a corrupt
# and a truncated gzip, an empty and a missing file, several files at once
# (the good ones still print, the status says one failed), and usage errors.
. "$TOP/tests/e2e/lib.sh"

SPEC=$TOP/tests/fixtures/spec
BAD=$TOP/tests/fixtures/bad

check_status "help exits 0" 0 "$BPASS" parse --help
check_grep "help names --json" "--json" "$T/.out"
check_status "no file is a usage error" 2 "$BPASS" parse
check_status "unknown option is a usage error" 2 "$BPASS" parse --bogus "$SPEC/v5-seq0.txt"

# Plain text summaries.
"$BPASS" parse "$SPEC/v5-seq0.txt" >"$T/sum" 2>"$T/err"
check_eq "v5 seq 0 summary" "$(cat "$T/sum")" \
	"$SPEC/v5-seq0.txt: node OW0123456789AB session 1337104800512345 seq 0 version 5 packets 18 flows 8 A 2 CNAME 3 addresses 2"
check_eq "no message for a good file" "$(cat "$T/err")" ""

# Gzipped, as the routers wrote them; and two concatenated gzip members.
gzip -c "$SPEC/v2-http.txt" >"$T/OW0123456789AB-1323458422078234-17.gz"
"$BPASS" parse "$T/OW0123456789AB-1323458422078234-17.gz" >"$T/sum" 2>&1
check_eq "gzipped v2 summary" "$(cat "$T/sum")" \
	"$T/OW0123456789AB-1323458422078234-17.gz: node OW0123456789AB session 1323458422078234 seq 17 version 2 packets 7 flows 4 A 1 CNAME 1 addresses 0"
head -c 300 "$SPEC/v5-seq1.txt" | gzip -c >"$T/two.gz"
tail -c +301 "$SPEC/v5-seq1.txt" | gzip -c >>"$T/two.gz"
"$BPASS" parse --json "$T/two.gz" >"$T/two.json" 2>&1
"$BPASS" parse --json "$SPEC/v5-seq1.txt" >"$T/one.json" 2>&1
check "two gzip members read as one text" cmp "$T/one.json" "$T/two.json"

# JSON: one object per file per line, with the hand-checked values.
"$BPASS" parse --json "$SPEC/v5-seq0.txt" "$SPEC/v5-seq1.txt" "$SPEC/v2-http.txt" >"$T/all.json" 2>"$T/err"
check_eq "three JSON lines" "$(wc -l <"$T/all.json" | tr -d ' ')" "3"
check_grep "packet 17 time" '"time_us":1337104806721054,"size":64,"flow_id":0\}\]' "$T/all.json"
check_grep "occupancy 10" '"occupancy":10,"expired":0,"dropped":0,"flows":\[\{"flow_id":6021' "$T/all.json"
check_grep "glued HTTP block" '"http":\{"dropped":0,"urls":\[\{"flow_id":8201,"reserved":0,"hash":"c211928ea2774fbe2da74ce09849cadfad689226"\}\]\}\}$' "$T/all.json"
if command -v python3 >/dev/null 2>&1; then
	check "every line is valid JSON" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
' "$T/all.json"
fi

# Every malformed fixture fails with exactly the message of its sidecar.
for f in "$BAD"/*.txt; do
	n=$(basename "$f" .txt)
	"$BPASS" parse "$f" >"$T/out" 2>"$T/err"
	rc=$?
	check_eq "$n: exit status 1" "$rc" "1"
	check_eq "$n: message" "$(cat "$T/err")" "bpass: error: $f: $(cat "$BAD/$n.err")"
	check_eq "$n: nothing on stdout" "$(cat "$T/out")" ""
done

# Container problems.
gzip -c "$SPEC/v5-seq0.txt" >"$T/full.gz"
head -c 200 "$T/full.gz" >"$T/cut.gz"
"$BPASS" parse "$T/cut.gz" >"$T/out" 2>"$T/err"
check_eq "truncated gzip fails" "$?" "1"
check_eq "truncated gzip message" "$(cat "$T/err")" "bpass: error: could not gunzip \"$T/cut.gz\": truncated gzip"
# Trailing bytes after the gzip data: rejected, as bpass index rejects such a member.
cp "$T/full.gz" "$T/trailing.gz"
printf 'garbage' >>"$T/trailing.gz"
check_status "gzip with trailing garbage fails" 1 "$BPASS" parse "$T/trailing.gz"
check_grep "trailing garbage message" "corrupt gzip: trailing garbage after the gzip data" "$T/.out"
printf '\037\213\010\000garbage-garbage-garbage' >"$T/corrupt.gz"
check_status "corrupt gzip fails" 1 "$BPASS" parse "$T/corrupt.gz"
check_grep "corrupt gzip message" "could not gunzip" "$T/.out"
: >"$T/empty.gz"
"$BPASS" parse "$T/empty.gz" >"$T/out" 2>"$T/err"
check_eq "empty file message" "$(cat "$T/err")" "bpass: error: $T/empty.gz: line 1 (section intro): update is empty"
check_status "missing file fails" 1 "$BPASS" parse "$T/nope.gz"
check_grep "missing file message" "could not open \"$T/nope.gz\": No such file or directory" "$T/.out"
# A folder is not an update file (it used to say "Input/output error").
mkdir "$T/adir"
"$BPASS" parse "$T/adir" >"$T/out" 2>"$T/err"
check_eq "a folder fails" "$?" "1"
check_eq "a folder: says it is one" "$(cat "$T/err")" \
	"bpass: error: cannot parse \"$T/adir\": it is a folder, not an update file"

# Several files: failures are reported, the good ones still print, status 1.
"$BPASS" parse "$SPEC/v5-seq1.txt" "$BAD/version-7.txt" "$T/full.gz" >"$T/out" 2>"$T/err"
check_eq "mixed run exits 1" "$?" "1"
check_eq "two summaries" "$(wc -l <"$T/out" | tr -d ' ')" "2"
check_eq "one error" "$(wc -l <"$T/err" | tr -d ' ')" "1"
check_grep "summary after a failure" "^$T/full.gz: node OW0123456789AB .* packets 18 " "$T/out"

# Extra sections: accepted with a warning on stderr.
{ cat "$SPEC/v5-seq1.txt"; printf '0 \n\n1 2 3\n'; } >"$T/extra.txt"
"$BPASS" parse "$T/extra.txt" >"$T/out" 2>"$T/err"
check_eq "extra sections exit 0" "$?" "0"
check_eq "extra sections warning" "$(cat "$T/err")" \
	"bpass: warning: $T/extra.txt: ignored 1 extra section from line 30 on, beyond the layout of version 5"

done_testing
