/* Shared between inspect.c and the package reader (inspect_pkg.c). */
#ifndef GPUMATCH_INSPECT_INTERNAL_H
#define GPUMATCH_INSPECT_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/image.h"
#include "gpumatch/inspect.h"

/* Scans one file met in a walk (mapped when it has an fd, else read through
 * f->read); a malformed file is recorded in in->errors. */
int gm_inspect_visit(gm_inspect *in, const char *origin, gm_image_file *f, gm_error *err);

/* What a package reader makes of a path's first bytes. */
typedef enum {
    GM_PKG_NONE = 0,   /* not a package: ELF, tar, image, ... */
    GM_PKG_ZIP,        /* .whl, .zip, .conda */
    GM_PKG_COMPRESSED  /* gzip/bzip2/xz/zstd: a single file or a tar inside */
} gm_pkg_kind;
gm_pkg_kind gm_inspect_pkg_sniff(const unsigned char *head, size_t len);

/* Reads a zip (wheel, conda) or a compressed file with libarchive, streamed:
 * every regular member goes through gm_inspect_visit; nested .tar.zst /
 * .tar.bz2 / .tar.gz members (conda's pkg-*.tar.zst) are opened in turn.
 * Symlinks are never followed. *handled is false when the input is a
 * compressed tar (left to gm_image_walk, which knows image layouts). */
int gm_inspect_add_package(gm_inspect *in, const char *path, bool *handled, gm_error *err);

/* Copies head and the rest of f (read to its end, at most 2 GiB) into an
 * unlinked file in $TMPDIR, maps it and scans it, so a big member or a
 * decompressed file costs the pages the scan touches, not its size. Returns
 * the scan's status (its error in *fe); *io set: an error of the copy (or
 * the size cap, or the module consumer) in *err. */
int gm_inspect_spill_scan(gm_inspect *in, gm_image_file *f, const unsigned char *head,
                          size_t have, const char *name, gm_elf_scan *s, gm_error *fe,
                          gm_error *err, bool *io);
#endif
