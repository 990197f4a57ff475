/*
** ad_build.c: building an index from a corpus (pure C). ad_ix_build makes
** a fresh index; ad_ix_rebuild runs the same stages over an earlier index
** of the corpus, reusing what an update keeps (ad_update.c).
**
** Stages (one function each, ad_ix_rebuild calls them in order):
**  1. group   records by canonical id (open-addressing hash of the id text);
**             per entry pick the best record (highest version, then catalog
**             over listing, then latest date), first/last seen, flags,
**             highest version;
**  2. number  entries by descending (date, id): DOCS, APPS, DATES, IDSTR, IDS;
**  (update)   choose the entries that keep their old postings (ad_up_keep);
**  3. tokenize per entry, in doc order, title/abstract/authors/comment of
**             the best record, aggregate per term (tf per field, positions)
**             and append to the term's temporary stream (ad_bstream.c): no
**             impact yet, since field length averages are unknown; in up
**             to AD_MAXPAR threads (each with its own builder, over a range
**             of docs holding an equal share of the text);
**  4. encode  the streams into posting lists with impacts (ad_encode.c);
**  5. files   and records: FILES, FSTR, RECS, RECBIG; then META.
** Everything is allocated through the ad_alloc (the other threads'
** builders and encoding parts through malloc); on failure the partial index is freed
** by ad_ix_free.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <pthread.h>
#include "ad_build.h"
#include "ad_update.h"
#include "ad_token.h"

/* {====================================================== helpers */
void ad_ixparams_default(ad_ixparams *p) {
  p->w[AD_F_TITLE] = 4.0f; p->w[AD_F_ABSTRACT] = 1.0f;
  p->w[AD_F_AUTHORS] = 3.0f; p->w[AD_F_COMMENT] = 0.5f;
  p->k1 = 1.2f; p->b = 0.75f;
}
/* }====================================================== */

/* {====================================================== entries */
/* key[0], key[1]: the id's bytes 0..8 and 8..16, big-endian, zero-padded:
** the sort compares them before the id text (scattered in the files) */
typedef struct ad_bent {
  uint32_t best, date, first, last, head, napp, version, flags;
  const char *id; uint32_t idlen;
  uint64_t key[2];
} ad_bent;

static uint64_t ad_b_idkey(const char *id, uint32_t n, uint32_t at) {
  uint64_t k = 0;
  uint32_t i;
  for (i = 0; i < 8; i++)
    k = k << 8 | (at + i < n ? (unsigned char)id[at + i] : 0u);
  return k;
}

static int ad_b_entcmp(const void *x, const void *y) {
  const ad_bent *a = (const ad_bent *)x, *b = (const ad_bent *)y;
  if (a->date != b->date) return a->date > b->date ? -1 : 1;
  /* then id bytes, descending (arXiv order for new-style ids): the keys
  ** order as the bytes do where they differ (a zero pad sorts first, as
  ** the shorter id does); equal keys leave it to the bytes */
  if (a->key[0] != b->key[0]) return a->key[0] > b->key[0] ? -1 : 1;
  if (a->key[1] != b->key[1]) return a->key[1] > b->key[1] ? -1 : 1;
  return -ad_bytecmp(a->id, a->idlen, b->id, b->idlen);
}

/* is record a better than b as the entry's shown record? */
static int ad_b_better(const ad_corpus *c, uint32_t a, uint32_t b) {
  const ad_record *ra = &c->recs[a], *rb = &c->recs[b];
  if (ra->version != rb->version) return ra->version > rb->version;
  if (ra->format != rb->format) return ra->format == AD_FMT_CATALOG;
  if (ra->date != rb->date) return ra->date > rb->date;
  return a > b;
}

static int ad_b_present(const ad_corpus *c, const ad_record *r, int sid) {
  const ad_span *s = &r->s[sid];
  const char *t = c->files[r->file].text + s->off;
  if (s->len == 0) return 0;
  return !(s->len == 4 && memcmp(t, "None", 4) == 0);
}
/* }====================================================== */

/* {====================================================== sorting, packing */
static uint64_t ad_b_be64(const uint8_t *p) {
  return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
         (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
         (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

/* ad_bytecmp of two docs' ids; ids of 8 bytes and more compare their first
** 8 bytes as one number, and when those are equal, ids of one length up to
** 16 bytes compare their last 8 (the bytes between are equal) */
static int ad_b_idcmp(const void *x, const void *y, const ad_ixdoc *docs,
                      const uint8_t *ids) {
  const ad_ixdoc *a = &docs[*(const uint32_t *)x], *b = &docs[*(const uint32_t *)y];
  const uint8_t *pa = ids + a->idoff, *pb = ids + b->idoff;
  if (a->idlen >= 8 && b->idlen >= 8) {
    uint64_t u = ad_b_be64(pa), v = ad_b_be64(pb);
    if (u != v) return u < v ? -1 : 1;
    if (a->idlen == b->idlen && a->idlen <= 16) {
      u = ad_b_be64(pa + a->idlen - 8); v = ad_b_be64(pb + b->idlen - 8);
      return u < v ? -1 : u > v;
    }
  }
  return ad_bytecmp(pa, a->idlen, pb, b->idlen);
}

/* merge sort of doc numbers by id (qsort has no context argument in C99) */
static void ad_b_idsort(uint32_t *v, uint32_t *tmp, uint32_t n,
                        const ad_ixdoc *docs, const uint8_t *ids) {
  uint32_t h, i, j, k;
  if (n < 2) return;
  h = n / 2;
  ad_b_idsort(v, tmp, h, docs, ids);
  ad_b_idsort(v + h, tmp, n - h, docs, ids);
  for (i = 0, j = h, k = 0; i < h && j < n; )
    tmp[k++] = ad_b_idcmp(&v[j], &v[i], docs, ids) < 0 ? v[j++] : v[i++];
  while (i < h) tmp[k++] = v[i++];
  while (j < n) tmp[k++] = v[j++];
  memcpy(v, tmp, (size_t)n * 4);
}

static int ad_b_datecmp(const void *x, const void *y) {
  const ad_ixdate *a = (const ad_ixdate *)x, *b = (const ad_ixdate *)y;
  if (a->date != b->date) return a->date < b->date ? -1 : 1;
  return a->doc < b->doc ? -1 : a->doc > b->doc;
}

#define AD_RACY 3
/* Pack record r into x; returns 1 when it does not fit (flagged AD_XR_BIG,
** the caller stores it whole). */
static int ad_b_packrec(const ad_record *r, ad_ixrec *x, uint8_t xflags) {
  int s, k = 0;
  uint32_t raw = r->s[AD_S_RAW].off;
  memset(x, 0, sizeof *x);
  x->file = r->file; x->line = r->line; x->date = r->date;
  x->position = r->position; x->version = r->version;
  x->format = r->format;
  x->flags = (uint8_t)((r->flags & (AD_RF_CROSSLIST | AD_RF_HTML | AD_RF_QUOTED)) | xflags);
  x->raw = raw; x->rawlen = r->s[AD_S_RAW].len;
  for (s = 0; s < AD_NSPANS; s++) {
    if (s == AD_S_RAW) continue;
    if (r->s[s].len) {
      if (r->s[s].off < raw || r->s[s].off - raw > 65535 || r->s[s].len > 65535) {
        x->flags |= AD_XR_BIG;
        return 1;
      }
      x->rel[k][0] = (uint16_t)(r->s[s].off - raw);
      x->rel[k][1] = (uint16_t)r->s[s].len;
    }
    k++;
  }
  return 0;
}
/* }====================================================== */

/* {====================================================== stages */
/* blocks of canonical ids (rare: an id in them stays where it is) */
struct ad_idblk { struct ad_idblk *next; size_t n, cap; char data[]; };

/* The state of one build, passed from stage to stage. */
typedef struct ad_bstate {
  ad_ix *ix;
  ad_corpus *c;
  const ad_alloc *a;          /* &ix->a */
  ad_upd *up;                 /* an update's side, or NULL */
  uint8_t *rflags;            /* [nrecs + 1] AD_XR_DOI | AD_XR_JOURNAL */
  uint32_t *rnext;            /* [nrecs + 1] next record of the same entry */
  ad_bent *ents;              /* [nrecs + 1] the entries (nent) */
  struct ad_idblk *idcanon;   /* ids without a subject class (ad_id_canon) */
  uint32_t nent;
  ad_ixdoc *docs;             /* the DOCS section */
  double lensum[AD_NFIELDS];  /* tokens per field over all docs */
  double *norm2;              /* [ndocs] squared tf-idf norms */
  ad_ixb b;                   /* builder of the first docs (or all) */
  ad_ixb bx[AD_MAXPAR - 1];   /* the other threads' builders, in doc order */
  uint32_t nbx;               /* of which bx[0 .. nbx) are in use */
} ad_bstate;

static void ad_bs_free(ad_bstate *s) {
  const ad_alloc *a = s->a;
  size_t nr = (size_t)s->c->nrecs + 1, nd = s->ix->m.ndocs ? s->ix->m.ndocs : 1;
  uint32_t j;
  ad_b_free(&s->b);
  for (j = 0; j < s->nbx; j++) ad_b_free(&s->bx[j]);
  s->nbx = 0;
  if (s->rnext) ad_free(a, s->rnext, nr * 4);
  if (s->ents) ad_free(a, s->ents, nr * sizeof(ad_bent));
  if (s->norm2) ad_free(a, s->norm2, nd * sizeof(double));
  if (s->rflags) ad_free(a, s->rflags, nr);
  while (s->idcanon) {
    struct ad_idblk *k = s->idcanon;
    s->idcanon = k->next;
    ad_free(a, k, sizeof *k + k->cap);
  }
  s->rnext = NULL; s->ents = NULL; s->norm2 = NULL; s->rflags = NULL;
}

/* does id[0..n) have a '/' (else ad_id_canon keeps it as it is)? */
static int ad_b_hasslash(const char *id, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++) if (id[i] == '/') return 1;
  return 0;
}

#define AD_GROUP_AHEAD 16

/* 1. group records by id into s->ents (s->rnext links an entry's records) */
static int ad_bs_group(ad_bstate *s) {
  ad_corpus *c = s->c;
  uint32_t *etab, emask, r, i, nent = 0;
  int st = AD_ENOMEM;
  for (emask = 16; emask < c->nrecs * 2u + 2; emask *= 2) {}
  s->rflags = (uint8_t *)ad_malloc(s->a, (size_t)c->nrecs + 1);
  s->rnext = (uint32_t *)ad_malloc(s->a, (size_t)(c->nrecs + 1) * 4);
  etab = (uint32_t *)ad_malloc(s->a, (size_t)emask * 4);
  s->ents = (ad_bent *)ad_malloc(s->a, (size_t)(c->nrecs + 1) * sizeof(ad_bent));
  emask--;
  if (!s->rflags || !s->rnext || !etab || !s->ents) goto done;
  ad_b_huge(etab, ((size_t)emask + 1) * 4);
  ad_b_huge(s->ents, (size_t)(c->nrecs + 1) * sizeof(ad_bent));
  memset(etab, 0, ((size_t)emask + 1) * 4);
  {
  for (r = 0; r < c->nrecs; r++) {
    const ad_record *rec = &c->recs[r];
    const ad_file *f = &c->files[rec->file];
    const char *id;
    uint32_t idl = rec->s[AD_S_ID].len, h, e;
    /* the ids are scattered in the text, the table is big: ask for the
    ** id AD_GROUP_AHEAD records on, and for the slot of the id half as
    ** far (a hint: a canonicalized id may land elsewhere) */
    if (r + AD_GROUP_AHEAD < c->nrecs) {
      const ad_record *ra = &c->recs[r + AD_GROUP_AHEAD];
      const char *ta = c->files[ra->file].text;
      if (ta != NULL) __builtin_prefetch(ta + ra->s[AD_S_ID].off, 0, 3);
    }
    if (r + AD_GROUP_AHEAD / 2 < c->nrecs) {
      const ad_record *ra = &c->recs[r + AD_GROUP_AHEAD / 2];
      const char *ta = c->files[ra->file].text;
      if (ta != NULL && ra->s[AD_S_ID].len)
        __builtin_prefetch(&etab[(uint32_t)ad_b_strhash(ta + ra->s[AD_S_ID].off,
                                                        ra->s[AD_S_ID].len) & emask], 1, 3);
    }
    s->rnext[r] = UINT32_MAX;
    s->rflags[r] = 0;
    if (f->text != NULL) {
      if (idl == 0) continue;
      id = f->text + rec->s[AD_S_ID].off;
      s->rflags[r] = (uint8_t)((ad_b_present(c, rec, AD_S_DOI) ? AD_XR_DOI : 0) |
                               (ad_b_present(c, rec, AD_S_JOURNAL) ? AD_XR_JOURNAL : 0));
    } else {            /* a record of an unchanged file: old knows its id */
      if (s->up == NULL) continue;
      st = ad_up_recid(s->up, r, &id, &idl);
      if (st != AD_OK) goto done;
      st = AD_ENOMEM;
      if (id == NULL) continue;
      s->rflags[r] = rec->flags & (AD_XR_DOI | AD_XR_JOURNAL);
    }
    if (ad_b_hasslash(id, idl) && ad_id_canon(id, idl, NULL) != idl) {
      struct ad_idblk *k = s->idcanon;
      uint32_t cl;
      if (k == NULL || k->cap - k->n < idl) {
        size_t cap = idl > 65536 ? idl : 65536;
        k = (struct ad_idblk *)ad_malloc(s->a, sizeof *k + cap);
        if (k == NULL) goto done;
        k->next = s->idcanon; k->n = 0; k->cap = cap;
        s->idcanon = k;
      }
      cl = (uint32_t)ad_id_canon(id, idl, k->data + k->n);
      id = k->data + k->n; idl = cl; k->n += cl;
    }
    h = (uint32_t)ad_b_strhash(id, idl) & emask;
    for (;;) {
      e = etab[h];
      if (e == 0) {
        ad_bent *en = &s->ents[nent];
        etab[h] = ++nent;
        memset(en, 0, sizeof *en);
        en->id = id; en->idlen = idl; en->best = r; en->head = UINT32_MAX;
        en->date = rec->date; en->first = UINT32_MAX; en->last = 0;
        en->key[0] = ad_b_idkey(id, idl, 0); en->key[1] = ad_b_idkey(id, idl, 8);
        e = nent;
        break;
      }
      if (s->ents[e - 1].idlen == idl && memcmp(s->ents[e - 1].id, id, idl) == 0) break;
      h = (h + 1) & emask;
    }
    {
      ad_bent *en = &s->ents[e - 1];
      s->rnext[r] = en->head; en->head = r; en->napp++;
      if (ad_b_better(c, r, en->best)) en->best = r;
      if (rec->date && rec->date < en->first) en->first = rec->date;
      if (rec->date > en->last) en->last = rec->date;
      if (rec->version > en->version) en->version = rec->version;
      if (s->rflags[r] & AD_XR_DOI) en->flags |= AD_DF_DOI;
      if (s->rflags[r] & AD_XR_JOURNAL) en->flags |= AD_DF_JOURNAL;
    }
  }
  }
  for (i = 0; i < nent; i++) {
    s->ents[i].date = c->recs[s->ents[i].best].date;
    if (s->ents[i].first == UINT32_MAX) s->ents[i].first = 0;
  }
  s->nent = nent;
  st = AD_OK;
done:
  if (etab) ad_free(s->a, etab, ((size_t)emask + 1) * 4);
  return st;
}

/* 2. number the entries: DOCS (without the tokenizer's columns), APPS,
** DATES, IDSTR, IDS; the entries are freed */
static int ad_bs_number(ad_bstate *s) {
  ad_ix *ix = s->ix;
  ad_corpus *c = s->c;
  ad_bent *ents = s->ents;
  uint32_t nent = s->nent, i, r;
  uint32_t *apps, *ids, *tmp, na = 0, nd = 0, idn = 0;
  ad_ixdate *dates;
  uint8_t *idstr;
  ad_ixdoc *docs;
  size_t idbytes = 0;
  void *np;
  qsort(ents, nent, sizeof *ents, ad_b_entcmp);
  ix->m.ndocs = nent;
  ix->m.nfiles = c->nfiles;
  ix->m.nrecs = c->nrecs;
  docs = s->docs = (ad_ixdoc *)ad_b_sec(ix, AD_SEC_DOCS, (size_t)nent * sizeof(ad_ixdoc));
  if (docs == NULL) return AD_ENOMEM;
  apps = (uint32_t *)ad_b_sec(ix, AD_SEC_APPS, (size_t)c->nrecs * 4);
  for (i = 0; i < nent; i++) idbytes += ents[i].idlen;
  dates = (ad_ixdate *)ad_b_sec(ix, AD_SEC_DATES, (size_t)c->nrecs * sizeof(ad_ixdate));
  idstr = (uint8_t *)ad_b_sec(ix, AD_SEC_IDSTR, idbytes);
  ids = (uint32_t *)ad_b_sec(ix, AD_SEC_IDS, (size_t)nent * 4);
  if (!apps || !dates || !idstr || !ids) return AD_ENOMEM;
  for (i = 0; i < nent; i++) {
    ad_ixdoc *d = &docs[i];
    uint32_t k, lo;
    d->best = ents[i].best; d->date = ents[i].date;
    d->first = ents[i].first; d->last = ents[i].last;
    d->version = (uint16_t)ents[i].version; d->flags = (uint8_t)ents[i].flags;
    d->idoff = idn; d->idlen = ents[i].idlen;
    memcpy(idstr + idn, ents[i].id, ents[i].idlen); idn += ents[i].idlen;
    d->app = na;
    for (r = ents[i].head; r != UINT32_MAX; r = s->rnext[r]) apps[na++] = r;
    d->napp = na - d->app;
    /* insertion sort of the appearances by (date, record) */
    for (k = d->app + 1; k < na; k++) {
      uint32_t v = apps[k], j = k;
      while (j > d->app && (c->recs[apps[j - 1]].date > c->recs[v].date ||
             (c->recs[apps[j - 1]].date == c->recs[v].date && apps[j - 1] > v))) {
        apps[j] = apps[j - 1]; j--;
      }
      apps[j] = v;
    }
    lo = nd;
    for (k = d->app; k < na; k++) {
      uint32_t dt = c->recs[apps[k]].date;
      if (nd > lo && dates[nd - 1].date == dt) continue;
      dates[nd].date = dt; dates[nd].doc = i; nd++;
    }
    ids[i] = i;
  }
  qsort(dates, nd, sizeof *dates, ad_b_datecmp);
  ix->m.napps = na;
  /* keep allocation sizes consistent with seclen */
  np = ad_realloc(s->a, apps, c->nrecs ? (size_t)c->nrecs * 4 : 1, na ? (size_t)na * 4 : 1);
  if (np == NULL) return AD_ENOMEM;
  ad_b_setsec(ix, AD_SEC_APPS, np, (size_t)na * 4);
  np = ad_realloc(s->a, dates, c->nrecs ? (size_t)c->nrecs * sizeof(ad_ixdate) : 1,
                  nd ? (size_t)nd * sizeof(ad_ixdate) : 1);
  if (np == NULL) return AD_ENOMEM;
  ad_b_setsec(ix, AD_SEC_DATES, np, (size_t)nd * sizeof(ad_ixdate));
  tmp = (uint32_t *)ad_malloc(s->a, (size_t)(nent ? nent : 1) * 4);
  if (tmp == NULL) return AD_ENOMEM;
  ad_b_idsort(ids, tmp, nent, docs, idstr);
  ad_free(s->a, tmp, (size_t)(nent ? nent : 1) * 4);
  ad_free(s->a, s->rnext, (size_t)(c->nrecs + 1) * 4); s->rnext = NULL;
  ad_free(s->a, s->ents, (size_t)(c->nrecs + 1) * sizeof(ad_bent)); s->ents = NULL;
  return AD_OK;
}

/* can file f's text be released and read again later? Only text read
** whole from a regular file into the corpus's chunks (textowned 3): a
** pipe's text (textowned 1) could not be read again */
static int ad_b_droppable(const ad_file *f) {
  return f->text != NULL && f->textowned == 3 && f->size == (uint64_t)f->len && f->len > 0;
}

/* (job, last doc, file) triples: by job, then last doc */
static int ad_b_relcmp(const void *x, const void *y) {
  const uint32_t *a = (const uint32_t *)x, *b = (const uint32_t *)y;
  if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] != b[1]) return a[1] < b[1] ? -1 : 1;
  return a[2] < b[2] ? -1 : a[2] > b[2];
}

static int ad_b_chunkcmp(const void *x, const void *y) {
  const ad_chunk *a = *(ad_chunk *const *)x, *b = *(ad_chunk *const *)y;
  return a->data < b->data ? -1 : a->data > b->data;
}

static void ad_bs_dropfree(ad_bstate *s, ad_bdrop *d) {
  size_t nf = (size_t)s->c->nfiles + 1, nk = (size_t)d->nchunk + 1;
  if (d->chunk) ad_free(s->a, d->chunk, nk * sizeof(ad_chunk *));
  if (d->left) ad_free(s->a, d->left, ((size_t)d->npage + 1) * 4);
  if (d->pbase) ad_free(s->a, d->pbase, nk * 4);
  if (d->fchunk) ad_free(s->a, d->fchunk, nf * 4);
  if (d->gone) ad_free(s->a, d->gone, nf);
  memset(d, 0, sizeof *d);
}

/* droptext: the chunks of the text (d), and the order in which the nj
** tokenizing jobs (job k: docs [h[k], h[k + 1])) release the files only
** they read: last[f] is the last doc that reads file f, rel the files by
** job, then last; a file two jobs read, or none, is released after all
** (ad_bs_droptail) */
static int ad_bs_droplists(ad_bstate *s, const uint32_t *h, ad_tokjob *jobs, uint32_t nj,
                           uint32_t **plast, uint32_t **prel, ad_bdrop *d) {
  ad_corpus *c = s->c;
  const uint32_t *apps = (const uint32_t *)s->ix->own[AD_SEC_APPS];
  uint32_t nf = c->nfiles, i, k, n = 0, nk = 0, *last, *rel, *pairs, cnt[AD_MAXPAR];
  uint8_t *who;
  ad_chunk *ch;
  for (ch = c->chunks; ch; ch = ch->next) nk++;
  *plast = last = (uint32_t *)ad_malloc(s->a, ((size_t)nf + 1) * 4);
  *prel = rel = (uint32_t *)ad_malloc(s->a, ((size_t)nf + 1) * 4);
  d->nchunk = nk;
  d->chunk = (ad_chunk **)ad_malloc(s->a, ((size_t)nk + 1) * sizeof(ad_chunk *));
  d->pbase = (uint32_t *)ad_malloc(s->a, ((size_t)nk + 1) * 4);
  d->fchunk = (uint32_t *)ad_malloc(s->a, ((size_t)nf + 1) * 4);
  d->gone = (uint8_t *)ad_malloc(s->a, (size_t)nf + 1);
  who = (uint8_t *)ad_malloc(s->a, (size_t)nf + 1);
  pairs = (uint32_t *)ad_malloc(s->a, ((size_t)nf + 1) * 12);
  if (d->chunk && d->pbase) {
    for (k = 0, ch = c->chunks; ch; ch = ch->next) d->chunk[k++] = ch;
    qsort(d->chunk, nk, sizeof(ad_chunk *), ad_b_chunkcmp);
    for (k = 0; k < nk; k++) {
      d->pbase[k] = d->npage;
      d->npage += (uint32_t)((d->chunk[k]->cap + AD_DROP_PAGE - 1) / AD_DROP_PAGE);
    }
    d->left = (uint32_t *)ad_malloc(s->a, ((size_t)d->npage + 1) * 4);
  }
  if (!last || !rel || !d->chunk || !d->pbase || !d->left || !d->fchunk || !d->gone ||
      !who || !pairs) {
    if (who) ad_free(s->a, who, (size_t)nf + 1);
    if (pairs) ad_free(s->a, pairs, ((size_t)nf + 1) * 12);
    return AD_ENOMEM;
  }
  memset(d->left, 0, (size_t)d->npage * 4);
  memset(who, 0, (size_t)nf + 1); memset(d->gone, 0, (size_t)nf + 1);
  for (i = 0; i < nf; i++) {
    const ad_file *f = &c->files[i];
    uint32_t lo = 0, hi = nk;
    last[i] = 0;
    d->fchunk[i] = UINT32_MAX;
    if (f->text == NULL || f->textowned != 3) continue;
    while (hi - lo > 1) {          /* the last chunk starting at or before */
      uint32_t mid = lo + (hi - lo) / 2;
      if (d->chunk[mid]->data <= f->text) lo = mid; else hi = mid;
    }
    if (nk && d->chunk[lo]->data <= f->text &&
        f->text + f->len <= d->chunk[lo]->data + d->chunk[lo]->cap) {
      size_t p0 = (size_t)(f->text - d->chunk[lo]->data) / AD_DROP_PAGE, p;
      size_t p1 = f->len ? (size_t)(f->text + f->len - 1 - d->chunk[lo]->data) / AD_DROP_PAGE
                         : p0;
      d->fchunk[i] = lo;
      for (p = p0; p <= p1; p++)   /* a file never released pins its pages */
        d->left[d->pbase[lo] + p]++;
    }
  }
  {     /* who[f]: 1 + the one job that reads f, 0xFF for several */
    uint32_t job = 0;
    for (i = 0; i < s->ix->m.ndocs; i++) {
      const ad_ixdoc *dc = &s->docs[i];
      uint8_t w;
      uint32_t f = c->recs[dc->best].file;
      while (job + 1 < nj && i >= h[job + 1]) job++;
      w = (uint8_t)(job + 1);
      last[f] = i; who[f] = who[f] == 0 || who[f] == w ? w : 0xFF;
      for (k = 0; k < dc->napp; k++) {
        f = c->recs[apps[dc->app + k]].file;
        last[f] = i; who[f] = who[f] == 0 || who[f] == w ? w : 0xFF;
      }
    }
  }
  for (k = 0; k < nj; k++) cnt[k] = 0;
  for (i = 0; i < nf; i++)
    if (who[i] != 0 && who[i] != 0xFF && ad_b_droppable(&c->files[i])) {
      pairs[3 * n] = who[i] - 1u; pairs[3 * n + 1] = last[i]; pairs[3 * n + 2] = i;
      cnt[who[i] - 1]++; n++;
    }
  qsort(pairs, n, 12, ad_b_relcmp);
  for (i = 0; i < n; i++) rel[i] = pairs[3 * i + 2];
  for (k = 0, i = 0; k < nj; k++) {
    jobs[k].rel = rel + i; jobs[k].nrel = cnt[k]; jobs[k].rel_last = last; jobs[k].drop = d;
    i += cnt[k];
  }
  ad_free(s->a, who, (size_t)nf + 1);
  ad_free(s->a, pairs, ((size_t)nf + 1) * 12);
  return AD_OK;
}

/* droptext, once no thread runs: the other files are hashed and released,
** and every released file's pointer is cleared (read again on demand) */
static void ad_bs_droptail(ad_bstate *s, ad_bdrop *d) {
  ad_corpus *c = s->c;
  uint32_t i;
  for (i = 0; i < c->nfiles; i++)
    if (!d->gone[i] && ad_b_droppable(&c->files[i])) ad_b_release(c, d, i);
  for (i = 0; i < c->nfiles; i++) {
    ad_file *f = &c->files[i];
    if (!d->gone[i]) continue;
    if (f->textowned == 1) ad_free(&c->a, f->text, f->len + 1);
    f->text = NULL; f->textowned = 0;
  }
}

/* 3. tokenize the docs that are not kept (ntok of them), in up to
** AD_MAXPAR threads (each with its own terms and streams, over a range of
** docs holding an equal share of the text) */
static int ad_bs_tokenize(ad_bstate *s, uint32_t ntok, unsigned threads,
                          uint32_t minpar, int droptext) {
  ad_ix *ix = s->ix;
  ad_corpus *c = s->c;
  ad_tokjob jobs[AD_MAXPAR];
  pthread_t th[AD_MAXPAR];
  uint8_t started[AD_MAXPAR];
  uint32_t h[AD_MAXPAR + 1], nj = 1, i, k, nd = ix->m.ndocs, *last = NULL, *rel = NULL;
  ad_bdrop drop;
  unsigned tth = threads >= 2 && ntok >= minpar ? (threads < AD_MAXPAR ? threads : AD_MAXPAR) : 1;
  int st = AD_OK;
  memset(&drop, 0, sizeof drop);
  memset(jobs, 0, sizeof jobs);
  memset(started, 0, sizeof started);
  if (ad_b_init(&s->b)) return AD_ENOMEM;
  if (tth > ntok) tth = ntok ? ntok : 1;
  h[0] = 0;
  if (tth > 1) {
    /* ranges of equal text, not of equal doc counts (newer papers are
    ** longer: by count the first half took 1.4x the second's time) */
    static const int sids[AD_NFIELDS] = {AD_S_TITLE, AD_S_ABSTRACT, AD_S_AUTHORS, AD_S_COMMENT};
    const uint32_t *dold = s->up ? s->up->dold : NULL;
    uint64_t total = 0, acc = 0;
    int f;
    for (i = 0; i < nd; i++)
      if (dold == NULL || dold[i] == UINT32_MAX)
        for (f = 0; f < AD_NFIELDS; f++) total += c->recs[s->docs[i].best].s[sids[f]].len + 16;
    for (i = 0, k = 1; i < nd && k < tth; i++) {
      while (k < tth && acc * tth >= total * k) h[k++] = i;   /* job k starts at i */
      if (dold == NULL || dold[i] == UINT32_MAX)
        for (f = 0; f < AD_NFIELDS; f++) acc += c->recs[s->docs[i].best].s[sids[f]].len + 16;
    }
    /* (empty ranges dropped: each job has docs) */
    {
      uint32_t m = 1;
      for (i = 1; i < k; i++) if (h[i] > h[m - 1] && h[i] < nd) h[m++] = h[i];
      nj = m;
    }
  }
  h[nj] = nd;
  for (k = 0; k < nj; k++) {
    ad_tokjob *j = &jobs[k];
    j->b = k ? &s->bx[k - 1] : &s->b;
    j->c = c; j->docs = s->docs; j->dold = s->up ? s->up->dold : NULL;
    j->apps = (const uint32_t *)ix->own[AD_SEC_APPS];
    j->lo = h[k]; j->hi = h[k + 1];
    /* each job hashes a share of the files (droptext: when released) */
    j->flo = droptext ? 0 : (uint32_t)((uint64_t)c->nfiles * k / nj);
    j->fhi = droptext ? 0 : (uint32_t)((uint64_t)c->nfiles * (k + 1) / nj);
    if (k) {             /* the other threads' builders allocate with malloc */
      memset(j->b, 0, sizeof *j->b);
      j->b->a = &ad_stdalloc; j->b->c = c;
      s->nbx = k;
      if (ad_b_init(j->b)) { st = AD_ENOMEM; goto done; }
    }
  }
  if (droptext) {      /* each file is hashed when released, or at the end */
    st = ad_bs_droplists(s, h, jobs, nj, &last, &rel, &drop);
    if (st != AD_OK) goto done;
  }
  for (k = 1; k < nj; k++)
    if (pthread_create(&th[k], NULL, ad_b_tokthread, &jobs[k]) == 0) started[k] = 1;
  ad_b_tokdocs(&jobs[0]);
  for (k = 1; k < nj; k++) {
    if (started[k]) pthread_join(th[k], NULL);
    else ad_b_tokdocs(&jobs[k]);       /* no thread: here, in order */
  }
  if (droptext) ad_bs_droptail(s, &drop);
  for (k = 0; k < nj; k++) if (jobs[k].st != AD_OK) { st = jobs[k].st; goto done; }
  for (k = 0; k < nj; k++)
    for (i = 0; i < AD_NFIELDS; i++) s->lensum[i] += jobs[k].lensum[i];
done:
  if (last) ad_free(s->a, last, ((size_t)c->nfiles + 1) * 4);
  if (rel) ad_free(s->a, rel, ((size_t)c->nfiles + 1) * 4);
  ad_bs_dropfree(s, &drop);
  return st;
}

/* 4. the average field lengths, the encoding, the docs' norms */
static int ad_bs_encode(ad_bstate *s, unsigned threads, uint32_t minpar) {
  ad_ix *ix = s->ix;
  size_t nd = ix->m.ndocs ? ix->m.ndocs : 1;
  uint32_t i;
  int st;
  for (i = 0; i < AD_NFIELDS; i++)
    ix->m.avglen[i] = ix->m.ndocs ? (float)(s->lensum[i] / ix->m.ndocs) : 0;
  s->norm2 = (double *)ad_malloc(s->a, nd * sizeof(double));
  if (s->norm2 == NULL) return AD_ENOMEM;
  memset(s->norm2, 0, nd * sizeof(double));
  {
    ad_ixb *bs[AD_MAXPAR];
    uint32_t j;
    bs[0] = &s->b;
    for (j = 0; j < s->nbx; j++) bs[j + 1] = &s->bx[j];
    st = ad_b_encode(ix, bs, s->nbx + 1, s->docs, s->norm2, s->up, threads, minpar);
  }
  if (st != AD_OK) return st;
  for (i = 0; i < ix->m.ndocs; i++) s->docs[i].norm = (float)sqrt(s->norm2[i]);
  return AD_OK;
}

/* 5. files and records: FILES, FSTR, RECS, RECBIG */
static int ad_bs_files(ad_bstate *s) {
  ad_ix *ix = s->ix;
  ad_corpus *c = s->c;
  ad_ixfile *files = (ad_ixfile *)ad_b_sec(ix, AD_SEC_FILES, (size_t)c->nfiles * sizeof(ad_ixfile));
  size_t fbytes = 0, at = 0;
  uint8_t *fstr;
  void *recs;
  struct timespec now;
  uint32_t i, nbig = 0, k;
  ad_record *big;
  /* A file modified less than AD_RACY seconds before the build may be
  ** modified again within the same mtime tick: its mtime is stored as 0
  ** ("unknown") so that update() reads it and compares its bytes. */
  /* Paths are stored absolute, so that a saved index works from any
  ** working directory: a relative path gets the current one and '/' in
  ** front (its own leading "./" dropped). */
  char cwd[4096];
  size_t cwdn = getcwd(cwd, sizeof cwd - 1) ? strlen(cwd) : 0;
  if (cwdn > 0 && cwd[cwdn - 1] != '/') cwd[cwdn++] = '/';
  if (clock_gettime(CLOCK_REALTIME, &now) != 0) now.tv_sec = INT32_MAX;
  for (i = 0; i < c->nfiles; i++) {
    const char *fp = c->files[i].path;
    size_t fl = c->files[i].pathlen;
    if (fp[0] != '/' && cwdn > 0) {
      while (fl > 2 && fp[0] == '.' && fp[1] == '/') { fp += 2; fl -= 2; }
      fl += cwdn;
    }
    fbytes += fl;
  }
  fstr = (uint8_t *)ad_b_sec(ix, AD_SEC_FSTR, fbytes);
  recs = ad_b_sec(ix, AD_SEC_RECS, (size_t)c->nrecs * sizeof(ad_ixrec));
  if (!files || !fstr || !recs) return AD_ENOMEM;
  for (i = 0; i < c->nfiles; i++) {
    ad_file *f = &c->files[i];
    const char *fp = f->path;
    size_t fl = f->pathlen;
    files[i].path = (uint32_t)at;
    if (fp[0] != '/' && cwdn > 0) {
      while (fl > 2 && fp[0] == '.' && fp[1] == '/') { fp += 2; fl -= 2; }
      memcpy(fstr + at, cwd, cwdn); at += cwdn;
    }
    memcpy(fstr + at, fp, fl); at += fl;
    files[i].pathlen = (uint32_t)(at - files[i].path);
    files[i].size = f->text ? (uint64_t)f->len : f->size;
    files[i].hash = f->text ? ad_file_hash(c, i) : f->hash;
    files[i].mtime = f->mtime > (int64_t)now.tv_sec - AD_RACY ? 0 : f->mtime;
    files[i].first = f->first; files[i].nrec = f->nrec;
    files[i].format = f->format;
  }
  for (i = 0; i < c->nrecs; i++)
    nbig += ad_b_packrec(&c->recs[i], (ad_ixrec *)recs + i, s->rflags[i]);
  big = (ad_record *)ad_b_sec(ix, AD_SEC_RECBIG, (size_t)nbig * sizeof(ad_record));
  if (big == NULL) return AD_ENOMEM;
  for (i = 0, k = 0; i < c->nrecs; i++) {
    ad_ixrec *x = (ad_ixrec *)recs + i;
    if (x->flags & AD_XR_BIG) {
      big[k] = c->recs[i];
      big[k].flags = (uint8_t)((big[k].flags & 0x07) | s->rflags[i]);
      x->raw = k++;
    }
  }
  return AD_OK;
}
/* }====================================================== */

/* {====================================================== entry points */
/* (ad_index.h) */
void ad_clocks(double t[2]) {
  struct timespec w, c;
  clock_gettime(CLOCK_MONOTONIC, &w);
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c) != 0) c.tv_sec = c.tv_nsec = 0;
  t[0] = (double)w.tv_sec + (double)w.tv_nsec * 1e-9;
  t[1] = (double)c.tv_sec + (double)c.tv_nsec * 1e-9;
}

static void ad_bt_stage(ad_ix *ix, int stage, double t[2]) {
  double n[2];
  ad_clocks(n);
  ix->btime[0][stage] = n[0] - t[0]; ix->btime[1][stage] = n[1] - t[1];
  t[0] = n[0]; t[1] = n[1];
}

int ad_ix_rebuild(ad_ix *ix, const ad_alloc *a, ad_corpus *c,
                  const ad_ixparams *p, ad_ix *old, const uint32_t *oldfile,
                  uint32_t *nread, uint32_t *badfile, unsigned threads,
                  uint32_t minpar) {
  return ad_ix_rebuild_ex(ix, a, c, p, old, oldfile, nread, badfile, threads,
                          minpar, 0);
}

int ad_ix_rebuild_ex(ad_ix *ix, const ad_alloc *a, ad_corpus *c,
                     const ad_ixparams *p, ad_ix *old, const uint32_t *oldfile,
                     uint32_t *nread, uint32_t *badfile, unsigned threads,
                     uint32_t minpar, int droptext) {
  ad_bstate s;
  ad_upd up;
  ad_ixmeta *m;
  uint32_t ntok;
  int st;
  double t[2];
  memset(ix, 0, sizeof *ix);
  memset(&s, 0, sizeof s);
  ad_clocks(t);
  ix->a = *a;
  ix->m.p = *p;
  s.ix = ix; s.c = c; s.a = &ix->a;
  s.b.a = s.a; s.b.c = c;
  if (nread) *nread = 0;
  if (old) {
    s.up = &up;
    st = ad_up_init(&up, s.a, old, c, oldfile);
    if (st != AD_OK) goto done;
  }
  if ((st = ad_bs_group(&s)) != AD_OK) goto done;
  if ((st = ad_bs_number(&s)) != AD_OK) goto done;
  ntok = ix->m.ndocs;
  if (s.up && (st = ad_up_keep(s.up, c, s.docs, ix->m.ndocs,
                               (const uint32_t *)ix->own[AD_SEC_APPS], s.lensum,
                               nread, badfile, &ntok)) != AD_OK)
    goto done;
  ad_bt_stage(ix, AD_BT_PREPARE, t);
  if ((st = ad_bs_tokenize(&s, ntok, threads, minpar, droptext && old == NULL)) != AD_OK)
    goto done;
  ad_bt_stage(ix, AD_BT_TOKENIZE, t);
  if ((st = ad_bs_encode(&s, threads, minpar)) != AD_OK) goto done;
  ad_bt_stage(ix, AD_BT_ENCODE, t);
  if ((st = ad_bs_files(&s)) != AD_OK) goto done;
  ad_bt_stage(ix, AD_BT_FILES, t);
  m = (ad_ixmeta *)ad_b_sec(ix, AD_SEC_META, sizeof(ad_ixmeta));
  if (m == NULL) { st = AD_ENOMEM; goto done; }
  *m = ix->m;
done:
  ad_bs_free(&s);
  if (s.up) ad_up_free(s.up);
  return st;
}

int ad_ix_build(ad_ix *ix, const ad_alloc *a, ad_corpus *c,
                const ad_ixparams *p) {
  return ad_ix_rebuild(ix, a, c, p, NULL, NULL, NULL, NULL,
                       (unsigned)ad_default_threads(), AD_PAR_MIN);
}
/* }====================================================== */
