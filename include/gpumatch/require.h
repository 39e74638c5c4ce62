/* The requirement document: what a workload needs. Written by hand, derived by
 * inspect, or taken from an Arvados container request's runtime_constraints. */
#ifndef GPUMATCH_REQUIRE_H
#define GPUMATCH_REQUIRE_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One unit of device code that must load: a device runs it if any cubin runs
 * there or any PTX JIT-compiles there. A program is several modules (one fat
 * binary per translation unit or library) and every required one must load. */
typedef struct {
    char *name;            /* file/module name; NULL for the top-level set */
    gm_target *cubin;
    size_t n_cubin;
    gm_target *ptx;
    size_t n_ptx;
    gm_cuda_version ptx_isa; /* newest PTX ISA among ptx; valid if has_ptx_isa */
    bool has_ptx_isa;
    /* A module holding only arch-/family-specific images is a tuned kernel a
     * library dispatches to on that GPU alone: it never rules a device out. */
    bool optional;
} gm_module_req;

/* One way an entry point can run: its own CUDA runtime and modules (every
 * non-optional module must load). */
typedef struct {
    char *name;
    gm_cuda_version cuda_runtime;
    bool has_cuda_runtime;
    gm_module_req *modules;
    size_t n_modules;
} gm_req_variant;

/* A program, plugin or extension module of a tree (with what it links). It
 * runs on a GPU when one of its variants does: one variant for most, several
 * for alternatives the software picks one of at run time
 * (libbitsandbytes_cuda118.so ... _cuda132.so). Every entry point must run. */
typedef struct {
    char *name;
    gm_req_variant *variants;
    size_t n_variants;
} gm_entry_point;

typedef struct {
    char *id;                       /* queue entries; NULL otherwise */
    int priority;                   /* higher first; 0 default */
    gm_driver_version min_driver;   /* unset = none */
    gm_cuda_version cuda_runtime;   /* runtime the program was built with */
    bool has_cuda_runtime;
    gm_cuda_version min_cuda_driver; /* driver must support >= this CUDA (Arvados) */
    bool has_min_cuda_driver;
    gm_cc min_cc;                   /* device CC >= (Arvados single hardware_target) */
    bool has_min_cc;
    gm_cc *exact_cc;                /* device CC in this list (Arvados several targets) */
    size_t n_exact_cc;
    gm_module_req *modules;         /* every non-optional module must load */
    size_t n_modules;
    long device_count;              /* compatible devices needed; default 1 */
    long min_memory_mib;            /* per device; 0 = none */
    gm_strlist nvidia_require;      /* NVIDIA_REQUIRE_* values; all must hold */
    bool nvidia_disable_require;
    /* Derived by inspect from files holding no device code at all: JSON
     * "device_code": false, so a CPU-only input is never read as a pass. */
    bool no_device_code;
    gm_entry_point *entry_points;   /* JSON "entry_points"; each must run (see above) */
    size_t n_entry_points;
} gm_requirement;

void gm_requirement_init(gm_requirement *r);
void gm_requirement_free(gm_requirement *r);
void gm_module_req_free(gm_module_req *m);
void gm_req_variant_free(gm_req_variant *v);
/* A requirement that borrows the variant's runtime and modules (no copy: do not
 * free it), for judging one variant with the whole-requirement functions. */
void gm_req_variant_view(const gm_req_variant *v, gm_requirement *view);
void gm_entry_point_free(gm_entry_point *e);
/* Appends a module (takes ownership of m's members). */
int gm_requirement_add_module(gm_requirement *r, gm_module_req *m, gm_error *err);

/* Accepts the gpumatch requirement document or an Arvados container request /
 * runtime_constraints object. Unknown fields are errors naming their JSON path. */
int gm_requirement_parse(const char *text, size_t len, const char *origin, gm_requirement *r,
                         gm_error *err);
int gm_requirement_load(const char *path, gm_requirement *r, gm_error *err);

/* A queue: array of requirements or {"requests": [...]}. */
typedef struct {
    gm_requirement *items;
    size_t n;
} gm_requirement_list;
/* A list of requirement documents, {"requests": [...]}, or one document (a
 * queue of one request). */
int gm_requirement_list_load(const char *path, gm_requirement_list *l, gm_error *err);
int gm_requirement_list_parse(const char *text, size_t len, const char *origin,
                              gm_requirement_list *l, gm_error *err);
void gm_requirement_list_free(gm_requirement_list *l);

/* Canonical JSON document (accepted back by gm_requirement_parse). Caller frees. */
char *gm_requirement_to_json(const gm_requirement *r, gm_error *err);

#ifdef __cplusplus
}
#endif
#endif
