/*
** bench/firsttouch.c: how fast this machine hands a process new memory
** (make bench-scale prints it beside its figures). Writes 1 GiB of fresh
** anonymous pages (page faults and the kernel's zeroing, with transparent
** huge pages advised as the build's arenas do), then writes the same
** pages again (already mapped). A build or an update that writes N GB of
** new sections pays at least N times the first figure's inverse.
** Prints: "<first-touch GB/s> <rewrite GB/s>".
*/
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void) {
  size_t n = (size_t)1 << 30, huge = (size_t)2 << 20, i;
  char *base = mmap(NULL, n + huge, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *a;
  double t0, t1, t2;
  if (base == MAP_FAILED) { perror("mmap"); return 1; }
  a = (char *)(((uintptr_t)base + huge - 1) & ~(uintptr_t)(huge - 1));
#ifdef MADV_HUGEPAGE
  madvise(a, n, MADV_HUGEPAGE);
#endif
  t0 = now();
  for (i = 0; i < n; i += 4096) a[i] = 1;
  t1 = now();
  memset(a, 2, n);
  t2 = now();
  printf("%.3f %.3f\n", (double)n / (t1 - t0) / 1e9, (double)n / (t2 - t1) / 1e9);
  munmap(base, n + huge);
  return 0;
}
