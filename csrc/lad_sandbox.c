/*
** lad_sandbox.c: sandboxed scripts run in a lua_State of their own.
**
** The limits live in that state, below anything a script can reach (the
** model of Suricata's util-lua-sandbox.c and Heka's lua_sandbox):
**   - its allocator refuses every allocation past the memory budget, in
**     any C function (a string.rep, a gsub with a table replacement, a
**     table growing: all fail at once with a memory error);
**   - a count hook charges the script's own instructions to the budget,
**     and the string matcher (lad_sbmatch.c) each step of the script's
**     calls; what trusted library code (the project's Lua modules, loaded
**     by the sandbox's own require) runs on the script's behalf is not
**     the script's and is counted apart (sb:usage().library), as the work
**     the host does in C is not counted at all. The hook fires after a
**     period of instructions drawn at random around LAD_SB_STEP (so that
**     no loop can keep in step with it) and charges that period to the
**     function it interrupts: the script's when it runs script code
**     (a callback, a metamethod of the script's called by the library
**     included), the library's when it runs a trusted module's code;
**     over many periods each side is charged what it ran;
**     once it is spent the hook fires on every instruction of every
**     coroutine and raises again, and the script's pcall, xpcall and
**     coroutine.resume (arxivdigest/sandbox.lua) re-raise it: a handler
**     cannot outlive it (xpcall calls its handler after unwinding, never
**     as a message handler run inside the hook, where hooks are off), and
**     __gc metamethods (which run with hooks off) are refused;
**   - the state's world holds only what cannot do what a script must not:
**     no io, os (but time/date/clock/difftime), debug, package, load of
**     binary chunks, and the core without open/load/index/save/update
**     (nor save_model/load_model).
**     The only file a script can write is none: pipelines have no writer
**     there, and host functions passed in (a writer the host chose) are
**     the only way out.
**
** Host objects reach the sandbox as borrowed views (a Collection, an
** Index generation: held by the sandbox, never freed by it; lad.h) or as
** copies (plain tables, strings, numbers). Sandbox objects reach the host
** as copies (plain tables) or as handles (SandboxValue: a registry
** reference in the sandbox state), which the host can only pass back to
** sb:call. Every call into the sandbox is a protected call; its errors
** come back as host errors that name the script's file and line, or say
** "sandbox: ... budget exceeded".
*/
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <lualib.h>
#include "lad.h"

#define LAD_SANDBOX "arxivdigest.Sandbox"
#define LAD_SBREF   "arxivdigest.SandboxValue"
#define LAD_SB_STEP 1000
#define LAD_SB_MAXDEPTH 100
#define LAD_SB_MAXTRUSTED 128
/* the library's Lua work for a script is bounded too, at this many times
** the script's own budget: a loop of cheap script steps each making the
** library evaluate a query over every paper would otherwise run unbounded */
#define LAD_SB_LIBFACTOR 50

int luaopen_arxivdigest_core(lua_State *L);

typedef struct lad_sandbox {
  lua_State *S;              /* NULL once closed */
  lua_State *L;              /* the host, while a call into S runs */
  size_t used, limit;        /* bytes of S; limit 0: none (set-up) */
  double max_memory;
  double count, max_instructions;
  double library;            /* instructions of trusted code (not charged) */
  double max_library;        /* ... bounded apart: LAD_SB_LIBFACTOR x the budget */
  const char *trusted[LAD_SB_MAXTRUSTED];   /* sources of trusted chunks */
  int ntrusted;
  unsigned long long rng;    /* the hook's period (xorshift64) */
  int exhausted;             /* a budget is spent: 1 the script's, 2 the library's */
  int refused;               /* an allocation was refused */
  int calls;                 /* calls into S in progress */
  lua_CFunction luaopen_lpeg;
} lad_sandbox;

static lad_sandbox *lad_sbof(lua_State *S) {
  return *(lad_sandbox **)lua_getextraspace(S);
}

/* {====================================================== limits */
static void *lad_sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  lad_sandbox *sb = (lad_sandbox *)ud;
  void *p;
  if (ptr == NULL) osize = 0;
  if (nsize == 0) {
    free(ptr);
    sb->used -= osize;
    return NULL;
  }
  if (nsize > osize && sb->limit != 0 && sb->used - osize + nsize > sb->limit) {
    sb->refused = 1;
    return NULL;
  }
  p = realloc(ptr, nsize);
  if (p != NULL) sb->used = sb->used - osize + nsize;
  return p;
}

/* raises in S (or, from lad_sb_raise, in L) the instruction budget error
** (no position: it is nobody's line) */
static int lad_sb_instrerr(lua_State *L, lad_sandbox *sb) {
  char buf[64];
  if (sb->exhausted == 2) {
    snprintf(buf, sizeof buf, "%.0f", sb->max_library);
    lua_pushfstring(L, "sandbox: library budget exceeded (%s instructions run on the "
                    "script's behalf)", buf);
  } else {
    snprintf(buf, sizeof buf, "%.0f", sb->max_instructions);
    lua_pushfstring(L, "sandbox: instruction budget exceeded (%s instructions)", buf);
  }
  return lua_error(L);
}

/* Is source (lua_Debug.source of a Lua function) that of a trusted chunk?
** Every function of a chunk shares its chunk's source string, so the
** pointer tells (a script's chunk has a string of its own). */
static int lad_sb_trusted(const lad_sandbox *sb, const char *source) {
  int i;
  for (i = 0; i < sb->ntrusted; i++)
    if (sb->trusted[i] == source) return 1;
  return 0;
}

/* the next period of the count hook: uniform in [STEP/2, 3 STEP/2) */
static int lad_sb_period(lad_sandbox *sb) {
  unsigned long long x = sb->rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  sb->rng = x;
  return LAD_SB_STEP / 2 + (int)(x % LAD_SB_STEP);
}

static void lad_sb_hook(lua_State *S, lua_Debug *ar) {
  lad_sandbox *sb = lad_sbof(S);
  if (!sb->exhausted) {
    double period = (double)lua_gethookcount(S);    /* what just ran */
    if (lua_getinfo(S, "S", ar) && lad_sb_trusted(sb, ar->source)) sb->library += period;
    else sb->count += period;
    if (sb->count <= sb->max_instructions && sb->library <= sb->max_library) {
      lua_sethook(S, lad_sb_hook, LUA_MASKCOUNT, lad_sb_period(sb));
      return;
    }
    sb->exhausted = sb->count > sb->max_instructions ? 1 : 2;
  } else {
    sb->count += 1;
  }
  lua_sethook(S, lad_sb_hook, LUA_MASKCOUNT, 1);   /* every instruction now */
  lad_sb_instrerr(S, sb);
}

/* charges n steps of the string matcher (a C function of S, called by the
** function at level 1): to the budget, but for a trusted caller's */
void lad_sb_charge(lua_State *S, unsigned n) {
  lad_sandbox *sb = lad_sbof(S);
  lua_Debug ar;
  if (sb->limit == 0) return;          /* set-up: no limits yet */
  if (!sb->exhausted && lua_getstack(S, 1, &ar) && lua_getinfo(S, "S", &ar) &&
      lad_sb_trusted(sb, ar.source)) {
    sb->library += n;
    if (sb->library <= sb->max_library) return;
    sb->exhausted = 2;
    lua_sethook(S, lad_sb_hook, LUA_MASKCOUNT, 1);
    lad_sb_instrerr(S, sb);
  }
  sb->count += n;
  if (sb->exhausted || sb->count > sb->max_instructions) {
    if (!sb->exhausted) sb->exhausted = 1;
    lua_sethook(S, lad_sb_hook, LUA_MASKCOUNT, 1);
    lad_sb_instrerr(S, sb);
  }
}

/* __check(): raises the budget error once the budget is spent (the
** script's pcall, xpcall and coroutine.resume call it after they return) */
static int lad_sb_check(lua_State *S) {
  lad_sandbox *sb = lad_sbof(S);
  if (sb->exhausted) return lad_sb_instrerr(S, sb);
  return 0;
}

double lad_sb_left(lua_State *S) {
  lad_sandbox *sb = lad_sbof(S);
  return sb->limit == 0 ? 1e18 : sb->used >= sb->limit ? 0 : (double)(sb->limit - sb->used);
}

/* __remaining(): bytes the script may still allocate */
static int lad_sb_remaining(lua_State *S) {
  lua_pushnumber(S, (lua_Number)lad_sb_left(S));
  return 1;
}

/* __print(...): the script's print, to the host's stderr */
static int lad_sb_print(lua_State *S) {
  int i, n = lua_gettop(S);
  for (i = 1; i <= n; i++) {
    size_t l;
    const char *s = luaL_tolstring(S, i, &l);
    if (i > 1) fputc('\t', stderr);
    fwrite(s, 1, l, stderr);
    lua_pop(S, 1);
  }
  fputc('\n', stderr);
  return 0;
}
/* }====================================================== */

/* {====================================================== modules */
/* The file of Lua module name found along path (a package.path: templates
** separated by ';', '?' standing for the name with '.' as '/'), pushed on
** S; 0 when none can be opened. */
static int lad_sb_search(lua_State *S, const char *path, const char *name) {
  luaL_Buffer b;
  const char *p = path;
  char mod[256];
  size_t i, n = strlen(name);
  if (n >= sizeof mod) return 0;
  for (i = 0; i <= n; i++) mod[i] = name[i] == '.' ? '/' : name[i];
  while (*p) {
    const char *e = strchr(p, ';');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    FILE *f;
    luaL_buffinit(S, &b);
    for (i = 0; i < len; i++) {
      if (p[i] == '?') luaL_addstring(&b, mod);
      else luaL_addchar(&b, p[i]);
    }
    luaL_pushresult(&b);
    if (len > 0 && (f = fopen(lua_tostring(S, -1), "rb")) != NULL) {
      fclose(f);
      return 1;
    }
    lua_pop(S, 1);
    p += len + (e ? 1 : 0);
  }
  return 0;
}

/* The internal require of the sandbox's modules (upvalue 1: the
** package.path of the host; upvalue 2: loaded modules; upvalue 3: the
** environment modules run in). Not the script's require: it loads lpeg,
** re, and arxivdigest's modules (the core without its file functions),
** nothing else. */
static int lad_sb_require(lua_State *S) {
  lad_sandbox *sb = lad_sbof(S);
  const char *name = luaL_checkstring(S, 1);
  lua_settop(S, 1);
  if (lua_getfield(S, lua_upvalueindex(2), name) != LUA_TNIL) return 1;
  lua_pop(S, 1);
  if (strcmp(name, "lpeg") == 0) {
    if (sb->luaopen_lpeg == NULL) return luaL_error(S, "module 'lpeg' not found");
    lua_pushcfunction(S, sb->luaopen_lpeg);
    lua_pushstring(S, name);
    lua_call(S, 1, 1);
  } else if (strcmp(name, "arxivdigest.core") == 0) {
    /* the core without the functions that touch files */
    static const char *const gone[] = {"open", "load", "index", "sandbox", "lock", "list",
                                        "filetype", "samefile", "linktarget", "_rmodel_load",
                                        "_rmodel_sandboxed", NULL};
    int i;
    lua_pushcfunction(S, luaopen_arxivdigest_core);
    lua_call(S, 0, 1);
    for (i = 0; gone[i]; i++) { lua_pushnil(S); lua_setfield(S, -2, gone[i]); }
    luaL_getmetatable(S, LAD_INDEX);
    lua_getfield(S, -1, "__index");
    lua_pushnil(S); lua_setfield(S, -2, "save");
    lua_pushnil(S); lua_setfield(S, -2, "update");
    lua_pushnil(S); lua_setfield(S, -2, "save_model");
    lua_pushnil(S); lua_setfield(S, -2, "load_model");
    lua_pop(S, 2);
  } else {
    if (!(strcmp(name, "re") == 0 || strcmp(name, "arxivdigest") == 0 ||
          strncmp(name, "arxivdigest.", 12) == 0) ||
        !lad_sb_search(S, lua_tostring(S, lua_upvalueindex(1)), name))
      return luaL_error(S, "module '%s' not found", name);
    if (luaL_loadfilex(S, lua_tostring(S, -1), "t") != LUA_OK) return lua_error(S);
    {  /* a trusted chunk: its functions' instructions are the library's */
      lua_Debug ar;
      lua_pushvalue(S, -1);
      if (lua_getinfo(S, ">S", &ar)) {
        if (sb->ntrusted >= LAD_SB_MAXTRUSTED) return luaL_error(S, "too many modules in a sandbox");
        sb->trusted[sb->ntrusted++] = ar.source;
      }
    }
    lua_pushvalue(S, lua_upvalueindex(3));
    lua_setupvalue(S, -2, 1);                 /* its _ENV */
    lua_pushstring(S, name);
    lua_call(S, 1, 1);
    lua_remove(S, -2);
  }
  if (lua_isnil(S, -1)) { lua_pop(S, 1); lua_pushboolean(S, 1); }
  lua_pushvalue(S, -1);
  lua_setfield(S, lua_upvalueindex(2), name);
  return 1;
}
/* }====================================================== */

/* {====================================================== crossing */
static const char lad_sb_borrowed_key = 0;  /* S registry: host ptr -> S view */

/* the host's keep-alive table (user value 1 of the Sandbox at sbi) */
static void lad_sb_keep(lua_State *L, int sbi, int vi) {
  vi = lua_absindex(L, vi);
  lua_getiuservalue(L, sbi, 1);
  lua_pushlightuserdata(L, lua_touserdata(L, vi));
  lua_pushvalue(L, vi);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

/* pushes S's view of host object p (cached), or returns 0 */
static int lad_sb_cached(lua_State *S, const void *p) {
  lua_rawgetp(S, LUA_REGISTRYINDEX, &lad_sb_borrowed_key);
  lua_rawgetp(S, -1, p);
  lua_remove(S, -2);
  if (lua_isnil(S, -1)) { lua_pop(S, 1); return 0; }
  return 1;
}

static void lad_sb_cache(lua_State *S, const void *p) {
  lua_rawgetp(S, LUA_REGISTRYINDEX, &lad_sb_borrowed_key);
  lua_pushvalue(S, -2);
  lua_rawsetp(S, -2, p);
  lua_pop(S, 1);
}

/* S's view of the host collection at hi (pushed) */
static void lad_sb_pushcoll(lua_State *L, int sbi, lua_State *S, int hi) {
  lad_collection *lc = lad_checkcoll(L, hi);
  if (lad_sb_cached(S, lc->owner)) return;
  lad_sb_keep(L, sbi, hi);
  lad_borrowcoll(S, lc);
  lad_sb_cache(S, lc->owner);
}

/* S's view of the host generation at hi (pushed) */
static void lad_sb_pushgen(lua_State *L, int sbi, lua_State *S, int hi) {
  lad_gen *g = (lad_gen *)luaL_checkudata(L, hi, LAD_GEN);
  int ci = 0;
  if (g->host != NULL || !g->live) luaL_error(L, "sandbox: cannot pass this index");
  if (lad_sb_cached(S, g)) return;
  lad_sb_keep(L, sbi, hi);
  if (!g->loaded) {                /* its collection, borrowed too */
    lua_getiuservalue(L, hi, 1);
    lad_sb_pushcoll(L, sbi, S, lua_gettop(L));
    lua_pop(L, 1);
    ci = lua_gettop(S);
  }
  lad_genborrow(S, g, ci);
  lua_getiuservalue(L, hi, 2);     /* the name, for messages */
  if (lua_type(L, -1) == LUA_TSTRING) {
    lua_pushstring(S, lua_tostring(L, -1));
    lua_setiuservalue(S, -2, 2);
  }
  lua_pop(L, 1);
  if (ci) lua_remove(S, ci);
  lad_sb_cache(S, g);
}

static void lad_sb_push(lua_State *L, int sbi, lua_State *S, int hi, int depth);

/* a host function, callable from S: calls it in the host (protected) */
static int lad_sb_forward(lua_State *S);

/* copies the host table at hi into S (raw, plain) */
static void lad_sb_pushtable(lua_State *L, int sbi, lua_State *S, int hi,
                             int depth) {
  int t;
  hi = lua_absindex(L, hi);
  if (depth > LAD_SB_MAXDEPTH) luaL_error(L, "sandbox: table nested too deeply");
  luaL_checkstack(L, 4, "sandbox: table nested too deeply");
  luaL_checkstack(S, 4, "sandbox: table nested too deeply");
  lua_newtable(S);
  t = lua_gettop(S);
  lua_pushnil(L);
  while (lua_next(L, hi)) {
    int kt = lua_type(L, -2);
    if (kt == LUA_TSTRING || kt == LUA_TNUMBER || kt == LUA_TBOOLEAN) {
      lad_sb_push(L, sbi, S, lua_gettop(L) - 1, depth + 1);
      lad_sb_push(L, sbi, S, lua_gettop(L), depth + 1);
      lua_rawset(S, t);
    }
    lua_pop(L, 1);
  }
}

/* pushes onto S the value at host index hi (see the header) */
static void lad_sb_push(lua_State *L, int sbi, lua_State *S, int hi, int depth) {
  hi = lua_absindex(L, hi);
  switch (lua_type(L, hi)) {
    case LUA_TNIL: case LUA_TNONE: lua_pushnil(S); return;
    case LUA_TBOOLEAN: lua_pushboolean(S, lua_toboolean(L, hi)); return;
    case LUA_TNUMBER:
      if (lua_isinteger(L, hi)) lua_pushinteger(S, lua_tointeger(L, hi));
      else lua_pushnumber(S, lua_tonumber(L, hi));
      return;
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, hi, &n);
      lua_pushlstring(S, s, n);
      return;
    }
    case LUA_TTABLE:
      if (lua_getmetatable(L, hi)) {
        luaL_getmetatable(L, LAD_HIT);
        if (lua_rawequal(L, -1, -2)) {          /* a hit: {score, paper} */
          lua_pop(L, 2);
          lua_newtable(S);
          lua_getfield(L, hi, "score");
          lad_sb_push(L, sbi, S, -1, depth + 1);
          lua_setfield(S, -2, "score");
          lua_getfield(L, hi, "paper");
          lad_sb_push(L, sbi, S, -1, depth + 1);
          lua_setfield(S, -2, "paper");
          lua_pop(L, 2);
          return;
        }
        luaL_error(L, "sandbox: cannot pass a table with a metatable into a sandbox");
      }
      lad_sb_pushtable(L, sbi, S, hi, depth);
      return;
    case LUA_TFUNCTION: {
      int id;
      lua_getiuservalue(L, sbi, 2);               /* the forwarded functions */
      id = (int)lua_rawlen(L, -1) + 1;
      lua_pushvalue(L, hi);
      lua_rawseti(L, -2, id);
      lua_pop(L, 1);
      lua_pushinteger(S, id);
      lua_pushcclosure(S, lad_sb_forward, 1);
      return;
    }
    case LUA_TUSERDATA:
      if (luaL_testudata(L, hi, LAD_COLLECTION)) { lad_sb_pushcoll(L, sbi, S, hi); return; }
      if (luaL_testudata(L, hi, LAD_PAPER)) {
        lua_Integer rec;
        lua_getfield(L, hi, "record");            /* p:record() -> coll, i */
        lua_pushvalue(L, hi);
        lua_call(L, 1, 2);
        rec = lua_tointeger(L, -1);
        lad_sb_pushcoll(L, sbi, S, lua_gettop(L) - 1);
        lua_pop(L, 2);
        lad_pushpaper(S, -1, (uint32_t)(rec - 1));
        lua_remove(S, -2);
        return;
      }
      if (luaL_testudata(L, hi, LAD_INDEX)) {
        lad_checkindex(L, hi, 1);
        lad_sb_pushgen(L, sbi, S, lua_gettop(L));
        lua_pop(L, 1);
        lad_newindex(S, -1);
        lua_remove(S, -2);
        return;
      }
      if (luaL_testudata(L, hi, LAD_MPAPER)) {
        uint32_t doc;
        lad_tompaper(L, hi, &doc, 1);
        lad_sb_pushgen(L, sbi, S, lua_gettop(L));
        lua_pop(L, 1);
        lad_pushmpaper(S, -1, doc);
        lua_remove(S, -2);
        return;
      }
      if (luaL_testudata(L, hi, LAD_SBREF)) {
        int *ref = (int *)lua_touserdata(L, hi);
        lua_getiuservalue(L, hi, 1);
        if (!lua_rawequal(L, -1, sbi))
          luaL_error(L, "sandbox: a value of another sandbox");
        lua_pop(L, 1);
        lua_rawgeti(S, LUA_REGISTRYINDEX, *ref);
        return;
      }
      break;
    default: break;
  }
  luaL_error(L, "sandbox: cannot pass a %s into a sandbox", luaL_typename(L, hi));
}

static void lad_sb_pull(lua_State *S, int si, lua_State *L, int sbi, int depth);

/* pushes onto L a handle to the S value at si */
static void lad_sb_pushref(lua_State *S, int si, lua_State *L, int sbi) {
  int *ref = (int *)lua_newuserdatauv(L, sizeof(int), 1);
  *ref = LUA_NOREF;
  lua_pushvalue(L, sbi);
  lua_setiuservalue(L, -2, 1);
  luaL_setmetatable(L, LAD_SBREF);
  lua_pushvalue(S, si);
  *ref = luaL_ref(S, LUA_REGISTRYINDEX);
}

/* the host object kept for borrowed pointer p, pushed on L (or raises) */
static void lad_sb_pushkept(lua_State *L, int sbi, const void *p) {
  lua_getiuservalue(L, sbi, 1);
  lua_rawgetp(L, -1, p);
  lua_remove(L, -2);
  if (lua_isnil(L, -1)) luaL_error(L, "sandbox: a paper of an unknown source");
}

/* pushes onto L the value at S index si: a copy (plain values and plain
** tables, papers of borrowed sources) or a handle */
static void lad_sb_pull(lua_State *S, int si, lua_State *L, int sbi, int depth) {
  si = lua_absindex(S, si);
  luaL_checkstack(L, 6, "sandbox: value nested too deeply");
  switch (lua_type(S, si)) {
    case LUA_TNIL: case LUA_TNONE: lua_pushnil(L); return;
    case LUA_TBOOLEAN: lua_pushboolean(L, lua_toboolean(S, si)); return;
    case LUA_TNUMBER:
      if (lua_isinteger(S, si)) lua_pushinteger(L, lua_tointeger(S, si));
      else lua_pushnumber(L, lua_tonumber(S, si));
      return;
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(S, si, &n);
      lua_pushlstring(L, s, n);
      return;
    }
    case LUA_TTABLE: {
      int hasmt = lua_getmetatable(S, si);
      if (hasmt) lua_pop(S, 1);
      if (!hasmt && depth <= LAD_SB_MAXDEPTH) {
        int t;
        luaL_checkstack(S, 4, "sandbox: value nested too deeply");
        lua_newtable(L);
        t = lua_gettop(L);
        lua_pushnil(S);
        while (lua_next(S, si)) {
          int kt = lua_type(S, -2);
          if (kt == LUA_TSTRING || kt == LUA_TNUMBER || kt == LUA_TBOOLEAN) {
            lad_sb_pull(S, lua_gettop(S) - 1, L, sbi, depth + 1);
            lad_sb_pull(S, lua_gettop(S), L, sbi, depth + 1);
            lua_rawset(L, t);
          }
          lua_pop(S, 1);
        }
        return;
      }
      break;
    }
    case LUA_TUSERDATA:
      if (luaL_testudata(S, si, LAD_PAPER)) {
        lad_collection *lc;
        lua_Integer rec;
        lua_getfield(S, si, "record");
        lua_pushvalue(S, si);
        lua_call(S, 1, 2);
        rec = lua_tointeger(S, -1);
        lc = (lad_collection *)lua_touserdata(S, -2);
        lua_pop(S, 2);
        if (lc != NULL && lc->owner != lc && lc->owner != NULL) {
          lad_sb_pushkept(L, sbi, lc->owner);
          lad_pushpaper(L, -1, (uint32_t)(rec - 1));
          lua_remove(L, -2);
          return;
        }
        break;
      }
      if (luaL_testudata(S, si, LAD_MPAPER)) {
        uint32_t doc;
        lad_gen *g = lad_tompaper(S, si, &doc, 0);
        if (g->host != NULL) {
          lad_sb_pushkept(L, sbi, g->host);
          lad_pushmpaper(L, -1, doc);
          lua_remove(L, -2);
          return;
        }
        break;
      }
      break;
    default: break;
  }
  lad_sb_pushref(S, si, L, sbi);
}

static int lad_sb_forward(lua_State *S) {
  lad_sandbox *sb = lad_sbof(S);
  lua_State *L = sb->L;
  int n = lua_gettop(S), i, base, st, sbi, nres;
  if (L == NULL) return luaL_error(S, "sandbox: this host function is no longer callable");
  /* the host's stack: ... sandbox (at sb's call frame: index kept in the
  ** registry of L under the sandbox pointer) */
  lua_rawgetp(L, LUA_REGISTRYINDEX, sb);
  sbi = lua_gettop(L);
  lua_getiuservalue(L, sbi, 2);
  lua_rawgeti(L, -1, lua_tointeger(S, lua_upvalueindex(1)));
  lua_remove(L, -2);
  base = lua_gettop(L);
  for (i = 1; i <= n; i++) lad_sb_pull(S, i, L, sbi, 0);
  st = lua_pcall(L, n, LUA_MULTRET, 0);
  if (st != LUA_OK) {
    const char *m = lua_tostring(L, -1);
    lua_pushstring(S, m ? m : "error in a host function");
    lua_settop(L, sbi - 1);
    return lua_error(S);
  }
  nres = lua_gettop(L) - base + 1;
  for (i = 0; i < nres; i++) lad_sb_push(L, sbi, S, base + i, 0);
  lua_settop(L, sbi - 1);
  return nres;
}
/* }====================================================== */

/* {====================================================== the Sandbox */
static lad_sandbox *lad_tosb(lua_State *L, int i) {
  lad_sandbox *sb = (lad_sandbox *)luaL_checkudata(L, i, LAD_SANDBOX);
  if (sb->S == NULL) luaL_argerror(L, i, "sandbox is closed");
  return sb;
}

lua_State *lad_sbstate(lua_State *L, int i) {
  lad_sandbox *sb = lad_tosb(L, i);
  if (sb->calls > 0) luaL_argerror(L, i, "sandbox is running");
  return sb->S;
}

static void lad_sb_close(lad_sandbox *sb) {
  if (sb->S != NULL) {
    lua_State *S = sb->S;
    sb->S = NULL;
    lua_close(S);       /* its borrowed views let their host objects go */
  }
}

static int lad_sb_gc(lua_State *L) {
  lad_sb_close((lad_sandbox *)luaL_checkudata(L, 1, LAD_SANDBOX));
  return 0;
}

/* the message of a failed call into S (left on S's stack) raised in L */
static int lad_sb_raise(lua_State *L, lad_sandbox *sb, int st) {
  lua_State *S = sb->S;
  if (sb->exhausted) return lad_sb_instrerr(L, sb);
  if (st == LUA_ERRMEM || (sb->refused && lua_type(S, -1) == LUA_TSTRING &&
                           strstr(lua_tostring(S, -1), "not enough memory") != NULL)) {
    lua_settop(S, 0);
    lua_pushfstring(L, "sandbox: memory budget exceeded (%d MiB)",
                    (int)(sb->max_memory / (1024 * 1024)));
    return lua_error(L);
  }
  if (lua_type(S, -1) == LUA_TSTRING) lua_pushstring(L, lua_tostring(S, -1));
  else lua_pushfstring(L, "(error object is a %s value)", luaL_typename(S, -1));
  lua_settop(S, 0);
  return lua_error(L);
}

/* Calls, in S, the value at S's stack top - nargs with nargs arguments;
** its results are pulled into L. The sandbox is at L's index 1. */
static int lad_sb_docall(lua_State *L, lad_sandbox *sb, int nargs) {
  lua_State *S = sb->S;
  lua_State *prevL = sb->L;
  int st, i, n, base = lua_gettop(S) - nargs;
  if (sb->exhausted) { lua_settop(S, 0); return lad_sb_raise(L, sb, LUA_ERRRUN); }
  sb->refused = 0;
  sb->L = L;
  lua_pushvalue(L, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, sb);   /* for forwarded host functions */
  sb->calls++;
  st = lua_pcall(S, nargs, LUA_MULTRET, 0);
  sb->calls--;
  sb->L = prevL;
  if (st != LUA_OK) return lad_sb_raise(L, sb, st);
  n = lua_gettop(S) - base + 1;
  luaL_checkstack(L, n + 4, "sandbox: too many results");
  for (i = 0; i < n; i++) lad_sb_pull(S, base + i, L, 1, 0);
  lua_settop(S, 0);
  return n;
}

/* sb:call(value, ...) -> results: calls a sandbox value (a handle) with
** the arguments (host values, see the header) under the budget */
static int lad_sb_call(lua_State *L) {
  lad_sandbox *sb = lad_tosb(L, 1);
  lua_State *S = sb->S;
  int i, n = lua_gettop(L);
  luaL_checkudata(L, 2, LAD_SBREF);
  lua_settop(S, 0);
  if (!lua_checkstack(S, n + 8)) return luaL_error(L, "sandbox: memory budget exceeded");
  for (i = 2; i <= n; i++) lad_sb_push(L, 1, S, i, 0);
  return lad_sb_docall(L, sb, n - 2);
}

/* sb:load(path) -> handle of the compiled script (its _ENV is the script
** environment) | nil, "path: reason"; a syntax error raises */
static int lad_sb_load(lua_State *L) {
  lad_sandbox *sb = lad_tosb(L, 1);
  lua_State *S = sb->S;
  const char *path = luaL_checkstring(L, 2);
  FILE *f = fopen(path, "rb");
  int st;
  if (f == NULL) return lad_fail(L, path, errno);
  fclose(f);
  lua_settop(S, 0);
  st = luaL_loadfilex(S, path, "t");
  if (st == LUA_ERRFILE) {
    lua_pushstring(L, lua_tostring(S, -1));
    lua_settop(S, 0);
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;
  }
  if (st != LUA_OK) return lad_sb_raise(L, sb, st);
  lua_getfield(S, LUA_REGISTRYINDEX, "arxivdigest.sandbox.env");
  lua_setupvalue(S, -2, 1);
  lad_sb_pushref(S, 1, L, 1);
  lua_settop(S, 0);
  return 1;
}

/* sb:helper(name) -> handle of a field of arxivdigest.sandbox (the
** functions the host uses to read what a script returned) */
static int lad_sb_helper(lua_State *L) {
  lad_sandbox *sb = lad_tosb(L, 1);
  lua_State *S = sb->S;
  const char *name = luaL_checkstring(L, 2);
  lua_settop(S, 0);
  lua_getfield(S, LUA_REGISTRYINDEX, "arxivdigest.sandbox.helpers");
  if (lua_getfield(S, 1, name) == LUA_TNIL) {
    lua_settop(S, 0);
    return luaL_argerror(L, 2, "no such helper");
  }
  lad_sb_pushref(S, 2, L, 1);
  lua_settop(S, 0);
  return 1;
}

/* sb:usage() -> {instructions =, memory =, max_instructions =, max_memory =,
** library = the instructions of trusted code, not charged to the script,
** max_library = their own bound} */
static int lad_sb_usage(lua_State *L) {
  lad_sandbox *sb = lad_tosb(L, 1);
  lua_createtable(L, 0, 5);
  lua_pushnumber(L, sb->count); lua_setfield(L, -2, "instructions");
  lua_pushnumber(L, sb->library); lua_setfield(L, -2, "library");
  lua_pushinteger(L, (lua_Integer)sb->used); lua_setfield(L, -2, "memory");
  lua_pushnumber(L, sb->max_instructions); lua_setfield(L, -2, "max_instructions");
  lua_pushnumber(L, sb->max_library); lua_setfield(L, -2, "max_library");
  lua_pushnumber(L, sb->max_memory); lua_setfield(L, -2, "max_memory");
  return 1;
}

static int lad_sb_closem(lua_State *L) {
  lad_sandbox *sb = (lad_sandbox *)luaL_checkudata(L, 1, LAD_SANDBOX);
  if (sb->calls > 0) return luaL_error(L, "sandbox: cannot close while it runs");
  lad_sb_close(sb);
  return 0;
}

static int lad_ref_gc(lua_State *L) {
  int *ref = (int *)luaL_checkudata(L, 1, LAD_SBREF);
  lad_sandbox *sb;
  lua_getiuservalue(L, 1, 1);
  sb = (lad_sandbox *)luaL_testudata(L, -1, LAD_SANDBOX);
  if (sb != NULL && sb->S != NULL && *ref != LUA_NOREF) luaL_unref(sb->S, LUA_REGISTRYINDEX, *ref);
  *ref = LUA_NOREF;
  return 0;
}

static int lad_ref_tostring(lua_State *L) {
  luaL_checkudata(L, 1, LAD_SBREF);
  lua_pushliteral(L, "SandboxValue");
  return 1;
}

/* sandbox(opts) -> Sandbox. opts: max_instructions, max_memory (bytes),
** path (a package.path where the sandbox finds arxivdigest's modules,
** arxivdigest.sandbox first: the prelude that builds the script's world),
** lpeg = path of lpeg's C library (for LPeg-based modules) */
static int lad_sandbox_new(lua_State *L) {
  static const luaL_Reg libs[] = {
    {LUA_GNAME, luaopen_base}, {LUA_STRLIBNAME, luaopen_string},
    {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
    {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine},
    {LUA_OSLIBNAME, luaopen_os}, {NULL, NULL}
  };
  lad_sandbox *sb;
  lua_State *S;
  const luaL_Reg *lib;
  int st;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  sb = (lad_sandbox *)lua_newuserdatauv(L, sizeof *sb, 2);   /* 2 */
  memset(sb, 0, sizeof *sb);
  luaL_setmetatable(L, LAD_SANDBOX);
  lua_newtable(L); lua_setiuservalue(L, 2, 1);   /* kept host objects */
  lua_newtable(L); lua_setiuservalue(L, 2, 2);   /* forwarded functions */
  lua_getfield(L, 1, "max_instructions");
  sb->max_instructions = luaL_optnumber(L, -1, 2e8);
  lua_getfield(L, 1, "max_memory");
  sb->max_memory = luaL_optnumber(L, -1, 512.0 * 1024 * 1024);
  lua_pop(L, 2);
  if (!(sb->max_instructions > 0)) luaL_argerror(L, 1, "max_instructions must be a positive number");
  sb->max_library = LAD_SB_LIBFACTOR * sb->max_instructions;
  if (!(sb->max_memory > 0)) luaL_argerror(L, 1, "max_memory must be a positive number of bytes");
  if (lua_getfield(L, 1, "lpeg") == LUA_TSTRING) {
    void *h = dlopen(lua_tostring(L, -1), RTLD_NOW | RTLD_GLOBAL);
    if (h != NULL) {
      union { void *p; lua_CFunction f; } u;
      u.p = dlsym(h, "luaopen_lpeg");
      sb->luaopen_lpeg = u.f;
    }
  }
  lua_pop(L, 1);
  S = lua_newstate(lad_sb_alloc, sb);
  if (S == NULL) return luaL_error(L, "not enough memory");
  sb->S = S;
  *(lad_sandbox **)lua_getextraspace(S) = sb;
  for (lib = libs; lib->func; lib++) {
    luaL_requiref(S, lib->name, lib->func, 1);
    lua_pop(S, 1);
  }
  lua_getglobal(S, "string");       /* patterns whose steps are charged */
  lad_sbmatch_open(S);
  lua_pop(S, 1);
  {  /* what nothing in the sandbox may reach, even its own modules */
    static const char *const base_gone[] = {"dofile", "loadfile", "load", NULL};
    static const char *const os_gone[] = {"execute", "exit", "getenv", "remove",
                                          "rename", "tmpname", "setlocale", NULL};
    int i;
    for (i = 0; base_gone[i]; i++) { lua_pushnil(S); lua_setglobal(S, base_gone[i]); }
    lua_getglobal(S, "os");
    for (i = 0; os_gone[i]; i++) { lua_pushnil(S); lua_setfield(S, -2, os_gone[i]); }
    lua_pop(S, 1);
    lua_getglobal(S, "string");
    lua_pushnil(S); lua_setfield(S, -2, "dump");
    lua_pop(S, 1);
    lua_pushcfunction(S, lad_sb_print);
    lua_setglobal(S, "print");
  }
  lua_newtable(S);
  lua_createtable(S, 0, 1);
  lua_pushliteral(S, "v");
  lua_setfield(S, -2, "__mode");
  lua_setmetatable(S, -2);
  lua_rawsetp(S, LUA_REGISTRYINDEX, &lad_sb_borrowed_key);
  /* the internal require: modules run in an environment of their own */
  lua_getfield(L, 1, "path");                       /* 1 package.path */
  lua_pushstring(S, lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "");
  lua_pop(L, 1);
  lua_newtable(S);                                  /* 2 loaded */
  lua_newtable(S);                                  /* 3 module env */
  lua_createtable(S, 0, 1);
  lua_pushglobaltable(S);
  lua_setfield(S, -2, "__index");
  lua_setmetatable(S, 3);
  lua_pushvalue(S, 1); lua_pushvalue(S, 2); lua_pushvalue(S, 3);
  lua_pushcclosure(S, lad_sb_require, 3);           /* 4 */
  lua_pushvalue(S, 4);
  lua_setfield(S, 3, "require");
  lua_pushvalue(S, 4);
  lua_setglobal(S, "require");   /* (the core's query parser loads with it) */
  /* the prelude: builds the script's environment and the helpers */
  lua_pushcfunction(S, lad_sb_check);
  lua_setfield(S, 3, "__check");
  lua_pushcfunction(S, lad_sb_remaining);
  lua_setfield(S, 3, "__remaining");
  lua_pushcfunction(S, lad_sb_print);
  lua_setfield(S, 3, "__print");
  lua_pushvalue(S, 4);
  lua_pushliteral(S, "arxivdigest.sandbox");
  st = lua_pcall(S, 1, 1, 0);
  if (st != LUA_OK || !lua_istable(S, -1)) {
    lua_pushfstring(L, "sandbox: set-up failed: %s",
                    st != LUA_OK && lua_isstring(S, -1) ? lua_tostring(S, -1) : "no helpers");
    lad_sb_close(sb);
    return lua_error(L);
  }
  lua_getfield(S, -1, "env");
  lua_setfield(S, LUA_REGISTRYINDEX, "arxivdigest.sandbox.env");
  lua_setfield(S, LUA_REGISTRYINDEX, "arxivdigest.sandbox.helpers");
  lua_settop(S, 0);
  lua_gc(S, LUA_GCCOLLECT);
  /* the limits, from here on */
  sb->limit = sb->used + (size_t)sb->max_memory;
  /* the hook's periods: unknown to the script (it cannot see the clock's
  ** microseconds nor the address) */
  sb->rng = 0x9E3779B97F4A7C15ULL ^ (unsigned long long)(size_t)sb ^
            ((unsigned long long)time(NULL) << 20) ^ (unsigned long long)clock();
  if (sb->rng == 0) sb->rng = 1;
  lua_sethook(S, lad_sb_hook, LUA_MASKCOUNT, lad_sb_period(sb));
  return 1;
}

static const luaL_Reg lad_sb_methods[] = {
  {"call", lad_sb_call},
  {"load", lad_sb_load},
  {"helper", lad_sb_helper},
  {"usage", lad_sb_usage},
  {"close", lad_sb_closem},
  {NULL, NULL}
};

void lad_sandbox_open(lua_State *L) {
  luaL_newmetatable(L, LAD_SANDBOX);
  luaL_newlib(L, lad_sb_methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lad_sb_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  luaL_newmetatable(L, LAD_SBREF);
  lua_pushcfunction(L, lad_ref_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, lad_ref_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  lua_pushcfunction(L, lad_sandbox_new);
  lua_setfield(L, -2, "sandbox");
}
/* }====================================================== */
