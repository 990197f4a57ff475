/*
** ad_encode.c: the final encoding of a build (pure C). The builders'
** temporary streams (ad_build.c), and for an update the postings the old
** index keeps (ad_update.c), are merged term by term, in term order, into
** posting lists (format: ad_index.h) with BM25F impacts quantized to 7 bits,
** accumulating the tf-idf norms used by similar(). Terms are encoded in two
** parts (by first byte, see AD_SPLIT), in one thread or two: the result is
** the same either way. Also the byte buffers and sections of a build.
*/
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include "ad_build.h"
#include "ad_update.h"

/* {====================================================== byte buffers, sections */
/* Ask for huge pages over the 2 MiB pages inside p[0..n): big build
** buffers are written once from start to end, and with 4 KiB pages the
** page faults cost more than the writing. */
void ad_b_huge(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
  uintptr_t a = ((uintptr_t)p + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
  uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)((2u << 20) - 1);
  if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
  (void)p; (void)n;
#endif
}

int ad_bb_reserve(const ad_alloc *a, ad_bbuf *b, size_t extra) {
  size_t nc;
  void *np;
  if (b->n + extra <= b->cap) return AD_OK;
  nc = b->cap ? b->cap : 32;
  while (nc < b->n + extra) nc *= 2;
  np = ad_realloc(a, b->p, b->cap, nc);
  if (np == NULL) return AD_ENOMEM;
  b->p = (uint8_t *)np; b->cap = nc;
  if (nc >= (8u << 20)) ad_b_huge(np, nc);
  return AD_OK;
}

void ad_bb_free(const ad_alloc *a, ad_bbuf *b) {
  ad_free(a, b->p, b->cap);
  b->p = NULL; b->n = b->cap = 0;
}

void ad_bb_varint(ad_bbuf *b, uint32_t v) {
  while (v >= 0x80) { b->p[b->n++] = (uint8_t)(v | 0x80); v >>= 7; }
  b->p[b->n++] = (uint8_t)v;
}

void ad_b_setsec(ad_ix *ix, int s, void *p, size_t n) {
  ix->own[s] = (uint8_t *)p;
  ix->sec[s] = (const uint8_t *)p;
  ix->seclen[s] = n;
}

void *ad_b_sec(ad_ix *ix, int s, size_t n) {
  void *p = ad_malloc(&ix->a, n ? n : 1);
  if (p == NULL) return NULL;
  memset(p, 0, n ? n : 1);
  ad_b_setsec(ix, s, p, n);
  return p;
}

/* }====================================================== */

/* {====================================================== final encoding */
typedef struct ad_tord { const char *s; uint32_t len, t; } ad_tord;

static int ad_b_termcmp(const void *x, const void *y) {
  const ad_tord *a = (const ad_tord *)x, *b = (const ad_tord *)y;
  return ad_bytecmp(a->s, a->len, b->s, b->len);
}

/* the terms of one builder, sorted: ord[0 .. nterms) (tail->used set) */
static ad_tord *ad_b_sorted(ad_ixb *b) {
  uint32_t i, nt = b->nterms;
  ad_tord *ord = (ad_tord *)ad_malloc(b->a, (size_t)(nt ? nt : 1) * sizeof *ord);
  if (ord == NULL) return NULL;
  for (i = 0; i < nt; i++) {
    ord[i].s = (const char *)b->tstr.p + b->terms[i].str;
    ord[i].len = b->terms[i].len; ord[i].t = i;
    if (b->terms[i].tail)
      b->terms[i].tail->used = (uint32_t)(b->terms[i].wp - b->terms[i].tail->data);
  }
  qsort(ord, nt, sizeof *ord, ad_b_termcmp);
  return ord;
}

/* a term of the new docs: its streams in the builders of the first and
** the second half of the docs (either may be NULL) */
typedef struct ad_fterm { const char *s; uint32_t len; ad_bterm *bt[2]; } ad_fterm;

/* Encoding shares: the terms, streams and old index (read only) */
typedef struct ad_encctx {
  ad_ix *ix, *old;              /* old: up->old, or NULL */
  const ad_upd *up;
  ad_fterm *ft;
  const ad_ixdoc *docs;
  const float *nf;
  double logtab[64];
} ad_encctx;

/* One part of the terms (by first byte: see AD_SPLIT), encoded on its own:
** fresh terms ft[f0 .. f1), old terms [o0 .. o1); its own buffers, terms
** array and tf-idf norm sums. */
typedef struct ad_encpart {
  const ad_alloc *a;
  uint32_t f0, f1, o0, o1;
  ad_bbuf post, pos, tstr;
  ad_ixterm *terms; uint32_t nout;
  double *norm2;
  ad_oent *oent; uint32_t capoent;
  size_t hint;              /* an upper bound of its POST or POS bytes */
  int st;
} ad_encpart;

static int ad_b_encpart(const ad_encctx *x, ad_encpart *pt) {
  const ad_alloc *a = pt->a;
  ad_fterm *ft = x->ft;
  ad_ix *old = x->old;
  const ad_ixdoc *docs = x->docs;
  const float *nf = x->nf;
  const double *logtab = x->logtab;
  /* BM25F saturation tfw / (k1 + tfw): with k1 = 0 (a valid parameter) a
  ** posting without weight (pseudo terms, zero field weights) would be
  ** 0 / 0; the smallest positive double in its place gives 0 there and
  ** exactly 1 for any tfw > 0 (tfw >= the smallest float), as k1 = 0 does */
  const double k1 = x->ix->m.p.k1 > 0 ? x->ix->m.p.k1 : DBL_MIN;
  uint32_t i, oi, n = x->ix->m.ndocs;
  const char *prevs = NULL;
  uint32_t prevlen = 0;
  int st = AD_ENOMEM;
  ad_bbuf post = pt->post, pos = pt->pos, tstr = pt->tstr;
  /* room for the part at once (untouched room costs nothing): no copies */
  if (ad_bb_reserve(a, &post, pt->hint) || ad_bb_reserve(a, &pos, pt->hint)) goto done;
  for (i = pt->f0, oi = pt->o0; i < pt->f1 || oi < pt->o1; ) {
    ad_fterm *fr = NULL;
    const ad_ixterm *ot = NULL;
    const char *ts;
    uint32_t tlen, on = 0, df, sleft, sdoc = 0, sbase = 0, ok = 0, cleft = 0;
    int cb = -1;
    ad_ixterm *t;
    ad_tchunk *ch;
    const uint8_t *q, *qe;
    uint32_t nb, blk, doc = 0, k;
    size_t listart, skipat;
    int bad = 0, pseudo;
    uint32_t dflt;
    double idfs;
    /* the next term: the smaller of the builder's and old's next terms */
    if (oi < pt->o1) {
      ot = ad_ix_term(old, oi);
      if (ot == NULL) { st = AD_ECORRUPT; goto done; }
    }
    if (i < pt->f1) {
      int cmp = ot ? ad_bytecmp(ft[i].s, ft[i].len, ad_ix_termstr(old, ot), ot->len) : -1;
      if (cmp <= 0) fr = &ft[i];
      if (cmp < 0) ot = NULL;
    }
    if (fr) {
      ts = fr->s; tlen = fr->len; i++;
      if (i < pt->f1 && ft[i].bt[0] && ft[i].bt[0]->head) __builtin_prefetch(ft[i].bt[0]->head, 0, 3);
    } else { ts = ad_ix_termstr(old, ot); tlen = ot->len; }
    if (ot) {
      st = ad_up_list(x->up, a, oi, &pt->oent, &pt->capoent, &on);
      if (st != AD_OK) goto done;
      st = AD_ENOMEM;
      oi++;
    }
    if (prevs != NULL && ad_bytecmp(prevs, prevlen, ts, tlen) >= 0) {
      st = AD_ECORRUPT; goto done;            /* old's terms out of order */
    }
    prevs = ts; prevlen = tlen;
    sleft = fr ? (fr->bt[0] ? fr->bt[0]->df : 0) + (fr->bt[1] ? fr->bt[1]->df : 0) : 0;
    df = sleft + on;
    if (df == 0) continue;                     /* every posting dropped */
    t = &pt->terms[pt->nout++];
    ch = NULL; q = qe = NULL;
    nb = (df + AD_BLOCK - 1) / AD_BLOCK;
    pseudo = tlen > 0 && ts[0] == 1;
    dflt = pseudo ? 0 : AD_NPM_DEFAULT;
    idfs = log((double)(n + 1) / (df + 1)) + 1.0;
    if (ad_bb_reserve(a, &tstr, tlen)) goto done;   /* (old's terms may overlap) */
    memcpy(tstr.p + tstr.n, ts, tlen);
    t->str = (uint32_t)tstr.n; t->len = tlen; tstr.n += tlen;
    t->df = df;
    t->pos = (uint32_t)pos.n;
    if (ad_bb_reserve(a, &post, (size_t)nb * sizeof(ad_ixskip))) goto done;
    listart = post.n; skipat = post.n;
    t->post = (uint32_t)listart;
    post.n += (size_t)nb * sizeof(ad_ixskip);
    t->maximp = 0;
#define AD_PEEK() do { \
      if (sleft) { \
        while (cleft == 0) {   /* the next builder's stream */ \
          ad_bterm *nb_ = ++cb < 2 ? fr->bt[cb] : NULL; \
          if (cb >= 2) { st = AD_EFORMAT; goto done; } \
          if (nb_ == NULL) continue; \
          ch = nb_->head; cleft = nb_->df; sbase = 0; \
          q = ch ? ch->data : NULL; qe = ch ? ch->data + ch->used : NULL; } \
        if (q == qe) { ch = ch ? ch->next : NULL; \
          if (ch == NULL) { st = AD_EFORMAT; goto done; } \
          q = ch->data; qe = ch->data + ch->used; } \
        sdoc = sbase + ad_varint_get(&q, qe, &bad); } } while (0)
    AD_PEEK();
    for (blk = 0; blk < nb; blk++) {
      uint32_t cnt = df - blk * AD_BLOCK, bd[AD_BLOCK], bnpm[AD_BLOCK];
      uint8_t bimp[AD_BLOCK];
      uint32_t prevdoc = doc, mx = 0;
      ad_ixskip sk;
      if (cnt > AD_BLOCK) cnt = AD_BLOCK;
      sk.posoff = (uint32_t)(pos.n - t->pos);
      for (k = 0; k < cnt; k++) {
        uint32_t tf[AD_NFIELDS], np = 0, f, mask = 0, j;
        const uint8_t *ps, *pz;
        double tfw = 0, imp;
        if (sleft && (ok == on || sdoc < pt->oent[ok].doc)) {
          doc = sdoc;
          mask = q < qe ? *q++ : (bad = 1, 0);
          if (bad || doc >= n) { st = AD_EFORMAT; goto done; }
          for (f = 0; f < AD_NFIELDS; f++) {
            tf[f] = (mask >> f) & 1 ? ad_varint_get(&q, qe, &bad) : 0;
            np += tf[f];
          }
          ps = q;
          for (j = 0; j < np; j++) (void)ad_varint_get(&q, qe, &bad);
          pz = q;
          sbase = doc + 1; sleft--; cleft--;
          AD_PEEK();
        } else {
          const ad_oent *e = &pt->oent[ok++];
          doc = e->doc;
          if (doc >= n || (sleft && sdoc == doc)) { st = AD_ECORRUPT; goto done; }
          mask = e->npm & 15; np = e->npm >> 4;
          ps = old->sec[AD_SEC_POS] + e->poff; pz = ps + e->plen;
          if (ad_up_fieldtf(mask, np, ps, pz, docs[doc].fstart, tf)) {
            st = ad_ix_corrupt(old, AD_BAD_DOC, x->up->dold[doc]); goto done;
          }
        }
        for (f = 0; f < AD_NFIELDS; f++)
          if (tf[f]) tfw += tf[f] * nf[(size_t)doc * AD_NFIELDS + f];
        if (pz > ps) {
          if (ad_bb_reserve(a, &pos, (size_t)(pz - ps))) goto done;
          memcpy(pos.p + pos.n, ps, (size_t)(pz - ps)); pos.n += (size_t)(pz - ps);
        }
        imp = tfw / (k1 + tfw);
        bd[k] = doc;
        {
          double xi = imp * AD_IMPMAX;   /* ceil, clamped to [1, 127] */
          uint32_t q7 = (uint32_t)xi;
          if ((double)q7 < xi) q7++;
          if (q7 < 1) q7 = 1;
          if (q7 > AD_IMPMAX) q7 = AD_IMPMAX;
          if (pseudo) q7 = 0;
          bnpm[k] = (np << 4) | mask;
          bimp[k] = (uint8_t)((q7 << 1) | (bnpm[k] == dflt));
          if (q7 > mx) mx = q7;
        }
        if (!pseudo && tf[0] + tf[1]) {
          uint32_t ta = tf[0] + tf[1];
          double w = (1 + (ta < 64 ? logtab[ta] : log((double)ta))) * idfs;
          pt->norm2[doc] += w * w;
        }
        doc++;
      }
      if (bad) { st = AD_EFORMAT; goto done; }
      if (ad_bb_reserve(a, &post, (size_t)cnt * 11)) goto done;
      sk.off = (uint32_t)(post.n - listart);
      sk.last = doc - 1;
      sk.maximp = mx;
      if (mx > t->maximp) t->maximp = mx;
      for (k = 0; k < cnt; k++) {
        ad_bb_varint(&post, bd[k] - prevdoc);
        prevdoc = bd[k] + 1;
      }
      memcpy(post.p + post.n, bimp, cnt); post.n += cnt;
      for (k = 0; k < cnt; k++) if (!(bimp[k] & 1)) ad_bb_varint(&post, bnpm[k]);
      memcpy(post.p + skipat + (size_t)blk * sizeof sk, &sk, sizeof sk);
    }
#undef AD_PEEK
    if (sleft || ok != on) { st = AD_EFORMAT; goto done; }
    t->postlen = (uint32_t)(post.n - listart);
    t->poslen = (uint32_t)(pos.n - t->pos);
    if (fr) {
      if (fr->bt[0]) fr->bt[0]->head = fr->bt[0]->tail = NULL;
      if (fr->bt[1]) fr->bt[1]->head = fr->bt[1]->tail = NULL;
    }
    /* keep the 4-byte alignment of the next skip table */
    if (ad_bb_reserve(a, &post, 4)) goto done;
    while (post.n & 3) post.p[post.n++] = 0;
  }
  st = AD_OK;
done:
  pt->post = post; pt->pos = pos; pt->tstr = tstr;
  return st;
}

static void *ad_b_encthread(void *ud) {
  struct { const ad_encctx *x; ad_encpart *pt; } *w = ud;
  w->pt->st = ad_b_encpart(w->x, w->pt);
  return NULL;
}

/* Terms whose first byte is below AD_SPLIT are one part of the encoding,
** the others the second part; always two parts, in one thread or two, so
** that the norm sums (part one's plus part two's) never depend on it. */
#define AD_SPLIT 'm'

/* first fresh term of the second part */
static uint32_t ad_b_ftsplit(const ad_fterm *ft, uint32_t nt) {
  uint32_t lo = 0, hi = nt;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (ft[mid].len > 0 && (unsigned char)ft[mid].s[0] >= (unsigned char)AD_SPLIT) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/* (ad_build.h) */
int ad_b_encode(ad_ix *ix, ad_ixb *b, ad_ixb *b2, ad_ixdoc *docs,
                double *norm2, const ad_upd *up,
                unsigned threads, uint32_t minpar) {
  const ad_alloc *a = b->a;
  ad_tord *ord = NULL, *ord2 = NULL;
  ad_fterm *ft = NULL;
  ad_ixterm *terms;
  ad_ix *old = up ? up->old : NULL;
  uint32_t i, nt = 0, n = ix->m.ndocs, ont = old ? old->m.nterms : 0;
  uint32_t nta = b->nterms, ntb = b2 ? b2->nterms : 0, fsplit, osplit = 0;
  uint32_t cap = nta + ntb + ont, cap0;
  const ad_ixparams *p = &ix->m.p;
  int st = AD_ENOMEM, k;
  float *nf;
  ad_encctx x;
  ad_encpart pt[2];
  memset(pt, 0, sizeof pt);
  /* per doc and field: w_f / (1 - b + b len / avglen) */
  nf = (float *)ad_malloc(a, ((size_t)n + 1) * AD_NFIELDS * sizeof(float));
  if (nf == NULL) return AD_ENOMEM;
  for (i = 0; i < n; i++) {
    uint32_t f;
    for (f = 0; f < AD_NFIELDS; f++) {
      double avg = ix->m.avglen[f];
      double norm = avg > 0 ? (1 - p->b + p->b * docs[i].len[f] / avg) : 1;
      /* norm is 0 only for b = 1 and an empty field, which has no posting
      ** in a build; a crafted old index may still give a kept doc one
      ** there: it weighs 0 (not tf / 0) */
      nf[(size_t)i * AD_NFIELDS + f] = norm > 0 ? (float)(p->w[f] / norm) : 0;
    }
  }
  x.ix = ix; x.old = old; x.up = up; x.docs = docs; x.nf = nf;
  for (i = 1; i < 64; i++) x.logtab[i] = log((double)i);
  x.logtab[0] = 0;
  /* the terms of both builders, merged */
  ord = ad_b_sorted(b);
  ord2 = b2 ? ad_b_sorted(b2) : NULL;
  ft = (ad_fterm *)ad_malloc(a, ((size_t)nta + ntb + 1) * sizeof *ft);
  if (ord == NULL || (b2 && ord2 == NULL) || ft == NULL) goto done;
  {
    uint32_t u = 0, v = 0;
    while (u < nta || v < ntb) {
      int cmp = u == nta ? 1 : v == ntb ? -1
              : ad_bytecmp(ord[u].s, ord[u].len, ord2[v].s, ord2[v].len);
      ad_fterm *f = &ft[nt++];
      f->bt[0] = f->bt[1] = NULL;
      if (cmp <= 0) { f->s = ord[u].s; f->len = ord[u].len; f->bt[0] = &b->terms[ord[u++].t]; }
      if (cmp >= 0) { f->s = ord2[v].s; f->len = ord2[v].len; f->bt[1] = &b2->terms[ord2[v++].t]; }
    }
  }
  x.ft = ft;
  /* verify what the parts read of old, so that no thread writes to it */
  if (up && ad_up_prepare(up, (unsigned char)AD_SPLIT, &osplit)) { st = AD_ECORRUPT; goto done; }
  fsplit = ad_b_ftsplit(ft, nt);
  terms = (ad_ixterm *)ad_b_sec(ix, AD_SEC_TERMS, (size_t)cap * sizeof(ad_ixterm));
  if (terms == NULL) goto done;
  cap0 = fsplit + osplit;
  {    /* the streams' bytes (plus old's lists) bound each part's output */
    size_t hint = 0;
    const ad_slab *sl;
    for (sl = b->slabs; sl; sl = sl->next) hint += sl->used;
    for (sl = b2 ? b2->slabs : NULL; sl; sl = sl->next) hint += sl->used;
    if (old) hint += old->seclen[AD_SEC_POST] + old->seclen[AD_SEC_POS];
    pt[0].hint = pt[1].hint = hint + (size_t)cap * 32 + 64;
  }
  threads = threads >= 2 && n >= minpar ? 2 : 1;
  for (k = 0; k < 2; k++) {
    /* a second thread's memory comes from malloc, not from a */
    pt[k].a = (k == 1 && threads > 1) ? &ad_stdalloc : a;
    pt[k].f0 = k ? fsplit : 0; pt[k].f1 = k ? nt : fsplit;
    pt[k].o0 = k ? osplit : 0; pt[k].o1 = k ? ont : osplit;
    pt[k].terms = terms + (k ? cap0 : 0);
    pt[k].norm2 = k ? (double *)ad_malloc(pt[k].a, ((size_t)n + 1) * sizeof(double)) : norm2;
    if (pt[k].norm2 == NULL) goto done;
    if (k) memset(pt[k].norm2, 0, ((size_t)n + 1) * sizeof(double));
  }
  {
    pthread_t th;
    struct { const ad_encctx *x; ad_encpart *pt; } w;
    int started = 0;
    w.x = &x; w.pt = &pt[1];
    if (threads > 1 && pthread_create(&th, NULL, ad_b_encthread, &w) == 0) started = 1;
    pt[0].st = ad_b_encpart(&x, &pt[0]);
    if (started) pthread_join(th, NULL);
    else pt[1].st = ad_b_encpart(&x, &pt[1]);
  }
  for (k = 0; k < 2; k++) if (pt[k].st != AD_OK) { st = pt[k].st; goto done; }
  st = AD_ENOMEM;
  /* the builders (streams, term tables) are no longer needed: free them
  ** before the join below copies part two */
  if (ord) ad_free(b->a, ord, (size_t)(nta ? nta : 1) * sizeof *ord);
  if (ord2) ad_free(b2->a, ord2, (size_t)(ntb ? ntb : 1) * sizeof *ord2);
  ord = ord2 = NULL;
  ad_b_free(b);
  if (b2) ad_b_free(b2);
  /* the parts' terms must follow each other (a crafted old could break it) */
  if (pt[0].nout && pt[1].nout) {
    const ad_ixterm *l = &pt[0].terms[pt[0].nout - 1], *f = &pt[1].terms[0];
    if (ad_bytecmp((const char *)pt[0].tstr.p + l->str, l->len,
                   (const char *)pt[1].tstr.p + f->str, f->len) >= 0) {
      st = AD_ECORRUPT; goto done;
    }
  }
  /* join: part two's terms after part one's, its offsets shifted */
  for (i = 0; i < pt[1].nout; i++) {
    ad_ixterm t = pt[1].terms[i];
    t.post += (uint32_t)pt[0].post.n; t.pos += (uint32_t)pt[0].pos.n;
    t.str += (uint32_t)pt[0].tstr.n;
    terms[pt[0].nout + i] = t;
  }
  if ((uint64_t)pt[0].post.n + pt[1].post.n > UINT32_MAX ||
      (uint64_t)pt[0].pos.n + pt[1].pos.n > UINT32_MAX) goto done;
  for (i = 0; i < n; i++) norm2[i] += pt[1].norm2[i];
  ix->m.nterms = pt[0].nout + pt[1].nout;
  if (ix->m.nterms < cap) {                   /* shrink TERMS to its size */
    void *np = ad_realloc(a, ix->own[AD_SEC_TERMS], cap ? (size_t)cap * sizeof(ad_ixterm) : 1,
                          ix->m.nterms ? (size_t)ix->m.nterms * sizeof(ad_ixterm) : 1);
    if (np == NULL) goto done;
    ad_b_setsec(ix, AD_SEC_TERMS, np, (size_t)ix->m.nterms * sizeof(ad_ixterm));
  }
  {
    int s;
    ad_bbuf *b0[3] = {&pt[0].post, &pt[0].pos, &pt[0].tstr};
    ad_bbuf *b1[3] = {&pt[1].post, &pt[1].pos, &pt[1].tstr};
    int secs[3] = {AD_SEC_POST, AD_SEC_POS, AD_SEC_TSTR};
    for (s = 0; s < 3; s++) {     /* append part two, shrink, hand over */
      size_t nn = b0[s]->n + b1[s]->n;
      void *np = ad_realloc(a, b0[s]->p, b0[s]->cap, nn ? nn : 1);
      if (np == NULL) goto done;
      b0[s]->p = (uint8_t *)np; b0[s]->cap = nn ? nn : 1;
      if (b1[s]->n) memcpy(b0[s]->p + b0[s]->n, b1[s]->p, b1[s]->n);
      ad_b_setsec(ix, secs[s], np, nn);
      b0[s]->p = NULL; b0[s]->n = b0[s]->cap = 0;
    }
  }
  st = AD_OK;
done:
  for (k = 0; k < 2; k++) {
    const ad_alloc *pa = pt[k].a;
    if (pa == NULL) continue;
    ad_bb_free(pa, &pt[k].post); ad_bb_free(pa, &pt[k].pos); ad_bb_free(pa, &pt[k].tstr);
    if (pt[k].oent) ad_free(pa, pt[k].oent, (size_t)pt[k].capoent * sizeof(ad_oent));
    if (k && pt[k].norm2) ad_free(pa, pt[k].norm2, ((size_t)n + 1) * sizeof(double));
  }
  if (ord) ad_free(b->a, ord, (size_t)(nta ? nta : 1) * sizeof *ord);
  if (ord2) ad_free(b2->a, ord2, (size_t)(ntb ? ntb : 1) * sizeof *ord2);
  if (ft) ad_free(a, ft, ((size_t)nta + ntb + 1) * sizeof *ft);
  ad_free(a, nf, ((size_t)n + 1) * AD_NFIELDS * sizeof(float));
  return st;
}
/* }====================================================== */

