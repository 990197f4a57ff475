# arxivdigest: build the C core, run the tests, the demo and the benchmark.
# `make demo` and `make test` install missing Debian packages first (as root).
LUA      ?= lua5.4
LUA_INC  ?= $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
CC       ?= cc
CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -pedantic -std=c99
XCFLAGS   = -fPIC -fvisibility=hidden -D_GNU_SOURCE -pthread $(LUA_INC)
# ad.open reads and scans files, and ad.index tokenizes and encodes, on POSIX
# threads (csrc/ad_open.c, csrc/ad_build.c, csrc/ad_encode.c)
LDFLAGS_SO = -shared -pthread -ldl
BUILD    ?= build
SRCS      = $(wildcard csrc/*.c)
HDRS      = $(wildcard csrc/*.h)
OBJS      = $(patsubst csrc/%.c,$(BUILD)/obj/%.o,$(SRCS))
MODULE    = $(BUILD)/arxivdigest/core.so
BUSTED    = $(LUA) /usr/bin/busted
DEBS      = lua5.4 liblua5.4-dev lua-lpeg lua-busted luarocks lua-check
# texlive: spec/format_tex_spec.lua runs BibTeX and LaTeX over the BibTeX export
TEST_DEBS = $(DEBS) chromium texlive-latex-base texlive-binaries
# clang and its sanitizer runtime: make test-asan, make fuzz
SAN_DEBS  = clang libclang-rt-14-dev

.PHONY: all test demo lint install uninstall clean deps deps-test deps-san install-debs
ROCKSPEC  = rockspec/arxivdigest-scm-1.rockspec

all: $(MODULE)

$(BUILD)/obj/%.o: csrc/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(XCFLAGS) -c $< -o $@

$(MODULE): $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS_SO) -o $@ $(OBJS)

# Install the Debian packages we need when they are missing (root only).
deps:
	@$(MAKE) --no-print-directory install-debs PKGS="$(DEBS)"

deps-test:
	@$(MAKE) --no-print-directory install-debs PKGS="$(TEST_DEBS)"

deps-san:
	@$(MAKE) --no-print-directory install-debs PKGS="$(SAN_DEBS)"

install-debs:
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; fi; \
	fi

# JOBS=N runs the spec files N at a time, each in its own busted, with one
# summary line summed over them (mk/busted-par.sh); the default is the
# machine's cores, at most 4. JOBS=1, or BUSTED_ARGS (a file, --filter...),
# runs one busted. $(call busted_run,BUSTED COMMAND) is that choice (make
# test, make test-asan).
ifndef JOBS
JOBS := $(shell n=$$(nproc 2>/dev/null || echo 1); [ "$$n" -gt 4 ] && n=4; echo $$n)
endif
busted_run = $(if $(BUSTED_ARGS)$(filter 0 1,$(JOBS)),$(1) $(BUSTED_ARGS),mk/busted-par.sh $(JOBS) '$(1)')
test: deps-test all
	$(call busted_run,$(BUSTED))

# The first report on the bundled sample (examples/data): a ranked digest in
# the terminal and an HTML page in build/demo.html.
demo: deps all
	$(LUA) examples/demo.lua

# luacheck over the Lua sources and specs
lint: deps
	luacheck lua bin spec examples bench

# Install with Debian's luarocks into the system tree. The dependencies (Lua
# 5.4, LPeg) come from Debian packages, which luarocks cannot see: a
# luarocks user config made here declares Debian's lpeg as provided
# (rocks_provided), so the rock installs without a missing-dependency
# warning and nothing is fetched (--deps-mode=none).
install: deps
	@mkdir -p $(BUILD)
	@printf 'rocks_provided = { lpeg = "%s-1" }\n' \
	  "$$(dpkg-query -W -f='$${Version}' lua-lpeg | sed 's/-[^-]*$$//')" > $(BUILD)/luarocks-config.lua
	LUAROCKS_CONFIG=$(BUILD)/luarocks-config.lua luarocks --lua-version=5.4 make --deps-mode=none $(ROCKSPEC)

uninstall:
	luarocks --lua-version=5.4 remove arxivdigest

clean:
	rm -rf $(BUILD) build-asan build-tsan

-include mk/*.mk
