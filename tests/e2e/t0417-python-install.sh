#!/bin/sh
# tests/e2e/t0417-python-install.sh: `make install PREFIX=...` installs the
# Python host and the bpass module (PREFIX/lib/bpass/python/) and the Python
# examples (share/bpass/examples/); the installed bpass runs an installed
# example, also from its plugin folder, writes nothing beside the installed
# module (no __pycache__); `make uninstall` removes all of it.
. "$TOP/tests/e2e/lib.sh"

if ! command -v make >/dev/null 2>&1; then
	ok "# SKIP make is not installed"
	done_testing
	exit 0
fi
PREFIX="$T/prefix"
make -s -C "$TOP" install BUILD="$BUILD" PREFIX="$PREFIX" >"$T/out" 2>&1
check_eq "make install: exit 0" "$?" "0"
sed 's/^/# /' "$T/out" | head -5
check "installed: the Python host" test -f "$PREFIX/lib/bpass/python/bpass_python.so"
check "installed: the bpass module" test -f "$PREFIX/lib/bpass/python/bpass/__init__.py"
for f in protocols_per_day remote_ips_per_hour dns_lookups_per_hour; do
	check "installed: the example $f.py" test -f "$PREFIX/share/bpass/examples/$f.py"
done

B="$PREFIX/bin/bpass"
"$B" generate "$T/g" --seed 3 --updates 150 --nodes 2 -q
"$B" index -q "$T/g" "$T/idx"
cp "$PREFIX/share/bpass/examples/protocols_per_day.py" "$T/p.py"
check_status "the installed bpass runs the installed example" 0 \
	"$B" run -q "$T/idx" "$T/s" -w 2 --plugin "$T/p.py" -p example-protocols-py,byte-count
R="$T/s/default/results"
tail -n +2 "$R/protocols_per_day.csv" | awk -F, '{ b[$1] += $4 } END { for (n in b) print n "," b[n] }' |
	sort >"$T/c"
tail -n +2 "$R/bytes_per_node.csv" >"$T/a"
check "its bytes per node agree with byte-count" diff "$T/a" "$T/c"
check "its table is not empty" test -s "$T/c"
cp "$T/p.py" "$PREFIX/lib/bpass/plugins/protocols.py"
"$B" processors >"$T/procs"
check_grep "a .py in the plugin folder is listed" \
	"^example-protocols-py +1 +$PREFIX/bin/../lib/bpass/plugins/protocols.py " "$T/procs"
check_status "and runs with -p alone" 0 "$B" run -q "$T/idx" "$T/s2" -w 1 -p example-protocols-py
check "the same table" diff "$R/protocols_per_day.csv" "$T/s2/default/results/protocols_per_day.csv"
rm "$PREFIX/lib/bpass/plugins/protocols.py"
check "no __pycache__ in the installation" test -z "$(find "$PREFIX" -name __pycache__)"

make -s -C "$TOP" uninstall PREFIX="$PREFIX" >"$T/out" 2>&1
check_eq "make uninstall: exit 0" "$?" "0"
check "uninstalled: lib/bpass (host and module) is gone" test ! -e "$PREFIX/lib/bpass"
check "uninstalled: the examples are gone" test ! -e "$PREFIX/share/bpass"
done_testing
