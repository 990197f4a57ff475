/*
** ad_core.h: the arxivdigest C core. Pure C (no lua.h) so that the scanner,
** the decoder, the index and the persistence layer can be fuzzed and tested
** on their own. Every exported symbol is prefixed `ad_`; the library is built
** with -fvisibility=hidden and only luaopen_* is exported from the .so.
**
** Data layout
** -----------
** A corpus (ad_corpus) owns a list of source files (ad_file) and a flat array
** of records (ad_record). A record is a set of spans (offset, length) into its
** file's text: nothing is decoded at scan time. ad_decode() turns a span into
** the text users see (whitespace collapsed, continuation lines joined, HTML
** decoded for daily listings, invalid UTF-8 replaced by U+FFFD).
**
** All memory goes through an ad_alloc (same contract as lua_Alloc), so the
** Lua binding can use Lua's allocator and tests can inject failures. Every
** function that allocates reports failure with AD_ENOMEM and leaves the
** structure consistent (freeable with ad_corpus_free()).
*/
#ifndef AD_CORE_H
#define AD_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* {====================================================== limits, errors */
#define AD_MAX_FILE_SIZE  ((uint64_t)0x7fffffff)  /* 2 GiB - 1: offsets are uint32 */
#define AD_MAX_WARNINGS_PER_FILE 100

enum {
  AD_OK = 0,
  AD_ENOMEM = -1,   /* allocation failed */
  AD_EIO = -2,      /* I/O error: errno is set */
  AD_ETOOBIG = -3,  /* file larger than AD_MAX_FILE_SIZE */
  AD_ECHANGED = -4  /* a source file changed since it was indexed */
};

/* What the core refuses to read, as errno values of AD_EIO beyond the
** system's (see ad_read_file in ad_corpus.c): ad_strerror() gives their
** message, ad_errno() the nearest system errno (the low 16 bits). */
#define AD_ERRNO_CHARDEV  (0x10000 | 19)  /* ENODEV: a character device */
#define AD_ERRNO_BLOCKDEV (0x20000 | 19)  /* ENODEV: a block device */
#define AD_ERRNO_NOTREG   (0x30000 | 19)  /* ENODEV: a socket, or else */
#define AD_ERRNO_FIFO     (0x50000 | 19)  /* ENODEV: a named pipe (a target) */
#define AD_ERRNO_NOWRITER (0x40000 | 6)   /* ENXIO: a named pipe, no writer */
/* strerror(e), or the message of an AD_ERRNO_* value */
const char *ad_strerror(int e);
/* e, or the system errno nearest to an AD_ERRNO_* value */
int ad_errno(int e);
/* How long a named pipe that no process writes to is waited for. */
#define AD_PIPE_WAIT_MS 3000
/* }====================================================== */

/* {====================================================== allocator */
typedef void *(*ad_allocf)(void *ud, void *ptr, size_t osize, size_t nsize);
typedef struct ad_alloc { ad_allocf f; void *ud; } ad_alloc;

void *ad_malloc(const ad_alloc *a, size_t n);
void *ad_realloc(const ad_alloc *a, void *p, size_t on, size_t nn);
void ad_free(const ad_alloc *a, void *p, size_t n);
/* grow *p (an array of *cap elements of size sz) to hold at least need */
int ad_grow(const ad_alloc *a, void **p, uint32_t *cap, uint32_t need, size_t sz);
/* the default allocator (realloc/free) */
extern const ad_alloc ad_stdalloc;
/* }====================================================== */

/* {====================================================== records */
typedef struct ad_span { uint32_t off, len; } ad_span;   /* len 0 = absent */

enum ad_spanid {
  AD_S_TITLE,      /* title text (catalog: may include continuation lines) */
  AD_S_ID,         /* canonical id: "2005.09623", "cs/9810003" (no version) */
  AD_S_ABSTRACT,   /* listing: the '>' line(s); catalog: Summary value */
  AD_S_AUTHORS,    /* raw Authors value (split on commas when read) */
  AD_S_CATEGORIES, /* raw Categories value; listing: empty (use PRIMARY) */
  AD_S_PRIMARY,    /* primary category (bold one / header's category) */
  AD_S_PDF,        /* pdf url as written */
  AD_S_ABS,        /* abs url as written (catalog "Arxiv ID"); listing: empty */
  AD_S_DOI,
  AD_S_COMMENT,
  AD_S_JOURNAL,
  AD_S_PUBLISHED,  /* raw "2019-10-19 00:02:48+00:00" */
  AD_S_UPDATED,
  AD_S_RAW,        /* the record's bytes: title line .. last non-blank line */
  AD_NSPANS
};

enum { AD_FMT_UNKNOWN = 0, AD_FMT_LISTING = 1, AD_FMT_CATALOG = 2 };

/* record flags */
#define AD_RF_CROSSLIST 0x01  /* cross-list block of a daily listing */
#define AD_RF_HTML      0x02  /* fields are scraped HTML (listing) */
#define AD_RF_QUOTED    0x04  /* abstract lines start with '>' (listing) */

typedef struct ad_record {
  ad_span s[AD_NSPANS];
  uint32_t file;      /* index into corpus->files */
  uint32_t line;      /* 1-based line of the title line */
  uint32_t date;      /* digest day as YYYYMMDD, 0 if unknown */
  uint32_t position;  /* N of "### N." in listings, 0 otherwise */
  uint16_t version;   /* 0 = none */
  uint8_t format;     /* AD_FMT_* */
  uint8_t flags;      /* AD_RF_* */
} ad_record;
/* }====================================================== */

/* {====================================================== files, corpus */
typedef struct ad_file {
  char *path;          /* NUL-terminated, owned */
  size_t pathlen;
  char *text;          /* file bytes (owned unless textowned == 0), or NULL */
  size_t len;
  int textowned;       /* 0: borrowed, 1: allocated with the corpus
                          allocator, 3: in an arena chunk (freed with the
                          corpus); 2 is no longer used (was: mapped) */
  uint64_t size;       /* st_size when read */
  int64_t mtime;       /* st_mtime (seconds) when read */
  uint64_t hash;       /* ad_hash64 of the content, when hashed != 0 */
  int hashed;
  uint32_t first, nrec;/* records [first, first+nrec) */
  uint8_t format;      /* format of the header (AD_FMT_*) */
  uint8_t recreads;    /* times read for its records only (ad_rec_load) */
} ad_file;

typedef struct ad_warning {
  uint32_t file;       /* index into files, or AD_NOFILE */
  uint32_t line;       /* 0 = whole file */
  char *msg;           /* owned, NUL-terminated */
  char *src;           /* AD_NOFILE: the path it is about (owned), else NULL */
} ad_warning;
#define AD_NOFILE UINT32_MAX

/* File text of small and medium files lives in big arena chunks (huge
** pages where the kernel allows): far fewer page faults than one buffer or
** one mapping per file. A chunk's header is at the start of its own mapping
** (no allocator involved: worker threads create chunks too). */
typedef struct ad_chunk {
  struct ad_chunk *next;
  char *base;              /* mapping start (the header's own address) */
  size_t maplen;           /* mapping length */
  char *data;              /* usable start */
  size_t cap, used;
} ad_chunk;

#define AD_RFILES 8      /* files kept read for their records (ad_rec_load) */
#define AD_RBLOCK_SHIFT 10
struct ad_rblock { const char **rec[1u << AD_RBLOCK_SHIFT]; };
typedef struct ad_corpus {
  ad_alloc a;
  ad_chunk *chunks;
  ad_file *files; uint32_t nfiles, capfiles;
  ad_record *recs; uint32_t nrecs, caprecs;
  ad_warning *warns; uint32_t nwarns, capwarns;
  /* records read on their own (ad_rec_load): the AD_NSPANS span pointers
  ** of record r into its copy (in rchunks, never the text chunks, whose
  ** pages an index build may release), in block r >> AD_RBLOCK_SHIFT of
  ** rblk, allocated when a record of it is first read; NULL when not read */
  struct ad_rblock **rblk; uint32_t nrblk;
  ad_chunk *rchunks;
  /* the files last read for their records (checked): buffers reused */
  struct ad_rfile { char *buf; size_t cap; uint32_t file; uint32_t used; } rfile[AD_RFILES];
  uint32_t rtick;
} ad_corpus;

void ad_corpus_init(ad_corpus *c, const ad_alloc *a);
void ad_corpus_free(ad_corpus *c);

/* Add a file whose bytes are given (copied when copy != 0, else borrowed and
** must outlive the corpus). Scans it. Returns AD_OK or AD_ENOMEM. */
int ad_corpus_add_text(ad_corpus *c, const char *name, const char *text,
                       size_t len, int copy);

/* Read a file from disk and scan it. Returns AD_OK, AD_ENOMEM, AD_EIO (errno
** set) or AD_ETOOBIG (a warning is also recorded). */
int ad_corpus_add_file(ad_corpus *c, const char *path);

/* Add a path: a file, or a directory searched recursively for *.md and
** *.txt (sorted by name; symlinked directories are not followed). */
int ad_corpus_add_path(ad_corpus *c, const char *path);

/* Add paths[0..n) (ad_open.c) with exactly the result of ad_corpus_add_path
** on each in turn, stopping at the first that fails: same files in the same
** order, same records, same warnings, same error. With threads > 1 the
** folders are listed first (on this thread), then the files are read and
** scanned on up to `threads` threads, this one included: the others use
** the C allocator (never c->a, which may not be thread-safe), and this
** thread merges their results into c in file order. No thread is started
** for a single file, nor when the files total less than min_bytes. Returns
** AD_OK, AD_ENOMEM or AD_EIO (errno set); on failure *bad is the index of
** the path that failed. *used (may be NULL) is set to the number of threads
** that read files (1: no thread was started). */
int ad_corpus_add_paths(ad_corpus *c, const char *const *paths, uint32_t n,
                        int threads, uint64_t min_bytes, uint32_t *bad,
                        int *used);

#define AD_MAX_THREADS 64
#define AD_PARALLEL_MIN_BYTES ((uint64_t)1 << 20)

/* The default thread count of ad_corpus_add_paths: the online CPUs this
** process may run on, at most 8. */
int ad_default_threads(void);

/* Make sure files[fi].text is present: a corpus rebuilt from a saved index
** holds paths, sizes, mtimes and hashes only, and reads a file the first time
** one of its records is decoded. Fails with AD_EIO (errno set) if the file
** cannot be read, or AD_ECHANGED if its size or hash differ from the ones
** recorded. */
int ad_file_load(ad_corpus *c, uint32_t fi);

/* Make the spans of record rec readable through ad_rec_span without
** keeping its whole file: the file is read (and checked like ad_file_load
** checks it) into one of AD_RFILES buffers that later files reuse (the
** least recently used), and only the record's bytes are kept. A file read
** this way AD_REC_READS times, and a file over AD_REC_MAXFILE bytes, is read
** whole (ad_file_load) instead: a bounded number of reads per file, and
** never much more text kept than ad_file_load keeps. Whatever is unusual
** (not a regular file, a size or hash that differ, a read error) goes to
** ad_file_load, which gives the error. rec < nrecs. Returns AD_OK or
** ad_file_load's errors. */
int ad_rec_load(ad_corpus *c, uint32_t rec);

/* The bytes of span sid of record rec (rec < nrecs): in its file's text when
** that is loaded, else in the record's own copy (ad_rec_load); NULL when
** neither is there. Only r->s[sid].len bytes may be read. */
const char *ad_rec_span(const ad_corpus *c, uint32_t rec, int sid);

/* The content hash of file fi (computed on first use; needs the text). */
uint64_t ad_file_hash(ad_corpus *c, uint32_t fi);

/* Record a warning (printf-style). Returns AD_OK or AD_ENOMEM. */
int ad_corpus_warn(ad_corpus *c, uint32_t file, uint32_t line,
                   const char *fmt, ...);
int ad_corpus_vwarn(ad_corpus *c, uint32_t file, uint32_t line,
                    const char *fmt, va_list ap);

/* Scan text of file index fi, appending records and warnings.
** The file entry must already exist with text/len set. */
int ad_scan(ad_corpus *c, uint32_t fi);
/* }====================================================== */

/* {====================================================== corpus internals */
/* Shared by ad_corpus.c and ad_open.c; not for other callers. */

/* Append a file entry (path copied) with no text; its index in *fi. */
int ad_corpus_new_file(ad_corpus *c, const char *path, uint32_t *fi);

/* A directory-walk entry that cannot be read (r == AD_EIO, errno `err`):
** a file entry with the warning "cannot read <what>: <reason>". Returns
** AD_ENOMEM for r == AD_ENOMEM, else AD_OK (or AD_ENOMEM if it fails). */
int ad_corpus_unreadable(ad_corpus *c, const char *path, int r, int err,
                         const char *what);

/* Read the whole file at path into *text (NUL-terminated), *len bytes;
** *size and *mtime from its stat (size: what was read, for a pipe). *owned
** says where the text lives: 1 = a buffer of c->a (len + 1 bytes), 3 = an
** arena chunk of c->chunks. A file over 16 MiB gets a buffer of its own, or
** a chunk of its own when ownchunk != 0. Returns AD_OK, AD_ENOMEM, AD_EIO
** (errno set) or AD_ETOOBIG (*size and *mtime set). */
int ad_corpus_read(ad_corpus *c, const char *path, char **text, size_t *len,
                   uint64_t *size, int64_t *mtime, int *owned, int ownchunk);

/* Walk directory dir like ad_corpus_add_path does, calling file() for each
** digest file (in order) and baddir() for each subdirectory that cannot be
** opened (errno set). A callback's status other than AD_OK stops the walk
** and is returned; AD_EIO means dir itself cannot be opened. */
typedef struct ad_walker {
  int (*file)(void *ud, const char *path);
  int (*baddir)(void *ud, const char *path);
  /* once per walk, when files were passed over for their name (not .md or
  ** .txt): the first of them and how many; may be NULL */
  int (*skipped)(void *ud, const char *first, uint32_t n);
  void *ud;
} ad_walker;
/* The warning for files a walk passed over for their name: on `first`, not
** on a file of the corpus (they are not part of it). */
int ad_corpus_skipped(ad_corpus *c, const char *first, uint32_t n);
int ad_corpus_walk(ad_corpus *c, const char *dir, const ad_walker *w);
/* }====================================================== */

/* {====================================================== decoding */
/* Upper bound of the decoded size of n input bytes. */
#define AD_DECODE_BOUND(n) ((size_t)(n) * 3 + 4)

/* Decoding modes (bit set) */
#define AD_DEC_HTML   0x01  /* decode entities, <a href> -> URL, <br> -> ' ', drop tags */
#define AD_DEC_QUOTED 0x02  /* strip a leading '>' (after spaces) on each line */

/* Decode src[0..n) into out (capacity AD_DECODE_BOUND(n)): whitespace runs
** become one space, the result is trimmed, invalid UTF-8 bytes become U+FFFD.
** Returns the decoded length. */
size_t ad_decode(const char *src, size_t n, int mode, char *out);

/* Decode field `sid` of record r (mode chosen from the record's flags).
** Returns the length (0 when absent). out must hold AD_DECODE_BOUND(len). */
size_t ad_record_field(const ad_corpus *c, const ad_record *r, int sid,
                       char *out);

/* The decoding mode (AD_DEC_*) of field `sid` of record r. */
int ad_record_mode(const ad_record *r, int sid);

/* 1 when ad_decode(s, n, mode) would return exactly the n bytes of s (n > 0):
** the span can be used as it is, without decoding. */
int ad_decode_is_identity(const char *s, size_t n, int mode);

/* Normalise a catalog timestamp "2019-10-19 00:02:48+00:00" (or already ISO)
** to "2019-10-19T00:02:48Z" in out[21]. Returns 20 on success, 0 if the text
** is not a timestamp. */
size_t ad_iso8601(const char *s, size_t n, char out[21]);
/* Are these a real date and time (ranges, no 30 February; a leap second
** allowed)? The one rule of ad_iso8601 and of the scan's quick check. */
int ad_stamp_valid(int y, int mo, int d, int h, int mi, int se);

/* Compare two canonical ids by arXiv order (for the cross-list rule). */
int ad_id_cmp(const char *a, size_t an, const char *b, size_t bn);

/* The canonical form of an id s[0..n) (as ad_parse_id finds it): an
** old-style id with a subject class, "math.GT/0309136", is the paper
** "math/0309136" (arXiv's own id). Writes it to out (may be s; NULL:
** only measure) and returns its length: n when there is no class. */
size_t ad_id_canon(const char *s, size_t n, char *out);
/* Parse an id, with optional version and URL prefix ("http://arxiv.org/abs/",
** ".../pdf/", "arXiv:"), and trailing ".pdf". On success stores the canonical
** id's offset/length within s and the version (0 if none) and returns 1. */
int ad_parse_id(const char *s, size_t n, uint32_t *off, uint32_t *len,
                uint16_t *version);

/* Wrapping for the text format (format/text.lua, core.wrap_plain).
** 1 when s[0..n) is text the text format prints unchanged: printable ASCII
** (0x20..0x7E), no two spaces in a row, no space at either end (the empty
** string too). */
int ad_text_plain(const char *s, size_t n);

/* One line of the greedy wrap of plain text s[0..n) (ad_text_plain) into
** lines of at most avail bytes (avail 0 counts as 1): the line starting at
** s[pos] ends before the last space of s[pos+1 .. pos+avail] when there is
** one, else it is the next avail bytes (a word longer than the line is
** cut); the rest of s when it fits. Returns the line's length and sets
** *next to where the following line starts (n after the last line). Lines
** of plain text never start with a space. */
size_t ad_wrap_line(const char *s, size_t n, size_t pos, size_t avail,
                    size_t *next);

/* The DOIs of a DOI field (the one rule of every output's DOI links,
** BibTeX's doi and the library matcher's DOI table). A field holds one DOI
** or several separated by white space (arXiv's listings have
** "10.1145/3243394.3243689 10.1145/3243394.3243689"); each may carry a
** resolver prefix ("https://doi.org/", "http://dx.doi.org/", "doi.org/",
** "doi:", any case), which is not part of it, and trailing punctuation
** (". , ; :", as in "10.1109/TCYB.2016.2572306."), which is dropped: no
** registered DOI of the archive ends so. Finds the next DOI at or after
** *pos in s[0..n): sets *off and *len (case kept), moves *pos past it and
** returns 1; 0 when none is left. */
int ad_doi_next(const char *s, size_t n, size_t *pos, size_t *off, size_t *len);

/* The JSON string of s[0..n), quotes included, into out (at least
** AD_JSON_BOUND(n) bytes); returns its length. The one rule of the JSON
** output (arxivdigest.json's encode_string is its fallback without the
** core): invalid UTF-8 repaired (each byte that starts no valid sequence,
** with the continuation bytes after it, becomes U+FFFD); '"', '\\' and
** the C0 controls and DEL escaped (\n and the like, else \u00XX); "</"
** written "<\/" (safe inside an HTML script); U+2028, U+2029 (JavaScript
** line ends), the bidi controls U+202A..U+202E and U+2066..U+2069 and the
** C1 controls \u-escaped: each value is one line any JSON reader and a
** JavaScript eval take as data. */
#define AD_JSON_BOUND(n) ((size_t)(n) * 6 + 2)
size_t ad_json_quote(const char *s, size_t n, char *out);

/* Text cleaned for display, into out (at least 3 n bytes); returns its
** length. The rule of arxivdigest.format.util's clean (its Lua version is
** the fallback without the core, and does other replacements than
** dropping): invalid UTF-8 repaired as ad_json_quote repairs it; the bidi
** controls U+202A..U+202E, U+2066..U+2069, the C0 controls other than
** white space, DEL and the C1 controls dropped; U+2028 and U+2029 made
** spaces; unless keep_space, every run of white space (space, tab, LF,
** VT, FF, CR) one space. */
size_t ad_text_clean(const char *s, size_t n, int keep_space, char *out);
/* XML text and attribute values (arxivdigest.format.util's xml, after its
** clean): U+FFFE and U+FFFF dropped, & < > " ' as &amp; &lt; &gt; &quot;
** &#39;, in one pass (out holds 6 n bytes); returns the length.
** ad_xml_plain: 1 when s has nothing to change. */
size_t ad_xml_escape(const char *s, size_t n, char *out);
int ad_xml_plain(const char *s, size_t n);

/* 64-bit content hash (not cryptographic) */
uint64_t ad_hash64(const void *p, size_t n, uint64_t h);
#define AD_HASH_INIT 0xcbf29ce484222325ULL
/* }====================================================== */

#endif
