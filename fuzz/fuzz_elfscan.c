/* libFuzzer target: the host file scanner (ELF, ar archives, standalone fat
 * binaries, cubins, PTX) over arbitrary bytes, then requirement derivation. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/sys/elfscan.h"
#include "gpumatch/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gm_error err;
    gm_elf_scan s;
    /* A private copy: the scanner must only read, and ASan sees overruns. */
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (gm_elfscan_memory(copy, size, "fuzz.bin", GM_FATBIN_CONFIRM, &s, &err) == 0) {
        gm_inspect in;
        gm_inspect_init(&in, GM_FATBIN_CONFIRM);
        gm_inspect_add_scan(&in, &s, &err);
        gm_requirement r;
        if (gm_inspect_requirement(&in, &r, &err) == 0)
            gm_requirement_free(&r);
        if (in.n_files) {
            char *t = gm_inspect_cuobjdump_list(&in.files[0], &err);
            free(t);
        }
        gm_inspect_free(&in);
    } else {
        gm_elf_scan_free(&s);
    }
    free(copy);
    return 0;
}
