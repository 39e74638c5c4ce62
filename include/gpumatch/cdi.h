/* Container Device Interface spec for the NVIDIA GPUs of a node: one device
 * per GPU (by index and by UUID) plus "all", with the driver files every GPU
 * container needs as common containerEdits. */
#ifndef GPUMATCH_CDI_H
#define GPUMATCH_CDI_H

#include "gpumatch/driverfiles.h"
#include "gpumatch/error.h"
#include "gpumatch/node.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GM_CDI_KIND "nvidia.com/gpu"
/* Every feature used (hostPath in deviceNodes) exists since CDI 0.5.0, which
 * keeps the spec loadable by older runtimes (podman 4.3's CDI package). */
#define GM_CDI_VERSION "0.5.0"

typedef struct {
    /* GPUs by index and UUID; NULL: one device per /dev/nvidiaN (index names only). */
    const gm_node *node;
    /* The ldconfig hook program, run on the host at createContainer: NULL finds
     * nvidia-ctk under the driver files' root; if there is none, hook_fallback
     * (e.g. the gpumatch binary, called as `gpumatch cdi ldconfig-hook`) is used;
     * if that is NULL too the spec has no hook and a warning says so. */
    const char *hook_fallback;
    /* Driver container (GPU Operator: driver root /run/nvidia/driver): df holds
     * the driver root's libraries, binaries and firmware, devices_from the host
     * root's device nodes and IPC sockets (as nvidia-ctk --driver-root). NULL:
     * all from df, under df->root, or split by df->driver_root when
     * gm_driver_files_find had one. Hook programs (nvidia-cdi-hook) are looked
     * up on the host. */
    const gm_driver_files *devices_from;
} gm_cdi_opts;

/* JSON text of the spec (caller frees). warnings (may be NULL) gets one line
 * per GPU left out or hook missing. Paths on the host side carry df->root. */
char *gm_cdi_generate(const gm_driver_files *df, const gm_cdi_opts *opts, gm_strlist *warnings,
                      gm_error *err);

/* Is there a CDI spec of kind nvidia.com/gpu under ROOT/etc/cdi or
 * ROOT/var/run/cdi (the runtimes' default directories) naming every one of
 * names? 1 yes (*found: its path, caller frees), 0 no. JSON specs are parsed,
 * YAML ones (nvidia-ctk's default) read line by line for kind and names. */
int gm_cdi_find_spec(const char *root, const gm_strlist *names, char **found, gm_error *err);

/* An OCI hook's state JSON (state, len bytes; the runtime writes it to the
 * hook's stdin) -> the container's rootfs: config.json's root.path in the
 * state's bundle, made absolute. 0 and *rootfs (caller frees), or an error
 * naming the document and field; *rootfs is NULL then. */
int gm_oci_state_rootfs(const char *state, size_t len, char **rootfs, gm_error *err);

/* Default file name under /etc/cdi for the spec. */
#define GM_CDI_DEFAULT_PATH "/etc/cdi/nvidia-gpumatch.json"

#ifdef __cplusplus
}
#endif
#endif
