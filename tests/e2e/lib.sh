# tests/e2e/lib.sh: helpers for end-to-end scripts (sourced). Each script runs
# in its own scratch folder ($T), prints TAP lines and exits non-zero if any
# check failed. $BPASS is the binary under test, $BUILD its build folder.
set -u
: "${BPASS:?BPASS must name the bpass binary}"
: "${BUILD:?}"
: "${TOP:=$(pwd)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/bpass-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
_n=0
_failed=0

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }

# check "description" command...: passes when the command exits 0.
check() {
	_d=$1; shift
	if "$@" >"$T/.out" 2>&1; then ok "$_d"; else not_ok "$_d"; sed 's/^/# /' "$T/.out" | head -20; fi
}
# check_fails "description" STATUS command...: passes when it exits with STATUS.
check_status() {
	_d=$1; _want=$2; shift 2
	"$@" >"$T/.out" 2>&1; _rc=$?
	if [ "$_rc" -eq "$_want" ]; then ok "$_d"; else not_ok "$_d (status $_rc, expected $_want)"; sed 's/^/# /' "$T/.out" | head -20; fi
}
# check_eq "description" ACTUAL EXPECTED
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "# got:      $2" | head -20; echo "# expected: $3" | head -20; fi
}
# check_grep "description" PATTERN FILE
check_grep() {
	if grep -qE -- "$2" "$3"; then ok "$1"; else not_ok "$1 (no /$2/ in $3)"; head -20 "$3" | sed 's/^/# /'; fi
}
done_testing() { echo "1..$_n"; [ "$_failed" -eq 0 ]; }
