/* Export dispatch: format names and the node/requirement entry points. */
#include <string.h>
#include "gpumatch/export.h"

static const char *const names[] = {"k8s-labels", "dra", "slurm", "htcondor", "arvados"};

int gm_export_format_parse(const char *s, gm_export_format *out, gm_error *err) {
    for (int i = 0; i < 5; i++)
        if (s && !strcmp(s, names[i])) {
            *out = (gm_export_format)i;
            return 0;
        }
    return gm_error_set(err, GM_EINVAL,
                        "unknown export format '%s' (k8s-labels, dra, slurm, htcondor, arvados)",
                        s ? s : "");
}

const char *gm_export_format_name(gm_export_format f) {
    return (unsigned)f < 5 ? names[f] : "?";
}

int gm_export_node(gm_export_format f, const gm_node *n, char **out, gm_strlist *notes,
                   gm_error *err) {
    switch (f) {
    case GM_EXPORT_K8S_LABELS: return gm_export_k8s_node(n, out, notes, err);
    case GM_EXPORT_DRA: return gm_export_dra_node(n, out, notes, err);
    case GM_EXPORT_SLURM: return gm_export_slurm_node(n, out, notes, err);
    case GM_EXPORT_HTCONDOR: return gm_export_htcondor_node(n, out, notes, err);
    case GM_EXPORT_ARVADOS: return gm_export_arvados_node(n, out, notes, err);
    }
    return gm_error_set(err, GM_EINVAL, "unknown export format");
}

int gm_export_requirement(gm_export_format f, const gm_requirement *r, char **out,
                          gm_strlist *notes, gm_error *err) {
    switch (f) {
    case GM_EXPORT_K8S_LABELS: return gm_export_k8s_req(r, out, notes, err);
    case GM_EXPORT_DRA: return gm_export_dra_req(r, out, notes, err);
    case GM_EXPORT_SLURM: return gm_export_slurm_req(r, out, notes, err);
    case GM_EXPORT_HTCONDOR: return gm_export_htcondor_req(r, out, notes, err);
    case GM_EXPORT_ARVADOS: return gm_export_arvados_req(r, out, notes, err);
    }
    return gm_error_set(err, GM_EINVAL, "unknown export format");
}
