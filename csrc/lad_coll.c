/*
** lad_coll.c: the Collection and Paper types (binding of ad_corpus).
** Collection: a corpus owned by a full userdata (closed state before any
** allocation, freed by __gc/__close). Paper: a tiny userdata (record index)
** whose user value is its Collection, so a paper keeps it alive; fields are
** decoded when read.
*/
#include <errno.h>
#include <string.h>
#include "lad.h"

lad_collection *lad_checkcoll(lua_State *L, int i) {
  lad_collection *lc = (lad_collection *)luaL_checkudata(L, i, LAD_COLLECTION);
  if (!lc->live) luaL_argerror(L, i, "collection is closed");
  return lc;
}

/* A C function that reads the corpus across Lua allocations holds it: an
** allocation may run a finalizer, and a finalizer may call c:close(). A
** close while held only marks the collection closed; the memory is freed
** when the last holder releases it (or by __gc, if an error skipped the
** release). */
lad_collection *lad_hold(lad_collection *lc) {
  lc = lc->owner;
  lc->busy++;
  return lc;
}

void lad_release(lad_collection *lc) {
  if (--lc->busy == 0 && lc->pending) {
    lc->pending = 0;
    ad_corpus_free(lc->c);
  }
}


/* {====================================================== fields */
enum {
  LF_ID, LF_VERSION, LF_TITLE, LF_AUTHORS, LF_ABSTRACT, LF_CATEGORIES,
  LF_PRIMARY, LF_PDF, LF_ABS, LF_DOI, LF_COMMENT, LF_JOURNAL, LF_PUBLISHED,
  LF_UPDATED, LF_DATE, LF_SOURCE, LF_LINE, LF_FORMAT, LF_POSITION,
  LF_CROSSLIST, LF_RAW, LF_NFIELDS
};

const char *const lad_fieldnames[LF_NFIELDS + 1] = {
  "id", "version", "title", "authors", "abstract", "categories",
  "primary_category", "pdf_url", "abs_url", "doi", "comment", "journal",
  "published", "updated", "date", "source", "line", "format", "position",
  "crosslist", "raw", NULL
};

const char *const lad_mergedfields[] = {
  "first_seen", "last_seen", "appearances", "history", NULL
};

/* Paper methods, numbered after the fields */
enum { LM_TOTABLE = LF_NFIELDS, LM_RECORD };

/* A field (LF_*) or method (LM_*) name of n bytes -> its id, -1 if none.
** One candidate per (length, first letter), then a memcmp. */
static int lad_nameid(const char *s, size_t n) {
  int id = -1;
  const char *want;
  switch (n) {
    case 2: id = LF_ID; break;
    case 3: id = s[0] == 'd' ? LF_DOI : LF_RAW; break;
    case 4: id = s[0] == 'd' ? LF_DATE : LF_LINE; break;
    case 5: id = LF_TITLE; break;
    case 6: id = s[0] == 'f' ? LF_FORMAT : s[0] == 's' ? LF_SOURCE : LM_RECORD; break;
    case 7:
      switch (s[0]) {
        case 'v': id = LF_VERSION; break;
        case 'a': id = s[1] == 'u' ? LF_AUTHORS : LF_ABS; break;
        case 'p': id = LF_PDF; break;
        case 'c': id = LF_COMMENT; break;
        case 'j': id = LF_JOURNAL; break;
        case 'u': id = LF_UPDATED; break;
        case 't': id = LM_TOTABLE; break;
        default: return -1;
      }
      break;
    case 8: id = s[0] == 'a' ? LF_ABSTRACT : LF_POSITION; break;
    case 9: id = s[0] == 'p' ? LF_PUBLISHED : LF_CROSSLIST; break;
    case 10: id = LF_CATEGORIES; break;
    case 16: id = LF_PRIMARY; break;
    default: return -1;
  }
  want = id == LM_TOTABLE ? "totable" : id == LM_RECORD ? "record" :
         lad_fieldnames[id];
  {  /* names are short: no memcmp call */
    size_t i;
    for (i = 0; i < n; i++)
      if (s[i] != want[i]) return -1;
  }
  return id;
}

static int lad_fieldid(const char *name) {
  int i;
  for (i = 0; i < LF_NFIELDS; i++)
    if (strcmp(lad_fieldnames[i], name) == 0) return i;
  return -1;
}

/* Most spans need no decoding: they are pushed (or split) straight from
** the file text. The others are decoded into a stack buffer when small
** enough, else into a scratch userdata left on the stack. */
#define LAD_LOCALBUF 2048

/* The decoded text of span sid of record rec in *out (length returned; 0
** when absent or empty after decoding). It is the file text itself (unless
** copy), local (of LAD_LOCALBUF bytes), or a new userdata pushed on the
** stack (*pushed = 1). Any allocation may run a finalizer that closes the
** collection and frees the text: callers that allocate more than once while
** they use *out ask for a copy, and after allocating the scratch userdata
** the record is looked up again. */
static size_t lad_decoded(lua_State *L, const ad_corpus *c, uint32_t rec,
                          int sid, char *local, const char **out,
                          int *pushed, int copy) {
  const ad_record *r = &c->recs[rec];
  size_t len = r->s[sid].len;
  const char *src;
  char *buf;
  int mode;
  *pushed = 0;
  if (len == 0 || (src = ad_rec_span(c, rec, sid)) == NULL) return 0;
  mode = ad_record_mode(r, sid);
  if (ad_decode_is_identity(src, len, mode)) {
    if (!copy) { *out = src; return len; }
    mode = -1;  /* copied as it is */
  }
  if (AD_DECODE_BOUND(len) <= LAD_LOCALBUF) buf = local;
  else {
    buf = (char *)lua_newuserdatauv(L, AD_DECODE_BOUND(len), 0);
    *pushed = 1;
    if (rec >= c->nrecs || (src = ad_rec_span(c, rec, sid)) == NULL)
      luaL_error(L, "paper of a closed collection");
    r = &c->recs[rec];
  }
  *out = buf;
  if (mode < 0) { memcpy(buf, src, len); return len; }
  return ad_decode(src, len, mode, buf);
}

/* Decode span sid of record rec and push it (nil when absent). */
static void lad_pushdecoded(lua_State *L, ad_corpus *c, uint32_t rec,
                            int sid) {
  char local[LAD_LOCALBUF];
  const char *s = NULL;
  int pushed;
  size_t n = lad_decoded(L, c, rec, sid, local, &s, &pushed, 0);
  if (n) lua_pushlstring(L, s, n); else lua_pushnil(L);
  if (pushed) lua_remove(L, -2);
}

/* Push the decoded span sid split on commas, as an array (markdown bold
** markers removed from each item). */
static void lad_pushlist(lua_State *L, ad_corpus *c, uint32_t rec,
                         int sid) {
  char local[LAD_LOCALBUF];
  const char *s = NULL;
  int pushed, t;
  size_t n = lad_decoded(L, c, rec, sid, local, &s, &pushed, 1), i = 0, k = 1;
  int nitems = n ? 1 : 0;  /* a size hint: commas + 1, at most 64 */
  for (i = 0; i < n && nitems < 64; i++) nitems += (s[i] == ',');
  lua_createtable(L, nitems, 0);
  t = lua_gettop(L);
  i = 0;
  while (i < n) {
    size_t a = i, e;
    const char *comma = (const char *)memchr(s + i, ',', n - i);
    i = comma ? (size_t)(comma - s) : n;
    e = i;
    i++;  /* skip the comma */
    while (a < e && (s[a] == ' ' || s[a] == '*')) a++;
    while (e > a && (s[e - 1] == ' ' || s[e - 1] == '*')) e--;
    if (e > a) {
      lua_pushlstring(L, s + a, e - a);
      lua_rawseti(L, t, (lua_Integer)k++);
    }
  }
  if (pushed) lua_remove(L, -2);
}

/* Push the categories of record rec as a list, by the rule of queries
** and of the index (ad_cat_next) */
static void lad_pushcats(lua_State *L, ad_corpus *c, uint32_t rec) {
  char local[LAD_LOCALBUF];
  const char *s = NULL;
  int pushed, t;
  size_t n = lad_decoded(L, c, rec, AD_S_CATEGORIES, local, &s, &pushed, 1), at = 0, a, e;
  lua_Integer k = 1;
  lua_createtable(L, 4, 0);
  t = lua_gettop(L);
  while (ad_cat_next(s, n, &at, &a, &e)) {
    lua_pushlstring(L, s + a, e - a);
    lua_rawseti(L, t, k++);
  }
  if (pushed) lua_remove(L, -2);
}

static void lad_pushstamp(lua_State *L, ad_corpus *c, uint32_t rec, int sid) {
  char out[21];
  const ad_record *r = &c->recs[rec];
  const char *src = r->s[sid].len ? ad_rec_span(c, rec, sid) : NULL;
  if (src != NULL && ad_iso8601(src, r->s[sid].len, out))
    lua_pushlstring(L, out, 20);
  else
    lua_pushnil(L);
}

/* Push the bytes of span sid of record rec as they are (nil when absent). */
static void lad_pushspan(lua_State *L, const ad_corpus *c, uint32_t rec, int sid) {
  const char *src = c->recs[rec].s[sid].len ? ad_rec_span(c, rec, sid) : NULL;
  if (src != NULL) lua_pushlstring(L, src, c->recs[rec].s[sid].len);
  else lua_pushnil(L);
}

/* Push field `fid` of record rec; its text must be there (ad_rec_load). */
static void lad_pushfield(lua_State *L, ad_corpus *c, uint32_t rec, int fid) {
  const ad_record *r = &c->recs[rec];
  const ad_file *f = &c->files[r->file];
  switch (fid) {
    case LF_ID: lad_pushspan(L, c, rec, AD_S_ID); break;
    case LF_VERSION:
      if (r->version) lua_pushinteger(L, r->version); else lua_pushnil(L);
      break;
    case LF_TITLE: lad_pushdecoded(L, c, rec, AD_S_TITLE); break;
    case LF_AUTHORS: lad_pushlist(L, c, rec, AD_S_AUTHORS); break;
    case LF_ABSTRACT: lad_pushdecoded(L, c, rec, AD_S_ABSTRACT); break;
    case LF_CATEGORIES:
      if (r->s[AD_S_CATEGORIES].len) lad_pushcats(L, c, rec);
      else lad_pushlist(L, c, rec, AD_S_PRIMARY);
      break;
    case LF_PRIMARY: lad_pushdecoded(L, c, rec, AD_S_PRIMARY); break;
    case LF_PDF: lad_pushdecoded(L, c, rec, AD_S_PDF); break;
    case LF_ABS:
      if (r->s[AD_S_ABS].len) lad_pushdecoded(L, c, rec, AD_S_ABS);
      else if (r->s[AD_S_ID].len) {
        lua_pushliteral(L, "https://arxiv.org/abs/");
        lad_pushspan(L, c, rec, AD_S_ID);
        if (lua_isnil(L, -1)) lua_pop(L, 2), lua_pushnil(L);
        else lua_concat(L, 2);
      } else lua_pushnil(L);
      break;
    case LF_DOI: lad_pushdecoded(L, c, rec, AD_S_DOI); break;
    case LF_COMMENT: lad_pushdecoded(L, c, rec, AD_S_COMMENT); break;
    case LF_JOURNAL: lad_pushdecoded(L, c, rec, AD_S_JOURNAL); break;
    case LF_PUBLISHED: lad_pushstamp(L, c, rec, AD_S_PUBLISHED); break;
    case LF_UPDATED: lad_pushstamp(L, c, rec, AD_S_UPDATED); break;
    case LF_DATE: lad_pushdate(L, r->date); break;
    case LF_SOURCE: lua_pushlstring(L, f->path, f->pathlen); break;
    case LF_LINE: lua_pushinteger(L, r->line); break;
    case LF_FORMAT:
      lua_pushstring(L, r->format == AD_FMT_LISTING ? "listing" : "catalog");
      break;
    case LF_POSITION:
      if (r->format == AD_FMT_LISTING) lua_pushinteger(L, r->position);
      else lua_pushnil(L);
      break;
    case LF_CROSSLIST: lua_pushboolean(L, (r->flags & AD_RF_CROSSLIST) != 0); break;
    case LF_RAW:
      lad_pushspan(L, c, rec, AD_S_RAW);
      if (lua_isnil(L, -1)) { lua_pop(L, 1); lua_pushliteral(L, ""); }
      break;
    default: lua_pushnil(L);
  }
}

/* Make sure the text of record rec is there (saved indexes load lazily):
** its own bytes, or its file's (ad_rec_load). */
static void lad_ensure_rec(lua_State *L, ad_corpus *c, uint32_t rec) {
  int st = ad_rec_load(c, rec);
  if (st != AD_OK) lad_error(L, st, c->files[c->recs[rec].file].path);
}

/* Make sure the whole text of rec's file is present (what ad_select reads). */
static void lad_ensure_text(lua_State *L, ad_corpus *c, uint32_t rec) {
  uint32_t fi = c->recs[rec].file;
  if (c->files[fi].text == NULL) {
    int st = ad_file_load(c, fi);
    if (st != AD_OK) lad_error(L, st, c->files[fi].path);
  }
}

int lad_push_record_field(lua_State *L, ad_corpus *c, uint32_t rec,
                          const char *name) {
  int fid = lad_fieldid(name);
  if (fid < 0) return 0;
  if (fid != LF_SOURCE && fid != LF_LINE && fid != LF_FORMAT &&
      fid != LF_POSITION && fid != LF_CROSSLIST && fid != LF_DATE &&
      fid != LF_VERSION)
    lad_ensure_rec(L, c, rec);
  lad_pushfield(L, c, rec, fid);
  return 1;
}
/* }====================================================== */

/* fields() -> the list of paper field names; fields("merged") adds the
** fields only the papers of an index have */
static int lad_fields(lua_State *L) {
  int i, n = 0, merged = luaL_checkoption(L, 1, "paper",
                                          (const char *const[]){"paper", "merged", NULL});
  lua_createtable(L, LF_NFIELDS + 4, 0);
  for (i = 0; lad_fieldnames[i]; i++) {
    lua_pushstring(L, lad_fieldnames[i]);
    lua_rawseti(L, -2, ++n);
  }
  for (i = 0; merged && lad_mergedfields[i]; i++) {
    lua_pushstring(L, lad_mergedfields[i]);
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}
/* }====================================================== */

/* {====================================================== Paper */
typedef struct lad_paper { uint32_t rec; } lad_paper;

/* The Paper metatable is also kept in the registry under this address: a
** pointer lookup, cheaper than luaL_setmetatable's lookup by name. */
static const char lad_paper_mtkey = 0;

void lad_pushpaper(lua_State *L, int owner, uint32_t rec) {
  lad_paper *p;
  owner = lua_absindex(L, owner);
  p = (lad_paper *)lua_newuserdatauv(L, sizeof(lad_paper), 1);
  p->rec = rec;
  lua_pushvalue(L, owner);
  lua_setiuservalue(L, -2, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lad_paper_mtkey);
  lua_setmetatable(L, -2);
}

/* Returns the paper at i and leaves its corpus in *pc, its collection in
** *plc (if not NULL). */
static lad_paper *lad_topaper(lua_State *L, int i, ad_corpus **pc,
                              lad_collection **plc) {
  lad_paper *p = (lad_paper *)luaL_checkudata(L, i, LAD_PAPER);
  lad_collection *lc;
  lua_getiuservalue(L, i, 1);
  lc = (lad_collection *)lua_touserdata(L, -1);
  lua_pop(L, 1);  /* the paper's user value keeps it alive */
  if (lc == NULL || !lc->live || p->rec >= lc->c->nrecs)
    luaL_error(L, "paper of a closed collection");
  *pc = lc->c;
  if (plc) *plc = lc;
  return p;
}

static int lad_paper_totable(lua_State *L);
static int lad_paper_record(lua_State *L);

/* __index: a method, or a field decoded now. Upvalue 1: the Paper
** metatable. */
static int lad_paper_index(lua_State *L) {
  ad_corpus *c;
  lad_paper *p;
  lad_collection *lc;
  const char *k;
  size_t kn;
  int fid;
  /* luaL_checkudata without its registry lookup by name; anything that is
  ** not a Paper goes to luaL_checkudata for the usual error */
  if (lua_type(L, 1) == LUA_TUSERDATA && lua_getmetatable(L, 1) &&
      lua_topointer(L, -1) == lua_topointer(L, lua_upvalueindex(1))) {
    p = (lad_paper *)lua_touserdata(L, 1);
    lua_getiuservalue(L, 1, 1);
    lc = (lad_collection *)lua_touserdata(L, -1);
    if (lc == NULL || !lc->live || p->rec >= lc->c->nrecs)
      luaL_error(L, "paper of a closed collection");
    c = lc->c;
  } else {
    p = lad_topaper(L, 1, &c, &lc);  /* raises */
  }
  if (lua_type(L, 2) != LUA_TSTRING) { lua_pushnil(L); return 1; }
  k = lua_tolstring(L, 2, &kn);
  fid = lad_nameid(k, kn);
  if (fid < 0) lua_pushnil(L);
  else if (fid == LM_TOTABLE) lua_pushcfunction(L, lad_paper_totable);
  else if (fid == LM_RECORD) lua_pushcfunction(L, lad_paper_record);
  else {
    if (fid != LF_SOURCE && fid != LF_LINE && fid != LF_FORMAT &&
        fid != LF_POSITION && fid != LF_CROSSLIST && fid != LF_DATE &&
        fid != LF_VERSION)
      lad_ensure_rec(L, c, p->rec);
    lc = lad_hold(lc);
    lad_pushfield(L, c, p->rec, fid);
    lad_release(lc);
  }
  return 1;
}

static int lad_paper_totable(lua_State *L) {
  ad_corpus *c;
  lad_collection *lc;
  lad_paper *p = lad_topaper(L, 1, &c, &lc);
  int i;
  lad_ensure_rec(L, c, p->rec);
  lc = lad_hold(lc);
  lua_createtable(L, 0, LF_NFIELDS);
  for (i = 0; i < LF_NFIELDS; i++) {
    lad_pushfield(L, c, p->rec, i);
    lua_setfield(L, -2, lad_fieldnames[i]);
  }
  lad_release(lc);
  return 1;
}

static int lad_paper_tostring(lua_State *L) {
  ad_corpus *c;
  lad_collection *lc;
  lad_paper *p = lad_topaper(L, 1, &c, &lc);
  lad_ensure_rec(L, c, p->rec);
  lc = lad_hold(lc);
  lad_pushfield(L, c, p->rec, LF_ID);
  lad_pushfield(L, c, p->rec, LF_TITLE);
  lad_release(lc);
  lua_pushfstring(L, "arxivdigest.Paper(%s: %s)",
                  lua_isnil(L, -2) ? "?" : lua_tostring(L, -2),
                  lua_isnil(L, -1) ? "" : lua_tostring(L, -1));
  return 1;
}

/* __eq of a paper userdata (tname) whose first member is its uint32_t
** number and whose user value 1 is its owner: the same number of the same
** owner; false for anything that is not such a paper */
int lad_paper_eq_by(lua_State *L, const char *tname) {
  const uint32_t *p = (const uint32_t *)luaL_testudata(L, 1, tname);
  const uint32_t *q = (const uint32_t *)luaL_testudata(L, 2, tname);
  int same = 0;
  if (p != NULL && q != NULL && *p == *q) {
    lua_getiuservalue(L, 1, 1);
    lua_getiuservalue(L, 2, 1);
    same = lua_rawequal(L, -1, -2);
  }
  lua_pushboolean(L, same);
  return 1;
}

static int lad_paper_eq(lua_State *L) { return lad_paper_eq_by(L, LAD_PAPER); }

/* paper:record() -> collection, index (1-based): for C-side filters */
static int lad_paper_record(lua_State *L) {
  ad_corpus *c;
  lad_paper *p = lad_topaper(L, 1, &c, NULL);
  lua_getiuservalue(L, 1, 1);
  lua_pushinteger(L, (lua_Integer)p->rec + 1);
  return 2;
}

static const luaL_Reg lad_paper_meta[] = {
  {"__tostring", lad_paper_tostring},
  {"__eq", lad_paper_eq},
  {NULL, NULL}
};
/* }====================================================== */

/* {====================================================== Collection */
/* Creates a closed collection at the top of the stack (nothing allocated
** yet), with nuv user values. */
lad_collection *lad_newcoll(lua_State *L, int nuv) {
  lad_collection *lc = (lad_collection *)lua_newuserdatauv(L, sizeof *lc, nuv);
  ad_alloc a;
  lc->live = 0;
  lc->busy = 0;
  lc->pending = 0;
  lc->threads = 1;
  lad_alloc(L, &a);
  lc->c = &lc->own;
  lc->owner = lc;
  ad_corpus_init(&lc->own, &a);
  luaL_setmetatable(L, LAD_COLLECTION);
  lc->live = 1;
  return lc;
}

/* c:close() and __close: free now, or when the last holder is done */
void lad_coll_close_now(lad_collection *lc) {
  if (lc->live) {
    lc->live = 0;
    if (lc->busy > 0) lc->pending = 1;
    else if (lc->owner == lc) ad_corpus_free(lc->c);
  }
}

static int lad_coll_close(lua_State *L) {
  lad_coll_close_now((lad_collection *)luaL_checkudata(L, 1, LAD_COLLECTION));
  return 0;
}

/* __gc: nothing can read the collection any more */
static int lad_coll_gc(lua_State *L) {
  lad_collection *lc = (lad_collection *)luaL_checkudata(L, 1, LAD_COLLECTION);
  if (lc->owner != lc) {          /* borrowed: let the host's go */
    if (lc->owner != NULL) lad_release(lc->owner);
    lc->owner = NULL;
    lc->live = 0;
    return 0;
  }
  if (lc->live || lc->pending) {
    lc->live = 0;
    lc->pending = 0;
    ad_corpus_free(lc->c);
  }
  return 0;
}

lad_collection *lad_borrowcoll(lua_State *L, lad_collection *host) {
  lad_collection *lc = (lad_collection *)lua_newuserdatauv(L, sizeof *lc, 0);
  memset(lc, 0, sizeof *lc);
  host = lad_hold(host);
  lc->owner = host;
  lc->c = host->c;
  lc->threads = 1;
  luaL_setmetatable(L, LAD_COLLECTION);
  lc->live = 1;
  return lc;
}

static int lad_coll_len(lua_State *L) {
  lua_pushinteger(L, lad_checkcoll(L, 1)->c->nrecs);
  return 1;
}

/* c[i] -> paper (or nil); c.name -> method (upvalue 1: methods), also of
** a closed collection: each method checks it, and so names itself in the
** error ("calling 'select' on bad self (collection is closed)") */
static int lad_coll_index(lua_State *L) {
  lad_collection *lc = (lad_collection *)luaL_checkudata(L, 1, LAD_COLLECTION);
  if (lua_type(L, 2) == LUA_TNUMBER) {
    int isint;
    if (!lc->live) luaL_argerror(L, 1, "collection is closed");
    lua_Integer i = lua_tointegerx(L, 2, &isint);  /* c[2.0] is c[2] */
    if (isint && i >= 1 && (lua_Unsigned)i <= lc->c->nrecs)
      lad_pushpaper(L, 1, (uint32_t)(i - 1));
    else
      lua_pushnil(L);
    return 1;
  }
  lua_settop(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

static int lad_coll_iter(lua_State *L) {
  lad_collection *lc = (lad_collection *)lua_touserdata(L, lua_upvalueindex(1));
  lua_Integer i;
  if (!lc->live) luaL_error(L, "papers: the collection was closed during the loop");
  i = lua_tointeger(L, lua_upvalueindex(2));
  if ((lua_Unsigned)i >= lc->c->nrecs) return 0;
  lua_pushinteger(L, i + 1);
  lua_replace(L, lua_upvalueindex(2));
  lad_pushpaper(L, lua_upvalueindex(1), (uint32_t)i);
  return 1;
}

/* c:papers() -> iterator over Paper userdata */
static int lad_coll_papers(lua_State *L) {
  lad_checkcoll(L, 1);
  lua_settop(L, 1);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, lad_coll_iter, 2);
  return 1;
}

/* Appends c's warnings, as {source=, line=, message=}, to the list at
** index t (one owner of a warning's Lua form: c:warnings(), update). */
void lad_addwarnings(lua_State *L, int t, const ad_corpus *c) {
  lua_Integer n = (lua_Integer)luaL_len(L, t);
  uint32_t i;
  t = lua_absindex(L, t);
  for (i = 0; i < c->nwarns; i++) {
    const ad_warning *w = &c->warns[i];
    lua_createtable(L, 0, 3);
    lua_pushstring(L, w->file == AD_NOFILE ? w->src : c->files[w->file].path);
    lua_setfield(L, -2, "source");
    lua_pushinteger(L, w->line);
    lua_setfield(L, -2, "line");
    lua_pushstring(L, w->msg);
    lua_setfield(L, -2, "message");
    lua_rawseti(L, t, ++n);
  }
}

/* c:warnings() -> { {source=, line=, message=}, ... } */
static int lad_coll_warnings(lua_State *L) {
  lad_collection *lc = lad_hold(lad_checkcoll(L, 1));
  lua_createtable(L, (int)lc->c->nwarns, 0);
  lad_addwarnings(L, -1, lc->c);
  lad_release(lc);
  return 1;
}

/* c:files() -> { {path=, size=, records=, format=, date=}, ... } (date:
** the digest day of the file's first record) */
static int lad_coll_files(lua_State *L) {
  lad_collection *lc = lad_hold(lad_checkcoll(L, 1));
  ad_corpus *c = lc->c;
  uint32_t i;
  lua_createtable(L, (int)c->nfiles, 0);
  for (i = 0; i < c->nfiles; i++) {
    const ad_file *f = &c->files[i];
    lua_createtable(L, 0, 4);
    lua_pushstring(L, f->path);
    lua_setfield(L, -2, "path");
    lua_pushinteger(L, (lua_Integer)f->size);
    lua_setfield(L, -2, "size");
    lua_pushinteger(L, f->nrec);
    lua_setfield(L, -2, "records");
    if (f->nrec > 0 && f->first < c->nrecs) {
      lad_pushdate(L, c->recs[f->first].date);
      lua_setfield(L, -2, "date");
    }
    lua_pushstring(L, f->format == AD_FMT_LISTING ? "listing" :
                      f->format == AD_FMT_CATALOG ? "catalog" : "unknown");
    lua_setfield(L, -2, "format");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lad_release(lc);
  return 1;
}

/* c:_threads() -> how many threads read and scanned the files (1: none
** was started). For the tests and the benchmark. */
static int lad_coll_threads(lua_State *L) {
  lua_pushinteger(L, lad_checkcoll(L, 1)->threads);
  return 1;
}

/* c:_dump() -> the corpus as bytes, for tests that compare two ways of
** building it: per file its path, length, size, format, first and nrec;
** the record array as it is (every span, flag, line, date, file index);
** each warning's file, line and message. */
static int lad_coll_dump(lua_State *L) {
  lad_collection *lc = lad_hold(lad_checkcoll(L, 1));
  ad_corpus *c = lc->c;
  luaL_Buffer b;
  uint32_t i;
  luaL_buffinit(L, &b);
  for (i = 0; i < c->nfiles; i++) {
    const ad_file *f = &c->files[i];
    uint64_t v[5];
    v[0] = f->len; v[1] = f->size; v[2] = f->format; v[3] = f->first;
    v[4] = f->nrec;
    luaL_addlstring(&b, f->path, f->pathlen + 1);
    luaL_addlstring(&b, (const char *)v, sizeof v);
  }
  luaL_addlstring(&b, (const char *)c->recs, (size_t)c->nrecs * sizeof(ad_record));
  for (i = 0; i < c->nwarns; i++) {
    uint32_t v[2];
    v[0] = c->warns[i].file; v[1] = c->warns[i].line;
    luaL_addlstring(&b, (const char *)v, sizeof v);
    luaL_addlstring(&b, c->warns[i].msg, strlen(c->warns[i].msg) + 1);
    if (c->warns[i].src) luaL_addlstring(&b, c->warns[i].src, strlen(c->warns[i].src) + 1);
  }
  luaL_pushresult(&b);
  lad_release(lc);
  return 1;
}

/* c:memory() -> {text = bytes of file text, overhead = bytes of the rest} */
static int lad_coll_memory(lua_State *L) {
  ad_corpus *c = lad_checkcoll(L, 1)->c;
  size_t text = 0, over = 0;
  uint32_t i;
  for (i = 0; i < c->nfiles; i++) {
    if (c->files[i].textowned) text += c->files[i].len + 1;
    over += c->files[i].pathlen + 1;
  }
  for (i = 0; i < c->nwarns; i++) {
    over += strlen(c->warns[i].msg) + 1;
    if (c->warns[i].src) over += strlen(c->warns[i].src) + 1;
  }
  over += (size_t)c->capfiles * sizeof(ad_file) +
          (size_t)c->caprecs * sizeof(ad_record) +
          (size_t)c->capwarns * sizeof(ad_warning) + sizeof(lad_collection);
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, (lua_Integer)text);
  lua_setfield(L, -2, "text");
  lua_pushinteger(L, (lua_Integer)over);
  lua_setfield(L, -2, "overhead");
  return 1;
}

/* {------------------------------------------------------ select */
/* c:select(query) -> { i1, i2, ... }: the 1-based indexes of the records
** that satisfy a cheap query (a tree or string of arxivdigest.query with
** cat, primary, id, date, version, has, and/or/not: no text), evaluated in
** C over the records' spans without decoding. */
static int lad_coll_select(lua_State *L) {
  ad_corpus *c = lad_checkcoll(L, 1)->c;
  lad_collection *lc;
  uint32_t n, i;
  lua_Integer k = 0;
  const ad_xnode *q;
  if (lua_gettop(L) > 2) lua_settop(L, 2);
  q = lad_checkquery(L, 2, &n, 1, "select");    /* 3 */
  lc = lad_checkcoll(L, 1);     /* (a finalizer may have closed it) */
  c = lc->c;
  lua_newtable(L);                               /* 4 */
  lc = lad_hold(lc);  /* (an error below leaves the freeing to __gc) */
  for (i = 0; i < c->nrecs; i++) {
    const ad_record *r = &c->recs[i];
    if (c->files[r->file].text == NULL) lad_ensure_text(L, c, i);
    if (ad_select_match(c, r, q, n, 0)) {
      lua_pushinteger(L, (lua_Integer)i + 1);
      lua_rawseti(L, 4, ++k);
    }
  }
  lad_release(lc);
  return 1;
}
/* }------------------------------------------------------ */

static int lad_coll_tostring(lua_State *L) {
  lad_collection *lc = (lad_collection *)luaL_checkudata(L, 1, LAD_COLLECTION);
  if (!lc->live) lua_pushliteral(L, "arxivdigest.Collection (closed)");
  else lua_pushfstring(L, "arxivdigest.Collection (%d papers, %d files)",
                       (int)lc->c->nrecs, (int)lc->c->nfiles);
  return 1;
}

static const luaL_Reg lad_coll_methods[] = {
  {"papers", lad_coll_papers},
  {"warnings", lad_coll_warnings},
  {"files", lad_coll_files},
  {"memory", lad_coll_memory},
  {"select", lad_coll_select},
  {"close", lad_coll_close},
  {"_threads", lad_coll_threads},
  {"_dump", lad_coll_dump},
  {NULL, NULL}
};

static const luaL_Reg lad_coll_meta[] = {
  {"__len", lad_coll_len},
  {"__gc", lad_coll_gc},
  {"__close", lad_coll_close},
  {"__tostring", lad_coll_tostring},
  {NULL, NULL}
};
/* }====================================================== */


void lad_coll_open(lua_State *L) {
  /* module table at the top. Paper metatable: __index closes over the
  ** metatable itself (to check its argument), and the metatable is also
  ** kept under lad_paper_mtkey */
  luaL_newmetatable(L, LAD_PAPER);
  luaL_setfuncs(L, lad_paper_meta, 0);
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, lad_paper_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lad_readonly);
  lua_setfield(L, -2, "__newindex");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &lad_paper_mtkey);
  /* Collection metatable */
  luaL_newmetatable(L, LAD_COLLECTION);
  luaL_setfuncs(L, lad_coll_meta, 0);
  lad_newmethods(L, lad_coll_methods);
  lua_pushcclosure(L, lad_coll_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lad_readonly);
  lua_setfield(L, -2, "__newindex");
  lua_pop(L, 1);
  lua_pushcfunction(L, lad_fields);
  lua_setfield(L, -2, "fields");
}
