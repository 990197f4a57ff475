/*
** lad_index.c: Lua binding of the index (arxivdigest.core functions
** index_build, index_load, tokens, snippet, and the Index and merged Paper
** types). lua/arxivdigest/index.lua adds the Lua-side methods (search,
** count, similar, trend, stats, update) to the method table exposed as
** core.index_methods.
**
** Index userdata: created closed (live = 0) before anything is allocated,
** freed by __gc/__close. User values: 1 the Collection whose corpus a fresh
** build reads records from (kept alive), 2 the path of a loaded index.
** A loaded index owns a corpus rebuilt from its file table; its records
** stay in the mapping and are validated one by one before use.
** MergedPaper userdata: the doc number; user value 1 is its Index.
*/
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lad.h"
#include "ad_index.h"
#include "ad_token.h"

#define LAD_INDEX  "arxivdigest.Index"
#define LAD_MPAPER "arxivdigest.MergedPaper"

typedef struct lad_index {
  ad_ix ix;
  ad_corpus own;         /* corpus of a loaded index */
  lad_collection *coll;  /* corpus of a fresh build (user value 1) */
  int live, loaded;
} lad_index;

/* {====================================================== helpers */
static lad_index *lad_toindex(lua_State *L, int i) {
  lad_index *li = (lad_index *)luaL_checkudata(L, i, LAD_INDEX);
  if (!li->live) luaL_argerror(L, i, "index is closed");
  return li;
}

static ad_corpus *lad_ixcorpus(lua_State *L, lad_index *li) {
  if (li->loaded) return &li->own;
  if (li->coll == NULL || !li->coll->live)
    luaL_error(L, "the collection of this index was closed");
  return &li->coll->c;
}

ad_ix *lad_checkix(lua_State *L, int i, ad_corpus **corpus) {
  lad_index *li = lad_toindex(L, i);
  if (corpus) *corpus = lad_ixcorpus(L, li);
  return &li->ix;
}

/* name of the index for messages: its path, or "index" */
static const char *lad_ixname(lua_State *L, int i) {
  const char *s;
  lua_getiuservalue(L, i, 2);
  s = lua_tostring(L, -1);
  lua_pop(L, 1);
  return s ? s : "index";
}

static int lad_ixerror(lua_State *L, int i, int code) {
  if (code == AD_ECORRUPT)
    return luaL_error(L, "%s: corrupted index (checksum or bounds check "
                      "failed)", lad_ixname(L, i));
  if (code == AD_EFORMAT) return luaL_error(L, "malformed query tree");
  return lad_error(L, code, lad_ixname(L, i));
}

static void lad_pushdate(lua_State *L, uint32_t v) {
  char d[11];
  if (v == 0) { lua_pushnil(L); return; }
  d[0] = (char)('0' + v / 10000000 % 10); d[1] = (char)('0' + v / 1000000 % 10);
  d[2] = (char)('0' + v / 100000 % 10); d[3] = (char)('0' + v / 10000 % 10);
  d[4] = '-'; d[5] = (char)('0' + v / 1000 % 10); d[6] = (char)('0' + v / 100 % 10);
  d[7] = '-'; d[8] = (char)('0' + v / 10 % 10); d[9] = (char)('0' + v % 10);
  lua_pushlstring(L, d, 10);
}

static uint32_t lad_parsedate(const char *s, size_t n) {
  uint32_t v = 0;
  size_t i;
  if (s == NULL || n != 10) return 0;
  for (i = 0; i < 10; i++) {
    if (i == 4 || i == 7) { if (s[i] != '-') return 0; continue; }
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (uint32_t)(s[i] - '0');
  }
  return v;
}

static const ad_ixdoc *lad_doc(lua_State *L, int i, lad_index *li, uint32_t d) {
  const ad_ixdoc *doc = ad_ix_doc(&li->ix, d);
  if (doc == NULL) lad_ixerror(L, i, AD_ECORRUPT);
  return doc;
}

/* a record number checked against the index (spans within the file) */
static uint32_t lad_rec(lua_State *L, int i, lad_index *li, uint32_t r) {
  if (li->loaded) {
    int st = ad_ix_corpus_rec(&li->ix, &li->own, r);
    if (st != AD_OK) lad_ixerror(L, i, st);
  } else if (r >= lad_ixcorpus(L, li)->nrecs) lad_ixerror(L, i, AD_ECORRUPT);
  return r;
}
/* }====================================================== */

/* {====================================================== query trees */
typedef struct lad_qbuild {
  ad_xnode *nodes; uint32_t *kids;
  uint32_t n, nk, cap;
} lad_qbuild;

static int lad_qcount(lua_State *L, int t, int depth) {
  int n = 1;
  lua_Integer i, len;
  if (depth > 200) luaL_error(L, "query too deeply nested");
  luaL_checktype(L, t, LUA_TTABLE);
  len = (lua_Integer)lua_rawlen(L, t);
  for (i = 1; i <= len; i++) {
    lua_rawgeti(L, t, i);
    if (lua_istable(L, -1)) n += lad_qcount(L, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
  }
  return n;
}

static const char *lad_qstr(lua_State *L, int t, const char *k, size_t *n) {
  const char *s;
  lua_getfield(L, t, k);
  s = lua_tolstring(L, -1, n);
  lua_pop(L, 1);          /* the AST table keeps the string alive */
  if (s == NULL) *n = 0;
  return s;
}

/* fill node at b->n from the AST table at index t (pre-order) */
static uint32_t lad_qfill(lua_State *L, lad_qbuild *b, int t) {
  uint32_t me = b->n++;
  ad_xnode *nd = &b->nodes[me];
  const char *type;
  size_t tl;
  memset(nd, 0, sizeof *nd);
  nd->field = -1;
  lua_getfield(L, t, "type");
  type = lua_tolstring(L, -1, &tl);
  lua_pop(L, 1);
  if (type == NULL) luaL_error(L, "bad query node (no type)");
  if (!strcmp(type, "and") || !strcmp(type, "or") || !strcmp(type, "not")) {
    lua_Integer i, len = (lua_Integer)lua_rawlen(L, t);
    uint32_t first;
    nd->type = type[0] == 'a' ? AD_QN_AND : type[0] == 'o' ? AD_QN_OR : AD_QN_NOT;
    if (len == 0 || (nd->type == AD_QN_NOT && len != 1))
      luaL_error(L, "bad query node '%s' (%d children)", type, (int)len);
    first = b->nk; b->nk += (uint32_t)len;
    nd->kids = b->kids + first; nd->nkids = (uint32_t)len;
    for (i = 1; i <= len; i++) {
      uint32_t k;
      if (lua_rawgeti(L, t, i) != LUA_TTABLE) luaL_error(L, "bad query node child");
      k = lad_qfill(L, b, lua_gettop(L));
      b->kids[first + i - 1] = k;
      lua_pop(L, 1);
    }
    return me;
  }
  if (!strcmp(type, "term") || !strcmp(type, "phrase")) {
    const char *f;
    size_t fl;
    nd->type = type[0] == 't' ? AD_QN_TERM : AD_QN_PHRASE;
    nd->text = lad_qstr(L, t, "text", &nd->len);
    if (nd->text == NULL) luaL_error(L, "bad query node '%s' (no text)", type);
    f = lad_qstr(L, t, "field", &fl);
    if (f) {
      if (!strcmp(f, "ti")) nd->field = AD_F_TITLE;
      else if (!strcmp(f, "abs")) nd->field = AD_F_ABSTRACT;
      else if (!strcmp(f, "au")) nd->field = AD_F_AUTHORS;
      else if (!strcmp(f, "co")) nd->field = AD_F_COMMENT;
      else luaL_error(L, "bad query field '%s'", f);
    }
    lua_getfield(L, t, "prefix");
    nd->prefix = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return me;
  }
  if (!strcmp(type, "cat") || !strcmp(type, "primary") || !strcmp(type, "id")
      || !strcmp(type, "has")) {
    nd->type = type[0] == 'c' ? AD_QN_CAT : type[0] == 'p' ? AD_QN_PRIMARY
             : type[0] == 'i' ? AD_QN_ID : AD_QN_HAS;
    nd->text = lad_qstr(L, t, "value", &nd->len);
    if (nd->text == NULL) luaL_error(L, "bad query node '%s' (no value)", type);
    return me;
  }
  if (!strcmp(type, "date")) {
    size_t n1, n2;
    const char *a = lad_qstr(L, t, "from", &n1), *z = lad_qstr(L, t, "to", &n2);
    nd->type = AD_QN_DATE;
    nd->a = a ? lad_parsedate(a, n1) : 0;
    nd->b = z ? lad_parsedate(z, n2) : 99991231;
    if ((a && !nd->a && strcmp(a, "0000-01-01")) || (z && !nd->b))
      luaL_error(L, "bad date in query node");
    return me;
  }
  if (!strcmp(type, "version")) {
    lua_Integer mn, mx;
    nd->type = AD_QN_VERSION;
    lua_getfield(L, t, "min"); mn = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
    lua_getfield(L, t, "max"); mx = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
    lua_pop(L, 2);
    nd->a = mn < 0 ? 0 : mn > 999 ? 999 : (uint32_t)mn;
    nd->b = mx <= 0 ? 0 : mx > 999 ? 999 : (uint32_t)mx;
    return me;
  }
  if (!strcmp(type, "all")) { nd->type = AD_QN_ALL; return me; }
  return (uint32_t)luaL_error(L, "bad query node type '%s'", type);
}

/* Converts the AST at index t into nodes kept in a userdata pushed on the
** stack (freed by the GC). Returns the node array and its length. */
static ad_xnode *lad_qtree(lua_State *L, int t, uint32_t *n) {
  lad_qbuild b;
  int cnt;
  t = lua_absindex(L, t);
  cnt = lad_qcount(L, t, 0);
  b.nodes = (ad_xnode *)lua_newuserdatauv(L, (size_t)cnt * (sizeof(ad_xnode) + 4), 0);
  b.kids = (uint32_t *)(b.nodes + cnt);
  b.n = 0; b.nk = 0; b.cap = (uint32_t)cnt;
  lad_qfill(L, &b, t);
  *n = b.n;
  return b.nodes;
}
/* }====================================================== */

/* {====================================================== Index */
static lad_index *lad_newindex(lua_State *L) {
  lad_index *li = (lad_index *)lua_newuserdatauv(L, sizeof *li, 2);
  memset(li, 0, sizeof *li);
  luaL_setmetatable(L, LAD_INDEX);
  return li;
}

static void lad_index_release(lad_index *li) {
  if (li->live) {
    li->live = 0;
    ad_ix_free(&li->ix);
    if (li->loaded) ad_ix_corpus_free(&li->own);
    li->loaded = 0;
    li->coll = NULL;
  }
}

static int lad_index_gc(lua_State *L) {
  lad_index_release((lad_index *)luaL_checkudata(L, 1, LAD_INDEX));
  return 0;
}

static void lad_getparams(lua_State *L, int t, ad_ixparams *p) {
  static const char *const names[AD_NFIELDS] = {"ti", "abs", "au", "co"};
  int i;
  ad_ixparams_default(p);
  if (lua_isnoneornil(L, t)) return;
  luaL_checktype(L, t, LUA_TTABLE);
  lua_getfield(L, t, "weights");
  if (!lua_isnil(L, -1)) {
    luaL_argcheck(L, lua_istable(L, -1), t, "weights must be a table");
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

/* opts.threads: nil (0: automatic) or an integer >= 1 */
static unsigned lad_getthreads(lua_State *L, int t) {
  return lua_istable(L, t) ? (unsigned)lad_optthreads(L, t, 0) : 0;
}

/* index_build(collection [, opts]) -> Index */
static int lad_index_build(lua_State *L) {
  ad_corpus *c = lad_checkcorpus(L, 1);
  ad_ixparams p;
  ad_alloc a;
  lad_index *li;
  int st;
  unsigned threads = lad_getthreads(L, 2);
  lad_getparams(L, 2, &p);
  lad_alloc(L, &a);
  li = lad_newindex(L);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  li->coll = (lad_collection *)lua_touserdata(L, 1);
  li->live = 1;
  st = ad_ix_rebuild(&li->ix, &a, c, &p, NULL, NULL, NULL, NULL, threads);
  if (st != AD_OK) {
    ad_ix_free(&li->ix);
    li->live = 0;
    return lad_error(L, st, "index");
  }
  return 1;
}

/* index_rebuild(old, files [, opts]) -> Index, nread
**                                    | nil, "path: reason" [, errno]
** The incremental update behind idx:update (index.lua). files lists the new
** corpus in order; each entry is {path = p, mtime = m, old = k}: file k of
** old, same size and mtime, whose records are taken from old without
** reading the file; or {path = p, prev = k}: a file read and scanned anew
** (prev: the old file of the same path, if any: when its bytes are the
** same, its entries keep their postings). nread counts the files read. */
typedef struct lad_upfile { const char *path; int64_t mtime; uint32_t old, prev; } lad_upfile;

static uint32_t lad_upfield(lua_State *L, const char *k, uint32_t nfiles) {
  lua_Integer v;
  uint32_t r = UINT32_MAX;
  lua_getfield(L, -1, k);
  if (!lua_isnil(L, -1)) {
    v = lua_tointeger(L, -1);
    if (!lua_isinteger(L, -1) || v < 1 || (uint64_t)v > nfiles)
      luaL_argerror(L, 2, lua_pushfstring(L, "file entry: bad '%s'", k));
    r = (uint32_t)v - 1;
  }
  lua_pop(L, 1);
  return r;
}

static int lad_index_rebuild(lua_State *L) {
  lad_index *oi = lad_toindex(L, 1), *li;
  ad_ixparams p;
  lua_Integer n, i;
  lad_upfile *v;
  uint32_t *oldfile, nread = 0, bad = UINT32_MAX, nfiles = oi->ix.m.nfiles, k;
  lad_collection *lc;
  const char *failpath = NULL;
  ad_alloc a;
  int st = AD_OK, e;
  unsigned threads;
  luaL_checktype(L, 2, LUA_TTABLE);
  lad_getparams(L, 3, &p);
  threads = lad_getthreads(L, 3);
  lua_settop(L, 3);
  n = luaL_len(L, 2);
  luaL_argcheck(L, n >= 0 && n < (1 << 26), 2, "too many files");
  v = (lad_upfile *)lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *v, 0);   /* 4 */
  oldfile = (uint32_t *)lua_newuserdatauv(L, (size_t)(n + 1) * 4, 0);        /* 5 */
  lua_createtable(L, (int)n, 0);                 /* 6: keeps the paths alive */
  for (i = 1; i <= n; i++) {
    lad_upfile *u = &v[i - 1];
    lua_geti(L, 2, i);
    if (!lua_istable(L, -1)) luaL_argerror(L, 2, "file entries must be tables");
    if (lua_getfield(L, -1, "path") != LUA_TSTRING)
      luaL_argerror(L, 2, "file entry without a path");
    u->path = lua_tostring(L, -1);
    lua_rawseti(L, 6, i);
    lua_getfield(L, -1, "mtime");
    u->mtime = (int64_t)lua_tointeger(L, -1);
    lua_pop(L, 1);
    u->old = lad_upfield(L, "old", nfiles);
    u->prev = lad_upfield(L, "prev", nfiles);
    lua_pop(L, 1);
  }
  lc = lad_newcoll(L, 1);                                                   /* 7 */
  li = lad_newindex(L);                                                     /* 8 */
  lua_pushvalue(L, 7);
  lua_setiuservalue(L, 8, 1);
  li->coll = lc;
  oi = lad_toindex(L, 1);     /* (a finalizer run by the allocations above
                              ** could have closed it) */
  /* no Lua call from here on: the corpus, then the index */
  for (i = 0; i < n && st == AD_OK; i++) {
    const lad_upfile *u = &v[i];
    uint32_t before = lc->c.nfiles;
    if (u->old != UINT32_MAX) {
      st = ad_ix_corpus_addfile(&oi->ix, &lc->c, u->old, u->mtime);
      if (st == AD_OK) oldfile[before] = u->old;
      continue;
    }
    st = ad_corpus_add_file(&lc->c, u->path);
    if (st == AD_ETOOBIG) st = AD_OK;   /* a warning, as in ad.open */
    else if (st == AD_OK) nread++;
    if (st != AD_OK) { failpath = u->path; break; }
    for (k = before; k < lc->c.nfiles; k++) oldfile[k] = UINT32_MAX;
    if (u->prev != UINT32_MAX && lc->c.nfiles == before + 1 &&
        ad_ix_need(&oi->ix, AD_SEC_FILES, (uint64_t)u->prev * sizeof(ad_ixfile),
                   sizeof(ad_ixfile)) == AD_OK) {
      const ad_ixfile *xf = (const ad_ixfile *)oi->ix.sec[AD_SEC_FILES] + u->prev;
      ad_file *f = &lc->c.files[before];
      if (f->text != NULL && xf->size == (uint64_t)f->len && xf->nrec == f->nrec &&
          ad_file_hash(&lc->c, before) == xf->hash)
        oldfile[before] = u->prev;      /* touched, same bytes */
    }
  }
  if (st == AD_OK) {
    uint32_t loads = 0;
    lad_alloc(L, &a);
    li->live = 1;
    st = ad_ix_rebuild(&li->ix, &a, &lc->c, &p, &oi->ix, oldfile, &loads, &bad, threads);
    nread += loads;
    if (st != AD_OK) {
      e = errno;
      ad_ix_free(&li->ix);
      li->live = 0;
      errno = e;
      if (bad != UINT32_MAX) failpath = lc->c.files[bad].path;
    }
  }
  if (st == AD_OK) {
    lua_pushinteger(L, nread);
    return 2;
  }
  e = errno;
  if (st == AD_ECORRUPT) return lad_ixerror(L, 1, st);
  if ((st == AD_EIO || st == AD_ECHANGED) && failpath != NULL) {
    luaL_pushfail(L);
    if (st == AD_EIO) {
      lua_pushfstring(L, "%s: %s", failpath, strerror(e));
      lua_pushinteger(L, e);
      return 3;
    }
    lua_pushfstring(L, "%s: its content changed but its size and mtime did not: "
                    "touch it and update again", failpath);
    return 2;
  }
  return lad_error(L, st, "index");
}

/* index_load(path [, {verify = true}]) -> Index | nil, "path: reason", errno */
static int lad_index_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  char why[256];
  ad_alloc a;
  lad_index *li;
  int st;
  lad_alloc(L, &a);
  li = lad_newindex(L);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 2);
  why[0] = 0;
  li->live = 1;
  st = ad_ix_load(&li->ix, &a, path, why, sizeof why);
  if (st != AD_OK) {
    int e = errno;
    li->live = 0;
    if (st == AD_ENOMEM) return lad_error(L, st, path);
    luaL_pushfail(L);
    if (st == AD_EIO) {
      lua_pushfstring(L, "%s: %s", path, strerror(e));
      lua_pushinteger(L, e);
      return 3;
    }
    lua_pushfstring(L, "%s: %s", path, why);
    return 2;
  }
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "verify");
    if (lua_toboolean(L, -1)) {       /* check every chunk now */
      int s;
      for (s = 0; s < AD_NSEC; s++) {
        if (ad_ix_need(&li->ix, s, 0, li->ix.seclen[s]) != AD_OK) {
          lad_index_release(li);
          luaL_pushfail(L);
          lua_pushfstring(L, "%s: corrupted index (checksum mismatch)", path);
          return 2;
        }
      }
    }
    lua_pop(L, 1);
  }
  ad_corpus_init(&li->own, &a);
  li->loaded = 1;
  st = ad_ix_corpus(&li->ix, &li->own);
  if (st != AD_OK) {
    lad_index_release(li);
    if (st == AD_ENOMEM) return lad_error(L, st, path);
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: corrupted index (file table)", path);
    return 2;
  }
  return 1;
}

static int lad_index_len(lua_State *L) {
  lua_pushinteger(L, lad_toindex(L, 1)->ix.m.ndocs);
  return 1;
}

static int lad_index_tostring(lua_State *L) {
  lad_index *li = (lad_index *)luaL_checkudata(L, 1, LAD_INDEX);
  if (!li->live) lua_pushliteral(L, "Index (closed)");
  else lua_pushfstring(L, "Index (%d papers, %d terms%s)", (int)li->ix.m.ndocs,
                       (int)li->ix.m.nterms, li->loaded ? ", loaded" : "");
  return 1;
}

/* Pushes two arrays: the hits' doc numbers and their scores. Returns 2. */
static int lad_pushhits(lua_State *L, const ad_hit *hits, uint32_t nout) {
  uint32_t i;
  lua_createtable(L, (int)nout, 0);
  lua_createtable(L, (int)nout, 0);
  for (i = 0; i < nout; i++) {
    lua_pushinteger(L, hits[i].doc);
    lua_rawseti(L, -3, i + 1);
    lua_pushnumber(L, hits[i].score);
    lua_rawseti(L, -2, i + 1);
  }
  return 2;
}

/* idx:_search(ast, k, sort) -> docs, scores (arrays, 0-based doc numbers) */
static int lad_index_search(lua_State *L) {
  lad_index *li = lad_toindex(L, 1);
  lua_Integer k = luaL_checkinteger(L, 3);
  int sort = luaL_checkoption(L, 4, "score", (const char *const[]){"score", "date", NULL});
  uint32_t nn, nout;
  ad_xnode *nodes;
  ad_hit *hits;
  int st;
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_argcheck(L, k >= 0 && k <= 10000000, 3, "out of range");
  nodes = lad_qtree(L, 2, &nn);
  hits = (ad_hit *)lua_newuserdatauv(L, (size_t)(k ? k : 1) * sizeof(ad_hit), 0);
  st = ad_search(&li->ix, nodes, nn, (uint32_t)k, sort, hits, &nout);
  if (st != AD_OK) return lad_ixerror(L, 1, st);
  return lad_pushhits(L, hits, nout);
}

static int lad_index_count(lua_State *L) {
  lad_index *li = lad_toindex(L, 1);
  uint32_t nn, total;
  ad_xnode *nodes;
  int st;
  luaL_checktype(L, 2, LUA_TTABLE);
  nodes = lad_qtree(L, 2, &nn);
  st = ad_count(&li->ix, nodes, nn, &total);
  if (st != AD_OK) return lad_ixerror(L, 1, st);
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

/* idx:_trend(ast, period) -> { {period, count}, ... } in time order */
static int lad_index_trend(lua_State *L) {
  lad_index *li = lad_toindex(L, 1);
  int per = luaL_checkoption(L, 3, "month", (const char *const[]){"day", "month", "year", NULL});
  uint32_t nn, i;
  ad_xnode *nodes;
  lad_trend t;
  int st;
  luaL_checktype(L, 2, LUA_TTABLE);
  nodes = lad_qtree(L, 2, &nn);
  t.ix = &li->ix; t.div = per == 0 ? 1 : per == 1 ? 100 : 10000;
  t.cap = 200000; t.n = 0; t.bad = 0;
  t.keys = (uint32_t *)lua_newuserdatauv(L, (size_t)t.cap * 8, 0);
  t.cnt = t.keys + t.cap;
  st = ad_each(&li->ix, nodes, nn, lad_trend_cb, &t);
  if (st != AD_OK) return lad_ixerror(L, 1, st);
  if (t.bad == 1) return lad_ixerror(L, 1, AD_ECORRUPT);
  lua_createtable(L, (int)t.n, 0);
  for (i = 0; i < t.n; i++) {
    uint32_t k = t.keys[i];
    lua_createtable(L, 0, 2);
    if (per == 0) lad_pushdate(L, k);
    else {
      char buf[16];
      if (per == 1) snprintf(buf, sizeof buf, "%04u-%02u", (unsigned)(k / 100 % 10000), (unsigned)(k % 100));
      else snprintf(buf, sizeof buf, "%04u", (unsigned)(k % 10000));
      lua_pushstring(L, buf);
    }
    lua_setfield(L, -2, "period");
    lua_pushinteger(L, t.cnt[i]);
    lua_setfield(L, -2, "count");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static void lad_pushmpaper(lua_State *L, int owner, uint32_t doc) {
  uint32_t *p;
  owner = lua_absindex(L, owner);
  p = (uint32_t *)lua_newuserdatauv(L, sizeof *p, 1);
  *p = doc;
  lua_pushvalue(L, owner);
  lua_setiuservalue(L, -2, 1);
  luaL_setmetatable(L, LAD_MPAPER);
}

/* idx:_paper(doc) -> merged paper */
static int lad_index_paper(lua_State *L) {
  lad_index *li = lad_toindex(L, 1);
  lua_Integer d = luaL_checkinteger(L, 2);
  luaL_argcheck(L, d >= 0 && (uint64_t)d < li->ix.m.ndocs, 2, "no such document");
  lad_pushmpaper(L, 1, (uint32_t)d);
  return 1;
}

/* idx:_find(id) -> doc number | nil */
static int lad_index_find(lua_State *L) {
  lad_index *li = lad_toindex(L, 1);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  uint32_t off, len;
  uint16_t ver;
  int err = 0;
  int64_t d;
  if (!ad_parse_id(s, n, &off, &len, &ver)) { lua_pushnil(L); return 1; }
  d = ad_ix_find_id(&li->ix, s + off, len, &err);
  if (err) return lad_ixerror(L, 1, err);
  if (d < 0) lua_pushnil(L); else lua_pushinteger(L, d);
  return 1;
}

/* idx:_similar(text, k [, selfdoc]) -> docs, scores */
static int lad_index_similar(lua_State *L) {
  lad_index *li = lad_toindex(L, 1);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  lua_Integer k = luaL_checkinteger(L, 3);
  lua_Integer self = luaL_optinteger(L, 4, -1);
  ad_hit *hits;
  uint32_t nout;
  int st;
  luaL_argcheck(L, k >= 0 && k <= 1000000, 3, "out of range");
  hits = (ad_hit *)lua_newuserdatauv(L, (size_t)(k ? k : 1) * sizeof(ad_hit), 0);
  st = ad_similar(&li->ix, s, n, self < 0 ? UINT32_MAX : (uint32_t)self,
                  (uint32_t)k, hits, &nout);
  if (st != AD_OK) return lad_ixerror(L, 1, st);
  return lad_pushhits(L, hits, nout);
}

/* idx:save(path) -> true | nil, "path: reason", errno */
static int lad_index_save(lua_State *L) {
  lad_index *li = lad_toindex(L, 1);
  const char *path = luaL_checkstring(L, 2);
  int st;
  /* a loaded index must be fully valid before it is copied */
  if (li->ix.lazy) {
    int s;
    for (s = 0; s < AD_NSEC; s++) {
      st = ad_ix_need(&li->ix, s, 0, li->ix.seclen[s]);
      if (st) return lad_ixerror(L, 1, st);
    }
  }
  st = ad_ix_save(&li->ix, path);
  if (st == AD_OK) { lua_pushboolean(L, 1); return 1; }
  if (st == AD_EIO) {
    int e = errno;
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: %s", path, strerror(e));
    lua_pushinteger(L, e);
    return 3;
  }
  return lad_error(L, st, path);
}

/* idx:_files() -> { {path=, size=, mtime=, hash=}, ... } */
static int lad_index_files(lua_State *L) {
  lad_index *li = lad_toindex(L, 1);
  uint32_t i;
  const ad_ixfile *f;
  if (ad_ix_need(&li->ix, AD_SEC_FILES, 0, li->ix.seclen[AD_SEC_FILES]) ||
      ad_ix_need(&li->ix, AD_SEC_FSTR, 0, li->ix.seclen[AD_SEC_FSTR]))
    return lad_ixerror(L, 1, AD_ECORRUPT);
  f = (const ad_ixfile *)li->ix.sec[AD_SEC_FILES];
  lua_createtable(L, (int)li->ix.m.nfiles, 0);
  for (i = 0; i < li->ix.m.nfiles; i++) {
    if ((uint64_t)f[i].path + f[i].pathlen > li->ix.seclen[AD_SEC_FSTR])
      return lad_ixerror(L, 1, AD_ECORRUPT);
    lua_createtable(L, 0, 4);
    lua_pushlstring(L, (const char *)li->ix.sec[AD_SEC_FSTR] + f[i].path, f[i].pathlen);
    lua_setfield(L, -2, "path");
    lua_pushinteger(L, (lua_Integer)f[i].size);
    lua_setfield(L, -2, "size");
    lua_pushinteger(L, (lua_Integer)f[i].mtime);
    lua_setfield(L, -2, "mtime");
    {
      char hx[17];
      int k;
      uint64_t h = f[i].hash;
      for (k = 15; k >= 0; k--) { hx[k] = "0123456789abcdef"[h & 15]; h >>= 4; }
      lua_pushlstring(L, hx, 16);
    }
    lua_setfield(L, -2, "hash");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* idx:info() -> table of counts and parameters */
static int lad_index_info(lua_State *L) {
  lad_index *li = lad_toindex(L, 1);
  const ad_ixmeta *m = &li->ix.m;
  uint64_t total = 0;
  int s;
  for (s = 0; s < AD_NSEC; s++) total += li->ix.seclen[s];
  lua_createtable(L, 0, 12);
  lua_pushinteger(L, m->ndocs); lua_setfield(L, -2, "papers");
  lua_pushinteger(L, m->nrecs); lua_setfield(L, -2, "records");
  lua_pushinteger(L, m->nfiles); lua_setfield(L, -2, "files");
  lua_pushinteger(L, m->nterms); lua_setfield(L, -2, "terms");
  lua_pushinteger(L, (lua_Integer)total); lua_setfield(L, -2, "bytes");
  lua_pushboolean(L, li->loaded); lua_setfield(L, -2, "loaded");
  lua_pushnumber(L, m->p.k1); lua_setfield(L, -2, "k1");
  lua_pushnumber(L, m->p.b); lua_setfield(L, -2, "b");
  lua_createtable(L, 0, 4);
  lua_pushnumber(L, m->p.w[0]); lua_setfield(L, -2, "ti");
  lua_pushnumber(L, m->p.w[1]); lua_setfield(L, -2, "abs");
  lua_pushnumber(L, m->p.w[2]); lua_setfield(L, -2, "au");
  lua_pushnumber(L, m->p.w[3]); lua_setfield(L, -2, "co");
  lua_setfield(L, -2, "weights");
  return 1;
}

/* idx:_swap(other): exchange the contents of two indexes (update) */
static int lad_index_swap(lua_State *L) {
  lad_index *a = lad_toindex(L, 1), *b = lad_toindex(L, 2), t;
  int k;
  t = *a; *a = *b; *b = t;
  for (k = 1; k <= 2; k++) {
    lua_getiuservalue(L, 1, k);
    lua_getiuservalue(L, 2, k);
    lua_setiuservalue(L, 1, k);
    lua_setiuservalue(L, 2, k);
  }
  return 0;
}

/* idx:_docinfo(doc) -> date, first, last, version, napp (cheap columns) */
static int lad_index_docdate(lua_State *L) {
  lad_index *li = lad_toindex(L, 1);
  lua_Integer d = luaL_checkinteger(L, 2);
  const ad_ixdoc *doc;
  luaL_argcheck(L, d >= 0 && (uint64_t)d < li->ix.m.ndocs, 2, "no such document");
  doc = lad_doc(L, 1, li, (uint32_t)d);
  lad_pushdate(L, doc->date);
  return 1;
}
/* }====================================================== */

/* {====================================================== merged papers */
static lad_index *lad_tompaper(lua_State *L, int i, uint32_t *doc) {
  uint32_t *p = (uint32_t *)luaL_checkudata(L, i, LAD_MPAPER);
  lad_index *li;
  lua_getiuservalue(L, i, 1);
  li = (lad_index *)lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (li == NULL || !li->live || *p >= li->ix.m.ndocs)
    luaL_error(L, "paper of a closed index");
  *doc = *p;
  return li;
}

/* push field `name` of record rec (validated), 1 if it is a field */
static int lad_recfield(lua_State *L, int owner, lad_index *li, uint32_t rec,
                        const char *name) {
  ad_corpus *c = lad_ixcorpus(L, li);
  (void)owner;
  return lad_push_record_field(L, c, rec, name);
}

/* categories united over the appearances, best record's first */
static void lad_mp_categories(lua_State *L, int pi, lad_index *li, const ad_ixdoc *d) {
  uint32_t k, n = 0;
  int out, seen;
  lua_newtable(L); out = lua_gettop(L);
  lua_newtable(L); seen = lua_gettop(L);
  for (k = 0; k <= d->napp; k++) {
    uint32_t r = k == 0 ? d->best : ad_ix_app(&li->ix, d, k - 1);
    lua_Integer i, len;
    if (r == UINT32_MAX) lad_ixerror(L, pi, AD_ECORRUPT);
    lad_rec(L, pi, li, r);
    lad_recfield(L, pi, li, r, "categories");
    len = (lua_Integer)lua_rawlen(L, -1);
    for (i = 1; i <= len; i++) {
      lua_rawgeti(L, -1, i);
      lua_pushvalue(L, -1);
      if (lua_rawget(L, seen) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushboolean(L, 1);
        lua_rawset(L, seen);
        lua_rawseti(L, out, ++n);
      } else lua_pop(L, 2);
    }
    lua_pop(L, 1);
  }
  lua_settop(L, out);
}

static void lad_mp_appearances(lua_State *L, int pi, lad_index *li, const ad_ixdoc *d) {
  static const char *const f[] = {"source", "line", "date", "format", "version"};
  uint32_t k;
  int j;
  lua_createtable(L, (int)d->napp, 0);
  for (k = 0; k < d->napp; k++) {
    uint32_t r = ad_ix_app(&li->ix, d, k);
    if (r == UINT32_MAX) lad_ixerror(L, pi, AD_ECORRUPT);
    lad_rec(L, pi, li, r);
    lua_createtable(L, 0, 5);
    for (j = 0; j < 5; j++) {
      lad_recfield(L, pi, li, r, f[j]);
      lua_setfield(L, -2, f[j]);
    }
    lua_rawseti(L, -2, k + 1);
  }
}

/* history: events after the first appearance: a new version (v2 or
** later, higher than any seen before), a DOI or a journal reference seen
** for the first time */
static void lad_mp_history(lua_State *L, int pi, lad_index *li, const ad_ixdoc *d) {
  uint32_t k, n = 0;
  lua_Integer maxv = 0;
  int hasdoi = 0, hasjr = 0;
  lua_createtable(L, 0, 0);
  for (k = 0; k < d->napp; k++) {
    uint32_t r = ad_ix_app(&li->ix, d, k);
    lua_Integer v;
    int doi, jr;
    if (r == UINT32_MAX) lad_ixerror(L, pi, AD_ECORRUPT);
    lad_rec(L, pi, li, r);
    lad_recfield(L, pi, li, r, "version");
    v = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
    lad_recfield(L, pi, li, r, "doi");
    doi = !lua_isnil(L, -1);
    lad_recfield(L, pi, li, r, "journal");
    jr = !lua_isnil(L, -1);
    if (k > 0) {
      const char *ev[3] = {NULL, NULL, NULL};
      int e;
      if (v > maxv && v >= 2) ev[0] = "version";
      if (doi && !hasdoi) ev[1] = "doi";
      if (jr && !hasjr) ev[2] = "journal";
      for (e = 0; e < 3; e++) {
        if (!ev[e]) continue;
        lua_createtable(L, 0, 5);
        lua_pushstring(L, ev[e]); lua_setfield(L, -2, "event");
        lad_recfield(L, pi, li, r, "date"); lua_setfield(L, -2, "date");
        lad_recfield(L, pi, li, r, "source"); lua_setfield(L, -2, "source");
        lad_recfield(L, pi, li, r, "line"); lua_setfield(L, -2, "line");
        if (e == 0) { lua_pushinteger(L, v); lua_setfield(L, -2, "version"); }
        if (e == 1) { lua_pushvalue(L, -3); lua_setfield(L, -2, "doi"); }
        if (e == 2) { lua_pushvalue(L, -2); lua_setfield(L, -2, "journal"); }
        lua_rawseti(L, -5, ++n);
      }
    }
    if (v > maxv) maxv = v;
    hasdoi |= doi; hasjr |= jr;
    lua_pop(L, 3);
  }
}

/* doi / journal: the best record's, else the latest appearance with one */
static void lad_mp_latest(lua_State *L, int pi, lad_index *li, const ad_ixdoc *d,
                          const char *name) {
  uint32_t k;
  lad_rec(L, pi, li, d->best);
  lad_recfield(L, pi, li, d->best, name);
  if (!lua_isnil(L, -1)) return;
  lua_pop(L, 1);
  for (k = d->napp; k-- > 0; ) {
    uint32_t r = ad_ix_app(&li->ix, d, k);
    if (r == UINT32_MAX) lad_ixerror(L, pi, AD_ECORRUPT);
    lad_rec(L, pi, li, r);
    lad_recfield(L, pi, li, r, name);
    if (!lua_isnil(L, -1)) return;
    lua_pop(L, 1);
  }
  lua_pushnil(L);
}

/* push merged field `name` of paper at pi; returns 0 if not a field */
static int lad_mp_field(lua_State *L, int pi, lad_index *li, uint32_t doc,
                        const char *name) {
  const ad_ixdoc *d;
  d = ad_ix_doc(&li->ix, doc);
  if (d == NULL) return luaL_error(L, "corrupted index (document %d)", (int)doc);
  if (!strcmp(name, "id")) {
    const char *id = ad_ix_docid(&li->ix, d);
    if (id == NULL) return luaL_error(L, "corrupted index (id)");
    lua_pushlstring(L, id, d->idlen);
  } else if (!strcmp(name, "version")) {
    if (d->version) lua_pushinteger(L, d->version); else lua_pushnil(L);
  } else if (!strcmp(name, "date")) lad_pushdate(L, d->date);
  else if (!strcmp(name, "first_seen")) lad_pushdate(L, d->first);
  else if (!strcmp(name, "last_seen")) lad_pushdate(L, d->last);
  else if (!strcmp(name, "categories")) lad_mp_categories(L, pi, li, d);
  else if (!strcmp(name, "appearances")) lad_mp_appearances(L, pi, li, d);
  else if (!strcmp(name, "history")) lad_mp_history(L, pi, li, d);
  else if (!strcmp(name, "doi") || !strcmp(name, "journal")) lad_mp_latest(L, pi, li, d, name);
  else {
    lad_rec(L, pi, li, d->best);
    return lad_recfield(L, pi, li, d->best, name);
  }
  return 1;
}

static const char *const lad_mpfields[] = {
  "id", "version", "title", "authors", "abstract", "categories",
  "primary_category", "pdf_url", "abs_url", "doi", "comment", "journal",
  "published", "updated", "date", "source", "line", "format", "position",
  "crosslist", "raw", "first_seen", "last_seen", "appearances", "history", NULL
};

static int lad_mp_index(lua_State *L) {
  uint32_t doc;
  lad_index *li = lad_tompaper(L, 1, &doc);
  const char *k = lua_tostring(L, 2);
  if (k == NULL) return 0;
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;  /* method */
  lua_pop(L, 1);
  if (!lad_mp_field(L, 1, li, doc, k)) lua_pushnil(L);
  return 1;
}

static int lad_mp_totable(lua_State *L) {
  uint32_t doc;
  lad_index *li = lad_tompaper(L, 1, &doc);
  int i;
  lua_createtable(L, 0, 26);
  for (i = 0; lad_mpfields[i]; i++) {
    if (lad_mp_field(L, 1, li, doc, lad_mpfields[i]))
      lua_setfield(L, -2, lad_mpfields[i]);
  }
  return 1;
}

static int lad_mp_tostring(lua_State *L) {
  uint32_t doc;
  lad_index *li = lad_tompaper(L, 1, &doc);
  lad_mp_field(L, 1, li, doc, "id");
  lua_pushfstring(L, "MergedPaper (%s)", lua_tostring(L, -1));
  return 1;
}

static int lad_mp_eq(lua_State *L) { return lad_paper_eq_by(L, LAD_MPAPER); }

/* paper:_doc() -> doc number (for the Lua layer) */
static int lad_mp_doc(lua_State *L) {
  uint32_t doc;
  (void)lad_tompaper(L, 1, &doc);
  lua_pushinteger(L, doc);
  return 1;
}

/* paper:record([k]) -> the k-th appearance (default: the best) as a
** Paper of the collection, for a fresh build only */
static int lad_mp_record(lua_State *L) {
  uint32_t doc;
  lad_index *li = lad_tompaper(L, 1, &doc);
  const ad_ixdoc *d = ad_ix_doc(&li->ix, doc);
  if (d == NULL) return luaL_error(L, "corrupted index");
  if (li->loaded) return luaL_error(L, "record() needs an index built from a collection");
  lua_getiuservalue(L, 1, 1);
  lua_getiuservalue(L, -1, 1);   /* the collection */
  if (lua_isnoneornil(L, 2)) lad_pushpaper(L, -1, d->best);
  else {
    lua_Integer k = luaL_checkinteger(L, 2);
    uint32_t r;
    luaL_argcheck(L, k >= 1 && (uint64_t)k <= d->napp, 2, "no such appearance");
    r = ad_ix_app(&li->ix, d, (uint32_t)k - 1);
    lad_pushpaper(L, -1, r);
  }
  return 1;
}
/* }====================================================== */

/* {====================================================== file listing */
/* The files ad.open would read under a path (same rules as ad_corpus.c:
** recursive, names starting with '.' skipped, sorted, symlinked
** directories not followed, *.md / *.txt regular files), with their size
** and mtime, without reading them: update() uses it to see that nothing
** changed. A directory handle is owned by a userdata so an error cannot
** leak it. */
#define LAD_DIR "arxivdigest.DirHandle"
typedef struct lad_dir { DIR *d; } lad_dir;

static int lad_dir_gc(lua_State *L) {
  lad_dir *x = (lad_dir *)luaL_checkudata(L, 1, LAD_DIR);
  if (x->d) { closedir(x->d); x->d = NULL; }
  return 0;
}

static int lad_strptrcmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int lad_digest_ext(const char *name) {
  size_t n = strlen(name);
  return (n > 3 && strcasecmp(name + n - 3, ".md") == 0) ||
         (n > 4 && strcasecmp(name + n - 4, ".txt") == 0);
}

static void lad_listfile(lua_State *L, int out, const char *path, const struct stat *st) {
  lua_createtable(L, 0, 3);
  lua_pushstring(L, path); lua_setfield(L, -2, "path");
  lua_pushinteger(L, (lua_Integer)st->st_size); lua_setfield(L, -2, "size");
  lua_pushinteger(L, (lua_Integer)st->st_mtime); lua_setfield(L, -2, "mtime");
  lua_rawseti(L, out, (lua_Integer)lua_rawlen(L, out) + 1);
}

static void lad_walk(lua_State *L, const char *dir, int depth, int out) {
  lad_dir *x;
  struct dirent *e;
  int top = lua_gettop(L), names;
  size_t dl = strlen(dir);
  lua_Integer n = 0, i;
  const char **v;
  if (depth > 64) return;
  x = (lad_dir *)lua_newuserdatauv(L, sizeof *x, 0);
  x->d = NULL;
  luaL_setmetatable(L, LAD_DIR);
  x->d = opendir(dir);
  if (x->d == NULL) { lua_settop(L, top); return; }   /* unreadable: skipped */
  lua_newtable(L); names = lua_gettop(L);
  while ((e = readdir(x->d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    lua_pushstring(L, dir);
    if (!(dl > 0 && dir[dl - 1] == '/')) lua_pushliteral(L, "/"); else lua_pushliteral(L, "");
    lua_pushstring(L, e->d_name);
    lua_concat(L, 3);
    lua_rawseti(L, names, ++n);
  }
  closedir(x->d); x->d = NULL;
  v = (const char **)lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof(char *), 0);
  for (i = 0; i < n; i++) {
    lua_rawgeti(L, names, i + 1);
    v[i] = lua_tostring(L, -1);       /* anchored in `names` */
    lua_pop(L, 1);
  }
  qsort(v, (size_t)n, sizeof(char *), lad_strptrcmp);
  for (i = 0; i < n; i++) {
    struct stat ls, fs;
    if (lstat(v[i], &ls) != 0) continue;
    if (S_ISDIR(ls.st_mode)) lad_walk(L, v[i], depth + 1, out);
    else if (lad_digest_ext(v[i]) && stat(v[i], &fs) == 0 && S_ISREG(fs.st_mode))
      lad_listfile(L, out, v[i], &fs);
  }
  lua_settop(L, top);
}

/* _list_files(path) -> { {path=, size=, mtime=}, ... } | nil, "path: reason" */
static int lad_list_files(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  int out;
  lua_newtable(L); out = lua_gettop(L);
  if (stat(path, &st) != 0) {
    int e = errno;
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: %s", path, strerror(e));
    return 2;
  }
  if (S_ISDIR(st.st_mode)) lad_walk(L, path, 0, out);
  else lad_listfile(L, out, path, &st);
  lua_settop(L, out);
  return 1;
}
/* }====================================================== */

/* {====================================================== module functions */
/* tokens(text) -> array of folded tokens (compounds then their parts) */
static int lad_tokens(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  ad_tokenizer tz;
  ad_tok tk;
  lua_Integer i = 0;
  lua_newtable(L);
  ad_tok_init(&tz, s, n);
  while (ad_tok_next(&tz, &tk)) {
    lua_pushlstring(L, tk.s, tk.len);
    lua_rawseti(L, -2, ++i);
  }
  return 1;
}

/* snippet(text, terms, prefixes, open, close, width) -> string */
static int lad_snippet(lua_State *L) {
  size_t n, lo, lc;
  const char *s = luaL_checklstring(L, 1, &n);
  const char *open = luaL_optlstring(L, 4, "\xc2\xab", &lo);
  const char *close = luaL_optlstring(L, 5, "\xc2\xbb", &lc);
  lua_Integer width = luaL_optinteger(L, 6, 30);
  const char *terms[64];
  size_t tl[64];
  int pre[64];
  uint32_t nt = 0;
  lua_Integer i, len;
  luaL_Buffer b;
  size_t cap;
  char *out;
  luaL_checktype(L, 2, LUA_TTABLE);
  len = (lua_Integer)lua_rawlen(L, 2);
  for (i = 1; i <= len && nt < 64; i++) {
    lua_rawgeti(L, 2, i);
    terms[nt] = lua_tolstring(L, -1, &tl[nt]);
    lua_pop(L, 1);                 /* the table keeps it alive */
    if (terms[nt] == NULL) continue;
    lua_rawgeti(L, 3, i);
    pre[nt] = lua_istable(L, 3) ? lua_toboolean(L, -1) : 0;
    lua_pop(L, 1);
    nt++;
  }
  if (width < 1) width = 1;
  if (width > 256) width = 256;
  cap = n + 8 + (n / 2 + 2) * (lo + lc);
  out = luaL_buffinitsize(L, &b, cap);
  luaL_pushresultsize(&b, ad_snippet(s, n, terms, tl, pre, nt, (uint32_t)width,
                                     open, close, out, cap));
  return 1;
}

static const luaL_Reg lad_index_meta[] = {
  {"__gc", lad_index_gc},
  {"__close", lad_index_gc},
  {"__len", lad_index_len},
  {"__tostring", lad_index_tostring},
  {NULL, NULL}
};

static const luaL_Reg lad_index_methods[] = {
  {"_search", lad_index_search},
  {"_count", lad_index_count},
  {"_trend", lad_index_trend},
  {"_paper", lad_index_paper},
  {"_find", lad_index_find},
  {"_similar", lad_index_similar},
  {"_files", lad_index_files},
  {"_swap", lad_index_swap},
  {"_date", lad_index_docdate},
  {"save", lad_index_save},
  {"info", lad_index_info},
  {"close", lad_index_gc},
  {NULL, NULL}
};

static const luaL_Reg lad_mp_meta[] = {
  {"__tostring", lad_mp_tostring},
  {"__eq", lad_mp_eq},
  {NULL, NULL}
};

static const luaL_Reg lad_mp_methods[] = {
  {"totable", lad_mp_totable},
  {"record", lad_mp_record},
  {"_doc", lad_mp_doc},
  {NULL, NULL}
};

void lad_index_open(lua_State *L) {
  /* module table at the top */
  luaL_newmetatable(L, LAD_INDEX);
  luaL_setfuncs(L, lad_index_meta, 0);
  luaL_newlib(L, lad_index_methods);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "__index");
  lua_setfield(L, -3, "index_methods");   /* module.index_methods */
  lua_pop(L, 1);
  luaL_newmetatable(L, LAD_MPAPER);
  luaL_setfuncs(L, lad_mp_meta, 0);
  luaL_newlib(L, lad_mp_methods);
  lua_pushvalue(L, -1);
  lua_setfield(L, -4, "paper_methods");
  lua_pushcclosure(L, lad_mp_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, lad_index_build); lua_setfield(L, -2, "index_build");
  lua_pushcfunction(L, lad_index_rebuild); lua_setfield(L, -2, "index_rebuild");
  lua_pushcfunction(L, lad_index_load); lua_setfield(L, -2, "index_load");
  lua_pushcfunction(L, lad_tokens); lua_setfield(L, -2, "tokens");
  lua_pushcfunction(L, lad_list_files); lua_setfield(L, -2, "_list_files");
  luaL_newmetatable(L, LAD_DIR);
  lua_pushcfunction(L, lad_dir_gc); lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_pushcfunction(L, lad_snippet); lua_setfield(L, -2, "snippet");
}
/* }====================================================== */
