/* NVIDIA's container requirement language (NVIDIA_REQUIRE_CUDA and friends),
 * evaluated the way libnvidia-container does: space-separated groups are OR-ed,
 * comma-separated conditions inside a group AND-ed, each variable AND-ed. */
#ifndef GPUMATCH_NVREQ_H
#define GPUMATCH_NVREQ_H

#include <stdbool.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/node.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Syntax check only (for requirement documents). */
int gm_nvreq_validate(const char *expr, gm_error *err);

/* Evaluates expr on node with device dev (NULL = no GPU selected: arch/brand
 * conditions count as satisfied). *ok gets the result; when false, why gets one
 * line per failed group ("cuda>=12.2: driver supports CUDA 12.0"). */
int gm_nvreq_eval(const char *expr, const gm_node *node, const gm_device *dev, bool *ok,
                  gm_strlist *why, gm_error *err);

/* From an image's Env list ("KEY=VALUE"): the NVIDIA_REQUIRE_* values (JETPACK
 * excepted; a legacy CUDA_VERSION without NVIDIA_REQUIRE_CUDA becomes
 * "cuda>=MAJ.MIN"), and whether NVIDIA_DISABLE_REQUIRE is set true. */
int gm_nvreq_from_env(const gm_strlist *env, gm_strlist *exprs, bool *disabled, gm_error *err);

#ifdef __cplusplus
}
#endif
#endif
