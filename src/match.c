/* match(node, requirement) -> verdict. Node-level rules (driver, runtime) first,
 * then every schedulable unit (GPU, or MIG instance) against capability, memory
 * and every required module's code. Each failure becomes a reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/match.h"
#include "gpumatch/nvreq.h"
#include "gpumatch/rules.h"
#include "gpumatch/tables.h"
#include "core/core.h"
#include "internal.h"

#define OOM(err) gm_error_set(err, GM_ENOMEM, "out of memory")

void gm_verdict_free(gm_verdict *v) {
    if (!v)
        return;
    for (size_t i = 0; i < v->n_units; i++) {
        gm_strlist_free(&v->units[i].reasons);
        gm_strlist_free(&v->units[i].notes);
    }
    free(v->units);
    gm_strlist_free(&v->reasons);
    gm_strlist_free(&v->notes);
    memset(v, 0, sizeof *v);
}

void gm_unit_label(const gm_verdict *v, const gm_unit_verdict *u, char *buf, size_t len) {
    const gm_device *d = &v->node->devices[u->device];
    if (u->mig >= 0)
        snprintf(buf, len, "%d:%ld", d->index, u->mig);
    else
        snprintf(buf, len, "%d", d->index);
}

static int add(gm_strlist *l, const char *s, gm_error *err) {
    return gm_strlist_add(l, s) < 0 ? OOM(err) : 0;
}

/* Notes name at most this many unused optional modules (a library has thousands). */
#define MAX_OPTIONAL_NOTES 3

/* Decides with the core (gm_core_module_need); the rule functions format the
 * reason only when the module does not load. */
static int check_module(const gm_module_req *m, const gm_cc *cc, const gm_cuda_version *driver_cuda,
                        const gm_isa_assume *assume, const gm_requirement *req, size_t *n_unused,
                        gm_unit_verdict *u, gm_error *err) {
    gm_module_need mn;
    gm_core_module_need(m, assume, cc, &mn);
    char ccs[GM_VERSION_STR_MAX], ts[GM_VERSION_STR_MAX];
    gm_cc_str(cc, ccs);
    if (mn.need == GM_NEED_NONE && mn.ptx < 0)
        return 0;
    if (mn.need != GM_NEED_NEVER && (mn.need == GM_NEED_NONE ||
                                     (driver_cuda && mn.need <= gm_cuda_int(driver_cuda)))) {
        if (gm_strlist_addf(&u->notes, "%s%svia PTX JIT of %s", m->name ? m->name : "",
                            m->name ? ": " : "", gm_target_str(&m->ptx[mn.ptx], ts)) < 0)
            return OOM(err);
        return 0;
    }
    if (m->optional) { /* a tuned kernel the program will not dispatch to here */
        if (++*n_unused > MAX_OPTIONAL_NOTES)
            return 0;
        return gm_strlist_addf(&u->notes, "optional %s unused on %s",
                               m->name ? m->name : "module", ccs) < 0 ? OOM(err) : 0;
    }
    /* Reasons: the first cubin of the device's major (or one the tables cannot
     * place), and the PTX image that came closest. */
    char cub[GM_REASON_MAX], ptx[GM_REASON_MAX];
    gm_rule_result rr = {0};
    long same = -1;
    for (size_t i = 0; i < m->n_cubin && same < 0; i++)
        if (m->cubin[i].cc.major == cc->major ||
            gm_rule_cubin(&m->cubin[i], cc, NULL) == GM_UNKNOWN)
            same = (long)i;
    if (!m->n_cubin)
        snprintf(cub, sizeof cub, "no cubin");
    else if (same < 0) {
        /* name what is there, so two requests failing alike read apart */
        int w = snprintf(cub, sizeof cub, "no cubin for major %d (has", cc->major);
        for (size_t i = 0; i < m->n_cubin && i < 3 && w > 0 && (size_t)w < sizeof cub; i++)
            w += snprintf(cub + w, sizeof cub - (size_t)w, " %s%s",
                          gm_target_str(&m->cubin[i], ts), i + 1 < m->n_cubin ? "," : "");
        if (w > 0 && (size_t)w < sizeof cub)
            snprintf(cub + w, sizeof cub - (size_t)w, "%s)", m->n_cubin > 3 ? " ..." : "");
    }
    else {
        gm_rule_cubin(&m->cubin[same], cc, &rr);
        snprintf(cub, sizeof cub, "%s", rr.reason);
    }
    if (!m->n_ptx) {
        snprintf(ptx, sizeof ptx, "no PTX");
    } else {
        long pick = mn.ptx;
        for (size_t i = 0; i < m->n_ptx && pick < 0; i++)
            if (gm_rule_ptx_arch(&m->ptx[i], cc, NULL) == GM_YES)
                pick = (long)i;
        const gm_target *t = &m->ptx[pick < 0 ? 0 : pick];
        if (pick >= 0 && !m->has_ptx_isa && assume->state == GM_ISA_UNKNOWN) {
            char rs[GM_VERSION_STR_MAX];
            snprintf(ptx, sizeof ptx,
                     "PTX %s was built by CUDA %s, whose PTX ISA gpumatch's tables do not know",
                     gm_target_str(t, ts), gm_cuda_version_str(&req->cuda_runtime, rs));
        } else {
            const gm_cuda_version *isa = m->has_ptx_isa ? &m->ptx_isa
                                         : assume->state == GM_ISA_KNOWN ? &assume->isa : NULL;
            gm_rule_ptx(t, isa, cc, driver_cuda, &rr);
            snprintf(ptx, sizeof ptx, "%s", rr.reason);
        }
    }
    if (gm_strlist_addf(&u->reasons, "%s%s%s and %s%s", m->name ? m->name : "",
                        m->name ? ": " : "", cub, ptx,
                        mn.unknown ? " (undecidable: treated as no)" : "") < 0)
        return OOM(err);
    return 0;
}

static int check_unit(const gm_node *node, const gm_requirement *req, const gm_device *d, long mig,
                      const gm_cuda_version *driver_cuda, const gm_isa_assume *assumed_isa,
                      gm_unit_verdict *u, gm_error *err) {
    char a[GM_VERSION_STR_MAX], b[GM_VERSION_STR_MAX];
    const gm_cc *cc = &d->cc;
    long mem = mig >= 0 ? d->mig[mig].memory_mib : d->memory_mib;
    if (!cc->major) { /* nothing about code can be decided without it */
        u->ok = false;
        return gm_strlist_add(&u->reasons, "compute capability unknown") < 0 ? OOM(err) : 0;
    }
    if (d->mig_mode == GM_MIG_ENABLED && mig < 0 &&
        gm_strlist_add(&u->reasons, "MIG is enabled but no MIG instances exist: the GPU cannot "
                                    "be used whole") < 0)
        return OOM(err);
    gm_rule_result mr;
    if (mig >= 0 && !gm_core_unit_usable(true, req->device_count)) {
        gm_rule_mig(req->device_count, &mr);
        if (add(&u->reasons, mr.reason, err) < 0)
            return GM_ENOMEM;
    }
    if (req->has_min_cc && gm_cc_cmp(cc, &req->min_cc) < 0 &&
        gm_strlist_addf(&u->reasons, "compute capability %s < %s required", gm_cc_str(cc, a),
                        gm_cc_str(&req->min_cc, b)) < 0)
        return OOM(err);
    if (req->n_exact_cc) {
        bool in = false;
        for (size_t i = 0; i < req->n_exact_cc; i++)
            in |= !gm_cc_cmp(cc, &req->exact_cc[i]);
        if (!in && gm_strlist_addf(&u->reasons, "compute capability %s is not one of the %zu "
                                                "listed hardware targets",
                                   gm_cc_str(cc, a), req->n_exact_cc) < 0)
            return OOM(err);
    }
    if (req->min_memory_mib > 0) {
        if (mem < 0) {
            if (gm_strlist_addf(&u->reasons, "memory unknown; %ld MiB required",
                                req->min_memory_mib) < 0)
                return OOM(err);
        } else if (mem < req->min_memory_mib &&
                   gm_strlist_addf(&u->reasons, "memory %ld MiB < %ld MiB required", mem,
                                   req->min_memory_mib) < 0) {
            return OOM(err);
        }
    }
    size_t n_unused = 0;
    for (size_t i = 0; i < req->n_modules; i++)
        if (check_module(&req->modules[i], cc, driver_cuda, assumed_isa, req, &n_unused, u, err) < 0)
            return GM_ENOMEM;
    if (n_unused > MAX_OPTIONAL_NOTES &&
        gm_strlist_addf(&u->notes, "and %zu more optional modules unused",
                        n_unused - MAX_OPTIONAL_NOTES) < 0)
        return OOM(err);
    if (!req->nvidia_disable_require)
        for (size_t i = 0; i < req->nvidia_require.n; i++) {
            bool ok;
            gm_strlist why = {0};
            int rc = gm_nvreq_eval(req->nvidia_require.items[i], node, d, &ok, &why, err);
            if (rc < 0) {
                gm_strlist_free(&why);
                return rc;
            }
            if (!ok) {
                /* NVIDIA's runtime reports the first group; the full list helps more. */
                char line[GM_REASON_MAX * 2] = "image requires ";
                size_t used = strlen(line);
                for (size_t k = 0; k < why.n && used + 8 < sizeof line; k++)
                    used += (size_t)snprintf(line + used, sizeof line - used, "%s%s",
                                             k ? " or " : "", why.items[k]);
                gm_strlist_free(&why);
                if (add(&u->reasons, line, err) < 0)
                    return GM_ENOMEM;
            }
        }
    u->ok = u->reasons.n == 0;
    return 0;
}

static int node_rules(const gm_node *node, const gm_requirement *req, const gm_cuda_version *dc,
                      gm_verdict *v, gm_error *err) {
    gm_rule_result r;
    char a[GM_VERSION_STR_MAX];
    bool has_drv = gm_driver_version_is_set(&node->driver);
    if (gm_driver_version_is_set(&req->min_driver)) {
        if (!has_drv) {
            if (gm_strlist_addf(&v->reasons, "driver version unknown; %s required",
                                gm_driver_version_str(&req->min_driver, a)) < 0)
                return OOM(err);
        } else if (gm_rule_min_driver(&req->min_driver, &node->driver, &r) != GM_YES &&
                   add(&v->reasons, r.reason, err) < 0) {
            return GM_ENOMEM;
        }
    }
    if (req->has_cuda_runtime) {
        gm_verdict_kind k;
        if (has_drv) {
            k = gm_rule_runtime(&req->cuda_runtime, &node->driver,
                                node->has_cuda_driver ? &node->cuda_driver : NULL, &r);
        } else if (dc && gm_cuda_version_cmp(dc, &req->cuda_runtime) >= 0) {
            k = GM_YES;
            r.how = GM_HOW_DIRECT;
        } else {
            k = GM_UNKNOWN;
            snprintf(r.reason, sizeof r.reason,
                     "driver version unknown; cannot tell if it runs the CUDA %s runtime",
                     gm_cuda_version_str(&req->cuda_runtime, a));
        }
        if (k != GM_YES) {
            if (add(&v->reasons, r.reason, err) < 0)
                return GM_ENOMEM;
        } else if (r.how == GM_HOW_MINOR_COMPAT && add(&v->notes, r.reason, err) < 0) {
            return GM_ENOMEM;
        }
    }
    if (req->has_min_cuda_driver &&
        gm_rule_min_cuda_driver(&req->min_cuda_driver, dc, &r) != GM_YES &&
        add(&v->reasons, r.reason, err) < 0)
        return GM_ENOMEM;
    return 0;
}

/* Entry points of a tree (inspect): each must run here through one of its
 * variants. A variant is judged by the same node and unit rules as a whole
 * requirement, on a view holding only its runtime and modules. */
static int check_entry_points(const gm_node *node, const gm_requirement *req, const gm_device *d,
                              long mig, const gm_cuda_version *dc, gm_unit_verdict *u,
                              gm_error *err) {
    for (size_t e = 0; e < req->n_entry_points; e++) {
        const gm_entry_point *ep = &req->entry_points[e];
        size_t n_fit = 0;
        char why[GM_REASON_MAX] = "", whose[512] = "";
        for (size_t k = 0; k < ep->n_variants; k++) {
            const gm_req_variant *var = &ep->variants[k];
            gm_requirement view;
            gm_req_variant_view(var, &view);
            gm_isa_assume isa;
            gm_core_isa_assume(&view, &isa);
            gm_verdict nv = {0};
            gm_unit_verdict uv = {0};
            nv.node = node;
            int rc = node_rules(node, &view, dc, &nv, err);
            if (rc == 0)
                rc = check_unit(node, &view, d, mig, dc, &isa, &uv, err);
            if (rc == 0 && !nv.reasons.n && !uv.reasons.n) {
                n_fit++;
            } else if (rc == 0 && !why[0]) {
                snprintf(why, sizeof why, "%s", nv.reasons.n ? nv.reasons.items[0]
                                                             : uv.reasons.items[0]);
                snprintf(whose, sizeof whose, "%s", var->name ? var->name : "");
            }
            gm_strlist_free(&nv.reasons);
            gm_strlist_free(&nv.notes);
            gm_strlist_free(&uv.reasons);
            gm_strlist_free(&uv.notes);
            if (rc < 0)
                return rc;
        }
        const char *name = ep->name ? ep->name : "entry point";
        if (!n_fit && ep->n_variants > 1) {
            if (gm_strlist_addf(&u->reasons, "%s: none of its %zu variants fits (%s: %s)", name,
                                ep->n_variants, whose, why) < 0)
                return OOM(err);
        } else if (!n_fit) {
            if (gm_strlist_addf(&u->reasons, "%s: %s", name, why) < 0)
                return OOM(err);
        } else if (ep->n_variants > 1 &&
                   gm_strlist_addf(&u->notes, "%s: %zu of %zu variants fit", name, n_fit,
                                   ep->n_variants) < 0) {
            return OOM(err);
        }
    }
    u->ok = u->reasons.n == 0;
    return 0;
}

int gm_match(const gm_node *node, const gm_requirement *req, gm_verdict *v, gm_error *err) {
    memset(v, 0, sizeof *v);
    v->node = node;
    gm_cuda_version dcv;
    const gm_cuda_version *dc = gm_node_driver_cuda(node, &dcv) ? &dcv : NULL;
    /* Without a stated PTX ISA, the one the build's runtime emits. */
    gm_isa_assume isa;
    gm_core_isa_assume(req, &isa);
    const gm_isa_assume *assumed_isa = &isa;
    int rc = node_rules(node, req, dc, v, err);
    if (rc < 0)
        goto fail;
    size_t n = 0;
    for (size_t i = 0; i < node->n_devices; i++) {
        const gm_device *d = &node->devices[i];
        n += d->mig_mode == GM_MIG_ENABLED && d->n_mig ? d->n_mig : 1;
    }
    v->units = gm_xcalloc(n, sizeof *v->units);
    if (!v->units) {
        rc = OOM(err);
        goto fail;
    }
    for (size_t i = 0; i < node->n_devices; i++) {
        const gm_device *d = &node->devices[i];
        size_t k = d->mig_mode == GM_MIG_ENABLED && d->n_mig ? d->n_mig : 0;
        for (size_t m = 0; m < (k ? k : 1); m++) {
            gm_unit_verdict *u = &v->units[v->n_units++];
            u->device = i;
            u->mig = k ? (long)m : -1;
            if ((rc = check_unit(node, req, d, u->mig, dc, assumed_isa, u, err)) < 0)
                goto fail;
            if (req->n_entry_points &&
                (rc = check_entry_points(node, req, d, u->mig, dc, u, err)) < 0)
                goto fail;
            v->n_compatible += u->ok;
        }
    }
    if ((long)v->n_compatible < req->device_count &&
        gm_strlist_addf(&v->reasons, "%ld compatible GPU%s needed, node has %zu",
                        req->device_count, req->device_count == 1 ? "" : "s",
                        v->n_compatible) < 0) {
        rc = OOM(err);
        goto fail;
    }
    v->ok = v->reasons.n == 0;
    return 0;
fail:
    gm_verdict_free(v);
    return rc;
}
