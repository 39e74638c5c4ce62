/* Image manifests read directly (no tar around them, so every mutation lands
 * in the JSON): byte 0 picks docker-archive (manifest.json) or OCI layout
 * (index.json); the rest is up to four NUL-separated documents written into a
 * private layout directory as the top document and the blobs
 * blobs/sha256/{aa..,bb..,cc..}. The chosen config's Env is read as well. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "fuzz_util.h"
#include "image/image_internal.h"

#define HEX64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
                 c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
static const char *const blobs[] = {"blobs/sha256/" HEX64("a"), "blobs/sha256/" HEX64("b"),
                                    "blobs/sha256/" HEX64("c")};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int dirfd = -1;
    if (dirfd < 0 && (dirfd = open(fz_tmpdir("manifest"), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        abort();
    if (!size)
        return 0;
    bool docker = data[0] & 1;
    const uint8_t *part[4];
    size_t len[4];
    size_t n = fz_split(data + 1, size - 1, part, len, 4);
    fz_put(docker ? "manifest.json" : "index.json", part[0], len[0]);
    fz_put(docker ? "index.json" : "manifest.json", NULL, 0);
    for (size_t i = 0; i < 3; i++)
        fz_put(blobs[i], i + 1 < n ? part[i + 1] : NULL, i + 1 < n ? len[i + 1] : 0);
    gm_img_src s = {.origin = "fuzz", .dirfd = dirfd, .fd = -1};
    gm_img_plan p = {0};
    gm_error err = {0};
    int rc = docker ? gm_img_plan_docker(&s, &p, &err) : gm_img_plan_oci(&s, &p, &err);
    if (rc == 0 && p.config) {
        gm_strlist env = {0};
        gm_img_read_config(&s, p.config, &env, &err);
        gm_strlist_free(&env);
    }
    gm_img_plan_free(&p);
    return 0;
}
