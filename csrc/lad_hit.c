/*
** lad_hit.c: Hit objects, the results of idx:search and idx:similar:
** plain tables {score =, paper =} (a caller may read, copy and sort them)
** with the Hit metatable; what a hit needs besides (its query's terms, for
** snippets) stays on the C side: a weak-keyed registry table maps each
** hit to a userdata nothing else can reach.
*/
#include <string.h>
#include "lad.h"

/* {====================================================== hits */
static const char lad_hitterms_key = 0;   /* weak table: hit -> terms */

/* Pushes an array of hits[first..nout) as Hit tables of the generation at
** gi; the terms userdata at ti (0: none) is attached to each. */
void lad_pushhits(lua_State *L, int gi, const ad_hit *hits, uint32_t first,
                  uint32_t nout, int ti) {
  uint32_t i;
  int out, weak;
  gi = lua_absindex(L, gi);
  if (ti) ti = lua_absindex(L, ti);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lad_hitterms_key);
  weak = lua_gettop(L);
  lua_createtable(L, first < nout ? (int)(nout - first) : 0, 0);
  out = lua_gettop(L);
  for (i = first; i < nout; i++) {
    lua_createtable(L, 0, 2);
    lua_pushnumber(L, hits[i].score);
    lua_setfield(L, -2, "score");
    lad_pushmpaper(L, gi, hits[i].doc);
    lua_setfield(L, -2, "paper");
    luaL_setmetatable(L, LAD_HIT);
    if (ti) {
      lua_pushvalue(L, -1);
      lua_pushvalue(L, ti);
      lua_rawset(L, weak);
    }
    lua_rawseti(L, out, (lua_Integer)(i - first) + 1);
  }
  lua_remove(L, weak);
}

/* raises unless the value at i is a Hit (a table with the Hit metatable) */
static void lad_checkhit(lua_State *L, int i) {
  int ok = lua_type(L, i) == LUA_TTABLE && lua_getmetatable(L, i);
  if (ok) {
    luaL_getmetatable(L, LAD_HIT);
    ok = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  if (!ok) luaL_typeerror(L, i, "hit");
}

/* hit:snippet([opts]) -> the best passage of the abstract (else the
** title) with the query's terms marked. opts: open ("«"), close ("»"),
** width (30 words). */
static int lad_hit_snippet(lua_State *L) {
  size_t n, lo = 2, lc = 2;
  const char *open = "\xc2\xab", *close = "\xc2\xbb", *text;
  lua_Integer width = 30;
  uint32_t doc;
  lad_checkhit(L, 1);
  if (lad_opttable(L, 2)) {
    /* open and close: strings (a number is not a mark); width: words, an
    ** integral number >= 1 */
    if (lua_getfield(L, 2, "open") != LUA_TNIL) {
      if (lua_type(L, -1) != LUA_TSTRING)
        luaL_argerror(L, 2, lua_pushfstring(L, "open must be a string, got %s", luaL_typename(L, -1)));
      open = lua_tolstring(L, -1, &lo);
    }
    if (lua_getfield(L, 2, "close") != LUA_TNIL) {
      if (lua_type(L, -1) != LUA_TSTRING)
        luaL_argerror(L, 2, lua_pushfstring(L, "close must be a string, got %s", luaL_typename(L, -1)));
      close = lua_tolstring(L, -1, &lc);
    }
    if (lua_getfield(L, 2, "width") != LUA_TNIL) {
      int isint = 0;
      if (lua_type(L, -1) == LUA_TNUMBER) width = lua_tointegerx(L, -1, &isint);
      if (!isint || width < 1)
        luaL_argerror(L, 2, lua_pushfstring(L, "width must be an integer >= 1 (words), got %s",
                      lua_type(L, -1) == LUA_TNUMBER ? luaL_tolstring(L, -1, NULL)
                                                     : luaL_typename(L, -1)));
    }
  }
  lua_settop(L, 2);
  lua_pushliteral(L, "paper");
  lua_rawget(L, 1);                                /* 3 */
  if (!luaL_testudata(L, 3, LAD_MPAPER))
    return luaL_argerror(L, 1, "hit without its paper");
  (void)lad_tompaper(L, 3, &doc, 0);
  if (lua_getfield(L, 3, "abstract") == LUA_TNIL) {  /* 4 */
    lua_pop(L, 1);
    lua_getfield(L, 3, "title");
  }
  text = lua_tolstring(L, 4, &n);
  if (text == NULL) { text = ""; n = 0; }
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lad_hitterms_key);
  lua_pushvalue(L, 1);
  lua_rawget(L, -2);                               /* 6: terms or nil */
  if (lua_isnil(L, 6)) {
    lua_pop(L, 1);
    lad_pushsnipterms(L, NULL, 0);
  }
  lua_pushlstring(L, open, lo);                    /* anchored copies */
  lua_pushlstring(L, close, lc);
  lad_snippet_with(L, text, n, 6, lua_tostring(L, -2), lo, lua_tostring(L, -1),
                   lc, width);
  return 1;
}

static int lad_hit_tostring(lua_State *L) {
  lad_checkhit(L, 1);
  lua_pushliteral(L, "paper");
  lua_rawget(L, 1);
  lua_pushliteral(L, "score");
  lua_rawget(L, 1);
  lua_pushfstring(L, "Hit (%s, %s)", luaL_tolstring(L, 2, NULL),
                  luaL_tolstring(L, 3, NULL));
  return 1;
}

static const luaL_Reg lad_hit_methods[] = {
  {"snippet", lad_hit_snippet},
  {NULL, NULL}
};

void lad_hit_open(lua_State *L) {
  luaL_newmetatable(L, LAD_HIT);
  lad_newmethods(L, lad_hit_methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lad_hit_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  lua_newtable(L);                                 /* hit -> its terms */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &lad_hitterms_key);
}
/* }====================================================== */
