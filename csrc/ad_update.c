/*
** ad_update.c: the incremental update's side of a build (pure C): what it
** takes from the old index (ad_update.h). The build (ad_build.c) runs the
** same stages for a fresh index and for an update; an update adds these:
**  1. maps: each new record's old record (files whose bytes are the same),
**     each old record's old entry (ad_up_init);
**  2. records of files that were not read get their ids from old
**     (ad_up_recid);
**  3. entries made of exactly the records of one old entry keep it: their
**     field starts and lengths come from old and they are not tokenized;
**     the files that the other entries need are loaded (ad_up_keep);
**  4. the encoding merges each old term's kept postings, renumbered
**     (ad_up_list, ad_up_fieldtf), with the fresh ones.
** Everything read from old goes through the validated accessors
** (ad_ixread.c): a crafted old index yields AD_ECORRUPT.
*/
#include <string.h>
#include "ad_update.h"

/* {====================================================== maps */
/* For an update: r2old[r] = old's number of record r (UINT32_MAX: a record
** read anew) and recdoc[o] = the old entry of old record o. */
static int ad_up_maps(ad_corpus *c, ad_ix *old,
                      const uint32_t *oldfile, uint32_t *r2old, uint32_t *recdoc) {
  uint32_t f, k, d;
  for (k = 0; k < c->nrecs; k++) r2old[k] = UINT32_MAX;
  for (k = 0; k < old->m.nrecs; k++) recdoc[k] = UINT32_MAX;
  for (f = 0; f < c->nfiles; f++) {
    const ad_ixfile *of;
    if (oldfile[f] == UINT32_MAX) continue;
    if ((of = ad_ix_file(old, oldfile[f])) == NULL) return AD_ECORRUPT;
    if (of->nrec != c->files[f].nrec) return ad_ix_corrupt(old, AD_BAD_FILE, oldfile[f]);
    for (k = 0; k < of->nrec; k++) r2old[c->files[f].first + k] = of->first + k;
  }
  for (d = 0; d < old->m.ndocs; d++) {
    const ad_ixdoc *od = ad_ix_doc(old, d);
    if (od == NULL) return AD_ECORRUPT;
    for (k = 0; k < od->napp; k++) {
      uint32_t o = ad_ix_app(old, od, k);
      if (o == UINT32_MAX) return AD_ECORRUPT;
      if (recdoc[o] != UINT32_MAX) return ad_ix_corrupt(old, AD_BAD_DOC, d);
      recdoc[o] = d;
    }
  }
  return AD_OK;
}

int ad_up_init(ad_upd *up, const ad_alloc *a, ad_ix *old, ad_corpus *c,
               const uint32_t *oldfile) {
  uint32_t i;
  memset(up, 0, sizeof *up);
  up->a = a; up->old = old;
  up->onrecs = old->m.nrecs; up->ondocs = old->m.ndocs; up->nrecs = c->nrecs;
  up->r2old = (uint32_t *)ad_malloc(a, ((size_t)c->nrecs + 1) * 4);
  up->recdoc = (uint32_t *)ad_malloc(a, ((size_t)up->onrecs + 1) * 4);
  up->o2n = (uint32_t *)ad_malloc(a, ((size_t)up->ondocs + 1) * 4);
  if (!up->r2old || !up->recdoc || !up->o2n) return AD_ENOMEM;
  for (i = 0; i < up->ondocs; i++) up->o2n[i] = UINT32_MAX;
  return ad_up_maps(c, old, oldfile, up->r2old, up->recdoc);
}

void ad_up_free(ad_upd *up) {
  const ad_alloc *a = up->a;
  if (up->r2old) ad_free(a, up->r2old, ((size_t)up->nrecs + 1) * 4);
  if (up->recdoc) ad_free(a, up->recdoc, ((size_t)up->onrecs + 1) * 4);
  if (up->o2n) ad_free(a, up->o2n, ((size_t)up->ondocs + 1) * 4);
  if (up->dold) ad_free(a, up->dold, ((size_t)up->nent + 1) * 4);
  memset(up, 0, sizeof *up);
}

int ad_up_recid(const ad_upd *up, uint32_t r, const char **id, uint32_t *idlen) {
  const ad_ixdoc *od;
  *id = NULL; *idlen = 0;
  if (up->r2old[r] == UINT32_MAX || up->recdoc[up->r2old[r]] == UINT32_MAX)
    return AD_OK;
  od = ad_ix_doc(up->old, up->recdoc[up->r2old[r]]);
  *id = od ? ad_ix_docid(up->old, od) : NULL;
  if (*id == NULL) return AD_ECORRUPT;
  *idlen = od->idlen;
  return AD_OK;
}
/* }====================================================== */

/* {====================================================== kept entries */
/* An update keeps the postings of an entry made of exactly the records of
** one old entry (each once: a file listed twice gives its records twice),
** with the same best record. */
static int ad_up_choose(ad_upd *up, const ad_ixdoc *docs, uint32_t nent,
                        const uint32_t *apps) {
  uint32_t i, k, *ostamp;
  up->dold = (uint32_t *)ad_malloc(up->a, ((size_t)nent + 1) * 4);
  if (up->dold == NULL) return AD_ENOMEM;
  up->nent = nent;
  ostamp = (uint32_t *)ad_malloc(up->a, ((size_t)up->onrecs + 1) * 4);
  if (ostamp == NULL) return AD_ENOMEM;
  memset(ostamp, 0xff, ((size_t)up->onrecs + 1) * 4);
  for (i = 0; i < nent; i++) {
    uint32_t od = UINT32_MAX, napp = 0;
    const ad_ixdoc *o;
    up->dold[i] = UINT32_MAX;
    for (k = 0; k < docs[i].napp; k++) {
      uint32_t x = up->r2old[apps[docs[i].app + k]];
      if (x == UINT32_MAX || up->recdoc[x] == UINT32_MAX ||
          (od != UINT32_MAX && up->recdoc[x] != od) || ostamp[x] == i) {
        od = UINT32_MAX; break;
      }
      ostamp[x] = i;
      od = up->recdoc[x]; napp++;
    }
    if (od == UINT32_MAX || (o = ad_ix_doc(up->old, od)) == NULL) continue;
    if (o->napp != napp || up->r2old[docs[i].best] != o->best) continue;
    up->dold[i] = od; up->o2n[od] = i;
  }
  ad_free(up->a, ostamp, ((size_t)up->onrecs + 1) * 4);
  return AD_OK;
}

int ad_up_keep(ad_upd *up, ad_corpus *c, ad_ixdoc *docs, uint32_t nent,
               const uint32_t *apps, double lensum[AD_NFIELDS],
               uint32_t *nread, uint32_t *badfile, uint32_t *ntok) {
  uint32_t i;
  int st = ad_up_choose(up, docs, nent, apps);
  *ntok = 0;
  if (st != AD_OK) return st;
  for (i = 0; i < nent; i++) {
    ad_ixdoc *d = &docs[i];
    uint32_t f, k;
    if (up->dold[i] != UINT32_MAX) {        /* kept: old has its postings */
      const ad_ixdoc *o = ad_ix_doc(up->old, up->dold[i]);
      if (o == NULL) return AD_ECORRUPT;
      for (f = 0; f < AD_NFIELDS; f++) {
        d->fstart[f] = o->fstart[f]; d->len[f] = o->len[f];
        lensum[f] += d->len[f];
      }
      d->flags |= o->flags & AD_DF_CODE;
      continue;
    }
    (*ntok)++;
    for (k = 0; k < d->napp; k++) {     /* the files of its records must be loaded */
      uint32_t fi = c->recs[apps[d->app + k]].file;
      if (c->files[fi].text != NULL) continue;
      st = ad_file_load(c, fi);
      if (st != AD_OK) { if (badfile) *badfile = fi; return st; }
      if (nread) (*nread)++;
    }
  }
  return AD_OK;
}
/* }====================================================== */

/* {====================================================== kept postings */
/* (the posting list format: ad_index.h) */
int ad_up_list(const ad_upd *up, const ad_alloc *a, uint32_t ot,
               ad_oent **oentp, uint32_t *capoent, uint32_t *n) {
  ad_ix *old = up->old;
  const uint32_t *o2n = up->o2n;
  const ad_ixterm *t = ad_ix_term(old, ot);
  const uint8_t *list, *le, *pb, *pe;
  uint32_t nb, blk, doc = 0, out = 0, last = 0, dflt;
  int bad = 0;
  *n = 0;
  if (t == NULL) return AD_ECORRUPT;
  dflt = (t->len > 0 && ad_ix_termstr(old, t)[0] == 1) ? 0 : AD_NPM_DEFAULT;
  if (ad_grow(a, (void **)oentp, capoent, t->df, sizeof(ad_oent)))
    return AD_ENOMEM;
  list = old->sec[AD_SEC_POST] + t->post; le = list + t->postlen;
  pb = old->sec[AD_SEC_POS] + t->pos; pe = pb + t->poslen;
  nb = (t->df + AD_BLOCK - 1) / AD_BLOCK;
  for (blk = 0; blk < nb; blk++) {
    ad_ixskip sk;
    uint32_t cnt = t->df - blk * AD_BLOCK, bd[AD_BLOCK], k;
    const uint8_t *q, *imp, *pp;
    if (cnt > AD_BLOCK) cnt = AD_BLOCK;
    memcpy(&sk, list + (size_t)blk * sizeof sk, sizeof sk);
    if (sk.off >= t->postlen || sk.posoff > t->poslen) return ad_ix_corrupt(old, AD_BAD_POSTINGS, ot);
    q = list + sk.off;
    for (k = 0; k < cnt; k++) {
      doc += ad_varint_get(&q, le, &bad);
      if (bad || doc >= old->m.ndocs) return ad_ix_corrupt(old, AD_BAD_POSTINGS, ot);
      /* (the new number of a rare term's doc: a cache miss, fetched
      ** while the block is decoded, see ad_b_encpart) */
      __builtin_prefetch(&o2n[doc], 0, 3);
      bd[k] = doc++;
    }
    if ((size_t)(le - q) < cnt) return ad_ix_corrupt(old, AD_BAD_POSTINGS, ot);
    imp = q; q += cnt;
    pp = pb + sk.posoff;
    for (k = 0; k < cnt; k++) {
      uint32_t npm = (imp[k] & 1) ? dflt : ad_varint_get(&q, le, &bad), j, nd;
      const uint8_t *p0 = pp;
      for (j = 0; j < (npm >> 4); j++) (void)ad_varint_get(&pp, pe, &bad);
      if (bad) return ad_ix_corrupt(old, AD_BAD_POSTINGS, ot);
      nd = o2n[bd[k]];
      if (nd == UINT32_MAX) continue;
      if (out > 0 && nd <= last)                      /* order must hold */
        return ad_ix_corrupt(old, AD_BAD_POSTINGS, ot);
      (*oentp)[out].doc = last = nd; (*oentp)[out].npm = npm;
      (*oentp)[out].poff = (uint32_t)(p0 - old->sec[AD_SEC_POS]);
      (*oentp)[out].plen = (uint32_t)(pp - p0);
      out++;
    }
  }
  *n = out;
  return AD_OK;
}

int ad_up_prepare(const ad_upd *up, const unsigned char *split, uint32_t nsplit,
                  uint32_t *osplit) {
  static const int secs[4] = {AD_SEC_TERMS, AD_SEC_TSTR, AD_SEC_POST, AD_SEC_POS};
  ad_ix *old = up->old;
  uint32_t k;
  int s;
  for (s = 0; s < 4; s++)
    if (ad_ix_need(old, secs[s], 0, old->seclen[secs[s]])) return AD_ECORRUPT;
  for (k = 0; k < nsplit; k++) {
    uint32_t lo = k ? osplit[k - 1] : 0, hi = old->m.nterms;
    while (lo < hi) {         /* the first old term of part k + 1 */
      uint32_t mid = lo + (hi - lo) / 2;
      const ad_ixterm *t = ad_ix_term(old, mid);
      if (t == NULL) return AD_ECORRUPT;
      if (t->len > 0 && (unsigned char)ad_ix_termstr(old, t)[0] >= split[k]) hi = mid;
      else lo = mid + 1;
    }
    osplit[k] = lo;
  }
  return AD_OK;
}
/* }====================================================== */
