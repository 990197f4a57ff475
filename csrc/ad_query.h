/*
** ad_query.h: the query tree the C core executes (pure C, no lua.h).
**
** One node type for both evaluators: the index (ad_search.c: ranked
** search, count, each) and cheap selection over the records of a corpus
** (ad_select.c: c:select, no index, no decoding). The Lua binding builds
** it from the tree of arxivdigest.query (lad_query.c, the one converter);
** the fuzzers build it from bytes.
**
** Nodes live in one array; node 0 is the root. The children of AND/OR/NOT
** are nodes kids[0..nkids) of the same array, each greater than its
** parent's index (which rules out cycles). Evaluators reject a tree that
** breaks these rules with AD_EFORMAT (or no match), never a wild read.
*/
#ifndef AD_QUERY_H
#define AD_QUERY_H

#include "ad_core.h"

enum {
  AD_QN_AND, AD_QN_OR, AD_QN_NOT, AD_QN_TERM, AD_QN_PHRASE, AD_QN_CAT,
  AD_QN_PRIMARY, AD_QN_ID, AD_QN_DATE, AD_QN_HAS, AD_QN_VERSION, AD_QN_ALL
};

/* has: values (ad_xnode.a of a HAS node; its text is the name) */
enum { AD_HAS_DOI = 1, AD_HAS_JOURNAL = 2, AD_HAS_CODE = 3 };

/* Query text fields (ad_xnode.field); -1: any. Also the index's field
** numbers (ad_index.h). */
enum { AD_F_TITLE = 0, AD_F_ABSTRACT = 1, AD_F_AUTHORS = 2, AD_F_COMMENT = 3 };
#define AD_NFIELDS 4

/* One query node. TERM/PHRASE/CAT/PRIMARY/ID/HAS use text[0..len) (raw
** user text: TERM and PHRASE are tokenized by the index, CAT/PRIMARY
** compared case-insensitively, ID a canonical id); DATE uses a..b
** (YYYYMMDD, inclusive), VERSION a..b (b = 0: no upper bound), HAS a (an
** AD_HAS_*). field: -1 any, else AD_F_*; prefix: TERM ends with '*';
** CAT/PRIMARY match every category starting with text (`cat:cs.*`: text
** "cs."). */
typedef struct ad_xnode {
  int type, field, prefix;
  const char *text; size_t len;
  uint32_t a, b;
  uint32_t nkids; const uint32_t *kids;
} ad_xnode;

/* Deepest tree any evaluator accepts (recursion bound). */
#define AD_QMAXDEPTH 200
/* Most parts a query may hold for the index's search: words (a term, a
** prefix, a category: one; a phrase: its words), operators (AND, OR, NOT)
** and bitmaps (a date or an id alone; the ids and dates of one OR are one
** bitmap), counted with shared subtrees as often as they occur: what the
** search follows at every doc. A larger tree fails with AD_EQUERYBIG (a
** 1 KiB fuzz input made 13,000 phrase words, seconds of work on a few
** hundred papers). */
#define AD_QMAXPARTS 4096

/* 1 when every node of the tree is cheap (no TERM/PHRASE): it can be
** evaluated on the records by ad_select_match. */
int ad_query_cheap(const ad_xnode *nodes, uint32_t n);

/* Does record r satisfy node `i` of the cheap tree q[0..n)? Needs the file
** text for text predicates (false when it is not loaded). A node that
** breaks the tree's rules, or is not cheap, does not match. */
int ad_select_match(const ad_corpus *c, const ad_record *r,
                    const ad_xnode *q, uint32_t n, uint32_t i);

/* The categories of a list field (categories, primary category), as
** queries see them: the words between commas, semicolons (ACM classes:
** "B.2.4; B.8.2"), spaces, tabs, line ends and markdown asterisks, less a category's name written after a lone "-" up
** to the next comma ("**cs.CV**, eess.IV - Image and Video Processing"
** holds cs.CV and eess.IV); a word longer than AD_CAT_MAX bytes is not a
** category. The one rule of the index (ad_b_cats), c:select
** (ad_select_match), a paper's categories list (lad_coll.c) and, through
** core.category_has, the Lua evaluator.
** ad_cat_next: the next word of s[*at..n) as s[*a..*e); 0 at the end. */
#define AD_CAT_MAX 92
int ad_cat_next(const char *s, size_t n, size_t *at, size_t *a, size_t *e);
/* Is v one of the categories of s (case-insensitive)? pre: does one start
** with v; first: the first category only (a primary category field) */
int ad_cat_has(const char *s, size_t n, const char *v, size_t vn, int pre, int first);

/* Does s contain a link to a code-hosting site (github.com, ...)? */
int ad_has_code(const char *s, size_t n);

#endif
