/*
** ad_snippet.c: query snippets (pure C): the window of `width` words with
** the most distinct query terms (then most matches), with every matching
** word wrapped in open/close; a compound (zero-shot) is marked whole.
*/
#include <string.h>
#include "ad_index.h"
#include "ad_token.h"

static int ad_snip_match(const ad_tok *tk, const char *const *terms,
                         const size_t *tlens, const int *prefix, uint32_t nt) {
  uint32_t i;
  for (i = 0; i < nt; i++) {
    if (prefix[i] ? (tk->len >= tlens[i] && memcmp(tk->s, terms[i], tlens[i]) == 0)
                  : (tk->len == tlens[i] && memcmp(tk->s, terms[i], tlens[i]) == 0))
      return (int)i;
  }
  return -1;
}

static size_t ad_put(char *out, size_t at, size_t cap, const char *s, size_t n) {
  if (at >= cap) return at;
  if (n > cap - at) n = cap - at;
  memcpy(out + at, s, n);
  return at + n;
}

size_t ad_snippet(const char *text, size_t n, const char *const *terms,
                  const size_t *tlens, const int *prefix, uint32_t nterms,
                  uint32_t width, const char *open, const char *close,
                  char *out, size_t outcap) {
  ad_tokenizer tz;
  ad_tok tk;
  uint32_t nw = 0, best = 0, cnt[64], distinct = 0, matches = 0;
  uint32_t bestd = 0, bestm = 0, wstart, wend;
  size_t at = 0, lo = strlen(open), lc = strlen(close), p, cstart = 0, cend = 0;
  int incomp = 0, compterm = -1;
  if (nterms > 64) nterms = 64;
  if (width == 0) width = 1;
  /* pass 1: choose the window (over words and parts, compounds mark) */
  memset(cnt, 0, sizeof cnt);
  {
    /* ring of the last `width` words' terms */
    int ring[256];
    if (width > 256) width = 256;
    ad_tok_init(&tz, text, n);
    while (ad_tok_next(&tz, &tk)) {
      int m;
      if (tk.kind == AD_TK_COMPOUND) {
        compterm = ad_snip_match(&tk, terms, tlens, prefix, nterms);
        continue;
      }
      m = ad_snip_match(&tk, terms, tlens, prefix, nterms);
      if (m < 0 && tk.kind == AD_TK_PART) m = compterm;
      if (tk.kind == AD_TK_WORD) compterm = -1;
      if (nw >= width) {
        int old = ring[nw % width];
        if (old >= 0) { if (--cnt[old] == 0) distinct--; matches--; }
      }
      ring[nw % width] = m;
      if (m >= 0) { if (cnt[m]++ == 0) distinct++; matches++; }
      nw++;
      if (distinct > bestd || (distinct == bestd && matches > bestm)) {
        bestd = distinct; bestm = matches;
        best = nw > width ? nw - width : 0;
      }
    }
  }
  wstart = best; wend = best + width;      /* word indexes [wstart, wend) */
  /* pass 2: copy the window, marking matches */
  ad_tok_init(&tz, text, n);
  p = 0; nw = 0;
  {
    size_t from = 0, to = n;
    int started = 0;
    compterm = -1;
    while (ad_tok_next(&tz, &tk)) {
      int m;
      if (tk.kind == AD_TK_COMPOUND) {
        compterm = ad_snip_match(&tk, terms, tlens, prefix, nterms);
        cstart = tk.start; cend = tk.end; incomp = compterm >= 0;
        continue;
      }
      if (tk.kind == AD_TK_WORD) { compterm = -1; incomp = 0; }
      if (nw < wstart) { nw++; continue; }
      if (nw >= wend) { to = tk.start; break; }
      if (!started) {
        started = 1;
        from = wstart == 0 ? 0 : (incomp ? cstart : tk.start);
        if (wstart > 0) at = ad_put(out, at, outcap, "\xe2\x80\xa6", 3);
        p = from;
      }
      m = ad_snip_match(&tk, terms, tlens, prefix, nterms);
      if (incomp) {                    /* the whole compound is marked */
        if (tk.start == cstart && tk.start >= p) {
          at = ad_put(out, at, outcap, text + p, cstart - p);
          at = ad_put(out, at, outcap, open, lo);
          at = ad_put(out, at, outcap, text + cstart, cend - cstart);
          at = ad_put(out, at, outcap, close, lc);
          p = cend;
        }
      } else if (m >= 0 && tk.start >= p) {
        at = ad_put(out, at, outcap, text + p, tk.start - p);
        at = ad_put(out, at, outcap, open, lo);
        at = ad_put(out, at, outcap, text + tk.start, tk.end - tk.start);
        at = ad_put(out, at, outcap, close, lc);
        p = tk.end;
      }
      nw++;
    }
    if (!started) return 0;
    if (to < p) to = p;
    /* trim trailing spaces of the cut */
    while (to > p && (text[to - 1] == ' ')) to--;
    at = ad_put(out, at, outcap, text + p, to - p);
    if (to < n) at = ad_put(out, at, outcap, "\xe2\x80\xa6", 3);
    (void)from;
  }
  return at;
}
