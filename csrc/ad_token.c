/*
** ad_token.c: the tokenizer (see ad_token.h for the rules). One pass over
** UTF-8 text, no allocation: the current hyphen group is kept in the
** tokenizer and emitted as compound + parts.
*/
#include <string.h>
#include "ad_token.h"

/* {====================================================== folding */
/* U+00C0..U+017F folded to ASCII; NULL marks a separator (x, division) */
static const char *const ad_fold_latin[0x180 - 0xC0] = {
  /* C0 */ "a","a","a","a","a","a","ae","c","e","e","e","e","i","i","i","i",
  /* D0 */ "d","n","o","o","o","o","o",NULL,"o","u","u","u","u","y","th","ss",
  /* E0 */ "a","a","a","a","a","a","ae","c","e","e","e","e","i","i","i","i",
  /* F0 */ "d","n","o","o","o","o","o",NULL,"o","u","u","u","u","y","th","y",
  /* 100 */ "a","a","a","a","a","a","c","c","c","c","c","c","c","c","d","d",
  /* 110 */ "d","d","e","e","e","e","e","e","e","e","e","e","g","g","g","g",
  /* 120 */ "g","g","g","g","h","h","h","h","i","i","i","i","i","i","i","i",
  /* 130 */ "i","i","ij","ij","j","j","k","k","k","l","l","l","l","l","l","l",
  /* 140 */ "l","l","l","n","n","n","n","n","n","n","n","n","o","o","o","o",
  /* 150 */ "o","o","oe","oe","r","r","r","r","r","r","s","s","s","s","s","s",
  /* 160 */ "s","s","t","t","t","t","t","t","u","u","u","u","u","u","u","u",
  /* 170 */ "u","u","u","u","w","w","y","y","y","z","z","z","z","z","z","s"
};

enum { AD_C_SEP = 0, AD_C_WORD = 1, AD_C_IGNORE = 2, AD_C_HYPHEN = 3 };

/* Decode one code point at s[0..n) (n >= 1); returns its byte length and
** stores the code point, or 0xFFFFFFFF for an invalid sequence (length 1). */
static uint32_t ad_tk_utf8(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned c = s[0];
  uint32_t need, v, i;
  if (c < 0x80) { *cp = c; return 1; }
  if (c >= 0xC2 && c <= 0xDF) { need = 1; v = c & 0x1F; }
  else if (c >= 0xE0 && c <= 0xEF) { need = 2; v = c & 0x0F; }
  else if (c >= 0xF0 && c <= 0xF4) { need = 3; v = c & 0x07; }
  else { *cp = 0xFFFFFFFFu; return 1; }
  if (n < need + 1) { *cp = 0xFFFFFFFFu; return 1; }
  for (i = 1; i <= need; i++) {
    if ((s[i] & 0xC0) != 0x80) { *cp = 0xFFFFFFFFu; return 1; }
    v = (v << 6) | (s[i] & 0x3F);
  }
  if ((need == 2 && v < 0x800) || (need == 3 && (v < 0x10000 || v > 0x10FFFF))
      || (v >= 0xD800 && v <= 0xDFFF)) { *cp = 0xFFFFFFFFu; return 1; }
  *cp = v;
  return need + 1;
}

static uint32_t ad_tk_put(char *o, uint32_t cp) {
  if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F)); return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Classify code point cp; for a word character, write its folded bytes to
** out (at most 4) and their count to *on. */
static int ad_tk_class(uint32_t cp, char *out, uint32_t *on) {
  const char *f;
  if (cp < 0x80) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) { out[0] = (char)cp; *on = 1; return AD_C_WORD; }
    if (cp >= 'A' && cp <= 'Z') { out[0] = (char)(cp + 32); *on = 1; return AD_C_WORD; }
    if (cp == 0x7F) return AD_C_IGNORE;                   /* DEL: invisible */
    return cp == '-' ? AD_C_HYPHEN : AD_C_SEP;
  }
  if (cp < 0xC0) {
    if (cp == 0xAA) { out[0] = 'a'; *on = 1; return AD_C_WORD; }
    if (cp == 0xBA) { out[0] = 'o'; *on = 1; return AD_C_WORD; }
    if (cp == 0xB5) { *on = ad_tk_put(out, 0x3BC); return AD_C_WORD; }
    if (cp == 0xAD) return AD_C_IGNORE;            /* soft hyphen */
    return AD_C_SEP;
  }
  if (cp < 0x180) {
    f = ad_fold_latin[cp - 0xC0];
    if (!f) return AD_C_SEP;
    *on = (uint32_t)strlen(f); memcpy(out, f, *on);
    return AD_C_WORD;
  }
  if (cp >= 0x218 && cp <= 0x21B) { out[0] = cp < 0x21A ? 's' : 't'; *on = 1; return AD_C_WORD; }
  if (cp >= 0x2B0 && cp <= 0x2FF) return AD_C_SEP;        /* modifier letters */
  if (cp >= 0x300 && cp <= 0x36F) return AD_C_IGNORE;     /* combining marks */
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) cp += 0x20;  /* Greek capitals */
  if (cp == 0x2010 || cp == 0x2011) return AD_C_HYPHEN;
  if ((cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F)
      || (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xFE00 && cp <= 0xFE0F)
      || (cp >= 0xFE30 && cp <= 0xFE4F) || cp == 0xFEFF
      || (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20)
      || (cp >= 0xFFF0 && cp <= 0xFFFF) || cp == 0xFFFFFFFFu)
    return AD_C_SEP;
  *on = ad_tk_put(out, cp);
  return AD_C_WORD;
}
/* }====================================================== */

size_t ad_fold(const char *s, size_t n, char *out) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, o = 0;
  while (i < n) {
    uint32_t cp, l, on = 0;
    char f[8];
    int k;
    if (u[i] < 0x80) {
      if (u[i] != 0x7F)                             /* DEL: AD_C_IGNORE */
        out[o++] = (u[i] >= 'A' && u[i] <= 'Z') ? (char)(u[i] + 32) : (char)u[i];
      i++;
      continue;
    }
    l = ad_tk_utf8(u + i, n - i, &cp);
    k = ad_tk_class(cp, f, &on);
    if (k == AD_C_WORD) { memcpy(out + o, f, on); o += on; }
    else if (k != AD_C_IGNORE) { memcpy(out + o, s + i, l); o += l; }
    i += l;
  }
  return o;
}

void ad_tok_init(ad_tokenizer *t, const char *s, size_t n) {
  t->src = (const unsigned char *)s; t->n = n; t->at = 0; t->pos = 0;
  t->nparts = 0; t->emit = 0; t->hascompound = 0; t->clen = 0;
}

/* ASCII: 0 separator, 1 ignored (DEL), else the folded byte ('-' for the
** hyphen) */
static const unsigned char ad_tk_ascii[128] = {
  0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
  0,0,0,0,0,0,0,0,0,0,0,0,0,'-',0,0, '0','1','2','3','4','5','6','7','8','9',0,0,0,0,0,0,
  0,'a','b','c','d','e','f','g','h','i','j','k','l','m','n','o',
  'p','q','r','s','t','u','v','w','x','y','z',0,0,0,0,0,
  0,'a','b','c','d','e','f','g','h','i','j','k','l','m','n','o',
  'p','q','r','s','t','u','v','w','x','y','z',0,0,0,0,1
};

/* Class of the code point at byte i (its length in *l); ASCII fast path. */
static int ad_tk_at(const ad_tokenizer *t, size_t i, uint32_t *l, char *out,
                    uint32_t *on) {
  uint32_t cp;
  unsigned c = t->src[i];
  if (c < 0x80) {
    unsigned f = ad_tk_ascii[c];
    *l = 1;
    if (f == 0) return AD_C_SEP;
    if (f == 1) return AD_C_IGNORE;
    if (f == '-') return AD_C_HYPHEN;
    out[0] = (char)f; *on = 1;
    return AD_C_WORD;
  }
  *l = ad_tk_utf8(t->src + i, t->n - i, &cp);
  return ad_tk_class(cp, out, on);
}

/* Scan the next hyphen group into the tokenizer; returns 0 at the end. */
static int ad_tk_group(ad_tokenizer *t) {
  char fb[8]; uint32_t fn = 0, l = 0;
  uint32_t used = 0;
  int k;
  t->nparts = 0;
  /* skip to a word character */
  while (t->at < t->n) {
    unsigned c0 = t->src[t->at];
    if (c0 < 0x80) {
      unsigned f0 = ad_tk_ascii[c0];
      if (f0 <= 1 || f0 == '-') { t->at++; continue; }
      break;
    }
    k = ad_tk_at(t, t->at, &l, fb, &fn);
    if (k == AD_C_WORD) break;
    t->at += l;
  }
  if (t->at >= t->n) return 0;
  for (;;) {                       /* one part per iteration */
    int p = t->nparts++;
    uint32_t len = 0;
    t->poff[p] = used; t->pstart[p] = (uint32_t)t->at;
    while (t->at < t->n) {
      unsigned c0 = t->src[t->at];
      if (c0 < 0x80) {
        unsigned f0 = ad_tk_ascii[c0];
        if (f0 == 1) { t->at++; continue; }         /* ignored */
        if (f0 == 0 || f0 == '-') break;
        if (len < AD_TOK_MAX) t->buf[used + len++] = (char)f0;
        t->at++;
        continue;
      }
      k = ad_tk_at(t, t->at, &l, fb, &fn);
      if (k == AD_C_WORD) {
        if (len + fn <= AD_TOK_MAX) { memcpy(t->buf + used + len, fb, fn); len += fn; }
      } else if (k != AD_C_IGNORE) break;
      t->at += l;
    }
    t->plen[p] = len; t->pend[p] = (uint32_t)t->at;
    used += len;
    /* a single hyphen followed by a word character continues the group */
    if (t->nparts < AD_TOK_MAXPARTS && t->at < t->n
        && ad_tk_at(t, t->at, &l, fb, &fn) == AD_C_HYPHEN) {
      uint32_t l2;
      size_t nx = t->at + l;
      if (nx < t->n && ad_tk_at(t, nx, &l2, fb, &fn) == AD_C_WORD) {
        t->at = nx;
        continue;
      }
    }
    break;
  }
  t->emit = 0; t->hascompound = 0;
  if (t->nparts > 1) {             /* build the compound if it fits */
    uint32_t total = 0;
    for (k = 0; k < t->nparts; k++) total += t->plen[k] + (k > 0);
    if (total <= AD_TOK_MAX) {
      uint32_t o = 0;
      for (k = 0; k < t->nparts; k++) {
        if (k > 0) t->cbuf[o++] = '-';
        memcpy(t->cbuf + o, t->buf + t->poff[k], t->plen[k]); o += t->plen[k];
      }
      t->clen = o; t->hascompound = 1; t->emit = -1;
    }
  }
  return 1;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define AD_TK_SWAR 1
#define AD_K01 0x0101010101010101ULL
#define AD_K20 0x2020202020202020ULL
#define AD_K80 0x8080808080808080ULL
/* for bytes of x under 0x80: the high bit of each byte >= c (c <= 0x80) */
#define AD_TK_GE(x, c) (((x) + AD_K01 * (0x80u - (c))) & AD_K80)
#define AD_TK_RANGE(x, lo, hi) (AD_TK_GE(x, lo) & ~AD_TK_GE(x, (hi) + 1))
/* of the 8 bytes v: the high bit of each ASCII letter (in *letter) and of
** each ASCII letter or digit (returned). A letter or'ed with 0x20 is its
** lowercase, and only letters land in 'a'..'z' so. */
static inline uint64_t ad_tk_words(uint64_t v, uint64_t *letter) {
  uint64_t hi = v & AD_K80, x = v & ~AD_K80;
  uint64_t l = AD_TK_RANGE(x | AD_K20, 'a', 'z') & ~hi;
  *letter = l;
  return (l | AD_TK_RANGE(x, '0', '9')) & ~hi;
}
#endif

/* Bytes by what they do to a plain word: 1 an ASCII separator that ends
** it (the separators but the hyphen and DEL), 2 the hyphen or DEL (skipped
** before a word, not plain after one), 0 a word character or a non-ASCII
** byte. */
static const unsigned char ad_tk_plainsep[256] = {
  1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
  1,1,1,1,1,1,1,1,1,1,1,1,1,2,1,1, 0,0,0,0,0,0,0,0,0,0,1,1,1,1,1,1,
  1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,1,1,1,1,1,
  1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,1,1,1,1,2
};

/* The common token, a plain ASCII word: ASCII word characters after ASCII
** separators, ended by the end of the text or an ASCII separator other than
** the hyphen. Returns 1 with *tk set, else 0 with t->at moved past the
** ASCII separators only (the general scan then starts from the same word). */
static int ad_tk_plain(ad_tokenizer *t, ad_tok *tk) {
  const unsigned char *src = t->src;
  const size_t n = t->n;
  size_t at = t->at, st;
  char *const buf = t->buf;
  uint32_t len = 0;
  unsigned c;
  while (at < n && ad_tk_plainsep[src[at]]) at++;    /* ASCII separators */
  st = at;
#ifdef AD_TK_SWAR
  /* eight bytes at a time: which are ASCII letters or digits, and the
  ** capitals lowercased; the word's first AD_TOK_MAX bytes are kept */
  while (at + 8 <= n) {
    uint64_t v, l, non;
    memcpy(&v, src + at, 8);
    non = ~ad_tk_words(v, &l) & AD_K80;
    v |= l >> 2;                       /* 0x80 >> 2 = 'a' - 'A' */
    if (len < AD_TOK_MAX) memcpy(buf + len, &v, 8);   /* buf has room */
    if (non) {
      uint32_t k = (uint32_t)__builtin_ctzll(non) >> 3;
      len += k; at += k;
      if (len > AD_TOK_MAX) len = AD_TOK_MAX;
      goto end;
    }
    len += 8; at += 8;
  }
  if (len > AD_TOK_MAX) len = AD_TOK_MAX;
#endif
  while (at < n && (c = src[at]) < 0x80) {
    unsigned f = ad_tk_ascii[c];
    if (f <= 1 || f == '-') break;
    if (len < AD_TOK_MAX) buf[len++] = (char)f;
    at++;
  }
#ifdef AD_TK_SWAR
end:
#endif
  if (len == 0 || (at < n && ad_tk_plainsep[src[at]] != 1)) {
    t->at = st;
    return 0;
  }
  t->at = at;
  tk->s = buf; tk->len = len; tk->kind = AD_TK_WORD;
  tk->start = (uint32_t)st; tk->end = (uint32_t)at;
  tk->pos = t->pos++;
  return 1;
}

int ad_tok_next(ad_tokenizer *t, ad_tok *tk) {
  int e;
  if (t->emit >= t->nparts && ad_tk_plain(t, tk)) return 1;
  while (t->emit >= t->nparts) {
    if (!ad_tk_group(t)) return 0;
  }
  e = t->emit++;
  if (e < 0) {
    tk->s = t->cbuf; tk->len = t->clen; tk->kind = AD_TK_COMPOUND;
    tk->start = t->pstart[0]; tk->end = t->pend[t->nparts - 1];
    tk->pos = t->pos;
    return 1;
  }
  tk->s = t->buf + t->poff[e]; tk->len = t->plen[e];
  tk->kind = t->nparts > 1 ? AD_TK_PART : AD_TK_WORD;
  tk->start = t->pstart[e]; tk->end = t->pend[e];
  tk->pos = t->pos++;
  return 1;
}

void ad_qterm_of(const char *s, size_t n, int phrase, int prefix, ad_qterm *q) {
  ad_tokenizer tz;
  ad_tok tk;
  char comp[AD_TOK_MAX + 1];
  uint32_t cl = 0;
  int ncomp = 0, nwords = 0;
  q->nw = 0; q->prefix = 0;
  ad_tok_init(&tz, s, n);
  while (ad_tok_next(&tz, &tk)) {
    if (tk.kind == AD_TK_COMPOUND) {
      ncomp++;
      memcpy(comp, tk.s, tk.len); cl = tk.len;
      continue;
    }
    if (tk.kind == AD_TK_WORD) nwords++;
    if (q->nw < AD_QT_MAXW) {
      memcpy(q->w[q->nw], tk.s, tk.len); q->wl[q->nw] = tk.len; q->pos[q->nw] = tk.pos;
      q->nw++;
    }
  }
  if (q->nw == 0) { q->kind = AD_QT_EMPTY; return; }
  if (ncomp == 1 && nwords == 0 && (prefix || !phrase)) {   /* "zero-shot" */
    memcpy(q->w[0], comp, cl); q->wl[0] = cl; q->pos[0] = 0; q->nw = 1;
    q->kind = AD_QT_COMPOUND; q->prefix = prefix != 0;
    return;
  }
  q->kind = q->nw == 1 ? AD_QT_WORD : AD_QT_PHRASE;
  q->prefix = prefix && q->nw == 1;
}
