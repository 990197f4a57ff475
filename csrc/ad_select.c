/*
** ad_select.c: the cheap part of the query tree (ad_query.h) evaluated on
** the records of a corpus, on their raw spans, without decoding and
** without an index: categories, primary category, id, digest date,
** has:doi/journal/code, version; combined with and/or/not. Collection
** select() in the binding; the pipeline uses it for the filters of a
** collection that need no text.
*/
#include <string.h>
#include "ad_query.h"

static int ad_lc(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* a == b, case-insensitively; pre: a starts with b */
static int ad_eq_ci(const char *a, size_t an, const char *b, size_t bn, int pre) {
  size_t i;
  if (pre ? an < bn : an != bn) return 0;
  for (i = 0; i < bn; i++)
    if (ad_lc((unsigned char)a[i]) != ad_lc((unsigned char)b[i])) return 0;
  return 1;
}

static int ad_cat_sep(char ch) {
  return ch == ',' || ch == ';' || ch == ' ' || ch == '*' || ch == '\t' || ch == '\n' || ch == '\r';
}

int ad_cat_next(const char *s, size_t n, size_t *at, size_t *a, size_t *e) {
  size_t i = *at;
  for (;;) {
    size_t x;
    while (i < n && ad_cat_sep(s[i])) i++;
    if (i >= n) { *at = n; return 0; }
    x = i;
    while (i < n && !ad_cat_sep(s[i])) i++;
    if (i - x == 1 && s[x] == '-') {
      /* "eess.IV - Image and Video Processing": a category's name, up to
      ** the next comma, is no category */
      const char *comma = (const char *)memchr(s + i, ',', n - i);
      i = comma ? (size_t)(comma - s) : n;
      continue;
    }
    if (i - x <= AD_CAT_MAX) { *at = i; *a = x; *e = i; return 1; }
  }
}

int ad_cat_has(const char *s, size_t n, const char *v, size_t vn, int pre, int first) {
  size_t at = 0, a, e;
  while (ad_cat_next(s, n, &at, &a, &e)) {
    if (ad_eq_ci(s + a, e - a, v, vn, pre)) return 1;
    if (first) break;
  }
  return 0;
}

/* Case-insensitive search of an ASCII needle (lowercase) in s. */
static int ad_find_ci(const char *s, size_t n, const char *w) {
  size_t wn = strlen(w), i, j;
  if (wn == 0 || n < wn) return 0;
  for (i = 0; i + wn <= n; i++) {
    if (ad_lc((unsigned char)s[i]) != w[0]) continue;
    for (j = 1; j < wn && ad_lc((unsigned char)s[i + j]) == w[j]; j++) ;
    if (j == wn) return 1;
  }
  return 0;
}

/* Code-hosting sites whose links count for has:code. */
static const char *const ad_code_hosts[] = {
  "github.com", "gitlab.com", "bitbucket.org", "huggingface.co",
  "codeberg.org", "sourceforge.net", "gitee.com", "paperswithcode.com", NULL
};

int ad_has_code(const char *s, size_t n) {
  int i;
  for (i = 0; ad_code_hosts[i]; i++)
    if (ad_find_ci(s, n, ad_code_hosts[i])) return 1;
  return 0;
}

int ad_query_cheap(const ad_xnode *nodes, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++)
    if (nodes[i].type == AD_QN_TERM || nodes[i].type == AD_QN_PHRASE) return 0;
  return 1;
}

/* the child k of node x (index checked against the tree's rules), or 0 */
static int ad_kid(const ad_xnode *x, uint32_t n, uint32_t i, uint32_t k,
                  uint32_t *out) {
  if (x->kids == NULL || k >= x->nkids || x->kids[k] <= i || x->kids[k] >= n)
    return 0;
  *out = x->kids[k];
  return 1;
}

int ad_select_match(const ad_corpus *c, const ad_record *r,
                    const ad_xnode *q, uint32_t n, uint32_t i) {
  const ad_xnode *x;
  const char *t = c->files[r->file].text;
  uint32_t k, kid;
  if (i >= n) return 0;
  x = &q[i];
  switch (x->type) {
    case AD_QN_ALL: return 1;
    case AD_QN_AND:
      for (k = 0; k < x->nkids; k++)
        if (!ad_kid(x, n, i, k, &kid) || !ad_select_match(c, r, q, n, kid)) return 0;
      return x->nkids > 0;
    case AD_QN_OR:
      for (k = 0; k < x->nkids; k++)
        if (ad_kid(x, n, i, 0 + k, &kid) && ad_select_match(c, r, q, n, kid)) return 1;
      return 0;
    case AD_QN_NOT:
      return x->nkids == 1 && ad_kid(x, n, i, 0, &kid) &&
             !ad_select_match(c, r, q, n, kid);
    case AD_QN_DATE: return r->date >= x->a && r->date <= x->b && r->date != 0;
    case AD_QN_VERSION:
      return r->version >= x->a && (x->b == 0 || r->version <= x->b);
    default: break;
  }
  if (t == NULL) return 0;  /* text not loaded: the caller loads it first */
  switch (x->type) {
    case AD_QN_CAT:
      if (r->s[AD_S_CATEGORIES].len)
        return ad_cat_has(t + r->s[AD_S_CATEGORIES].off, r->s[AD_S_CATEGORIES].len,
                           x->text, x->len, x->prefix, 0);
      return ad_cat_has(t + r->s[AD_S_PRIMARY].off, r->s[AD_S_PRIMARY].len, x->text, x->len,
                         x->prefix, 1);
    case AD_QN_PRIMARY:
      return ad_cat_has(t + r->s[AD_S_PRIMARY].off, r->s[AD_S_PRIMARY].len, x->text, x->len,
                         x->prefix, 1);
    case AD_QN_ID:
      return r->s[AD_S_ID].len == x->len &&
             memcmp(t + r->s[AD_S_ID].off, x->text, x->len) == 0;
    case AD_QN_HAS:
      switch (x->a) {
        case AD_HAS_DOI: return r->s[AD_S_DOI].len > 0;
        case AD_HAS_JOURNAL: return r->s[AD_S_JOURNAL].len > 0;
        case AD_HAS_CODE:
          return ad_has_code(t + r->s[AD_S_ABSTRACT].off, r->s[AD_S_ABSTRACT].len) ||
                 ad_has_code(t + r->s[AD_S_COMMENT].off, r->s[AD_S_COMMENT].len);
        default: return 0;
      }
    default: return 0;
  }
}
