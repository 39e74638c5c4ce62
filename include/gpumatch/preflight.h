/* preflight: find the node-side states that break GPU containers even when the
 * requirement rules match (driver/library mismatch, missing device nodes, stale
 * driver libraries, unusable forward-compatibility libraries, MIG/persistence
 * state, image requirements the runtime will not evaluate). Every file is read
 * under a root prefix, so a fake or mounted system tree can be checked. */
#ifndef GPUMATCH_PREFLIGHT_H
#define GPUMATCH_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/node.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Ordered by severity: the worst result decides the verdict. SKIP = the check
 * had nothing to look at (no image, no node document); it never fails a node. */
typedef enum { GM_PF_SKIP = 0, GM_PF_OK = 1, GM_PF_WARN = 2, GM_PF_FAIL = 3 } gm_pf_status;

typedef struct {
    const char *id;   /* stable check id, e.g. "driver.version-mismatch" (static) */
    char *subject;    /* what was checked: "/dev/nvidia-uvm", "GPU 0"; may be NULL */
    gm_pf_status status;
    char *evidence;   /* what was found, one line */
    char *fix;        /* what to do; NULL when nothing is to be done */
} gm_pf_result;

typedef struct {
    gm_pf_result *items;
    size_t n, cap;
} gm_pf_report;

typedef struct {
    const char *root;      /* system tree prefix; NULL or "" = "/" */
    const gm_node *node;   /* node document (probe or --node); NULL: node checks skip */
    const char *image;     /* image for gm_image_walk (requirements, compat libs); NULL none */
    /* Image config Env when the caller already has it (launch); used instead of
     * the walked image's env when non-NULL. */
    const gm_strlist *image_env;
    const char *ldcache;   /* NULL = DRIVER_ROOT/etc/ld.so.cache */
    /* A driver container's root (GPU Operator: /run/nvidia/driver): its
     * ld.so.cache and the driver libraries it names are checked there; /proc,
     * device nodes, the runtime's config and /usr/local/cuda-*\/compat under
     * root. NULL or "" = root. */
    const char *driver_root;
} gm_pf_opts;

/* Runs every check and appends results to out (zero-initialised by the caller).
 * Returns an error only for bad input (unreadable image, bad options); a broken
 * node is reported as FAIL results, not as an error. */
int gm_preflight_run(const gm_pf_opts *opts, gm_pf_report *out, gm_error *err);

/* Entry point for launch: the checks that matter before starting one container
 * on this node (all of them; image_env from the image being launched). */
int gm_preflight_for_launch(const char *root, const gm_node *node, const gm_strlist *image_env,
                            gm_pf_report *out, gm_error *err);

gm_pf_status gm_pf_report_worst(const gm_pf_report *r);
size_t gm_pf_report_count(const gm_pf_report *r, gm_pf_status s);
void gm_pf_report_free(gm_pf_report *r);
const char *gm_pf_status_str(gm_pf_status s);   /* "ok", "warn", "fail", "skip" */

/* One line naming every failed check ("driver.version-mismatch: kernel module
 * ...; dev.nvidia-uvm: ..."), for a launcher's error message; NULL when nothing
 * failed (or out of memory). Caller frees. */
char *gm_pf_report_failures(const gm_pf_report *r);

/* Renderings (caller frees): a fixed-column text table and a JSON document
 * {"status": worst, "checks": [{id, subject, status, evidence, fix}]}. */
char *gm_pf_report_table(const gm_pf_report *r, gm_error *err);
char *gm_pf_report_json(const gm_pf_report *r, gm_error *err);

#ifdef __cplusplus
}
#endif
#endif
