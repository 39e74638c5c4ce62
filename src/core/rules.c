/* CUDA's compatibility rules. Sources (README.md, "Rules"): CUDA C Programming
 * Guide (binary and PTX compatibility), NVIDIA Blackwell Compatibility Guide and
 * the CUDA 12.9 family-specific features blog (a/f variants), CUDA Compatibility
 * guide (minor version compatibility), PTX ISA release notes (ISA -> CUDA). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "gpumatch/rules.h"
#include "gpumatch/tables.h"

static gm_verdict_kind say(gm_rule_result *r, gm_verdict_kind v, gm_how how, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static gm_verdict_kind say(gm_rule_result *r, gm_verdict_kind v, gm_how how, const char *fmt, ...) {
    if (r) {
        va_list ap;
        r->verdict = v;
        r->how = v == GM_YES ? how : GM_HOW_NONE;
        va_start(ap, fmt);
        vsnprintf(r->reason, sizeof r->reason, fmt, ap);
        va_end(ap);
    }
    return v;
}

/* Does a family-specific image for `t` run on dev? The family table's explicit
 * member list decides; a family the tables do not know is undecidable. */
static gm_verdict_kind family_rule(const gm_target *t, const gm_cc *dev, const char *what,
                                   gm_rule_result *r) {
    char ts[GM_VERSION_STR_MAX] = "", ds[GM_VERSION_STR_MAX] = "";
    if (r) { /* text only when asked: the compiled core decides millions of times */
        gm_target_str(t, ts);
        gm_cc_str(dev, ds);
    }
    const gm_family_entry *f = gm_family_find(&t->cc);
    if (!f)
        return say(r, GM_UNKNOWN, GM_HOW_NONE,
                   "%s %s is family-specific and gpumatch's tables do not know its family", what,
                   ts);
    if (gm_family_has(f, dev))
        return say(r, GM_YES, what[0] == 'P' ? GM_HOW_JIT : GM_HOW_DIRECT,
                   "%s %s runs on %s (member of its family)", what, ts, ds);
    char list[64] = "";
    size_t used = 0;
    for (size_t i = 0; r && i < f->n_members && used + 8 < sizeof list; i++) {
        char cs[GM_VERSION_STR_MAX];
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                 gm_cc_str(&f->members[i], cs));
    }
    return say(r, GM_NO, GM_HOW_NONE, "%s %s is family-specific: runs only on %s, not %s", what,
               ts, list, ds);
}

/* The target, device and target-CC texts of a reason, made only when a reason
 * is asked for: the compiled core decides with r = NULL millions of times. */
static void texts(const gm_target *t, const gm_cc *dev, const gm_rule_result *r, char *ts,
                  char *ds, char *cs) {
    if (!r)
        return;
    gm_target_str(t, ts);
    gm_cc_str(dev, ds);
    gm_cc_str(&t->cc, cs);
}

gm_verdict_kind gm_rule_cubin(const gm_target *t, const gm_cc *dev, gm_rule_result *r) {
    char ts[GM_VERSION_STR_MAX] = "", ds[GM_VERSION_STR_MAX] = "", cs[GM_VERSION_STR_MAX] = "";
    texts(t, dev, r, ts, ds, cs);
    switch (t->variant) {
    case GM_VARIANT_ARCH:
        if (!gm_cc_cmp(dev, &t->cc))
            return say(r, GM_YES, GM_HOW_DIRECT, "cubin %s runs on %s (exact match)", ts, ds);
        return say(r, GM_NO, GM_HOW_NONE, "cubin %s is arch-specific: runs only on %s, not %s",
                   ts, cs, ds);
    case GM_VARIANT_FAMILY:
        return family_rule(t, dev, "cubin", r);
    default:
        if (!gm_cc_cmp(dev, &t->cc))
            return say(r, GM_YES, GM_HOW_DIRECT, "cubin %s runs on %s (exact match)", ts, ds);
        /* Programming Guide: binary compatibility is desktop-only, never to or
         * from Tegra. */
        if (gm_cc_is_tegra(dev) || gm_cc_is_tegra(&t->cc))
            return say(r, GM_NO, GM_HOW_NONE,
                       "cubin %s runs only on %s: binary compatibility does not cover Tegra "
                       "(%s is %s)",
                       ts, cs, gm_cc_is_tegra(dev) ? ds : cs,
                       gm_cc_is_tegra(dev) ? "a Tegra GPU" : "a Tegra target");
        if (dev->major != t->cc.major)
            return say(r, GM_NO, GM_HOW_NONE, "cubin %s runs only on %d.x, device is %s", ts,
                       t->cc.major, ds);
        if (dev->minor < t->cc.minor)
            return say(r, GM_NO, GM_HOW_NONE, "cubin %s needs >= %s, device is %s", ts, cs, ds);
        return say(r, GM_YES, GM_HOW_DIRECT, "cubin %s runs on %s (same major, minor %d >= %d)",
                   ts, ds, dev->minor, t->cc.minor);
    }
}

gm_verdict_kind gm_rule_ptx_arch(const gm_target *t, const gm_cc *dev, gm_rule_result *r) {
    char ts[GM_VERSION_STR_MAX] = "", ds[GM_VERSION_STR_MAX] = "", cs[GM_VERSION_STR_MAX] = "";
    texts(t, dev, r, ts, ds, cs);
    switch (t->variant) {
    case GM_VARIANT_ARCH:
        if (gm_cc_cmp(dev, &t->cc))
            return say(r, GM_NO, GM_HOW_NONE, "PTX %s is arch-specific: JIT only on %s, not %s",
                       ts, cs, ds);
        break;
    case GM_VARIANT_FAMILY:
        return family_rule(t, dev, "PTX", r);
    default:
        if (gm_cc_cmp(dev, &t->cc) < 0)
            return say(r, GM_NO, GM_HOW_NONE, "PTX %s needs >= %s, device is %s", ts, cs, ds);
    }
    return say(r, GM_YES, GM_HOW_JIT, "PTX %s JIT-compiles on %s", ts, ds);
}

gm_verdict_kind gm_rule_ptx_isa_need(const gm_cuda_version *isa, gm_cuda_version *need,
                                     gm_rule_result *r) {
    char is[GM_VERSION_STR_MAX] = "", fs[GM_VERSION_STR_MAX] = "";
    const gm_ptx_entry *p = gm_ptx_find(isa);
    if (r)
        gm_cuda_version_str(isa, is);
    if (!p)
        return say(r, GM_UNKNOWN, GM_HOW_NONE, "PTX ISA %s is not in gpumatch's tables", is);
    *need = p->first_cuda;
    if (r)
        gm_cuda_version_str(&p->first_cuda, fs);
    return say(r, GM_YES, GM_HOW_JIT, "PTX ISA %s needs a driver supporting CUDA %s", is, fs);
}

gm_verdict_kind gm_rule_ptx(const gm_target *t, const gm_cuda_version *isa, const gm_cc *dev,
                            const gm_cuda_version *driver_cuda, gm_rule_result *r) {
    char ts[GM_VERSION_STR_MAX], ds[GM_VERSION_STR_MAX];
    char is[GM_VERSION_STR_MAX], fs[GM_VERSION_STR_MAX], dcs[GM_VERSION_STR_MAX];
    gm_verdict_kind k = gm_rule_ptx_arch(t, dev, r);
    if (k != GM_YES)
        return k;
    gm_target_str(t, ts);
    gm_cc_str(dev, ds);
    if (!isa)
        return say(r, GM_YES, GM_HOW_JIT, "PTX %s JIT-compiles on %s (PTX ISA not stated)", ts,
                   ds);
    gm_cuda_version_str(isa, is);
    gm_cuda_version need;
    if (gm_rule_ptx_isa_need(isa, &need, NULL) != GM_YES)
        return say(r, GM_UNKNOWN, GM_HOW_NONE,
                   "PTX %s uses ISA %s, which gpumatch's tables do not know", ts, is);
    gm_cuda_version_str(&need, fs);
    if (!driver_cuda)
        return say(r, GM_UNKNOWN, GM_HOW_NONE,
                   "PTX %s (ISA %s) needs a driver supporting CUDA %s; driver's CUDA version "
                   "unknown",
                   ts, is, fs);
    gm_cuda_version_str(driver_cuda, dcs);
    if (gm_cuda_version_cmp(driver_cuda, &need) < 0)
        return say(r, GM_NO, GM_HOW_NONE,
                   "PTX %s has ISA %s, which needs a driver supporting CUDA %s; driver supports "
                   "CUDA %s",
                   ts, is, fs, dcs);
    return say(r, GM_YES, GM_HOW_JIT, "PTX %s (ISA %s) JIT-compiles on %s (driver CUDA %s >= %s)",
               ts, is, ds, dcs, fs);
}

void gm_rule_runtime_need(const gm_cuda_version *rt, gm_driver_version *full,
                          gm_driver_version *minor_compat) {
    memset(full, 0, sizeof *full);
    memset(minor_compat, 0, sizeof *minor_compat);
    const gm_toolkit_entry *t = gm_toolkit_find(rt);
    if (t)
        *full = t->toolkit_driver;
    /* Minor version compatibility exists from CUDA 11 on. */
    const gm_driver_version *mc = rt->major >= 11 ? gm_minor_compat_driver(rt->major) : NULL;
    if (mc)
        *minor_compat = *mc;
}

gm_verdict_kind gm_rule_runtime(const gm_cuda_version *rt, const gm_driver_version *drv,
                                const gm_cuda_version *driver_cuda, gm_rule_result *r) {
    char rs[GM_VERSION_STR_MAX], dv[GM_VERSION_STR_MAX], tv[GM_VERSION_STR_MAX];
    char mv[GM_VERSION_STR_MAX], dcs[GM_VERSION_STR_MAX];
    gm_cuda_version_str(rt, rs);
    gm_driver_version_str(drv, dv);
    gm_driver_version full, mc;
    gm_rule_runtime_need(rt, &full, &mc);
    bool has_full = gm_driver_version_is_set(&full), has_mc = gm_driver_version_is_set(&mc);
    if (has_full && gm_driver_version_cmp(drv, &full) >= 0)
        return say(r, GM_YES, GM_HOW_DIRECT, "CUDA %s runtime: driver %s >= %s", rs, dv,
                   gm_driver_version_str(&full, tv));
    if (driver_cuda && gm_cuda_version_cmp(driver_cuda, rt) >= 0)
        return say(r, GM_YES, GM_HOW_DIRECT, "CUDA %s runtime: driver supports CUDA %s", rs,
                   gm_cuda_version_str(driver_cuda, dcs));
    if (has_mc && gm_driver_version_cmp(drv, &mc) >= 0)
        return say(r, GM_YES, GM_HOW_MINOR_COMPAT,
                   "CUDA %s runtime ok via minor version compatibility (driver %s >= %s for "
                   "CUDA %d.x); newer PTX and features of CUDA %s are unavailable",
                   rs, dv, gm_driver_version_str(&mc, mv), rt->major, rs);
    if (has_mc)
        return say(r, GM_NO, GM_HOW_NONE,
                   "driver %s < %s required by CUDA %s runtime (minor version compatibility "
                   "minimum for %d.x%s%s)",
                   dv, gm_driver_version_str(&mc, mv), rs, rt->major,
                   has_full ? "; full support from " : "",
                   has_full ? gm_driver_version_str(&full, tv) : "");
    if (has_full)
        return say(r, GM_NO, GM_HOW_NONE, "driver %s < %s required by CUDA %s runtime", dv,
                   gm_driver_version_str(&full, tv), rs);
    return say(r, GM_UNKNOWN, GM_HOW_NONE,
               "CUDA %s runtime is not in gpumatch's tables; cannot tell which driver it needs",
               rs);
}

gm_verdict_kind gm_rule_mig(const gm_device_count_t count, gm_rule_result *r) {
    if (count <= 1)
        return say(r, GM_YES, GM_HOW_DIRECT, "one MIG device serves a one-GPU request");
    return say(r, GM_NO, GM_HOW_NONE,
               "a MIG device cannot serve a %ld-GPU request: a CUDA process enumerates a single "
               "MIG device",
               (long)count);
}

gm_verdict_kind gm_rule_min_driver(const gm_driver_version *min, const gm_driver_version *drv,
                                   gm_rule_result *r) {
    char a[GM_VERSION_STR_MAX], b[GM_VERSION_STR_MAX];
    gm_driver_version_str(drv, a);
    gm_driver_version_str(min, b);
    if (gm_driver_version_cmp(drv, min) >= 0)
        return say(r, GM_YES, GM_HOW_DIRECT, "driver %s >= %s", a, b);
    return say(r, GM_NO, GM_HOW_NONE, "driver %s < %s required", a, b);
}

gm_verdict_kind gm_rule_min_cuda_driver(const gm_cuda_version *min,
                                        const gm_cuda_version *driver_cuda, gm_rule_result *r) {
    char a[GM_VERSION_STR_MAX], b[GM_VERSION_STR_MAX];
    gm_cuda_version_str(min, b);
    if (!driver_cuda)
        return say(r, GM_UNKNOWN, GM_HOW_NONE,
                   "driver must support CUDA %s; its CUDA version is unknown", b);
    gm_cuda_version_str(driver_cuda, a);
    if (gm_cuda_version_cmp(driver_cuda, min) >= 0)
        return say(r, GM_YES, GM_HOW_DIRECT, "driver supports CUDA %s >= %s", a, b);
    return say(r, GM_NO, GM_HOW_NONE, "driver supports CUDA %s < %s required", a, b);
}
