/*
** lad_watch.c: what standing watches (lua/arxivdigest/watch.lua) need
** from the system besides the index: an exclusive lock that dies with its
** process, and the listing of an archive's digest files (stat only).
**
** core.lock(path [, wait]) -> Lock | nil, "path: reason", errno
**                           | false, holder (busy, when wait is false)
**   flock(2) on path (created 0644 when missing): an exclusive lock held
**   by this open file. The kernel releases it when the process ends, in
**   any way (kill -9 included), so a lock can never be left stale, and
**   the lock file itself never needs removing. wait (default true)
**   blocks until the holder ends; with wait == false a held lock returns
**   false and what the holder wrote in the file ("pid N since T"). Once
**   taken, the file is rewritten with this process's pid and the time.
**   lk:unlock() releases it (also __gc, __close). The descriptor is
**   close-on-exec: a child (sendmail) does not keep the lock.
**
** core.list(paths) -> { {path=, size=, mtime=}, ... } | nil, "path: reason", errno
**   The digest files under the paths, listed exactly like open() and
**   idx:update() list them (the core's one directory walk: same files,
**   same order), with absolute paths (as a saved index stores them) and
**   their size and mtime. Nothing is read.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lad.h"

#define LAD_LOCK "arxivdigest.Lock"

/* {====================================================== lock */
typedef struct lad_lock { int fd; } lad_lock;

static int lad_lock_release(lad_lock *lk) {
  if (lk->fd >= 0) {
    int fd = lk->fd;
    lk->fd = -1;
    (void)flock(fd, LOCK_UN);
    return close(fd);
  }
  return 0;
}

static int lad_lock_unlock(lua_State *L) {
  lad_lock *lk = (lad_lock *)luaL_checkudata(L, 1, LAD_LOCK);
  lua_pushboolean(L, lad_lock_release(lk) == 0);
  return 1;
}

static int lad_lock_gc(lua_State *L) {
  lad_lock_release((lad_lock *)luaL_checkudata(L, 1, LAD_LOCK));
  return 0;
}

static int lad_lock_tostring(lua_State *L) {
  lad_lock *lk = (lad_lock *)luaL_checkudata(L, 1, LAD_LOCK);
  lua_pushstring(L, lk->fd >= 0 ? "arxivdigest.Lock (held)" : "arxivdigest.Lock (released)");
  return 1;
}

/* what the holder wrote in the lock file (at most one short line) */
static void lad_lock_pushholder(lua_State *L, int fd) {
  char buf[128];
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  size_t k = 0;
  if (n < 0) n = 0;
  while (k < (size_t)n && buf[k] != '\n' && buf[k] != '\0') k++;
  if (k == 0) lua_pushliteral(L, "another process");
  else lua_pushlstring(L, buf, k);
}

static int lad_lock_new(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int wait = lua_isnoneornil(L, 2) ? 1 : lua_toboolean(L, 2);
  lad_lock *lk;
  int fd, st, e, ui;
  char line[96];
  lk = (lad_lock *)lua_newuserdatauv(L, sizeof *lk, 0);
  ui = lua_gettop(L);
  lk->fd = -1;
  luaL_setmetatable(L, LAD_LOCK);
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return lad_fail(L, path, errno);
  lk->fd = fd;
  do st = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)); while (st != 0 && errno == EINTR);
  if (st != 0) {
    e = errno;
    if (e == EWOULDBLOCK) {
      lua_pushboolean(L, 0);
      lad_lock_pushholder(L, fd);
      lad_lock_release(lk);
      return 2;
    }
    lad_lock_release(lk);
    return lad_fail(L, path, e);
  }
  /* informational: who holds it (a failure here does not matter) */
  snprintf(line, sizeof line, "pid %ld since %ld\n", (long)getpid(), (long)time(NULL));
  if (ftruncate(fd, 0) == 0) {
    ssize_t w = pwrite(fd, line, strlen(line), 0);
    (void)w;
  }
  lua_settop(L, ui);
  return 1;
}
/* }====================================================== */

/* {====================================================== listing */
/* The walk's callbacks make no Lua call (nothing can raise inside the
** walk, which holds open directories): the files are collected here and
** turned into Lua tables afterwards. The userdata's __gc frees them if
** that raises. */
typedef struct lad_wfile { char *path; size_t n; uint64_t size; int64_t mtime; } lad_wfile;
typedef struct lad_wlist {
  ad_corpus c;                  /* its allocator, and warnings for the walk */
  lad_wfile *v; uint32_t n, cap;
  const char *cwd; size_t cwdn;
  int live;
} lad_wlist;

static int lad_wlist_add(void *ud, const char *path) {
  lad_wlist *l = (lad_wlist *)ud;
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

static int lad_wlist_baddir(void *ud, const char *path) {
  return ad_corpus_unreadable(&((lad_wlist *)ud)->c, path, AD_EIO, errno, "directory");
}

#define LAD_WLIST "arxivdigest.WatchListing"

static void lad_wlist_free(lad_wlist *l) {
  uint32_t i;
  if (!l->live) return;
  l->live = 0;
  for (i = 0; i < l->n; i++) ad_free(&l->c.a, l->v[i].path, l->v[i].n + 1);
  ad_free(&l->c.a, l->v, (size_t)l->cap * sizeof *l->v);
  l->v = NULL; l->n = l->cap = 0;
  ad_corpus_free(&l->c);
}

static int lad_wlist_gc(lua_State *L) {
  lad_wlist_free((lad_wlist *)luaL_checkudata(L, 1, LAD_WLIST));
  return 0;
}

static int lad_list(lua_State *L) {
  char cwd[4096];
  lad_wlist *l;
  lua_Integer j, np;
  uint32_t i;
  int e;
  luaL_checktype(L, 1, LUA_TTABLE);
  np = luaL_len(L, 1);
  for (j = 1; j <= np; j++) {
    if (lua_geti(L, 1, j) != LUA_TSTRING)
      luaL_argerror(L, 1, lua_pushfstring(L, "item %d is a %s, a path (string) was expected",
                                           (int)j, luaL_typename(L, -1)));
    lua_pop(L, 1);
  }
  lua_settop(L, 1);
  lua_createtable(L, (int)(np < 256 ? np : 256), 0);        /* 2: the paths, anchored */
  for (j = 1; j <= np; j++) {
    lua_geti(L, 1, j);
    lua_rawseti(L, 2, j);
  }
  l = (lad_wlist *)lua_newuserdatauv(L, sizeof *l, 0);      /* 3 */
  memset(l, 0, sizeof *l);
  luaL_setmetatable(L, LAD_WLIST);
  {
    ad_alloc a;
    lad_alloc(L, &a);
    ad_corpus_init(&l->c, &a);
  }
  l->live = 1;
  l->cwd = getcwd(cwd, sizeof cwd - 1) ? cwd : "";
  l->cwdn = strlen(l->cwd);
  if (l->cwdn > 0 && cwd[l->cwdn - 1] != '/') cwd[l->cwdn++] = '/';
  for (j = 1; j <= np; j++) {
    struct stat sb;
    const char *p;
    int st;
    lua_rawgeti(L, 2, j);
    p = lua_tostring(L, -1);        /* anchored in the table at 2 */
    lua_pop(L, 1);
    if (stat(p, &sb) != 0) {
      e = errno;
      lad_wlist_free(l);
      return lad_fail(L, p, e);
    }
    if (S_ISDIR(sb.st_mode)) {
      ad_walker w;
      w.file = lad_wlist_add; w.baddir = lad_wlist_baddir;
      w.skipped = NULL; w.ud = l;
      st = ad_corpus_walk(&l->c, p, &w);
      if (st == AD_EIO) { e = errno; lad_wlist_free(l); return lad_fail(L, p, e); }
    } else st = lad_wlist_add(l, p);
    if (st != AD_OK) { lad_wlist_free(l); return lad_error(L, st, p); }
  }
  lua_createtable(L, (int)l->n, 0);                          /* 4 */
  for (i = 0; i < l->n; i++) {
    lua_createtable(L, 0, 3);
    lua_pushlstring(L, l->v[i].path, l->v[i].n);
    lua_setfield(L, -2, "path");
    lua_pushinteger(L, (lua_Integer)l->v[i].size);
    lua_setfield(L, -2, "size");
    lua_pushinteger(L, (lua_Integer)l->v[i].mtime);
    lua_setfield(L, -2, "mtime");
    lua_rawseti(L, 4, (lua_Integer)i + 1);
  }
  lad_wlist_free(l);
  return 1;
}
/* }====================================================== */

static const luaL_Reg lad_lock_meta[] = {
  {"__gc", lad_lock_gc},
  {"__close", lad_lock_gc},
  {"__tostring", lad_lock_tostring},
  {NULL, NULL}
};

void lad_watch_open(lua_State *L) {
  luaL_newmetatable(L, LAD_LOCK);
  luaL_setfuncs(L, lad_lock_meta, 0);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, lad_lock_unlock);
  lua_setfield(L, -2, "unlock");
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newmetatable(L, LAD_WLIST);
  lua_pushcfunction(L, lad_wlist_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_pushcfunction(L, lad_lock_new);
  lua_setfield(L, -2, "lock");
  lua_pushcfunction(L, lad_list);
  lua_setfield(L, -2, "list");
}
