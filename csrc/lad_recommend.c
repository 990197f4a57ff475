/*
** lad_recommend.c: Lua binding of the recommendations (csrc/ad_recommend.c).
**
**   core.recommend(idx, lib_docs, neg_docs, cand_docs [, opts])
**       -> hits, nlib, scored, model
**     lib_docs, neg_docs (or nil), cand_docs (nil: every paper): arrays of
**     doc numbers (0-based, as paper:_doc()). With opts.with (a second
**     Index, whose papers join the request with idx's model: see
**     ad_rreq), a doc number #idx + d is its doc d, in the arguments and
**     the results, and cand_docs nil means all of its papers. hits: array of
**     {doc =, score =, papers = {{doc =, score =}, ...},
**      terms = {{term =, weight =}, ...}}; nlib: the distinct library
**     papers used (0: nothing to recommend from); scored: the candidates
**     scored exactly; model: where the model came from ("cached", "kept":
**     read from INDEX.model beside a loaded index, or "built").
**     opts: limit (10), offset (0), papers (5), terms (8) per hit, text (a
**     string: one more library "paper"), weights = {ti =, abs =, au =,
**     co =} (numbers >= 0; a key left out keeps its default), and the
**     method's parameters: scheme ("bm25" | "tfidf"), bigrams (boolean, or
**     "content": only pairs of two content words),
**     k1, b, alpha (0..1), m (1..64), background (>= 0), local (0..1: the
**     share of the background that is local), nlocal (papers), sample
**     (docs), exact, shortlist, near (1..64: with negatives, the library
**     papers nearest to each that a paper's nearness to the library is
**     measured on, when the library has more).
**   core.index_lookup(idx, "title" | "doi", value) -> doc, n | nil
**     title: the newest paper whose normalised title is value's (n: how
**     many have it); doi: the newest paper with that DOI.
**
** Caches: each Index gets a table (in a registry table with weak keys)
** holding the sample models of the last LAD_RCACHE_MAX option sets and
** its DOI table. Each remembers a signature of the index's sections, so
** an index changed by update() builds them again.
**
** Memory: the doc arrays are userdata; the C result lives in a userdata
** with __gc, so an error while building the Lua tables leaks nothing.
*/
#include <errno.h>
#include <math.h>
#include <string.h>
#include "lad.h"
#include "ad_recommend.h"

#define LAD_RMODEL "arxivdigest.RecModel"
#define LAD_RDOI   "arxivdigest.DoiTable"
#define LAD_RRES   "arxivdigest.RecResult"
#define LAD_RCACHE_MAX 4

static const char lad_rcache_key = 0;

/* what identifies the contents of an index */
typedef struct lad_rsig {
  const void *docs, *post;
  uint64_t docslen, postlen;
  ad_ixmeta meta;
} lad_rsig;

static void lad_rsig_of(const ad_ix *ix, lad_rsig *s) {
  memset(s, 0, sizeof *s);
  s->docs = ix->sec[AD_SEC_DOCS]; s->post = ix->sec[AD_SEC_POST];
  s->docslen = ix->seclen[AD_SEC_DOCS]; s->postlen = ix->seclen[AD_SEC_POST];
  s->meta = ix->m;
}

static int lad_rsig_eq(const lad_rsig *x, const lad_rsig *y) {
  return x->docs == y->docs && x->post == y->post && x->docslen == y->docslen
      && x->postlen == y->postlen && memcmp(&x->meta, &y->meta, sizeof x->meta) == 0;
}

typedef struct lad_rmodel {
  ad_rmodel m; lad_rsig sig; int live;
  int built;             /* built in this state (not read from a file) */
} lad_rmodel;
typedef struct lad_rdoi { ad_rdoi t; lad_rsig sig; int live; } lad_rdoi;
typedef struct lad_rres { ad_rresult r; ad_alloc a; } lad_rres;

static int lad_rmodel_gc(lua_State *L) {
  lad_rmodel *m = (lad_rmodel *)luaL_checkudata(L, 1, LAD_RMODEL);
  if (m->live) { m->live = 0; ad_rmodel_free(&m->m); }
  return 0;
}

static int lad_rdoi_gc(lua_State *L) {
  lad_rdoi *t = (lad_rdoi *)luaL_checkudata(L, 1, LAD_RDOI);
  if (t->live) { t->live = 0; ad_rdoi_free(&t->t); }
  return 0;
}

static int lad_rres_gc(lua_State *L) {
  lad_rres *r = (lad_rres *)luaL_checkudata(L, 1, LAD_RRES);
  ad_rresult_free(&r->a, &r->r);
  return 0;
}

/* Raise the error of a failed core call; badfile: the file that failed;
** ii: the stack index of the Index it read (named when it is corrupt). */
static int lad_rerror(lua_State *L, int ii, ad_corpus *c, int st, uint32_t badfile) {
  if (st == AD_ECORRUPT) return lad_error(L, st, lad_ixname(L, ii));
  if ((st == AD_EIO || st == AD_ECHANGED) && badfile < c->nfiles)
    return lad_error(L, st, c->files[badfile].path);
  return lad_error(L, st, "recommend");
}

/* Pushes the cache table of the Index at stack index i. */
static void lad_rcache(lua_State *L, int i) {
  i = lua_absindex(L, i);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &lad_rcache_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lad_rcache_key);
  }
  lua_pushvalue(L, i);
  if (lua_rawget(L, -2) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_createtable(L, LAD_RCACHE_MAX, 1);
    lua_pushvalue(L, i);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);
  }
  lua_remove(L, -2);
}

/* Pushes the file of the model kept beside the saved index at stack index
** i ("INDEX.model", as a watch and `arxivdigest recommend -i` keep it), or
** nil for an index that was not loaded from a file. */
static void lad_rmodelpath(lua_State *L, int i) {
  lad_gen *g = lad_checkindex(L, i, 1);          /* (pushes the generation) */
  int top = lua_gettop(L);
  if (g->loaded && lua_getiuservalue(L, top, 2) == LUA_TSTRING)
    lua_pushfstring(L, "%s.model", lua_tostring(L, -1));
  else
    lua_pushnil(L);
  lua_replace(L, top);                           /* over the generation */
  lua_settop(L, top);
}

/* The model of the Index at stack index i for options o, from the cache,
** else read from INDEX.model when one fits (a loaded index), else built
** now; pushes its userdata (the caller keeps it on the stack
** while it is used). The index data is read after every Lua allocation
** of this function (a finalizer run by one may close or update the
** index), and *pix, *pc are that data.
** With path (a saved model; the caller anchors the string): the model is
** read from that file instead (ad_rmodel_load), and replaces in the cache
** any model of the same options; when it is refused, *why says why (an
** AD_RLOAD_* reason, or -errno when the file cannot be read), nothing is
** pushed and NULL is returned. */
static ad_rmodel *lad_rmodel_get(lua_State *L, int i, const ad_ropts *o,
                                 ad_ix **pix, ad_corpus **pc,
                                 const char *path, int *why, int *src) {
  lad_rsig sig;
  lad_rmodel *m;
  ad_ix *ix;
  ad_corpus *c;
  int t, k, n, found = 0;
  uint32_t badfile = UINT32_MAX;
  const char *kept;
  i = lua_absindex(L, i);
  lad_rmodelpath(L, i);                        /* at t - 1 until the end */
  kept = lua_tostring(L, -1);
  lad_rcache(L, i);
  t = lua_gettop(L);
  lua_createtable(L, LAD_RCACHE_MAX, 0);       /* the new list, made now */
  m = (lad_rmodel *)lua_newuserdatauv(L, sizeof *m, 0);   /* a new model, */
  memset(m, 0, sizeof *m);                                 /* if needed */
  luaL_setmetatable(L, LAD_RMODEL);
  ix = lad_checkix(L, i, &c);                  /* no Lua allocation below */
  lad_rsig_of(ix, &sig);
  /* models are kept newest first at t[1..n] */
  n = (int)lua_rawlen(L, t);
  for (k = 1; k <= n && path == NULL; k++) {
    lad_rmodel *o1;
    lua_rawgeti(L, t, k);                      /* (the cache's own: no allocation) */
    o1 = (lad_rmodel *)lua_touserdata(L, -1);
    if (o1 && o1->live && lad_rsig_eq(&o1->sig, &sig) && ad_rmodel_fits(&o1->m, ix, o)) {
      found = k;
      lua_replace(L, -2);                      /* it replaces the new one */
      m = o1;
      break;
    }
    lua_pop(L, 1);
  }
  if (path != NULL) {
    int st = ad_rmodel_load(&m->m, &ix->a, ix, o, path, why);
    if (st == AD_EIO) *why = -(errno ? errno : EIO);
    else if (st != AD_OK) lad_rerror(L, i, c, st, badfile);
    if (*why != AD_RLOAD_OK) {
      ad_rmodel_free(&m->m);
      lua_settop(L, t - 2);
      return NULL;
    }
    m->live = 1;
    m->sig = sig;
    m->built = 0;
  } else if (!found) {
    int st, kwhy = AD_RLOAD_FORMAT;
    /* the model kept beside the saved index, when it fits (the same
    ** model: the same scores), else built */
    if (kept != NULL && ad_rmodel_load(&m->m, &ix->a, ix, o, kept, &kwhy) == AD_OK &&
        kwhy == AD_RLOAD_OK) {
      m->live = 1;
      m->sig = sig;
      m->built = 0;
      if (src) *src = 1;
    } else {
      if (src) *src = 2;
      ad_rmodel_free(&m->m);
      memset(&m->m, 0, sizeof m->m);
      st = ad_rmodel_build(&m->m, ix, c, o, &badfile);
      if (st != AD_OK) lad_rerror(L, i, c, st, badfile);
      m->live = 1;
      m->sig = sig;
      m->built = 1;
    }
  }
  /* the new list (at t + 1): this model first, then the others of this
  ** index's contents, newest first, at most LAD_RCACHE_MAX in all */
  {
    int w = 1, mpos = lua_gettop(L);
    lua_pushvalue(L, t + 1);
    lua_pushvalue(L, mpos);
    lua_rawseti(L, -2, w++);
    for (k = 1; k <= n && w <= LAD_RCACHE_MAX; k++) {
      lad_rmodel *o2;
      if (k == found) continue;
      lua_rawgeti(L, t, k);
      o2 = (lad_rmodel *)lua_touserdata(L, -1);
      if (o2 && o2->live && lad_rsig_eq(&o2->sig, &sig) &&
          !(path != NULL && ad_rmodel_fits(&o2->m, ix, o)))
        lua_rawseti(L, -2, w++);
      else lua_pop(L, 1);
    }
    for (k = 1; k <= n || k <= LAD_RCACHE_MAX; k++) {
      lua_rawgeti(L, -1, k);
      lua_rawseti(L, t, k);
    }
    lua_pop(L, 1);
  }
  if (src && found) *src = 0;
  if (src && path != NULL) *src = 1;
  lua_replace(L, t - 1); /* the model (on the stack while it is used) */
  lua_settop(L, t - 1);
  *pix = ix;
  *pc = c;
  return &m->m;
}

/* {====================================================== arguments */
/* The second index of a request (opts.with, at stack index i), checked
** (errors name the options, argument oi). */
static ad_ix *lad_rwith(lua_State *L, int i, int oi, ad_corpus **c) {
  lad_gen *g;
  if (luaL_testudata(L, i, LAD_INDEX) == NULL) luaL_argerror(L, oi, "with must be an Index");
  lua_getiuservalue(L, i, 1);
  g = (lad_gen *)lua_touserdata(L, -1);
  lua_pop(L, 1);                  /* (the index's user value keeps it alive) */
  if (g == NULL || !g->live) luaL_argerror(L, oi, "with: the index is closed");
  if (c != NULL) *c = lad_gencorpus(L, g);
  return LAD_GIX(g);
}

/* doc numbers of the array at stack index i (nil allowed when opt) */
static uint32_t *lad_rdocs(lua_State *L, int i, uint32_t nd, uint32_t *n, int opt) {
  lua_Integer len, k;
  uint32_t *d;
  *n = 0;
  if (opt && lua_isnoneornil(L, i)) return NULL;
  luaL_checktype(L, i, LUA_TTABLE);
  len = (lua_Integer)lua_rawlen(L, i);
  if (len > (lua_Integer)UINT32_MAX / 8) luaL_argerror(L, i, "too many documents");
  d = (uint32_t *)lua_newuserdatauv(L, (size_t)(len ? len : 1) * sizeof *d, 0);
  for (k = 1; k <= len; k++) {
    int isnum;
    lua_Integer v;
    lua_rawgeti(L, i, k);
    v = lua_tointegerx(L, -1, &isnum);
    lua_pop(L, 1);
    if (!isnum || v < 0 || (uint64_t)v >= nd)
      luaL_argerror(L, i, lua_pushfstring(L, "item %d is not a document number",
                                          (int)k));
    d[k - 1] = (uint32_t)v;
  }
  *n = (uint32_t)len;
  return d;
}

static lua_Integer lad_roptint(lua_State *L, int t, const char *k, lua_Integer dflt,
                               lua_Integer lo, lua_Integer hi) {
  lua_Integer v;
  int isnum;
  if (lua_getfield(L, t, k) == LUA_TNIL) { lua_pop(L, 1); return dflt; }
  v = lua_tointegerx(L, -1, &isnum);
  if (!isnum || v < lo || v > hi)
    luaL_argerror(L, t, lua_pushfstring(L, "%s must be an integer in [%I, %I]",
                                        k, lo, hi));
  lua_pop(L, 1);
  return v;
}

static double lad_roptnum(lua_State *L, int t, const char *k, double dflt,
                          double lo, double hi) {
  double v;
  int isnum;
  if (lua_getfield(L, t, k) == LUA_TNIL) { lua_pop(L, 1); return dflt; }
  v = (double)lua_tonumberx(L, -1, &isnum);
  if (!isnum || !(v >= lo && v <= hi))
    luaL_argerror(L, t, lua_pushfstring(L, "%s must be a number in [%f, %f]",
                                        k, lo, hi));
  lua_pop(L, 1);
  return v;
}

/* opts at stack index t (a table, or nil) into o and q */
static void lad_ropts(lua_State *L, int t, ad_ropts *o, ad_rreq *q) {
  static const char *const wk[AD_NFIELDS] = {"ti", "abs", "au", "co"};
  static const char *const schemes[] = {"bm25", "tfidf", NULL};
  int f;
  ad_ropts_default(o);
  q->limit = 10; q->offset = 0; q->npapers = 5; q->nterms = 8;
  q->text = NULL; q->textlen = 0;
  if (lua_isnoneornil(L, t)) return;
  luaL_checktype(L, t, LUA_TTABLE);
  q->limit = (uint32_t)lad_roptint(L, t, "limit", 10, 0, UINT32_MAX / 2);
  q->offset = (uint32_t)lad_roptint(L, t, "offset", 0, 0, UINT32_MAX / 2);
  q->npapers = (uint32_t)lad_roptint(L, t, "papers", 5, 0, 1000);
  q->nterms = (uint32_t)lad_roptint(L, t, "terms", 8, 0, 1000);
  if (lua_getfield(L, t, "text") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, t, "text must be a string");
    q->text = lua_tolstring(L, -1, &q->textlen);   /* opts keeps it alive */
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "weights") != LUA_TNIL) {
    int wt = lua_gettop(L);
    if (!lua_istable(L, wt)) luaL_argerror(L, t, "weights must be a table");
    lua_pushnil(L);
    while (lua_next(L, wt)) {
      int isnum;
      double v;
      const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
      for (f = 0; f < AD_NFIELDS; f++) if (key && strcmp(key, wk[f]) == 0) break;
      if (f == AD_NFIELDS && !(key && strcmp(key, "cat") == 0))
        luaL_argerror(L, t, "weights: unknown field (ti, abs, au, co or cat expected)");
      v = (double)lua_tonumberx(L, -1, &isnum);
      if (!isnum || !(v >= 0 && v <= 1e6))
        luaL_argerror(L, t, lua_pushfstring(L, "weights.%s must be a number >= 0", key));
      if (f == AD_NFIELDS) o->wcat = (float)v;
      else o->w[f] = (float)v;
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "scheme") != LUA_TNIL) {
    const char *sc = lua_tostring(L, -1);
    for (f = 0; schemes[f]; f++) if (sc && strcmp(sc, schemes[f]) == 0) break;
    if (schemes[f] == NULL) luaL_argerror(L, t, "scheme must be \"bm25\" or \"tfidf\"");
    o->scheme = f == 0 ? AD_RW_BM25 : AD_RW_TFIDF;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "bigrams") != LUA_TNIL) {
    if (lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "content") == 0) o->bigrams = 2;
    else o->bigrams = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  o->k1 = (float)lad_roptnum(L, t, "k1", o->k1, 0, 100);
  o->b = (float)lad_roptnum(L, t, "b", o->b, 0, 1);
  o->alpha = (float)lad_roptnum(L, t, "alpha", o->alpha, 0, 1);
  o->m = (uint32_t)lad_roptint(L, t, "m", o->m, 1, 64);
  o->background = (float)lad_roptnum(L, t, "background", o->background, 0, 100);
  o->local = (float)lad_roptnum(L, t, "local", o->local, 0, 1);
  o->nlocal = (uint32_t)lad_roptint(L, t, "nlocal", o->nlocal, 0, UINT32_MAX / 16);
  o->sample = (uint32_t)lad_roptint(L, t, "sample", o->sample, 0, UINT32_MAX / 2);
  o->exact = (uint32_t)lad_roptint(L, t, "exact", o->exact, 0, UINT32_MAX / 2);
  o->shortlist = (uint32_t)lad_roptint(L, t, "shortlist", o->shortlist, 1, UINT32_MAX / 16);
  o->nnear = (uint32_t)lad_roptint(L, t, "near", o->nnear, 1, 64);
}
/* }====================================================== */

/* core.recommend(idx, lib_docs, neg_docs, cand_docs [, opts]) */
static int lad_recommend(lua_State *L) {
  ad_corpus *c, *cc = NULL;
  ad_ix *ix = lad_checkix(L, 1, NULL), *cix = NULL;
  uint32_t nd = ix->m.ndocs, ncd = 0, i, k;
  ad_ropts o;
  ad_rreq q;
  ad_rmodel *m;
  lad_rres *res;
  int st, ot, src = 2;
  memset(&q, 0, sizeof q);
  lua_settop(L, 5);
  ot = lua_istable(L, 5);
  /* opts.with (6): a second index, whose doc d is nd + d here */
  if (ot) lua_getfield(L, 5, "with"); else lua_pushnil(L);
  if (!lua_isnil(L, 6)) {
    cix = lad_rwith(L, 6, 5, NULL);
    ncd = cix->m.ndocs;
  }
  ix = lad_checkix(L, 1, NULL);
  nd = ix->m.ndocs;
  if ((uint64_t)nd + ncd >= UINT32_MAX) luaL_argerror(L, 5, "too many documents");
  q.lib = lad_rdocs(L, 2, nd + ncd, &q.nlib, 0);
  q.neg = lad_rdocs(L, 3, nd + ncd, &q.nneg, 1);
  q.cand = lad_rdocs(L, 4, nd + ncd, &q.ncand, 1);
  lad_ropts(L, 5, &o, &q);
  {
    int any = 0;
    for (i = 0; i < AD_NFIELDS; i++) if (o.w[i] > 0) any = 1;
    if (!any) luaL_argerror(L, 5, "weights: at least one field must weigh more than 0");
  }
  res = (lad_rres *)lua_newuserdatauv(L, sizeof *res, 0);
  memset(res, 0, sizeof *res);
  luaL_setmetatable(L, LAD_RRES);
  m = lad_rmodel_get(L, 1, &o, &ix, &c, NULL, NULL, &src);   /* ix, c: read after */
  if (ix->m.ndocs != nd)                                   /* its allocations */
    return luaL_error(L, "recommend: the index was updated during the call");
  if (cix) {
    cix = lad_rwith(L, 6, 5, &cc);           /* (no Lua allocation from here) */
    if (cix->m.ndocs != ncd)
      return luaL_error(L, "recommend: the index was updated during the call");
    q.cix = cix; q.cc = cc;
  }
  res->a = ix->a;
  st = ad_recommend(ix, c, m, &o, &q, &res->r);
  if (st != AD_OK) return lad_rerror(L, res->r.badcand ? 6 : 1, res->r.badcand ? cc : c, st, res->r.badfile);
  lua_createtable(L, (int)res->r.nhits, 0);
  for (i = 0; i < res->r.nhits; i++) {
    const ad_rhit *h = &res->r.hits[i];
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, h->doc); lua_setfield(L, -2, "doc");
    lua_pushnumber(L, h->score); lua_setfield(L, -2, "score");
    lua_createtable(L, (int)h->npaper, 0);
    for (k = 0; k < h->npaper; k++) {
      const ad_rpaper *p = &res->r.papers[h->paper + k];
      lua_createtable(L, 0, 2);
      lua_pushinteger(L, p->doc); lua_setfield(L, -2, "doc");
      lua_pushnumber(L, p->score); lua_setfield(L, -2, "score");
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "papers");
    lua_createtable(L, (int)h->nterm, 0);
    for (k = 0; k < h->nterm; k++) {
      const ad_rterm *t = &res->r.terms[h->term + k];
      lua_createtable(L, 0, 2);
      lua_pushlstring(L, res->r.strs + t->off, t->len); lua_setfield(L, -2, "term");
      lua_pushnumber(L, t->weight); lua_setfield(L, -2, "weight");
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "terms");
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushinteger(L, res->r.nlib);
  lua_pushinteger(L, res->r.scored);
  lua_pushstring(L, src == 0 ? "cached" : src == 1 ? "kept" : "built");
  ad_rresult_free(&res->a, &res->r);
  return 4;
}

/* core._rmodel_dump(idx [, opts]) -> the bytes of idx's model for opts
** (built now unless the cache has it) */
static int lad_rmodel_dump(lua_State *L) {
  ad_corpus *c;
  ad_ix *ix;
  ad_ropts o;
  ad_rreq q;
  ad_rmodel *m;
  lad_rmodel *lm;
  lad_rsig sig;
  luaL_Buffer B;
  size_t len;
  char *out;
  int st;
  lad_checkix(L, 1, NULL);
  lua_settop(L, 2);
  lad_ropts(L, 2, &o, &q);
  m = lad_rmodel_get(L, 1, &o, &ix, &c, NULL, NULL, NULL);
  lm = (lad_rmodel *)lua_touserdata(L, -1);
  len = ad_rmodel_dumplen(m);
  out = luaL_buffinitsize(L, &B, len);
  ix = lad_checkix(L, 1, NULL);            /* after the buffer's allocation */
  lad_rsig_of(ix, &sig);
  if (!lm->live || !lad_rsig_eq(&lm->sig, &sig) || !ad_rmodel_fits(m, ix, &o))
    return luaL_error(L, "save_model: the index was updated during the call");
  st = ad_rmodel_dump(m, ix, out);
  if (st != AD_OK) return lad_error(L, st, "save_model");
  luaL_pushresultsize(&B, len);
  return 1;
}

/* What lad_rsb_find looks for in a sandbox's cache, and finds. */
typedef struct lad_rsbq {
  const lad_gen *g;            /* the host generation */
  const ad_ix *ix;
  lad_rsig sig;
  ad_ropts o;
  const lad_rmodel *found;
} lad_rsbq;

/* Runs in sandbox state S (protected, lightuserdata q): the model in S's
** cache {Index handle = {model, ...}} that a view of q->g built for the
** options q->o, of q->g's current contents. Plain C: no script code runs. */
static int lad_rsb_find(lua_State *S) {
  lad_rsbq *q = (lad_rsbq *)lua_touserdata(S, 1);
  if (lua_rawgetp(S, LUA_REGISTRYINDEX, &lad_rcache_key) != LUA_TTABLE) return 0;
  lua_pushnil(S);
  while (q->found == NULL && lua_next(S, -2)) {
    const lad_gen *sg = NULL;
    if (luaL_testudata(S, -2, LAD_INDEX) && lua_istable(S, -1)) {
      lua_getiuservalue(S, -2, 1);
      sg = (const lad_gen *)luaL_testudata(S, -1, LAD_GEN);
      lua_pop(S, 1);
    }
    if (sg != NULL && sg->live && sg->host == q->g) {
      int k, n = (int)lua_rawlen(S, -1);
      for (k = 1; k <= n && q->found == NULL; k++) {
        const lad_rmodel *m;
        lua_rawgeti(S, -1, k);
        m = (const lad_rmodel *)luaL_testudata(S, -1, LAD_RMODEL);
        if (m && m->live && m->built && lad_rsig_eq(&m->sig, &q->sig) &&
            ad_rmodel_fits(&m->m, q->ix, &q->o))
          q->found = m;
        lua_pop(S, 1);
      }
    }
    lua_pop(S, 1);                          /* the value; the key stays */
  }
  return 0;
}

/* the model of q's search in sandbox 1's cache for host index 2, or NULL
** (no allocation in L: raises only when an argument is wrong) */
static const lad_rmodel *lad_rsb_lookup(lua_State *L, lad_rsbq *q) {
  lua_State *S = lad_sbstate(L, 1);
  lad_gen *g = lad_checkindex(L, 2, 0);
  int top = lua_gettop(S);
  memset(q, 0, sizeof *q);
  ad_ropts_default(&q->o);
  q->g = g;
  q->ix = LAD_GIX(g);
  lad_rsig_of(q->ix, &q->sig);
  if (lua_checkstack(S, 8)) {
    lua_pushcfunction(S, lad_rsb_find);
    lua_pushlightuserdata(S, q);
    if (lua_pcall(S, 1, 0, 0) != LUA_OK) q->found = NULL;
  }
  lua_settop(S, top);
  return q->found;
}

/* core._rmodel_sandboxed(sb, idx) -> the bytes of the model of the
** default options that a recommendation run in sandbox sb built for host
** index idx, or nil when it built none. The model is found in sb's own
** cache (its state's registry, which no script reaches: a script can
** neither make nor change a model, only ask the core to build one), and
** checked here as the host's own would be: built (not read from a file),
** live, of idx's current contents, of the default options. So what the
** host writes is what idx:save_model would write, without building the
** model twice. */
static int lad_rmodel_sandboxed(lua_State *L) {
  lad_rsbq q;
  const lad_rmodel *m = lad_rsb_lookup(L, &q);
  luaL_Buffer B;
  size_t len;
  char *out;
  int st;
  if (m == NULL) { lua_pushnil(L); return 1; }
  len = ad_rmodel_dumplen(&m->m);
  out = luaL_buffinitsize(L, &B, len);
  /* a finalizer run by that allocation may have closed the sandbox (the
  ** model was in its state), run it, or updated idx: look again (nothing
  ** allocated in L from here to the dump) */
  if (lad_rsb_lookup(L, &q) != m || ad_rmodel_dumplen(&m->m) != len)
    return luaL_error(L, "save_model: the sandbox or the index changed during the call");
  st = ad_rmodel_dump(&m->m, q.ix, out);
  if (st != AD_OK) return lad_error(L, st, "save_model");
  luaL_pushresultsize(&B, len);
  return 1;
}

/* core._rmodel_load(idx, path [, opts]) -> true | false, "path: reason":
** the saved model becomes idx's model for opts when it was made from an
** index with idx's contents and with these options */
static int lad_rmodel_load(lua_State *L) {
  static const char *const reasons[] = {
    "ok", "not a saved model of this version",
    "corrupted (its checks failed)", "made from an index with other contents",
    "made with other options"
  };
  ad_corpus *c;
  ad_ix *ix;
  ad_ropts o;
  ad_rreq q;
  const char *path;
  int why = AD_RLOAD_FORMAT;
  lad_checkix(L, 1, NULL);
  path = luaL_checkstring(L, 2);
  lua_settop(L, 3);
  lad_ropts(L, 3, &o, &q);
  if (lad_rmodel_get(L, 1, &o, &ix, &c, path, &why, NULL) != NULL) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushboolean(L, 0);
  if (why < 0) lua_pushfstring(L, "%s: %s", path, ad_strerror(-why));
  else lua_pushfstring(L, "%s: %s", path,
                       why > 0 && why <= AD_RLOAD_OPTIONS ? reasons[why] : "refused");
  return 2;
}

/* core.index_lookup(idx, "title" | "doi", value) -> doc, n | nil */
static int lad_index_lookup(lua_State *L) {
  static const char *const kinds[] = {"title", "doi", NULL};
  ad_corpus *c;
  ad_ix *ix = lad_checkix(L, 1, NULL);
  int kind = luaL_checkoption(L, 2, NULL, kinds);
  size_t n;
  const char *s = luaL_checklstring(L, 3, &n);
  uint32_t badfile = UINT32_MAX;
  int st;
  lua_settop(L, 3);
  if (kind == 0) {
    ix = lad_checkix(L, 1, &c);        /* after the conversions (a finalizer
                                          may have closed the index) */
    uint32_t out[1], nfound;
    st = ad_find_title(ix, c, s, n, out, 1, &nfound, &badfile);
    if (st != AD_OK) return lad_rerror(L, 1, c, st, badfile);
    if (nfound == 0) { lua_pushnil(L); return 1; }
    lua_pushinteger(L, out[0]);
    lua_pushinteger(L, nfound);
    return 2;
  } else {
    lad_rsig sig;
    lad_rdoi *t;
    int64_t d;
    lad_rdoi *nt;
    lad_rcache(L, 1);
    nt = (lad_rdoi *)lua_newuserdatauv(L, sizeof *nt, 0);   /* if needed */
    memset(nt, 0, sizeof *nt);
    luaL_setmetatable(L, LAD_RDOI);
    lua_getfield(L, -2, "doi");                 /* (raw data: no allocation) */
    ix = lad_checkix(L, 1, &c);                 /* no Lua allocation below */
    lad_rsig_of(ix, &sig);
    t = (lad_rdoi *)lua_touserdata(L, -1);
    if (t == NULL || !t->live || !lad_rsig_eq(&t->sig, &sig)) {
      lua_pop(L, 1);
      t = nt;
      st = ad_rdoi_build(&t->t, ix, c, &badfile);
      if (st != AD_OK) return lad_rerror(L, 1, c, st, badfile);
      t->live = 1;
      t->sig = sig;
      lua_pushvalue(L, -1);
      lua_setfield(L, -3, "doi");
    }
    d = ad_rdoi_find(&t->t, s, n);
    if (d < 0) lua_pushnil(L); else lua_pushinteger(L, (lua_Integer)d);
    return 1;
  }
}

/* {====================================================== helpers of
** arxivdigest.recommend and arxivdigest.library (private: core._r*) */

/* core._risindex(x) -> true when x is an Index (open or closed) */
static int lad_risindex(lua_State *L) {
  lua_pushboolean(L, luaL_testudata(L, 1, LAD_INDEX) != NULL);
  return 1;
}

/* core._rfind(idx, id) -> doc | nil (any form of an arXiv id) */
static int lad_rfind(lua_State *L) {
  lad_gen *g;
  size_t n;
  const char *s;
  uint32_t off, len;
  uint16_t ver;
  int err = 0;
  int64_t d;
  lad_checkindex(L, 1, 0);
  s = luaL_checklstring(L, 2, &n);
  lua_settop(L, 2);
  g = lad_checkindex(L, 1, 1);                     /* 3 */
  if (!ad_parse_id(s, n, &off, &len, &ver)) { lua_pushnil(L); return 1; }
  d = ad_ix_find_id(LAD_GIX(g), s + off, len, &err);
  if (err) return lad_generror(L, 3, err);
  if (d < 0) lua_pushnil(L); else lua_pushinteger(L, (lua_Integer)d);
  return 1;
}

static uint32_t lad_rcheckdoc(lua_State *L, lad_gen *g, int i) {
  lua_Integer d = luaL_checkinteger(L, i);
  luaL_argcheck(L, d >= 0 && (uint64_t)d < LAD_GIX(g)->m.ndocs, i,
                "document number out of range");
  return (uint32_t)d;
}

/* core._rpaper(idx, doc) -> the MergedPaper of doc */
static int lad_rpaper(lua_State *L) {
  lad_gen *g;
  uint32_t d;
  lad_checkindex(L, 1, 0);
  lua_settop(L, 2);
  g = lad_checkindex(L, 1, 1);                     /* 3 */
  d = lad_rcheckdoc(L, g, 2);
  lad_pushmpaper(L, 3, d);
  return 1;
}

/* core._rdoc(idx, paper) -> doc of a MergedPaper of this index, or nil
** when it is a paper of another index (raises when it is no paper) */
static int lad_rdoc(lua_State *L) {
  lad_gen *g = lad_checkindex(L, 1, 0), *pg;
  uint32_t doc;
  pg = lad_tompaper(L, 2, &doc, 0);
  if (pg != g) lua_pushnil(L); else lua_pushinteger(L, doc);
  return 1;
}

/* core._rgen(idx) -> the current generation of an Index (its identity
** changes with every update: what a resolved library remembers) */
static int lad_rgen(lua_State *L) {
  lad_checkindex(L, 1, 1);
  return 1;
}

/* core._rindexof(paper) -> an Index over the generation of a MergedPaper
** (its papers are that paper's index's) */
static int lad_rindexof(lua_State *L) {
  uint32_t doc;
  lad_tompaper(L, 1, &doc, 1);
  lad_newindex(L, -1);
  return 1;
}

typedef struct lad_rcoll { uint32_t *d; uint32_t n, cap; } lad_rcoll;

static int lad_rcoll_cb(void *ud, uint32_t doc) {
  lad_rcoll *c = (lad_rcoll *)ud;
  if (c->n == c->cap) return 1;          /* the index changed: more docs */
  c->d[c->n++] = doc;
  return 0;
}

/* core._rcands(idx, query) -> {doc, ...} the papers the query matches
** (doc order: newest first)
** core._rcands(idx, nil, ndays) -> {doc, ...}, days, from, to: the papers
** of the newest ndays digest days (days: how many there were) */
static int lad_rcands(lua_State *L) {
  lad_gen *g;
  ad_ix *ix;
  uint32_t i, nd;
  lad_checkindex(L, 1, 0);
  if (!lua_isnoneornil(L, 2)) {
    uint32_t nn, total;
    const ad_xnode *q;
    lad_rcoll c;
    int st;
    lua_settop(L, 2);
    q = lad_checkquery(L, 2, &nn, 0, "recommend");   /* 3 */
    g = lad_checkindex(L, 1, 1);                      /* 4 */
    st = ad_count(LAD_GIX(g), q, nn, &total);
    if (st != AD_OK) return lad_generror(L, 4, st);
    /* the buffer and the table first (Lua allocations: a finalizer may
    ** close or update the index), then the index's data again */
    c.d = (uint32_t *)lua_newuserdatauv(L, (size_t)(total ? total : 1) * 4, 0);   /* 5 */
    c.n = 0; c.cap = total;
    lua_createtable(L, (int)(total < 1u << 26 ? total : 1u << 26), 0);         /* 6 */
    g = lad_checkindex(L, 1, 1);                      /* 7 */
    st = ad_each(LAD_GIX(g), q, nn, lad_rcoll_cb, &c);
    if (st != AD_OK) return lad_generror(L, 7, st);
    lua_pop(L, 1);
    for (i = 0; i < c.n; i++) {
      lua_pushinteger(L, c.d[i]);
      lua_rawseti(L, 6, (lua_Integer)i + 1);
    }
    return 1;
  } else {
    lua_Integer want = luaL_optinteger(L, 3, 1);
    uint32_t seen = 0, days = 0, last = 0, newest = 0, n = 0;
    luaL_argcheck(L, want >= 1, 3, "days must be >= 1");
    lua_settop(L, 3);
    g = lad_checkindex(L, 1, 1);                      /* 4 */
    ix = LAD_GIX(g);
    nd = ix->m.ndocs;
    /* docs are numbered newest first: the newest days are docs 0..n-1
    ** (counted before any Lua allocation: a finalizer may close ix) */
    for (i = 0; i < nd; i++) {
      const ad_ixdoc *d = ad_ix_doc(ix, i);
      if (d == NULL) return lad_generror(L, 4, AD_ECORRUPT);
      if (i == 0) newest = d->date;
      if (days == 0 || d->date != seen) {
        if ((lua_Integer)days == want) break;
        days++;
        seen = d->date;
      }
      last = d->date;
      n++;
    }
    lua_createtable(L, (int)(n < 1u << 26 ? n : 1u << 26), 0);   /* 5 */
    for (i = 0; i < n; i++) {
      lua_pushinteger(L, i);
      lua_rawseti(L, 5, (lua_Integer)i + 1);
    }
    lua_pushinteger(L, days);
    lad_pushdate(L, last);
    lad_pushdate(L, newest);
    return 4;
  }
}

/* idx:recommend(library [, opts]), idx:save_model(path [, opts]),
** idx:load_model(path [, opts]): the functions of the same name of
** arxivdigest.recommend, which resolves the library and the
** options and runs core.recommend (methods of the Index, owned by its
** method table) */
static int lad_index_rcall(lua_State *L, const char *name) {
  int n = lua_gettop(L);
  lad_checkindex(L, 1, 0);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "arxivdigest.recommend");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, name);
  lua_insert(L, 1);
  lua_pop(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}
static int lad_index_recommend(lua_State *L) { return lad_index_rcall(L, "recommend"); }
static int lad_index_save_model(lua_State *L) { return lad_index_rcall(L, "save_model"); }
static int lad_index_load_model(lua_State *L) { return lad_index_rcall(L, "load_model"); }
/* }====================================================== */

void lad_recommend_open(lua_State *L) {
  luaL_newmetatable(L, LAD_RMODEL);
  lua_pushcfunction(L, lad_rmodel_gc); lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  luaL_newmetatable(L, LAD_RDOI);
  lua_pushcfunction(L, lad_rdoi_gc); lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  luaL_newmetatable(L, LAD_RRES);
  lua_pushcfunction(L, lad_rres_gc); lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_pushcfunction(L, lad_recommend); lua_setfield(L, -2, "recommend");
  lua_pushcfunction(L, lad_index_lookup); lua_setfield(L, -2, "index_lookup");
  lua_pushcfunction(L, lad_risindex); lua_setfield(L, -2, "_risindex");
  lua_pushcfunction(L, lad_rfind); lua_setfield(L, -2, "_rfind");
  lua_pushcfunction(L, lad_rpaper); lua_setfield(L, -2, "_rpaper");
  lua_pushcfunction(L, lad_rdoc); lua_setfield(L, -2, "_rdoc");
  lua_pushcfunction(L, lad_rindexof); lua_setfield(L, -2, "_rindexof");
  lua_pushcfunction(L, lad_rgen); lua_setfield(L, -2, "_rgen");
  lua_pushcfunction(L, lad_rcands); lua_setfield(L, -2, "_rcands");
  lua_pushcfunction(L, lad_rmodel_dump); lua_setfield(L, -2, "_rmodel_dump");
  lua_pushcfunction(L, lad_rmodel_load); lua_setfield(L, -2, "_rmodel_load");
  lua_pushcfunction(L, lad_rmodel_sandboxed); lua_setfield(L, -2, "_rmodel_sandboxed");
  /* idx:recommend joins the Index's methods (lad_index_open ran first) */
  luaL_getmetatable(L, LAD_INDEX);
  lua_getfield(L, -1, "__index");
  {
    static const luaL_Reg methods[] = {
      {"recommend", lad_index_recommend}, {"save_model", lad_index_save_model},
      {"load_model", lad_index_load_model}, {NULL, NULL}
    };
    lad_setmethods(L, methods);
  }
  lua_pop(L, 2);
}
