/*
** ad_index.c: building an index from a corpus, and the validated accessors
** every reader of an index goes through.
**
** Build, in one pass over the records plus one over the terms:
**  1. group records by canonical id (open-addressing hash of the id text);
**     per entry pick the best record (highest version, then catalog over
**     listing, then latest date), first/last seen, flags, highest version;
**  2. number entries by descending (date, id);
**  3. per entry, in doc order, decode title/abstract/authors/comment of the
**     best record, tokenize, aggregate per term (tf per field, positions)
**     and append to the term's temporary stream (doc delta, 4 tfs,
**     positions): no impact yet, since field length averages are unknown;
**  4. sort the terms, then re-encode each temporary stream into blocks with
**     BM25F impacts quantized to a byte (see ad_index.h for the layout),
**     accumulating the tf-idf norms used by similar().
** Everything is allocated through the ad_alloc; on AD_ENOMEM the partial
** index is freed by ad_ix_free.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <pthread.h>
#include <sys/mman.h>
#include "ad_index.h"
#include "ad_token.h"

/* {====================================================== helpers */
typedef struct ad_bbuf { uint8_t *p; size_t n, cap; } ad_bbuf;

/* Ask for huge pages over the 2 MiB pages inside p[0..n): big build
** buffers are written once from start to end, and with 4 KiB pages the
** page faults cost more than the writing. */
static void ad_huge(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
  uintptr_t a = ((uintptr_t)p + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
  uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)((2u << 20) - 1);
  if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
  (void)p; (void)n;
#endif
}

static int ad_bb_reserve(const ad_alloc *a, ad_bbuf *b, size_t extra) {
  size_t nc;
  void *np;
  if (b->n + extra <= b->cap) return AD_OK;
  nc = b->cap ? b->cap : 32;
  while (nc < b->n + extra) nc *= 2;
  np = ad_realloc(a, b->p, b->cap, nc);
  if (np == NULL) return AD_ENOMEM;
  b->p = (uint8_t *)np; b->cap = nc;
  if (nc >= (8u << 20)) ad_huge(np, nc);
  return AD_OK;
}

static void ad_bb_free(const ad_alloc *a, ad_bbuf *b) {
  ad_free(a, b->p, b->cap);
  b->p = NULL; b->n = b->cap = 0;
}

/* append a varint; 5 bytes must be reserved */
static void ad_bb_varint(ad_bbuf *b, uint32_t v) {
  while (v >= 0x80) { b->p[b->n++] = (uint8_t)(v | 0x80); v >>= 7; }
  b->p[b->n++] = (uint8_t)v;
}

uint32_t ad_varint_get(const uint8_t **pp, const uint8_t *end, int *bad) {
  const uint8_t *p = *pp;
  uint32_t v = 0;
  int sh = 0;
  while (p < end) {
    uint8_t c = *p++;
    v |= (uint32_t)(c & 0x7F) << sh;
    if (!(c & 0x80)) { *pp = p; return v; }
    sh += 7;
    if (sh > 28) break;
  }
  *bad = 1; *pp = end;
  return 0;
}

uint64_t ad_fasthash(const void *p, size_t n, uint64_t seed) {
  return ad_hash64(p, n, seed);
}

void ad_ixparams_default(ad_ixparams *p) {
  p->w[AD_F_TITLE] = 4.0f; p->w[AD_F_ABSTRACT] = 1.0f;
  p->w[AD_F_AUTHORS] = 3.0f; p->w[AD_F_COMMENT] = 0.5f;
  p->k1 = 1.2f; p->b = 0.75f;
}

double ad_ix_idf(const ad_ix *ix, uint32_t df) {
  double n = ix->m.ndocs;
  return log(1.0 + (n - df + 0.5) / (df + 0.5));
}

/* Hash of a term or an id (build-time tables only, never saved): words
** are short, so up to 16 bytes are read as two (overlapping) words. */
static uint64_t ad_strhash(const char *s, size_t n) {
  uint64_t a = 0, b = 0, h;
  if (n > 16) return ad_hash64(s, n, AD_HASH_INIT);
  if (n >= 8) { memcpy(&a, s, 8); memcpy(&b, s + n - 8, 8); }
  else if (n >= 4) {
    uint32_t x, y;
    memcpy(&x, s, 4); memcpy(&y, s + n - 4, 4);
    a = x; b = y;
  } else if (n > 0)
    a = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << 8 |
        (uint64_t)(unsigned char)s[n - 1] << 16;
  h = (a ^ 0x9E3779B97F4A7C15ULL) * 0xff51afd7ed558ccdULL;
  h ^= (b + n) * 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 32;
  h *= 0x9E3779B97F4A7C15ULL;
  h ^= h >> 29;
  return h;
}

/* a cheap pre-check for ad_has_code: every code host name has ".co",
** ".or" or ".ne" in it */
static int ad_maybe_code(const char *s, size_t n) {
  const char *p = s, *e = s + n;
  while ((p = (const char *)memchr(p, '.', (size_t)(e - p))) != NULL) {
    if (e - p >= 3) {
      char a = (char)(p[1] | 0x20), b = (char)(p[2] | 0x20);
      if ((a == 'c' && b == 'o') || (a == 'o' && b == 'r') || (a == 'n' && b == 'e'))
        return ad_has_code(s, n);
    }
    p++;
  }
  return 0;
}
/* }====================================================== */

/* {====================================================== build state */
/* Temporary posting streams live in chunks cut from big slabs: no realloc
** copies; a posting never spans two chunks. */
typedef struct ad_tchunk {
  struct ad_tchunk *next;
  uint32_t used, cap;
  uint8_t data[];
} ad_tchunk;

typedef struct ad_slab { struct ad_slab *next; size_t size, used; } ad_slab;
#define AD_SLAB (16u << 20)

typedef struct ad_bterm {
  uint32_t str, len, df, next;   /* next: expected doc for the delta */
  uint32_t stamp, slot;          /* per-doc aggregation */
  struct ad_tchunk *head, *tail; /* temporary stream (chunks) */
  uint8_t *wp, *wend;            /* write position and end in tail */
} ad_bterm;

/* A slot of the term table: the term's number + 1 (0: empty), a tag (high
** hash bits, and the length when under 16) and the term's first 8 bytes,
** zero-padded: a term of up to 8 bytes is found without reading it. */
typedef struct ad_tslot { uint32_t term, tag; uint64_t head; } ad_tslot;

typedef struct ad_dtok { uint32_t term, pos; uint32_t field; } ad_dtok;
static int ad_bytecmp(const char *a, size_t an, const char *b, size_t bn);
typedef struct ad_oent ad_oent;
typedef struct ad_local { uint32_t term; uint32_t tf[AD_NFIELDS]; uint32_t npos, at; } ad_local;

typedef struct ad_ixb {
  const ad_alloc *a;
  ad_corpus *c;
  /* terms */
  ad_bterm *terms; uint32_t nterms, capterms;
  ad_tslot *tab; uint32_t tabmask;   /* open addressing; term 0 = empty */
  ad_bbuf tstr;
  /* per doc scratch */
  ad_dtok *dt; uint32_t ndt, capdt;
  ad_local *loc; uint32_t nloc, caploc;
  uint32_t *pos; uint32_t cappos;
  char *dec; size_t capdec;
  uint32_t curdoc, curpos;
  ad_slab *slabs;
} ad_ixb;

static ad_tchunk *ad_b_chunk(ad_ixb *b, uint32_t cap) {
  size_t need = (sizeof(ad_tchunk) + cap + 7) & ~(size_t)7;
  ad_tchunk *c;
  if (b->slabs == NULL || b->slabs->used + need > b->slabs->size) {
    size_t sz = need + sizeof(ad_slab) > AD_SLAB ? need + sizeof(ad_slab) : AD_SLAB;
    ad_slab *s = (ad_slab *)ad_malloc(b->a, sz);
    if (s == NULL) return NULL;
    ad_huge(s, sz);
    s->next = b->slabs; s->size = sz; s->used = (sizeof(ad_slab) + 7) & ~(size_t)7;
    b->slabs = s;
  }
  c = (ad_tchunk *)((char *)b->slabs + b->slabs->used);
  b->slabs->used += need;
  c->next = NULL; c->used = 0; c->cap = cap;
  return c;
}

static uint8_t *ad_put_varint(uint8_t *w, uint32_t v) {
  while (v >= 0x80) { *w++ = (uint8_t)(v | 0x80); v >>= 7; }
  *w++ = (uint8_t)v;
  return w;
}

static uint32_t ad_b_tag(uint64_t h, uint32_t n) {
  return ((uint32_t)(h >> 32) & ~15u) | (n < 15 ? n : 15);
}

static uint64_t ad_b_head(const char *s, uint32_t n) {
  uint64_t w = 0;
  memcpy(&w, s, n < 8 ? n : 8);
  return w;
}

static int ad_b_term(ad_ixb *b, const char *s, uint32_t n, uint32_t *out) {
  uint64_t h = ad_strhash(s, n), head = ad_b_head(s, n);
  uint32_t tag = ad_b_tag(h, n), i = (uint32_t)h & b->tabmask, t;
  for (;;) {
    const ad_tslot *e = &b->tab[i];
    if (e->term == 0) break;
    if (e->tag == tag && e->head == head) {
      t = e->term - 1;
      if (n <= 8 || (b->terms[t].len == n &&
                     memcmp(b->tstr.p + b->terms[t].str + 8, s + 8, n - 8) == 0)) {
        *out = t; return AD_OK;
      }
    }
    i = (i + 1) & b->tabmask;
  }
  /* insert */
  if (b->nterms + 1 > (b->tabmask + 1) / 2) {      /* grow the table */
    uint32_t ncap = (b->tabmask + 1) * 2, k;
    ad_tslot *nt = (ad_tslot *)ad_malloc(b->a, (size_t)ncap * sizeof(ad_tslot));
    if (nt == NULL) return AD_ENOMEM;
    memset(nt, 0, (size_t)ncap * sizeof(ad_tslot));
    for (k = 0; k <= b->tabmask; k++) {
      const ad_tslot *e = &b->tab[k];
      uint32_t j;
      if (e->term == 0) continue;
      j = (uint32_t)ad_strhash((const char *)b->tstr.p + b->terms[e->term - 1].str,
                               b->terms[e->term - 1].len) & (ncap - 1);
      while (nt[j].term) j = (j + 1) & (ncap - 1);
      nt[j] = *e;
    }
    ad_free(b->a, b->tab, (size_t)(b->tabmask + 1) * sizeof(ad_tslot));
    b->tab = nt; b->tabmask = ncap - 1;
    i = (uint32_t)h & b->tabmask;
    while (b->tab[i].term) i = (i + 1) & b->tabmask;
  }
  if (ad_grow(b->a, (void **)&b->terms, &b->capterms, b->nterms + 1, sizeof(ad_bterm)))
    return AD_ENOMEM;
  if (ad_bb_reserve(b->a, &b->tstr, n)) return AD_ENOMEM;
  t = b->nterms++;
  memset(&b->terms[t], 0, sizeof(ad_bterm));
  b->terms[t].str = (uint32_t)b->tstr.n; b->terms[t].len = n;
  b->terms[t].stamp = UINT32_MAX;
  memcpy(b->tstr.p + b->tstr.n, s, n); b->tstr.n += n;
  b->tab[i].term = t + 1; b->tab[i].tag = tag; b->tab[i].head = head;
  *out = t;
  return AD_OK;
}

static int ad_b_push(ad_ixb *b, uint32_t term, uint32_t pos, uint32_t field) {
  if (b->ndt == b->capdt &&
      ad_grow(b->a, (void **)&b->dt, &b->capdt, b->ndt + 1, sizeof(ad_dtok)))
    return AD_ENOMEM;
  b->dt[b->ndt].term = term; b->dt[b->ndt].pos = pos; b->dt[b->ndt].field = field;
  b->ndt++;
  return AD_OK;
}

/* tokenize s[0..n) as field f starting at position b->curpos; returns the
** number of positions used in *used */
static int ad_b_text(ad_ixb *b, const char *s, size_t n, uint32_t f, uint32_t *used) {
  ad_tokenizer tz;
  ad_tok tk;
  uint32_t t;
  ad_tok_init(&tz, s, n);
  while (ad_tok_next(&tz, &tk)) {
    if (ad_b_term(b, tk.s, tk.len, &t)) return AD_ENOMEM;
    if (ad_b_push(b, t, b->curpos + tk.pos, f)) return AD_ENOMEM;
  }
  *used = tz.pos;
  return AD_OK;
}

static int ad_b_pseudo(ad_ixb *b, const char *s, size_t n) {
  uint32_t t;
  if (n == 0 || n > 200) return AD_OK;
  if (ad_b_term(b, s, (uint32_t)n, &t)) return AD_ENOMEM;
  return ad_b_push(b, t, 0, 0xFF);
}

/* decode field sid of r into b->dec; returns length (0 if absent) */
static size_t ad_b_decode(ad_ixb *b, const ad_record *r, int sid, int *err) {
  size_t need;
  if (r->s[sid].len == 0) return 0;
  need = AD_DECODE_BOUND(r->s[sid].len);
  if (need > b->capdec) {
    size_t nc = b->capdec ? b->capdec : 4096;
    void *np;
    while (nc < need) nc *= 2;
    np = ad_realloc(b->a, b->dec, b->capdec, nc);
    if (np == NULL) { *err = AD_ENOMEM; return 0; }
    b->dec = (char *)np; b->capdec = nc;
  }
  return ad_record_field(b->c, r, sid, b->dec);
}

/* Aggregate the doc's tokens per term and append them to the terms'
** temporary streams. */
static int ad_b_flush(ad_ixb *b, uint32_t doc) {
  uint32_t i, j, total = 0;
  b->nloc = 0;
  for (i = 0; i < b->ndt; i++) {
    ad_bterm *t = &b->terms[b->dt[i].term];
    ad_local *l;
    if (t->stamp != doc) {
      if (b->nloc == b->caploc &&
          ad_grow(b->a, (void **)&b->loc, &b->caploc, b->nloc + 1, sizeof(ad_local)))
        return AD_ENOMEM;
      t->stamp = doc; t->slot = b->nloc;
      l = &b->loc[b->nloc++];
      memset(l, 0, sizeof *l);
      l->term = b->dt[i].term;
    }
    l = &b->loc[t->slot];
    if (b->dt[i].field != 0xFF) { l->tf[b->dt[i].field]++; l->npos++; total++; }
  }
  if (total > b->cappos) {
    uint32_t nc = b->cappos ? b->cappos : 256;
    void *np;
    while (nc < total) nc *= 2;
    np = ad_realloc(b->a, b->pos, (size_t)b->cappos * 4, (size_t)nc * 4);
    if (np == NULL) return AD_ENOMEM;
    b->pos = (uint32_t *)np; b->cappos = nc;
  }
  for (i = 0, j = 0; i < b->nloc; i++) { b->loc[i].at = j; j += b->loc[i].npos; b->loc[i].npos = 0; }
  for (i = 0; i < b->ndt; i++) {
    if (b->dt[i].field != 0xFF) {
      ad_local *l = &b->loc[b->terms[b->dt[i].term].slot];
      b->pos[l->at + l->npos++] = b->dt[i].pos;   /* in increasing order */
    }
  }
  /* the terms' stream tails are scattered in memory: ask for them all
  ** before writing (memory-level parallelism instead of one miss at a time) */
  for (i = 0; i < b->nloc; i++) {
    const ad_bterm *t = &b->terms[b->loc[i].term];
    if (t->wp) __builtin_prefetch(t->wp, 1, 3);
  }
  for (i = 0; i < b->nloc; i++) {
    ad_local *l = &b->loc[i];
    ad_bterm *t = &b->terms[l->term];
    uint32_t prev = 0, k;
    size_t need = 6 + 5 * AD_NFIELDS + 5 * (size_t)l->npos;
    uint8_t *w, *w0;
    uint32_t mask = 0;
    if (t->tail == NULL || (size_t)(t->wend - t->wp) < need) {
      uint32_t cap = t->tail ? t->tail->cap * 2 : 64;
      ad_tchunk *ch;
      if (cap > 65536) cap = 65536;
      if (cap < need) cap = (uint32_t)need;
      ch = ad_b_chunk(b, cap);
      if (ch == NULL) return AD_ENOMEM;
      if (t->tail) { t->tail->used = (uint32_t)(t->wp - t->tail->data); t->tail->next = ch; }
      else t->head = ch;
      t->tail = ch;
      t->wp = ch->data; t->wend = ch->data + cap;
    }
    w0 = w = t->wp;
    w = ad_put_varint(w, doc - t->next);
    for (k = 0; k < AD_NFIELDS; k++) if (l->tf[k]) mask |= 1u << k;
    *w++ = (uint8_t)mask;
    for (k = 0; k < AD_NFIELDS; k++) if (l->tf[k]) w = ad_put_varint(w, l->tf[k]);
    for (k = 0; k < l->npos; k++) {
      uint32_t p = b->pos[l->at + k];
      w = ad_put_varint(w, p - prev);
      prev = p;
    }
    t->wp = w;
    (void)w0;
    t->next = doc + 1;
    t->df++;
  }
  b->ndt = 0;
  return AD_OK;
}
/* }====================================================== */

/* {====================================================== entries */
typedef struct ad_bent {
  uint32_t best, date, first, last, head, napp, version, flags;
  const char *id; uint32_t idlen;
} ad_bent;

static int ad_b_entcmp(const void *x, const void *y) {
  const ad_bent *a = (const ad_bent *)x, *b = (const ad_bent *)y;
  int c;
  if (a->date != b->date) return a->date > b->date ? -1 : 1;
  {                     /* then id bytes (arXiv order for new-style ids) */
    uint32_t n = a->idlen < b->idlen ? a->idlen : b->idlen;
    c = memcmp(a->id, b->id, n);
    if (c == 0) c = a->idlen < b->idlen ? -1 : a->idlen > b->idlen;
  }
  return -c;
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

/* add "\1c<cat>" pseudo terms for a raw category list (commas, spaces, **) */
static int ad_b_cats(ad_ixb *b, const char *s, size_t n, char kind) {
  char tmp[96];
  size_t i = 0;
  while (i < n) {
    size_t a, e, k;
    while (i < n && (s[i] == ',' || s[i] == ' ' || s[i] == '*' || s[i] == '\t'
                     || s[i] == '\n' || s[i] == '\r')) i++;
    a = i;
    while (i < n && !(s[i] == ',' || s[i] == ' ' || s[i] == '*' || s[i] == '\t'
                      || s[i] == '\n' || s[i] == '\r')) i++;
    e = i;
    if (e > a && e - a < sizeof tmp - 3) {
      tmp[0] = 1; tmp[1] = kind;
      for (k = a; k < e; k++) {
        char ch = s[k];
        tmp[2 + k - a] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
      }
      if (ad_b_pseudo(b, tmp, 2 + e - a)) return AD_ENOMEM;
    }
    if (kind == 'p') break;       /* primary: the first item only */
  }
  return AD_OK;
}
/* }====================================================== */


/* {====================================================== final encoding */
typedef struct ad_tord { const char *s; uint32_t len, t; } ad_tord;

static int ad_b_termcmp(const void *x, const void *y) {
  const ad_tord *a = (const ad_tord *)x, *b = (const ad_tord *)y;
  uint32_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->s, b->s, n);
  if (c) return c;
  return a->len < b->len ? -1 : a->len > b->len;
}

static int ad_b_idcmp(const void *x, const void *y, const ad_ixdoc *docs,
                      const uint8_t *ids) {
  const ad_ixdoc *a = &docs[*(const uint32_t *)x], *b = &docs[*(const uint32_t *)y];
  uint32_t n = a->idlen < b->idlen ? a->idlen : b->idlen;
  int c = memcmp(ids + a->idoff, ids + b->idoff, n);
  if (c) return c;
  return a->idlen < b->idlen ? -1 : a->idlen > b->idlen;
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

static int ad_b_setsec(ad_ix *ix, int s, void *p, size_t n) {
  ix->own[s] = (uint8_t *)p;
  ix->sec[s] = (const uint8_t *)p;
  ix->seclen[s] = n;
  return AD_OK;
}

/* allocate section s of n bytes (zeroed) */
static void *ad_b_sec(ad_ix *ix, int s, size_t n) {
  void *p = ad_malloc(&ix->a, n ? n : 1);
  if (p == NULL) return NULL;
  memset(p, 0, n ? n : 1);
  ad_b_setsec(ix, s, p, n);
  return p;
}

/* A posting of the old index that an update keeps: new doc number, npm,
** and its positions (bytes in old's POS section). */
struct ad_oent { uint32_t doc, npm, poff, plen; };

/* The postings of old term ot whose docs are kept (o2n[doc] != UINT32_MAX),
** renumbered, into b->oent[0 .. *n). AD_OK, AD_ENOMEM or AD_ECORRUPT. */
static int ad_b_oldlist(const ad_alloc *a, ad_oent **oentp, uint32_t *capoent,
                        ad_ix *old, uint32_t ot, const uint32_t *o2n, uint32_t *n) {
  const ad_ixterm *t = ad_ix_term(old, ot);
  const uint8_t *list, *le, *pb, *pe;
  uint32_t nb, blk, doc = 0, out = 0, last = 0, dflt;
  int bad = 0;
  *n = 0;
  if (t == NULL) return AD_ECORRUPT;
  dflt = (t->len > 0 && ad_ix_termstr(old, t)[0] == 1) ? 0 : AD_NPM_DEFAULT;
  if (ad_grow(a, (void **)oentp, capoent, t->df, sizeof(ad_oent)))
    return AD_ENOMEM;
  list = old->sec[AD_SEC_POST] + t->post; le = list + t->postlen;
  pb = old->sec[AD_SEC_POS] + t->pos; pe = pb + t->poslen;
  nb = (t->df + AD_BLOCK - 1) / AD_BLOCK;
  for (blk = 0; blk < nb; blk++) {
    ad_ixskip sk;
    uint32_t cnt = t->df - blk * AD_BLOCK, bd[AD_BLOCK], k;
    const uint8_t *q, *imp, *pp;
    if (cnt > AD_BLOCK) cnt = AD_BLOCK;
    memcpy(&sk, list + (size_t)blk * sizeof sk, sizeof sk);
    if (sk.off >= t->postlen || sk.posoff > t->poslen) return AD_ECORRUPT;
    q = list + sk.off;
    for (k = 0; k < cnt; k++) {
      doc += ad_varint_get(&q, le, &bad);
      if (bad || doc >= old->m.ndocs) return AD_ECORRUPT;
      bd[k] = doc++;
    }
    if ((size_t)(le - q) < cnt) return AD_ECORRUPT;
    imp = q; q += cnt;
    pp = pb + sk.posoff;
    for (k = 0; k < cnt; k++) {
      uint32_t npm = (imp[k] & 1) ? dflt : ad_varint_get(&q, le, &bad), j, nd;
      const uint8_t *p0 = pp;
      for (j = 0; j < (npm >> 4); j++) (void)ad_varint_get(&pp, pe, &bad);
      if (bad) return AD_ECORRUPT;
      nd = o2n[bd[k]];
      if (nd == UINT32_MAX) continue;
      if (out > 0 && nd <= last) return AD_ECORRUPT;   /* order must hold */
      (*oentp)[out].doc = last = nd; (*oentp)[out].npm = npm;
      (*oentp)[out].poff = (uint32_t)(p0 - old->sec[AD_SEC_POS]);
      (*oentp)[out].plen = (uint32_t)(pp - p0);
      out++;
    }
  }
  *n = out;
  return AD_OK;
}

/* tf per field of a posting with field mask `mask` and np positions ps
** (varint deltas), in a doc whose fields start at fstart */
static int ad_b_fieldtf(uint32_t mask, uint32_t np, const uint8_t *ps,
                        const uint8_t *pe, const uint32_t *fstart,
                        uint32_t tf[AD_NFIELDS]) {
  uint32_t f, j, at = 0;
  int bad = 0;
  for (f = 0; f < AD_NFIELDS; f++) tf[f] = 0;
  if (mask == 0) return np ? AD_ECORRUPT : AD_OK;
  if ((mask & (mask - 1)) == 0) {           /* one field: no decoding */
    for (f = 0; !((mask >> f) & 1); f++) {}
    tf[f] = np;
    return AD_OK;
  }
  for (j = 0; j < np; j++) {
    at += ad_varint_get(&ps, pe, &bad);
    for (f = AD_NFIELDS - 1; f > 0 && at < fstart[f]; f--) {}
    tf[f]++;
  }
  if (bad) return AD_ECORRUPT;
  for (f = 0; f < AD_NFIELDS; f++)
    if (((mask >> f) & 1) != (tf[f] != 0)) return AD_ECORRUPT;
  return AD_OK;
}

/* Encode the postings of all terms (sorted): the builder's temporary
** streams, merged, for an update, with the kept postings of old (its doc
** o maps to o2n[o]). Terms left without postings are dropped. */
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
  ad_ix *ix, *old;
  ad_fterm *ft;
  const uint32_t *o2n;
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
  const ad_ixparams *p = &x->ix->m.p;
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
      st = ad_b_oldlist(a, &pt->oent, &pt->capoent, old, oi, x->o2n, &on);
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
          if (ad_b_fieldtf(mask, np, ps, pz, docs[doc].fstart, tf)) {
            st = AD_ECORRUPT; goto done;
          }
        }
        for (f = 0; f < AD_NFIELDS; f++)
          if (tf[f]) tfw += tf[f] * nf[(size_t)doc * AD_NFIELDS + f];
        if (pz > ps) {
          if (ad_bb_reserve(a, &pos, (size_t)(pz - ps))) goto done;
          memcpy(pos.p + pos.n, ps, (size_t)(pz - ps)); pos.n += (size_t)(pz - ps);
        }
        imp = tfw / (p->k1 + tfw);
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

/* first old term of the second part (old's TERMS already verified) */
static int ad_b_osplit(ad_ix *old, uint32_t *out) {
  uint32_t lo = 0, hi = old->m.nterms;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const ad_ixterm *t = ad_ix_term(old, mid);
    if (t == NULL) return AD_ECORRUPT;
    if (t->len > 0 && (unsigned char)ad_ix_termstr(old, t)[0] >= (unsigned char)AD_SPLIT) hi = mid;
    else lo = mid + 1;
  }
  *out = lo;
  return AD_OK;
}

/* Encode the postings of all terms (sorted): the builders' temporary
** streams (b: the first docs, b2: the others, or NULL), merged, for an
** update, with the kept postings of old (its doc o maps to o2n[o]). Terms
** left without postings are dropped. */
static int ad_b_encode(ad_ix *ix, ad_ixb *b, ad_ixb *b2, ad_ixdoc *docs,
                       double *norm2, ad_ix *old, const uint32_t *o2n,
                       unsigned threads, uint32_t minpar) {
  const ad_alloc *a = b->a;
  ad_tord *ord = NULL, *ord2 = NULL;
  ad_fterm *ft = NULL;
  ad_ixterm *terms;
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
      nf[(size_t)i * AD_NFIELDS + f] = (float)(p->w[f] / norm);
    }
  }
  x.ix = ix; x.old = old; x.o2n = o2n; x.docs = docs; x.nf = nf;
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
  if (old) {    /* verify what the parts read, so that no thread writes to old */
    int s;
    static const int secs[4] = {AD_SEC_TERMS, AD_SEC_TSTR, AD_SEC_POST, AD_SEC_POS};
    for (s = 0; s < 4; s++)
      if (ad_ix_need(old, secs[s], 0, old->seclen[secs[s]])) { st = AD_ECORRUPT; goto done; }
    if (ad_b_osplit(old, &osplit)) { st = AD_ECORRUPT; goto done; }
  }
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

/* {====================================================== build */
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

static void ad_b_free(ad_ixb *b) {
  const ad_alloc *a = b->a;
  while (b->slabs) {
    ad_slab *sl = b->slabs;
    b->slabs = sl->next;
    ad_free(a, sl, sl->size);
  }
  ad_free(a, b->terms, (size_t)b->capterms * sizeof(ad_bterm));
  ad_free(a, b->tab, (size_t)(b->tabmask + 1) * sizeof(ad_tslot));
  ad_bb_free(a, &b->tstr);
  ad_free(a, b->dt, (size_t)b->capdt * sizeof(ad_dtok));
  ad_free(a, b->loc, (size_t)b->caploc * sizeof(ad_local));
  ad_free(a, b->pos, (size_t)b->cappos * 4);
  ad_free(a, b->dec, b->capdec);
}

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
  if (ix->map) ad_ix_unmap(ix);
  memset(ix, 0, sizeof *ix);
}

/* Tokenize docs [lo, hi) that are not kept, into builder b. */
typedef struct ad_tokjob {
  ad_ixb *b;
  ad_corpus *c;
  ad_ixdoc *docs;
  const uint32_t *apps, *dold;
  uint32_t lo, hi;
  uint32_t flo, fhi;          /* and hash the text of files [flo, fhi) */
  double lensum[AD_NFIELDS];
  int st;
} ad_tokjob;

static int ad_b_tokdoc(ad_tokjob *j, uint32_t i) {
  static const int sids[AD_NFIELDS] = {AD_S_TITLE, AD_S_ABSTRACT, AD_S_AUTHORS, AD_S_COMMENT};
  ad_ixb *b = j->b;
  ad_corpus *c = j->c;
  ad_ixdoc *d = &j->docs[i];
  const ad_record *rec = &c->recs[d->best];
  uint32_t f, k, used;
  size_t n;
  int err = 0;
  b->curpos = 0;
  for (f = 0; f < AD_NFIELDS; f++) {
    const char *txt;
    /* plain text tokenizes the same raw or decoded (whitespace, '>'
    ** quotes and invalid bytes are all separators): decode HTML only */
    if (rec->flags & AD_RF_HTML) {
      n = ad_b_decode(b, rec, sids[f], &err);
      if (err) return err;
      txt = b->dec;
    } else {
      n = rec->s[sids[f]].len;
      txt = c->files[rec->file].text + rec->s[sids[f]].off;
    }
    d->fstart[f] = b->curpos;
    used = 0;
    if (f == AD_F_AUTHORS) {      /* one author at a time, with a gap */
      size_t s0 = 0, e;
      while (s0 < n) {
        uint32_t u;
        e = s0;
        while (e < n && txt[e] != ',') e++;
        if (ad_b_text(b, txt + s0, e - s0, f, &u)) return AD_ENOMEM;
        if (u) { b->curpos += u + 1; used += u; }
        s0 = e + 1;
      }
    } else {
      if ((f == AD_F_ABSTRACT || f == AD_F_COMMENT) && ad_maybe_code(txt, n))
        d->flags |= AD_DF_CODE;
      if (ad_b_text(b, txt, n, f, &used)) return AD_ENOMEM;
      b->curpos += used;
    }
    d->len[f] = (uint16_t)(used > 65535 ? 65535 : used);
    j->lensum[f] += d->len[f];
    b->curpos += AD_FIELD_GAP;
  }
  /* pseudo terms */
  for (k = 0; k < d->napp; k++) {
    const ad_record *ar = &c->recs[j->apps[d->app + k]];
    const ad_file *af = &c->files[ar->file];
    if (ar->s[AD_S_CATEGORIES].len &&
        ad_b_cats(b, af->text + ar->s[AD_S_CATEGORIES].off, ar->s[AD_S_CATEGORIES].len, 'c'))
      return AD_ENOMEM;
    if (ar->s[AD_S_PRIMARY].len &&
        ad_b_cats(b, af->text + ar->s[AD_S_PRIMARY].off, ar->s[AD_S_PRIMARY].len, 'c'))
      return AD_ENOMEM;
  }
  if (rec->s[AD_S_PRIMARY].len &&
      ad_b_cats(b, c->files[rec->file].text + rec->s[AD_S_PRIMARY].off,
                rec->s[AD_S_PRIMARY].len, 'p'))
    return AD_ENOMEM;
  if ((d->flags & AD_DF_DOI) && ad_b_pseudo(b, "\1hdoi", 5)) return AD_ENOMEM;
  if ((d->flags & AD_DF_JOURNAL) && ad_b_pseudo(b, "\1hjournal", 9)) return AD_ENOMEM;
  if ((d->flags & AD_DF_CODE) && ad_b_pseudo(b, "\1hcode", 6)) return AD_ENOMEM;
  {
    char vb[6];
    uint32_t v = d->version > 999 ? 999 : d->version;
    vb[0] = 1; vb[1] = 'v';
    vb[2] = (char)('0' + v / 100); vb[3] = (char)('0' + v / 10 % 10); vb[4] = (char)('0' + v % 10);
    if (ad_b_pseudo(b, vb, 5)) return AD_ENOMEM;
  }
  return ad_b_flush(b, i) ? AD_ENOMEM : AD_OK;
}

static void ad_b_tokdocs(ad_tokjob *j) {
  uint32_t i;
  for (i = j->flo; i < j->fhi; i++)
    if (j->c->files[i].text != NULL) (void)ad_file_hash(j->c, i);
  j->st = AD_OK;
  for (i = j->lo; i < j->hi && j->st == AD_OK; i++)
    if (j->dold == NULL || j->dold[i] == UINT32_MAX) j->st = ad_b_tokdoc(j, i);
}

static void *ad_b_tokthread(void *ud) {
  ad_b_tokdocs((ad_tokjob *)ud);
  return NULL;
}

static int ad_b_init(ad_ixb *b) {
  b->tabmask = 1023;
  b->tab = (ad_tslot *)ad_malloc(b->a, 1024 * sizeof(ad_tslot));
  if (b->tab == NULL) return AD_ENOMEM;
  memset(b->tab, 0, 1024 * sizeof(ad_tslot));
  return AD_OK;
}

int ad_ix_build(ad_ix *ix, const ad_alloc *a, ad_corpus *c,
                const ad_ixparams *p) {
  return ad_ix_rebuild(ix, a, c, p, NULL, NULL, NULL, NULL,
                       (unsigned)ad_default_threads(), AD_PAR_MIN);
}

/* For an update: r2old[r] = old's number of record r (UINT32_MAX: a record
** read anew) and recdoc[o] = the old entry of old record o. */
static int ad_b_oldmaps(ad_corpus *c, ad_ix *old,
                        const uint32_t *oldfile, uint32_t *r2old, uint32_t *recdoc) {
  uint32_t f, k, d;
  for (k = 0; k < c->nrecs; k++) r2old[k] = UINT32_MAX;
  for (k = 0; k < old->m.nrecs; k++) recdoc[k] = UINT32_MAX;
  for (f = 0; f < c->nfiles; f++) {
    const ad_ixfile *of;
    if (oldfile[f] == UINT32_MAX) continue;
    if (oldfile[f] >= old->m.nfiles ||
        ad_ix_need(old, AD_SEC_FILES, (uint64_t)oldfile[f] * sizeof(ad_ixfile), sizeof(ad_ixfile)))
      return AD_ECORRUPT;
    of = (const ad_ixfile *)old->sec[AD_SEC_FILES] + oldfile[f];
    if (of->nrec != c->files[f].nrec || (uint64_t)of->first + of->nrec > old->m.nrecs)
      return AD_ECORRUPT;
    for (k = 0; k < of->nrec; k++) r2old[c->files[f].first + k] = of->first + k;
  }
  for (d = 0; d < old->m.ndocs; d++) {
    const ad_ixdoc *od = ad_ix_doc(old, d);
    if (od == NULL) return AD_ECORRUPT;
    for (k = 0; k < od->napp; k++) {
      uint32_t o = ad_ix_app(old, od, k);
      if (o >= old->m.nrecs || recdoc[o] != UINT32_MAX) return AD_ECORRUPT;
      recdoc[o] = d;
    }
  }
  return AD_OK;
}

int ad_ix_rebuild(ad_ix *ix, const ad_alloc *a, ad_corpus *c,
                  const ad_ixparams *p, ad_ix *old, const uint32_t *oldfile,
                  uint32_t *nread, uint32_t *badfile, unsigned threads,
                  uint32_t minpar) {
  ad_ixb b, b2s, *b2 = NULL;
  pthread_t th;
  int joined = 1;
  uint32_t ntok = 0;
  uint32_t *rnext = NULL, *etab = NULL, emask, nent = 0, i, r;
  uint32_t *r2old = NULL, *recdoc = NULL, *o2n = NULL, *dold = NULL, *ostamp = NULL;
  uint32_t onrecs = old ? old->m.nrecs : 0, ondocs = old ? old->m.ndocs : 0;
  uint8_t *rflags = NULL;
  ad_bent *ents = NULL;
  ad_ixdoc *docs;
  double *norm2 = NULL;
  double lensum[AD_NFIELDS] = {0, 0, 0, 0};
  int st = AD_ENOMEM;
  memset(ix, 0, sizeof *ix);
  memset(&b, 0, sizeof b);
  ix->a = *a;
  b.a = &ix->a; b.c = c;
  ix->m.p = *p;
  if (nread) *nread = 0;
  rflags = (uint8_t *)ad_malloc(b.a, (size_t)c->nrecs + 1);
  if (rflags == NULL) goto done;
  if (old) {
    r2old = (uint32_t *)ad_malloc(b.a, ((size_t)c->nrecs + 1) * 4);
    recdoc = (uint32_t *)ad_malloc(b.a, ((size_t)onrecs + 1) * 4);
    o2n = (uint32_t *)ad_malloc(b.a, ((size_t)ondocs + 1) * 4);
    if (!r2old || !recdoc || !o2n) goto done;
    st = ad_b_oldmaps(c, old, oldfile, r2old, recdoc);
    if (st != AD_OK) goto done;
    st = AD_ENOMEM;
    for (i = 0; i < ondocs; i++) o2n[i] = UINT32_MAX;
  }
  /* 1. group records by id */
  for (emask = 16; emask < c->nrecs * 2u + 2; emask *= 2) {}
  rnext = (uint32_t *)ad_malloc(b.a, (size_t)(c->nrecs + 1) * 4);
  etab = (uint32_t *)ad_malloc(b.a, (size_t)emask * 4);
  ents = (ad_bent *)ad_malloc(b.a, (size_t)(c->nrecs + 1) * sizeof(ad_bent));
  emask--;  /* before any goto done: the free below uses emask + 1 */
  if (!rnext || !etab || !ents) goto done;
  memset(etab, 0, ((size_t)emask + 1) * 4);
  for (r = 0; r < c->nrecs; r++) {
    const ad_record *rec = &c->recs[r];
    const ad_file *f = &c->files[rec->file];
    const char *id;
    uint32_t idl = rec->s[AD_S_ID].len, h, e;
    rnext[r] = UINT32_MAX;
    rflags[r] = 0;
    if (f->text != NULL) {
      if (idl == 0) continue;
      id = f->text + rec->s[AD_S_ID].off;
      rflags[r] = (uint8_t)((ad_b_present(c, rec, AD_S_DOI) ? AD_XR_DOI : 0) |
                            (ad_b_present(c, rec, AD_S_JOURNAL) ? AD_XR_JOURNAL : 0));
    } else {            /* a record of an unchanged file: old knows its id */
      const ad_ixdoc *od;
      if (r2old == NULL || r2old[r] == UINT32_MAX || recdoc[r2old[r]] == UINT32_MAX)
        continue;
      od = ad_ix_doc(old, recdoc[r2old[r]]);
      id = od ? ad_ix_docid(old, od) : NULL;
      if (id == NULL) { st = AD_ECORRUPT; goto done; }
      idl = od->idlen;
      rflags[r] = rec->flags & (AD_XR_DOI | AD_XR_JOURNAL);
    }
    h = (uint32_t)ad_strhash(id, idl) & emask;
    for (;;) {
      e = etab[h];
      if (e == 0) {
        ad_bent *en = &ents[nent];
        etab[h] = ++nent;
        memset(en, 0, sizeof *en);
        en->id = id; en->idlen = idl; en->best = r; en->head = UINT32_MAX;
        en->date = rec->date; en->first = UINT32_MAX; en->last = 0;
        e = nent;
      }
      if (ents[e - 1].idlen == idl && memcmp(ents[e - 1].id, id, idl) == 0) break;
      h = (h + 1) & emask;
    }
    {
      ad_bent *en = &ents[e - 1];
      rnext[r] = en->head; en->head = r; en->napp++;
      if (ad_b_better(c, r, en->best)) en->best = r;
      if (rec->date && rec->date < en->first) en->first = rec->date;
      if (rec->date > en->last) en->last = rec->date;
      if (rec->version > en->version) en->version = rec->version;
      if (rflags[r] & AD_XR_DOI) en->flags |= AD_DF_DOI;
      if (rflags[r] & AD_XR_JOURNAL) en->flags |= AD_DF_JOURNAL;
    }
  }
  ad_free(b.a, etab, (size_t)(emask + 1) * 4); etab = NULL;
  for (i = 0; i < nent; i++) {
    ents[i].date = c->recs[ents[i].best].date;
    if (ents[i].first == UINT32_MAX) ents[i].first = 0;
  }
  /* 2. number the entries */
  qsort(ents, nent, sizeof *ents, ad_b_entcmp);
  ix->m.ndocs = nent;
  ix->m.nfiles = c->nfiles;
  ix->m.nrecs = c->nrecs;
  docs = (ad_ixdoc *)ad_b_sec(ix, AD_SEC_DOCS, (size_t)nent * sizeof(ad_ixdoc));
  if (docs == NULL) goto done;
  {
    uint32_t *apps = (uint32_t *)ad_b_sec(ix, AD_SEC_APPS, (size_t)c->nrecs * 4);
    ad_ixdate *dates;
    uint8_t *idstr;
    uint32_t *ids, *tmp, na = 0, nd = 0, idn = 0;
    size_t idbytes = 0;
    for (i = 0; i < nent; i++) idbytes += ents[i].idlen;
    dates = (ad_ixdate *)ad_b_sec(ix, AD_SEC_DATES, (size_t)c->nrecs * sizeof(ad_ixdate));
    idstr = (uint8_t *)ad_b_sec(ix, AD_SEC_IDSTR, idbytes);
    ids = (uint32_t *)ad_b_sec(ix, AD_SEC_IDS, (size_t)nent * 4);
    if (!apps || !dates || !idstr || !ids) goto done;
    for (i = 0; i < nent; i++) {
      ad_ixdoc *d = &docs[i];
      uint32_t k, lo;
      d->best = ents[i].best; d->date = ents[i].date;
      d->first = ents[i].first; d->last = ents[i].last;
      d->version = (uint16_t)ents[i].version; d->flags = (uint8_t)ents[i].flags;
      d->idoff = idn; d->idlen = ents[i].idlen;
      memcpy(idstr + idn, ents[i].id, ents[i].idlen); idn += ents[i].idlen;
      d->app = na;
      for (r = ents[i].head; r != UINT32_MAX; r = rnext[r]) apps[na++] = r;
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
    {
      void *np = ad_realloc(b.a, apps, c->nrecs ? (size_t)c->nrecs * 4 : 1, na ? (size_t)na * 4 : 1);
      if (np == NULL) goto done;
      ix->own[AD_SEC_APPS] = (uint8_t *)np; ix->sec[AD_SEC_APPS] = (const uint8_t *)np;
      ix->seclen[AD_SEC_APPS] = (size_t)na * 4;
      np = ad_realloc(b.a, dates, c->nrecs ? (size_t)c->nrecs * sizeof(ad_ixdate) : 1,
                      nd ? (size_t)nd * sizeof(ad_ixdate) : 1);
      if (np == NULL) goto done;
      ix->own[AD_SEC_DATES] = (uint8_t *)np; ix->sec[AD_SEC_DATES] = (const uint8_t *)np;
      ix->seclen[AD_SEC_DATES] = (size_t)nd * sizeof(ad_ixdate);
    }
    tmp = (uint32_t *)ad_malloc(b.a, (size_t)(nent ? nent : 1) * 4);
    if (tmp == NULL) goto done;
    ad_b_idsort(ids, tmp, nent, docs, idstr);
    ad_free(b.a, tmp, (size_t)(nent ? nent : 1) * 4);
  }
  /* an update keeps the postings of an entry made of exactly the records of
  ** one old entry (each once: a file listed twice gives its records twice),
  ** with the same best record */
  if (old) {
    dold = (uint32_t *)ad_malloc(b.a, ((size_t)nent + 1) * 4);
    ostamp = (uint32_t *)ad_malloc(b.a, ((size_t)onrecs + 1) * 4);
    if (dold == NULL || ostamp == NULL) goto done;
    memset(ostamp, 0xff, ((size_t)onrecs + 1) * 4);
    for (i = 0; i < nent; i++) {
      uint32_t od = UINT32_MAX, napp = 0;
      const ad_ixdoc *o;
      dold[i] = UINT32_MAX;
      for (r = ents[i].head; r != UINT32_MAX; r = rnext[r]) {
        uint32_t x = r2old[r];
        if (x == UINT32_MAX || recdoc[x] == UINT32_MAX ||
            (od != UINT32_MAX && recdoc[x] != od) || ostamp[x] == i) {
          od = UINT32_MAX; break;
        }
        ostamp[x] = i;
        od = recdoc[x]; napp++;
      }
      if (od == UINT32_MAX || (o = ad_ix_doc(old, od)) == NULL) continue;
      if (o->napp != napp || r2old[docs[i].best] != o->best) continue;
      dold[i] = od; o2n[od] = i;
    }
  }
  ad_free(b.a, rnext, (size_t)(c->nrecs + 1) * 4); rnext = NULL;
  ad_free(b.a, ents, (size_t)(c->nrecs + 1) * sizeof(ad_bent)); ents = NULL;
  /* 3. tokenize: first, serially, the kept entries (copied from old) and
  ** the files that the others need; then the others, in one or two threads
  ** (each with its own terms and streams, over half of the docs) */
  for (i = 0; i < ix->m.ndocs; i++) {
    ad_ixdoc *d = &docs[i];
    uint32_t f, k;
    if (dold && dold[i] != UINT32_MAX) {      /* kept: old has its postings */
      const ad_ixdoc *o = ad_ix_doc(old, dold[i]);
      if (o == NULL) { st = AD_ECORRUPT; goto done; }
      for (f = 0; f < AD_NFIELDS; f++) {
        d->fstart[f] = o->fstart[f]; d->len[f] = o->len[f];
        lensum[f] += d->len[f];
      }
      d->flags |= o->flags & AD_DF_CODE;
      continue;
    }
    ntok++;
    if (old) {                 /* the files of its records must be loaded */
      for (k = 0; k < d->napp; k++) {
        uint32_t fi = c->recs[((uint32_t *)ix->own[AD_SEC_APPS])[d->app + k]].file;
        if (c->files[fi].text != NULL) continue;
        st = ad_file_load(c, fi);
        if (st != AD_OK) { if (badfile) *badfile = fi; goto done; }
        st = AD_ENOMEM;
        if (nread) (*nread)++;
      }
    }
  }
  if (ad_b_init(&b)) goto done;
  {
    ad_tokjob j1, j2;
    uint32_t h = ix->m.ndocs;
    unsigned tth = threads >= 2 && ntok >= minpar ? 2 : 1;
    if (tth > 1 && ntok >= 2) h = ix->m.ndocs / 2;
    memset(&j1, 0, sizeof j1); memset(&j2, 0, sizeof j2);
    j1.b = &b; j1.c = c; j1.docs = docs; j1.dold = dold;
    j1.apps = (const uint32_t *)ix->own[AD_SEC_APPS]; j1.lo = 0; j1.hi = h;
    j1.flo = 0; j1.fhi = c->nfiles;
    if (h < ix->m.ndocs) {        /* the second half in a thread of its own */
      b2 = &b2s;
      memset(b2, 0, sizeof *b2);
      b2->a = &ad_stdalloc; b2->c = c;
      if (ad_b_init(b2)) goto done;
      j2 = j1; j2.b = b2; j2.lo = h; j2.hi = ix->m.ndocs;
      j1.fhi = j2.flo = c->nfiles / 2;
      if (pthread_create(&th, NULL, ad_b_tokthread, &j2) != 0) ad_b_tokdocs(&j2);
      else joined = 0;
    }
    ad_b_tokdocs(&j1);
    if (!joined) { pthread_join(th, NULL); joined = 1; }
    if (j1.st != AD_OK) { st = j1.st; goto done; }
    if (b2 && j2.st != AD_OK) { st = j2.st; goto done; }
    for (i = 0; i < AD_NFIELDS; i++) lensum[i] += j1.lensum[i] + j2.lensum[i];
  }
  for (i = 0; i < AD_NFIELDS; i++)
    ix->m.avglen[i] = ix->m.ndocs ? (float)(lensum[i] / ix->m.ndocs) : 0;
  /* 4. encode */
  norm2 = (double *)ad_malloc(b.a, (size_t)(ix->m.ndocs ? ix->m.ndocs : 1) * sizeof(double));
  if (norm2 == NULL) goto done;
  memset(norm2, 0, (size_t)(ix->m.ndocs ? ix->m.ndocs : 1) * sizeof(double));
  st = ad_b_encode(ix, &b, b2, docs, norm2, old, o2n, threads, minpar);
  if (st != AD_OK) goto done;
  for (i = 0; i < ix->m.ndocs; i++) docs[i].norm = (float)sqrt(norm2[i]);
  st = AD_ENOMEM;
  /* files and records */
  {
    ad_ixfile *files = (ad_ixfile *)ad_b_sec(ix, AD_SEC_FILES, (size_t)c->nfiles * sizeof(ad_ixfile));
    size_t fbytes = 0, at = 0;
    uint8_t *fstr;
    void *recs;
    struct timespec now;
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
    if (!files || !fstr || !recs) goto done;
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
    {
      uint32_t nbig = 0, k;
      ad_record *big;
      for (i = 0; i < c->nrecs; i++)
        nbig += ad_b_packrec(&c->recs[i], (ad_ixrec *)recs + i, rflags[i]);
      big = (ad_record *)ad_b_sec(ix, AD_SEC_RECBIG, (size_t)nbig * sizeof(ad_record));
      if (big == NULL) goto done;
      for (i = 0, k = 0; i < c->nrecs; i++) {
        ad_ixrec *x = (ad_ixrec *)recs + i;
        if (x->flags & AD_XR_BIG) {
          big[k] = c->recs[i];
          big[k].flags = (uint8_t)((big[k].flags & 0x07) | rflags[i]);
          x->raw = k++;
        }
      }
    }
  }
  {
    ad_ixmeta *m = (ad_ixmeta *)ad_b_sec(ix, AD_SEC_META, sizeof(ad_ixmeta));
    if (m == NULL) goto done;
    *m = ix->m;
  }
  st = AD_OK;
done:
  ad_b_free(&b);
  if (b2) ad_b_free(b2);
  if (rnext) ad_free(b.a, rnext, (size_t)(c->nrecs + 1) * 4);
  if (etab) ad_free(b.a, etab, (size_t)(emask + 1) * 4);
  if (ents) ad_free(b.a, ents, (size_t)(c->nrecs + 1) * sizeof(ad_bent));
  if (norm2) ad_free(b.a, norm2, (size_t)(ix->m.ndocs ? ix->m.ndocs : 1) * sizeof(double));
  if (rflags) ad_free(b.a, rflags, (size_t)c->nrecs + 1);
  if (r2old) ad_free(b.a, r2old, ((size_t)c->nrecs + 1) * 4);
  if (recdoc) ad_free(b.a, recdoc, ((size_t)onrecs + 1) * 4);
  if (o2n) ad_free(b.a, o2n, ((size_t)ondocs + 1) * 4);
  if (dold) ad_free(b.a, dold, ((size_t)nent + 1) * 4);
  if (ostamp) ad_free(b.a, ostamp, ((size_t)onrecs + 1) * 4);
  return st;
}
/* }====================================================== */

/* {====================================================== validated access */
int ad_ix_need(ad_ix *ix, int s, uint64_t off, uint64_t len) {
  uint64_t fo, c0, c1, k;
  if (off > ix->seclen[s] || len > ix->seclen[s] - off) return AD_ECORRUPT;
  if (!ix->lazy || len == 0) return AD_OK;
  fo = ix->secoff[s] + off - ix->chunkbase;
  c0 = fo >> ix->chunkshift; c1 = (fo + len - 1) >> ix->chunkshift;
  for (k = c0; k <= c1; k++) {
    if (!ix->verified[k]) {
      uint64_t a0 = k << ix->chunkshift, n = (uint64_t)1 << ix->chunkshift;
      uint64_t sum;
      if (k >= ix->nchunks) return AD_ECORRUPT;
      if (ix->chunkbase + a0 + n > ix->bodylen) n = ix->bodylen - ix->chunkbase - a0;
      memcpy(&sum, ix->sums + k, 8);
      if (ad_fasthash(ix->base + ix->chunkbase + a0, (size_t)n, AD_HASH_INIT) != sum)
        return AD_ECORRUPT;
      ix->verified[k] = 1;
    }
  }
  return AD_OK;
}

const ad_ixdoc *ad_ix_doc(ad_ix *ix, uint32_t d) {
  if (d >= ix->m.ndocs) return NULL;
  if (ad_ix_need(ix, AD_SEC_DOCS, (uint64_t)d * sizeof(ad_ixdoc), sizeof(ad_ixdoc)))
    return NULL;
  return (const ad_ixdoc *)ix->sec[AD_SEC_DOCS] + d;
}

const ad_ixterm *ad_ix_term(ad_ix *ix, uint32_t t) {
  const ad_ixterm *e;
  if (t >= ix->m.nterms) return NULL;
  if (ad_ix_need(ix, AD_SEC_TERMS, (uint64_t)t * sizeof(ad_ixterm), sizeof(ad_ixterm)))
    return NULL;
  e = (const ad_ixterm *)ix->sec[AD_SEC_TERMS] + t;
  if (ad_ix_need(ix, AD_SEC_TSTR, e->str, e->len)) return NULL;
  if (e->df == 0 || e->df > ix->m.ndocs) return NULL;
  if (ad_ix_need(ix, AD_SEC_POST, e->post, e->postlen)) return NULL;
  if (ad_ix_need(ix, AD_SEC_POS, e->pos, e->poslen)) return NULL;
  if ((e->post & 3) != 0) return NULL;
  if ((uint64_t)((e->df + AD_BLOCK - 1) / AD_BLOCK) * sizeof(ad_ixskip) > e->postlen)
    return NULL;
  return e;
}

const char *ad_ix_termstr(ad_ix *ix, const ad_ixterm *t) {
  return (const char *)ix->sec[AD_SEC_TSTR] + t->str;
}

const char *ad_ix_docid(ad_ix *ix, const ad_ixdoc *d) {
  if (ad_ix_need(ix, AD_SEC_IDSTR, d->idoff, d->idlen)) return NULL;
  return (const char *)ix->sec[AD_SEC_IDSTR] + d->idoff;
}

static int ad_bytecmp(const char *a, size_t an, const char *b, size_t bn) {
  size_t n = an < bn ? an : bn;
  int c = memcmp(a, b, n);
  if (c) return c;
  return an < bn ? -1 : an > bn;
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

int64_t ad_ix_find_id(ad_ix *ix, const char *s, size_t n, int *err) {
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
  if (k >= d->napp || at >= ix->m.napps) return UINT32_MAX;
  if (ad_ix_need(ix, AD_SEC_APPS, at * 4, 4)) return UINT32_MAX;
  return ((const uint32_t *)ix->sec[AD_SEC_APPS])[at];
}

int ad_ix_rec(ad_ix *ix, uint32_t r, ad_record *out) {
  const ad_ixrec *x;
  const ad_ixfile *f;
  int s, k = 0;
  if (r >= ix->m.nrecs) return AD_ECORRUPT;
  if (ad_ix_need(ix, AD_SEC_RECS, (uint64_t)r * sizeof(ad_ixrec), sizeof(ad_ixrec)))
    return AD_ECORRUPT;
  x = (const ad_ixrec *)ix->sec[AD_SEC_RECS] + r;
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
  if (out->file >= ix->m.nfiles) return AD_ECORRUPT;
  if (ad_ix_need(ix, AD_SEC_FILES, (uint64_t)out->file * sizeof(ad_ixfile), sizeof(ad_ixfile)))
    return AD_ECORRUPT;
  f = (const ad_ixfile *)ix->sec[AD_SEC_FILES] + out->file;
  if (r < f->first || r - f->first >= f->nrec) return AD_ECORRUPT;
  for (s = 0; s < AD_NSPANS; s++)
    if ((uint64_t)out->s[s].off + out->s[s].len > f->size) return AD_ECORRUPT;
  return AD_OK;
}
/* }====================================================== */
