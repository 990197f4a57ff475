/*
** ad_store.c: the saved index file (pure C, POSIX I/O).
**
** File: a fixed header (ad_store.h), the sections (8-byte aligned, zero padded), then a
** table of 64-bit checksums, one per 16 KiB chunk of [header end, table).
**   header: magic "ARXIVDGX", format version, byte-order mark, the sizes of
**   the record structs (a file from another platform is refused), the file
**   size, each section's offset and length, the table's offset and chunk
**   count, the table's checksum, and the header's own checksum.
** Saving streams the sections through one chunk-sized buffer (hashing each
** chunk as it is written) into a temporary file in the target directory,
** rewrites the header, fsyncs, renames over the target and fsyncs the
** directory: a crash leaves either the old file or the new one.
** Loading maps the file read-only and checks, in O(1) work: size, magic,
** version, platform, header checksum, table checksum, section bounds and
** the numbers of META (ad_check_meta). Chunks are verified lazily the
** first time any byte in them is read (ad_ix_need), and every other number
** is checked by the accessor that reads it (ad_ixread.c), so corruption
** anywhere surfaces as AD_ECORRUPT before a byte of it is used.
*/
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ad_store.h"

/* {====================================================== save */
typedef struct ad_wr {
  int fd;
  uint8_t *buf; size_t n;        /* current chunk */
  uint64_t *sums; uint64_t nsums;
  uint64_t pos;                  /* file offset of buf[0] */
  int err;
} ad_wr;

static int ad_wr_flush(ad_wr *w) {
  size_t done = 0;
  if (w->n == 0) return 0;
  w->sums[w->nsums++] = ad_fasthash(w->buf, w->n, AD_HASH_INIT);
  while (done < w->n) {
    ssize_t k = write(w->fd, w->buf + done, w->n - done);
    if (k < 0) { if (errno == EINTR) continue; w->err = errno; return -1; }
    done += (size_t)k;
  }
  w->pos += w->n; w->n = 0;
  return 0;
}

static int ad_wr_put(ad_wr *w, const void *p, size_t n) {
  const uint8_t *s = (const uint8_t *)p;
  size_t cs = (size_t)1 << AD_CHUNKSHIFT;
  while (n > 0) {
    size_t k = cs - w->n < n ? cs - w->n : n;
    memcpy(w->buf + w->n, s, k);
    w->n += k; s += k; n -= k;
    if (w->n == cs && ad_wr_flush(w)) return -1;
  }
  return 0;
}

static int ad_write_all(int fd, const void *p, size_t n, off_t at) {
  const uint8_t *s = (const uint8_t *)p;
  while (n > 0) {
    ssize_t k = pwrite(fd, s, n, at);
    if (k < 0) { if (errno == EINTR) continue; return -1; }
    s += k; n -= (size_t)k; at += k;
  }
  return 0;
}

/* Remove the temporary files "<base>.tmp.<pid>.XXXXXX" that earlier saves
** of the same target left in dir when they were killed before their rename:
** those whose process is gone. A live writer's file is never touched. */
static void ad_sweep_tmp(const ad_alloc *a, const char *dir, const char *base) {
  size_t bl = strlen(base), dl = strlen(dir), cap = dl + 300;
  char *full;
  DIR *d;
  struct dirent *de;
  if (bl > 200) return;
  d = opendir(dir);
  if (d == NULL) return;
  full = (char *)ad_malloc(a, cap);
  while (full != NULL && (de = readdir(d)) != NULL) {
    const char *n = de->d_name, *q;
    long pid = 0;
    if (strncmp(n, base, bl) != 0 || strncmp(n + bl, ".tmp.", 5) != 0) continue;
    for (q = n + bl + 5; *q >= '0' && *q <= '9' && pid < 100000000; q++)
      pid = pid * 10 + (*q - '0');
    if (q == n + bl + 5 || *q != '.' || strlen(q + 1) != 6) continue;
    if (pid <= 0 || pid == (long)getpid()) continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;  /* alive, or not ours to know */
    if (dl + 1 + strlen(n) + 1 > cap) continue;
    snprintf(full, cap, "%s/%s", dir, n);
    (void)unlink(full);
  }
  if (full) ad_free(a, full, cap);
  closedir(d);
}

size_t ad_link_target(const char *path, char *out, size_t cap) {
  char got[AD_PATH_MAX];
  size_t pl = strlen(path);
  int hops;
  if (pl >= cap) return 0;
  memcpy(out, path, pl + 1);
  for (hops = 0; hops < 40; hops++) {
    struct stat st;
    ssize_t n;
    const char *slash;
    if (lstat(out, &st) != 0 || !S_ISLNK(st.st_mode)) break;
    n = readlink(out, got, sizeof got - 1);
    if (n <= 0) break;
    got[n] = '\0';
    slash = strrchr(out, '/');
    if (got[0] == '/' || slash == NULL) {
      if ((size_t)n >= cap) return 0;
      memcpy(out, got, (size_t)n + 1);
    } else {                       /* relative: from the link's directory */
      size_t d = (size_t)(slash - out) + 1;
      if (d + (size_t)n >= cap) return 0;
      memcpy(out + d, got, (size_t)n + 1);
    }
  }
  return strlen(out);
}

int ad_ix_save(const ad_ix *ix, const char *path) {
  ad_fhdr h;
  ad_wr w;
  char *tmp = NULL, *dir = NULL;
  const char *slash;
  size_t pl = strlen(path), cs = (size_t)1 << AD_CHUNKSHIFT;
  uint64_t at, body;
  uint8_t zero[AD_HDRSIZE];
  int s, st = AD_EIO, e = 0;
  const ad_alloc *a = &ix->a;
  struct stat ps;
  char target[AD_PATH_MAX];
  /* through a symbolic link, what it points at is replaced, not the link */
  if (ad_link_target(path, target, sizeof target) == 0) { errno = ENAMETOOLONG; return AD_EIO; }
  path = target;
  pl = strlen(path);
  /* the file is replaced by a rename: never rename over what is not a
  ** regular file (a FIFO, /dev/null: run as root, that would replace the
  ** device node itself) */
  if (stat(path, &ps) == 0 && !S_ISREG(ps.st_mode)) {
    errno = S_ISDIR(ps.st_mode) ? EISDIR : S_ISCHR(ps.st_mode) ? AD_ERRNO_CHARDEV
          : S_ISBLK(ps.st_mode) ? AD_ERRNO_BLOCKDEV
          : S_ISFIFO(ps.st_mode) ? AD_ERRNO_FIFO : AD_ERRNO_NOTREG;
    return AD_EIO;
  }
  memset(&w, 0, sizeof w);
  w.fd = -1;
  memset(&h, 0, sizeof h);
  memset(zero, 0, sizeof zero);
  memcpy(h.magic, AD_MAGIC, 8);
  h.version = AD_FORMAT_VERSION; h.bom = AD_BOM;
  h.szrec = sizeof(ad_record); h.szdoc = sizeof(ad_ixdoc);
  h.szterm = sizeof(ad_ixterm); h.chunkshift = AD_CHUNKSHIFT;
  at = AD_HDRSIZE;
  for (s = 0; s < AD_NSEC; s++) {
    h.off[s] = at; h.len[s] = ix->seclen[s];
    at += (ix->seclen[s] + 7) & ~(uint64_t)7;
  }
  body = at;
  h.sumsoff = body;
  h.nchunks = (body - AD_HDRSIZE + cs - 1) / cs;
  h.filesize = body + h.nchunks * 8;
  tmp = (char *)ad_malloc(a, pl + 32);
  dir = (char *)ad_malloc(a, pl + 2);
  w.buf = (uint8_t *)ad_malloc(a, cs);
  w.sums = (uint64_t *)ad_malloc(a, (size_t)(h.nchunks ? h.nchunks : 1) * 8);
  if (!tmp || !dir || !w.buf || !w.sums) { st = AD_ENOMEM; goto fail; }
  slash = strrchr(path, '/');
  if (slash == NULL) strcpy(dir, ".");
  else if (slash == path) strcpy(dir, "/");
  else { memcpy(dir, path, (size_t)(slash - path)); dir[slash - path] = 0; }
  ad_sweep_tmp(a, dir, slash ? slash + 1 : path);
  snprintf(tmp, pl + 32, "%s.tmp.%ld.XXXXXX", path, (long)getpid());
  w.fd = mkstemp(tmp);
  if (w.fd < 0) { e = errno; tmp[0] = 0; goto fail; }
  {                                 /* mkstemp makes 0600: use the umask */
    mode_t um = umask(0);
    umask(um);
    if (fchmod(w.fd, 0666 & ~um)) { e = errno; goto fail; }
  }
  if (ad_write_all(w.fd, zero, AD_HDRSIZE, 0)) { e = errno; goto fail; }
  if (lseek(w.fd, (off_t)AD_HDRSIZE, SEEK_SET) < 0) { e = errno; goto fail; }
  w.pos = AD_HDRSIZE;
  for (s = 0; s < AD_NSEC; s++) {
    size_t pad = (size_t)(((ix->seclen[s] + 7) & ~(uint64_t)7) - ix->seclen[s]);
    if (ix->seclen[s] && ad_wr_put(&w, ix->sec[s], (size_t)ix->seclen[s])) { e = w.err; goto fail; }
    if (pad && ad_wr_put(&w, zero, pad)) { e = w.err; goto fail; }
  }
  if (ad_wr_flush(&w)) { e = w.err; goto fail; }
  if (w.nsums != h.nchunks) { e = EIO; goto fail; }
  if (h.nchunks && ad_write_all(w.fd, w.sums, (size_t)h.nchunks * 8, (off_t)body)) { e = errno; goto fail; }
  h.sumsum = ad_fasthash(w.sums, (size_t)h.nchunks * 8, AD_HASH_INIT);
  h.headsum = ad_fasthash(&h, offsetof(ad_fhdr, headsum), AD_HASH_INIT);
  if (ad_write_all(w.fd, &h, sizeof h, 0)) { e = errno; goto fail; }
  if (fsync(w.fd)) { e = errno; goto fail; }
  if (close(w.fd)) { w.fd = -1; e = errno; goto fail; }
  w.fd = -1;
  if (rename(tmp, path)) { e = errno; goto fail; }
  tmp[0] = 0;
  /* fsync the directory so the rename is durable */
  {
    int dfd = open(dir, O_RDONLY);
    if (dfd >= 0) { (void)fsync(dfd); close(dfd); }
  }
  st = AD_OK;
fail:
  if (w.fd >= 0) close(w.fd);
  if (tmp && tmp[0]) unlink(tmp);
  if (tmp) ad_free(a, tmp, pl + 32);
  if (dir) ad_free(a, dir, pl + 2);
  if (w.buf) ad_free(a, w.buf, cs);
  if (w.sums) ad_free(a, w.sums, (size_t)(h.nchunks ? h.nchunks : 1) * 8);
  if (st == AD_EIO) errno = e ? e : EIO;
  return st;
}
/* }====================================================== */

/* {====================================================== load */
static int ad_why(char *why, size_t wl, int code, const char *msg) {
  if (why && wl) snprintf(why, wl, "%s", msg);
  return code;
}

/* The numbers of META, checked once at load (O(1)): the counts against
** the section sizes and each other, the BM25F parameters finite and in the
** ranges a build accepts (ad_ixparams_check), the average field lengths
** finite and within what 16-bit lengths can average. What the other
** sections hold is checked by the accessors that read it (ad_ix_doc, ...). */
static int ad_check_meta(ad_ix *ix, char *why, size_t whylen) {
  const ad_ixmeta *m = &ix->m;
  int f;
  if (ix->seclen[AD_SEC_DOCS] != (uint64_t)m->ndocs * sizeof(ad_ixdoc)
      || ix->seclen[AD_SEC_IDS] != (uint64_t)m->ndocs * 4
      || ix->seclen[AD_SEC_TERMS] != (uint64_t)m->nterms * sizeof(ad_ixterm)
      || ix->seclen[AD_SEC_APPS] != (uint64_t)m->napps * 4
      || ix->seclen[AD_SEC_FILES] != (uint64_t)m->nfiles * sizeof(ad_ixfile)
      || ix->seclen[AD_SEC_RECS] != (uint64_t)m->nrecs * sizeof(ad_ixrec)
      || ix->seclen[AD_SEC_RECBIG] % sizeof(ad_record) != 0
      || ix->seclen[AD_SEC_DATES] % sizeof(ad_ixdate) != 0)
    return ad_why(why, whylen, AD_ECORRUPT, "corrupted index (counts do not match sections)");
  /* every doc has an appearance, every appearance is a record, a doc
  ** has at most one date row per appearance, a big record is a record */
  if (m->ndocs > m->napps || m->napps > m->nrecs
      || ix->seclen[AD_SEC_DATES] / sizeof(ad_ixdate) > m->napps
      || ix->seclen[AD_SEC_RECBIG] / sizeof(ad_record) > m->nrecs)
    return ad_why(why, whylen, AD_ECORRUPT, "corrupted index (counts)");
  if (ad_ixparams_check(&m->p) != NULL)
    return ad_why(why, whylen, AD_ECORRUPT, "corrupted index (parameters)");
  for (f = 0; f < AD_NFIELDS; f++)
    if (!(m->avglen[f] >= 0 && m->avglen[f] <= 65535))
      return ad_why(why, whylen, AD_ECORRUPT, "corrupted index (average field lengths)");
  return AD_OK;
}

int ad_ix_load_mem(ad_ix *ix, const ad_alloc *a, const void *buf, size_t len,
                   char *why, size_t whylen) {
  ad_fhdr h;
  const uint8_t *b = (const uint8_t *)buf;
  uint64_t cs, prev;
  int s;
  const ad_ixmeta *m;
  memset(ix, 0, sizeof *ix);
  ix->a = *a;
  if (len == 0) return ad_why(why, whylen, AD_EFORMAT, "empty file, not an index");
  if (len < 8 || memcmp(b, AD_MAGIC, 8) != 0)
    return ad_why(why, whylen, AD_EFORMAT, "not an arxivdigest index (bad magic)");
  if (len < AD_HDRSIZE)
    return ad_why(why, whylen, AD_ECORRUPT, "truncated index (shorter than its header)");
  memcpy(&h, b, sizeof h);
  if (h.version != AD_FORMAT_VERSION) {
    char msg[96];
    snprintf(msg, sizeof msg, "unsupported index format version %u (expected %u)",
             (unsigned)h.version, AD_FORMAT_VERSION);
    return ad_why(why, whylen, AD_EFORMAT, msg);
  }
  if (ad_fasthash(&h, offsetof(ad_fhdr, headsum), AD_HASH_INIT) != h.headsum)
    return ad_why(why, whylen, AD_ECORRUPT, "corrupted index (header checksum mismatch)");
  if (h.bom != AD_BOM || h.szrec != sizeof(ad_record) || h.szdoc != sizeof(ad_ixdoc)
      || h.szterm != sizeof(ad_ixterm))
    return ad_why(why, whylen, AD_EFORMAT, "index written on an incompatible platform");
  if (h.filesize != len) {
    char msg[128];
    snprintf(msg, sizeof msg, "truncated or extended index (%llu bytes, header says %llu)",
             (unsigned long long)len, (unsigned long long)h.filesize);
    return ad_why(why, whylen, AD_ECORRUPT, msg);
  }
  if (h.chunkshift < 10 || h.chunkshift > 30)
    return ad_why(why, whylen, AD_ECORRUPT, "corrupted index (chunk size)");
  cs = (uint64_t)1 << h.chunkshift;
  if (h.sumsoff < AD_HDRSIZE || h.sumsoff > len || (len - h.sumsoff) / 8 != h.nchunks
      || (len - h.sumsoff) % 8 != 0 || h.nchunks != (h.sumsoff - AD_HDRSIZE + cs - 1) / cs)
    return ad_why(why, whylen, AD_ECORRUPT, "corrupted index (checksum table)");
  if (ad_fasthash(b + h.sumsoff, (size_t)(h.nchunks * 8), AD_HASH_INIT) != h.sumsum)
    return ad_why(why, whylen, AD_ECORRUPT, "corrupted index (checksum table mismatch)");
  prev = AD_HDRSIZE;
  for (s = 0; s < AD_NSEC; s++) {
    if (h.off[s] != prev || h.len[s] > h.sumsoff - h.off[s] || (h.off[s] & 7))
      return ad_why(why, whylen, AD_ECORRUPT, "corrupted index (section table)");
    prev = h.off[s] + ((h.len[s] + 7) & ~(uint64_t)7);
    ix->sec[s] = b + h.off[s];
    ix->seclen[s] = h.len[s];
    ix->secoff[s] = h.off[s];
  }
  if (prev != h.sumsoff)
    return ad_why(why, whylen, AD_ECORRUPT, "corrupted index (section table)");
  ix->base = b;
  ix->chunkbase = AD_HDRSIZE; ix->bodylen = h.sumsoff;
  ix->chunkshift = h.chunkshift; ix->nchunks = (uint32_t)h.nchunks;
  ix->sums = (const uint64_t *)(b + h.sumsoff);
  ix->verified = (uint8_t *)ad_malloc(a, ix->nchunks ? ix->nchunks : 1);
  if (ix->verified == NULL) return ad_why(why, whylen, AD_ENOMEM, "not enough memory");
  memset(ix->verified, 0, ix->nchunks ? ix->nchunks : 1);
  ix->lazy = 1;
  if (ix->seclen[AD_SEC_META] != sizeof(ad_ixmeta) ||
      ad_ix_need(ix, AD_SEC_META, 0, sizeof(ad_ixmeta)))
    return ad_why(why, whylen, AD_ECORRUPT, "corrupted index (metadata)");
  m = (const ad_ixmeta *)ix->sec[AD_SEC_META];
  ix->m = *m;
  return ad_check_meta(ix, why, whylen);
}

int ad_file_open_ro(const char *path, uint64_t *size, int *regular) {
  struct stat sb;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (fstat(fd, &sb)) { int e = errno; close(fd); errno = e; return -1; }
  if (S_ISDIR(sb.st_mode)) { close(fd); errno = EISDIR; return -1; }
  *size = sb.st_size > 0 ? (uint64_t)sb.st_size : 0;
  *regular = S_ISREG(sb.st_mode) != 0;
  return fd;
}

int ad_ix_load(ad_ix *ix, const ad_alloc *a, const char *path, char *why,
               size_t whylen) {
  int fd, st, regular;
  uint64_t size;
  void *map;
  memset(ix, 0, sizeof *ix);
  ix->a = *a;
  fd = ad_file_open_ro(path, &size, &regular);
  if (fd < 0) return AD_EIO;
  if (size == 0) { close(fd); return ad_why(why, whylen, AD_EFORMAT, "empty file, not an index"); }
  map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) { int e = errno; close(fd); errno = e; return AD_EIO; }
  close(fd);
  st = ad_ix_load_mem(ix, a, map, (size_t)size, why, whylen);
  ix->map = map; ix->maplen = (size_t)size;
  if (st != AD_OK) ad_ix_free(ix);
  return st;
}
/* }====================================================== */

/* {====================================================== corpus of a loaded index */
/* The file table of a loaded index is read lazily, like its other
** sections: ad_ix_corpus allocates c->files without touching it, and file
** fi is checked and copied in (its checksummed chunks verified, its path
** copied) the first time a record of it is expanded (ad_ix_corpus_rec) or
** ad_ix_corpus_file asks for it; ix->filedone says which are. Loading an
** index of 156,000 files no longer hashes and copies the whole table. */
int ad_ix_corpus_file(ad_ix *ix, ad_corpus *c, uint32_t fi) {
  const ad_ixfile *xf;
  ad_file *f;
  char *path;
  if (fi >= ix->nfiledone || fi >= c->nfiles) return AD_ECORRUPT;
  if (ix->filedone[fi >> 3] & (1u << (fi & 7))) return AD_OK;
  if ((xf = ad_ix_file(ix, fi)) == NULL
      || ad_ix_need(ix, AD_SEC_FSTR, xf->path, xf->pathlen))
    return AD_ECORRUPT;
  path = (char *)ad_malloc(&c->a, (size_t)xf->pathlen + 1);
  if (path == NULL) return AD_ENOMEM;
  memcpy(path, ix->sec[AD_SEC_FSTR] + xf->path, xf->pathlen);
  path[xf->pathlen] = 0;
  f = &c->files[fi];
  memset(f, 0, sizeof *f);
  f->path = path;
  f->pathlen = xf->pathlen;
  f->size = xf->size; f->mtime = xf->mtime;
  f->hash = xf->hash; f->hashed = 1;
  f->first = xf->first; f->nrec = xf->nrec;
  f->format = (uint8_t)xf->format;
  ix->filedone[fi >> 3] |= (uint8_t)(1u << (fi & 7));
  return AD_OK;
}

int ad_ix_corpus(ad_ix *ix, ad_corpus *c) {
  uint32_t nf = ix->m.nfiles;
  if (nf) {
    ix->filedone = (uint8_t *)ad_malloc(&ix->a, ((size_t)nf + 7) / 8);
    if (ix->filedone == NULL) return AD_ENOMEM;
    memset(ix->filedone, 0, ((size_t)nf + 7) / 8);
    ix->nfiledone = nf;
    /* not touched: each entry is written by ad_ix_corpus_file */
    c->files = (ad_file *)ad_malloc(&c->a, (size_t)nf * sizeof(ad_file));
    if (c->files == NULL) return AD_ENOMEM;
    c->capfiles = nf;
    c->nfiles = nf;
  }
  /* records are expanded one at a time on first use (ad_ix_corpus_rec):
  ** the array is allocated, not touched */
  if (ix->m.nrecs) {
    c->recs = (ad_record *)ad_malloc(&c->a, (size_t)ix->m.nrecs * sizeof(ad_record));
    if (c->recs == NULL) return AD_ENOMEM;
    c->caprecs = ix->m.nrecs;
    ix->recdone = (uint8_t *)ad_malloc(&ix->a, ((size_t)ix->m.nrecs + 7) / 8);
    if (ix->recdone == NULL) return AD_ENOMEM;
    ix->nrecdone = ix->m.nrecs;
    memset(ix->recdone, 0, ((size_t)ix->m.nrecs + 7) / 8);
  }
  c->nrecs = ix->m.nrecs;
  return AD_OK;
}

int ad_ix_corpus_rec(ad_ix *ix, ad_corpus *c, uint32_t r) {
  int st;
  if (r >= ix->nrecdone || r >= c->nrecs) return AD_ECORRUPT;
  if (ix->recdone[r >> 3] & (1u << (r & 7))) return AD_OK;
  st = ad_ix_rec(ix, r, &c->recs[r]);
  if (st == AD_OK) st = ad_ix_corpus_file(ix, c, c->recs[r].file);
  if (st != AD_OK) return st;
  ix->recdone[r >> 3] |= (uint8_t)(1u << (r & 7));
  return AD_OK;
}

int ad_ix_corpus_addfile(ad_ix *ix, ad_corpus *c, uint32_t fi, int64_t mtime) {
  const ad_ixfile *xf;
  ad_file *f;
  uint32_t k, first;
  if ((xf = ad_ix_file(ix, fi)) == NULL
      || ad_ix_need(ix, AD_SEC_FSTR, xf->path, xf->pathlen)
      || (uint64_t)c->nrecs + xf->nrec > UINT32_MAX - 1)
    return AD_ECORRUPT;
  if (ad_grow(&c->a, (void **)&c->files, &c->capfiles, c->nfiles + 1, sizeof(ad_file))
      || ad_grow(&c->a, (void **)&c->recs, &c->caprecs, c->nrecs + xf->nrec + 1,
                 sizeof(ad_record)))
    return AD_ENOMEM;
  f = &c->files[c->nfiles];
  memset(f, 0, sizeof *f);
  f->path = (char *)ad_malloc(&c->a, xf->pathlen + 1);
  if (f->path == NULL) return AD_ENOMEM;
  memcpy(f->path, ix->sec[AD_SEC_FSTR] + xf->path, xf->pathlen);
  f->path[xf->pathlen] = 0;
  f->pathlen = xf->pathlen;
  f->size = xf->size; f->mtime = mtime;
  f->hash = xf->hash; f->hashed = 1;
  f->format = (uint8_t)xf->format;
  first = f->first = c->nrecs;
  c->nfiles++;             /* the corpus owns the path from here on */
  for (k = 0; k < xf->nrec; k++) {
    ad_record *r = &c->recs[first + k];
    int st = ad_ix_rec(ix, xf->first + k, r);
    if (st != AD_OK) return st;
    if (r->file != fi) return AD_ECORRUPT;
    r->file = c->nfiles - 1;
  }
  f->nrec = xf->nrec;
  c->nrecs = first + xf->nrec;
  return AD_OK;
}

void ad_ix_corpus_free(ad_ix *ix, ad_corpus *c) {
  uint32_t i;
  /* entries never filled in hold nothing to free (and were not written) */
  for (i = 0; i < c->nfiles; i++)
    if (i >= ix->nfiledone || !(ix->filedone[i >> 3] & (1u << (i & 7)))) {
      c->files[i].path = NULL;
      c->files[i].text = NULL;
      c->files[i].textowned = 0;
    }
  ad_corpus_free(c);
  if (ix->filedone) ad_free(&ix->a, ix->filedone, ((size_t)ix->nfiledone + 7) / 8);
  ix->filedone = NULL;
  ix->nfiledone = 0;
}
/* }====================================================== */
