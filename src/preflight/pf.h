/* Shared state of one preflight run; one .c file per check family. */
#ifndef GM_PREFLIGHT_PF_H
#define GM_PREFLIGHT_PF_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/sys/ldcache.h"
#include "gpumatch/preflight.h"
#include "gpumatch/sys/preflight.h"
#include "gpumatch/version.h"

/* The library's .note.cuda.fwd_compatibility (compatnote.c). */
#define PF_NOTE_MAX_BRANCHES 32
typedef struct {
    bool present;
    gm_cuda_version cuda;           /* "CUDA Version"; {0,0} absent */
    int branches[PF_NOTE_MAX_BRANCHES]; /* "Driver": host branches it supports */
    size_t n_branches;
} pf_compat_note;
int pf_compat_note_read(const unsigned char *data, size_t len, pf_compat_note *out);
bool pf_compat_note_has_branch(const pf_compat_note *n, int branch);

/* A cuda-X.Y/compat/libcuda.so.<ver> found on the host or in the image. */
typedef struct {
    pf_compat_note note;
    bool in_image;
    char *path;              /* inside the root or the image */
    gm_driver_version ver;
    char ver_str[GM_VERSION_STR_MAX];
    gm_cuda_version cuda;    /* from the "cuda-X.Y" directory; {0,0} unknown */
    bool forced;             /* host: in ld.so.cache; image: on LD_LIBRARY_PATH */
} pf_compat;

typedef struct {
    const char *root;        /* "" for the real root, else the prefix without trailing '/' */
    const char *droot;       /* the driver's user-space files: root, or --driver-root */
    bool fake_root;
    const gm_node *node;
    gm_pf_report *out;

    /* Kernel module (/proc/driver/nvidia/version). */
    bool have_kmod;
    gm_driver_version kmod;
    /* The driver that is running: kernel module, else the node document's. */
    bool have_running;
    gm_driver_version running;
    char running_str[GM_VERSION_STR_MAX];

    bool have_ldcache;
    gm_ldcache cache;
    char *ldcache_path;      /* as given or ROOT/etc/ld.so.cache */
    char ldcache_err[GM_ERROR_MSG_MAX];

    bool have_image_env;
    gm_strlist image_env;    /* owned copy */
    pf_compat *compat;
    size_t n_compat, cap_compat;
} pf_ctx;

/* Appends one result; subject and fix may be NULL. 0 or GM_ENOMEM. */
int pf_add(pf_ctx *c, const char *id, gm_pf_status st, const char *subject, const char *fix,
           const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Resolves a driver file (an ld.so.cache entry) inside the driver root,
 * following symlinks (absolute targets are taken relative to that root, ".."
 * never leaves it). out gets the resolved path as seen inside it. 0 when the
 * final file exists, -1 otherwise. */
int pf_resolve(const pf_ctx *c, const char *abs, char *out, size_t outlen);
/* "libcuda.so.580.95.05" with stem "libcuda.so." -> true and the version. */
bool pf_lib_version(const char *file, const char *stem, gm_driver_version *v);
const char *pf_base(const char *path);
/* Data-center GPU (forward compatibility, persistence advice): from the brand,
 * else from the product name; GM_TRI_UNKNOWN when neither tells. */
gm_tristate pf_is_datacenter(const gm_device *d);
/* Value of KEY in a "KEY=VALUE" list, NULL if absent. */
const char *pf_env_get(const gm_strlist *env, const char *key);

int pf_check_driver(pf_ctx *c);      /* driver.c: kernel module, version mismatch */
int pf_check_libs(pf_ctx *c);        /* driver.c: libcuda.so.1 target, duplicates, stale */
int pf_check_devnodes(pf_ctx *c);    /* devnodes.c */
int pf_find_host_compat(pf_ctx *c);  /* compat.c */
int pf_check_compat(pf_ctx *c);      /* compat.c */
int pf_check_gpu_state(pf_ctx *c);   /* gpustate.c */
int pf_load_image(pf_ctx *c, const char *image, gm_error *err); /* imagereq.c */
int pf_check_image(pf_ctx *c);       /* imagereq.c */
/* Compat libraries are read whole for their note up to this size (libcuda is ~100 MB). */
#define PF_COMPAT_MAX_BYTES ((size_t)512 << 20)
int pf_compat_add(pf_ctx *c, bool in_image, const char *path, const gm_driver_version *v,
                  bool forced, const pf_compat_note *note);

#endif
