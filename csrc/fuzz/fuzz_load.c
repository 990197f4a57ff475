/*
** fuzz_load.c: libFuzzer target for the saved-index loader (ad_ix_load_mem)
** and for everything that reads a loaded index.
**
** The first input byte picks a mode:
**   0  the rest of the input is the file, as is (header checks, checksums);
**   1  a valid saved index of the fixtures with the input applied as byte
**      patches (3-byte offset, 1-byte value), then every checksum recomputed:
**      corrupted content that the checksums cannot catch (a crafted file)
**      must still never crash the loader or the readers;
**   2  the rest of the input is the file, with its checksums recomputed
**      when its header allows (to reach the structural checks).
** When the load succeeds, queries, similar papers, id and term look-ups,
** appearances, records (their own bytes read from the fixture files, as
** against the whole files') and the corpus rebuild all run over it, then an
** incremental update (ad_ix_rebuild) over the same files, and the same
** readers over its result; with mode 1 and no effective patch, both must
** answer like the intact index.
** The loaded index must be freed without leaks (LeakSanitizer).
**
** The checksum fix-up reads the saved header through csrc/ad_store.h.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ad_core.h"
#include "ad_index.h"
#include "ad_store.h"
#include "fuzz_index.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fz_index Z;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  static const char *const srcs[] = {"spec/fixtures/fuzz/scan", NULL};
  const char *seeds = getenv("FUZZ_WRITE_SEEDS");
  fz_index_init(&Z, srcs);
  if (seeds) {   /* write seed inputs for the three modes into that folder */
    static const char *const names[] = {"/mode0_intact", "/mode1_nopatch", "/mode2_intact"};
    int m;
    for (m = 0; m < 3; m++) {
      char path[4096];
      FILE *f;
      unsigned char b = (unsigned char)m;
      snprintf(path, sizeof path, "%s%s", seeds, names[m]);
      f = fopen(path, "wb");
      if (!f) { perror(path); exit(1); }
      fwrite(&b, 1, 1, f);
      if (m != 1) fwrite(Z.saved, 1, Z.savedlen, f);
      fclose(f);
    }
    exit(0);
  }
  return 0;
}


/* Recompute the chunk checksums, the table's checksum and the header's. */
static void fix_sums(uint8_t *b, size_t len) {
  ad_fhdr h;
  uint64_t cs, i, end;
  if (len < AD_HDRSIZE) return;
  memcpy(&h, b, sizeof h);
  if (h.chunkshift < 10 || h.chunkshift > 30) return;
  cs = (uint64_t)1 << h.chunkshift;
  if (h.sumsoff < AD_HDRSIZE || h.sumsoff > len || (len - h.sumsoff) % 8 != 0) return;
  h.nchunks = (len - h.sumsoff) / 8;
  if (h.nchunks != (h.sumsoff - AD_HDRSIZE + cs - 1) / cs) return;
  for (i = 0; i < h.nchunks; i++) {
    uint64_t start = AD_HDRSIZE + i * cs, sum;
    end = start + cs < h.sumsoff ? start + cs : h.sumsoff;
    sum = ad_fasthash(b + start, (size_t)(end - start), AD_HASH_INIT);
    memcpy(b + h.sumsoff + i * 8, &sum, 8);
  }
  h.filesize = len;
  h.sumsum = ad_fasthash(b + h.sumsoff, (size_t)(h.nchunks * 8), AD_HASH_INIT);
  h.headsum = ad_fasthash(&h, offsetof(ad_fhdr, headsum), AD_HASH_INIT);
  memcpy(b, &h, sizeof h);
}

/* A record's own bytes (ad_rec_load) against its whole file's
** (ad_file_load): every span readable to its length (ASan sees the rest)
** and the same bytes. Only files of the fixtures are read: a crafted path
** could name anything (a FIFO would wait). */
static void check_rectext(ad_corpus *c, uint32_t r) {
  static const char fix[] = "spec/fixtures/fuzz/scan/";
  const ad_record *rec = &c->recs[r];
  const ad_file *f = &c->files[rec->file];
  const char *own[AD_NSPANS];
  uint64_t h = 0;
  int sid;
  if (strncmp(f->path, fix, sizeof fix - 1) != 0 || strstr(f->path, "..") != NULL) return;
  if (ad_rec_load(c, r) != AD_OK) return;
  for (sid = 0; sid < AD_NSPANS; sid++) {
    own[sid] = ad_rec_span(c, r, sid);
    if (own[sid] == NULL) { fprintf(stderr, "fuzz_load: span %d of a loaded record missing\n", sid); abort(); }
    if (rec->s[sid].len) h = ad_hash64(own[sid], rec->s[sid].len, h);
  }
  (void)h;
  if (f->text != NULL || ad_file_load(c, rec->file) != AD_OK) return;
  for (sid = 0; sid < AD_NSPANS; sid++) {
    const char *whole = ad_rec_span(c, r, sid);
    if (rec->s[sid].len && memcmp(whole, own[sid], rec->s[sid].len) != 0) {
      fprintf(stderr, "fuzz_load: span %d of a record differs from its file's\n", sid);
      abort();
    }
  }
}

static const char *const words[] = {
  "segmentation", "depth", "neural", "video", "learning", "zero-shot", "the"
};

static void mkterm(ad_xnode *n, int type, const char *t) {
  memset(n, 0, sizeof *n);
  n->type = type; n->field = -1; n->text = t; n->len = strlen(t);
}

/* Exercise the readers of a loaded index; return a digest of the answers
** (0 when a reader reported corruption, which is a fine outcome). */
static uint64_t exercise(ad_ix *ix) {
  uint64_t h = AD_HASH_INIT;
  uint32_t i, n, nd = ix->m.ndocs;
  ad_hit hits[20];
  ad_xnode q[4];
  uint32_t kids[2] = {1, 2};
  int err = 0, st;
  for (i = 0; i < sizeof words / sizeof words[0]; i++) {
    mkterm(&q[0], AD_QN_TERM, words[i]);
    st = ad_search(ix, q, 1, 20, AD_SORT_SCORE, hits, &n);
    if (st != AD_OK) return 0;
    h = ad_hash64(hits, n * sizeof(ad_hit), h);
  }
  mkterm(&q[0], AD_QN_OR, "");
  q[0].nkids = 2; q[0].kids = kids;
  mkterm(&q[1], AD_QN_PHRASE, "neural network");
  mkterm(&q[2], AD_QN_DATE, "");
  q[2].a = 20190101; q[2].b = 20201231;
  /* shared by threads from the first block on: no crash (the blocks read
  ** may differ from one thread's, so may the corruption found) */
  (void)ad_search_par(ix, q, 3, 20, AD_SORT_SCORE, 3, 0, hits, &n, NULL);
  st = ad_search(ix, q, 3, 20, AD_SORT_DATE, hits, &n);
  if (st != AD_OK) return 0;
  h = ad_hash64(hits, n * sizeof(ad_hit), h);
  if (ad_count(ix, q, 3, &n) != AD_OK) return 0;
  h = ad_hash64(&n, sizeof n, h);
  if (ad_similar(ix, "depth estimation from defocus", 29, UINT32_MAX, 10, hits, &n) != AD_OK)
    return 0;
  h = ad_hash64(hits, n * sizeof(ad_hit), h);
  for (i = 0; i < nd && i < 64; i++) {
    const ad_ixdoc *d = ad_ix_doc(ix, i);
    const char *id;
    ad_record rec;
    uint32_t k;
    if (d == NULL) return 0;
    id = ad_ix_docid(ix, d);
    if (id == NULL) return 0;
    h = ad_hash64(id, d->idlen, h);
    if (ad_ix_find_id(ix, id, d->idlen, &err) < 0 && err) return 0;
    for (k = 0; k < d->napp && k < 8; k++) {
      uint32_t r = ad_ix_app(ix, d, k);
      if (r == UINT32_MAX) return 0;
      if (ad_ix_rec(ix, r, &rec) != AD_OK) return 0;
    }
  }
  for (i = 0; i < sizeof words / sizeof words[0]; i++) {
    int64_t t = ad_ix_find(ix, words[i], strlen(words[i]), &err);
    if (err) return 0;
    if (t >= 0) {
      const ad_ixterm *tm = ad_ix_term(ix, (uint32_t)t);
      if (tm == NULL || ad_ix_termstr(ix, tm) == NULL) return 0;
    }
    (void)ad_ix_lower(ix, words[i], strlen(words[i]), &err);
    if (err) return 0;
  }
  {
    ad_corpus c;
    ad_corpus_init(&c, &ix->a);
    st = ad_ix_corpus(ix, &c);
    for (i = 0; st == AD_OK && i < ix->m.nrecs && i < 16; i++) {
      st = ad_ix_corpus_rec(ix, &c, i);
      if (st == AD_OK) check_rectext(&c, i);
    }
    /* files without a record, last first (the lazy file table) */
    for (i = ix->m.nfiles; st == AD_OK && i > 0 && i + 16 > ix->m.nfiles; i--)
      st = ad_ix_corpus_file(ix, &c, i - 1);
    ad_ix_corpus_free(ix, &c);
    if (st != AD_OK) return 0;
  }
  return h ? h : 1;
}

static uint64_t good_digest;

/* ad_ix_rebuild over the files of ix, all unchanged (their text is never
** read: the paths are blanked, so a load fails at once instead of reading
** whatever a crafted path names). Returns the digest of the readers over
** the result, 0 when the rebuild reported corruption or a failed load. */
static uint64_t rebuild(ad_ix *ix) {
  ad_corpus c;
  ad_ix nix;
  uint32_t i, *oldfile, nread = 0, bad = UINT32_MAX;
  uint64_t d = 0;
  int st = AD_OK;
  ad_corpus_init(&c, &ad_stdalloc);
  oldfile = (uint32_t *)malloc(((size_t)ix->m.nfiles + 1) * 4);
  if (!oldfile) abort();
  for (i = 0; i < ix->m.nfiles && st == AD_OK; i++) {
    st = ad_ix_corpus_addfile(ix, &c, i, 0);
    if (st == AD_OK) { oldfile[i] = i; c.files[i].path[0] = '\0'; }
  }
  if (st == AD_OK) {
    st = ad_ix_rebuild(&nix, &ad_stdalloc, &c, &ix->m.p, ix, oldfile, &nread, &bad, 1, AD_PAR_MIN);
    if (st == AD_OK) d = exercise(&nix);
    else if (st != AD_ECORRUPT && st != AD_EIO && st != AD_ENOMEM) {
      fprintf(stderr, "fuzz_load: rebuild: unexpected status %d\n", st);
      abort();
    }
    ad_ix_free(&nix);
  } else if (st != AD_ECORRUPT && st != AD_ENOMEM) {
    fprintf(stderr, "fuzz_load: addfile: unexpected status %d\n", st);
    abort();
  }
  ad_corpus_free(&c);
  free(oldfile);
  return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ad_ix ix;
  char why[256];
  uint8_t *buf;
  size_t len;
  int mode, st, changed = 0;
  if (size == 0) return 0;
  if (good_digest == 0) {
    good_digest = exercise(&Z.loaded);
    if (good_digest == 0) { fprintf(stderr, "fuzz_load: the intact index fails\n"); abort(); }
  }
  mode = data[0] % 3;
  data++; size--;
  if (mode == 1) {
    size_t i;
    len = Z.savedlen;
    buf = (uint8_t *)malloc(len);
    if (!buf) abort();
    memcpy(buf, Z.saved, len);
    for (i = 0; i + 4 <= size && i < 4 * 64; i += 4) {
      size_t off = ((size_t)data[i] | (size_t)data[i + 1] << 8 | (size_t)data[i + 2] << 16) % len;
      if (buf[off] != data[i + 3]) changed = 1;
      buf[off] = data[i + 3];
    }
    fix_sums(buf, len);
  } else {
    len = size;
    buf = (uint8_t *)malloc(len ? len : 1);
    if (!buf) abort();
    memcpy(buf, data, len);
    if (mode == 2) fix_sums(buf, len);
  }
  why[0] = '\0';
  st = ad_ix_load_mem(&ix, &ad_stdalloc, buf, len, why, sizeof why);
  if (st == AD_OK) {
    uint64_t d = exercise(&ix);
    if (mode == 1 && !changed && d != good_digest) {
      fprintf(stderr, "fuzz_load: an intact index answered differently\n");
      abort();
    }
    d = rebuild(&ix);
    if (mode == 1 && !changed && d != good_digest) {
      fprintf(stderr, "fuzz_load: the update of an intact index answered differently\n");
      abort();
    }
  } else if (st != AD_EFORMAT && st != AD_ECORRUPT && st != AD_ENOMEM) {
    fprintf(stderr, "fuzz_load: unexpected status %d\n", st);
    abort();
  } else if (why[0] == '\0') {
    fprintf(stderr, "fuzz_load: failure without a reason (status %d)\n", st);
    abort();
  }
  ad_ix_free(&ix);
  free(buf);
  return 0;
}
