/*
** fuzz_scan.c: libFuzzer target for the pure-C scanner and decoder.
**
** For each input it
**  1. scans the bytes as one file (borrowed, not NUL-terminated, so ASan sees
**     any read past the end) and its second half as a second file;
**  2. checks every record (spans inside their file, line >= 1, file index,
**     format) and every warning (file index, message);
**  3. decodes every field of every record through ad_record_field into a
**     buffer of exactly AD_DECODE_BOUND(len) bytes and checks the decoder's
**     promises: valid UTF-8, trimmed, no whitespace runs, no line breaks;
**  4. runs ad_decode on the raw input in all four modes, ad_parse_id,
**     ad_iso8601 and ad_id_cmp (antisymmetry) on pieces of it, and
**     ad_text_plain / ad_wrap_line (the text format's wrapping) on it and
**     on every decoded field (check_wrap);
**  5. scans again with an allocator that fails after k allocations (k derived
**     from the input), checks AD_ENOMEM is reported, the corpus stays
**     memory-safe (every field decodable) and every byte is returned by
**     ad_corpus_free.
** Any broken promise aborts (a libFuzzer finding).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ad_core.h"
#include "fuzz_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *s, size_t n) {
  fprintf(stderr, "fuzz_scan: %s: \"", what);
  fwrite(s, 1, n > 200 ? 200 : n, stderr);
  fprintf(stderr, "\"%s\n", n > 200 ? "..." : "");
  abort();
}

/* strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF */
static int utf8_valid(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c < 0x80) { i++; continue; }
    if (c >= 0xC2 && c <= 0xDF) {
      if (i + 1 >= n || (s[i+1] & 0xC0) != 0x80) return 0;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      if (i + 2 >= n || s[i+1] < lo || s[i+1] > hi || (s[i+2] & 0xC0) != 0x80)
        return 0;
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      if (i + 3 >= n || s[i+1] < lo || s[i+1] > hi ||
          (s[i+2] & 0xC0) != 0x80 || (s[i+3] & 0xC0) != 0x80)
        return 0;
      i += 4;
    } else return 0;
  }
  return 1;
}

/* the promises of ad_decode on its output */
static void check_decoded(const char *what, const char *o, size_t n, size_t bound) {
  size_t i;
  if (n > bound) fail("decoded length above AD_DECODE_BOUND", what, strlen(what));
  if (!utf8_valid((const unsigned char *)o, n)) fail("decoded text is not valid UTF-8", o, n);
  if (n && (o[0] == ' ' || o[n-1] == ' ')) fail("decoded text is not trimmed", o, n);
  for (i = 0; i < n; i++) {
    if (o[i] == '\n' || o[i] == '\r' || o[i] == '\t')
      fail("line break or tab left in decoded text", o, n);
    if (o[i] == ' ' && i + 1 < n && o[i+1] == ' ')
      fail("whitespace run left in decoded text", o, n);
  }
}

static char *xmalloc(size_t n) {
  char *p = (char *)malloc(n ? n : 1);
  if (!p) abort();
  return p;
}

/* ad_text_plain against its definition, and the lines of ad_wrap_line on
** plain text for several widths: each non-empty, at most avail bytes, not
** starting with a space; between two lines exactly one space dropped (a
** break at the last space that fits) or none (a word cut at avail bytes,
** having no space to break at); the lines and the dropped spaces are all of
** s. s[0..n) is read through a buffer of exactly n bytes (ASan sees any
** read past it). */
static void check_wrap(const char *src, size_t n) {
  static const size_t widths[] = {1, 2, 3, 5, 10, 17, 40, 80};
  char *s = xmalloc(n);
  size_t i, w;
  int ref = 1;
  memcpy(s, src, n);
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c > 0x7E || (c == ' ' && (i == 0 || i + 1 == n || s[i + 1] == ' '))) ref = 0;
  }
  if (ad_text_plain(s, n) != ref) fail("ad_text_plain disagrees with its definition", s, n);
  for (w = 0; ref && w < sizeof widths / sizeof widths[0]; w++) {
    size_t avail = widths[w], pos = 0, next, len, k;
    while (pos < n) {
      len = ad_wrap_line(s, n, pos, avail, &next);
      if (len == 0 || len > avail || pos + len > n || next > n || next < pos + len)
        fail("ad_wrap_line: bad line", s, n);
      if (s[pos] == ' ') fail("ad_wrap_line: a line starts with a space", s, n);
      if (next == pos + len + 1) {           /* broken at a space */
        if (s[pos + len] != ' ') fail("ad_wrap_line: dropped a byte that is not a space", s, n);
        for (k = pos + len + 1; k <= pos + avail && k < n; k++)
          if (s[k] == ' ') fail("ad_wrap_line: not the last space that fits", s, n);
      } else if (next != pos + len) {
        fail("ad_wrap_line: skipped more than one byte", s, n);
      } else if (next < n) {                 /* cut inside a word */
        if (len != avail) fail("ad_wrap_line: a word cut short", s, n);
        for (k = pos + 1; k <= pos + avail; k++)
          if (s[k] == ' ') fail("ad_wrap_line: a word cut where a space fits", s, n);
      }
      pos = next;
    }
  }
  free(s);
}

/* Decode every field of every record and check records and warnings.
** strict = 0 after AD_ENOMEM: ad_core.h only promises a corpus that can be
** freed (a file whose scan failed may have records but nrec = 0), so only
** memory safety is checked: indexes and spans in range, every field decodable. */
static void check_corpus(const ad_corpus *c, int strict) {
  uint32_t r, w;
  for (r = 0; r < c->nrecs; r++) {
    const ad_record *rec = &c->recs[r];
    const ad_file *f;
    int sid;
    if (rec->file >= c->nfiles) fail("record file index out of range", "", 0);
    f = &c->files[rec->file];
    if (rec->line < 1) fail("record line < 1", "", 0);
    if (rec->format != AD_FMT_LISTING && rec->format != AD_FMT_CATALOG)
      fail("record format is neither listing nor catalog", "", 0);
    if (strict && (r < f->first || r >= f->first + f->nrec))
      fail("record outside its file's range", "", 0);
    for (sid = 0; sid < AD_NSPANS; sid++) {
      ad_span s = rec->s[sid];
      size_t bound, n;
      char *out;
      if ((uint64_t)s.off + s.len > f->len) fail("span outside the file", "", 0);
      bound = AD_DECODE_BOUND(s.len);
      out = xmalloc(bound);
      n = ad_record_field(c, rec, sid, out);
      if (n > bound) fail("ad_record_field wrote past AD_DECODE_BOUND", "", 0);
      if (sid != AD_S_RAW) check_decoded("field", out, n, bound);
      check_wrap(out, n);     /* decoded fields are mostly plain text */
      if (sid == AD_S_PUBLISHED || sid == AD_S_UPDATED) {
        char iso[21];
        size_t k = ad_iso8601(out, n, iso);
        if (k != 0 && k != 20) fail("ad_iso8601 returned neither 0 nor 20", out, n);
      }
      free(out);
    }
    /* the canonical id parses as itself */
    if (rec->s[AD_S_ID].len) {
      const char *id = f->text + rec->s[AD_S_ID].off;
      uint32_t off = 0, len = 0;
      uint16_t v = 0;
      if (ad_parse_id(id, rec->s[AD_S_ID].len, &off, &len, &v)) {
        if ((uint64_t)off + len > rec->s[AD_S_ID].len) fail("ad_parse_id span out of range", id, rec->s[AD_S_ID].len);
      }
      if (ad_id_cmp(id, rec->s[AD_S_ID].len, id, rec->s[AD_S_ID].len) != 0)
        fail("ad_id_cmp(a, a) != 0", id, rec->s[AD_S_ID].len);
    }
  }
  for (w = 0; w < c->nwarns; w++) {
    if (c->warns[w].file >= c->nfiles) fail("warning file index out of range", "", 0);
    if (!c->warns[w].msg || !c->warns[w].msg[0]) fail("warning without message", "", 0);
  }
  if (strict) {
    uint32_t fi, total = 0;
    for (fi = 0; fi < c->nfiles; fi++) {
      const ad_file *f = &c->files[fi];
      if (f->first + f->nrec > c->nrecs) fail("file record range out of bounds", "", 0);
      total += f->nrec;
    }
    if (total != c->nrecs) fail("files' record counts do not add up", "", 0);
  }
}

static int sign(int x) { return (x > 0) - (x < 0); }

/* The helpers on arbitrary bytes. */
static void check_helpers(const char *s, size_t n) {
  static const int modes[4] = {0, AD_DEC_HTML, AD_DEC_QUOTED, AD_DEC_HTML | AD_DEC_QUOTED};
  size_t bound = AD_DECODE_BOUND(n), half = n / 2, k;
  char *out = xmalloc(bound), iso[21];
  uint32_t off, len;
  uint16_t v;
  int m;
  for (m = 0; m < 4; m++) {
    k = ad_decode(s, n, modes[m], out);
    check_decoded("ad_decode", out, k, bound);
    /* the fast path of the Lua binding: "identity" must mean exactly that */
    if (n > 0 && ad_decode_is_identity(s, n, modes[m]) && (k != n || memcmp(out, s, n) != 0))
      fail("ad_decode_is_identity: the decoded text differs", s, n);
  }
  free(out);
  if (ad_parse_id(s, n, &off, &len, &v) && ((uint64_t)off + len > n || len == 0))
    fail("ad_parse_id: bad span", s, n);
  k = ad_iso8601(s, n, iso);
  if (k != 0 && k != 20) fail("ad_iso8601 returned neither 0 nor 20", s, n);
  if (k == 20 && (iso[4] != '-' || iso[10] != 'T' || iso[19] != 'Z'))
    fail("ad_iso8601: not ISO 8601", iso, 20);
  if (sign(ad_id_cmp(s, half, s + half, n - half)) !=
      -sign(ad_id_cmp(s + half, n - half, s, half)))
    fail("ad_id_cmp is not antisymmetric", s, n);
  (void)ad_hash64(s, n, AD_HASH_INIT);
  check_wrap(s, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  ad_corpus c;
  ad_alloc a;
  fz_heap h;
  unsigned long total;
  int rc;

  /* 1-3: normal scan, two files */
  fz_heap_init(&h, &a, 0);
  ad_corpus_init(&c, &a);
  if (ad_corpus_add_text(&c, "fuzz/one.md", text, size, 0) != AD_OK) abort();
  if (ad_corpus_add_text(&c, "fuzz/two.txt", text + size / 2, size - size / 2, 1) != AD_OK)
    abort();
  check_corpus(&c, 1);
  total = h.nalloc;
  ad_corpus_free(&c);
  fz_heap_check_empty(&h);

  /* 4 */
  check_helpers(text, size);

  /* 5: fail after k allocations, k chosen from the input */
  if (total > 0) {
    unsigned long k = (unsigned long)(ad_hash64(data, size, AD_HASH_INIT) % total);
    fz_heap_init(&h, &a, k + 1);
    ad_corpus_init(&c, &a);
    rc = ad_corpus_add_text(&c, "fuzz/one.md", text, size, 0);
    if (rc == AD_OK)
      rc = ad_corpus_add_text(&c, "fuzz/two.txt", text + size / 2, size - size / 2, 1);
    if (h.failed && rc != AD_ENOMEM) {
      fprintf(stderr, "fuzz_scan: allocation %lu failed but add_text returned %d\n", k + 1, rc);
      abort();
    }
    if (!h.failed && rc != AD_OK) abort();
    h.limit = 0;                  /* the corpus must still be usable and freeable */
    check_corpus(&c, rc == AD_OK);
    ad_corpus_free(&c);
    fz_heap_check_empty(&h);
  }
  return 0;
}
