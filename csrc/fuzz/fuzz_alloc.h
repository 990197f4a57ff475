/*
** fuzz_alloc.h: a checking allocator for the fuzz targets (header-only).
** It follows the lua_Alloc contract of ad_alloc, keeps a hidden size header
** to verify that the core passes the right old size on realloc/free, counts
** live blocks and bytes, and can fail every allocation after the first
** `limit` ones (to explore out-of-memory paths).
*/
#ifndef FUZZ_ALLOC_H
#define FUZZ_ALLOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ad_core.h"

typedef struct fz_heap {
  size_t live_bytes, live_blocks;
  unsigned long nalloc;        /* successful allocations + growths so far */
  unsigned long limit;         /* fail once nalloc reaches it; 0 = never */
  int failed;                  /* an allocation was refused */
} fz_heap;

#define FZ_HDR 16

static void fz_die(const char *what, size_t a, size_t b) {
  fprintf(stderr, "fuzz_alloc: %s (%zu vs %zu)\n", what, a, b);
  abort();
}

static void *fz_allocf(void *ud, void *ptr, size_t osize, size_t nsize) {
  fz_heap *h = (fz_heap *)ud;
  unsigned char *blk = ptr ? (unsigned char *)ptr - FZ_HDR : NULL;
  size_t real = 0;
  if (blk) {
    memcpy(&real, blk, sizeof real);
    if (real != osize) fz_die("wrong old size passed to the allocator", osize, real);
  }
  if (nsize == 0) {
    if (blk) {
      h->live_bytes -= real; h->live_blocks--;
      free(blk);
    }
    return NULL;
  }
  /* shrinking never fails (as with Lua's own allocator) */
  if (h->limit && h->nalloc >= h->limit && !(blk && nsize <= real)) {
    h->failed = 1;
    return NULL;
  }
  {
    unsigned char *nb = (unsigned char *)realloc(blk, nsize + FZ_HDR);
    if (!nb) return NULL;
    h->nalloc++;
    if (blk) h->live_bytes -= real; else h->live_blocks++;
    h->live_bytes += nsize;
    memcpy(nb, &nsize, sizeof nsize);
    return nb + FZ_HDR;
  }
}

static void fz_heap_init(fz_heap *h, ad_alloc *a, unsigned long limit) {
  memset(h, 0, sizeof *h);
  h->limit = limit;
  a->f = fz_allocf;
  a->ud = h;
}

static void fz_heap_check_empty(const fz_heap *h) {
  if (h->live_blocks || h->live_bytes)
    fz_die("memory not returned after ad_corpus_free (blocks, bytes)",
           h->live_blocks, h->live_bytes);
}

#endif
