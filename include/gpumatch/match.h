/* match(node, requirement) -> verdict with a reason for every rejection. */
#ifndef GPUMATCH_MATCH_H
#define GPUMATCH_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/common.h"
#include "gpumatch/node.h"
#include "gpumatch/require.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A schedulable unit: a whole GPU, or one MIG instance of a GPU in MIG mode. */
typedef struct {
    size_t device;        /* index into node->devices */
    long mig;             /* index into that device's mig[], or -1 */
    bool ok;
    gm_strlist reasons;   /* why not (empty when ok) */
    gm_strlist notes;     /* how it fits, e.g. "module x via PTX JIT" */
} gm_unit_verdict;

typedef struct {
    const gm_node *node;
    bool ok;
    gm_strlist reasons;   /* node-level failures (driver, too few devices) */
    gm_strlist notes;     /* e.g. "CUDA 12.8 runtime ok via minor version compatibility" */
    gm_unit_verdict *units;
    size_t n_units;
    size_t n_compatible;
} gm_verdict;

int gm_match(const gm_node *node, const gm_requirement *req, gm_verdict *out, gm_error *err);
void gm_verdict_free(gm_verdict *v);
/* "0", "0:1" (GPU 0, MIG instance 1), for tables. */
void gm_unit_label(const gm_verdict *v, const gm_unit_verdict *u, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
