/* Walk the files of a root file system: a directory tree, a `docker save`
 * tarball, an OCI image tarball or an OCI layout directory. Layers are applied
 * in order with whiteouts honoured; symlinks never lead out of the root; a
 * file's bytes are streamed, so memory does not grow with the image. */
#ifndef GPUMATCH_IMAGE_H
#define GPUMATCH_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gm_image_file gm_image_file;
struct gm_image_file {
    const char *path;   /* absolute path inside the root: "/usr/lib/libx.so" */
    uint64_t size;      /* bytes */
    /* Reads up to len bytes; *got = 0 at end. Valid only during the visit. */
    int (*read)(gm_image_file *f, void *buf, size_t len, size_t *got, gm_error *err);
    void *impl;
    uint32_t mode;      /* permission bits (07777) as stored in the root */
};

/* Return 0 to continue, a negative gm_status to stop the walk with that error. */
typedef int (*gm_image_visit)(void *ctx, gm_image_file *f, gm_error *err);

typedef struct {
    char *kind;            /* "directory", "docker-archive", "oci-archive", "oci-layout",
                              "rootfs-archive" (a tar/.tar.gz root fs), "file" */
    char *reference;       /* image name/tag if known */
    gm_strlist env;        /* image config Env ("KEY=VALUE"), e.g. NVIDIA_REQUIRE_CUDA */
    size_t n_layers;
    size_t n_files;        /* regular files visited */
    size_t n_skipped;      /* not visited: unreadable in a tree, hard links not resolved */
} gm_image_info;

/* Visits every regular file of the merged root (for a plain file: that file),
 * once per path. Symlinks and special files are never visited nor followed.
 * info may be NULL; otherwise it is reset first and must be freed with
 * gm_image_info_free even when the walk fails. See docs/image.md. */
int gm_image_walk(const char *path, gm_image_visit visit, void *ctx, gm_image_info *info,
                  gm_error *err);
void gm_image_info_free(gm_image_info *info);
/* The open file descriptor behind f when it is a real file (directory trees and
 * plain files), so a reader can mmap it; -1 for a file streamed from a layer. */
int gm_image_file_fd(const gm_image_file *f);
/* Reads the whole file into memory (for ELF parsing); max bounds the size. */
int gm_image_file_slurp(gm_image_file *f, size_t max, unsigned char **out, size_t *len,
                        gm_error *err);

#ifdef __cplusplus
}
#endif
#endif
