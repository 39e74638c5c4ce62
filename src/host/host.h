/* Internal half of src/host/: files of the node under a root. Paths given
 * are absolute paths on the node ("/proc/devices"); symbolic links are
 * followed as the node would, but never out of the root. */
#ifndef GM_HOST_INTERNAL_H
#define GM_HOST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include "gpumatch/sys/host.h"
#include "gpumatch/common.h"

/* root + abs as one host path (no resolution); root NULL, "" or "/" gives
 * abs. NULL only when out of memory. Caller frees. */
char *gm_host_path(const char *root, const char *abs);

/* Resolves abs inside root component by component: absolute link targets
 * restart at root, ".." stops at root. 0 and *out = the resolved path on the
 * node (without root); 1 when a component is missing, *out = what resolved
 * plus the unresolved tail (for messages); -1 on a link loop, an over-long
 * path or no memory, *out = NULL. Caller frees *out. */
int gm_host_resolve(const char *root, const char *abs, char **out);

/* Opens abs under root read-only: confined (openat2 RESOLVE_IN_ROOT, else
 * gm_host_resolve), O_NONBLOCK so a FIFO never blocks, and only a regular
 * file. -1 with errno (EINVAL: not a regular file). */
int gm_host_open(const char *root, const char *abs);

/* Whole file abs under root, at most max bytes, NUL-terminated. GM_EABSENT
 * when missing, GM_EINVAL when not a regular file or over max ("too large"),
 * GM_EIO otherwise; the message names root+abs. len may be NULL. */
int gm_host_read(const char *root, const char *abs, size_t max, char **text, size_t *len,
                 gm_error *err);

/* Sorted entry names of directory abs under root, without "." names.
 * GM_EABSENT when the directory is missing. */
int gm_host_list(const char *root, const char *abs, gm_strlist *names, gm_error *err);

/* Which root a file of the node is read under when the driver's user-space
 * part lives in a driver container (--driver-root; NVIDIA's GPU Operator
 * mounts it at /run/nvidia/driver): ld.so.cache, libraries, binaries and
 * firmware from driver_root; the kernel's side (/proc, device nodes, IPC
 * sockets) from root. driver_root NULL or "" means root. */
typedef enum { GM_HOST_KERNEL_SIDE, GM_HOST_DRIVER_SIDE } gm_host_side;
const char *gm_host_root_for(const char *root, const char *driver_root, gm_host_side side);

/* stat(2) of abs under root, symbolic links followed inside the root; with
 * follow false the last component itself (lstat). 0, or -1 with errno. */
int gm_host_stat(const char *root, const char *abs, bool follow, struct stat *st);

/* A program: a regular file with an execute bit, links followed in the root. */
bool gm_host_is_executable(const char *root, const char *abs);

/* The GPUs the kernel module lists: PCI bus ids ("0000:3b:00.0") of
 * /proc/driver/nvidia/gpus, sorted. GM_EABSENT when there is no directory. */
int gm_host_gpus(const char *root, gm_strlist *bus, gm_error *err);

/* /proc/driver/nvidia/gpus/BUS/information, as gm_host_read. */
int gm_host_gpu_information(const char *root, const char *bus, char **text, size_t *len,
                            gm_error *err);

/* The CUDA toolkits' forward-compatibility directories, /usr/local/cuda*\/compat,
 * that exist: resolved inside root, in directory-name order. 0 also when none. */
int gm_host_cuda_compat_dirs(const char *root, gm_strlist *dirs, gm_error *err);

#endif
