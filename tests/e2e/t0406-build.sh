#!/bin/sh
# tests/e2e/t0406-build.sh: the build rules of the Makefile, read with
# `make -n` (nothing is built) and checked with the real compiler:
# - every library and tool source is compiled with -include common/banned.h
#   (except the files of BANNED_EXEMPT), tests are not;
# - banned.h makes sprintf, strcpy, sscanf... compile errors, while library
#   headers whose inline functions use them (hwloc.h) still compile;
# - -Werror only for developers: with DEVELOPER=1, and in `make test` and
#   `make check`, never in a plain `make` (a user's newer compiler may warn).
. "$TOP/tests/e2e/lib.sh"

if ! command -v make >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1 ||
   ! command -v pkg-config >/dev/null 2>&1; then
	ok "# SKIP make, cc or pkg-config is not installed"
	done_testing
	exit 0
fi
B="$T/b"
dry() { make -s -n -B -C "$TOP" BUILD="$B" "$@" 2>&1; }

dry "$B/common/buf.o" >"$T/lib"
check_grep "library sources include banned.h" "-include common/banned.h" "$T/lib"
dry "$B/tools/cmd_index.o" >"$T/tool"
check_grep "tool sources include banned.h" "-include common/banned.h" "$T/tool"
dry "$B/tests/unit/test_fs.o" >"$T/test"
check_status "test sources do not" 1 grep -q -- "banned.h" "$T/test"
for f in $(make -s -C "$TOP" print-BANNED_EXEMPT); do
	dry "$B/${f%.c}.o" >"$T/exempt"
	check_status "exempt: $f does not" 1 grep -q -- "banned.h" "$T/exempt"
done

check_status "plain make: no -Werror" 1 grep -q -- "-Werror" "$T/lib"
dry DEVELOPER=1 "$B/common/buf.o" >"$T/dev"
check_grep "DEVELOPER=1: -Werror" "-Werror" "$T/dev"
dry test >"$T/test-goal"
check_grep "make test: -Werror" "-Werror" "$T/test-goal"
make -s -n -C "$TOP" BUILD="$B" check >"$T/check-goal" 2>&1
check_grep "make check: every build with DEVELOPER=1" "tests DEVELOPER=1" "$T/check-goal"
check_status "make check: no build without it" 1 \
	sh -c "grep -E 'make.* tests( |\$)' '$T/check-goal' | grep -vq DEVELOPER=1"

# The real compiler on two small files.
CFLAGS_PKG=$(pkg-config --cflags hwloc 2>/dev/null)
for fn in 'sprintf(b, "%d", 1)' 'strcpy(b, "x")' 'strcat(b, "x")' 'strncpy(b, "x", 2)' \
	  'sscanf("1", "%d", &i)' 'atoi("1")' 'gmtime(&t)'; do
	cat >"$T/bad.c" <<EOC
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
int f(void);
int f(void) { char b[8] = ""; int i = 0; time_t t = 0; (void)t; $fn; return b[0] + i; }
EOC
	cc -std=c11 -D_GNU_SOURCE -I"$TOP/common" -include "$TOP/common/banned.h" $CFLAGS_PKG \
		-c "$T/bad.c" -o "$T/bad.o" >"$T/err" 2>&1
	check_eq "banned: $fn does not compile" "$?" "1"
	check_grep "banned: $fn: the error names it" "sorry_[a-z]+_is_a_banned_function" "$T/err"
done
cat >"$T/good.c" <<'EOC'
#include <hwloc.h>
#include <stdio.h>
#include <string.h>
int f(char *b, size_t n);
int f(char *b, size_t n) { return snprintf(b, n, "%s", strchr("ab", 'b')); }
EOC
cc -std=c11 -D_GNU_SOURCE -I"$TOP/common" -include "$TOP/common/banned.h" $CFLAGS_PKG \
	-c "$T/good.c" -o "$T/good.o" >"$T/err" 2>&1
check_eq "allowed calls and hwloc.h compile" "$?" "0"
sed 's/^/# /' "$T/err" | head -5
done_testing
