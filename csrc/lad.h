/*
** lad.h: what the Lua binding files share. Only the lad*.c files include
** lua.h; the core (ad_*.c) never does.
**   lad.c         module entry (luaopen_arxivdigest_core), shared helpers,
**                 module functions (open, parse, fields, tokens, snippet)
**   lad_coll.c    Collection and Paper types (a corpus, its records)
**   lad_query.c   the one converter of a query tree (Lua) to ad_xnode
**   lad_index.c   Index type: build, load, save, search, count, trend,
**                 similar, stats; Hit objects
**   lad_update.c  idx:update(): the incremental update
**   lad_hit.c     Hit objects (search and similar results)
**   lad_mpaper.c  MergedPaper type (one entry of an index)
**   lad_sandbox.c sandboxed scripts: a lua_State of their own with a
**                 limiting allocator and an instruction hook
**   lad_sbmatch.c the sandbox's string.find/match/gmatch/gsub: Lua's
**                 patterns with every matcher step charged to the budget
**   lad_watch.c   core.lock (flock) and core.list (an archive's files)
**   lad_recommend.c  idx:recommend and the lookups ad.library needs
**   lad_terms.c   core.term_counter: the html format's top terms' counts
*/
#ifndef LAD_H
#define LAD_H

#include <lua.h>
#include <lauxlib.h>
#include "ad_core.h"
#include "ad_index.h"

#define LAD_COLLECTION "arxivdigest.Collection"
#define LAD_PAPER      "arxivdigest.Paper"
#define LAD_INDEX      "arxivdigest.Index"
#define LAD_GEN        "arxivdigest.IndexData"
#define LAD_MPAPER     "arxivdigest.MergedPaper"
#define LAD_HIT        "arxivdigest.Hit"

/* {====================================================== shared helpers */
/* The allocator of L as an ad_alloc. */
void lad_alloc(lua_State *L, ad_alloc *a);
/* Raises a Lua error for a core error code (AD_ENOMEM, AD_EIO...). */
int lad_error(lua_State *L, int code, const char *what);
/* The I/O failure convention: pushes nil, "what: reason" and errno (the
** current errno, saved by the caller in e) and returns 3. */
int lad_fail(lua_State *L, const char *what, int e);
/* opts.threads of the options table at t (absent: dflt), checked once for
** every function that takes it: an integer-valued number >= 1, capped at
** AD_MAX_THREADS; the number of threads that may work. Raises an error
** naming argument t. */
int lad_optthreads(lua_State *L, int t, int dflt);
/* open() of the path or list of paths at stack index arg (errors name
** that argument of the calling function): pushes the Collection and
** returns 1, or pushes nil, "path: reason", errno and returns 3. */
void lad_addwarnings(lua_State *L, int t, const ad_corpus *c);
int lad_openpaths(lua_State *L, int arg, int threads, uint64_t minbytes);
/* The options table at t: nil (none) or a table, else a type error naming
** argument t. Returns 1 when it is a table. */
int lad_opttable(lua_State *L, int t);
/* The keys of the options table at t (nil: none) are among the
** NULL-terminated known names, else an error naming argument t, the key
** and the known ones ("unknown option 'verfy' (known: verify)"): a
** mistyped option is said, not ignored. Keys starting with '_' (the
** tests' knobs) are not checked. */
void lad_checkkeys(lua_State *L, int t, const char *const known[]);
/* The first key of the table at t that is not among the NULL-terminated
** known names (with skip_, keys starting with '_' pass), left on the stack
** and returned as its string (*isname) or its type's name; NULL when every
** key is known (lad_checkkeys, and the weights of ad.index). */
const char *lad_unknownkey(lua_State *L, int t, const char *const known[], int skip_, int *isname);
/* __newindex of the core's objects (Paper, MergedPaper, Collection,
** Index): they are read-only, and the error says so (a paper's also says
** that p:totable() gives a table to change). */
int lad_readonly(lua_State *L);
/* YYYYMMDD -> "YYYY-MM-DD" pushed (nil for 0); "YYYY-MM-DD" -> YYYYMMDD
** (0 when s is not such a date). */
void lad_pushdate(lua_State *L, uint32_t v);
uint32_t lad_parsedate(const char *s, size_t n);
/* The method table of a type: a new table (pushed) holding each function
** of l wrapped so that its argument errors name the method however it is
** called. Called as a method or under any name Lua can tell (idx:search,
** local s = idx.search; s(idx)), the messages are Lua's own. With no name
** (pcall(idx.search, idx, nil), a call from C), Lua would say "bad
** argument #2 to '?'": the wrapper says "bad argument #1 to 'search'", or
** "calling 'search' on bad self (...)" for self, as for a method call. */
void lad_newmethods(lua_State *L, const luaL_Reg *l);
/* The same, set into the table at the top (more methods of a type). */
void lad_setmethods(lua_State *L, const luaL_Reg *l);
/* }====================================================== */

/* {====================================================== paper fields */
/* The record fields of a paper, in canonical order (core.fields()), and
** the fields only a merged index paper has; both NULL-terminated. */
extern const char *const lad_fieldnames[];
extern const char *const lad_mergedfields[];
/* }====================================================== */

/* {====================================================== collections */
/* The Collection userdata: a corpus that Lua owns, or one borrowed from a
** collection of another state (a sandbox's view of a host collection:
** owner is then that collection, which the sandbox holds, and nothing here
** frees it). */
typedef struct lad_collection {
  ad_corpus *c;        /* the corpus read: &own, or the owner's */
  struct lad_collection *owner;  /* the collection that owns *c: self or host */
  ad_corpus own;
  int live;            /* 0 once closed / before init */
  int busy;            /* holders (C functions reading c across Lua
                          allocations, sandboxes): the owner's count */
  int pending;         /* closed while busy: free c when the last one ends */
  int threads;         /* threads that read its files (open), else 1 */
} lad_collection;

/* The Collection at stack index i (raises a type error naming argument i,
** or "collection is closed"). */
lad_collection *lad_checkcoll(lua_State *L, int i);
/* a new, empty, open Collection at the top of the stack, with nuv user
** values */
lad_collection *lad_newcoll(lua_State *L, int nuv);
/* a new Collection at the top of L's stack that reads host (another
** state's collection, which is held until lad_release(host)) */
lad_collection *lad_borrowcoll(lua_State *L, lad_collection *host);
/* A C function that reads a corpus across Lua allocations, or a sandbox
** that borrows it, holds its collection (a finalizer may close it
** meanwhile: the memory is then freed at the last release). Returns the
** owner, to release. */
lad_collection *lad_hold(lad_collection *lc);
/* c:close(): frees the corpus now, or when the last holder releases it */
void lad_coll_close_now(lad_collection *lc);
void lad_release(lad_collection *lc);
/* Pushes the value of field `name` of record `rec` of corpus c (decoding it
** now), or nothing; returns 1 if `name` is a record field (even when its
** value is nil, which is pushed), 0 if it is not a field name. May raise
** (memory, or a source file that changed under a saved index). */
int lad_push_record_field(lua_State *L, ad_corpus *c, uint32_t rec,
                          const char *name);
/* Pushes a new Paper userdata for record rec of the Collection at stack
** index owner (the paper keeps it alive). */
void lad_pushpaper(lua_State *L, int owner, uint32_t rec);
/* __eq of a paper userdata (tname) whose first member is its uint32_t
** number and whose user value 1 is its owner. */
int lad_paper_eq_by(lua_State *L, const char *tname);
void lad_coll_open(lua_State *L);
/* }====================================================== */

/* {====================================================== query trees */
/* Converts the query at stack index arg into a node array: a query string
** (parsed by arxivdigest.query, the only parser) or a tree of that module.
** The tree is read raw (no metamethod runs), every value's type is
** checked, every count is bounded by what was allocated, and every string
** is copied: the nodes do not depend on the tree once converted. Pushes
** one userdata that owns the nodes (keep it on the stack while they are
** used). cheap != 0 accepts only nodes that need no text (c:select).
** who names the function in errors ("search: ..."). */
const ad_xnode *lad_checkquery(lua_State *L, int arg, uint32_t *n, int cheap,
                               const char *who);
/* The positive text terms of a converted tree, tokenized as the index
** does, for snippets: pushes a userdata of them. */
void lad_pushsnipterms(lua_State *L, const ad_xnode *nodes, uint32_t n);
/* Snippet of text with the terms of the snipterms userdata at stack index
** t; pushes the string. */
void lad_snippet_with(lua_State *L, const char *text, size_t n, int t,
                      const char *open, size_t lo, const char *close,
                      size_t lc, lua_Integer width);
/* }====================================================== */

/* {====================================================== indexes */
/* One generation of an index: the data its papers and hits read. An Index
** holds its current generation (user value 1); a paper or hit holds the
** generation it was taken from. idx:update() builds a new generation and
** frees the old one at once (an index is large: two must not linger), so
** the papers and hits of the old one raise a "stale" error: they never
** answer for another paper. User values of a generation: 1 the Collection
** a fresh build reads records from, 2 the index's name. */
typedef struct lad_gen {
  ad_ix ix;
  ad_corpus own;         /* corpus of a loaded index */
  lad_collection *coll;  /* corpus of a fresh build (user value 1) */
  int live, loaded;
  int stale;             /* freed by an update (else by close) */
  int owncoll;           /* coll was made for this generation (from paths,
                            or by an update): freed with it */
  int holds, pending;    /* sandboxes borrowing it; freed while held */
  struct lad_gen *host;  /* a sandbox's view of a host generation (held),
                            whose data it reads; NULL for an owner */
} lad_gen;

/* The index data of a generation (its host's for a borrowed one). */
#define LAD_GIX(g) ((g)->host ? &(g)->host->ix : &(g)->ix)

/* The open generation of the Index at i (raises on a closed index); its
** userdata is pushed when push != 0. */
lad_gen *lad_checkindex(lua_State *L, int i, int push);
/* The corpus records of generation g are read from (raises when the
** collection of a fresh build was closed). */
ad_corpus *lad_gencorpus(lua_State *L, lad_gen *g);
/* Raises the error of code for the index generation at stack index gi
** (a corrupted index names its file). */
int lad_generror(lua_State *L, int gi, int code);
/* Record r of generation g, checked (expanded from a loaded index). */
uint32_t lad_genrec(lua_State *L, int gi, lad_gen *g, uint32_t r);
/* Pushes a new MergedPaper of doc for the generation at stack index gi. */
void lad_pushmpaper(lua_State *L, int gi, uint32_t doc);
/* The generation and doc of the MergedPaper at i (raises if it is not
** one, or its index was closed); the generation is pushed when push. */
lad_gen *lad_tompaper(lua_State *L, int i, uint32_t *doc, int push);
/* The index data and corpus of the Index at i (raises on a closed index),
** for binding files that run core functions over an index. */
ad_ix *lad_checkix(lua_State *L, int i, ad_corpus **corpus);
const char *lad_ixname(lua_State *L, int ii);
/* Frees a generation's data now (closed), or when its last holder lets
** it go; a borrowed generation only closes. */
void lad_genfree(lad_gen *g);
/* A sandbox borrows generation g of another state: pushes a new
** generation in L that reads g's data (g is held until the sandbox
** releases it with lad_genrelease), and returns it. coll: L's borrowed
** collection for g's (at stack index ci, 0 for none). */
lad_gen *lad_genborrow(lua_State *L, lad_gen *g, int ci);
void lad_genrelease(lad_gen *g);
/* Pushes a new Index handle over the generation at stack index gi. */
void lad_newindex(lua_State *L, int gi);
/* A new, closed generation at the top of the stack. */
lad_gen *lad_newgen(lua_State *L);
/* opts.threads of the options at t (default: the online CPUs) and, for
** the tests, opts._parallel_min_docs: the fewest docs a stage of a build
** needs to use more than one thread */
void lad_buildthreads(lua_State *L, int t, unsigned *threads, uint32_t *minpar);
/* Pushes an array of Hit tables for hits[first..nout) of the generation
** at stack index gi; the snippet terms userdata at ti (0: none) go with
** each (lad_hit.c). */
void lad_pushhits(lua_State *L, int gi, const ad_hit *hits, uint32_t first,
                  uint32_t nout, int ti);
void lad_hit_open(lua_State *L);
/* {====================================================== listings */
/* Files listed without reading them (lad_listing.c): the paths under
** files and folders by the core's walk, with size, mtime, absolute path. */
typedef struct lad_lfile { char *path; size_t n; uint64_t size; int64_t mtime; } lad_lfile;
typedef struct lad_listing {
  ad_corpus c;                  /* its allocator, and the walk's warnings */
  lad_lfile *v; uint32_t n, cap;
  char cwd[4096]; size_t cwdn;  /* the working folder, with a final '/' */
  int freed;
} lad_listing;
/* Pushes a new, empty listing (its __gc frees it after an error). */
lad_listing *lad_newlisting(lua_State *L);
/* Lists path (a folder: walked; a file: itself) into l: AD_OK or an AD_*
** status (AD_EIO: path cannot be read, errno says why). No Lua call. */
int lad_listpath(lad_listing *l, const char *path);
/* Frees what l holds, once (callers do it on every way out, so its memory
** never waits for a finalizer). */
void lad_listfree(lad_listing *l);
void lad_listing_open(lua_State *L);
/* }====================================================== */

/* idx:update([paths [, opts]]) (lad_update.c) */
int lad_index_update(lua_State *L);
void lad_index_open(lua_State *L);
void lad_mpaper_open(lua_State *L);
/* Registers sandbox() (lad_sandbox.c) into the module table at the top. */
void lad_sandbox_open(lua_State *L);
/* Charges n steps of work done inside a C function of sandbox state S to
** its instruction budget; raises the budget error once it is spent
** (lad_sandbox.c). */
void lad_sb_charge(lua_State *S, unsigned n);
/* The state of the open Sandbox at stack index i of host L (raises when
** it is not one, or is closed); the host may read that state's registry
** while no call into it runs (lad_sandbox.c). */
lua_State *lad_sbstate(lua_State *L, int i);
/* Bytes sandbox state S may still allocate (1e18 when it has no limit). */
double lad_sb_left(lua_State *S);
/* Sets find, match, gmatch and gsub in the table at the top of sandbox
** state S: Lua's patterns with every matcher step charged (lad_sbmatch.c). */
void lad_sbmatch_open(lua_State *S);
/* core.lock and core.list (lad_watch.c: what standing watches need) */
void lad_watch_open(lua_State *L);
/* }====================================================== */

/* Registers core.recommend and core.index_lookup into the module table
** at the stack top (defined in lad_recommend.c). */
void lad_recommend_open(lua_State *L);
/* Registers core.term_counter (lad_terms.c: the html format's top terms). */
void lad_terms_open(lua_State *L);

#endif
