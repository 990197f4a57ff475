/*
** oom_test.c: out-of-memory harness for the arxivdigest module.
**
** usage: oom_test BUILD_DIR [-s scenario] [-m once|hard|bytes] [-k stride] [-v]
**   (run from the repository root; loads lua/arxivdigest and BUILD_DIR/?.so)
**
** Each scenario is a Lua chunk that uses the module and returns a digest
** string of everything it read (record counts, every field of every paper,
** warnings...). The chunk first runs with no limit to get the reference
** digest and the number A of allocations it makes. Then, for every
** allocation point N = 1..A (or every k-th one with -k k), a fresh lua_State whose
** allocator refuses allocation N runs the chunk again:
**   mode "once"  only allocation N fails (later ones succeed again);
**   mode "hard"  allocation N and every later one fail (memory exhausted);
**   mode "bytes" a cap on live bytes, from the size after set-up up to the
**                peak, in about 400 steps.
** Each run must end with a Lua error that is a memory error ("not enough
** memory" / LUA_ERRMEM), or succeed with exactly the reference digest (a
** failure that was absorbed must not change any result). After lua_close,
** the allocator's live block and byte counts must both be back to 0.
** Any other outcome is reported and the exit status is 1. A crash is a crash.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

/* {====================================================== allocator */
typedef struct heap {
  size_t live_bytes, live_blocks, peak_bytes;
  unsigned long nalloc;   /* allocation points since counting started */
  int counting;           /* count allocation points */
  int mode;               /* 0 none, 1 once, 2 hard, 3 bytes */
  unsigned long failat;   /* modes once/hard: allocation point that fails */
  size_t cap;             /* mode bytes: live-byte cap */
  int failed;             /* an allocation was refused */
  unsigned long badsize;  /* calls with a wrong old size */
} heap;

enum { M_NONE, M_ONCE, M_HARD, M_BYTES };

/* Every block carries a hidden header with its size, so that a wrong old
** size passed by the core (harmless with Lua's default allocator, but it
** skews Lua's GC accounting and breaks allocators that trust it) is caught:
** the run fails (accounting goes on with the true size). */
#define HDR 16

static void *oom_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  heap *h = (heap *)ud;
  unsigned char *blk = ptr ? (unsigned char *)ptr - HDR : NULL;
  size_t old = 0;
  if (blk) {
    memcpy(&old, blk, sizeof old);
    if (old != osize && h->badsize++ == 0) {
      fprintf(stderr, "oom_test: the allocator was given old size %zu for a block of %zu bytes\n",
              osize, old);
      if (getenv("OOM_ABORT")) abort();   /* for a backtrace under gdb */
    }
  }
  if (nsize == 0) {
    if (blk) { h->live_bytes -= old; h->live_blocks--; free(blk); }
    return NULL;
  }
  if (h->counting && nsize > old) {   /* an allocation point */
    unsigned long n = ++h->nalloc;
    int refuse = 0;
    switch (h->mode) {
      case M_ONCE: refuse = (n == h->failat); break;
      case M_HARD: refuse = (n >= h->failat); break;
      case M_BYTES: refuse = (h->live_bytes - old + nsize > h->cap); break;
      default: break;
    }
    if (refuse) { h->failed = 1; return NULL; }
  }
  {
    unsigned char *nb = (unsigned char *)realloc(blk, nsize + HDR);
    if (!nb) return NULL;
    if (!blk) h->live_blocks++;
    h->live_bytes = h->live_bytes - old + nsize;
    if (h->live_bytes > h->peak_bytes) h->peak_bytes = h->live_bytes;
    memcpy(nb, &nsize, sizeof nsize);
    return nb + HDR;
  }
}
/* }====================================================== */

/* {====================================================== scenarios */
/* Shared Lua prelude (run without limit): D(x) appends a digest line;
** FIELDS lists every Paper field; dump(p) reads them all. */
static const char *prelude =
  "FIELDS = {'id','version','title','authors','abstract','categories',\n"
  "  'primary_category','pdf_url','abs_url','doi','comment','journal',\n"
  "  'published','updated','date','source','line','format','position',\n"
  "  'crosslist','raw'}\n"
  "function val(v)\n"
  "  if type(v) == 'table' then return '{' .. table.concat(v, '|') .. '}' end\n"
  "  return tostring(v)\n"
  "end\n"
  "function dump(out, p)\n"
  "  for _, k in ipairs(FIELDS) do out[#out + 1] = k .. '=' .. val(p[k]) end\n"
  "end\n"
  "function dumpw(out, c)\n"
  "  for _, w in ipairs(c:warnings()) do\n"
  "    out[#out + 1] = 'W ' .. tostring(w.source) .. ':' .. tostring(w.line) .. ': ' .. tostring(w.message)\n"
  "  end\n"
  "end\n"
  "function answers(idx)\n"
  "  local out = {}\n"
  "  for _, q in ipairs({'segmentation', '\"neural network\"', 'cat:cs.CV -video', 'detect*'}) do\n"
  "    out[#out + 1] = q .. '=' .. idx:count(q)\n"
  "    for _, h in ipairs(idx:search(q, {limit = 5})) do\n"
  "      out[#out + 1] = h.paper.id .. ' ' .. ('%.4f'):format(h.score) .. ' ' .. h.paper.title\n"
  "    end\n"
  "  end\n"
  "  local sim, why = idx:similar('1910.11126', 3)\n"   /* nil, why: not in idx */
  "  if not sim then out[#out + 1] = 'sim ' .. why end\n"
  "  for _, h in ipairs(sim or {}) do out[#out + 1] = 'sim ' .. h.paper.id end\n"
  "  local p = idx:get('1910.11126v1')\n"
  "  out[#out + 1] = p and p.abstract or 'no 1910.11126'\n"
  "  return table.concat(out, '\\n')\n"
  "end\n"
  "function slurp(path)\n"
  "  local f = assert(io.open(path, 'rb')); local s = f:read('a'); f:close(); return s\n"
  "end\n"
  "DIR = 'spec/fixtures/fuzz/scan'\n"
  "MESSY = slurp(DIR .. '/catalog_small.md') .. '\\r\\n\\0\\255\\254 &amp;&#x41;<b>x</b>\\n'"
  "  .. slurp(DIR .. '/listing_small.md') .. '\\n### \\n- **Arxiv ID**: nonsense\\n'\n"
  "LISTING = slurp(DIR .. '/listing_small.md')\n";

typedef struct scenario {
  const char *name;
  const char *chunk;   /* run under the limit; returns the digest */
  const char *setup;   /* run before it without limit (or NULL) */
  const char *post;    /* run after it without limit (or NULL): returns
                          nil, or a string describing a broken invariant */
  int savedir;         /* after each run, SAVEDIR may hold x.adx and nothing
                          else (no temporary file left by a failed save) */
} scenario;

/* the index scenarios do nothing until lua/arxivdigest/index.lua exists */
/* (recommend scenarios) dumph(hits): each hit's id, score and evidence into out */
#define DUMPH \
   "local function dumph(hits)\n" \
   "  for _, h in ipairs(hits) do\n" \
   "    local why = h:why()\n" \
   "    out[#out + 1] = h.paper.id .. ' ' .. ('%.5f'):format(h.score) .. ' ' .. table.concat(why.terms, '|')\n" \
   "    for _, p in ipairs(why.papers) do out[#out + 1] = '  ' .. p.paper.id .. ('%.5f'):format(p.score) end\n" \
   "  end\n" \
   "end\n"
#define NOINDEX "if not package.searchpath('arxivdigest.index', package.path) then return 'no index' end\n"

static const scenario scenarios[] = {
  {"require",
   "local ad = require 'arxivdigest'\n"
   "return type(ad.open) .. type(ad.parse)\n", NULL, NULL, 0},
  {"open",   /* a folder: both formats, every field, warnings */
   "local ad = require 'arxivdigest'\n"
   "local c, err = ad.open(DIR)\n"
   "if not c then error('ad.open returned nil: ' .. tostring(err), 0) end\n"
   "local out = {'n=' .. #c}\n"
   "for i = 1, #c do dump(out, c[i]) end\n"
   "dumpw(out, c)\n"
   "return table.concat(out, '\\n')\n", NULL, NULL, 0},
  {"open_slash",   /* a folder given with a trailing slash */
   "local ad = require 'arxivdigest'\n"
   "local c, err = ad.open(DIR .. '/')\n"
   "if not c then error('ad.open returned nil: ' .. tostring(err), 0) end\n"
   "return tostring(#c)\n", NULL, NULL, 0},
  {"open_list",   /* a list of files, papers() iterator */
   "local ad = require 'arxivdigest'\n"
   "local c, err = ad.open({DIR .. '/listing_small.md', DIR .. '/catalog_small.md'})\n"
   "if not c then error('ad.open returned nil: ' .. tostring(err), 0) end\n"
   "local out = {}\n"
   "for p in c:papers() do out[#out + 1] = p.id .. ' ' .. p.title end\n"
   "return table.concat(out, '\\n')\n", NULL, NULL, 0},
  {"open_threads",   /* read and scanned on threads, merged on this one */
   "local ad = require 'arxivdigest'\n"
   "local c, err = ad.open({DIR, DIR .. '/listing_small.md', 'spec/fixtures/bad'},\n"
   "                       {threads = 3, _parallel_min_bytes = 0})\n"
   "if not c then error('ad.open returned nil: ' .. tostring(err), 0) end\n"
   "if c:_threads() < 2 then error('no thread was started', 0) end\n"
   "local out = {'n=' .. #c}\n"
   "for i = 1, #c do dump(out, c[i]) end\n"
   "dumpw(out, c)\n"
   "return table.concat(out, '\\n')\n", NULL, NULL, 0},
  {"open_serial",   /* threads = 1: the serial path */
   "local ad = require 'arxivdigest'\n"
   "local c, err = ad.open({DIR, 'spec/fixtures/bad'}, {threads = 1})\n"
   "if not c then error('ad.open returned nil: ' .. tostring(err), 0) end\n"
   "local out = {'n=' .. #c}\n"
   "for i = 1, #c do dump(out, c[i]) end\n"
   "dumpw(out, c)\n"
   "return table.concat(out, '\\n')\n", NULL, NULL, 0},
  {"parse_messy",   /* hostile text: warnings, invalid UTF-8, NUL, HTML */
   "local ad = require 'arxivdigest'\n"
   "local c = ad.parse(MESSY, 'messy.md')\n"
   "local out = {'n=' .. #c}\n"
   "for i = 1, #c do dump(out, c[i]) end\n"
   "dumpw(out, c)\n"
   "return table.concat(out, '\\n')\n", NULL, NULL, 0},
  {"terms_xml",   /* core.term_counter (html's top terms) and core.xml */
   "local core = require 'arxivdigest.core'\n"
   "local c = require('arxivdigest').parse(MESSY, 'messy.md')\n"
   "local tc, out = core.term_counter(), {}\n"
   "for i = 1, #c do\n"
   "  local p = c[i]\n"
   "  tc:add(p.title or '', p.abstract or '')\n"
   "  out[#out + 1] = core.xml(p.title or '') .. core.xml(p.abstract or '')\n"
   "end\n"
   "local w, d, t = tc:counts()\n"
   "for i = 1, #w do out[#out + 1] = w[i] .. ' ' .. d[i] .. ' ' .. t[i] end\n"
   "return table.concat(out, '\\n')\n", NULL, NULL, 0},
  {"totable",
   "local ad = require 'arxivdigest'\n"
   "local c = ad.parse(LISTING, 'listing.md')\n"
   "local out = {}\n"
   "for i = 1, #c do dump(out, c[i]:totable()) end\n"
   "return table.concat(out, '\\n')\n", NULL, NULL, 0},
  {"index",   /* build, search, count, similar, get */
   "local ad = require 'arxivdigest'\n"
   NOINDEX
   "local idx = ad.index(DIR)\n"
   "return answers(idx)\n", NULL, NULL, 0},
  {"save_load",   /* save a built index, load it back, query it */
   "local ad = require 'arxivdigest'\n"
   NOINDEX
   "local ok, err = IDX:save(SAVEDIR .. '/x.adx')\n"
   "if not ok then error(err, 0) end\n"
   "local i2, err2 = ad.load(SAVEDIR .. '/x.adx')\n"
   "if not i2 then error(err2, 0) end\n"
   "return answers(i2)\n",
   NOINDEX
   "IDX = require('arxivdigest').index(DIR)\n",
   NULL, 1},
  {"index_extra",   /* stats, trend, snippets, similar by text, update */
   "local ad = require 'arxivdigest'\n"
   NOINDEX
   "local out = {}\n"
   "local st = IDX:stats()\n"
   "out[#out + 1] = st.papers .. ' ' .. st.records .. ' ' .. st.files\n"
   "for k, v in pairs(st.categories) do out[#out + 1] = k .. '=' .. tostring(v) end\n"
   "table.sort(out)\n"
   "for _, r in ipairs(IDX:trend('segmentation OR detection', 'month')) do\n"
   "  out[#out + 1] = tostring(r.period or r[1]) .. ':' .. tostring(r.count or r[2])\n"
   "end\n"
   "for _, h in ipairs(IDX:search('neural network', {limit = 3})) do out[#out + 1] = h:snippet() end\n"
   "for _, h in ipairs(IDX:similar('depth estimation from defocus blur', 3)) do\n"
   "  out[#out + 1] = 'sim ' .. h.paper.id\n"
   "end\n"
   "local sum = IDX:update(DIR)\n"
   "out[#out + 1] = 'update ' .. sum.added .. sum.changed .. sum.removed .. sum.unchanged\n"
   "out[#out + 1] = answers(IDX)\n"
   "return table.concat(out, '\\n')\n",
   NOINDEX
   "IDX = require('arxivdigest').index(DIR)\n",
   NULL, 0},
  {"update_incr",   /* an incremental update: a file dropped, one added */
   "local ad = require 'arxivdigest'\n"
   NOINDEX
   "local F = 'spec/fixtures/index/'\n"
   "local sum, err = IDX:update({F .. 'catalog/05/20200521.md', F .. 'catalog/06/20200610.md',\n"
   "                              SAVEDIR .. '/new.md'})\n"
   "if not sum then error(err, 0) end\n"
   "return 'update ' .. sum.added .. sum.changed .. sum.removed .. sum.unchanged .. sum.read\n"
   "  .. '\\n' .. answers(IDX)\n",
   NOINDEX
   "local F = 'spec/fixtures/index/'\n"
   "local f = assert(io.open(SAVEDIR .. '/new.md', 'w'))\n"
   "f:write('# Arxiv Papers in cs.CV on 2020-06-12\\n### A later version\\n',\n"
   "  '- **Arxiv ID**: http://arxiv.org/abs/2006.00002v3\\n- **Summary**: revised.\\n',\n"
   "  '### Something new\\n- **Arxiv ID**: http://arxiv.org/abs/2006.09999v1\\n',\n"
   "  '- **Categories**: **cs.CV**\\n- **Summary**: new.\\n')\n"
   "f:close()\n"
   "IDX = require('arxivdigest').index({F .. 'catalog/05/20200521.md',\n"
   "  F .. 'catalog/06/20200610.md', F .. 'listing/20200520.md'}, {threads = 1})\n",
   "os.remove(SAVEDIR .. '/new.md')\n",
   0},
  {"recommend",   /* a library (BibTeX: ids, DOI, title), recommendations with
                  evidence, negatives, free text, the whole archive narrowed,
                  evaluate: the model, the DOI table and every request */
   "local ad = require 'arxivdigest'\n"
   NOINDEX
   "local rec = require 'arxivdigest.recommend'\n"
   "local core = require 'arxivdigest.core'\n"
   "local out = {}\n"
   "local p0, p1, p2 = core._rpaper(IDX, 0), core._rpaper(IDX, 1), core._rpaper(IDX, 2)\n"
   "local lib = ad.library('@misc{a, eprint = {' .. p0.id .. '}, archivePrefix = {arXiv}}\\n'\n"
   "  .. '@article{b, title = {' .. p1.title .. '}, doi = {10.1/none}}\\n@misc{c, note = {arXiv:'\n"
   "  .. p2.id .. '}}\\n@string{x = {y}}\\n@misc{d, title = {Nothing like it}}\\n', IDX)\n"
   "out[#out + 1] = #lib .. ' ' .. table.concat(lib:ids(), ',') .. ' ' .. #lib:unmatched()\n"
   DUMPH
   "dumph(rec.recommend(IDX, lib, {query = 'cat:cs.CV', limit = 4, negative = {core._rpaper(IDX, 5).id}}))\n"
   "dumph(rec.recommend(IDX, 'semantic segmentation of images', {query = 'cat:cs.CV', limit = 3}))\n"
   "do local big = {} for d = 0, #IDX - 3 do big[#big + 1] = d end\n"   /* more than `near` papers */
   "  for _, h in ipairs(core.recommend(IDX, big, {#IDX - 2, #IDX - 1}, nil, {limit = 3, text = 'images', near = 2})) do\n"
   "    out[#out + 1] = h.doc .. ('%.5f'):format(h.score)\n"
   "  end\n"
   "end\n"
   "for _, h in ipairs(core.recommend(IDX, {0, 1, 2}, nil, nil, {limit = 3, exact = 0, alpha = 0.5})) do\n"
   "  out[#out + 1] = h.doc .. ('%.5f'):format(h.score)\n"
   "end\n"
   "local r = rec.evaluate(IDX, {0 and p0, p1, p2, core._rpaper(IDX, #IDX - 1)}, {days = 1, k = 5})\n"
   "out[#out + 1] = tostring(r.reason) .. ' ' .. tostring(r.method and r.method.recall)\n"
   "out[#out + 1] = tostring(core.index_lookup(IDX, 'doi', '10.1/none'))\n"
   "return table.concat(out, '\\n')\n",
   NOINDEX
   "IDX = require('arxivdigest').index(DIR)\n",
   NULL, 0},
  {"recommend_with",   /* candidates from a second index (an Index, a list
                          of papers of both), a library paper found only
                          there, the model read from a file and written */
   "local ad = require 'arxivdigest'\n"
   NOINDEX
   "local core = require 'arxivdigest.core'\n"
   "local out = {}\n"
   DUMPH
   "local ok, why = IDX:load_model(SAVEDIR .. '/m.model')\n"
   "out[#out + 1] = tostring(ok) .. ' ' .. tostring(why)\n"
   "local lib = {core._rpaper(IDX, 0).id, '2001.99999', core._rpaper(C2, 1)}\n"
   "dumph(IDX:recommend(lib, {candidates = C2, limit = 4}))\n"
   "dumph(IDX:recommend(lib, {candidates = {core._rpaper(C2, 2), core._rpaper(IDX, 3)}, limit = 4}))\n"
   "local sok, serr = IDX:save_model(SAVEDIR .. '/n.model')\n"
   "if not sok then error(serr, 0) end\n"
   "return table.concat(out, '\\n')\n",
   NOINDEX
   "local ad = require('arxivdigest')\n"
   "local f = assert(io.open(SAVEDIR .. '/new.md', 'w'))\n"
   "f:write('# Arxiv Papers in cs.CV on 2020-06-12\\n### Depth from defocus, again\\n',\n"
   "  '- **Arxiv ID**: http://arxiv.org/abs/2006.09998v1\\n- **Categories**: **cs.CV**\\n',\n"
   "  '- **Summary**: depth estimation from defocus blur with a network.\\n',\n"
   "  '### Segmentation of images\\n- **Arxiv ID**: http://arxiv.org/abs/2006.09999v1\\n',\n"
   "  '- **Categories**: **cs.CV**\\n- **Summary**: semantic segmentation of images, new.\\n',\n"
   "  '### Another\\n- **Arxiv ID**: http://arxiv.org/abs/2006.09997v1\\n',\n"
   "  '- **Summary**: a neural network for images.\\n')\n"
   "f:close()\n"
   "C2 = ad.index(SAVEDIR .. '/new.md', {threads = 1})\n"
   "assert(ad.index(DIR):save_model(SAVEDIR .. '/m.model'))\n"
   "IDX = ad.index(DIR)\n",
   "local p = io.popen('ls -a ' .. SAVEDIR) local s = p:read('a') p:close()\n"
   "os.remove(SAVEDIR .. '/m.model') os.remove(SAVEDIR .. '/n.model') os.remove(SAVEDIR .. '/new.md')\n"
   "if s:find('%.tmp') then return 'a temporary file was left: ' .. s end\n",
   0},
  {NULL, NULL, NULL, NULL, 0}
};
/* }====================================================== */

static const char *build_dir;
static char savedir[64];   /* a private folder for the save scenarios */

/* Entries of savedir other than x.adx are reported (1 = some found); all
** are removed. */
static int clean_savedir(void) {
  DIR *d = opendir(savedir);
  struct dirent *e;
  int stray = 0;
  char path[400];
  if (!d) return 0;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (strcmp(e->d_name, "x.adx")) {
      fprintf(stderr, "oom_test: left in the save folder: %s\n", e->d_name);
      stray = 1;
    }
    snprintf(path, sizeof path, "%s/%s", savedir, e->d_name);
    unlink(path);
  }
  closedir(d);
  return stray;
}
static int verbose;

/* New state with the counting allocator, libraries and paths, prelude run.
** Returns NULL (after printing) on failure. */
static lua_State *newstate(heap *h) {
  lua_State *L;
  memset(h, 0, sizeof *h);
  L = lua_newstate(oom_alloc, h);
  if (!L) return NULL;
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushfstring(L, "lua/?.lua;lua/?/init.lua;%s", "");
  lua_getfield(L, -2, "path");
  lua_concat(L, 2);
  lua_setfield(L, -2, "path");
  lua_pushfstring(L, "%s/?.so;", build_dir);
  lua_getfield(L, -2, "cpath");
  lua_concat(L, 2);
  lua_setfield(L, -2, "cpath");
  lua_pop(L, 1);
  lua_pushstring(L, savedir);
  lua_setglobal(L, "SAVEDIR");
  if (luaL_dostring(L, prelude) != LUA_OK) {
    fprintf(stderr, "oom_test: prelude: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return NULL;
  }
  return L;
}

typedef struct outcome {
  int status;            /* lua_pcall status, or -1 if the state failed */
  char *result;          /* digest (status OK) or error message, malloc'd */
  size_t len;
  unsigned long nalloc;  /* allocation points during the chunk */
  size_t base, peak;     /* live bytes before the chunk, peak during it */
  int failed;            /* the allocator refused something */
  size_t leak_bytes, leak_blocks;   /* after lua_close */
  unsigned long badsize;  /* allocator calls with a wrong old size */
  int postfail;           /* the post-check found a broken invariant */
} outcome;

/* Run one scenario with the given limit. */
static void run(const scenario *s, int mode, unsigned long failat, size_t cap,
                outcome *o) {
  heap h;
  lua_State *L = newstate(&h);
  const char *r;
  size_t len;
  memset(o, 0, sizeof *o);
  o->status = -1;
  if (!L) return;
  if (s->setup && luaL_dostring(L, s->setup) != LUA_OK) {
    fprintf(stderr, "oom_test: %s: set-up: %s\n", s->name, lua_tostring(L, -1));
    lua_close(L);
    return;
  }
  lua_settop(L, 0);
  if (luaL_loadbuffer(L, s->chunk, strlen(s->chunk), s->name) != LUA_OK) {
    fprintf(stderr, "oom_test: %s: %s\n", s->name, lua_tostring(L, -1));
    lua_close(L);
    return;
  }
  lua_gc(L, LUA_GCCOLLECT);
  o->base = h.live_bytes;
  h.peak_bytes = h.live_bytes;
  h.mode = mode; h.failat = failat; h.cap = o->base + cap;
  h.counting = 1;
  o->status = lua_pcall(L, 0, 1, 0);
  h.counting = 0; h.mode = M_NONE;
  o->nalloc = h.nalloc;
  o->peak = h.peak_bytes;
  o->failed = h.failed;
  r = lua_tolstring(L, -1, &len);
  if (!r) { r = "(no message)"; len = strlen(r); }
  o->result = (char *)malloc(len + 1);
  if (!o->result) abort();
  memcpy(o->result, r, len);
  o->result[len] = '\0';
  o->len = len;
  lua_settop(L, 0);
  if (s->post) {
    if (luaL_dostring(L, s->post) != LUA_OK) {
      fprintf(stderr, "oom_test: %s: post-check: %s\n", s->name, lua_tostring(L, -1));
      o->postfail = 1;
    } else if (lua_isstring(L, -1)) {
      fprintf(stderr, "oom_test: %s: %s\n", s->name, lua_tostring(L, -1));
      o->postfail = 1;
    }
  }
  lua_close(L);
  if (s->savedir && clean_savedir()) o->postfail = 1;
  o->leak_bytes = h.live_bytes;
  o->leak_blocks = h.live_blocks;
  o->badsize = h.badsize;
}

static int is_memory_error(const outcome *o) {
  if (o->status == LUA_ERRMEM) return 1;
  if (o->status == LUA_ERRRUN || o->status == LUA_ERRERR)
    return strstr(o->result, "not enough memory") != NULL ||
           strstr(o->result, "out of memory") != NULL;
  return 0;
}

static const char *modename(int m) {
  return m == M_ONCE ? "once" : m == M_HARD ? "hard" : "bytes";
}

/* Check one limited run against the reference. Returns 1 if good. */
static int judge(const scenario *s, int mode, unsigned long point,
                 const outcome *ref, const outcome *o) {
  const char *problem = NULL;
  if (o->status == -1) problem = "could not create the state";
  else if (o->leak_bytes || o->leak_blocks) problem = "memory not returned after lua_close";
  else if (o->badsize) problem = "the core passed a wrong old size to the allocator";
  else if (o->postfail) problem = "an invariant checked after the run is broken";
  else if (o->status == LUA_OK) {
    if (o->len != ref->len || memcmp(o->result, ref->result, o->len) != 0)
      problem = "succeeded with a different result than without limit";
  } else if (!is_memory_error(o)) problem = "raised an error that is not a memory error";
  if (!problem) return 1;
  fprintf(stderr, "FAIL %s mode=%s point=%lu: %s (status %d, leaked %zu bytes in %zu blocks)\n"
          "     message/result: %.300s\n",
          s->name, modename(mode), point, problem, o->status, o->leak_bytes,
          o->leak_blocks, o->result ? o->result : "");
  return 0;
}

int main(int argc, char **argv) {
  const char *only = NULL, *onlymode = NULL;
  unsigned long stride = 1;   /* every point (sampling missed a real bug) */
  int i, bad = 0, nscen = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: %s BUILD_DIR [-s scenario] [-m once|hard|bytes] [-k stride] [-v]\n", argv[0]);
    return 2;
  }
  build_dir = argv[1];
  strcpy(savedir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/oom_testXXXXXX" : "/tmp/oom_testXXXXXX");
  if (!mkdtemp(savedir)) { perror("oom_test: mkdtemp"); return 2; }
  for (i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "-s") && i + 1 < argc) only = argv[++i];
    else if (!strcmp(argv[i], "-m") && i + 1 < argc) onlymode = argv[++i];
    else if (!strcmp(argv[i], "-k") && i + 1 < argc) stride = strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "-v")) verbose = 1;
    else { fprintf(stderr, "oom_test: bad argument %s\n", argv[i]); return 2; }
  }
  for (i = 0; scenarios[i].name; i++) {
    const scenario *s = &scenarios[i];
    outcome ref;
    int m;
    unsigned long runs = 0, errs = 0, absorbed = 0;
    int bad0 = bad;
    if (only && strcmp(only, s->name)) continue;
    nscen++;
    run(s, M_NONE, 0, 0, &ref);
    if (ref.status != LUA_OK || ref.leak_bytes || ref.leak_blocks || ref.badsize) {
      fprintf(stderr, "FAIL %s: reference run failed (status %d, leaked %zu bytes, "
              "%lu wrong old sizes): %.300s\n", s->name, ref.status, ref.leak_bytes,
              ref.badsize, ref.result ? ref.result : "");
      free(ref.result);
      bad++;
      continue;
    }
    for (m = M_ONCE; m <= M_BYTES; m++) {
      unsigned long p, npoints = m == M_BYTES ? 400 : ref.nalloc, step = stride;
      if (onlymode && strcmp(onlymode, modename(m))) continue;
      if (step == 0) step = 1;
      for (p = 1; p <= npoints; p += step) {
        outcome o;
        size_t cap = m == M_BYTES ? (ref.peak - ref.base) * (p - 1) / npoints : 0;
        run(s, m, p, cap, &o);
        runs++;
        if (o.status != LUA_OK) errs++;
        else if (o.failed) absorbed++;
        if (!judge(s, m, p, &ref, &o)) bad++;
        free(o.result);
        if (bad > 20) { fprintf(stderr, "oom_test: too many failures\n"); return 1; }
      }
    }
    printf("oom %-12s %6lu allocation points, %6lu limited runs: %lu memory errors, "
           "%lu absorbed, all memory returned%s\n",
           s->name, ref.nalloc, runs, errs, absorbed, bad > bad0 ? " (FAILURES above)" : "");
    if (verbose) printf("  reference digest: %zu bytes\n", ref.len);
    free(ref.result);
  }
  clean_savedir();
  rmdir(savedir);
  if (nscen == 0) { fprintf(stderr, "oom_test: no such scenario\n"); return 2; }
  printf("oom_test: %s\n", bad ? "FAILED" : "ok");
  return bad ? 1 : 0;
}
