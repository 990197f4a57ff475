/*
** ad_rsave.c: a recommendation model (ad_recommend.h) in a file, and
** back. Pure C. The model's owner is ad_recommend.c; this file only moves
** its table to and from a file, and says which index it belongs to.
**
** The file (native byte order and layout, checked):
**   header, 128 bytes: "ADRMODEL", u32 version (AD_RMODEL_VERSION), u32
**     byte-order mark, u64 fingerprint of the index (ad_rmodel_ixsig),
**     u32 ndocs, nsample, n (features), cap (slots, a power of 2), f64
**     avgdl, the vector options (f32 w[4], i32 scheme, i32 bigrams, f32
**     k1, f32 b, u32 sample), u32 sizeof(ad_rment), f32 the categories'
**     weight (version 3), zeros
**   the table: cap x ad_rment (key, feature id), slot by slot, as in
**     memory (key 0: empty)
**   per feature id 0 .. n-1: n x u64 key, n x f32 idf, n x f32 background
**     weight, n x u32 term of the index (UINT32_MAX: none)
**   u64 hash of every byte above
** A model is read back by mapping the file: its table and arrays are used
** where they lie (no copy is allocated). Checks before it is used: the
** size, the hash, the counts, every key found at its own slot by the
** table's probing rule (ad_rmodel_slot), so that a crafted file cannot
** make a lookup loop or go astray; every slot's id < n and the key of
** that id the slot's key (so ids and keys are one to one); every idf and
** background weight finite and in its range, every term < the index's
** terms (or none).
**
** The fingerprint of an index (ad_rmodel_ixsig) covers what the model is
** made of: META (the counts), FILES and FSTR (every file's path, size and
** content hash: the text), and the DOCS rows of the sample (which record
** each sample paper shows, its field lengths and norm). Equal for a built
** index and the same index saved and loaded; a few MB to read where the
** whole index is 170 MB. The terms a model names are the index's too: its
** dictionary is made of the files' text (and META holds nterms and the
** index's parameters).
*/
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ad_recommend.h"

#define AD_RMAGIC "ADRMODEL"
#define AD_RBOM 0x01020304u
#define AD_RHDR 128u      /* bytes before the table */

uint64_t ad_rmodel_ixsig(const ad_ix *ix, uint32_t nsample) {
  static const int secs[] = {AD_SEC_META, AD_SEC_FILES, AD_SEC_FSTR, AD_SEC_DOCS};
  uint64_t h = AD_HASH_INIT;
  size_t k;
  for (k = 0; k < sizeof secs / sizeof *secs; k++) {
    int s = secs[k];
    uint64_t len = ix->seclen[s];
    h = ad_fasthash(&len, sizeof len, h);
    if (s == AD_SEC_DOCS) {                     /* the sample's rows */
      uint64_t rows = (uint64_t)nsample * sizeof(ad_ixdoc);
      if (rows < len) len = rows;
    }
    if (len && ix->sec[s]) h = ad_fasthash(ix->sec[s], (size_t)len, h);
  }
  return h;
}

typedef struct ad_rhdr {
  uint32_t version, bom;
  uint64_t sig;
  uint32_t ndocs, nsample, n, cap;
  double avgdl;
  float w[AD_NFIELDS];
  int32_t scheme, bigrams;
  float k1, b;
  uint32_t sample, entsize;
  float wcat;
} ad_rhdr;

/* the header's fields at their offsets (memcpy: no alignment assumed) */
static void ad_rhdr_io(char *p, ad_rhdr *h, int put) {
  static const struct { size_t off, len; } f[] = {
    {8, 4}, {12, 4}, {16, 8}, {24, 4}, {28, 4}, {32, 4}, {36, 4}, {40, 8},
    {48, 4 * AD_NFIELDS}, {64, 4}, {68, 4}, {72, 4}, {76, 4}, {80, 4}, {84, 4}, {88, 4}
  };
  void *v[16];
  size_t k;
  v[0] = &h->version; v[1] = &h->bom; v[2] = &h->sig; v[3] = &h->ndocs;
  v[4] = &h->nsample; v[5] = &h->n; v[6] = &h->cap; v[7] = &h->avgdl;
  v[8] = h->w; v[9] = &h->scheme; v[10] = &h->bigrams; v[11] = &h->k1;
  v[12] = &h->b; v[13] = &h->sample; v[14] = &h->entsize; v[15] = &h->wcat;
  for (k = 0; k < 16; k++) {
    if (put) memcpy(p + f[k].off, v[k], f[k].len);
    else memcpy(v[k], p + f[k].off, f[k].len);
  }
}

/* bytes of a feature id's arrays: key, idf, background, term */
#define AD_RPERID (sizeof(uint64_t) + 2 * sizeof(float) + sizeof(uint32_t))

size_t ad_rmodel_dumplen(const ad_rmodel *m) {
  return AD_RHDR + (size_t)m->cap * sizeof(ad_rment) + (size_t)m->nf * AD_RPERID + 8;
}

int ad_rmodel_dump(const ad_rmodel *m, const ad_ix *ix, char *b) {
  ad_rhdr h;
  size_t body = ad_rmodel_dumplen(m) - 8, off, nf = m->nf;
  uint64_t sum;
  int f;
  if (m->t == NULL || m->cap == 0 || m->ndocs != ix->m.ndocs || m->nf != m->n)
    return AD_EFORMAT;
  memset(&h, 0, sizeof h);
  h.version = AD_RMODEL_VERSION; h.bom = AD_RBOM;
  h.sig = ad_rmodel_ixsig(ix, m->nsample);
  h.ndocs = m->ndocs; h.nsample = m->nsample; h.n = m->n; h.cap = m->cap;
  h.avgdl = m->avgdl;
  for (f = 0; f < AD_NFIELDS; f++) h.w[f] = m->o.w[f];
  h.scheme = m->o.scheme; h.bigrams = m->o.bigrams;
  h.k1 = m->o.k1; h.b = m->o.b; h.sample = m->o.sample; h.wcat = m->o.wcat;
  h.entsize = (uint32_t)sizeof(ad_rment);
  memset(b, 0, AD_RHDR);
  memcpy(b, AD_RMAGIC, 8);
  ad_rhdr_io(b, &h, 1);
  memcpy(b + AD_RHDR, m->t, (size_t)m->cap * sizeof(ad_rment));
  off = AD_RHDR + (size_t)m->cap * sizeof(ad_rment);
  if (nf) {
    memcpy(b + off, m->keys, nf * sizeof *m->keys); off += nf * sizeof *m->keys;
    memcpy(b + off, m->idf, nf * sizeof *m->idf); off += nf * sizeof *m->idf;
    memcpy(b + off, m->mu, nf * sizeof *m->mu); off += nf * sizeof *m->mu;
    memcpy(b + off, m->term, nf * sizeof *m->term);
  }
  sum = ad_fasthash(b, body, AD_HASH_INIT);
  memcpy(b + body, &sum, 8);
  return AD_OK;
}

void ad_rmodel_unmap(ad_rmodel *m) {
  if (m->map) munmap(m->map, m->maplen);
  m->map = NULL; m->maplen = 0;
}

/* Check the mapped bytes b[0..n) and make m's table of them; *why. */
static int ad_rmodel_take(ad_rmodel *m, const ad_ix *ix, const ad_ropts *o,
                          const char *b, size_t n, int *why) {
  ad_rhdr h;
  ad_ropts fo;
  uint64_t sum;
  uint32_t i, cnt = 0, S;
  const ad_rment *t;
  const uint64_t *keys;
  const float *idf, *mu;
  const uint32_t *term;
  size_t ko, io, mo, to;
  int f, ok = 1;
  *why = AD_RLOAD_FORMAT;
  if (n < AD_RHDR + 8 || memcmp(b, AD_RMAGIC, 8) != 0) return AD_OK;
  ad_rhdr_io((char *)b, &h, 0);
  if (h.version != AD_RMODEL_VERSION || h.bom != AD_RBOM ||
      h.entsize != sizeof(ad_rment))
    return AD_OK;
  *why = AD_RLOAD_CORRUPT;
  if (h.cap < 16 || h.cap > (1u << 30) || (h.cap & (h.cap - 1)) != 0 ||
      (uint64_t)n != AD_RHDR + (uint64_t)h.cap * sizeof(ad_rment) +
                    (uint64_t)h.n * AD_RPERID + 8 ||
      (uint64_t)h.n * 10 > (uint64_t)h.cap * 7 || h.nsample > h.ndocs ||
      !(h.avgdl >= 0 && h.avgdl < 1e12))
    return AD_OK;
  memcpy(&sum, b + n - 8, 8);
  if (ad_fasthash(b, n - 8, AD_HASH_INIT) != sum) return AD_OK;
  /* which index, which options */
  if (h.ndocs != ix->m.ndocs || h.sig != ad_rmodel_ixsig(ix, h.nsample)) {
    *why = AD_RLOAD_INDEX;
    return AD_OK;
  }
  fo = *o;                       /* the scoring options are the request's */
  for (f = 0; f < AD_NFIELDS; f++) fo.w[f] = h.w[f];
  fo.scheme = h.scheme; fo.bigrams = h.bigrams;
  fo.k1 = h.k1; fo.b = h.b; fo.sample = h.sample; fo.wcat = h.wcat;
  m->o = fo; m->ndocs = h.ndocs;
  if (!ad_rmodel_fits(m, ix, o)) { *why = AD_RLOAD_OPTIONS; return AD_OK; }
  S = fo.sample == 0 || fo.sample > h.ndocs ? h.ndocs : fo.sample;
  if (S != h.nsample) return AD_OK;
  /* the table and the arrays, where they lie (read only: never written;
  ** each at a multiple of its element's size from the mapping's start) */
  ko = AD_RHDR + (size_t)h.cap * sizeof(ad_rment);
  io = ko + (size_t)h.n * sizeof(uint64_t);
  mo = io + (size_t)h.n * sizeof(float);
  to = mo + (size_t)h.n * sizeof(float);
  t = (const ad_rment *)(const void *)(b + AD_RHDR);
  keys = (const uint64_t *)(const void *)(b + ko);
  idf = (const float *)(const void *)(b + io);
  mu = (const float *)(const void *)(b + mo);
  term = (const uint32_t *)(const void *)(b + to);
  m->t = (ad_rment *)(void *)(b + AD_RHDR);
  m->cap = h.cap; m->n = h.n;
  for (i = 0; i < h.cap && ok; i++) {
    if (t[i].key == 0) continue;
    if (t[i].id >= h.n || keys[t[i].id] != t[i].key || ad_rmodel_slot(m, t[i].key) != i) ok = 0;
    cnt++;
  }
  if (cnt != h.n) ok = 0;
  for (i = 0; i < h.n && ok; i++)  /* (idf: 1 .. 1 + ln(S + 1); background: 0 .. 1) */
    if (!(idf[i] >= 0 && idf[i] <= 1e4f) || !(mu[i] >= 0 && mu[i] <= 2) ||
        (term[i] >= ix->m.nterms && term[i] != UINT32_MAX))
      ok = 0;
  if (!ok) {
    m->t = NULL; m->cap = m->n = 0;
    return AD_OK;
  }
  m->nf = h.n;
  m->keys = (uint64_t *)(void *)(b + ko);
  m->idf = (float *)(void *)(b + io);
  m->mu = (float *)(void *)(b + mo);
  m->term = (uint32_t *)(void *)(b + to);
  m->nsample = h.nsample;
  m->nkept = 0;
  m->avgdl = h.avgdl;
  *why = AD_RLOAD_OK;
  return AD_OK;
}

int ad_rmodel_load(ad_rmodel *m, const ad_alloc *a, const ad_ix *ix,
                   const ad_ropts *o, const char *path, int *why) {
  int fd, st, regular;
  uint64_t size;
  void *map;
  memset(m, 0, sizeof *m);
  m->a = *a;
  *why = AD_RLOAD_FORMAT;
  fd = ad_file_open_ro(path, &size, &regular);
  if (fd < 0) return AD_EIO;
  if (!regular || size < AD_RHDR + 8 || size > ((uint64_t)1 << 36)) {
    close(fd);
    return AD_OK;                       /* not a saved model */
  }
  /* (every page is read by the checks: mapped at once where the system can) */
#ifdef MAP_POPULATE
  map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
#else
  map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
#endif
  if (map == MAP_FAILED) { int e = errno; close(fd); errno = e; return AD_EIO; }
  close(fd);
  m->map = map; m->maplen = (size_t)size;
  st = ad_rmodel_take(m, ix, o, (const char *)map, (size_t)size, why);
  if (st == AD_OK && *why == AD_RLOAD_OK) {
    m->dq = (float *)ad_malloc(a, ((size_t)m->nf + 1) * sizeof *m->dq);
    if (m->dq == NULL) st = AD_ENOMEM;
    else memset(m->dq, 0, ((size_t)m->nf + 1) * sizeof *m->dq);
  }
  if (st != AD_OK || *why != AD_RLOAD_OK) {
    ad_rmodel_free(m);
    memset(&m->o, 0, sizeof m->o);
    m->ndocs = 0;
  }
  return st;
}
