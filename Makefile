# Makefile: builds libbpass.a, the bpass command, plugins, tests and fuzzers.
#
#   make                  the bpass command and the example plugin (in build/)
#   make check            build and run every test, then again under ASan+UBSan
#   make test             build and run every test once (in $(BUILD))
#   make bench            index and run benchmarks (tools/bench)
#   make fuzz             run the libFuzzer targets (FUZZ_SECONDS each)
#   make demo             the README's demo: sample data, index, run, results, plots
#   make browser-test     open the HTML report in headless Chromium
#   make install          install bpass, bpass.h and bpass.pc under PREFIX
#   make uninstall        remove what make install put under PREFIX
#
# Variables: BUILD (output folder), SANITIZE (e.g. address,undefined), PREFIX,
# DEVELOPER=1 (warnings are errors: -Werror; make test and make check set it,
# and so does CI through make check; a plain make does not, so that a newer
# compiler's new warnings never stop a user's build). Use make -j$(nproc).

BUILD    ?= build
PREFIX   ?= /usr/local
CC       ?= cc
SANITIZE ?=
FUZZ_SECONDS ?= 30

PKGS     := sqlite3 zlib libarchive hwloc msgpack cairo libmd
# make test and make check are for developers and CI: warnings are errors.
ifneq ($(filter test check,$(MAKECMDGOALS)),)
DEVELOPER := 1
endif
WARN     := -Wall -Wextra -Wshadow -Wvla -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
ifeq ($(DEVELOPER),1)
WARN     += -Werror
endif
INCLUDES := -Icommon -Iindex -Iprocessors -Istate -Iharness -Iplot -Igen
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -fPIC -MMD -MP $(WARN) $(INCLUDES) \
             $(shell pkg-config --cflags $(PKGS)) $(CFLAGS)
LDLIBS   := $(shell pkg-config --libs $(PKGS)) -ldl -lm -pthread
ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
ALL_CFLAGS += $(SAN_FLAGS)
LDFLAGS  += $(SAN_FLAGS)
endif

MODULES   := common index state processors harness plot gen
LIB_SRCS  := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TOOL_SRCS := $(wildcard tools/*.c)
TOOL_OBJS := $(TOOL_SRCS:%.c=$(BUILD)/%.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_LIB  := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
REPLAY_BINS := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=$(BUILD)/tests/replay_%)
PLUGIN_SRCS := $(wildcard tests/plugins/*.c processors/example/*.c)
PLUGIN_SOS  := $(addprefix $(BUILD)/plugins/,$(notdir $(PLUGIN_SRCS:.c=.so)))

# Every library and tool source is compiled with common/banned.h forced in
# (unsafe C library calls become compile errors), except these files, which
# still call a banned function and belong to a change in progress elsewhere.
BANNED_EXEMPT := tools/cmd_anonymize.c
BANNED_OBJS := $(filter-out $(BANNED_EXEMPT:%.c=$(BUILD)/%.o),$(LIB_OBJS) $(TOOL_OBJS))
$(BANNED_OBJS): BANNED_FLAGS := -include common/banned.h

LIB := $(BUILD)/libbpass.a

.PHONY: all tests check test bench fuzz demo install uninstall clean browser-test
# Keep test objects between builds (they are intermediate files of the test binaries).
.SECONDARY:
all: $(BUILD)/bpass $(PLUGIN_SOS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(BANNED_FLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/bpass: $(TOOL_OBJS) $(LIB)
	$(CC) $(LDFLAGS) $(TOOL_OBJS) $(LIB) $(LDLIBS) -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(UNIT_LIB:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Plugins use only the public headers and link nothing from bpass.
$(BUILD)/plugins/%.so: tests/plugins/%.c processors/bpass.h index/bpass_update.h index/session_key.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -shared -fPIC $(WARN) -Iprocessors -Iindex $(CFLAGS) $(if $(SANITIZE),$(SAN_FLAGS)) $< -o $@
$(BUILD)/plugins/%.so: processors/example/%.c processors/bpass.h index/bpass_update.h index/session_key.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -shared -fPIC $(WARN) -Iprocessors -Iindex $(CFLAGS) $(if $(SANITIZE),$(SAN_FLAGS)) $< -o $@

tests: all $(UNIT_BINS) $(REPLAY_BINS)

test: tests
	tests/run.sh $(BUILD)

# The full suite: plain build, then AddressSanitizer + UndefinedBehaviorSanitizer.
check:
	$(MAKE) tests DEVELOPER=1
	$(MAKE) tests DEVELOPER=1 BUILD=build-san SANITIZE=address,undefined CFLAGS="-O1 -g"
	tests/run.sh $(BUILD) build-san

bench: all
	tools/bench $(BUILD)
	tools/bench-run $(BUILD)

# libFuzzer targets (clang); each runs FUZZ_SECONDS on a copy of its seed corpus.
FUZZ_BUILD := build-fuzz
fuzz:
	@mkdir -p $(FUZZ_BUILD)
	$(MAKE) $(FUZZ_BUILD)/libbpass.a BUILD=$(FUZZ_BUILD) CC=clang \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined"
	set -e; for f in $(FUZZ_SRCS); do \
		n=$$(basename $$f .c); n=$${n#fuzz_}; \
		clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined $(INCLUDES) \
			$$f $(FUZZ_BUILD)/libbpass.a $(LDLIBS) -o $(FUZZ_BUILD)/fuzz_$$n; \
		mkdir -p $(FUZZ_BUILD)/corpus_$$n; cp -r tests/fuzz/corpus/$$n/. $(FUZZ_BUILD)/corpus_$$n/; \
		$(FUZZ_BUILD)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			$(FUZZ_BUILD)/corpus_$$n; \
	done

demo: all
	tools/demo $(BUILD)

# Opens the HTML report in headless Chromium (installs Debian's chromium if missing).
browser-test: all
	BPASS=$(CURDIR)/$(BUILD)/bpass BUILD=$(CURDIR)/$(BUILD) TOP=$(CURDIR) sh tests/e2e/browser/t-report.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/bpass \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BUILD)/bpass $(DESTDIR)$(PREFIX)/bin/bpass
	install -m 644 processors/bpass.h index/bpass_update.h index/session_key.h $(DESTDIR)$(PREFIX)/include/bpass/
	sed 's|@PREFIX@|$(PREFIX)|' tools/bpass.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/bpass.pc

# Removes exactly what install put there (and include/bpass once empty).
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/bpass \
		$(DESTDIR)$(PREFIX)/include/bpass/bpass.h \
		$(DESTDIR)$(PREFIX)/include/bpass/bpass_update.h \
		$(DESTDIR)$(PREFIX)/include/bpass/session_key.h \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/bpass.pc
	if [ -d $(DESTDIR)$(PREFIX)/include/bpass ]; then \
		rmdir $(DESTDIR)$(PREFIX)/include/bpass 2>/dev/null || true; fi

clean:
	rm -rf build build-san build-fuzz

# make print-VAR prints a variable (for the tests of the build rules).
print-%:
	@echo $($*)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
