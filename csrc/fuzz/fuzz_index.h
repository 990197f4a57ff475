/*
** fuzz_index.h: shared by fuzz_query.c and fuzz_load.c (header-only).
** Builds, once, an index of fixture digests (paths relative to the
** repository root, where `make fuzz` runs; or set AD_ROOT),
** saves it to a temporary file, and loads it back (mmap): the targets get a
** fresh index, a loaded one, and the saved bytes.
*/
#ifndef FUZZ_INDEX_H
#define FUZZ_INDEX_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ad_core.h"
#include "ad_index.h"

typedef struct fz_index {
  ad_corpus c;
  ad_ix fresh, loaded;
  unsigned char *saved;    /* bytes of the saved file */
  size_t savedlen;
} fz_index;

static void fz_die2(const char *what, int code) {
  fprintf(stderr, "fuzz set-up: %s (code %d)\n", what, code);
  abort();
}

/* srcs: NULL-terminated list of paths (relative to the repository root) */
static void fz_index_init(fz_index *z, const char *const *srcs) {
  char path[] = "/tmp/fuzz_ixXXXXXX", why[200];
  ad_ixparams p;
  size_t i;
  int fd, st;
  FILE *f;
  const char *root = getenv("AD_ROOT");
  if (root && chdir(root) != 0) fz_die2("cannot chdir to $AD_ROOT", 0);
  ad_corpus_init(&z->c, &ad_stdalloc);
  for (i = 0; srcs[i]; i++)
    if ((st = ad_corpus_add_path(&z->c, srcs[i])) != AD_OK)
      fz_die2("cannot read the fixtures (run from the repository root or set AD_ROOT)", st);
  if (z->c.nrecs == 0) fz_die2("no records in the fixtures", 0);
  ad_ixparams_default(&p);
  if ((st = ad_ix_build(&z->fresh, &ad_stdalloc, &z->c, &p)) != AD_OK) fz_die2("ad_ix_build", st);
  fd = mkstemp(path);
  if (fd < 0) fz_die2("mkstemp", 0);
  close(fd);
  if ((st = ad_ix_save(&z->fresh, path)) != AD_OK) fz_die2("ad_ix_save", st);
  if ((st = ad_ix_load(&z->loaded, &ad_stdalloc, path, why, sizeof why)) != AD_OK) {
    fprintf(stderr, "%s\n", why);
    fz_die2("ad_ix_load", st);
  }
  f = fopen(path, "rb");
  if (!f) fz_die2("cannot reopen the saved index", 0);
  fseek(f, 0, SEEK_END);
  z->savedlen = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  z->saved = (unsigned char *)malloc(z->savedlen);
  if (!z->saved || fread(z->saved, 1, z->savedlen, f) != z->savedlen) fz_die2("read", 0);
  fclose(f);
  unlink(path);   /* the mapping stays valid */
}

#endif
