# mk/fuzz.mk: libFuzzer targets for the pure-C core (csrc/fuzz/fuzz_*.c).
#
#   make fuzz FUZZ_SECONDS=600   run every target for N seconds each (default 60)
#   make fuzz-smoke              CI: every regression seed of every target
#                                first (fuzz-regress), then 30 seconds per target
#   make fuzz-regress            replay the committed seeds once, no fuzzing
#   make fuzz-scan               one target (fuzz-<name> for csrc/fuzz/fuzz_<name>.c)
#   make fuzz-build              build them all into build-fuzz/
#
# Each target is linked with the core's pure-C sources (csrc/*.c except the
# Lua binding lad*.c) built with -fsanitize=fuzzer-no-link,address,undefined;
# fuzz_tree, which attacks the binding from Lua, also with the binding's
# objects (lad*.c, same flags) and liblua5.4 (an embedded Lua state).
# Seeds: spec/fixtures/fuzz/<name>/ (committed) plus the spec fixtures named in
# FUZZ_SEEDS_<name>; the growing corpus is kept in fuzz-out/<name>/ (ignored by
# git), crashes go to fuzz-out/crashes/. Every crash found becomes a regression
# seed spec/fixtures/fuzz/<name>/regress-<what> (see README.md, "Reliability"),
# replayed first by every fuzz-smoke. The last line of each run's log
# (fuzz-out/<name>.log) gives the execution count.

FUZZ_CC       ?= clang
FUZZ_BUILD    ?= build-fuzz
FUZZ_SECONDS  ?= 60
FUZZ_SAN       = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS    = -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -D_GNU_SOURCE -DAD_FUZZING -pthread
FUZZ_CORE_SRCS = $(filter-out csrc/lad%.c,$(wildcard csrc/*.c))
FUZZ_CORE_OBJS = $(patsubst csrc/%.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_CORE_SRCS))
FUZZ_LAD_OBJS  = $(patsubst csrc/%.c,$(FUZZ_BUILD)/obj/%.o,$(wildcard csrc/lad*.c))
FUZZ_LUA_LIBS  = $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)
FUZZ_NAMES     = $(patsubst csrc/fuzz/fuzz_%.c,%,$(wildcard csrc/fuzz/fuzz_*.c))
FUZZ_BINS      = $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_NAMES))
FUZZ_SEEDS_scan  = examples/data spec/fixtures/bad
# inputs longer than this are cut (a few records each: more executions per second)
FUZZ_MAXLEN_scan = 8192
FUZZ_SEEDS_query =
FUZZ_SEEDS_load  =
# a saved index of spec/fixtures/fuzz/scan is about 64 KiB
FUZZ_MAXLEN_load = 70000
FUZZ_MAXLEN_query = 512
FUZZ_SEEDS_tree  =
FUZZ_MAXLEN_tree = 1024
FUZZ_OPTS      = -max_len=$(or $(FUZZ_MAXLEN_$*),65536) -timeout=20 -rss_limit_mb=2048 \
                 -print_final_stats=1

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-regress fuzz-report $(addprefix fuzz-,$(FUZZ_NAMES)) \
        $(addprefix fuzz-regress-,$(FUZZ_NAMES))

$(FUZZ_BUILD)/obj/%.o: csrc/%.c $(wildcard csrc/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(LUA_INC) -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: csrc/fuzz/fuzz_%.c $(FUZZ_CORE_OBJS) $(wildcard csrc/*.h csrc/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Icsrc -o $@ $< $(FUZZ_CORE_OBJS) -lm

$(FUZZ_BUILD)/fuzz_tree: csrc/fuzz/fuzz_tree.c $(FUZZ_CORE_OBJS) $(FUZZ_LAD_OBJS) $(wildcard csrc/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Icsrc $(LUA_INC) -o $@ $< $(FUZZ_CORE_OBJS) \
	  $(FUZZ_LAD_OBJS) $(FUZZ_LUA_LIBS) -lm

fuzz-build: deps-san $(FUZZ_BINS)

.SECONDARY: $(FUZZ_CORE_OBJS) $(FUZZ_LAD_OBJS)

# One target: run for FUZZ_SECONDS, fail on any finding (libFuzzer exits != 0).
$(addprefix fuzz-,$(FUZZ_NAMES)): fuzz-%: $(FUZZ_BUILD)/fuzz_%
	@mkdir -p fuzz-out/$* fuzz-out/crashes spec/fixtures/fuzz/$*
	@echo "fuzz $*: $(FUZZ_SECONDS) s"
	@ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(FUZZ_BUILD)/fuzz_$* $(FUZZ_OPTS) -max_total_time=$(FUZZ_SECONDS) \
	  -artifact_prefix=fuzz-out/crashes/$*- \
	  $(if $(wildcard csrc/fuzz/$*.dict),-dict=csrc/fuzz/$*.dict) \
	  fuzz-out/$* spec/fixtures/fuzz/$* $(FUZZ_SEEDS_$*) >fuzz-out/$*.log 2>&1 \
	  || { tail -60 fuzz-out/$*.log; echo "fuzz $*: FAILED (see fuzz-out/$*.log, fuzz-out/crashes/)"; exit 1; }
	@grep -aE 'stat::number_of_executed_units|stat::peak_rss_mb' fuzz-out/$*.log | sed 's/^/  /'
	@echo "fuzz $*: no finding"

fuzz: deps-san $(FUZZ_BINS)
	@for t in $(FUZZ_NAMES); do $(MAKE) --no-print-directory fuzz-$$t FUZZ_SECONDS=$(FUZZ_SECONDS) || exit 1; done

fuzz-smoke: fuzz-regress
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=30

# Replay every committed seed (the regression inputs among them) through its
# target once, under the same sanitizers; any finding fails.
fuzz-regress: deps-san $(addprefix fuzz-regress-,$(FUZZ_NAMES))
	@echo "fuzz-regress: ok"
$(addprefix fuzz-regress-,$(FUZZ_NAMES)): fuzz-regress-%: $(FUZZ_BUILD)/fuzz_%
	@mkdir -p fuzz-out
	@ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(FUZZ_BUILD)/fuzz_$* $(FUZZ_OPTS) -runs=0 spec/fixtures/fuzz/$* $(FUZZ_SEEDS_$*) \
	  >fuzz-out/regress-$*.log 2>&1 \
	  || { tail -40 fuzz-out/regress-$*.log; echo "fuzz-regress $*: FAILED (see fuzz-out/regress-$*.log)"; exit 1; }
	@echo "fuzz-regress $*: replayed spec/fixtures/fuzz/$* $(FUZZ_SEEDS_$*), no finding"

# Markdown rows "| fuzz_<name> | executions | seconds |" from the last run's
# logs, for the table in README.md, "Reliability".
fuzz-report:
	@for t in $(FUZZ_NAMES); do \
	  [ -f fuzz-out/$$t.log ] || continue; \
	  n=$$(grep -a 'stat::number_of_executed_units' fuzz-out/$$t.log | awk '{print $$2}'); \
	  s=$$(grep -aoE 'Done [0-9]+ runs in [0-9]+ second' fuzz-out/$$t.log | awk '{print $$5}'); \
	  echo "| fuzz_$$t | $$n | $${s:-?} s |"; \
	done
