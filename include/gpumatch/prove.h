/* prove: ask the driver itself. On the node, load every module of a target
 * (the fat binaries inspect finds) into a context on each visible GPU with
 * cuModuleLoadDataEx, and compare what the driver did with gm_match's
 * prediction for the probed node. A disagreement is a bug report against the
 * rules, with the driver's evidence (error name, JIT log). See docs/prove.md. */
#ifndef GPUMATCH_PROVE_H
#define GPUMATCH_PROVE_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/fatbin.h"
#include "gpumatch/node.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GM_PROVE_CUBIN = 0, /* loaded without JIT (a cubin, or a JIT cache hit) */
    GM_PROVE_JIT,       /* loaded; the driver compiled PTX (its JIT info log is not empty) */
    GM_PROVE_FAILED,    /* the driver refused it */
    GM_PROVE_SKIPPED    /* not tried: budget spent or no context on that GPU */
} gm_prove_how;

typedef struct {
    gm_prove_how predicted; /* from gm_match (CUBIN, JIT or FAILED) */
    gm_prove_how proven;
    int code;               /* CUresult of cuModuleLoadDataEx; 0 when loaded */
    char *error_name;       /* cuGetErrorName; NULL when loaded */
    char *log;              /* first line of the JIT error log (failed) or info log; may be NULL */
    double ms;              /* wall time of the load call */
    double jit_ms;          /* CU_JIT_WALL_TIME as the driver reported it */
    long sampled_from;      /* module whose load on this GPU stood for this one; -1 */
    bool disagree;
} gm_prove_load;

typedef struct {
    char *name;             /* as in gm_inspect_requirement */
    char *targets;          /* "sm_80 compute_80 (PTX ISA 9.0)" */
    bool optional;
    bool library_union;     /* inspect's "any image of this library" module: proven from its file's loads */
    gm_prove_load *loads;   /* one per device */
    /* Defines no kernel: inspect leaves it out of the requirement, so it is
     * listed (after the required ones) but not loaded (loads: skipped, uncounted). */
    bool kernel_less;
} gm_prove_module;

typedef struct {
    int ordinal;            /* CUDA device ordinal (after CUDA_VISIBLE_DEVICES) */
    int ctx_code;           /* cuDevicePrimaryCtxRetain result; 0 = context made */
    char *ctx_error;        /* its error name; NULL when 0 */
    bool predicted_ok;      /* gm_match: every required module loads, and of every entry
                             * point one variant's (device code only) */
    bool proven_ok;         /* the same from the driver's loads */
    bool complete;          /* no required module skipped */
    bool disagree;
    size_t n_disagree;      /* loads on this GPU that disagree */
} gm_prove_device;

typedef struct {
    gm_node node;           /* what probe (CUDA backend) saw: devices[i] <-> devices[i] here */
    gm_prove_device *devices;
    size_t n_devices;
    /* gm_inspect_requirement's modules, then those of each entry point's
     * variants (each module once), then kernel-less ones */
    gm_prove_module *modules;
    size_t n_modules;
    size_t n_loads, n_failed, n_jit, n_skipped, n_sampled, n_disagree;
    bool budget_expired;
    bool full_ok;           /* gm_match on the full requirement (runtime, NVIDIA_REQUIRE_*...) */
    gm_strlist full_reasons;/* its node-level reasons, for the report */
    gm_strlist notes;       /* malformed files met in a walk, ... */
    double seconds;
} gm_prove_report;

typedef struct {
    const char *cuda_lib;   /* NULL: $GPUMATCH_CUDA_PATH, else libcuda.so.1 */
    const char *gpus;       /* non-NULL: becomes CUDA_VISIBLE_DEVICES (indices, GPU-/MIG- UUIDs) */
    const char *jit_cache;  /* non-NULL: CUDA_CACHE_PATH; NULL: CUDA_CACHE_DISABLE=1 so PTX is really compiled */
    double budget_s;        /* > 0: no new load starts after this many seconds */
    bool sample;            /* load each distinct (images, PTX ISA) set once per GPU */
    gm_fatbin_depth depth;
} gm_prove_opts;

/* Proves paths (files, directories, images as inspect reads them). Sets the
 * environment above, so it must run before anything else in the process
 * initialised libcuda. GM_ENOTFOUND: no driver or no visible GPU; GM_EBACKEND:
 * the driver failed (or lacks the module API). r is filled on success and
 * freed with gm_prove_report_free in any case. */
int gm_prove(const char *const *paths, size_t n_paths, const gm_prove_opts *o,
             gm_prove_report *r, gm_error *err);
void gm_prove_report_free(gm_prove_report *r);
/* JSON document of the report (schema in docs/prove.md). Caller frees. */
char *gm_prove_report_json(const gm_prove_report *r, gm_error *err);
/* "cubin", "jit", "failed", "skipped" */
const char *gm_prove_how_name(gm_prove_how h);

#ifdef __cplusplus
}
#endif
#endif
