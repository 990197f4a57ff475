# mk/sanitize.mk: the busted suite against an ASan+UBSan build of the C core,
# the suite under valgrind, and the out-of-memory harness (csrc/test/oom_test.c).
#
#   make test-asan       build build-asan/arxivdigest/core.so with
#                        -fsanitize=address,undefined and run every spec with
#                        the ASan runtime preloaded into lua5.4; any report fails
#                        (JOBS=2: two spec files at a time, as CI runs it)
#   make valgrind        the suite under valgrind (0 errors, 0 bytes definitely lost)
#   make oom-test        every allocation failure point of ad.open/ad.parse/...
#                        through a limiting lua_Alloc (plain build)
#                        (every failure point; OOM_ARGS="-k 5" for every 5th)
#   make oom-test-asan   the same against the ASan build, with LeakSanitizer on
#   make test-tsan       build build-tsan/ with -fsanitize=thread and run
#                        spec/parallel_spec.lua (or BUSTED_ARGS) with a small
#                        TSan-built Lua (csrc/test/tsan_lua.c): preloading the
#                        TSan runtime into Debian's lua5.4 crashes at start-up
#   make check           test, test-asan, oom-test-asan, lint, fuzz-smoke

ASAN_CC      ?= clang
ASAN_BUILD   ?= build-asan
ASAN_FLAGS    = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all -shared-libasan
# found when a recipe runs (clang may be installed by deps-san in the same make)
ASAN_RT       = $$($(ASAN_CC) -print-file-name=libclang_rt.asan-x86_64.so)
# lua5.4 and lpeg are not instrumented; Lua's own memory is freed by lua_close,
# so leak detection stays on. Any report aborts the process (exit status != 0).
ASAN_ENV      = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=66:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:allocator_may_return_null=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=67 \
                LSAN_OPTIONS=suppressions=$(CURDIR)/csrc/test/lsan.supp:print_suppressions=0 \
                AD_ASAN_RT=$(ASAN_RT) AD_BUILD=$(ASAN_BUILD) \
                LD_PRELOAD="$(ASAN_RT) $(abspath $(ASAN_BUILD))/unpreload.so"
VALGRIND      = valgrind -q --error-exitcode=1 --leak-check=full \
                --errors-for-leak-kinds=definite --show-leak-kinds=definite \
                --suppressions=$(CURDIR)/csrc/test/valgrind.supp
LUA_LIBS     ?= $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)

.PHONY: asan-build test-asan valgrind oom-test oom-test-asan check tsan-build test-tsan

TSAN_BUILD   ?= build-tsan
TSAN_FLAGS    = -O1 -g -fno-omit-frame-pointer -fsanitize=thread

asan-build: deps-san
	$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) CC=$(ASAN_CC) CFLAGS="$(ASAN_FLAGS)" all
	@mkdir -p $(ASAN_BUILD)
	$(ASAN_CC) -O1 -fPIC -shared -o $(ASAN_BUILD)/unpreload.so csrc/test/unpreload.c

# The preloaded unpreload.so removes LD_PRELOAD from the environment once the
# dynamic linker has used it, so that programs the specs start (sh, make,
# chromium...) run normally; a spec that starts lua5.4 on the ASan build sets
# LD_PRELOAD=$$AD_ASAN_RT for it (see spec/faults_spec.lua).
#
# JOBS=N (N > 1, no BUSTED_ARGS) runs the spec files N at a time, each in its
# own busted (mk/busted-par.sh), with one summary line summed over them (the
# Makefile's busted_run; default: the machine's cores up to 4); CI uses JOBS=2.
test-asan: all asan-build
	$(call busted_run,$(ASAN_ENV) $(LUA) /usr/bin/busted --cpath="$(ASAN_BUILD)/?.so")

valgrind: all
	$(VALGRIND) $(LUA) /usr/bin/busted --cpath="$(BUILD)/?.so" $(BUSTED_ARGS)

$(BUILD)/oom_test: csrc/test/oom_test.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -Wall -Wextra -Werror $(LUA_INC) -o $@ $< $(LUA_LIBS) -ldl

oom-test: all $(BUILD)/oom_test
	$(BUILD)/oom_test $(BUILD) $(OOM_ARGS)

$(ASAN_BUILD)/oom_test_asan: csrc/test/oom_test.c
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(ASAN_FLAGS) -Wl,-rpath,$$(dirname $(ASAN_RT)) -Wall -Wextra -Werror $(LUA_INC) -o $@ $< $(LUA_LIBS) -ldl

oom-test-asan: asan-build $(ASAN_BUILD)/oom_test_asan
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=66 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/csrc/test/lsan.supp \
	$(ASAN_BUILD)/oom_test_asan $(ASAN_BUILD) $(OOM_ARGS)

# ad.open's worker threads (csrc/ad_open.c) under ThreadSanitizer: any data
# race aborts the run (exit status 66)
tsan-build: deps-san
	$(MAKE) --no-print-directory BUILD=$(TSAN_BUILD) CC=$(ASAN_CC) CFLAGS="$(TSAN_FLAGS)" all
	$(ASAN_CC) $(TSAN_FLAGS) -Wall -Wextra -Werror $(LUA_INC) -o $(TSAN_BUILD)/tsan_lua \
	  csrc/test/tsan_lua.c $(LUA_LIBS) -ldl -lm

test-tsan: tsan-build
	TSAN_OPTIONS=halt_on_error=1:exitcode=66 $(TSAN_BUILD)/tsan_lua /usr/bin/busted \
	  --cpath="$(TSAN_BUILD)/?.so" $(or $(BUSTED_ARGS),spec/parallel_spec.lua spec/index_spec.lua)

check: test test-asan oom-test-asan lint fuzz-smoke
