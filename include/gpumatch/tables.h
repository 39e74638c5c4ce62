/* Embedded knowledge tables. Each is generated at build time from one data file
 * under data/ (source named in that file), so an update is a one-line change. */
#ifndef GPUMATCH_TABLES_H
#define GPUMATCH_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CUDA toolkit release -> minimum Linux x86_64 driver. */
typedef struct {
    gm_cuda_version cuda;
    gm_driver_version toolkit_driver;     /* fully supports it; unset when NVIDIA states none */
    gm_driver_version minor_compat_driver; /* unset before CUDA 11 */
    const char *source;                   /* citation of the row */
} gm_toolkit_entry;

/* PTX ISA version -> first CUDA release that emits/understands it. */
typedef struct {
    gm_cuda_version isa; /* ISA as major.minor, e.g. 8.5 */
    gm_cuda_version first_cuda;
    const char *source;
} gm_ptx_entry;

/* Compute capability -> architecture, Tegra mark, toolkits that can target it. */
typedef struct {
    gm_cc cc;
    const char *arch;      /* "Hopper" */
    bool tegra;            /* integrated (Jetson): no binary compatibility across CCs */
    gm_cuda_version first_cuda;  /* first toolkit with sm_XY */
    gm_cuda_version last_cuda;   /* last toolkit that still targets it; {0,0} = current */
    const char *products;  /* representative GPUs, for humans */
    const char *source;
} gm_arch_entry;

/* A family-specific target (sm_XYf) and the CCs it runs on (explicit list). */
#define GM_FAMILY_MAX_MEMBERS 8
typedef struct {
    gm_cc target;                        /* X.Y of sm_XYf */
    gm_cc members[GM_FAMILY_MAX_MEMBERS];
    size_t n_members;
    gm_cuda_version first_cuda;
    const char *source;
} gm_family_entry;

/* Driver (from this version on) -> newest CUDA version it supports. */
typedef struct {
    gm_driver_version driver;
    gm_cuda_version cuda;
    const char *source;
} gm_branch_entry;

const gm_toolkit_entry *gm_table_toolkit(size_t *n);
const gm_ptx_entry *gm_table_ptx(size_t *n);
const gm_arch_entry *gm_table_arch(size_t *n);
const gm_family_entry *gm_table_family(size_t *n);
const gm_branch_entry *gm_table_branch(size_t *n);
/* The family row of target sm_XYf; NULL if the tables do not know that family. */
const gm_family_entry *gm_family_find(const gm_cc *target);
bool gm_family_has(const gm_family_entry *f, const gm_cc *cc);
/* Tegra (integrated) GPU per the tables; unknown CCs count as desktop. */
bool gm_cc_is_tegra(const gm_cc *cc);

/* Exact release; NULL if the table does not know it. */
const gm_toolkit_entry *gm_toolkit_find(const gm_cuda_version *cuda);
/* Minor-version-compatibility minimum for a major (11, 12, 13); NULL if none. */
const gm_driver_version *gm_minor_compat_driver(int cuda_major);
/* The CUDA version drv supports (cuDriverGetVersion) when only its version is
 * known: driver_branch.tsv's row for it. false if older than every row. */
bool gm_driver_max_cuda(const gm_driver_version *drv, gm_cuda_version *out);
const gm_ptx_entry *gm_ptx_find(const gm_cuda_version *isa);
/* Newest PTX ISA a driver supporting `cuda` understands. false if older than every row. */
bool gm_cuda_max_ptx(const gm_cuda_version *cuda, gm_cuda_version *isa_out);
/* The PTX ISA a CUDA `cuda` toolkit emits: false when that release is newer than the
 * tables know (its ISA cannot be assumed) or older than every row. */
bool gm_cuda_emitted_ptx(const gm_cuda_version *cuda, gm_cuda_version *isa_out);
const gm_arch_entry *gm_arch_find(const gm_cc *cc);
/* Newest CUDA release and driver the tables know (to say "newer than we know"). */
const gm_toolkit_entry *gm_toolkit_newest(void);

#ifdef __cplusplus
}
#endif
#endif
