/* The requirement document: strict parse, canonical print. Also accepts an
 * Arvados container request (or its runtime_constraints) with Arvados'
 * documented meaning, but compares versions part by part, not as floats. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/nvreq.h"
#include "gpumatch/require.h"
#include "internal.h"

void gm_requirement_init(gm_requirement *r) {
    memset(r, 0, sizeof *r);
    r->device_count = 1;
}

void gm_module_req_free(gm_module_req *m) {
    free(m->name);
    free(m->cubin);
    free(m->ptx);
    memset(m, 0, sizeof *m);
}

void gm_req_variant_view(const gm_req_variant *v, gm_requirement *view) {
    gm_requirement_init(view);
    view->cuda_runtime = v->cuda_runtime;
    view->has_cuda_runtime = v->has_cuda_runtime;
    view->modules = v->modules;
    view->n_modules = v->n_modules;
}

void gm_req_variant_free(gm_req_variant *v) {
    for (size_t i = 0; i < v->n_modules; i++)
        gm_module_req_free(&v->modules[i]);
    free(v->modules);
    free(v->name);
    memset(v, 0, sizeof *v);
}

void gm_entry_point_free(gm_entry_point *e) {
    for (size_t i = 0; i < e->n_variants; i++)
        gm_req_variant_free(&e->variants[i]);
    free(e->variants);
    free(e->name);
    memset(e, 0, sizeof *e);
}

void gm_requirement_free(gm_requirement *r) {
    if (!r)
        return;
    for (size_t i = 0; i < r->n_entry_points; i++)
        gm_entry_point_free(&r->entry_points[i]);
    free(r->entry_points);
    for (size_t i = 0; i < r->n_modules; i++)
        gm_module_req_free(&r->modules[i]);
    free(r->modules);
    free(r->exact_cc);
    free(r->id);
    gm_strlist_free(&r->nvidia_require);
    gm_requirement_init(r);
}

int gm_requirement_add_module(gm_requirement *r, gm_module_req *m, gm_error *err) {
    gm_module_req *n = realloc(r->modules, (r->n_modules + 1) * sizeof *n);
    if (!n)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    r->modules = n;
    r->modules[r->n_modules++] = *m;
    memset(m, 0, sizeof *m);
    return 0;
}

/* Text of a version-like JSON value into buf: strings only (a JSON number
 * loses the text: 12.10 reads as 12.1). */
static int value_text(const json_t *v, char *buf, size_t len, const char *path, const gm_jctx *c,
                      gm_error *err) {
    if (json_is_real(v))
        return gm_json_err(err, c, path, "write versions as strings (\"8.6\", not 8.6): a "
                                         "JSON number loses the text");
    if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        return 0;
    }
    if (!json_is_string(v) || strlen(json_string_value(v)) >= len)
        return gm_json_err(err, c, path, "expected a version string");
    strcpy(buf, json_string_value(v));
    return 0;
}

/* "cubin"/"ptx": a string or a list of capabilities/target names. */
static int parse_targets(const json_t *o, const char *key, const char *path, gm_target_kind kind,
                         gm_target **out, size_t *n, const gm_jctx *c, gm_error *err) {
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    size_t k = json_is_array(v) ? json_array_size(v) : 1;
    *out = gm_xcalloc(k, sizeof **out);
    if (!*out)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    for (size_t i = 0; i < k; i++) {
        json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        char p[192], buf[96];
        if (json_is_array(v))
            snprintf(p, sizeof p, "%s.%s[%zu]", path, key, i);
        else
            snprintf(p, sizeof p, "%s.%s", path, key);
        if (json_is_array(e) || json_is_object(e))
            return gm_json_err(err, c, p, "expected a capability like \"8.0\" or a target name");
        if (value_text(e, buf, sizeof buf, p, c, err) < 0)
            return GM_EINVAL;
        gm_target t;
        if (gm_target_parse_or_cc(buf, kind, &t, err) < 0)
            return gm_error_prefix(err, "%s: %s: ", c->origin, p);
        if (t.kind != kind)
            return gm_json_err(err, c, p, "\"%s\" is a %s target, listed under \"%s\"", buf,
                               t.kind == GM_KIND_PTX ? "PTX" : "cubin", key);
        (*out)[(*n)++] = t;
    }
    return 0;
}

static int parse_module(const json_t *o, const char *path, gm_module_req *m, bool top,
                        const gm_jctx *c, gm_error *err) {
    char buf[96];
    bool has;
    if (!top) {
        static const char *const keys[] = {"name", "cubin", "ptx", "ptx_isa", "optional", NULL};
        const char *name;
        if (gm_json_check_keys(o, path, keys, c, err) < 0 ||
            gm_json_str(o, "name", path, false, &name, c, err) < 0 ||
            gm_json_bool(o, "optional", path, &m->optional, NULL, c, err) < 0)
            return GM_EINVAL;
        if (name && !(m->name = strdup(name)))
            return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    if (parse_targets(o, "cubin", path, GM_KIND_CUBIN, &m->cubin, &m->n_cubin, c, err) < 0 ||
        parse_targets(o, "ptx", path, GM_KIND_PTX, &m->ptx, &m->n_ptx, c, err) < 0 ||
        gm_json_verstr(o, "ptx_isa", path, false, buf, sizeof buf, &has, c, err) < 0)
        return GM_EINVAL;
    if (has) {
        if (gm_cuda_version_parse(buf, &m->ptx_isa, err) < 0)
            return gm_error_prefix(err, "%s: %s.ptx_isa: ", c->origin, path);
        m->has_ptx_isa = true;
    }
    return 0;
}

static int parse_strlist(const json_t *o, const char *key, const char *path, gm_strlist *out,
                         const gm_jctx *c, gm_error *err) {
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v))
        return gm_strlist_add(out, json_string_value(v)) < 0
                   ? gm_error_set(err, GM_ENOMEM, "out of memory")
                   : 0;
    if (!json_is_array(v))
        return gm_json_err(err, c, path, "field \"%s\" must be a string or a list of strings", key);
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e))
            return gm_json_err(err, c, path, "field \"%s[%zu]\" must be a string", key, i);
        if (gm_strlist_add(out, json_string_value(e)) < 0)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    return 0;
}

static int parse_entry_points(const json_t *o, const char *path, gm_requirement *r,
                              const gm_jctx *c, gm_error *err);

static int parse_native(const json_t *o, const char *path, gm_requirement *r, const gm_jctx *c,
                        gm_error *err) {
    static const char *const keys[] = {
        "id", "priority", "min_driver", "cuda_runtime", "min_cuda_driver", "cubin", "ptx",
        "ptx_isa", "modules", "min_compute_capability", "compute_capabilities", "device_count",
        "min_memory_mib", "nvidia_require", "nvidia_disable_require", "device_code", "entry_points",
        "schema_version", NULL};
    char buf[96];
    bool has;
    long v;
    const char *id;
    if (gm_json_check_keys(o, path, keys, c, err) < 0 ||
        gm_json_str(o, "id", path, false, &id, c, err) < 0)
        return GM_EINVAL;
    if (id && !(r->id = strdup(id)))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    if (gm_json_long(o, "priority", path, false, -1000000, 1000000, &v, &has, c, err) < 0)
        return GM_EINVAL;
    if (has)
        r->priority = (int)v;
    if (gm_json_verstr(o, "min_driver", path, false, buf, sizeof buf, &has, c, err) < 0)
        return GM_EINVAL;
    if (has && gm_driver_version_parse_min(buf, &r->min_driver, err) < 0)
        return gm_error_prefix(err, "%s: %s.min_driver: ", c->origin, path);
    if (gm_json_verstr(o, "cuda_runtime", path, false, buf, sizeof buf, &has, c, err) < 0)
        return GM_EINVAL;
    if (has) {
        if (gm_cuda_version_parse_release(buf, &r->cuda_runtime, err) < 0)
            return gm_error_prefix(err, "%s: %s.cuda_runtime: ", c->origin, path);
        r->has_cuda_runtime = true;
    }
    if (gm_json_verstr(o, "min_cuda_driver", path, false, buf, sizeof buf, &has, c, err) < 0)
        return GM_EINVAL;
    if (has) {
        if (gm_cuda_version_parse_release(buf, &r->min_cuda_driver, err) < 0)
            return gm_error_prefix(err, "%s: %s.min_cuda_driver: ", c->origin, path);
        r->has_min_cuda_driver = true;
    }
    if (gm_json_verstr(o, "min_compute_capability", path, false, buf, sizeof buf, &has, c, err) < 0)
        return GM_EINVAL;
    if (has) {
        if (gm_cc_parse(buf, &r->min_cc, err) < 0)
            return gm_error_prefix(err, "%s: %s.min_compute_capability: ", c->origin, path);
        r->has_min_cc = true;
    }
    json_t *ex = json_object_get(o, "compute_capabilities");
    if (ex && !json_is_null(ex)) {
        if (!json_is_array(ex))
            return gm_json_err(err, c, path, "field \"compute_capabilities\" must be a list");
        r->exact_cc = gm_xcalloc(json_array_size(ex), sizeof *r->exact_cc);
        if (!r->exact_cc)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        for (size_t i = 0; i < json_array_size(ex); i++) {
            char p[160];
            snprintf(p, sizeof p, "%s.compute_capabilities[%zu]", path, i);
            if (value_text(json_array_get(ex, i), buf, sizeof buf, p, c, err) < 0)
                return GM_EINVAL;
            if (gm_cc_parse(buf, &r->exact_cc[r->n_exact_cc], err) < 0)
                return gm_error_prefix(err, "%s: %s: ", c->origin, p);
            r->n_exact_cc++;
        }
    }
    bool device_code = true;
    if (gm_json_long(o, "device_count", path, false, 0, 1 << 20, &r->device_count, NULL, c, err) < 0 ||
        gm_json_long(o, "min_memory_mib", path, false, 0, 1L << 40, &r->min_memory_mib, NULL, c,
                     err) < 0 ||
        gm_json_bool(o, "nvidia_disable_require", path, &r->nvidia_disable_require, NULL, c, err) < 0 ||
        gm_json_bool(o, "device_code", path, &device_code, NULL, c, err) < 0 ||
        parse_strlist(o, "nvidia_require", path, &r->nvidia_require, c, err) < 0)
        return GM_EINVAL;
    r->no_device_code = !device_code;
    /* An empty value is no requirement (as the toolkit treats an empty variable);
     * with nvidia_disable_require nothing is evaluated, so nothing is validated. */
    for (size_t i = 0; i < r->nvidia_require.n;) {
        if (!r->nvidia_require.items[i][0]) {
            free(r->nvidia_require.items[i]);
            memmove(&r->nvidia_require.items[i], &r->nvidia_require.items[i + 1],
                    (r->nvidia_require.n - i - 1) * sizeof *r->nvidia_require.items);
            r->nvidia_require.n--;
            continue;
        }
        if (!r->nvidia_disable_require && gm_nvreq_validate(r->nvidia_require.items[i], err) < 0)
            return gm_error_prefix(err, "%s: %s.nvidia_require[%zu]: ", c->origin, path, i);
        i++;
    }
    /* Top-level cubin/ptx/ptx_isa form one unnamed module. */
    gm_module_req top = {0};
    if (parse_module(o, path, &top, true, c, err) < 0) {
        gm_module_req_free(&top);
        return GM_EINVAL;
    }
    if (top.n_cubin || top.n_ptx) {
        if (gm_requirement_add_module(r, &top, err) < 0) {
            gm_module_req_free(&top);
            return GM_ENOMEM;
        }
    } else {
        bool isa_alone = top.has_ptx_isa;
        gm_module_req_free(&top); /* empty lists still allocated */
        if (isa_alone)
            return gm_json_err(err, c, path, "\"ptx_isa\" given without \"ptx\"");
    }
    if (parse_entry_points(o, path, r, c, err) < 0)
        return GM_EINVAL;
    json_t *mods = json_object_get(o, "modules");
    if (mods && !json_is_null(mods)) {
        if (!json_is_array(mods))
            return gm_json_err(err, c, path, "field \"modules\" must be a list");
        for (size_t i = 0; i < json_array_size(mods); i++) {
            char p[160];
            gm_module_req m = {0};
            snprintf(p, sizeof p, "%s.modules[%zu]", path, i);
            if (parse_module(json_array_get(mods, i), p, &m, false, c, err) < 0 ||
                gm_requirement_add_module(r, &m, err) < 0) {
                gm_module_req_free(&m);
                return GM_EINVAL;
            }
        }
    }
    return 0;
}

static int parse_variant(const json_t *o, const char *path, gm_req_variant *v, const gm_jctx *c,
                         gm_error *err) {
    static const char *const keys[] = {"name", "cuda_runtime", "modules", NULL};
    const char *name;
    char buf[96];
    bool has;
    if (!json_is_object(o))
        return gm_json_err(err, c, path, "expected an object");
    if (gm_json_check_keys(o, path, keys, c, err) < 0 ||
        gm_json_str(o, "name", path, false, &name, c, err) < 0 ||
        gm_json_verstr(o, "cuda_runtime", path, false, buf, sizeof buf, &has, c, err) < 0)
        return GM_EINVAL;
    if (name && !(v->name = strdup(name)))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    if (has) {
        if (gm_cuda_version_parse_release(buf, &v->cuda_runtime, err) < 0)
            return gm_error_prefix(err, "%s: %s.cuda_runtime: ", c->origin, path);
        v->has_cuda_runtime = true;
    }
    json_t *mods = json_object_get(o, "modules");
    if (!mods || json_is_null(mods))
        return 0;
    if (!json_is_array(mods))
        return gm_json_err(err, c, path, "field \"modules\" must be a list");
    v->modules = gm_xcalloc(json_array_size(mods) ? json_array_size(mods) : 1, sizeof *v->modules);
    if (!v->modules)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    for (size_t i = 0; i < json_array_size(mods); i++) {
        char p[256];
        snprintf(p, sizeof p, "%s.modules[%zu]", path, i);
        int rc = parse_module(json_array_get(mods, i), p, &v->modules[v->n_modules], false, c, err);
        v->n_modules++; /* freed with the variant either way */
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int parse_entry_points(const json_t *o, const char *path, gm_requirement *r,
                              const gm_jctx *c, gm_error *err) {
    json_t *eps = json_object_get(o, "entry_points");
    if (!eps || json_is_null(eps))
        return 0;
    if (!json_is_array(eps))
        return gm_json_err(err, c, path, "field \"entry_points\" must be a list");
    size_t n = json_array_size(eps);
    r->entry_points = gm_xcalloc(n ? n : 1, sizeof *r->entry_points);
    if (!r->entry_points)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        static const char *const keys[] = {"name", "variants", NULL};
        json_t *e = json_array_get(eps, i);
        gm_entry_point *ep = &r->entry_points[r->n_entry_points++];
        char p[160];
        const char *name;
        snprintf(p, sizeof p, "%s.entry_points[%zu]", path, i);
        if (!json_is_object(e))
            return gm_json_err(err, c, p, "expected an object");
        if (gm_json_check_keys(e, p, keys, c, err) < 0 ||
            gm_json_str(e, "name", p, false, &name, c, err) < 0)
            return GM_EINVAL;
        if (name && !(ep->name = strdup(name)))
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        json_t *vs = json_object_get(e, "variants");
        if (!json_is_array(vs) || json_array_size(vs) == 0)
            return gm_json_err(err, c, p, "field \"variants\" must be a non-empty list");
        ep->variants = gm_xcalloc(json_array_size(vs), sizeof *ep->variants);
        if (!ep->variants)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        for (size_t k = 0; k < json_array_size(vs); k++) {
            char q[224];
            snprintf(q, sizeof q, "%s.variants[%zu]", p, k);
            int rc = parse_variant(json_array_get(vs, k), q, &ep->variants[ep->n_variants++], c,
                                   err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* Arvados "gpu" (stack, device_count, driver_version, hardware_target, vram)
 * and legacy "cuda" (device_count, driver_version, hardware_capability). */
static int parse_arvados_rc(const json_t *rc, const char *path, gm_requirement *r,
                            const gm_jctx *c, gm_error *err) {
    static const char *const keys[] = {"vcpus", "ram", "API", "keep_cache_ram", "keep_cache_disk",
                                       "cuda", "gpu", NULL};
    char p[128], buf[96];
    bool has;
    if (gm_json_check_keys(rc, path, keys, c, err) < 0)
        return GM_EINVAL;
    json_t *gpu = json_object_get(rc, "gpu");
    json_t *cuda = json_object_get(rc, "cuda");
    r->device_count = 0;
    if (gpu && !json_is_null(gpu)) {
        static const char *const gk[] = {"stack", "device_count", "driver_version",
                                         "hardware_target", "vram", NULL};
        const char *stack;
        long vram = 0;
        snprintf(p, sizeof p, "%s.gpu", path);
        if (gm_json_check_keys(gpu, p, gk, c, err) < 0 ||
            gm_json_str(gpu, "stack", p, false, &stack, c, err) < 0 ||
            gm_json_long(gpu, "device_count", p, false, 0, 1 << 20, &r->device_count, NULL, c,
                         err) < 0 ||
            gm_json_long(gpu, "vram", p, false, 0, 1L << 50, &vram, NULL, c, err) < 0)
            return GM_EINVAL;
        if (r->device_count > 0 && stack && *stack && strcmp(stack, "cuda"))
            return gm_error_set(err, GM_EUNSUPPORTED,
                                "%s: %s.stack: \"%s\" GPUs are not handled by gpumatch (only "
                                "\"cuda\")",
                                c->origin, p, stack);
        r->min_memory_mib = (vram + (1L << 20) - 1) >> 20;
        /* node_size.go reads driver_version and hardware_target only when
         * device_count > 0 (hardware_target [""] is fine without GPUs) */
        if (r->device_count == 0)
            return 0;
        if (gm_json_verstr(gpu, "driver_version", p, false, buf, sizeof buf, &has, c, err) < 0)
            return GM_EINVAL;
        if (!has || !buf[0]) /* container_request.rb refuses it */
            return gm_json_err(err, c, p, "field \"driver_version\" must be a string in format "
                                          "'X.Y' when device_count > 0");
        if (has && buf[0]) {
            if (gm_cuda_version_parse(buf, &r->min_cuda_driver, err) < 0)
                return gm_error_prefix(err, "%s: %s.driver_version: ", c->origin, p);
            r->has_min_cuda_driver = true;
        }
        json_t *ht = json_object_get(gpu, "hardware_target");
        /* node_size.go: GPUs with an empty stack match no instance type (Stack
         * differs), a cuda stack without targets sets capabilityInsuff: never
         * scheduled, so not read as "any GPU" */
        if (!stack || !*stack || !json_array_size(ht))
            return gm_json_err(err, c, p, "%s: Arvados schedules no GPU request with %s",
                               "device_count > 0", !stack || !*stack ? "an empty \"stack\""
                                                                     : "no \"hardware_target\"");
        if (ht && !json_is_null(ht)) {
            if (!json_is_array(ht))
                return gm_json_err(err, c, p, "field \"hardware_target\" must be a list");
            size_t k = json_array_size(ht);
            gm_cc *ccs = gm_xcalloc(k, sizeof *ccs);
            if (!ccs)
                return gm_error_set(err, GM_ENOMEM, "out of memory");
            for (size_t i = 0; i < k; i++) {
                char ep[160];
                snprintf(ep, sizeof ep, "%s.hardware_target[%zu]", p, i);
                if (value_text(json_array_get(ht, i), buf, sizeof buf, ep, c, err) < 0) {
                    free(ccs);
                    return GM_EINVAL;
                }
                /* node_size.go compares with ParseFloat: "8" is 8.0 there */
                if (buf[0] && !strchr(buf, '.') && strlen(buf) + 2 < sizeof buf)
                    strcat(buf, ".0");
                if (gm_cc_parse(buf, &ccs[i], err) < 0) {
                    free(ccs);
                    return gm_error_prefix(err, "%s: %s: ", c->origin, ep);
                }
            }
            /* One target is a minimum; several are the exact list accepted. */
            if (k == 1) {
                r->min_cc = ccs[0];
                r->has_min_cc = true;
                free(ccs);
            } else if (k > 1) {
                r->exact_cc = ccs;
                r->n_exact_cc = k;
            } else {
                free(ccs);
            }
        }
        return 0;
    }
    if (cuda && !json_is_null(cuda)) {
        static const char *const ck[] = {"device_count", "driver_version", "hardware_capability",
                                         NULL};
        snprintf(p, sizeof p, "%s.cuda", path);
        if (gm_json_check_keys(cuda, p, ck, c, err) < 0 ||
            gm_json_long(cuda, "device_count", p, false, 0, 1 << 20, &r->device_count, NULL, c,
                         err) < 0 ||
            gm_json_verstr(cuda, "driver_version", p, false, buf, sizeof buf, &has, c, err) < 0)
            return GM_EINVAL;
        if (has && buf[0]) {
            if (gm_cuda_version_parse(buf, &r->min_cuda_driver, err) < 0)
                return gm_error_prefix(err, "%s: %s.driver_version: ", c->origin, p);
            r->has_min_cuda_driver = true;
        }
        if (gm_json_verstr(cuda, "hardware_capability", p, false, buf, sizeof buf, &has, c, err) < 0)
            return GM_EINVAL;
        if (has && buf[0]) {
            if (gm_cc_parse(buf, &r->min_cc, err) < 0)
                return gm_error_prefix(err, "%s: %s.hardware_capability: ", c->origin, p);
            r->has_min_cc = true;
        }
    }
    return 0;
}

static int parse_one(const json_t *o, const char *path, gm_requirement *r, const gm_jctx *c,
                     gm_error *err) {
    if (!json_is_object(o))
        return gm_json_err(err, c, path, "expected a requirement object");
    json_t *cr = json_object_get(o, "container_request");
    if (cr && json_object_size(o) == 1) { /* the API's wrapped form */
        char p[128];
        snprintf(p, sizeof p, "%s.container_request", path);
        return parse_one(cr, p, r, c, err);
    }
    json_t *rc = json_object_get(o, "runtime_constraints");
    if (rc) {
        /* An Arvados container request: only its runtime_constraints matter here. */
        char p[128];
        snprintf(p, sizeof p, "%s.runtime_constraints", path);
        if (!json_is_object(rc))
            return gm_json_err(err, c, p, "expected an object");
        return parse_arvados_rc(rc, p, r, c, err);
    }
    if (json_object_get(o, "gpu") || json_object_get(o, "cuda"))
        return parse_arvados_rc(o, path, r, c, err);
    return parse_native(o, path, r, c, err);
}

int gm_requirement_parse(const char *text, size_t len, const char *origin, gm_requirement *r,
                         gm_error *err) {
    gm_jctx c = {origin ? origin : "<input>"};
    json_t *root = gm_json_loadb(text, len, &c, err);
    if (!root)
        return GM_EINVAL;
    int rc = parse_one(root, "$", r, &c, err);
    json_decref(root);
    return rc;
}

static int parse_cb(const char *text, size_t len, const char *origin, void *out, gm_error *err) {
    return gm_requirement_parse(text, len, origin, out, err);
}

int gm_requirement_load(const char *path, gm_requirement *r, gm_error *err) {
    return gm_load_with(path, parse_cb, r, err);
}

static int add_request(void *ctx, const json_t *o, const char *path, const gm_jctx *c,
                       gm_error *err) {
    gm_requirement_list *l = ctx;
    gm_requirement *items = realloc(l->items, (l->n + 1) * sizeof *items);
    if (!items)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    l->items = items;
    gm_requirement_init(&items[l->n]);
    if (parse_one(o, path, &items[l->n], c, err) < 0) {
        gm_requirement_free(&items[l->n]);
        return GM_EINVAL;
    }
    l->n++;
    return 0;
}

int gm_requirement_list_parse(const char *text, size_t len, const char *origin,
                              gm_requirement_list *l, gm_error *err) {
    return gm_json_parse_list(text, len, origin, "requests", true, "requests", add_request, l,
                              err);
}

static int parse_list_cb(const char *text, size_t len, const char *origin, void *out,
                         gm_error *err) {
    return gm_requirement_list_parse(text, len, origin, out, err);
}

int gm_requirement_list_load(const char *path, gm_requirement_list *l, gm_error *err) {
    return gm_load_with(path, parse_list_cb, l, err);
}

void gm_requirement_list_free(gm_requirement_list *l) {
    for (size_t i = 0; i < l->n; i++)
        gm_requirement_free(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static json_t *targets_json(const gm_target *t, size_t n) {
    char buf[GM_VERSION_STR_MAX];
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(gm_target_str(&t[i], buf)));
    return a;
}

static void module_json(json_t *o, const gm_module_req *m) {
    char buf[GM_VERSION_STR_MAX];
    if (m->n_cubin)
        json_object_set_new(o, "cubin", targets_json(m->cubin, m->n_cubin));
    if (m->n_ptx)
        json_object_set_new(o, "ptx", targets_json(m->ptx, m->n_ptx));
    if (m->has_ptx_isa)
        json_object_set_new(o, "ptx_isa", json_string(gm_cuda_version_str(&m->ptx_isa, buf)));
}

char *gm_requirement_to_json(const gm_requirement *r, gm_error *err) {
    /* JSON carries UTF-8 only: refuse rather than drop a module name (issue 13) */
    if (gm_utf8_check(r->id, "id", err) < 0)
        return NULL;
    for (size_t i = 0; i < r->n_modules; i++)
        if (gm_utf8_check(r->modules[i].name, "module name", err) < 0)
            return NULL;
    for (size_t i = 0; i < r->nvidia_require.n; i++)
        if (gm_utf8_check(r->nvidia_require.items[i], "NVIDIA_REQUIRE value", err) < 0)
            return NULL;
    char buf[GM_VERSION_STR_MAX];
    json_t *o = json_object();
    if (r->id)
        json_object_set_new(o, "id", json_string(r->id));
    if (r->priority)
        json_object_set_new(o, "priority", json_integer(r->priority));
    if (gm_driver_version_is_set(&r->min_driver))
        json_object_set_new(o, "min_driver", json_string(gm_driver_version_str(&r->min_driver, buf)));
    if (r->has_cuda_runtime)
        json_object_set_new(o, "cuda_runtime", json_string(gm_cuda_version_str(&r->cuda_runtime, buf)));
    if (r->has_min_cuda_driver)
        json_object_set_new(o, "min_cuda_driver",
                            json_string(gm_cuda_version_str(&r->min_cuda_driver, buf)));
    if (r->has_min_cc)
        json_object_set_new(o, "min_compute_capability", json_string(gm_cc_str(&r->min_cc, buf)));
    if (r->n_exact_cc) {
        json_t *a = json_array();
        for (size_t i = 0; i < r->n_exact_cc; i++)
            json_array_append_new(a, json_string(gm_cc_str(&r->exact_cc[i], buf)));
        json_object_set_new(o, "compute_capabilities", a);
    }
    /* One unnamed required module prints in the seed's flat form. */
    bool flat = r->n_modules == 1 && !r->modules[0].name && !r->modules[0].optional;
    if (flat) {
        module_json(o, &r->modules[0]);
    } else if (r->n_modules) {
        json_t *a = json_array();
        for (size_t i = 0; i < r->n_modules; i++) {
            json_t *m = json_object();
            if (r->modules[i].name)
                json_object_set_new(m, "name", json_string(r->modules[i].name));
            module_json(m, &r->modules[i]);
            if (r->modules[i].optional)
                json_object_set_new(m, "optional", json_true());
            json_array_append_new(a, m);
        }
        json_object_set_new(o, "modules", a);
    }
    json_object_set_new(o, "device_count", json_integer(r->device_count));
    if (r->min_memory_mib)
        json_object_set_new(o, "min_memory_mib", json_integer(r->min_memory_mib));
    if (r->nvidia_require.n)
        json_object_set_new(o, "nvidia_require", gm_json_strlist(&r->nvidia_require));
    if (r->nvidia_disable_require)
        json_object_set_new(o, "nvidia_disable_require", json_true());
    json_object_set_new(o, "schema_version", json_integer(GM_SCHEMA_VERSION));
    if (r->no_device_code)
        json_object_set_new(o, "device_code", json_false());
    if (r->n_entry_points) {
        json_t *eps = json_array();
        for (size_t i = 0; i < r->n_entry_points; i++) {
            const gm_entry_point *ep = &r->entry_points[i];
            json_t *e = json_object(), *vs = json_array();
            if (ep->name)
                json_object_set_new(e, "name", json_string(ep->name));
            for (size_t k = 0; k < ep->n_variants; k++) {
                const gm_req_variant *v = &ep->variants[k];
                json_t *vo = json_object(), *ms = json_array();
                if (v->name)
                    json_object_set_new(vo, "name", json_string(v->name));
                if (v->has_cuda_runtime)
                    json_object_set_new(vo, "cuda_runtime",
                                        json_string(gm_cuda_version_str(&v->cuda_runtime, buf)));
                for (size_t m = 0; m < v->n_modules; m++) {
                    json_t *mo = json_object();
                    if (v->modules[m].name)
                        json_object_set_new(mo, "name", json_string(v->modules[m].name));
                    module_json(mo, &v->modules[m]);
                    if (v->modules[m].optional)
                        json_object_set_new(mo, "optional", json_true());
                    json_array_append_new(ms, mo);
                }
                json_object_set_new(vo, "modules", ms);
                json_array_append_new(vs, vo);
            }
            json_object_set_new(e, "variants", vs);
            json_array_append_new(eps, e);
        }
        json_object_set_new(o, "entry_points", eps);
    }
    char *s = gm_json_dump(o, err);
    json_decref(o);
    return s;
}
