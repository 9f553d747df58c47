# Makefile: builds libbpass.a, the bpass command, plugins, tests and fuzzers.
#
#   make                  the bpass command and the example plugin (in build/)
#   make check            build and run every test, then again under ASan+UBSan
#   make test             build and run every test once (in $(BUILD))
#   make bench            index and run benchmarks (tools/bench)
#   make fuzz             run the libFuzzer targets (FUZZ_SECONDS each)
#   make demo             the README's demo: sample data, index, run, results, plots
#   make browser-test     open the HTML report in headless Chromium
#   make install          install bpass, the plugin headers, the SDK library,
#                         bpass.pc, the plugin documents and examples under PREFIX
#   make uninstall        remove what make install put under PREFIX
#
# Variables: BUILD (output folder), SANITIZE (e.g. address,undefined), PREFIX,
# DEVELOPER=1 (warnings are errors: -Werror; make test and make check set it,
# and so does CI through make check; a plain make does not, so that a newer
# compiler's new warnings never stop a user's build). Use make -j$(nproc).

# The version, read from processors/bpass.h (BPASS_VERSION_STRING), the one
# place it is set (bpass.pc gets it from here).
BPASS_VERSION := $(shell sed -n 's/^#define BPASS_VERSION_STRING "\(.*\)"$$/\1/p' processors/bpass.h)

BUILD    ?= build
PREFIX   ?= /usr/local
CC       ?= cc
SANITIZE ?=
FUZZ_SECONDS ?= 30

PKGS     := sqlite3 zlib libdeflate libarchive hwloc msgpack cairo libmd libpq
# make test and make check are for developers and CI: warnings are errors.
ifneq ($(filter test check,$(MAKECMDGOALS)),)
DEVELOPER := 1
endif
WARN     := -Wall -Wextra -Wshadow -Wvla -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
ifeq ($(DEVELOPER),1)
WARN     += -Werror
endif
INCLUDES := -Icommon -Iindex -Iprocessors -Iprocessors/sdk -Istate -Iharness -Iplot -Igen -Iops \
            -Ipython
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -fPIC -MMD -MP $(WARN) $(INCLUDES) \
             $(shell pkg-config --cflags $(PKGS)) $(CFLAGS)
LDLIBS   := $(shell pkg-config --libs $(PKGS)) -ldl -lm -pthread
ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
ALL_CFLAGS += $(SAN_FLAGS)
LDFLAGS  += $(SAN_FLAGS)
endif

MODULES   := common index state processors harness plot gen ops python
# The processor SDK: its own static library for plugins (libbpass-sdk.a,
# position-independent like everything here), and part of libbpass.a so the
# bpass command and the built-ins use the same objects.
SDK_SRCS  := $(wildcard processors/sdk/*.c)
SDK_OBJS  := $(SDK_SRCS:%.c=$(BUILD)/%.o)
SDK_LIB   := $(BUILD)/libbpass-sdk.a
SDK_HDRS   = $(PUBLIC_HEADERS)
LIB_SRCS  := $(foreach m,$(MODULES),$(wildcard $(m)/*.c)) $(SDK_SRCS)
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TOOL_SRCS := $(wildcard tools/*.c)
TOOL_OBJS := $(TOOL_SRCS:%.c=$(BUILD)/%.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_LIB  := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
# What the fuzz targets share (test code, not the library's), linked into the
# replays, the fuzzers and the unit tests (test_parse.c checks update_diff).
FUZZ_HELPERS := $(filter-out $(FUZZ_SRCS) tests/fuzz/replay_main.c,$(wildcard tests/fuzz/*.c))
FUZZ_HELPER_OBJS := $(FUZZ_HELPERS:%.c=$(BUILD)/%.o)
REPLAY_BINS := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=$(BUILD)/tests/replay_%)
# Micro-benchmarks (make bench runs them through tools/bench; built with the
# tests so that they stay warning-free).
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/tests/%)
PLUGIN_SRCS := $(wildcard tests/plugins/*.c processors/example/*.c)
PLUGIN_SOS  := $(addprefix $(BUILD)/plugins/,$(notdir $(PLUGIN_SRCS:.c=.so)))
# A C++ plugin (the public headers' extern "C" guards), built with $(CXX).
CXX      ?= g++
CXX_PLUGIN_SRCS := $(wildcard tests/plugins/*.cpp)
PLUGIN_SOS  += $(addprefix $(BUILD)/plugins/,$(notdir $(CXX_PLUGIN_SRCS:.cpp=.so)))

# Every library and tool source is compiled with common/banned.h forced in
# (unsafe C library calls become compile errors), except these files, which
# still call a banned function and belong to a change in progress elsewhere.
BANNED_EXEMPT :=
BANNED_OBJS := $(filter-out $(BANNED_EXEMPT:%.c=$(BUILD)/%.o),$(LIB_OBJS) $(TOOL_OBJS))
$(BANNED_OBJS): BANNED_FLAGS := -include common/banned.h
# Examples written with the SDK (processors/examples/), linked with libbpass-sdk.a.
EXAMPLE_SRCS := $(wildcard processors/examples/*.c)
EXAMPLE_SOS  := $(addprefix $(BUILD)/plugins/,$(notdir $(EXAMPLE_SRCS:.c=.so)))

LIB := $(BUILD)/libbpass.a
# Python processors (docs/python.md): the host embedding CPython (Debian's
# libpython3-dev), a shared object bpass dlopens when it loads a .py
# processor, so that bpass itself does not link libpython; beside it the
# bpass module's pure-Python part. Both in $(BUILD)/python/ (where the
# built bpass finds them) and PREFIX/lib/bpass/python/ when installed.
PY_EMBED     := python3-embed
PY_CFLAGS    := $(shell pkg-config --cflags $(PY_EMBED))
PY_LIBS      := $(shell pkg-config --libs $(PY_EMBED))
PY_HOME      := $(shell pkg-config --variable=prefix $(PY_EMBED))
PY_HOST_SRCS := $(wildcard python/host/*.c)
PY_HOST_OBJS := $(PY_HOST_SRCS:%.c=$(BUILD)/%.o)
PY_HOST      := $(BUILD)/python/bpass_python.so
PY_MOD_SRCS  := $(wildcard python/bpass/*.py)
PY_MOD       := $(PY_MOD_SRCS:%=$(BUILD)/%)
PY_EXAMPLES  := $(wildcard processors/examples/*.py)
# The headers a plugin builds against (installed under include/bpass).
PUBLIC_HEADERS := processors/bpass.h index/bpass_update.h index/session_key.h \
                  processors/sdk/bpass_sdk.h

.PHONY: all tests check test bench bench-scale fuzz demo install uninstall clean browser-test
# Keep test objects between builds (they are intermediate files of the test binaries).
.SECONDARY:
all: $(BUILD)/bpass $(SDK_LIB) $(PLUGIN_SOS) $(EXAMPLE_SOS) $(PY_HOST) $(PY_MOD)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(BANNED_FLAGS) -c $< -o $@

# The host: the public headers and libpython, nothing else from bpass.
$(BUILD)/python/host/%.o: python/host/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PY_CFLAGS) -fvisibility=hidden -DPY_HOME='"$(PY_HOME)"' -c $< -o $@
$(PY_HOST): $(PY_HOST_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) $^ $(PY_LIBS) -lmsgpackc -lpthread -ldl -o $@
$(BUILD)/python/bpass/%.py: python/bpass/%.py
	@mkdir -p $(dir $@)
	cp $< $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(SDK_LIB): $(SDK_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/bpass: $(TOOL_OBJS) $(LIB)
	$(CC) $(LDFLAGS) $(TOOL_OBJS) $(LIB) $(LDLIBS) -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(UNIT_LIB:%.c=$(BUILD)/%.o) $(FUZZ_HELPER_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay_main.o $(FUZZ_HELPER_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/bench_%: $(BUILD)/tests/bench/bench_%.o $(FUZZ_HELPER_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Plugins use only the public headers and link nothing from bpass.
$(BUILD)/plugins/%.so: tests/plugins/%.c processors/bpass.h index/bpass_update.h index/session_key.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -shared -fPIC $(WARN) -Iprocessors -Iindex $(CFLAGS) $(if $(SANITIZE),$(SAN_FLAGS)) $< -o $@
$(BUILD)/plugins/%.so: tests/plugins/%.cpp processors/bpass.h index/bpass_update.h index/session_key.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -shared -fPIC -Wall -Wextra $(if $(filter 1,$(DEVELOPER)),-Werror) -Iprocessors -Iindex $(CFLAGS) $(if $(SANITIZE),$(SAN_FLAGS)) $< -o $@
$(BUILD)/plugins/%.so: processors/example/%.c processors/bpass.h index/bpass_update.h index/session_key.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -shared -fPIC $(WARN) -Iprocessors -Iindex $(CFLAGS) $(if $(SANITIZE),$(SAN_FLAGS)) $< -o $@
# SDK examples: the public headers and the SDK library, nothing else from bpass.
$(BUILD)/plugins/%.so: processors/examples/%.c $(SDK_HDRS) $(SDK_LIB)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -shared -fPIC $(WARN) -Iprocessors -Iprocessors/sdk -Iindex $(CFLAGS) $(if $(SANITIZE),$(SAN_FLAGS)) $< $(SDK_LIB) -o $@

tests: all $(UNIT_BINS) $(REPLAY_BINS) $(BENCH_BINS)

test: tests
	tests/run.sh $(BUILD)

# The full suite: plain build, then AddressSanitizer + UndefinedBehaviorSanitizer.
check:
	$(MAKE) tests DEVELOPER=1
	$(MAKE) tests DEVELOPER=1 BUILD=build-san SANITIZE=address,undefined CFLAGS="-O1 -g"
	tests/run.sh $(BUILD) build-san

bench: all $(BENCH_BINS)
	tools/bench $(BUILD)
	tools/bench-run $(BUILD)

# How a run scales with history (issue 11): 50 k updates; BENCH_SCALE_BIG=1 for 1 M.
bench-scale: all
	tools/bench-scale $(BUILD)

# libFuzzer targets (clang); each runs FUZZ_SECONDS on a copy of its seed corpus
# (the parser's also reads the update fixtures, as tests/run.sh's replay does).
FUZZ_BUILD := build-fuzz
fuzz:
	@mkdir -p $(FUZZ_BUILD)
	$(MAKE) $(FUZZ_BUILD)/libbpass.a BUILD=$(FUZZ_BUILD) CC=clang \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined"
	set -e; for f in $(FUZZ_SRCS); do \
		n=$$(basename $$f .c); n=$${n#fuzz_}; \
		clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined $(INCLUDES) \
			$$f $(FUZZ_HELPERS) $(FUZZ_BUILD)/libbpass.a $(LDLIBS) -o $(FUZZ_BUILD)/fuzz_$$n; \
		mkdir -p $(FUZZ_BUILD)/corpus_$$n; cp -r tests/fuzz/corpus/$$n/. $(FUZZ_BUILD)/corpus_$$n/; \
		seeds=; [ $$n = parse ] && seeds="tests/fixtures/spec tests/fixtures/bad"; \
		$(FUZZ_BUILD)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			$(FUZZ_BUILD)/corpus_$$n $$seeds; \
	done

demo: all
	tools/demo $(BUILD)

# Opens the HTML report in headless Chromium (installs Debian's chromium if missing).
browser-test: all
	BPASS=$(CURDIR)/$(BUILD)/bpass BUILD=$(CURDIR)/$(BUILD) TOP=$(CURDIR) sh tests/e2e/browser/t-report.sh

# Plugin authors get: include/bpass/{bpass.h,bpass_update.h,bpass_sdk.h},
# lib/libbpass-sdk.a, lib/pkgconfig/bpass.pc, lib/bpass/plugins/ (plugindir),
# share/doc/bpass/ (the plugin documents) and share/bpass/examples/.
PLUGIN_DOCS := docs/plugins.md docs/plugin-api.md docs/sdk.md docs/update-format.md docs/semantics.md
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/bpass \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/lib/bpass/plugins \
		$(DESTDIR)$(PREFIX)/share/doc/bpass $(DESTDIR)$(PREFIX)/share/bpass/examples
	install -m 755 $(BUILD)/bpass $(DESTDIR)$(PREFIX)/bin/bpass
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(PREFIX)/include/bpass/
	install -m 644 $(SDK_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(PLUGIN_DOCS) $(DESTDIR)$(PREFIX)/share/doc/bpass/
	install -m 644 $(EXAMPLE_SRCS) processors/example/byte_count_plugin.c \
		$(DESTDIR)$(PREFIX)/share/bpass/examples/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(BPASS_VERSION)|' \
		tools/bpass.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/bpass.pc
	install -d $(DESTDIR)$(PREFIX)/lib/bpass/python/bpass
	install -m 644 $(PY_HOST) $(DESTDIR)$(PREFIX)/lib/bpass/python/
	install -m 644 $(PY_MOD_SRCS) $(DESTDIR)$(PREFIX)/lib/bpass/python/bpass/
	$(if $(PY_EXAMPLES),install -m 644 $(PY_EXAMPLES) $(DESTDIR)$(PREFIX)/share/bpass/examples/)

# Removes exactly what install put there (and include/bpass once empty).
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/bpass \
		$(addprefix $(DESTDIR)$(PREFIX)/include/bpass/,$(notdir $(PUBLIC_HEADERS))) \
		$(DESTDIR)$(PREFIX)/lib/libbpass-sdk.a \
		$(addprefix $(DESTDIR)$(PREFIX)/share/doc/bpass/,$(notdir $(PLUGIN_DOCS))) \
		$(addprefix $(DESTDIR)$(PREFIX)/share/bpass/examples/,$(notdir $(EXAMPLE_SRCS)) \
			byte_count_plugin.c) \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/bpass.pc \
		$(DESTDIR)$(PREFIX)/lib/bpass/python/$(notdir $(PY_HOST)) \
		$(addprefix $(DESTDIR)$(PREFIX)/lib/bpass/python/bpass/,$(notdir $(PY_MOD_SRCS))) \
		$(addprefix $(DESTDIR)$(PREFIX)/share/bpass/examples/,$(notdir $(PY_EXAMPLES)))
	rm -rf $(DESTDIR)$(PREFIX)/lib/bpass/python/bpass/__pycache__
	for d in include/bpass lib/bpass/plugins lib/bpass/python/bpass lib/bpass/python \
		lib/bpass share/doc/bpass \
		share/bpass/examples share/bpass; do \
		if [ -d $(DESTDIR)$(PREFIX)/$$d ]; then \
			rmdir $(DESTDIR)$(PREFIX)/$$d 2>/dev/null || true; fi; done

clean:
	rm -rf build build-san build-fuzz

# make print-VAR prints a variable (for the tests of the build rules).
print-%:
	@echo $($*)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
