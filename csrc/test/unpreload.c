/*
** unpreload.c: preloaded after the ASan runtime by `make test-asan`. Once the
** dynamic linker has loaded the preloads, this constructor removes
** LD_PRELOAD from the environment, so that the programs the specs start
** (sh, make, chromium, ...) do not get the ASan runtime forced into them.
** A spec that starts lua5.4 on the ASan build of the core sets
** LD_PRELOAD=$AD_ASAN_RT itself.
*/
#include <stdlib.h>

__attribute__((constructor)) static void ad_unpreload(void) {
  unsetenv("LD_PRELOAD");
}
