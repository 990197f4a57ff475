/*
** lad.h: what the Lua binding files share. Only these files include lua.h.
** lad.c        module entry (luaopen_arxivdigest_core), Collection and Paper
** lad_index.c  Index objects (registers its functions with lad_index_open)
** lad_recommend.c  recommendations over an index (lad_recommend_open)
*/
#ifndef LAD_H
#define LAD_H

#include <lua.h>
#include <lauxlib.h>
#include "ad_core.h"
#include "ad_index.h"

#define LAD_COLLECTION "arxivdigest.Collection"
#define LAD_PAPER      "arxivdigest.Paper"

/* The Collection userdata: a corpus that Lua owns. */
typedef struct lad_collection {
  ad_corpus c;         /* first member: a corpus pointer is its collection's */
  int live;            /* 0 once closed / before init */
  int busy;            /* C functions reading c across Lua allocations */
  int pending;         /* closed while busy: free c when the last one ends */
  int threads;         /* threads that read its files (open), else 1 */
} lad_collection;

/* Returns the corpus of the Collection at stack index i (raises a type
** error naming argument i otherwise). */
ad_corpus *lad_checkcorpus(lua_State *L, int i);
/* a new, empty, open Collection at the top of the stack, with nuv user
** values */
lad_collection *lad_newcoll(lua_State *L, int nuv);
/* opts.threads of the table at t: an integer-valued number >= 1 (capped at
** AD_MAX_THREADS), or dflt when absent; raises an error naming argument t */
int lad_optthreads(lua_State *L, int t, int dflt);

/* __eq of a paper userdata (tname) whose first member is its uint32_t
** number and whose user value 1 is its owner. */
int lad_paper_eq_by(lua_State *L, const char *tname);

/* Pushes the value of field `name` of record `rec` of corpus c (decoding it
** now), or nothing; returns 1 if `name` is a record field (even when its
** value is nil, which is pushed), 0 if it is not a field name. May raise
** (memory, or a source file that changed under a saved index). */
int lad_push_record_field(lua_State *L, ad_corpus *c, uint32_t rec,
                          const char *name);

/* Pushes a new Paper userdata for record rec of the Collection at stack
** index owner (the paper keeps it alive). */
void lad_pushpaper(lua_State *L, int owner, uint32_t rec);

/* The allocator of L as an ad_alloc. */
void lad_alloc(lua_State *L, ad_alloc *a);

/* Raises a Lua error for a core error code (AD_ENOMEM, AD_EIO...). */
int lad_error(lua_State *L, int code, const char *what);

/* Registers the index functions into the module table at the stack top
** (defined in lad_index.c). */
void lad_index_open(lua_State *L);

/* The index of the Index userdata at stack index i, and in *corpus (when
** not NULL) the corpus its records are read from. Raises an error naming
** argument i when it is not an open Index, or when the collection of a
** fresh index was closed. */
ad_ix *lad_checkix(lua_State *L, int i, ad_corpus **corpus);

/* Registers core.recommend and core.index_lookup into the module table
** at the stack top (defined in lad_recommend.c). */
void lad_recommend_open(lua_State *L);

#endif
