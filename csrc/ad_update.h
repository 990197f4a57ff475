/*
** ad_update.h: what an incremental update takes from the old index
** (internal to the index build). Included by ad_update.c, which owns it,
** and by the build (ad_build.c) and the final encoding (ad_encode.c),
** which ask it; nothing else includes it.
**
** An update knows, for each record of the new corpus, the old record that
** holds the same bytes (r2old), and for each old record its old entry
** (recdoc). A new entry made of exactly the records of one old entry, with
** the same best record, is "kept": its fields are not tokenized again, and
** the encoding copies its postings from old (ad_up_list), re-weighted.
*/
#ifndef AD_UPDATE_H
#define AD_UPDATE_H

#include "ad_index.h"

typedef struct ad_upd {
  const ad_alloc *a;
  ad_ix *old;
  uint32_t onrecs, ondocs, nrecs, nent;
  uint32_t *r2old;    /* [nrecs] old record of a new record, or UINT32_MAX */
  uint32_t *recdoc;   /* [onrecs] old entry of an old record, or UINT32_MAX */
  uint32_t *o2n;      /* [ondocs] new entry of a kept old entry, or UINT32_MAX */
  uint32_t *dold;     /* [nent] old entry of a kept new entry, or UINT32_MAX */
} ad_upd;

/* A posting of the old index that an update keeps: new doc number, npm,
** and its positions (bytes in old's POS section). */
typedef struct ad_oent { uint32_t doc, npm, poff, plen; } ad_oent;

/* Start an update of corpus c over old: oldfile[f] is the old file of c's
** file f (UINT32_MAX: read anew). Builds r2old and recdoc. AD_OK, AD_ENOMEM
** or AD_ECORRUPT; up is freeable with ad_up_free in any case. */
int ad_up_init(ad_upd *up, const ad_alloc *a, ad_ix *old, ad_corpus *c,
               const uint32_t *oldfile);
void ad_up_free(ad_upd *up);
/* The id of record r, whose file's text is not loaded, from old: *id NULL
** when old does not know it. AD_OK or AD_ECORRUPT. */
int ad_up_recid(const ad_upd *up, uint32_t r, const char **id, uint32_t *idlen);
/* Choose the kept entries among the nent new docs (numbered, their
** appearances in apps), copy their fields' starts and lengths from old
** (adding the lengths to lensum), and load (ad_file_load) the files that the
** other docs need: *nread counts the loads, *badfile names a file that
** failed; *ntok receives how many docs must be tokenized. AD_OK, AD_ENOMEM,
** AD_ECORRUPT, AD_EIO or AD_ECHANGED. */
int ad_up_keep(ad_upd *up, ad_corpus *c, ad_ixdoc *docs, uint32_t nent,
               const uint32_t *apps, double lensum[AD_NFIELDS],
               uint32_t *nread, uint32_t *badfile, uint32_t *ntok);
/* The postings of old term ot whose docs are kept, renumbered, into
** (*oentp)[0 .. *n) (grown as needed). AD_OK, AD_ENOMEM or AD_ECORRUPT. */
int ad_up_list(const ad_upd *up, const ad_alloc *a, uint32_t ot,
               ad_oent **oentp, uint32_t *capoent, uint32_t *n);
/* tf per field of a kept posting (field mask `mask`, np positions ps..pe,
** varint deltas) in a doc whose fields start at fstart. AD_OK or
** AD_ECORRUPT (the mask is not the fields of the positions). Inline: the
** encoding calls it for every kept posting. */
static inline int ad_up_fieldtf(uint32_t mask, uint32_t np, const uint8_t *ps,
                                const uint8_t *pe, const uint32_t *fstart,
                                uint32_t tf[AD_NFIELDS]) {
  uint32_t f, j, at = 0;
  int bad = 0;
  for (f = 0; f < AD_NFIELDS; f++) tf[f] = 0;
  if (mask == 0) return np ? AD_ECORRUPT : AD_OK;
  if ((mask & (mask - 1)) == 0) {           /* one field: no decoding */
    for (f = 0; !((mask >> f) & 1); f++) {}
    tf[f] = np;
    return AD_OK;
  }
  for (j = 0; j < np; j++) {
    at += ad_varint_get(&ps, pe, &bad);
    for (f = AD_NFIELDS - 1; f > 0 && at < fstart[f]; f--) {}
    tf[f]++;
  }
  if (bad) return AD_ECORRUPT;
  for (f = 0; f < AD_NFIELDS; f++)
    if (((mask >> f) & 1) != (tf[f] != 0)) return AD_ECORRUPT;
  return AD_OK;
}
/* Verify, before threads read them, the sections of old that the encoding
** reads; then osplit[k] = the first old term whose first byte is >=
** split[k], for k < nsplit (split ascending). AD_OK or AD_ECORRUPT. */
int ad_up_prepare(const ad_upd *up, const unsigned char *split, uint32_t nsplit,
                  uint32_t *osplit);

#endif
