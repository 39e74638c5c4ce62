/* Shared by plan and the exporters: a requirement reduced to integers. */
#ifndef GM_EXPORT_INTERNAL_H
#define GM_EXPORT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "gpumatch/node.h"
#include "gpumatch/require.h"
#include "gpumatch/version.h"

#define GM_NEED_NONE INT32_MIN /* no condition */
#define GM_NEED_NEVER INT32_MAX /* cannot be satisfied */

/* Driver version as one integer (parts are < 100000): 535.104.05 ->
 * 535*10^10 + 104*10^5 + 5; unset -> -1. */
int64_t gm_drv_int(const gm_driver_version *v);
#define GM_DRV_NONE INT64_MIN
#define GM_DRV_NEVER INT64_MAX
/* CUDA version as cuDriverGetVersion: 12.2 -> 12020. */
int32_t gm_cuda_int(const gm_cuda_version *v);
/* What the node's driver supports as a CUDA integer, -1 unknown. */
int32_t gm_node_cuda_int(const gm_node *n);

/* Family used by `f` targets: the table's, else the major (NVIDIA: one family
 * per major so far). */
int gm_cc_family(const gm_cc *cc);
/* Would a cubin / PTX image for target t load on a device of CC cc (ignoring
 * the driver)? Mirrors gm_rule_cubin / gm_rule_ptx. */
bool gm_target_runs_on(const gm_target *t, const gm_cc *cc);

/* The CUDA version (integer, as gm_cuda_int) the driver must support for the
 * requirement's device code, CC limits and modules to run on a device of CC cc:
 * GM_NEED_NONE (cubins suffice), a version (PTX JIT needs a driver that knows
 * the PTX ISA), or GM_NEED_NEVER. */
int32_t gm_req_cc_need(const gm_requirement *r, const gm_cc *cc);

/* Node-level thresholds, each "node value >= threshold" (GM_NEED_NONE = none):
 * the driver (min_driver), the CUDA the driver supports (min_cuda_driver), and
 * the runtime rule: drv >= rt_drv || probed cuda >= rt_cuda (as gm_rule_runtime,
 * only a probed cuDriverGetVersion counts there, not one derived from the
 * driver version). */
typedef struct {
    int64_t min_drv, rt_drv; /* GM_DRV_NONE / GM_DRV_NEVER */
    int32_t min_cuda, rt_cuda;
} gm_req_node_need;
void gm_req_node_thresholds(const gm_requirement *r, gm_req_node_need *out);

/* Growable text buffer for the exporters. */
typedef struct {
    char *s;
    size_t len, cap;
    bool oom;
} gm_buf;
void gm_buf_printf(gm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the text (caller frees) or NULL with GM_ENOMEM in err. */
char *gm_buf_finish(gm_buf *b, gm_error *err);

#endif
