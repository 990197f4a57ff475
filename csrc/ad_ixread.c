/*
** ad_ixread.c: an index as every reader sees it (pure C): the validated
** accessors (ad_ix_need, ad_ix_doc, ad_ix_term, ad_ix_find, ad_ix_rec,
** ...) that search, similar, the update, the store and the binding go
** through, and the index's lifetime (ad_ix_free).
**
** A built index and a loaded one read alike. For a loaded one, ad_ix_need
** verifies the checksum of every chunk the first time a byte of it is
** read, and every accessor checks the offsets and counts it returns against
** the sections: a reader never uses a byte that was not checked.
*/
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "ad_index.h"

/* {====================================================== helpers */
uint64_t ad_fasthash(const void *p, size_t n, uint64_t seed) {
  return ad_hash64(p, n, seed);
}


double ad_ix_idf(const ad_ix *ix, uint32_t df) {
  double n = ix->m.ndocs;
  return log(1.0 + (n - df + 0.5) / (df + 0.5));
}

/* }====================================================== */

/* {====================================================== lifetime */
/* sizes of the owned sections, for ad_ix_free */
static size_t ad_ix_ownsize(const ad_ix *ix, int s) {
  size_t n = ix->seclen[s];
  return n ? n : 1;
}

void ad_ix_free(ad_ix *ix) {
  int s;
  for (s = 0; s < AD_NSEC; s++)
    if (ix->own[s]) ad_free(&ix->a, ix->own[s], ad_ix_ownsize(ix, s));
  if (ix->verified) ad_free(&ix->a, ix->verified, ix->nchunks ? ix->nchunks : 1);
  if (ix->recdone) ad_free(&ix->a, ix->recdone, ((size_t)ix->nrecdone + 7) / 8);
  if (ix->filedone) ad_free(&ix->a, ix->filedone, ((size_t)ix->nfiledone + 7) / 8);
  if (ix->map) ad_ix_unmap(ix);
  memset(ix, 0, sizeof *ix);
}


void ad_ix_unmap(ad_ix *ix) {
  if (ix->map) munmap(ix->map, ix->maplen);
  ix->map = NULL;
}
/* }====================================================== */

/* {====================================================== what failed */
const char *ad_ixparams_check(const ad_ixparams *p) {
  static const char *const w[AD_NFIELDS] = {"weights.ti", "weights.abs", "weights.au",
                                            "weights.co"};
  int f;
  for (f = 0; f < AD_NFIELDS; f++)
    if (!(p->w[f] >= 0 && p->w[f] < 1e6f)) return w[f];
  if (!(p->k1 >= 0 && p->k1 < 1000)) return "k1";
  if (!(p->b >= 0 && p->b <= 1)) return "b";
  return NULL;
}

int ad_ix_corrupt(ad_ix *ix, int kind, uint32_t item) {
  uint64_t none = 0, v = (uint64_t)kind << 32 | item;
  /* the first one wins; readers on two threads may both find one */
  (void)__atomic_compare_exchange_n(&ix->bad, &none, v, 0, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED);
  return AD_ECORRUPT;
}

const char *ad_ix_why(const ad_ix *ix, char *buf, size_t n) {
  static const char *const what[] = {
    "bounds check", "bounds check", "checksum of chunk", "document", "term",
    "postings of term", "record", "file"
  };
  uint64_t v = __atomic_load_n(&ix->bad, __ATOMIC_RELAXED);
  uint32_t kind = (uint32_t)(v >> 32), item = (uint32_t)v;
  if (kind <= AD_BAD_BOUNDS || kind >= sizeof what / sizeof what[0])
    snprintf(buf, n, "%s", what[0]);
  else snprintf(buf, n, "%s %lu", what[kind], (unsigned long)item);
  return buf;
}
/* }====================================================== */

/* {====================================================== validated access */
int ad_ix_need(ad_ix *ix, int s, uint64_t off, uint64_t len) {
  uint64_t fo, c0, c1, k;
  if (off > ix->seclen[s] || len > ix->seclen[s] - off)
    return ad_ix_corrupt(ix, AD_BAD_BOUNDS, (uint32_t)s);
  if (!ix->lazy || len == 0) return AD_OK;
  fo = ix->secoff[s] + off - ix->chunkbase;
  c0 = fo >> ix->chunkshift; c1 = (fo + len - 1) >> ix->chunkshift;
  for (k = c0; k <= c1; k++) {
    if (k >= ix->nchunks) return ad_ix_corrupt(ix, AD_BAD_BOUNDS, (uint32_t)s);
    /* (atomic: the parts of a parallel search read one index) */
    if (!__atomic_load_n(&ix->verified[k], __ATOMIC_ACQUIRE)) {
      uint64_t a0 = k << ix->chunkshift, n = (uint64_t)1 << ix->chunkshift;
      uint64_t sum;
      if (ix->chunkbase + a0 + n > ix->bodylen) n = ix->bodylen - ix->chunkbase - a0;
      memcpy(&sum, ix->sums + k, 8);
      if (ad_fasthash(ix->base + ix->chunkbase + a0, (size_t)n, AD_HASH_INIT) != sum)
        return ad_ix_corrupt(ix, AD_BAD_CHUNK, (uint32_t)k);
      __atomic_store_n(&ix->verified[k], 1, __ATOMIC_RELEASE);
    }
  }
  return AD_OK;
}

/* Row i of section s (n rows of sz bytes), in bounds and verified; NULL
** (the failure recorded as kind, item i) when not. */
static const void *ad_ix_row(ad_ix *ix, int s, uint32_t i, uint32_t n, size_t sz,
                             int kind) {
  if (i >= n) { ad_ix_corrupt(ix, kind, i); return NULL; }
  if (ad_ix_need(ix, s, (uint64_t)i * sz, sz)) return NULL;
  return ix->sec[s] + (size_t)i * sz;
}

const ad_ixdoc *ad_ix_doc(ad_ix *ix, uint32_t d) {
  const ad_ixdoc *e = (const ad_ixdoc *)ad_ix_row(ix, AD_SEC_DOCS, d, ix->m.ndocs,
                                                  sizeof(ad_ixdoc), AD_BAD_DOC);
  uint32_t f;
  if (e == NULL) return NULL;
  /* the columns every reader computes with (ad_index.h) */
  if (e->napp == 0 || (uint64_t)e->app + e->napp > ix->m.napps
      || e->best >= ix->m.nrecs
      || e->idlen == 0 || (uint64_t)e->idoff + e->idlen > ix->seclen[AD_SEC_IDSTR]
      || e->fstart[0] != 0 || !(e->norm >= 0 && e->norm <= FLT_MAX)) {
    ad_ix_corrupt(ix, AD_BAD_DOC, d);
    return NULL;
  }
  for (f = 1; f < AD_NFIELDS; f++)
    if (e->fstart[f] < e->fstart[f - 1]) { ad_ix_corrupt(ix, AD_BAD_DOC, d); return NULL; }
  return e;
}

const ad_ixterm *ad_ix_term(ad_ix *ix, uint32_t t) {
  const ad_ixterm *e = (const ad_ixterm *)ad_ix_row(ix, AD_SEC_TERMS, t, ix->m.nterms,
                                                    sizeof(ad_ixterm), AD_BAD_TERM);
  if (e == NULL || ad_ix_need(ix, AD_SEC_TSTR, e->str, e->len)
      || ad_ix_need(ix, AD_SEC_POST, e->post, e->postlen)
      || ad_ix_need(ix, AD_SEC_POS, e->pos, e->poslen))
    return NULL;
  if (e->df == 0 || e->df > ix->m.ndocs || e->len == 0 || (e->post & 3) != 0
      || e->maximp > AD_IMPMAX
      || (uint64_t)((e->df + AD_BLOCK - 1) / AD_BLOCK) * sizeof(ad_ixskip) > e->postlen) {
    ad_ix_corrupt(ix, AD_BAD_TERM, t);
    return NULL;
  }
  return e;
}

const ad_ixfile *ad_ix_file(ad_ix *ix, uint32_t fi) {
  const ad_ixfile *f = (const ad_ixfile *)ad_ix_row(ix, AD_SEC_FILES, fi, ix->m.nfiles,
                                                    sizeof(ad_ixfile), AD_BAD_FILE);
  if (f == NULL) return NULL;
  if ((uint64_t)f->path + f->pathlen > ix->seclen[AD_SEC_FSTR]
      || (uint64_t)f->first + f->nrec > ix->m.nrecs
      || (f->size > AD_MAX_FILE_SIZE && f->nrec > 0)) {   /* (too big: skipped) */
    ad_ix_corrupt(ix, AD_BAD_FILE, fi);
    return NULL;
  }
  return f;
}

const char *ad_ix_termstr(ad_ix *ix, const ad_ixterm *t) {
  return (const char *)ix->sec[AD_SEC_TSTR] + t->str;
}

const char *ad_ix_docid(ad_ix *ix, const ad_ixdoc *d) {
  if (ad_ix_need(ix, AD_SEC_IDSTR, d->idoff, d->idlen)) return NULL;
  return (const char *)ix->sec[AD_SEC_IDSTR] + d->idoff;
}

uint32_t ad_ix_lower(ad_ix *ix, const char *s, size_t n, int *err) {
  uint32_t lo = 0, hi = ix->m.nterms;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const ad_ixterm *t = ad_ix_term(ix, mid);
    if (t == NULL) { *err = AD_ECORRUPT; return ix->m.nterms; }
    if (ad_bytecmp(ad_ix_termstr(ix, t), t->len, s, n) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

int64_t ad_ix_find(ad_ix *ix, const char *s, size_t n, int *err) {
  uint32_t k = ad_ix_lower(ix, s, n, err);
  const ad_ixterm *t;
  if (*err || k >= ix->m.nterms) return -1;
  t = ad_ix_term(ix, k);
  if (t == NULL) { *err = AD_ECORRUPT; return -1; }
  if (ad_bytecmp(ad_ix_termstr(ix, t), t->len, s, n) == 0) return k;
  return -1;
}

static int64_t ad_ix_find_id1(ad_ix *ix, const char *s, size_t n, int *err);

/* An id with a subject class ("math.GT/0309136") is looked up as the
** paper's id ("math/0309136"), then (an index built before ids lost their
** class) as written. */
int64_t ad_ix_find_id(ad_ix *ix, const char *s, size_t n, int *err) {
  char buf[64];
  int64_t d;
  size_t cn = ad_id_canon(s, n, NULL);
  if (cn == n || n > sizeof buf) return ad_ix_find_id1(ix, s, n, err);
  ad_id_canon(s, n, buf);
  d = ad_ix_find_id1(ix, buf, cn, err);
  if (d >= 0 || *err) return d;
  return ad_ix_find_id1(ix, s, n, err);
}

static int64_t ad_ix_find_id1(ad_ix *ix, const char *s, size_t n, int *err) {
  uint32_t lo = 0, hi = ix->m.ndocs;
  const uint32_t *ids = (const uint32_t *)ix->sec[AD_SEC_IDS];
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const ad_ixdoc *d;
    const char *id;
    int c;
    if (ad_ix_need(ix, AD_SEC_IDS, (uint64_t)mid * 4, 4) ||
        (d = ad_ix_doc(ix, ids[mid])) == NULL || (id = ad_ix_docid(ix, d)) == NULL) {
      *err = AD_ECORRUPT; return -1;
    }
    c = ad_bytecmp(id, d->idlen, s, n);
    if (c == 0) return ids[mid];
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  return -1;
}

uint32_t ad_ix_app(ad_ix *ix, const ad_ixdoc *d, uint32_t k) {
  uint64_t at = (uint64_t)d->app + k;
  uint32_t r;
  if (k >= d->napp || at >= ix->m.napps) return UINT32_MAX;
  if (ad_ix_need(ix, AD_SEC_APPS, at * 4, 4)) return UINT32_MAX;
  r = ((const uint32_t *)ix->sec[AD_SEC_APPS])[at];
  if (r >= ix->m.nrecs) { ad_ix_corrupt(ix, AD_BAD_REC, r); return UINT32_MAX; }
  return r;
}

int ad_ix_rec(ad_ix *ix, uint32_t r, ad_record *out) {
  const ad_ixrec *x;
  const ad_ixfile *f;
  int s, k = 0;
  x = (const ad_ixrec *)ad_ix_row(ix, AD_SEC_RECS, r, ix->m.nrecs, sizeof(ad_ixrec),
                                  AD_BAD_REC);
  if (x == NULL) return AD_ECORRUPT;
  if (x->flags & AD_XR_BIG) {
    if (ad_ix_need(ix, AD_SEC_RECBIG, (uint64_t)x->raw * sizeof(ad_record), sizeof(ad_record)))
      return AD_ECORRUPT;
    memcpy(out, (const ad_record *)ix->sec[AD_SEC_RECBIG] + x->raw, sizeof *out);
  } else {
    memset(out, 0, sizeof *out);
    out->file = x->file; out->line = x->line; out->date = x->date;
    out->position = x->position; out->version = x->version;
    out->format = x->format; out->flags = x->flags;
    out->s[AD_S_RAW].off = x->raw; out->s[AD_S_RAW].len = x->rawlen;
    for (s = 0; s < AD_NSPANS; s++) {
      if (s == AD_S_RAW) continue;
      if (x->rel[k][1]) {
        out->s[s].off = x->raw + x->rel[k][0];
        out->s[s].len = x->rel[k][1];
      }
      k++;
    }
  }
  if ((f = ad_ix_file(ix, out->file)) == NULL) return ad_ix_corrupt(ix, AD_BAD_REC, r);
  if (r < f->first || r - f->first >= f->nrec) return ad_ix_corrupt(ix, AD_BAD_REC, r);
  for (s = 0; s < AD_NSPANS; s++)
    if ((uint64_t)out->s[s].off + out->s[s].len > f->size)
      return ad_ix_corrupt(ix, AD_BAD_REC, r);
  return AD_OK;
}
/* }====================================================== */
