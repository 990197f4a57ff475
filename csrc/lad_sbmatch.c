/*
** lad_sbmatch.c: string.find, string.match, string.gmatch and string.gsub
** of a sandbox, with every step of the pattern matcher charged to the
** sandbox's instruction budget (lad_sb_charge, csrc/lad_sandbox.c).
**
** Why: the budget's count hook runs between VM instructions, and Lua's
** matcher backtracks inside one C call. string.find(("a"):rep(300),
** ("a*"):rep(6) .. "b") ran past 60 s there (n^6 steps); here it raises "sandbox:
** instruction budget exceeded" once the budget is spent.
**
** The semantics are those of Lua 5.4's patterns (the reference manual,
** section 6.4.1), written anew for this file: character classes, sets,
** the four quantifiers, anchors, captures and position captures, back
** references, %b and %f; find's init and plain arguments, gmatch's init
** and its rule that an empty match right after a match is skipped,
** gsub's string, table and function replacements and its count, and the
** same error messages. spec/sandbox_match_spec.lua compares every result
** and error with the host's string library on generated patterns.
*/
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "lad.h"

#define LAD_MAXCAPTURES 32
#define LAD_MAXMATCHDEPTH 200
#define LAD_CAP_UNFINISHED (-1)
#define LAD_CAP_POSITION (-2)
#define LAD_CHARGE_EVERY 1024
#define LAD_ESC '%'
#define LAD_SPECIALS "^$*+?.([%-"

typedef struct lad_ms {
  const char *src_init, *src_end, *p_end;
  lua_State *L;
  int depth;                   /* recursion left */
  unsigned steps;              /* not yet charged */
  int level;                   /* captures open or closed */
  struct { const char *init; ptrdiff_t len; } cap[LAD_MAXCAPTURES];
} lad_ms;

#define UC(c) ((unsigned char)(c))

static void lad_ms_step(lad_ms *ms, unsigned n) {
  ms->steps += n;
  if (ms->steps >= LAD_CHARGE_EVERY) {
    unsigned s = ms->steps;
    ms->steps = 0;
    lad_sb_charge(ms->L, s);
  }
}

static const char *lad_ms_match(lad_ms *ms, const char *s, const char *p);

static int lad_ms_checkcap(lad_ms *ms, int l) {
  l -= '1';
  if (l < 0 || l >= ms->level || ms->cap[l].len == LAD_CAP_UNFINISHED)
    return luaL_error(ms->L, "invalid capture index %%%d", l + 1);
  return l;
}

static int lad_ms_toclose(lad_ms *ms) {
  int level = ms->level;
  for (level--; level >= 0; level--)
    if (ms->cap[level].len == LAD_CAP_UNFINISHED) return level;
  return luaL_error(ms->L, "invalid pattern capture");
}

/* the end of the single-character class at p */
static const char *lad_ms_classend(lad_ms *ms, const char *p) {
  char c = *p++;
  if (c == LAD_ESC) {
    if (p == ms->p_end) luaL_error(ms->L, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if (c == '[') {
    if (p < ms->p_end && *p == '^') p++;
    do {                              /* the first ']' is a member */
      if (p == ms->p_end) luaL_error(ms->L, "malformed pattern (missing ']')");
      if (*(p++) == LAD_ESC && p < ms->p_end) p++;
    } while (p == ms->p_end || *p != ']');
    return p + 1;
  }
  return p;
}

static int lad_ms_class(int c, int cl) {
  int res;
  switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'g': res = isgraph(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    default: return cl == c;
  }
  if (isupper(cl)) res = !res;
  return res != 0;
}

/* c in the set [p .. ec] (p at '[', ec at the closing ']') */
static int lad_ms_set(int c, const char *p, const char *ec) {
  int sig = 1;
  if (*(p + 1) == '^') { sig = 0; p++; }
  while (++p < ec) {
    if (*p == LAD_ESC) {
      p++;
      if (lad_ms_class(c, UC(*p))) return sig;
    } else if (*(p + 1) == '-' && p + 2 < ec) {
      p += 2;
      if (UC(*(p - 2)) <= c && c <= UC(*p)) return sig;
    } else if (UC(*p) == c) {
      return sig;
    }
  }
  return !sig;
}

static int lad_ms_single(lad_ms *ms, const char *s, const char *p, const char *ep) {
  int c;
  if (s >= ms->src_end) return 0;
  c = UC(*s);
  switch (*p) {
    case '.': return 1;
    case LAD_ESC: return lad_ms_class(c, UC(*(p + 1)));
    case '[': return lad_ms_set(c, p, ep - 1);
    default: return UC(*p) == c;
  }
}

static const char *lad_ms_balance(lad_ms *ms, const char *s, const char *p) {
  int b, e, cont = 1;
  if (p >= ms->p_end - 1)
    luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
  if (s >= ms->src_end || *s != *p) return NULL;
  b = *p; e = *(p + 1);
  while (++s < ms->src_end) {
    lad_ms_step(ms, 1);
    if (*s == e) {
      if (--cont == 0) return s + 1;
    } else if (*s == b) {
      cont++;
    }
  }
  return NULL;
}

static const char *lad_ms_maxexpand(lad_ms *ms, const char *s, const char *p,
                                    const char *ep) {
  ptrdiff_t i = 0;
  while (lad_ms_single(ms, s + i, p, ep)) { i++; lad_ms_step(ms, 1); }
  while (i >= 0) {
    const char *res = lad_ms_match(ms, s + i, ep + 1);
    if (res) return res;
    i--;
  }
  return NULL;
}

static const char *lad_ms_minexpand(lad_ms *ms, const char *s, const char *p,
                                    const char *ep) {
  for (;;) {
    const char *res = lad_ms_match(ms, s, ep + 1);
    if (res != NULL) return res;
    if (lad_ms_single(ms, s, p, ep)) s++;
    else return NULL;
  }
}

static const char *lad_ms_open(lad_ms *ms, const char *s, const char *p, int what) {
  const char *res;
  int level = ms->level;
  if (level >= LAD_MAXCAPTURES) luaL_error(ms->L, "too many captures");
  ms->cap[level].init = s;
  ms->cap[level].len = what;
  ms->level = level + 1;
  if ((res = lad_ms_match(ms, s, p)) == NULL) ms->level--;
  return res;
}

static const char *lad_ms_close(lad_ms *ms, const char *s, const char *p) {
  int l = lad_ms_toclose(ms);
  const char *res;
  ms->cap[l].len = s - ms->cap[l].init;
  if ((res = lad_ms_match(ms, s, p)) == NULL) ms->cap[l].len = LAD_CAP_UNFINISHED;
  return res;
}

static const char *lad_ms_backref(lad_ms *ms, const char *s, int l) {
  size_t len;
  l = lad_ms_checkcap(ms, l);
  if (ms->cap[l].len < 0) return NULL;     /* a position capture */
  len = (size_t)ms->cap[l].len;
  lad_ms_step(ms, (unsigned)(len / 64 + 1));
  if ((size_t)(ms->src_end - s) >= len && memcmp(ms->cap[l].init, s, len) == 0)
    return s + len;
  return NULL;
}

static const char *lad_ms_match(lad_ms *ms, const char *s, const char *p) {
  if (ms->depth-- == 0) luaL_error(ms->L, "pattern too complex");
  lad_ms_step(ms, 1);
again:
  if (p != ms->p_end) {
    char p1 = p + 1 < ms->p_end ? *(p + 1) : '\0';
    switch (*p) {
      case '(':
        if (p1 == ')') s = lad_ms_open(ms, s, p + 2, LAD_CAP_POSITION);
        else s = lad_ms_open(ms, s, p + 1, LAD_CAP_UNFINISHED);
        break;
      case ')':
        s = lad_ms_close(ms, s, p + 1);
        break;
      case '$':
        if (p + 1 != ms->p_end) goto dflt;
        s = (s == ms->src_end) ? s : NULL;
        break;
      case LAD_ESC:
        switch (p1) {
          case 'b':
            s = lad_ms_balance(ms, s, p + 2);
            if (s != NULL) { p += 4; goto again; }
            break;
          case 'f': {
            const char *ep;
            int prev, cur;
            p += 2;
            if (p >= ms->p_end || *p != '[')
              luaL_error(ms->L, "missing '[' after '%%f' in pattern");
            ep = lad_ms_classend(ms, p);
            prev = (s == ms->src_init) ? '\0' : UC(*(s - 1));
            cur = s < ms->src_end ? UC(*s) : '\0';
            if (!lad_ms_set(prev, p, ep - 1) && lad_ms_set(cur, p, ep - 1)) {
              p = ep;
              goto again;
            }
            s = NULL;
            break;
          }
          case '0': case '1': case '2': case '3': case '4':
          case '5': case '6': case '7': case '8': case '9':
            s = lad_ms_backref(ms, s, UC(p1));
            if (s != NULL) { p += 2; goto again; }
            break;
          default: goto dflt;
        }
        break;
      default: dflt: {
        const char *ep = lad_ms_classend(ms, p);
        char q = ep < ms->p_end ? *ep : '\0';
        if (!lad_ms_single(ms, s, p, ep)) {
          if (q == '*' || q == '?' || q == '-') { p = ep + 1; goto again; }
          s = NULL;
        } else {
          switch (q) {
            case '?': {
              const char *res = lad_ms_match(ms, s + 1, ep + 1);
              if (res != NULL) s = res;
              else { p = ep + 1; goto again; }
              break;
            }
            case '+': s = lad_ms_maxexpand(ms, s + 1, p, ep); break;
            case '*': s = lad_ms_maxexpand(ms, s, p, ep); break;
            case '-': s = lad_ms_minexpand(ms, s, p, ep); break;
            default: s++; p = ep; goto again;
          }
        }
        break;
      }
    }
  }
  ms->depth++;
  return s;
}

/* capture i: its length (or LAD_CAP_POSITION, its position pushed) */
static ptrdiff_t lad_ms_getcap(lad_ms *ms, int i, const char *s, const char *e,
                               const char **cap) {
  ptrdiff_t l;
  if (i >= ms->level) {
    if (i != 0) luaL_error(ms->L, "invalid capture index %%%d", i + 1);
    *cap = s;
    return e - s;
  }
  l = ms->cap[i].len;
  *cap = ms->cap[i].init;
  if (l == LAD_CAP_UNFINISHED) luaL_error(ms->L, "unfinished capture");
  else if (l == LAD_CAP_POSITION)
    lua_pushinteger(ms->L, (ms->cap[i].init - ms->src_init) + 1);
  return l;
}

static void lad_ms_pushcap(lad_ms *ms, int i, const char *s, const char *e) {
  const char *cap;
  ptrdiff_t l = lad_ms_getcap(ms, i, s, e, &cap);
  if (l != LAD_CAP_POSITION) lua_pushlstring(ms->L, cap, (size_t)l);
}

static int lad_ms_pushcaps(lad_ms *ms, const char *s, const char *e) {
  int i, n = (ms->level == 0 && s) ? 1 : ms->level;
  luaL_checkstack(ms->L, n, "too many captures");
  for (i = 0; i < n; i++) lad_ms_pushcap(ms, i, s, e);
  return n;
}

static void lad_ms_prep(lad_ms *ms, lua_State *L, const char *s, size_t ls,
                        const char *p, size_t lp) {
  ms->L = L;
  ms->src_init = s;
  ms->src_end = s + ls;
  ms->p_end = p + lp;
  ms->steps = 0;
}

static void lad_ms_reprep(lad_ms *ms) {
  ms->level = 0;
  ms->depth = LAD_MAXMATCHDEPTH;
}

/* charges what is left at the end of a call */
static void lad_ms_done(lad_ms *ms) {
  if (ms->steps) { unsigned s = ms->steps; ms->steps = 0; lad_sb_charge(ms->L, s); }
}

static size_t lad_ms_posrel(lua_Integer pos, size_t len) {
  if (pos > 0) return (size_t)pos;
  if (pos == 0) return 1;
  if (pos < -(lua_Integer)len) return 1;
  return len + (size_t)pos + 1;
}

static int lad_ms_nospecials(const char *p, size_t l) {
  size_t i;
  for (i = 0; i < l; i++)
    if (p[i] != '\0' && strchr(LAD_SPECIALS, p[i]) != NULL) return 0;
  return 1;
}

/* plain search of p in s, each comparison charged */
static const char *lad_ms_memfind(lad_ms *ms, const char *s, size_t ls,
                                  const char *p, size_t lp) {
  const char *init;
  if (lp == 0) return s;
  if (lp > ls) return NULL;
  lp--;
  ls -= lp;
  while (ls > 0 && (init = (const char *)memchr(s, *p, ls)) != NULL) {
    init++;
    lad_ms_step(ms, (unsigned)(lp / 64 + 1));
    if (memcmp(init, p + 1, lp) == 0) return init - 1;
    ls -= (size_t)(init - s);
    s = init;
  }
  return NULL;
}

static int lad_ms_findaux(lua_State *L, int find) {
  size_t ls, lp, init;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  lad_ms ms;
  init = lad_ms_posrel(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) { luaL_pushfail(L); return 1; }
  lad_ms_prep(&ms, L, s, ls, p, lp);
  if (find && (lua_toboolean(L, 4) || lad_ms_nospecials(p, lp))) {
    const char *s2 = lad_ms_memfind(&ms, s + init, ls - init, p, lp);
    lad_ms_done(&ms);
    if (s2) {
      lua_pushinteger(L, (s2 - s) + 1);
      lua_pushinteger(L, (lua_Integer)((size_t)(s2 - s) + lp));
      return 2;
    }
  } else {
    const char *s1 = s + init;
    int anchor = (lp > 0 && *p == '^');
    if (anchor) { p++; lp--; ms.p_end = p + lp; }
    do {
      const char *res;
      lad_ms_reprep(&ms);
      if ((res = lad_ms_match(&ms, s1, p)) != NULL) {
        lad_ms_done(&ms);
        if (find) {
          lua_pushinteger(L, (s1 - s) + 1);
          lua_pushinteger(L, res - s);
          return lad_ms_pushcaps(&ms, NULL, 0) + 2;
        }
        return lad_ms_pushcaps(&ms, s1, res);
      }
    } while (s1++ < ms.src_end && !anchor);
    lad_ms_done(&ms);
  }
  luaL_pushfail(L);
  return 1;
}

static int lad_sbstr_find(lua_State *L) { return lad_ms_findaux(L, 1); }
static int lad_sbstr_match(lua_State *L) { return lad_ms_findaux(L, 0); }

typedef struct lad_gms {
  const char *src, *p, *lastmatch;
  lad_ms ms;
} lad_gms;

static int lad_ms_gmatchaux(lua_State *L) {
  lad_gms *gm = (lad_gms *)lua_touserdata(L, lua_upvalueindex(3));
  const char *src;
  gm->ms.L = L;
  for (src = gm->src; src <= gm->ms.src_end; src++) {
    const char *e;
    lad_ms_reprep(&gm->ms);
    if ((e = lad_ms_match(&gm->ms, src, gm->p)) != NULL && e != gm->lastmatch) {
      gm->src = gm->lastmatch = e;
      lad_ms_done(&gm->ms);
      return lad_ms_pushcaps(&gm->ms, src, e);
    }
  }
  gm->src = src;
  lad_ms_done(&gm->ms);
  return 0;
}

static int lad_sbstr_gmatch(lua_State *L) {
  size_t ls, lp, init;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  lad_gms *gm;
  init = lad_ms_posrel(luaL_optinteger(L, 3, 1), ls) - 1;
  lua_settop(L, 2);                 /* the strings stay upvalues */
  gm = (lad_gms *)lua_newuserdatauv(L, sizeof *gm, 0);
  if (init > ls) init = ls + 1;
  lad_ms_prep(&gm->ms, L, s, ls, p, lp);
  gm->src = s + init;
  gm->p = p;
  gm->lastmatch = NULL;
  lua_pushcclosure(L, lad_ms_gmatchaux, 3);
  return 1;
}

static void lad_ms_adds(lad_ms *ms, luaL_Buffer *b, const char *s, const char *e) {
  size_t l;
  lua_State *L = ms->L;
  const char *news = lua_tolstring(L, 3, &l), *p;
  while ((p = (const char *)memchr(news, LAD_ESC, l)) != NULL) {
    char c;
    luaL_addlstring(b, news, (size_t)(p - news));
    p++;
    c = p < news + l ? *p : '\0';
    if (c == LAD_ESC) {
      luaL_addchar(b, c);
    } else if (c == '0') {
      luaL_addlstring(b, s, (size_t)(e - s));
    } else if (isdigit(UC(c))) {
      const char *cap;
      ptrdiff_t resl = lad_ms_getcap(ms, c - '1', s, e, &cap);
      if (resl == LAD_CAP_POSITION) luaL_addvalue(b);
      else luaL_addlstring(b, cap, (size_t)resl);
    } else {
      luaL_error(L, "invalid use of '%c' in replacement string", LAD_ESC);
    }
    l -= (size_t)(p + 1 - news);
    news = p + 1;
  }
  luaL_addlstring(b, news, l);
}

static int lad_ms_addvalue(lad_ms *ms, luaL_Buffer *b, const char *s, const char *e,
                           int tr) {
  lua_State *L = ms->L;
  switch (tr) {
    case LUA_TFUNCTION: {
      int n;
      lua_pushvalue(L, 3);
      n = lad_ms_pushcaps(ms, s, e);
      lua_call(L, n, 1);
      break;
    }
    case LUA_TTABLE:
      lad_ms_pushcap(ms, 0, s, e);
      lua_gettable(L, 3);
      break;
    default:
      lad_ms_adds(ms, b, s, e);
      return 1;
  }
  if (!lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    luaL_addlstring(b, s, (size_t)(e - s));
    return 0;
  }
  if (!lua_isstring(L, -1))
    return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  luaL_addvalue(b);
  return 1;
}

static int lad_sbstr_gsub(lua_State *L) {
  size_t srcl, lp;
  const char *src = luaL_checklstring(L, 1, &srcl);
  const char *p = luaL_checklstring(L, 2, &lp);
  const char *lastmatch = NULL;
  int tr = lua_type(L, 3);
  lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
  int anchor = (lp > 0 && *p == '^');
  lua_Integer n = 0;
  int changed = 0;
  lad_ms ms;
  luaL_Buffer b;
  luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING ||
                   tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                   "string/function/table");
  if (tr == LUA_TNUMBER || tr == LUA_TSTRING) {
    /* a result larger than what is left is refused before it is built
    ** (a table or function replacement meets the allocator's limit) */
    size_t lr;
    double len;
    lua_tolstring(L, 3, &lr);
    len = ((double)srcl + 1) * ((double)lr + 1);
    if (len > 65536 && len > lad_sb_left(L)) {
      char buf[96];
      snprintf(buf, sizeof buf, "sandbox: memory budget exceeded (string.gsub of up "
               "to %.0f bytes)", len);
      return luaL_error(L, "%s", buf);
    }
  }
  luaL_buffinit(L, &b);
  if (anchor) { p++; lp--; }
  lad_ms_prep(&ms, L, src, srcl, p, lp);
  while (n < max_s) {
    const char *e;
    lad_ms_reprep(&ms);
    if ((e = lad_ms_match(&ms, src, p)) != NULL && e != lastmatch) {
      n++;
      changed = lad_ms_addvalue(&ms, &b, src, e, tr) | changed;
      src = lastmatch = e;
    } else if (src < ms.src_end) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (anchor) break;
  }
  lad_ms_done(&ms);
  if (!changed) {
    lua_pushvalue(L, 1);
  } else {
    luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
    luaL_pushresult(&b);
  }
  lua_pushinteger(L, n);
  return 2;
}

void lad_sbmatch_open(lua_State *S) {
  static const luaL_Reg fs[] = {
    {"find", lad_sbstr_find}, {"match", lad_sbstr_match},
    {"gmatch", lad_sbstr_gmatch}, {"gsub", lad_sbstr_gsub}, {NULL, NULL}
  };
  luaL_setfuncs(S, fs, 0);
}
