/* probe -> node: discover this machine's driver and GPUs. Backends are tried in
 * order (NVML, CUDA driver API, /proc, nvidia-smi XML); NVIDIA libraries are
 * dlopen()ed so gpumatch runs on machines without them. */
#ifndef GPUMATCH_PROBE_H
#define GPUMATCH_PROBE_H

#include <stdbool.h>
#include "gpumatch/error.h"
#include "gpumatch/node.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *backend;   /* NULL = auto; "nvml", "cuda", "procfs", "smi" */
    const char *smi_file;  /* recorded `nvidia-smi -q -x` output (backend "smi") */
    const char *root;      /* prefix for /proc and /dev paths; NULL = "/" */
    bool visible;          /* honour CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES */
} gm_probe_opts;

/* Fills out (gm_node_init'ed by the caller). GM_ENOTFOUND when no NVIDIA driver
 * is present; GM_EBACKEND when a library is present but fails (message names
 * the library and NVML's error string). */
int gm_probe(const gm_probe_opts *opts, gm_node *out, gm_error *err);

#ifdef __cplusplus
}
#endif
#endif
