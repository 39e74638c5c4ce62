/* plan: place a queue of requests on an inventory of fixed nodes and cloud
 * instance types. Each node and request is compiled once into a compact form so
 * that one (request, node) check is a handful of integer comparisons; the
 * compiled check agrees with gm_match (tests/plan verifies it on random cases).
 *
 * Order: requests are placed greedily by priority (higher first), ties in input
 * order. Each request goes to the first fixed machine (inventory order; a node
 * with count N is N machines in a row) that has enough free compatible devices,
 * taking its first free compatible devices in device order; otherwise to the cheapest instance type that
 * fits and has an instance left (ties: inventory order); otherwise it is
 * unschedulable, with gm_match's reasons for every node kind. */
#ifndef GPUMATCH_PLAN_H
#define GPUMATCH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/node.h"
#include "gpumatch/require.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GM_PLACE_NODE = 1,          /* concrete devices on a fixed node */
    GM_PLACE_INSTANCE_TYPE = 2, /* a new instance of this type */
    GM_PLACE_UNSCHEDULABLE = 3
} gm_place_kind;

typedef struct {
    size_t device; /* index into node->devices */
    long mig;      /* index into that device's mig[], or -1 for the whole GPU */
} gm_plan_unit;

typedef struct {
    size_t request;      /* index into the queue */
    gm_place_kind kind;
    size_t node;         /* index into the inventory (node or instance type) */
    long copy;           /* which of a fixed node's `count` identical machines, 0-based */
    gm_plan_unit *units; /* GM_PLACE_NODE: the devices assigned */
    size_t n_units;
    /* GM_PLACE_UNSCHEDULABLE: one line per distinct reason, naming the node
     * kinds it applies to; shared by requests of the same shape (they get the
     * same answer), owned by the plan. NULL otherwise. */
    const gm_strlist *reasons;
    size_t reason_set;   /* index into gm_plan.reason_sets */
} gm_plan_entry;

typedef struct {
    gm_plan_entry *entries; /* one per request, in queue (input) order */
    size_t n;
    size_t n_on_nodes, n_on_types, n_unschedulable;
    uint64_t checks;        /* compiled (request, node kind) checks performed */
    gm_strlist *reason_sets;
    size_t n_reason_sets;
} gm_plan;

typedef struct {
    bool no_reasons; /* skip gm_match for unschedulable requests (benchmarks) */
    /* Reason lists (one per unschedulable request shape, each gm_match over
     * every node kind that does not fit) are built on this many threads at
     * most; 0: one per online CPU (up to 16). The plan is the same for any. */
    int threads;
} gm_plan_options;

int gm_plan_run(const gm_node_list *inventory, const gm_requirement_list *queue,
                const gm_plan_options *opt, gm_plan *out, gm_error *err);
void gm_plan_free(gm_plan *p);

/* Reports (docs/plan.md), written as they are made: memory does not grow
 * with the queue. One line (text) or object (JSON) per request in queue
 * order, then the summary. Nodes are named "HOST", or "HOST#COPY" for count
 * > 1. An unschedulable request whose reason list (shared per request shape)
 * was already printed for an earlier request names that request instead:
 * text "for the reasons given for ID", JSON "same_reasons_as": ID; JSON also
 * gives "reason_set", the index of the list. Text escapes control characters
 * (gm_fputs_safe); JSON refuses a string that is not UTF-8 (GM_EINVAL). */
typedef enum { GM_PLAN_TEXT = 0, GM_PLAN_JSON = 1 } gm_plan_format;

/* Receives the report in pieces of up to 64 KiB; nonzero stops the report
 * (gm_plan_write then fails with GM_EIO). */
typedef int (*gm_plan_sink)(void *ctx, const char *data, size_t len);

int gm_plan_write(gm_plan_format fmt, gm_plan_sink sink, void *ctx,
                  const gm_node_list *inventory, const gm_requirement_list *queue,
                  const gm_plan *p, gm_error *err);
/* The same to a stdio stream (the caller's buffering) ... */
int gm_plan_write_text(FILE *f, const gm_node_list *inventory, const gm_requirement_list *queue,
                       const gm_plan *p, gm_error *err);
int gm_plan_write_json(FILE *f, const gm_node_list *inventory, const gm_requirement_list *queue,
                       const gm_plan *p, gm_error *err);
/* ... and into one string (caller frees), for small plans and tests. */
char *gm_plan_to_json(const gm_node_list *inventory, const gm_requirement_list *queue,
                      const gm_plan *p, gm_error *err);
char *gm_plan_to_text(const gm_node_list *inventory, const gm_requirement_list *queue,
                      const gm_plan *p, gm_error *err);

#ifdef __cplusplus
}
#endif
#endif
