/*
** ad_encode.c: the final encoding of a build (pure C). The builders'
** temporary streams (ad_build.c), and for an update the postings the old
** index keeps (ad_update.c), are merged term by term, in term order, into
** posting lists (format: ad_index.h) with BM25F impacts quantized to 7 bits,
** accumulating the tf-idf norms used by similar(). Terms are encoded in
** AD_NPARTS parts (by first byte, see ad_psplit), on up to that many
** threads: the result is the same bytes however many. Also the byte
** buffers and sections of a build.
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
  if (n >= ((size_t)4 << 20)) ad_b_huge(p, n);   /* fewer first-touch faults */
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

/* a term of the new docs: its streams in each builder (NULL: none), the
** builders in doc order */
typedef struct ad_fterm { const char *s; uint32_t len; ad_bterm *bt[AD_MAXPAR]; } ad_fterm;

/* Encoding shares: the terms, streams and old index (read only) */
typedef struct ad_encctx {
  ad_ix *ix, *old;              /* old: up->old, or NULL */
  const ad_upd *up;
  ad_fterm *ft;
  const ad_ixdoc *docs;
  const float *nf;
  uint32_t nbs;                 /* builders */
  double logtab[64];
} ad_encctx;

/* One part of the terms (by first byte: see ad_psplit), encoded on its own:
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
      {
        uint32_t j;
        sleft = 0;
        for (j = 0; j < x->nbs; j++) if (fr->bt[j]) sleft += fr->bt[j]->df;
      }
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
    if (!fr) sleft = 0;
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
          ad_bterm *nb_ = ++cb < (int)x->nbs ? fr->bt[cb] : NULL; \
          if (cb >= (int)x->nbs) { st = AD_EFORMAT; goto done; } \
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
      uint32_t btf[AD_BLOCK][AD_NFIELDS];
      const uint8_t *bps[AD_BLOCK], *bpz[AD_BLOCK];
      uint8_t bimp[AD_BLOCK], bkept[AD_BLOCK];
      uint32_t prevdoc = doc, mx = 0;
      ad_ixskip sk;
      if (cnt > AD_BLOCK) cnt = AD_BLOCK;
      sk.posoff = (uint32_t)(pos.n - t->pos);
      /* first the block's postings, fresh and kept merged by doc, then
      ** their weights. A weight reads the doc's field norms (nf) and adds
      ** to its tf-idf sum (norm2): for a rare term's docs, far apart, both
      ** miss the cache, and at millions of docs (43 + 22 MB) go to memory;
      ** fetched while the block is decoded, they are there when weighed
      ** (an update at 2.7M papers: -25% CPU) */
      for (k = 0; k < cnt; k++) {
        uint32_t *tf = btf[k], np = 0, f, mask = 0, j;
        if (sleft && (ok == on || sdoc < pt->oent[ok].doc)) {
          doc = sdoc;
          mask = q < qe ? *q++ : (bad = 1, 0);
          if (bad || doc >= n) { st = AD_EFORMAT; goto done; }
          for (f = 0; f < AD_NFIELDS; f++) {
            tf[f] = (mask >> f) & 1 ? ad_varint_get(&q, qe, &bad) : 0;
            np += tf[f];
          }
          bps[k] = q;
          for (j = 0; j < np; j++) (void)ad_varint_get(&q, qe, &bad);
          bpz[k] = q;
          bkept[k] = 0;
          sbase = doc + 1; sleft--; cleft--;
          AD_PEEK();
        } else {
          const ad_oent *e = &pt->oent[ok++];
          doc = e->doc;
          if (doc >= n || (sleft && sdoc == doc)) { st = AD_ECORRUPT; goto done; }
          mask = e->npm & 15; np = e->npm >> 4;
          bps[k] = old->sec[AD_SEC_POS] + e->poff; bpz[k] = bps[k] + e->plen;
          bkept[k] = 1;
          /* (the fields of several positions: the doc's field starts) */
          if (mask & (mask - 1)) __builtin_prefetch(docs[doc].fstart, 0, 3);
        }
        __builtin_prefetch(&nf[(size_t)doc * AD_NFIELDS], 0, 3);
        __builtin_prefetch(&pt->norm2[doc], 1, 3);
        bd[k] = doc;
        bnpm[k] = (np << 4) | mask;
        doc++;
      }
      for (k = 0; k < cnt; k++) {
        uint32_t *tf = btf[k], f, d = bd[k];
        const uint8_t *ps = bps[k], *pz = bpz[k];
        double tfw = 0, imp;
        if (bkept[k] && ad_up_fieldtf(bnpm[k] & 15, bnpm[k] >> 4, ps, pz, docs[d].fstart, tf)) {
          st = ad_ix_corrupt(old, AD_BAD_DOC, x->up->dold[d]); goto done;
        }
        for (f = 0; f < AD_NFIELDS; f++)
          if (tf[f]) tfw += tf[f] * nf[(size_t)d * AD_NFIELDS + f];
        if (pz > ps) {
          if (ad_bb_reserve(a, &pos, (size_t)(pz - ps))) goto done;
          memcpy(pos.p + pos.n, ps, (size_t)(pz - ps)); pos.n += (size_t)(pz - ps);
        }
        imp = tfw / (k1 + tfw);
        {
          double xi = imp * AD_IMPMAX;   /* ceil, clamped to [1, 127] */
          uint32_t q7 = (uint32_t)xi;
          if ((double)q7 < xi) q7++;
          if (q7 < 1) q7 = 1;
          if (q7 > AD_IMPMAX) q7 = AD_IMPMAX;
          if (pseudo) q7 = 0;
          bimp[k] = (uint8_t)((q7 << 1) | (bnpm[k] == dflt));
          if (q7 > mx) mx = q7;
        }
        if (!pseudo && tf[0] + tf[1]) {
          uint32_t ta = tf[0] + tf[1];
          double w = (1 + (ta < 64 ? logtab[ta] : log((double)ta))) * idfs;
          pt->norm2[d] += w * w;
        }
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
      uint32_t j;
      for (j = 0; j < x->nbs; j++) if (fr->bt[j]) fr->bt[j]->head = fr->bt[j]->tail = NULL;
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

/* Terms are encoded in AD_NPARTS parts by their first byte: part k holds
** the terms whose first byte is in [ad_psplit[k - 1], ad_psplit[k]) (pseudo
** terms and digits in part 0). The parts are the same whatever the number
** of threads, and each doc's norm sums its parts' shares in part order, so
** the index is the same bytes with one thread or eight. The bounds follow
** how postings spread over first letters in English titles and abstracts
** ("the", "to" and "that" make the last part the largest). */
#define AD_NPARTS AD_MAXPAR
static const unsigned char ad_psplit[AD_NPARTS - 1] = {'b', 'd', 'g', 'm', 'p', 's', 't'};

/* The encoding's threads: parts handed out in order (part 0 always on the
** calling thread, with the index's allocator: its buffers become the
** sections). */
typedef struct ad_encjob {
  const ad_encctx *x;
  ad_encpart *pt;
  uint32_t next;              /* the next part to encode (atomic) */
} ad_encjob;

static void ad_b_encparts(ad_encjob *j) {
  for (;;) {
    uint32_t k = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
    if (k >= AD_NPARTS) break;
    j->pt[k].st = ad_b_encpart(j->x, &j->pt[k]);
  }
}

static void *ad_b_encthread(void *ud) {
  ad_b_encparts((ad_encjob *)ud);
  return NULL;
}

/* first fresh term whose first byte is >= c (from lo) */
static uint32_t ad_b_ftsplit(const ad_fterm *ft, uint32_t lo, uint32_t nt, unsigned char c) {
  uint32_t hi = nt;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (ft[mid].len > 0 && (unsigned char)ft[mid].s[0] >= c) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/* (ad_build.h) */
int ad_b_encode(ad_ix *ix, ad_ixb *const *bs, uint32_t nbs, ad_ixdoc *docs,
                double *norm2, const ad_upd *up,
                unsigned threads, uint32_t minpar) {
  const ad_alloc *a = bs[0]->a;
  ad_tord *ord[AD_MAXPAR];
  uint32_t at[AD_MAXPAR], ntb[AD_MAXPAR];
  ad_fterm *ft = NULL;
  ad_ixterm *terms;
  ad_ix *old = up ? up->old : NULL;
  uint32_t i, j, nt = 0, n = ix->m.ndocs, ont = old ? old->m.nterms : 0, nfresh = 0;
  uint32_t fsplit[AD_NPARTS + 1], osplit[AD_NPARTS + 1], cap;
  const ad_ixparams *p = &ix->m.p;
  int st = AD_ENOMEM, k, ok = 1;
  float *nf;
  ad_encctx x;
  ad_encpart pt[AD_NPARTS];
  size_t total = 0;
  if (nbs == 0 || nbs > AD_MAXPAR) return AD_EFORMAT;
  memset(pt, 0, sizeof pt);
  memset(ord, 0, sizeof ord);
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
  x.ix = ix; x.old = old; x.up = up; x.docs = docs; x.nf = nf; x.nbs = nbs;
  for (i = 1; i < 64; i++) x.logtab[i] = log((double)i);
  x.logtab[0] = 0;
  /* the terms of all builders, merged */
  for (j = 0; j < nbs; j++) {
    ord[j] = ad_b_sorted(bs[j]);
    if (ord[j] == NULL) ok = 0;
    ntb[j] = bs[j]->nterms; at[j] = 0; nfresh += ntb[j];
  }
  ft = (ad_fterm *)ad_malloc(a, ((size_t)nfresh + 1) * sizeof *ft);
  if (!ok || ft == NULL) goto done;
  for (;;) {
    const ad_tord *m = NULL;
    ad_fterm *f;
    for (j = 0; j < nbs; j++)          /* the smallest next term */
      if (at[j] < ntb[j] &&
          (m == NULL || ad_bytecmp(ord[j][at[j]].s, ord[j][at[j]].len, m->s, m->len) < 0))
        m = &ord[j][at[j]];
    if (m == NULL) break;
    f = &ft[nt++];
    f->s = m->s; f->len = m->len;
    for (j = 0; j < nbs; j++) {
      f->bt[j] = NULL;
      if (at[j] < ntb[j] && ad_bytecmp(ord[j][at[j]].s, ord[j][at[j]].len, f->s, f->len) == 0) {
        f->bt[j] = &bs[j]->terms[ord[j][at[j]].t];
        at[j]++;
      }
    }
  }
  x.ft = ft;
  /* the parts' bounds among the fresh terms and old's; verify what the
  ** parts read of old, so that no thread writes to it */
  for (k = 0; k <= AD_NPARTS; k++) osplit[k] = 0;
  fsplit[0] = 0;
  fsplit[AD_NPARTS] = nt; osplit[AD_NPARTS] = ont;
  for (k = 1; k < AD_NPARTS; k++) fsplit[k] = ad_b_ftsplit(ft, fsplit[k - 1], nt, ad_psplit[k - 1]);
  if (up && ad_up_prepare(up, ad_psplit, AD_NPARTS - 1, osplit + 1)) { st = AD_ECORRUPT; goto done; }
  cap = nt + ont;
  terms = (ad_ixterm *)ad_b_sec(ix, AD_SEC_TERMS, (size_t)cap * sizeof(ad_ixterm));
  if (terms == NULL) goto done;
  {    /* the streams' bytes (plus old's lists) bound the output */
    const ad_slab *sl;
    for (j = 0; j < nbs; j++)
      for (sl = bs[j]->slabs; sl; sl = sl->next) total += sl->used;
    if (old) total += old->seclen[AD_SEC_POST] + old->seclen[AD_SEC_POS];
    total += (size_t)cap * 32 + 64;
  }
  threads = threads >= 2 && n >= minpar ? (threads < AD_NPARTS ? threads : AD_NPARTS) : 1;
  {
    uint32_t tstart = 0;
    for (k = 0; k < AD_NPARTS; k++) {
      /* other threads' memory comes from malloc, not from a */
      pt[k].a = (k > 0 && threads > 1) ? &ad_stdalloc : a;
      pt[k].f0 = fsplit[k]; pt[k].f1 = fsplit[k + 1];
      pt[k].o0 = osplit[k]; pt[k].o1 = osplit[k + 1];
      if (pt[k].o1 < pt[k].o0) pt[k].o1 = pt[k].o0;   /* (a crafted old) */
      pt[k].terms = terms + tstart;
      tstart += (pt[k].f1 - pt[k].f0) + (pt[k].o1 - pt[k].o0);
      if (tstart > cap) { st = AD_ECORRUPT; goto done; }
      /* a part's room: up to 3/8 of all (what needs more grows) */
      pt[k].hint = total / AD_NPARTS * 3 + 64;
      if (pt[k].hint > total) pt[k].hint = total;
      pt[k].norm2 = k ? (double *)ad_malloc(pt[k].a, ((size_t)n + 1) * sizeof(double)) : norm2;
      if (pt[k].norm2 == NULL) goto done;
      if (k) memset(pt[k].norm2, 0, ((size_t)n + 1) * sizeof(double));
    }
  }
  {
    pthread_t th[AD_NPARTS];
    ad_encjob job;
    unsigned started = 0, t;
    job.x = &x; job.pt = pt; job.next = 1;
    for (t = 1; t < threads; t++) {
      if (pthread_create(&th[started], NULL, ad_b_encthread, &job) != 0) break;
      started++;
    }
    pt[0].st = ad_b_encpart(&x, &pt[0]);
    ad_b_encparts(&job);
    for (t = 0; t < started; t++) pthread_join(th[t], NULL);
  }
  for (k = 0; k < AD_NPARTS; k++) if (pt[k].st != AD_OK) { st = pt[k].st; goto done; }
  st = AD_ENOMEM;
  /* the builders (streams, term tables) are no longer needed: free them
  ** before the join below copies the parts */
  for (j = 0; j < nbs; j++) {
    if (ord[j]) ad_free(bs[j]->a, ord[j], (size_t)(ntb[j] ? ntb[j] : 1) * sizeof *ord[j]);
    ord[j] = NULL;
    ad_b_free(bs[j]);
  }
  {
    /* join: each part's terms after the previous ones, offsets shifted;
    ** the parts' terms must follow each other (a crafted old could break
    ** it) */
    const ad_ixterm *lastt = NULL;
    const ad_bbuf *lasts = NULL;
    size_t opost = 0, opos = 0, ostr = 0;
    uint32_t nout = 0;
    for (k = 0; k < AD_NPARTS; k++) {
      if (pt[k].nout && lastt) {
        const ad_ixterm *f = &pt[k].terms[0];
        if (ad_bytecmp((const char *)lasts->p + lastt->str, lastt->len,
                       (const char *)pt[k].tstr.p + f->str, f->len) >= 0) {
          st = AD_ECORRUPT; goto done;
        }
      }
      if (pt[k].nout) { lastt = &pt[k].terms[pt[k].nout - 1]; lasts = &pt[k].tstr; }
    }
    for (k = 0; k < AD_NPARTS; k++) {
      for (i = 0; i < pt[k].nout; i++) {
        ad_ixterm t = pt[k].terms[i];
        t.post += (uint32_t)opost; t.pos += (uint32_t)opos; t.str += (uint32_t)ostr;
        terms[nout + i] = t;     /* (nout + i <= its place: parts in order) */
      }
      nout += pt[k].nout;
      opost += pt[k].post.n; opos += pt[k].pos.n; ostr += pt[k].tstr.n;
      if (opost > UINT32_MAX || opos > UINT32_MAX || ostr > UINT32_MAX) goto done;
    }
    ix->m.nterms = nout;
  }
  for (k = 1; k < AD_NPARTS; k++) {
    const double *pn = pt[k].norm2;
    for (i = 0; i < n; i++) norm2[i] += pn[i];
  }
  if (ix->m.nterms < cap) {                   /* shrink TERMS to its size */
    void *np = ad_realloc(a, ix->own[AD_SEC_TERMS], cap ? (size_t)cap * sizeof(ad_ixterm) : 1,
                          ix->m.nterms ? (size_t)ix->m.nterms * sizeof(ad_ixterm) : 1);
    if (np == NULL) goto done;
    ad_b_setsec(ix, AD_SEC_TERMS, np, (size_t)ix->m.nterms * sizeof(ad_ixterm));
  }
  {
    int s;
    int secs[3] = {AD_SEC_POST, AD_SEC_POS, AD_SEC_TSTR};
    for (s = 0; s < 3; s++) {     /* append the other parts to part 0's, shrink, hand over */
      ad_bbuf *b0 = s == 0 ? &pt[0].post : s == 1 ? &pt[0].pos : &pt[0].tstr;
      size_t nn = b0->n, off;
      void *np;
      for (k = 1; k < AD_NPARTS; k++)
        nn += s == 0 ? pt[k].post.n : s == 1 ? pt[k].pos.n : pt[k].tstr.n;
      np = ad_realloc(a, b0->p, b0->cap, nn ? nn : 1);
      if (np == NULL) goto done;
      b0->p = (uint8_t *)np; b0->cap = nn ? nn : 1;
      off = b0->n;
      for (k = 1; k < AD_NPARTS; k++) {
        ad_bbuf *bk = s == 0 ? &pt[k].post : s == 1 ? &pt[k].pos : &pt[k].tstr;
        if (bk->n) memcpy(b0->p + off, bk->p, bk->n);
        off += bk->n;
        ad_bb_free(pt[k].a, bk);
      }
      ad_b_setsec(ix, secs[s], np, nn);
      b0->p = NULL; b0->n = b0->cap = 0;
    }
  }
  st = AD_OK;
done:
  for (k = 0; k < AD_NPARTS; k++) {
    const ad_alloc *pa = pt[k].a;
    if (pa == NULL) continue;
    ad_bb_free(pa, &pt[k].post); ad_bb_free(pa, &pt[k].pos); ad_bb_free(pa, &pt[k].tstr);
    if (pt[k].oent) ad_free(pa, pt[k].oent, (size_t)pt[k].capoent * sizeof(ad_oent));
    if (k && pt[k].norm2) ad_free(pa, pt[k].norm2, ((size_t)n + 1) * sizeof(double));
  }
  for (j = 0; j < nbs; j++)
    if (ord[j]) ad_free(bs[j]->a, ord[j], (size_t)(ntb[j] ? ntb[j] : 1) * sizeof *ord[j]);
  if (ft) ad_free(a, ft, ((size_t)nfresh + 1) * sizeof *ft);
  ad_free(a, nf, ((size_t)n + 1) * AD_NFIELDS * sizeof(float));
  return st;
}
/* }====================================================== */

