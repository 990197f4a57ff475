/*
** par_search.c: idx:search shared by threads, from hosts that Lua alone
** cannot play (spec/parallel_spec.lua builds and runs it):
**   - two OS threads, each with its own lua_State and index, searching at
**     the same time as the main thread: three searches share one pool;
**   - a fork once the pool is made (nothing searching), then searches in
**     the child (the pool's threads are not there: the child makes its
**     own). Not a fork while other threads search: a child may then find
**     the allocator locked by a thread that is not there (POSIX allows only
**     async-signal-safe calls in it; ASan's allocator deadlocked so);
**   - every lua_State closed (the module unloaded by lua_close), then a
**     new one that loads it again and searches (the parked threads of the
**     first load must still be there to run).
** Every shared search must give the hits of threads = 1.
**
** usage: par_search MODULE_DIR   (run from the repository root; loads
** lua/arxivdigest and MODULE_DIR/arxivdigest/core.so). PAR_SEARCH_NOFORK
** set: no fork (ThreadSanitizer does not support threads made after one). Exit status 0: all
** passed; 1: a difference (printed); 2: a setup error.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

/* the index (papers like spec/parallel_spec.lua's), the queries, their
** hits on one thread, and run(rounds, seed) -> differences, searches that
** ran on more than one thread */
static const char *const SETUP =
  "local dir = ...\n"
  "package.path = 'lua/?.lua;lua/?/init.lua;' .. package.path\n"
  "package.cpath = dir .. '/?.so;' .. package.cpath\n"
  "local ad = require 'arxivdigest'\n"
  "local seed = 99\n"
  "local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n + 1 end\n"
  "local V = {'image','segmentation','network','neural','attention','detection','learning',\n"
  "  'deep','model','medical','video','graph','depth','pose','object','tracking'}\n"
  "local function w() local i = rnd(#V); return V[rnd(i)] end\n"
  "local function ws(n) local t = {}; for i = 1, n do t[i] = w() end; return table.concat(t, ' ') end\n"
  "local out = {'# Arxiv Papers in cs.CV on 2019-03-01\\n'}\n"
  "for n = 1, 3000 do\n"
  "  out[#out + 1] = ('### %s\\n- **Arxiv ID**: http://arxiv.org/abs/1903.%05dv1\\n'\n"
  "    .. '- **Categories**: **cs.CV**\\n- **Published**: 2019-03-01 01:00:00+00:00\\n'\n"
  "    .. '- **Authors**: A B\\n- **Comment**: None\\n- **Summary**: %s\\n\\n'):format(\n"
  "    ws(rnd(6) + 2), n, ws(rnd(40) + 10))\n"
  "end\n"
  "local idx = assert(ad.index(assert(ad.parse(table.concat(out), 'gen.md'))))\n"
  "local Q = {'image', 'image network', 'ti:image abs:network', 'segmentation AND (medical OR video)',\n"
  "  '\"neural network\"', 'image -network', 'image OR network OR model', 'im* network', '-image'}\n"
  "local function key(h) local t = {}; for i, x in ipairs(h) do t[i] = x.paper.id .. '=' .. x.score end;\n"
  "  return table.concat(t, ' ') end\n"
  "local ref = {}\n"
  "for i, q in ipairs(Q) do ref[i] = key(idx:search(q, {limit = 15, threads = 1})) end\n"
  "function run(rounds, s)\n"
  "  local bad, shared = 0, 0\n"
  "  for r = 1, rounds do\n"
  "    for i, q in ipairs(Q) do\n"
  "      local h = idx:search(q, {limit = 15, threads = 2 + (r + s) % 3, _parallel_min_blocks = (r + i) % 2})\n"
  "      if key(h) ~= ref[i] then bad = bad + 1; io.stderr:write('differs: ', q, '\\n') end\n"
  "      if h._threads > 1 then shared = shared + 1 end\n"
  "    end\n"
  "  end\n"
  "  return bad, shared\n"
  "end\n";

static const char *dir;

static lua_State *newstate(void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_loadstring(L, SETUP) != LUA_OK) goto fail;
  lua_pushstring(L, dir);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) goto fail;
  return L;
fail:
  fprintf(stderr, "par_search: setup: %s\n", lua_tostring(L, -1));
  exit(2);
}

/* run(rounds, seed) in L: the differences; *shared: the shared searches */
static int run(lua_State *L, int rounds, int seed, int *shared) {
  int bad;
  lua_getglobal(L, "run");
  lua_pushinteger(L, rounds);
  lua_pushinteger(L, seed);
  if (lua_pcall(L, 2, 2, 0) != LUA_OK) {
    fprintf(stderr, "par_search: run: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return 1;
  }
  bad = (int)lua_tointeger(L, -2);
  if (shared) *shared = (int)lua_tointeger(L, -1);
  lua_pop(L, 2);
  return bad;
}

/* run(rounds, seed) again until a search was shared, at most 40 times: a
** pool thread takes a part only if it is scheduled before the caller has
** taken every chunk, which a machine busy with other jobs (make test runs
** two at once) may not do within a few rounds of 3,000 papers; every
** search of every run is checked. The differences; *shared as run's. */
static int run_shared(lua_State *L, int rounds, int seed, int *shared) {
  int bad = 0, k;
  *shared = 0;
  for (k = 0; k < 40 && *shared == 0; k++) bad += run(L, rounds, seed + k, shared);
  return bad;
}

typedef struct job { lua_State *L; int rounds, seed, bad, shared; } job;

static void *worker(void *arg) {
  job *j = (job *)arg;
  j->bad = run(j->L, j->rounds, j->seed, &j->shared);
  return NULL;
}

/* in a forked child: searches on the main state, exit status 0 if they
** give the hits of one thread and at least one was shared */
static int in_child(lua_State *L, const char *what) {
  pid_t pid;
  int st;
  if (getenv("PAR_SEARCH_NOFORK")) return 0;   /* (ThreadSanitizer: no threads after a fork) */
  pid = fork();
  if (pid < 0) { perror("fork"); return 1; }
  if (pid == 0) {
    int shared = 0, bad = run_shared(L, 6, 1, &shared);
    if (bad) fprintf(stderr, "par_search: %s: %d searches differ in the child\n", what, bad);
    if (shared == 0) fprintf(stderr, "par_search: %s: no search was shared in the child\n", what);
    _exit(bad || shared == 0 ? 1 : 0);
  }
  if (waitpid(pid, &st, 0) != pid) { perror("waitpid"); return 1; }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "par_search: %s: the child ended with status %d\n", what, st);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  lua_State *L;
  job jobs[2];
  pthread_t th[2];
  int i, bad = 0, shared = 0;
  if (argc != 2) { fprintf(stderr, "usage: par_search MODULE_DIR\n"); return 2; }
  dir = argv[1];
  L = newstate();
  bad += run_shared(L, 3, 0, &shared);
  if (shared == 0) { fprintf(stderr, "par_search: no search was shared\n"); bad++; }
  /* a fork after the pool was made, nothing searching */
  bad += in_child(L, "fork");
  /* three OS threads search at once, each its own state and index */
  for (i = 0; i < 2; i++) {
    jobs[i].L = newstate(); jobs[i].rounds = 30; jobs[i].seed = i + 1;
    if (pthread_create(&th[i], NULL, worker, &jobs[i]) != 0) { perror("pthread_create"); return 2; }
  }
  bad += run(L, 20, 0, NULL);
  for (i = 0; i < 2; i++) {
    pthread_join(th[i], NULL);
    bad += jobs[i].bad;
    lua_close(jobs[i].L);
  }
  /* every state closed: the module is unloaded by Lua, the pool's threads
  ** parked in it; a new state loads it again */
  lua_close(L);
  L = newstate();
  bad += run_shared(L, 4, 2, &shared);
  if (shared == 0) { fprintf(stderr, "par_search: no search was shared after a reload\n"); bad++; }
  lua_close(L);
  if (bad) { fprintf(stderr, "par_search: %d failures\n", bad); return 1; }
  printf("par_search: ok\n");
  return 0;
}
