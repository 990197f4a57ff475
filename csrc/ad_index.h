/*
** ad_index.h: the inverted index over a corpus (pure C, no lua.h).
**
** This header is the index core's public interface. Stages (one file
** each; a file calls only the files below it, never one above):
**   ad_token.c   tokenizer shared by indexing, queries and snippets
**   ad_ixread.c  the validated accessors every reader goes through (need,
**                doc, term, find, rec, ...) and the index's lifetime
**   ad_update.c  what an update takes from the old index: record maps,
**                kept entries, kept postings (internal: ad_update.h)
**   ad_bstream.c the builder: tokenizes docs into per-term temporary
**                streams (internal: ad_build.h, shared by the build files)
**   ad_encode.c  final encoding of a build: term streams (and kept
**                postings) into posting lists with impacts
**   ad_build.c   build and update, stage by stage: group records into one
**                entry per arXiv id, number, tokenize, encode, files and
**                records
**   ad_store.c   save (atomic) and load (mmap, validated, lazily
**                checksummed); the file header: ad_store.h
**   ad_search.c  query execution: iterators, block-max top-k, count
**   ad_similar.c tf-idf cosine "similar papers"
**   ad_snippet.c query snippets
**   ad_topk.h    the top-k heap of hits (search, similar)
**
** An index is a set of sections (byte arrays). A fresh build owns heap
** buffers; a loaded index points into one read-only mmap of the saved file.
** All code reads the same layout, so a saved index needs no per-entry work
** at load time.
**
** Entries ("docs") are numbered in descending (date, id) order: doc 0 is the
** newest paper. So sort="date" is document order, and score ties (broken by
** lower doc number) favour newer papers.
**
** Sections
**   META    ad_ixmeta: counts, BM25F parameters, average field lengths
**   DOCS    ad_ixdoc[ndocs]: per-entry columns
**   APPS    uint32 record numbers, each entry's appearances by (date, record)
**   IDSTR   canonical id strings; IDS ad_ixid[ndocs] sorted by id text
**   TERMS   ad_ixterm[nterms] sorted by term bytes; TSTR the term bytes
**   POST    posting lists (format below); POS  positions
**   DATES   ad_ixdate[napps] (date, doc) sorted by date, for date: filters
**   FILES   ad_ixfile[nfiles]; FSTR file paths
**   RECS    ad_ixrec[nrecs]: the records (ad_core.h) in compact form, spans
**           as 16-bit offsets from the record's raw text; RECBIG the
**           ad_record of the rare records that do not fit
**
** Posting list of a term with df documents, in blocks of AD_BLOCK docs:
**   skip table: nblocks x ad_ixskip { last doc, byte offset of the block
**               (from the list start), offset of the block's positions
**               (from the term's positions start), max impact }
**   each block: doc deltas (varint; each from the previous doc + 1, the
**               first from the previous block's last doc + 1), then one
**               byte per doc: impact (7 bits, BM25F saturated term weight
**               x 127) << 1 | d, then for each doc whose d bit is 0 a
**               varint npm = npos << 4 | field mask (d = 1: npm is the
**               term's default, AD_NPM_DEFAULT, or 0 for pseudo terms)
** Positions of a doc: npos varints, deltas from the previous position
** (the first from 0). Fields share one position space: title from 0, then
** abstract, authors and comment each after a gap of AD_FIELD_GAP; each
** doc's DOCS row holds where each field starts.
**
** Pseudo terms (first byte 0x01) index the filters: "\1c<cat>" any
** category, "\1p<cat>" primary category, "\1hdoi", "\1hjournal",
** "\1hcode", "\1v<NNN>" highest version (3 digits). They carry no impact.
*/
#ifndef AD_INDEX_H
#define AD_INDEX_H

#include <string.h>
#include "ad_core.h"
#include "ad_query.h"

#define AD_ECORRUPT (-10)   /* a saved index failed validation */
#define AD_EFORMAT  (-11)   /* not an index file / wrong version / platform */
#define AD_EQUERYBIG (-12)  /* a query of more than AD_QMAXPARTS parts */

#define AD_BLOCK 128
#define AD_IMPMAX 127
/* the most common npm: one position, in the abstract */
#define AD_NPM_DEFAULT ((1u << 4) | 2u)
#define AD_FIELD_GAP 8

/* entry flags */
#define AD_DF_DOI     0x01
#define AD_DF_JOURNAL 0x02
#define AD_DF_CODE    0x04

enum {
  AD_SEC_META, AD_SEC_DOCS, AD_SEC_APPS, AD_SEC_IDSTR, AD_SEC_IDS,
  AD_SEC_TERMS, AD_SEC_TSTR, AD_SEC_POST, AD_SEC_POS, AD_SEC_DATES,
  AD_SEC_FILES, AD_SEC_FSTR, AD_SEC_RECS, AD_SEC_RECBIG, AD_NSEC
};

typedef struct ad_ixparams {
  float w[AD_NFIELDS];     /* field weights (title, abstract, authors, comment) */
  float k1, b;
} ad_ixparams;

typedef struct ad_ixmeta {
  uint32_t ndocs, nterms, napps, nfiles, nrecs, pad;
  ad_ixparams p;
  float avglen[AD_NFIELDS];
} ad_ixmeta;

typedef struct ad_ixdoc {
  uint32_t best;          /* record whose fields the entry shows */
  uint32_t date;          /* YYYYMMDD of the best record */
  uint32_t first, last;   /* first_seen / last_seen (YYYYMMDD) */
  uint32_t app, napp;     /* APPS[app .. app+napp) */
  uint32_t fstart[AD_NFIELDS]; /* first position of each field */
  uint16_t len[AD_NFIELDS];    /* tokens per field (saturated) */
  uint16_t version;       /* highest version seen (0 none) */
  uint8_t flags, pad;     /* AD_DF_* */
  float norm;             /* tf-idf norm of title + abstract (similar) */
  uint32_t idoff;         /* id string in IDSTR */
  uint32_t idlen;
} ad_ixdoc;

typedef struct ad_ixid { uint32_t doc; } ad_ixid;   /* IDS: sorted by id */

typedef struct ad_ixterm {
  uint32_t str, len;      /* bytes in TSTR */
  uint32_t df;
  uint32_t post, postlen; /* list in POST */
  uint32_t pos, poslen;   /* positions in POS */
  uint32_t maximp;        /* highest impact in the list */
} ad_ixterm;

typedef struct ad_ixskip { uint32_t last, off, posoff, maximp; } ad_ixskip;

typedef struct ad_ixdate { uint32_t date, doc; } ad_ixdate;

#define AD_XR_BIG 0x80      /* ad_ixrec.flags: the record is RECBIG[raw] */
/* ad_ixrec.flags (and ad_record.flags of records expanded from an index):
** the record has a DOI / journal reference (present and not "None"), so an
** update can merge entries without reading the record's file */
#define AD_XR_DOI     0x08
#define AD_XR_JOURNAL 0x10
typedef struct ad_ixrec {
  uint32_t file, line, date, position;
  uint16_t version; uint8_t format, flags;
  uint32_t raw, rawlen;                 /* the AD_S_RAW span */
  uint16_t rel[AD_NSPANS - 1][2];       /* other spans: off - raw, len */
} ad_ixrec;

typedef struct ad_ixfile {
  uint32_t path, pathlen; /* in FSTR */
  uint64_t size, hash;
  int64_t mtime;
  uint32_t first, nrec;
  uint32_t format, pad;
} ad_ixfile;

/* An index: sections plus what a loaded one needs for lazy verification. */
typedef struct ad_ix {
  ad_alloc a;
  const uint8_t *sec[AD_NSEC];
  uint64_t seclen[AD_NSEC];
  uint8_t *own[AD_NSEC];          /* heap buffers of a fresh build */
  ad_ixmeta m;                    /* copy of META */
  /* loaded index */
  const uint8_t *base;            /* the file's bytes */
  void *map; size_t maplen;       /* the mmap to release, or NULL */
  uint64_t chunkbase, bodylen;    /* chunks cover [chunkbase, bodylen) */
  uint64_t secoff[AD_NSEC];       /* section offsets in the file */
  const uint64_t *sums;           /* checksum of each chunk */
  uint8_t *verified;              /* one byte per chunk */
  uint32_t nchunks, chunkshift;
  int lazy;                       /* 1: chunks verified on first use */
  uint8_t *recdone; uint32_t nrecdone;  /* records expanded into a corpus */
  uint8_t *filedone; uint32_t nfiledone;/* files copied into a corpus */
  uint64_t bad;                   /* the first failed check (ad_ix_why) */
  /* a build's stages (ad_ix_rebuild_ex; AD_BT_OPEN: set by the caller that
  ** read the files), [0] wall and [1] process CPU seconds; 0 when loaded */
  double btime[2][5];
} ad_ix;
enum { AD_BT_OPEN, AD_BT_PREPARE, AD_BT_TOKENIZE, AD_BT_ENCODE, AD_BT_FILES };
/* t[0] = monotonic wall seconds, t[1] = the process's CPU seconds (0 when
** unavailable): what ad_ix.btime differences */
void ad_clocks(double t[2]);

/* What failed validation (ad_ix.bad = kind << 32 | the item's number) */
enum {
  AD_BAD_NONE, AD_BAD_BOUNDS, AD_BAD_CHUNK, AD_BAD_DOC, AD_BAD_TERM,
  AD_BAD_POSTINGS, AD_BAD_REC, AD_BAD_FILE
};

/* {====================================================== build (ad_build.c) */
void ad_ixparams_default(ad_ixparams *p);
/* NULL when every parameter is in range (weights in [0, 1e6), k1 in
** [0, 1000), b in [0, 1]: so finite), else what is not ("k1"): the rule of
** a build's options and of a loaded index's META (in ad_ixread.c). */
const char *ad_ixparams_check(const ad_ixparams *p);
/* Build an index of corpus c (whose files' text must be loaded).
** Returns AD_OK or AD_ENOMEM; ix is always freeable with ad_ix_free. */
int ad_ix_build(ad_ix *ix, const ad_alloc *a, ad_corpus *c,
                const ad_ixparams *p);
/* Build like ad_ix_build, reusing the index `old` of an earlier version of
** the corpus (incremental update). oldfile[f] is the file of old that holds
** the same bytes as c's file f (then c's records of f are old's records of
** that file, in order, with their text possibly not loaded), or UINT32_MAX
** for a file read and scanned anew. An entry made of exactly the records of
** one old entry keeps old's postings (re-weighted); the others are
** tokenized from text, loading (ad_file_load) the files they need: *nread
** (if not NULL) counts those loads. The result equals ad_ix_build over the
** same corpus with every file loaded. AD_OK, AD_ENOMEM, AD_ECORRUPT (old
** failed validation), AD_EIO or AD_ECHANGED (a file could not be loaded:
** *badfile is its number). threads: how many threads may work (>= 1);
** a stage (tokenizing, encoding) uses min(threads, 8) threads when
** threads >= 2 and it has at least minpar docs, the others' memory from
** malloc (not from a); the result is the same bytes however many. */
/* the default minpar: several threads from this many docs */
#define AD_PAR_MIN 20000
int ad_ix_rebuild(ad_ix *ix, const ad_alloc *a, ad_corpus *c,
                  const ad_ixparams *p, ad_ix *old, const uint32_t *oldfile,
                  uint32_t *nread, uint32_t *badfile, unsigned threads,
                  uint32_t minpar);
/* ad_ix_rebuild; with droptext != 0 each file's text is released as soon
** as the docs that need it are tokenized (bounded memory: the whole text is
** never held beside the build's streams), and c's files are left with no
** text, to be read again on demand (ad_file_load: size and hash checked),
** as a loaded index reads them. Only for a corpus nothing else reads
** meanwhile (an index's own, built from paths). Only text read from a
** regular file into the corpus's chunks is released: a pipe's (stdin,
** <(...): it could not be read again) or a caller's stays. */
int ad_ix_rebuild_ex(ad_ix *ix, const ad_alloc *a, ad_corpus *c,
                     const ad_ixparams *p, ad_ix *old, const uint32_t *oldfile,
                     uint32_t *nread, uint32_t *badfile, unsigned threads,
                     uint32_t minpar, int droptext);
/* }====================================================== */

/* {====================================================== reading (ad_ixread.c) */
/* Free a built or loaded index (a loaded one is unmapped). */
void ad_ix_free(ad_ix *ix);
/* Unmap a loaded index (called by ad_ix_free). */
void ad_ix_unmap(ad_ix *ix);

/* Every number read from a saved index is checked once before anything
** uses it: META at load (ad_ix_load: counts against the section sizes,
** parameters finite and in range), every other value by the accessor that
** reads it (ad_ix_doc checks a doc's columns, ad_ix_term a term's offsets,
** ...), so a load stays O(1). A failed check returns AD_ECORRUPT (or NULL)
** and records what failed in ix->bad (the first failure; safe from several
** threads): ad_ix_why says it ("document 12"). */
int ad_ix_corrupt(ad_ix *ix, int kind, uint32_t item);   /* -> AD_ECORRUPT */
/* The first failed check of ix, as text ("document 12", "checksum of
** chunk 3"), in buf[n]; "bounds check" when none was recorded. */
const char *ad_ix_why(const ad_ix *ix, char *buf, size_t n);

/* Make sure bytes [off, off+len) of section s are valid: in bounds and, for
** a loaded index, their chunks' checksums verified. AD_OK or AD_ECORRUPT. */
int ad_ix_need(ad_ix *ix, int s, uint64_t off, uint64_t len);

/* Accessors that validate (return NULL when out of bounds or corrupt).
** ad_ix_doc: app/napp within APPS (napp >= 1), best < nrecs, id within
** IDSTR (idlen >= 1), field starts from 0 and non-decreasing, norm finite
** and >= 0. ad_ix_term: bytes, list and positions within their sections,
** 1 <= df <= ndocs, the skip table within the list, maximp <= AD_IMPMAX. */
const ad_ixdoc *ad_ix_doc(ad_ix *ix, uint32_t d);
const ad_ixterm *ad_ix_term(ad_ix *ix, uint32_t t);
/* File fi: path within FSTR, records within RECS, size <= AD_MAX_FILE_SIZE
** (or no records) */
const ad_ixfile *ad_ix_file(ad_ix *ix, uint32_t fi);
const char *ad_ix_termstr(ad_ix *ix, const ad_ixterm *t);
const char *ad_ix_docid(ad_ix *ix, const ad_ixdoc *d);
/* Term number of exact bytes s[0..n), or -1 (or AD_ECORRUPT via *err). */
int64_t ad_ix_find(ad_ix *ix, const char *s, size_t n, int *err);
/* First term >= s[0..n) (binary search); nterms if none. */
uint32_t ad_ix_lower(ad_ix *ix, const char *s, size_t n, int *err);
/* Doc number of a canonical id, or -1 */
int64_t ad_ix_find_id(ad_ix *ix, const char *s, size_t n, int *err);
/* Appearance record k of doc d (validated, < nrecs), or UINT32_MAX */
uint32_t ad_ix_app(ad_ix *ix, const ad_ixdoc *d, uint32_t k);
/* Record r expanded into *out and validated against the file table.
** AD_OK or AD_ECORRUPT. */
int ad_ix_rec(ad_ix *ix, uint32_t r, ad_record *out);
/* BM25 idf of a term with document frequency df */
double ad_ix_idf(const ad_ix *ix, uint32_t df);

uint64_t ad_fasthash(const void *p, size_t n, uint64_t seed);

/* The varint at *pp (< end), moving *pp past it; on a truncated or
** over-long one sets *bad and moves *pp to end. Inline: the encoding, the
** update, search and similar decode postings with it in their inner loops. */
static inline uint32_t ad_varint_get(const uint8_t **pp, const uint8_t *end, int *bad) {
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

/* The one byte order of (pointer, length) strings (terms, ids): memcmp
** over the common length, then the shorter first. */
static inline int ad_bytecmp(const void *a, size_t an, const void *b, size_t bn) {
  int c = memcmp(a, b, an < bn ? an : bn);
  if (c) return c;
  return an < bn ? -1 : an > bn;
}
/* }====================================================== */

/* {====================================================== queries (ad_search.c) */
/* The query tree is ad_xnode (ad_query.h). */
typedef struct ad_hit { uint32_t doc; float score; } ad_hit;

enum { AD_SORT_SCORE = 0, AD_SORT_DATE = 1 };

/* Run the query tree nodes[0..nnodes) over ix: the k best hits (sort =
** AD_SORT_SCORE, best first, ties to the newer paper) or the k newest
** (AD_SORT_DATE, doc order) go to out[0..k), *nout receives how many.
** Returns AD_OK, AD_ENOMEM, AD_ECORRUPT, AD_EFORMAT for a bad tree, or
** AD_EQUERYBIG for one of more than AD_QMAXPARTS parts. */
int ad_search(ad_ix *ix, const ad_xnode *nodes, uint32_t nnodes,
              uint32_t k, int sort, ad_hit *out, uint32_t *nout);
/* ad_search on up to `threads` threads (at most 8): a ranked search that
** has decoded minwork blocks (AD_SEARCH_MINWORK) and is not done shares
** the docs left among them, by their blocks; the hits are ad_search's.
** *used (unless NULL) receives how many threads ran it. */
#define AD_SEARCH_MINWORK 64
int ad_search_par(ad_ix *ix, const ad_xnode *nodes, uint32_t nnodes,
                  uint32_t k, int sort, unsigned threads, uint32_t minwork,
                  ad_hit *out, uint32_t *nout, unsigned *used);
int ad_count(ad_ix *ix, const ad_xnode *nodes, uint32_t nnodes,
             uint32_t *total);
/* Calls f(ud, doc) for every matching doc in doc order; stops when f
** returns nonzero. */
int ad_each(ad_ix *ix, const ad_xnode *nodes, uint32_t nnodes,
            int (*f)(void *ud, uint32_t doc), void *ud);
/* }====================================================== */

/* {====================================================== similar (ad_similar.c) */
/* k most similar docs to text[0..n) (title and abstract text), excluding
** doc `self` (UINT32_MAX for none). */
int ad_similar(ad_ix *ix, const char *text, size_t n, uint32_t self,
               uint32_t k, ad_hit *out, uint32_t *nout);
/* }====================================================== */

/* {====================================================== snippets (ad_snippet.c) */
/* Best passage of text with the query tokens marked. terms: nterms folded
** tokens (prefix[i] != 0: prefix match). Writes at most outcap bytes to out
** and returns the length written. */
size_t ad_snippet(const char *text, size_t n, const char *const *terms,
                  const size_t *tlens, const int *prefix, uint32_t nterms,
                  uint32_t width, const char *open, const char *close,
                  char *out, size_t outcap);
/* }====================================================== */

/* {====================================================== store (ad_store.c) */
/* Write ix atomically to path. AD_OK or AD_EIO (errno set), AD_ENOMEM. */
int ad_ix_save(const ad_ix *ix, const char *path);
/* Map and validate a saved index file. On failure returns AD_EIO (errno
** set), AD_EFORMAT or AD_ECORRUPT and writes a reason to why[whylen]. */
int ad_ix_load(ad_ix *ix, const ad_alloc *a, const char *path, char *why,
               size_t whylen);
/* Open a saved file (an index, a model) to read: its descriptor, its size
** in *size and whether it is a regular file in *regular; or -1 with errno
** set (EISDIR for a directory). The caller closes the descriptor. */
int ad_file_open_ro(const char *path, uint64_t *size, int *regular);
/* The path a write to path reaches: its final component's symbolic links
** followed (at most 40; a relative target from the link's directory); it
** need not exist. Into out[0..cap); returns its length, 0 when it does
** not fit. Writers that rename a new file into place rename over this (a
** rename over a link replaces the link, not the file it points at). */
#define AD_PATH_MAX 4096
size_t ad_link_target(const char *path, char *out, size_t cap);
/* The same over a caller's buffer (kept, not copied): for fuzzing. */
int ad_ix_load_mem(ad_ix *ix, const ad_alloc *a, const void *buf, size_t len,
                   char *why, size_t whylen);
/* Fill corpus c (initialised, empty) with the files and records of a
** loaded index: c->files and c->recs are allocated but filled lazily: call
** ad_ix_corpus_rec before using record r (it fills r's file too), or
** ad_ix_corpus_file before using file fi without a record; file texts are
** read on demand by ad_file_load. Release with ad_ix_corpus_free (before
** ad_ix_free: it needs to know which entries were filled). */
int ad_ix_corpus_rec(ad_ix *ix, ad_corpus *c, uint32_t r);
int ad_ix_corpus_file(ad_ix *ix, ad_corpus *c, uint32_t fi);
int ad_ix_corpus(ad_ix *ix, ad_corpus *c);
/* Append file fi of ix, with its records, to corpus c (text not loaded:
** ad_file_load reads it on demand and checks its size and hash); mtime is
** the file's current one. AD_OK, AD_ENOMEM or AD_ECORRUPT. */
int ad_ix_corpus_addfile(ad_ix *ix, ad_corpus *c, uint32_t fi, int64_t mtime);
void ad_ix_corpus_free(ad_ix *ix, ad_corpus *c);
/* }====================================================== */

#endif
