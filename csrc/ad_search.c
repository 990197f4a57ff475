/*
** ad_search.c: query execution over an index (pure C).
**
** A query tree (ad_xnode, built by the Lua binding from query.lua's AST or
** by a fuzzer from bytes) is compiled into an iterator tree. Every iterator
** answers three questions, all moving forward in doc order only:
**   next(d)      the first matching doc >= d (AD_END when none);
**   score()      the score of the current doc;
**   bound(d,&e)  an upper bound of the score of any doc in [d, e].
** Term iterators read posting lists block by block (ad_index.h); bound()
** uses the block maxima of the skip table without decoding (block-max).
** Top-k (ad_search) keeps a heap of the k best hits (ad_topk.h); once it is full, a
** stretch of docs whose bound cannot beat the k-th score is skipped whole,
** so common terms do not score every posting. Ties go to the lower doc
** number (the newer paper), which makes the skip exact.
**
** Filters (cat:, primary:, has:, v:) are posting lists of pseudo terms with
** no score; date: becomes a bitmap from the DATES section, id: one doc,
** prefixes a bitmap with per-doc scores (the best expansion's).
** Every offset read from the index is checked (ad_ix_need and explicit
** bounds): a corrupt index yields AD_ECORRUPT, never a wild read.
** All memory of one query comes from an arena freed at the end.
*/
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include "ad_index.h"
#include "ad_token.h"
#include "ad_topk.h"

#define AD_END UINT32_MAX
#define AD_MAXEXP 64     /* prefixes with more expansions become a bitmap */
#define AD_STRETCH 128   /* a scored bitmap's maxima: per stretch of docs */
#define AD_BIGEXP 16     /* ... but for their longest lists, kept lazy */
#define AD_QMAXTHREADS 8 /* a search's threads at most */
#define AD_ORREQ 64      /* ORs with more children do not look for required
                            ones (the others' sums are quadratic) */

/* {====================================================== arena */
typedef struct ad_qchunk { struct ad_qchunk *next; size_t size; } ad_qchunk;
typedef struct ad_arena {
  const ad_alloc *a; ad_qchunk *head; size_t used, cap;
} ad_arena;

static void *ad_ar_alloc(ad_arena *ar, size_t n) {
  void *p;
  n = (n + 15) & ~(size_t)15;
  if (ar->head == NULL || ar->used + n > ar->cap) {
    size_t sz = n + sizeof(ad_qchunk) + 16 > 65536 ? n + sizeof(ad_qchunk) + 16 : 65536;
    ad_qchunk *c = (ad_qchunk *)ad_malloc(ar->a, sz);
    if (c == NULL) return NULL;
    c->next = ar->head; c->size = sz; ar->head = c;
    ar->used = (sizeof(ad_qchunk) + 15) & ~(size_t)15; ar->cap = sz;
  }
  p = (char *)ar->head + ar->used;
  ar->used += n;
  return p;
}

static void ad_ar_free(ad_arena *ar) {
  while (ar->head) {
    ad_qchunk *c = ar->head;
    ar->head = c->next;
    ad_free(ar->a, c, c->size);
  }
}
/* }====================================================== */

/* {====================================================== posting cursors */
typedef struct ad_cur {
  ad_ix *ix;
  const uint8_t *list, *lend;   /* the term's list in POST */
  const uint8_t *pbase, *pend;  /* the term's positions in POS */
  uint32_t nb, blk, sblk;       /* blocks, decoded block, shallow block */
  uint32_t n, i, doc, df;
  uint32_t docs[AD_BLOCK];
  uint8_t imp[AD_BLOCK];
  uint32_t npm[AD_BLOCK];
  const uint8_t *pp; uint32_t ppi;  /* positions of doc ppi of the block */
  const uint8_t *npmp; int npmok;   /* npm bytes of the block, decoded? */
  float wt;                     /* score of impact 1 */
  float sbound;                 /* the bound of block sblk (ad_cur_bound) */
  uint32_t send;                /* and its last doc */
  int sok;                      /* sbound and send are those of block sblk */
  uint32_t dflt;                /* npm of docs whose impact byte has bit 0 */
  uint32_t *pos; uint32_t npos, cappos;
  const uint32_t *lim;          /* its query's end of docs (ad_q.lim) */
  uint32_t *work;               /* its query's count of decoded blocks */
  struct ad_cur *qnext;         /* the query's cursors, newest first */
} ad_cur;

/* A prefix's bitmap of expansions, made by the caller of a shared search
** and read by its threads (ad_it_expand): the threads compile the same
** query, so the i-th such bitmap of their compile is the caller's i-th. */
#define AD_XSHARE 8
typedef struct ad_xbits {
  const uint64_t *bits; const float *sc, *smax;
  float maxs; uint32_t any;
  int ok;             /* not changed in place by the caller's compile */
} ad_xbits;

typedef struct ad_q {
  ad_ix *ix;
  ad_arena ar;
  int err;
  uint32_t nexp;     /* prefix bitmaps compiled so far (ad_compile_root) */
  int rec;           /* record them in bx (the caller of a shared search) */
  ad_xbits bx[AD_XSHARE];
  const ad_xbits *borrow; /* a pool thread's: the caller's bx */
  uint32_t nparts;   /* words and operators so far (AD_QMAXPARTS) */
  uint32_t lim;      /* docs >= lim are not this query's (a parallel
                        search's part ends there; else ndocs) */
  uint32_t work;     /* blocks decoded so far */
  ad_cur *curs;      /* every cursor made, newest first */
  struct ad_it *its; /* every iterator made, newest first */
} ad_q;

static void ad_q_init(ad_q *q, ad_ix *ix, const ad_alloc *a) {
  memset(q, 0, sizeof *q);
  q->ix = ix; q->ar.a = a; q->lim = ix->m.ndocs;
}

static ad_ixskip ad_skip(const ad_cur *c, uint32_t b) {
  ad_ixskip s;
  memcpy(&s, c->list + (size_t)b * sizeof s, sizeof s);
  return s;
}

/* c at the start of t's list; not among the query's cursors (q->curs) */
static void ad_cur_init(ad_q *q, ad_cur *c, const ad_ixterm *t) {
  ad_ix *ix = q->ix;
  memset(c, 0, sizeof *c);
  c->ix = ix;
  c->list = ix->sec[AD_SEC_POST] + t->post; c->lend = c->list + t->postlen;
  c->pbase = ix->sec[AD_SEC_POS] + t->pos; c->pend = c->pbase + t->poslen;
  c->df = t->df;
  c->nb = (t->df + AD_BLOCK - 1) / AD_BLOCK;
  c->blk = UINT32_MAX; c->sblk = 0;
  c->doc = 0; c->n = 0; c->i = 0;
  c->wt = (float)(ad_ix_idf(ix, t->df) * (ix->m.p.k1 + 1) / AD_IMPMAX);
  c->dflt = t->len > 0 && ix->sec[AD_SEC_TSTR][t->str] == 1 ? 0 : AD_NPM_DEFAULT;
  c->lim = &q->lim; c->work = &q->work;
}

/* a cursor of the query (rewound between chunks, counted by a split) */
static ad_cur *ad_cur_new(ad_q *q, const ad_ixterm *t) {
  ad_cur *c = (ad_cur *)ad_ar_alloc(&q->ar, sizeof *c);
  if (c == NULL) { q->err = AD_ENOMEM; return NULL; }
  ad_cur_init(q, c, t);
  c->qnext = q->curs; q->curs = c;
  return c;
}

/* decode block b (docs and impacts; npm lazily); 0 on success */
static int ad_cur_block(ad_cur *c, uint32_t b) {
  ad_ixskip s = ad_skip(c, b);
  const uint8_t *p, *e = c->lend;
  uint32_t prev = b == 0 ? 0 : ad_skip(c, b - 1).last + 1, k, n, nd = c->ix->m.ndocs;
  int bad = 0;
  (*c->work)++;
  n = c->n = b + 1 < c->nb ? AD_BLOCK : c->df - b * AD_BLOCK;
  if (s.off > (uint64_t)(c->lend - c->list)) return AD_ECORRUPT;
  p = c->list + s.off;
  if (prev >= nd) return AD_ECORRUPT;
  if ((size_t)(e - p) >= (size_t)n * 5) {      /* fast path: no bounds per byte */
    for (k = 0; k < n; k++) {
      uint32_t dl;
      if (n - k >= 8) {       /* eight one-byte deltas (dense lists) */
        uint64_t w;
        memcpy(&w, p, 8);
        if (!(w & 0x8080808080808080ull)) {
          uint64_t at = prev;
          uint32_t j;
          for (j = 0; j < 8; j++) { at += p[j]; c->docs[k + j] = (uint32_t)at; at++; }
          if (at > nd) return AD_ECORRUPT;        /* past the last doc */
          prev = (uint32_t)at; p += 8; k += 7;
          continue;
        }
      }
      dl = *p++;
      if (dl >= 0x80) {
        uint32_t sh = 7;
        dl &= 0x7F;
        for (;;) {
          uint32_t x = *p++;
          dl |= (x & 0x7F) << sh;
          if (!(x & 0x80)) break;
          sh += 7;
          if (sh > 28) return AD_ECORRUPT;
        }
      }
      if (dl >= nd - prev) return AD_ECORRUPT;   /* past the last doc */
      c->docs[k] = prev + dl;
      prev = prev + dl + 1;
    }
  } else {
    for (k = 0; k < n; k++) {
      uint32_t dl = ad_varint_get(&p, e, &bad);
      if (bad || dl > nd || prev + dl >= nd) return AD_ECORRUPT;
      c->docs[k] = prev + dl;
      prev = c->docs[k] + 1;
    }
  }
  if (c->docs[n - 1] != s.last || s.maximp > AD_IMPMAX) return AD_ECORRUPT;
  if ((size_t)(e - p) < n) return AD_ECORRUPT;
  memcpy(c->imp, p, n); p += n;
  c->npmp = p; c->npmok = 0;
  if (s.posoff > (uint64_t)(c->pend - c->pbase)) return AD_ECORRUPT;
  c->pp = c->pbase + s.posoff; c->ppi = 0;
  c->blk = b; c->i = 0;
  return AD_OK;
}

/* decode the npm values of the current block */
static int ad_cur_npm(ad_cur *c) {
  const uint8_t *p = c->npmp;
  uint32_t k;
  int bad = 0;
  if (c->npmok) return AD_OK;
  for (k = 0; k < c->n; k++) {
    if (c->imp[k] & 1) c->npm[k] = c->dflt;
    else if (p < c->lend && *p < 0x80) c->npm[k] = *p++;   /* (most: one byte) */
    else {
      c->npm[k] = ad_varint_get(&p, c->lend, &bad);
      if (bad) return AD_ECORRUPT;
    }
  }
  c->npmok = 1;
  return AD_OK;
}

/* first doc >= target, or AD_END; *err on corruption */
static uint32_t ad_cur_next(ad_cur *c, uint32_t target, int *err) {
  uint32_t b;
  if (c->doc == AD_END) return AD_END;
  if (target >= *c->lim) { c->doc = AD_END; return AD_END; }   /* another part's */
  if (c->blk != UINT32_MAX && c->docs[c->i] >= target) return c->doc;
  b = c->blk == UINT32_MAX ? 0 : c->blk;
  while (b < c->nb && ad_skip(c, b).last < target) b++;
  if (b >= c->nb) { c->doc = AD_END; return AD_END; }
  if (b != c->blk) {
    int st = ad_cur_block(c, b);
    if (st) { *err = st; c->doc = AD_END; return AD_END; }
  }
  while (c->docs[c->i] < target) c->i++;   /* the block's last doc >= target */
  c->doc = c->docs[c->i];
  return c->doc;
}

/* upper bound of the cursor's score over [d, *end] */
static float ad_cur_bound(ad_cur *c, uint32_t d, uint32_t *end) {
  ad_ixskip s;
  if (c->sok && d <= c->send) { *end = c->send; return c->sbound; }
  while (c->sblk < c->nb && ad_skip(c, c->sblk).last < d) { c->sblk++; c->sok = 0; }
  if (c->sblk >= c->nb) { *end = AD_END; return 0; }
  s = ad_skip(c, c->sblk);
  *end = s.last;
  /* (checked when the block is decoded; here, before, clamped to the
  ** largest impact, which keeps the bound an upper bound) */
  if (!c->sok) {
    c->sbound = c->wt * (float)(s.maximp < AD_IMPMAX ? s.maximp : AD_IMPMAX);
    c->send = s.last;
    c->sok = 1;
  }
  return c->sbound;
}

/* positions of the current doc into c->pos / c->npos */
static int ad_cur_positions(ad_cur *c, ad_q *q) {
  uint32_t k, np, prev = 0;
  int bad = 0;
  if (ad_cur_npm(c)) return AD_ECORRUPT;
  if (c->ppi > c->i) {          /* restart from the block's positions */
    ad_ixskip s = ad_skip(c, c->blk);
    c->pp = c->pbase + s.posoff; c->ppi = 0;
  }
  while (c->ppi < c->i) {
    np = c->npm[c->ppi] >> 4;
    for (k = 0; k < np; k++) (void)ad_varint_get(&c->pp, c->pend, &bad);
    if (bad) return AD_ECORRUPT;
    c->ppi++;
  }
  np = c->npm[c->i] >> 4;
  if (np > c->cappos) {
    uint32_t nc = c->cappos ? c->cappos * 2 : 64;
    while (nc < np) nc *= 2;
    if (np > (uint32_t)(c->pend - c->pp)) return AD_ECORRUPT;
    c->pos = (uint32_t *)ad_ar_alloc(&q->ar, (size_t)nc * 4);
    if (c->pos == NULL) return AD_ENOMEM;
    c->cappos = nc;
  }
  {
    const uint8_t *p = c->pp;
    for (k = 0; k < np; k++) {
      prev += ad_varint_get(&p, c->pend, &bad);
      c->pos[k] = prev;
    }
  }
  if (bad) return AD_ECORRUPT;
  c->npos = np;
  return AD_OK;
}
/* }====================================================== */

/* {====================================================== iterators */
enum { IT_EMPTY, IT_ALL, IT_TERM, IT_AND, IT_OR, IT_NOT, IT_PHRASE, IT_BITS,
       IT_MAXOR /* a prefix: union of its expansions scored by the best one */ };

typedef struct ad_it ad_it;
struct ad_it {
  int kind;
  uint32_t doc;
  float maxs;
  uint32_t est;       /* estimated number of matches (cost) */
  ad_it *qnext;       /* the query's iterators, newest first */
  /* IT_TERM */
  ad_cur *cur; uint32_t mask; int scored;
  /* IT_AND / IT_OR / IT_NOT (kids[0]) */
  ad_it **kids; uint32_t nk;
  float *osum;        /* IT_OR of at most AD_ORREQ children: per child,
                         the others' maxima summed in scoring order (a
                         child is required when they cannot beat the
                         threshold) */
  ad_it **neg; uint32_t nneg;
  /* IT_PHRASE */
  ad_cur **pc; uint32_t *poff; uint32_t np; int field;
  /* IT_BITS */
  uint64_t *bits; float *sc;
  float *smax;        /* scored: the best score of each AD_STRETCH docs */
  uint32_t nstretch;  /* entries of smax */
  uint32_t xrec;      /* 1 + its place in q->bx (recorded), or 0 */
  int borrowed;       /* bits and sc are the caller's (ad_xbits) */
};

static uint32_t ad_it_next(ad_q *q, ad_it *it, uint32_t target, float thr);
static float ad_it_bound(ad_it *it, uint32_t d, uint32_t *end, float thr);
#define AD_NOTHR (-1e30f)
/* can scores summing to at most s never beat the threshold thr? A doc
** scoring exactly thr loses to the earlier one (ties go to lower docs,
** and docs come in increasing order), so s == thr cannot win either: with
** many equal scores (7-bit impacts: the best docs of a common word tie)
** this is what lets the blocks after the first k of them be skipped. Exact
** because every bound s is computed with the same operations, in the same
** order, as the scores it bounds, from values >= theirs (IEEE rounding is
** monotone): a term's wt * maximp against wt * imp, sums of children in
** the children's order. A threshold derived by subtraction (a child's
** share, AD_KIDTHR) is not exact: it is lowered by a margin instead. */
#define AD_BELOW(s, thr) ((s) <= (thr))
#define AD_KIDTHR(thr, rest) (((thr) - (rest)) * 0.9999f - 1e-6f)

static int ad_field_of(const ad_ixdoc *d, uint32_t p) {
  int f = AD_NFIELDS - 1;
  while (f > 0 && p < d->fstart[f]) f--;
  return f;
}

/* does the phrase occur at the doc where all cursors stand? */
static int ad_phrase_ok(ad_q *q, ad_it *it, uint32_t d) {
  uint32_t k, i;
  const ad_ixdoc *doc = NULL;
  uint32_t *at;
  for (k = 0; k < it->np; k++) {
    int st = ad_cur_positions(it->pc[k], q);
    if (st) { q->err = st; return 0; }
  }
  if (it->field >= 0) {
    doc = ad_ix_doc(q->ix, d);
    if (doc == NULL) { q->err = AD_ECORRUPT; return 0; }
  }
  at = it->poff + it->np;       /* scratch: a merge pointer per cursor */
  for (k = 0; k < it->np; k++) at[k] = 0;
  for (i = 0; i < it->pc[0]->npos; i++) {
    uint32_t p = it->pc[0]->pos[i];
    int ok = 1;
    if (p < it->poff[0]) continue;
    p -= it->poff[0];
    for (k = 1; k < it->np && ok; k++) {
      ad_cur *c = it->pc[k];
      uint32_t want = p + it->poff[k];
      while (at[k] < c->npos && c->pos[at[k]] < want) at[k]++;
      ok = at[k] < c->npos && c->pos[at[k]] == want;
    }
    if (ok && doc) {
      ok = ad_field_of(doc, p) == it->field &&
           ad_field_of(doc, p + it->poff[it->np - 1]) == it->field;
    }
    if (ok) return 1;
  }
  return 0;
}

/* A term's next doc >= t with its field mask (ad_it_next's IT_TERM, also
** called directly by an AND's alignment) */
static inline uint32_t ad_term_next(ad_q *q, ad_it *it, uint32_t t) {
  uint32_t d;
  ad_cur *c = it->cur;
  if (it->doc != AD_END && it->doc >= t && it->doc != UINT32_MAX - 1) return it->doc;
  if (it->doc == AD_END) return AD_END;
  for (d = t;;) {
    uint32_t i;
    d = ad_cur_next(c, d, &q->err);
    if (d == AD_END || !it->mask) break;
    if (ad_cur_npm(c)) { q->err = AD_ECORRUPT; d = AD_END; break; }
    /* the decoded block's next doc with the word in the fields */
    for (i = c->i; i < c->n && !(c->npm[i] & it->mask); i++) {}
    if (i < c->n) {
      c->i = i; d = c->doc = c->docs[i];
      break;
    }
    d = c->docs[c->n - 1] + 1;
  }
  if (q->err) d = AD_END;
  it->doc = d;
  return d;
}

/* A lead cursor c standing at doc d, whose companions can add at most
** `rest` to its score up to doc emax (the nearest end of their blocks):
** the first doc >= d of c's decoded block that may beat thr by its own
** impact, or the doc after the stretch where none can. The companions do
** not move for the docs passed over: most docs of a common word are
** hopeless before they would. With a field mask (the block's npm decoded),
** docs without the word in those fields are passed over too. */
static uint32_t ad_lead_skip(const ad_cur *c, uint32_t d, float rest, uint32_t emax,
                             float thr, uint32_t mask) {
  uint32_t i = c->i;
  /* (a child's threshold margin: the score sums in another order) */
  float need = AD_KIDTHR(thr, rest);
  if (c->docs[c->n - 1] < emax) emax = c->docs[c->n - 1];
  if (mask && c->npmok)          /* (two loops: the plain one is the hot path) */
    while (i < c->n && c->docs[i] <= emax &&
           (c->wt * (float)(c->imp[i] >> 1) <= need || !(c->npm[i] & mask))) i++;
  else
    while (i < c->n && c->docs[i] <= emax && c->wt * (float)(c->imp[i] >> 1) <= need) i++;
  if (i == c->i) return d;
  return i < c->n ? c->docs[i] : emax + 1;
}

/* ad_lead_skip for the scored term kids[lk] of an AND (or of an OR's
** required children) standing at d. Every such child skips by its own
** impacts, not only the rarest: at 2.7M papers, `segmentation AND medical
** AND mri` took 22% fewer instructions, `detection -survey` 24%, and none
** of the bench's queries more (once, only the rarest did: a denser term
** was measured then to skip less than the alignment jumps). Each child
** sums the others' bounds, so with more than AD_LEADALL children only the
** first (an AND's rarest) or the last (an OR's largest maximum) skips:
** the work per doc stays linear in the children (an AND of 1,747 copies
** of a word took 11 s under the fuzzer when each child summed all the
** others; a per-doc cache of the sums cost the bench's queries 8-10%
** more instructions) */
#define AD_LEADALL 16
static uint32_t ad_and_lead(ad_it *it, uint32_t lk, uint32_t d, float thr) {
  uint32_t j, e, emax = AD_END;
  float rest = 0;
  if (it->nk > AD_LEADALL && lk != (it->kind == IT_AND ? 0 : it->nk - 1)) return d;
  for (j = 0; j < it->nk; j++) {
    if (j == lk) continue;
    rest += ad_it_bound(it->kids[j], d, &e, AD_NOTHR);
    if (e < emax) emax = e;
  }
  return ad_lead_skip(it->kids[lk]->cur, d, rest, emax, thr, it->kids[lk]->mask);
}

/* next matching doc >= t; with thr > AD_NOTHR, docs whose score cannot
** exceed thr may be skipped (MaxScore: an OR only follows its "essential"
** children, those that the others' maxima alone cannot lift above thr) */
static uint32_t ad_it_next(ad_q *q, ad_it *it, uint32_t t, float thr) {
  uint32_t d, k;
  if (it->doc != AD_END && it->doc >= t && it->doc != UINT32_MAX - 1) {
    /* already positioned at or after t (doc UINT32_MAX - 1: not started) */
    return it->doc;
  }
  if (it->doc == AD_END) return AD_END;
  switch (it->kind) {
    case IT_EMPTY: d = AD_END; break;
    case IT_ALL: d = t < q->lim ? t : AD_END; break;
    case IT_TERM: d = ad_term_next(q, it, t); break;
    case IT_BITS: {
      uint32_t n = q->lim;
      int skip = thr > AD_NOTHR && it->smax != NULL;
      d = t;
      while (d < n) {
        uint64_t w;
        if (skip && AD_BELOW(it->smax[d / AD_STRETCH], thr)) {
          d = (d / AD_STRETCH + 1) * AD_STRETCH;
          continue;
        }
        w = it->bits[d >> 6] >> (d & 63);
        if (w) { d += (uint32_t)__builtin_ctzll(w); break; }
        d = (d | 63) + 1;
      }
      if (d >= n) d = AD_END;
      break;
    }
    case IT_NOT:
      for (d = t; d < q->lim; d++)
        if (ad_it_next(q, it->kids[0], d, AD_NOTHR) != d) break;
      if (d >= q->lim) d = AD_END;
      break;
    case IT_OR: {
      /* kids are sorted by ascending maximum score */
      float acc = 0;
      uint32_t e = 0;
      if (thr > AD_NOTHR) {
        while (e < it->nk && AD_BELOW(acc + it->kids[e]->maxs, thr)) acc += it->kids[e++]->maxs;
      }
      d = AD_END;
      if (thr > AD_NOTHR && it->osum != NULL && AD_BELOW(it->osum[it->nk - 1], thr)) {
        /* the others cannot win without the child of the largest maximum
        ** (nor, perhaps, without more): a winning doc holds every required
        ** child, and they align like an AND's */
        d = t;
        for (;;) {
          int again = 0;
          for (k = it->nk; k-- > 0;) {
            float kt;
            uint32_t x;
            if (!AD_BELOW(it->osum[k], thr)) continue;
            kt = AD_KIDTHR(thr, it->maxs - it->kids[k]->maxs);
            x = ad_it_next(q, it->kids[k], d, kt > 0 ? kt : AD_NOTHR);
            if (x == AD_END) { d = AD_END; break; }
            if (x != d) { d = x; again = 1; break; }
            if (it->kids[k]->kind == IT_TERM && it->kids[k]->scored &&
                (x = ad_and_lead(it, k, d, thr)) != d) {
              d = x; again = 1; break;
            }
          }
          if (d == AD_END || q->err || !again) break;
        }
        break;
      }
      for (k = e; k < it->nk; k++) {
        float kt = thr > AD_NOTHR ? AD_KIDTHR(thr, it->maxs - it->kids[k]->maxs) : AD_NOTHR;
        uint32_t x = ad_it_next(q, it->kids[k], t, kt > 0 ? kt : AD_NOTHR);
        if (x < d) d = x;
      }
      break;
    }
    case IT_MAXOR:
      /* only expansions that alone can beat thr can bring a winning doc */
      d = AD_END;
      for (k = 0; k < it->nk; k++) {
        uint32_t x;
        if (thr > AD_NOTHR && AD_BELOW(it->kids[k]->maxs, thr)) continue;
        x = ad_it_next(q, it->kids[k], t, thr);
        if (x < d) d = x;
      }
      break;
    case IT_AND: {
      d = t;
      for (;;) {
        int again = 0;
        for (k = 0; k < it->nk; k++) {
          ad_it *kid = it->kids[k];
          uint32_t x;
          if (kid->kind == IT_TERM) x = ad_term_next(q, kid, d);  /* (no threshold) */
          else {
            float kt = thr > AD_NOTHR ? AD_KIDTHR(thr, it->maxs - kid->maxs) : AD_NOTHR;
            x = ad_it_next(q, kid, d, kt > 0 ? kt : AD_NOTHR);
          }
          if (x == AD_END) { d = AD_END; break; }
          if (x != d) { d = x; again = 1; break; }
          if (thr > AD_NOTHR && kid->kind == IT_TERM && kid->scored &&
              (x = ad_and_lead(it, k, d, thr)) != d) {
            d = x; again = 1; break;
          }
        }
        if (d == AD_END || q->err) { d = AD_END; break; }
        if (again) continue;
        for (k = 0; k < it->nneg; k++)
          if (ad_it_next(q, it->neg[k], d, AD_NOTHR) == d) { again = 1; break; }
        if (!again) break;
        d++;
      }
      break;
    }
    case IT_PHRASE: {
      /* the lead: the rarest word, moved first; the others follow it */
      uint32_t lead = 0;
      for (k = 1; k < it->np; k++) if (it->pc[k]->df < it->pc[lead]->df) lead = k;
      d = t;
      for (;;) {
        int again = 0;
        if (thr > AD_NOTHR) {       /* block-max: skip stretches that cannot win */
          uint32_t e, em;
          float sc;
          if (AD_BELOW(ad_it_bound(it, d, &e, thr), thr)) {
            if (e == AD_END) { d = AD_END; break; }
            d = e + 1;
            continue;
          }
          /* the lead's next doc that its own impact and the others' block
          ** maxima let win */
          d = ad_cur_next(it->pc[lead], d, &q->err);
          if (d == AD_END || q->err) { d = AD_END; break; }
          sc = 0;
          em = AD_END;
          for (k = 0; k < it->np; k++)
            if (k != lead) {
              sc += ad_cur_bound(it->pc[k], d, &e);
              if (e < em) em = e;
            }
          if ((e = ad_lead_skip(it->pc[lead], d, sc, em, thr, 0)) != d) { d = e; continue; }
        }
        for (k = 0; k < it->np; k++) {
          uint32_t x = ad_cur_next(it->pc[k], d, &q->err);
          if (x == AD_END) { d = AD_END; break; }
          if (x != d) { d = x; again = 1; break; }
        }
        if (d == AD_END || q->err) { d = AD_END; break; }
        if (again) continue;
        if (thr > AD_NOTHR) {   /* cheap score first: skip hopeless docs */
          float sc = 0;
          for (k = 0; k < it->np; k++) sc += it->pc[k]->wt * (it->pc[k]->imp[it->pc[k]->i] >> 1);
          if (AD_BELOW(sc, thr)) { d++; continue; }
        }
        if (ad_phrase_ok(q, it, d)) break;
        if (q->err) { d = AD_END; break; }
        d++;
      }
      break;
    }
    default: d = AD_END;
  }
  if (q->err) d = AD_END;
  it->doc = d;
  return d;
}

static float ad_it_score(ad_q *q, ad_it *it) {
  float s = 0;
  uint32_t k;
  switch (it->kind) {
    case IT_TERM:
      return it->scored ? it->cur->wt * (it->cur->imp[it->cur->i] >> 1) : 0;
    case IT_BITS: return it->sc ? it->sc[it->doc] : 0;
    case IT_AND:
      for (k = 0; k < it->nk; k++) s += ad_it_score(q, it->kids[k]);
      return s;
    case IT_OR:
      for (k = 0; k < it->nk; k++)
        /* kids skipped by MaxScore lag behind: bring them up */
        if (ad_it_next(q, it->kids[k], it->doc, AD_NOTHR) == it->doc)
          s += ad_it_score(q, it->kids[k]);
      return s;
    case IT_PHRASE:
      for (k = 0; k < it->np; k++) s += it->pc[k]->wt * (it->pc[k]->imp[it->pc[k]->i] >> 1);
      return s;
    case IT_MAXOR:
      /* kids by descending maximum: once one cannot beat s, none can */
      for (k = 0; k < it->nk && it->kids[k]->maxs > s; k++)
        if (ad_it_next(q, it->kids[k], it->doc, AD_NOTHR) == it->doc) {
          float x = ad_it_score(q, it->kids[k]);
          if (x > s) s = x;
        }
      return s;
    default: return 0;
  }
}

/* the most docs in [d, *end] can score (*end: AD_END, or the last doc of
** a block or stretch). thr: the threshold the caller compares the bound
** with, or AD_NOTHR; it only chooses *end, never the bound's exactness: a
** stretch of a scored bitmap that cannot beat it reaches over the next ones
** that cannot either (their maximum is returned; a prefix's bitmap would
** otherwise end every bound at AD_STRETCH docs), and a prefix's expansion
** that cannot beat it gives its maximum and leaves *end alone. A sum (AND,
** OR) gives each child its share of thr (AD_KIDTHR). */
#define AD_STRETCH_REACH 256      /* stretches one bound looks over, at most */
static float ad_it_bound(ad_it *it, uint32_t d, uint32_t *end, float thr) {
  float s = 0;
  uint32_t k, e;
  *end = AD_END;
  switch (it->kind) {
    case IT_TERM:
      if (!it->scored) return 0;
      return ad_cur_bound(it->cur, d, end);
    case IT_BITS: {
      uint32_t j, last;
      if (it->smax == NULL) return it->maxs;
      j = d / AD_STRETCH;
      if (j >= it->nstretch) return 0;            /* past the last doc */
      s = it->smax[j];
      if (thr > AD_NOTHR && AD_BELOW(s, thr)) {
        last = j + AD_STRETCH_REACH;
        if (last > it->nstretch - 1) last = it->nstretch - 1;
        while (j < last && AD_BELOW(it->smax[j + 1], thr)) {
          j++;
          if (it->smax[j] > s) s = it->smax[j];
        }
      }
      *end = (j + 1) * AD_STRETCH - 1;
      return s;
    }
    case IT_MAXOR:
      for (k = 0; k < it->nk; k++) {
        float x;
        if (thr > AD_NOTHR && AD_BELOW(it->kids[k]->maxs, thr)) {
          x = it->kids[k]->maxs; e = AD_END;
        } else x = ad_it_bound(it->kids[k], d, &e, thr);
        if (x > s) s = x;
        if (e < *end) *end = e;
      }
      return s;
    case IT_AND: case IT_OR:
      for (k = 0; k < it->nk; k++) {
        float kt = thr > AD_NOTHR ? AD_KIDTHR(thr, it->maxs - it->kids[k]->maxs) : AD_NOTHR;
        s += ad_it_bound(it->kids[k], d, &e, kt > 0 ? kt : AD_NOTHR);
        if (e < *end) *end = e;
      }
      return s;
    case IT_PHRASE:
      for (k = 0; k < it->np; k++) {
        s += ad_cur_bound(it->pc[k], d, &e);
        if (e < *end) *end = e;
      }
      return s;
    default: return 0;
  }
}
/* }====================================================== */

/* {====================================================== compiling */
/* n more parts of the query (AD_QMAXPARTS: words, operators, bitmaps:
** counted where a word, an AND/OR/NOT, a date or an id alone, or an OR's
** bitmap of ids and dates is made); 1 when there are too many */
static int ad_q_parts(ad_q *q, uint32_t n) {
  q->nparts += n;
  if (q->nparts <= AD_QMAXPARTS) return 0;
  q->err = AD_EQUERYBIG;
  return 1;
}

static ad_it *ad_it_new(ad_q *q, int kind) {
  ad_it *it;
  if ((kind == IT_AND || kind == IT_OR || kind == IT_NOT) && ad_q_parts(q, 1)) return NULL;
  it = (ad_it *)ad_ar_alloc(&q->ar, sizeof *it);
  if (it == NULL) { q->err = AD_ENOMEM; return NULL; }
  memset(it, 0, sizeof *it);
  it->kind = kind;
  it->doc = UINT32_MAX - 1;   /* not started */
  it->est = kind == IT_EMPTY ? 0 : q->ix->m.ndocs;
  it->qnext = q->its; q->its = it;
  return it;
}

static ad_it *ad_it_termno(ad_q *q, uint32_t tn, uint32_t mask, int scored) {
  const ad_ixterm *t = ad_ix_term(q->ix, tn);
  ad_it *it;
  if (t == NULL) { q->err = AD_ECORRUPT; return NULL; }
  it = ad_it_new(q, IT_TERM);
  if (it == NULL) return NULL;
  it->cur = ad_cur_new(q, t);
  if (it->cur == NULL) return NULL;
  it->mask = mask; it->scored = scored;
  it->est = t->df;
  it->maxs = scored ? it->cur->wt * (float)t->maximp : 0;
  return it;
}

/* exact term bytes -> iterator (IT_EMPTY when absent) */
static ad_it *ad_it_word(ad_q *q, const char *s, size_t n, uint32_t mask, int scored) {
  int64_t tn = ad_ix_find(q->ix, s, n, &q->err);
  if (q->err) return NULL;
  if (tn < 0) return ad_it_new(q, IT_EMPTY);
  return ad_it_termno(q, (uint32_t)tn, mask, scored);
}

static uint64_t *ad_bits_new(ad_q *q) {
  size_t nw = ((size_t)q->ix->m.ndocs + 63) / 64 + 1;
  uint64_t *b = (uint64_t *)ad_ar_alloc(&q->ar, nw * 8);
  if (b == NULL) { q->err = AD_ENOMEM; return NULL; }
  memset(b, 0, nw * 8);
  return b;
}

/* the children in a stable order by: AD_BYEST ascending estimate (an
** AND's alignment leader first), AD_BYMAX ascending maximum (an OR's
** MaxScore order), AD_BYMAXDESC descending maximum (a prefix's
** expansions: ad_it_score's IT_MAXOR stops at the first that cannot raise
** the best). A merge sort: a query may hold a million children */
enum { AD_BYEST, AD_BYMAX, AD_BYMAXDESC };
static int ad_kid_before(const ad_it *a, const ad_it *b, int by) {
  switch (by) {
    case AD_BYEST: return a->est < b->est;
    case AD_BYMAX: return a->maxs < b->maxs;
    default: return a->maxs > b->maxs;
  }
}
static int ad_kids_sort(ad_q *q, ad_it *it, int by) {
  ad_it **a = it->kids, **b, **t;
  size_t n = it->nk, w, i;
  if (n < 2) return AD_OK;
  b = (ad_it **)ad_ar_alloc(&q->ar, n * sizeof *b);
  if (b == NULL) return q->err = AD_ENOMEM;
  for (w = 1; w < n; w *= 2) {           /* runs of w, merged in pairs */
    for (i = 0; i < n; i += 2 * w) {
      size_t m = i + w < n ? i + w : n, e = i + 2 * w < n ? i + 2 * w : n;
      size_t l = i, r = m, o = i;
      while (l < m && r < e) b[o++] = ad_kid_before(a[r], a[l], by) ? a[r++] : a[l++];
      while (l < m) b[o++] = a[l++];
      while (r < e) b[o++] = a[r++];
    }
    t = a; a = b; b = t;
  }
  if (a != it->kids) memcpy(it->kids, a, n * sizeof *a);
  return AD_OK;
}

/* union of the terms [lo, hi) whose bytes start with pre (and, when
** num != 0, whose 3-digit suffix is within [vmin, vmax]) as a bitmap with
** the best expansion's score per doc */
static ad_it *ad_it_expand(ad_q *q, const char *pre, size_t pn, uint32_t mask,
                           int scored, int num, uint32_t vmin, uint32_t vmax) {
  ad_ix *ix = q->ix;
  uint32_t tn = ad_ix_lower(ix, pre, pn, &q->err), any = 0;
  uint32_t big[AD_BIGEXP], nbig = 0, xi;
  ad_cur *scratch = NULL;
  ad_it *it;
  if (q->err) return NULL;
  if (scored && !num) {          /* few expansions: iterate them lazily */
    uint32_t m = 0, k;
    for (k = tn; k < ix->m.nterms; k++, m++) {
      const ad_ixterm *t = ad_ix_term(ix, k);
      if (t == NULL) { q->err = AD_ECORRUPT; return NULL; }
      if (t->len < pn || memcmp(ad_ix_termstr(ix, t), pre, pn) != 0) break;
    }
    if (m == 0) return ad_it_new(q, IT_EMPTY);
    if (m > AD_MAXEXP) {
      /* many: the AD_BIGEXP longest lists stay lazy (a bitmap of them
      ** would decode most of the postings), the others go to a bitmap */
      for (k = tn; k < tn + m; k++) {
        uint32_t df = ad_ix_term(ix, k)->df, j;
        if (nbig == AD_BIGEXP && ad_ix_term(ix, big[nbig - 1])->df >= df) continue;
        j = nbig < AD_BIGEXP ? nbig++ : AD_BIGEXP - 1;
        while (j > 0 && ad_ix_term(ix, big[j - 1])->df < df) { big[j] = big[j - 1]; j--; }
        big[j] = k;
      }
    }
    if (m <= AD_MAXEXP) {
      it = ad_it_new(q, IT_MAXOR);
      if (it == NULL) return NULL;
      it->kids = (ad_it **)ad_ar_alloc(&q->ar, m * sizeof(ad_it *));
      if (it->kids == NULL) { q->err = AD_ENOMEM; return NULL; }
      it->est = 0;
      for (k = 0; k < m; k++) {
        ad_it *c = ad_it_termno(q, tn + k, mask, 1);
        if (c == NULL) return NULL;
        it->kids[it->nk++] = c;
        if (c->maxs > it->maxs) it->maxs = c->maxs;
        it->est += c->est;
      }
      if (ad_kids_sort(q, it, AD_BYMAXDESC)) return NULL;
      return it;
    }
  }
  it = ad_it_new(q, IT_BITS);
  if (it == NULL) return NULL;
  xi = q->nexp++;
  it->nstretch = ix->m.ndocs / AD_STRETCH + 1;
  if (q->borrow != NULL && xi < AD_XSHARE && q->borrow[xi].ok) {
    /* the caller's (a thread of a shared search): read, never written */
    const ad_xbits *b = &q->borrow[xi];
    it->bits = (uint64_t *)b->bits; it->sc = (float *)b->sc;
    it->smax = (float *)b->smax;
    it->maxs = b->maxs; any = b->any;
    it->borrowed = 1;
    tn = ix->m.nterms;
  } else {
    it->bits = ad_bits_new(q);
    if (it->bits == NULL) return NULL;
  }
  if (scored && !it->borrowed) {
    size_t ns = it->nstretch;
    it->sc = (float *)ad_ar_alloc(&q->ar, ((size_t)ix->m.ndocs + 1) * sizeof(float));
    it->smax = (float *)ad_ar_alloc(&q->ar, ns * sizeof(float));
    if (it->sc == NULL || it->smax == NULL) { q->err = AD_ENOMEM; return NULL; }
    memset(it->smax, 0, ns * sizeof(float));
  }
  for (; tn < ix->m.nterms; tn++) {
    const ad_ixterm *t = ad_ix_term(ix, tn);
    const char *s;
    ad_cur *c;
    uint32_t d;
    if (t == NULL) { q->err = AD_ECORRUPT; return NULL; }
    s = ad_ix_termstr(ix, t);
    if (t->len < pn || memcmp(s, pre, pn) != 0) break;
    if (nbig) {                  /* iterated lazily instead */
      uint32_t j;
      for (j = 0; j < nbig && big[j] != tn; j++) {}
      if (j < nbig) continue;
    }
    if (num) {
      uint32_t v;
      if (t->len != pn + 3) continue;
      v = (uint32_t)(s[pn] - '0') * 100 + (uint32_t)(s[pn + 1] - '0') * 10 + (uint32_t)(s[pn + 2] - '0');
      if (v < vmin || v > vmax) continue;
    }
    /* one scratch cursor for every expansion read into the bitmap: not
    ** the query's (a prefix of thousands of words made a cursor each, 1.3
    ** KB, and a shared search's split then weighed every one of them:
    ** `s*` on the ten real years took 53 ms on two threads, 23 on one) */
    if (scratch == NULL &&
        (scratch = (ad_cur *)ad_ar_alloc(&q->ar, sizeof *scratch)) == NULL) {
      q->err = AD_ENOMEM; return NULL;
    }
    c = scratch;
    ad_cur_init(q, c, t);
    for (d = 0; (d = ad_cur_next(c, d, &q->err)) != AD_END; d++) {
      float sc;
      if (mask) {
        if (ad_cur_npm(c)) { q->err = AD_ECORRUPT; return NULL; }
        if (!(c->npm[c->i] & mask)) continue;
      }
      sc = scored ? c->wt * (c->imp[c->i] >> 1) : 0;
      if (!(it->bits[d >> 6] & ((uint64_t)1 << (d & 63)))) {
        it->bits[d >> 6] |= (uint64_t)1 << (d & 63);
        if (scored) it->sc[d] = sc;
        any++;
      } else if (scored && sc > it->sc[d]) it->sc[d] = sc;
      if (scored && sc > it->smax[d / AD_STRETCH]) it->smax[d / AD_STRETCH] = sc;
      if (sc > it->maxs) it->maxs = sc;
    }
    if (q->err) return NULL;
  }
  if (q->rec && !it->borrowed && xi < AD_XSHARE) {
    ad_xbits *b = &q->bx[xi];
    b->bits = it->bits; b->sc = it->sc; b->smax = it->smax;
    b->maxs = it->maxs; b->any = any;
    b->ok = 1;
    it->xrec = xi + 1;
  }
  if (!any) it->kind = IT_EMPTY;
  it->est = any;
  if (nbig) {       /* the best of the big lists and of the bitmap's */
    ad_it *mx = ad_it_new(q, IT_MAXOR);
    uint32_t k;
    if (mx == NULL) return NULL;
    mx->kids = (ad_it **)ad_ar_alloc(&q->ar, (nbig + 1) * sizeof(ad_it *));
    if (mx->kids == NULL) { q->err = AD_ENOMEM; return NULL; }
    mx->est = 0;
    for (k = 0; k <= nbig; k++) {
      ad_it *c = k < nbig ? ad_it_termno(q, big[k], mask, 1) : it;
      if (c == NULL) return NULL;
      if (c->kind == IT_EMPTY) continue;
      mx->kids[mx->nk++] = c;
      if (c->maxs > mx->maxs) mx->maxs = c->maxs;
      mx->est += c->est;
    }
    if (mx->nk == 0) mx->kind = IT_EMPTY;
    if (ad_kids_sort(q, mx, AD_BYMAXDESC)) return NULL;
    return mx;
  }
  return it;
}

static ad_it *ad_compile(ad_q *q, const ad_xnode *nodes, uint32_t nnodes,
                         uint32_t i, int depth);

/* TERM / PHRASE text -> iterator */
static ad_it *ad_it_text(ad_q *q, const ad_xnode *nd, int phrase) {
  ad_qterm qt;
  uint32_t k, nw;
  uint32_t mask = nd->field >= 0 && nd->field < AD_NFIELDS ? 1u << nd->field : 0;
  ad_it *it;
  ad_qterm_of(nd->text, nd->len, phrase, nd->prefix, &qt);   /* the rule's one place */
  if (qt.kind == AD_QT_EMPTY) return ad_it_new(q, IT_EMPTY);
  if (ad_q_parts(q, qt.prefix || qt.kind != AD_QT_PHRASE ? 1 : qt.nw)) return NULL;
  if (qt.prefix) return ad_it_expand(q, qt.w[0], qt.wl[0], mask, 1, 0, 0, 0);
  if (qt.kind != AD_QT_PHRASE) return ad_it_word(q, qt.w[0], qt.wl[0], mask, 1);
  nw = qt.nw;
  /* several tokens: a phrase of words and parts */
  it = ad_it_new(q, IT_PHRASE);
  if (it == NULL) return NULL;
  it->np = nw; it->field = nd->field >= 0 && nd->field < AD_NFIELDS ? nd->field : -1;
  it->pc = (ad_cur **)ad_ar_alloc(&q->ar, nw * sizeof(ad_cur *));
  it->poff = (uint32_t *)ad_ar_alloc(&q->ar, 2 * nw * sizeof(uint32_t));
  if (!it->pc || !it->poff) { q->err = AD_ENOMEM; return NULL; }
  for (k = 0; k < nw; k++) {
    int64_t tn = ad_ix_find(q->ix, qt.w[k], qt.wl[k], &q->err);
    const ad_ixterm *t;
    if (q->err) return NULL;
    if (tn < 0) { it->kind = IT_EMPTY; return it; }
    t = ad_ix_term(q->ix, (uint32_t)tn);
    if (t == NULL) { q->err = AD_ECORRUPT; return NULL; }
    it->pc[k] = ad_cur_new(q, t);
    if (it->pc[k] == NULL) return NULL;
    it->poff[k] = qt.pos[k] - qt.pos[0];
    if (k == 0 || t->df < it->est) it->est = t->df;
    it->maxs += it->pc[k]->wt * (float)t->maximp;
  }
  return it;
}

/* first k in [lo, hi) of DATES with (date, doc) >= (date, doc), DATES
** being sorted by (date, doc); -1 on a failed check */
static int64_t ad_date_lower(ad_ix *ix, uint32_t date, uint32_t doc, uint32_t lo, uint32_t hi) {
  const ad_ixdate *v = (const ad_ixdate *)ix->sec[AD_SEC_DATES];
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (ad_ix_need(ix, AD_SEC_DATES, (uint64_t)mid * sizeof *v, sizeof *v)) return -1;
    if (v[mid].date < date || (v[mid].date == date && v[mid].doc < doc)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* first doc whose best date is below date (docs run newest first); -1 on
** a failed check */
static int64_t ad_doc_before(ad_ix *ix, uint32_t date) {
  uint32_t lo = 0, hi = ix->m.ndocs;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const ad_ixdoc *d = ad_ix_doc(ix, mid);
    if (d == NULL) return -1;
    if (d->date >= date) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/* The papers with an appearance dated from..to, as a bitmap. Docs run in
** descending order of their best record's date, so those whose best date
** is in range are one stretch [a, b), set a word at a time; each date's
** DATES entries are sorted by doc, and only those before a or from b on
** (an earlier or later appearance of a paper whose best date is outside)
** are read one by one. The cost is the number of dates and of such
** papers, not of the papers in range (a year of 2.7M papers: 700k). */
static int ad_date_fill(ad_q *q, uint32_t from, uint32_t to, uint64_t *bits, uint64_t *nset) {
  ad_ix *ix = q->ix;
  uint32_t n = (uint32_t)(ix->seclen[AD_SEC_DATES] / sizeof(ad_ixdate)), nd = ix->m.ndocs;
  const ad_ixdate *v = (const ad_ixdate *)ix->sec[AD_SEC_DATES];
  int64_t lo = ad_date_lower(ix, from, 0, 0, n);
  int64_t hi = to == UINT32_MAX ? (int64_t)n : ad_date_lower(ix, to + 1, 0, 0, n);
  int64_t a = to == UINT32_MAX ? 0 : ad_doc_before(ix, to + 1), b = ad_doc_before(ix, from);
  uint64_t any = 0;
  uint32_t k;
  if (lo < 0 || hi < 0 || a < 0 || b < 0) return q->err = AD_ECORRUPT;
  if (a < b) {                        /* the stretch, a word at a time */
    uint32_t x = (uint32_t)a, y = (uint32_t)b;
    any = y - x;
    while (x < y && (x & 63)) { bits[x >> 6] |= (uint64_t)1 << (x & 63); x++; }
    while (x + 64 <= y) { bits[x >> 6] = ~(uint64_t)0; x += 64; }
    while (x < y) { bits[x >> 6] |= (uint64_t)1 << (x & 63); x++; }
  } else a = b = 0;
  for (k = (uint32_t)lo; k < (uint32_t)hi;) {    /* one date at a time */
    uint32_t dt, j;
    int64_t e, ma, mb;
    if (ad_ix_need(ix, AD_SEC_DATES, (uint64_t)k * sizeof *v, sizeof *v)) return q->err = AD_ECORRUPT;
    dt = v[k].date;
    e = dt == UINT32_MAX ? (int64_t)hi : ad_date_lower(ix, dt + 1, 0, k + 1, (uint32_t)hi);
    ma = ad_date_lower(ix, dt, (uint32_t)a, k, (uint32_t)(e < 0 ? k : e));
    mb = ad_date_lower(ix, dt, (uint32_t)b, (uint32_t)(ma < 0 ? k : ma), (uint32_t)(e < 0 ? k : e));
    if (e < 0 || ma < 0 || mb < 0 || e <= k) return q->err = AD_ECORRUPT;
    if (ad_ix_need(ix, AD_SEC_DATES, (uint64_t)k * sizeof *v, (uint64_t)(e - k) * sizeof *v))
      return q->err = AD_ECORRUPT;
    for (j = k; j < (uint32_t)e; j++) {
      uint32_t d;
      if (j == (uint32_t)ma) { j = (uint32_t)mb; if (j >= (uint32_t)e) break; }
      d = v[j].doc;
      if (d >= nd) return q->err = AD_ECORRUPT;
      if (!(bits[d >> 6] & ((uint64_t)1 << (d & 63)))) {
        bits[d >> 6] |= (uint64_t)1 << (d & 63);
        any++;
      }
    }
    k = (uint32_t)e;
  }
  *nset = any;
  return AD_OK;
}

static ad_it *ad_it_date(ad_q *q, uint32_t from, uint32_t to) {
  uint64_t any = 0;
  ad_it *it;
  if (ad_q_parts(q, 1)) return NULL;
  it = ad_it_new(q, IT_BITS);
  if (it == NULL || (it->bits = ad_bits_new(q)) == NULL) return NULL;
  if (ad_date_fill(q, from, to, it->bits, &any)) return NULL;
  if (!any) it->kind = IT_EMPTY;
  it->est = any > q->ix->m.ndocs ? q->ix->m.ndocs : (uint32_t)any;
  return it;
}

/* the doc of an id node, -1 for none (q->err on a failed check) */
static int64_t ad_id_doc(ad_q *q, const ad_xnode *nd) {
  uint32_t off, len;
  uint16_t ver;
  int64_t d;
  if (nd->len == 0 || !ad_parse_id(nd->text, nd->len, &off, &len, &ver)) return -1;
  d = ad_ix_find_id(q->ix, nd->text + off, len, &q->err);
  return q->err ? -1 : d;
}

/* {====================================================== word-free children
** The children of an OR that need no posting list (ids, dates, and those
** that compiled to an unscored bitmap or to ALL) are one bitmap of the
** node, filled as they come; so are an AND's unscored bitmaps, and a NOT
** of a bitmap is its complement. An OR of 39,286 ids took 12 s (every
** child visited at every doc) and would have taken a bitmap of the whole
** index per id (13 GB at 2.7M papers); now one bitmap. An unscored child
** adds 0 to a score, and the bitmap keeps the estimate its children had
** apart (an AND sums in the order of estimates): the scores are the same.
*/

/* b = ~b (all ones when all), the bits past the last doc kept 0 */
static void ad_bits_not(const ad_ix *ix, uint64_t *b, int all) {
  size_t w, nd = ix->m.ndocs, nw = (nd + 63) / 64;
  for (w = 0; w < nw; w++) b[w] = all ? ~(uint64_t)0 : ~b[w];
  if (nd & 63) b[nw - 1] &= ((uint64_t)1 << (nd & 63)) - 1;
}

/* it's bits are about to change in place: one recorded for the threads
** of a shared search is no longer offered to them, one borrowed from the
** caller is copied first (the same query compiles the same way, so a
** thread never borrows what its compile changes: the copy is a guard).
** 0, or -1 out of memory */
static int ad_bits_mine(ad_q *q, ad_it *it) {
  if (it->xrec) { q->bx[it->xrec - 1].ok = 0; it->xrec = 0; }
  if (it->borrowed) {
    uint64_t *b = ad_bits_new(q);
    if (b == NULL) return -1;
    memcpy(b, it->bits, ((size_t)q->ix->m.ndocs + 63) / 64 * 8);
    it->bits = b; it->borrowed = 0;
  }
  return 0;
}

/* is it an unscored bitmap (or ALL) that an OR/AND may take in? */
static int ad_it_plain(const ad_it *it, int isand) {
  return (it->kind == IT_BITS && it->sc == NULL) || (!isand && it->kind == IT_ALL);
}

/* child c (plain) into the node's bitmap acc: OR, or AND when isand */
static void ad_bits_take(const ad_ix *ix, uint64_t *acc, const ad_it *c, int isand) {
  size_t w, nw = ((size_t)ix->m.ndocs + 63) / 64;
  if (c->kind == IT_ALL) { ad_bits_not(ix, acc, 1); return; }
  if (isand) for (w = 0; w < nw; w++) acc[w] &= c->bits[w];
  else for (w = 0; w < nw; w++) acc[w] |= c->bits[w];
}
/* }====================================================== */

/* the pseudo term "\1<kind><s>" (s lowercased, as ad_bstream.c writes it);
** prefix: the union of every pseudo term of that kind starting with s
** (`cat:cs.*`; an empty one, in a tree only: every category, as
** ad_select.c and match.lua read it) */
static ad_it *ad_it_pseudo(ad_q *q, char kind, const char *s, size_t n, int prefix) {
  char buf[128];
  size_t k;
  if ((n == 0 && !prefix) || n > AD_CAT_MAX) return ad_it_new(q, IT_EMPTY);
  if (ad_q_parts(q, 1)) return NULL;
  buf[0] = 1; buf[1] = kind;
  for (k = 0; k < n; k++) {
    char ch = s[k];
    buf[2 + k] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
  }
  if (prefix) return ad_it_expand(q, buf, n + 2, 0, 0, 0, 0, 0);
  return ad_it_word(q, buf, n + 2, 0, 0);
}

static ad_it *ad_compile(ad_q *q, const ad_xnode *nodes, uint32_t nnodes,
                         uint32_t i, int depth) {
  const ad_xnode *nd = &nodes[i];
  ad_it *it;
  uint32_t k;
  if (depth > 200) { q->err = AD_EFORMAT; return NULL; }
  switch (nd->type) {
    case AD_QN_TERM: return ad_it_text(q, nd, 0);
    case AD_QN_PHRASE: return ad_it_text(q, nd, 1);
    case AD_QN_CAT: return ad_it_pseudo(q, 'c', nd->text, nd->len, nd->prefix);
    case AD_QN_PRIMARY: return ad_it_pseudo(q, 'p', nd->text, nd->len, nd->prefix);
    case AD_QN_HAS: return ad_it_pseudo(q, 'h', nd->text, nd->len, 0);
    case AD_QN_ALL: return ad_it_new(q, IT_ALL);
    case AD_QN_VERSION:
      if (ad_q_parts(q, 1)) return NULL;
      return ad_it_expand(q, "\1v", 2, 0, 0, 1, nd->a, nd->b ? nd->b : 999);
    case AD_QN_DATE: return ad_it_date(q, nd->a, nd->b);
    case AD_QN_ID: {
      int64_t d = ad_id_doc(q, nd);
      if (q->err) return NULL;
      if (d < 0) return ad_it_new(q, IT_EMPTY);
      if (ad_q_parts(q, 1)) return NULL;
      it = ad_it_new(q, IT_BITS);
      if (it == NULL || (it->bits = ad_bits_new(q)) == NULL) return NULL;
      it->bits[d >> 6] |= (uint64_t)1 << (d & 63);
      it->est = 1;
      return it;
    }
    case AD_QN_NOT:
      if (nd->nkids != 1 || nd->kids[0] <= i || nd->kids[0] >= nnodes) { q->err = AD_EFORMAT; return NULL; }
      it = ad_it_new(q, IT_NOT);
      if (it == NULL) return NULL;
      it->kids = (ad_it **)ad_ar_alloc(&q->ar, sizeof(ad_it *));
      if (it->kids == NULL) { q->err = AD_ENOMEM; return NULL; }
      it->nk = 1;
      it->kids[0] = ad_compile(q, nodes, nnodes, nd->kids[0], depth + 1);
      if (it->kids[0] == NULL) return NULL;
      /* no word below: a bitmap's complement, or ALL. Its estimate stays a
      ** NOT's (every doc): an AND sums its children's scores in the order
      ** of their estimates, which must not depend on what a NOT excludes
      ** (an empty complement stays a bitmap, for the same reason) */
      if (it->kids[0]->kind == IT_BITS) {
        if (ad_bits_mine(q, it->kids[0])) return NULL;
        ad_bits_not(q->ix, it->kids[0]->bits, 0);
        it = it->kids[0];
        it->sc = NULL; it->smax = NULL; it->maxs = 0;
        it->est = q->ix->m.ndocs;
      } else if (it->kids[0]->kind == IT_EMPTY) it->kind = IT_ALL;
      return it;
    case AD_QN_AND: case AD_QN_OR: {
      int isand = nd->type == AD_QN_AND;
      uint64_t *acc = NULL, accn = 0;
      if (nd->nkids == 0) { q->err = AD_EFORMAT; return NULL; }
      it = ad_it_new(q, isand ? IT_AND : IT_OR);
      if (it == NULL) return NULL;
      it->kids = (ad_it **)ad_ar_alloc(&q->ar, (nd->nkids + 1) * sizeof(ad_it *));
      it->neg = (ad_it **)ad_ar_alloc(&q->ar, (nd->nkids + 1) * sizeof(ad_it *));
      if (!it->kids || !it->neg) { q->err = AD_ENOMEM; return NULL; }
      for (k = 0; k < nd->nkids; k++) {
        uint32_t ci = nd->kids[k];
        ad_it *c;
        if (ci <= i || ci >= nnodes) { q->err = AD_EFORMAT; return NULL; }
        if (!isand && (nodes[ci].type == AD_QN_ID || nodes[ci].type == AD_QN_DATE)) {
          /* into the OR's bitmap, without one of its own */
          uint64_t any = 0;
          int64_t d;
          if (acc == NULL && (ad_q_parts(q, 1) || (acc = ad_bits_new(q)) == NULL)) return NULL;
          if (nodes[ci].type == AD_QN_DATE) {
            if (ad_date_fill(q, nodes[ci].a, nodes[ci].b, acc, &any)) return NULL;
          } else if ((d = ad_id_doc(q, &nodes[ci])) >= 0) {
            acc[d >> 6] |= (uint64_t)1 << (d & 63);
            any = 1;
          } else if (q->err) return NULL;
          accn += any;
          continue;
        }
        c = ad_compile(q, nodes, nnodes, ci, depth + 1);
        if (c == NULL) return NULL;
        if (ad_it_plain(c, isand)) {
          if (acc == NULL && c->kind == IT_BITS) {     /* the first: its own */
            if (ad_bits_mine(q, c)) return NULL;
            acc = c->bits;
            accn = c->est;
            continue;
          }
          if (acc == NULL && (ad_q_parts(q, 1) || (acc = ad_bits_new(q)) == NULL)) return NULL;
          ad_bits_take(q->ix, acc, c, isand);
          accn = isand ? (c->est < accn ? c->est : accn) : accn + c->est;
          continue;
        }
        if (isand && c->kind == IT_NOT) it->neg[it->nneg++] = c->kids[0];
        else if (isand && c->kind == IT_ALL) continue;
        else if (!isand && c->kind == IT_EMPTY) continue;
        else {
          if (isand && c->kind == IT_EMPTY) { it->kind = IT_EMPTY; return it; }
          it->kids[it->nk++] = c;
          it->maxs += c->maxs;
        }
      }
      if (acc != NULL && accn > 0) {  /* the word-free children: one bitmap */
        /* its estimate: an OR's, the sum of the children's as if they were
        ** apart (0 only when it is empty); an AND's, the least of them */
        ad_it *b = ad_it_new(q, IT_BITS);
        if (b == NULL) return NULL;
        b->bits = acc;
        b->est = accn < UINT32_MAX ? (uint32_t)accn : UINT32_MAX;
        it->kids[it->nk++] = b;
      } else if (acc != NULL && isand) { it->kind = IT_EMPTY; return it; }
      /* AND: cheapest (rarest) child first, it leads the alignment;
      ** OR: ascending maximum score, for MaxScore */
      if (ad_kids_sort(q, it, isand ? AD_BYEST : AD_BYMAX)) return NULL;
      /* the maximum summed in the children's (scoring) order: exact bound */
      it->maxs = 0;
      for (k = 0; k < it->nk; k++) it->maxs += it->kids[k]->maxs;
      if (isand) {
        it->est = AD_END;
        for (k = 0; k < it->nk; k++) if (it->kids[k]->est < it->est) it->est = it->kids[k]->est;
      } else {
        it->est = 0;
        for (k = 0; k < it->nk; k++) it->est += it->kids[k]->est;
        if (it->nk > 1 && it->nk <= AD_ORREQ) {
          it->osum = (float *)ad_ar_alloc(&q->ar, it->nk * sizeof(float));
          if (it->osum == NULL) { q->err = AD_ENOMEM; return NULL; }
          for (k = 0; k < it->nk; k++) {
            uint32_t j;
            float o = 0;
            for (j = 0; j < it->nk; j++) if (j != k) o += it->kids[j]->maxs;
            it->osum[k] = o;
          }
        }
      }
      if (!isand && it->nk == 0) it->kind = IT_EMPTY;
      else if (isand && it->nk == 0) {
        ad_it *all = ad_it_new(q, IT_ALL);
        if (all == NULL) return NULL;
        it->kids[it->nk++] = all;
      }
      /* one child and nothing to exclude: the child (the same score; a
      ** bitmap can then be taken in by the parent) */
      if (it->nk == 1 && it->nneg == 0) return it->kids[0];
      return it;
    }
    default:
      q->err = AD_EFORMAT;
      return NULL;
  }
}

/* top-level: a NOT alone becomes ALL minus it */
static ad_it *ad_compile_root(ad_q *q, const ad_xnode *nodes, uint32_t nnodes) {
  ad_it *it;
  if (nnodes == 0) { q->err = AD_EFORMAT; return NULL; }
  q->nparts = 0; q->nexp = 0;
  it = ad_compile(q, nodes, nnodes, 0, 0);
  if (it && it->kind == IT_NOT) {
    ad_it *a;
    q->nparts--;                  /* (it stands for the NOT, counted) */
    a = ad_it_new(q, IT_AND);
    if (a == NULL) return NULL;
    a->kids = (ad_it **)ad_ar_alloc(&q->ar, sizeof(ad_it *));
    a->neg = (ad_it **)ad_ar_alloc(&q->ar, sizeof(ad_it *));
    if (!a->kids || !a->neg) { q->err = AD_ENOMEM; return NULL; }
    a->kids[0] = ad_it_new(q, IT_ALL);
    if (a->kids[0] == NULL) return NULL;
    a->nk = 1; a->neg[0] = it->kids[0]; a->nneg = 1;
    it = a;
  }
  return it;
}
/* }====================================================== */

/* {====================================================== priming
** A first threshold before the pass in doc order: the docs that the lead
** word weighs most (ad_prime_docs: found from the skip table's block
** maxima, a few decoded blocks) are checked one by one with a second copy
** of the query, and the ones that match fill the top k. The pass then
** skips what cannot beat them from its start, instead of raising its
** threshold paper by paper over the newest part of the lists. Only for a
** phrase whose rarest word has many blocks: there a doc is checked exactly
** (every word's cursor at that doc, then the positions) without scanning
** past it. The primed docs are real matches with their real scores (the
** same code scores them), and the pass does not offer them again; while
** the k-th best is a primed doc after the pass's position, a tie there
** still wins (ad_search's threshold). */
#define AD_PRIME_MINBLOCKS 64   /* leads with fewer blocks: no priming */
#define AD_PRIME_BLOCKS 16
#define AD_PRIME_DOCS 128

/* The cursor whose top blocks prime query it: a phrase's rarest word,
** when its list has at least AD_PRIME_MINBLOCKS blocks; else NULL. (A
** conjunction's words were tried too: the docs one word weighs most seldom
** hold the others where the query wants them, abs:attention
** ti:segmentation primed nothing, and candidates from every word of a
** phrase primed worse than its rarest word's alone.) */
static ad_cur *ad_prime_lead(const ad_it *it) {
  uint32_t k;
  ad_cur *c = NULL;
  if (it->kind != IT_PHRASE) return NULL;
  for (k = 0; k < it->np; k++) if (c == NULL || it->pc[k]->df < c->df) c = it->pc[k];
  return c != NULL && c->nb >= AD_PRIME_MINBLOCKS ? c : NULL;
}

/* does doc d hold phrase it? Its cursors move to d or past it, never
** further than their next doc */
static int ad_prime_match(ad_q *q, ad_it *it, uint32_t d) {
  uint32_t k;
  for (k = 0; k < it->np; k++)
    if (ad_cur_next(it->pc[k], d, &q->err) != d) return 0;
  return ad_phrase_ok(q, it, d);
}

/* Up to max docs where list c weighs most, appended to cand[*nc ..): the
** impact cut is the largest that AD_PRIME_BLOCKS of its blocks' maxima
** reach (the docs at the very top are often one paper's versions or
** copies), a few docs per block (one day's papers are often alike). */
static int ad_prime_docs(ad_q *q, const ad_cur *from, uint32_t *cand, uint32_t *nc,
                         uint32_t max) {
  uint32_t b, i, nblk = 0, cut, got = 0, hist[AD_IMPMAX + 1];
  ad_cur *c;
  memset(hist, 0, sizeof hist);
  for (b = 0; b < from->nb; b++) {
    uint32_t m = ad_skip(from, b).maximp;
    hist[m <= AD_IMPMAX ? m : AD_IMPMAX]++;
  }
  for (cut = AD_IMPMAX, i = 0; cut > 0; cut--) {
    i += hist[cut];
    if (i >= AD_PRIME_BLOCKS) break;
  }
  if (cut == 0) return AD_OK;
  c = (ad_cur *)ad_ar_alloc(&q->ar, sizeof *c);
  if (c == NULL) return AD_ENOMEM;
  memcpy(c, from, sizeof *c);            /* a fresh cursor of the same list */
  c->blk = UINT32_MAX; c->doc = 0; c->n = c->i = 0; c->sblk = 0; c->sok = 0;
  c->pos = NULL; c->npos = c->cappos = 0;
  for (b = 0; b < c->nb && nblk < AD_PRIME_BLOCKS && got < max; b++) {
    uint32_t per = 0;
    if (ad_skip(c, b).maximp < cut) continue;
    if (ad_cur_block(c, b) != AD_OK) return AD_ECORRUPT;
    nblk++;
    for (i = 0; i < c->n && got < max && per * AD_PRIME_BLOCKS < max; i++)
      if ((uint32_t)(c->imp[i] >> 1) >= cut) { cand[(*nc)++] = c->docs[i]; got++; per++; }
  }
  return AD_OK;
}

/* Fill out[0 .. *n) (a heap of at most k) with primed hits, their docs
** ascending in primed[0 .. *np). */
static void ad_prime(ad_q *q, const ad_xnode *nodes, uint32_t nnodes, ad_it *root,
                     uint32_t k, ad_hit *out, uint32_t *n, uint32_t *primed, uint32_t *np) {
  ad_cur *lead = ad_prime_lead(root);
  ad_it *p;
  uint32_t i, nc = 0, cand[AD_PRIME_DOCS];
  int st;
  *n = 0; *np = 0;
  if (lead == NULL) return;
  if ((st = ad_prime_docs(q, lead, cand, &nc, AD_PRIME_DOCS)) != AD_OK) { q->err = st; return; }
  if (nc == 0) return;
  p = ad_compile_root(q, nodes, nnodes);    /* the query again, own cursors */
  if (p == NULL || p->kind != IT_PHRASE) return;
  for (i = 0; i < nc && !q->err; i++) {     /* (ascending: blocks in order) */
    if (!ad_prime_match(q, p, cand[i])) continue;
    {
      ad_hit h;
      h.doc = cand[i]; h.score = ad_it_score(q, p);
      ad_topk_push(out, n, k, h);
      primed[(*np)++] = cand[i];
    }
  }
}
/* }====================================================== */

/* {====================================================== parallel parts */
/* A ranked search that has decoded minwork blocks and is not done shares
** the docs left with more threads: they are cut into chunks of about
** equal numbers of blocks (of the root's cursors' lists), and each thread
** (the caller's and up to threads - 1 of the pool's, each with its own
** compiled query, cursors and heap) takes the next chunk not taken until
** none is left. A thread's chunks come in doc order, so its cursors only
** move forward; at a chunk's end (ad_q.lim) its iterators are rewound to
** "not started" (ad_q_rewind). The threads share the best k-th hit any of
** them has reached (a floor: a doc after it must beat its score, one
** before it may tie), and their heaps are merged at the end: the hits, and
** their order, are those of one thread (ties to the lower doc). Cheap
** queries never wake a thread; a costly one (two dense words, each doc
** checked) is shared by the cores.
**
** The pool's threads are made on first use and then parked (a thread made
** per search cost 75-115 us here before it ran; a parked one wakes in 20
** us to over 1 ms; one that ran a part stays awake 0.5 ms first). A pool
** thread that wakes after the caller has taken every chunk takes none;
** the caller waits only for those that took one, and the pool forgets the
** search before it returns. The library pins itself
** in memory once it has threads (dlopen RTLD_NODELETE: lua_close unloads
** C modules), and a forked child starts with no pool. */
#define AD_CHUNKS_PER_THREAD 8
#define AD_POOL_SPIN 0.0005     /* seconds a pool thread stays awake after a part */
#define AD_MAXCHUNKS (AD_QMAXTHREADS * AD_CHUNKS_PER_THREAD)

typedef struct ad_share ad_share;

typedef struct ad_part {
  ad_share *sh;
  ad_hit *out;                   /* the thread's heap of at most k (ad_stdalloc) */
  uint32_t n, chunks;             /* hits, chunks it took */
  int err;
} ad_part;

struct ad_share {
  ad_ix *ix;
  const ad_xnode *nodes;
  uint32_t nnodes, k;
  const uint32_t *primed;        /* hits the caller's heap holds already */
  uint32_t np;
  const ad_xbits *bx;            /* the caller's prefix bitmaps (ad_q.bx) */
  uint32_t cut[AD_MAXCHUNKS + 1], nchunks;
  uint32_t next;                 /* the next chunk to take (atomic) */
  uint64_t floor;                /* the best k-th hit of any thread's full
                                    heap (atomic: score bits << 32 | doc;
                                    none: -inf) */
  /* under the pool's lock: */
  uint32_t want;                 /* pool threads still wanted */
  uint32_t taken;                /* parts given to pool threads */
  uint32_t active;               /* of those, still running (also read atomically) */
  ad_share *qnext;               /* the pool's queue of searches that want threads */
  ad_part parts[AD_QMAXTHREADS - 1];
};

typedef struct ad_par {
  unsigned threads;
  uint32_t minwork;
  int done, shared;
  ad_cur *curs;                  /* the root's cursors */
  ad_share sh;
} ad_par;

static uint64_t ad_floor_pack(ad_hit h) {
  uint32_t b;
  memcpy(&b, &h.score, 4);
  return (uint64_t)b << 32 | h.doc;
}

static ad_hit ad_floor_unpack(uint64_t v) {
  ad_hit h;
  uint32_t b = (uint32_t)(v >> 32);
  memcpy(&h.score, &b, 4);
  h.doc = (uint32_t)v;
  return h;
}

static ad_hit ad_floor_get(ad_share *sh) {
  return ad_floor_unpack(__atomic_load_n(&sh->floor, __ATOMIC_RELAXED));
}

/* the shared floor becomes h when h is better */
static void ad_floor_raise(ad_share *sh, ad_hit h) {
  uint64_t old = __atomic_load_n(&sh->floor, __ATOMIC_RELAXED), nv = ad_floor_pack(h);
  for (;;) {
    ad_hit f = ad_floor_unpack(old);
    if (!ad_hit_worse(&f, &h)) return;
    if (__atomic_compare_exchange_n(&sh->floor, &old, nv, 1, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED))
      return;
  }
}

/* let the iterators, stopped at a chunk's end, go on from a later doc */
static void ad_q_rewind(ad_q *q) {
  ad_it *it;
  ad_cur *c;
  for (it = q->its; it != NULL; it = it->qnext) it->doc = UINT32_MAX - 1;
  for (c = q->curs; c != NULL; c = c->qnext)
    if (c->doc == AD_END) c->doc = c->blk != UINT32_MAX ? c->docs[c->i] : 0;
}

static void ad_par_split(ad_q *q, ad_par *par, uint32_t d);

/* The top-k loop over docs [d, q->lim): hits into the heap out[0 .. *n) of
** at most k; docs in primed[0 .. np) (ascending) are skipped (the caller's
** heap holds them); sh: the search is shared (its floor), else NULL; par:
** may split (the caller's first run), else NULL. */
static void ad_topk_run(ad_q *q, ad_it *root, uint32_t k, uint32_t d,
                        ad_hit *out, uint32_t *n, const uint32_t *primed, uint32_t np,
                        ad_share *sh, ad_par *par) {
  uint32_t x, end = AD_END, pi = 0;
  float ub = 0, ubthr = AD_NOTHR;   /* the bound of [d, end], for threshold ubthr */
  int have = 0;
  for (;;) {
    float s, thr = AD_NOTHR;
    if (d >= q->lim || q->err) break;
    if (par != NULL && !par->done && q->work >= par->minwork) {
      ad_par_split(q, par, d);
      if (par->shared) sh = &par->sh;
    }
    if (sh != NULL) {
      /* the k hits of a heap are as good as its k-th at least: a doc after
      ** it must beat its score, one before it may tie */
      ad_hit f = ad_floor_get(sh);
      if (f.score > AD_NOTHR) thr = f.doc < d ? f.score : nextafterf(f.score, -HUGE_VALF);
    }
    if (*n == k) {
      /* a primed doc after d loses a tie to a doc at d: then only a lower
      ** score cannot win */
      float t = out[0].doc >= d ? nextafterf(out[0].score, -HUGE_VALF) : out[0].score;
      if (t > thr) thr = t;
    }
    if (thr > AD_NOTHR) {
      /* nothing left can beat the k-th score: done */
      if (AD_BELOW(root->maxs, thr)) break;
      /* the bound of [d0, end] holds for [d, end] when d0 <= d: asked
      ** again only past end or for another threshold (a doc scored in
      ** the stretch asked it again for every doc: an OR of three
      ** prefixes at 2.7M papers spent 42% of its time there) */
      if (!have || d > end || thr != ubthr) {
        ub = ad_it_bound(root, d, &end, thr);
        ubthr = thr; have = 1;
      }
      if (AD_BELOW(ub, thr)) {
        if (end == AD_END) break;
        d = end + 1;
        continue;
      }
    } else { end = AD_END; have = 0; }
    x = ad_it_next(q, root, d, thr);
    if (x == AD_END || x >= q->lim) break;
    if (x > end) { d = x; continue; }
    while (pi < np && primed[pi] < x) pi++;
    if (pi < np && primed[pi] == x) { d = x + 1; continue; }   /* in already */
    s = ad_it_score(q, root);
    {
      ad_hit h;
      h.doc = x; h.score = s;
      ad_topk_push(out, n, k, h);
      if (sh != NULL && *n == k) ad_floor_raise(sh, out[0]);
    }
    d = x + 1;
  }
}

/* take chunks until none is left; how many were taken */
static uint32_t ad_chunks(ad_q *q, ad_it *root, ad_share *sh, ad_hit *out, uint32_t *n) {
  uint32_t got = 0;
  for (; !q->err; got++) {
    uint32_t j = __atomic_fetch_add(&sh->next, 1, __ATOMIC_RELAXED);
    if (j >= sh->nchunks) break;
    q->lim = sh->cut[j + 1];
    ad_q_rewind(q);
    ad_topk_run(q, root, sh->k, sh->cut[j], out, n, sh->primed, sh->np, sh, NULL);
  }
  return got;
}

/* a part of a search on a pool thread: one that fails before it takes a
** chunk leaves them to the others (the caller takes every chunk left) */
static void ad_part_run(ad_part *p) {
  ad_share *sh = p->sh;
  ad_q q;
  ad_it *root;
  if (__atomic_load_n(&sh->next, __ATOMIC_RELAXED) >= sh->nchunks) return;  /* too late */
  p->out = (ad_hit *)ad_malloc(&ad_stdalloc, (size_t)sh->k * sizeof(ad_hit));
  if (p->out == NULL) return;
  ad_q_init(&q, sh->ix, &ad_stdalloc);
  q.borrow = sh->bx;
  root = ad_compile_root(&q, sh->nodes, sh->nnodes);
  if (root != NULL && !q.err) {
    p->chunks = ad_chunks(&q, root, sh, p->out, &p->n);
    p->err = q.err;               /* (an error in a chunk it took) */
  }
  ad_ar_free(&q.ar);
}

/* {------------------------------------------------------ the pool */
static pthread_mutex_t ad_pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ad_pool_cv = PTHREAD_COND_INITIALIZER;    /* work offered */
static pthread_cond_t ad_pool_done = PTHREAD_COND_INITIALIZER;  /* a part ended */
static unsigned ad_pool_n;        /* threads made */
static ad_share *ad_pool_q;       /* searches that want threads */
static int ad_pool_init;          /* atfork handler and pin done */

static void ad_pool_forked(void) {  /* the child of a fork has no threads */
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t c1 = PTHREAD_COND_INITIALIZER, c2 = PTHREAD_COND_INITIALIZER;
  ad_pool_mu = m; ad_pool_cv = c1; ad_pool_done = c2;
  ad_pool_n = 0; ad_pool_q = NULL;
}

static double ad_pool_clock(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *ad_pool_main(void *arg) {
  double idle = 0;            /* when this thread last ran a part (0: never) */
  (void)arg;
  pthread_mutex_lock(&ad_pool_mu);
  for (;;) {
    ad_share *sh;
    ad_part *p;
    if (ad_pool_q == NULL && idle > 0) {
      /* a search that needed threads is often followed by another (a
      ** script's searches): wait AD_POOL_SPIN seconds awake before
      ** sleeping (a sleeping thread took 0.02 to over 1 ms to wake on this
      ** virtual machine) */
      int i = 0;
      pthread_mutex_unlock(&ad_pool_mu);
      while (__atomic_load_n(&ad_pool_q, __ATOMIC_RELAXED) == NULL) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        if (++i % 256 == 0 && ad_pool_clock() - idle > AD_POOL_SPIN) break;
      }
      pthread_mutex_lock(&ad_pool_mu);
    }
    while (ad_pool_q == NULL) pthread_cond_wait(&ad_pool_cv, &ad_pool_mu);
    sh = ad_pool_q;
    p = &sh->parts[sh->taken++];
    if (--sh->want == 0) __atomic_store_n(&ad_pool_q, sh->qnext, __ATOMIC_RELAXED);
    __atomic_store_n(&sh->active, sh->active + 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&ad_pool_mu);
    ad_part_run(p);
    idle = ad_pool_clock();
    pthread_mutex_lock(&ad_pool_mu);
    __atomic_store_n(&sh->active, sh->active - 1, __ATOMIC_RELEASE);
    if (sh->active == 0) pthread_cond_broadcast(&ad_pool_done);
  }
  return NULL;
}

/* Offer sh to the pool for want threads (made as needed); 0 when none
** could be had */
static int ad_pool_offer(ad_share *sh, uint32_t want) {
  int ok;
  pthread_mutex_lock(&ad_pool_mu);
  if (!ad_pool_init) {
    Dl_info info;
    ad_pool_init = 1;
    (void)pthread_atfork(NULL, NULL, ad_pool_forked);
    /* (threads parked in this library must outlive lua_close's dlclose) */
    if (dladdr((void *)&ad_pool_n, &info) && info.dli_fname != NULL)
      (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  }
  while (ad_pool_n < want) {
    pthread_t th;
    pthread_attr_t at;
    int st;
    if (pthread_attr_init(&at) != 0) break;
    (void)pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    st = pthread_create(&th, &at, ad_pool_main, NULL);
    pthread_attr_destroy(&at);
    if (st != 0) break;
    ad_pool_n++;
  }
  if (want > ad_pool_n) want = ad_pool_n;
  ok = want > 0;
  if (ok) {
    ad_share **pp = &ad_pool_q;
    sh->want = want; sh->taken = 0; sh->active = 0; sh->qnext = NULL;
    while (*pp != NULL) pp = &(*pp)->qnext;
    __atomic_store_n(pp, sh, __ATOMIC_RELAXED);
    if (want == 1) pthread_cond_signal(&ad_pool_cv);
    else pthread_cond_broadcast(&ad_pool_cv);
  }
  pthread_mutex_unlock(&ad_pool_mu);
  return ok;
}

/* The caller has taken its last chunk: withdraw sh from the pool and wait
** for the pool threads that run a part of it (a short spin first: a part
** that runs ends with its chunk) */
static void ad_pool_finish(ad_share *sh) {
  int spin;
  for (spin = 0; spin < 20000 && __atomic_load_n(&sh->active, __ATOMIC_ACQUIRE) > 0; spin++) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  pthread_mutex_lock(&ad_pool_mu);
  if (sh->want > 0) {               /* still queued: no more threads for it */
    ad_share **pp = &ad_pool_q;
    while (*pp != NULL && *pp != sh) pp = &(*pp)->qnext;
    if (*pp == sh) __atomic_store_n(pp, sh->qnext, __ATOMIC_RELAXED);
    sh->want = 0;
  }
  while (sh->active > 0) pthread_cond_wait(&ad_pool_done, &ad_pool_mu);
  pthread_mutex_unlock(&ad_pool_mu);
}
/* }------------------------------------------------------ */

/* blocks of the cursors' lists whose last doc is < x */
static uint64_t ad_blocks_below(const ad_cur *curs, uint32_t x) {
  uint64_t s = 0;
  const ad_cur *c;
  for (c = curs; c != NULL; c = c->qnext) {
    uint32_t lo = 0, hi = c->nb;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (ad_skip(c, mid).last < x) lo = mid + 1; else hi = mid;
    }
    s += lo;
  }
  return s;
}

/* Cut the docs [d, q->lim) left to the caller into chunks and offer the
** others to the pool (see above); once per search. The caller goes on
** with the first chunk. */
static void ad_par_split(ad_q *q, ad_par *par, uint32_t d) {
  ad_share *sh = &par->sh;
  uint64_t c0, rest;
  uint32_t t, j, nc;
  par->done = 1;
  c0 = ad_blocks_below(par->curs, d);
  rest = ad_blocks_below(par->curs, q->lim) - c0;
  t = par->threads > AD_QMAXTHREADS ? AD_QMAXTHREADS : par->threads;
  if (t < 2 || rest == 0 || rest < 2 * (uint64_t)par->minwork) return;
  nc = t * AD_CHUNKS_PER_THREAD;
  if (par->minwork >= 4 && rest / (par->minwork / 4) < nc) nc = (uint32_t)(rest / (par->minwork / 4));
  if (nc < t) nc = t;
  sh->cut[0] = d; sh->cut[nc] = q->lim;
  for (j = 1; j < nc; j++) {     /* the first doc past j/nc of the blocks */
    uint64_t want = c0 + rest * j / nc;
    uint32_t lo = sh->cut[j - 1], hi = q->lim;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (ad_blocks_below(par->curs, mid) < want) lo = mid + 1; else hi = mid;
    }
    sh->cut[j] = lo;
  }
  sh->nchunks = nc;
  sh->next = 1;                  /* the caller has chunk 0 */
  memset(sh->parts, 0, sizeof sh->parts);
  for (j = 0; j + 1 < t; j++) sh->parts[j].sh = sh;
  if (!ad_pool_offer(sh, t - 1)) return;
  par->shared = 1;
  q->lim = sh->cut[1];
}

/* Wait for the pool's threads, merge their hits into the caller's heap
** and free them; the first error of any. */
static int ad_par_join(ad_par *par, ad_hit *out, uint32_t *n, uint32_t k) {
  ad_share *sh = &par->sh;
  uint32_t j, i;
  int err = 0;
  if (!par->shared) return 0;
  ad_pool_finish(sh);
  for (j = 0; j < sh->taken; j++) {
    ad_part *p = &sh->parts[j];
    if (p->err && !err) err = p->err;
    for (i = 0; i < p->n; i++) ad_topk_push(out, n, k, p->out[i]);
    if (p->out) ad_free(&ad_stdalloc, p->out, (size_t)k * sizeof(ad_hit));
  }
  return err;
}
/* }====================================================== */

/* {====================================================== entry points */
int ad_search_par(ad_ix *ix, const ad_xnode *nodes, uint32_t nnodes,
                  uint32_t k, int sort, unsigned threads, uint32_t minwork,
                  ad_hit *out, uint32_t *nout, unsigned *used) {
  ad_q q;
  ad_it *root;
  ad_par par;
  uint32_t n = 0, d = 0, x, primed[AD_PRIME_DOCS], np = 0;
  int perr;
  ad_q_init(&q, ix, &ix->a);
  memset(&par, 0, sizeof par);
  *nout = 0;
  if (used != NULL) *used = 1;
  q.rec = threads > 1 && sort != AD_SORT_DATE;
  root = ad_compile_root(&q, nodes, nnodes);
  q.rec = 0;
  if (root == NULL || k == 0) goto done;
  if (sort == AD_SORT_DATE) {          /* doc order is newest first */
    while (n < k && (x = ad_it_next(&q, root, d, AD_NOTHR)) != AD_END) {
      out[n].doc = x; out[n].score = ad_it_score(&q, root); n++;
      d = x + 1;
    }
    goto done;
  }
  par.curs = q.curs;                   /* (the root's: priming's come before) */
  ad_prime(&q, nodes, nnodes, root, k, out, &n, primed, &np);
  if (q.err) goto done;
  /* (the blocks decoded to compile and prime count too: a prefix's
  ** bitmap is then shared at once; counting the pass's blocks only,
  ** `segment*` at 2.7M was not shared and took 0.66-1.08 ms against
  ** 0.56-0.67, timed alternately. The threads read the caller's prefix
  ** bitmaps (q.rec, ad_xbits) instead of making them again) */
  par.threads = threads; par.minwork = minwork; par.done = threads < 2;
  par.sh.ix = ix; par.sh.nodes = nodes; par.sh.nnodes = nnodes; par.sh.k = k;
  par.sh.primed = primed; par.sh.np = np; par.sh.bx = q.bx;
  {
    ad_hit none;
    none.score = -HUGE_VALF; none.doc = UINT32_MAX;
    par.sh.floor = ad_floor_pack(none);
  }
  ad_topk_run(&q, root, k, 0, out, &n, primed, np, NULL, &par);
  if (par.shared) ad_chunks(&q, root, &par.sh, out, &n);
  perr = ad_par_join(&par, out, &n, k);
  if (used != NULL && par.shared) {
    uint32_t j;
    for (j = 0; j < par.sh.taken; j++) *used += par.sh.parts[j].chunks > 0;
  }
  if (perr && !q.err) q.err = perr;
  ad_topk_sort(out, n);           /* best first */
done:
  ad_ar_free(&q.ar);
  if (q.err) return q.err;
  *nout = n;
  return AD_OK;
}

int ad_search(ad_ix *ix, const ad_xnode *nodes, uint32_t nnodes,
              uint32_t k, int sort, ad_hit *out, uint32_t *nout) {
  return ad_search_par(ix, nodes, nnodes, k, sort, 1, 0, out, nout, NULL);
}

int ad_each(ad_ix *ix, const ad_xnode *nodes, uint32_t nnodes,
            int (*f)(void *ud, uint32_t doc), void *ud) {
  ad_q q;
  ad_it *root;
  uint32_t d = 0, x;
  ad_q_init(&q, ix, &ix->a);
  root = ad_compile_root(&q, nodes, nnodes);
  if (root != NULL) {
    while ((x = ad_it_next(&q, root, d, AD_NOTHR)) != AD_END) {
      if (f(ud, x)) break;
      d = x + 1;
    }
  }
  ad_ar_free(&q.ar);
  return q.err;
}

static int ad_count_cb(void *ud, uint32_t doc) {
  (void)doc;
  (*(uint32_t *)ud)++;
  return 0;
}

int ad_count(ad_ix *ix, const ad_xnode *nodes, uint32_t nnodes,
             uint32_t *total) {
  *total = 0;
  return ad_each(ix, nodes, nnodes, ad_count_cb, total);
}
/* }====================================================== */
