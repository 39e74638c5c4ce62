/* k8s-labels: GPU Feature Discovery's label set for a node (as a Node Feature
 * Discovery "local" feature file: KEY=VALUE lines, # comments), and for a
 * requirement the nodeAffinity that selects on those labels.
 * Label names: NVIDIA k8s-device-plugin / gpu-feature-discovery README.
 * nodeAffinity operators (In, NotIn, Exists, DoesNotExist, Gt, Lt with one
 * integer value): Kubernetes API reference, NodeSelectorRequirement. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export_internal.h"
#include "export/units.h"
#include "gpumatch/export.h"
#include "gpumatch/tables.h"
#include "internal.h"

static void label_value(const char *in, char *out, size_t len) {
    /* label values: [A-Za-z0-9_.-], max 63; GFD writes spaces as '-' */
    size_t o = 0;
    for (; in && *in && o + 1 < len && o < 63; in++)
        out[o++] = (isalnum((unsigned char)*in) || *in == '.' || *in == '_' || *in == '-') ? *in : '-';
    out[o] = '\0';
}

int gm_export_k8s_node(const gm_node *n, char **out, gm_strlist *notes, gm_error *err) {
    gm_buf b = {0};
    char v[GM_VERSION_STR_MAX], lv[80];
    gm_buf_printf(&b, "# GPU Feature Discovery labels for %s (gpumatch export --to k8s-labels)\n"
                      "# Node Feature Discovery local feature file: copy to\n"
                      "# /etc/kubernetes/node-feature-discovery/features.d/gpumatch\n",
                  n->hostname ? n->hostname : n->instance_type ? n->instance_type : "node");
    if (gm_driver_version_is_set(&n->driver)) {
        gm_buf_printf(&b, "nvidia.com/cuda.driver-version.major=%d\n", n->driver.major);
        gm_buf_printf(&b, "nvidia.com/cuda.driver-version.minor=%d\n", n->driver.minor);
        if (n->driver.nparts >= 3)
            gm_buf_printf(&b, "nvidia.com/cuda.driver-version.revision=%02d\n", n->driver.patch);
        gm_buf_printf(&b, "nvidia.com/cuda.driver-version.full=%s\n", gm_driver_version_str(&n->driver, v));
    }
    gm_cuda_version dc;
    if (gm_node_driver_cuda(n, &dc)) {
        gm_buf_printf(&b, "nvidia.com/cuda.runtime-version.major=%d\n", dc.major);
        gm_buf_printf(&b, "nvidia.com/cuda.runtime-version.minor=%d\n", dc.minor);
        gm_buf_printf(&b, "nvidia.com/cuda.runtime-version.full=%d.%d\n", dc.major, dc.minor);
    }
    /* GFD's "mixed" MIG strategy: nvidia.com/gpu.* describe the GPUs not in
     * MIG mode (the device plugin's nvidia.com/gpu resource), MIG instances
     * get nvidia.com/mig-<profile>.* labels of their own. */
    const gm_device **full = calloc(n->n_devices ? n->n_devices : 1, sizeof *full);
    if (!full) { free(gm_buf_finish(&b, NULL)); return gm_error_set(err, GM_ENOMEM, "out of memory"); }
    size_t nf = 0;
    bool any_mig = false;
    for (size_t i = 0; i < n->n_devices; i++) {
        if (gm_dev_is_mig(&n->devices[i])) any_mig = true;
        else full[nf++] = &n->devices[i];
    }
    bool uniform = nf > 0;
    for (size_t i = 1; i < nf; i++) {
        const gm_device *x = full[0], *y = full[i];
        uniform &= !gm_cc_cmp(&x->cc, &y->cc) && x->memory_mib == y->memory_mib &&
                   !strcmp(x->name ? x->name : "", y->name ? y->name : "");
    }
    gm_buf_printf(&b, "nvidia.com/gpu.count=%zu\n", nf);
    if (uniform) {
        const gm_device *d = full[0];
        const gm_arch_entry *a = gm_arch_find(&d->cc);
        if (d->name) {
            label_value(d->name, lv, sizeof lv);
            gm_buf_printf(&b, "nvidia.com/gpu.product=%s\n", lv);
        }
        if (a && d->cc.major != 11) { /* GFD getArchFamily: "ada-lovelace"; 11.x "undefined" there */
            label_value(gm_arch_long(a->arch), lv, sizeof lv);
            for (char *p = lv; *p; p++) *p = (char)tolower((unsigned char)*p);
            gm_buf_printf(&b, "nvidia.com/gpu.family=%s\n", lv);
        }
        if (d->cc.major) { /* 0: unknown, say nothing */
            gm_buf_printf(&b, "nvidia.com/gpu.compute.major=%d\n", d->cc.major);
            gm_buf_printf(&b, "nvidia.com/gpu.compute.minor=%d\n", d->cc.minor);
        }
        if (d->memory_mib >= 0) gm_buf_printf(&b, "nvidia.com/gpu.memory=%ld\n", d->memory_mib);
        /* gpumatch's own: every nvidia.com/gpu of this node is this model
         * (requirement affinities ask for it, see docs/export.md) */
        gm_buf_printf(&b, "gpumatch.io/gpu.uniform=true\n");
    } else if (nf) {
        gm_buf m = {0};
        for (size_t i = 0; i < nf; i++)
            gm_buf_printf(&m, "%sGPU %d %s (CC %d.%d, %ld MiB)", i ? ", " : "", full[i]->index,
                          full[i]->name ? full[i]->name : "?", full[i]->cc.major,
                          full[i]->cc.minor, full[i]->memory_mib);
        char *ms = gm_buf_finish(&m, err);
        char *t = ms ? gm_asprintf("mixed GPU models on this node (%s): gpu.product, gpu.family, "
                                   "gpu.compute.* and gpu.memory are left out (real GFD writes one "
                                   "model's at random) and so is gpumatch.io/gpu.uniform, which "
                                   "gpumatch's affinities require: this node is not selected", ms)
                     : NULL;
        if (t) gm_note(&b, notes, "#", t);
        free(t);
        free(ms);
    }
    if (any_mig) {
        gm_buf_printf(&b, "nvidia.com/mig.strategy=mixed\n");
        /* per profile: count and memory */
        for (size_t i = 0; i < n->n_devices; i++) {
            const gm_device *d = &n->devices[i];
            for (size_t k = 0; gm_dev_is_mig(d) && k < d->n_mig; k++) {
                const char *pr = d->mig[k].profile;
                if (!pr) continue;
                bool seen = false;
                size_t cnt = 0;
                for (size_t j = 0; j < n->n_devices; j++)
                    for (size_t l = 0; gm_dev_is_mig(&n->devices[j]) && l < n->devices[j].n_mig; l++) {
                        const char *q = n->devices[j].mig[l].profile;
                        if (!q || strcmp(q, pr)) continue;
                        cnt++;
                        if (j < i || (j == i && l < k)) seen = true;
                    }
                if (seen) continue;
                label_value(pr, lv, sizeof lv);
                gm_buf_printf(&b, "nvidia.com/mig-%s.count=%zu\n", lv, cnt);
                if (d->mig[k].memory_mib >= 0)
                    gm_buf_printf(&b, "nvidia.com/mig-%s.memory=%ld\n", lv, d->mig[k].memory_mib);
            }
        }
        gm_note(&b, notes, "#", "MIG strategy mixed: nvidia.com/gpu.* describe the GPUs not in MIG "
                                "mode, MIG instances are nvidia.com/mig-<profile> resources");
    }
    free(full);
    *out = gm_buf_finish(&b, err);
    return *out ? 0 : GM_ENOMEM;
}

/* ---- requirement -> nodeAffinity ---- */

static void atom(gm_strlist *c, const char *key, const char *op, long v) {
    gm_strlist_addf(c, "{key: %s, operator: %s, values: [\"%ld\"]}", key, op, v);
}

/* value(major.minor[.rev]) >= (a, b, c) over three integer labels */
static void ge3(gm_dnf *d, const char *k1, const char *k2, const char *k3, long a, long b, long c) {
    gm_dnf_add(d, NULL);
    if (b == 0 && c == 0) { /* major >= a */
        atom(&d->c[d->n - 1], k1, "Gt", a - 1);
        return;
    }
    atom(&d->c[d->n - 1], k1, "Gt", a);
    gm_dnf_add(d, NULL);
    atom(&d->c[d->n - 1], k1, "In", a);
    atom(&d->c[d->n - 1], k2, "Gt", c == 0 ? b - 1 : b);
    if (c > 0 && k3) {
        gm_dnf_add(d, NULL);
        atom(&d->c[d->n - 1], k1, "In", a);
        atom(&d->c[d->n - 1], k2, "In", b);
        atom(&d->c[d->n - 1], k3, "Gt", c - 1);
    }
}

#define CMAJ "nvidia.com/gpu.compute.major"
#define CMIN "nvidia.com/gpu.compute.minor"

static void cc_dnf(const gm_cc_group *g, gm_dnf *d) {
    if (g->open_above) { /* CC >= first: (major > M) or (major = M and minor >= m) */
        ge3(d, CMAJ, CMIN, NULL, g->ccs[0].major, g->ccs[0].minor, 0);
        return;
    }
    /* whole majors (every minor from 0 up) share one "major In [...]" clause */
    gm_buf whole = {0};
    size_t nwhole = 0;
    for (size_t i = 0; i < g->n;) {
        size_t j = i;
        while (j < g->n && g->ccs[j].major == g->ccs[i].major) j++;
        bool open = g->major_open[i] && g->major_open[j - 1];
        if (open && g->ccs[i].minor == 0) {
            gm_buf_printf(&whole, "%s\"%d\"", nwhole++ ? ", " : "", g->ccs[i].major);
            i = j;
            continue;
        }
        gm_dnf_add(d, NULL);
        gm_strlist *c = &d->c[d->n - 1];
        atom(c, CMAJ, "In", g->ccs[i].major);
        if (open) {
            /* every newer minor of this major runs it too */
            atom(c, CMIN, "Gt", g->ccs[i].minor - 1);
        } else {
            gm_buf vb = {0};
            for (size_t k = i; k < j; k++) gm_buf_printf(&vb, "%s\"%d\"", k > i ? ", " : "", g->ccs[k].minor);
            char *vs = gm_buf_finish(&vb, NULL);
            gm_strlist_addf(c, "{key: %s, operator: In, values: [%s]}", CMIN, vs ? vs : "");
            free(vs);
        }
        i = j;
    }
    char *ws = gm_buf_finish(&whole, NULL);
    if (ws && nwhole) {
        gm_dnf_add(d, NULL);
        gm_strlist_addf(&d->c[d->n - 1], "{key: %s, operator: In, values: [%s]}", CMAJ, ws);
    }
    free(ws);
}

int gm_export_k8s_req(const gm_requirement *r, char **out, gm_strlist *notes, gm_error *err) {
    gm_req_summary s;
    int rc = gm_req_summarize(r, &s, err);
    if (rc) return rc;
    gm_buf b = {0};
    gm_dnf all = {0};
    gm_buf_printf(&b, "# nodeAffinity on GPU Feature Discovery labels (gpumatch export --to k8s-labels)\n");
    for (size_t g = 0; g < s.ngroups; g++) {
        gm_dnf t = {0}, x = {0};
        cc_dnf(&s.groups[g], &t);
        if (s.min_drv != GM_DRV_NONE) {
            ge3(&x, "nvidia.com/cuda.driver-version.major", "nvidia.com/cuda.driver-version.minor",
                "nvidia.com/cuda.driver-version.revision", (long)(s.min_drv / 10000000000LL),
                (long)(s.min_drv / 100000 % 100000), (long)(s.min_drv % 100000));
            gm_dnf_and(&t, &x);
            gm_dnf_free(&x);
        }
        int32_t cu = s.groups[g].need > s.min_cuda ? s.groups[g].need : s.min_cuda;
        if (cu != GM_NEED_NONE) {
            ge3(&x, "nvidia.com/cuda.runtime-version.major", "nvidia.com/cuda.runtime-version.minor",
                NULL, cu / 1000, cu % 1000 / 10, 0);
            gm_dnf_and(&t, &x);
            gm_dnf_free(&x);
        }
        if (s.min_mem_mib > 0) {
            gm_dnf_add(&x, NULL);
            atom(&x.c[0], "nvidia.com/gpu.memory", "Gt", s.min_mem_mib - 1);
            gm_dnf_and(&t, &x);
            gm_dnf_free(&x);
        }
        {   /* real GFD labels a mixed node with one model's values at random */
            gm_dnf_add(&x, NULL);
            gm_strlist_add(&x.c[0], "{key: gpumatch.io/gpu.uniform, operator: In, values: [\"true\"]}");
            gm_dnf_and(&t, &x);
            gm_dnf_free(&x);
        }
        if (s.count > 1) {
            gm_dnf_add(&x, NULL);
            atom(&x.c[0], "nvidia.com/gpu.count", "Gt", s.count - 1);
            gm_dnf_and(&t, &x);
            gm_dnf_free(&x);
        }
        for (size_t i = 0; i < t.n; i++) {
            gm_dnf_add(&all, NULL);
            for (size_t k = 0; k < t.c[i].n; k++) gm_strlist_add(&all.c[all.n - 1], t.c[i].items[k]);
        }
        gm_dnf_free(&t);
    }
    for (size_t i = 0; i < s.notes.n; i++) gm_note(&b, notes, "#", s.notes.items[i]);
    gm_note(&b, notes, "#", "GFD labels are per node, not per GPU, and on a node with mixed models "
                            "real GFD writes one model's at random: the terms require "
                            "gpumatch.io/gpu.uniform=true from gpumatch's node labels, so mixed "
                            "nodes and nodes without gpumatch's labels are not selected");
    gm_note(&b, notes, "#", "nvidia.com/gpu is served by GPUs not in MIG mode (MIG strategy mixed)");
    bool ptx = false;
    for (size_t g = 0; g < s.ngroups; g++) ptx |= s.groups[g].need != GM_NEED_NONE;
    if (ptx)
        gm_note(&b, notes, "#", "PTX JIT needs a driver that knows the PTX ISA: expressed as a "
                                "minimum on cuda.runtime-version (the CUDA version the driver supports)");
    gm_buf_printf(&b, "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
                      "      nodeSelectorTerms:\n");
    if (all.n == 0) {
        gm_note(&b, notes, "#", "no node can satisfy this requirement: the term below matches nothing");
        gm_buf_printf(&b, "      - matchExpressions:\n        - {key: gpumatch.io/unsatisfiable, operator: Exists}\n");
    }
    for (size_t i = 0; i < all.n; i++) {
        gm_buf_printf(&b, "      - matchExpressions:\n");
        if (all.c[i].n == 0)
            gm_buf_printf(&b, "        - {key: nvidia.com/gpu.count, operator: Exists}\n");
        for (size_t k = 0; k < all.c[i].n; k++) gm_buf_printf(&b, "        - %s\n", all.c[i].items[k]);
    }
    if (s.count > 0)
        gm_buf_printf(&b, "resources:\n  limits:\n    nvidia.com/gpu: %ld\n", s.count);
    if (all.oom) b.oom = true;
    gm_dnf_free(&all);
    gm_req_summary_free(&s);
    *out = gm_buf_finish(&b, err);
    return *out ? 0 : GM_ENOMEM;
}
