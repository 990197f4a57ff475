/*
** lad_terms.c: core.term_counter(), the word counter of the html format's
** top terms (ad_terms.c), as a userdata with __gc:
**   tc:add(title, abstract)   one paper (strings; its display text)
**   tc:counts([min])          words, df, tf: three arrays, the words
**                             held by at least min papers (default 1) in
**                             order of first sight
*/
#include "lad.h"
#include "ad_terms.h"

#define LAD_TCOUNT "arxivdigest.TermCounter"

static ad_tcount *lad_checktc(lua_State *L) {
  return (ad_tcount *)luaL_checkudata(L, 1, LAD_TCOUNT);
}

static int lad_tc_gc(lua_State *L) {
  ad_tcount_free(lad_checktc(L));
  return 0;
}

static int lad_tc_add(lua_State *L) {
  ad_tcount *tc = lad_checktc(L);
  size_t tn, an;
  const char *t = luaL_checklstring(L, 2, &tn);
  const char *a = luaL_checklstring(L, 3, &an);
  if (ad_tcount_add(tc, t, tn, a, an) != AD_OK) return lad_error(L, AD_ENOMEM, "term_counter");
  return 0;
}

static int lad_tc_counts(lua_State *L) {
  ad_tcount *tc = lad_checktc(L);
  lua_Integer min = luaL_optinteger(L, 2, 1);
  uint32_t i, n = 0;
  lua_Integer k = 0;
  for (i = 0; i < tc->nent; i++)
    if ((lua_Integer)tc->ent[i].df >= min) n++;
  n = n < (1u << 26) ? n : (1u << 26);
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, (int)n, 0);
  /* (a GC step of any push may run a finalizer calling tc's __gc, which
  ** frees the entries: each is read before its pushes, nent again) */
  for (i = 0; i < tc->nent; i++) {
    const ad_tcent *e = &tc->ent[i];
    uint32_t df = e->df, tf = e->tf;
    if ((lua_Integer)df < min) continue;
    k++;
    lua_pushlstring(L, tc->keys + e->off, e->len);
    lua_rawseti(L, -4, k);
    lua_pushinteger(L, df);
    lua_rawseti(L, -3, k);
    lua_pushinteger(L, tf);
    lua_rawseti(L, -2, k);
  }
  return 3;
}

/* core.term_counter() -> a new counter */
static int lad_term_counter(lua_State *L) {
  ad_tcount *tc = (ad_tcount *)lua_newuserdatauv(L, sizeof *tc, 0);
  ad_alloc a;
  lad_alloc(L, &a);
  ad_tcount_init(tc, &a);
  luaL_setmetatable(L, LAD_TCOUNT);
  return 1;
}

void lad_terms_open(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"add", lad_tc_add},
    {"counts", lad_tc_counts},
    {NULL, NULL}
  };
  luaL_newmetatable(L, LAD_TCOUNT);
  lua_pushcfunction(L, lad_tc_gc); lua_setfield(L, -2, "__gc");
  lad_newmethods(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, lad_term_counter); lua_setfield(L, -2, "term_counter");
}
