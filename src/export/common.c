/* Requirement -> integer thresholds, shared by plan's compiled check and the
 * exporters. The rules mirror src/rules.c; tests/plan checks that the compiled
 * check and gm_match agree on random inputs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export_internal.h"
#include "gpumatch/tables.h"

int64_t gm_drv_int(const gm_driver_version *v) {
    if (!gm_driver_version_is_set(v)) return -1;
    return (int64_t)v->major * 10000000000LL + (int64_t)v->minor * 100000 + v->patch;
}

int32_t gm_cuda_int(const gm_cuda_version *v) { return v->major * 1000 + v->minor * 10; }

int32_t gm_node_cuda_int(const gm_node *n) {
    gm_cuda_version c;
    return gm_node_driver_cuda(n, &c) ? gm_cuda_int(&c) : -1;
}

int gm_cc_family(const gm_cc *cc) {
    const gm_arch_entry *a = gm_arch_find(cc);
    return a ? a->family : cc->major;
}

static int cc_cmp(const gm_cc *a, const gm_cc *b) {
    return a->major != b->major ? (a->major < b->major ? -1 : 1)
                                : (a->minor < b->minor ? -1 : a->minor > b->minor);
}

bool gm_target_runs_on(const gm_target *t, const gm_cc *cc) {
    switch (t->variant) {
    case GM_VARIANT_ARCH: return cc_cmp(&t->cc, cc) == 0;
    case GM_VARIANT_FAMILY: /* as src/rules.c: same family, minor >= */
        return gm_cc_family(&t->cc) == gm_cc_family(cc) && cc->minor >= t->cc.minor;
    default:
        if (t->kind == GM_KIND_CUBIN) return cc->major == t->cc.major && cc->minor >= t->cc.minor;
        return cc_cmp(cc, &t->cc) >= 0;
    }
}

int32_t gm_req_cc_need(const gm_requirement *r, const gm_cc *cc) {
    if (r->has_min_cc && cc_cmp(cc, &r->min_cc) < 0) return GM_NEED_NEVER;
    if (r->n_exact_cc) {
        bool in = false;
        for (size_t i = 0; i < r->n_exact_cc && !in; i++) in = cc_cmp(cc, &r->exact_cc[i]) == 0;
        if (!in) return GM_NEED_NEVER;
    }
    int32_t need = GM_NEED_NONE;
    for (size_t m = 0; m < r->n_modules; m++) {
        const gm_module_req *mod = &r->modules[m];
        if (mod->optional) continue;
        int32_t best = GM_NEED_NEVER;
        for (size_t i = 0; i < mod->n_cubin && best != GM_NEED_NONE; i++)
            if (gm_target_runs_on(&mod->cubin[i], cc)) best = GM_NEED_NONE;
        if (best != GM_NEED_NONE && mod->n_ptx) {
            /* As gm_match: without a stated ISA, the newest the runtime emits. */
            gm_cuda_version assumed;
            const gm_cuda_version *isa = mod->has_ptx_isa ? &mod->ptx_isa
                : r->has_cuda_runtime && gm_cuda_max_ptx(&r->cuda_runtime, &assumed) ? &assumed
                : NULL;
            int32_t jit = GM_NEED_NONE;
            if (isa) {
                const gm_ptx_entry *e = gm_ptx_find(isa);
                jit = e ? gm_cuda_int(&e->first_cuda) : GM_NEED_NEVER;
            }
            for (size_t i = 0; i < mod->n_ptx; i++)
                if (gm_target_runs_on(&mod->ptx[i], cc) && jit < best) best = jit;
        }
        if (best > need) need = best;
    }
    return need;
}

void gm_req_node_thresholds(const gm_requirement *r, gm_req_node_need *o) {
    o->min_drv = gm_driver_version_is_set(&r->min_driver) ? gm_drv_int(&r->min_driver)
                                                          : GM_DRV_NONE;
    o->min_cuda = r->has_min_cuda_driver ? gm_cuda_int(&r->min_cuda_driver) : GM_NEED_NONE;
    o->rt_drv = GM_DRV_NONE;
    o->rt_cuda = GM_NEED_NONE;
    if (r->has_cuda_runtime) {
        o->rt_cuda = gm_cuda_int(&r->cuda_runtime);
        o->rt_drv = GM_DRV_NEVER;
        const gm_toolkit_entry *t = gm_toolkit_find(&r->cuda_runtime);
        if (t) o->rt_drv = gm_drv_int(&t->toolkit_driver);
        const gm_driver_version *mc =
            r->cuda_runtime.major >= 11 ? gm_minor_compat_driver(r->cuda_runtime.major) : NULL;
        if (mc && gm_driver_version_is_set(mc) && gm_drv_int(mc) < o->rt_drv)
            o->rt_drv = gm_drv_int(mc);
    }
}

void gm_buf_printf(gm_buf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) { b->oom = true; return; }
        if (b->s && (size_t)n < room) { b->len += (size_t)n; return; }
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len <= (size_t)n) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) { b->oom = true; return; }
        b->s = p;
        b->cap = cap;
    }
}

char *gm_buf_finish(gm_buf *b, gm_error *err) {
    if (b->oom || !b->s) {
        free(b->s);
        b->s = NULL;
        if (b->oom) { gm_error_set(err, GM_ENOMEM, "out of memory"); return NULL; }
        return calloc(1, 1);
    }
    char *s = b->s;
    b->s = NULL;
    return s;
}
