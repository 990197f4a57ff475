/*
** ad_recommend.c: recommendations against a library (see ad_recommend.h
** for the method). Pure C.
**
** Stages:
**   ad_rv_*     a doc's fields -> a feature vector (a per-doc hash table,
**               reused from doc to doc); features are 64-bit hashes of a
**               word, of "word word" or of an author's folded name
**   ad_rmodel_* the sample statistics: pass 1 counts the docs holding each
**               feature, pass 2 averages the weighted vectors
**   ad_rset_*   the vectors of the library (or of the negatives): a map
**               from feature to its summed weight (the profile) and to the
**               chain of the papers holding it
**   ad_rwords, ad_rtopdocs  the profile's strongest words as terms of the
**               index, and the docs their postings score best
**   ad_rweights the weights a candidate is scored with: the profile, less
**               the local background (ad_rlocal: the sample papers nearest
**               to the library)
**   ad_recommend  narrows a large candidate set with the postings, scores
**               the candidates, keeps the best in a heap and decomposes
**               the score of each hit into papers and terms
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ad_recommend.h"
#include "ad_query.h"
#include "ad_token.h"

#define AD_RSEED_UNI 0x243f6a8885a308d3ULL
#define AD_RSEED_BI  0x13198a2e03707344ULL
#define AD_RSEED_AU  0xa4093822299f31d0ULL
#define AD_RSEED_CAT 0x082efa98ec4e6c89ULL
#define AD_RNARROW_TERMS 64     /* profile words used to narrow */
#define AD_RNAME_MAX 256        /* bytes of a folded author name */
#define AD_RNONE UINT32_MAX
#define AD_RUNSET (UINT32_MAX - 1)

enum { AD_RK_UNI = 0, AD_RK_BI = 1, AD_RK_AU = 2, AD_RK_CAT = 3 };

void ad_ropts_default(ad_ropts *o) {
  o->w[AD_F_TITLE] = 1.0f; o->w[AD_F_ABSTRACT] = 1.0f;
  o->w[AD_F_AUTHORS] = 1.0f; o->w[AD_F_COMMENT] = 0.5f;
  o->scheme = AD_RW_BM25;
  o->bigrams = 1;
  o->k1 = 1.2f; o->b = 0.75f;
  o->sample = AD_REC_SAMPLE;
  o->wcat = AD_REC_WCAT;
  o->alpha = 1.0f; o->m = 5;
  o->background = 1.0f;
  o->local = 0.2f; o->nlocal = AD_REC_NLOCAL;
  o->exact = AD_REC_EXACT;
  o->shortlist = AD_REC_SHORTLIST;
  o->nnear = AD_REC_NEAR;
}

static uint32_t ad_rslot(uint64_t k, uint32_t mask) {
  return (uint32_t)(k ^ (k >> 32)) & mask;
}

/* The key of a feature: a hash of its text whose low 2 bits are its kind
** (never 0, which marks an empty slot). */
static uint64_t ad_rkey(int kind, const char *s, size_t n) {
  static const uint64_t seed[4] = {AD_RSEED_UNI, AD_RSEED_BI, AD_RSEED_AU, AD_RSEED_CAT};
  uint64_t h = (ad_fasthash(s, n, seed[kind]) & ~(uint64_t)3) | (uint64_t)kind;
  return h ? h : 4;
}
#define AD_RKIND(key) ((int)((key) & 3))

/* slot of a 32-bit id in a table of 2^bits slots */
static uint32_t ad_ridslot(uint32_t id, uint32_t bits) {
  return (uint32_t)((id * 0x9E3779B1u) >> (32 - bits));
}

/* {====================================================== doc text */
typedef struct ad_rctx {
  ad_ix *ix;
  ad_corpus *c;
  const ad_alloc *a;
  const ad_ropts *o;
  char *buf; size_t bufcap;   /* one decoded field */
  uint32_t badfile;
} ad_rctx;

/* Field sid of record ri, decoded into x->buf (*n bytes; 0 when absent
** or "None"). Loads the record's file when needed. */
static int ad_rrecfield(ad_rctx *x, uint32_t ri, int sid, size_t *n) {
  const ad_record *r;
  size_t need;
  int st;
  *n = 0;
  if (x->ix->recdone != NULL) {          /* a loaded index: records lazily */
    st = ad_ix_corpus_rec(x->ix, x->c, ri);
    if (st != AD_OK) return st;
  } else if (ri >= x->c->nrecs) return AD_ECORRUPT;
  r = &x->c->recs[ri];
  if (r->s[sid].len == 0) return AD_OK;
  if (r->file >= x->c->nfiles) return AD_ECORRUPT;
  if (x->c->files[r->file].text == NULL) {
    st = ad_file_load(x->c, r->file);
    if (st != AD_OK) { x->badfile = r->file; return st; }
  }
  need = AD_DECODE_BOUND(r->s[sid].len);
  if (need > x->bufcap) {
    char *nb = (char *)ad_realloc(x->a, x->buf, x->bufcap, need);
    if (nb == NULL) return AD_ENOMEM;
    x->buf = nb; x->bufcap = need;
  }
  *n = ad_record_field(x->c, r, sid, x->buf);
  if (*n == 4 && memcmp(x->buf, "None", 4) == 0) *n = 0;   /* catalog: absent */
  return AD_OK;
}

/* Field sid of doc's best record (see ad_rrecfield). */
static int ad_rfield(ad_rctx *x, uint32_t doc, int sid, size_t *n) {
  const ad_ixdoc *d = ad_ix_doc(x->ix, doc);
  *n = 0;
  if (d == NULL) return AD_ECORRUPT;
  return ad_rrecfield(x, d->best, sid, n);
}
/* }====================================================== */

/* {====================================================== vectors */
typedef struct ad_rfeat {
  uint64_t key;
  float tf, w;             /* weighted term frequency, weight */
  uint32_t id;             /* model slot, or a request's own id (>= cap) */
  uint32_t slot;           /* its slot in the vector's table */
  uint32_t str;            /* its text in the vector's strings (keep) */
  uint16_t slen;
  uint16_t pad;
} ad_rfeat;

typedef struct ad_rvec {
  ad_rfeat *f; uint32_t n, cap;
  uint32_t *slot; uint32_t scap;  /* index + 1 into f (0: empty), power of 2 */
  char *s; uint32_t ns, caps;     /* the features' text, when keep != 0 */
  double dl;                      /* weighted length (words) */
  double cmu;                     /* c . background (after weighing) */
  int keep;
} ad_rvec;

static void ad_rv_free(const ad_alloc *a, ad_rvec *v) {
  ad_free(a, v->f, (size_t)v->cap * sizeof *v->f);
  ad_free(a, v->slot, (size_t)v->scap * sizeof *v->slot);
  ad_free(a, v->s, v->caps);
  memset(v, 0, sizeof *v);
}

static void ad_rv_clear(ad_rvec *v) {
  uint32_t i;
  for (i = 0; i < v->n; i++) v->slot[v->f[i].slot] = 0;
  v->n = 0; v->ns = 0; v->dl = 0; v->cmu = 0;
}

static int ad_rv_rehash(const ad_alloc *a, ad_rvec *v, uint32_t ncap) {
  uint32_t *ns = (uint32_t *)ad_malloc(a, (size_t)ncap * sizeof *ns), i;
  if (ns == NULL) return AD_ENOMEM;
  memset(ns, 0, (size_t)ncap * sizeof *ns);
  for (i = 0; i < v->n; i++) {
    uint32_t h = ad_rslot(v->f[i].key, ncap - 1);
    while (ns[h]) h = (h + 1) & (ncap - 1);
    ns[h] = i + 1;
    v->f[i].slot = h;
  }
  ad_free(a, v->slot, (size_t)v->scap * sizeof *v->slot);
  v->slot = ns; v->scap = ncap;
  return AD_OK;
}

/* Add tf to feature (kind, s[0..n)). */
static int ad_rv_add(const ad_alloc *a, ad_rvec *v, int kind, const char *s,
                     uint32_t n, float tf) {
  uint64_t key = ad_rkey(kind, s, n);
  uint32_t h, e;
  ad_rfeat *f;
  if (((uint64_t)v->n + 1) * 2 > v->scap) {
    if (v->scap >= (1u << 30) || ad_rv_rehash(a, v, v->scap ? v->scap * 2 : 512))
      return AD_ENOMEM;
  }
  h = ad_rslot(key, v->scap - 1);
  while ((e = v->slot[h]) != 0) {
    if (v->f[e - 1].key == key) { v->f[e - 1].tf += tf; return AD_OK; }
    h = (h + 1) & (v->scap - 1);
  }
  if (v->n == v->cap && ad_grow(a, (void **)&v->f, &v->cap, v->n + 1, sizeof *v->f))
    return AD_ENOMEM;
  f = &v->f[v->n];
  memset(f, 0, sizeof *f);
  f->key = key; f->tf = tf; f->slot = h; f->id = AD_RNONE;
  if (v->keep) {
    if (n > UINT16_MAX) n = UINT16_MAX;
    if ((uint64_t)v->ns + n > UINT32_MAX / 2) return AD_ENOMEM;
    if (v->ns + n > v->caps) {
      uint32_t nc = v->caps ? v->caps : 1024;
      char *p;
      while (nc < v->ns + n) nc *= 2;
      p = (char *)ad_realloc(a, v->s, v->caps, nc);
      if (p == NULL) return AD_ENOMEM;
      v->s = p; v->caps = nc;
    }
    memcpy(v->s + v->ns, s, n);
    f->str = v->ns; f->slen = (uint16_t)n;
    v->ns += n;
  }
  v->slot[h] = ++v->n;
  return AD_OK;
}

/* English function words (folded), sorted: with bigrams == 2, a pair
** with one of them is no feature ("able to", "of the") */
static const char *const ad_rfunc[] = {
  "a", "about", "above", "after", "again", "against", "all", "also", "an",
  "and", "any", "are", "as", "at", "be", "been", "before", "being", "both",
  "but", "by", "can", "could", "did", "do", "does", "doing", "down",
  "during", "each", "few", "for", "from", "further", "had", "has", "have",
  "having", "he", "her", "here", "hers", "him", "his", "how", "however",
  "i", "if", "in", "into", "is", "it", "its", "itself", "just", "may",
  "me", "might", "more", "most", "much", "must", "my", "no", "nor", "not",
  "now", "of", "off", "on", "once", "one", "only", "or", "other", "our",
  "ours", "out", "over", "own", "same", "she", "should", "so", "some",
  "such", "than", "that", "the", "their", "them", "then", "there",
  "these", "they", "this", "those", "through", "thus", "to", "too",
  "under", "until", "up", "upon", "us", "very", "via", "was", "we",
  "well", "were", "what", "when", "where", "whether", "which", "while",
  "who", "whom", "why", "will", "with", "within", "without", "would",
  "yet", "you", "your"
};

static int ad_rfuncword(const char *w, uint32_t n) {
  size_t lo = 0, hi = sizeof ad_rfunc / sizeof *ad_rfunc;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const char *f = ad_rfunc[mid];
    size_t fl = strlen(f), k = fl < n ? fl : n;
    int c = memcmp(f, w, k);
    if (c == 0) c = fl < n ? -1 : fl > n ? 1 : 0;
    if (c == 0) return 1;
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  return 0;
}

/* Words of s[0..n) (and pairs of adjacent words: bigrams 1, or only
** those of two content words: bigrams 2) with weight fw each. */
static int ad_rv_text(const ad_alloc *a, ad_rvec *v, const char *s, size_t n,
                      float fw, int bigrams) {
  ad_tokenizer tz;
  ad_tok tk;
  char prev[AD_TOK_MAX + 1], pair[2 * AD_TOK_MAX + 2];
  uint32_t plen = 0;
  int have = 0;
  ad_tok_init(&tz, s, n);
  while (ad_tok_next(&tz, &tk)) {
    uint32_t len = tk.len > AD_TOK_MAX ? AD_TOK_MAX : tk.len;
    if (ad_rv_add(a, v, AD_RK_UNI, tk.s, len, fw)) return AD_ENOMEM;
    v->dl += fw;
    if (!bigrams || tk.kind == AD_TK_COMPOUND) continue;
    if (bigrams == 2 && ad_rfuncword(tk.s, len)) { have = 0; continue; }
    if (have) {
      memcpy(pair, prev, plen);
      pair[plen] = ' ';
      memcpy(pair + plen + 1, tk.s, len);
      if (ad_rv_add(a, v, AD_RK_BI, pair, plen + 1 + len, fw)) return AD_ENOMEM;
    }
    memcpy(prev, tk.s, len);
    plen = len; have = 1;
  }
  return AD_OK;
}

/* One feature per author (comma-separated names, folded like words). */
static int ad_rv_authors(const ad_alloc *a, ad_rvec *v, const char *s,
                         size_t n, float fw) {
  size_t i = 0;
  while (i < n) {
    const char *comma = (const char *)memchr(s + i, ',', n - i);
    size_t e = comma ? (size_t)(comma - s) : n;
    char name[AD_RNAME_MAX];
    uint32_t nl = 0;
    ad_tokenizer tz;
    ad_tok tk;
    ad_tok_init(&tz, s + i, e - i);
    while (ad_tok_next(&tz, &tk)) {
      if (tk.kind == AD_TK_COMPOUND) continue;
      if (nl + tk.len + 1 > sizeof name) break;
      if (nl) name[nl++] = ' ';
      memcpy(name + nl, tk.s, tk.len);
      nl += tk.len;
    }
    if (nl && ad_rv_add(a, v, AD_RK_AU, name, nl, fw)) return AD_ENOMEM;
    i = e + 1;
  }
  return AD_OK;
}

/* The features of doc (fields with a positive weight). */
static int ad_rv_doc(ad_rctx *x, ad_rvec *v, uint32_t doc) {
  static const int sids[AD_NFIELDS] = {AD_S_TITLE, AD_S_ABSTRACT, AD_S_AUTHORS,
                                       AD_S_COMMENT};
  int f, st;
  size_t n;
  ad_rv_clear(v);
  for (f = 0; f < AD_NFIELDS; f++) {
    float fw = x->o->w[f];
    if (!(fw > 0)) continue;
    st = ad_rfield(x, doc, sids[f], &n);
    if (st != AD_OK) return st;
    if (n == 0) continue;
    st = f == AD_F_AUTHORS ? ad_rv_authors(x->a, v, x->buf, n, fw)
                           : ad_rv_text(x->a, v, x->buf, n, fw, x->o->bigrams);
    if (st != AD_OK) return st;
  }
  if (x->o->wcat > 0) {          /* each category, "cat:eess.IV" (the rule of
                                   ** ad_cat_next: as the index reads them) */
    size_t at = 0, a, e;
    st = ad_rfield(x, doc, AD_S_CATEGORIES, &n);
    if (st != AD_OK) return st;
    if (n == 0 && (st = ad_rfield(x, doc, AD_S_PRIMARY, &n)) != AD_OK) return st;
    while (ad_cat_next(x->buf, n, &at, &a, &e)) {
      char name[4 + AD_CAT_MAX];
      if (e - a > AD_CAT_MAX) continue;
      memcpy(name, "cat:", 4);
      memcpy(name + 4, x->buf + a, e - a);
      if (ad_rv_add(x->a, v, AD_RK_CAT, name, (uint32_t)(4 + e - a), x->o->wcat)) return AD_ENOMEM;
    }
  }
  return AD_OK;
}

static uint32_t ad_rm_find(const ad_rmodel *m, uint64_t key) {
  uint32_t h;
  if (m->cap == 0) return AD_RNONE;
  h = ad_rslot(key, m->cap - 1);
  while (m->t[h].key) {   /* (id < nf: checked when a file is read; again
                             here, were the file changed under its mapping) */
    if (m->t[h].key == key) return m->t[h].id < m->nf ? m->t[h].id : AD_RNONE;
    h = (h + 1) & (m->cap - 1);
  }
  return AD_RNONE;
}

/* Weigh v's features with the model's idf, make its length 1, note each
** feature's model slot (AD_RNONE: not in the model) and v . background. */
static void ad_rv_weigh(const ad_rmodel *m, const ad_ropts *o, ad_rvec *v) {
  double norm = 0, K, maxidf = log((double)m->nsample + 1) + 1, cmu = 0;
  uint32_t i;
  K = o->k1 * (1 - o->b + o->b * (m->avgdl > 0 ? v->dl / m->avgdl : 1));
  for (i = 0; i < v->n; i++) {
    ad_rfeat *f = &v->f[i];
    uint32_t h = ad_rm_find(m, f->key);
    double idf = h == AD_RNONE ? maxidf : m->idf[h], tf = f->tf, w;
    if (o->scheme == AD_RW_BM25) w = tf * (o->k1 + 1) / (tf + K);
    else w = tf >= 1 ? 1 + log(tf) : tf;
    w *= idf;
    f->w = (float)w;
    f->id = h;
    norm += w * w;
  }
  norm = sqrt(norm);
  for (i = 0; i < v->n; i++) {
    ad_rfeat *f = &v->f[i];
    if (norm > 0) f->w = (float)(f->w / norm);
    if (f->id != AD_RNONE) cmu += (double)f->w * m->mu[f->id];
  }
  v->cmu = (float)cmu;
}
/* }====================================================== */

/* {====================================================== model */
void ad_rmodel_free(ad_rmodel *m) {
  if (m->map) ad_rmodel_unmap(m);  /* t, keys, idf, mu, term lie in it (ad_rsave.c) */
  else {
    ad_free(&m->a, m->t, (size_t)m->cap * sizeof *m->t);
    ad_free(&m->a, m->term, ((size_t)m->nf + 1) * sizeof *m->term);
    ad_free(&m->a, m->keys, ((size_t)m->nf + 1) * sizeof *m->keys);
    ad_free(&m->a, m->idf, ((size_t)m->nf + 1) * sizeof *m->idf);
    ad_free(&m->a, m->mu, ((size_t)m->nf + 1) * sizeof *m->mu);
  }
  ad_free(&m->a, m->voff, ((size_t)m->nsample + 1) * sizeof *m->voff);
  ad_free(&m->a, m->vid, (size_t)m->capv * sizeof *m->vid);
  ad_free(&m->a, m->vw, (size_t)m->capv * sizeof *m->vw);
  ad_free(&m->a, m->vbg, ((size_t)m->nsample + 1) * sizeof *m->vbg);
  ad_free(&m->a, m->dq, ((size_t)m->nf + 1) * sizeof *m->dq);
  m->dq = NULL; m->term = NULL; m->keys = NULL; m->idf = NULL; m->mu = NULL;
  m->t = NULL; m->voff = NULL; m->vid = NULL; m->vw = NULL; m->vbg = NULL;
  m->cap = m->n = m->nf = m->nv = m->capv = 0;
  m->nsample = m->nkept = 0;
}

size_t ad_rmodel_size(const ad_rmodel *m) {
  return (size_t)m->cap * sizeof *m->t
       + ((size_t)m->nf + 1) * (sizeof *m->dq + sizeof *m->term + sizeof *m->keys
                                + sizeof *m->idf + sizeof *m->mu)
       + (size_t)m->capv * (sizeof *m->vid + sizeof *m->vw)
       + (m->voff ? (size_t)m->nsample + 1 : 0) * (sizeof *m->voff + sizeof *m->vbg);
}

uint32_t ad_rmodel_slot(const ad_rmodel *m, uint64_t key) {
  uint32_t h = ad_rslot(key, m->cap - 1);
  while (m->t[h].key && m->t[h].key != key) h = (h + 1) & (m->cap - 1);
  return h;
}

static int ad_rm_rehash(ad_rmodel *m, uint32_t ncap) {
  ad_rment *nt = (ad_rment *)ad_malloc(&m->a, (size_t)ncap * sizeof *nt);
  uint32_t i;
  if (nt == NULL) return AD_ENOMEM;
  memset(nt, 0, (size_t)ncap * sizeof *nt);
  for (i = 0; i < m->cap; i++) {
    uint32_t h;
    if (m->t[i].key == 0) continue;
    h = ad_rslot(m->t[i].key, ncap - 1);
    while (nt[h].key) h = (h + 1) & (ncap - 1);
    nt[h] = m->t[i];
  }
  ad_free(&m->a, m->t, (size_t)m->cap * sizeof *m->t);
  m->t = nt; m->cap = ncap;
  return AD_OK;
}

/* count one more sample doc holding key (the count goes in .id) */
static int ad_rm_count(ad_rmodel *m, uint64_t key) {
  uint32_t h;
  if (((uint64_t)m->n + 1) * 10 > (uint64_t)m->cap * 7) {
    if (m->cap >= (1u << 30) || ad_rm_rehash(m, m->cap ? m->cap * 2 : 4096))
      return AD_ENOMEM;
  }
  h = ad_rslot(key, m->cap - 1);
  while (m->t[h].key) {
    if (m->t[h].key == key) { m->t[h].id++; return AD_OK; }
    h = (h + 1) & (m->cap - 1);
  }
  m->t[h].key = key; m->t[h].id = 1; m->t[h].pad = 0; m->n++;
  return AD_OK;
}

int ad_rmodel_fits(const ad_rmodel *m, const ad_ix *ix, const ad_ropts *o) {
  int f;
  if (m->ndocs != ix->m.ndocs || m->o.scheme != o->scheme ||
      m->o.bigrams != o->bigrams || m->o.k1 != o->k1 || m->o.b != o->b ||
      m->o.sample != o->sample || m->o.wcat != o->wcat)
    return 0;
  for (f = 0; f < AD_NFIELDS; f++)
    if (m->o.w[f] != o->w[f]) return 0;
  return 1;
}

int ad_rmodel_build(ad_rmodel *m, ad_ix *ix, ad_corpus *c, const ad_ropts *o,
                    uint32_t *badfile) {
  ad_rctx x;
  ad_rvec v;
  double dlsum = 0, *sum = NULL;
  uint32_t S, d, i, *pos = NULL;
  int st = AD_OK;
  memset(m, 0, sizeof *m);
  memset(&x, 0, sizeof x);
  memset(&v, 0, sizeof v);
  m->a = ix->a; m->o = *o; m->ndocs = ix->m.ndocs;
  S = o->sample == 0 || o->sample > ix->m.ndocs ? ix->m.ndocs : o->sample;
  x.ix = ix; x.c = c; x.a = &m->a; x.o = o;
  /* pass 1: in how many sample docs each feature occurs */
  for (d = 0; d < S && st == AD_OK; d++) {
    st = ad_rv_doc(&x, &v, d);
    dlsum += v.dl;
    for (i = 0; i < v.n && st == AD_OK; i++) st = ad_rm_count(m, v.f[i].key);
  }
  if (st != AD_OK) goto done;
  if (m->cap == 0 && (st = ad_rm_rehash(m, 16)) != AD_OK) goto done;
  m->avgdl = S ? dlsum / S : 0;
  /* ids by count, the most frequent first (in slot order within a count) */
  m->nf = m->n;
  m->keys = (uint64_t *)ad_malloc(&m->a, ((size_t)m->nf + 1) * sizeof *m->keys);
  m->idf = (float *)ad_malloc(&m->a, ((size_t)m->nf + 1) * sizeof *m->idf);
  m->mu = (float *)ad_malloc(&m->a, ((size_t)m->nf + 1) * sizeof *m->mu);
  m->term = (uint32_t *)ad_malloc(&m->a, ((size_t)m->nf + 1) * sizeof *m->term);
  m->dq = (float *)ad_malloc(&m->a, ((size_t)m->nf + 1) * sizeof *m->dq);
  pos = (uint32_t *)ad_malloc(&m->a, ((size_t)S + 2) * sizeof *pos);
  if (!m->keys || !m->idf || !m->mu || !m->term || !m->dq || !pos) {
    st = AD_ENOMEM; goto done;
  }
  memset(pos, 0, ((size_t)S + 2) * sizeof *pos);
  for (i = 0; i < m->cap; i++)
    if (m->t[i].key) {
      if (m->t[i].id == 0 || m->t[i].id > S) { st = AD_ECORRUPT; goto done; }
      pos[S - m->t[i].id + 1]++;                 /* count c at S - c + 1 */
    }
  for (d = 1; d <= S + 1; d++) pos[d] += pos[d - 1];
  for (i = 0; i < m->cap; i++)
    if (m->t[i].key) {
      uint32_t cnt = m->t[i].id, id = pos[S - cnt]++;
      m->keys[id] = m->t[i].key;
      m->idf[id] = (float)(log(((double)S + 1) / ((double)cnt + 1)) + 1);
      m->term[id] = AD_RUNSET;
      m->t[i].id = id;
    }
  memset(m->dq, 0, ((size_t)m->nf + 1) * sizeof *m->dq);
  memset(m->mu, 0, ((size_t)m->nf + 1) * sizeof *m->mu);   /* (read by ad_rv_weigh) */
  /* pass 2: the sample's weighted vectors, kept, and their mean; each
  ** word's term in the index */
  m->nsample = S;
  m->voff = (uint32_t *)ad_malloc(&m->a, ((size_t)S + 1) * sizeof *m->voff);
  m->vbg = (float *)ad_malloc(&m->a, ((size_t)S + 1) * sizeof *m->vbg);
  sum = (double *)ad_malloc(&m->a, ((size_t)m->nf + 1) * sizeof *sum);
  if (m->voff == NULL || m->vbg == NULL || sum == NULL) { st = AD_ENOMEM; goto done; }
  memset(sum, 0, ((size_t)m->nf + 1) * sizeof *sum);
  m->voff[0] = 0;
  v.keep = 1;
  for (d = 0; d < S; d++) {
    st = ad_rv_doc(&x, &v, d);
    if (st != AD_OK) goto done;
    ad_rv_weigh(m, o, &v);       /* (the background is not known yet) */
    if ((uint64_t)m->nv + v.n > UINT32_MAX / 2) { st = AD_ENOMEM; goto done; }
    if (m->nv + v.n > m->capv) {
      uint32_t nc = m->capv ? m->capv : 65536;
      uint32_t *ni;
      float *nw;
      while (nc < m->nv + v.n) nc *= 2;
      ni = (uint32_t *)ad_realloc(&m->a, m->vid, (size_t)m->capv * sizeof *ni, (size_t)nc * sizeof *ni);
      if (ni == NULL) { st = AD_ENOMEM; goto done; }
      m->vid = ni;
      nw = (float *)ad_realloc(&m->a, m->vw, (size_t)m->capv * sizeof *nw, (size_t)nc * sizeof *nw);
      if (nw == NULL) {  /* keep both arrays the same size (capv) */
        ni = m->capv ? (uint32_t *)ad_realloc(&m->a, m->vid, (size_t)nc * sizeof *ni,
                                              (size_t)m->capv * sizeof *ni) : NULL;
        if (ni) m->vid = ni;
        else {
          ad_free(&m->a, m->vid, (size_t)nc * sizeof *ni); m->vid = NULL;
          ad_free(&m->a, m->vw, (size_t)m->capv * sizeof *nw); m->vw = NULL;
          m->capv = 0;
        }
        st = AD_ENOMEM; goto done;
      }
      m->vw = nw;
      m->capv = nc;
    }
    for (i = 0; i < v.n; i++) {
      uint32_t h = v.f[i].id;
      if (h == AD_RNONE) { st = AD_ECORRUPT; goto done; }   /* seen in pass 1 */
      if (m->term[h] == AD_RUNSET) {
        int err = 0;
        int64_t tn = AD_RK_UNI != AD_RKIND(v.f[i].key) ? -1
                   : ad_ix_find(ix, v.s + v.f[i].str, v.f[i].slen, &err);
        if (err) { st = err; goto done; }
        m->term[h] = tn < 0 || ad_ix_term(ix, (uint32_t)tn) == NULL ? AD_RNONE : (uint32_t)tn;
      }
      sum[h] += v.f[i].w;
      m->vid[m->nv] = h; m->vw[m->nv] = v.f[i].w;
      m->nv++;
    }
    m->voff[d + 1] = m->nv;
  }
  m->nkept = S;
  for (i = 0; i < m->nf; i++) {
    m->mu[i] = S ? (float)(sum[i] / S) : 0.0f;
    if (m->term[i] == AD_RUNSET) m->term[i] = AD_RNONE;
  }
  /* each kept vector's c . background, summed as ad_rv_weigh does */
  for (d = 0; d < S; d++) {
    double cmu = 0;
    for (i = m->voff[d]; i < m->voff[d + 1]; i++) cmu += (double)m->vw[i] * m->mu[m->vid[i]];
    m->vbg[d] = (float)cmu;
  }
done:
  if (sum) ad_free(&m->a, sum, ((size_t)m->nf + 1) * sizeof *sum);
  ad_free(&m->a, pos, ((size_t)S + 2) * sizeof *pos);
  ad_rv_free(&m->a, &v);
  ad_free(&m->a, x.buf, x.bufcap);
  if (st != AD_OK) {
    if (badfile) *badfile = x.badfile;
    ad_rmodel_free(m);
  }
  return st;
}
/* }====================================================== */

/* {====================================================== requests */
/* A request's own ids, for features the model does not have (id = base + k). */
typedef struct ad_rext {
  uint64_t *keys; uint32_t *ids; uint32_t cap, n;
  uint64_t *bykey; uint32_t capk;          /* bykey[k]: key of id base + k */
  uint32_t base;
} ad_rext;

static void ad_rext_free(const ad_alloc *a, ad_rext *e) {
  ad_free(a, e->keys, (size_t)e->cap * sizeof *e->keys);
  ad_free(a, e->ids, (size_t)e->cap * sizeof *e->ids);
  ad_free(a, e->bykey, (size_t)e->capk * sizeof *e->bykey);
  memset(e, 0, sizeof *e);
}

static int ad_rext_id(const ad_alloc *a, ad_rext *e, uint64_t key, uint32_t *id) {
  uint32_t h;
  if (((uint64_t)e->n + 1) * 2 > e->cap) {
    uint32_t nc = e->cap ? e->cap * 2 : 256, i;
    uint64_t *nk;
    uint32_t *ni;
    if (e->cap >= (1u << 29)) return AD_ENOMEM;
    nk = (uint64_t *)ad_malloc(a, (size_t)nc * sizeof *nk);
    ni = (uint32_t *)ad_malloc(a, (size_t)nc * sizeof *ni);
    if (nk == NULL || ni == NULL) {
      ad_free(a, nk, (size_t)nc * sizeof *nk);
      ad_free(a, ni, (size_t)nc * sizeof *ni);
      return AD_ENOMEM;
    }
    memset(nk, 0, (size_t)nc * sizeof *nk);
    for (i = 0; i < e->cap; i++) {
      if (e->keys[i] == 0) continue;
      h = ad_rslot(e->keys[i], nc - 1);
      while (nk[h]) h = (h + 1) & (nc - 1);
      nk[h] = e->keys[i]; ni[h] = e->ids[i];
    }
    ad_free(a, e->keys, (size_t)e->cap * sizeof *e->keys);
    ad_free(a, e->ids, (size_t)e->cap * sizeof *e->ids);
    e->keys = nk; e->ids = ni; e->cap = nc;
  }
  h = ad_rslot(key, e->cap - 1);
  while (e->keys[h]) {
    if (e->keys[h] == key) { *id = e->ids[h]; return AD_OK; }
    h = (h + 1) & (e->cap - 1);
  }
  if ((uint64_t)e->base + e->n >= AD_RNONE - 1) return AD_ENOMEM;
  if (ad_grow(a, (void **)&e->bykey, &e->capk, e->n + 1, sizeof *e->bykey)) return AD_ENOMEM;
  e->bykey[e->n] = key;
  e->keys[h] = key; e->ids[h] = *id = e->base + e->n++;
  return AD_OK;
}

/* A paper set (the library, the negatives): its papers' vectors as
** entries chained by feature id, and per id the profile weight. */
typedef struct ad_rset {
  uint32_t n;
  uint32_t *doc; uint32_t capdoc;        /* each paper's doc (AD_RNONE: text) */
  float *ew; uint32_t *enext, *eown; uint32_t ne, cape;
  uint32_t *mid; float *mq; double *msum; uint32_t *mhead;
  uint32_t mbits, mn;                    /* 2^mbits slots (0: none) */
} ad_rset;

static void ad_rset_free(const ad_alloc *a, ad_rset *r) {
  size_t mc = r->mbits ? (size_t)1 << r->mbits : 0;
  ad_free(a, r->doc, (size_t)r->capdoc * sizeof *r->doc);
  ad_free(a, r->ew, (size_t)r->cape * sizeof *r->ew);
  ad_free(a, r->enext, (size_t)r->cape * sizeof *r->enext);
  ad_free(a, r->eown, (size_t)r->cape * sizeof *r->eown);
  ad_free(a, r->mid, mc * sizeof *r->mid);
  ad_free(a, r->mq, mc * sizeof *r->mq);
  ad_free(a, r->msum, mc * sizeof *r->msum);
  ad_free(a, r->mhead, mc * sizeof *r->mhead);
  memset(r, 0, sizeof *r);
}

static uint32_t ad_rset_find(const ad_rset *r, uint32_t id) {
  uint32_t h, mask;
  if (r->mbits == 0) return AD_RNONE;
  mask = (1u << r->mbits) - 1;
  h = ad_ridslot(id, r->mbits);
  while (r->mid[h] != AD_RNONE) {
    if (r->mid[h] == id) return h;
    h = (h + 1) & mask;
  }
  return AD_RNONE;
}

static int ad_rset_rehash(const ad_alloc *a, ad_rset *r, uint32_t nbits) {
  size_t nc = (size_t)1 << nbits, oc = r->mbits ? (size_t)1 << r->mbits : 0, i;
  uint32_t *mid = (uint32_t *)ad_malloc(a, nc * sizeof *mid);
  float *mq = (float *)ad_malloc(a, nc * sizeof *mq);
  double *msum = (double *)ad_malloc(a, nc * sizeof *msum);
  uint32_t *mhead = (uint32_t *)ad_malloc(a, nc * sizeof *mhead);
  if (!mid || !mq || !msum || !mhead) {
    ad_free(a, mid, nc * sizeof *mid);
    ad_free(a, mq, nc * sizeof *mq);
    ad_free(a, msum, nc * sizeof *msum);
    ad_free(a, mhead, nc * sizeof *mhead);
    return AD_ENOMEM;
  }
  memset(mid, 0xff, nc * sizeof *mid);
  for (i = 0; i < oc; i++) {
    uint32_t h;
    if (r->mid[i] == AD_RNONE) continue;
    h = ad_ridslot(r->mid[i], nbits);
    while (mid[h] != AD_RNONE) h = (h + 1) & (uint32_t)(nc - 1);
    mid[h] = r->mid[i]; mq[h] = r->mq[i]; msum[h] = r->msum[i]; mhead[h] = r->mhead[i];
  }
  ad_free(a, r->mid, oc * sizeof *r->mid);
  ad_free(a, r->mq, oc * sizeof *r->mq);
  ad_free(a, r->msum, oc * sizeof *r->msum);
  ad_free(a, r->mhead, oc * sizeof *r->mhead);
  r->mid = mid; r->mq = mq; r->msum = msum; r->mhead = mhead; r->mbits = nbits;
  return AD_OK;
}

/* Grow the entry arrays of r to hold need entries. */
static int ad_rset_reserve(const ad_alloc *a, ad_rset *r, uint32_t need) {
  uint32_t nc = r->cape ? r->cape : 4096;
  float *ew;
  uint32_t *en, *eo;
  if (need <= r->cape) return AD_OK;
  while (nc < need) {
    if (nc > UINT32_MAX / 2) return AD_ENOMEM;
    nc *= 2;
  }
  ew = (float *)ad_malloc(a, (size_t)nc * sizeof *ew);
  en = (uint32_t *)ad_malloc(a, (size_t)nc * sizeof *en);
  eo = (uint32_t *)ad_malloc(a, (size_t)nc * sizeof *eo);
  if (ew == NULL || en == NULL || eo == NULL) {
    ad_free(a, ew, (size_t)nc * sizeof *ew);
    ad_free(a, en, (size_t)nc * sizeof *en);
    ad_free(a, eo, (size_t)nc * sizeof *eo);
    return AD_ENOMEM;
  }
  if (r->ne) {
    memcpy(ew, r->ew, (size_t)r->ne * sizeof *ew);
    memcpy(en, r->enext, (size_t)r->ne * sizeof *en);
    memcpy(eo, r->eown, (size_t)r->ne * sizeof *eo);
  }
  ad_free(a, r->ew, (size_t)r->cape * sizeof *ew);
  ad_free(a, r->enext, (size_t)r->cape * sizeof *en);
  ad_free(a, r->eown, (size_t)r->cape * sizeof *eo);
  r->ew = ew; r->enext = en; r->eown = eo; r->cape = nc;
  return AD_OK;
}

/* A doc's weighted vector as ids and weights (a kept one, or one made
** now in the request's scratch arrays). */
typedef struct ad_rview {
  const uint32_t *id; const float *w;
  uint32_t n;
  double cmu;
} ad_rview;

/* Add view v as paper `doc` of r. */
static int ad_rset_add(const ad_alloc *a, ad_rset *r, const ad_rview *v,
                       uint32_t doc) {
  uint32_t i, p = r->n;
  if (r->n == r->capdoc && ad_grow(a, (void **)&r->doc, &r->capdoc, r->n + 1, sizeof *r->doc))
    return AD_ENOMEM;
  if ((uint64_t)r->ne + v->n >= UINT32_MAX || ad_rset_reserve(a, r, r->ne + v->n))
    return AD_ENOMEM;
  r->doc[r->n++] = doc;
  for (i = 0; i < v->n; i++) {
    uint32_t h, e, mask;
    if (((uint64_t)r->mn + 1) * 2 > (r->mbits ? (uint64_t)1 << r->mbits : 0)) {
      if (r->mbits >= 30 || ad_rset_rehash(a, r, r->mbits ? r->mbits + 1 : 10))
        return AD_ENOMEM;
    }
    mask = (1u << r->mbits) - 1;
    h = ad_ridslot(v->id[i], r->mbits);
    while (r->mid[h] != AD_RNONE && r->mid[h] != v->id[i]) h = (h + 1) & mask;
    if (r->mid[h] == AD_RNONE) {
      r->mid[h] = v->id[i]; r->msum[h] = 0; r->mq[h] = 0; r->mhead[h] = 0;
      r->mn++;
    }
    e = r->ne++;
    r->ew[e] = v->w[i]; r->eown[e] = p;
    r->enext[e] = r->mhead[h]; r->mhead[h] = e + 1;
    r->msum[h] += v->w[i];
  }
  return AD_OK;
}

/* the profile weights: mq = alpha * mean, also in dq[id] for the ids
** below cap (dq == NULL: clear them from dq) */
static void ad_rset_profile(ad_rset *r, double alpha, float *dq, uint32_t cap,
                            int clear) {
  uint32_t i, nc = r->mbits ? 1u << r->mbits : 0;
  for (i = 0; i < nc; i++) {
    uint32_t id = r->mid[i];
    if (id == AD_RNONE) continue;
    if (!clear) r->mq[i] = (float)(alpha * r->msum[i] / r->n);
    if (id < cap) dq[id] = clear ? 0.0f : r->mq[i];
  }
}
/* }====================================================== */

/* {====================================================== scoring */
typedef struct ad_rscored { double score; uint32_t doc; } ad_rscored;

static int ad_rworse(const ad_rscored *x, const ad_rscored *y) {
  if (x->score != y->score) return x->score < y->score;
  return x->doc > y->doc;
}

/* Keep the k best of the values pushed in h[0..*n) (the worst at the root). */
static void ad_rheap_push(ad_rscored *h, uint32_t *n, uint32_t k, ad_rscored e) {
  uint32_t c;
  if (k == 0) return;
  if (*n < k) {
    c = (*n)++;
    h[c] = e;
    while (c > 0 && ad_rworse(&h[c], &h[(c - 1) / 2])) {
      ad_rscored t = h[c]; h[c] = h[(c - 1) / 2]; h[(c - 1) / 2] = t;
      c = (c - 1) / 2;
    }
    return;
  }
  if (!ad_rworse(&h[0], &e)) return;
  h[0] = e;
  c = 0;
  for (;;) {
    uint32_t l = 2 * c + 1, r = l + 1, w = c;
    ad_rscored t;
    if (l < *n && ad_rworse(&h[l], &h[w])) w = l;
    if (r < *n && ad_rworse(&h[r], &h[w])) w = r;
    if (w == c) break;
    t = h[c]; h[c] = h[w]; h[w] = t;
    c = w;
  }
}

static int ad_rbest_cmp(const void *x, const void *y) {
  const ad_rscored *a = (const ad_rscored *)x, *b = (const ad_rscored *)y;
  if (ad_rworse(b, a)) return -1;
  if (ad_rworse(a, b)) return 1;
  return 0;
}

typedef struct ad_rstate {
  ad_rctx x;
  ad_rctx cx;          /* the request's second index (cx.ix NULL: none):
                          a doc d >= cbase is its doc d - cbase */
  uint32_t cbase;
  ad_rmodel *m;
  const ad_ropts *o;
  ad_rext ext;
  ad_rset lib, neg;
  ad_rvec v;
  uint32_t *vid; float *vw; uint32_t capv;   /* scratch view */
  double *sims; uint32_t *touched; uint32_t ntouched;    /* per library paper */
  double *nsims; uint32_t *ntouch; uint32_t nntouched;   /* per negative */
  uint8_t *topm;                     /* library papers among the m nearest */
  uint32_t mm;                       /* min(m, library papers) */
  uint32_t *hdocs; uint32_t nh, caph; /* the local background's papers */
  uint32_t *hids; uint32_t nhids, caphids; /* the features they wrote in dq */
  double local;                      /* its share of the background (0: none) */
  const char *text; size_t textlen;  /* the library's free text (NULL: none) */
  /* with negatives: the library papers a paper's nearness to the library
  ** is measured on (ad_rnear), and its similarity to each */
  ad_rset near;
  const ad_rset *g;                  /* &near or &lib */
  double *gsims; uint32_t *gtouch; uint32_t ngtouched, capg;
} ad_rstate;

/* Give r->v's features not in the model the request's own ids. */
static int ad_rv_ids(ad_rstate *r) {
  uint32_t i;
  for (i = 0; i < r->v.n; i++)
    if (r->v.f[i].id == AD_RNONE &&
        ad_rext_id(r->x.a, &r->ext, r->v.f[i].key, &r->v.f[i].id))
      return AD_ENOMEM;
  return AD_OK;
}

/* The weighted vector of doc d (see ad_rstate.cx) as a view: the model's
** kept one, or made now (keep: with its features' text in r->v). */
static int ad_rdocview(ad_rstate *r, uint32_t d, int keep, ad_rview *out) {
  const ad_rmodel *m = r->m;
  ad_rctx *x = &r->x;
  uint32_t i;
  int st;
  if (d == AD_RNONE) x = NULL;       /* the library's free text */
  else if (r->cx.ix != NULL && d >= r->cbase) { x = &r->cx; d -= r->cbase; }
  else if (d < m->nkept && !keep) {
    out->id = m->vid + m->voff[d];
    out->w = m->vw + m->voff[d];
    out->n = m->voff[d + 1] - m->voff[d];
    out->cmu = m->vbg[d];
    return AD_OK;
  }
  r->v.keep = keep;
  if (x != NULL) st = ad_rv_doc(x, &r->v, d);
  else {
    ad_rv_clear(&r->v);
    st = r->text != NULL ? ad_rv_text(r->x.a, &r->v, r->text, r->textlen, 1.0f, r->o->bigrams) : AD_OK;
  }
  r->v.keep = 0;
  if (st != AD_OK) return st;
  ad_rv_weigh(m, r->o, &r->v);
  if ((st = ad_rv_ids(r)) != AD_OK) return st;
  if (r->v.n > r->capv) {
    uint32_t nc = r->v.n;
    uint32_t *ni = (uint32_t *)ad_realloc(r->x.a, r->vid, (size_t)r->capv * sizeof *ni, (size_t)nc * sizeof *ni);
    float *nw;
    if (ni == NULL) return AD_ENOMEM;
    r->vid = ni;
    nw = (float *)ad_realloc(r->x.a, r->vw, (size_t)r->capv * sizeof *nw, (size_t)nc * sizeof *nw);
    if (nw == NULL) {  /* keep both arrays the same size (capv) */
      ni = r->capv ? (uint32_t *)ad_realloc(r->x.a, r->vid, (size_t)nc * sizeof *ni,
                                            (size_t)r->capv * sizeof *ni) : NULL;
      if (ni) r->vid = ni;
      else {
        ad_free(r->x.a, r->vid, (size_t)nc * sizeof *ni); r->vid = NULL;
        ad_free(r->x.a, r->vw, (size_t)r->capv * sizeof *nw); r->vw = NULL;
        r->capv = 0;
      }
      return AD_ENOMEM;
    }
    r->vw = nw;
    r->capv = nc;
  }
  for (i = 0; i < r->v.n; i++) { r->vid[i] = r->v.f[i].id; r->vw[i] = r->v.f[i].w; }
  out->id = r->vid; out->w = r->vw; out->n = r->v.n; out->cmu = r->v.cmu;
  return AD_OK;
}

/* Accumulate v . x_l into sims for every paper l of s sharing a feature
** with v (touched lists them). */
static void ad_rsims(const ad_rset *s, const ad_rview *v, double *sims,
                     uint32_t *touched, uint32_t *nt) {
  uint32_t i;
  for (i = 0; i < v->n; i++) {
    uint32_t h = ad_rset_find(s, v->id[i]), e;
    if (h == AD_RNONE) continue;
    for (e = s->mhead[h]; e; e = s->enext[e - 1]) {
      uint32_t l = s->eown[e - 1];
      if (sims[l] == 0) touched[(*nt)++] = l;
      sims[l] += (double)v->w[i] * s->ew[e - 1];
      if (sims[l] == 0) sims[l] = 1e-300;   /* stays marked as touched */
    }
  }
}

/* Mark (in r->topm) the mm library papers nearest to the vector whose
** similarities are in r->sims; returns the sum of their similarities. */
static double ad_rtopm(ad_rstate *r) {
  uint32_t i, j, n = 0, best[64];
  double sum = 0;
  uint32_t mm = r->mm < 64 ? r->mm : 64;
  for (i = 0; i < r->ntouched; i++) {
    uint32_t l = r->touched[i];
    double s = r->sims[l];
    if (n < mm) n++;
    else if (!(s > r->sims[best[n - 1]] ||
               (s == r->sims[best[n - 1]] && l < best[n - 1]))) continue;
    for (j = n - 1; j > 0 && (s > r->sims[best[j - 1]] ||
                              (s == r->sims[best[j - 1]] && l < best[j - 1])); j--)
      best[j] = best[j - 1];
    best[j] = l;
  }
  for (i = 0; i < n; i++) {
    sum += r->sims[best[i]];
    r->topm[best[i]] = 1;
  }
  return sum;
}

static void ad_rreset(ad_rstate *r) {
  uint32_t i;
  for (i = 0; i < r->ntouched; i++) {
    r->sims[r->touched[i]] = 0;
    r->topm[r->touched[i]] = 0;
  }
  r->ntouched = 0;
  for (i = 0; i < r->nntouched; i++) r->nsims[r->ntouch[i]] = 0;
  r->nntouched = 0;
}

/* The score of view v. */
static double ad_rscore(ad_rstate *r, const ad_rview *v) {
  const ad_ropts *o = r->o;
  const ad_rset *lib = &r->lib;
  double s = 0;
  uint32_t i, mask = (1u << lib->mbits) - 1;
  for (i = 0; i < v->n; i++) {     /* c . (alpha P) */
    uint32_t id = v->id[i], h;
    if (id < r->m->nf) { s += (double)v->w[i] * r->m->dq[id]; continue; }
    h = ad_ridslot(id, lib->mbits);  /* a word the model does not have */
    while (lib->mid[h] != AD_RNONE) {
      if (lib->mid[h] == id) { s += (double)v->w[i] * lib->mq[h]; break; }
      h = (h + 1) & mask;
    }
  }
  s -= o->background * (1 - r->local) * v->cmu;
  if (o->alpha < 1) {
    ad_rsims(lib, v, r->sims, r->touched, &r->ntouched);
    s += (1 - o->alpha) * ad_rtopm(r) / r->mm;
  }
  if (r->neg.n) {
    /* less its similarity to the nearest negative above the larger of
    ** its similarity to the background and to the nearest library paper:
    ** a paper is ranked down for being more like a negative than like
    ** anything the library holds. Above the background alone, a negative
    ** of the library's own field took the field's shared words from
    ** every paper of it: one crowd-counting paper disliked, and a library
    ** of five crowd-counting papers had none in its top 200 */
    double mx = 0, lx = v->cmu;
    ad_rsims(&r->neg, v, r->nsims, r->ntouch, &r->nntouched);
    for (i = 0; i < r->nntouched; i++)
      if (r->nsims[r->ntouch[i]] > mx) mx = r->nsims[r->ntouch[i]];
    if (mx > lx) {   /* (the library's similarities only then) */
      ad_rsims(r->g, v, r->gsims, r->gtouch, &r->ngtouched);
      for (i = 0; i < r->ngtouched; i++) {
        uint32_t l = r->gtouch[i];
        if (r->gsims[l] > lx) lx = r->gsims[l];
        r->gsims[l] = 0;
      }
      r->ngtouched = 0;
      if (mx > lx) s -= mx - lx;
    }
  }
  ad_rreset(r);
  return s;
}
/* }====================================================== */

/* {====================================================== narrowing */
typedef struct ad_rqterm {
  double q; uint64_t key; uint32_t id;
  uint32_t str, len;          /* its text in ad_rwords.strs (words outside
                                 the model; len 0: not found) */
  uint32_t term;              /* its term in the index (AD_RNONE: none) */
  uint32_t cterm;             /* its term in the second index (AD_RNONE:
                                 none; found by ad_rwords_cterms) */
} ad_rqterm;

static int ad_rqterm_cmp(const void *x, const void *y) {
  const ad_rqterm *a = (const ad_rqterm *)x, *b = (const ad_rqterm *)y;
  if (a->q != b->q) return a->q > b->q ? -1 : 1;
  return a->key < b->key ? -1 : a->key > b->key;
}

#define AD_RBIT(b, i) ((b)[(i) >> 3] & (1u << ((i) & 7)))

static uint64_t ad_rkey_of(const ad_rstate *r, uint32_t id) {
  if (id < r->m->nf) return r->m->keys[id];
  id -= r->ext.base;
  return id < r->ext.n ? r->ext.bykey[id] : 0;
}

/* Walk the postings of term t: acc[base + d] += q * impact for docs d with
** base + d < dmax and the term in the title or abstract, among the
** candidates (cbits NULL: all) and not excluded (cbits and excl are
** indexed by base + d: see ad_rstate.cx). */
static int ad_rpost(ad_ix *ix, const ad_ixterm *t, double q, float *acc,
                    const uint8_t *cbits, const uint8_t *excl, uint32_t base,
                    uint32_t dmax) {
  uint32_t nd = ix->m.ndocs, b, nb = (t->df + AD_BLOCK - 1) / AD_BLOCK, doc = 0, j;
  const uint8_t *list = ix->sec[AD_SEC_POST] + t->post, *lend = list + t->postlen;
  int bad = 0;
  for (b = 0; b < nb; b++) {
    ad_ixskip sk;
    uint32_t cnt = b + 1 < nb ? AD_BLOCK : t->df - b * AD_BLOCK;
    uint32_t docs[AD_BLOCK];
    const uint8_t *p, *imp;
    memcpy(&sk, list + (size_t)b * sizeof sk, sizeof sk);
    if (sk.off > t->postlen) return AD_ECORRUPT;
    p = list + sk.off;
    for (j = 0; j < cnt; j++) {
      doc += ad_varint_get(&p, lend, &bad);
      if (doc >= nd) bad = 1;
      docs[j] = doc++;
    }
    if (bad || (size_t)(lend - p) < cnt) return AD_ECORRUPT;
    imp = p;
    p += cnt;
    for (j = 0; j < cnt; j++) {
      uint32_t npm = (imp[j] & 1) ? AD_NPM_DEFAULT : ad_varint_get(&p, lend, &bad);
      uint32_t d = docs[j];
      if (bad) return AD_ECORRUPT;
      d += base;
      if (d >= dmax) return AD_OK;          /* (docs ascend) */
      if (!(npm & 3) || AD_RBIT(excl, d) || (cbits && !AD_RBIT(cbits, d))) continue;
      acc[d] += (float)(q * (imp[j] >> 1));
    }
  }
  return AD_OK;
}

/* The words of the profile that weigh most against the background (at
** most AD_RNARROW_TERMS), as terms of the index (and of the second index):
** what finds the papers near the library through the postings. */
typedef struct ad_rwords {
  ad_rqterm *qt; uint32_t nq, capq;
  char *strs; uint32_t nstrs, capstrs;   /* text of words outside the model */
  int done;                   /* 1: found (qt[i].term) */
  int cdone;                  /* 1: found in the second index (qt[i].cterm) */
} ad_rwords;

static void ad_rwords_free(const ad_alloc *a, ad_rwords *w) {
  ad_free(a, w->qt, (size_t)w->capq * sizeof *w->qt);
  ad_free(a, w->strs, w->capstrs);
  memset(w, 0, sizeof *w);
}

static int ad_rwords_get(ad_rstate *r, ad_rwords *w) {
  ad_ix *ix = r->x.ix;
  const ad_alloc *a = r->x.a;
  const ad_rset *lib = &r->lib;
  uint32_t i, j, l, found = 0, need = 0, nc = lib->mbits ? 1u << lib->mbits : 0;
  ad_rqterm e;
  int st;
  if (w->done) return AD_OK;
  w->done = 1;
  if (ad_grow(a, (void **)&w->qt, &w->capq, AD_RNARROW_TERMS, sizeof *w->qt)) return AD_ENOMEM;
  for (i = 0; i < nc; i++) {
    uint32_t id = lib->mid[i];
    uint64_t key;
    double q, mu;
    if (id == AD_RNONE) continue;
    key = ad_rkey_of(r, id);
    if (AD_RKIND(key) != AD_RK_UNI) continue;
    mu = id < r->m->nf ? r->m->mu[id] : 0;
    q = lib->mq[i] - r->o->background * mu;
    if (!(q > 0)) continue;
    /* the best AD_RNARROW_TERMS, in order (an insertion into w->qt) */
    e.q = q; e.key = key; e.id = id; e.len = 0; e.str = 0;
    e.term = AD_RNONE; e.cterm = AD_RNONE;
    if (w->nq == AD_RNARROW_TERMS && ad_rqterm_cmp(&e, &w->qt[w->nq - 1]) >= 0) continue;
    if (w->nq < AD_RNARROW_TERMS) w->nq++;
    for (j = w->nq - 1; j > 0 && ad_rqterm_cmp(&e, &w->qt[j - 1]) < 0; j--) w->qt[j] = w->qt[j - 1];
    w->qt[j] = e;
  }
  /* their terms: the model knows those of the sample's words; the others
  ** (words of older library papers, or of papers of the second index) by
  ** their text, from the library's papers and its free text */
  for (i = 0; i < w->nq; i++)
    if (w->qt[i].id < r->m->nf) w->qt[i].term = r->m->term[w->qt[i].id];
    else need++;
  for (l = 0; l < lib->n && found < need; l++) {
    uint32_t ld = lib->doc[l];
    ad_rctx *lx = &r->x;
    r->v.keep = 1;
    if (ld == AD_RNONE) {   /* the free text: its words, as the library's */
      ad_rv_clear(&r->v);
      st = r->text != NULL ? ad_rv_text(a, &r->v, r->text, r->textlen, 1.0f, r->o->bigrams) : AD_OK;
    } else {
      if (r->cx.ix != NULL && ld >= r->cbase) { lx = &r->cx; ld -= r->cbase; }
      st = ad_rv_doc(lx, &r->v, ld);
    }
    r->v.keep = 0;
    if (st != AD_OK) return st;
    for (j = 0; j < r->v.n; j++) {
      const ad_rfeat *f = &r->v.f[j];
      uint32_t q;
      int err = 0;
      int64_t tn;
      if (AD_RKIND(f->key) != AD_RK_UNI || f->slen == 0) continue;
      for (q = 0; q < w->nq; q++)
        if (w->qt[q].key == f->key && w->qt[q].id >= r->m->nf && w->qt[q].len == 0) break;
      if (q == w->nq) continue;
      if (ad_grow(a, (void **)&w->strs, &w->capstrs, w->nstrs + f->slen, 1)) return AD_ENOMEM;
      memcpy(w->strs + w->nstrs, r->v.s + f->str, f->slen);
      w->qt[q].str = w->nstrs; w->qt[q].len = f->slen;
      w->nstrs += f->slen;
      found++;
      tn = ad_ix_find(ix, r->v.s + f->str, f->slen, &err);
      if (err) return err;
      if (tn >= 0 && ad_ix_term(ix, (uint32_t)tn) != NULL) w->qt[q].term = (uint32_t)tn;
    }
  }
  return AD_OK;
}

/* The words' terms in the second index r->cx (after ad_rwords_get), found
** by their text: a word of the model by its term's text in the first
** index (a word with none there has none in either: the two are made by
** the same tokenizer), another by the text found in the library. */
static int ad_rwords_cterms(ad_rstate *r, ad_rwords *w) {
  ad_ix *ix = r->x.ix, *cix = r->cx.ix;
  uint32_t i;
  if (w->cdone || cix == NULL) return AD_OK;
  w->cdone = 1;
  for (i = 0; i < w->nq; i++) {
    ad_rqterm *q = &w->qt[i];
    const char *s;
    size_t n;
    int err = 0;
    int64_t tn;
    q->cterm = AD_RNONE;
    if (q->id < r->m->nf) {
      const ad_ixterm *t;
      if (q->term == AD_RNONE) continue;
      t = ad_ix_term(ix, q->term);
      if (t == NULL || (s = ad_ix_termstr(ix, t)) == NULL) return AD_ECORRUPT;
      n = t->len;
    } else {
      if (q->len == 0) continue;
      s = w->strs + q->str; n = q->len;
    }
    tn = ad_ix_find(cix, s, n, &err);
    if (err) return err;
    if (tn >= 0 && ad_ix_term(cix, (uint32_t)tn) != NULL) q->cterm = (uint32_t)tn;
  }
  return AD_OK;
}

/* The (k+1)-th largest of v[0..n) (k < n); v is reordered. */
static float ad_rkth(float *v, uint32_t n, uint32_t k) {
  uint32_t lo = 0, hi = n - 1;
  while (lo < hi) {
    float p = v[lo + (hi - lo) / 2], t;
    uint32_t i = lo, j = hi;
    while (i <= j) {                 /* descending: > p left, < p right */
      while (v[i] > p) i++;
      while (v[j] < p) j--;
      if (i <= j) {
        t = v[i]; v[i] = v[j]; v[j] = t;
        i++;
        if (j == 0) break;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return v[k];
  }
  return v[k];
}

/* The best k docs d < dmax by the impacts of the words w, into
** out[0..*nout) (out holds k). cbits: the candidate set (NULL: all
** docs); excl: docs never returned. The postings walked: those of r->x's
** index (walk & 1: qt[i].term) and of the second index r->cx (walk & 2:
** qt[i].cterm, after ad_rwords_cterms); docs as in ad_rstate (a doc of
** r->cx is cbase + its number). */
static int ad_rtopdocs(ad_rstate *r, const ad_rwords *w, const uint8_t *cbits,
                       const uint8_t *excl, int walk, uint32_t dmax, uint32_t k,
                       uint32_t *out, uint32_t *nout) {
  const ad_alloc *a = r->x.a;
  uint32_t nall = r->x.ix->m.ndocs + (r->cx.ix ? r->cx.ix->m.ndocs : 0);
  uint32_t i, nh = 0, nv = 0;
  float *acc, *vals, thr;
  int st = AD_OK;
  *nout = 0;
  if (dmax > nall) dmax = nall;
  if (dmax == 0 || k == 0) return AD_OK;
  acc = (float *)ad_malloc(a, (size_t)dmax * sizeof *acc);
  vals = (float *)ad_malloc(a, (size_t)dmax * sizeof *vals);
  if (acc == NULL || vals == NULL) { st = AD_ENOMEM; goto done; }
  memset(acc, 0, (size_t)dmax * sizeof *acc);
  for (i = 0; i < w->nq; i++) {
    int wk;
    for (wk = 1; wk <= 2; wk++) {
      ad_ix *ix = wk == 1 ? r->x.ix : r->cx.ix;
      uint32_t tn = wk == 1 ? w->qt[i].term : w->qt[i].cterm;
      uint32_t base = wk == 1 ? 0 : r->cbase;
      const ad_ixterm *t;
      if (!(walk & wk) || ix == NULL || tn == AD_RNONE || base >= dmax) continue;
      t = ad_ix_term(ix, tn);
      if (t == NULL) { st = AD_ECORRUPT; goto done; }
      st = ad_rpost(ix, t, w->qt[i].q, acc, cbits, excl, base, dmax);
      if (st != AD_OK) goto done;
    }
  }
  /* the k best: those above the k-th largest value, then those equal to
  ** it, lower docs first (what a heap of the best k keeps) */
  for (i = 0; i < dmax; i++) if (acc[i] > 0) vals[nv++] = acc[i];
  if (nv > k) {
    thr = ad_rkth(vals, nv, k - 1);
    for (i = 0; i < dmax && nh < k; i++) if (acc[i] > thr) out[nh++] = i;
    for (i = 0; i < dmax && nh < k; i++) if (acc[i] == thr) out[nh++] = i;
  } else
    for (i = 0; i < dmax; i++) if (acc[i] > 0) out[nh++] = i;
  *nout = nh;
done:
  ad_free(a, acc, (size_t)dmax * sizeof *acc);
  ad_free(a, vals, (size_t)dmax * sizeof *vals);
  return st;
}

/* The local background: the o->nlocal papers of the sample nearest to the
** library by its words (w), other than the library's and the negatives
** (excl). Their mean vector H, times background x local, is taken from the
** profile weights m->dq (found fewer, nh < nlocal: the rest of the mean is
** the global background, r->local = local x nh / nlocal); the docs go to r->hdocs (to clear dq after). A
** sample doc's vector: the model's kept one, or made again (a model read
** from a file keeps none: the same vector), whose features written in dq
** are listed in r->hids. */
static int ad_rlocal(ad_rstate *r, const ad_rwords *w, const uint8_t *excl) {
  ad_rmodel *m = r->m;
  const ad_alloc *a = r->x.a;
  uint32_t i, e, k = r->o->nlocal;
  float f, *dq = m->dq;
  int st;
  r->local = 0;
  if (k == 0 || !(r->o->local > 0) || !(r->o->background > 0) || m->nsample == 0) return AD_OK;
  if (k > m->nsample) k = m->nsample;
  r->hdocs = (uint32_t *)ad_malloc(a, (size_t)k * sizeof *r->hdocs);
  if (r->hdocs == NULL) return AD_ENOMEM;
  r->caph = k;
  st = ad_rtopdocs(r, w, NULL, excl, 1, m->nsample, k, r->hdocs, &r->nh);
  if (st != AD_OK || r->nh == 0) return st;
  /* the mean of k papers: when fewer than k share a word with the
  ** library, the missing ones are the global background's (their share
  ** goes to it). Divided by nh instead, a library whose words one paper
  ** holds took that paper's whole vector from the profile: the paper
  ** nearest to the library ranked last */
  r->local = r->o->local * ((double)r->nh / k);
  f = (float)((double)r->o->background * r->o->local / k);
  for (i = 0; i < r->nh; i++) {
    uint32_t d = r->hdocs[i];
    ad_rview v;
    if (d < m->nkept) {            /* kept (and cleared by ad_rlocal_clear) */
      const uint32_t *vid = m->vid;
      const float *vw = m->vw;
      uint32_t end = m->voff[d + 1];
      for (e = m->voff[d]; e < end; e++) dq[vid[e]] -= f * vw[e];
      continue;
    }
    st = ad_rdocview(r, d, 0, &v);
    if (st != AD_OK) return st;
    if (ad_grow(a, (void **)&r->hids, &r->caphids, r->nhids + v.n, sizeof *r->hids))
      return AD_ENOMEM;
    for (e = 0; e < v.n; e++) {
      uint32_t id = v.id[e];
      if (id >= m->nf) continue;       /* (a sample doc's features are the model's) */
      r->hids[r->nhids++] = id;
      dq[id] -= f * v.w[e];
    }
  }
  return AD_OK;
}

/* zero m->dq where the local background wrote */
static void ad_rlocal_clear(ad_rstate *r) {
  ad_rmodel *m = r->m;
  uint32_t i, e;
  float *dq = m->dq;
  uint64_t nw = r->nhids;
  for (i = 0; i < r->nh; i++)
    if (r->hdocs[i] < m->nkept) nw += m->voff[r->hdocs[i] + 1] - m->voff[r->hdocs[i]];
  if (nw * 8 > m->nf) {          /* scattered writes cost more than a sweep */
    memset(dq, 0, (size_t)m->nf * sizeof *dq);
    r->nh = r->nhids = 0;
    return;
  }
  for (i = 0; i < r->nh; i++) {
    uint32_t d = r->hdocs[i], end;
    if (d >= m->nkept) continue;
    end = m->voff[d + 1];
    for (e = m->voff[d]; e < end; e++) dq[m->vid[e]] = 0;
  }
  for (i = 0; i < r->nhids; i++) dq[r->hids[i]] = 0;
  r->nh = r->nhids = 0;
}

/* The weights a candidate's vector is scored with (ad_rscore): the
** library's profile less the local background in m->dq (and, for words
** the model does not have, r->lib.mq), less background x (1 - local) x
** the background (each vector's .cmu). After the library's set is made;
** excl: the library's docs. Undone by ad_rweights_clear (whatever the
** result). */
static int ad_rweights(ad_rstate *r, ad_rwords *words, const uint8_t *excl) {
  const ad_ropts *o = r->o;
  int st;
  ad_rset_profile(&r->lib, o->alpha, r->m->dq, r->m->nf, 0);
  if (!(o->local > 0) || o->nlocal == 0 || !(o->background > 0)) return AD_OK;
  st = ad_rwords_get(r, words);
  if (st == AD_OK) st = ad_rlocal(r, words, excl);
  return st;
}

/* m->dq back to zeros */
static void ad_rweights_clear(ad_rstate *r) {
  ad_rlocal_clear(r);
  ad_rset_profile(&r->lib, r->o->alpha, r->m->dq, r->m->nf, 1);
}
/* }====================================================== */

/* {====================================================== evidence */
typedef struct ad_rtermc {
  double w;
  const char *s; uint32_t slen, kind;
  uint32_t nlen, hyphen;                /* groups: the words, one space apart */
  char norm[2 * AD_TOK_MAX + 2];
} ad_rtermc;

static int ad_rpaper_cmp(const void *x, const void *y) {
  const ad_rpaper *a = (const ad_rpaper *)x, *b = (const ad_rpaper *)y;
  if (a->score != b->score) return a->score > b->score ? -1 : 1;
  return a->doc < b->doc ? -1 : a->doc > b->doc;
}

static int ad_rtermc_cmp(const void *x, const void *y) {
  const ad_rtermc *a = (const ad_rtermc *)x, *b = (const ad_rtermc *)y;
  size_t n;
  int c;
  if (a->w != b->w) return a->w > b->w ? -1 : 1;
  n = a->slen < b->slen ? a->slen : b->slen;
  c = memcmp(a->s, b->s, n);
  if (c) return c;
  if (a->slen != b->slen) return a->slen < b->slen ? -1 : 1;
  return a->kind < b->kind ? -1 : a->kind > b->kind;
}

/* Is word w[0..n) one of the space-separated words of g? */
static int ad_rhasword(const ad_rtermc *g, const char *w, uint32_t n) {
  uint32_t i = 0;
  while (i < g->nlen) {
    uint32_t e = i;
    while (e < g->nlen && g->norm[e] != ' ') e++;
    if (e - i == n && memcmp(g->norm + i, w, n) == 0) return 1;
    i = e + 1;
  }
  return 0;
}

/* Features that count in the score but are not shown as evidence: a
** function word alone or in a pair ("the", "able to", "of the": an
** author's phrasing, which the score rewards but a reader cannot act on)
** and the pieces of a URL ("https", "www"). What is shown is still the
** score's own decomposition, its strongest content features. */
static int ad_rnoevidence(const char *s, uint32_t n, int kind) {
  uint32_t i = 0;
  if (kind == AD_RK_AU) return 0;
  while (i < n) {
    uint32_t e = i;
    while (e < n && s[e] != ' ') e++;
    if (ad_rfuncword(s + i, e - i)) return 1;
    if ((e - i == 5 && memcmp(s + i, "https", 5) == 0) || (e - i == 4 && memcmp(s + i, "http", 4) == 0) ||
        (e - i == 3 && memcmp(s + i, "www", 3) == 0))
      return 1;
    i = e + 1;
  }
  return 0;
}

/* Group the positive features tt[0..nt) (best first) into what a reader
** sees: a word pair and the compound of the same words are one phrase,
** and a word joins the best phrase it is a word of. A group weighs the
** sum of its members' contributions. Writes the groups, best first, into
** gg (room for nt) and returns how many there are. */
static uint32_t ad_rgroup(const ad_rtermc *tt, uint32_t nt, ad_rtermc *gg) {
  uint32_t i, j, ng = 0, pass;
  for (pass = 0; pass < 2; pass++) {
    for (i = 0; i < nt; i++) {
      const ad_rtermc *t = &tt[i];
      int hyphen = t->kind == AD_RK_UNI && memchr(t->s, '-', t->slen) != NULL;
      int phrase = t->kind == AD_RK_BI || hyphen;
      char norm[2 * AD_TOK_MAX + 2];
      uint32_t n = t->slen < sizeof norm ? t->slen : (uint32_t)sizeof norm, k;
      if ((pass == 0) != phrase) continue;    /* phrases first, then words */
      for (k = 0; k < n; k++) norm[k] = t->s[k] == '-' ? ' ' : t->s[k];
      for (j = 0; j < ng; j++) {
        if (t->kind == AD_RK_AU || gg[j].kind == AD_RK_AU) continue;
        if (phrase ? (gg[j].nlen == n && memcmp(gg[j].norm, norm, n) == 0)
                   : ad_rhasword(&gg[j], norm, n)) break;
      }
      if (j < ng) {
        gg[j].w += t->w;
        if (hyphen && !gg[j].hyphen) { gg[j].s = t->s; gg[j].slen = t->slen; gg[j].hyphen = 1; }
        continue;
      }
      gg[ng] = *t;
      memcpy(gg[ng].norm, norm, n);
      gg[ng].nlen = n; gg[ng].hyphen = (uint32_t)hyphen;
      ng++;
    }
  }
  if (ng > 1) qsort(gg, ng, sizeof *gg, ad_rtermc_cmp);
  return ng;
}

/* Evidence of hit h: its doc vectorised again, with its features' text;
** the score decomposed over the library's papers and over the features. */
static int ad_revidence(ad_rstate *r, const ad_rreq *q, ad_rhit *h,
                        ad_rresult *res, ad_rpaper **pt, uint32_t *cappt,
                        ad_rtermc **tt, uint32_t *captt) {
  const ad_alloc *a = r->x.a;
  const ad_ropts *o = r->o;
  const ad_rvec *v = &r->v;
  ad_rview view;
  double L = r->lib.n, knnw = 0;
  uint32_t i, np = 0, nt = 0;
  int st = ad_rdocview(r, h->doc, 1, &view);
  if (st != AD_OK) return st;
  ad_rsims(&r->lib, &view, r->sims, r->touched, &r->ntouched);
  if (o->alpha < 1) {
    (void)ad_rtopm(r);
    knnw = (1 - o->alpha) / r->mm;
  }
  /* papers: alpha / L * c.x_l, plus the nearest's share */
  if (ad_grow(a, (void **)pt, cappt, r->ntouched + 1, sizeof **pt)) { ad_rreset(r); return AD_ENOMEM; }
  for (i = 0; i < r->ntouched; i++) {
    uint32_t l = r->touched[i];
    double s = r->sims[l] * (o->alpha / L + (r->topm[l] ? knnw : 0));
    if (r->lib.doc[l] == AD_RNONE || !(s > 0)) continue;
    (*pt)[np].doc = r->lib.doc[l]; (*pt)[np].score = (float)s;
    np++;
  }
  if (np > 1) qsort(*pt, np, sizeof **pt, ad_rpaper_cmp);
  if (np > q->npapers) np = q->npapers;
  /* terms: c_f (alpha P_f - background B_f + the nearest's share) */
  if (ad_grow(a, (void **)tt, captt, 2 * v->n + 1, sizeof **tt)) { ad_rreset(r); return AD_ENOMEM; }
  for (i = 0; i < v->n; i++) {
    const ad_rfeat *f = &v->f[i];
    uint32_t hs = ad_rset_find(&r->lib, f->id), e;
    double w;
    if (f->id < r->m->nf)      /* the profile less the local background, */
      w = r->m->dq[f->id] - o->background * (1 - r->local) * r->m->mu[f->id];
    else                       /* and the rest of the background */
      w = hs != AD_RNONE ? r->lib.mq[hs] : 0;
    if (hs != AD_RNONE) {
      if (knnw > 0)
        for (e = r->lib.mhead[hs]; e; e = r->lib.enext[e - 1])
          if (r->topm[r->lib.eown[e - 1]]) w += knnw * r->lib.ew[e - 1];
    }
    w *= f->w;
    if (!(w > 0) || f->slen == 0) continue;
    if (ad_rnoevidence(v->s + f->str, f->slen, (int)AD_RKIND(f->key))) continue;
    (*tt)[nt].w = w; (*tt)[nt].s = v->s + f->str;
    (*tt)[nt].slen = f->slen; (*tt)[nt].kind = (uint32_t)AD_RKIND(f->key);
    nt++;
  }
  ad_rreset(r);
  if (nt > 1) qsort(*tt, nt, sizeof **tt, ad_rtermc_cmp);
  nt = ad_rgroup(*tt, nt, *tt + v->n);
  memmove(*tt, *tt + v->n, (size_t)nt * sizeof **tt);
  if (nt > q->nterms) nt = q->nterms;
  /* into the result */
  if (ad_grow(a, (void **)&res->papers, &res->cappapers, res->npapers + np + 1, sizeof *res->papers) ||
      ad_grow(a, (void **)&res->terms, &res->capterms, res->nterms + nt + 1, sizeof *res->terms))
    return AD_ENOMEM;
  h->paper = res->npapers; h->npaper = np;
  memcpy(res->papers + res->npapers, *pt, (size_t)np * sizeof **pt);
  res->npapers += np;
  h->term = res->nterms; h->nterm = nt;
  for (i = 0; i < nt; i++) {
    const ad_rtermc *e = &(*tt)[i];
    ad_rterm *t = &res->terms[res->nterms++];
    if (ad_grow(a, (void **)&res->strs, &res->capstrs, res->nstrs + e->slen + 1, 1))
      return AD_ENOMEM;
    memcpy(res->strs + res->nstrs, e->s, e->slen);
    t->off = res->nstrs; t->len = e->slen; t->weight = (float)e->w;
    res->nstrs += e->slen;
  }
  return AD_OK;
}
/* }====================================================== */

/* {====================================================== entry point */
void ad_rresult_free(const ad_alloc *a, ad_rresult *res) {
  ad_free(a, res->hits, (size_t)res->nhits * sizeof *res->hits);
  ad_free(a, res->papers, (size_t)res->cappapers * sizeof *res->papers);
  ad_free(a, res->terms, (size_t)res->capterms * sizeof *res->terms);
  ad_free(a, res->strs, res->capstrs);
  res->hits = NULL; res->papers = NULL; res->terms = NULL; res->strs = NULL;
  res->nhits = res->npapers = res->nterms = res->nstrs = 0;
  res->cappapers = res->capterms = res->capstrs = 0;
}

/* Add the papers docs[0..n) to set s, skipping those marked in mark and
** marking the others. */
static int ad_rset_docs(ad_rstate *r, ad_rset *s, const uint32_t *docs,
                        uint32_t n, uint8_t *mark) {
  uint32_t i;
  int st;
  for (i = 0; i < n; i++) {
    uint32_t d = docs[i];
    ad_rview v;
    if (AD_RBIT(mark, d)) continue;
    mark[d >> 3] |= (uint8_t)(1u << (d & 7));
    st = ad_rdocview(r, d, 0, &v);
    if (st != AD_OK) return st;
    if (v.n == 0) continue;
    st = ad_rset_add(r->x.a, s, &v, d);
    if (st != AD_OK) return st;
  }
  return AD_OK;
}

/* With candidates from another index: mark in excl the docs of either
** index with the id of one of docs[0..n) in the other. */
static int ad_rexcl_ids(ad_rstate *r, const uint32_t *docs, uint32_t n,
                        uint8_t *excl) {
  uint32_t i;
  for (i = 0; i < n; i++) {
    int own = docs[i] < r->cbase, err = 0;
    ad_ix *from = own ? r->x.ix : r->cx.ix, *to = own ? r->cx.ix : r->x.ix;
    const ad_ixdoc *d = ad_ix_doc(from, own ? docs[i] : docs[i] - r->cbase);
    const char *id;
    int64_t o;
    if (d == NULL || (id = ad_ix_docid(from, d)) == NULL) return AD_ECORRUPT;
    o = ad_ix_find_id(to, id, d->idlen, &err);
    if (err) return err;
    if (o >= 0) {
      uint32_t e = (own ? r->cbase : 0) + (uint32_t)o;
      excl[e >> 3] |= (uint8_t)(1u << (e & 7));
    }
  }
  return AD_OK;
}

/* With negatives: the library papers a paper's nearness to the library is
** measured on (ad_rscore), r->g: the whole library when it has at most
** o->nnear papers, else r->near, the nnear library papers
** nearest to each negative (a paper near a negative and near the library
** is taken to be near one of those: every library paper's similarity to
** every paper near a negative took 25 s for a library of 5,000 papers on
** the whole 50,887-paper archive, against 0.6 s without negatives); and
** the scratch of its similarities. */
static int ad_rnear(ad_rstate *r) {
  const ad_alloc *a = r->x.a;
  uint32_t i, j, n, mm = r->mm, k = r->o->nnear;
  uint8_t *pick;
  int st = AD_OK;
  if (k == 0) k = 1;
  if (k > 64) k = 64;                /* (ad_rtopm's bound) */
  r->g = &r->lib;
  if (r->lib.n > k) {
    r->g = &r->near;
    pick = (uint8_t *)ad_malloc(a, r->lib.n);
    if (pick == NULL) return AD_ENOMEM;
    memset(pick, 0, r->lib.n);
    r->mm = k;
    for (i = 0; i < r->neg.n; i++) {
      ad_rview v;
      st = ad_rdocview(r, r->neg.doc[i], 0, &v);
      if (st != AD_OK) break;
      ad_rsims(&r->lib, &v, r->sims, r->touched, &r->ntouched);
      (void)ad_rtopm(r);
      for (j = 0; j < r->ntouched; j++) if (r->topm[r->touched[j]]) pick[r->touched[j]] = 1;
      ad_rreset(r);
    }
    r->mm = mm;
    for (i = 0; i < r->lib.n && st == AD_OK; i++) {
      ad_rview v;
      if (!pick[i]) continue;
      st = ad_rdocview(r, r->lib.doc[i], 0, &v);
      if (st == AD_OK && v.n) st = ad_rset_add(a, &r->near, &v, r->lib.doc[i]);
    }
    ad_free(a, pick, r->lib.n);
    if (st != AD_OK) return st;
  }
  n = r->g->n ? r->g->n : 1;
  r->capg = n;
  r->gsims = (double *)ad_malloc(a, (size_t)n * sizeof *r->gsims);
  r->gtouch = (uint32_t *)ad_malloc(a, (size_t)n * sizeof *r->gtouch);
  if (r->gsims == NULL || r->gtouch == NULL) return AD_ENOMEM;
  memset(r->gsims, 0, (size_t)n * sizeof *r->gsims);
  return AD_OK;
}

int ad_recommend(ad_ix *ix, ad_corpus *c, ad_rmodel *m,
                 const ad_ropts *o, const ad_rreq *q, ad_rresult *res) {
  const ad_alloc *a = &ix->a;
  uint32_t nd = ix->m.ndocs, i, k, count, nheap = 0, nlist = 0, ntodo;
  /* docs: < nd of ix, then (with q->cix) nd + a doc of cix */
  uint32_t nall = nd, first = 0;
  size_t nb;
  uint8_t *excl = NULL, *seen = NULL, *cbits = NULL;
  uint32_t *list = NULL;
  const uint32_t *todo;
  ad_rscored *heap = NULL;
  ad_rpaper *pt = NULL; ad_rtermc *tt = NULL;
  uint32_t cappt = 0, captt = 0, capheap = 0, caplist = 0;
  ad_rstate r;
  ad_rwords words;
  int st = AD_ENOMEM, profiled = 0;
  memset(res, 0, sizeof *res);
  memset(&words, 0, sizeof words);
  res->badfile = AD_RNONE;
  memset(&r, 0, sizeof r);
  r.x.ix = ix; r.x.c = c; r.x.a = a; r.x.o = o; r.m = m; r.o = o;
  r.x.badfile = AD_RNONE;
  r.ext.base = m->nf;
  if (q->cix) {
    if ((uint64_t)nd + q->cix->m.ndocs >= AD_RNONE) return AD_ENOMEM;
    r.cx.ix = q->cix; r.cx.c = q->cc; r.cx.a = a; r.cx.o = o;
    r.cx.badfile = AD_RNONE;
    r.cbase = nd;
    nall = nd + q->cix->m.ndocs;
    first = nd;                     /* no candidates given: every doc of cix */
  }
  nb = ((size_t)nall + 7) / 8;
  for (i = 0; i < q->nlib; i++) if (q->lib[i] >= nall) return AD_EFORMAT;
  for (i = 0; i < q->nneg; i++) if (q->neg[i] >= nall) return AD_EFORMAT;
  if (q->cand) for (i = 0; i < q->ncand; i++) if (q->cand[i] >= nall) return AD_EFORMAT;
  if (nd == 0 || m->ndocs != nd || m->dq == NULL) return nd == 0 ? AD_OK : AD_EFORMAT;
  excl = (uint8_t *)ad_malloc(a, nb);
  seen = (uint8_t *)ad_malloc(a, nb);
  if (excl == NULL || seen == NULL) goto done;
  memset(excl, 0, nb);
  memset(seen, 0, nb);
  /* the library, then the negatives (a paper in both is a library paper) */
  st = ad_rset_docs(&r, &r.lib, q->lib, q->nlib, excl);
  if (st == AD_OK && q->text != NULL && q->textlen > 0) {
    ad_rview v;
    r.text = q->text; r.textlen = q->textlen;
    ad_rv_clear(&r.v);
    st = ad_rv_text(a, &r.v, q->text, q->textlen, 1.0f, o->bigrams);
    if (st == AD_OK) {
      ad_rv_weigh(m, o, &r.v);
      st = ad_rv_ids(&r);
    }
    if (st == AD_OK && r.v.n) {
      uint32_t *ids = (uint32_t *)ad_malloc(a, (size_t)r.v.n * sizeof *ids);
      float *ws = (float *)ad_malloc(a, (size_t)r.v.n * sizeof *ws);
      if (ids && ws) {
        for (i = 0; i < r.v.n; i++) { ids[i] = r.v.f[i].id; ws[i] = r.v.f[i].w; }
        v.id = ids; v.w = ws; v.n = r.v.n; v.cmu = r.v.cmu;
        st = ad_rset_add(a, &r.lib, &v, AD_RNONE);
      } else st = AD_ENOMEM;
      ad_free(a, ids, (size_t)r.v.n * sizeof *ids);
      ad_free(a, ws, (size_t)r.v.n * sizeof *ws);
    }
  }
  /* the library's papers in the other index too (never returned, nor in
  ** the local background; a negative among them is a library paper) */
  if (st == AD_OK && q->cix) st = ad_rexcl_ids(&r, q->lib, q->nlib, excl);
  if (st != AD_OK) goto done;
  res->nlib = r.lib.n;
  if (r.lib.n == 0) { st = AD_OK; goto done; }
  /* the library's weights (of the library alone: negatives only rank
  ** papers down), then the negatives */
  profiled = 1;
  st = ad_rweights(&r, &words, excl);
  if (st == AD_OK) st = ad_rset_docs(&r, &r.neg, q->neg, q->nneg, excl);
  if (st == AD_OK && q->cix)     /* the negatives' papers in the other index */
    st = ad_rexcl_ids(&r, q->neg, q->nneg, excl);
  if (st != AD_OK) goto done;
  r.mm = o->m == 0 ? 1 : o->m;
  if (r.mm > r.lib.n) r.mm = r.lib.n;
  r.sims = (double *)ad_malloc(a, (size_t)r.lib.n * sizeof *r.sims);
  r.touched = (uint32_t *)ad_malloc(a, (size_t)r.lib.n * sizeof *r.touched);
  r.topm = (uint8_t *)ad_malloc(a, r.lib.n);
  r.nsims = (double *)ad_malloc(a, (size_t)(r.neg.n + 1) * sizeof *r.nsims);
  r.ntouch = (uint32_t *)ad_malloc(a, (size_t)(r.neg.n + 1) * sizeof *r.ntouch);
  if (!r.sims || !r.touched || !r.topm || !r.nsims || !r.ntouch) { st = AD_ENOMEM; goto done; }
  memset(r.sims, 0, (size_t)r.lib.n * sizeof *r.sims);
  memset(r.topm, 0, r.lib.n);
  memset(r.nsims, 0, (size_t)(r.neg.n + 1) * sizeof *r.nsims);
  if (r.neg.n) {
    st = ad_rnear(&r);
    if (st != AD_OK) goto done;
  }
  /* the candidates: all of them, or the best of a narrowing */
  count = q->cand ? q->ncand : nall - first;
  k = q->limit > count ? count : q->limit;
  k = q->offset >= count ? 0 : (q->offset + k > count ? count : q->offset + k);
  if (k == 0) { st = AD_OK; goto done; }
  todo = q->cand;
  ntodo = count;
  /* Narrowed: a large candidate set, unless nearly all of it is asked for
  ** (8 times the papers asked for, or more). When the narrowing finds
  ** fewer papers than asked for (a library whose strongest words few
  ** candidates share), every candidate is scored: a request is never
  ** answered with fewer papers than there are candidates to give. */
  if (count > o->exact && (uint64_t)k * 8 < count) {
    uint32_t want = o->shortlist;
    if (k * 8 > want) want = k * 8;
    int walk = first ? 2 : 1;          /* whose postings: ix's (1), cix's (2) */
    if (q->cand) {
      cbits = (uint8_t *)ad_malloc(a, nb);
      if (cbits == NULL) { st = AD_ENOMEM; goto done; }
      memset(cbits, 0, nb);
      walk = 0;
      for (i = 0; i < q->ncand; i++) {
        cbits[q->cand[i] >> 3] |= (uint8_t)(1u << (q->cand[i] & 7));
        walk |= q->cand[i] < nd ? 1 : 2;
      }
    }
    caplist = want ? want : 1;
    list = (uint32_t *)ad_malloc(a, (size_t)caplist * sizeof *list);
    if (list == NULL) { st = AD_ENOMEM; goto done; }
    st = ad_rwords_get(&r, &words);
    if (st == AD_OK && (walk & 2)) st = ad_rwords_cterms(&r, &words);
    if (st == AD_OK) st = ad_rtopdocs(&r, &words, cbits, excl, walk, nall, want, list, &nlist);
    if (st != AD_OK) goto done;
    if (nlist >= k) { todo = list; ntodo = nlist; }
  }
  capheap = k;
  heap = (ad_rscored *)ad_malloc(a, (size_t)capheap * sizeof *heap);
  if (heap == NULL) { st = AD_ENOMEM; goto done; }
  for (i = 0; i < ntodo; i++) {
    uint32_t d = todo ? todo[i] : first + i;
    ad_rscored e;
    ad_rview v;
    if (AD_RBIT(excl, d) || AD_RBIT(seen, d)) continue;
    seen[d >> 3] |= (uint8_t)(1u << (d & 7));
    st = ad_rdocview(&r, d, 0, &v);
    if (st != AD_OK) goto done;
    e.score = ad_rscore(&r, &v);
    e.doc = d;
    res->scored++;
    ad_rheap_push(heap, &nheap, k, e);
  }
  if (nheap > 1) qsort(heap, nheap, sizeof *heap, ad_rbest_cmp);
  if (nheap > q->offset) {
    uint32_t nh = nheap - q->offset;
    res->hits = (ad_rhit *)ad_malloc(a, (size_t)nh * sizeof *res->hits);
    if (res->hits == NULL) { st = AD_ENOMEM; goto done; }
    memset(res->hits, 0, (size_t)nh * sizeof *res->hits);
    res->nhits = nh;
    for (i = 0; i < nh; i++) {
      res->hits[i].doc = heap[q->offset + i].doc;
      res->hits[i].score = (float)heap[q->offset + i].score;
      if (q->npapers == 0 && q->nterms == 0) continue;
      st = ad_revidence(&r, q, &res->hits[i], res, &pt, &cappt, &tt, &captt);
      if (st != AD_OK) goto done;
    }
  }
  st = AD_OK;
done:
  if (st != AD_OK) {
    uint32_t bf = r.x.badfile;
    int bc = 0;
    if (r.cx.ix != NULL && r.cx.badfile != AD_RNONE) { bf = r.cx.badfile; bc = 1; }
    ad_rresult_free(a, res);
    res->badfile = bf;
    res->badcand = bc;
  }
  if (profiled) ad_rweights_clear(&r);
  ad_free(a, r.hdocs, (size_t)r.caph * sizeof *r.hdocs);
  ad_free(a, r.hids, (size_t)r.caphids * sizeof *r.hids);
  ad_rwords_free(a, &words);
  ad_free(a, excl, nb);
  ad_free(a, seen, nb);
  ad_free(a, cbits, nb);
  ad_free(a, list, (size_t)caplist * sizeof *list);
  ad_free(a, heap, (size_t)capheap * sizeof *heap);
  ad_free(a, pt, (size_t)cappt * sizeof *pt);
  ad_free(a, tt, (size_t)captt * sizeof *tt);
  ad_free(a, r.sims, (size_t)r.lib.n * sizeof *r.sims);
  ad_free(a, r.touched, (size_t)r.lib.n * sizeof *r.touched);
  ad_free(a, r.topm, r.lib.n);
  ad_free(a, r.nsims, (size_t)(r.neg.n + 1) * sizeof *r.nsims);
  ad_free(a, r.ntouch, (size_t)(r.neg.n + 1) * sizeof *r.ntouch);
  ad_free(a, r.gsims, (size_t)r.capg * sizeof *r.gsims);
  ad_free(a, r.gtouch, (size_t)r.capg * sizeof *r.gtouch);
  ad_rset_free(a, &r.near);
  ad_free(a, r.vid, (size_t)r.capv * sizeof *r.vid);
  ad_free(a, r.vw, (size_t)r.capv * sizeof *r.vw);
  ad_rset_free(a, &r.lib);
  ad_rset_free(a, &r.neg);
  ad_rext_free(a, &r.ext);
  ad_rv_free(a, &r.v);
  ad_free(a, r.x.buf, r.x.bufcap);
  ad_free(a, r.cx.buf, r.cx.bufcap);
  return st;
}
/* }====================================================== */

/* {====================================================== lookups */
size_t ad_title_norm(const char *s, size_t n, char *out, size_t cap) {
  ad_tokenizer tz;
  ad_tok tk;
  size_t at = 0;
  ad_tok_init(&tz, s, n);
  while (ad_tok_next(&tz, &tk)) {
    if (tk.kind == AD_TK_COMPOUND) continue;
    if (at > 0) { if (at < cap) out[at] = ' '; at++; }
    if (at < cap) memcpy(out + at, tk.s, cap - at < tk.len ? cap - at : tk.len);
    at += tk.len;
  }
  return at;
}

size_t ad_title_unbrace(char *s, size_t n) {
  size_t i, o = 0;
  for (i = 0; i < n; i++) if (s[i] != '{' && s[i] != '}' && s[i] != '$') s[o++] = s[i];
  return o;
}

#define AD_RTITLE_TERMS 4
#define AD_RTITLE_MAX 2048

typedef struct ad_rtfind {
  ad_rctx x;
  const char *key; size_t keylen;
  char *norm;                  /* AD_RTITLE_MAX + 1 bytes */
  uint32_t *out, cap, n;
  int st;
} ad_rtfind;

static int ad_rtitle_cb(void *ud, uint32_t doc) {
  ad_rtfind *f = (ad_rtfind *)ud;
  size_t n, k;
  f->st = ad_rfield(&f->x, doc, AD_S_TITLE, &n);
  if (f->st != AD_OK) return 1;
  n = ad_title_unbrace(f->x.buf, n);     /* (our copy of the title) */
  k = ad_title_norm(f->x.buf, n, f->norm, AD_RTITLE_MAX + 1);
  if (k == f->keylen && k <= AD_RTITLE_MAX && memcmp(f->norm, f->key, k) == 0) {
    if (f->n < f->cap) f->out[f->n] = doc;
    f->n++;
  }
  return 0;
}

/* Candidates are found with the postings of the title's rarest words that
** the index has, then compared whole (normalised, braces dropped on both
** sides). A title with braces inside a word ("Aspl{ü}nd's", 1803.00764)
** is indexed as pieces ("aspl", "u", "nd"), which no word of a brace-free
** title names: such a word is not in the index and is passed over, or (a
** word other papers have) the AND of the rarest words misses the paper;
** so when the AND of the rarest 3 or 4 finds no paper, each of them is
** left out in turn (the AND of the others: few candidates, unlike an OR). */
int ad_find_title(ad_ix *ix, ad_corpus *c, const char *title, size_t n,
                  uint32_t *out, uint32_t cap, uint32_t *nfound,
                  uint32_t *badfile) {
  const ad_alloc *a = &ix->a;
  char *key = NULL, *norm = NULL, *plain = NULL;
  size_t keylen, pn = n;
  ad_tokenizer tz;
  ad_tok tk;
  struct { char s[AD_TOK_MAX + 1]; uint32_t len, df; } best[AD_RTITLE_TERMS];
  uint32_t nbest = 0, i, kids[AD_RTITLE_TERMS];
  ad_xnode nodes[AD_RTITLE_TERMS + 1];
  ad_rtfind f;
  int st = AD_ENOMEM, pass;
  *nfound = 0;
  if (badfile) *badfile = AD_RNONE;
  memset(&f, 0, sizeof f);
  key = (char *)ad_malloc(a, AD_RTITLE_MAX + 1);
  norm = (char *)ad_malloc(a, AD_RTITLE_MAX + 1);
  plain = (char *)ad_malloc(a, pn ? pn : 1);
  if (key == NULL || norm == NULL || plain == NULL) goto done;
  if (n) memcpy(plain, title, n);
  n = ad_title_unbrace(plain, n);
  keylen = ad_title_norm(plain, n, key, AD_RTITLE_MAX + 1);
  st = AD_OK;
  if (keylen == 0 || keylen > AD_RTITLE_MAX) goto done;   /* nothing to match */
  /* the rarest distinct words of the title that the index has */
  ad_tok_init(&tz, plain, n);
  while (ad_tok_next(&tz, &tk)) {
    int err = 0;
    int64_t tn;
    const ad_ixterm *t;
    uint32_t j;
    if (tk.kind == AD_TK_COMPOUND) continue;
    for (j = 0; j < nbest; j++)
      if (best[j].len == tk.len && memcmp(best[j].s, tk.s, tk.len) == 0) break;
    if (j < nbest) continue;
    tn = ad_ix_find(ix, tk.s, tk.len, &err);
    if (err) { st = err; goto done; }
    if (tn < 0) continue;                  /* a word no paper has (as a word) */
    t = ad_ix_term(ix, (uint32_t)tn);
    if (t == NULL) { st = AD_ECORRUPT; goto done; }
    if (nbest < AD_RTITLE_TERMS) j = nbest++;
    else {
      for (j = 0, i = 1; i < nbest; i++) if (best[i].df > best[j].df) j = i;
      if (best[j].df <= t->df) continue;
    }
    memcpy(best[j].s, tk.s, tk.len);
    best[j].len = tk.len; best[j].df = t->df;
  }
  if (nbest == 0) goto done;
  memset(nodes, 0, sizeof nodes);
  nodes[0].field = -1;
  nodes[0].kids = kids;
  for (i = 0; i < nbest; i++) {
    nodes[i + 1].type = AD_QN_TERM; nodes[i + 1].field = AD_F_TITLE;
    nodes[i + 1].text = best[i].s; nodes[i + 1].len = best[i].len;
  }
  f.x.ix = ix; f.x.c = c; f.x.a = a;
  f.key = key; f.keylen = keylen; f.norm = norm;
  f.out = out; f.cap = cap;
  nodes[0].type = AD_QN_AND;
  /* pass 0: all the words; pass k (3 words or more): all but the k-th,
  ** which braces may split in the paper's own title */
  for (pass = 0; pass <= (nbest >= 3 ? (int)nbest : 0) && st == AD_OK && f.n == 0; pass++) {
    uint32_t nk = 0;
    for (i = 0; i < nbest; i++) if ((int)i + 1 != pass) kids[nk++] = i + 1;
    nodes[0].nkids = nk;
    st = ad_each(ix, nodes, nbest + 1, ad_rtitle_cb, &f);
    if (st == AD_OK) st = f.st;
  }
  *nfound = f.n;
  if (badfile) *badfile = f.x.badfile;
done:
  ad_free(a, f.x.buf, f.x.bufcap);
  ad_free(a, key, AD_RTITLE_MAX + 1);
  ad_free(a, norm, AD_RTITLE_MAX + 1);
  ad_free(a, plain, pn ? pn : 1);
  return st;
}

static int ad_rlower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch; }

size_t ad_doi_norm(const char *s, size_t n, char *out, size_t cap) {
  size_t i;
  if (n > cap) n = cap;
  for (i = 0; i < n; i++) out[i] = (char)ad_rlower((unsigned char)s[i]);
  return n;
}

void ad_rdoi_free(ad_rdoi *t) {
  if (t->keys) ad_free(&t->a, t->keys, (size_t)t->cap * sizeof *t->keys);
  if (t->docs) ad_free(&t->a, t->docs, (size_t)t->cap * sizeof *t->docs);
  t->keys = NULL; t->docs = NULL; t->cap = t->n = 0;
}

static int ad_rdoi_put(ad_rdoi *t, uint64_t key, uint32_t doc) {
  uint32_t h;
  if (((uint64_t)t->n + 1) * 2 > t->cap) {
    uint32_t nc = t->cap ? t->cap * 2 : 1024, i;
    uint64_t *nk;
    uint32_t *ndoc;
    if (t->cap >= (1u << 30)) return AD_ENOMEM;
    nk = (uint64_t *)ad_malloc(&t->a, (size_t)nc * sizeof *nk);
    ndoc = (uint32_t *)ad_malloc(&t->a, (size_t)nc * sizeof *ndoc);
    if (nk == NULL || ndoc == NULL) {
      ad_free(&t->a, nk, (size_t)nc * sizeof *nk);
      ad_free(&t->a, ndoc, (size_t)nc * sizeof *ndoc);
      return AD_ENOMEM;
    }
    memset(nk, 0, (size_t)nc * sizeof *nk);
    for (i = 0; i < t->cap; i++) {
      if (t->keys[i] == 0) continue;
      h = ad_rslot(t->keys[i], nc - 1);
      while (nk[h]) h = (h + 1) & (nc - 1);
      nk[h] = t->keys[i]; ndoc[h] = t->docs[i];
    }
    ad_rdoi_free(t);
    t->keys = nk; t->docs = ndoc; t->cap = nc;
    for (i = 0; i < nc; i++) if (nk[i]) t->n++;
  }
  h = ad_rslot(key, t->cap - 1);
  while (t->keys[h]) {
    if (t->keys[h] == key) return AD_OK;      /* a newer paper has it */
    h = (h + 1) & (t->cap - 1);
  }
  t->keys[h] = key; t->docs[h] = doc; t->n++;
  return AD_OK;
}

int ad_rdoi_build(ad_rdoi *t, ad_ix *ix, ad_corpus *c, uint32_t *badfile) {
  ad_rctx x;
  uint32_t d, k;
  int st = AD_OK;
  char norm[256];
  memset(t, 0, sizeof *t);
  memset(&x, 0, sizeof x);
  t->a = ix->a; t->ndocs = ix->m.ndocs;
  x.ix = ix; x.c = c; x.a = &t->a;
  if (badfile) *badfile = AD_RNONE;
  for (d = 0; d < ix->m.ndocs && st == AD_OK; d++) {
    const ad_ixdoc *doc = ad_ix_doc(ix, d);
    if (doc == NULL) { st = AD_ECORRUPT; break; }
    if (!(doc->flags & AD_DF_DOI)) continue;
    for (k = 0; k < doc->napp && st == AD_OK; k++) {
      uint32_t r = ad_ix_app(ix, doc, k);
      size_t n, nn;
      if (r == UINT32_MAX) { st = AD_ECORRUPT; break; }
      size_t pos = 0, off, len;
      st = ad_rrecfield(&x, r, AD_S_DOI, &n);
      if (st != AD_OK || n == 0) continue;
      while (st == AD_OK && ad_doi_next(x.buf, n, &pos, &off, &len)) {
        nn = ad_doi_norm(x.buf + off, len, norm, sizeof norm);
        st = ad_rdoi_put(t, ad_rkey(AD_RK_UNI, norm, nn), d);
      }
    }
  }
  ad_free(&t->a, x.buf, x.bufcap);
  if (st != AD_OK) {
    if (badfile) *badfile = x.badfile;
    ad_rdoi_free(t);
  }
  return st;
}

int64_t ad_rdoi_find(const ad_rdoi *t, const char *doi, size_t n) {
  char norm[256];
  size_t pos = 0, off, len;
  if (t->cap == 0) return -1;
  while (ad_doi_next(doi, n, &pos, &off, &len)) {    /* the first DOI found */
    size_t nn = ad_doi_norm(doi + off, len, norm, sizeof norm);
    uint64_t key = ad_rkey(AD_RK_UNI, norm, nn);
    uint32_t h = ad_rslot(key, t->cap - 1);
    while (t->keys[h]) {
      if (t->keys[h] == key) return t->docs[h];
      h = (h + 1) & (t->cap - 1);
    }
  }
  return -1;
}
/* }====================================================== */
