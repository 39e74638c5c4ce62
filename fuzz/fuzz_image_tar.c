/* Feeds bytes as an image tarball (docker-archive or OCI archive, whichever
 * the bytes look like) to gm_image_walk through a memfd, reading every file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "gpumatch/image.h"
#include "fuzz_util.h"

static int visit(void *ctx, gm_image_file *f, gm_error *err) {
    int *n = ctx;
    if ((*n)++ % 2 == 0) {
        unsigned char *d;
        size_t len;
        int rc = gm_image_file_slurp(f, 1 << 20, &d, &len, err);
        if (rc == 0)
            free(d);
        return rc == GM_EINVAL ? 0 : rc; /* over the limit: go on */
    }
    unsigned char buf[777];
    size_t got;
    do {
        int rc = f->read(f, buf, sizeof buf, &got, err);
        if (rc < 0)
            return rc;
    } while (got);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    fz_memfd_path(data, size, path);
    gm_image_info info = {0};
    gm_error err = {0};
    int n = 0;
    gm_image_walk(path, visit, &n, &info, &err);
    gm_image_info_free(&info);
    return 0;
}
