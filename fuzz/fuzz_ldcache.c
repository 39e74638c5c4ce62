/* libFuzzer target: ld.so.cache parser (old, new and combined formats). */
#include <stddef.h>
#include <stdint.h>

#include "gpumatch/sys/ldcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gm_ldcache c;
    gm_error err;
    if (gm_ldcache_parse(data, size, "fuzz", &c, &err) == 0) {
        for (size_t i = 0; i < c.n; i++) {
            (void)gm_ldcache_entry_is_native(&c.entries[i]);
            (void)gm_ldcache_entry_abi(&c.entries[i]);
        }
        gm_ldcache_free(&c);
    }
    return 0;
}
