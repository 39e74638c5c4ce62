/* Shared by the exporters: requirement summaries over the core thresholds. */
#ifndef GM_EXPORT_INTERNAL_H
#define GM_EXPORT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "gpumatch/node.h"
#include "gpumatch/require.h"
#include "gpumatch/version.h"

#include "core/core.h"
#include "internal.h"

/* ---- requirement summary for the exporters ---- */
#include "gpumatch/common.h"

/* Known CCs (tables) that need the same driver CUDA version. */
typedef struct {
    int32_t need;     /* GM_NEED_NONE or CUDA integer the driver must support */
    gm_cc *ccs;       /* ascending */
    size_t n;
    bool open_above;  /* also every CC newer than the tables know (PTX, min CC) */
    bool *major_open; /* per ccs[i]: newer minors of that major also run */
} gm_cc_group;

typedef struct {
    int64_t min_drv;  /* GM_DRV_NONE or gm_drv_int */
    int32_t min_cuda; /* GM_NEED_NONE or CUDA integer */
    gm_cc_group *groups;
    size_t ngroups;
    long count, min_mem_mib;
    gm_strlist notes; /* what targets cannot express / what was tightened */
} gm_req_summary;

/* Folds the runtime rule, min driver, NVIDIA_REQUIRE_* (first group made of
 * >= conditions on cuda/driver/arch; conservative) into lower bounds. */
int gm_req_summarize(const gm_requirement *r, gm_req_summary *s, gm_error *err);
void gm_req_summary_free(gm_req_summary *s);
/* Driver integer back to "535.104.05". */
void gm_drv_int_str(int64_t v, char *buf, size_t len);
/* Smallest CUDA release in the tables whose bundled driver is >= v: a node
 * supporting that CUDA has at least driver v. GM_NEED_NEVER if none. */
int32_t gm_cuda_for_driver(int64_t v);
/* "8.6" -> short name pieces */
void gm_cuda_int_str(int32_t v, char *buf, size_t len);
/* Strict semver from a dotted version: "535.104.05" -> "535.104.5", "12.2" -> "12.2.0". */
void gm_semver(const char *dotted, char *buf, size_t len);
/* Lowercase model word for Slurm's gres Type: "NVIDIA A100-SXM4-80GB" -> "a100". */
void gm_gpu_type_word(const char *name, char *buf, size_t len);
/* True when all devices share name, CC and memory. */
bool gm_node_uniform(const gm_node *n);

/* Disjunctive normal form helpers: a clause is an AND of atoms (strings in a
 * target's syntax), a dnf an OR of clauses. */
typedef struct {
    gm_strlist *c;
    size_t n;
    bool oom;
} gm_dnf;
void gm_dnf_free(gm_dnf *d);
/* Appends a clause of the given atoms (NULL-terminated). */
void gm_dnf_add(gm_dnf *d, ...);
/* d := d AND e (cross product); an empty e leaves d unchanged. */
void gm_dnf_and(gm_dnf *d, const gm_dnf *e);
/* x >= (a.b.c) over integer labels: 1-3 clauses; fmt_gt/fmt_in print atoms. */
typedef void (*gm_atom_fn)(gm_dnf *d, gm_strlist *clause, int part, bool gt, long v);
/* Records a note both in the list and as a comment line in the buffer. */
void gm_note(gm_buf *b, gm_strlist *notes, const char *comment, const char *text);

#endif
