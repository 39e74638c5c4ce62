/* Requirement -> integer thresholds (see core.h). match, plan and the exporters
 * share these; tests/plan checks that compiled checks and gm_match agree on
 * random inputs. */
#include "core/core.h"
#include "gpumatch/rules.h"
#include "gpumatch/tables.h"

int64_t gm_drv_int(const gm_driver_version *v) {
    if (!gm_driver_version_is_set(v))
        return -1;
    return (int64_t)v->major * 10000000000LL + (int64_t)v->minor * 100000 + v->patch;
}

int32_t gm_cuda_int(const gm_cuda_version *v) { return v->major * 1000 + v->minor * 10; }

int32_t gm_node_cuda_int(const gm_node *n) {
    gm_cuda_version c;
    return gm_node_driver_cuda(n, &c) ? gm_cuda_int(&c) : -1;
}

void gm_core_isa_assume(const gm_requirement *r, gm_isa_assume *out) {
    out->state = GM_ISA_NONE;
    if (!r->has_cuda_runtime)
        return;
    out->state = gm_cuda_emitted_ptx(&r->cuda_runtime, &out->isa) ? GM_ISA_KNOWN : GM_ISA_UNKNOWN;
}

void gm_core_module_need(const gm_module_req *m, const gm_isa_assume *a, const gm_cc *cc,
                         gm_module_need *out) {
    out->need = GM_NEED_NEVER;
    out->unknown = false;
    out->ptx = -1;
    for (size_t i = 0; i < m->n_cubin; i++) {
        gm_verdict_kind k = gm_rule_cubin(&m->cubin[i], cc, NULL);
        if (k == GM_YES) {
            out->need = GM_NEED_NONE;
            return;
        }
        out->unknown |= k == GM_UNKNOWN;
    }
    if (!m->n_ptx)
        return;
    /* The driver half of the PTX rule, the same for every image of the module. */
    int32_t jit = GM_NEED_NONE;
    bool isa_unknown = false;
    const gm_cuda_version *isa = m->has_ptx_isa ? &m->ptx_isa
                                 : a->state == GM_ISA_KNOWN ? &a->isa : NULL;
    if (isa) {
        gm_cuda_version need;
        if (gm_rule_ptx_isa_need(isa, &need, NULL) == GM_YES)
            jit = gm_cuda_int(&need);
        else
            isa_unknown = true;
    } else if (a->state == GM_ISA_UNKNOWN) {
        isa_unknown = true;
    }
    for (size_t i = 0; i < m->n_ptx; i++) {
        gm_verdict_kind k = gm_rule_ptx_arch(&m->ptx[i], cc, NULL);
        if (k == GM_UNKNOWN)
            out->unknown = true;
        if (k != GM_YES)
            continue;
        if (isa_unknown) {
            out->unknown = true;
            continue;
        }
        if (jit < out->need) {
            out->need = jit;
            out->ptx = (long)i;
        }
    }
    if (out->need != GM_NEED_NEVER)
        out->unknown = false;
}

/* The runtime rule as a bound on the CUDA version the driver supports, for
 * entry-point variants (each has its own runtime, which node-level thresholds
 * cannot carry). Minor version compatibility from the major's minimum: 12.x's
 * 525.60.13 and 13.x's 580 are exactly the first drivers of CUDA 12.0 / 13.0;
 * 11.x's 450.80.02 lies inside 11.0's branch, so 11.1 is asked (stricter). */
static int32_t runtime_cuda_need(const gm_req_variant *v) {
    if (!v->has_cuda_runtime)
        return GM_NEED_NONE;
    gm_driver_version full, mc;
    gm_rule_runtime_need(&v->cuda_runtime, &full, &mc);
    if (gm_driver_version_is_set(&mc)) {
        gm_cuda_version m = {v->cuda_runtime.major, v->cuda_runtime.major == 11 ? 1 : 0};
        return gm_cuda_int(&m);
    }
    return gm_cuda_int(&v->cuda_runtime);
}

/* Per CC: what the driver must support for some variant of the entry point. */
static int32_t entry_point_need(const gm_entry_point *ep, const gm_cc *cc) {
    int32_t best = GM_NEED_NEVER;
    for (size_t k = 0; k < ep->n_variants; k++) {
        const gm_req_variant *v = &ep->variants[k];
        gm_requirement view;
        gm_req_variant_view(v, &view);
        gm_isa_assume a;
        gm_core_isa_assume(&view, &a);
        int32_t need = runtime_cuda_need(v);
        for (size_t m = 0; m < v->n_modules && need != GM_NEED_NEVER; m++) {
            if (v->modules[m].optional)
                continue;
            gm_module_need mn;
            gm_core_module_need(&v->modules[m], &a, cc, &mn);
            if (mn.need > need)
                need = mn.need;
        }
        if (need < best)
            best = need;
    }
    return best;
}

int32_t gm_req_cc_need(const gm_requirement *r, const gm_cc *cc) {
    if (r->has_min_cc && gm_cc_cmp(cc, &r->min_cc) < 0)
        return GM_NEED_NEVER;
    if (r->n_exact_cc) {
        bool in = false;
        for (size_t i = 0; i < r->n_exact_cc && !in; i++)
            in = gm_cc_cmp(cc, &r->exact_cc[i]) == 0;
        if (!in)
            return GM_NEED_NEVER;
    }
    gm_isa_assume a;
    gm_core_isa_assume(r, &a);
    int32_t need = GM_NEED_NONE;
    for (size_t m = 0; m < r->n_modules && need != GM_NEED_NEVER; m++) {
        if (r->modules[m].optional)
            continue;
        gm_module_need mn;
        gm_core_module_need(&r->modules[m], &a, cc, &mn);
        if (mn.need > need)
            need = mn.need;
    }
    for (size_t e = 0; e < r->n_entry_points && need != GM_NEED_NEVER; e++) {
        int32_t en = entry_point_need(&r->entry_points[e], cc);
        if (en > need)
            need = en;
    }
    return need;
}

void gm_req_node_thresholds(const gm_requirement *r, gm_req_node_need *o) {
    o->min_drv = gm_driver_version_is_set(&r->min_driver) ? gm_drv_int(&r->min_driver)
                                                          : GM_DRV_NONE;
    o->min_cuda = r->has_min_cuda_driver ? gm_cuda_int(&r->min_cuda_driver) : GM_NEED_NONE;
    o->rt_drv = GM_DRV_NONE;
    o->rt_cuda = GM_NEED_NONE;
    if (!r->has_cuda_runtime)
        return;
    gm_driver_version full, mc;
    gm_rule_runtime_need(&r->cuda_runtime, &full, &mc);
    o->rt_cuda = gm_cuda_int(&r->cuda_runtime);
    o->rt_drv = GM_DRV_NEVER;
    if (gm_driver_version_is_set(&full))
        o->rt_drv = gm_drv_int(&full);
    if (gm_driver_version_is_set(&mc) && gm_drv_int(&mc) < o->rt_drv)
        o->rt_drv = gm_drv_int(&mc);
}

bool gm_core_unit_usable(bool is_mig, long count) {
    return !is_mig || gm_rule_mig(count, NULL) == GM_YES;
}
