/*
** ad_similar.c: "similar papers" (tf-idf cosine over title and abstract,
** the arxiv-sanity approach). Pure C.
**
** similar(): the text is tokenized like the index; each distinct term gets
** the weight (1 + ln tf) * idf with idf = ln((N + 1) / (df + 1)) + 1; the
** AD_SIM_TERMS strongest terms are looked up and their postings accumulate
** q_t * w_td into per-doc accumulators (w_td from the term's tf in title +
** abstract, read from positions only when the doc also has the term in
** another field). Scores are divided by both norms (the docs' norms were
** computed over all their title+abstract terms at build time).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ad_index.h"
#include "ad_token.h"
#include "ad_topk.h"

#define AD_SIM_TERMS 40

typedef struct ad_sterm { const char *s; uint32_t len; uint32_t tf; double w; } ad_sterm;

static int ad_sterm_cmp(const void *x, const void *y) {
  const ad_sterm *a = (const ad_sterm *)x, *b = (const ad_sterm *)y;
  return ad_bytecmp(a->s, a->len, b->s, b->len);
}

static int ad_sterm_wcmp(const void *x, const void *y) {
  const ad_sterm *a = (const ad_sterm *)x, *b = (const ad_sterm *)y;
  if (a->w != b->w) return a->w > b->w ? -1 : 1;
  return ad_sterm_cmp(x, y);
}

int ad_similar(ad_ix *ix, const char *text, size_t n, uint32_t self,
               uint32_t k, ad_hit *out, uint32_t *nout) {
  const ad_alloc *a = &ix->a;
  ad_tokenizer tz;
  ad_tok tk;
  ad_sterm *v = NULL;
  char *store = NULL;
  float *acc = NULL;
  uint32_t *touched = NULL, ntouched = 0, nv = 0, capv = 0, nu = 0, i, nd = ix->m.ndocs;
  size_t storen = 0, storecap = n * 2 + 16;
  double qn = 0;
  int st = AD_ENOMEM;
  *nout = 0;
  if (nd == 0 || k == 0) return AD_OK;
  /* tokens (compounds included, as in the index) */
  store = (char *)ad_malloc(a, storecap);
  if (store == NULL) goto done;
  ad_tok_init(&tz, text, n);
  while (ad_tok_next(&tz, &tk)) {
    if (storen + tk.len > storecap) break;
    if (nv == capv && ad_grow(a, (void **)&v, &capv, nv + 1, sizeof *v)) goto done;
    memcpy(store + storen, tk.s, tk.len);
    v[nv].s = store + storen; v[nv].len = tk.len; v[nv].tf = 1; v[nv].w = 0;
    storen += tk.len; nv++;
  }
  if (nv == 0) { st = AD_OK; goto done; }
  qsort(v, nv, sizeof *v, ad_sterm_cmp);
  for (i = 0; i < nv; i++) {           /* count runs, weight them */
    if (nu > 0 && ad_sterm_cmp(&v[nu - 1], &v[i]) == 0) { v[nu - 1].tf++; continue; }
    v[nu++] = v[i];
  }
  for (i = 0; i < nu; i++) {
    int err = 0;
    int64_t tn = ad_ix_find(ix, v[i].s, v[i].len, &err);
    const ad_ixterm *t;
    if (err) { st = err; goto done; }
    if (tn < 0) { v[i].w = 0; continue; }
    t = ad_ix_term(ix, (uint32_t)tn);
    if (t == NULL) { st = AD_ECORRUPT; goto done; }
    v[i].w = (1 + log((double)v[i].tf)) * (log((double)(nd + 1) / (t->df + 1)) + 1);
    qn += v[i].w * v[i].w;
  }
  qn = sqrt(qn);
  if (qn == 0) { st = AD_OK; goto done; }
  qsort(v, nu, sizeof *v, ad_sterm_wcmp);
  if (nu > AD_SIM_TERMS) nu = AD_SIM_TERMS;
  acc = (float *)ad_malloc(a, (size_t)nd * sizeof(float));
  touched = (uint32_t *)ad_malloc(a, (size_t)nd * 4);
  if (!acc || !touched) goto done;
  memset(acc, 0, (size_t)nd * sizeof(float));
  for (i = 0; i < nu; i++) {
    int err = 0, bad = 0;
    int64_t tn;
    const ad_ixterm *t;
    uint32_t b, nb, doc = 0, j;
    const uint8_t *list, *lend, *pbase, *pend;
    double idfs;
    if (v[i].w == 0) continue;
    tn = ad_ix_find(ix, v[i].s, v[i].len, &err);
    if (err || tn < 0) continue;
    t = ad_ix_term(ix, (uint32_t)tn);
    if (t == NULL) { st = AD_ECORRUPT; goto done; }
    idfs = log((double)(nd + 1) / (t->df + 1)) + 1;
    list = ix->sec[AD_SEC_POST] + t->post; lend = list + t->postlen;
    pbase = ix->sec[AD_SEC_POS] + t->pos; pend = pbase + t->poslen;
    nb = (t->df + AD_BLOCK - 1) / AD_BLOCK;
    for (b = 0; b < nb; b++) {
      ad_ixskip sk;
      uint32_t cnt = b + 1 < nb ? AD_BLOCK : t->df - b * AD_BLOCK;
      uint32_t docs[AD_BLOCK], npm[AD_BLOCK];
      const uint8_t *p, *pp;
      memcpy(&sk, list + (size_t)b * sizeof sk, sizeof sk);
      if (sk.off > t->postlen || sk.posoff > t->poslen) { st = AD_ECORRUPT; goto done; }
      p = list + sk.off; pp = pbase + sk.posoff;
      for (j = 0; j < cnt; j++) {
        doc += ad_varint_get(&p, lend, &bad);
        if (doc >= nd) bad = 1;
        docs[j] = doc++;
      }
      if (bad || (size_t)(lend - p) < cnt) { st = AD_ECORRUPT; goto done; }
      {
        const uint8_t *imp = p;         /* impact bytes, bit 0: default npm */
        p += cnt;
        for (j = 0; j < cnt; j++)
          npm[j] = (imp[j] & 1) ? AD_NPM_DEFAULT : ad_varint_get(&p, lend, &bad);
      }
      if (bad) { st = AD_ECORRUPT; goto done; }
      for (j = 0; j < cnt; j++) {
        uint32_t np = npm[j] >> 4, mask = npm[j] & 15, tf = 0, q, pos = 0;
        if (mask & 3) {
          if (!(mask & 12)) { tf = np; for (q = 0; q < np; q++) (void)ad_varint_get(&pp, pend, &bad); }
          else {
            const ad_ixdoc *d = ad_ix_doc(ix, docs[j]);
            if (d == NULL) { st = AD_ECORRUPT; goto done; }
            for (q = 0; q < np; q++) {
              pos += ad_varint_get(&pp, pend, &bad);
              if (pos < d->fstart[AD_F_AUTHORS]) tf++;
            }
          }
        } else for (q = 0; q < np; q++) (void)ad_varint_get(&pp, pend, &bad);
        if (bad) { st = AD_ECORRUPT; goto done; }
        if (tf && docs[j] != self) {
          uint32_t d = docs[j];
          float w = (float)(v[i].w * (1 + log((double)tf)) * idfs);
          if (acc[d] == 0) touched[ntouched++] = d;
          acc[d] += w;
        }
      }
    }
  }
  /* top k of acc / (|q| |d|) */
  {
    uint32_t m = 0;
    for (i = 0; i < ntouched; i++) {
      const ad_ixdoc *d = ad_ix_doc(ix, touched[i]);
      ad_hit h;
      if (d == NULL) { st = AD_ECORRUPT; goto done; }
      h.doc = touched[i];
      h.score = d->norm > 0 ? (float)(acc[touched[i]] / (qn * d->norm)) : 0;
      ad_topk_push(out, &m, k, h);
    }
    ad_topk_sort(out, m);          /* best first */
    *nout = m;
  }
  st = AD_OK;
done:
  ad_free(a, v, (size_t)capv * sizeof *v);
  ad_free(a, store, storecap);
  if (acc) ad_free(a, acc, (size_t)nd * sizeof(float));
  if (touched) ad_free(a, touched, (size_t)nd * 4);
  return st;
}
