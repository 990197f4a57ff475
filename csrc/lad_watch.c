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
static int lad_list(lua_State *L) {
  lad_listing *l;
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
  l = lad_newlisting(L);                                     /* 3 */
  for (j = 1; j <= np; j++) {
    const char *p;
    int st;
    lua_rawgeti(L, 2, j);
    p = lua_tostring(L, -1);        /* anchored in the table at 2 */
    lua_pop(L, 1);
    st = lad_listpath(l, p);
    if (st == AD_EIO) { e = errno; lad_listfree(l); return lad_fail(L, p, e); }
    if (st != AD_OK) { lad_listfree(l); return lad_error(L, st, p); }
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
  lad_listfree(l);
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
  lua_pushcfunction(L, lad_lock_new);
  lua_setfield(L, -2, "lock");
  lua_pushcfunction(L, lad_list);
  lua_setfield(L, -2, "list");
}
