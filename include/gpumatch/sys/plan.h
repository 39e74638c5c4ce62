/* gm_plan_run's compiled forms of an inventory and a request (advanced API:
 * the property tests and bench_plan check them against gm_match). */
#ifndef GPUMATCH_SYS_PLAN_H
#define GPUMATCH_SYS_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/error.h"
#include "gpumatch/node.h"
#include "gpumatch/require.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gm_plan_inventory gm_plan_inventory;
typedef struct gm_plan_creq gm_plan_creq;

int gm_plan_inventory_compile(const gm_node_list *inventory, gm_plan_inventory **out,
                              gm_error *err);
void gm_plan_inventory_free(gm_plan_inventory *inv);
/* A compiled request refers to inv's interned tables; free it before inv. */
int gm_plan_request_compile(gm_plan_inventory *inv, const gm_requirement *r, gm_plan_creq **out,
                            gm_error *err);
void gm_plan_request_free(gm_plan_creq *c);
/* Does node `node` (inventory index) satisfy the request, all devices free?
 * Same answer as gm_match(&inventory->nodes[node], r).ok. */
bool gm_plan_check(const gm_plan_inventory *inv, const gm_plan_creq *c, size_t node);

#ifdef __cplusplus
}
#endif
#endif
