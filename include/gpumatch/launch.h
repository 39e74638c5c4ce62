/* launch: check a requirement against a node, pick compatible devices by UUID
 * and build the container runtime's command line. The library only builds the
 * argv and environment; the CLI exec()s it. No shell is involved anywhere. */
#ifndef GPUMATCH_LAUNCH_H
#define GPUMATCH_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/match.h"
#include "gpumatch/node.h"
#include "gpumatch/require.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GM_RT_DOCKER = 1,
    GM_RT_PODMAN,       /* through CDI: --device nvidia.com/gpu=UUID */
    GM_RT_SINGULARITY,
    GM_RT_APPTAINER
} gm_runtime;

int gm_runtime_parse(const char *s, gm_runtime *out, gm_error *err);
const char *gm_runtime_name(gm_runtime r);

typedef struct {
    gm_runtime runtime;
    const char *program;        /* argv[0]; NULL = "docker", "podman", "singularity", "apptainer" */
    const char *image;          /* refused if it starts with '-' or is empty */
    char *const *cmd;           /* command in the container (may be empty) */
    size_t n_cmd;
    long gpus;                  /* devices to give; 0 = the requirement's device_count */
    bool all_gpus;              /* every usable device (at least device_count); MIG
                                 * instances are then not used, as for gpus > 1 */
    const char *capabilities;   /* NVIDIA_DRIVER_CAPABILITIES for docker; NULL = "compute,utility" */
    const gm_strlist *image_env; /* the image's Env ("KEY=VALUE"), for NVIDIA_REQUIRE_*; may be NULL */
    /* docker: --device nvidia.com/gpu=ID (CDI) instead of --gpus; the NVIDIA
     * toolkit in cdi mode refuses --gpus (see gm_cdi_find_spec) */
    bool docker_cdi;
    /* singularity/apptainer: --nv --nvccli (nvidia-container-cli sets the
     * container up and evaluates NVIDIA_REQUIRE_*) */
    bool nvccli;
} gm_launch_opts;

typedef struct {
    bool ok;                    /* false: refused, see reasons */
    gm_verdict verdict;
    gm_strlist reasons;         /* why refused */
    gm_strlist notes;
    gm_strlist ids;             /* picked device ids: UUIDs (index when a device has none) */
    gm_strlist argv;            /* the runtime command line (argv[0] = program) */
    gm_strlist env;             /* "KEY=VALUE" to add to the runtime's own environment */
    gm_strlist container_env;   /* "KEY=VALUE" set inside the container */
} gm_launch_plan;

/* Fills plan. Returns 0 when a decision was made (plan->ok says which), or an
 * error for bad options (image starting with '-', a UUID unfit for a command
 * line, a bad NVIDIA_REQUIRE_* expression). */
int gm_launch_prepare(const gm_node *node, const gm_requirement *req, const gm_launch_opts *o,
                      gm_launch_plan *plan, gm_error *err);
void gm_launch_plan_free(gm_launch_plan *p);

/* Docker Engine API body for POST /containers/create: Image, Cmd, Env and
 * HostConfig.DeviceRequests (Driver "nvidia", DeviceIDs, Capabilities
 * [["gpu", caps...]]). Caller frees. */
char *gm_launch_engine_api_json(const gm_launch_plan *p, const gm_launch_opts *o, gm_error *err);

/* POSIX shell quoting of one word: plain words unchanged, else '...' with
 * embedded quotes as '\''. Caller frees. */
char *gm_shell_quote(const char *s);

#ifdef __cplusplus
}
#endif
#endif
