/*
** lad.c: the Lua binding of the core (module arxivdigest.core): the module
** entry, the helpers every binding file shares, and the module functions
** that belong to no type (open, parse, tokens, snippet). The types are in
** lad_coll.c (Collection, Paper), lad_index.c (Index, Hit) and
** lad_mpaper.c (MergedPaper); query trees are converted in lad_query.c.
*/
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lad.h"
#include "ad_token.h"

#define LAD_EXPORT __attribute__((visibility("default")))

/* {====================================================== helpers */
void lad_alloc(lua_State *L, ad_alloc *a) {
  a->f = (ad_allocf)lua_getallocf(L, &a->ud);
}

/* A failed core call raises its reason. Bad data or I/O (a file, an
** index) is not a mistake in the calling script: the message carries no
** script position ("FILE: corrupted index ...", as the command prints it);
** only unknown codes keep luaL_error's position. */
int lad_error(lua_State *L, int code, const char *what) {
  switch (code) {
    case AD_ENOMEM: lua_pushliteral(L, "not enough memory"); break;
    case AD_EIO: lua_pushfstring(L, "%s: %s", what, ad_strerror(errno)); break;
    case AD_ETOOBIG: lua_pushfstring(L, "%s: file too large (limit 2 GiB)", what); break;
    case AD_ECHANGED:
      lua_pushfstring(L, "%s: source file changed since it was indexed (run update)", what);
      break;
    case AD_ECORRUPT:
      lua_pushfstring(L, "%s: corrupted index (checksum or bounds check failed)", what);
      break;
    default: return luaL_error(L, "%s: error %d", what, code);
  }
  return lua_error(L);
}

/* a method of lad_newmethods: upvalue 1 the function, 2 its name */
static int lad_method(lua_State *L) {
  lua_CFunction f = lua_tocfunction(L, lua_upvalueindex(1));
  lua_Debug ar;
  const char *msg, *p;
  int n = lua_gettop(L), st;
  long k = 0;
  if (!lua_getstack(L, 0, &ar)) return f(L);
  lua_getinfo(L, "n", &ar);
  if (ar.name != NULL && strcmp(ar.name, "?") != 0)
    return f(L);                           /* Lua names it: the same frame */
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  st = lua_pcall(L, n, LUA_MULTRET, 0);
  if (st == LUA_OK) return lua_gettop(L);
  if (st != LUA_ERRRUN || lua_type(L, -1) != LUA_TSTRING) return lua_error(L);
  msg = lua_tostring(L, -1);
  if (strncmp(msg, "bad argument #", 14) != 0) return lua_error(L);
  for (p = msg + 14; *p >= '0' && *p <= '9' && k < 1000; p++) k = k * 10 + (*p - '0');
  if (p == msg + 14 || k < 1 || strncmp(p, " to '?' (", 9) != 0) return lua_error(L);
  p += 9;                                  /* the reason, and its ')' */
  luaL_where(L, 1);
  if (k == 1)
    lua_pushfstring(L, "calling '%s' on bad self (%s", lua_tostring(L, lua_upvalueindex(2)), p);
  else
    lua_pushfstring(L, "bad argument #%d to '%s' (%s", (int)(k - 1),
                    lua_tostring(L, lua_upvalueindex(2)), p);
  lua_concat(L, 2);
  return lua_error(L);
}

void lad_newmethods(lua_State *L, const luaL_Reg *l) {
  lua_newtable(L);
  lad_setmethods(L, l);
}

void lad_setmethods(lua_State *L, const luaL_Reg *l) {
  for (; l->name != NULL; l++) {
    lua_pushcfunction(L, l->func);
    lua_pushstring(L, l->name);
    lua_pushcclosure(L, lad_method, 2);
    lua_setfield(L, -2, l->name);
  }
}

int lad_fail(lua_State *L, const char *what, int e) {
  luaL_pushfail(L);
  lua_pushfstring(L, "%s: %s", what, ad_strerror(e));
  lua_pushinteger(L, ad_errno(e));
  return 3;
}

int lad_opttable(lua_State *L, int t) {
  if (lua_isnoneornil(L, t)) return 0;
  if (lua_type(L, t) != LUA_TTABLE) luaL_typeerror(L, t, "options table");
  return 1;
}

const char *lad_unknownkey(lua_State *L, int t, const char *const known[], int skip_, int *isname) {
  t = lua_absindex(L, t);
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    int i, ok = 0;
    lua_pop(L, 1);                                  /* the value; the key stays */
    *isname = lua_type(L, -1) == LUA_TSTRING;
    if (*isname) {
      const char *k = lua_tostring(L, -1);
      if (skip_ && k[0] == '_') ok = 1;
      for (i = 0; !ok && known[i] != NULL; i++) ok = strcmp(k, known[i]) == 0;
    }
    if (!ok) return *isname ? lua_tostring(L, -1) : luaL_typename(L, -1);  /* (the key stays) */
  }
  return NULL;
}

void lad_checkkeys(lua_State *L, int t, const char *const known[]) {
  const char *key, *list;
  luaL_Buffer b;
  int i, isname;
  if (!lad_opttable(L, t)) return;
  if ((key = lad_unknownkey(L, t, known, 1, &isname)) == NULL) return;
  luaL_buffinit(L, &b);
  for (i = 0; known[i] != NULL; i++) {
    if (i > 0) luaL_addstring(&b, ", ");
    luaL_addstring(&b, known[i]);
  }
  luaL_pushresult(&b);
  list = lua_tostring(L, -1);
  luaL_argerror(L, t, isname ? lua_pushfstring(L, "unknown option '%s' (known: %s)", key, list)
                             : lua_pushfstring(L, "option keys are names, got a %s (known: %s)", key, list));
}

int lad_readonly(lua_State *L) {
  const char *tname = "object", *hint = "";
  if (luaL_getmetafield(L, 1, "__name") == LUA_TSTRING) tname = lua_tostring(L, -1);
  if (strcmp(tname, LAD_PAPER) == 0 || strcmp(tname, LAD_MPAPER) == 0)
    hint = "; p:totable() gives a plain table to change";
  return luaL_error(L, "%s is read-only (cannot set field '%s'%s)", tname,
                    luaL_tolstring(L, 2, NULL), hint);
}

int lad_optthreads(lua_State *L, int t, int dflt) {
  int threads = dflt;
  if (!lad_opttable(L, t)) return threads;
  if (lua_getfield(L, t, "threads") != LUA_TNIL) {
    int isint;
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    if (lua_type(L, -1) != LUA_TNUMBER || !isint || v < 1)
      luaL_argerror(L, t, "threads must be an integer >= 1");
    threads = v > AD_MAX_THREADS ? AD_MAX_THREADS : (int)v;
  }
  lua_pop(L, 1);
  return threads;
}

void lad_pushdate(lua_State *L, uint32_t v) {
  char d[11];
  if (v == 0 || v > 99991231) { lua_pushnil(L); return; }
  d[0] = (char)('0' + v / 10000000 % 10); d[1] = (char)('0' + v / 1000000 % 10);
  d[2] = (char)('0' + v / 100000 % 10); d[3] = (char)('0' + v / 10000 % 10);
  d[4] = '-'; d[5] = (char)('0' + v / 1000 % 10); d[6] = (char)('0' + v / 100 % 10);
  d[7] = '-'; d[8] = (char)('0' + v / 10 % 10); d[9] = (char)('0' + v % 10);
  lua_pushlstring(L, d, 10);
}

uint32_t lad_parsedate(const char *s, size_t n) {
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
/* }====================================================== */

/* {====================================================== module functions */
/* The open options at index 2 (nil or a table): threads (an integer >= 1)
** and, for the tests, _parallel_min_bytes (an integer >= 0). */
static void lad_openopts(lua_State *L, int *threads, uint64_t *minbytes) {
  static const char *const known[] = {"threads", NULL};
  lad_checkkeys(L, 2, known);
  *threads = lad_optthreads(L, 2, ad_default_threads());
  *minbytes = AD_PARALLEL_MIN_BYTES;
  if (!lad_opttable(L, 2)) return;
  if (lua_getfield(L, 2, "_parallel_min_bytes") != LUA_TNIL) {
    int isint;
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    if (!isint || v < 0)
      luaL_argerror(L, 2, "_parallel_min_bytes must be an integer >= 0");
    *minbytes = (uint64_t)v;
  }
  lua_pop(L, 1);
}

int lad_openpaths(lua_State *L, int arg, int threads, uint64_t minbytes) {
  lad_collection *lc;
  const char **v;
  uint32_t n = 1, bad = 0;
  int t, st, base = lua_gettop(L);
  arg = lua_absindex(L, arg);
  t = lua_type(L, arg);
  if (t != LUA_TSTRING && t != LUA_TTABLE)
    return luaL_typeerror(L, arg, "string or table");
  if (t == LUA_TTABLE) {  /* check the list before doing anything */
    lua_Integer i, len = (lua_Integer)luaL_len(L, arg);
    if (len == 0) luaL_argerror(L, arg, "empty list of paths");
    if (len < 0 || len > (lua_Integer)(INT32_MAX / sizeof(char *)))
      luaL_argerror(L, arg, "too many paths");
    n = (uint32_t)len;
    lua_createtable(L, (int)n, 0);  /* base+1: the paths, anchored */
    for (i = 1; i <= len; i++) {
      if (lua_geti(L, arg, i) != LUA_TSTRING)
        luaL_argerror(L, arg, lua_pushfstring(L, "item %d is a %s, a path "
                      "(string) was expected", (int)i, luaL_typename(L, -1)));
      lua_rawseti(L, base + 1, i);
    }
  } else {
    lua_createtable(L, 1, 0);
    lua_pushvalue(L, arg);
    lua_rawseti(L, base + 1, 1);
  }
  v = (const char **)lua_newuserdatauv(L, (size_t)n * sizeof(char *), 0);  /* base+2 */
  {
    uint32_t i;
    for (i = 0; i < n; i++) {
      lua_rawgeti(L, base + 1, (lua_Integer)i + 1);
      v[i] = lua_tostring(L, -1);  /* anchored in the table at base+1 */
      lua_pop(L, 1);
    }
  }
  lc = lad_newcoll(L, 1);  /* base+3 */
  st = ad_corpus_add_paths(lc->c, v, n, threads, minbytes, &bad,
                           &lc->threads);
  if (st == AD_EIO) return lad_fail(L, v[bad], errno);
  if (st != AD_OK) lad_error(L, st, v[bad]);
  lua_replace(L, base + 1);
  lua_settop(L, base + 1);
  return 1;
}

/* open(path | {paths} [, opts]) -> Collection | nil, "path: reason", errno
** opts.threads: how many threads read and scan the files (default: the
** online CPUs, at most 8; small inputs are read on this thread alone). */
static int lad_open(lua_State *L) {
  uint64_t minbytes;
  int t = lua_type(L, 1), threads;
  if (t != LUA_TSTRING && t != LUA_TTABLE)
    return luaL_typeerror(L, 1, "string or table");
  lad_openopts(L, &threads, &minbytes);
  lua_settop(L, 1);
  return lad_openpaths(L, 1, threads, minbytes);
}

/* parse(text [, name]) -> Collection (the text is kept, not copied) */
static int lad_parse(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "(string)");
  lad_collection *lc = lad_newcoll(L, 1);
  int st;
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);  /* keep the string alive */
  st = ad_corpus_add_text(lc->c, name, text, len, 0);
  if (st != AD_OK) lad_error(L, st, name);
  return 1;
}

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

/* fold(s) -> s lowercased with letters folded like the index folds them
** ("Müller" -> "muller", "Łukasz" -> "lukasz"), other characters kept */
static int lad_fold(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, AD_FOLD_BOUND(n));
  luaL_pushresultsize(&b, ad_fold(s, n, out));
  return 1;
}

/* words(s [, compounds]) -> the folded words of s joined by single spaces,
** as the index sees them ("Zero-Shot, NeRF!" -> "zero shot nerf"): hyphen
** groups give their parts; with compounds, only the hyphen groups'
** compounds ("zero-shot") */
static int lad_words(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  int compounds = lua_toboolean(L, 2);
  ad_tokenizer tz;
  ad_tok tk;
  luaL_Buffer b;
  int first = 1;
  luaL_buffinit(L, &b);
  ad_tok_init(&tz, s, n);
  while (ad_tok_next(&tz, &tk)) {
    if ((tk.kind == AD_TK_COMPOUND) != (compounds != 0)) continue;
    if (!first) luaL_addchar(&b, ' ');
    luaL_addlstring(&b, tk.s, tk.len);
    first = 0;
  }
  luaL_pushresult(&b);
  return 1;
}

/* qterm(text [, phrase [, prefix]]) -> kind, needle, prefix: what the text
** of a query's term (or phrase) matches, by the index's rule (ad_qterm_of):
** kind "empty", "compound" (needle: the hyphen group's compound, matched
** against words(s, true)), "word" or "phrase" (needle: the words, matched
** against words(s)); prefix: whether the needle is a prefix. */
static int lad_qterm(lua_State *L) {
  static const char *const kinds[] = {"empty", "compound", "word", "phrase"};
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  ad_qterm qt;
  luaL_Buffer b;
  uint32_t k;
  ad_qterm_of(s, n, lua_toboolean(L, 2), lua_toboolean(L, 3), &qt);
  lua_pushstring(L, kinds[qt.kind]);
  luaL_buffinit(L, &b);
  for (k = 0; k < qt.nw; k++) {
    if (k) luaL_addchar(&b, ' ');
    luaL_addlstring(&b, qt.w[k], qt.wl[k]);
  }
  luaL_pushresult(&b);
  lua_pushboolean(L, qt.prefix);
  return 3;
}

/* Pushes f(s, n, flag, out) for the string at index 1: a one-pass text
** rule of the core writing at most factor n + 2 bytes (name: for the
** error of a string too long) */
static int lad_textpass(lua_State *L, size_t factor, int flag, const char *name,
                        size_t (*f)(const char *, size_t, int, char *)) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  luaL_Buffer b;
  char *out;
  if (n > ((size_t)-1 - 2) / factor) return luaL_error(L, "%s: string too long", name);
  out = luaL_buffinitsize(L, &b, n * factor + 2);
  luaL_pushresultsize(&b, f(s, n, flag, out));
  return 1;
}

static size_t lad_json_pass(const char *s, size_t n, int flag, char *out) {
  (void)flag;
  return ad_json_quote(s, n, out);
}

/* json_string(s) -> s as a JSON string, quotes included (ad_json_quote:
** UTF-8 repaired, controls, "</", U+2028/9, bidi and C1 controls escaped) */
static int lad_json_string(lua_State *L) {
  return lad_textpass(L, 6, 0, "json_string", lad_json_pass);
}

/* clean(s [, keep_space]) -> s cleaned for display (ad_text_clean) */
static int lad_clean(lua_State *L) {
  return lad_textpass(L, 3, lua_toboolean(L, 2), "clean", ad_text_clean);
}

/* xml(s) -> s cleaned (as clean(s)) and escaped for XML text and
** attribute values (ad_xml_escape): format.util's xml in two C passes */
static int lad_xml(lua_State *L) {
  size_t m;
  const char *s;
  luaL_Buffer b;
  char *out;
  lad_textpass(L, 3, 0, "xml", ad_text_clean);
  s = lua_tolstring(L, -1, &m);
  if (ad_xml_plain(s, m)) return 1;
  if (m > ((size_t)-1 - 2) / 6) return luaL_error(L, "xml: string too long");
  out = luaL_buffinitsize(L, &b, m * 6 + 2);
  luaL_pushresultsize(&b, ad_xml_escape(s, m, out));
  return 1;
}

/* now() -> seconds of a monotonic clock (wall time, for the command's
** reports of how long something took) */
static int lad_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

/* isatty(fd) -> whether file descriptor fd (0, 1, 2...) is a terminal
** (the command's progress and colours; no shell spawned for it) */
static int lad_isatty(lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  luaL_argcheck(L, fd >= 0 && fd <= 1024, 1, "a file descriptor (0 to 1024)");
  lua_pushboolean(L, isatty((int)fd) == 1);
  return 1;
}

/* has_code(s) -> whether s links to a code-hosting site (the has:code
** rule of the index and of select) */
static int lad_has_code(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  lua_pushboolean(L, ad_has_code(s, n));
  return 1;
}

/* category_has(field, value [, prefix [, first]]) -> whether value is one
** of the categories of a categories (or, first, primary category) field,
** by the rule of the index and of c:select (ad_cat_has) */
static int lad_category_has(lua_State *L) {
  size_t n, vn;
  const char *s = luaL_checklstring(L, 1, &n);
  const char *v = luaL_checklstring(L, 2, &vn);
  lua_pushboolean(L, ad_cat_has(s, n, v, vn, lua_toboolean(L, 3), lua_toboolean(L, 4)));
  return 1;
}

/* snippet(text, query [, open [, close [, width]]]) -> string: the best
** passage of text with the terms of query (a query string or tree) marked */
static int lad_snippet(lua_State *L) {
  size_t n, lo, lc;
  const char *s = luaL_checklstring(L, 1, &n);
  const char *open = luaL_optlstring(L, 3, "\xc2\xab", &lo);
  const char *close = luaL_optlstring(L, 4, "\xc2\xbb", &lc);
  lua_Integer width = luaL_optinteger(L, 5, 30);
  uint32_t nn;
  const ad_xnode *q;
  luaL_checkany(L, 2);
  lua_settop(L, 5);
  q = lad_checkquery(L, 2, &nn, 0, "snippet");   /* 6 */
  lad_pushsnipterms(L, q, nn);                   /* 7 */
  lad_snippet_with(L, s, n, 7, open, lo, close, lc, width);
  return 1;
}

/* filetype(path) -> "file", "directory", "character device", "block
** device", "named pipe", "socket" or "other" (symbolic links followed);
** nil when nothing is there; nil, "path: reason" when it cannot be told.
** The writers (arxivdigest.output) never rename over what is not a file:
** run as root, a rename over /dev/full replaces the device node itself. */
static int lad_filetype(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  const char *k;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT) { luaL_pushfail(L); return 1; }
    return lad_fail(L, path, errno);
  }
  k = S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "directory"
    : S_ISCHR(st.st_mode) ? "character device" : S_ISBLK(st.st_mode) ? "block device"
    : S_ISFIFO(st.st_mode) ? "named pipe" : S_ISSOCK(st.st_mode) ? "socket" : "other";
  lua_pushstring(L, k);
  return 1;
}

/* samefile(path, fd) -> whether path (symbolic links followed) names the
** file open on descriptor fd (same device and inode): -o /dev/stdout, or a
** path that is the file the shell redirected stdout to, is written through
** the stream, never opened, truncated or renamed over. false when nothing
** is at path or fd is not open. */
static int lad_samefile(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_Integer fd = luaL_checkinteger(L, 2);
  struct stat a, b;
  luaL_argcheck(L, fd >= 0 && fd <= 1024, 2, "a file descriptor (0 to 1024)");
  lua_pushboolean(L, stat(path, &a) == 0 && fstat((int)fd, &b) == 0
                  && a.st_dev == b.st_dev && a.st_ino == b.st_ino);
  return 1;
}

/* linktarget(path) -> the path a write to path reaches (ad_link_target:
** the final component's symbolic links followed; path itself when it is
** no link or too long). The atomic writer renames over this. */
static int lad_linktarget(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  char out[AD_PATH_MAX];
  if (ad_link_target(path, out, sizeof out) == 0) lua_pushstring(L, path);
  else lua_pushstring(L, out);
  return 1;
}

/* plain_text(s) -> whether the text format prints s unchanged: printable
** ASCII, single spaces, no space at either end (ad_text_plain) */
static int lad_plain_text(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  lua_pushboolean(L, ad_text_plain(s, n));
  return 1;
}

/* wrap_plain(s, width [, indent]) -> s wrapped as format/text.lua wraps
** it: lines of at most max(width - #indent, 10) bytes (a word longer than
** that cut), each after indent, joined by "\n"; nil (fail) when s is not
** plain text (ad_text_plain), which the text format cleans first. One pass
** over s, linear. */
static int lad_wrap_plain(lua_State *L) {
  size_t n, ilen, pos = 0, avail;
  const char *s = luaL_checklstring(L, 1, &n);
  lua_Integer width = luaL_checkinteger(L, 2), a;
  const char *ind = luaL_optlstring(L, 3, "", &ilen);
  luaL_Buffer b;
  if (!ad_text_plain(s, n)) { luaL_pushfail(L); return 1; }
  /* math.max(width - #indent, 10), with Lua's wrap-around subtraction */
  a = (lua_Integer)((lua_Unsigned)width - (lua_Unsigned)ilen);
  if (a < 10) a = 10;
  avail = (lua_Unsigned)a > n ? n : (size_t)a;        /* n: all of it fits */
  luaL_buffinit(L, &b);
  do {
    size_t next, len = ad_wrap_line(s, n, pos, avail, &next);
    if (pos > 0) luaL_addchar(&b, '\n');
    luaL_addlstring(&b, ind, ilen);
    luaL_addlstring(&b, s + pos, len);
    pos = next;
  } while (pos < n);
  luaL_pushresult(&b);
  return 1;
}

/* dois(s) -> the DOIs of a DOI field, in order, each once (compared
** without case): ad_doi_next's rule (white space separates, resolver
** prefixes and trailing ". , ; :" dropped); {} for none */
static int lad_dois(lua_State *L) {
  size_t n, pos = 0, off, len;
  const char *s = luaL_checklstring(L, 1, &n);
  lua_Integer k = 0, j;
  lua_settop(L, 1);
  lua_newtable(L);
  while (ad_doi_next(s, n, &pos, &off, &len)) {
    int dup = 0;
    for (j = 1; j <= k && !dup; j++) {
      size_t m, i;
      const char *t;
      lua_rawgeti(L, 2, j);
      t = lua_tolstring(L, -1, &m);
      if (m == len) {
        for (i = 0; i < m; i++) {
          unsigned char a = (unsigned char)t[i], b = (unsigned char)s[off + i];
          if ((a >= 'A' && a <= 'Z' ? a + 32 : a) != (b >= 'A' && b <= 'Z' ? b + 32 : b)) break;
        }
        dup = i == m;
      }
      lua_pop(L, 1);
    }
    if (dup) continue;
    lua_pushlstring(L, s + off, len);
    lua_rawseti(L, 2, ++k);
  }
  return 1;
}

static const luaL_Reg lad_funcs[] = {
  {"open", lad_open},
  {"parse", lad_parse},
  {"tokens", lad_tokens},
  {"fold", lad_fold},
  {"words", lad_words},
  {"qterm", lad_qterm},
  {"json_string", lad_json_string},
  {"clean", lad_clean},
  {"xml", lad_xml},
  {"has_code", lad_has_code},
  {"category_has", lad_category_has},
  {"now", lad_now},
  {"isatty", lad_isatty},
  {"snippet", lad_snippet},
  {"filetype", lad_filetype},
  {"linktarget", lad_linktarget},
  {"samefile", lad_samefile},
  {"plain_text", lad_plain_text},
  {"wrap_plain", lad_wrap_plain},
  {"dois", lad_dois},
  {NULL, NULL}
};

LAD_EXPORT int luaopen_arxivdigest_core(lua_State *L);

int luaopen_arxivdigest_core(lua_State *L) {
  luaL_newlib(L, lad_funcs);
  lad_coll_open(L);
  lad_mpaper_open(L);
  lad_index_open(L);
  lad_sandbox_open(L);
  lad_watch_open(L);
  lad_recommend_open(L);
  lad_terms_open(L);
  return 1;
}
/* }====================================================== */
