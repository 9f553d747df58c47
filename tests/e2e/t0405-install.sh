#!/bin/sh
# tests/e2e/t0405-install.sh: `make install PREFIX=...` lets a researcher
# build a plugin the way docs/plugins.md says, with nothing but the
# installed header and pkg-config:
#   cc -shared -fPIC $(pkg-config --cflags bpass) myproc.c -o myproc.so
# and the installed bpass runs it. The SDK comes with it: its header, its
# library, the plugin documents and the examples; the SDK example builds
# with only `pkg-config --cflags --libs bpass` and runs under the installed
# bpass; bpass.pc has the version of bpass.h (through the Makefile) and
# names plugindir, where the installed bpass finds plugins by itself.
# `make uninstall PREFIX=...` removes exactly what install put there, and
# nothing else.
. "$TOP/tests/e2e/lib.sh"

if ! command -v pkg-config >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
	ok "# SKIP pkg-config or make is not installed"
	done_testing
	exit 0
fi
PREFIX="$T/prefix"
make -s -C "$TOP" install BUILD="$BUILD" PREFIX="$PREFIX" >"$T/out" 2>&1
check_eq "make install: exit 0" "$?" "0"
check "installed: bpass" test -x "$PREFIX/bin/bpass"
check "installed: bpass.h" test -f "$PREFIX/include/bpass/bpass.h"
check "installed: bpass_update.h" test -f "$PREFIX/include/bpass/bpass_update.h"
check "installed: session_key.h" test -f "$PREFIX/include/bpass/session_key.h"
check "installed: bpass.pc" test -f "$PREFIX/lib/pkgconfig/bpass.pc"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
check_eq "pkg-config --cflags bpass" "$(pkg-config --cflags bpass | tr -d " ")" "-I$PREFIX/include/bpass"
check "installed: bpass_sdk.h" test -f "$PREFIX/include/bpass/bpass_sdk.h"
check "installed: libbpass-sdk.a" test -f "$PREFIX/lib/libbpass-sdk.a"
for d in plugins.md plugin-api.md sdk.md update-format.md; do
	check "installed: share/doc/bpass/$d" test -f "$PREFIX/share/doc/bpass/$d"
done
check "installed: the SDK example" test -f "$PREFIX/share/bpass/examples/protocols_per_day.c"
check "installed: the plugin template" test -f "$PREFIX/share/bpass/examples/byte_count_plugin.c"
check "installed: the plugin folder" test -d "$PREFIX/lib/bpass/plugins"
# The one place of the version is bpass.h; the Makefile reads it from there.
check_eq "bpass.pc: the version of bpass.h" "$(pkg-config --modversion bpass)" \
	"$(sed -n 's/^#define BPASS_VERSION_STRING "\(.*\)"$/\1/p' "$TOP/processors/bpass.h")"
check_eq "bpass.pc: the version of the Makefile" "$(pkg-config --modversion bpass)" \
	"$(make -s -C "$TOP" print-BPASS_VERSION)"
check_eq "bpass.pc: plugindir" "$(pkg-config --variable=plugindir bpass)" "$PREFIX/lib/bpass/plugins"
pkg-config --libs bpass >"$T/libs"
check_grep "pkg-config --libs bpass: the SDK" "-L$PREFIX/lib .*-lbpass-sdk" "$T/libs"

# The tutorial's plugin, copied out of the source tree, built against the install.
mkdir "$T/mine"
cp "$TOP/processors/example/byte_count_plugin.c" "$T/mine/myproc.c"
(cd "$T/mine" && cc -std=c11 -Wall -Wextra -Werror -shared -fPIC $(pkg-config --cflags bpass) myproc.c -o myproc.so) >"$T/out" 2>&1
check_eq "a plugin builds against the installed header" "$?" "0"
sed 's/^/# /' "$T/out" | head -5

B="$PREFIX/bin/bpass"
"$B" generate "$T/g" --seed 2 --updates 120 --nodes 2 -q
"$B" index -q "$T/g" "$T/idx"
"$B" processors --plugin "$T/mine/myproc.so" >"$T/procs"
check_grep "the installed bpass lists it" "^example-byte-count +1 +$T/mine/myproc.so " "$T/procs"
check_status "the installed bpass runs it" 0 "$B" run -q "$T/idx" "$T/s" -w 1 --plugin "$T/mine/myproc.so" -p example-byte-count,byte-count
R="$T/s/default/results"
tail -n +2 "$R/bytes_per_node.csv" >"$T/a"
tail -n +2 "$R/example_bytes_per_node.csv" >"$T/b"
check "its table agrees with byte-count" diff "$T/a" "$T/b"
check "its table is not empty" test -s "$T/b"

# The SDK example, copied from the installed examples, built with nothing but
# pkg-config (the flags before the source: the SDK is linked whole).
mkdir "$T/sdk"
cp "$PREFIX/share/bpass/examples/protocols_per_day.c" "$T/sdk/p.c"
(cd "$T/sdk" && cc -std=c11 -Wall -Wextra -Werror -shared -fPIC $(pkg-config --cflags --libs bpass) p.c -o p.so) >"$T/out" 2>&1
check_eq "the SDK example builds against the install" "$?" "0"
sed 's/^/# /' "$T/out" | head -5
check_eq "the SDK's symbols stay private to the plugin" \
	"$(nm -D --defined-only "$T/sdk/p.so" | awk '$3 ~ /^bpass_/ { print $3 }')" "bpass_processors"
check_status "the installed bpass runs it" 0 "$B" run -q "$T/idx" "$T/s2" -w 1 --plugin "$T/sdk/p.so" -p example-protocols,byte-count
R="$T/s2/default/results"
# Its bytes per node add up to byte-count's.
tail -n +2 "$R/protocols_per_day.csv" | awk -F, '{ b[$1] += $4 } END { for (n in b) print n "," b[n] }' |
	sort >"$T/c"
tail -n +2 "$R/bytes_per_node.csv" >"$T/a"
check "its bytes per node agree with byte-count" diff "$T/a" "$T/c"
check "its table is not empty" test -s "$T/c"

# The plugin folder: the installed bpass finds plugins there by itself
# (PREFIX/lib/bpass/plugins, next to its own bin/), and a bare --plugin
# name is looked for there.
cp "$T/sdk/p.so" "$PREFIX/lib/bpass/plugins/protocols.so"
"$B" processors >"$T/procs"
check_grep "the plugin folder's plugins are listed" "^example-protocols +3 +$PREFIX/bin/../lib/bpass/plugins/protocols.so " "$T/procs"
check_status "a processor of the plugin folder runs with -p alone" 0 \
	"$B" run -q "$T/idx" "$T/s3" -w 1 -p example-protocols
check "its table is written" test -s "$T/s3/default/results/protocols_per_day.csv"
(cd "$T" && "$B" run -q "$T/idx" "$T/s4" -w 1 --plugin protocols -p example-protocols) >"$T/out" 2>&1
check_eq "--plugin NAME finds NAME.so in the plugin folder" "$?" "0"
sed 's/^/# /' "$T/out" | head -3
check_status "an unknown bare --plugin name is an error" 1 \
	"$B" run -q "$T/idx" "$T/s5" -w 1 --plugin no-such-plugin
rm "$PREFIX/lib/bpass/plugins/protocols.so"

# Uninstall: what install put there goes, the rest of PREFIX stays.
touch "$PREFIX/bin/other-tool" "$PREFIX/lib/pkgconfig/other.pc"
make -s -C "$TOP" uninstall PREFIX="$PREFIX" >"$T/out" 2>&1
check_eq "make uninstall: exit 0" "$?" "0"
sed 's/^/# /' "$T/out" | head -5
check "uninstalled: bpass" test ! -e "$PREFIX/bin/bpass"
check "uninstalled: bpass.h" test ! -e "$PREFIX/include/bpass/bpass.h"
check "uninstalled: bpass_update.h" test ! -e "$PREFIX/include/bpass/bpass_update.h"
check "uninstalled: the empty include/bpass folder" test ! -e "$PREFIX/include/bpass"
check "uninstalled: the SDK library" test ! -e "$PREFIX/lib/libbpass-sdk.a"
check "uninstalled: the documents and examples" test ! -e "$PREFIX/share/doc/bpass" -a ! -e "$PREFIX/share/bpass"
check "uninstalled: the empty plugin folder" test ! -e "$PREFIX/lib/bpass"
check "uninstalled: bpass.pc" test ! -e "$PREFIX/lib/pkgconfig/bpass.pc"
check "uninstall keeps other programs" test -e "$PREFIX/bin/other-tool"
check "uninstall keeps other pkg-config files" test -e "$PREFIX/lib/pkgconfig/other.pc"
check_status "make uninstall again: nothing to remove, exit 0" 0 \
	make -s -C "$TOP" uninstall PREFIX="$PREFIX"
done_testing
