/*
** ad_text.c: turning spans of digest text into the strings users see.
** Whitespace collapsing, continuation lines, HTML of daily listings,
** UTF-8 repair, arXiv ids and timestamps. Pure C.
*/
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "ad_core.h"

/* {====================================================== hashing */
/* A fast non-cryptographic 64-bit hash (8 bytes per step), used to tell
** whether a source file changed. */
uint64_t ad_hash64(const void *p, size_t n, uint64_t h) {
  const unsigned char *s = (const unsigned char *)p;
  size_t i = 0;
  if (n >= 64) {      /* four independent lanes: 3 to 4 times the speed */
    uint64_t l[4];
    int k;
    l[0] = h; l[1] = h ^ 0x6a09e667f3bcc908ULL;
    l[2] = h ^ 0xbb67ae8584caa73bULL; l[3] = h ^ 0x3c6ef372fe94f82bULL;
    for (; i + 32 <= n; i += 32) {
      for (k = 0; k < 4; k++) {
        uint64_t w;
        memcpy(&w, s + i + 8 * k, 8);
        l[k] = (l[k] ^ w) * 0x9E3779B97F4A7C15ULL;
        l[k] ^= l[k] >> 29;
      }
    }
    for (k = 0; k < 4; k++) {
      h = (h ^ l[k]) * 0x9E3779B97F4A7C15ULL;
      h ^= h >> 29;
    }
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
  }
  for (; i < n; i++) {
    h ^= s[i];
    h *= 0x100000001b3ULL;
  }
  h ^= (uint64_t)n;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}
/* }====================================================== */

/* {====================================================== UTF-8 */
/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if
** invalid (overlongs, surrogates and code points > U+10FFFF rejected). */
static size_t ad_utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  if (c < 0xC2) return 0;
  if (c < 0xE0) {
    if (n < 2 || (s[1] & 0xC0) != 0x80) return 0;
    return 2;
  }
  if (c < 0xF0) {
    if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0;          /* overlong */
    if (c == 0xED && s[1] >= 0xA0) return 0;         /* surrogate */
    return 3;
  }
  if (c < 0xF5) {
    if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
        (s[3] & 0xC0) != 0x80) return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0;          /* overlong */
    if (c == 0xF4 && s[1] >= 0x90) return 0;         /* > U+10FFFF */
    return 4;
  }
  return 0;
}

static size_t ad_utf8_put(char *out, unsigned long cp) {
  unsigned char *o = (unsigned char *)out;
  if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
  if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xC0 | (cp >> 6));
    o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (cp >> 12));
    o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  if (cp > 0x10FFFF) return ad_utf8_put(out, 0xFFFD);
  o[0] = (unsigned char)(0xF0 | (cp >> 18));
  o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}
/* }====================================================== */

/* {====================================================== HTML */
typedef struct { const char *name; unsigned short cp; } ad_entity;

/* The HTML 4 named entities (Latin-1, symbols, Greek, special) and
** &apos;, sorted by name (strcmp order) for a binary search; others are
** kept as written. */
static const ad_entity ad_entities[] = {
  {"AElig", 0xC6}, {"Aacute", 0xC1}, {"Acirc", 0xC2}, {"Agrave", 0xC0},
  {"Alpha", 0x391}, {"Aring", 0xC5}, {"Atilde", 0xC3}, {"Auml", 0xC4},
  {"Beta", 0x392}, {"Ccedil", 0xC7}, {"Chi", 0x3A7}, {"Dagger", 0x2021},
  {"Delta", 0x394}, {"ETH", 0xD0}, {"Eacute", 0xC9}, {"Ecirc", 0xCA},
  {"Egrave", 0xC8}, {"Epsilon", 0x395}, {"Eta", 0x397}, {"Euml", 0xCB},
  {"Gamma", 0x393}, {"Iacute", 0xCD}, {"Icirc", 0xCE}, {"Igrave", 0xCC},
  {"Iota", 0x399}, {"Iuml", 0xCF}, {"Kappa", 0x39A}, {"Lambda", 0x39B},
  {"Mu", 0x39C}, {"Ntilde", 0xD1}, {"Nu", 0x39D}, {"OElig", 0x152},
  {"Oacute", 0xD3}, {"Ocirc", 0xD4}, {"Ograve", 0xD2}, {"Omega", 0x3A9},
  {"Omicron", 0x39F}, {"Oslash", 0xD8}, {"Otilde", 0xD5}, {"Ouml", 0xD6},
  {"Phi", 0x3A6}, {"Pi", 0x3A0}, {"Prime", 0x2033}, {"Psi", 0x3A8},
  {"Rho", 0x3A1}, {"Scaron", 0x160}, {"Sigma", 0x3A3}, {"THORN", 0xDE},
  {"Tau", 0x3A4}, {"Theta", 0x398}, {"Uacute", 0xDA}, {"Ucirc", 0xDB},
  {"Ugrave", 0xD9}, {"Upsilon", 0x3A5}, {"Uuml", 0xDC}, {"Xi", 0x39E},
  {"Yacute", 0xDD}, {"Yuml", 0x178}, {"Zeta", 0x396}, {"aacute", 0xE1},
  {"acirc", 0xE2}, {"acute", 0xB4}, {"aelig", 0xE6}, {"agrave", 0xE0},
  {"alefsym", 0x2135}, {"alpha", 0x3B1}, {"amp", 0x26}, {"and", 0x2227},
  {"ang", 0x2220}, {"apos", 0x27}, {"aring", 0xE5}, {"asymp", 0x2248},
  {"atilde", 0xE3}, {"auml", 0xE4}, {"bdquo", 0x201E}, {"beta", 0x3B2},
  {"brvbar", 0xA6}, {"bull", 0x2022}, {"cap", 0x2229}, {"ccedil", 0xE7},
  {"cedil", 0xB8}, {"cent", 0xA2}, {"chi", 0x3C7}, {"circ", 0x2C6},
  {"clubs", 0x2663}, {"cong", 0x2245}, {"copy", 0xA9}, {"crarr", 0x21B5},
  {"cup", 0x222A}, {"curren", 0xA4}, {"dArr", 0x21D3}, {"dagger", 0x2020},
  {"darr", 0x2193}, {"deg", 0xB0}, {"delta", 0x3B4}, {"diams", 0x2666},
  {"divide", 0xF7}, {"eacute", 0xE9}, {"ecirc", 0xEA}, {"egrave", 0xE8},
  {"empty", 0x2205}, {"emsp", 0x2003}, {"ensp", 0x2002}, {"epsilon", 0x3B5},
  {"equiv", 0x2261}, {"eta", 0x3B7}, {"eth", 0xF0}, {"euml", 0xEB},
  {"euro", 0x20AC}, {"exist", 0x2203}, {"fnof", 0x192}, {"forall", 0x2200},
  {"frac12", 0xBD}, {"frac14", 0xBC}, {"frac34", 0xBE}, {"frasl", 0x2044},
  {"gamma", 0x3B3}, {"ge", 0x2265}, {"gt", 0x3E}, {"hArr", 0x21D4},
  {"harr", 0x2194}, {"hearts", 0x2665}, {"hellip", 0x2026}, {"iacute", 0xED},
  {"icirc", 0xEE}, {"iexcl", 0xA1}, {"igrave", 0xEC}, {"image", 0x2111},
  {"infin", 0x221E}, {"int", 0x222B}, {"iota", 0x3B9}, {"iquest", 0xBF},
  {"isin", 0x2208}, {"iuml", 0xEF}, {"kappa", 0x3BA}, {"lArr", 0x21D0},
  {"lambda", 0x3BB}, {"lang", 0x2329}, {"laquo", 0xAB}, {"larr", 0x2190},
  {"lceil", 0x2308}, {"ldquo", 0x201C}, {"le", 0x2264}, {"lfloor", 0x230A},
  {"lowast", 0x2217}, {"loz", 0x25CA}, {"lrm", 0x200E}, {"lsaquo", 0x2039},
  {"lsquo", 0x2018}, {"lt", 0x3C}, {"macr", 0xAF}, {"mdash", 0x2014},
  {"micro", 0xB5}, {"middot", 0xB7}, {"minus", 0x2212}, {"mu", 0x3BC},
  {"nabla", 0x2207}, {"nbsp", 0x20}, {"ndash", 0x2013}, {"ne", 0x2260},
  {"ni", 0x220B}, {"not", 0xAC}, {"notin", 0x2209}, {"nsub", 0x2284},
  {"ntilde", 0xF1}, {"nu", 0x3BD}, {"oacute", 0xF3}, {"ocirc", 0xF4},
  {"oelig", 0x153}, {"ograve", 0xF2}, {"oline", 0x203E}, {"omega", 0x3C9},
  {"omicron", 0x3BF}, {"oplus", 0x2295}, {"or", 0x2228}, {"ordf", 0xAA},
  {"ordm", 0xBA}, {"oslash", 0xF8}, {"otilde", 0xF5}, {"otimes", 0x2297},
  {"ouml", 0xF6}, {"para", 0xB6}, {"part", 0x2202}, {"permil", 0x2030},
  {"perp", 0x22A5}, {"phi", 0x3C6}, {"pi", 0x3C0}, {"piv", 0x3D6},
  {"plusmn", 0xB1}, {"pound", 0xA3}, {"prime", 0x2032}, {"prod", 0x220F},
  {"prop", 0x221D}, {"psi", 0x3C8}, {"quot", 0x22}, {"rArr", 0x21D2},
  {"radic", 0x221A}, {"rang", 0x232A}, {"raquo", 0xBB}, {"rarr", 0x2192},
  {"rceil", 0x2309}, {"rdquo", 0x201D}, {"real", 0x211C}, {"reg", 0xAE},
  {"rfloor", 0x230B}, {"rho", 0x3C1}, {"rlm", 0x200F}, {"rsaquo", 0x203A},
  {"rsquo", 0x2019}, {"sbquo", 0x201A}, {"scaron", 0x161}, {"sdot", 0x22C5},
  {"sect", 0xA7}, {"shy", 0xAD}, {"sigma", 0x3C3}, {"sigmaf", 0x3C2},
  {"sim", 0x223C}, {"spades", 0x2660}, {"sub", 0x2282}, {"sube", 0x2286},
  {"sum", 0x2211}, {"sup", 0x2283}, {"sup1", 0xB9}, {"sup2", 0xB2},
  {"sup3", 0xB3}, {"supe", 0x2287}, {"szlig", 0xDF}, {"tau", 0x3C4},
  {"there4", 0x2234}, {"theta", 0x3B8}, {"thetasym", 0x3D1},
  {"thinsp", 0x2009}, {"thorn", 0xFE}, {"tilde", 0x2DC}, {"times", 0xD7},
  {"trade", 0x2122}, {"uArr", 0x21D1}, {"uacute", 0xFA}, {"uarr", 0x2191},
  {"ucirc", 0xFB}, {"ugrave", 0xF9}, {"uml", 0xA8}, {"upsih", 0x3D2},
  {"upsilon", 0x3C5}, {"uuml", 0xFC}, {"weierp", 0x2118}, {"xi", 0x3BE},
  {"yacute", 0xFD}, {"yen", 0xA5}, {"yuml", 0xFF}, {"zeta", 0x3B6},
  {"zwj", 0x200D}, {"zwnj", 0x200C},
};

/* Try to decode an entity at s[0] == '&'. On success store the code point
** and return the number of input bytes consumed, else 0. */
static size_t ad_entity_at(const char *s, size_t n, unsigned long *cp) {
  size_t i, lim = n < 12 ? n : 12;
  if (n < 3) return 0;
  if (s[1] == '#') {
    unsigned long v = 0;
    int hex = (s[2] == 'x' || s[2] == 'X');
    size_t j = hex ? 3 : 2, start = j;
    for (; j < lim && s[j] != ';'; j++) {
      unsigned d;
      char ch = s[j];
      if (ch >= '0' && ch <= '9') d = (unsigned)(ch - '0');
      else if (hex && ch >= 'a' && ch <= 'f') d = (unsigned)(ch - 'a' + 10);
      else if (hex && ch >= 'A' && ch <= 'F') d = (unsigned)(ch - 'A' + 10);
      else return 0;
      v = v * (hex ? 16 : 10) + d;
      if (v > 0x10FFFF) v = 0x110000;  /* keep bounded; becomes U+FFFD */
    }
    if (j >= lim || j == start) return 0;
    if (v == 0) v = 0xFFFD;
    *cp = v;
    return j + 1;
  }
  for (i = 1; i < lim && s[i] != ';'; i++) {
    char ch = s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) return 0;
  }
  if (i >= lim || i == 1) return 0;
  {
    size_t lo = 0, hi = sizeof(ad_entities) / sizeof(ad_entities[0]), len = i - 1;
    while (lo < hi) {  /* binary search; names are at most 8 letters */
      size_t mid = (lo + hi) / 2;
      const char *nm = ad_entities[mid].name;
      int r = strncmp(nm, s + 1, len);
      if (r == 0 && nm[len] != '\0') r = 1;
      if (r == 0) {
        *cp = ad_entities[mid].cp;
        return i + 1;
      }
      if (r < 0) lo = mid + 1; else hi = mid;
    }
  }
  return 0;
}

static int ad_isalpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int ad_lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Case-insensitive prefix test of an ASCII word. */
static int ad_prefix_ci(const char *s, size_t n, const char *w) {
  size_t i;
  for (i = 0; w[i]; i++)
    if (i >= n || ad_lower((unsigned char)s[i]) != w[i]) return 0;
  return 1;
}

/* Given s[0] == '<', return the length of the tag up to and including '>',
** or 0 if this '<' does not open a tag (e.g. "p < 0.05"). */
static size_t ad_tag_len(const char *s, size_t n) {
  size_t i;
  if (n < 2) return 0;
  if (!(ad_isalpha((unsigned char)s[1]) || s[1] == '/' || s[1] == '!'))
    return 0;
  for (i = 1; i < n; i++) {
    if (s[i] == '>') return i + 1;
    if (s[i] == '<' || s[i] == '\n') return 0;
  }
  return 0;
}

/* Find href="..." inside a tag; returns the value's span via *v, *vn. */
static int ad_tag_href(const char *t, size_t n, const char **v, size_t *vn) {
  size_t i;
  for (i = 1; i + 5 < n; i++) {
    if (ad_prefix_ci(t + i, n - i, "href") &&
        (t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n')) {
      size_t j = i + 4;
      while (j < n && t[j] == ' ') j++;
      if (j < n && t[j] == '=') {
        char q;
        j++;
        while (j < n && t[j] == ' ') j++;
        if (j >= n) return 0;
        q = t[j];
        if (q == '"' || q == '\'') {
          size_t k = j + 1;
          while (k < n && t[k] != q) k++;
          if (k >= n) return 0;
          *v = t + j + 1; *vn = k - j - 1;
          return 1;
        } else {
          size_t k = j;
          while (k < n && t[k] != ' ' && t[k] != '>') k++;
          *v = t + j; *vn = k - j;
          return 1;
        }
      }
    }
  }
  return 0;
}
/* }====================================================== */

/* {====================================================== decoder */
typedef struct ad_out {
  char *p;
  size_t n;
  int space;   /* a space is pending (only emitted before the next text) */
} ad_out;

static void ad_out_space(ad_out *o) { o->space = 1; }

static void ad_out_bytes(ad_out *o, const char *s, size_t n) {
  if (o->space) {
    if (o->n > 0) o->p[o->n++] = ' ';
    o->space = 0;
  }
  memcpy(o->p + o->n, s, n);
  o->n += n;
}

static void ad_out_cp(ad_out *o, unsigned long cp) {
  char buf[4];
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
    ad_out_space(o);
    return;
  }
  if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xA0))
    cp = 0xFFFD;  /* no control characters in values, even from &#27; */
  ad_out_bytes(o, buf, ad_utf8_put(buf, cp));
}

static int ad_isspace(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

static void ad_decode_into(ad_out *o, const char *s, size_t n, int mode);

/* Copy plain text (entities decoded when html) to o. */
static void ad_decode_plain(ad_out *o, const char *s, size_t n, int html) {
  ad_decode_into(o, s, n, html ? AD_DEC_HTML : 0);
}

/* A byte that needs no decoding: printable ASCII, except '&' and '<' in
** HTML mode. */
#define AD_PLAIN(ch, html) \
  ((ch) > 0x20 && (ch) < 0x7f && !((html) && ((ch) == '&' || (ch) == '<')))

static void ad_decode_into(ad_out *o, const char *s, size_t n, int mode) {
  size_t i = 0;
  int bol = 1;  /* at the beginning of a line (for AD_DEC_QUOTED) */
  int html = (mode & AD_DEC_HTML) != 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (AD_PLAIN(c, html) && !(bol && (mode & AD_DEC_QUOTED))) {
      /* fast path: a run of plain bytes with single spaces inside */
      size_t j = i + 1;
#if defined(__SSE2__)
      /* 16 bytes at a time while they are all plain or single spaces */
      {
        const __m128i lo = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
        const __m128i sp = _mm_set1_epi8(' ');
        const __m128i amp = _mm_set1_epi8(html ? '&' : 0x7f);
        const __m128i lt = _mm_set1_epi8(html ? '<' : 0x7f);
        while (j + 17 <= n) {
          __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
          __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(s + j + 1));
          /* bytes < 0x20 or >= 0x80 (signed compare), DEL, & and < */
          __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, lo), _mm_cmpeq_epi8(v, del));
          bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(v, amp),
                                               _mm_cmpeq_epi8(v, lt)));
          /* two spaces in a row */
          bad = _mm_or_si128(bad, _mm_and_si128(_mm_cmpeq_epi8(v, sp),
                                                _mm_cmpeq_epi8(w, sp)));
          if (_mm_movemask_epi8(bad) != 0) break;
          /* a final space is left to the byte loop, which knows what follows */
          j += (s[j + 15] == ' ') ? 15 : 16;
        }
      }
#endif
      for (;;) {
        unsigned char d;
        if (j >= n) break;
        d = (unsigned char)s[j];
        if (AD_PLAIN(d, html)) { j++; continue; }
        if (d == ' ' && j + 1 < n && AD_PLAIN((unsigned char)s[j + 1], html)) {
          j += 2;
          continue;
        }
        break;
      }
      ad_out_bytes(o, s + i, j - i);
      i = j;
      bol = 0;
      continue;
    }
    if (c == '\n') {
      ad_out_space(o);
      i++;
      bol = 1;
      continue;
    }
    if (ad_isspace(c)) {
      ad_out_space(o);
      i++;
      continue;
    }
    if (bol && (mode & AD_DEC_QUOTED) && c == '>') {
      bol = 0;
      i++;
      continue;
    }
    bol = 0;
    if (c < 0x80) {
      if ((mode & AD_DEC_HTML) && c == '&') {
        unsigned long cp;
        size_t k = ad_entity_at(s + i, n - i, &cp);
        if (k) { ad_out_cp(o, cp); i += k; continue; }
      } else if ((mode & AD_DEC_HTML) && c == '<') {
        size_t k = ad_tag_len(s + i, n - i);
        if (k) {
          const char *t = s + i;
          if (ad_prefix_ci(t + 1, k - 1, "br") &&
              (k == 4 || t[3] == ' ' || t[3] == '/')) {
            ad_out_space(o);
            i += k;
            continue;
          }
          if ((t[1] == 'a' || t[1] == 'A') && (t[2] == ' ' || t[2] == '\t')) {
            const char *v; size_t vn;
            if (ad_tag_href(t, k, &v, &vn)) {
              /* <a href="U">text</a> becomes U: skip to </a> */
              size_t j = i + k;
              while (j + 3 < n && !(s[j] == '<' && s[j + 1] == '/' &&
                     (s[j + 2] == 'a' || s[j + 2] == 'A') && s[j + 3] == '>'))
                j++;
              ad_decode_plain(o, v, vn, 1);
              i = (j + 3 < n) ? j + 4 : i + k;
              continue;
            }
          }
          i += k;  /* other tags are dropped */
          continue;
        }
      } else if (c == 0x7f) {
        /* DEL is invisible, and dropped: real listings have it inside
        ** names ("Jan T<DEL>ünnermann", TeX's OT1 slot of the umlaut
        ** accent), which the tokenizer reads as one word (ad_token.h) */
        i++;
        continue;
      } else if (c < 0x20) {
        /* other control characters (NUL, ESC...) never reach users */
        ad_out_bytes(o, "\xEF\xBF\xBD", 3);
        i++;
        continue;
      }
      ad_out_bytes(o, s + i, 1);
      i++;
    } else {
      size_t k = ad_utf8_len((const unsigned char *)s + i, n - i);
      if (k == 0) {
        ad_out_bytes(o, "\xEF\xBF\xBD", 3);
        i++;
      } else {
        ad_out_bytes(o, s + i, k);
        i += k;
      }
    }
  }
}

size_t ad_decode(const char *src, size_t n, int mode, char *out) {
  ad_out o;
  o.p = out; o.n = 0; o.space = 0;
  ad_decode_into(&o, src, n, mode);
  return o.n;
}

/* Would ad_decode(s, n, mode) give back s itself (n > 0)? Only when every
** byte is printable ASCII or part of valid UTF-8, the only whitespace is
** single spaces between other bytes, there is no '&' or '<' in HTML mode
** and no leading '>' in quoted mode (where '>' is only special at the start
** of a line, and there is no newline). Mirrors ad_decode_into byte by byte:
** keep them in step. */
#if defined(__SSE2__)
/* 16 bytes at s: a mask of the bytes that need a closer look (not printable
** ASCII or a space, '&' or '<' when html) and of the spaces followed by a
** space (s[16] is read). */
#define AD_ID_BAD(s, html) \
  ad_id_bad(_mm_loadu_si128((const __m128i *)(const void *)(s)), \
            _mm_loadu_si128((const __m128i *)(const void *)((s) + 1)), html)

static __m128i ad_id_bad(__m128i v, __m128i w, int html) {
  const __m128i sp = _mm_set1_epi8(' ');
  /* v + 1 < 0x21 (signed) for v outside 0x20..0x7e */
  __m128i bad = _mm_cmpgt_epi8(_mm_set1_epi8(0x21),
                               _mm_add_epi8(v, _mm_set1_epi8(1)));
  bad = _mm_or_si128(bad, _mm_and_si128(_mm_cmpeq_epi8(v, sp),
                                        _mm_cmpeq_epi8(w, sp)));
  if (html)
    bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('&')),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8('<'))));
  return bad;
}

static unsigned ad_ctz(unsigned m) {  /* m != 0 */
#if defined(__GNUC__)
  return (unsigned)__builtin_ctz(m);
#else
  unsigned k = 0;
  while (!(m & 1)) { m >>= 1; k++; }
  return k;
#endif
}

/* The first position >= i (a character boundary) that the byte loop must
** look at, or n when every byte from i on is printable ASCII or a single
** space (n >= 17 and i < n). */
static size_t ad_id_skip(const char *s, size_t i, size_t n, int html) {
  unsigned m;
  while (i + 33 <= n) {
    __m128i b1 = AD_ID_BAD(s + i, html), b2 = AD_ID_BAD(s + i + 16, html);
    if (_mm_movemask_epi8(_mm_or_si128(b1, b2)) == 0) { i += 32; continue; }
    m = (unsigned)_mm_movemask_epi8(b1) | ((unsigned)_mm_movemask_epi8(b2) << 16);
    return i + ad_ctz(m);
  }
  if (i + 17 <= n) {
    m = (unsigned)_mm_movemask_epi8(AD_ID_BAD(s + i, html));
    if (m) return i + ad_ctz(m);
    i += 16;
  }
  /* the last 17 bytes but one, as one block (the bytes before i, already
     seen, masked out), then the last byte */
  m = (unsigned)_mm_movemask_epi8(AD_ID_BAD(s + n - 17, html)) >> (i - (n - 17));
  if (m) return i + ad_ctz(m);
  return AD_PLAIN((unsigned char)s[n - 1], html) ? n : n - 1;
}
#endif

int ad_decode_is_identity(const char *s, size_t n, int mode) {
  int html = (mode & AD_DEC_HTML) != 0;
  size_t i = 0;
  if (n == 0) return 0;
  if (s[0] == ' ' || s[n - 1] == ' ') return 0;  /* trimmed */
  if ((mode & AD_DEC_QUOTED) && s[0] == '>') return 0;
  while (i < n) {
    unsigned char c;
#if defined(__SSE2__)
    if (n >= 17) {
      i = html ? ad_id_skip(s, i, n, 1) : ad_id_skip(s, i, n, 0);
      if (i >= n) break;
    }
#endif
    c = (unsigned char)s[i];
    if (AD_PLAIN(c, html)) { i++; continue; }
    if (c == ' ') {  /* never the last byte */
      if (s[i + 1] == ' ') return 0;
      i++;
      continue;
    }
    if (c >= 0x80) {
      size_t k = ad_utf8_len((const unsigned char *)s + i, n - i);
      if (k == 0) return 0;
      i += k;
      continue;
    }
    return 0;  /* other whitespace, control characters, '&' or '<' in HTML */
  }
  return 1;
}

int ad_record_mode(const ad_record *r, int sid) {
  int mode = 0;
  if ((r->flags & AD_RF_HTML) &&
      (sid == AD_S_TITLE || sid == AD_S_ABSTRACT || sid == AD_S_COMMENT ||
       sid == AD_S_JOURNAL || sid == AD_S_AUTHORS))
    mode |= AD_DEC_HTML;
  if ((r->flags & AD_RF_QUOTED) && sid == AD_S_ABSTRACT)
    mode |= AD_DEC_QUOTED;
  return mode;
}

size_t ad_record_field(const ad_corpus *c, const ad_record *r, int sid,
                       char *out) {
  const ad_file *f = &c->files[r->file];
  ad_span sp = r->s[sid];
  if (sp.len == 0 || f->text == NULL) return 0;
  return ad_decode(f->text + sp.off, sp.len, ad_record_mode(r, sid), out);
}
/* }====================================================== */

/* {====================================================== ids, dates */
static int ad_isdigit(int c) { return c >= '0' && c <= '9'; }

static int ad_digits(const char *s, size_t n, size_t k) {
  size_t i;
  if (n < k) return 0;
  for (i = 0; i < k; i++) if (!ad_isdigit((unsigned char)s[i])) return 0;
  return 1;
}

/* Match a bare id at s: "YYMM.NNNN(N)" or "archive(.XX)/YYMMNNN".
** Returns its length or 0. */
static size_t ad_match_id(const char *s, size_t n) {
  size_t i;
  if (ad_digits(s, n, 4) && n > 4 && s[4] == '.' && ad_digits(s + 5, n - 5, 4)) {
    size_t len = ad_digits(s + 5, n - 5, 5) ? 10 : 9;
    if (n > len && ad_isdigit((unsigned char)s[len])) return 0;
    return len;
  }
  /* old style: lowercase archive name with '-', optional .XX subject */
  for (i = 0; i < n && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'); i++) ;
  if (i == 0) return 0;
  if (i < n && s[i] == '.') {
    size_t j = i + 1;
    while (j < n && s[j] >= 'A' && s[j] <= 'Z') j++;
    if (j == i + 1) return 0;
    i = j;
  }
  if (i >= n || s[i] != '/') return 0;
  if (!ad_digits(s + i + 1, n - i - 1, 7)) return 0;
  if (n > i + 8 && ad_isdigit((unsigned char)s[i + 8])) return 0;
  return i + 8;
}

size_t ad_id_canon(const char *s, size_t n, char *out) {
  const char *sl = (const char *)memchr(s, '/', n), *dot;
  size_t k;
  if (sl == NULL) return n;                       /* new style: as it is */
  dot = (const char *)memchr(s, '.', (size_t)(sl - s));
  if (dot == NULL || dot == s) return n;
  k = (size_t)(dot - s);
  if (out != NULL) {
    memmove(out, s, k);
    memmove(out + k, sl, n - (size_t)(sl - s));
  }
  return k + (n - (size_t)(sl - s));
}

int ad_parse_id(const char *s, size_t n, uint32_t *off, uint32_t *len,
                uint16_t *version) {
  size_t i = 0, k, e;
  /* skip spaces and known prefixes */
  while (i < n && ad_isspace((unsigned char)s[i])) i++;
  if (n - i >= 6 && ad_prefix_ci(s + i, n - i, "arxiv:")) i += 6;
  {
    /* URL: take what follows /abs/ or /pdf/ */
    size_t j;
    for (j = i; j + 5 <= n; j++) {
      if (s[j] == '/' && (memcmp(s + j, "/abs/", 5) == 0 ||
                          memcmp(s + j, "/pdf/", 5) == 0)) {
        i = j + 5;
        break;
      }
      if (s[j] == ' ' || s[j] == '\n') break;
    }
  }
  k = ad_match_id(s + i, n - i);
  if (k == 0) return 0;
  *off = (uint32_t)i;
  *len = (uint32_t)k;
  *version = 0;
  e = i + k;
  if (e < n && s[e] == 'v' && e + 1 < n && ad_isdigit((unsigned char)s[e + 1])) {
    unsigned long v = 0;
    e++;
    while (e < n && ad_isdigit((unsigned char)s[e])) {
      v = v * 10 + (unsigned long)(s[e] - '0');
      if (v > 65535) v = 65535;
      e++;
    }
    *version = (uint16_t)v;
  }
  return 1;
}

/* A sortable key: ((year * 100 + month) * 10^6 + number). */
static uint64_t ad_id_key(const char *s, size_t n) {
  size_t i;
  uint64_t yy, mm, num = 0;
  const char *d;
  if (n >= 9 && s[4] == '.' && ad_digits(s, n, 4)) {
    d = s;
    yy = (uint64_t)((d[0] - '0') * 10 + (d[1] - '0'));
    mm = (uint64_t)((d[2] - '0') * 10 + (d[3] - '0'));
    for (i = 5; i < n; i++) num = num * 10 + (uint64_t)(s[i] - '0');
    return ((2000 + yy) * 100 + mm) * 1000000 + num;
  }
  for (i = 0; i < n && s[i] != '/'; i++) ;
  if (i + 8 > n) return 0;
  d = s + i + 1;
  yy = (uint64_t)((d[0] - '0') * 10 + (d[1] - '0'));
  mm = (uint64_t)((d[2] - '0') * 10 + (d[3] - '0'));
  for (i = i + 5; i < n; i++) num = num * 10 + (uint64_t)(s[i] - '0');
  return ((yy >= 91 ? 1900 + yy : 2000 + yy) * 100 + mm) * 1000000 + num;
}

int ad_id_cmp(const char *a, size_t an, const char *b, size_t bn) {
  uint64_t ka = ad_id_key(a, an), kb = ad_id_key(b, bn);
  if (ka != kb) return ka < kb ? -1 : 1;
  if (an != bn) return an < bn ? -1 : 1;
  return memcmp(a, b, an);
}

static long ad_days_from_civil(long y, unsigned m, unsigned d) {
  long era;
  unsigned yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (long)doe - 719468;
}

static void ad_civil_from_days(long z, long *y, unsigned *m, unsigned *d) {
  long era;
  unsigned doe, yoe, doy, mp;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned)(z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  *y = (long)yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y += (*m <= 2);
}

static int ad_num(const char *s, size_t k) {
  int v = 0;
  size_t i;
  for (i = 0; i < k; i++) v = v * 10 + (s[i] - '0');
  return v;
}

int ad_stamp_valid(int y, int mo, int d, int h, int mi, int se) {
  /* no 30 February: an impossible date is no timestamp */
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60) return 0;
  return !(mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

size_t ad_iso8601(const char *s, size_t n, char out[21]) {
  int Y, M, D, h, mi, se, off = 0;
  size_t i = 19;
  long days, secs;
  unsigned um, ud;
  long y;
  while (n > 0 && ad_isspace((unsigned char)s[n - 1])) n--;
  while (n > 0 && ad_isspace((unsigned char)*s)) { s++; n--; }
  if (n < 19 || !ad_digits(s, n, 4) || s[4] != '-' || !ad_digits(s + 5, 2, 2) ||
      s[7] != '-' || !ad_digits(s + 8, 2, 2) || (s[10] != ' ' && s[10] != 'T') ||
      !ad_digits(s + 11, 2, 2) || s[13] != ':' || !ad_digits(s + 14, 2, 2) ||
      s[16] != ':' || !ad_digits(s + 17, 2, 2))
    return 0;
  Y = ad_num(s, 4); M = ad_num(s + 5, 2); D = ad_num(s + 8, 2);
  h = ad_num(s + 11, 2); mi = ad_num(s + 14, 2); se = ad_num(s + 17, 2);
  if (!ad_stamp_valid(Y, M, D, h, mi, se)) return 0;
  if (i < n && s[i] == '.') {  /* fractional seconds: dropped */
    i++;
    while (i < n && ad_isdigit((unsigned char)s[i])) i++;
  }
  if (i < n) {
    if (s[i] == 'Z' && i + 1 == n) off = 0;
    else if ((s[i] == '+' || s[i] == '-') && n - i == 6 &&
             ad_digits(s + i + 1, 2, 2) && s[i + 3] == ':' &&
             ad_digits(s + i + 4, 2, 2)) {
      off = ad_num(s + i + 1, 2) * 60 + ad_num(s + i + 4, 2);
      if (s[i] == '-') off = -off;
    } else return 0;
  }
  if (off == 0 && se < 60) {  /* already UTC, no leap second: as written */
    memcpy(out, s, 19);
    out[10] = 'T'; out[19] = 'Z'; out[20] = '\0';
    return 20;
  }
  days = ad_days_from_civil(Y, (unsigned)M, (unsigned)D);
  secs = days * 86400 + h * 3600 + mi * 60 + se - (long)off * 60;
  days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  secs -= days * 86400;
  ad_civil_from_days(days, &y, &um, &ud);
  if (y < 0 || y > 9999) return 0;
  {
    int hh = (int)(secs / 3600), mm2 = (int)(secs % 3600 / 60), ss = (int)(secs % 60);
    char *o = out;
    o[0] = (char)('0' + y / 1000); o[1] = (char)('0' + y / 100 % 10);
    o[2] = (char)('0' + y / 10 % 10); o[3] = (char)('0' + y % 10);
    o[4] = '-'; o[5] = (char)('0' + um / 10); o[6] = (char)('0' + um % 10);
    o[7] = '-'; o[8] = (char)('0' + ud / 10); o[9] = (char)('0' + ud % 10);
    o[10] = 'T'; o[11] = (char)('0' + hh / 10); o[12] = (char)('0' + hh % 10);
    o[13] = ':'; o[14] = (char)('0' + mm2 / 10); o[15] = (char)('0' + mm2 % 10);
    o[16] = ':'; o[17] = (char)('0' + ss / 10); o[18] = (char)('0' + ss % 10);
    o[19] = 'Z'; o[20] = '\0';
  }
  return 20;
}
/* }====================================================== */

/* {====================================================== wrapping (text format) */
int ad_text_plain(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  const uint64_t spaces = 0x2020202020202020ULL, lows = 0x7F7F7F7F7F7F7F7FULL;
  size_t i = 0;
  if (n == 0) return 1;
  if (u[0] == ' ' || u[n - 1] == ' ') return 0;
  /* eight bytes at a time. A byte outside 0x20..0x7E sets its high bit in
  ** w (0x80..), w + 1 (0x7F) or w - 0x20 (below 0x20); carries and borrows
  ** start only at such a byte, so "any" is exact. Then, all bytes valid,
  ** the spaces are the bytes of w ^ spaces that are 0: exactly those whose
  ** high bit stays clear after + 0x7F (no carries below 0x5F + 0x7F). Two
  ** spaces side by side are two neighbouring bytes of that mask (in either
  ** byte order), or the first byte and the one before it. */
  for (; i + 8 <= n; i += 8) {
    uint64_t w, z;
    memcpy(&w, u + i, 8);
    if (((w - spaces) | (w + ones) | w) & highs) return 0;
    z = ~((w ^ spaces) + lows) & highs;
    if ((z & (z >> 8)) || (i > 0 && u[i] == ' ' && u[i - 1] == ' ')) return 0;
  }
  for (; i < n; i++) {
    unsigned c = u[i];
    if (c < 0x20 || c > 0x7E) return 0;
    if (c == ' ' && i > 0 && u[i - 1] == ' ') return 0;
  }
  return 1;
}

size_t ad_wrap_line(const char *s, size_t n, size_t pos, size_t avail,
                    size_t *next) {
  size_t k;
  if (pos >= n) { *next = n; return 0; }
  if (avail == 0) avail = 1;
  if (n - pos <= avail) { *next = n; return n - pos; }
  k = pos + avail;                    /* the last space in (pos, pos + avail] */
  while (k > pos && s[k] != ' ') k--;
  if (k > pos) { *next = k + 1; return k - pos; }
  *next = pos + avail;                /* one word longer than the line: cut */
  return avail;
}
/* }====================================================== */

/* {====================================================== DOIs */
static int ad_doi_space(unsigned char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

static size_t ad_doi_prefix(const char *s, size_t n) {
  static const char *const pre[] = {
    "https://doi.org/", "http://doi.org/", "https://dx.doi.org/",
    "http://dx.doi.org/", "doi.org/", "doi:", NULL
  };
  int k;
  for (k = 0; pre[k]; k++) {
    size_t m = strlen(pre[k]), i;
    if (n < m) continue;
    for (i = 0; i < m; i++) {
      unsigned char ch = (unsigned char)s[i];
      if ((ch >= 'A' && ch <= 'Z' ? ch + 32 : ch) != (unsigned char)pre[k][i]) break;
    }
    if (i == m) return m;
  }
  return 0;
}

int ad_doi_next(const char *s, size_t n, size_t *pos, size_t *off, size_t *len) {
  size_t i = *pos;
  while (i < n) {
    size_t a, b;
    while (i < n && ad_doi_space((unsigned char)s[i])) i++;
    a = i;
    while (i < n && !ad_doi_space((unsigned char)s[i])) i++;
    b = i;
    a += ad_doi_prefix(s + a, b - a);
    while (b > a && (s[b - 1] == '.' || s[b - 1] == ',' || s[b - 1] == ';' || s[b - 1] == ':'))
      b--;
    if (b > a) { *off = a; *len = b - a; *pos = i; return 1; }
  }
  *pos = n;
  return 0;
}
/* }====================================================== */

/* {====================================================== JSON strings */
size_t ad_json_quote(const char *src, size_t n, char *out) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)src;
  size_t i = 0, o = 0;
  out[o++] = '"';
  while (i < n) {
    unsigned c = s[i];
    size_t l;
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '<') {
      out[o++] = (char)c; i++;
      continue;
    }
    if (c < 0x80) {
      const char *e = NULL;
      switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        case '<': e = i + 1 < n && s[i + 1] == '/' ? "<\\/" : "<"; break;
        default: break;
      }
      if (e != NULL) {
        size_t k = strlen(e);
        memcpy(out + o, e, k); o += k;
        i += c == '<' && k == 3 ? 2 : 1;
      } else {                               /* other C0 controls, DEL */
        memcpy(out + o, "\\u00", 4); o += 4;
        out[o++] = hex[c >> 4]; out[o++] = hex[c & 15];
        i++;
      }
      continue;
    }
    l = ad_utf8_len(s + i, n - i);
    if (l == 0) {          /* U+FFFD for the bad byte and its continuations */
      memcpy(out + o, "\xef\xbf\xbd", 3); o += 3;
      i++;
      while (i < n && (s[i] & 0xC0) == 0x80) i++;
      continue;
    }
    if ((l == 2 && c == 0xC2 && s[i + 1] <= 0x9F) ||                     /* C1 */
        (l == 3 && c == 0xE2 && ((s[i + 1] == 0x80 && s[i + 2] >= 0xA8 && s[i + 2] <= 0xAE) ||
                                 (s[i + 1] == 0x81 && s[i + 2] >= 0xA6 && s[i + 2] <= 0xA9)))) {
      unsigned cp = l == 2 ? s[i + 1] : 0x2000u + ((s[i + 1] & 0x3Fu) << 6) + (s[i + 2] & 0x3Fu);
      memcpy(out + o, "\\u", 2); o += 2;
      out[o++] = hex[(cp >> 12) & 15]; out[o++] = hex[(cp >> 8) & 15];
      out[o++] = hex[(cp >> 4) & 15]; out[o++] = hex[cp & 15];
      i += l;
      continue;
    }
    memcpy(out + o, s + i, l); o += l; i += l;
  }
  out[o++] = '"';
  return o;
}
/* }====================================================== */

/* {====================================================== clean display text */
size_t ad_text_clean(const char *src, size_t n, int keep_space, char *out) {
  const unsigned char *s = (const unsigned char *)src;
  size_t i = 0, o = 0;
  int sp = 0;                /* the last byte written is a collapsed space */
  while (i < n) {
    unsigned c = s[i];
    size_t l;
    if (c >= 0x21 && c < 0x7F) { out[o++] = (char)c; sp = 0; i++; continue; }
    if (c < 0x80) {
      i++;
      if (c == ' ' || (c >= '\t' && c <= '\r')) {          /* white space */
        if (keep_space) { out[o++] = (char)c; sp = 0; }
        else if (!sp) { out[o++] = ' '; sp = 1; }
      }                                    /* other C0 controls, DEL: dropped */
      continue;
    }
    l = ad_utf8_len(s + i, n - i);
    if (l == 0) {          /* U+FFFD for the bad byte and its continuations */
      memcpy(out + o, "\xef\xbf\xbd", 3); o += 3; sp = 0;
      i++;
      while (i < n && (s[i] & 0xC0) == 0x80) i++;
      continue;
    }
    if (l == 2 && c == 0xC2 && s[i + 1] <= 0x9F) { i += 2; continue; }   /* C1: dropped */
    if (l == 3 && c == 0xE2 && s[i + 1] == 0x80 && s[i + 2] >= 0xA8 && s[i + 2] <= 0xAE) {
      i += 3;
      if (s[i - 1] <= 0xA9) {                     /* U+2028, U+2029: a space */
        if (keep_space) { out[o++] = ' '; sp = 0; }
        else if (!sp) { out[o++] = ' '; sp = 1; }
      }                                           /* U+202A..U+202E: dropped */
      continue;
    }
    if (l == 3 && c == 0xE2 && s[i + 1] == 0x81 && s[i + 2] >= 0xA6 && s[i + 2] <= 0xA9) {
      i += 3;                                     /* U+2066..U+2069: dropped */
      continue;
    }
    memcpy(out + o, s + i, l); o += l; i += l; sp = 0;
  }
  return o;
}
/* }====================================================== */

/* {====================================================== XML text */
/* U+FFFE or U+FFFF at s[i..n) */
static int ad_xml_nonchar(const unsigned char *s, size_t n, size_t i) {
  return s[i] == 0xEF && n - i >= 3 && s[i + 1] == 0xBF && (s[i + 2] == 0xBE || s[i + 2] == 0xBF);
}

/* the bytes ad_xml_escape may change: & < > " ' and 0xEF (a lead of
** U+FFFE/U+FFFF) */
static const unsigned char ad_xml_special[256] = {
  ['&'] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1, ['\''] = 1, [0xEF] = 1
};

int ad_xml_plain(const char *src, size_t n) {
  const unsigned char *s = (const unsigned char *)src;
  size_t i;
  for (i = 0; i < n; i++) {
    if (ad_xml_special[s[i]] && (s[i] != 0xEF || ad_xml_nonchar(s, n, i))) return 0;
  }
  return 1;
}

size_t ad_xml_escape(const char *src, size_t n, char *out) {
  const unsigned char *s = (const unsigned char *)src;
  size_t i = 0, o = 0;
  while (i < n) {
    unsigned c = s[i];
    switch (c) {
      case '&': memcpy(out + o, "&amp;", 5); o += 5; i++; continue;
      case '<': memcpy(out + o, "&lt;", 4); o += 4; i++; continue;
      case '>': memcpy(out + o, "&gt;", 4); o += 4; i++; continue;
      case '"': memcpy(out + o, "&quot;", 6); o += 6; i++; continue;
      case '\'': memcpy(out + o, "&#39;", 5); o += 5; i++; continue;
      default: break;
    }
    if (c == 0xEF && ad_xml_nonchar(s, n, i)) { i += 3; continue; }
    out[o++] = (char)c;
    i++;
  }
  return o;
}
/* }====================================================== */
