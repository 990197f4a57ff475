/*
** ad_terms.h: the word counter of the html format's top terms (pure C).
**
** A paper's title and abstract, each with its math ($...$), URLs
** (http(s)://...) and TeX commands (\word) made spaces (ad_terms_strip),
** are tokenized as the index tokenizes (ad_token.h); within one text, a
** part of a hyphen group is not counted again after the group's compound
** (a pending part is taken by the next token equal to it, as
** arxivdigest.format.html's Lua text_terms does). Each distinct word
** counts once per paper: df = papers whose title or abstract holds it,
** tf = papers whose title holds it. Which words are topic words (stop
** words, the query's terms, numbers) is the caller's choice, afterwards.
*/
#ifndef AD_TERMS_H
#define AD_TERMS_H

#include <stddef.h>
#include <stdint.h>
#include "ad_core.h"

#define AD_TM_INLINE 20
typedef struct ad_tcent {
  uint32_t off, len;        /* the word: keys[off .. off + len) */
  char head[AD_TM_INLINE];  /* its first bytes (a word's one cache line) */
  uint32_t df, tf;          /* papers holding it; papers whose title does */
  uint32_t dstamp, tstamp;  /* the last paper counted in df, in tf */
  uint32_t pstamp, pending; /* pending parts of the text pstamp */
} ad_tcent;

typedef struct ad_tcount {
  ad_alloc a;
  ad_tcent *ent; uint32_t nent, capent;   /* in order of first sight */
  uint64_t *slot; uint32_t nslot;         /* hash << 32 | entry index + 1; 0 empty */
  char *keys; uint32_t nkeys, capkeys;
  char *buf; uint32_t capbuf;             /* a stripped text */
  uint32_t ndocs, ntexts;
} ad_tcount;

void ad_tcount_init(ad_tcount *tc, const ad_alloc *a);
void ad_tcount_free(ad_tcount *tc);
/* Count one paper. AD_OK, or AD_ENOMEM (also for a text of 4 GiB or more;
** the paper is then partly counted: the counter is for freeing only). */
int ad_tcount_add(ad_tcount *tc, const char *title, size_t tn, const char *abs, size_t an);
/* s[0..n) with every $...$ (the shortest), then every http(s)://NONSPACE+
** (scheme letters in any case), then every \LETTERS made one space: the
** three gsub passes of the Lua text_terms, in that order. out holds n
** bytes (the result is never longer; out may be s). Returns its length. */
size_t ad_terms_strip(const char *s, size_t n, char *out);

#endif
