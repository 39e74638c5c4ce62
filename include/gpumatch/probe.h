/* probe -> node: discover this machine's driver and GPUs. Backends are tried in
 * order (NVML, CUDA driver API, /proc, nvidia-smi XML); NVIDIA libraries are
 * dlopen()ed so gpumatch runs on machines without them. */
#ifndef GPUMATCH_PROBE_H
#define GPUMATCH_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/common.h"
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
    /* Additions (zero-initialised = defaults): */
    const char *nvml_lib;  /* NULL: $GPUMATCH_NVML_PATH, else "libnvidia-ml.so.1" */
    const char *cuda_lib;  /* NULL: $GPUMATCH_CUDA_PATH, else "libcuda.so.1" */
    const char *smi_cmd;   /* NULL: $GPUMATCH_NVIDIA_SMI, else "nvidia-smi" from PATH */
    bool cross_check;      /* after NVML also ask the CUDA driver API (cuInit is slow) */
} gm_probe_opts;

/* Fills out (gm_node_init'ed by the caller). GM_ENODRIVER when no NVIDIA driver
 * is present (GM_EABSENT when the one backend asked for is not installed); GM_EBACKEND when a library is present but fails (message names
 * the library and NVML's error string). */
int gm_probe(const gm_probe_opts *opts, gm_node *out, gm_error *err);

/* As gm_probe; notes (may be NULL) receives one line per disagreement between
 * backends or per ignored CUDA_VISIBLE_DEVICES entry, and *used (may be NULL)
 * the backend that produced the node ("nvml", "cuda", "procfs", "smi"). */
int gm_probe_ex(const gm_probe_opts *opts, gm_node *out, gm_strlist *notes, const char **used,
                gm_error *err);

/* Parses `nvidia-smi -q -x` output. origin (a file name) prefixes messages. */
int gm_probe_parse_smi_xml(const char *xml, size_t len, const char *origin, gm_node *out,
                           gm_error *err);

/* NVML brand enum value -> the lower-case word NVIDIA's container stack uses
 * ("tesla", "geforce", "nvidiartx", ...); "unknown" for values it does not know. */
const char *gm_probe_brand_word(int nvml_brand);
/* nvidia-smi's <product_brand> text ("Quadro RTX") -> the same word ("quadrortx"). */
const char *gm_probe_brand_from_text(const char *text);

#ifdef __cplusplus
}
#endif
#endif
