/*
** ad_recommend.h: recommendations against a library of papers (pure C, no
** lua.h). Which of the candidate papers should a reader of the library
** read next, and why.
**
** The method (see the README's Recommendations for what else was measured
** and what each gave; bench/recommend.lua --methods --dev --held):
**   - every paper is a vector over the words of its title and abstract (as
**     the index tokenizes them: compounds and their parts), the pairs of
**     adjacent words ("gaussian splatting"), optionally its authors (one
**     feature per name) and the words of its comment, weighted per field;
**   - a feature weighs BM25 (tf saturated with k1, length-normalised with
**     b) x idf, and each paper's vector has length 1;
**   - the idf and the background come from a sample: the newest
**     min(ndocs, opts.sample) papers of the index (ad_rmodel, built once
**     per index and option set);
**   - the library's profile P is the mean of its papers' vectors; the
**     background B the mean vector of the sample, and the local background
**     H the mean vector of the opts.nlocal sample papers nearest to the
**     library (other than its own: found with the index's postings of the
**     profile's strongest words, like the narrowing below). A candidate c
**     scores
**         alpha * c.P  +  (1 - alpha) * mean of its m largest c.x_l
**         - background * ((1 - local) c.B + local c.H)
**         - max(0, max over negatives n of c.x_n
**                  - max(c.B, max over library papers l of c.x_l))
**     (the library papers l: all of them, or when there are more than
**     opts.nnear (16) the nnear nearest to each negative, a bound on the
**     cost: a paper falls
**     for being more like a negative than like the library, not for the
**     field the two share)
**     (alpha = 1 by default: each library paper counts as much as the
**     others; what the library shares with every paper counts for nothing,
**     and what it shares with the papers of its own field, local = 0.2,
**     counts less: a discriminative step, what a linear model trained
**     against the other papers does, at the cost of one walk of postings);
**   - the evidence of a hit is the score's own decomposition: the library
**     papers l with the largest share alpha/L * c.x_l, and the features f
**     with the largest c_f * (alpha P_f + ... - background ((1 - local)
**     B_f + local H_f)).
**
** Library papers and negatives are never returned. Results are
** deterministic: ties go to the lower doc number (the newer paper).
**
** Large candidate sets (over opts.exact papers) are first narrowed with
** the index's postings: the profile's strongest words score every
** candidate from its impacts, and the best opts.shortlist (or 8 x
** (offset + limit) when larger) are scored exactly as above.
**
** Memory goes through the index's allocator; every failure returns a code
** (AD_ENOMEM, AD_ECORRUPT, AD_EIO or AD_ECHANGED for a source file that
** cannot be read: its number in *badfile) and leaks nothing.
*/
#ifndef AD_RECOMMEND_H
#define AD_RECOMMEND_H

#include "ad_index.h"

#define AD_REC_SAMPLE    20000u  /* default opts.sample */
#define AD_REC_EXACT      4000u  /* larger candidate sets are narrowed first */
#define AD_REC_SHORTLIST  2000u
#define AD_REC_NLOCAL     1000u  /* default opts.nlocal */
#define AD_REC_WCAT       16.0f  /* default weights.cat */
#define AD_REC_NEAR         16u  /* default opts.nnear */

enum { AD_RW_BM25 = 0, AD_RW_TFIDF = 1 };

/* How papers become vectors (the model depends on these) and how they
** are compared. */
typedef struct ad_ropts {
  float w[AD_NFIELDS];  /* field weights: title, abstract, authors, comment
                           (0: the field is ignored) */
  int scheme;           /* AD_RW_BM25 or AD_RW_TFIDF ((1 + ln tf) x idf) */
  int bigrams;          /* adjacent word pairs are features too */
  float k1, b;          /* BM25 */
  uint32_t sample;      /* idf and background from the newest `sample` docs */
  float wcat;           /* each category's weight as a feature (weights.cat,
                           AD_REC_WCAT; 0: categories are not features) */
  /* scoring (not part of the model) */
  float alpha;          /* weight of the profile; 1 - alpha: the m nearest */
  uint32_t m;           /* nearest library papers (when alpha < 1) */
  float background;     /* weight of the background subtracted */
  float local;          /* its share that is local: the mean of the nlocal
                           sample papers nearest to the library (0..1) */
  uint32_t nlocal;      /* (AD_REC_NLOCAL) */
  uint32_t exact;       /* larger candidate sets are narrowed with the
                           postings first (AD_REC_EXACT) */
  uint32_t shortlist;   /* how many the narrowing keeps (AD_REC_SHORTLIST) */
  uint32_t nnear;       /* with negatives, a paper's nearness to the library
                           is measured on its nnear papers nearest to each
                           negative (all of them when it has no more:
                           AD_REC_NEAR, 1..64), a bound on the cost */
} ad_ropts;

void ad_ropts_default(ad_ropts *o);

/* The sample statistics of an index for one set of vector options: for
** each feature seen in the sample, its idf there and its mean weight (the
** background); and the sample docs' weighted vectors, kept so that a
** request does not make them again. Features have dense ids 0 .. nf-1,
** the most frequent first (what many vectors share stays close in
** memory); the hash table maps a feature's key to its id. */
typedef struct ad_rment { uint64_t key; uint32_t id, pad; } ad_rment;

typedef struct ad_rmodel {
  ad_alloc a;
  ad_ropts o;              /* the options it was built with */
  uint32_t ndocs;          /* docs of the index it was built on */
  uint32_t nsample;        /* docs in the sample: docs 0 .. nsample-1 */
  uint32_t nkept;          /* docs 0 .. nkept-1 have their vectors kept
                              (nsample when built; 0 when read from a file:
                              a doc's vector made again is the same) */
  double avgdl;            /* mean weighted length of the sample */
  ad_rment *t;             /* open addressing by key, key 0 = empty slot */
  uint32_t cap, n;         /* slots (a power of 2), used */
  uint32_t nf;             /* feature ids (= n once built) */
  uint64_t *keys;          /* per id: its key, */
  float *idf, *mu;         /* its idf and background weight, */
  uint32_t *term;          /* its term in the index (a word of the sample;
                              else UINT32_MAX) */
  /* doc d < nkept: features (ids) vid[voff[d] .. voff[d+1]), weights
  ** vw[...], and vbg[d] = its vector . background */
  uint32_t *voff, *vid;
  float *vw, *vbg;
  uint32_t nv, capv;
  /* scratch of a request: the weight of each feature id (zero between
  ** requests). So one model serves one request at a time. */
  float *dq;
  /* a model read from a file (ad_rsave.c): t, keys, idf, mu and term lie
  ** in this read-only mapping of it, released by ad_rmodel_free */
  void *map; size_t maplen;
} ad_rmodel;

/* Build the model of index ix (its records read from corpus c: the
** collection of a fresh index, or the corpus of a loaded one). On failure
** m is left empty (ad_rmodel_free is still safe). */
int ad_rmodel_build(ad_rmodel *m, ad_ix *ix, ad_corpus *c, const ad_ropts *o,
                    uint32_t *badfile);
void ad_rmodel_free(ad_rmodel *m);
/* 1 when m was built on an index of ix's size with the same vector
** options as o (weights, scheme, bigrams, k1, b, sample). */
int ad_rmodel_fits(const ad_rmodel *m, const ad_ix *ix, const ad_ropts *o);
/* Bytes held by a model. */
size_t ad_rmodel_size(const ad_rmodel *m);
/* The slot of key in m's table (m->cap > 0): where it is, or the empty
** slot where it belongs (the table's one probing rule, for ad_rsave.c). */
uint32_t ad_rmodel_slot(const ad_rmodel *m, uint64_t key);

/* {====================================================== saved models (ad_rsave.c)
** A model in a file, so that a process that loads a saved index need not
** build its model again (about a second on 200,000 papers): the table of
** features (key to id) and the per-id arrays (key, idf, background,
** index term) as they lie in memory, the sample's size
** and mean length, the vector options, and the fingerprint of the index
** it was built on (a hash of what the model is made of: the counts, the
** files' paths, sizes and content hashes, and the sample papers' rows:
** equal for a built index and the same index saved and loaded). The
** sample's vectors are not saved: a model read back has
** nkept = 0 and makes a doc's vector again when it needs one (the same
** vector, so the same scores). Read back by mapping the file.
** A change to how the model is computed (features, idf, background) must
** bump AD_RMODEL_VERSION: a saved model of another version is refused.
** Version 2: dense feature ids and each word's index term (the local
** background); version 1 files are refused. */
#define AD_RMODEL_VERSION 3u

/* The fingerprint of ix's contents for a sample of nsample docs (see
** above). */
uint64_t ad_rmodel_ixsig(const ad_ix *ix, uint32_t nsample);
/* The bytes of model m (built on index ix): ad_rmodel_dumplen(m) of them,
** written to out. AD_OK, or AD_EFORMAT when m is empty or not ix's. */
size_t ad_rmodel_dumplen(const ad_rmodel *m);
int ad_rmodel_dump(const ad_rmodel *m, const ad_ix *ix, char *out);
/* Why a saved model was not taken (ad_rmodel_load). */
enum {
  AD_RLOAD_OK = 0,
  AD_RLOAD_FORMAT,      /* not a saved model, or of another version or platform */
  AD_RLOAD_CORRUPT,     /* a saved model whose checks fail */
  AD_RLOAD_INDEX,       /* made from an index with other contents */
  AD_RLOAD_OPTIONS      /* made with other vector options */
};
/* Read the saved model at path into m (allocator a) for index ix and
** options o. Returns AD_OK with *why = AD_RLOAD_OK (m is ready), AD_OK
** with *why the reason it was refused (m left empty), AD_EIO (errno set)
** or AD_ENOMEM. m is always freeable with ad_rmodel_free. */
int ad_rmodel_load(ad_rmodel *m, const ad_alloc *a, const ad_ix *ix,
                   const ad_ropts *o, const char *path, int *why);
/* Release the mapping of a model read from a file (ad_rmodel_free). */
void ad_rmodel_unmap(ad_rmodel *m);
/* }====================================================== */

/* A request. Doc numbers may repeat (duplicates count once) but must be
** < ndocs. cand == NULL: every doc of the index.
**
** With a second index cix (the papers of a few new digest files, say):
** its papers join the request as if they were papers of ix, with ix's
** model, so that ranking them needs no merge into ix. A doc number d >=
** ndocs(ix), in lib, neg, cand, the hits and the evidence, is then doc
** d - ndocs(ix) of cix, its records read from cc; cand == NULL: every doc
** of cix. A paper of cix is scored as a doc of ix with the same text would
** be. A paper with the id of a library paper or a negative in the other
** index is never returned either. Large candidate sets are narrowed with
** the postings of the index each candidate belongs to. */
typedef struct ad_rreq {
  const uint32_t *lib; uint32_t nlib;     /* the library (positives) */
  const uint32_t *neg; uint32_t nneg;     /* papers the reader does not want */
  const uint32_t *cand; uint32_t ncand;   /* the candidates */
  const char *text; size_t textlen;       /* free text, one more library
                                             "paper" (NULL: none) */
  uint32_t limit, offset;
  uint32_t npapers, nterms;               /* evidence per hit */
  ad_ix *cix; ad_corpus *cc;              /* the second index, or NULL */
} ad_rreq;

typedef struct ad_rpaper { uint32_t doc; float score; } ad_rpaper;
typedef struct ad_rterm { uint32_t off, len; float weight; } ad_rterm;
typedef struct ad_rhit {
  uint32_t doc; float score;
  uint32_t paper, npaper;   /* papers[paper .. paper + npaper) */
  uint32_t term, nterm;     /* terms[term .. term + nterm) */
} ad_rhit;

/* The hits ranked offset+1 .. offset+limit, best first, with evidence.
** A term's text is strs[off .. off + len). */
typedef struct ad_rresult {
  ad_rhit *hits; uint32_t nhits;
  ad_rpaper *papers; uint32_t npapers, cappapers;
  ad_rterm *terms; uint32_t nterms, capterms;
  char *strs; uint32_t nstrs, capstrs;
  uint32_t nlib;            /* distinct library papers used */
  uint32_t scored;          /* candidates scored exactly */
  uint32_t badfile;         /* the file that failed (AD_EIO, AD_ECHANGED) */
  int badcand;              /* 1: badfile is a file of q->cix */
} ad_rresult;

/* Rank q's candidates for q's library with model m (built with the same
** vector options as o). res is zeroed first; free it with ad_rresult_free
** whatever the result. AD_OK, AD_ENOMEM, AD_ECORRUPT, AD_EIO, AD_ECHANGED. */
int ad_recommend(ad_ix *ix, ad_corpus *c, ad_rmodel *m,
                 const ad_ropts *o, const ad_rreq *q, ad_rresult *res);
void ad_rresult_free(const ad_alloc *a, ad_rresult *res);

/* {====================================================== lookups (libraries) */
/* The normalised form of a title: its words as the tokenizer folds them
** (case, accents; punctuation and spacing dropped), one space apart.
** Writes at most cap bytes to out; returns the full length. */
size_t ad_title_norm(const char *s, size_t n, char *out, size_t cap);
/* Drops the braces of s[0..n) in place ("Aspl{ü}nd's" -> "Asplünd's", as
** a BibTeX title's braces are dropped before matching); returns the new
** length. Titles are compared without them, on both sides. */
size_t ad_title_unbrace(char *s, size_t n);

/* Docs whose title has the normalised form of title[0..n) (found with the
** postings of its rarest words, then compared): the first cap (newest
** first) in out, *nfound = how many there are (may exceed cap). */
int ad_find_title(ad_ix *ix, ad_corpus *c, const char *title, size_t n,
                  uint32_t *out, uint32_t cap, uint32_t *nfound,
                  uint32_t *badfile);

/* The key of one DOI s[0..n) as ad_doi_next finds it (no prefix, no
** space): lower case, DOIs being case-insensitive. Returns the length
** written (at most cap). */
size_t ad_doi_norm(const char *s, size_t n, char *out, size_t cap);

/* DOI -> doc table of an index (every DOI, ad_doi_next, of every record
** of a paper; the newest paper wins). ad_rdoi_find looks up the DOIs of
** its argument in order and returns the first one's doc. */
typedef struct ad_rdoi {
  ad_alloc a;
  uint64_t *keys; uint32_t *docs;
  uint32_t cap, n;
  uint32_t ndocs;          /* docs of the index it was built on */
} ad_rdoi;
int ad_rdoi_build(ad_rdoi *t, ad_ix *ix, ad_corpus *c, uint32_t *badfile);
/* Doc of a DOI (normalised here), or -1. */
int64_t ad_rdoi_find(const ad_rdoi *t, const char *doi, size_t n);
void ad_rdoi_free(ad_rdoi *t);
/* }====================================================== */

#endif
