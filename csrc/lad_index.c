/* lad_index.c: Lua binding of the index (placeholder until the index lands). */
#include "lad.h"

void lad_index_open(lua_State *L) {
  (void)L;
}
