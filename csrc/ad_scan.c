/*
** ad_scan.c: the scanner. Walks a digest file line by line and records each
** paper as spans into the text; decodes nothing. Both formats are handled
** record by record, so files that mix them, or that concatenate several
** digests, still parse. Every problem becomes one warning with its line.
**
** daily listing                          catalog
**   # ArXiv cs.CV --Wed, 20 May 2020       # Arxiv Papers in cs.CV on 2019-10-19
**   ### 1.Title  [ :arrow_down: ](URL)     ### Title
**   >  abstract                            - **Field**: value
**                                            continuation (indented)
*/
#include <stdarg.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "ad_core.h"

/* {====================================================== scanner state */
enum {  /* what a continuation line extends */
  AD_CONT_NONE = -1,    /* nothing: ignore (after an unknown/duplicate field) */
  AD_CONT_TITLE = -2
};

typedef struct ad_scanner {
  ad_corpus *c;
  uint32_t fi;
  const char *t;         /* file text */
  size_t n;
  uint32_t lineno;       /* current line (1-based) */
  uint32_t nwarn;        /* warnings issued for this file */
  uint32_t nsuppressed;  /* warnings beyond the per-file limit */
  int err;               /* AD_ENOMEM once an allocation failed */
  /* header context */
  int ctxfmt;            /* AD_FMT_* of the last header, 0 before any */
  uint32_t ctxdate;      /* YYYYMMDD */
  ad_span ctxcat;        /* the header's category */
  uint32_t headerline;
  int nheaders;
  uint32_t namedate;     /* date found in the file name, 0 if none */
  /* listing order, for the cross-list rule */
  int haveprev;
  ad_span previd;
  int crosslist;
  /* current record */
  int inrec;
  ad_record r;
  size_t recstart;       /* offset of the title line */
  size_t lastend;        /* end of the last non-blank line of the record */
  int cont;              /* AD_CONT_* or a span id that continuation extends */
  int blank;             /* a blank line was seen since the last text line */
  uint32_t seen;         /* bit set of catalog fields seen */
  uint32_t fline[AD_NSPANS]; /* catalog: the line of each span's field */
  int strayline;         /* a stray-text warning was given for this block */
  size_t titletext;      /* listing: where the title text starts (after N.) */
} ad_scanner;

#if defined(__GNUC__)
#define AD_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define AD_PRINTF(a, b)
#endif
static void ad_warn(ad_scanner *s, uint32_t line, const char *fmt, ...)
    AD_PRINTF(3, 4);

/* }====================================================== */

/* {====================================================== small helpers */
static int ad_isws(int c) { return c == ' ' || c == '\t' || c == '\r'; }
static int ad_isdig(int c) { return c >= '0' && c <= '9'; }

/* Trim spaces, tabs and CRs around a span. */
static ad_span ad_trim(const char *t, size_t off, size_t end) {
  ad_span sp;
  while (off < end && (ad_isws((unsigned char)t[off]) || t[off] == '\n')) off++;
  while (end > off && (ad_isws((unsigned char)t[end - 1]) || t[end - 1] == '\n'))
    end--;
  sp.off = (uint32_t)off;
  sp.len = (uint32_t)(end - off);
  return sp;
}

static int ad_is_none(const char *t, ad_span sp) {
  return sp.len == 4 && memcmp(t + sp.off, "None", 4) == 0;
}

static int ad_lowerc(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int ad_startsci(const char *s, size_t n, const char *w) {
  size_t i;
  for (i = 0; w[i]; i++)
    if (i >= n || ad_lowerc((unsigned char)s[i]) != ad_lowerc((unsigned char)w[i]))
      return 0;
  return 1;
}

static const char *const ad_months[] = {
  "jan", "feb", "mar", "apr", "may", "jun",
  "jul", "aug", "sep", "oct", "nov", "dec"
};

static int ad_valid_date(int y, int m, int d) {
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1990 || y > 2999 || m < 1 || m > 12 || d < 1) return 0;
  if (d > mdays[m - 1]) return 0;
  if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 0;
  return 1;
}

/* "2019-10-19" (at s) -> 20191019, or 0 */
static uint32_t ad_ymd(const char *s, size_t n) {
  int y, m, d;
  if (n < 10 || !ad_isdig((unsigned char)s[0]) || !ad_isdig((unsigned char)s[1]) ||
      !ad_isdig((unsigned char)s[2]) || !ad_isdig((unsigned char)s[3]) ||
      s[4] != '-' || !ad_isdig((unsigned char)s[5]) || !ad_isdig((unsigned char)s[6]) ||
      s[7] != '-' || !ad_isdig((unsigned char)s[8]) || !ad_isdig((unsigned char)s[9]))
    return 0;
  y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  m = (s[5] - '0') * 10 + (s[6] - '0');
  d = (s[8] - '0') * 10 + (s[9] - '0');
  return ad_valid_date(y, m, d) ? (uint32_t)(y * 10000 + m * 100 + d) : 0;
}

/* "Wed, 20 May 2020" -> 20200520, or 0: a day number, a month name and a
** four-digit year, in that order. */
static uint32_t ad_dmy(const char *s, size_t n) {
  size_t i = 0;
  int d = -1, m = -1, y = -1;
  while (i < n) {
    if (ad_isdig((unsigned char)s[i])) {
      int v = 0;
      size_t k = 0;
      while (i < n && ad_isdig((unsigned char)s[i]) && k < 5) {
        v = v * 10 + (s[i] - '0'); i++; k++;
      }
      if (d < 0 && k <= 2) d = v;
      else if (m >= 0 && k == 4) { y = v; break; }
    } else if ((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z') {
      size_t k = i, j;
      while (k < n && (s[k] | 32) >= 'a' && (s[k] | 32) <= 'z') k++;
      if (d >= 0 && m < 0 && k - i >= 3) {
        for (j = 0; j < 12; j++)
          if (ad_startsci(s + i, k - i, ad_months[j])) { m = (int)j + 1; break; }
      }
      i = k;
    } else i++;
  }
  if (d < 0 || m < 0 || y < 0 || !ad_valid_date(y, m, d)) return 0;
  return (uint32_t)(y * 10000 + m * 100 + d);
}

/* A date in a file name: YYYYMMDD or YYYY-MM-DD in the base name. */
static uint32_t ad_name_date(const char *path) {
  const char *b = strrchr(path, '/');
  size_t i, n;
  b = b ? b + 1 : path;
  n = strlen(b);
  for (i = 0; i + 8 <= n; i++) {
    if (i > 0 && ad_isdig((unsigned char)b[i - 1])) continue;
    if (i + 10 <= n) {
      uint32_t v = ad_ymd(b + i, n - i);
      if (v) return v;
    }
    {
      size_t k;
      for (k = 0; k < 8 && ad_isdig((unsigned char)b[i + k]); k++) ;
      if (k == 8 && (i + 8 == n || !ad_isdig((unsigned char)b[i + 8]))) {
        int y = (b[i] - '0') * 1000 + (b[i + 1] - '0') * 100 +
                (b[i + 2] - '0') * 10 + (b[i + 3] - '0');
        int m = (b[i + 4] - '0') * 10 + (b[i + 5] - '0');
        int d = (b[i + 6] - '0') * 10 + (b[i + 7] - '0');
        if (ad_valid_date(y, m, d)) return (uint32_t)(y * 10000 + m * 100 + d);
      }
    }
  }
  return 0;
}
/* }====================================================== */

/* {====================================================== warnings */
static void ad_warn(ad_scanner *s, uint32_t line, const char *fmt, ...) {
  va_list ap;
  int r;
  if (s->err) return;
  if (s->nwarn >= AD_MAX_WARNINGS_PER_FILE) { s->nsuppressed++; return; }
  s->nwarn++;
  va_start(ap, fmt);
  r = ad_corpus_vwarn(s->c, s->fi, line, fmt, ap);
  va_end(ap);
  if (r) s->err = AD_ENOMEM;
}

/* Copy a short, printable excerpt of text for a warning message. */
static const char *ad_excerpt(const char *t, size_t n, char *buf, size_t cap) {
  size_t i, k = 0;
  for (i = 0; i < n && k + 4 < cap; i++) {
    unsigned char ch = (unsigned char)t[i];
    buf[k++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
  }
  if (i < n) { buf[k++] = '.'; buf[k++] = '.'; buf[k++] = '.'; }
  buf[k] = '\0';
  return buf;
}

/* Byte-level problems: NUL bytes and invalid UTF-8, one warning per line
** (each kind is reported at most 10 times per file). Runs over the whole
** text with a word-at-a-time ASCII fast path. */
static void ad_check_bytes(ad_scanner *s) {
  const unsigned char *t = (const unsigned char *)s->t;
  size_t n = s->n, i = 0, linepos = 0;
  uint32_t line = 1, lastnul = 0, lastbad = 0;
  int nnul = 0, nbad = 0;
  while (i < n) {
#if defined(__SSE2__)
    if (i + 32 <= n) {  /* no byte >= 0x80 and no zero byte: skip 32 bytes */
      __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
      __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(t + i + 16));
      __m128i z = _mm_setzero_si128();
      __m128i bad = _mm_or_si128(_mm_or_si128(a, b),
                                 _mm_or_si128(_mm_cmpeq_epi8(a, z), _mm_cmpeq_epi8(b, z)));
      if (_mm_movemask_epi8(bad) == 0) {
        i += 32;
        continue;
      }
    }
#endif
    if (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, t + i, 8);
      /* no byte >= 0x80 and no zero byte: skip the word */
      if (((w & 0x8080808080808080ULL) |
           ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL)) == 0) {
        i += 8;
        continue;
      }
    }
    if (t[i] != 0 && t[i] < 0x80) { i++; continue; }
    /* a NUL or a non-ASCII byte: find its line */
    while (linepos < i) {
      const void *nl = memchr(t + linepos, '\n', i - linepos);
      if (nl == NULL) { linepos = i; break; }
      line++;
      linepos = (size_t)((const unsigned char *)nl - t) + 1;
    }
    if (t[i] == 0) {
      if (lastnul != line) {
        lastnul = line;
        if (++nnul <= 10) ad_warn(s, line, "NUL byte in the text");
      }
      i++;
      continue;
    }
    {
      unsigned c = t[i];
      size_t k = 0, avail = n - i;
      if (c >= 0xC2 && c < 0xE0) k = (avail >= 2 && (t[i + 1] & 0xC0) == 0x80) ? 2 : 0;
      else if (c >= 0xE0 && c < 0xF0) {
        k = (avail >= 3 && (t[i + 1] & 0xC0) == 0x80 && (t[i + 2] & 0xC0) == 0x80 &&
             !(c == 0xE0 && t[i + 1] < 0xA0) && !(c == 0xED && t[i + 1] >= 0xA0)) ? 3 : 0;
      } else if (c >= 0xF0 && c < 0xF5) {
        k = (avail >= 4 && (t[i + 1] & 0xC0) == 0x80 && (t[i + 2] & 0xC0) == 0x80 &&
             (t[i + 3] & 0xC0) == 0x80 && !(c == 0xF0 && t[i + 1] < 0x90) &&
             !(c == 0xF4 && t[i + 1] >= 0x90)) ? 4 : 0;
      }
      if (k == 0) {
        if (lastbad != line) {
          lastbad = line;
          if (++nbad <= 10)
            ad_warn(s, line, "invalid UTF-8 (bytes replaced by U+FFFD)");
        }
        i++;
      } else i += k;
    }
  }
}
/* }====================================================== */

/* {====================================================== records */
static void ad_begin(ad_scanner *s, size_t linestart, int fmt) {
  memset(&s->r, 0, sizeof s->r);
  s->inrec = 1;
  s->r.file = s->fi;
  s->r.line = s->lineno;
  s->r.format = (uint8_t)fmt;
  s->r.date = s->ctxdate ? s->ctxdate : s->namedate;
  s->recstart = linestart;
  s->lastend = linestart;
  s->seen = 0;
  memset(s->fline, 0, sizeof s->fline);
  s->blank = 0;
  s->strayline = 0;
}

/* Catalog fields, in the order of the format. */
static const struct { const char *name; size_t len; int sid; } ad_fields[] = {
  {"Arxiv ID", 8, AD_S_ABS}, {"DOI", 3, AD_S_DOI},
  {"Categories", 10, AD_S_CATEGORIES}, {"Links", 5, AD_S_PDF},
  {"Published", 9, AD_S_PUBLISHED}, {"Updated", 7, AD_S_UPDATED},
  {"Authors", 7, AD_S_AUTHORS}, {"Comment", 7, AD_S_COMMENT},
  {"Journal", 7, AD_S_JOURNAL}, {"Summary", 7, AD_S_ABSTRACT}
};
#define AD_NFIELDS_CAT (sizeof(ad_fields) / sizeof(ad_fields[0]))
/* bits (in field order) of the fields a catalog record must have */
#define AD_REQUIRED ((1u << 0) | (1u << 2) | (1u << 6) | (1u << 9))

/* Do the bytes of 8-byte word x selected by m (0xFF each) hold ASCII
** digits, and the others the bytes of want? (All bytes below 0x80 first:
** then adding 6 to each byte carries into no other.) */
static int ad_shape8(const char *p, uint64_t m, uint64_t want) {
  uint64_t x;
  memcpy(&x, p, 8);
  if (x & 0x8080808080808080ULL) return 0;
  if ((x & ~m) != (want & ~m)) return 0;
  return (x & m & 0xF0F0F0F0F0F0F0F0ULL) == (0x3030303030303030ULL & m) &&
         ((x + 0x0606060606060606ULL) & m & 0xF0F0F0F0F0F0F0F0ULL) == (0x3030303030303030ULL & m);
}

/* Is t[0..n) a date and time ad_iso8601 reads? The API's own shape
** ("2019-10-19 00:02:48+00:00") is checked here first, eight bytes at a
** time, with the same rules (ad_stamp_valid): this runs for every
** record's Published and Updated, where ad_iso8601 cost 10% of the scan's
** instructions. */
static int ad_stamp_ok(const char *t, size_t n) {
  char iso[21];
  /* "dddd-dd-" "dd dd:dd" ":dd+dd:d" "d", little-endian words */
  if (n == 25 &&
      ad_shape8(t, 0x00FFFF00FFFFFFFFULL, 0x2D00002D00000000ULL) &&
      ad_shape8(t + 8, 0xFFFF00FFFF00FFFFULL, 0x00003A0000200000ULL) &&
      ad_shape8(t + 16, 0xFF00FFFF00FFFF00ULL, 0x003A00002B00003AULL) &&
      t[24] >= '0' && t[24] <= '9') {
    int y = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0');
    int mo = (t[5] - '0') * 10 + (t[6] - '0'), d = (t[8] - '0') * 10 + (t[9] - '0');
    int h = (t[11] - '0') * 10 + (t[12] - '0'), mi = (t[14] - '0') * 10 + (t[15] - '0');
    int se = (t[17] - '0') * 10 + (t[18] - '0');
    return ad_stamp_valid(y, mo, d, h, mi, se);
  }
  return ad_iso8601(t, n, iso) != 0;
}

/* Post-process a finished catalog record's spans. */
static void ad_finish_catalog(ad_scanner *s) {
  ad_record *r = &s->r;
  const char *t = s->t;
  char missing[160];
  size_t k, mlen = 0;
  int i;
  /* trim every span and turn "None" into absent */
  for (i = 0; i < AD_NSPANS; i++) {
    if (i == AD_S_RAW || r->s[i].len == 0) continue;
    r->s[i] = ad_trim(t, r->s[i].off, (size_t)r->s[i].off + r->s[i].len);
    if (ad_is_none(t, r->s[i])) r->s[i].len = 0;
  }
  /* id and version from the Arxiv ID url */
  if (r->s[AD_S_ABS].len) {
    uint32_t off, len;
    uint16_t v;
    const char *v0 = t + r->s[AD_S_ABS].off;
    if (ad_parse_id(v0, r->s[AD_S_ABS].len, &off, &len, &v)) {
      r->s[AD_S_ID].off = r->s[AD_S_ABS].off + off;
      r->s[AD_S_ID].len = len;
      r->version = v;
    } else {
      char ex[64];
      ad_warn(s, s->fline[AD_S_ABS], "unrecognised arXiv ID '%s'",
              ad_excerpt(v0, r->s[AD_S_ABS].len, ex, sizeof ex));
    }
    /* abs_url only when it is a URL */
    if (r->s[AD_S_ABS].len < 4 || memcmp(v0, "http", 4) != 0)
      r->s[AD_S_ABS].len = 0;
  }
  /* a Published or Updated value that is not a date is read as absent:
  ** say so (the record is kept) */
  {
    static const int sids[2] = {AD_S_PUBLISHED, AD_S_UPDATED};
    static const char *const names[2] = {"Published", "Updated"};
    for (i = 0; i < 2; i++) {
      char ex[64];
      if (r->s[sids[i]].len == 0) continue;
      if (ad_stamp_ok(t + r->s[sids[i]].off, r->s[sids[i]].len)) continue;
      ad_warn(s, s->fline[sids[i]], "unrecognised %s date '%s' (read as absent)", names[i],
              ad_excerpt(t + r->s[sids[i]].off, r->s[sids[i]].len, ex, sizeof ex));
    }
  }
  /* primary category: the first **bold** one */
  if (r->s[AD_S_CATEGORIES].len) {
    const char *v0 = t + r->s[AD_S_CATEGORIES].off;
    size_t n = r->s[AD_S_CATEGORIES].len;
    for (k = 0; k + 1 < n; k++) {
      if (v0[k] == '*' && v0[k + 1] == '*') {
        size_t e = k + 2;
        while (e + 1 < n && !(v0[e] == '*' && v0[e + 1] == '*')) e++;
        if (e + 1 < n && e > k + 2) {
          r->s[AD_S_PRIMARY] = ad_trim(t, r->s[AD_S_CATEGORIES].off + k + 2,
                                       r->s[AD_S_CATEGORIES].off + e);
        }
        break;
      }
    }
    if (r->s[AD_S_PRIMARY].len == 0) {  /* no bold: the first category */
      for (k = 0; k < n && v0[k] != ','; k++) ;
      r->s[AD_S_PRIMARY] = ad_trim(t, r->s[AD_S_CATEGORIES].off,
                                   r->s[AD_S_CATEGORIES].off + k);
    }
  }
  /* pdf url: the first (...) of the Links value, else a bare URL */
  if (r->s[AD_S_PDF].len) {
    const char *v0 = t + r->s[AD_S_PDF].off;
    size_t n = r->s[AD_S_PDF].len, a = 0, b;
    const char *p = memchr(v0, '(', n);
    if (p) {
      a = (size_t)(p - v0) + 1;
      for (b = a; b < n && v0[b] != ')' && v0[b] != ' '; b++) ;
      r->s[AD_S_PDF] = ad_trim(t, r->s[AD_S_PDF].off + a, r->s[AD_S_PDF].off + b);
    } else if (!(n >= 4 && memcmp(v0, "http", 4) == 0)) {
      r->s[AD_S_PDF].len = 0;
    }
  }
  /* required fields */
  missing[0] = '\0';
  for (k = 0; k < AD_NFIELDS_CAT && (s->seen & AD_REQUIRED) != AD_REQUIRED; k++) {
    if (!(AD_REQUIRED & (1u << k)))
      continue;  /* the others are optional */
    if (!(s->seen & (1u << k))) {
      size_t nl = strlen(ad_fields[k].name);
      if (mlen + nl + 3 < sizeof missing) {
        if (mlen) { memcpy(missing + mlen, ", ", 2); mlen += 2; }
        memcpy(missing + mlen, ad_fields[k].name, nl);
        mlen += nl;
        missing[mlen] = '\0';
      }
    }
  }
  if (r->s[AD_S_TITLE].len == 0)
    ad_warn(s, r->line, "record has an empty title");
  if (mlen) {
    if (s->seen == 0)
      ad_warn(s, r->line, "title with no fields (missing %s)", missing);
    else
      ad_warn(s, r->line, "incomplete record: missing %s", missing);
  }
}

static void ad_finish_listing(ad_scanner *s) {
  ad_record *r = &s->r;
  int i;
  for (i = 0; i < AD_NSPANS; i++) {
    if (i == AD_S_RAW || i == AD_S_ID || r->s[i].len == 0) continue;
    r->s[i] = ad_trim(s->t, r->s[i].off, (size_t)r->s[i].off + r->s[i].len);
  }
  r->s[AD_S_PRIMARY] = s->ctxcat;
  if (r->s[AD_S_PDF].len == 0)
    ad_warn(s, r->line, "listing title without a PDF link");
  if (r->s[AD_S_ABSTRACT].len == 0)
    ad_warn(s, r->line, "listing record without an abstract line");
  /* cross-list: the descending id order restarts */
  if (r->s[AD_S_ID].len) {
    const char *id = s->t + r->s[AD_S_ID].off;
    if (s->haveprev &&
        ad_id_cmp(id, r->s[AD_S_ID].len, s->t + s->previd.off, s->previd.len) > 0)
      s->crosslist = 1;
    s->haveprev = 1;
    s->previd = r->s[AD_S_ID];
  }
  if (s->crosslist) r->flags |= AD_RF_CROSSLIST;
}

static void ad_end(ad_scanner *s) {
  ad_corpus *c = s->c;
  ad_record *r = &s->r;
  if (!s->inrec) return;
  s->inrec = 0;
  r->s[AD_S_RAW].off = (uint32_t)s->recstart;
  r->s[AD_S_RAW].len = (uint32_t)(s->lastend - s->recstart);
  if (r->format == AD_FMT_CATALOG) ad_finish_catalog(s);
  else ad_finish_listing(s);
  if (r->s[AD_S_ID].len == 0 && r->format == AD_FMT_CATALOG &&
      (s->seen & 1u))
    ;  /* unrecognised id already reported */
  else if (r->s[AD_S_ID].len == 0)
    ad_warn(s, r->line, "record without an arXiv ID");
  if (r->date == 0)
    ad_warn(s, r->line, "no digest date for this record (no header date, "
            "no date in the file name)");
  if (s->err) return;
  if (ad_grow(&c->a, (void **)&c->recs, &c->caprecs, c->nrecs + 1,
              sizeof(ad_record))) {
    s->err = AD_ENOMEM;
    return;
  }
  c->recs[c->nrecs++] = *r;
}
/* }====================================================== */

/* {====================================================== line kinds */
/* "# ArXiv cs.CV --Wed, 20 May 2020" or "# Arxiv Papers in cs.CV on
** 2019-10-19". Returns 1 if the line is a digest header (and sets the
** context), 0 otherwise. */
/* If the word w (any case) starts at *i and is followed by a blank, moves
** *i past it and the blanks after it and returns 1. */
static int ad_word(const char *t, size_t *i, size_t e, const char *w) {
  size_t k = *i, n = strlen(w);
  if (!ad_startsci(t + k, e - k, w) || k + n >= e || !ad_isws((unsigned char)t[k + n]))
    return 0;
  k += n;
  while (k < e && ad_isws((unsigned char)t[k])) k++;
  *i = k;
  return 1;
}

static int ad_header(ad_scanner *s, size_t a, size_t e) {
  const char *t = s->t;
  size_t i = a + 1, p;
  while (i < e && ad_isws((unsigned char)t[i])) i++;
  if (!ad_word(t, &i, e, "arxiv")) return 0;
  ad_end(s);
  s->nheaders++;
  s->headerline = s->lineno;
  s->haveprev = 0;
  s->crosslist = 0;
  p = i;
  if (ad_word(t, &p, e, "papers") && ad_word(t, &p, e, "in")) {
    size_t c0 = p, c1;
    c1 = c0;
    while (c1 < e && !ad_isws((unsigned char)t[c1])) c1++;
    s->ctxfmt = AD_FMT_CATALOG;
    s->ctxcat = ad_trim(t, c0, c1);
    s->ctxdate = 0;
    {
      size_t k;
      for (k = c1; k + 10 <= e; k++)
        if (ad_isdig((unsigned char)t[k]) && (s->ctxdate = ad_ymd(t + k, e - k)) != 0)
          break;
    }
  } else {
    size_t c0 = i, c1 = i;
    /* the category is a run of non-blanks, cut at a "--" ("cs.CV--Wed");
    ** a single '-' belongs to it (quant-ph, astro-ph.GA) */
    while (c1 < e && !ad_isws((unsigned char)t[c1]) &&
           !(t[c1] == '-' && c1 + 1 < e && t[c1 + 1] == '-')) c1++;
    s->ctxfmt = AD_FMT_LISTING;
    s->ctxcat = ad_trim(t, c0, c1);
    s->ctxdate = ad_dmy(t + c1, e - c1);
  }
  if (s->ctxdate == 0) {
    s->ctxdate = s->namedate;
    ad_warn(s, s->lineno, s->namedate
            ? "digest header without a valid date (using the file name's)"
            : "digest header without a valid date");
  }
  return 1;
}

/* The PDF link "[ :arrow_down: ](URL)" at the end of the title text
** [i, e) of a listing record (which may span lines). Returns 1 and sets
** PDF, ID, version and title of r if it has one. */
static int ad_listing_link(const ad_scanner *s, ad_record *r, size_t i, size_t e) {
  const char *t = s->t;
  size_t tend = e, j, b;
  ad_span url = {0, 0};
  uint32_t idoff = 0, idlen = 0;
  uint16_t ver = 0;
  while (tend > i && ad_isws((unsigned char)t[tend - 1])) tend--;
  if (!(tend > i && t[tend - 1] == ')')) return 0;
  for (j = tend - 1; j > i; j--) {
    if (t[j] == '(' && t[j - 1] == ']') {
      url.off = (uint32_t)(j + 1);
      url.len = (uint32_t)(tend - 1 - (j + 1));
      break;
    }
  }
  if (url.off == 0 || !ad_parse_id(t + url.off, url.len, &idoff, &idlen, &ver))
    return 0;
  b = url.off - 2;  /* the ']' */
  while (b > i && t[b] != '[') b--;
  tend = (t[b] == '[') ? b : url.off - 2;
  r->s[AD_S_PDF] = url;
  r->s[AD_S_ID].off = url.off + idoff;
  r->s[AD_S_ID].len = idlen;
  r->version = ver;
  r->s[AD_S_TITLE] = ad_trim(t, i, tend);
  return 1;
}

/* A listing title "### N.Title  [ :arrow_down: ](URL)". Returns 1 and
** fills the record if it is one. `force` accepts it without a link: the
** title then stays open, as it may wrap onto the next lines. */
static int ad_listing_title(ad_scanner *s, size_t a, size_t e, int force) {
  const char *t = s->t;
  size_t i = a + 3, numstart;
  uint32_t pos = 0;
  ad_record got;
  int linked;
  while (i < e && ad_isws((unsigned char)t[i])) i++;
  numstart = i;
  while (i < e && ad_isdig((unsigned char)t[i]) && i - numstart < 9) {
    pos = pos * 10 + (uint32_t)(t[i] - '0');
    i++;
  }
  if (i == numstart || i >= e || t[i] != '.') return 0;
  i++;
  linked = ad_listing_link(s, &got, i, e);
  if (!linked && !force) return 0;
  ad_end(s);
  ad_begin(s, a, AD_FMT_LISTING);
  if (linked) {
    s->r.s[AD_S_PDF] = got.s[AD_S_PDF];
    s->r.s[AD_S_ID] = got.s[AD_S_ID];
    s->r.s[AD_S_TITLE] = got.s[AD_S_TITLE];
    s->r.version = got.version;
    s->cont = AD_CONT_NONE;
  } else {
    s->r.s[AD_S_TITLE] = ad_trim(t, i, e);
    s->cont = AD_CONT_TITLE;  /* "without a PDF link" is told at the end */
  }
  s->titletext = i;
  s->r.position = pos;
  s->r.flags = AD_RF_HTML | AD_RF_QUOTED;
  return 1;
}

/* A catalog field line "- **Name**: value". */
static void ad_field(ad_scanner *s, size_t a, size_t e) {
  const char *t = s->t;
  size_t i = a + 4, ne, k;
  char ex[64];
  ne = i;
  while (ne + 1 < e && !(t[ne] == '*' && t[ne + 1] == '*')) ne++;
  if (ne + 1 >= e) {
    ad_warn(s, s->lineno, "malformed field line '%s'",
            ad_excerpt(t + a, e - a, ex, sizeof ex));
    s->cont = AD_CONT_NONE;
    return;
  }
  if (!s->inrec) {
    ad_warn(s, s->lineno, "field '%s' outside of any record",
            ad_excerpt(t + i, ne - i, ex, sizeof ex));
    return;
  }
  if (s->r.format != AD_FMT_CATALOG) {
    ad_warn(s, s->lineno, "catalog field '%s' inside a listing record",
            ad_excerpt(t + i, ne - i, ex, sizeof ex));
    s->cont = AD_CONT_NONE;
    return;
  }
  for (k = 0; k < AD_NFIELDS_CAT; k++) {
    size_t nl = ad_fields[k].len;
    if (ne - i == nl && t[i] == ad_fields[k].name[0] &&
        memcmp(t + i, ad_fields[k].name, nl) == 0)
      break;
  }
  if (k == AD_NFIELDS_CAT) {
    ad_warn(s, s->lineno, "unknown field '%s' (ignored)",
            ad_excerpt(t + i, ne - i, ex, sizeof ex));
    s->cont = AD_CONT_NONE;
    return;
  }
  if (s->seen & (1u << k)) {
    ad_warn(s, s->lineno, "duplicate field '%s' (the first is kept)",
            ad_fields[k].name);
    s->cont = AD_CONT_NONE;
    return;
  }
  s->seen |= 1u << k;
  {
    size_t v = ne + 2;
    int sid = ad_fields[k].sid;
    if (v < e && t[v] == ':') v++;
    s->r.s[sid].off = (uint32_t)v;
    s->r.s[sid].len = (uint32_t)(e - v);
    s->fline[sid] = s->lineno;
    s->cont = sid;
  }
}
/* }====================================================== */

/* {====================================================== main loop */
/* Stray text at line [a, te): one warning per block of stray lines. */
static void ad_stray(ad_scanner *s, size_t a, size_t te, const char *what) {
  char ex[64];
  if (s->strayline) return;
  ad_warn(s, s->lineno, "%s: '%s'", what, ad_excerpt(s->t + a, te - a, ex, sizeof ex));
  s->strayline = 1;
}

int ad_scan(ad_corpus *c, uint32_t fi) {
  ad_scanner s;
  const char *t;
  size_t n, pos, recs0 = c->nrecs;
  memset(&s, 0, sizeof s);
  s.c = c;
  s.fi = fi;
  s.t = t = c->files[fi].text;
  s.n = n = c->files[fi].len;
  s.lineno = 0;
  s.cont = AD_CONT_NONE;
  s.namedate = ad_name_date(c->files[fi].path);
  c->files[fi].first = c->nrecs;
  pos = 0;
  if (n >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0) pos = 3;  /* BOM */
  ad_check_bytes(&s);
  while (pos < n && !s.err) {
    const char *nl = (const char *)memchr(t + pos, '\n', n - pos);
    size_t a = pos, e = nl ? (size_t)(nl - t) : n, te;
    pos = nl ? e + 1 : n;
    s.lineno++;
    te = e;
    while (te > a && ad_isws((unsigned char)t[te - 1])) te--;
    if (te == a) {  /* blank line */
      s.blank = 1;
      continue;
    }
    if (t[a] == '#') {
      if (te - a >= 4 && t[a + 1] == '#' && t[a + 2] == '#' &&
          (t[a + 3] == ' ' || t[a + 3] == '\t')) {
        /* a title */
        int listingctx = (s.ctxfmt == AD_FMT_LISTING);
        if (ad_listing_title(&s, a, te, listingctx)) {
          if (s.ctxfmt == AD_FMT_CATALOG)
            ad_warn(&s, s.lineno, "daily-listing record in a catalog digest");
        } else {
          ad_end(&s);
          ad_begin(&s, a, AD_FMT_CATALOG);
          s.r.s[AD_S_TITLE] = ad_trim(t, a + 4, te);
          s.cont = AD_CONT_TITLE;
          if (s.ctxfmt == AD_FMT_LISTING)
            ad_warn(&s, s.lineno, "catalog record in a daily-listing digest");
        }
        s.lastend = te;
        s.blank = 0;
        continue;
      }
      if (te - a >= 2 && t[a + 1] != '#' && ad_header(&s, a, te)) {
        s.blank = 0;
        continue;
      }
    }
    if (t[a] == '-' && te - a >= 5 && t[a + 1] == ' ' && t[a + 2] == '*' &&
        t[a + 3] == '*') {
      ad_field(&s, a, te);
      if (s.inrec) s.lastend = te;
      s.blank = 0;
      continue;
    }
    if (!s.inrec) {
      if (!s.strayline && s.nheaders > 0) {
        char ex[64];
        ad_warn(&s, s.lineno, "text outside of any record: '%s'",
                ad_excerpt(t + a, te - a, ex, sizeof ex));
      }
      s.strayline = 1;
      continue;
    }
    if (s.r.format == AD_FMT_LISTING) {
      size_t q = a;
      int goes_on;
      while (q < te && ad_isws((unsigned char)t[q])) q++;
      goes_on = t[q] != '#' && !s.blank;  /* a (cut) heading never continues */
      /* '>' lines are the abstract; a title without its link may wrap
      ** onto the lines before the first of them; a line right after a
      ** '>' line (no blank between) continues the quote, as in Markdown.
      ** Anything else is reported. */
      if (t[q] == '>') {
        s.cont = AD_CONT_NONE;  /* the title is closed */
        if (s.r.s[AD_S_ABSTRACT].len == 0) s.r.s[AD_S_ABSTRACT].off = (uint32_t)a;
        s.r.s[AD_S_ABSTRACT].len = (uint32_t)(te - s.r.s[AD_S_ABSTRACT].off);
        s.lastend = te;
      } else if (goes_on && s.cont == AD_CONT_TITLE) {
        if (!ad_listing_link(&s, &s.r, s.titletext, te))
          s.r.s[AD_S_TITLE] = ad_trim(t, s.titletext, te);
        else
          s.cont = AD_CONT_NONE;
        s.lastend = te;
      } else if (goes_on && s.r.s[AD_S_ABSTRACT].len > 0 && !s.strayline) {
        s.r.s[AD_S_ABSTRACT].len = (uint32_t)(te - s.r.s[AD_S_ABSTRACT].off);
        s.lastend = te;
      } else {
        ad_stray(&s, a, te, "unexpected text in a listing record");
      }
      s.blank = 0;
      continue;
    }
    /* catalog: continuation of the title or of the last field */
    if (s.blank && !ad_isws((unsigned char)t[a])) {
      /* unindented text after a blank line is not part of the record */
      ad_stray(&s, a, te, "text outside of any field");
      continue;
    }
    if (s.cont == AD_CONT_TITLE) {
      s.r.s[AD_S_TITLE].len = (uint32_t)(te - s.r.s[AD_S_TITLE].off);
    } else if (s.cont >= 0) {
      s.r.s[s.cont].len = (uint32_t)(te - s.r.s[s.cont].off);
    }
    s.lastend = te;
    s.blank = 0;
  }
  if (!s.err && n > 0 && t[n - 1] != '\n') {
    size_t te = n;
    while (te > 0 && ad_isws((unsigned char)t[te - 1])) te--;
    if (s.inrec && te == s.lastend)
      ad_warn(&s, s.lineno, "the last line has no line break: the file may be "
              "truncated");
  }
  ad_end(&s);
  if (s.err) return s.err;
  c->files[fi].nrec = (uint32_t)(c->nrecs - recs0);
  c->files[fi].format = (uint8_t)s.ctxfmt;
  if (c->files[fi].nrec == 0) {
    if (s.nheaders == 0)
      ad_warn(&s, 0, "not an arXiv digest (no digest header and no paper "
              "records)");
    else
      ad_warn(&s, s.headerline, "digest has no paper records");
  } else if (s.nheaders == 0) {
    ad_warn(&s, 1, "no digest header (format and date inferred)");
  }
  if (s.nsuppressed && !s.err) {
    s.nwarn = 0;  /* let the summary through */
    ad_warn(&s, 0, "%u more warnings for this file were not recorded",
            (unsigned)s.nsuppressed);
  }
  return s.err;
}
/* }====================================================== */
