/*
** ad_corpus.c: the corpus: allocation, source files, warnings, reading
** files and walking directories. Pure C (POSIX).
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif
#include "ad_core.h"

/* {====================================================== errors */
const char *ad_strerror(int e) {
  switch (e) {
    case AD_ERRNO_CHARDEV: return "not a regular file (a character device)";
    case AD_ERRNO_BLOCKDEV: return "not a regular file (a block device)";
    case AD_ERRNO_NOTREG: return "not a regular file";
    case AD_ERRNO_FIFO: return "not a regular file (a named pipe)";
    case AD_ERRNO_NOWRITER:
      return "a named pipe that no process writes to (waited 3 s)";
    default: return strerror(e);
  }
}

int ad_errno(int e) { return e > 0xffff ? e & 0xffff : e; }
/* }====================================================== */

/* {====================================================== allocation */
static void *ad_std_allocf(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud; (void)osize;
  if (nsize == 0) { free(ptr); return NULL; }
  return realloc(ptr, nsize);
}

const ad_alloc ad_stdalloc = { ad_std_allocf, NULL };

void *ad_malloc(const ad_alloc *a, size_t n) {
  if (n == 0) n = 1;
  return a->f(a->ud, NULL, 0, n);
}

void *ad_realloc(const ad_alloc *a, void *p, size_t on, size_t nn) {
  if (nn == 0) nn = 1;
  return a->f(a->ud, p, p ? on : 0, nn);
}

void ad_free(const ad_alloc *a, void *p, size_t n) {
  if (p) a->f(a->ud, p, n, 0);
}

int ad_grow(const ad_alloc *a, void **p, uint32_t *cap, uint32_t need,
            size_t sz) {
  size_t ncap;
  void *np;
  if (need <= *cap) return AD_OK;
  ncap = *cap ? (size_t)*cap * 2 : 16;
  if (ncap < need) ncap = need;
  if (ncap > UINT32_MAX) ncap = UINT32_MAX;
  if (ncap < need || ncap > SIZE_MAX / sz) return AD_ENOMEM;
  np = ad_realloc(a, *p, (size_t)*cap * sz, ncap * sz);
  if (np == NULL) return AD_ENOMEM;
  *p = np;
  *cap = (uint32_t)ncap;
  return AD_OK;
}
/* }====================================================== */

/* {====================================================== corpus */
void ad_corpus_init(ad_corpus *c, const ad_alloc *a) {
  memset(c, 0, sizeof *c);
  c->a = a ? *a : ad_stdalloc;
}

void ad_corpus_free(ad_corpus *c) {
  uint32_t i;
  for (i = 0; i < c->nfiles; i++) {
    ad_file *f = &c->files[i];
    ad_free(&c->a, f->path, f->pathlen + 1);
    if (f->textowned == 1) ad_free(&c->a, f->text, f->len + 1);
  }
  for (i = 0; i < c->nwarns; i++) {
    ad_free(&c->a, c->warns[i].msg, strlen(c->warns[i].msg) + 1);
    if (c->warns[i].src)
      ad_free(&c->a, c->warns[i].src, strlen(c->warns[i].src) + 1);
  }
  while (c->chunks) {  /* a chunk's header is in its own mapping */
    ad_chunk *k = c->chunks;
    c->chunks = k->next;
    munmap(k->base, k->maplen);
  }
  while (c->rchunks) {
    ad_chunk *k = c->rchunks;
    c->rchunks = k->next;
    munmap(k->base, k->maplen);
  }
  if (c->rblk) {
    for (i = 0; i < c->nrblk; i++)
      if (c->rblk[i]) ad_free(&c->a, c->rblk[i], sizeof(struct ad_rblock));
    ad_free(&c->a, c->rblk, (size_t)c->nrblk * sizeof *c->rblk);
  }
  for (i = 0; i < AD_RFILES; i++)
    if (c->rfile[i].buf) ad_free(&c->a, c->rfile[i].buf, c->rfile[i].cap);
  ad_free(&c->a, c->files, (size_t)c->capfiles * sizeof(ad_file));
  ad_free(&c->a, c->recs, (size_t)c->caprecs * sizeof(ad_record));
  ad_free(&c->a, c->warns, (size_t)c->capwarns * sizeof(ad_warning));
  memset(c, 0, sizeof *c);
}

int ad_corpus_warn(ad_corpus *c, uint32_t file, uint32_t line,
                   const char *fmt, ...) {
  va_list ap;
  int r;
  va_start(ap, fmt);
  r = ad_corpus_vwarn(c, file, line, fmt, ap);
  va_end(ap);
  return r;
}

int ad_corpus_vwarn(ad_corpus *c, uint32_t file, uint32_t line,
                    const char *fmt, va_list ap) {
  char buf[512];
  int n;
  char *msg;
  if (ad_grow(&c->a, (void **)&c->warns, &c->capwarns, c->nwarns + 1,
              sizeof(ad_warning)))
    return AD_ENOMEM;
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
  msg = (char *)ad_malloc(&c->a, (size_t)n + 1);
  if (msg == NULL) return AD_ENOMEM;
  memcpy(msg, buf, (size_t)n);
  msg[n] = '\0';
  c->warns[c->nwarns].src = NULL;
  c->warns[c->nwarns].file = file;
  c->warns[c->nwarns].line = line;
  c->warns[c->nwarns].msg = msg;
  c->nwarns++;
  return AD_OK;
}

/* Append a file entry named `name`; returns its index via *fi. */
int ad_corpus_new_file(ad_corpus *c, const char *name, uint32_t *fi) {
  ad_file *f;
  size_t n = strlen(name);
  char *path;
  if (ad_grow(&c->a, (void **)&c->files, &c->capfiles, c->nfiles + 1,
              sizeof(ad_file)))
    return AD_ENOMEM;
  path = (char *)ad_malloc(&c->a, n + 1);
  if (path == NULL) return AD_ENOMEM;
  memcpy(path, name, n + 1);
  f = &c->files[c->nfiles];
  memset(f, 0, sizeof *f);
  f->path = path;
  f->pathlen = n;
  f->first = c->nrecs;
  *fi = c->nfiles++;
  return AD_OK;
}

int ad_corpus_add_text(ad_corpus *c, const char *name, const char *text,
                       size_t len, int copy) {
  uint32_t fi;
  int st;
  ad_file *f;
  if ((st = ad_corpus_new_file(c, name, &fi)) != AD_OK) return st;
  f = &c->files[fi];
  f->size = len;
  if ((uint64_t)len > AD_MAX_FILE_SIZE) {
    return ad_corpus_warn(c, fi, 0,
        "file too large (%llu bytes; the limit is 2 GiB): skipped",
        (unsigned long long)len);
  }
  if (copy) {
    char *t = (char *)ad_malloc(&c->a, len + 1);
    if (t == NULL) return AD_ENOMEM;
    memcpy(t, text, len);
    t[len] = '\0';
    f = &c->files[fi];
    f->text = t;
    f->textowned = 1;
  } else {
    f->text = (char *)text;
  }
  f->len = len;
  return ad_scan(c, fi);
}

/* Files up to AD_ARENA_MAX are read into arena chunks of AD_CHUNK bytes,
** aligned on 2 MiB and advised to use transparent huge pages; bigger files
** get a buffer of their own (never a mapping of the file: see ad_read_file). */
#define AD_CHUNK ((size_t)64 << 20)
#define AD_ARENA_MAX ((size_t)16 << 20)
#define AD_HUGE ((size_t)2 << 20)

/* A new chunk of cap bytes starting on a 2 MiB boundary (cap a multiple
** of 8, at most 2 GiB), or NULL. Its header is at the start of the mapping,
** before the boundary: no allocator is used (worker threads call this). */
static ad_chunk *ad_chunk_new(size_t cap) {
  size_t maplen = cap + AD_HUGE;
  char *base;
  uintptr_t al;
  ad_chunk *k;
  base = (char *)mmap(NULL, maplen, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return NULL;
  /* base is page-aligned: the header fits before the next boundary */
  al = ((uintptr_t)base + sizeof *k + AD_HUGE - 1) & ~(uintptr_t)(AD_HUGE - 1);
#ifdef MADV_HUGEPAGE
  madvise((void *)al, cap, MADV_HUGEPAGE);
#endif
  k = (ad_chunk *)(void *)base;
  k->next = NULL;
  k->base = base;
  k->maplen = maplen;
  k->data = (char *)al;
  k->cap = cap;
  k->used = 0;
  return k;
}

/* Room for n bytes in the arena, or NULL (then the caller falls back). */
static char *ad_arena_take(ad_corpus *c, size_t n) {
  ad_chunk *k = c->chunks;
  if (k == NULL || k->cap - k->used < n) {
    k = ad_chunk_new(AD_CHUNK);
    if (k == NULL) return NULL;
    k->next = c->chunks;
    c->chunks = k;
  }
  k->used += n;
  return k->data + k->used - n;
}

/* A full chunk of its own for n bytes, or NULL. It goes second in the list:
** the first stays the arena's current chunk. */
static char *ad_own_chunk(ad_corpus *c, size_t n) {
  ad_chunk *k = ad_chunk_new(n);
  if (k == NULL) return NULL;
  k->used = n;
  if (c->chunks) {
    k->next = c->chunks->next;
    c->chunks->next = k;
  } else {
    c->chunks = k;
  }
  return k->data;
}

/* Is fd an anonymous pipe (stdin's, <(...)), not a named one? */
static int ad_anon_pipe(int fd) {
#ifdef __linux__
  struct statfs s;
  return fstatfs(fd, &s) == 0 && s.f_type == 0x50495045;  /* PIPEFS_MAGIC */
#else
  (void)fd;
  return 0;
#endif
}

/* Read the whole file at path. *mapped tells where the text lives: 0 = a
** fresh NUL-terminated buffer of the corpus allocator, 3 = an arena chunk
** (NUL-terminated). A file too big for the arena gets a buffer, or a chunk
** of its own when ownchunk != 0.
**
** What is read: a regular file; a pipe named explicitly (stdin,
** /dev/stdin, /dev/fd/N, <(...), a FIFO made by mkfifo), to its end; and
** stdin whatever it is (a terminal too). Anything else is refused with an
** AD_ERRNO_* (ad_core.h): a device (/dev/zero would never end), a socket.
** The file is opened without blocking, so that a FIFO without a writer
** cannot hang the open: a named pipe that no process has open for writing
** is waited for up to AD_PIPE_WAIT_MS, then refused (AD_ERRNO_NOWRITER);
** once a writer is there, reading waits for it like cat(1) does. (An
** anonymous pipe whose writer has gone is simply at its end.) Directory
** walks list regular files only. */
static int ad_read_file(ad_corpus *c, const char *path, char **text,
                        size_t *len, struct stat *st, int *mapped,
                        int ownchunk) {
  int fd, e, isstdin = 0;
  char *buf;
  size_t got = 0, asz;
  *text = NULL;
  *len = 0;
  *mapped = 0;
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return AD_EIO;
  if (fstat(fd, st) != 0) goto ioerr;
  if (S_ISDIR(st->st_mode)) { errno = EISDIR; goto ioerr; }
  if (!S_ISREG(st->st_mode)) {
    struct stat in;
    isstdin = fstat(0, &in) == 0 && in.st_dev == st->st_dev &&
              in.st_ino == st->st_ino;
    if (!isstdin && !S_ISFIFO(st->st_mode)) {
      errno = S_ISCHR(st->st_mode) ? AD_ERRNO_CHARDEV
            : S_ISBLK(st->st_mode) ? AD_ERRNO_BLOCKDEV : AD_ERRNO_NOTREG;
      goto ioerr;
    }
  }
  if ((uint64_t)st->st_size > AD_MAX_FILE_SIZE) { close(fd); return AD_ETOOBIG; }
  if (!S_ISREG(st->st_mode)) {  /* a pipe, /dev/stdin, <(...): read to EOF */
    size_t cap = 65536;
    /* waited: a writer was seen (data, none yet, or its end); an end-of-file
    ** before that is a named pipe without a writer */
    int waited = isstdin || !S_ISFIFO(st->st_mode) || ad_anon_pipe(fd);
    int timedout = 0;
    buf = (char *)ad_malloc(&c->a, cap);
    if (buf == NULL) { close(fd); return AD_ENOMEM; }
    for (;;) {
      ssize_t r;
      struct pollfd pf;
      if (got + 1 == cap) {
        char *nb;
        if ((uint64_t)cap > AD_MAX_FILE_SIZE) {
          ad_free(&c->a, buf, cap);
          close(fd);
          return AD_ETOOBIG;
        }
        nb = (char *)ad_realloc(&c->a, buf, cap, cap * 2);
        if (nb == NULL) { ad_free(&c->a, buf, cap); close(fd); return AD_ENOMEM; }
        buf = nb;
        cap *= 2;
      }
      r = read(fd, buf + got, cap - 1 - got);
      pf.fd = fd;
      pf.events = POLLIN;
      pf.revents = 0;
      if (r == 0 && !waited && got == 0) {   /* no writer yet: wait for one */
        if (timedout) e = AD_ERRNO_NOWRITER;
        else {
          int n = poll(&pf, 1, AD_PIPE_WAIT_MS);
          if (n > 0) waited = 1;
          /* after the wait, one more read: a writer that has not written
          ** yet reads EAGAIN */
          if (n == 0) timedout = 1;
          if (n >= 0 || errno == EINTR) continue;
          e = errno;
        }
        ad_free(&c->a, buf, cap);
        close(fd);
        errno = e;
        return AD_EIO;
      }
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        waited = 1;                          /* a writer, no data yet */
        if (poll(&pf, 1, -1) >= 0 || errno == EINTR) continue;
      }
      if (r < 0) {
        if (errno == EINTR) continue;
        e = errno;
        ad_free(&c->a, buf, cap);
        close(fd);
        errno = e;
        return AD_EIO;
      }
      if (r == 0) break;
      got += (size_t)r;
    }
    close(fd);
    if (got + 1 < cap) {  /* keep the allocation size exact: freed with len + 1 */
      char *nb = (char *)ad_realloc(&c->a, buf, cap, got + 1);
      if (nb == NULL) { ad_free(&c->a, buf, cap); return AD_ENOMEM; }
      buf = nb;
    }
    buf[got] = '\0';
    st->st_size = (off_t)got;  /* what was read is the file's size */
    *text = buf;
    *len = got;
    return AD_OK;
  }
  asz = (size_t)st->st_size + 1;
  if ((asz <= AD_ARENA_MAX &&
       (buf = ad_arena_take(c, (asz + 7) & ~(size_t)7)) != NULL) ||
      (asz > AD_ARENA_MAX && ownchunk &&
       (buf = ad_own_chunk(c, (asz + 7) & ~(size_t)7)) != NULL)) {
    while (got < (size_t)st->st_size) {
      ssize_t r = read(fd, buf + got, (size_t)st->st_size - got);
      if (r < 0) {
        if (errno == EINTR) continue;
        e = errno;
        close(fd);
        errno = e;
        return AD_EIO;  /* the arena space is simply not reused */
      }
      if (r == 0) break;
      got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *text = buf;
    *len = got;
    *mapped = 3;
    return AD_OK;
  }
  /* a large file is read too, not mapped: a file truncated by another
  ** program while mapped would crash the reader (SIGBUS) */
  buf = (char *)ad_malloc(&c->a, (size_t)st->st_size + 1);
  if (buf == NULL) { close(fd); return AD_ENOMEM; }
  while (got < (size_t)st->st_size) {
    ssize_t r = read(fd, buf + got, (size_t)st->st_size - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      e = errno;
      ad_free(&c->a, buf, (size_t)st->st_size + 1);
      close(fd);
      errno = e;
      return AD_EIO;
    }
    if (r == 0) break;  /* file shrank while reading */
    got += (size_t)r;
  }
  close(fd);
  if (got < (size_t)st->st_size) {  /* keep the allocation size exact */
    char *nb = (char *)ad_realloc(&c->a, buf, (size_t)st->st_size + 1, got + 1);
    if (nb == NULL) { ad_free(&c->a, buf, (size_t)st->st_size + 1); return AD_ENOMEM; }
    buf = nb;
  }
  buf[got] = '\0';
  *text = buf;
  *len = got;
  return AD_OK;
ioerr:
  e = errno;
  close(fd);
  errno = e;
  return AD_EIO;
}

int ad_corpus_read(ad_corpus *c, const char *path, char **text, size_t *len,
                   uint64_t *size, int64_t *mtime, int *owned, int ownchunk) {
  struct stat st;
  int mapped = 0;
  int r = ad_read_file(c, path, text, len, &st, &mapped, ownchunk);
  *owned = mapped ? mapped : 1;
  if (r == AD_OK || r == AD_ETOOBIG) {
    *size = (uint64_t)st.st_size;
    *mtime = (int64_t)st.st_mtime;
  }
  return r;
}

int ad_corpus_add_file(ad_corpus *c, const char *path) {
  uint32_t fi;
  int r;
  char *text;
  size_t len;
  struct stat st;
  int mapped;
  r = ad_read_file(c, path, &text, &len, &st, &mapped, 0);
  if (r == AD_EIO || r == AD_ENOMEM) return r;
  if (ad_corpus_new_file(c, path, &fi) != AD_OK) {
    if (mapped == 0 && text) ad_free(&c->a, text, len + 1);
    return AD_ENOMEM;
  }
  c->files[fi].size = (uint64_t)st.st_size;
  c->files[fi].mtime = (int64_t)st.st_mtime;
  if (r == AD_ETOOBIG) {
    if (ad_corpus_warn(c, fi, 0,
        "file too large (%llu bytes; the limit is 2 GiB): skipped",
        (unsigned long long)st.st_size))
      return AD_ENOMEM;
    return AD_ETOOBIG;
  }
  c->files[fi].text = text;
  c->files[fi].len = len;
  c->files[fi].textowned = mapped ? mapped : 1;
  return ad_scan(c, fi);
}

static int ad_has_digest_ext(const char *name) {
  size_t n = strlen(name);
  return (n > 3 && strcasecmp(name + n - 3, ".md") == 0) ||
         (n > 4 && strcasecmp(name + n - 4, ".txt") == 0);
}

/* A saved index (.adx) kept beside its digests: passed over in silence */
static int ad_is_index_file(const char *name) {
  size_t n = strlen(name);
  return n > 4 && strcasecmp(name + n - 4, ".adx") == 0;
}

/* Walk entries are "<d_type byte><path>": compare the paths */
static int ad_cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

/* Inside a directory walk, an entry that cannot be read is a warning on
** that entry, not an error of the walk. Returns AD_OK or AD_ENOMEM. */
int ad_corpus_unreadable(ad_corpus *c, const char *path, int r, int err,
                         const char *what) {
  uint32_t fi;
  if (r == AD_ENOMEM) return r;
  if (r != AD_EIO) return AD_OK;
  if (ad_corpus_new_file(c, path, &fi) ||
      ad_corpus_warn(c, fi, 0, "cannot read %s: %s", what, ad_strerror(err)))
    return AD_ENOMEM;
  return AD_OK;
}

int ad_corpus_skipped(ad_corpus *c, const char *first, uint32_t n) {
  size_t fl = strlen(first);
  int gz = fl > 3 && strcasecmp(first + fl - 3, ".gz") == 0;
  char more[64] = "";
  char *src;
  if (n > 1)
    snprintf(more, sizeof more, " (and %lu more files under the same folder)",
             (unsigned long)n - 1);
  src = (char *)ad_malloc(&c->a, fl + 1);
  if (src == NULL) return AD_ENOMEM;
  memcpy(src, first, fl + 1);
  if (ad_corpus_warn(c, AD_NOFILE, 0, "skipped: only .md and .txt files are read%s%s",
                     gz ? ", decompress it first" : "", more)) {
    ad_free(&c->a, src, fl + 1);
    return AD_ENOMEM;
  }
  c->warns[c->nwarns - 1].src = src;
  return AD_OK;
}

/* What a walk passed over for its name: counted, the first one kept */
typedef struct ad_skips {
  uint32_t n;
  char *first;       /* c's allocator */
  size_t firstn;
} ad_skips;

/* Walk directory `dir` (depth-limited): digest files in name order. */
static int ad_walk_dir(ad_corpus *c, const char *dir, int depth,
                       const ad_walker *w, ad_skips *sk) {
  DIR *d;
  struct dirent *e;
  char **names = NULL;
  uint32_t n = 0, cap = 0, i;
  int st = AD_OK;
  size_t dl = strlen(dir);
  if (depth > 64) return AD_OK;
  d = opendir(dir);
  if (d == NULL) return AD_EIO;
  while ((e = readdir(d)) != NULL) {
    size_t nl = strlen(e->d_name);
    char *p;
    if (e->d_name[0] == '.') continue;  /* ., .. and hidden entries */
    if (ad_grow(&c->a, (void **)&names, &cap, n + 1, sizeof(char *))) {
      st = AD_ENOMEM;
      break;
    }
    {
      int slash = !(dl > 0 && dir[dl - 1] == '/');  /* a separator needed */
      /* one byte of d_type, then the path (exact size: freed with
      ** strlen(p + 1) + 2); d_type spares a stat per entry */
      p = (char *)ad_malloc(&c->a, 1 + dl + (size_t)slash + nl + 1);
      if (p == NULL) { st = AD_ENOMEM; break; }
      p[0] = (char)e->d_type;
      memcpy(p + 1, dir, dl);
      if (slash) p[1 + dl] = '/';
      memcpy(p + 1 + dl + slash, e->d_name, nl + 1);
    }
    names[n++] = p;
  }
  closedir(d);
  if (st == AD_OK && n > 1) qsort(names, n, sizeof(char *), ad_cmp_names);
  for (i = 0; i < n && st == AD_OK; i++) {
    struct stat ls, fs;
    const char *p = names[i] + 1;
    unsigned char dt = (unsigned char)names[i][0];
    int isdir, isreg;
    if (dt == DT_DIR || dt == DT_REG) {  /* known without a stat */
      isdir = dt == DT_DIR;
      isreg = dt == DT_REG;
    } else {  /* a link (followed to files, not to folders) or unknown */
      if (lstat(p, &ls) != 0) continue;
      isdir = S_ISDIR(ls.st_mode);
      isreg = !isdir && stat(p, &fs) == 0 && S_ISREG(fs.st_mode);
    }
    if (isdir) {
      st = ad_walk_dir(c, p, depth + 1, w, sk);
      if (st == AD_EIO) st = w->baddir(w->ud, p);  /* errno is still set */
    } else if (isreg && ad_has_digest_ext(p)) {
      st = w->file(w->ud, p);
    } else if (isreg && !ad_is_index_file(p)) {
      if (sk->n++ == 0) {
        sk->firstn = strlen(p) + 1;
        sk->first = (char *)ad_malloc(&c->a, sk->firstn);
        if (sk->first == NULL) st = AD_ENOMEM;
        else memcpy(sk->first, p, sk->firstn);
      }
    }
  }
  for (i = 0; i < n; i++) ad_free(&c->a, names[i], strlen(names[i] + 1) + 2);
  ad_free(&c->a, names, (size_t)cap * sizeof(char *));
  return st;
}

int ad_corpus_walk(ad_corpus *c, const char *dir, const ad_walker *w) {
  ad_skips sk;
  int st;
  memset(&sk, 0, sizeof sk);
  st = ad_walk_dir(c, dir, 0, w, &sk);
  if (st == AD_OK && sk.n > 0 && w->skipped) st = w->skipped(w->ud, sk.first, sk.n);
  if (sk.first) ad_free(&c->a, sk.first, sk.firstn);
  return st;
}

static int ad_add_skipped(void *ud, const char *first, uint32_t n) {
  return ad_corpus_skipped((ad_corpus *)ud, first, n);
}

/* ad_corpus_add_path's walker: each file is read and scanned at once */
static int ad_add_walked(void *ud, const char *path) {
  ad_corpus *c = (ad_corpus *)ud;
  int r = ad_corpus_add_file(c, path);
  return ad_corpus_unreadable(c, path, r, errno, "file");
}

static int ad_add_baddir(void *ud, const char *path) {
  return ad_corpus_unreadable((ad_corpus *)ud, path, AD_EIO, errno, "directory");
}

int ad_corpus_add_path(ad_corpus *c, const char *path) {
  struct stat st;
  int r;
  if (stat(path, &st) != 0) return AD_EIO;
  if (S_ISDIR(st.st_mode)) {
    ad_walker w;
    w.file = ad_add_walked;
    w.baddir = ad_add_baddir;
    w.skipped = ad_add_skipped;
    w.ud = c;
    return ad_corpus_walk(c, path, &w);
  }
  r = ad_corpus_add_file(c, path);
  return r == AD_ETOOBIG ? AD_OK : r;  /* too big: a warning, not an error */
}

int ad_file_load(ad_corpus *c, uint32_t fi) {
  ad_file *f = &c->files[fi];
  char *text;
  size_t len;
  struct stat st;
  int r, mapped;
  if (f->text != NULL || f->nrec == 0) return AD_OK;
  r = ad_read_file(c, f->path, &text, &len, &st, &mapped, 0);
  if (r == AD_ETOOBIG) return AD_ECHANGED;
  if (r != AD_OK) return r;
  f = &c->files[fi];
  if ((uint64_t)len != f->size ||
      (f->hashed && ad_hash64(text, len, AD_HASH_INIT) != f->hash)) {
    if (mapped == 0) ad_free(&c->a, text, len + 1);
    return AD_ECHANGED;
  }
  f->text = text;
  f->len = len;
  f->textowned = mapped ? mapped : 1;
  return AD_OK;
}

uint64_t ad_file_hash(ad_corpus *c, uint32_t fi) {
  ad_file *f = &c->files[fi];
  if (!f->hashed && f->text != NULL) {
    f->hash = ad_hash64(f->text, f->len, AD_HASH_INIT);
    f->hashed = 1;
  }
  return f->hash;
}
/* }====================================================== */

/* {====================================================== one record's text */
#define AD_RCHUNK ((size_t)8 << 20)
/* files larger than this are read whole (ad_file_load) */
#define AD_REC_MAXFILE ((uint64_t)1 << 20)
/* reads of a file for its records before it is read whole */
#define AD_REC_READS 1
/* ad_rec_copy: the record cannot be copied on its own (read the file whole) */
#define AD_REC_WHOLE 1

/* Read file fi whole into buffer b and check it as ad_file_load does
** (regular file, size, hash): AD_OK, or anything else for "let
** ad_file_load do it" (AD_ENOMEM only when the buffer cannot grow). */
static int ad_rec_readfile(ad_corpus *c, uint32_t fi, struct ad_rfile *b) {
  const ad_file *f = &c->files[fi];
  struct stat st;
  size_t got = 0, need;
  int fd;
  b->file = 0;
  fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return AD_EIO;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != f->size) {
    close(fd);
    return AD_ECHANGED;
  }
  need = (size_t)f->size + 1;
  if (b->cap < need) {
    size_t cap = need < 65536 ? 65536 : need;
    char *nb = (char *)ad_malloc(&c->a, cap);
    if (nb == NULL) { close(fd); return AD_ENOMEM; }
    if (b->buf) ad_free(&c->a, b->buf, b->cap);
    b->buf = nb;
    b->cap = cap;
  }
  while (got < (size_t)f->size) {
    ssize_t r = read(fd, b->buf + got, (size_t)f->size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  if (got != (size_t)f->size || ad_hash64(b->buf, got, AD_HASH_INIT) != f->hash)
    return AD_ECHANGED;
  b->buf[got] = '\0';
  b->file = fi + 1;
  return AD_OK;
}

/* the span pointers of record rec's own copy, or NULL */
static const char **ad_rec_own(const ad_corpus *c, uint32_t rec) {
  uint32_t blk = rec >> AD_RBLOCK_SHIFT;
  if (blk >= c->nrblk || c->rblk[blk] == NULL) return NULL;
  return c->rblk[blk]->rec[rec & ((1u << AD_RBLOCK_SHIFT) - 1)];
}

/* n bytes (a multiple of 8) of the records' own chunks, or NULL */
static char *ad_rec_take(ad_corpus *c, size_t n) {
  ad_chunk *k = c->rchunks;
  if (k == NULL || k->cap - k->used < n) {
    k = ad_chunk_new(n > AD_RCHUNK ? n : AD_RCHUNK);
    if (k == NULL) return NULL;
    k->next = c->rchunks;
    c->rchunks = k;
  }
  k->used += n;
  return k->data + k->used - n;
}

/* Copy record rec's spans out of t (its file, checked): the record's bytes
** (AD_S_RAW) once, each span outside them on its own, each piece
** NUL-terminated, after the table of span pointers. */
static int ad_rec_copy(ad_corpus *c, uint32_t rec, const char *t) {
  const ad_record *r = &c->recs[rec];
  uint64_t lo = r->s[AD_S_RAW].off, hi = lo + r->s[AD_S_RAW].len, size = c->files[r->file].size;
  size_t need = AD_NSPANS * sizeof(char *) + (size_t)(hi - lo) + 1;
  const char **sp;
  char *o;
  uint32_t blk;
  int sid;
  if (hi > size) return AD_REC_WHOLE;
  for (sid = 0; sid < AD_NSPANS; sid++) {
    uint64_t a = r->s[sid].off, e = a + r->s[sid].len;
    if (r->s[sid].len == 0 || (a >= lo && e <= hi)) continue;
    if (e > size) return AD_REC_WHOLE;
    need += (size_t)(e - a) + 1;
  }
  if (c->rblk == NULL) {
    uint32_t n = (c->nrecs >> AD_RBLOCK_SHIFT) + 1;
    c->rblk = (struct ad_rblock **)ad_malloc(&c->a, (size_t)n * sizeof *c->rblk);
    if (c->rblk == NULL) return AD_ENOMEM;
    memset(c->rblk, 0, (size_t)n * sizeof *c->rblk);
    c->nrblk = n;
  }
  blk = rec >> AD_RBLOCK_SHIFT;
  if (blk >= c->nrblk) return AD_REC_WHOLE;    /* records added since */
  if (c->rblk[blk] == NULL) {
    c->rblk[blk] = (struct ad_rblock *)ad_malloc(&c->a, sizeof(struct ad_rblock));
    if (c->rblk[blk] == NULL) return AD_ENOMEM;
    memset(c->rblk[blk], 0, sizeof(struct ad_rblock));
  }
  sp = (const char **)(void *)ad_rec_take(c, (need + 7) & ~(size_t)7);
  if (sp == NULL) return AD_ENOMEM;
  o = (char *)(sp + AD_NSPANS);
  memcpy(o, t + lo, (size_t)(hi - lo));
  o[hi - lo] = '\0';
  for (sid = 0; sid < AD_NSPANS; sid++) {
    uint64_t a = r->s[sid].off, e = a + r->s[sid].len;
    if (r->s[sid].len == 0) sp[sid] = o;
    else if (a >= lo && e <= hi) sp[sid] = o + (a - lo);
    else sp[sid] = NULL;
  }
  o += hi - lo + 1;
  for (sid = 0; sid < AD_NSPANS; sid++) {
    if (sp[sid] != NULL) continue;
    memcpy(o, t + r->s[sid].off, r->s[sid].len);
    o[r->s[sid].len] = '\0';
    sp[sid] = o;
    o += r->s[sid].len + 1;
  }
  c->rblk[blk]->rec[rec & ((1u << AD_RBLOCK_SHIFT) - 1)] = sp;
  return AD_OK;
}

int ad_rec_load(ad_corpus *c, uint32_t rec) {
  uint32_t fi = c->recs[rec].file, k;
  ad_file *f = &c->files[fi];
  struct ad_rfile *b = NULL;
  int st;
  if (f->text != NULL || ad_rec_own(c, rec) != NULL) return AD_OK;
  for (k = 0; k < AD_RFILES; k++)
    if (c->rfile[k].file == fi + 1) { b = &c->rfile[k]; break; }
  if (b == NULL) {
    /* read often enough, not checkable by its hash, or big: the whole
    ** file, as ad_file_load always did */
    if (f->recreads >= AD_REC_READS || !f->hashed || f->size > AD_REC_MAXFILE)
      return ad_file_load(c, fi);
    b = &c->rfile[0];                /* the least recently used buffer */
    for (k = 1; k < AD_RFILES; k++)
      if (c->rfile[k].used < b->used) b = &c->rfile[k];
    f->recreads++;
    st = ad_rec_readfile(c, fi, b);
    if (st == AD_ENOMEM) return st;
    if (st != AD_OK) return ad_file_load(c, fi);
  }
  b->used = ++c->rtick;
  st = ad_rec_copy(c, rec, b->buf);
  if (st == AD_REC_WHOLE) return ad_file_load(c, fi);
  return st;
}

const char *ad_rec_span(const ad_corpus *c, uint32_t rec, int sid) {
  const ad_record *r = &c->recs[rec];
  const ad_file *f = &c->files[r->file];
  const char **own;
  if (f->text != NULL) return f->text + r->s[sid].off;
  own = ad_rec_own(c, rec);
  return own ? own[sid] : NULL;
}
/* }====================================================== */
