/*
** fuzz_tree.c: libFuzzer target for the Lua binding's query-tree converter
** (csrc/lad_query.c) and every entry point that takes a tree: idx:search
** (limit, offset, sort), idx:count, idx:trend, c:select, core.snippet and
** a hit's :snippet. Unlike the other targets it embeds a Lua state (linked
** with liblua5.4 and the binding objects lad*.c), because what it attacks
** is the boundary between Lua values and C.
**
** The input is decoded by a small stack machine into a query tree built
** with the Lua C API (a pool of values; each op adds one): nodes of every
** type, valid and not; numbers, booleans, tables and nil where strings go
** (a float text like 1e15 + 7.25: issue 11's F6); holes; deep nesting;
** fan-out of up to 2000 children sharing one subtree; cycles; metatables
** on nodes (proxies whose __index/__len lie: the converter reads raw); and,
** when armed, finalizers that edit the tree while the calls run, under
** collectgarbage("incremental", 1, 1000, 0) (a GC step at every
** allocation), so that an edit can land between the converter's measuring
** and filling walks.
**
** Properties (the driver, LAD_DRIVER below; a broken one aborts):
**  - no crash, no ASan/UBSan report; every error raised is a string;
**  - (not armed) the fresh index and the same index saved and loaded give
**    the same hits (ids, scores), counts, trends and hit snippets;
**  - search returns min(limit, count - offset) hits; a trend's counts add
**    up to the count;
**  - (not armed, a plain tree: no metatable, no cycle, small) when the tree
**    converts and arxivdigest.query's format() writes it as a text that
**    parses, the text gives the same answers (search, count, trend,
**    select, snippets).
** Run from the repository root (or set AD_ROOT): the fixtures are read
** from spec/fixtures/fuzz/scan and examples/data, the Lua modules from lua/.
** For triage: FUZZ_TREE_VERBOSE=1 prints each tree and the errors raised,
** FUZZ_TREE_MEM=1 the Lua heap after each input.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int luaopen_arxivdigest_core(lua_State *L);

static lua_State *FL;
static int DRIVER;       /* registry reference of the driver's run() */

/* {====================================================== the driver */
static const char LAD_DRIVER[] =
"local core, query, fresh, loaded, coll = ...\n"
"local function perr(fmt, ...) error('PROPERTY: ' .. fmt:format(...), 0) end\n"
"local function try(f, ...)\n"
"  local r = table.pack(pcall(f, ...))\n"
"  if not r[1] and type(r[2]) ~= 'string' then perr('an error that is a %s', type(r[2])) end\n"
"  if not r[1] and FUZZ_TREE_ERRORS then FUZZ_TREE_ERRORS(r[2]) end\n"
"  return r[1], r[2]\n"
"end\n"
/* every call with the query q over index ix */
"local function calls(ix, q, cfg, with_select)\n"
"  local r = {}\n"
"  r.sok, r.s = try(ix.search, ix, q, cfg.opts)\n"
"  r.cok, r.c = try(ix.count, ix, q)\n"
"  r.tok, r.t = try(ix.trend, ix, q, cfg.period)\n"
"  r.nok, r.n = try(core.snippet, cfg.text, q, '[', ']', cfg.width)\n"
"  if with_select then r.lok, r.l = try(coll.select, coll, q) end\n"
"  r.snips = {}\n"
"  if r.sok then\n"
"    for i = 1, math.min(#r.s, 3) do\n"
"      local ok, s = try(r.s[i].snippet, r.s[i], {open = '<', close = '>', width = cfg.width})\n"
"      r.snips[i] = ok and s or 'error'\n"
"    end\n"
"  end\n"
"  return r\n"
"end\n"
"local function same_hits(a, b, what)\n"
"  if #a ~= #b then perr('%s: %d vs %d hits', what, #a, #b) end\n"
"  for i = 1, #a do\n"
"    local x, y = a[i], b[i]\n"
"    if x.paper.id ~= y.paper.id then perr('%s: hit %d is %s vs %s', what, i, x.paper.id, y.paper.id) end\n"
"    if math.abs(x.score - y.score) > 1e-4 * (1 + math.abs(x.score)) then\n"
"      perr('%s: hit %d scores %.9g vs %.9g', what, i, x.score, y.score)\n"
"    end\n"
"  end\n"
"end\n"
"local function same_trend(a, b, what)\n"
"  if #a ~= #b then perr('%s: %d vs %d periods', what, #a, #b) end\n"
"  for i = 1, #a do\n"
"    if a[i].period ~= b[i].period or a[i].count ~= b[i].count then\n"
"      perr('%s: period %d: %s=%d vs %s=%d', what, i, a[i].period, a[i].count, b[i].period, b[i].count)\n"
"    end\n"
"  end\n"
"end\n"
"local function same(a, b, what, snips)\n"
"  for _, k in ipairs{'s', 'c', 't', 'n'} do\n"
"    if a[k .. 'ok'] ~= b[k .. 'ok'] then\n"
"      perr('%s: %s %s vs %s (%s / %s)', what, k, a[k .. 'ok'], b[k .. 'ok'], a[k], b[k])\n"
"    end\n"
"  end\n"
"  if a.sok then same_hits(a.s, b.s, what .. ': search') end\n"
"  if a.cok and a.c ~= b.c then perr('%s: count %d vs %d', what, a.c, b.c) end\n"
"  if a.tok then same_trend(a.t, b.t, what .. ': trend') end\n"
"  if a.nok and a.n ~= b.n then perr('%s: snippet %q vs %q', what, a.n, b.n) end\n"
"  if a.lok ~= nil and b.lok ~= nil then\n"
"    if a.lok ~= b.lok then perr('%s: select %s vs %s (%s / %s)', what, a.lok, b.lok, a.l, b.l) end\n"
"    if a.lok and table.concat(a.l, ',') ~= table.concat(b.l, ',') then perr('%s: select differs', what) end\n"
"  end\n"
"  if snips then\n"
"    for i = 1, #a.snips do\n"
"      if a.snips[i] ~= b.snips[i] then perr('%s: hit snippet %d %q vs %q', what, i, a.snips[i], b.snips[i]) end\n"
"    end\n"
"  end\n"
"end\n"
/* is the tree plain: tables without metatables, no cycle, at most 2000
** nodes visited (shared subtrees count each time)? */
"local function plain(t)\n"
"  local budget = 2000\n"
"  local function walk(n, depth)\n"
"    if type(n) ~= 'table' then return true end\n"
"    budget = budget - 1\n"
"    if budget < 0 or depth > 100 or getmetatable(n) ~= nil then return false end\n"
"    for k, v in pairs(n) do\n"
"      if type(v) == 'table' and not walk(v, depth + 1) then return false end\n"
"      if type(k) == 'table' then return false end\n"
"    end\n"
"    return true\n"
"  end\n"
"  return walk(t, 0)\n"
"end\n"
/* the tables of the tree (raw), at most 4000, for the mutators */
"local function tables(t)\n"
"  local out, seen = {}, {}\n"
"  local function walk(n)\n"
"    if type(n) ~= 'table' or seen[n] or #out >= 4000 then return end\n"
"    seen[n] = true; out[#out + 1] = n\n"
"    for _, v in next, n do walk(v) end\n"
"  end\n"
"  walk(t)\n"
"  return out\n"
"end\n"
"local TYPES = {'and', 'or', 'not', 'term', 'phrase', 'all', 'cat', 'date', 'version', 'AND', 7}\n"
"local function mutate(nodes, m)\n"
"  local n = nodes[m[2] % #nodes + 1]\n"
"  local op = m[1] % 9\n"
"  if op == 0 then rawset(n, 'type', TYPES[m[3] % #TYPES + 1])\n"
"  elseif op == 1 then rawset(n, rawlen(n) + 1, {type = 'all'})\n"
"  elseif op == 2 then rawset(n, rawlen(n), nil)\n"
"  elseif op == 3 then rawset(n, 'text', ('x'):rep(m[3]) .. tostring(m[3]))\n"
"  elseif op == 4 then rawset(n, 'text', 1e15 + m[3] + 0.25)\n"
"  elseif op == 5 then rawset(n, 'value', ('cs.'):rep(m[3] % 5 + 1))\n"
"  elseif op == 6 then rawset(n, 1, {type = 'all'})\n"
"  elseif op == 7 then setmetatable(n, {__index = function() return 'or' end})\n"
"  else for k in next, n do rawset(n, k, nil) end end\n"
"end\n"
/* FUZZ_TREE_VERBOSE=1: print each tree (for triage) */
"local verbose = os.getenv('FUZZ_TREE_VERBOSE')\n"
"if verbose then FUZZ_TREE_ERRORS = function(e) print('error', (e:gsub('%d+', 'N'))) end end\n"
"local function show(t, depth, seen)\n"
"  if type(t) ~= 'table' then return type(t) == 'string' and ('%q'):format(t) or tostring(t) end\n"
"  if seen[t] or depth > 12 then return '<' .. tostring(t) .. '>' end\n"
"  seen[t] = true\n"
"  local parts = {}\n"
"  for k, v in next, t do\n"
"    if type(k) ~= 'number' then parts[#parts + 1] = tostring(k) .. '=' .. show(v, depth + 1, seen) end\n"
"  end\n"
"  for i = 1, math.min(rawlen(t), 8) do parts[#parts + 1] = show(rawget(t, i), depth + 1, seen) end\n"
"  if rawlen(t) > 8 then parts[#parts + 1] = '... (' .. rawlen(t) .. ')' end\n"
"  seen[t] = nil\n"
"  return (getmetatable(t) and 'proxy' or '') .. '{' .. table.concat(parts, ', ') .. '}'\n"
"end\n"
"return function(tree, cfg)\n"
"  cfg.opts = {limit = cfg.limit, offset = cfg.offset, sort = cfg.sort}\n"
"  if verbose then print('tree', show(tree, 0, {}), 'armed', cfg.armed, 'limit', cfg.limit, 'offset', cfg.offset, cfg.sort) end\n"
"  if cfg.armed then\n"
"    local nodes = tables(tree)\n"
"    collectgarbage('collect')\n"
"    if #nodes > 0 then\n"
"      for i = 1, #cfg.muts do\n"
"        local m = cfg.muts[i]\n"
"        setmetatable({}, {__gc = function() mutate(nodes, m) end})\n"
"      end\n"
"    end\n"
"    collectgarbage('incremental', 1, 1000, 0)\n"
"    local ok, e = pcall(calls, fresh, tree, cfg, true)\n"
"    if not ok and not tostring(e):find('^PROPERTY') then perr('driver: %s', e) end\n"
"    if not ok then error(e, 0) end\n"
"    pcall(calls, loaded, tree, cfg, false)\n"
"    collectgarbage('incremental', 200, 100, 13)\n"
"    collectgarbage('collect')\n"
"    return\n"
"  end\n"
"  local a = calls(fresh, tree, cfg, true)\n"
"  local b = calls(loaded, tree, cfg, false)\n"
"  same(a, b, 'fresh vs loaded index', true)\n"
"  if a.sok and a.cok then\n"
"    local want = math.max(0, math.min(cfg.limit or 10, a.c - (cfg.offset or 0)))\n"
"    if #a.s ~= want then perr('search gave %d hits, count %d, limit %s, offset %s', #a.s, a.c, cfg.limit, cfg.offset) end\n"
"  end\n"
"  if a.tok and a.cok then\n"
"    local sum = 0\n"
"    for _, p in ipairs(a.t) do sum = sum + p.count end\n"
"    if sum ~= a.c then perr('trend adds up to %d, count is %d', sum, a.c) end\n"
"  end\n"
"  if type(tree) == 'table' and a.cok and plain(tree) then\n"
"    local ok, text = pcall(query.format, tree)\n"
"    if ok then\n"
/* (format promises parse(format(t)) == t only for trees made by parse: a
** text that parse rejects, like id:segmentation, is no canonical text) */
"      if pcall(query.parse, text) then\n"
"        local c = calls(fresh, text, cfg, true)\n"
"        same(a, c, 'tree vs its text ' .. ('%q'):format(text), true)\n"
"      end\n"
"    end\n"
"  end\n"
"end\n";
/* }====================================================== */

/* {====================================================== set-up */
static void die(const char *what) {
  fprintf(stderr, "fuzz_tree set-up: %s: %s\n", what,
          FL && lua_type(FL, -1) == LUA_TSTRING ? lua_tostring(FL, -1) : "");
  abort();
}

/* the global function (or field of a module) call, from Lua source */
static void run(lua_State *L, const char *src, int nres) {
  if (luaL_loadstring(L, src) != LUA_OK || lua_pcall(L, 0, nres, 0) != LUA_OK) die(src);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  char tmp[] = "/tmp/fuzz_treeXXXXXX";
  const char *root = getenv("AD_ROOT");
  lua_State *L;
  int fd;
  (void)argc; (void)argv;
  if (root && chdir(root) != 0) die("cannot chdir to $AD_ROOT");
  FL = L = luaL_newstate();
  if (L == NULL) die("luaL_newstate");
  luaL_openlibs(L);
  luaL_requiref(L, "arxivdigest.core", luaopen_arxivdigest_core, 0);
  lua_pop(L, 1);
  run(L, "package.path = 'lua/?.lua;lua/?/init.lua;' .. package.path", 0);
  fd = mkstemp(tmp);
  if (fd < 0) die("mkstemp");
  close(fd);
  lua_pushstring(L, tmp);
  lua_setglobal(L, "FUZZ_SAVED");
  /* the driver's arguments: core, query, fresh index, loaded index, collection */
  if (luaL_loadstring(L, LAD_DRIVER) != LUA_OK) die("the driver");
  run(L,
      "local core = require 'arxivdigest.core'\n"
      "local query = require 'arxivdigest.query'\n"
      "local c = assert(core.open({'spec/fixtures/fuzz/scan', 'examples/data'}, {threads = 1}))\n"
      "local ix = assert(core.index(c, {threads = 1}))\n"
      "assert(ix:save(FUZZ_SAVED))\n"
      "local lx = assert(core.load(FUZZ_SAVED))\n"
      "os.remove(FUZZ_SAVED)\n"   /* the mapping stays valid */
      "local texts = {}\n"
      "for i = 1, #c, 7 do texts[#texts + 1] = c[i].abstract or c[i].title or '' end\n"
      "FUZZ_TEXTS = texts\n"
      "return core, query, ix, lx, c\n", 5);
  if (lua_pcall(L, 5, 1, 0) != LUA_OK) die("the driver");
  DRIVER = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}
/* }====================================================== */

/* {====================================================== decoding */
typedef struct rd { const uint8_t *p; size_t n; } rd;

static unsigned byte(rd *r) {
  if (r->n == 0) return 0;
  r->n--;
  return *r->p++;
}

static unsigned u16(rd *r) { unsigned a = byte(r); return a << 8 | byte(r); }

static const char *const WORDS[] = {
  "segmentation", "depth", "estimation", "neural", "network", "video", "image",
  "learning", "zero-shot", "detect", "depth estimation", "cs.CV", "cs.LG", "eess.IV",
  "CS.cv", "2005.09623", "2005.09623v2", "https://arxiv.org/abs/1910.11126",
  "math/0102003", "doi", "journal", "code", "de", "the", "müller", "Müller",
  "U$^2$-Net", "", " ", "*", "AND", "OR", "NOT", "a\"b", "ti:x", "(", "x-", "-x",
  "\xff\xfe", "é", "3d", "2019-05-18", "2019-13-45", "2019", "ti", "abs", "au", "co",
  "Łukasz", "self-supervised", "state-of-the-art", "a b c d e f g h i j k l m n o p"
};
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

static const char *const TYPES[] = {
  "and", "or", "not", "term", "phrase", "cat", "primary", "id", "date", "has",
  "version", "all", "AND", "", "termx", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "t"
};
#define NTYPES (sizeof TYPES / sizeof TYPES[0])

/* what the last push_text costs the evaluators beyond one node: a long
** text is tokenized by every call (search, snippets), so it counts as
** len / 8 nodes */
static unsigned TEXTCOST;

/* pushes a value where a string is expected: mostly a string, sometimes
** anything else */
static void push_text(lua_State *L, rd *r) {
  unsigned b = byte(r), i, n;
  char buf[32];
  TEXTCOST = 0;
  if (b < 128) { lua_pushstring(L, WORDS[b % NWORDS]); return; }
  if (b < 160) {
    n = b % 24;
    for (i = 0; i < n; i++) buf[i] = (char)byte(r);
    lua_pushlstring(L, buf, n);
    return;
  }
  if (b < 176) { lua_pushinteger(L, (lua_Integer)(int16_t)u16(r)); return; }
  if (b < 192) { lua_pushnumber(L, 1e15 + (double)byte(r) + 7.25); return; }
  if (b < 200) { lua_pushboolean(L, b & 1); return; }
  if (b < 208) { lua_pushnil(L); return; }
  if (b < 216) { lua_newtable(L); return; }
  if (b < 224) { lua_pushnumber(L, b & 1 ? 0.0 / 0.0 : 1.0 / 0.0); return; }
  /* a long string */
  n = u16(r) % 8192;
  TEXTCOST = n / 8;
  {
    luaL_Buffer lb;
    char *p = luaL_buffinitsize(L, &lb, n + 1);
    unsigned c = byte(r);
    for (i = 0; i < n; i++) p[i] = c == 0 ? 'x' : (char)(i % 7 == 6 ? ' ' : 'a' + (i + c) % 26);
    luaL_pushresultsize(&lb, n);
  }
}

static void push_type(lua_State *L, rd *r) {
  unsigned b = byte(r);
  if (b < 240) lua_pushstring(L, TYPES[b % NTYPES]);
  else if (b < 244) lua_pushinteger(L, b);
  else if (b < 248) lua_pushboolean(L, 1);
  else if (b < 252) lua_newtable(L);
  else lua_pushnil(L);
}

/* a date bound: nil, a valid date, a bad string, a number */
static void push_date(lua_State *L, rd *r) {
  unsigned b = byte(r);
  char d[16];
  if (b < 32) { lua_pushnil(L); return; }
  if (b < 200) {
    unsigned y = 2017 + b % 5, m = 1 + byte(r) % 12, dd = 1 + byte(r) % 31;
    snprintf(d, sizeof d, "%04u-%02u-%02u", y, m, dd);
    lua_pushstring(L, d);
    return;
  }
  if (b < 230) { push_text(L, r); return; }
  lua_pushinteger(L, 20190518);
}

static void push_version(lua_State *L, rd *r) {
  unsigned b = byte(r);
  switch (b % 10) {
    case 0: lua_pushnil(L); break;
    case 1: case 2: case 3: lua_pushinteger(L, b % 6); break;
    case 4: lua_pushinteger(L, -1); break;
    case 5: lua_pushinteger(L, 70000); break;
    case 6: lua_pushnumber(L, 1.5); break;
    case 7: lua_pushstring(L, "2"); break;
    case 8: lua_pushnumber(L, 2.0); break;
    default: lua_pushnumber(L, 9007199254740993.0); break;
  }
}

#define POOLMAX 200

/* t[k] = v raw (t at -2, v at the top; pops v): a proxy's __newindex
** must not run while the tree is built */
static void rawsetf(lua_State *L, const char *k) {
  lua_pushstring(L, k);
  lua_insert(L, -2);
  lua_rawset(L, -3);
}

/* The number of nodes the converter would visit under each pool item
** (shared subtrees counted each time they are reached; an estimate, once
** an edge was added). An item above SIZECAP is replaced by a leaf: the
** evaluators take time in proportion to the size (1M nodes, the
** converter's limit, take seconds), which would only slow the fuzzing. */
#define SIZECAP 2500
/* a prefix term costs like many nodes: it expands to every term of the
** index that starts with its text ("1*": hundreds) */
#define PREFIXCOST 256
static uint64_t SZ[POOLMAX];

static uint64_t capped(uint64_t a) { return a > SIZECAP + 1 ? SIZECAP + 1 : a; }

/* pool item k (1-based, k <= np) pushed; np == 0: a fresh {type="all"}.
** Returns its size; *slot: its slot (0-based), or -1 for a fresh one. */
static uint64_t push_ref2(lua_State *L, int pool, unsigned np, unsigned k, int *slot) {
  if (np == 0) {
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "all");
    lua_setfield(L, -2, "type");
    if (slot) *slot = -1;
    return 1;
  }
  k %= np;
  lua_rawgeti(L, pool, (lua_Integer)k + 1);
  if (slot) *slot = (int)k;
  return SZ[k];
}

static uint64_t push_ref(lua_State *L, int pool, unsigned np, unsigned k) {
  return push_ref2(L, pool, np, k, NULL);
}

/* the metatable of a proxy node (kind k); the node is at the top */
static void set_proxy(lua_State *L, unsigned k) {
  lua_createtable(L, 0, 2);
  switch (k % 5) {
    case 0:   /* __index answers every key */
      luaL_dostring(L, "return function(t, k) if k == 'type' then return 'and' end "
                       "if type(k) == 'number' and k < 50 then return {type = 'all'} end end");
      lua_setfield(L, -2, "__index");
      break;
    case 1:   /* __len lies */
      luaL_dostring(L, "return function() return 100000 end");
      lua_setfield(L, -2, "__len");
      break;
    case 2:   /* __index is a table of fields */
      luaL_dostring(L, "return {type = 'term', text = 'depth', [1] = {type = 'all'}}");
      lua_setfield(L, -2, "__index");
      break;
    case 3:   /* __index raises */
      luaL_dostring(L, "return function() error('proxy read') end");
      lua_setfield(L, -2, "__index");
      break;
    default:  /* __newindex and __pairs: no effect on raw reads */
      luaL_dostring(L, "return function() error('proxy write') end");
      lua_setfield(L, -2, "__newindex");
      luaL_dostring(L, "return function() error('proxy pairs') end");
      lua_setfield(L, -2, "__pairs");
      break;
  }
  lua_setmetatable(L, -2);
}

/* Builds the pool (a table at the top of the stack) from the rest of the
** input; returns its size. */
static unsigned build(lua_State *L, rd *r) {
  unsigned np = 0, ops = 0;
  uint64_t size;
  int pool;
  lua_createtable(L, POOLMAX, 0);
  pool = lua_gettop(L);
  while (r->n > 0 && ops++ < 400) {
    unsigned op = byte(r) % 16, i, k;
    luaL_checkstack(L, 8, "fuzz_tree");
    size = 1;
    switch (op) {
      case 0: case 1:               /* term / phrase */
        lua_createtable(L, 0, 4);
        lua_pushstring(L, op == 0 ? "term" : "phrase"); rawsetf(L, "type");
        push_text(L, r); rawsetf(L, "text");
        size += TEXTCOST;
        k = byte(r);
        if (k < 128) { /* no field */ }
        else if (k < 224) { lua_pushstring(L, WORDS[44 + k % 4]); rawsetf(L, "field"); }
        else { push_text(L, r); rawsetf(L, "field"); }
        k = byte(r);
        if (k >= 128) {
          if (k < 200) { lua_pushboolean(L, 1); size += PREFIXCOST; }
          else if (k < 230) lua_pushboolean(L, 0);
          else lua_pushinteger(L, 1);
          rawsetf(L, "prefix");
        }
        break;
      case 2: {                     /* cat / primary / id / has */
        static const char *const vt[] = {"cat", "primary", "id", "has"};
        lua_createtable(L, 0, 2);
        lua_pushstring(L, vt[byte(r) % 4]); rawsetf(L, "type");
        push_text(L, r); rawsetf(L, "value");
        size += TEXTCOST;
        break;
      }
      case 3:                       /* date */
        lua_createtable(L, 0, 3);
        lua_pushliteral(L, "date"); rawsetf(L, "type");
        push_date(L, r); rawsetf(L, "from");
        push_date(L, r); rawsetf(L, "to");
        break;
      case 4:                       /* version */
        lua_createtable(L, 0, 3);
        lua_pushliteral(L, "version"); rawsetf(L, "type");
        push_version(L, r); rawsetf(L, "min");
        push_version(L, r); rawsetf(L, "max");
        break;
      case 5:                       /* all */
        push_ref(L, pool, 0, 0);
        break;
      case 6: {                     /* and / or / not of pool items */
        unsigned t = byte(r) % 3, nk = byte(r) % 6;
        lua_createtable(L, (int)nk, 1);
        lua_pushstring(L, TYPES[t]); rawsetf(L, "type");
        for (i = 1; i <= nk; i++) {
          size = capped(size + push_ref(L, pool, np, byte(r)));
          lua_rawseti(L, -2, i);
        }
        break;
      }
      case 7:                       /* a node of any type, from push_type */
        lua_createtable(L, 1, 2);
        push_type(L, r); rawsetf(L, "type");
        size = capped(1 + push_ref(L, pool, np, byte(r))); lua_rawseti(L, -2, 1);
        push_text(L, r); rawsetf(L, "text");
        size += TEXTCOST;
        break;
      case 8:                       /* a value that is not a table */
        push_text(L, r);
        size += TEXTCOST;
        if (lua_isnil(L, -1)) { lua_pop(L, 1); lua_pushboolean(L, 0); }
        break;
      case 9: {                     /* fan-out: one shared child, many times */
        unsigned b = byte(r), n = 1 + (b < 240 ? b % 64 : u16(r) % 2000);
        lua_createtable(L, (int)n, 1);
        lua_pushstring(L, byte(r) & 1 ? "or" : "and"); rawsetf(L, "type");
        size = capped(1 + n * push_ref(L, pool, np, byte(r)));
        for (i = 1; i <= n; i++) { lua_pushvalue(L, -1); lua_rawseti(L, -3, i); }
        lua_pop(L, 1);
        break;
      }
      case 10: {                    /* a cycle, or a new edge: a[#a+1] = b */
        int slot;
        size = push_ref2(L, pool, np, byte(r), &slot);
        size = capped(size + push_ref(L, pool, np, byte(r)));
        if (lua_istable(L, -2) && size <= SIZECAP) {
          lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
          if (slot >= 0) SZ[slot] = size;
        } else {
          lua_pop(L, 1);
          size = slot >= 0 ? SZ[slot] : 1;
        }
        break;
      }
      case 11:                      /* a proxy: a metatable on a pool item */
        size = push_ref(L, pool, np, byte(r));
        if (lua_istable(L, -1)) set_proxy(L, byte(r));
        break;
      case 12:                      /* a hole in a pool item */
        size = push_ref(L, pool, np, byte(r));
        if (lua_istable(L, -1)) {
          k = byte(r) % ((unsigned)lua_rawlen(L, -1) + 1);
          lua_pushnil(L);
          lua_rawseti(L, -2, k);
        }
        break;
      case 13: {                    /* deep nesting over a pool item */
        unsigned d = 1 + byte(r) + (byte(r) & 1) * 60, t = byte(r) % 3;
        size = capped(d + push_ref(L, pool, np, byte(r)));
        for (i = 0; i < d; i++) {
          lua_createtable(L, 1, 1);
          lua_pushstring(L, TYPES[(t + i) % 3]); rawsetf(L, "type");
          lua_rotate(L, -2, 1);
          lua_rawseti(L, -2, 1);
        }
        break;
      }
      case 14: {                    /* an "or" of many number-text terms (F6) */
        unsigned n = 1 + byte(r) * 12;
        size = 2;                   /* the first child is refused at once */
        lua_createtable(L, (int)n, 1);
        lua_pushliteral(L, "or"); rawsetf(L, "type");
        for (i = 1; i <= n; i++) {
          lua_createtable(L, 0, 2);
          lua_pushliteral(L, "term"); rawsetf(L, "type");
          lua_pushnumber(L, 1e15 + (double)i + 7.25); rawsetf(L, "text");
          lua_rawseti(L, -2, i);
        }
        break;
      }
      default: {                    /* set a key of a pool item */
        static const char *const keys[] = {"type", "text", "value", "field", "prefix",
                                           "from", "to", "min", "max"};
        size = push_ref(L, pool, np, byte(r));
        k = byte(r) % 9;
        if (lua_istable(L, -1)) {
          if (k == 0) push_type(L, r); else { push_text(L, r); size += TEXTCOST; }
          if (k == 4 && lua_toboolean(L, -1) && size < PREFIXCOST) size = PREFIXCOST;
          rawsetf(L, keys[k]);
        }
        break;
      }
    }
    if (size > SIZECAP) {         /* too large to be worth the time */
      lua_pop(L, 1);
      push_ref(L, pool, 0, 0);
      size = 1;
    }
    if (np < POOLMAX) { SZ[np] = size; lua_rawseti(L, pool, ++np); }
    else { k = byte(r) % POOLMAX; SZ[k] = size; lua_rawseti(L, pool, (lua_Integer)k + 1); }
    lua_settop(L, pool);
  }
  return np;
}
/* }====================================================== */

/* build() run protected: its only argument is the reader (a light
** userdata); returns the pool */
static int build_cf(lua_State *L) {
  build(L, (rd *)lua_touserdata(L, 1));
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = FL;
  rd r;
  unsigned flags, np, nmut, i;
  int top = lua_gettop(L), pool;
  r.p = data; r.n = size;
  flags = byte(&r);
  lua_rawgeti(L, LUA_REGISTRYINDEX, DRIVER);      /* run */
  lua_createtable(L, 0, 0);                       /* a slot for the tree */
  lua_createtable(L, 0, 10);                      /* cfg */
  /* search options: mostly valid */
  {
    unsigned b = byte(&r);
    if (b < 240) lua_pushinteger(L, b % 40); else lua_pushinteger(L, 100000);
    lua_setfield(L, -2, "limit");
    b = byte(&r);
    if (b < 200) lua_pushinteger(L, b % 8); else lua_pushinteger(L, b * 5);
    lua_setfield(L, -2, "offset");
    lua_pushstring(L, (flags & 2) ? "date" : "score");
    lua_setfield(L, -2, "sort");
    b = byte(&r);
    lua_pushstring(L, b % 3 == 0 ? "day" : b % 3 == 1 ? "month" : "year");
    lua_setfield(L, -2, "period");
    lua_pushinteger(L, 1 + byte(&r) % 40);
    lua_setfield(L, -2, "width");
    lua_getglobal(L, "FUZZ_TEXTS");
    lua_rawgeti(L, -1, (lua_Integer)(byte(&r) % (unsigned)lua_rawlen(L, -1)) + 1);
    lua_setfield(L, -3, "text");
    lua_pop(L, 1);
  }
  lua_pushboolean(L, flags & 1);
  lua_setfield(L, -2, "armed");
  nmut = (flags & 1) ? 1 + byte(&r) % 64 : 0;
  lua_createtable(L, (int)nmut, 0);
  for (i = 1; i <= nmut; i++) {
    lua_createtable(L, 3, 0);
    lua_pushinteger(L, byte(&r)); lua_rawseti(L, -2, 1);
    lua_pushinteger(L, byte(&r)); lua_rawseti(L, -2, 2);
    lua_pushinteger(L, byte(&r)); lua_rawseti(L, -2, 3);
    lua_rawseti(L, -2, i);
  }
  lua_setfield(L, -2, "muts");
  lua_pushcfunction(L, build_cf);
  lua_pushlightuserdata(L, &r);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {         /* pool */
    fprintf(stderr, "fuzz_tree: building the tree: %s\n", lua_tostring(L, -1));
    abort();
  }
  pool = lua_gettop(L);
  np = (unsigned)lua_rawlen(L, pool);
  /* the root: the last pool item (or a string query when there is none) */
  if (np == 0) lua_pushliteral(L, "depth");
  else lua_rawgeti(L, pool, np);
  lua_replace(L, top + 2);
  lua_pop(L, 1);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    const char *e = lua_tostring(L, -1);
    fprintf(stderr, "fuzz_tree: %s\n", e ? e : "(an error that is not a string)");
    abort();
  }
  lua_settop(L, top);
  /* this input's garbage freed now: libFuzzer runs a leak check after any
  ** input that leaves more mallocs than frees */
  lua_gc(L, LUA_GCCOLLECT);
  if (getenv("FUZZ_TREE_MEM")) fprintf(stderr, "lua heap %d KiB\n", lua_gc(L, LUA_GCCOUNT));
  return 0;
}
