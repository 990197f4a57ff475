rockspec_format = "3.0"
package = "arxivdigest"
version = "scm-1"
source = {
  -- the project's public repository (luarocks make builds from the checkout
  -- at hand and does not fetch it)
  url = "git+https://github.com/arxivdigest/arxivdigest.git",
  branch = "main",
}
description = {
  summary = "Parse, index, search, filter and format archives of arXiv digests",
  detailed = [[
arxivdigest reads folders of daily arXiv digest files (daily listings and
catalog files) with a C core, indexes them for ranked search with a real
query language, filters them with Lua and writes reports, feeds,
bibliographies and tables.]],
  license = "MIT",
  labels = { "arxiv", "search", "parser", "bibliography" },
}
dependencies = {
  "lua >= 5.4, < 5.5",
  "lpeg >= 1.0",
}
build = {
  type = "builtin",
  modules = {
    ["arxivdigest.core"] = {
      sources = {
        "csrc/ad_bstream.c",
        "csrc/ad_build.c",
        "csrc/ad_corpus.c",
        "csrc/ad_encode.c",
        "csrc/ad_ixread.c",
        "csrc/ad_open.c",
        "csrc/ad_recommend.c",
        "csrc/ad_rsave.c",
        "csrc/ad_scan.c",
        "csrc/ad_search.c",
        "csrc/ad_select.c",
        "csrc/ad_similar.c",
        "csrc/ad_snippet.c",
        "csrc/ad_store.c",
        "csrc/ad_terms.c",
        "csrc/ad_text.c",
        "csrc/ad_token.c",
        "csrc/ad_update.c",
        "csrc/lad.c",
        "csrc/lad_coll.c",
        "csrc/lad_hit.c",
        "csrc/lad_index.c",
        "csrc/lad_listing.c",
        "csrc/lad_mpaper.c",
        "csrc/lad_query.c",
        "csrc/lad_recommend.c",
        "csrc/lad_sandbox.c",
        "csrc/lad_sbmatch.c",
        "csrc/lad_terms.c",
        "csrc/lad_update.c",
        "csrc/lad_watch.c",
      },
      defines = { "_GNU_SOURCE" },
      incdirs = { "csrc" },
      -- ad.open reads and scans files on POSIX threads (csrc/ad_open.c)
      libraries = { "pthread", "dl" },
    },
    ["arxivdigest"] = "lua/arxivdigest/init.lua",
    ["arxivdigest.filter"] = "lua/arxivdigest/filter.lua",
    ["arxivdigest.index"] = "lua/arxivdigest/index.lua",
    ["arxivdigest.json"] = "lua/arxivdigest/json.lua",
    ["arxivdigest.library"] = "lua/arxivdigest/library.lua",
    ["arxivdigest.match"] = "lua/arxivdigest/match.lua",
    ["arxivdigest.names"] = "lua/arxivdigest/names.lua",
    ["arxivdigest.output"] = "lua/arxivdigest/output.lua",
    ["arxivdigest.pipeline"] = "lua/arxivdigest/pipeline.lua",
    ["arxivdigest.query"] = "lua/arxivdigest/query.lua",
    ["arxivdigest.recommend"] = "lua/arxivdigest/recommend.lua",
    ["arxivdigest.script"] = "lua/arxivdigest/script.lua",
    ["arxivdigest.args"] = "lua/arxivdigest/args.lua",
    ["arxivdigest.sandbox"] = "lua/arxivdigest/sandbox.lua",
    ["arxivdigest.stats"] = "lua/arxivdigest/stats.lua",
    ["arxivdigest.watch"] = "lua/arxivdigest/watch.lua",
    ["arxivdigest.watch.render"] = "lua/arxivdigest/watch/render.lua",
    ["arxivdigest.mail"] = "lua/arxivdigest/mail.lua",
    ["arxivdigest.cmd.recommend"] = "lua/arxivdigest/cmd/recommend.lua",
    ["arxivdigest.cmd.watch"] = "lua/arxivdigest/cmd/watch.lua",
    ["arxivdigest.cli"] = "lua/arxivdigest/cli.lua",
    ["arxivdigest.format"] = "lua/arxivdigest/format/init.lua",
    ["arxivdigest.format.atom"] = "lua/arxivdigest/format/atom.lua",
    ["arxivdigest.format.bibtex"] = "lua/arxivdigest/format/bibtex.lua",
    ["arxivdigest.format.csv"] = "lua/arxivdigest/format/csv.lua",
    ["arxivdigest.format.html"] = "lua/arxivdigest/format/html.lua",
    ["arxivdigest.format.jsonl"] = "lua/arxivdigest/format/jsonl.lua",
    ["arxivdigest.format.markdown"] = "lua/arxivdigest/format/markdown.lua",
    ["arxivdigest.format.text"] = "lua/arxivdigest/format/text.lua",
    ["arxivdigest.format.util"] = "lua/arxivdigest/format/util.lua",
  },
  install = {
    lua = {
      -- the bundled sample, used when the command is given no input
      ["arxivdigest.sample.a"] = "examples/data/000_21fb7b7deb0de965.txt",
      ["arxivdigest.sample.b"] = "examples/data/001_906e1fea553eeaa8.txt",
      ["arxivdigest.sample.c"] = "examples/data/002_3ae2b7cffb64a415.txt",
      ["arxivdigest.sample.d"] = "examples/data/003_ce175d6736be5667.txt",
      ["arxivdigest.sample.e"] = "examples/data/004_6bca22daa1a0db69.txt",
    },
    bin = {
      arxivdigest = "bin/arxivdigest",
    },
  },
}
test = {
  type = "busted",
}
