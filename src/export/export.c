/* Export dispatch: format names and the node/requirement entry points. */
#include <string.h>
#include <stdlib.h>
#include "gpumatch/export.h"
#include "export/export_internal.h"
#include "export/units.h"
#include "internal.h"

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

static int slurm_nodes(const gm_node_list *l, char **out, gm_strlist *notes, gm_error *err) {
    gm_buf c = {0}, g = {0};
    for (size_t i = 0; i < l->n; i++) {
        char *conf, *gres;
        int rc = gm_export_slurm_node_parts(&l->nodes[i], &conf, &gres, notes, err);
        if (rc) { free(gm_buf_finish(&c, NULL)); free(gm_buf_finish(&g, NULL)); return rc; }
        gm_buf_printf(&c, "%s", conf);
        gm_buf_printf(&g, "%s", gres);
        free(conf);
        free(gres);
    }
    char *cs = gm_buf_finish(&c, err), *gs = gm_buf_finish(&g, err);
    *out = cs && gs ? gm_asprintf("# Slurm node facts for %zu nodes (gpumatch export --to slurm)\n"
                                  "# slurm.conf\nGresTypes=gpu\n%s# gres.conf\n%s", l->n, cs, gs)
                    : NULL;
    free(cs);
    free(gs);
    return *out ? 0 : gm_error_set(err, GM_ENOMEM, "out of memory");
}

int gm_export_nodes(gm_export_format f, const gm_node_list *l, char **out, gm_strlist *notes,
                    gm_error *err) {
    *out = NULL;
    if (f == GM_EXPORT_SLURM) return slurm_nodes(l, out, notes, err);
    if (f == GM_EXPORT_ARVADOS) return gm_export_arvados_nodes(l, out, notes, err);
    gm_buf b = {0};
    for (size_t i = 0; i < l->n; i++) {
        char *one;
        int rc = gm_export_node(f, &l->nodes[i], &one, notes, err);
        if (rc) { free(gm_buf_finish(&b, NULL)); return rc; }
        gm_buf_printf(&b, "%s%s", i == 0 ? "" : f == GM_EXPORT_DRA ? "---\n" : "\n", one);
        free(one);
    }
    *out = gm_buf_finish(&b, err);
    return *out ? 0 : GM_ENOMEM;
}
