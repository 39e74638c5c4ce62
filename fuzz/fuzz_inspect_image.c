/* Whole-image walk: the bytes are an image tarball (docker-archive, OCI
 * archive or a root file system tar), inspected end to end as `gpumatch
 * inspect --json` does: layer merge, ELF/fat binary scan of every file, the
 * requirement and its JSON. Seeds: fuzz/corpus/image_tar. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "gpumatch/inspect.h"
#include "gpumatch/require.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    fz_memfd_path(data, size, path);
    gm_inspect in;
    gm_inspect_init(&in, size % 2 ? GM_FATBIN_VERIFY : GM_FATBIN_HEADERS);
    gm_image_info info = {0};
    gm_error err = {0};
    if (gm_inspect_add_path(&in, path, &info, &err) == 0) {
        gm_requirement r;
        if (gm_inspect_requirement(&in, &r, &err) == 0) {
            free(gm_requirement_to_json(&r, &err));
            gm_requirement_free(&r);
        }
    }
    gm_image_info_free(&info);
    gm_inspect_free(&in);
    return 0;
}
