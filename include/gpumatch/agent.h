/* agent: keep the engines' view of this node true. One evaluation (probe +
 * preflight) renders the node for Node Feature Discovery (a local-source
 * feature file), Prometheus (a node_exporter textfile) and Slurm (the node's
 * features via scontrol); files are replaced atomically and only when their
 * content changes. The last good node is kept while probing fails.
 * Also here: the Slurm health check (drain on a failed preflight check,
 * resume only a drain it made itself). */
#ifndef GPUMATCH_AGENT_H
#define GPUMATCH_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/node.h"
#include "gpumatch/preflight.h"
#include "gpumatch/probe.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    gm_probe_opts probe;     /* how to probe (backend, library overrides) */
    const char *root;        /* system tree for preflight; NULL = "/" */
    const char *nfd_file;    /* features.d/<name>; NULL: no NFD output */
    const char *prom_file;   /* textfile collector <name>.prom; NULL: none */
    const char *slurm_node;  /* NodeName to keep features on; NULL: no Slurm */
    const char *scontrol;    /* NULL = "scontrol" from PATH */
    long expiry_s;           /* NFD +expiry-time = write time + this; <= 0: 300 */
    const char *label_ns;    /* namespace of gpumatch's own labels; NULL = "gpumatch.io" */
} gm_agent_opts;

typedef struct gm_agent gm_agent;

int gm_agent_new(const gm_agent_opts *opts, gm_agent **out, gm_error *err);
void gm_agent_free(gm_agent *a);

/* One evaluation at time now. log gets one line per state change (first
 * state, node facts or health changed, probe/write/scontrol failing or
 * recovering); a steady state adds nothing. Returns 0 when every output is
 * current, GM_ENOTFOUND/GM_EBACKEND when probing failed (last good state
 * kept), GM_EIO when an output could not be written or scontrol failed. */
int gm_agent_step(gm_agent *a, time_t now, gm_strlist *log, gm_error *err);

/* A cheap fingerprint of what changes when the driver, device set or MIG
 * layout changes (ROOT/proc/driver/nvidia, ROOT/dev/nvidia*, the NVML
 * library file); callers re-evaluate early when it differs. Caller frees. */
char *gm_agent_fingerprint(const gm_agent *a);

/* Writes path through a hidden temporary file in the same directory and a
 * rename, keeping an existing file's mode (0644 for a new file): readers
 * never see a partial file, a failure leaves the old file. */
int gm_agent_write_atomic(const char *path, const char *data, size_t len, gm_error *err);

/* ---- Slurm ---- */
typedef struct {
    const char *node;        /* NodeName; NULL: $SLURMD_NODENAME, else short hostname */
    const char *scontrol;    /* NULL = "scontrol" */
    const char *state_file;  /* records a drain made by gpumatch; required */
} gm_slurm_health_opts;

typedef enum {
    GM_SLURM_HEALTH_OK = 0,        /* healthy, nothing to do */
    GM_SLURM_HEALTH_DRAINED,       /* a check failed: node drained now */
    GM_SLURM_HEALTH_STILL_DRAINED, /* a check failed: already drained (by us or others) */
    GM_SLURM_HEALTH_RESUMED        /* healthy again: our drain undone */
} gm_slurm_health_action;

/* Health check for Slurm's HealthCheckProgram: on a failed preflight check
 * drains the node with the check as the reason; when healthy resumes it only
 * if the state file says gpumatch drained it (and its reason is still ours). */
int gm_slurm_health(const gm_slurm_health_opts *opts, const gm_pf_report *report,
                    gm_slurm_health_action *action, char *msg, size_t msglen, gm_error *err);

/* Runs argv (no shell), output (stdout+stderr, bounded) in *out (may be NULL).
 * Returns the exit status (>= 0), or an error. */
int gm_agent_run(char *const argv[], char **out, gm_error *err);

/* `scontrol show node NAME -o` field (AvailableFeatures, ActiveFeatures, State,
 * Reason) into buf; false when absent. */
bool gm_slurm_node_field(const char *show, const char *field, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
