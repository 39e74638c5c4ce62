/* Shared between the image walker's parts: directory walk, outer tar index,
 * image manifests (docker-archive, OCI) and the layer merge. */
#ifndef GM_IMAGE_INTERNAL_H
#define GM_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "gpumatch/image.h"

/* ---- path helpers (path.c) ---- */
/* Lexically cleans a path found inside an image into "a/b/c" form (no leading
 * or trailing '/', no "." or empty parts, ".." resolved). Returns 0, or 1 when
 * the path climbs above the root ("../x", "a/../../x"); out has n bytes. */
int gm_img_clean_path(const char *in, char *out, size_t n);
/* "sha256:<hex>" -> "blobs/sha256/<hex>"; rejects anything that is not a
 * plain algorithm and lowercase hex, so a digest can never name another path. */
int gm_img_digest_path(const char *digest, char *out, size_t n);

/* ---- outer tar index (tarindex.c) ---- */
typedef struct {
    char *name;     /* cleaned path */
    char *link;     /* symlink target as stored, or NULL */
    uint64_t off;   /* data offset in the file */
    uint64_t size;
    char type;      /* tar typeflag ('0' regular, '2' symlink, '5' dir, ...) */
} gm_tar_member;

typedef struct {
    gm_tar_member *m;
    size_t n, cap;
} gm_tar_index;

/* True when the 512-byte block is a tar header with a valid checksum. */
bool gm_tar_is_header(const unsigned char *b);
/* Reads the member headers of an uncompressed tar (ustar, GNU long names,
 * pax path/size). Only headers are read; data is skipped by offset. */
int gm_tar_index_build(int fd, uint64_t file_size, const char *origin, gm_tar_index *ix,
                       gm_error *err);
/* Finds a member by cleaned name, following symlinks inside the archive
 * (docker save links duplicate layers); NULL when absent. */
const gm_tar_member *gm_tar_index_find(const gm_tar_index *ix, const char *name);
void gm_tar_index_free(gm_tar_index *ix);

/* ---- where blobs live (blob.c) ---- */
typedef struct {
    const char *origin; /* the path the user gave, for messages */
    int dirfd;          /* OCI layout directory, or -1 */
    int fd;             /* archive file, or -1 */
    uint64_t fsize;
    gm_tar_index ix;
    bool whole;         /* a root file system tarball: every blob is the whole file */
} gm_img_src;

/* A byte range of a file holding one blob (a layer, a JSON document). */
typedef struct {
    int fd;
    bool own_fd;
    uint64_t off, size;
} gm_blob;

int gm_src_open_blob(gm_img_src *s, const char *name, gm_blob *b, gm_error *err);
void gm_blob_close(gm_blob *b);
/* Reads a whole small blob (JSON), NUL-terminated, at most max bytes. */
int gm_src_read_doc(gm_img_src *s, const char *name, size_t max, char **out, size_t *len,
                    gm_error *err);

/* ---- manifests (manifest.c) ---- */
typedef struct {
    gm_strlist layers;  /* blob names inside the source, bottom layer first */
    char *config;       /* blob name of the image config, or NULL */
    char *reference;
} gm_img_plan;

int gm_img_plan_docker(gm_img_src *s, gm_img_plan *p, gm_error *err);
int gm_img_plan_oci(gm_img_src *s, gm_img_plan *p, gm_error *err);
/* Reads config.Env into env. */
int gm_img_read_config(gm_img_src *s, const char *config, gm_strlist *env, gm_error *err);
void gm_img_plan_free(gm_img_plan *p);

/* ---- layer merge (layers.c) ---- */
int gm_img_walk_layers(gm_img_src *s, const gm_strlist *layers, gm_image_visit visit, void *ctx,
                       size_t *n_files, size_t *n_skipped, gm_error *err);

/* True when the file is a tar compressed with gzip/zstd/xz/bzip2 (only its
 * first header is decompressed to tell). */
bool gm_img_is_compressed_tar(int fd, uint64_t size);

/* ---- directory tree (dir.c) ---- */
int gm_img_walk_dir(const char *root, gm_image_visit visit, void *ctx, size_t *n_files,
                    size_t *n_skipped, gm_error *err);

/* Reading through a plain file descriptor (dir.c; also used for "file"). */
int gm_img_fd_read(gm_image_file *f, void *buf, size_t len, size_t *got, gm_error *err);

#endif
