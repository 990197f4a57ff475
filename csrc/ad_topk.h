/*
** ad_topk.h: the k best hits of a query or of similar(): one heap for
** ad_search.c and ad_similar.c (header-only, inlined in their loops).
** h[0 .. n) is a min-heap under ad_hit_worse: once it holds k hits, h[0]
** is the worst of them, the score a new hit must beat.
*/
#ifndef AD_TOPK_H
#define AD_TOPK_H

#include "ad_index.h"

/* is hit a worse than hit b? (lower score, or equal and later doc) */
static inline int ad_hit_worse(const ad_hit *a, const ad_hit *b) {
  if (a->score != b->score) return a->score < b->score;
  return a->doc > b->doc;
}

static inline void ad_topk_down(ad_hit *h, uint32_t n, uint32_t i) {
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    ad_hit t;
    if (l < n && ad_hit_worse(&h[l], &h[m])) m = l;
    if (r < n && ad_hit_worse(&h[r], &h[m])) m = r;
    if (m == i) return;
    t = h[i]; h[i] = h[m]; h[m] = t; i = m;
  }
}

static inline void ad_topk_up(ad_hit *h, uint32_t i) {
  while (i > 0) {
    uint32_t p = (i - 1) / 2;
    ad_hit t;
    if (!ad_hit_worse(&h[i], &h[p])) return;
    t = h[i]; h[i] = h[p]; h[p] = t; i = p;
  }
}

/* Offer hit x to the heap h[0 .. *n) of at most k (> 0) hits. */
static inline void ad_topk_push(ad_hit *h, uint32_t *n, uint32_t k, ad_hit x) {
  if (*n < k) {
    h[*n] = x;
    ad_topk_up(h, *n);
    (*n)++;
  } else if (ad_hit_worse(&h[0], &x)) {
    h[0] = x;
    ad_topk_down(h, *n, 0);
  }
}

/* Sort the heap h[0 .. n) best first (in place). */
static inline void ad_topk_sort(ad_hit *h, uint32_t n) {
  while (n > 1) {
    ad_hit t = h[0]; h[0] = h[n - 1]; h[n - 1] = t;
    n--;
    ad_topk_down(h, n, 0);
  }
}

#endif
