/*
** fuzz_query.c: libFuzzer target for query execution (ad_search, ad_count,
** ad_each, ad_similar, ad_snippet) over a small index of the fixtures.
**
** The input is decoded into an array of ad_xnode (any node type, field,
** prefix flag, text, date or version range, and child indexes that may be
** invalid: the executor must reject a bad tree with AD_EFORMAT, never crash).
** For a valid tree it checks
**  - the fresh index and the same index saved and loaded (mmap) give the
**    very same hits and counts;
**  - top-k with early termination gives the first k of the full ranking
**    (every match scored), same documents in the same order;
**  - ad_count == ad_each's number of calls == date-sorted hits with k = all,
**    and date order is increasing document number;
**  - every hit is a valid document.
** Any broken property aborts (a libFuzzer finding).
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ad_core.h"
#include "ad_index.h"
#include "fuzz_index.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXNODES 12
#define MAXKIDS 4

static fz_index Z;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  static const char *const srcs[] = {"spec/fixtures/fuzz/scan", "examples/data", NULL};
  fz_index_init(&Z, srcs);
  return 0;
}

static void bad(const char *what) {
  fprintf(stderr, "fuzz_query: %s\n", what);
  abort();
}

typedef struct rd { const uint8_t *p; size_t n; } rd;
static unsigned byte(rd *r) {
  if (r->n == 0) return 0;
  r->n--;
  return *r->p++;
}

/* a date YYYYMMDD from two bytes: mostly plausible, sometimes not */
static uint32_t date_of(unsigned a, unsigned b) {
  if (a == 255) return (uint32_t)(b * 1000003u);          /* anything */
  return (uint32_t)((2018 + a % 4) * 10000 + (1 + b % 12) * 100 + 1 + (a * 7 + b) % 31);
}

static const char *const words[] = {
  "segmentation", "depth", "estimation", "neural", "network", "video", "image",
  "learning", "zero-shot", "detect", "cs.CV", "cs.LG", "eess.IV", "2005.09623",
  "1910.11126", "doi", "journal", "code", "de", "the", "müller", "U$^2$-Net"
};

typedef struct cnt { uint32_t n, last; int order_ok; } cnt;
static int count_cb(void *ud, uint32_t doc) {
  cnt *c = (cnt *)ud;
  if (c->n && doc <= c->last) c->order_ok = 0;
  c->last = doc;
  c->n++;
  return 0;
}

static void same_hits(const ad_hit *a, uint32_t na, const ad_hit *b, uint32_t nb,
                      const char *what) {
  uint32_t i;
  if (na != nb) { fprintf(stderr, "%u vs %u hits\n", na, nb); bad(what); }
  for (i = 0; i < na; i++) {
    if (a[i].doc != b[i].doc) {
      fprintf(stderr, "hit %u: doc %u (%.6f) vs doc %u (%.6f)\n", i, a[i].doc, a[i].score,
              b[i].doc, b[i].score);
      bad(what);
    }
    if (fabsf(a[i].score - b[i].score) > 1e-4f * (1 + fabsf(a[i].score))) bad(what);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ad_xnode nodes[MAXNODES];
  uint32_t kids[MAXNODES][MAXKIDS];
  char texts[MAXNODES][24];
  rd r;
  uint32_t nnodes, i, k, ndocs = Z.fresh.m.ndocs, nf, nl, nall, total;
  ad_hit *hf, *hl, *hall;
  int sf, sl, sort;
  cnt cc;
  r.p = data; r.n = size;
  nnodes = 1 + byte(&r) % MAXNODES;
  memset(nodes, 0, sizeof nodes);
  for (i = 0; i < nnodes; i++) {
    ad_xnode *nd = &nodes[i];
    unsigned t = byte(&r), j, nk;
    nd->type = (int)(t % 13);                         /* 12 = invalid type */
    nd->field = (int)(byte(&r) % 6) - 1;              /* -1..4, 4 invalid */
    nd->prefix = (int)(byte(&r) & 1);
    /* text: a known word, or raw bytes from the input */
    j = byte(&r);
    if (j < 160) {
      const char *w = words[j % (sizeof words / sizeof words[0])];
      nd->len = strlen(w);
      memcpy(texts[i], w, nd->len);
    } else {
      size_t n = j % 24, m;
      for (m = 0; m < n; m++) texts[i][m] = (char)byte(&r);
      nd->len = n;
    }
    nd->text = texts[i];
    nd->a = date_of(byte(&r), byte(&r));
    nd->b = date_of(byte(&r), byte(&r));
    if (nd->type == AD_QN_VERSION) { nd->a = byte(&r) % 5; nd->b = byte(&r) % 5; }
    nk = byte(&r) % (MAXKIDS + 1);
    for (j = 0; j < nk; j++) {
      unsigned c = byte(&r);
      /* usually a later node (a valid tree), sometimes anything */
      kids[i][j] = (c & 0x80) ? (uint32_t)(c & 0x7f) : i + 1 + c % (MAXNODES);
    }
    nd->nkids = nk;
    nd->kids = kids[i];
  }
  k = 1 + byte(&r) % 40;
  sort = (int)(byte(&r) & 1);

  hf = (ad_hit *)malloc(sizeof(ad_hit) * (ndocs + 1));
  hl = (ad_hit *)malloc(sizeof(ad_hit) * (ndocs + 1));
  hall = (ad_hit *)malloc(sizeof(ad_hit) * (ndocs + 1));
  if (!hf || !hl || !hall) abort();

  sf = ad_search(&Z.fresh, nodes, nnodes, k, sort, hf, &nf);
  sl = ad_search(&Z.loaded, nodes, nnodes, k, sort, hl, &nl);
  if (sf != sl) bad("fresh and loaded index disagree on the status");
  if (sf == AD_EFORMAT) goto done;                    /* a bad tree, rejected */
  if (sf != AD_OK) bad("ad_search failed on a valid index");
  same_hits(hf, nf, hl, nl, "fresh and loaded index give different hits");
  for (i = 0; i < nf; i++) if (hf[i].doc >= ndocs) bad("hit outside the index");
  /* shared by threads from the first block on: the same hits */
  {
    uint32_t np2;
    unsigned used;
    if (ad_search_par(&Z.loaded, nodes, nnodes, k, sort, 3, 0, hl, &np2, &used) != AD_OK)
      bad("ad_search on threads failed on a valid index");
    same_hits(hf, nf, hl, np2, "a search on threads gives other hits than one thread");
  }

  /* every match, in date (document) order */
  if (ad_search(&Z.fresh, nodes, nnodes, ndocs, AD_SORT_DATE, hall, &nall) != AD_OK)
    bad("ad_search (all) failed");
  memset(&cc, 0, sizeof cc); cc.order_ok = 1;
  if (ad_each(&Z.fresh, nodes, nnodes, count_cb, &cc) != AD_OK) bad("ad_each failed");
  if (ad_count(&Z.loaded, nodes, nnodes, &total) != AD_OK) bad("ad_count failed");
  if (cc.n != nall || total != nall) {
    fprintf(stderr, "each %u, count %u, all hits %u\n", cc.n, total, nall);
    bad("ad_count, ad_each and the full search disagree");
  }
  if (!cc.order_ok) bad("ad_each not in document order");
  for (i = 1; i < nall; i++) if (hall[i].doc <= hall[i - 1].doc) bad("date order broken");
  if (sort == AD_SORT_DATE) {
    same_hits(hf, nf, hall, nf < nall ? nf : nall, "date-sorted top-k is not a prefix of all matches");
  } else {
    /* the exhaustive ranking: k = ndocs never fills the heap early */
    if (ad_search(&Z.fresh, nodes, nnodes, ndocs, AD_SORT_SCORE, hall, &nall) != AD_OK)
      bad("ad_search (all, by score) failed");
    same_hits(hf, nf, hall, nf < nall ? nf : nall,
              "top-k with early termination differs from the full ranking");
    if (nf != (k < nall ? k : nall)) bad("top-k returned too few hits");
  }

  /* similar papers to the text of a node, excluding the first hit */
  {
    ad_hit sim[10];
    uint32_t ns;
    int st = ad_similar(&Z.loaded, nodes[0].text, nodes[0].len, nf ? hf[0].doc : UINT32_MAX,
                        10, sim, &ns);
    if (st != AD_OK) bad("ad_similar failed");
    for (i = 0; i < ns; i++) {
      if (sim[i].doc >= ndocs) bad("similar: doc outside the index");
      if (nf && sim[i].doc == hf[0].doc) bad("similar returned the excluded paper");
    }
  }
done:
  free(hf); free(hl); free(hall);
  return 0;
}
