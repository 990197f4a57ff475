/*
** ad_build.h: the state a build shares with its final encoding (internal).
** Included by ad_build.c (the stages), ad_bstream.c (tokenizing into term
** streams) and ad_encode.c (encoding the streams into posting lists, and
** the byte buffers and sections all of them write); nothing else includes
** it.
*/
#ifndef AD_BUILD_H
#define AD_BUILD_H

#include "ad_index.h"

/* {====================================================== byte buffers, sections (ad_encode.c) */
typedef struct ad_bbuf { uint8_t *p; size_t n, cap; } ad_bbuf;

/* room for extra more bytes; AD_OK or AD_ENOMEM */
int ad_bb_reserve(const ad_alloc *a, ad_bbuf *b, size_t extra);
void ad_bb_free(const ad_alloc *a, ad_bbuf *b);
/* append a varint; 5 bytes must be reserved */
void ad_bb_varint(ad_bbuf *b, uint32_t v);
/* Ask for huge pages over the 2 MiB pages inside p[0..n) */
void ad_b_huge(void *p, size_t n);
/* section s of ix is p[0..n), owned by ix */
void ad_b_setsec(ad_ix *ix, int s, void *p, size_t n);
/* allocate section s of n bytes (zeroed); NULL when out of memory */
void *ad_b_sec(ad_ix *ix, int s, size_t n);
/* }====================================================== */

/* {====================================================== builder (ad_bstream.c) */
/* Temporary posting streams live in chunks cut from big slabs: no realloc
** copies; a posting never spans two chunks. A posting in a stream: doc
** delta (varint, from the term's previous doc + 1), field mask (a byte),
** tf of each field in the mask (varints), position deltas (varints). */
typedef struct ad_tchunk {
  struct ad_tchunk *next;
  uint32_t used, cap;
  uint8_t data[];
} ad_tchunk;

typedef struct ad_slab { struct ad_slab *next; size_t size, used; } ad_slab;
#define AD_SLAB (16u << 20)

typedef struct ad_bterm {
  /* what writing a posting reads and writes first, in 32 bytes (one cache
  ** line for 3 terms in 4: the 48-byte terms are 16-byte aligned) */
  uint8_t *wp, *wend;            /* write position and end in tail */
  struct ad_tchunk *tail;        /* temporary stream (chunks) */
  uint32_t df, next;             /* next: expected doc for the delta */
  struct ad_tchunk *head;
  uint32_t str, len;
} ad_bterm;

/* per-doc aggregation of a term (kept apart from ad_bterm: 8 bytes a term,
** the array stays in cache where the 48-byte terms would not) */
typedef struct ad_bstamp { uint32_t stamp, slot; } ad_bstamp;

/* A token of the field being tokenized, before its term is looked up: its
** folded bytes (at off in ad_ixb.rbytes), position and hash. The tokens of
** a field are hashed first and their table slots prefetched, then looked
** up: the look-ups' cache misses overlap instead of coming one by one. */
typedef struct ad_rtok { uint64_t h; uint32_t off, len, pos; } ad_rtok;

/* A slot of the term table: the term's number + 1 (0: empty), a tag (high
** hash bits, and the length when under 31) and the term's first 8 bytes,
** zero-padded: a term of up to 8 bytes is found without reading it, one of
** up to 16 with its last 8 bytes (ad_ixb.tails, a dense array). */
typedef struct ad_tslot { uint32_t term, tag; uint64_t head; } ad_tslot;

/* A token of the doc being tokenized (field 0xFF: a pseudo term, no
** position); next: the doc's next token of the same term (set by
** ad_b_flush, which chains each term's tokens in position order). */
typedef struct ad_dtok { uint32_t term, pos, field, next; } ad_dtok;
/* A term of the doc: its tf per field, the field mask, and its chain of
** tokens in dt (first .. last, npos of them with a position). */
typedef struct ad_local {
  uint32_t term, first, last, npos, mask;
  uint32_t tf[AD_NFIELDS];
} ad_local;

/* A builder: the terms and streams of the docs one thread tokenizes. */
typedef struct ad_ixb {
  const ad_alloc *a;
  ad_corpus *c;
  /* terms */
  ad_bterm *terms; uint32_t nterms, capterms;
  ad_bstamp *stamps; uint32_t capstamps;
  uint64_t *tails; uint32_t captails; /* a term's last 8 bytes (9 to 16 bytes long) */
  ad_tslot *tab; uint32_t tabmask;   /* open addressing; term 0 = empty */
  ad_bbuf tstr;
  /* per doc scratch */
  ad_dtok *dt; uint32_t ndt, capdt;
  ad_local *loc; uint32_t nloc, caploc;
  ad_rtok *rt; uint32_t nrt, caprt;  /* the current field's tokens */
  ad_bbuf rbytes;                    /* and their bytes */
  char *dec; size_t capdec;
  uint32_t curdoc, curpos;
  ad_slab *slabs;
} ad_ixb;
/* }====================================================== */

/* {====================================================== tokenizing (ad_bstream.c) */
/* An empty builder (b->a and b->c set, the rest zero): AD_OK or AD_ENOMEM */
int ad_b_init(ad_ixb *b);
/* Free what b holds (also after a failed ad_b_init); b is left empty */
void ad_b_free(ad_ixb *b);
/* Hash of a term or an id (build-time tables only, never saved): words
** are short, so up to 16 bytes are read as two (overlapping) words. Inline:
** the tokenizer hashes every token, the grouping every record's id. */
static inline uint64_t ad_b_strhash(const char *s, size_t n) {
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

/* The most builders (tokenizing threads) and encoding parts of a build:
** with threads = N, min(N, AD_MAXPAR) threads tokenize and encode. */
#define AD_MAXPAR 8

/* Tokenize docs [lo, hi) that are not kept (dold NULL, or dold[doc] ==
** UINT32_MAX) into builder b, in doc order; set their fstart, len and
** AD_DF_CODE, and add their lengths to lensum. */
typedef struct ad_tokjob {
  ad_ixb *b;
  ad_corpus *c;
  ad_ixdoc *docs;
  const uint32_t *apps, *dold;
  uint32_t lo, hi;
  uint32_t flo, fhi;          /* and hash the text of files [flo, fhi) */
  /* droptext: after doc rel_last[rel[k]] is tokenized, file rel[k] is
  ** hashed and released (ad_b_release) */
  const uint32_t *rel, *rel_last; uint32_t nrel;
  struct ad_bdrop *drop;
  double lensum[AD_NFIELDS];
  int st;                     /* AD_OK or AD_ENOMEM */
} ad_tokjob;
void ad_b_tokdocs(ad_tokjob *j);
/* ad_b_tokdocs as a thread's start routine */
void *ad_b_tokthread(void *ud);
/* Releasing the text of a build's files (droptext). File text lives in
** arena chunks of many files, on 2 MiB boundaries (ad_corpus.c): each
** 2 MiB page of a chunk is given back whole (no huge page is split) when
** the last file on it is released, from either thread; a file with a
** buffer of its own has the pages inside it given back. gone[f] = 1 for a
** released file (its pointer is cleared by ad_build.c once no thread runs). */
#define AD_DROP_PAGE ((size_t)2 << 20)
typedef struct ad_bdrop {
  ad_chunk **chunk; uint32_t nchunk;   /* the corpus's chunks, by address */
  uint32_t *pbase;                     /* [nchunk] first page of a chunk in left */
  uint32_t *left; uint32_t npage;      /* [npage] files on a page not released yet */
  uint32_t *fchunk;                    /* [nfiles] chunk of a file, or UINT32_MAX */
  uint8_t *gone;                       /* [nfiles] */
} ad_bdrop;
void ad_b_release(ad_corpus *c, ad_bdrop *d, uint32_t fi);
/* }====================================================== */

/* {====================================================== final encoding (ad_encode.c) */
struct ad_upd;
/* Encode the postings of all terms (sorted) into ix's TERMS, TSTR, POST and
** POS sections: the builders' temporary streams (bs[0 .. nbs), nbs <=
** AD_MAXPAR, each over a range of docs, in doc order), merged, for an
** update (up != NULL), with the postings
** old keeps (ad_update.h). Terms left without postings are dropped. Adds
** each doc's squared tf-idf norm to norm2[doc]. threads, minpar: as for
** ad_ix_rebuild. AD_OK, AD_ENOMEM or AD_ECORRUPT. */
int ad_b_encode(ad_ix *ix, ad_ixb *const *bs, uint32_t nbs, ad_ixdoc *docs,
                double *norm2, const struct ad_upd *up,
                unsigned threads, uint32_t minpar);
/* }====================================================== */

#endif
