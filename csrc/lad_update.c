/*
** lad_update.c: idx:update(), the incremental update of an index (the
** Index type is in lad_index.c): lists the files under the paths like
** open() does (the core's directory walk), compares them with the files
** the index holds (path, size, mtime), and builds a new generation that
** reuses the old one's postings for what did not change (ad_ix_rebuild).
** The old generation is freed at once; its papers and hits then raise a
** "stale" error.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lad.h"

/* {====================================================== update */
/* One file of the new corpus of an update. old: the old file of the same
** path, size and mtime (records taken from the index, not read); prev:
** the old file of the same path (read again; when its bytes are the same
** its entries keep their postings). UINT32_MAX: none. */
typedef struct lad_upfile { const char *path; int64_t mtime; uint32_t old, prev; } lad_upfile;

/* Builds the new generation (pushed) from the files v[0..n) over the old
** generation og. Returns AD_OK, with *nread files
** read and *rechecked of them found unchanged; or a core error with
** *failpath set when a file is to blame. */
static int lad_rebuild(lua_State *L, lad_gen *og, const lad_upfile *v,
                       uint32_t n, unsigned threads, uint32_t minpar,
                       uint32_t *nread, uint32_t *rechecked,
                       const char **failpath) {
  lad_collection *lc;
  lad_gen *g;
  uint32_t *oldfile, i, k, bad = UINT32_MAX, nfiles = og->ix.m.nfiles, loads = 0;
  ad_ixparams p = og->ix.m.p;
  ad_alloc a;
  int st = AD_OK, e;
  oldfile = (uint32_t *)lua_newuserdatauv(L, (size_t)(n + 1) * 4, 0);
  lc = lad_newcoll(L, 0);
  g = lad_newgen(L);
  lua_pushvalue(L, -2);
  lua_setiuservalue(L, -2, 1);
  g->coll = lc;
  g->owncoll = 1;
  if (!og->live) luaL_error(L, "index is closed");  /* (a finalizer ran) */
  /* no Lua call from here on: the corpus, then the index */
  for (i = 0; i < n && st == AD_OK; i++) {
    const lad_upfile *u = &v[i];
    uint32_t before = lc->c->nfiles;
    if (u->old != UINT32_MAX && u->old < nfiles) {
      st = ad_ix_corpus_addfile(&og->ix, lc->c, u->old, u->mtime);
      if (st == AD_OK) oldfile[before] = u->old;
      continue;
    }
    st = ad_corpus_add_file(lc->c, u->path);
    if (st == AD_ETOOBIG) st = AD_OK;   /* a warning, as in open() */
    else if (st == AD_OK) (*nread)++;
    if (st != AD_OK) { *failpath = u->path; break; }
    for (k = before; k < lc->c->nfiles; k++) oldfile[k] = UINT32_MAX;
    if (u->prev < nfiles && lc->c->nfiles == before + 1 &&
        ad_ix_need(&og->ix, AD_SEC_FILES, (uint64_t)u->prev * sizeof(ad_ixfile),
                   sizeof(ad_ixfile)) == AD_OK) {
      const ad_ixfile *xf = (const ad_ixfile *)og->ix.sec[AD_SEC_FILES] + u->prev;
      ad_file *f = &lc->c->files[before];
      if (f->text != NULL && xf->size == (uint64_t)f->len && xf->nrec == f->nrec &&
          ad_file_hash(lc->c, before) == xf->hash) {
        oldfile[before] = u->prev;      /* touched, same bytes */
        (*rechecked)++;
      }
    }
  }
  if (st != AD_OK) {
    e = errno;
    if (*failpath != NULL) {       /* the message needs the path: keep it */
      lua_pushstring(L, *failpath);
      *failpath = lua_tostring(L, -1);
    }
    lad_coll_close_now(lc);        /* no finalizer needed */
    errno = e;
    return st;
  }
  lad_alloc(L, &a);
  g->live = 1;
  st = ad_ix_rebuild(LAD_GIX(g), &a, lc->c, &p, &og->ix, oldfile, &loads, &bad,
                     threads, minpar);
  *nread += loads;
  if (st != AD_OK) {
    e = errno;
    if (bad != UINT32_MAX) {
      lua_pushstring(L, lc->c->files[bad].path);
      *failpath = lua_tostring(L, -1);
    }
    lad_genfree(g);                /* (and its collection) */
    errno = e;
  }
  return st;
}

/* idx:update([paths [, opts]]) -> {added=, changed=, rechecked=, removed=,
** unchanged=, read=, warnings=} | nil, "path: reason" [, errno]
** (warnings: of the walk and of the files read, as c:warnings() gives them)
** Lists `paths` (default: the files already indexed) without reading
** them. A file whose size and mtime are the ones indexed is not read: its
** records come from the index. Added files and files whose size or mtime
** changed are read; those whose bytes turn out the same are "rechecked",
** not "changed", and keep their postings. Papers untouched by the change
** keep their postings; the others are indexed again, which reads an
** unchanged file only when one of its papers also appears in a changed
** one. The result answers exactly like a fresh build (same parameters).
** `read` counts the files read. opts.threads as in index(). */
int lad_index_update(lua_State *L) {
  lad_gen *og;
  lad_listing *l;
  lad_upfile *v;
  const ad_ixfile *of;
  const char *fstr;
  uint32_t nold, i, k, nread = 0, rechecked = 0, *seen;
  lua_Integer added = 0, changed = 0, removed = 0, unchanged = 0;
  unsigned threads;
  uint32_t minpar;
  int same, st, e, np;
  const char *failpath = NULL;
  static const char *const known[] = {"threads", NULL};
  lad_checkkeys(L, 3, known);                       /* (a mistyped option is said) */
  lad_buildthreads(L, 3, &threads, &minpar);
  lua_settop(L, 3);
  og = lad_checkindex(L, 1, 1);                     /* 4: old generation */
  if (ad_ix_need(&og->ix, AD_SEC_FILES, 0, og->ix.seclen[AD_SEC_FILES]) ||
      ad_ix_need(&og->ix, AD_SEC_FSTR, 0, og->ix.seclen[AD_SEC_FSTR]))
    return lad_generror(L, 4, AD_ECORRUPT);
  nold = og->ix.m.nfiles;
  of = (const ad_ixfile *)og->ix.sec[AD_SEC_FILES];
  fstr = (const char *)og->ix.sec[AD_SEC_FSTR];
  for (i = 0; i < nold; i++)
    if ((uint64_t)of[i].path + of[i].pathlen > og->ix.seclen[AD_SEC_FSTR])
      return lad_generror(L, 4, AD_ECORRUPT);
  /* 5: the paths to list */
  if (lua_isnil(L, 2)) {
    lua_createtable(L, (int)nold, 0);
    for (i = 0; i < nold; i++) {
      lua_pushlstring(L, fstr + of[i].path, of[i].pathlen);
      lua_rawseti(L, 5, i + 1);
    }
  } else if (lua_type(L, 2) == LUA_TSTRING) {
    lua_createtable(L, 1, 0);
    lua_pushvalue(L, 2);
    lua_rawseti(L, 5, 1);
  } else if (lua_type(L, 2) == LUA_TTABLE) {
    lua_Integer j, len = luaL_len(L, 2);
    if (len < 1) luaL_argerror(L, 2, "empty list of paths");
    lua_createtable(L, (int)(len < 1 << 24 ? len : 0), 0);
    for (j = 1; j <= len; j++) {
      if (lua_geti(L, 2, j) != LUA_TSTRING)
        luaL_argerror(L, 2, lua_pushfstring(L, "item %d is a %s, a path "
                      "(string) was expected", (int)j, luaL_typename(L, -1)));
      lua_rawseti(L, 5, j);
    }
  } else {
    return luaL_typeerror(L, 2, "nil, path or list of paths");
  }
  np = (int)lua_rawlen(L, 5);
  /* 6: the listing */
  l = lad_newlisting(L);
  for (k = 1; k <= (uint32_t)np; k++) {
    const char *p;
    lua_rawgeti(L, 5, k);
    p = lua_tostring(L, -1);        /* anchored in the table at 5 */
    lua_pop(L, 1);
    st = lad_listpath(l, p);
    if (st == AD_EIO) {
      e = errno;
      if (lua_isnil(L, 2) && e == ENOENT) continue;  /* an indexed file removed */
      lad_listfree(l);
      return lad_fail(L, p, e);
    }
    if (st != AD_OK) { lad_listfree(l); return lad_error(L, st, p); }
  }
  /* 7, 8: the new file list, who saw which old file */
  v = (lad_upfile *)lua_newuserdatauv(L, (size_t)(l->n + 1) * sizeof *v, 0);
  seen = (uint32_t *)lua_newuserdatauv(L, (size_t)(nold + 1) * 4, 0);
  memset(seen, 0, (size_t)(nold + 1) * 4);
  og = lad_checkindex(L, 1, 0);     /* (a finalizer may have closed it) */
  if (og != (lad_gen *)lua_touserdata(L, 4)) {
    lad_listfree(l);
    return luaL_error(L, "index changed during update");
  }
  same = l->n == nold;
  for (i = 0; i < l->n; i++) {
    const lad_lfile *f = &l->v[i];
    uint32_t found = UINT32_MAX;
    for (k = 0; k < nold; k++) {           /* usually in the same order */
      uint32_t j = (i + k) % nold;
      if (of[j].pathlen == f->n && memcmp(fstr + of[j].path, f->path, f->n) == 0) {
        found = j;
        break;
      }
    }
    v[i].path = f->path; v[i].mtime = f->mtime;
    v[i].old = v[i].prev = UINT32_MAX;
    if (found != UINT32_MAX) seen[found] = 1;
    if (found != UINT32_MAX && of[found].size == f->size && of[found].mtime == f->mtime) {
      v[i].old = found;
      unchanged++;
      if (found != i) same = 0;
    } else {
      v[i].prev = found;
      same = 0;
      if (found != UINT32_MAX) changed++; else added++;
    }
  }
  for (k = 0; k < nold; k++) if (!seen[k]) removed++;
  if (!same) {                       /* something to read or drop */
    st = lad_rebuild(L, og, v, l->n, threads, minpar, &nread, &rechecked,
                     &failpath);     /* 9 oldfile, 10 collection, 11 generation */
    if (st != AD_OK) {
      int r = 0;
      e = errno;
      if (st == AD_EIO && failpath != NULL) r = lad_fail(L, failpath, e);
      else if (st == AD_ECHANGED && failpath != NULL) {
        luaL_pushfail(L);
        lua_pushfstring(L, "%s: its content changed but its size and mtime did not: "
                        "touch it and update again", failpath);
        r = 2;
      }
      lad_listfree(l);
      if (r) return r;
      if (st == AD_ECORRUPT) return lad_generror(L, 4, st);
      return lad_error(L, st, "index");
    }
    lua_pushvalue(L, 11);
    lua_setiuservalue(L, 1, 1);      /* the new generation is current */
    lad_genfree(og);                 /* the old one goes at once */
    og->stale = 1;
  }
  /* the warnings: of the walk, then of the files read */
  lua_createtable(L, 0, 0);
  lad_addwarnings(L, -1, &l->c);
  if (!same) lad_addwarnings(L, -1, ((lad_collection *)lua_touserdata(L, 10))->c);
  lad_listfree(l);
  lua_createtable(L, 0, 7);
  lua_insert(L, -2);
  lua_setfield(L, -2, "warnings");
  lua_pushinteger(L, added); lua_setfield(L, -2, "added");
  lua_pushinteger(L, changed - (lua_Integer)rechecked); lua_setfield(L, -2, "changed");
  lua_pushinteger(L, rechecked); lua_setfield(L, -2, "rechecked");
  lua_pushinteger(L, removed); lua_setfield(L, -2, "removed");
  lua_pushinteger(L, unchanged); lua_setfield(L, -2, "unchanged");
  lua_pushinteger(L, nread); lua_setfield(L, -2, "read");
  return 1;
}
/* }====================================================== */



