# mk/recommend.mk: `make bench-recommend`, the recommendations' quality and
# speed (issue 13) beside arxiv-sanity-lite's SVM and a tf-idf centroid,
# from one run (bench/recommend.lua, bench/recommend_peer.py).
#   make bench-recommend                        the protocol on ../shared/corpus/cs.CV-2019
#                                               (and the 190k-paper timing when
#                                               bench/out/corpus exists: make bench-corpus)
#   make bench-recommend RECOMMEND_ARGS=--methods   also the alternatives (--dev: on
#                                               five more cuts)
# The peers need Python 3 with Debian's python3-sklearn, installed here like
# bench.mk installs its packages (root only). Python is Debian's /usr/bin/python3
# (the one python3-sklearn is for).
RECOMMEND_DEBS = python3 python3-sklearn
RECOMMEND_ARGS ?=
RECOMMEND_PYTHON ?= /usr/bin/python3

.PHONY: bench-recommend bench-recommend-deps

bench-recommend-deps:
	@$(MAKE) --no-print-directory install-debs PKGS="$(RECOMMEND_DEBS)"

bench-recommend: all bench-recommend-deps
	$(LUA) bench/recommend.lua --python $(RECOMMEND_PYTHON) $(RECOMMEND_ARGS)

# `make bench` runs it too
bench: bench-recommend
