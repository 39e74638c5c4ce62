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
    gm_driver_version toolkit_driver;     /* driver bundled with the GA release */
    gm_driver_version minor_compat_driver; /* unset before CUDA 11 */
} gm_toolkit_entry;

/* PTX ISA version -> first CUDA release that emits/understands it. */
typedef struct {
    gm_cuda_version isa; /* ISA as major.minor, e.g. 8.5 */
    gm_cuda_version first_cuda;
} gm_ptx_entry;

/* Compute capability -> architecture, family, toolkits that can target it. */
typedef struct {
    gm_cc cc;
    const char *arch;      /* "Hopper" */
    int family;            /* family-specific (f) targets run within one family */
    gm_cuda_version first_cuda;  /* first toolkit with sm_XY */
    gm_cuda_version last_cuda;   /* last toolkit that still targets it; {0,0} = current */
    const char *products;  /* representative GPUs, for humans */
} gm_arch_entry;

const gm_toolkit_entry *gm_table_toolkit(size_t *n);
const gm_ptx_entry *gm_table_ptx(size_t *n);
const gm_arch_entry *gm_table_arch(size_t *n);

/* Exact release; NULL if the table does not know it. */
const gm_toolkit_entry *gm_toolkit_find(const gm_cuda_version *cuda);
/* Minor-version-compatibility minimum for a major (11, 12, 13); NULL if none. */
const gm_driver_version *gm_minor_compat_driver(int cuda_major);
/* Highest CUDA release whose bundled driver is <= drv (what the driver supports,
 * when the driver API version is not known). false if older than every row. */
bool gm_driver_max_cuda(const gm_driver_version *drv, gm_cuda_version *out);
const gm_ptx_entry *gm_ptx_find(const gm_cuda_version *isa);
/* Newest PTX ISA a CUDA version understands. false if older than every row. */
bool gm_cuda_max_ptx(const gm_cuda_version *cuda, gm_cuda_version *isa_out);
const gm_arch_entry *gm_arch_find(const gm_cc *cc);
/* Newest CUDA release and driver the tables know (to say "newer than we know"). */
const gm_toolkit_entry *gm_toolkit_newest(void);

#ifdef __cplusplus
}
#endif
#endif
