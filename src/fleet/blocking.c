/* The blocking constraint of an unschedulable request. The request is split
 * into facets (driver, memory, code, NVIDIA_REQUIRE, GPU count); gm_match on
 * every kind answers which facets, alone and in pairs, some node satisfies.
 * No rule is evaluated here, only gm_match's verdicts on partial requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/fleet.h"
#include "gpumatch/tables.h"
#include "internal.h"

enum { F_DRIVER = 1, F_MEMORY = 2, F_CODE = 4, F_NVREQ = 8, F_ALL = 15 };
static const unsigned facet_bits[] = {F_DRIVER, F_MEMORY, F_CODE, F_NVREQ};
#define N_FACETS 4

/* A shallow partial copy pointing into r; only *mods (when set) is owned. */
static void facet_req(const gm_requirement *r, unsigned mask, gm_requirement *o,
                      gm_module_req **mods) {
    *mods = NULL;
    gm_requirement_init(o);
    if (mask & F_DRIVER) {
        o->min_driver = r->min_driver;
        o->cuda_runtime = r->cuda_runtime;
        o->has_cuda_runtime = r->has_cuda_runtime;
        o->min_cuda_driver = r->min_cuda_driver;
        o->has_min_cuda_driver = r->has_min_cuda_driver;
    }
    if (mask & F_MEMORY)
        o->min_memory_mib = r->min_memory_mib;
    if (mask & F_CODE) {
        o->min_cc = r->min_cc;
        o->has_min_cc = r->has_min_cc;
        o->exact_cc = r->exact_cc;
        o->n_exact_cc = r->n_exact_cc;
        o->modules = r->modules;
        o->n_modules = r->n_modules;
        /* Without the driver facet the runtime must not be checked, but the
         * PTX ISA gm_match assumes from it still decides JIT: state it. */
        gm_cuda_version isa;
        if (!(mask & F_DRIVER) && r->has_cuda_runtime && r->n_modules &&
            gm_cuda_max_ptx(&r->cuda_runtime, &isa) &&
            (*mods = gm_xcalloc(r->n_modules, sizeof **mods))) {
            memcpy(*mods, r->modules, r->n_modules * sizeof **mods);
            for (size_t i = 0; i < r->n_modules; i++)
                if (!(*mods)[i].has_ptx_isa) {
                    (*mods)[i].ptx_isa = isa;
                    (*mods)[i].has_ptx_isa = true;
                }
            o->modules = *mods;
        }
    }
    if (mask & F_NVREQ) {
        o->nvidia_require = r->nvidia_require;
        o->nvidia_disable_require = r->nvidia_disable_require;
    }
}

static unsigned present(const gm_requirement *r) {
    unsigned m = 0;
    if (gm_driver_version_is_set(&r->min_driver) || r->has_cuda_runtime || r->has_min_cuda_driver)
        m |= F_DRIVER;
    if (r->min_memory_mib > 0)
        m |= F_MEMORY;
    if (r->has_min_cc || r->n_exact_cc || r->n_modules)
        m |= F_CODE;
    if (r->nvidia_require.n && !r->nvidia_disable_require)
        m |= F_NVREQ;
    return m;
}

/* Does some kind satisfy the partial request with `count` GPUs? Also the
 * largest number of compatible GPUs seen, and (code) which CCs pass. */
static int probe(const gm_node_list *nodes, const gm_node_kinds *k, const gm_requirement *r,
                 unsigned mask, long count, bool *any, size_t *best, char *ccs, size_t ccs_len,
                 gm_error *err) {
    gm_requirement q;
    gm_module_req *mods;
    facet_req(r, mask, &q, &mods);
    q.device_count = count;
    *any = false;
    if (best)
        *best = 0;
    size_t used = ccs ? strlen(ccs) : 0;
    for (size_t i = 0; i < k->n; i++) {
        const gm_node *n = &nodes->nodes[k->kinds[i].members[0]];
        gm_verdict v;
        int rc = gm_match(n, &q, &v, err);
        if (rc < 0) {
            free(mods);
            return rc;
        }
        *any |= v.ok;
        if (best && v.n_compatible > *best)
            *best = v.n_compatible;
        for (size_t u = 0; ccs && u < v.n_units; u++) {
            if (!v.units[u].ok)
                continue;
            char cs[GM_VERSION_STR_MAX], c[GM_VERSION_STR_MAX + 3];
            snprintf(c, sizeof c, " %s,", gm_cc_str(&n->devices[v.units[u].device].cc, cs));
            if (!strstr(ccs, c) && used + strlen(c) + 1 < ccs_len) {
                memcpy(ccs + used, c, strlen(c) + 1);
                used += strlen(c);
            }
        }
        gm_verdict_free(&v);
    }
    free(mods);
    return 0;
}

/* " 9.0, 10.0," -> "9.0 or 10.0" */
static void cc_list(const char *raw, char *out, size_t len) {
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", raw);
    size_t n = 0, used = 0;
    char *save = NULL;
    for (char *t = strtok_r(tmp, " ,", &save); t; t = strtok_r(NULL, " ,", &save))
        n++;
    snprintf(tmp, sizeof tmp, "%s", raw);
    size_t i = 0;
    out[0] = '\0';
    for (char *t = strtok_r(tmp, " ,", &save); t && used < len; t = strtok_r(NULL, " ,", &save), i++)
        used += (size_t)snprintf(out + used, len - used, "%s%s",
                                 !i ? "" : i + 1 == n ? " or " : ", ", t);
}

static void describe(const gm_requirement *r, unsigned f, const char *ccs, char *out, size_t len) {
    char a[GM_VERSION_STR_MAX];
    switch (f) {
    case F_MEMORY:
        snprintf(out, len, ">= %ld MiB", r->min_memory_mib);
        break;
    case F_CODE:
        if (ccs && *ccs) {
            char l[200];
            cc_list(ccs, l, sizeof l);
            snprintf(out, len, "CC %s (where its code runs)", l);
        } else {
            snprintf(out, len, "a compute capability its code runs on");
        }
        break;
    case F_NVREQ:
        snprintf(out, len, "what the image's NVIDIA_REQUIRE_* asks");
        break;
    default: {
        size_t u = 0;
        out[0] = '\0';
        if (gm_driver_version_is_set(&r->min_driver))
            u += (size_t)snprintf(out + u, len - u, "driver >= %s",
                                  gm_driver_version_str(&r->min_driver, a));
        if (r->has_cuda_runtime && u < len)
            u += (size_t)snprintf(out + u, len - u, "%sa driver for the CUDA %s runtime",
                                  u ? " and " : "", gm_cuda_version_str(&r->cuda_runtime, a));
        if (r->has_min_cuda_driver && u < len)
            snprintf(out + u, len - u, "%sa driver supporting CUDA >= %s", u ? " and " : "",
                     gm_cuda_version_str(&r->min_cuda_driver, a));
    }
    }
}

int gm_fleet_blocking(const gm_node_list *nodes, const gm_node_kinds *kinds,
                      const gm_requirement *req, char **line, gm_error *err) {
    *line = NULL;
    bool any;
    size_t best;
    int rc;
    unsigned have = present(req);
    char ccs[256] = "", da[256], db[256];
    if ((rc = probe(nodes, kinds, req, F_ALL, req->device_count, &any, NULL, NULL, 0, err)) < 0)
        return rc;
    if (any || !kinds->n)
        return 0;
    /* gm_match refuses a GPU of unknown CC whatever is asked: every facet
     * would fail there and the first one would be blamed */
    bool cc_known = false;
    for (size_t i = 0; i < kinds->n && !cc_known; i++) {
        const gm_node *n = &nodes->nodes[kinds->kinds[i].members[0]];
        for (size_t d = 0; d < n->n_devices && !cc_known; d++)
            cc_known = n->devices[d].cc.major != 0;
    }
    if (!cc_known) {
        *line = gm_asprintf("no node has a GPU with a known compute capability");
        return *line ? 0 : gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    if ((have & F_CODE) &&
        (rc = probe(nodes, kinds, req, F_CODE, 1, &any, NULL, ccs, sizeof ccs, err)) < 0)
        return rc;
    for (size_t i = 0; i < N_FACETS; i++) {
        unsigned f = facet_bits[i];
        if (!(have & f))
            continue;
        if ((rc = probe(nodes, kinds, req, f, 1, &any, NULL, NULL, 0, err)) < 0)
            return rc;
        if (!any) {
            describe(req, f, NULL, da, sizeof da);
            *line = gm_asprintf("no %s has %s", f == F_DRIVER ? "node" : "GPU", da);
            goto done;
        }
    }
    for (size_t i = 0; i < N_FACETS; i++)
        for (size_t j = i + 1; j < N_FACETS; j++) {
            unsigned f = facet_bits[i], g = facet_bits[j];
            if (!(have & f) || !(have & g))
                continue;
            if ((rc = probe(nodes, kinds, req, f | g, 1, &any, NULL, NULL, 0, err)) < 0)
                return rc;
            if (any)
                continue;
            describe(req, f, ccs, da, sizeof da);
            describe(req, g, ccs, db, sizeof db);
            *line = f == F_DRIVER ? gm_asprintf("no node with %s has a GPU with %s", da, db)
                                  : gm_asprintf("no GPU has both %s and %s", da, db);
            goto done;
        }
    if ((rc = probe(nodes, kinds, req, F_ALL, 1, &any, &best, NULL, 0, err)) < 0)
        return rc;
    if (any && req->device_count > 1)
        *line = gm_asprintf("no node has %ld GPUs that meet all constraints (at most %zu)",
                            req->device_count, best);
    else if (!have)
        *line = gm_asprintf("no node has a GPU with a known compute capability");
    else
        *line = gm_asprintf("no GPU meets all constraints together (each pair is met somewhere)");
done:
    return *line ? 0 : gm_error_set(err, GM_ENOMEM, "out of memory");
}
