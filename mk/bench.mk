# mk/bench.mk: `make bench` (bench/run.lua) and its corpus (bench/gen_corpus.lua).
#   make bench                 the >= 300 MB corpus (16 copies), all figures
#   make bench BENCH_COPIES=1  a 20 MB corpus, to try the bench quickly
# The corpus and the scratch databases go to bench/out/ (git-ignored).
BENCH_DEBS   = lua5.4 lua-lpeg lua-sql-sqlite3 lua-system
BENCH_COPIES ?= 16
BENCH_RUNS   ?= 30

.PHONY: bench bench-deps bench-corpus

# Install the Debian packages the bench needs when they are missing (root only):
# lua-sql-sqlite3 drives SQLite FTS5 in-process for the baseline; lua-system
# gives the wall clock that times ad.open on several threads.
bench-deps:
	@missing=""; for p in $(BENCH_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; fi; \
	fi

bench-corpus:
	$(LUA) bench/gen_corpus.lua --copies $(BENCH_COPIES) \
	  --out $(if $(filter 16,$(BENCH_COPIES)),bench/out/corpus,bench/out/corpus-$(BENCH_COPIES))

bench: all bench-deps bench-corpus
	$(LUA) bench/run.lua --copies $(BENCH_COPIES) --runs $(BENCH_RUNS)
