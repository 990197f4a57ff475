/*
** ad_open.c: opening a list of paths, reading and scanning the files on
** several threads (POSIX threads).
**
** The folders are listed first, on the calling thread, into a list of jobs
** in file order (the order ad_corpus_add_path gives). Then the files are
** read and scanned by up to `threads` threads, the calling one included,
** each taking the next job of the list. A worker never touches the corpus:
** it reads into arena chunks of its own (plain mappings), and scans into a
** scratch corpus that uses the C allocator (ad_stdalloc), since the
** corpus's allocator may be Lua's, which is not thread-safe. The calling
** thread merges the finished jobs into the corpus strictly in file order
** (file entries, records with their file index and first record fixed,
** warnings copied with the corpus's allocator), so that the result is the
** one of the serial path, error included. One mutex guards the job list's
** cursors and the done flags; the calling thread sleeps on a condition
** variable when the next job to merge is still being worked on.
*/
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ad_core.h"

/* {====================================================== jobs */
enum {
  AD_JOB_TOP,      /* a file named in the list of paths */
  AD_JOB_WALKED,   /* a digest file found in a folder */
  AD_JOB_BADDIR,   /* a folder that cannot be read: a warning only */
  AD_JOB_SKIPPED   /* files passed over for their name: a warning only (path:
                   ** the first of them; err: how many) */
};
/* jobs of these kinds (and after) read no file */
#define AD_JOB_NOREAD AD_JOB_BADDIR

typedef struct ad_job {
  /* set by the listing (calling thread) before any worker starts */
  size_t pathoff;       /* into the path buffer */
  uint32_t top;         /* index of the path given that led here */
  uint8_t kind;         /* AD_JOB_* */
  int err;              /* errno of a failure (AD_JOB_BADDIR: of opendir) */
  /* set by the thread that runs the job, read once done */
  int done;             /* guarded by the mutex */
  int st;               /* AD_OK, AD_EIO, AD_ETOOBIG or AD_ENOMEM */
  char *text;           /* the file text (see owned) */
  size_t len;
  uint64_t size;
  int64_t mtime;
  int owned;            /* 3: in a worker's chunk; 1: ad_stdalloc buffer */
  uint8_t format;
  ad_record *recs;      /* ad_stdalloc arrays of the scratch corpus */
  uint32_t nrecs, caprecs;
  ad_warning *warns;
  uint32_t nwarns, capwarns;
} ad_job;

typedef struct ad_jobs {
  ad_corpus *c;         /* its allocator holds the list and the paths */
  ad_job *v;
  uint32_t n, cap;
  char *paths;          /* NUL-terminated paths, end to end */
  uint32_t plen, pcap;
  uint32_t top;         /* the path being listed */
} ad_jobs;

static int ad_job_add(ad_jobs *l, const char *path, int kind, int err) {
  size_t n = strlen(path) + 1;
  ad_job *j;
  if (n > UINT32_MAX - l->plen ||
      ad_grow(&l->c->a, (void **)&l->paths, &l->pcap, l->plen + (uint32_t)n, 1) ||
      ad_grow(&l->c->a, (void **)&l->v, &l->cap, l->n + 1, sizeof(ad_job)))
    return AD_ENOMEM;
  memcpy(l->paths + l->plen, path, n);
  j = &l->v[l->n++];
  memset(j, 0, sizeof *j);
  j->pathoff = l->plen;
  j->top = l->top;
  j->kind = (uint8_t)kind;
  j->err = err;
  l->plen += (uint32_t)n;
  return AD_OK;
}

static int ad_list_file(void *ud, const char *path) {
  return ad_job_add((ad_jobs *)ud, path, AD_JOB_WALKED, 0);
}

static int ad_list_baddir(void *ud, const char *path) {
  return ad_job_add((ad_jobs *)ud, path, AD_JOB_BADDIR, errno);
}

static int ad_list_skipped(void *ud, const char *first, uint32_t n) {
  return ad_job_add((ad_jobs *)ud, first, AD_JOB_SKIPPED,
                    n > INT32_MAX ? INT32_MAX : (int)n);
}

/* Free what a job's thread left (the text of a chunk goes with its chunk). */
static void ad_job_clear(ad_job *j) {
  uint32_t i;
  for (i = 0; i < j->nwarns; i++)
    ad_free(&ad_stdalloc, j->warns[i].msg, strlen(j->warns[i].msg) + 1);
  ad_free(&ad_stdalloc, j->warns, (size_t)j->capwarns * sizeof(ad_warning));
  ad_free(&ad_stdalloc, j->recs, (size_t)j->caprecs * sizeof(ad_record));
  if (j->owned == 1) ad_free(&ad_stdalloc, j->text, j->len + 1);
  j->warns = NULL; j->recs = NULL; j->text = NULL;
  j->nwarns = j->capwarns = j->nrecs = j->caprecs = 0;
  j->owned = 0;
}
/* }====================================================== */

/* {====================================================== one job */
/* Read and scan the file of job j with the C allocator; new arena chunks
** go to *chunks. Uses nothing shared but the (read-only) path. */
static void ad_job_run(ad_job *j, const char *path, ad_chunk **chunks) {
  ad_corpus s;   /* scratch: one file, this thread's chunks */
  ad_file f;
  int r;
  ad_corpus_init(&s, &ad_stdalloc);
  s.chunks = *chunks;
  r = ad_corpus_read(&s, path, &j->text, &j->len, &j->size, &j->mtime,
                     &j->owned, 1);
  *chunks = s.chunks;
  j->st = r;
  if (r == AD_EIO) j->err = errno;
  if (r != AD_OK) { j->owned = 0; return; }
  memset(&f, 0, sizeof f);
  f.path = (char *)path;  /* read only (the file name's date) */
  f.pathlen = strlen(path);
  f.text = j->text;
  f.len = j->len;
  f.textowned = j->owned;
  s.files = &f;
  s.nfiles = s.capfiles = 1;
  j->st = ad_scan(&s, 0);
  j->format = f.format;
  j->recs = s.recs; j->nrecs = s.nrecs; j->caprecs = s.caprecs;
  j->warns = s.warns; j->nwarns = s.nwarns; j->capwarns = s.capwarns;
}

/* Merge finished job j into c as ad_corpus_add_path would have added it.
** On AD_EIO (a path of the list that cannot be read), errno is set. */
static int ad_job_merge(ad_corpus *c, ad_job *j, const char *path) {
  uint32_t fi, i, first;
  ad_file *f;
  if (j->kind == AD_JOB_BADDIR)
    return ad_corpus_unreadable(c, path, AD_EIO, j->err, "directory");
  if (j->kind == AD_JOB_SKIPPED) return ad_corpus_skipped(c, path, (uint32_t)j->err);
  if (j->st == AD_ENOMEM) return AD_ENOMEM;
  if (j->st == AD_EIO) {
    if (j->kind == AD_JOB_TOP) { errno = j->err; return AD_EIO; }
    return ad_corpus_unreadable(c, path, AD_EIO, j->err, "file");
  }
  if (ad_corpus_new_file(c, path, &fi)) return AD_ENOMEM;
  f = &c->files[fi];
  f->size = j->size;
  f->mtime = j->mtime;
  if (j->st == AD_ETOOBIG) {  /* a warning, not an error (top or walked) */
    return ad_corpus_warn(c, fi, 0,
        "file too large (%llu bytes; the limit is 2 GiB): skipped",
        (unsigned long long)j->size);
  }
  if (j->owned == 1) {  /* a pipe's text: copied into c's allocator */
    char *t = (char *)ad_malloc(&c->a, j->len + 1);
    if (t == NULL) return AD_ENOMEM;
    memcpy(t, j->text, j->len + 1);
    f->text = t;
    f->textowned = 1;
  } else {
    f->text = j->text;
    f->textowned = 3;
  }
  f->len = j->len;
  f->format = j->format;
  if (j->nrecs > UINT32_MAX - c->nrecs) return AD_ENOMEM;
  while (c->caprecs < c->nrecs + j->nrecs)  /* the serial path's capacities */
    if (ad_grow(&c->a, (void **)&c->recs, &c->caprecs, c->caprecs + 1,
                sizeof(ad_record)))
      return AD_ENOMEM;
  first = c->nrecs;
  for (i = 0; i < j->nrecs; i++) {
    c->recs[first + i] = j->recs[i];
    c->recs[first + i].file = fi;
  }
  c->nrecs += j->nrecs;
  f = &c->files[fi];
  f->first = first;
  f->nrec = j->nrecs;
  for (i = 0; i < j->nwarns; i++)
    if (ad_corpus_warn(c, fi, j->warns[i].line, "%s", j->warns[i].msg))
      return AD_ENOMEM;
  return AD_OK;
}
/* }====================================================== */

/* {====================================================== threads */
typedef struct ad_pool ad_pool;

typedef struct ad_worker {
  ad_pool *p;
  ad_chunk *chunks;     /* this thread's arena (linked into c at the end) */
  pthread_t t;
} ad_worker;

struct ad_pool {
  pthread_mutex_t mu;
  pthread_cond_t cv;    /* a job is done */
  ad_jobs *l;
  uint32_t next;        /* next job to claim (guarded by mu) */
  int stop;             /* claim no more jobs (guarded by mu) */
};

/* The next job to run, or -1 (mu held). Folders that cannot be read need
** no work: they are done from the start. */
static int64_t ad_claim(ad_pool *p) {
  ad_jobs *l = p->l;
  while (p->next < l->n && l->v[p->next].kind >= AD_JOB_NOREAD) p->next++;
  if (p->stop || p->next >= l->n) return -1;
  return (int64_t)p->next++;
}

static void *ad_worker_main(void *arg) {
  ad_worker *w = (ad_worker *)arg;
  ad_pool *p = w->p;
  ad_jobs *l = p->l;
  int64_t k;
  pthread_mutex_lock(&p->mu);
  while ((k = ad_claim(p)) >= 0) {
    pthread_mutex_unlock(&p->mu);
    ad_job_run(&l->v[k], l->paths + l->v[k].pathoff, &w->chunks);
    pthread_mutex_lock(&p->mu);
    l->v[k].done = 1;
    pthread_cond_signal(&p->cv);  /* only the merging thread waits */
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* Run every job on nthreads threads (this one included), merging them in
** order. Returns the first failure (*bad set), or AD_OK. */
static int ad_run_parallel(ad_corpus *c, ad_jobs *l, int nthreads,
                           uint32_t *bad, int *used) {
  ad_pool p;
  ad_worker w[AD_MAX_THREADS];
  ad_worker self;   /* this thread's arena */
  sigset_t all, old;
  uint32_t merged = 0, i;
  int nw = 0, k, st = AD_OK, e = 0;
  int64_t mine;
  memset(&p, 0, sizeof p);
  p.l = l;
  if (pthread_mutex_init(&p.mu, NULL) != 0) return AD_ENOMEM;
  if (pthread_cond_init(&p.cv, NULL) != 0) {
    pthread_mutex_destroy(&p.mu);
    return AD_ENOMEM;
  }
  for (i = 0; i < l->n; i++) l->v[i].done = (l->v[i].kind >= AD_JOB_NOREAD);
  memset(&self, 0, sizeof self);
  /* the workers take no signal: they stay with the calling thread */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  for (k = 0; k < nthreads - 1; k++) {
    w[nw].p = &p;
    w[nw].chunks = NULL;
    if (pthread_create(&w[nw].t, NULL, ad_worker_main, &w[nw]) != 0)
      break;  /* fewer threads: this one does the rest */
    nw++;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (used) *used = nw + 1;
  pthread_mutex_lock(&p.mu);
  while (merged < l->n) {
    ad_job *j = &l->v[merged];
    if (j->done) {  /* merge it (nobody else touches a done job) */
      pthread_mutex_unlock(&p.mu);
      st = ad_job_merge(c, j, l->paths + j->pathoff);
      e = errno;
      ad_job_clear(j);
      merged++;
      pthread_mutex_lock(&p.mu);
      if (st != AD_OK) {
        *bad = j->top;
        p.stop = 1;
        break;
      }
    } else if ((mine = ad_claim(&p)) >= 0) {  /* help */
      pthread_mutex_unlock(&p.mu);
      ad_job_run(&l->v[mine], l->paths + l->v[mine].pathoff, &self.chunks);
      pthread_mutex_lock(&p.mu);
      l->v[mine].done = 1;
    } else {
      pthread_cond_wait(&p.cv, &p.mu);
    }
  }
  pthread_mutex_unlock(&p.mu);
  for (k = 0; k < nw; k++) pthread_join(w[k].t, NULL);
  pthread_cond_destroy(&p.cv);
  pthread_mutex_destroy(&p.mu);
  /* the threads' chunks now belong to c (merged texts live in them) */
  for (k = 0; k <= nw; k++) {
    ad_chunk *ch = k < nw ? w[k].chunks : self.chunks;
    while (ch) {
      ad_chunk *next = ch->next;
      if (c->chunks) {  /* keep c's current chunk first */
        ch->next = c->chunks->next;
        c->chunks->next = ch;
      } else {
        ch->next = NULL;
        c->chunks = ch;
      }
      ch = next;
    }
  }
  for (i = merged; i < l->n; i++) ad_job_clear(&l->v[i]);  /* not merged */
  errno = e;
  return st;
}
/* }====================================================== */

/* {====================================================== entry point */
/* The jobs one after the other on this thread, as ad_corpus_add_path. */
static int ad_run_serial(ad_corpus *c, ad_jobs *l, uint32_t *bad) {
  uint32_t i;
  for (i = 0; i < l->n; i++) {
    const ad_job *j = &l->v[i];
    const char *path = l->paths + j->pathoff;
    int r;
    if (j->kind == AD_JOB_BADDIR) {
      r = ad_corpus_unreadable(c, path, AD_EIO, j->err, "directory");
    } else if (j->kind == AD_JOB_SKIPPED) {
      r = ad_corpus_skipped(c, path, (uint32_t)j->err);
    } else {
      r = ad_corpus_add_file(c, path);
      if (j->kind == AD_JOB_TOP) {
        if (r == AD_ETOOBIG) r = AD_OK;  /* a warning, not an error */
      } else {
        r = ad_corpus_unreadable(c, path, r, errno, "file");
      }
    }
    if (r != AD_OK) { *bad = j->top; return r; }
  }
  return AD_OK;
}

int ad_default_threads(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
#ifdef CPU_COUNT
  {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
      int k = CPU_COUNT(&set);
      if (k > 0 && k < n) n = k;
    }
  }
#endif
  if (n < 1) n = 1;
  if (n > 8) n = 8;
  return (int)n;
}

int ad_corpus_add_paths(ad_corpus *c, const char *const *paths, uint32_t n,
                        int threads, uint64_t min_bytes, uint32_t *bad,
                        int *used) {
  ad_jobs l;
  ad_walker w;
  uint32_t i, nfiles = 0, fail = n;
  int st = AD_OK, failst = AD_OK, faile = 0;
  if (used) *used = 1;
  *bad = 0;
  if (threads > AD_MAX_THREADS) threads = AD_MAX_THREADS;
  if (threads <= 1) {  /* the serial path as it always was */
    for (i = 0; i < n; i++) {
      st = ad_corpus_add_path(c, paths[i]);
      if (st == AD_ETOOBIG) st = AD_OK;
      if (st != AD_OK) { *bad = i; return st; }
    }
    return AD_OK;
  }
  /* 1. list: the paths in order until the first that fails (it fails
  ** only after the files before it, which may fail first) */
  memset(&l, 0, sizeof l);
  l.c = c;
  w.file = ad_list_file;
  w.baddir = ad_list_baddir;
  w.skipped = ad_list_skipped;
  w.ud = &l;
  for (i = 0; i < n; i++) {
    struct stat sb;
    uint32_t n0 = l.n;
    int r;
    l.top = i;
    if (stat(paths[i], &sb) != 0) r = AD_EIO;
    else if (S_ISDIR(sb.st_mode)) r = ad_corpus_walk(c, paths[i], &w);
    else r = ad_job_add(&l, paths[i], AD_JOB_TOP, 0);
    if (r != AD_OK) {
      failst = r;
      faile = errno;
      fail = i;
      l.n = n0;  /* what was listed of that path is not read */
      break;
    }
  }
  /* 2. read and scan: threads only for several files and enough bytes */
  for (i = 0; i < l.n; i++) nfiles += (l.v[i].kind < AD_JOB_NOREAD);
  if ((uint32_t)threads > nfiles) threads = (int)nfiles;
  if (threads > 1 && min_bytes > 0) {
    uint64_t sum = 0;
    for (i = 0; i < l.n && sum < min_bytes; i++) {
      struct stat sb;
      if (l.v[i].kind < AD_JOB_NOREAD &&
          stat(l.paths + l.v[i].pathoff, &sb) == 0 && S_ISREG(sb.st_mode))
        sum += (uint64_t)sb.st_size;
    }
    if (sum < min_bytes) threads = 1;
  }
  if (threads > 1) st = ad_run_parallel(c, &l, threads, bad, used);
  else st = ad_run_serial(c, &l, bad);
  if (st != AD_OK) faile = errno;
  else if (failst != AD_OK) {  /* the path that failed to be listed */
    st = failst;
    *bad = fail;
  }
  ad_free(&c->a, l.v, (size_t)l.cap * sizeof(ad_job));
  ad_free(&c->a, l.paths, l.pcap);
  errno = faile;
  return st;
}
/* }====================================================== */
