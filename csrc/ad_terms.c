/*
** ad_terms.c: the word counter of the html format's top terms (see
** ad_terms.h). One pass per text: strip, tokenize, count in one hash
** table of words (open addressing, keys in one arena).
*/
#include <string.h>
#include "ad_terms.h"
#include "ad_token.h"

/* {====================================================== stripping */
/* Lua's %s in the C locale */
static int ad_tm_space(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

static int ad_tm_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* gsub("%$[^$]*%$", " "): from s to o (o <= s: in place works) */
static size_t ad_tm_math(const char *s, size_t n, char *o) {
  size_t i = 0, k = 0;
  while (i < n) {
    const char *d = memchr(s + i, '$', n - i), *e;
    size_t j = d ? (size_t)(d - s) : n;
    if (j > i) { memmove(o + k, s + i, j - i); k += j - i; }
    if (d == NULL) break;
    e = memchr(s + j + 1, '$', n - j - 1);
    if (e == NULL) { memmove(o + k, s + j, n - j); k += n - j; break; }
    o[k++] = ' ';
    i = (size_t)(e - s) + 1;
  }
  return k;
}

/* the end of [Hh][Tt][Tt][Pp][Ss]?://%S+ at s + i, or 0 */
static size_t ad_tm_url(const char *s, size_t n, size_t i) {
  size_t k = i + 4;
  if (n - i < 8) return 0;
  if ((s[i] | 32) != 'h' || (s[i + 1] | 32) != 't' || (s[i + 2] | 32) != 't' || (s[i + 3] | 32) != 'p')
    return 0;
  if (s[k] == 's' || s[k] == 'S') k++;
  if (n - k < 4 || s[k] != ':' || s[k + 1] != '/' || s[k + 2] != '/') return 0;
  k += 3;
  if (ad_tm_space((unsigned char)s[k])) return 0;
  while (k < n && !ad_tm_space((unsigned char)s[k])) k++;
  return k;
}

/* gsub of URLs, then of \LETTERS, each a space (in place) */
static size_t ad_tm_urls(char *s, size_t n) {
  size_t i = 0, k = 0, e;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if ((c | 32) == 'h' && (e = ad_tm_url(s, n, i)) != 0) { s[k++] = ' '; i = e; continue; }
    s[k++] = (char)c;
    i++;
  }
  return k;
}

static size_t ad_tm_commands(char *s, size_t n) {
  size_t i = 0, k = 0;
  while (i < n) {
    if (s[i] == '\\' && i + 1 < n && ad_tm_alpha((unsigned char)s[i + 1])) {
      i += 2;
      while (i < n && ad_tm_alpha((unsigned char)s[i])) i++;
      s[k++] = ' ';
      continue;
    }
    s[k++] = s[i++];
  }
  return k;
}

size_t ad_terms_strip(const char *s, size_t n, char *out) {
  n = ad_tm_math(s, n, out);
  n = ad_tm_urls(out, n);
  return ad_tm_commands(out, n);
}
/* }====================================================== */

/* {====================================================== counting */
void ad_tcount_init(ad_tcount *tc, const ad_alloc *a) {
  memset(tc, 0, sizeof *tc);
  tc->a = *a;
}

void ad_tcount_free(ad_tcount *tc) {
  ad_free(&tc->a, tc->ent, (size_t)tc->capent * sizeof *tc->ent);
  ad_free(&tc->a, tc->slot, (size_t)tc->nslot * sizeof *tc->slot);
  ad_free(&tc->a, tc->keys, tc->capkeys);
  ad_free(&tc->a, tc->buf, tc->capbuf);
  tc->ent = NULL; tc->slot = NULL; tc->keys = NULL; tc->buf = NULL;
  tc->capent = tc->nslot = tc->capkeys = tc->capbuf = tc->nent = tc->nkeys = 0;
}

static uint32_t ad_tm_hash(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

/* double the slot table (entries stay) */
static int ad_tm_rehash(ad_tcount *tc) {
  uint32_t ns = tc->nslot ? tc->nslot * 2 : 1024, i;
  uint64_t *sl;
  if (ns == 0) return AD_ENOMEM;
  sl = (uint64_t *)ad_malloc(&tc->a, (size_t)ns * sizeof *sl);
  if (sl == NULL) return AD_ENOMEM;
  memset(sl, 0, (size_t)ns * sizeof *sl);
  for (i = 0; i < tc->nslot; i++) {
    uint64_t v = tc->slot[i];
    uint32_t j;
    if (v == 0) continue;
    for (j = (uint32_t)(v >> 32) & (ns - 1); sl[j]; j = (j + 1) & (ns - 1)) {}
    sl[j] = v;
  }
  ad_free(&tc->a, tc->slot, (size_t)tc->nslot * sizeof *tc->slot);
  tc->slot = sl;
  tc->nslot = ns;
  return AD_OK;
}

/* the entry of word s[0..n) (created when new): its index in *at */
static int ad_tm_find(ad_tcount *tc, const char *s, uint32_t n, uint32_t *at) {
  uint32_t h = ad_tm_hash(s, n), j, m = n < AD_TM_INLINE ? n : AD_TM_INLINE;
  uint64_t v;
  ad_tcent *en;
  if ((uint64_t)(tc->nent + 1) * 2 > tc->nslot && ad_tm_rehash(tc) != AD_OK) return AD_ENOMEM;
  for (j = h & (tc->nslot - 1); (v = tc->slot[j]) != 0; j = (j + 1) & (tc->nslot - 1)) {
    if ((uint32_t)(v >> 32) != h) continue;
    en = &tc->ent[(uint32_t)v - 1];
    if (en->len == n && memcmp(en->head, s, m) == 0
        && (n <= AD_TM_INLINE || memcmp(tc->keys + en->off + m, s + m, n - m) == 0)) {
      *at = (uint32_t)v - 1;
      return AD_OK;
    }
  }
  if (tc->nkeys > UINT32_MAX - n || tc->nent == UINT32_MAX - 1
      || ad_grow(&tc->a, (void **)&tc->keys, &tc->capkeys, tc->nkeys + n, 1) != AD_OK
      || ad_grow(&tc->a, (void **)&tc->ent, &tc->capent, tc->nent + 1, sizeof *tc->ent) != AD_OK)
    return AD_ENOMEM;
  en = &tc->ent[tc->nent];
  memset(en, 0, sizeof *en);
  en->off = tc->nkeys; en->len = n;
  memcpy(en->head, s, m);
  memcpy(tc->keys + tc->nkeys, s, n);
  tc->nkeys += n;
  tc->slot[j] = (uint64_t)h << 32 | ++tc->nent;
  *at = tc->nent - 1;
  return AD_OK;
}

/* one text of paper tc->ndocs (title: counts in tf too) */
static int ad_tm_text(ad_tcount *tc, const char *s, size_t n, int title) {
  ad_tokenizer tz;
  ad_tok tk;
  uint32_t doc = tc->ndocs, text = ++tc->ntexts, at;
  if (n > UINT32_MAX - 1) return AD_ENOMEM;
  if (ad_grow(&tc->a, (void **)&tc->buf, &tc->capbuf, (uint32_t)n + 1, 1) != AD_OK) return AD_ENOMEM;
  n = ad_terms_strip(s, n, tc->buf);
  ad_tok_init(&tz, tc->buf, n);
  while (ad_tok_next(&tz, &tk)) {
    ad_tcent *en;
    if (ad_tm_find(tc, tk.s, tk.len, &at) != AD_OK) return AD_ENOMEM;
    en = &tc->ent[at];
    if (en->pstamp == text && en->pending > 0) { en->pending--; continue; }
    if (title && en->tstamp != doc) { en->tstamp = doc; en->tf++; }
    if (en->dstamp != doc) { en->dstamp = doc; en->df++; }
    if (memchr(tk.s, '-', tk.len) != NULL) {       /* its parts are pending */
      uint32_t i = 0, j;
      while (i < tk.len) {
        while (i < tk.len && tk.s[i] == '-') i++;
        for (j = i; j < tk.len && tk.s[j] != '-'; j++) {}
        if (j > i) {
          if (ad_tm_find(tc, tk.s + i, j - i, &at) != AD_OK) return AD_ENOMEM;
          en = &tc->ent[at];
          if (en->pstamp != text) { en->pstamp = text; en->pending = 0; }
          en->pending++;
        }
        i = j;
      }
    }
  }
  return AD_OK;
}

int ad_tcount_add(ad_tcount *tc, const char *title, size_t tn, const char *abs, size_t an) {
  if (tc->ndocs == UINT32_MAX || tc->ntexts > UINT32_MAX - 2) return AD_ENOMEM;
  tc->ndocs++;
  if (ad_tm_text(tc, title, tn, 1) != AD_OK) return AD_ENOMEM;
  return ad_tm_text(tc, abs, an, 0);
}
/* }====================================================== */
