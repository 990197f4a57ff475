/*
** lad_query.c: the one converter of a query into the C node array
** (ad_query.h) that both evaluators take: the index (search, count, trend)
** and c:select. A query is a string, parsed by arxivdigest.query (the only
** parser, called from here), or a tree of that module.
**
** The tree belongs to the caller and may be hostile (metatables, numbers
** where strings go, cycles, fan-out, a finalizer that edits it while it is
** read). So: every read is raw (no metamethod runs); every value's type is
** checked; the tree is walked twice (measure, then fill) and the fill never
** writes past what the measure allocated (a tree that changed in between
** is an error); every string is copied into the nodes' own userdata, so
** nothing points into a Lua string afterwards.
**
** Also here: the positive terms of a tree for snippets, kept in a userdata
** (the hits of a search hold them; nothing a caller can edit).
*/
#include <string.h>
#include "lad.h"
#include "ad_token.h"

#define LAD_MAXNODES (1u << 20)
#define LAD_MAXQBYTES ((size_t)1 << 26)

/* {====================================================== conversion */
typedef struct lad_qctx {
  const char *who;
  int cheap;
  /* fill mode when nodes != NULL */
  ad_xnode *nodes; uint32_t *kids; char *bytes;
  uint32_t ncap, kcap; size_t bcap;
  /* counts */
  uint32_t n, nk; size_t nb;
} lad_qctx;

static int lad_qerr(lua_State *L, lad_qctx *x, const char *fmt, const char *a) {
  lua_pushfstring(L, fmt, a);
  return luaL_error(L, "%s: %s", x->who, lua_tostring(L, -1));
}

static void lad_qchanged(lua_State *L, lad_qctx *x) {
  lad_qerr(L, x, "the query tree changed while it was read%s", "");
}

/* raw t[k] pushed; returns its type */
static int lad_qget(lua_State *L, int t, const char *k) {
  lua_pushstring(L, k);
  return lua_rawget(L, t);
}

/* copies s[0..n) into the bytes buffer (fill mode); returns the copy */
static const char *lad_qsave(lua_State *L, lad_qctx *x, const char *s, size_t n) {
  const char *out = NULL;
  if (x->nodes != NULL) {
    if (n > x->bcap - x->nb) lad_qchanged(L, x);
    memcpy(x->bytes + x->nb, s, n);
    out = x->bytes + x->nb;
  }
  x->nb += n;
  if (x->nb > LAD_MAXQBYTES) lad_qerr(L, x, "query too large%s", "");
  return out;
}

/* The string t[k], left on the stack (which anchors it: a finalizer may
** edit the tree meanwhile) until the caller pops it; or NULL, with nothing
** pushed, when nil and optional. Raises otherwise. */
static const char *lad_qstring(lua_State *L, lad_qctx *x, int t, const char *k,
                               const char *ty, int optional, size_t *n) {
  int vt = lad_qget(L, t, k);
  if (vt == LUA_TNIL && optional) { lua_pop(L, 1); *n = 0; return NULL; }
  if (vt != LUA_TSTRING) {
    if (strcmp(k, "value") == 0)
      lua_pushfstring(L, "'%s' node: value must be a string (got %s)", ty,
                      lua_typename(L, vt));
    else
      lua_pushfstring(L, "'%s' node: '%s' must be a string (got %s)", ty, k,
                      lua_typename(L, vt));
    lad_qerr(L, x, "%s", lua_tostring(L, -1));
  }
  return lua_tolstring(L, -1, n);
}

/* a date bound t[k]: nil gives dflt */
static uint32_t lad_qdate(lua_State *L, lad_qctx *x, int t, const char *k,
                          uint32_t dflt) {
  size_t n;
  const char *s = lad_qstring(L, x, t, k, "date", 1, &n);
  uint32_t v;
  if (s == NULL) return dflt;
  v = lad_parsedate(s, n);
  if (v == 0) lad_qerr(L, x, "bad date '%s' (YYYY-MM-DD expected)", s);
  lua_pop(L, 1);
  return v;
}

/* a version bound t[k]: nil gives dflt, else an integer min..65535 */
static uint32_t lad_qversion(lua_State *L, lad_qctx *x, int t, const char *k,
                             uint32_t dflt, lua_Integer min) {
  int isint;
  lua_Integer v;
  if (lad_qget(L, t, k) == LUA_TNIL) { lua_pop(L, 1); return dflt; }
  v = lua_tointegerx(L, -1, &isint);
  if (!isint || lua_type(L, -1) != LUA_TNUMBER || v < min || v > 65535) {
    lua_pushfstring(L, "'version' node: '%s' must be an integer %d..65535",
                    k, (int)min);
    lad_qerr(L, x, "%s", lua_tostring(L, -1));
  }
  lua_pop(L, 1);
  return (uint32_t)v;
}

static int lad_qfield(const char *f) {
  if (strcmp(f, "ti") == 0) return AD_F_TITLE;
  if (strcmp(f, "abs") == 0) return AD_F_ABSTRACT;
  if (strcmp(f, "au") == 0) return AD_F_AUTHORS;
  if (strcmp(f, "co") == 0) return AD_F_COMMENT;
  return -1;
}

/* Is the value at i a table whose raw type is the string ty with exactly
** one raw operand? */
static int lad_qis1(lua_State *L, int i, const char *ty) {
  int yes;
  i = lua_absindex(L, i);
  if (lua_type(L, i) != LUA_TTABLE || lua_rawlen(L, i) != 1) return 0;
  yes = lad_qget(L, i, "type") == LUA_TSTRING && strcmp(lua_tostring(L, -1), ty) == 0;
  lua_pop(L, 1);
  return yes;
}

/* Replaces the value at the top by the operand it stands for, through
** and/or nodes of one operand; counts the steps in *steps (stops past
** AD_QMAXDEPTH: a cycle). */
static void lad_qthrough(lua_State *L, int *steps) {
  while (*steps <= AD_QMAXDEPTH && (lad_qis1(L, -1, "and") || lad_qis1(L, -1, "or"))) {
    lua_rawgeti(L, -1, 1);
    lua_remove(L, -2);
    (*steps)++;
  }
}

/* Walks the node at stack index t (a table); measures it, and fills node
** x->n when in fill mode. Returns the node's index. The tree is read in
** the parser's normal form, so that it scores like its text: an and/or
** of one operand is that operand, and a double negation is its operand
** (the parser reads "--x" and "-(-x)" as x; a 'not' scores 0). */
static uint32_t lad_qwalk(lua_State *L, lad_qctx *x, int t, int depth) {
  char ty[16];
  const char *tys;
  size_t tl;
  uint32_t me = x->n;
  ad_xnode nd;
  if (depth > AD_QMAXDEPTH) lad_qerr(L, x, "query nested too deeply%s", "");
  luaL_checkstack(L, 8, "query nested too deeply");
  if (lua_type(L, t) != LUA_TTABLE)
    lad_qerr(L, x, "query node is not a table (got %s)", luaL_typename(L, t));
  if (lad_qget(L, t, "type") != LUA_TSTRING)
    lad_qerr(L, x, "query node without a type%s", "");
  tys = lua_tolstring(L, -1, &tl);
  if (tl >= sizeof ty) lad_qerr(L, x, "unknown query node type '%s'", tys);
  memcpy(ty, tys, tl + 1);   /* a copy: the tree may change under us */
  lua_pop(L, 1);
  if ((!strcmp(ty, "and") || !strcmp(ty, "or")) && lua_rawlen(L, t) == 1) {
    uint32_t k;
    lua_rawgeti(L, t, 1);
    k = lad_qwalk(L, x, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
    return k;
  }
  if (!strcmp(ty, "not") && lua_rawlen(L, t) == 1) {
    int steps = 0;
    lua_rawgeti(L, t, 1);
    lad_qthrough(L, &steps);
    if (lad_qis1(L, -1, "not")) {
      uint32_t k;
      lua_rawgeti(L, -1, 1);
      k = lad_qwalk(L, x, lua_gettop(L), depth + steps + 2);
      lua_pop(L, 2);
      return k;
    }
    lua_pop(L, 1);
  }
  if (x->nodes != NULL && me >= x->ncap) lad_qchanged(L, x);
  if (++x->n > LAD_MAXNODES) lad_qerr(L, x, "query too large%s", "");
  memset(&nd, 0, sizeof nd);
  nd.field = -1;
  if (!strcmp(ty, "and") || !strcmp(ty, "or") || !strcmp(ty, "not")) {
    lua_Integer i, len = (lua_Integer)lua_rawlen(L, t);
    uint32_t first = x->nk;
    nd.type = ty[0] == 'a' ? AD_QN_AND : ty[0] == 'o' ? AD_QN_OR : AD_QN_NOT;
    if (len < 1) lad_qerr(L, x, "'%s' node without operands", ty);
    if (nd.type == AD_QN_NOT && len != 1)
      lad_qerr(L, x, "'not' node with more than one operand%s", "");
    if ((uint64_t)len > LAD_MAXNODES) lad_qerr(L, x, "query too large%s", "");
    if (x->nodes != NULL && (uint64_t)first + (uint64_t)len > x->kcap)
      lad_qchanged(L, x);
    x->nk += (uint32_t)len;
    nd.nkids = (uint32_t)len;
    nd.kids = x->nodes != NULL ? x->kids + first : NULL;
    if (x->nodes != NULL) x->nodes[me] = nd;   /* children refer to me */
    for (i = 1; i <= len; i++) {
      uint32_t k;
      lua_rawgeti(L, t, i);
      k = lad_qwalk(L, x, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
      if (x->nodes != NULL) x->kids[first + (uint32_t)i - 1] = k;
    }
    return me;
  } else if (!strcmp(ty, "term") || !strcmp(ty, "phrase")) {
    size_t n, fl;
    const char *s, *f;
    if (x->cheap)
      lad_qerr(L, x, "'%s' is not a cheap filter (it needs the index or the "
               "decoded text)", ty);
    nd.type = ty[0] == 't' ? AD_QN_TERM : AD_QN_PHRASE;
    f = lad_qstring(L, x, t, "field", ty, 1, &fl);
    if (f != NULL) {
      if ((nd.field = lad_qfield(f)) < 0)
        lad_qerr(L, x, "unknown query field '%s' (ti, abs, au or co)", f);
      lua_pop(L, 1);
    }
    switch (lad_qget(L, t, "prefix")) {
      case LUA_TNIL: break;
      case LUA_TBOOLEAN: nd.prefix = lua_toboolean(L, -1); break;
      default: lad_qerr(L, x, "'%s' node: 'prefix' must be a boolean", ty);
    }
    lua_pop(L, 1);
    /* a phrase is never a prefix: the parser writes none and format
    ** ignores one, so its text would not be the tree ("state-of-the-art"
    ** is not state-of-the-art*) */
    if (nd.type == AD_QN_PHRASE) nd.prefix = 0;
    s = lad_qstring(L, x, t, "text", ty, 0, &n);
    nd.text = lad_qsave(L, x, s, n);
    nd.len = n;
    lua_pop(L, 1);
  } else if (!strcmp(ty, "cat") || !strcmp(ty, "primary") || !strcmp(ty, "id")
             || !strcmp(ty, "has")) {
    size_t n;
    const char *s = lad_qstring(L, x, t, "value", ty, 0, &n);
    nd.type = ty[0] == 'c' ? AD_QN_CAT : ty[0] == 'p' ? AD_QN_PRIMARY
            : ty[0] == 'i' ? AD_QN_ID : AD_QN_HAS;
    if (nd.type == AD_QN_CAT || nd.type == AD_QN_PRIMARY) {
      /* prefix: every category starting with the value (query.lua's
      ** category_node writes `cat:cs.*` as value "cs.", prefix true) */
      switch (lad_qget(L, t, "prefix")) {
        case LUA_TNIL: break;
        case LUA_TBOOLEAN: nd.prefix = lua_toboolean(L, -1); break;
        default: lad_qerr(L, x, "'%s' node: 'prefix' must be a boolean", ty);
      }
      lua_pop(L, 1);
    }
    if (nd.type == AD_QN_HAS) {
      if (!strcmp(s, "doi")) nd.a = AD_HAS_DOI;
      else if (!strcmp(s, "journal")) nd.a = AD_HAS_JOURNAL;
      else if (!strcmp(s, "code")) nd.a = AD_HAS_CODE;
      else lad_qerr(L, x, "unknown has:%s", s);
    } else if (nd.type == AD_QN_ID) {
      uint32_t off, len;
      uint16_t ver;
      if (ad_parse_id(s, n, &off, &len, &ver)) { s += off; n = len; }
    }
    nd.text = lad_qsave(L, x, s, n);
    nd.len = n;
    lua_pop(L, 1);
  } else if (!strcmp(ty, "date")) {
    nd.type = AD_QN_DATE;
    nd.a = lad_qdate(L, x, t, "from", 0);
    nd.b = lad_qdate(L, x, t, "to", 99991231);
  } else if (!strcmp(ty, "version")) {
    nd.type = AD_QN_VERSION;
    /* a paper without a version (version 0: a daily listing) matches no
    ** version node, as in match.lua and query.format (which writes a
    ** missing min as 1) */
    nd.a = lad_qversion(L, x, t, "min", 1, 0);
    if (nd.a == 0) nd.a = 1;
    nd.b = lad_qversion(L, x, t, "max", 0, 1);
  } else if (!strcmp(ty, "all")) {
    nd.type = AD_QN_ALL;
  } else {
    lad_qerr(L, x, "unknown query node type '%s'", ty);
  }
  if (x->nodes != NULL) x->nodes[me] = nd;
  return me;
}

/* the query parser, arxivdigest.query's parse (cached in the registry) */
static const char lad_parser_key = 0;

static void lad_pushparser(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &lad_parser_key) == LUA_TFUNCTION) return;
  lua_pop(L, 1);
  if (lua_getglobal(L, "require") != LUA_TFUNCTION)
    luaL_error(L, "query strings need 'require' (to load arxivdigest.query)");
  lua_pushliteral(L, "arxivdigest.query");
  lua_call(L, 1, 1);
  if (!lua_istable(L, -1) || lua_getfield(L, -1, "parse") != LUA_TFUNCTION)
    luaL_error(L, "arxivdigest.query has no parse function");
  lua_remove(L, -2);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &lad_parser_key);
}

const ad_xnode *lad_checkquery(lua_State *L, int arg, uint32_t *n, int cheap,
                               const char *who) {
  lad_qctx x;
  int t;
  char *buf;
  size_t nodesz, kidsz;
  arg = lua_absindex(L, arg);
  memset(&x, 0, sizeof x);
  x.who = who;
  x.cheap = cheap;
  if (lua_type(L, arg) == LUA_TSTRING) {
    lad_pushparser(L);
    lua_pushvalue(L, arg);
    lua_call(L, 1, 1);            /* a malformed query raises its message */
  } else if (lua_type(L, arg) == LUA_TTABLE) {
    lua_pushvalue(L, arg);
  } else {
    luaL_typeerror(L, arg, "query string or tree");
  }
  t = lua_gettop(L);
  lad_qwalk(L, &x, t, 0);         /* measure */
  nodesz = (size_t)x.n * sizeof(ad_xnode);
  kidsz = (size_t)x.nk * sizeof(uint32_t);
  buf = (char *)lua_newuserdatauv(L, nodesz + kidsz + x.nb + 1, 1);
  x.nodes = (ad_xnode *)(void *)buf;
  x.kids = (uint32_t *)(void *)(buf + nodesz);
  x.bytes = buf + nodesz + kidsz;
  x.ncap = x.n; x.kcap = x.nk; x.bcap = x.nb;
  x.n = 0; x.nk = 0; x.nb = 0;
  lad_qwalk(L, &x, t, 0);         /* fill: never past what was measured */
  if (x.n != x.ncap || x.nk != x.kcap) lad_qchanged(L, &x);
  lua_pushvalue(L, t);            /* the tree, for those who want it back */
  lua_setiuservalue(L, -2, 1);
  lua_remove(L, t);               /* only the nodes' userdata is left */
  *n = x.n;
  return x.nodes;
}
/* }====================================================== */

/* {====================================================== snippet terms */
#define LAD_SNIPMAX 64

typedef struct lad_snipterms {
  uint32_t n;
  uint32_t off[LAD_SNIPMAX], len[LAD_SNIPMAX];
  int prefix[LAD_SNIPMAX];
  char bytes[LAD_SNIPMAX * (AD_TOK_MAX + 1)];
} lad_snipterms;

static void lad_snipadd(lad_snipterms *st, const char *s, size_t n, int pre) {
  uint32_t i, off = st->n ? st->off[st->n - 1] + st->len[st->n - 1] : 0;
  if (st->n == LAD_SNIPMAX || n > AD_TOK_MAX) return;
  for (i = 0; i < st->n; i++)
    if (st->len[i] == n && st->prefix[i] == pre &&
        memcmp(st->bytes + st->off[i], s, n) == 0)
      return;
  memcpy(st->bytes + off, s, n);
  st->off[st->n] = off; st->len[st->n] = (uint32_t)n; st->prefix[st->n] = pre;
  st->n++;
}

/* the positive TERM/PHRASE nodes (authors excepted) of node i, tokenized */
static void lad_snipwalk(lad_snipterms *st, const ad_xnode *q, uint32_t n,
                         uint32_t i, int positive, int depth) {
  const ad_xnode *x = &q[i];
  uint32_t k;
  if (depth > AD_QMAXDEPTH) return;
  switch (x->type) {
    case AD_QN_TERM: case AD_QN_PHRASE: {
      ad_qterm qt;             /* what the node matches, as the index reads it */
      uint32_t j;
      if (!positive || x->field == AD_F_AUTHORS) return;
      ad_qterm_of(x->text, x->len, x->type == AD_QN_PHRASE, x->prefix, &qt);
      for (j = 0; j < qt.nw; j++) lad_snipadd(st, qt.w[j], qt.wl[j], qt.prefix);
      return;
    }
    case AD_QN_NOT: positive = !positive; /* fall through */
    case AD_QN_AND: case AD_QN_OR:
      for (k = 0; k < x->nkids; k++)
        if (x->kids[k] > i && x->kids[k] < n)
          lad_snipwalk(st, q, n, x->kids[k], positive, depth + 1);
      return;
    default: return;
  }
}

void lad_pushsnipterms(lua_State *L, const ad_xnode *nodes, uint32_t n) {
  lad_snipterms *st = (lad_snipterms *)lua_newuserdatauv(L, sizeof *st, 0);
  st->n = 0;
  if (n > 0) lad_snipwalk(st, nodes, n, 0, 1, 0);
}

void lad_snippet_with(lua_State *L, const char *text, size_t n, int t,
                      const char *open, size_t lo, const char *close,
                      size_t lc, lua_Integer width) {
  const lad_snipterms *st = (const lad_snipterms *)lua_touserdata(L, t);
  const char *terms[LAD_SNIPMAX];
  size_t tl[LAD_SNIPMAX];
  uint32_t i;
  luaL_Buffer b;
  size_t cap;
  char *out;
  if (st == NULL) luaL_error(L, "snippet: no query terms");
  for (i = 0; i < st->n; i++) {
    terms[i] = st->bytes + st->off[i];
    tl[i] = st->len[i];
  }
  if (width < 1) width = 1;
  if (width > 256) width = 256;
  /* the text, two ellipses, and a pair of marks per word of the window
  ** at most (not per word of the text: a long marker and a long text
  ** would ask for gigabytes) */
  cap = n + 8 + ((size_t)width < n / 2 + 2 ? (size_t)width : n / 2 + 2) * (lo + lc);
  out = luaL_buffinitsize(L, &b, cap);
  luaL_pushresultsize(&b, ad_snippet(text, n, terms, tl, st->prefix, st->n,
                                     (uint32_t)width, open, close, out, cap));
}
/* }====================================================== */
