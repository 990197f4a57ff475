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
/* The fresh terms of a part: gathered from the builders (ad_b_encode, one
** pass over each builder's terms in the order they were made), then
** sorted and merged by the part itself (ad_b_fterms), on its thread. */
typedef struct ad_fin {         /* a builder's term, as gathered */
  const char *s;
  const ad_tchunk *head;        /* its stream */
  uint32_t len, df, j, pad;     /* j: the builder */
} ad_fin;
typedef struct ad_fkey { uint64_t key; uint32_t i, pad; } ad_fkey;  /* i: in ad_fin */
/* a stream of a fresh term in one builder: its chunks chl[c0 .. c0 + nch)
** (ad_b_fchunks) */
typedef struct ad_fstream { const ad_tchunk *head; uint32_t df, c0, nch, pad; } ad_fstream;
/* a fresh term: its streams str[s0 .. s0 + ns), the builders in doc order */
typedef struct ad_fterm { const char *s; uint32_t len, df, s0, ns; } ad_fterm;

/* the first 8 bytes of a term, big-endian, zero-padded: keys that differ
** order as ad_bytecmp orders their terms (equal keys tell nothing) */
static uint64_t ad_b_key8(const char *s, uint32_t n) {
  uint64_t k = 0;
  uint32_t i;
  if (n >= 8) { memcpy(&k, s, 8); return __builtin_bswap64(k); }
  for (i = 0; i < 8; i++) k = k << 8 | (i < n ? (unsigned char)s[i] : 0u);
  return k;
}

/* by the terms' bytes, then builder */
static int ad_b_fincmp(const ad_fin *fin, const ad_fkey *x, const ad_fkey *y) {
  const ad_fin *a = &fin[x->i], *b = &fin[y->i];
  int c = ad_bytecmp(a->s, a->len, b->s, b->len);
  return c ? c : (a->j < b->j ? -1 : a->j > b->j);
}

/* sort v[0 .. n) of equal keys by ad_b_fincmp (tmp: n more) */
static void ad_b_tiesort(ad_fkey *v, ad_fkey *tmp, uint32_t n, const ad_fin *fin) {
  uint32_t h, i, j, k;
  if (n <= 16) {
    for (i = 1; i < n; i++) {
      ad_fkey e = v[i];
      for (j = i; j > 0 && ad_b_fincmp(fin, &e, &v[j - 1]) < 0; j--) v[j] = v[j - 1];
      v[j] = e;
    }
    return;
  }
  h = n / 2;
  ad_b_tiesort(v, tmp, h, fin);
  ad_b_tiesort(v + h, tmp, n - h, fin);
  for (i = 0, j = h, k = 0; i < h && j < n; )
    tmp[k++] = ad_b_fincmp(fin, &v[j], &v[i]) < 0 ? v[j++] : v[i++];
  while (i < h) tmp[k++] = v[i++];
  while (j < n) tmp[k++] = v[j++];
  memcpy(v, tmp, (size_t)n * sizeof *v);
}

/* sort v[0 .. n) by term, then builder: a radix sort of the keys (a byte
** all keys share is skipped), then the runs of equal keys by their bytes */
static void ad_b_fsort(ad_fkey *v, ad_fkey *tmp, uint32_t n, const ad_fin *fin) {
  uint32_t cnt[8][256], i, b, a;
  ad_fkey *src = v, *dst = tmp, *sw;
  if (n < 2) return;
  memset(cnt, 0, sizeof cnt);
  for (i = 0; i < n; i++)
    for (b = 0; b < 8; b++) cnt[b][(v[i].key >> (8 * b)) & 255]++;
  for (b = 0; b < 8; b++) {
    uint32_t sum = 0, c, *cb = cnt[b];
    if (cb[(v[0].key >> (8 * b)) & 255] == n) continue;
    for (c = 0; c < 256; c++) { uint32_t t = cb[c]; cb[c] = sum; sum += t; }
    for (i = 0; i < n; i++) dst[cb[(src[i].key >> (8 * b)) & 255]++] = src[i];
    sw = src; src = dst; dst = sw;
  }
  if (src != v) memcpy(v, src, (size_t)n * sizeof *v);
  for (a = 0; a < n; a = b) {
    for (b = a + 1; b < n && v[b].key == v[a].key; b++) {}
    if (b - a > 1) ad_b_tiesort(v + a, tmp, b - a, fin);
  }
}

/* Encoding shares: the gathered fresh terms, streams and old index (read
** only) */
typedef struct ad_encctx {
  ad_ix *ix, *old;              /* old: up->old, or NULL */
  const ad_upd *up;
  const ad_fin *fin;
  const ad_ixdoc *docs;
  const float *nf;
  uint32_t n;                   /* docs */
  double logtab[64];
} ad_encctx;

/* One part of the terms (by first byte: see ad_psplit), encoded on its own:
** fresh terms fin[g0 .. g1) (each builder's share of a term apart), old
** terms [o0 .. o1); its own buffers, terms array and tf-idf norm sums
** (norm2: zeroed by the part, but part 0's). */
typedef struct ad_encpart {
  const ad_alloc *a;
  uint32_t g0, g1, o0, o1;
  ad_bbuf post, pos, tstr;
  ad_ixterm *terms; uint32_t nout;
  double *norm2;
  int zeronorm;             /* norm2 to be zeroed (on the part's thread) */
  ad_oent *oent; uint32_t capoent;
  size_t hint;              /* an upper bound of its POST or POS bytes */
  uint64_t weight;          /* postings, to hand out the big parts first */
  int st;
} ad_encpart;

/* room for extra more bytes in b (the common case inline) */
#define AD_ROOM(a, b, extra) ((b)->n + (extra) <= (b)->cap ? AD_OK : ad_bb_reserve((a), (b), (extra)))

/* The part's fresh terms, sorted and merged: (*pft)[0 .. *nft) and their
** streams *pstr (freed by the caller, *pft and *pstr set even on failure) */
__attribute__((noinline)) static int ad_b_fterms(const ad_encctx *x, const ad_encpart *pt, ad_fterm **pft,
                       ad_fstream **pstr, uint32_t *nft) {
  const ad_alloc *a = pt->a;
  const ad_fin *fin = x->fin;
  uint32_t n = pt->g1 - pt->g0, i, b, nf = 0, ns = 0;
  ad_fkey *v, *tmp;
  ad_fterm *ft;
  ad_fstream *str;
  *pft = ft = (ad_fterm *)ad_malloc(a, (size_t)(n ? n : 1) * sizeof *ft);
  *pstr = str = (ad_fstream *)ad_malloc(a, (size_t)(n ? n : 1) * sizeof *str);
  *nft = 0;
  v = (ad_fkey *)ad_malloc(a, (size_t)(n ? n : 1) * 2 * sizeof *v);
  if (ft == NULL || str == NULL || v == NULL) {
    if (v) ad_free(a, v, (size_t)(n ? n : 1) * 2 * sizeof *v);
    return AD_ENOMEM;
  }
  tmp = v + n;
  for (i = 0; i < n; i++) {
    const ad_fin *e = &fin[pt->g0 + i];
    v[i].key = ad_b_key8(e->s, e->len); v[i].i = pt->g0 + i; v[i].pad = 0;
  }
  ad_b_fsort(v, tmp, n, fin);
  for (i = 0; i < n; i = b) {
    const ad_fin *e = &fin[v[i].i];
    ad_fterm *f = &ft[nf++];
    f->s = e->s; f->len = e->len; f->df = 0; f->s0 = ns;
    b = i;
    do {
      const ad_fin *g = &fin[v[b].i];
      str[ns].head = g->head; str[ns].df = g->df;
      str[ns].c0 = str[ns].nch = str[ns].pad = 0; ns++;
      f->df += g->df;
      b++;
    } while (b < n && v[b].key == v[i].key && fin[v[b].i].len == e->len &&
             (e->len <= 8 || memcmp(fin[v[b].i].s + 8, e->s + 8, e->len - 8) == 0));
    f->ns = ns - f->s0;
  }
  *nft = nf;
  ad_free(a, v, (size_t)(n ? n : 1) * 2 * sizeof *v);
  return AD_OK;
}

/* The chunks of streams str[0 .. ns), in the order the encoding reads
** them: *pchl (*nchl of them; str[s].c0, .nch set). A stream's chunks are
** a chain scattered in the slabs, one cache miss each, most of them small
** (16 bytes, then 1.5x), read faster than the next one comes: the chains
** are followed AD_WALK at a time (their misses overlap), so that the
** encoding can ask for the chunks it reads well ahead. A chain is cut at
** its df chunks (each chunk holds a posting; the encoding then finds the
** stream short). */
#define AD_WALK 16
typedef struct ad_fvisit { const ad_tchunk *c; uint32_t s, pad; } ad_fvisit;
static int ad_b_fchunks(const ad_alloc *a, ad_fstream *str, uint32_t ns,
                        const ad_tchunk ***pchl, size_t *nchl) {
  const ad_tchunk *cur[AD_WALK];
  uint32_t cs[AD_WALK], next = 0, active = 0, w, s;
  size_t nv = 0, capv = (size_t)ns + ns / 2 + 16, at;
  ad_fvisit *v = (ad_fvisit *)ad_malloc(a, capv * sizeof *v);
  const ad_tchunk **chl;
  *pchl = NULL; *nchl = 0;
  if (v == NULL) return AD_ENOMEM;
  for (w = 0; w < AD_WALK; w++) cur[w] = NULL;
  for (;;) {
    for (w = 0; w < AD_WALK; w++) {
      const ad_tchunk *c = cur[w];
      if (c == NULL) {            /* the next stream with a chunk */
        while (next < ns && str[next].head == NULL) next++;
        if (next >= ns) continue;
        c = str[next].head; cs[w] = next++; active++;
        __builtin_prefetch(c, 0, 3);
        cur[w] = c;
        continue;                 /* (read next round: it is on its way) */
      }
      if (nv == capv) {
        size_t nc = capv * 2;
        ad_fvisit *nvp = (ad_fvisit *)ad_realloc(a, v, capv * sizeof *v, nc * sizeof *v);
        if (nvp == NULL) { ad_free(a, v, capv * sizeof *v); return AD_ENOMEM; }
        v = nvp; capv = nc;
      }
      s = cs[w];
      v[nv].c = c; v[nv].s = s; v[nv].pad = 0; nv++;
      c = ++str[s].nch < str[s].df ? c->next : NULL;
      if (c) __builtin_prefetch(c, 0, 3);
      else active--;
      cur[w] = c;
    }
    if (active == 0 && next >= ns) break;
  }
  chl = (const ad_tchunk **)ad_malloc(a, (nv ? nv : 1) * sizeof *chl);
  if (chl == NULL) { ad_free(a, v, capv * sizeof *v); return AD_ENOMEM; }
  for (s = 0, at = 0; s < ns; s++) {
    str[s].c0 = (uint32_t)at; at += str[s].nch; str[s].nch = 0;
  }
  for (at = 0; at < nv; at++) {     /* (a stream's chunks visited in order) */
    ad_fstream *f = &str[v[at].s];
    chl[f->c0 + f->nch++] = v[at].c;
  }
  ad_free(a, v, capv * sizeof *v);
  *pchl = chl; *nchl = nv;
  return AD_OK;
}
/* chunks asked for ahead of the one the encoding enters */
#define AD_CHUNK_AHEAD 12

static int ad_b_encpart(const ad_encctx *x, ad_encpart *pt) {
  const ad_alloc *a = pt->a;
  ad_fterm *ft = NULL;
  ad_fstream *str = NULL;
  const ad_tchunk **chl = NULL;
  size_t nchl = 0;
  ad_ix *old = x->old;
  const ad_ixdoc *docs = x->docs;
  const float *nf = x->nf;
  const double *logtab = x->logtab;
  /* BM25F saturation tfw / (k1 + tfw): with k1 = 0 (a valid parameter) a
  ** posting without weight (pseudo terms, zero field weights) would be
  ** 0 / 0; the smallest positive double in its place gives 0 there and
  ** exactly 1 for any tfw > 0 (tfw >= the smallest float), as k1 = 0 does */
  const double k1 = x->ix->m.p.k1 > 0 ? x->ix->m.p.k1 : DBL_MIN;
  uint32_t i, oi, n = x->n, nft = 0;
  const char *prevs = NULL;
  uint32_t prevlen = 0;
  int st = AD_ENOMEM;
  ad_bbuf post = pt->post, pos = pt->pos, tstr = pt->tstr;
  if (pt->zeronorm) memset(pt->norm2, 0, ((size_t)n + 1) * sizeof(double));
  st = ad_b_fterms(x, pt, &ft, &str, &nft);
  if (st == AD_OK && nft) st = ad_b_fchunks(a, str, ft[nft - 1].s0 + ft[nft - 1].ns, &chl, &nchl);
  if (st != AD_OK) goto done;
  {
    size_t c;
    for (c = 0; c < nchl && c < AD_CHUNK_AHEAD; c++) __builtin_prefetch(chl[c], 0, 3);
  }
  st = AD_ENOMEM;
  /* room for the part at once (untouched room costs nothing): no copies */
  if (ad_bb_reserve(a, &post, pt->hint) || ad_bb_reserve(a, &pos, pt->hint)) goto done;
  for (i = 0, oi = pt->o0; i < nft || oi < pt->o1; ) {
    ad_fterm *fr = NULL;
    const ad_ixterm *ot = NULL;
    const ad_fstream *sp = NULL;
    const char *ts;
    uint32_t tlen, on = 0, df, sleft, sdoc = 0, sbase = 0, ok = 0, cleft = 0, nsp = 0;
    uint32_t ci = 0, ce = 0;
    int cb = -1;
    ad_ixterm *t;
    const ad_tchunk *ch;
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
    if (i < nft) {
      int cmp = ot ? ad_bytecmp(ft[i].s, ft[i].len, ad_ix_termstr(old, ot), ot->len) : -1;
      if (cmp <= 0) fr = &ft[i];
      if (cmp < 0) ot = NULL;
    }
    if (fr) {
      ts = fr->s; tlen = fr->len; i++;
      sleft = fr->df; sp = str + fr->s0; nsp = fr->ns;
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
    if (AD_ROOM(a, &tstr, tlen)) goto done;   /* (old's terms may overlap) */
    memcpy(tstr.p + tstr.n, ts, tlen);
    t->str = (uint32_t)tstr.n; t->len = tlen; tstr.n += tlen;
    t->df = df;
    t->pos = (uint32_t)pos.n;
    if (AD_ROOM(a, &post, (size_t)nb * sizeof(ad_ixskip))) goto done;
    listart = post.n; skipat = post.n;
    t->post = (uint32_t)listart;
    post.n += (size_t)nb * sizeof(ad_ixskip);
    t->maximp = 0;
    /* the next posting of the streams (entering chunk ci, chunk ci +
    ** AD_CHUNK_AHEAD is asked for) */
#define AD_ENTER() do { \
      ch = chl[ci]; q = ch->data; qe = ch->data + ch->used; \
      if (ci + AD_CHUNK_AHEAD < nchl) __builtin_prefetch(chl[ci + AD_CHUNK_AHEAD], 0, 3); \
    } while (0)
#define AD_PEEK() do { \
      if (sleft) { \
        while (cleft == 0) {   /* the next builder's stream */ \
          if (++cb >= (int)nsp) { st = AD_EFORMAT; goto done; } \
          ci = sp[cb].c0; ce = ci + sp[cb].nch; cleft = sp[cb].df; sbase = 0; \
          if (ci < ce) AD_ENTER(); else { ch = NULL; q = qe = NULL; } } \
        if (q == qe) { \
          if (ch == NULL || ++ci >= ce) { st = AD_EFORMAT; goto done; } \
          AD_ENTER(); } \
        sdoc = sbase + ad_varint_get(&q, qe, &bad); } } while (0)
    AD_PEEK();
    for (blk = 0; blk < nb; blk++) {
      uint32_t cnt = df - blk * AD_BLOCK, bd[AD_BLOCK], bnpm[AD_BLOCK];
      uint32_t btf[AD_BLOCK][AD_NFIELDS];
      const uint8_t *bps[AD_BLOCK], *bpz[AD_BLOCK];
      uint8_t bimp[AD_BLOCK], bkept[AD_BLOCK];
      uint32_t prevdoc = doc, mx = 0;
      size_t pbytes = 0;
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
        uint32_t *tf = btf[k], np = 0, f, mask = 0;
        if (sleft && (ok == on || sdoc < pt->oent[ok].doc)) {
          doc = sdoc;
          mask = q < qe ? *q++ : (bad = 1, 0);
          if (bad || doc >= n) { st = AD_EFORMAT; goto done; }
          for (f = 0; f < AD_NFIELDS; f++) {
            tf[f] = (mask >> f) & 1 ? ad_varint_get(&q, qe, &bad) : 0;
            np += tf[f];
          }
          bps[k] = q;
          {      /* past np varints: np bytes without the high bit */
            uint32_t left = np;
            while (left && q < qe) left -= !(*q++ & 0x80);
            if (left) bad = 1;
          }
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
        pbytes += (size_t)(bpz[k] - bps[k]);
        bd[k] = doc;
        bnpm[k] = (np << 4) | mask;
        doc++;
      }
      if (AD_ROOM(a, &pos, pbytes)) goto done;
      for (k = 0; k < cnt; k++) {
        uint32_t *tf = btf[k], f, d = bd[k];
        const uint8_t *ps = bps[k], *pz = bpz[k];
        double tfw = 0, imp;
        if (bkept[k] && ad_up_fieldtf(bnpm[k] & 15, bnpm[k] >> 4, ps, pz, docs[d].fstart, tf)) {
          st = ad_ix_corrupt(old, AD_BAD_DOC, x->up->dold[d]); goto done;
        }
        for (f = 0; f < AD_NFIELDS; f++)
          if (tf[f]) tfw += tf[f] * nf[(size_t)d * AD_NFIELDS + f];
        {        /* the positions (mostly a few bytes) */
          size_t pl = (size_t)(pz - ps);
          uint8_t *w = pos.p + pos.n;
          if (pl <= 8) { while (ps < pz) *w++ = *ps++; }
          else memcpy(w, ps, pl);
          pos.n += pl;
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
      if (AD_ROOM(a, &post, (size_t)cnt * 11)) goto done;
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
#undef AD_ENTER
    if (sleft || ok != on) { st = AD_EFORMAT; goto done; }
    t->postlen = (uint32_t)(post.n - listart);
    t->poslen = (uint32_t)(pos.n - t->pos);
    /* keep the 4-byte alignment of the next skip table */
    if (AD_ROOM(a, &post, 4)) goto done;
    while (post.n & 3) post.p[post.n++] = 0;
  }
  st = AD_OK;
done:
  pt->post = post; pt->pos = pos; pt->tstr = tstr;
  {
    uint32_t nn = pt->g1 - pt->g0 ? pt->g1 - pt->g0 : 1;
    if (ft) ad_free(a, ft, (size_t)nn * sizeof *ft);
    if (str) ad_free(a, str, (size_t)nn * sizeof *str);
    if (chl) ad_free(a, chl, (nchl ? nchl : 1) * sizeof *chl);
  }
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

/* The encoding's threads: parts handed out in order[] (part 0 always on
** the calling thread, first, with the index's allocator: its buffers
** become the sections; the others biggest first). */
typedef struct ad_encjob {
  const ad_encctx *x;
  ad_encpart *pt;
  uint32_t order[AD_NPARTS - 1];
  uint32_t next;              /* the next of order[] to encode (atomic) */
} ad_encjob;

static void ad_b_encparts(ad_encjob *j) {
  for (;;) {
    uint32_t k = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
    if (k >= AD_NPARTS - 1) break;
    k = j->order[k];
    j->pt[k].st = ad_b_encpart(j->x, &j->pt[k]);
  }
}

static void *ad_b_encthread(void *ud) {
  ad_b_encparts((ad_encjob *)ud);
  return NULL;
}

/* The join's copies of the parts' bytes into the sections, cut into equal
** slices for the threads */
typedef struct ad_ctask { uint8_t *d; const uint8_t *s; size_t n; } ad_ctask;
typedef struct ad_cslice { const ad_ctask *task; uint32_t ntask; size_t from, to; } ad_cslice;

static void *ad_b_copyslice(void *ud) {
  const ad_cslice *c = (const ad_cslice *)ud;
  size_t at = 0;
  uint32_t i;
  for (i = 0; i < c->ntask && at < c->to; at += c->task[i].n, i++) {
    size_t a0 = c->from > at ? c->from - at : 0;
    size_t a1 = c->to - at < c->task[i].n ? c->to - at : c->task[i].n;
    if (a1 > a0) memcpy(c->task[i].d + a0, c->task[i].s + a0, a1 - a0);
  }
  return NULL;
}

/* (ad_build.h) */
int ad_b_encode(ad_ix *ix, ad_ixb *const *bs, uint32_t nbs, ad_ixdoc *docs,
                double *norm2, const ad_upd *up,
                unsigned threads, uint32_t minpar) {
  const ad_alloc *a = bs[0]->a;
  ad_fin *fin = NULL;
  ad_ixterm *terms = NULL;
  double *pnorm = NULL;
  ad_ix *old = up ? up->old : NULL;
  uint32_t i, j, n = ix->m.ndocs, ont = old ? old->m.nterms : 0, nfresh = 0;
  uint32_t gsplit[AD_NPARTS + 1], osplit[AD_NPARTS + 1], cap = 0;
  const ad_ixparams *p = &ix->m.p;
  int st = AD_ENOMEM, k;
  float *nf;
  ad_encctx x;
  ad_encpart pt[AD_NPARTS];
  unsigned char pk[256];
  size_t total = 0;
  if (nbs == 0 || nbs > AD_MAXPAR) return AD_EFORMAT;
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
  x.ix = ix; x.old = old; x.up = up; x.docs = docs; x.nf = nf; x.n = n;
  for (i = 1; i < 64; i++) x.logtab[i] = log((double)i);
  x.logtab[0] = 0;
  /* the builders' terms gathered by part (pk: the part of a first byte;
  ** an empty term in part 0), each builder's in turn: the parts sort and
  ** merge them */
  for (i = 0, k = 0; i < 256; i++) {
    while (k < AD_NPARTS - 1 && i >= ad_psplit[k]) k++;
    pk[i] = (unsigned char)k;
  }
  {
    uint32_t at[AD_NPARTS];
    for (k = 0; k < AD_NPARTS; k++) at[k] = 0;
    for (j = 0; j < nbs; j++) {
      const ad_ixb *b = bs[j];
      for (i = 0; i < b->nterms; i++) {
        const ad_bterm *bt = &b->terms[i];
        at[bt->len ? pk[b->tstr.p[bt->str]] : 0]++;
      }
      nfresh += b->nterms;
    }
    fin = (ad_fin *)ad_malloc(a, ((size_t)nfresh + 1) * sizeof *fin);
    if (fin == NULL) goto done;
    for (k = 0, i = 0; k < AD_NPARTS; k++) { uint32_t c = at[k]; gsplit[k] = at[k] = i; i += c; }
    gsplit[AD_NPARTS] = nfresh;
    for (j = 0; j < nbs; j++) {
      const ad_ixb *b = bs[j];
      for (i = 0; i < b->nterms; i++) {
        ad_bterm *bt = &b->terms[i];
        int kk = bt->len ? pk[b->tstr.p[bt->str]] : 0;
        ad_fin *e = &fin[at[kk]++];
        if (bt->tail) bt->tail->used = (uint32_t)(bt->wp - bt->tail->data);
        e->s = (const char *)b->tstr.p + bt->str; e->len = bt->len;
        e->head = bt->head; e->df = bt->df; e->j = j; e->pad = 0;
        pt[kk].weight += bt->df;
      }
    }
  }
  x.fin = fin;
  /* the parts' bounds among old's terms; verify what the parts read of
  ** old, so that no thread writes to it */
  for (k = 0; k <= AD_NPARTS; k++) osplit[k] = 0;
  osplit[AD_NPARTS] = ont;
  if (up && ad_up_prepare(up, ad_psplit, AD_NPARTS - 1, osplit + 1)) { st = AD_ECORRUPT; goto done; }
  /* the parts' terms: room for every builder's terms and old's (TERMS
  ** is made of them at the join, after the builders are freed: made now,
  ** a section kept after the build would sit above their memory in the
  ** heap and keep it from being given back); each entry is written
  ** before it is read, so it is not zeroed */
  cap = nfresh + ont;
  if (cap < nfresh) { st = AD_ECORRUPT; goto done; }
  terms = (ad_ixterm *)ad_malloc(a, (size_t)(cap ? cap : 1) * sizeof(ad_ixterm));
  if (terms == NULL) goto done;
  /* the norm sums of parts 1.. in one block: big enough to be mapped
  ** apart from the heap (one array a part, made among the parts'
  ** smaller buffers, sat above the builders' memory in the heap and kept
  ** it from being given back); each part zeroes its own on its thread */
  pnorm = (double *)ad_malloc(a, ((size_t)n + 1) * (AD_NPARTS - 1) * sizeof(double));
  if (pnorm == NULL) goto done;
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
      pt[k].g0 = gsplit[k]; pt[k].g1 = gsplit[k + 1];
      pt[k].o0 = osplit[k]; pt[k].o1 = osplit[k + 1];
      if (pt[k].o1 < pt[k].o0) pt[k].o1 = pt[k].o0;   /* (a crafted old) */
      pt[k].terms = terms + tstart;
      tstart += (pt[k].g1 - pt[k].g0) + (pt[k].o1 - pt[k].o0);
      if (tstart > cap) { st = AD_ECORRUPT; goto done; }
      pt[k].weight += pt[k].o1 - pt[k].o0;
      /* a part's room: up to 3/8 of all (what needs more grows) */
      pt[k].hint = total / AD_NPARTS * 3 + 64;
      if (pt[k].hint > total) pt[k].hint = total;
      pt[k].norm2 = k ? pnorm + ((size_t)n + 1) * (size_t)(k - 1) : norm2;
      pt[k].zeronorm = k > 0;
    }
  }
  {
    pthread_t th[AD_NPARTS];
    ad_encjob job;
    unsigned started = 0, t;
    uint32_t m;
    job.x = &x; job.pt = pt; job.next = 0;
    for (m = 0; m < AD_NPARTS - 1; m++) {    /* parts 1.., biggest first */
      uint32_t e = m + 1, r = m;
      while (r > 0 && pt[job.order[r - 1]].weight < pt[e].weight) {
        job.order[r] = job.order[r - 1]; r--;
      }
      job.order[r] = e;
    }
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
  ad_free(a, fin, ((size_t)nfresh + 1) * sizeof *fin);
  fin = NULL;
  for (j = 0; j < nbs; j++) ad_b_free(bs[j]);
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
    for (k = 0; k < AD_NPARTS; k++) nout += pt[k].nout;   /* (<= cap) */
    ix->m.nterms = nout;
    {
      ad_ixterm *tt = (ad_ixterm *)ad_malloc(a, nout ? (size_t)nout * sizeof(ad_ixterm) : 1);
      if (tt == NULL) goto done;
      if ((size_t)nout * sizeof(ad_ixterm) >= ((size_t)4 << 20)) ad_b_huge(tt, (size_t)nout * sizeof(ad_ixterm));
      ad_b_setsec(ix, AD_SEC_TERMS, tt, (size_t)nout * sizeof(ad_ixterm));
      for (nout = 0, k = 0; k < AD_NPARTS; k++) {
        for (i = 0; i < pt[k].nout; i++) {
          ad_ixterm t = pt[k].terms[i];
          t.post += (uint32_t)opost; t.pos += (uint32_t)opos; t.str += (uint32_t)ostr;
          tt[nout + i] = t;
        }
        nout += pt[k].nout;
        opost += pt[k].post.n; opos += pt[k].pos.n; ostr += pt[k].tstr.n;
        if (opost > UINT32_MAX || opos > UINT32_MAX || ostr > UINT32_MAX) goto done;
      }
    }
    ad_free(a, terms, (size_t)(cap ? cap : 1) * sizeof(ad_ixterm));
    terms = NULL;
  }
  for (k = 1; k < AD_NPARTS; k++) {
    const double *pn = pt[k].norm2;
    for (i = 0; i < n; i++) norm2[i] += pn[i];
  }
  ad_free(a, pnorm, ((size_t)n + 1) * (AD_NPARTS - 1) * sizeof(double));
  pnorm = NULL;
  for (k = 1; k < AD_NPARTS; k++) pt[k].norm2 = NULL;
  {
    /* the other parts' bytes go after part 0's, a section at a time (the
    ** parts' buffers of a section freed once it is made: at most one
    ** section's bytes are there twice) */
    int s;
    static const int secs[3] = {AD_SEC_TSTR, AD_SEC_POST, AD_SEC_POS};
    for (s = 0; s < 3; s++) {
      ad_bbuf *b0 = s == 0 ? &pt[0].tstr : s == 1 ? &pt[0].post : &pt[0].pos;
      ad_ctask task[AD_NPARTS];
      ad_cslice sl[AD_NPARTS];
      pthread_t th[AD_NPARTS];
      uint32_t ntask = 0;
      size_t ctotal = 0, nn = b0->n, off;
      unsigned nsl, t, started[AD_NPARTS];
      void *np;
      for (k = 1; k < AD_NPARTS; k++)
        nn += s == 0 ? pt[k].tstr.n : s == 1 ? pt[k].post.n : pt[k].pos.n;
      np = ad_realloc(a, b0->p, b0->cap, nn ? nn : 1);
      if (np == NULL) goto done;
      b0->p = (uint8_t *)np; b0->cap = nn ? nn : 1;
      off = b0->n;
      for (k = 1; k < AD_NPARTS; k++) {
        const ad_bbuf *bk = s == 0 ? &pt[k].tstr : s == 1 ? &pt[k].post : &pt[k].pos;
        if (bk->n) {
          task[ntask].d = b0->p + off; task[ntask].s = bk->p; task[ntask].n = bk->n;
          ntask++; ctotal += bk->n;
        }
        off += bk->n;
      }
      /* (a copy in several threads from 4 MiB each: faulting in fresh
      ** pages costs as much as the copy) */
      nsl = ctotal >= ((size_t)4 << 20) * threads ? threads : 1;
      for (t = 0; t < nsl; t++) {
        sl[t].task = task; sl[t].ntask = ntask;
        sl[t].from = ctotal / nsl * t; sl[t].to = t + 1 == nsl ? ctotal : ctotal / nsl * (t + 1);
        started[t] = 0;
      }
      for (t = 1; t < nsl; t++)
        started[t] = pthread_create(&th[t], NULL, ad_b_copyslice, &sl[t]) == 0;
      ad_b_copyslice(&sl[0]);
      for (t = 1; t < nsl; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else ad_b_copyslice(&sl[t]);
      }
      for (k = 1; k < AD_NPARTS; k++) {     /* hand over */
        ad_bbuf *bk = s == 0 ? &pt[k].tstr : s == 1 ? &pt[k].post : &pt[k].pos;
        b0->n += bk->n;
        ad_bb_free(pt[k].a, bk);
      }
      ad_b_setsec(ix, secs[s], b0->p, b0->n);
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
  }
  if (pnorm) ad_free(a, pnorm, ((size_t)n + 1) * (AD_NPARTS - 1) * sizeof(double));
  if (terms) ad_free(a, terms, (size_t)(cap ? cap : 1) * sizeof(ad_ixterm));
  if (fin) ad_free(a, fin, ((size_t)nfresh + 1) * sizeof *fin);
  ad_free(a, nf, ((size_t)n + 1) * AD_NFIELDS * sizeof(float));
  return st;
}
/* }====================================================== */
