/* Driver file discovery: the host files a GPU container needs (user-space
 * driver libraries found through ld.so.cache, utility binaries, device nodes,
 * GSP firmware, IPC sockets), grouped by NVIDIA's driver capability names.
 * Everything is looked up under a root prefix so a fake tree can be tested;
 * paths in the result are host paths without that prefix. */
#ifndef GPUMATCH_DRIVERFILES_H
#define GPUMATCH_DRIVERFILES_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* NVIDIA_DRIVER_CAPABILITIES values gpumatch knows the files of. */
enum {
    GM_CAP_COMPUTE = 1 << 0,
    GM_CAP_UTILITY = 1 << 1,
    GM_CAP_VIDEO = 1 << 2,
    GM_CAP_GRAPHICS = 1 << 3,
    GM_CAP_ALL = GM_CAP_COMPUTE | GM_CAP_UTILITY | GM_CAP_VIDEO | GM_CAP_GRAPHICS
};
#define GM_CAP_DEFAULT (GM_CAP_COMPUTE | GM_CAP_UTILITY)

typedef enum {
    GM_DF_LIBRARY = 1,
    GM_DF_BINARY,
    GM_DF_DEVICE,
    GM_DF_FIRMWARE,
    GM_DF_IPC
} gm_df_kind;

typedef struct {
    gm_df_kind kind;
    unsigned cap;      /* the capability it belongs to; 0 = every container (devices, firmware) */
    char *path;        /* host path of the file itself: "/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05" */
    char *soname;      /* libraries: "libcuda.so.1" (the ld.so.cache key); else NULL */
    char *link;        /* libraries: the cache's path for soname ("/usr/lib/.../libcuda.so.1") */
    /* Device nodes. A regular file where a node belongs (fake roots) is kept
     * with is_char_device false and major/minor -1; see docs/launch.md. */
    bool is_char_device;
    long major, minor;
    int gpu_index;     /* /dev/nvidiaN -> N; else -1 */
} gm_driver_file;

typedef struct {
    char *path;        /* the file the cache's entry leads to */
    char *soname;
    char *version;     /* version suffix found ("470.57.02"), or NULL if none */
    char *reason;      /* one line */
} gm_stale_file;

typedef struct {
    char *root;              /* as given ("/" default) */
    /* --driver-root: where libraries, binaries and firmware were found; NULL
     * when they come from root (see gm_driver_file_host_path) */
    char *driver_root;
    char *driver_version;    /* the running driver's version text, "535.104.05" */
    char *driver_source;     /* where it came from: "/proc/driver/nvidia/version" or "given" */
    char *ldcache_path;      /* host path of the cache read */
    const char *ldcache_format;
    gm_driver_file *files;
    size_t n, cap;
    gm_stale_file *stale;    /* other-version libraries: reported, never mounted */
    size_t n_stale, cap_stale;
    gm_strlist missing;      /* expected and absent ("libcuda.so.1 (compute): not in ld.so.cache") */
    gm_strlist warnings;     /* e.g. kernel module and given version differ */
} gm_driver_files;

typedef struct {
    const char *root;            /* NULL or "" = "/" */
    unsigned caps;               /* GM_CAP_* bits; 0 = GM_CAP_DEFAULT */
    const char *driver_version;  /* NULL: read ROOT/proc/driver/nvidia/version */
    const char *ldcache;         /* host path; NULL = /etc/ld.so.cache (under root) */
    /* A driver container's root (GPU Operator: /run/nvidia/driver): its
     * ld.so.cache, libraries, binaries and firmware; device nodes, IPC sockets
     * and the kernel's driver version stay under root (as nvidia-ctk
     * --driver-root). NULL or "" = root. */
    const char *driver_root;
} gm_driver_files_opts;

/* GM_ENODRIVER when no driver version can be found (no NVIDIA driver),
 * GM_EABSENT when the ld.so.cache is missing, GM_EINVAL when the version file
 * is malformed, too large or not a regular file; the message names the file. */
int gm_driver_files_find(const gm_driver_files_opts *opts, gm_driver_files *out, gm_error *err);
void gm_driver_files_free(gm_driver_files *f);

/* The path of d on the machine running gpumatch: d->path under driver_root
 * for libraries, binaries and firmware, under root for device nodes and IPC
 * sockets. Caller frees; NULL when out of memory. */
char *gm_driver_file_host_path(const gm_driver_files *f, const gm_driver_file *d);

/* "compute,utility" / "all" -> bits; unknown names are an error. */
int gm_driver_caps_parse(const char *s, unsigned *out, gm_error *err);
/* "compute,utility" (caller frees). */
char *gm_driver_caps_str(unsigned caps);
const char *gm_driver_cap_name(unsigned one_cap); /* "compute"; "all" for 0 */
const char *gm_df_kind_name(gm_df_kind k);         /* "library", "device", ... */

/* JSON document of the result (pretty, trailing newline); caller frees. */
char *gm_driver_files_to_json(const gm_driver_files *f, gm_error *err);

#ifdef __cplusplus
}
#endif
#endif
