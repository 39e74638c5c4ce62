/* The node as `condor_gpu_discovery -properties` prints it, so HTCondor can
 * use gpumatch in MACHINE_RESOURCE_INVENTORY_GPUs. */
#ifndef GPUMATCH_CONDOR_DISCOVERY_H
#define GPUMATCH_CONDOR_DISCOVERY_H

#include <stdbool.h>
#include "gpumatch/error.h"
#include "gpumatch/node.h"

#ifdef __cplusplus
extern "C" {
#endif

/* nested: Common=[...] and one GPU_<id>=[...] ad per device (HTCondor's
 * default); else -not-nested: CUDA<Attr> for values shared by every device
 * and <id><Attr> for the rest. MIG instances are devices; their parent GPU is
 * not. Caller frees *out. */
int gm_condor_discovery(const gm_node *n, bool nested, char **out, gm_error *err);

#ifdef __cplusplus
}
#endif
#endif
