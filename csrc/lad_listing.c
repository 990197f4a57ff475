/*
** lad_listing.c
** Listing files without reading them: the paths under a list of files and
** folders, by the core's one walk (ad_corpus_walk: the files open() reads,
** in its order), each with its size, mtime and absolute path (a saved index
** stores absolute paths). idx:update (lad_update.c) and core.list
** (lad_watch.c) use it.
*/
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lad.h"

#define LAD_LISTING "arxivdigest.Listing"

/* The walk's callbacks make no Lua call (nothing may raise inside the walk,
** which holds open directories): files are collected in C. */
static int lad_listadd(void *ud, const char *path) {
  lad_listing *l = (lad_listing *)ud;
  struct stat st;
  size_t pn = strlen(path), n;
  char *p;
  int rel = path[0] != '/';
  if (stat(path, &st) != 0) return AD_OK;   /* gone meanwhile: not listed */
  if (rel) while (pn > 2 && path[0] == '.' && path[1] == '/') { path += 2; pn -= 2; }
  n = pn + (rel ? l->cwdn : 0);
  if (ad_grow(&l->c.a, (void **)&l->v, &l->cap, l->n + 1, sizeof *l->v)) return AD_ENOMEM;
  p = (char *)ad_malloc(&l->c.a, n + 1);
  if (p == NULL) return AD_ENOMEM;
  if (rel) memcpy(p, l->cwd, l->cwdn);
  memcpy(p + n - pn, path, pn + 1);
  l->v[l->n].path = p; l->v[l->n].n = n;
  l->v[l->n].size = (uint64_t)st.st_size; l->v[l->n].mtime = (int64_t)st.st_mtime;
  l->n++;
  return AD_OK;
}

static int lad_listskipped(void *ud, const char *first, uint32_t n) {
  return ad_corpus_skipped(&((lad_listing *)ud)->c, first, n);
}

static int lad_listbaddir(void *ud, const char *path) {
  return ad_corpus_unreadable(&((lad_listing *)ud)->c, path, AD_EIO, errno,
                              "directory");
}

lad_listing *lad_newlisting(lua_State *L) {
  lad_listing *l = (lad_listing *)lua_newuserdatauv(L, sizeof *l, 0);
  ad_alloc a;
  memset(l, 0, sizeof *l);
  lad_alloc(L, &a);
  ad_corpus_init(&l->c, &a);
  luaL_setmetatable(L, LAD_LISTING);
  if (getcwd(l->cwd, sizeof l->cwd - 1) == NULL) l->cwd[0] = '\0';
  l->cwdn = strlen(l->cwd);
  if (l->cwdn > 0 && l->cwd[l->cwdn - 1] != '/') l->cwd[l->cwdn++] = '/';
  return l;
}

int lad_listpath(lad_listing *l, const char *path) {
  struct stat sb;
  if (stat(path, &sb) != 0) return AD_EIO;
  if (S_ISDIR(sb.st_mode)) {
    ad_walker w;
    w.file = lad_listadd; w.baddir = lad_listbaddir;
    w.skipped = lad_listskipped; w.ud = l;
    return ad_corpus_walk(&l->c, path, &w);
  }
  return lad_listadd(l, path);
}

void lad_listfree(lad_listing *l) {
  uint32_t i;
  if (l->freed) return;
  l->freed = 1;
  for (i = 0; i < l->n; i++) ad_free(&l->c.a, l->v[i].path, l->v[i].n + 1);
  ad_free(&l->c.a, l->v, (size_t)l->cap * sizeof *l->v);
  l->v = NULL; l->n = l->cap = 0;
  ad_corpus_free(&l->c);
}

static int lad_listing_gc(lua_State *L) {
  lad_listfree((lad_listing *)luaL_checkudata(L, 1, LAD_LISTING));
  return 0;
}

void lad_listing_open(lua_State *L) {
  luaL_newmetatable(L, LAD_LISTING);
  lua_pushcfunction(L, lad_listing_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
}
