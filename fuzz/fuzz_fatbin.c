/* libFuzzer target: the fat binary parser at every depth, plus the cubin and
 * PTX header probes, over arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/sys/fatbin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gm_error err;
    gm_fatbin fb;
    /* The first byte picks the depth so the corpus reaches the decompressors. */
    gm_fatbin_depth depth = size ? (gm_fatbin_depth)(data[0] % 3) : GM_FATBIN_HEADERS;
    const uint8_t *p = size ? data + 1 : data;
    size_t n = size ? size - 1 : 0;
    if (gm_fatbin_parse(p, n, "fuzz", 0, depth, &fb, &err) == 0) {
        /* Entries the parser accepted must be decompressible within bounds. */
        unsigned char out[256];
        size_t got;
        for (size_t r = 0; r < fb.n_regions; r++)
            for (size_t e = 0; e < fb.regions[r].n_entries; e++)
                gm_fatbin_entry_decompress(p, n, &fb.regions[r].entries[e], out, sizeof out, &got,
                                           "fuzz", 0, &err);
        gm_fatbin_free(&fb);
    }
    gm_cubin_info ci;
    gm_cubin_probe(p, n, true, "fuzz", 0, &ci, &err);
    gm_ptx_info pi;
    gm_ptx_probe((const char *)p, n, "fuzz", &pi, &err);
    return 0;
}
