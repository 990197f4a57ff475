/*
** lad_mpaper.c: the MergedPaper type: one entry of an index (one arXiv
** paper, merged over its appearances in the digests). A tiny userdata (the
** doc number) whose user value 1 is the index generation it belongs to
** (lad.h): it raises "paper of a closed index" after idx:close() and a
** "stale paper" error after idx:update(), never answering for another
** paper. Fields are read when asked: the entry's columns for id,
** version, dates; the best record's fields (decoded) for the text; every
** appearance for categories, appearances and history.
*/
#include <string.h>
#include "lad.h"

/* {====================================================== access */
void lad_pushmpaper(lua_State *L, int gi, uint32_t doc) {
  uint32_t *p;
  gi = lua_absindex(L, gi);
  p = (uint32_t *)lua_newuserdatauv(L, sizeof *p, 1);
  *p = doc;
  lua_pushvalue(L, gi);
  lua_setiuservalue(L, -2, 1);
  luaL_setmetatable(L, LAD_MPAPER);
}

lad_gen *lad_tompaper(lua_State *L, int i, uint32_t *doc, int push) {
  uint32_t *p = (uint32_t *)luaL_checkudata(L, i, LAD_MPAPER);
  lad_gen *g;
  lua_getiuservalue(L, i, 1);
  g = (lad_gen *)luaL_testudata(L, -1, LAD_GEN);
  if (g != NULL && g->stale)
    luaL_error(L, "stale paper: its index was updated since it was taken "
               "(get it from the index again)");
  if (g == NULL || !g->live || *p >= LAD_GIX(g)->m.ndocs)
    luaL_error(L, "paper of a closed index");
  if (!push) lua_pop(L, 1);   /* (the paper's user value keeps it alive) */
  *doc = *p;
  return g;
}

/* push field `name` of record rec of generation g at gi (validated first),
** 1 if it is a field */
static int lad_recfield(lua_State *L, int gi, lad_gen *g, uint32_t rec,
                        const char *name) {
  lad_genrec(L, gi, g, rec);
  return lad_push_record_field(L, lad_gencorpus(L, g), rec, name);
}

/* appearance k of d (k = 0: the best record), checked */
static uint32_t lad_app(lua_State *L, int gi, lad_gen *g, const ad_ixdoc *d,
                        uint32_t k) {
  uint32_t r = k == 0 ? d->best : ad_ix_app(LAD_GIX(g), d, k - 1);
  if (r == UINT32_MAX) lad_generror(L, gi, AD_ECORRUPT);
  return r;
}
/* }====================================================== */

/* {====================================================== merged fields */
/* categories united over the appearances, best record's first */
static void lad_mp_categories(lua_State *L, int gi, lad_gen *g, const ad_ixdoc *d) {
  uint32_t k, n = 0;
  int out, seen;
  lua_newtable(L); out = lua_gettop(L);
  lua_newtable(L); seen = lua_gettop(L);
  for (k = 0; k <= d->napp; k++) {
    uint32_t r = lad_app(L, gi, g, d, k);
    lua_Integer i, len;
    lad_recfield(L, gi, g, r, "categories");
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

static void lad_mp_appearances(lua_State *L, int gi, lad_gen *g, const ad_ixdoc *d) {
  static const char *const f[] = {"source", "line", "date", "format", "version"};
  uint32_t k;
  int j;
  lua_createtable(L, (int)d->napp, 0);
  for (k = 1; k <= d->napp; k++) {
    uint32_t r = lad_app(L, gi, g, d, k);
    lua_createtable(L, 0, 5);
    for (j = 0; j < 5; j++) {
      lad_recfield(L, gi, g, r, f[j]);
      lua_setfield(L, -2, f[j]);
    }
    lua_rawseti(L, -2, k);
  }
}

/* history: events after the first appearance: a new version (v2 or
** later, higher than any seen before), a DOI or a journal reference seen
** for the first time */
static void lad_mp_history(lua_State *L, int gi, lad_gen *g, const ad_ixdoc *d) {
  uint32_t k, n = 0;
  lua_Integer maxv = 0;
  int hasdoi = 0, hasjr = 0;
  lua_createtable(L, 0, 0);
  for (k = 1; k <= d->napp; k++) {
    uint32_t r = lad_app(L, gi, g, d, k);
    lua_Integer v;
    int doi, jr;
    lad_recfield(L, gi, g, r, "version");
    v = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
    lad_recfield(L, gi, g, r, "doi");
    doi = !lua_isnil(L, -1);
    lad_recfield(L, gi, g, r, "journal");
    jr = !lua_isnil(L, -1);
    if (k > 1) {
      const char *ev[3] = {NULL, NULL, NULL};
      int e;
      if (v > maxv && v >= 2) ev[0] = "version";
      if (doi && !hasdoi) ev[1] = "doi";
      if (jr && !hasjr) ev[2] = "journal";
      for (e = 0; e < 3; e++) {
        if (!ev[e]) continue;
        lua_createtable(L, 0, 5);
        lua_pushstring(L, ev[e]); lua_setfield(L, -2, "event");
        lad_recfield(L, gi, g, r, "date"); lua_setfield(L, -2, "date");
        lad_recfield(L, gi, g, r, "source"); lua_setfield(L, -2, "source");
        lad_recfield(L, gi, g, r, "line"); lua_setfield(L, -2, "line");
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
static void lad_mp_latest(lua_State *L, int gi, lad_gen *g, const ad_ixdoc *d,
                          const char *name) {
  uint32_t k;
  lad_recfield(L, gi, g, d->best, name);
  if (!lua_isnil(L, -1)) return;
  lua_pop(L, 1);
  for (k = d->napp; k >= 1; k--) {
    lad_recfield(L, gi, g, lad_app(L, gi, g, d, k), name);
    if (!lua_isnil(L, -1)) return;
    lua_pop(L, 1);
  }
  lua_pushnil(L);
}

/* push merged field `name` of doc of generation g at gi; returns 0 if it
** is not a field */
static int lad_mp_field(lua_State *L, int gi, lad_gen *g, uint32_t doc,
                        const char *name) {
  const ad_ixdoc *d = ad_ix_doc(LAD_GIX(g), doc);
  if (d == NULL) return lad_generror(L, gi, AD_ECORRUPT);
  if (!strcmp(name, "id")) {
    const char *id = ad_ix_docid(LAD_GIX(g), d);
    if (id == NULL) return lad_generror(L, gi, AD_ECORRUPT);
    lua_pushlstring(L, id, d->idlen);
  } else if (!strcmp(name, "version")) {
    if (d->version) lua_pushinteger(L, d->version); else lua_pushnil(L);
  } else if (!strcmp(name, "date")) lad_pushdate(L, d->date);
  else if (!strcmp(name, "first_seen")) lad_pushdate(L, d->first);
  else if (!strcmp(name, "last_seen")) lad_pushdate(L, d->last);
  else if (!strcmp(name, "categories")) lad_mp_categories(L, gi, g, d);
  else if (!strcmp(name, "appearances")) lad_mp_appearances(L, gi, g, d);
  else if (!strcmp(name, "history")) lad_mp_history(L, gi, g, d);
  else if (!strcmp(name, "doi") || !strcmp(name, "journal")) lad_mp_latest(L, gi, g, d, name);
  else return lad_recfield(L, gi, g, d->best, name);
  return 1;
}
/* }====================================================== */

/* {====================================================== metamethods */
static int lad_mp_index(lua_State *L) {
  uint32_t doc;
  lad_gen *g = lad_tompaper(L, 1, &doc, 1);      /* 3: the generation */
  const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
  if (k == NULL) return 0;
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;  /* method */
  lua_pop(L, 1);
  if (!lad_mp_field(L, 3, g, doc, k)) lua_pushnil(L);
  return 1;
}

static int lad_mp_totable(lua_State *L) {
  uint32_t doc;
  lad_gen *g = lad_tompaper(L, 1, &doc, 1);      /* 2 */
  int i;
  lua_createtable(L, 0, 26);
  for (i = 0; lad_fieldnames[i]; i++)
    if (lad_mp_field(L, 2, g, doc, lad_fieldnames[i]))
      lua_setfield(L, -2, lad_fieldnames[i]);
  for (i = 0; lad_mergedfields[i]; i++)
    if (lad_mp_field(L, 2, g, doc, lad_mergedfields[i]))
      lua_setfield(L, -2, lad_mergedfields[i]);
  return 1;
}

static int lad_mp_tostring(lua_State *L) {
  uint32_t doc;
  lad_gen *g = lad_tompaper(L, 1, &doc, 1);      /* 2 */
  lad_mp_field(L, 2, g, doc, "id");
  lua_pushfstring(L, "MergedPaper (%s)", lua_tostring(L, -1));
  return 1;
}

static int lad_mp_eq(lua_State *L) { return lad_paper_eq_by(L, LAD_MPAPER); }

/* paper:_doc() -> doc number (for the Lua layer) */
static int lad_mp_doc(lua_State *L) {
  uint32_t doc;
  (void)lad_tompaper(L, 1, &doc, 0);
  lua_pushinteger(L, doc);
  return 1;
}

/* paper:record([k]) -> the k-th appearance (default: the best) as a
** Paper of the collection, for an index built from a collection */
static int lad_mp_record(lua_State *L) {
  uint32_t doc, r;
  lad_gen *g;
  const ad_ixdoc *d;
  int gi;
  lua_settop(L, 2);
  g = lad_tompaper(L, 1, &doc, 1);               /* 3 */
  gi = 3;
  d = ad_ix_doc(LAD_GIX(g), doc);
  if (d == NULL) return lad_generror(L, gi, AD_ECORRUPT);
  if (g->loaded) return luaL_error(L, "record() needs an index built from a collection");
  if (lua_isnil(L, 2)) r = d->best;
  else {
    lua_Integer k = luaL_checkinteger(L, 2);
    luaL_argcheck(L, k >= 1 && (uint64_t)k <= d->napp, 2, "no such appearance");
    r = lad_app(L, gi, g, d, (uint32_t)k);
  }
  lua_getiuservalue(L, gi, 1);                   /* 4: the collection */
  lad_checkcoll(L, 4);
  lad_pushpaper(L, 4, r);
  return 1;
}

static const luaL_Reg lad_mp_meta[] = {
  {"__tostring", lad_mp_tostring},
  {"__eq", lad_mp_eq},
  {NULL, NULL}
};

static const luaL_Reg lad_mp_methods[] = {
  {"totable", lad_mp_totable},
  {"to_table", lad_mp_totable},
  {"record", lad_mp_record},
  {"_doc", lad_mp_doc},
  {NULL, NULL}
};

void lad_mpaper_open(lua_State *L) {
  luaL_newmetatable(L, LAD_MPAPER);
  luaL_setfuncs(L, lad_mp_meta, 0);
  lad_newmethods(L, lad_mp_methods);
  lua_pushcclosure(L, lad_mp_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lad_readonly);
  lua_setfield(L, -2, "__newindex");
  lua_pop(L, 1);
}
/* }====================================================== */
