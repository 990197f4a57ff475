/*
** ad_bstream.c: the builder of an index (pure C): tokenizes the docs of a
** build into one temporary stream per term (format: ad_build.h), with no
** impact yet (the field length averages are not known before every doc is
** tokenized). Each thread of a build has its own builder (ad_ixb): its own
** term table, term bytes and streams. Also the pseudo terms of the
** filters (categories, has:, v:).
*/
#include <string.h>
#include <sys/mman.h>
#include "ad_build.h"
#include "ad_token.h"

/* {====================================================== helpers */

/* ad_has_code(s, n), cheaper: every code host name (ad_select.c) has one
** '.', followed by "co", "or" or "ne", at most 31 bytes into the name and
** at most 16 bytes from its end; a host in s is then around one of those
** dots, and ad_has_code reads only the bytes around them (most texts have
** none; a text with a link has it near its end, and ad_has_code would
** read the text once a host) */
#define AD_CODE_BEFORE 31
#define AD_CODE_AFTER 16
static int ad_maybe_code(const char *s, size_t n) {
  const char *p = s, *e = s + n;
  while ((p = (const char *)memchr(p, '.', (size_t)(e - p))) != NULL) {
    if (e - p >= 3) {
      char a = (char)(p[1] | 0x20), b = (char)(p[2] | 0x20);
      if ((a == 'c' && b == 'o') || (a == 'o' && b == 'r') || (a == 'n' && b == 'e')) {
        const char *w0 = p - s > AD_CODE_BEFORE ? p - AD_CODE_BEFORE : s;
        const char *w1 = e - p > AD_CODE_AFTER ? p + AD_CODE_AFTER : e;
        if (ad_has_code(w0, (size_t)(w1 - w0))) return 1;
      }
    }
    p++;
  }
  return 0;
}
/* }====================================================== */

/* {====================================================== builder */
static ad_tchunk *ad_b_chunk(ad_ixb *b, uint32_t cap) {
  size_t need = (sizeof(ad_tchunk) + cap + 7) & ~(size_t)7;
  ad_tchunk *c;
  if (b->slabs == NULL || b->slabs->used + need > b->slabs->size) {
    size_t sz = need + sizeof(ad_slab) > AD_SLAB ? need + sizeof(ad_slab) : AD_SLAB;
    ad_slab *s = (ad_slab *)ad_malloc(b->a, sz);
    if (s == NULL) return NULL;
    ad_b_huge(s, sz);
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

static uint32_t ad_varint_len(uint32_t v) {
  return v < (1u << 7) ? 1 : v < (1u << 14) ? 2 : v < (1u << 21) ? 3 : v < (1u << 28) ? 4 : 5;
}

static uint32_t ad_b_tag(uint64_t h, uint32_t n) {
  return ((uint32_t)(h >> 32) & ~31u) | (n < 31 ? n : 31);
}

static uint64_t ad_b_head(const char *s, uint32_t n) {
  uint64_t w = 0;
  memcpy(&w, s, n < 8 ? n : 8);
  return w;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define AD_B_NOINLINE __attribute__((noinline))
/* ad_b_head when 8 bytes can be read at s: one load, masked */
static inline uint64_t ad_b_head8(const char *s, uint32_t n) {
  uint64_t w;
  memcpy(&w, s, 8);
  return n >= 8 ? w : w & ((1ULL << (8 * n)) - 1);
}
#else
#define AD_B_NOINLINE
#define ad_b_head8 ad_b_head
#endif

/* add the term s[0..n) (hash h, tag and head of ad_b_term) at its free
** slot i: AD_OK or AD_ENOMEM */
static AD_B_NOINLINE int ad_b_insert(ad_ixb *b, const char *s, uint32_t n, uint64_t h,
                                     uint32_t tag, uint64_t head, uint32_t i,
                                     uint32_t *out) {
  uint32_t t;
  if (b->nterms + 1 > (b->tabmask + 1) / 2) {      /* grow the table */
    uint32_t ncap = (b->tabmask + 1) * 2, k;
    ad_tslot *nt = (ad_tslot *)ad_malloc(b->a, (size_t)ncap * sizeof(ad_tslot));
    if (nt == NULL) return AD_ENOMEM;
    ad_b_huge(nt, (size_t)ncap * sizeof(ad_tslot));   /* fewer TLB misses */
    memset(nt, 0, (size_t)ncap * sizeof(ad_tslot));
    for (k = 0; k <= b->tabmask; k++) {
      const ad_tslot *e = &b->tab[k];
      uint32_t j;
      if (e->term == 0) continue;
      j = (uint32_t)ad_b_strhash((const char *)b->tstr.p + b->terms[e->term - 1].str,
                               b->terms[e->term - 1].len) & (ncap - 1);
      while (nt[j].term) j = (j + 1) & (ncap - 1);
      nt[j] = *e;
    }
    ad_free(b->a, b->tab, (size_t)(b->tabmask + 1) * sizeof(ad_tslot));
    b->tab = nt; b->tabmask = ncap - 1;
    i = (uint32_t)h & b->tabmask;
    while (b->tab[i].term) i = (i + 1) & b->tabmask;
  }
  if (ad_grow(b->a, (void **)&b->terms, &b->capterms, b->nterms + 1, sizeof(ad_bterm)) ||
      ad_grow(b->a, (void **)&b->stamps, &b->capstamps, b->nterms + 1, sizeof(ad_bstamp)) ||
      ad_grow(b->a, (void **)&b->tails, &b->captails, b->nterms + 1, sizeof(uint64_t)))
    return AD_ENOMEM;
  if (b->nterms + 1 == b->capterms / 2 + 1 && b->capterms >= 65536) {  /* just grown */
    ad_b_huge(b->terms, (size_t)b->capterms * sizeof(ad_bterm));
    ad_b_huge(b->stamps, (size_t)b->capstamps * sizeof(ad_bstamp));
  }
  if (ad_bb_reserve(b->a, &b->tstr, n)) return AD_ENOMEM;
  t = b->nterms++;
  memset(&b->terms[t], 0, sizeof(ad_bterm));
  b->terms[t].str = (uint32_t)b->tstr.n; b->terms[t].len = n;
  b->stamps[t].stamp = UINT32_MAX;
  b->tails[t] = 0;
  if (n > 8 && n <= 16) memcpy(&b->tails[t], s + n - 8, 8);
  memcpy(b->tstr.p + b->tstr.n, s, n); b->tstr.n += n;
  b->tab[i].term = t + 1; b->tab[i].tag = tag; b->tab[i].head = head;
  *out = t;
  return AD_OK;
}

/* the term of s[0..n) (hash h, head ad_b_head's), added when new: AD_OK or
** AD_ENOMEM. Inline: the look-up of a known term is most of the calls. */
static inline int ad_b_term(ad_ixb *b, const char *s, uint32_t n, uint64_t h,
                            uint64_t head, uint32_t *out) {
  uint32_t tag = ad_b_tag(h, n), i = (uint32_t)h & b->tabmask, t;
  for (;;) {
    const ad_tslot *e = &b->tab[i];
    if (e->term == 0) return ad_b_insert(b, s, n, h, tag, head, i, out);
    if (e->tag == tag && e->head == head) {
      t = e->term - 1;
      if (n <= 8) { *out = t; return AD_OK; }
      if (n <= 16) {      /* same length (the tag): the last 8 bytes */
        uint64_t y;
        memcpy(&y, s + n - 8, 8);
        if (b->tails[t] == y) { *out = t; return AD_OK; }
      } else if (b->terms[t].len == n &&
                 memcmp(b->tstr.p + b->terms[t].str + 8, s + 8, n - 8) == 0) {
        *out = t; return AD_OK;
      }
    }
    i = (i + 1) & b->tabmask;
  }
}

static int ad_b_push(ad_ixb *b, uint32_t term, uint32_t pos, uint32_t field) {
  if (b->ndt == b->capdt &&
      ad_grow(b->a, (void **)&b->dt, &b->capdt, b->ndt + 1, sizeof(ad_dtok)))
    return AD_ENOMEM;
  b->dt[b->ndt].term = term; b->dt[b->ndt].pos = pos; b->dt[b->ndt].field = field;
  b->ndt++;
  return AD_OK;
}

/* tokenize s[0..n) as (part of) the current field, starting at position
** b->curpos: its tokens are hashed and their table slots prefetched, to be
** looked up by ad_b_resolve; returns the number of positions used in *used */
static int ad_b_text(ad_ixb *b, const char *s, size_t n, uint32_t *used) {
  ad_tokenizer tz;
  ad_tok tk;
  ad_tok_init(&tz, s, n);
  while (ad_tok_next(&tz, &tk)) {
    ad_rtok *r;
    uint8_t *w;
    /* room for the token and 16 bytes of slack: a short token is copied
    ** as 16 bytes (the tokenizer's buffers have the room to read them) */
    if ((b->nrt == b->caprt &&
         ad_grow(b->a, (void **)&b->rt, &b->caprt, b->nrt + 1, sizeof(ad_rtok))) ||
        (b->rbytes.cap - b->rbytes.n < AD_TOK_MAX + 16 &&
         ad_bb_reserve(b->a, &b->rbytes, AD_TOK_MAX + 16)))
      return AD_ENOMEM;
    r = &b->rt[b->nrt++];
    r->h = ad_b_strhash(tk.s, tk.len);
    __builtin_prefetch(&b->tab[(uint32_t)r->h & b->tabmask], 0, 3);
    r->off = (uint32_t)b->rbytes.n; r->len = tk.len; r->pos = b->curpos + tk.pos;
    w = b->rbytes.p + b->rbytes.n;
    if (tk.len <= 16) memcpy(w, tk.s, 16);
    else memcpy(w, tk.s, tk.len);
    b->rbytes.n += tk.len;
  }
  *used = tz.pos;
  return AD_OK;
}

/* look up the tokens ad_b_text collected (field f) and push them */
static int ad_b_resolve(ad_ixb *b, uint32_t f) {
  uint32_t i, t, nrt = b->nrt;
  const ad_rtok *rt;
  const char *rb;
  ad_dtok *d;
  if (b->ndt + nrt > b->capdt &&
      ad_grow(b->a, (void **)&b->dt, &b->capdt, b->ndt + nrt, sizeof(ad_dtok)))
    return AD_ENOMEM;
  /* in locals: the term table's stores could alias b's fields */
  rt = b->rt; rb = (const char *)b->rbytes.p; d = b->dt + b->ndt;
  for (i = 0; i < nrt; i++) {
    const ad_rtok *r = &rt[i];
    const char *ts = rb + r->off;                    /* has slack */
    if (ad_b_term(b, ts, r->len, r->h, ad_b_head8(ts, r->len), &t)) {
      b->ndt += i;
      return AD_ENOMEM;
    }
    __builtin_prefetch(&b->stamps[t], 1, 3);
    __builtin_prefetch(&b->terms[t].wp, 0, 3);
    d[i].term = t; d[i].pos = r->pos; d[i].field = f;
  }
  b->ndt += nrt;
  b->nrt = 0; b->rbytes.n = 0;
  return AD_OK;
}

static int ad_b_pseudo(ad_ixb *b, const char *s, size_t n) {
  uint32_t t;
  if (n == 0 || n > 200) return AD_OK;
  if (ad_b_term(b, s, (uint32_t)n, ad_b_strhash(s, n), ad_b_head(s, (uint32_t)n), &t))
    return AD_ENOMEM;
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

/* write a posting at w (doc delta, field mask, tfs, the positions of the
** chain of l in dt); returns the end */
static inline uint8_t *ad_b_posting(uint8_t *w, uint32_t delta, const ad_local *l,
                                    const ad_dtok *dt) {
  uint32_t k, i = l->first, prev = 0, m;
  w = ad_put_varint(w, delta);
  *w++ = (uint8_t)l->mask;
  for (m = l->mask; m; m &= m - 1)         /* the fields in the mask, in order */
    w = ad_put_varint(w, l->tf[__builtin_ctz(m)]);
  for (k = 0; k < l->npos; k++) {
    w = ad_put_varint(w, dt[i].pos - prev);
    prev = dt[i].pos; i = dt[i].next;
  }
  return w;
}

/* Aggregate the doc's tokens per term (chained in dt: the positions of a
** term are in increasing order) and append them to the terms' temporary
** streams. */
static int ad_b_flush(ad_ixb *b, uint32_t doc) {
  ad_dtok *const dt = b->dt;
  ad_local *loc;
  uint32_t i, nloc = 0;
  if (b->ndt > b->caploc &&
      ad_grow(b->a, (void **)&b->loc, &b->caploc, b->ndt, sizeof(ad_local)))
    return AD_ENOMEM;
  loc = b->loc;
  for (i = 0; i < b->ndt; i++) {
    ad_bstamp *t = &b->stamps[dt[i].term];
    uint32_t f = dt[i].field;
    ad_local *l;
    if (t->stamp != doc) {
      t->stamp = doc; t->slot = nloc;
      l = &loc[nloc++];
      memset(l, 0, sizeof *l);
      l->term = dt[i].term; l->first = i;
    } else {
      l = &loc[t->slot];
      dt[l->last].next = i;
    }
    l->last = i;
    if (f != 0xFF) { l->tf[f]++; l->npos++; l->mask |= 1u << f; }
  }
  b->nloc = nloc;
  /* the terms' stream tails are scattered in memory: ask for them all
  ** before writing (memory-level parallelism instead of one miss at a time) */
  for (i = 0; i < nloc; i++) {
    const ad_bterm *t = &b->terms[loc[i].term];
    if (t->wp) __builtin_prefetch(t->wp, 1, 3);
  }
  for (i = 0; i < nloc; i++) {
    const ad_local *l = &loc[i];
    ad_bterm *t = &b->terms[l->term];
    uint32_t prev = 0, k, at;
    /* at most 5 bytes a varint: 1 delta, 1 mask byte, a tf per field, the
    ** positions */
    size_t bound = 6 + (size_t)5 * (AD_NFIELDS + l->npos);
    uint8_t tmp[6 + 5 * AD_NFIELDS + 5 * 64], *src;
    size_t need;
    if (t->tail != NULL && (size_t)(t->wend - t->wp) >= bound) {
      /* room for any encoding: written in place */
      t->wp = ad_b_posting(t->wp, doc - t->next, l, dt);
      t->next = doc + 1;
      t->df++;
      continue;
    }
    /* the posting's exact size (a chunk is filled to its last byte: the
    ** streams are most of a build's memory): encoded in tmp when it fits
    ** there, else measured */
    if (bound <= sizeof tmp) {
      need = (size_t)(ad_b_posting(tmp, doc - t->next, l, dt) - tmp);
      src = tmp;
    } else {
      need = ad_varint_len(doc - t->next) + 1;
      for (k = 0; k < AD_NFIELDS; k++) if (l->tf[k]) need += ad_varint_len(l->tf[k]);
      for (k = 0, at = l->first; k < l->npos; k++) {
        need += ad_varint_len(dt[at].pos - prev);
        prev = dt[at].pos; at = dt[at].next;
      }
      src = NULL;
    }
    if (t->tail == NULL || (size_t)(t->wend - t->wp) < need) {
      /* 16 bytes, then 1.5x the last chunk, up to 8 KiB */
      uint32_t cap = t->tail ? t->tail->cap + t->tail->cap / 2 : 16;
      ad_tchunk *ch;
      if (cap > 8192) cap = 8192;
      if (cap < need) cap = (uint32_t)need;
      ch = ad_b_chunk(b, cap);
      if (ch == NULL) return AD_ENOMEM;
      if (t->tail) { t->tail->used = (uint32_t)(t->wp - t->tail->data); t->tail->next = ch; }
      else t->head = ch;
      t->tail = ch;
      t->wp = ch->data; t->wend = ch->data + cap;
    }
    if (src != NULL) {
      memcpy(t->wp, src, need);
      t->wp += need;
    } else {
      t->wp = ad_b_posting(t->wp, doc - t->next, l, dt);
    }
    t->next = doc + 1;
    t->df++;
  }
  b->ndt = 0;
  return AD_OK;
}

/* add "\1c<cat>" pseudo terms for a raw category list (ad_cat_next's rule) */
static int ad_b_cats(ad_ixb *b, const char *s, size_t n, char kind) {
  char tmp[AD_CAT_MAX + 2];
  size_t at = 0, a, e, k;
  while (ad_cat_next(s, n, &at, &a, &e)) {
    tmp[0] = 1; tmp[1] = kind;
    for (k = a; k < e; k++) {
      char ch = s[k];
      tmp[2 + k - a] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
    }
    if (ad_b_pseudo(b, tmp, 2 + e - a)) return AD_ENOMEM;
    if (kind == 'p') break;       /* primary: the first item only */
  }
  return AD_OK;
}
/* }====================================================== */

/* {====================================================== builder lifetime, tokenizing */
void ad_b_free(ad_ixb *b) {
  const ad_alloc *a = b->a;
  while (b->slabs) {
    ad_slab *sl = b->slabs;
    b->slabs = sl->next;
    ad_free(a, sl, sl->size);
  }
  ad_free(a, b->terms, (size_t)b->capterms * sizeof(ad_bterm));
  ad_free(a, b->stamps, (size_t)b->capstamps * sizeof(ad_bstamp));
  ad_free(a, b->tails, (size_t)b->captails * sizeof(uint64_t));
  ad_free(a, b->rt, (size_t)b->caprt * sizeof(ad_rtok));
  ad_bb_free(a, &b->rbytes);
  ad_free(a, b->tab, (size_t)(b->tabmask + 1) * sizeof(ad_tslot));
  ad_bb_free(a, &b->tstr);
  ad_free(a, b->dt, (size_t)b->capdt * sizeof(ad_dtok));
  ad_free(a, b->loc, (size_t)b->caploc * sizeof(ad_local));
  ad_free(a, b->dec, b->capdec);
  {                                  /* empty, freeable again */
    ad_corpus *c = b->c;
    memset(b, 0, sizeof *b);
    b->a = a; b->c = c;
  }
}


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
        if (ad_b_text(b, txt + s0, e - s0, &u)) return AD_ENOMEM;
        if (u) { b->curpos += u + 1; used += u; }
        s0 = e + 1;
      }
    } else {
      if ((f == AD_F_ABSTRACT || f == AD_F_COMMENT) && ad_maybe_code(txt, n))
        d->flags |= AD_DF_CODE;
      if (ad_b_text(b, txt, n, &used)) return AD_ENOMEM;
      b->curpos += used;
    }
    if (ad_b_resolve(b, f)) return AD_ENOMEM;
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

void ad_b_release(ad_corpus *c, ad_bdrop *d, uint32_t fi) {
  const ad_file *f = &c->files[fi];
  uint32_t k = d->fchunk[fi];
  (void)ad_file_hash(c, fi);
  d->gone[fi] = 1;
  if (k != UINT32_MAX) {
    const ad_chunk *ch = d->chunk[k];
    size_t p0 = (size_t)(f->text - ch->data) / AD_DROP_PAGE;
    size_t p1 = (size_t)(f->text + f->len - 1 - ch->data) / AD_DROP_PAGE, p;
    for (p = p0; p <= p1; p++)
      if (__atomic_sub_fetch(&d->left[d->pbase[k] + p], 1, __ATOMIC_ACQ_REL) == 0)
        (void)madvise(ch->data + p * AD_DROP_PAGE, AD_DROP_PAGE, MADV_DONTNEED);
  } else {
    uintptr_t a = ((uintptr_t)f->text + 4095) & ~(uintptr_t)4095;
    uintptr_t e = ((uintptr_t)f->text + f->len) & ~(uintptr_t)4095;
    if (e > a) (void)madvise((void *)a, e - a, MADV_DONTNEED);
  }
}

void ad_b_tokdocs(ad_tokjob *j) {
  uint32_t i, k = 0;
  for (i = j->flo; i < j->fhi; i++)
    if (j->c->files[i].text != NULL) (void)ad_file_hash(j->c, i);
  j->st = AD_OK;
  for (i = j->lo; i < j->hi && j->st == AD_OK; i++) {
    if (j->dold == NULL || j->dold[i] == UINT32_MAX) j->st = ad_b_tokdoc(j, i);
    for (; k < j->nrel && j->rel_last[j->rel[k]] <= i; k++)
      ad_b_release(j->c, j->drop, j->rel[k]);
  }
}

void *ad_b_tokthread(void *ud) {
  ad_b_tokdocs((ad_tokjob *)ud);
  return NULL;
}

int ad_b_init(ad_ixb *b) {
  b->tabmask = 1023;
  b->tab = (ad_tslot *)ad_malloc(b->a, 1024 * sizeof(ad_tslot));
  if (b->tab == NULL) return AD_ENOMEM;
  memset(b->tab, 0, 1024 * sizeof(ad_tslot));
  return AD_OK;
}
/* }====================================================== */
