/* CUDA's compatibility rules as pure functions (no I/O). Each returns a verdict
 * and writes a human reason that names the numbers involved. */
#ifndef GPUMATCH_RULES_H
#define GPUMATCH_RULES_H

#include <stdbool.h>
#include "gpumatch/version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GM_NO = 0,
    GM_YES = 1,
    GM_UNKNOWN = 2 /* the tables do not know enough to decide; treated as "no" */
} gm_verdict_kind;

typedef enum {
    GM_HOW_NONE = 0,
    GM_HOW_DIRECT,       /* satisfied as is */
    GM_HOW_MINOR_COMPAT, /* runtime accepted via CUDA minor version compatibility */
    GM_HOW_JIT           /* PTX compiled by the driver at load time */
} gm_how;

#define GM_REASON_MAX 256

typedef struct {
    gm_verdict_kind verdict;
    gm_how how;
    char reason[GM_REASON_MAX];
} gm_rule_result;

/* cubin sm_XY on CC A.B: A.B == X.Y, or A == X && B >= Y when neither is a Tegra
 * CC (binary compatibility is desktop-only); sm_XYa: A.B == X.Y; sm_XYf: A.B is a
 * member of the family (data/family.tsv), UNKNOWN for a family the tables lack. */
gm_verdict_kind gm_rule_cubin(const gm_target *cubin, const gm_cc *dev, gm_rule_result *r);

/* The device half of the PTX rule: compute_XY JIT-compiles on A.B >= X.Y;
 * compute_XYa only on X.Y; compute_XYf on the family's members. */
gm_verdict_kind gm_rule_ptx_arch(const gm_target *ptx, const gm_cc *dev, gm_rule_result *r);
/* The driver half: PTX ISA `isa` needs a driver supporting CUDA *need (YES), or
 * the tables do not know the ISA (UNKNOWN). */
gm_verdict_kind gm_rule_ptx_isa_need(const gm_cuda_version *isa, gm_cuda_version *need,
                                     gm_rule_result *r);
/* PTX compute_XY on CC A.B: A.B >= X.Y (compute_XYa: == X.Y; compute_XYf: family, >=)
 * and the driver (supporting CUDA driver_cuda) understands PTX ISA `isa`.
 * isa or driver_cuda may be NULL when unknown: the ISA check is then skipped
 * (isa unknown) or UNKNOWN (driver unknown). */
gm_verdict_kind gm_rule_ptx(const gm_target *ptx, const gm_cuda_version *isa, const gm_cc *dev,
                            const gm_cuda_version *driver_cuda, gm_rule_result *r);

/* CUDA runtime R on driver D (driver_cuda = what D supports, may be NULL):
 * ok iff D >= toolkit driver of R (or driver_cuda >= R), else for R.major >= 11
 * ok via minor version compatibility iff D >= that major's minimum. */
gm_verdict_kind gm_rule_runtime(const gm_cuda_version *runtime, const gm_driver_version *drv,
                                const gm_cuda_version *driver_cuda, gm_rule_result *r);

/* The two drivers gm_rule_runtime accepts runtime rt from: full support (unset
 * when the tables state none) and the major's minor-version-compatibility
 * minimum (unset before CUDA 11). */
void gm_rule_runtime_need(const gm_cuda_version *rt, gm_driver_version *full,
                          gm_driver_version *minor_compat);
/* MIG: a CUDA process enumerates a single MIG device (MIG User Guide, "CUDA
 * Device Enumeration"), so a MIG device serves only a request of one GPU, and
 * it is never combined with other GPUs. */
typedef long gm_device_count_t;
gm_verdict_kind gm_rule_mig(const gm_device_count_t count, gm_rule_result *r);
/* Plain lower bound on the driver version. */
gm_verdict_kind gm_rule_min_driver(const gm_driver_version *min, const gm_driver_version *drv,
                                   gm_rule_result *r);

/* The CUDA version the driver supports must be >= min (Arvados' driver_version). */
gm_verdict_kind gm_rule_min_cuda_driver(const gm_cuda_version *min,
                                        const gm_cuda_version *driver_cuda, gm_rule_result *r);

#ifdef __cplusplus
}
#endif
#endif
