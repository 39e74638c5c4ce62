/* The one rules core, compiled: a requirement reduced to integer thresholds that
 * match, plan and the exporters all decide with. Every decision here is made by
 * the rule functions of include/gpumatch/rules.h; nothing restates a rule. */
#ifndef GM_CORE_H
#define GM_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include "gpumatch/node.h"
#include "gpumatch/require.h"
#include "gpumatch/version.h"

#define GM_NEED_NONE INT32_MIN  /* no condition */
#define GM_NEED_NEVER INT32_MAX /* cannot be satisfied */
#define GM_DRV_NONE INT64_MIN
#define GM_DRV_NEVER INT64_MAX

/* Driver version as one integer (parts are < 100000): 535.104.05 ->
 * 535*10^10 + 104*10^5 + 5; unset -> -1. */
int64_t gm_drv_int(const gm_driver_version *v);
/* CUDA version as cuDriverGetVersion: 12.2 -> 12020. */
int32_t gm_cuda_int(const gm_cuda_version *v);
/* What the node's driver supports as a CUDA integer, -1 unknown. */
int32_t gm_node_cuda_int(const gm_node *n);

/* The PTX ISA assumed for modules that state none: none (no constraint), the
 * ISA the requirement's CUDA runtime emits, or unknown (a runtime newer than
 * the tables: undecidable). */
typedef enum { GM_ISA_NONE = 0, GM_ISA_KNOWN, GM_ISA_UNKNOWN } gm_isa_state;
typedef struct {
    gm_isa_state state;
    gm_cuda_version isa;
} gm_isa_assume;
void gm_core_isa_assume(const gm_requirement *r, gm_isa_assume *out);

/* What the driver must support for module m to load on a device of CC cc:
 * need = GM_NEED_NONE (a cubin runs), a CUDA integer (PTX JIT needs a driver that
 * knows its ISA) or GM_NEED_NEVER; unknown = NEVER because the tables lack the
 * knowledge (an ISA, a family). */
typedef struct {
    int32_t need;
    bool unknown;
    long ptx;   /* the PTX image that gives `need`, -1 */
} gm_module_need;
void gm_core_module_need(const gm_module_req *m, const gm_isa_assume *a, const gm_cc *cc,
                         gm_module_need *out);

/* The CUDA version (integer) the driver must support for the requirement's CC
 * limits and required modules on a device of CC cc: GM_NEED_NONE, a version, or
 * GM_NEED_NEVER. */
int32_t gm_req_cc_need(const gm_requirement *r, const gm_cc *cc);

/* Node-level thresholds, each "node value >= threshold": the driver
 * (min_driver), the CUDA the driver supports (min_cuda_driver), and the runtime
 * rule: drv >= rt_drv || probed cuda >= rt_cuda. */
typedef struct {
    int64_t min_drv, rt_drv; /* GM_DRV_NONE / GM_DRV_NEVER */
    int32_t min_cuda, rt_cuda;
} gm_req_node_need;
void gm_req_node_thresholds(const gm_requirement *r, gm_req_node_need *out);

/* May a unit (whole GPU or MIG device) serve a request of `count` GPUs? */
bool gm_core_unit_usable(bool is_mig, long count);

#endif
