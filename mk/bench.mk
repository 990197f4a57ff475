# mk/bench.mk: `make bench` (bench/run.lua), `make bench-scale` (bench/scale.lua)
# and their corpora (bench/gen_corpus.lua: copies of all ten real cs.CV years
# in ../shared/corpus, every paper of every copy with a distinct valid id).
#   make bench                 4 copies: 203,548 papers, 344 MB; every figure
#   make bench BENCH_COPIES=1  the real years once (50,887 papers, 86 MB), quick
#   make bench-scale           open/index/save/load/query/update at about 190k,
#                              1M and 2.7M papers (BENCH_SCALE="190k 1m 2.7m"),
#                              each stage in a fresh process; needs ~5 GB of disk
#                              and ~12 GB of RAM at 2.7M. Not part of `make bench`.
# The corpora and the scratch databases go to bench/out/ (git-ignored).
BENCH_DEBS   = lua5.4 lua-lpeg lua-sql-sqlite3 lua-system
BENCH_COPIES ?= 4
BENCH_RUNS   ?= 30
BENCH_SCALE  ?= 190k 1m 2.7m

.PHONY: bench bench-deps bench-corpus bench-scale

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
	$(LUA) bench/gen_corpus.lua --copies $(BENCH_COPIES) --out $(BENCH_CORPUS)

BENCH_CORPUS = $(if $(filter 4,$(BENCH_COPIES)),bench/out/corpus,bench/out/corpus-$(BENCH_COPIES))

# run.lua: parsing, index, queries, pipelines, commands, shipped examples,
# each beside its baseline or peer; watch.lua: the daily run of standing
# watches beside a full rebuild; format_scale.lua: every formatter linear;
# export_formats.lua: the command's export of the real archive per format,
# beside jsonl's
bench: all bench-deps bench-corpus
	$(LUA) bench/run.lua --copies $(BENCH_COPIES) --runs $(BENCH_RUNS)
	$(LUA) bench/watch.lua --corpus $(BENCH_CORPUS)
	$(LUA) bench/format_scale.lua
	$(LUA) bench/export_formats.lua

# ---------------------------------------------------------------- bench-scale
# One corpus of the largest size (bench/out/scale/corpus, generated once, grown
# when a larger size is asked), hard-linked views of its first copies for the
# smaller sizes; every figure in a fresh Lua process; a table of each figure's
# growth against the first size, and the issue-15 targets beside the largest.
bench-scale: all bench-deps
	$(LUA) bench/scale.lua --sizes "$(BENCH_SCALE)"
