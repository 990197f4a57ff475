/*
** lad_index.c: the Index type, the whole index API (module functions
** index and load; methods search, count, trend, get, similar, papers,
** stats, update, files, info, save, close) and Hit objects.
**
** An Index userdata is a handle: its user value 1 is its current
** generation (lad_gen, lad.h), which owns the index data: the built
** sections or the mapping of a saved file, and the corpus records are read
** from. update() builds a new generation, makes it current and frees the
** old one; the papers and hits taken before then raise a "stale" error.
** close() frees the current generation now; its papers then raise.
**
** Generation userdata: created closed (live = 0) before anything is
** allocated, freed by __gc. User values: 1 the Collection whose corpus a
** fresh build reads records from (kept alive), 2 the index's name (the
** path of a loaded index) for messages.
**
** Hits are plain tables {score =, paper =} (a caller may read, copy and
** sort them) with the Hit metatable; what a hit needs besides (its query's
** terms, for snippets) stays on the C side: a weak-keyed registry table
** maps each hit to a userdata nothing else can reach.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lad.h"
#include "ad_token.h"

/* {====================================================== generations */
/* frees the data a generation owns */
static void lad_gendrop(lad_gen *g) {
  if (g->loaded) ad_ix_corpus_free(LAD_GIX(g), &g->own);
  ad_ix_free(LAD_GIX(g));
  if (g->owncoll && g->coll != NULL) lad_coll_close_now(g->coll);
  g->loaded = 0;
  g->coll = NULL;
}

void lad_genfree(lad_gen *g) {
  if (!g->live) return;
  g->live = 0;
  if (g->host != NULL) return;            /* borrowed: owns nothing */
  if (g->holds > 0) { g->pending = 1; return; }
  lad_gendrop(g);
}

void lad_genrelease(lad_gen *g) {
  if (--g->holds == 0 && g->pending) {
    g->pending = 0;
    lad_gendrop(g);
  }
}

static int lad_gen_gc(lua_State *L) {
  lad_gen *g = (lad_gen *)luaL_checkudata(L, 1, LAD_GEN);
  if (g->host != NULL) {                  /* borrowed: let the host's go */
    lad_genrelease(g->host);
    g->host = NULL;
    g->live = 0;
    return 0;
  }
  lad_genfree(g);
  return 0;
}

lad_gen *lad_genborrow(lua_State *L, lad_gen *host, int ci) {
  lad_gen *g;
  if (ci) ci = lua_absindex(L, ci);
  g = (lad_gen *)lua_newuserdatauv(L, sizeof *g, 2);
  memset(g, 0, sizeof *g);
  luaL_setmetatable(L, LAD_GEN);
  if (ci) {
    lua_pushvalue(L, ci);
    lua_setiuservalue(L, -2, 1);
    g->coll = (lad_collection *)lua_touserdata(L, ci);
  }
  host->holds++;
  g->host = host;
  g->loaded = host->loaded;
  g->live = 1;
  return g;
}

lad_gen *lad_newgen(lua_State *L) {
  lad_gen *g = (lad_gen *)lua_newuserdatauv(L, sizeof *g, 2);
  memset(g, 0, sizeof *g);
  luaL_setmetatable(L, LAD_GEN);
  return g;
}

lad_gen *lad_checkindex(lua_State *L, int i, int push) {
  lad_gen *g;
  luaL_checkudata(L, i, LAD_INDEX);
  lua_getiuservalue(L, i, 1);
  g = (lad_gen *)lua_touserdata(L, -1);
  if (g == NULL || !g->live) luaL_argerror(L, i, "index is closed");
  if (!push) lua_pop(L, 1);   /* (the index's user value keeps it alive) */
  return g;
}

ad_corpus *lad_gencorpus(lua_State *L, lad_gen *g) {
  if (g->loaded) return g->host ? &g->host->own : &g->own;
  if (g->coll == NULL || !g->coll->live)
    luaL_error(L, "the collection of this index was closed");
  return g->coll->c;
}

/* the name of the generation at gi for messages: its file, or "index" */
static const char *lad_genname(lua_State *L, int gi) {
  const char *s;
  lua_getiuservalue(L, gi, 2);
  s = lua_tostring(L, -1);
  lua_pop(L, 1);              /* the generation keeps it alive */
  return s ? s : "index";
}

/* the name of the Index handle at ii for messages (its file, or "index"):
** the generation, which the handle keeps alive, keeps the string */
const char *lad_ixname(lua_State *L, int ii) {
  const char *s = "index";
  ii = lua_absindex(L, ii);
  if (luaL_testudata(L, ii, LAD_INDEX) == NULL) return s;
  lua_getiuservalue(L, ii, 1);
  if (lua_touserdata(L, -1) != NULL) s = lad_genname(L, lua_gettop(L));
  lua_pop(L, 1);
  return s;
}

int lad_generror(lua_State *L, int gi, int code) {
  if (code == AD_EFORMAT) return luaL_error(L, "malformed query tree");
  if (code == AD_EQUERYBIG) {     /* (no script position: the CLI prints it as is) */
    lua_pushfstring(L, "query too large (more than %d words and operators)", AD_QMAXPARTS);
    return lua_error(L);
  }
  return lad_error(L, code, lad_genname(L, gi));
}

uint32_t lad_genrec(lua_State *L, int gi, lad_gen *g, uint32_t r) {
  if (g->loaded) {
    int st = ad_ix_corpus_rec(LAD_GIX(g), g->host ? &g->host->own : &g->own, r);
    if (st != AD_OK) lad_generror(L, gi, st);
  } else if (r >= lad_gencorpus(L, g)->nrecs) lad_generror(L, gi, AD_ECORRUPT);
  return r;
}

/* pushes a new Index handle over the generation at gi */
void lad_newindex(lua_State *L, int gi) {
  gi = lua_absindex(L, gi);
  lua_newuserdatauv(L, 1, 1);
  luaL_setmetatable(L, LAD_INDEX);
  lua_pushvalue(L, gi);
  lua_setiuservalue(L, -2, 1);
}
/* }====================================================== */

/* {====================================================== build, load */
static void lad_getparams(lua_State *L, int t, ad_ixparams *p) {
  static const char *const names[AD_NFIELDS] = {"ti", "abs", "au", "co"};
  static const char *const known[] = {"weights", "k1", "b", "threads", NULL};
  int i;
  ad_ixparams_default(p);
  if (!lad_opttable(L, t)) return;
  lad_checkkeys(L, t, known);
  lua_getfield(L, t, "weights");
  if (!lua_isnil(L, -1)) {
    luaL_argcheck(L, lua_istable(L, -1), t, "weights must be a table");
    {  /* a weight of another field ({title = 2}) is said, not ignored */
      static const char *const fields[AD_NFIELDS + 1] = {"ti", "abs", "au", "co", NULL};
      int isname;
      const char *bad = lad_unknownkey(L, -1, fields, 0, &isname);
      if (bad != NULL)
        luaL_argerror(L, t, lua_pushfstring(L, "unknown field '%s' in weights (known: ti, abs, au, co)", bad));
    }
    for (i = 0; i < AD_NFIELDS; i++) {
      lua_getfield(L, -1, names[i]);
      if (!lua_isnil(L, -1)) {
        lua_Number w = lua_tonumber(L, -1);
        if (!lua_isnumber(L, -1) || !(w >= 0 && w < 1e6))
          luaL_argerror(L, t, lua_pushfstring(L, "weights.%s must be a number >= 0", names[i]));
        p->w[i] = (float)w;
      }
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, t, "k1");
  if (!lua_isnil(L, -1)) {
    lua_Number k = lua_tonumber(L, -1);
    if (!lua_isnumber(L, -1) || !(k >= 0 && k < 1000)) luaL_argerror(L, t, "k1 must be a number in [0, 1000)");
    p->k1 = (float)k;
  }
  lua_pop(L, 1);
  lua_getfield(L, t, "b");
  if (!lua_isnil(L, -1)) {
    lua_Number b = lua_tonumber(L, -1);
    if (!lua_isnumber(L, -1) || !(b >= 0 && b <= 1)) luaL_argerror(L, t, "b must be a number in [0, 1]");
    p->b = (float)b;
  }
  lua_pop(L, 1);
}


void lad_buildthreads(lua_State *L, int t, unsigned *threads, uint32_t *minpar) {
  *threads = (unsigned)lad_optthreads(L, t, ad_default_threads());
  *minpar = AD_PAR_MIN;
  if (lad_opttable(L, t) && lua_getfield(L, t, "_parallel_min_docs") != LUA_TNIL) {
    int isint;
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    if (!isint || v < 0 || v > UINT32_MAX)
      luaL_argerror(L, t, "_parallel_min_docs must be an integer >= 0");
    *minpar = (uint32_t)v;
    lua_pop(L, 1);
  } else if (lua_istable(L, t)) lua_pop(L, 1);
}

/* index(src [, opts]) -> Index | nil, "path: reason", errno
** src: a Collection, a path (file or folder) or a list of paths (read like
** open(), with opts.threads). opts: weights = {ti=, abs=, au=, co=}, k1,
** b, threads. */
static int lad_index_new(lua_State *L) {
  ad_ixparams p;
  ad_alloc a;
  lad_gen *g;
  unsigned threads;
  uint32_t minpar;
  int st, t = lua_type(L, 1);
  double t0[2], t1[2] = {0, 0};
  lad_getparams(L, 2, &p);
  lad_buildthreads(L, 2, &threads, &minpar);
  lua_settop(L, 2);
  ad_clocks(t0);
  if (t == LUA_TSTRING || t == LUA_TTABLE) {      /* read the paths first */
    if (lad_openpaths(L, 1, (int)threads, AD_PARALLEL_MIN_BYTES) != 1) return 3;
    lua_replace(L, 1);
    ad_clocks(t1);
  } else if (!luaL_testudata(L, 1, LAD_COLLECTION)) {
    return luaL_typeerror(L, 1, "Collection, path or list of paths");
  }
  lad_checkcoll(L, 1);
  lad_alloc(L, &a);
  g = lad_newgen(L);                                /* 3 */
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, 3, 1);
  g->coll = (lad_collection *)lua_touserdata(L, 1);
  g->owncoll = t == LUA_TSTRING || t == LUA_TTABLE;
  g->live = 1;
  /* built from paths: the text is read again on demand, not kept */
  st = ad_ix_rebuild_ex(LAD_GIX(g), &a, g->coll->c, &p, NULL, NULL, NULL, NULL,
                        threads, minpar, g->owncoll);
  if (st != AD_OK) {
    lad_genfree(g);
    return lad_error(L, st, "index");
  }
  if (g->owncoll) {
    LAD_GIX(g)->btime[0][AD_BT_OPEN] = t1[0] - t0[0];
    LAD_GIX(g)->btime[1][AD_BT_OPEN] = t1[1] - t0[1];
  }
  lad_newindex(L, 3);
  return 1;
}

/* idx:_build_times() -> {open = {wall =, cpu =}, prepare =, tokenize =,
** encode =, files =} in seconds (process CPU: all threads), the stages of
** the build (or update) that made idx; nil for a loaded index. For the
** benchmarks: which stages run on several threads, and for how long. */
static int lad_index_buildtimes(lua_State *L) {
  static const char *const names[5] = {"open", "prepare", "tokenize", "encode", "files"};
  lad_gen *g = lad_checkindex(L, 1, 0);
  const ad_ix *ix = LAD_GIX(g);
  int i, any = 0;
  for (i = 0; i < 5; i++) any |= ix->btime[0][i] != 0 || ix->btime[1][i] != 0;
  if (g->loaded || !any) { lua_pushnil(L); return 1; }
  lua_createtable(L, 0, 5);
  for (i = 0; i < 5; i++) {
    lua_createtable(L, 0, 2);
    lua_pushnumber(L, ix->btime[0][i]); lua_setfield(L, -2, "wall");
    lua_pushnumber(L, ix->btime[1][i]); lua_setfield(L, -2, "cpu");
    lua_setfield(L, -2, names[i]);
  }
  return 1;
}

/* load(path [, {verify = true}]) -> Index | nil, "path: reason", errno */
static int lad_index_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  char why[256];
  ad_alloc a;
  lad_gen *g;
  int st, verify = 0;
  static const char *const known[] = {"verify", NULL};
  lad_checkkeys(L, 2, known);
  if (lad_opttable(L, 2)) {
    lua_getfield(L, 2, "verify");
    verify = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  lua_settop(L, 1);
  lad_alloc(L, &a);
  g = lad_newgen(L);                                /* 2 */
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, 2, 2);
  why[0] = 0;
  g->live = 1;
  st = ad_ix_load(LAD_GIX(g), &a, path, why, sizeof why);
  if (st != AD_OK) {
    int e = errno;
    g->live = 0;
    if (st == AD_ENOMEM) return lad_error(L, st, path);
    if (st == AD_EIO) return lad_fail(L, path, e);
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: %s", path, why);
    return 2;
  }
  if (verify) {                     /* check every chunk now */
    int s;
    for (s = 0; s < AD_NSEC; s++) {
      if (ad_ix_need(LAD_GIX(g), s, 0, LAD_GIX(g)->seclen[s]) != AD_OK) {
        lad_genfree(g);
        luaL_pushfail(L);
        lua_pushfstring(L, "%s: corrupted index (checksum mismatch)", path);
        return 2;
      }
    }
  }
  ad_corpus_init(&g->own, &a);
  g->loaded = 1;
  st = ad_ix_corpus(LAD_GIX(g), &g->own);
  if (st != AD_OK) {
    lad_genfree(g);
    if (st == AD_ENOMEM) return lad_error(L, st, path);
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: corrupted index (file table)", path);
    return 2;
  }
  lad_newindex(L, 2);
  return 1;
}
/* }====================================================== */

/* {====================================================== queries */
static lua_Integer lad_intopt(lua_State *L, int t, const char *name,
                              lua_Integer dflt) {
  lua_Integer v = dflt;
  if (lua_getfield(L, t, name) != LUA_TNIL) {
    /* a number with an integral value: 10, 1e5 (a string is not a number) */
    int isint = 0;
    if (lua_type(L, -1) == LUA_TNUMBER) v = lua_tointegerx(L, -1, &isint);
    if (!isint || v < 0)
      luaL_argerror(L, t, lua_pushfstring(L, "%s must be an integer >= 0", name));
  }
  lua_pop(L, 1);
  return v;
}

/* the default threads of a search: ad_default_threads() once per process
** (it reads /sys and asks the affinity: 8 us a call here, a fifth of a
** common word's search) */
static int lad_search_threads(void) {
  static int n;             /* (atomic: states on several threads search) */
  int v = __atomic_load_n(&n, __ATOMIC_RELAXED);
  if (v == 0) {
    v = ad_default_threads();
    __atomic_store_n(&n, v, __ATOMIC_RELAXED);
  }
  return v;
}

/* idx:search(query [, opts]) -> { hit, ... }: the best matches (hits
** {score =, paper =}), best first. query: a string of the query language
** or its tree. opts: limit (10), offset (0), sort ("score" or "date",
** newest first), threads (a costly ranked search shares its docs among
** them; default: one per online CPU, at most 8). */
static int lad_index_search(lua_State *L) {
  lad_gen *g;
  lua_Integer limit = 10, offset = 0, minwork = AD_SEARCH_MINWORK;
  int sort = AD_SORT_SCORE, st, threads, testing = 0;
  unsigned used = 1;
  uint32_t nn, nout, k;
  const ad_xnode *q;
  ad_hit *hits;
  static const char *const known[] = {"limit", "offset", "sort", "threads", NULL};
  g = lad_checkindex(L, 1, 0);
  luaL_checkany(L, 2);
  lad_checkkeys(L, 3, known);
  if ((threads = lad_optthreads(L, 3, 0)) == 0) threads = lad_search_threads();
  if (lad_opttable(L, 3)) {
    limit = lad_intopt(L, 3, "limit", 10);
    offset = lad_intopt(L, 3, "offset", 0);
    /* (for tests: split after this many decoded blocks; 0: at once) */
    minwork = lad_intopt(L, 3, "_parallel_min_blocks", -1);
    if (minwork < 0) minwork = AD_SEARCH_MINWORK;
    else testing = 1;
    if (minwork > UINT32_MAX) luaL_argerror(L, 3, "_parallel_min_blocks must be an integer >= 0");
    if (lua_getfield(L, 3, "sort") != LUA_TNIL) {
      const char *s = lua_tostring(L, -1);
      if (s != NULL && lua_type(L, -1) == LUA_TSTRING && !strcmp(s, "date")) sort = AD_SORT_DATE;
      else if (s == NULL || lua_type(L, -1) != LUA_TSTRING || strcmp(s, "score"))
        luaL_argerror(L, 3, "sort must be \"score\" or \"date\"");
    }
  }
  lua_settop(L, 3);
  q = lad_checkquery(L, 2, &nn, 0, "search");      /* 4 */
  g = lad_checkindex(L, 1, 1);                     /* 5 */
  k = LAD_GIX(g)->m.ndocs;
  if ((lua_Unsigned)offset < k) {
    lua_Unsigned want = (lua_Unsigned)offset + (lua_Unsigned)limit;
    if (want < k) k = (uint32_t)want;
  } else k = 0;
  hits = (ad_hit *)lua_newuserdatauv(L, (size_t)(k ? k : 1) * sizeof(ad_hit), 0);
  st = ad_search_par(LAD_GIX(g), q, nn, k, sort, (unsigned)threads, (uint32_t)minwork,
                     hits, &nout, &used);
  if (st != AD_OK) return lad_generror(L, 5, st);
  lad_pushsnipterms(L, q, nn);                     /* 7 */
  lad_pushhits(L, 5, hits, (uint32_t)offset < nout ? (uint32_t)offset : nout, nout, 7);
  if (testing) {                /* (the specs check that threads ran) */
    lua_pushinteger(L, (lua_Integer)used);
    lua_setfield(L, -2, "_threads");
  }
  return 1;
}

/* idx:count(query) -> number of matching papers */
static int lad_index_count(lua_State *L) {
  lad_gen *g;
  uint32_t nn, total;
  const ad_xnode *q;
  int st;
  lad_checkindex(L, 1, 0);
  luaL_checkany(L, 2);
  lua_settop(L, 2);
  q = lad_checkquery(L, 2, &nn, 0, "count");       /* 3 */
  g = lad_checkindex(L, 1, 1);                     /* 4 */
  st = ad_count(LAD_GIX(g), q, nn, &total);
  if (st != AD_OK) return lad_generror(L, 4, st);
  lua_pushinteger(L, total);
  return 1;
}

typedef struct lad_trend { ad_ix *ix; uint32_t div; uint32_t *keys, *cnt, n, cap; int bad; } lad_trend;

static int lad_trend_cb(void *ud, uint32_t doc) {
  lad_trend *t = (lad_trend *)ud;
  const ad_ixdoc *d = ad_ix_doc(t->ix, doc);
  uint32_t key, lo = 0, hi;
  if (d == NULL) { t->bad = 1; return 1; }
  key = d->date / t->div;
  hi = t->n;
  while (lo < hi) {                /* keys are few: binary search + insert */
    uint32_t mid = (lo + hi) / 2;
    if (t->keys[mid] < key) lo = mid + 1; else hi = mid;
  }
  if (lo < t->n && t->keys[lo] == key) { t->cnt[lo]++; return 0; }
  if (t->n == t->cap) { t->bad = 2; return 1; }
  memmove(t->keys + lo + 1, t->keys + lo, (t->n - lo) * 4);
  memmove(t->cnt + lo + 1, t->cnt + lo, (t->n - lo) * 4);
  t->keys[lo] = key; t->cnt[lo] = 1; t->n++;
  return 0;
}

/* idx:trend(query [, period]) -> { {period=, count=}, ... } in time order;
** the result also maps each period to its count. period: "day", "month"
** (default) or "year", of the papers' dates. */
static int lad_index_trend(lua_State *L) {
  static const char *const periods[] = {"day", "month", "year", NULL};
  lad_gen *g;
  int per;
  uint32_t nn, i;
  const ad_xnode *q;
  lad_trend t;
  int st;
  lad_checkindex(L, 1, 0);
  luaL_checkany(L, 2);
  per = luaL_checkoption(L, 3, "month", periods);
  lua_settop(L, 3);
  q = lad_checkquery(L, 2, &nn, 0, "trend");       /* 4 */
  g = lad_checkindex(L, 1, 1);                     /* 5 */
  t.ix = LAD_GIX(g); t.div = per == 0 ? 1 : per == 1 ? 100 : 10000;
  /* one key per matching paper at most: room for every paper, so that
  ** the trend is never cut short (and no more memory than that) */
  t.cap = t.ix->m.ndocs ? t.ix->m.ndocs : 1; t.n = 0; t.bad = 0;
  t.keys = (uint32_t *)lua_newuserdatauv(L, (size_t)t.cap * 8, 0);
  t.cnt = t.keys + t.cap;
  st = ad_each(LAD_GIX(g), q, nn, lad_trend_cb, &t);
  if (st != AD_OK) return lad_generror(L, 5, st);
  if (t.bad) return lad_generror(L, 5, AD_ECORRUPT);
  lua_createtable(L, (int)t.n, (int)t.n);
  for (i = 0; i < t.n; i++) {
    uint32_t k = t.keys[i];
    char buf[16];
    if (per == 0) lad_pushdate(L, k);
    else {
      if (per == 1) snprintf(buf, sizeof buf, "%04u-%02u", (unsigned)(k / 100 % 10000), (unsigned)(k % 100));
      else snprintf(buf, sizeof buf, "%04u", (unsigned)(k % 10000));
      lua_pushstring(L, buf);
    }
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "period");
    lua_pushinteger(L, t.cnt[i]);
    lua_setfield(L, -2, "count");
    lua_rawseti(L, -3, i + 1);
    lua_pushinteger(L, t.cnt[i]);
    lua_rawset(L, -3);              /* list[period] = count */
  }
  return 1;
}
/* }====================================================== */

/* {====================================================== papers */
/* the doc of id s in g, or -1 */
static int64_t lad_finddoc(lua_State *L, int gi, lad_gen *g, const char *s, size_t n) {
  uint32_t off, len;
  uint16_t ver;
  int err = 0;
  int64_t d;
  if (!ad_parse_id(s, n, &off, &len, &ver)) return -1;
  d = ad_ix_find_id(LAD_GIX(g), s + off, len, &err);
  if (err) lad_generror(L, gi, err);
  return d;
}

/* idx:get(id) -> merged paper or nil (id with or without version, URL,
** old-style ids) */
static int lad_index_get(lua_State *L) {
  lad_gen *g = lad_checkindex(L, 1, 0);
  size_t n;
  const char *s;
  int64_t d;
  if (lua_type(L, 2) != LUA_TSTRING)
    return luaL_typeerror(L, 2, "string");
  s = lua_tolstring(L, 2, &n);
  lua_settop(L, 2);
  g = lad_checkindex(L, 1, 1);                     /* 3 */
  d = lad_finddoc(L, 3, g, s, n);
  if (d < 0) lua_pushnil(L); else lad_pushmpaper(L, 3, (uint32_t)d);
  return 1;
}

/* pushes title .. " " .. abstract of the paper at i ("" for what is nil) */
static void lad_pushpapertext(lua_State *L, int i) {
  i = lua_absindex(L, i);
  if (lua_getfield(L, i, "title") != LUA_TSTRING) { lua_pop(L, 1); lua_pushliteral(L, ""); }
  lua_pushliteral(L, " ");
  if (lua_getfield(L, i, "abstract") != LUA_TSTRING) { lua_pop(L, 1); lua_pushliteral(L, ""); }
  lua_concat(L, 3);
}

/* Is s[0..n) an arXiv id and nothing else (as ad_parse_id reads one:
** "2005.09623", "2005.09623v2", "arXiv:hep-th/9901001", an abs or pdf URL,
** a final ".pdf"; spaces around)? Sets the span of what was written,
** trimmed. */
static int lad_isid(const char *s, size_t n, size_t *a, size_t *b) {
  uint32_t off, len;
  uint16_t ver;
  size_t e;
  if (!ad_parse_id(s, n, &off, &len, &ver)) return 0;
  e = (size_t)off + len;
  if (e < n && s[e] == 'v') {
    e++;
    while (e < n && s[e] >= '0' && s[e] <= '9') e++;
  }
  if (n - e >= 4 && s[e] == '.' && s[e + 1] == 'p' && s[e + 2] == 'd' && s[e + 3] == 'f') e += 4;
  for (*b = n; *b > e && (s[*b - 1] == ' ' || s[*b - 1] == '\t' || s[*b - 1] == '\n' || s[*b - 1] == '\r');)
    (*b)--;
  if (*b != e) return 0;
  for (*a = 0; *a < e && (s[*a] == ' ' || s[*a] == '\t' || s[*a] == '\n' || s[*a] == '\r');) (*a)++;
  return 1;
}

/* idx:similar(x [, k]) -> { hit, ... } | nil, "no paper with id 'X'":
** tf-idf cosine over title and abstract, the paper itself excluded. x: a
** paper of this index, an id, a text, or a paper of another index or of a
** collection (found here by its id, else its title and abstract are the
** text). A string that is an arXiv id and nothing else (lad_isid) names a
** paper: when the index lacks it, nil and the message, never a search of
** the id as text. k: 10. */
static int lad_index_similar(lua_State *L) {
  lad_gen *g;
  lua_Integer k = 10;
  int64_t self = -1;
  const char *text;
  size_t n;
  ad_hit *hits;
  uint32_t nout;
  int st, isint;
  lad_checkindex(L, 1, 0);
  if (!lua_isnoneornil(L, 3)) {
    k = lua_tointegerx(L, 3, &isint);
    if (!isint || lua_type(L, 3) != LUA_TNUMBER || k < 0 || k > 1000000)
      luaL_argerror(L, 3, lua_pushfstring(L, "non-negative integer expected, got %s",
                    luaL_tolstring(L, 3, NULL)));
  }
  lua_settop(L, 3);
  g = lad_checkindex(L, 1, 1);                     /* 4 */
  if (luaL_testudata(L, 2, LAD_MPAPER)) {
    uint32_t doc;
    lad_gen *pg = lad_tompaper(L, 2, &doc, 0);
    if (pg == g) self = doc;
  } else if (!luaL_testudata(L, 2, LAD_PAPER) && lua_type(L, 2) != LUA_TSTRING) {
    return luaL_typeerror(L, 2, "id, text or paper");
  }
  if (self < 0) {
    if (lua_type(L, 2) == LUA_TSTRING) lua_pushvalue(L, 2);   /* an id or a text */
    else lua_getfield(L, 2, "id");                           /* a paper's id */
    if (lua_type(L, -1) == LUA_TSTRING) {
      size_t a, b;
      text = lua_tolstring(L, -1, &n);
      self = lad_finddoc(L, 4, g, text, n);
      if (self < 0 && lua_type(L, 2) == LUA_TSTRING && lad_isid(text, n, &a, &b)) {
        luaL_pushfail(L);
        lua_pushliteral(L, "no paper with id '");
        lua_pushlstring(L, text + a, b - a);
        lua_pushliteral(L, "'");
        lua_concat(L, 3);
        return 2;
      }
    }
    if (self < 0 && lua_type(L, 2) != LUA_TSTRING) {
      lua_pop(L, 1);
      lad_pushpapertext(L, 2);                     /* 5 */
    }
  }
  if (self >= 0) {                                 /* the paper's own text */
    lua_settop(L, 4);
    lad_pushmpaper(L, 4, (uint32_t)self);
    lad_pushpapertext(L, -1);
    lua_remove(L, -2);                             /* 5 */
  }
  text = lua_tolstring(L, 5, &n);
  g = lad_checkindex(L, 1, 0);
  hits = (ad_hit *)lua_newuserdatauv(L, (size_t)(k ? k : 1) * sizeof(ad_hit), 0);
  st = ad_similar(LAD_GIX(g), text, n, self < 0 ? UINT32_MAX : (uint32_t)self,
                  (uint32_t)k, hits, &nout);
  if (st != AD_OK) return lad_generror(L, 4, st);
  lad_pushhits(L, 4, hits, 0, nout, 0);
  return 1;
}

static int lad_papers_iter(lua_State *L) {
  lad_gen *g = (lad_gen *)lua_touserdata(L, lua_upvalueindex(1));
  lua_Integer i = lua_tointeger(L, lua_upvalueindex(2));
  if (g->stale)   /* (before live: an update frees the old generation too) */
    return luaL_error(L, "papers: the index was updated during the loop "
                      "(loop over idx:papers() again)");
  if (!g->live) return luaL_error(L, "papers: the index was closed during the loop");
  if ((lua_Unsigned)i >= LAD_GIX(g)->m.ndocs) return 0;
  lua_pushinteger(L, i + 1);
  lua_replace(L, lua_upvalueindex(2));
  lad_pushmpaper(L, lua_upvalueindex(1), (uint32_t)i);
  return 1;
}

/* idx:papers() -> iterator over the merged papers, newest first */
static int lad_index_papers(lua_State *L) {
  lad_checkindex(L, 1, 1);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, lad_papers_iter, 2);
  return 1;
}

static void lad_inc(lua_State *L, int t) {   /* t[key at top] += 1; pops it */
  lua_Integer n;
  lua_pushvalue(L, -1);
  n = lua_rawget(L, t) == LUA_TNUMBER ? lua_tointeger(L, -1) : 0;
  lua_pop(L, 1);
  lua_pushinteger(L, n + 1);
  lua_rawset(L, t);
}

/* idx:stats() -> { papers=, records=, files=, categories={cat=n},
** primary={cat=n}, days={["YYYY-MM-DD"]=n}, months={["YYYY-MM"]=n},
** years={["YYYY"]=n}, authors={name=n} } (reads every paper's text) */
static int lad_index_stats(lua_State *L) {
  static const char *const maps[] = {"categories", "primary", "days", "months",
                                     "years", "authors", NULL};
  lad_gen *g;
  uint32_t d, nd;
  int i, m;
  lua_settop(L, 1);                                /* (extra arguments go) */
  g = lad_checkindex(L, 1, 1);                     /* 2 */
  nd = LAD_GIX(g)->m.ndocs;
  lua_createtable(L, 0, 9);                        /* 3 */
  lua_pushinteger(L, nd); lua_setfield(L, 3, "papers");
  lua_pushinteger(L, LAD_GIX(g)->m.nrecs); lua_setfield(L, 3, "records");
  lua_pushinteger(L, LAD_GIX(g)->m.nfiles); lua_setfield(L, 3, "files");
  m = lua_gettop(L) + 1;                           /* m .. m+5: the maps */
  for (i = 0; maps[i]; i++) {
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, 3, maps[i]);
  }
  for (d = 0; d < nd; d++) {
    const ad_ixdoc *doc = ad_ix_doc(LAD_GIX(g), d);
    lua_Integer k, len;
    if (doc == NULL) return lad_generror(L, 2, AD_ECORRUPT);
    lad_pushmpaper(L, 2, d);
    lua_getfield(L, -1, "categories");
    len = (lua_Integer)lua_rawlen(L, -1);
    for (k = 1; k <= len; k++) { lua_rawgeti(L, -1, k); lad_inc(L, m); }
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "primary_category") != LUA_TNIL) lad_inc(L, m + 1);
    else lua_pop(L, 1);
    if (doc->date) {
      char buf[11];
      lad_pushdate(L, doc->date);
      memcpy(buf, lua_tostring(L, -1), 10);
      lad_inc(L, m + 2);
      lua_pushlstring(L, buf, 7); lad_inc(L, m + 3);
      lua_pushlstring(L, buf, 4); lad_inc(L, m + 4);
    }
    lua_getfield(L, -1, "authors");
    len = (lua_Integer)lua_rawlen(L, -1);
    if (len > 1) lua_createtable(L, 0, (int)(len < 64 ? len : 64));   /* names seen */
    else lua_pushnil(L);
    for (k = 1; k <= len; k++) {     /* (a name a record lists twice counts once) */
      lua_rawgeti(L, -2, k);
      if (len > 1) {
        lua_pushvalue(L, -1);
        if (lua_rawget(L, -3) != LUA_TNIL) { lua_pop(L, 2); continue; }
        lua_pop(L, 1);
        lua_pushvalue(L, -1); lua_pushboolean(L, 1); lua_rawset(L, -4);
      }
      lad_inc(L, m + 5);
    }
    lua_pop(L, 3);
  }
  lua_settop(L, 3);
  return 1;
}
/* }====================================================== */

/* idx:df(term) -> the number of papers whose title, abstract, authors or
** comment hold the token term (folded like the index folds text: only
** the first token of term counts), 0 when none */
static int lad_index_df(lua_State *L) {
  lad_gen *g;
  size_t n;
  const char *s;
  ad_tokenizer tz;
  ad_tok tk;
  int err = 0;
  int64_t t;
  lad_checkindex(L, 1, 0);
  s = luaL_checklstring(L, 2, &n);
  lua_settop(L, 2);
  g = lad_checkindex(L, 1, 1);                     /* 3 */
  ad_tok_init(&tz, s, n);
  if (!ad_tok_next(&tz, &tk)) { lua_pushinteger(L, 0); return 1; }
  t = ad_ix_find(LAD_GIX(g), tk.s, tk.len, &err);
  if (err) return lad_generror(L, 3, err);
  if (t < 0) { lua_pushinteger(L, 0); return 1; }
  {
    const ad_ixterm *x = ad_ix_term(LAD_GIX(g), (uint32_t)t);
    if (x == NULL) return lad_generror(L, 3, AD_ECORRUPT);
    lua_pushinteger(L, x->df);
  }
  return 1;
}

/* {====================================================== the rest */
/* idx:warnings() -> { {source=, line=, message=}, ... }: the warnings of
** the files read to make this index, as c:warnings() gives them (a build
** from paths reads its files itself: without this, their warnings were
** lost); after idx:update, those of the files it read; {} for a loaded
** index (a saved index keeps none). */
static int lad_index_warnings(lua_State *L) {
  lad_gen *g;
  lua_settop(L, 1);
  g = lad_checkindex(L, 1, 1);                     /* 2: keeps the corpus alive */
  lua_createtable(L, 0, 0);                        /* 3 */
  if (!g->loaded) {
    lad_collection *lc;
    lad_gencorpus(L, g);                           /* (raises when it was closed) */
    lc = lad_hold(g->coll);
    lad_addwarnings(L, 3, lc->c);
    lad_release(lc);
  }
  return 1;
}

/* idx:files() -> { {path=, size=, mtime=, records=, date=, hash=}, ... }
** (absolute paths; date: the digest day of the file's first record) */
static int lad_index_files(lua_State *L) {
  lad_gen *g;
  uint32_t i;
  const ad_ixfile *f;
  lua_settop(L, 1);                                /* (extra arguments go) */
  g = lad_checkindex(L, 1, 1);                     /* 2 */
  if (ad_ix_need(LAD_GIX(g), AD_SEC_FILES, 0, LAD_GIX(g)->seclen[AD_SEC_FILES]) ||
      ad_ix_need(LAD_GIX(g), AD_SEC_FSTR, 0, LAD_GIX(g)->seclen[AD_SEC_FSTR]))
    return lad_generror(L, 2, AD_ECORRUPT);
  f = (const ad_ixfile *)LAD_GIX(g)->sec[AD_SEC_FILES];
  lua_createtable(L, (int)LAD_GIX(g)->m.nfiles, 0);
  for (i = 0; i < LAD_GIX(g)->m.nfiles; i++) {
    char hx[17];
    int k;
    uint64_t h = f[i].hash;
    if ((uint64_t)f[i].path + f[i].pathlen > LAD_GIX(g)->seclen[AD_SEC_FSTR])
      return lad_generror(L, 2, AD_ECORRUPT);
    lua_createtable(L, 0, 5);
    lua_pushlstring(L, (const char *)LAD_GIX(g)->sec[AD_SEC_FSTR] + f[i].path, f[i].pathlen);
    lua_setfield(L, -2, "path");
    lua_pushinteger(L, (lua_Integer)f[i].size);
    lua_setfield(L, -2, "size");
    lua_pushinteger(L, (lua_Integer)f[i].mtime);
    lua_setfield(L, -2, "mtime");
    lua_pushinteger(L, f[i].nrec);
    lua_setfield(L, -2, "records");
    if (f[i].nrec > 0) {            /* the digest day of its first record */
      ad_record r;
      if (ad_ix_rec(LAD_GIX(g), f[i].first, &r) != AD_OK) return lad_generror(L, 2, AD_ECORRUPT);
      lad_pushdate(L, r.date);
      lua_setfield(L, -2, "date");
    }
    for (k = 15; k >= 0; k--) { hx[k] = "0123456789abcdef"[h & 15]; h >>= 4; }
    lua_pushlstring(L, hx, 16);
    lua_setfield(L, -2, "hash");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* idx:info() -> table of counts and parameters */
/* a float parameter as the decimal it was given as: the shortest of 6 to 9
** significant digits that reads back as the same float (k1 = 1.2 is
** 1.2000000476837158 as a double) */
static void lad_pushparam(lua_State *L, float f) {
  char buf[32];
  int d;
  for (d = 6; d < 9; d++) {
    snprintf(buf, sizeof buf, "%.*g", d, (double)f);
    if ((float)strtod(buf, NULL) == f) break;
  }
  if (d == 9) snprintf(buf, sizeof buf, "%.9g", (double)f);
  lua_pushnumber(L, (lua_Number)strtod(buf, NULL));
}

static int lad_index_info(lua_State *L) {
  lad_gen *g = lad_checkindex(L, 1, 0);
  const ad_ixmeta *m = &LAD_GIX(g)->m;
  uint64_t total = 0;
  int s;
  for (s = 0; s < AD_NSEC; s++) total += LAD_GIX(g)->seclen[s];
  lua_createtable(L, 0, 12);
  lua_pushinteger(L, m->ndocs); lua_setfield(L, -2, "papers");
  lua_pushinteger(L, m->nrecs); lua_setfield(L, -2, "records");
  lua_pushinteger(L, m->nfiles); lua_setfield(L, -2, "files");
  lua_pushinteger(L, m->nterms); lua_setfield(L, -2, "terms");
  lua_pushinteger(L, (lua_Integer)total); lua_setfield(L, -2, "bytes");
  lua_pushboolean(L, g->loaded); lua_setfield(L, -2, "loaded");
  lad_pushparam(L, m->p.k1); lua_setfield(L, -2, "k1");
  lad_pushparam(L, m->p.b); lua_setfield(L, -2, "b");
  lua_createtable(L, 0, 4);
  lad_pushparam(L, m->p.w[0]); lua_setfield(L, -2, "ti");
  lad_pushparam(L, m->p.w[1]); lua_setfield(L, -2, "abs");
  lad_pushparam(L, m->p.w[2]); lua_setfield(L, -2, "au");
  lad_pushparam(L, m->p.w[3]); lua_setfield(L, -2, "co");
  lua_setfield(L, -2, "weights");
  return 1;
}

/* idx:save(path) -> true | nil, "path: reason", errno */
static int lad_index_save(lua_State *L) {
  const char *path;
  lad_gen *g;
  int st;
  lad_checkindex(L, 1, 0);
  path = luaL_checkstring(L, 2);
  lua_settop(L, 2);
  g = lad_checkindex(L, 1, 1);                     /* 3 */
  /* a loaded index must be fully valid before it is copied */
  if (LAD_GIX(g)->lazy) {
    int s;
    for (s = 0; s < AD_NSEC; s++) {
      st = ad_ix_need(LAD_GIX(g), s, 0, LAD_GIX(g)->seclen[s]);
      if (st) return lad_generror(L, 3, st);
    }
  }
  st = ad_ix_save(LAD_GIX(g), path);
  if (st == AD_OK) { lua_pushboolean(L, 1); return 1; }
  if (st == AD_EIO) return lad_fail(L, path, errno);
  return lad_error(L, st, path);
}

static int lad_u64cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* idx:_preload(papers): read the text of the records of papers (the
** MergedPapers of this generation in the array; anything else is passed
** over), best record and appearances, in file order: each file is read
** once and only the records' bytes are kept (ad_rec_load), so a formatter
** that reads them in another order (a ranked list) reads no file again.
** Best effort: a record that cannot be read now is left to the first field
** that asks for it, which raises as it always did. */
static int lad_index_preload(lua_State *L) {
  lad_gen *g;
  ad_ix *ix;
  ad_corpus *c;
  lua_Integer i, n;
  size_t cnt = 0, k = 0, j;
  uint64_t *keys;
  int pass;
  lad_checkindex(L, 1, 0);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  g = lad_checkindex(L, 1, 1);                     /* 3 */
  if (!g->loaded && (g->coll == NULL || !g->coll->live)) return 0;
  c = lad_gencorpus(L, g);
  ix = LAD_GIX(g);
  n = (lua_Integer)lua_rawlen(L, 2);
  keys = NULL;
  for (pass = 0; pass < 2; pass++) {
    for (i = 1; i <= n; i++) {
      const uint32_t *doc;
      const ad_ixdoc *d;
      uint32_t a;
      lua_rawgeti(L, 2, i);
      doc = (const uint32_t *)luaL_testudata(L, -1, LAD_MPAPER);
      if (doc == NULL) { lua_pop(L, 1); continue; }
      lua_getiuservalue(L, -1, 1);
      if (lua_touserdata(L, -1) != (void *)g || (d = ad_ix_doc(ix, *doc)) == NULL) {
        lua_pop(L, 2);
        continue;
      }
      lua_pop(L, 2);
      if (pass == 0) { cnt += 1 + (size_t)d->napp; continue; }
      for (a = 0; a <= d->napp && k < cnt; a++) {
        uint32_t r = a == 0 ? d->best : ad_ix_app(ix, d, a - 1);
        if (r == UINT32_MAX) continue;
        if (g->loaded ? ad_ix_corpus_rec(ix, c, r) != AD_OK : r >= c->nrecs) continue;
        keys[k++] = (uint64_t)c->recs[r].file << 32 | r;
      }
    }
    if (pass == 0) {
      if (cnt == 0) return 0;
      keys = (uint64_t *)lua_newuserdatauv(L, cnt * sizeof *keys, 0);   /* 4 */
    }
  }
  qsort(keys, k, sizeof *keys, lad_u64cmp);
  for (j = 0; j < k; j++)
    (void)ad_rec_load(c, (uint32_t)keys[j]);       /* errors: raised on use */
  return 0;
}

/* idx:close(): free the index data now (its papers and hits then raise) */
static int lad_index_close(lua_State *L) {
  luaL_checkudata(L, 1, LAD_INDEX);
  lua_getiuservalue(L, 1, 1);
  if (luaL_testudata(L, -1, LAD_GEN)) lad_genfree((lad_gen *)lua_touserdata(L, -1));
  return 0;
}

static int lad_index_len(lua_State *L) {
  lua_pushinteger(L, lad_checkindex(L, 1, 0)->ix.m.ndocs);
  return 1;
}

static int lad_index_tostring(lua_State *L) {
  lad_gen *g;
  luaL_checkudata(L, 1, LAD_INDEX);
  lua_getiuservalue(L, 1, 1);
  g = (lad_gen *)lua_touserdata(L, -1);
  if (g == NULL || !g->live) lua_pushliteral(L, "Index (closed)");
  else lua_pushfstring(L, "Index (%d papers, %d terms%s)", (int)LAD_GIX(g)->m.ndocs,
                       (int)LAD_GIX(g)->m.nterms, g->loaded ? ", loaded" : "");
  return 1;
}

ad_ix *lad_checkix(lua_State *L, int i, ad_corpus **corpus) {
  lad_gen *g = lad_checkindex(L, i, 0);
  if (corpus != NULL) *corpus = lad_gencorpus(L, g);
  return LAD_GIX(g);
}

static const luaL_Reg lad_index_meta[] = {
  {"__close", lad_index_close},
  {"__len", lad_index_len},
  {"__tostring", lad_index_tostring},
  {NULL, NULL}
};

static const luaL_Reg lad_index_methods[] = {
  {"search", lad_index_search},
  {"count", lad_index_count},
  {"trend", lad_index_trend},
  {"get", lad_index_get},
  {"similar", lad_index_similar},
  {"papers", lad_index_papers},
  {"stats", lad_index_stats},
  {"df", lad_index_df},
  {"update", lad_index_update},
  {"files", lad_index_files},
  {"warnings", lad_index_warnings},
  {"info", lad_index_info},
  {"save", lad_index_save},
  {"close", lad_index_close},
  {"_preload", lad_index_preload},
  {"_build_times", lad_index_buildtimes},
  {NULL, NULL}
};

void lad_index_open(lua_State *L) {
  /* module table at the top */
  luaL_newmetatable(L, LAD_GEN);
  lua_pushcfunction(L, lad_gen_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lad_listing_open(L);
  luaL_newmetatable(L, LAD_INDEX);
  luaL_setfuncs(L, lad_index_meta, 0);
  lad_newmethods(L, lad_index_methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lad_readonly);
  lua_setfield(L, -2, "__newindex");
  lua_pop(L, 1);
  lad_hit_open(L);
  lua_pushcfunction(L, lad_index_new);
  lua_setfield(L, -2, "index");
  lua_pushcfunction(L, lad_index_load);
  lua_setfield(L, -2, "load");
}
/* }====================================================== */
