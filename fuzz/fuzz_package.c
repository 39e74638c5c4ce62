/* Packages straight to libarchive: the bytes are a wheel or zip, a .conda
 * (zip holding pkg-*.tar.zst), or a compressed single file (.gz/.bz2/.xz/.zst
 * of a cubin, PTX or fat binary), read through a memfd as `gpumatch inspect`
 * reads a package file; what it finds goes on to the requirement and its JSON.
 * A compressed tar is handed back (handled = false) to the image walker,
 * which fuzz_inspect_image covers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "inspect_internal.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    fz_memfd_path(data, size, path);
    gm_inspect in;
    gm_inspect_init(&in, size % 2 ? GM_FATBIN_VERIFY : GM_FATBIN_HEADERS);
    gm_error err = {0};
    bool handled;
    if (gm_inspect_add_package(&in, path, &handled, &err) == 0 && handled) {
        gm_requirement r;
        if (gm_inspect_requirement(&in, &r, &err) == 0) {
            free(gm_requirement_to_json(&r, &err));
            gm_requirement_free(&r);
        }
    }
    gm_inspect_free(&in);
    return 0;
}
