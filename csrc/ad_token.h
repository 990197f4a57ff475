/*
** ad_token.h: the tokenizer shared by indexing, query terms, snippets and
** Lua's `core.tokens`. Pure C.
**
** A token is a run of word characters: ASCII letters and digits, Latin
** letters (folded to ASCII: "Müller" -> "muller", "ß" -> "ss", "Ł" -> "l"),
** and any other letter outside the punctuation blocks (kept as UTF-8, Greek
** lowercased). Combining diacritics (U+0300..U+036F) are dropped, so
** decomposed "u\u0308" folds too. Invisible characters are dropped and do
** not end a word: the soft hyphen and DEL (0x7F), which the parser drops
** from values too (ad_decode), so that raw and decoded text give the same
** tokens (real listings have "Jan T<DEL>ünnermann": one word
** "tunnermann"; ad_fold, and so the author names of core.fold, drops it
** alike). Other control bytes and invalid UTF-8 (U+FFFD in values)
** separate words. Words joined by single hyphens form a
** group: "zero-shot" yields the compound "zero-shot" (kind AD_TK_COMPOUND)
** at position p, then its parts "zero" at p and "shot" at p+1 (kind
** AD_TK_PART). A plain word has kind AD_TK_WORD. Positions count words and
** parts, so a phrase made of parts is adjacent in the position space.
*/
#ifndef AD_TOKEN_H
#define AD_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define AD_TOK_MAX 64         /* longer words are truncated to this many bytes */
#define AD_TOK_MAXPARTS 16    /* a longer hyphen group yields parts only */

enum { AD_TK_WORD = 0, AD_TK_COMPOUND = 1, AD_TK_PART = 2 };

typedef struct ad_tok {
  const char *s;       /* folded token bytes (points into the tokenizer;
                       ** 16 bytes can be read there, past len unspecified) */
  uint32_t len;
  uint32_t start, end; /* byte range in the source text */
  uint32_t pos;        /* position (relative to the tokenizer's start) */
  int kind;            /* AD_TK_* */
} ad_tok;

typedef struct ad_tokenizer {
  const unsigned char *src; size_t n, at;
  uint32_t pos;                     /* next position */
  /* current hyphen group */
  char buf[AD_TOK_MAXPARTS * (AD_TOK_MAX + 1) + 8];
  uint32_t poff[AD_TOK_MAXPARTS], plen[AD_TOK_MAXPARTS];
  uint32_t pstart[AD_TOK_MAXPARTS], pend[AD_TOK_MAXPARTS];
  int nparts, emit;                 /* emit: next item of the group (-1 = compound) */
  int hascompound;
  char cbuf[AD_TOK_MAX + 1]; uint32_t clen;
} ad_tokenizer;

void ad_tok_init(ad_tokenizer *t, const char *s, size_t n);
/* s[0..n) lowercased with its letters folded as tokens fold them (the one
** fold table), combining marks dropped, everything else kept as it is.
** out holds at least AD_FOLD_BOUND(n) bytes; returns the length. */
#define AD_FOLD_BOUND(n) ((size_t)(n) * 2 + 4)
size_t ad_fold(const char *s, size_t n, char *out);
/* Next token into *tk; returns 1, or 0 at the end of the text. */
int ad_tok_next(ad_tokenizer *t, ad_tok *tk);

/* What the text of a query's term or phrase matches, by the index's rule
** (the one place it is decided: the index's search and the Lua evaluator
** both ask here):
**   AD_QT_EMPTY     no token;
**   AD_QT_COMPOUND  w[0] is a hyphen group's compound: a term (not a
**                   phrase) that is one hyphen group and nothing else
**                   ("zero-shot" is the compound, not the words "zero shot");
**   AD_QT_WORD      w[0] is one word;
**   AD_QT_PHRASE    w[0..nw) are the words and parts in order, at
**                   positions pos[] ("u.s.", "zero-shot learning" quoted).
** With prefix, a compound or a single word is a prefix (q->prefix = 1);
** a prefix of several words is the phrase of those words. */
enum { AD_QT_EMPTY = 0, AD_QT_COMPOUND, AD_QT_WORD, AD_QT_PHRASE };
#define AD_QT_MAXW (AD_TOK_MAXPARTS * 2)
typedef struct ad_qterm {
  int kind, prefix;
  uint32_t nw;
  char w[AD_QT_MAXW][AD_TOK_MAX + 1];
  uint32_t wl[AD_QT_MAXW], pos[AD_QT_MAXW];
} ad_qterm;
void ad_qterm_of(const char *s, size_t n, int phrase, int prefix, ad_qterm *q);

#endif
