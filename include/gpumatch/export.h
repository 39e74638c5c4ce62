/* Exports: a node document or a requirement in a scheduler's own language.
 * Node -> facts (labels, ResourceSlice, gres.conf/Features, ClassAd, Arvados
 * InstanceTypes); requirement -> constraints (nodeAffinity, CEL selector,
 * --constraint/--gres, require_gpus, runtime_constraints.gpu).
 * Where a target cannot say something exactly, the output is tightened (it may
 * refuse a node that would work, never accept one that would not) and a note
 * says so: as comments in the text, and in `notes` for callers (JSON output
 * cannot carry comments). */
#ifndef GPUMATCH_EXPORT_H
#define GPUMATCH_EXPORT_H

#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/node.h"
#include "gpumatch/require.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GM_EXPORT_K8S_LABELS = 0, /* "k8s-labels" */
    GM_EXPORT_DRA,            /* "dra" */
    GM_EXPORT_SLURM,          /* "slurm" */
    GM_EXPORT_HTCONDOR,       /* "htcondor" */
    GM_EXPORT_ARVADOS         /* "arvados" */
} gm_export_format;

int gm_export_format_parse(const char *s, gm_export_format *out, gm_error *err);
const char *gm_export_format_name(gm_export_format f);

/* Text in *out (caller frees). notes (may be NULL) gets what was not expressible. */
int gm_export_node(gm_export_format f, const gm_node *n, char **out, gm_strlist *notes,
                   gm_error *err);
/* Several nodes as documents a tool can apply: DRA a YAML stream ("---"),
 * Slurm one slurm.conf section (GresTypes=gpu, NodeName lines) and one
 * gres.conf section, Arvados one InstanceTypes map; k8s-labels and HTCondor
 * per-node blocks (one file per node: the CLI's -o DIR). */
int gm_export_nodes(gm_export_format f, const gm_node_list *l, char **out, gm_strlist *notes,
                    gm_error *err);
int gm_export_requirement(gm_export_format f, const gm_requirement *r, char **out,
                          gm_strlist *notes, gm_error *err);

/* Per target (src/export/<target>.c). */
int gm_export_k8s_node(const gm_node *n, char **out, gm_strlist *notes, gm_error *err);
int gm_export_k8s_req(const gm_requirement *r, char **out, gm_strlist *notes, gm_error *err);
int gm_export_dra_node(const gm_node *n, char **out, gm_strlist *notes, gm_error *err);
int gm_export_dra_req(const gm_requirement *r, char **out, gm_strlist *notes, gm_error *err);
int gm_export_slurm_node(const gm_node *n, char **out, gm_strlist *notes, gm_error *err);
int gm_export_slurm_req(const gm_requirement *r, char **out, gm_strlist *notes, gm_error *err);
/* Slurm rejects constraints naming features no node has: with the cluster's
 * node documents, only alternatives made of their features are kept. */
int gm_export_slurm_req_for(const gm_requirement *r, const gm_node_list *cluster, char **out,
                            gm_strlist *notes, gm_error *err);
int gm_export_htcondor_node(const gm_node *n, char **out, gm_strlist *notes, gm_error *err);
int gm_export_htcondor_req(const gm_requirement *r, char **out, gm_strlist *notes, gm_error *err);
int gm_export_arvados_node(const gm_node *n, char **out, gm_strlist *notes, gm_error *err);
int gm_export_arvados_req(const gm_requirement *r, char **out, gm_strlist *notes, gm_error *err);

#ifdef __cplusplus
}
#endif
#endif
