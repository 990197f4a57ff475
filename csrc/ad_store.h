/*
** ad_store.h: the header of a saved index file (ad_store.c describes the
** file). Owned by ad_store.c, which writes and checks it; included also by
** csrc/fuzz/fuzz_load.c, which recomputes the checksums of crafted files.
** Nothing else includes it. A change here is a format change: bump
** AD_FORMAT_VERSION.
*/
#ifndef AD_STORE_H
#define AD_STORE_H

#include "ad_index.h"

#define AD_MAGIC "ARXIVDGX"
#define AD_FORMAT_VERSION 2u  /* 2: record flags AD_XR_DOI, AD_XR_JOURNAL */
#define AD_BOM 0x01020304u
#define AD_CHUNKSHIFT 14

typedef struct ad_fhdr {
  char magic[8];
  uint32_t version, bom;
  uint32_t szrec, szdoc, szterm, chunkshift;
  uint64_t filesize;
  uint64_t off[AD_NSEC], len[AD_NSEC];
  uint64_t sumsoff, nchunks, sumsum;
  uint64_t headsum;             /* hash of all the bytes above */
} ad_fhdr;

/* the header's size in the file (the sections start there) */
#define AD_HDRSIZE ((sizeof(ad_fhdr) + 63) & ~(size_t)63)

#endif
