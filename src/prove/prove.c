/* prove: load each module of a target on each visible GPU and compare with
 * gm_match's prediction (see prove.h). Modules are loaded from inspect's
 * on_module hook, while their bytes are mapped, so images need no copy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gpumatch/inspect.h"
#include "gpumatch/match.h"
#include "gpumatch/probe.h"
#include "gpumatch/prove.h"
#include "internal.h"
#include "probe/cuda_api.h"

#define LOG_BYTES 8192

const char *gm_prove_how_name(gm_prove_how h) {
    switch (h) {
    case GM_PROVE_CUBIN: return "cubin";
    case GM_PROVE_JIT: return "jit";
    case GM_PROVE_FAILED: return "failed";
    default: return "skipped";
    }
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct {
    gm_cuda_api a;
    CUcontext *ctx;        /* per device; NULL where retain failed */
    gm_prove_report *r;
    const gm_prove_opts *o;
    double t0;
    size_t cap;
    gm_strlist keys;       /* per module: targets text, the sampling key */
    struct mod_info {
        size_t file;       /* inspect file index */
        bool embedded;     /* from a data section (an executable's embedded union) */
        bool shared;       /* its file is a shared library (the library union) */
    } *file;               /* per module, in on_module order */
    size_t file_cap;
} prove_ctx;

static int oom(gm_error *err) { return gm_error_set(err, GM_ENOMEM, "out of memory"); }

static int cmp_target(const void *x, const void *y) { return gm_target_cmp(x, y); }

/* "sm_80 compute_80 (PTX ISA 9.0)": the module's images, sorted, as inspect prints them. */
static char *targets_text(const gm_fatbin_region *rg) {
    gm_target *t = gm_xcalloc(rg->n_entries ? rg->n_entries : 1, sizeof *t);
    if (!t)
        return NULL;
    size_t nc = 0, np = 0;
    bool has_isa = false;
    gm_cuda_version isa = {0, 0};
    for (int pass = 0; pass < 2; pass++)
        for (size_t e = 0; e < rg->n_entries; e++) {
            const gm_fatbin_entry *en = &rg->entries[e];
            if (en->kind != (pass ? GM_FATBIN_PTX : GM_FATBIN_CUBIN))
                continue;
            size_t base = pass ? nc : 0, *n = pass ? &np : &nc, k = 0;
            while (k < *n && gm_target_cmp(&t[base + k], &en->target))
                k++;
            if (k == *n)
                t[base + (*n)++] = en->target;
            if (pass && (!has_isa || gm_cuda_version_cmp(&en->code_version, &isa) > 0)) {
                isa = en->code_version;
                has_isa = true;
            }
        }
    qsort(t, nc, sizeof *t, cmp_target);
    qsort(t + nc, np, sizeof *t, cmp_target);
    char buf[2048];
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < nc + np && used < sizeof buf; i++) {
        char s[GM_VERSION_STR_MAX];
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", used ? " " : "",
                                 gm_target_str(&t[i], s));
    }
    if (has_isa && used < sizeof buf)
        snprintf(buf + used, sizeof buf - used, " (PTX ISA %d.%d)", isa.major, isa.minor);
    free(t);
    return gm_strdup(buf);
}

/* The same text for a requirement module (a library's union). */
static char *req_targets_text(const gm_module_req *m) {
    char buf[2048];
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < m->n_cubin + m->n_ptx && used < sizeof buf; i++) {
        char s[GM_VERSION_STR_MAX];
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", used ? " " : "",
                                 gm_target_str(i < m->n_cubin ? &m->cubin[i]
                                                              : &m->ptx[i - m->n_cubin], s));
    }
    if (m->has_ptx_isa && used < sizeof buf)
        snprintf(buf + used, sizeof buf - used, " (PTX ISA %d.%d)", m->ptx_isa.major,
                 m->ptx_isa.minor);
    return gm_strdup(buf);
}

static char *first_line(const char *s) {
    while (*s == '\n' || *s == '\r' || *s == ' ')
        s++;
    if (!*s)
        return NULL;
    return gm_strndup(s, strcspn(s, "\r\n"));
}

static void load_one(prove_ctx *c, size_t dev, const gm_inspect_module *m, const void *image,
                     gm_prove_load *l) {
    gm_cuda_api *a = &c->a;
    char elog[LOG_BYTES], ilog[LOG_BYTES];
    elog[0] = ilog[0] = 0;
    float wall = 0;
    int opt[7] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                  CU_JIT_INFO_LOG_BUFFER,  CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
                  CU_JIT_LOG_VERBOSE,      CU_JIT_WALL_TIME, 0};
    void *val[7] = {elog, (void *)(size_t)sizeof elog, ilog, (void *)(size_t)sizeof ilog,
                    (void *)(size_t)1, NULL, NULL};
    (void)m;
    CUmodule mod = NULL;
    double t = now_s();
    CUresult rc = a->CtxSetCurrent(c->ctx[dev]);
    if (rc == CUDA_SUCCESS)
        rc = a->ModuleLoadDataEx(&mod, image, 6, opt, val);
    l->ms = (now_s() - t) * 1000.0;
    /* CU_JIT_WALL_TIME: the driver overwrites the option's value with a float (ms). */
    memcpy(&wall, &val[5], sizeof wall);
    l->jit_ms = wall;
    elog[sizeof elog - 1] = ilog[sizeof ilog - 1] = 0;
    l->code = rc;
    if (rc == CUDA_SUCCESS) {
        /* Only PTX compilation writes ptxas output into the verbose info log. */
        l->proven = ilog[0] ? GM_PROVE_JIT : GM_PROVE_CUBIN;
        l->log = first_line(ilog);
        if (mod)
            a->ModuleUnload(mod);
    } else {
        l->proven = GM_PROVE_FAILED;
        const char *n = gm_cuda_api_ename(a, rc);
        l->error_name = n ? gm_strdup(n) : gm_asprintf("CUresult %d", rc);
        l->log = first_line(elog[0] ? elog : ilog);
    }
}

static int on_module(void *vc, const gm_inspect_module *m, gm_error *err) {
    prove_ctx *c = vc;
    gm_prove_report *r = c->r;
    size_t nd = r->n_devices;
    if (gm_grow((void **)&r->modules, &c->cap, r->n_modules + 1, sizeof *r->modules) < 0 ||
        gm_grow((void **)&c->file, &c->file_cap, r->n_modules + 1, sizeof *c->file) < 0)
        return oom(err);
    gm_prove_module *pm = &r->modules[r->n_modules];
    memset(pm, 0, sizeof *pm);
    pm->name = gm_strdup(m->name);
    pm->targets = targets_text(m->region);
    pm->loads = gm_xcalloc(nd ? nd : 1, sizeof *pm->loads);
    if (!pm->name || !pm->targets || !pm->loads || gm_strlist_add(&c->keys, pm->targets) < 0) {
        free(pm->name);
        free(pm->targets);
        free(pm->loads);
        return oom(err);
    }
    struct mod_info *mi = &c->file[r->n_modules];
    mi->file = m->file;
    mi->shared = m->scan->kind == GM_FILE_SHARED;
    mi->embedded = false;
    for (size_t i = 0; i < m->scan->n_sections; i++) {
        const gm_fatbin_section *sec = &m->scan->sections[i];
        if (m->region >= sec->fb.regions && m->region < sec->fb.regions + sec->fb.n_regions)
            mi->embedded = sec->embedded;
    }
    pm->kernel_less = m->region->kernel_less;
    size_t me = r->n_modules++;
    long same = -1;
    for (size_t i = 0; c->o->sample && i < me && same < 0; i++)
        if (!strcmp(c->keys.items[i], pm->targets))
            same = (long)i;
    /* PTX text must be NUL-terminated for the driver. */
    unsigned char *copy = NULL;
    const void *image = m->data;
    if (m->kind == GM_FILE_PTX) {
        if (!(copy = malloc(m->len + 1)))
            return oom(err);
        memcpy(copy, m->data, m->len);
        copy[m->len] = 0;
        image = copy;
    }
    for (size_t d = 0; d < nd; d++) {
        gm_prove_load *l = &pm->loads[d];
        l->sampled_from = -1;
        l->proven = GM_PROVE_SKIPPED;
        /* Not in the requirement (inspect: defines no kernel): not loaded. */
        if (!c->ctx[d] || pm->kernel_less)
            continue;
        if (same >= 0 && r->modules[same].loads[d].proven != GM_PROVE_SKIPPED) {
            const gm_prove_load *s = &r->modules[same].loads[d];
            l->proven = s->proven;
            l->code = s->code;
            l->error_name = gm_strdup(s->error_name);
            l->log = gm_strdup(s->log);
            l->sampled_from = (long)same;
            r->n_sampled++;
            continue;
        }
        if (c->o->budget_s > 0 && now_s() - c->t0 >= c->o->budget_s) {
            r->budget_expired = true;
            continue;
        }
        load_one(c, d, m, image, l);
        r->n_loads++;
    }
    free(copy);
    return 0;
}

/* A library's union module: loaded on a GPU iff some module of its file did. */
static int union_loads(const prove_ctx *c, size_t file, gm_prove_module *u, gm_error *err) {
    const gm_prove_module *mods = c->r->modules;
    size_t n = c->r->n_modules;
    size_t nd = c->r->n_devices;
    u->loads = gm_xcalloc(nd ? nd : 1, sizeof *u->loads);
    if (!u->loads)
        return oom(err);
    for (size_t d = 0; d < nd; d++) {
        gm_prove_load *l = &u->loads[d];
        bool cubin = false, jit = false, skipped = false;
        const gm_prove_load *fail = NULL;
        for (size_t i = 0; i < n; i++) {
            /* inspect's union: all of a library's modules, or an executable's
             * embedded ones */
            const struct mod_info *mi = &c->file[i];
            if (mi->file != file || mods[i].kernel_less || (!mi->shared && !mi->embedded))
                continue;
            const gm_prove_load *x = &mods[i].loads[d];
            cubin |= x->proven == GM_PROVE_CUBIN;
            jit |= x->proven == GM_PROVE_JIT;
            skipped |= x->proven == GM_PROVE_SKIPPED;
            if (x->proven == GM_PROVE_FAILED && !fail)
                fail = x;
        }
        l->sampled_from = -1;
        l->proven = cubin ? GM_PROVE_CUBIN : jit ? GM_PROVE_JIT : skipped || !fail
                                                                   ? GM_PROVE_SKIPPED
                                                                   : GM_PROVE_FAILED;
        if (l->proven == GM_PROVE_FAILED) {
            l->code = fail->code;
            l->error_name = gm_strdup(fail->error_name);
            l->log = gm_strdup(fail->log);
        }
    }
    return 0;
}

/* Predicted outcome of module m on each unit: gm_match on a requirement
 * holding m alone (required), and m's cubins alone to tell cubin from JIT. */
static int predict(const gm_node *node, const gm_requirement *full, const gm_module_req *m,
                   gm_prove_module *pm, size_t nd, gm_error *err) {
    gm_module_req one = *m, cub = *m;
    one.optional = cub.optional = false;
    cub.ptx = NULL;
    cub.n_ptx = 0;
    cub.has_ptx_isa = false;
    gm_requirement q;
    gm_requirement_init(&q);
    q.cuda_runtime = full->cuda_runtime; /* PTX ISA assumed from it when unknown */
    q.has_cuda_runtime = full->has_cuda_runtime;
    q.modules = &one;
    q.n_modules = 1;
    gm_verdict v, vc;
    int rc = gm_match(node, &q, &v, err);
    if (rc < 0)
        return rc;
    bool have_c = false;
    if (m->n_cubin) {
        q.modules = &cub;
        if ((rc = gm_match(node, &q, &vc, err)) < 0) {
            gm_verdict_free(&v);
            return rc;
        }
        have_c = true;
    }
    for (size_t d = 0; d < nd && d < v.n_units; d++)
        pm->loads[d].predicted = !v.units[d].ok                     ? GM_PROVE_FAILED
                                 : have_c && d < vc.n_units && vc.units[d].ok ? GM_PROVE_CUBIN
                                                                              : GM_PROVE_JIT;
    gm_verdict_free(&v);
    if (have_c)
        gm_verdict_free(&vc);
    return 0;
}

/* The module lists the requirement holds: its own, then each variant's. */
typedef struct {
    const gm_module_req *mods;
    size_t n;
    const gm_cuda_version *runtime; /* NULL: none */
} mod_list;

typedef struct {
    const char *name;
    size_t at; /* index in out[] */
} name_at;

static int cmp_name_at(const void *x, const void *y) {
    return strcmp(((const name_at *)x)->name, ((const name_at *)y)->name);
}

static long find_name(const name_at *ix, size_t n, const char *name) {
    name_at key = {name, 0};
    const name_at *f = n ? bsearch(&key, ix, n, sizeof *ix, cmp_name_at) : NULL;
    return f ? (long)f->at : -1;
}

/* Proven state of one list on device d: 1 every required module loaded,
 * 0 one failed, -1 not known (one skipped: that wins, as a claim not made). */
static int list_proven(const mod_list *l, const gm_prove_module *out, const name_at *ix, size_t n_ix,
                       size_t d) {
    int st = 1;
    for (size_t i = 0; i < l->n; i++) {
        if (l->mods[i].optional)
            continue;
        long at = find_name(ix, n_ix, l->mods[i].name ? l->mods[i].name : "-");
        gm_prove_how h = at < 0 ? GM_PROVE_SKIPPED : out[at].loads[d].proven;
        if (h == GM_PROVE_SKIPPED)
            return -1;
        if (h == GM_PROVE_FAILED)
            st = 0;
    }
    return st;
}

/* gm_match on a list alone (its runtime for the PTX ISA assumption): the
 * units say whether its device code loads; node-level rules are the full verdict's. */
static int list_match(const gm_node *node, const mod_list *l, gm_verdict *v, gm_error *err) {
    gm_requirement q;
    gm_requirement_init(&q);
    if (l->runtime) {
        q.cuda_runtime = *l->runtime;
        q.has_cuda_runtime = true;
    }
    q.modules = (gm_module_req *)l->mods;
    q.n_modules = l->n;
    return gm_match(node, &q, v, err);
}

static int compare(prove_ctx *c, gm_requirement *req, gm_error *err) {
    gm_prove_report *r = c->r;
    size_t nd = r->n_devices, n_lists = 1;
    for (size_t e = 0; e < req->n_entry_points; e++)
        n_lists += req->entry_points[e].n_variants;
    mod_list *lists = gm_xcalloc(n_lists, sizeof *lists);
    size_t total = r->n_modules;
    if (!lists)
        return oom(err);
    lists[0] = (mod_list){req->modules, req->n_modules,
                          req->has_cuda_runtime ? &req->cuda_runtime : NULL};
    total += req->n_modules;
    for (size_t e = 0, k = 1; e < req->n_entry_points; e++)
        for (size_t v = 0; v < req->entry_points[e].n_variants; v++, k++) {
            const gm_req_variant *var = &req->entry_points[e].variants[v];
            lists[k] = (mod_list){var->modules, var->n_modules,
                                  var->has_cuda_runtime ? &var->cuda_runtime : NULL};
            total += var->n_modules;
        }
    gm_prove_module *out = gm_xcalloc(total ? total : 1, sizeof *out);
    name_at *ix = gm_xcalloc(total ? total : 1, sizeof *ix);
    long *moved = gm_xcalloc(r->n_modules ? r->n_modules : 1, sizeof *moved);
    name_at *loaded = gm_xcalloc(r->n_modules ? r->n_modules : 1, sizeof *loaded);
    size_t used = 0, n_ix = 0;
    int rc = 0;
    if (!out || !ix || !moved || !loaded)
        rc = oom(err);
    /* Loaded modules by name (the first of a name, as inspect names each once). */
    for (size_t i = 0; rc == 0 && i < r->n_modules; i++) {
        moved[i] = -1;
        loaded[i] = (name_at){r->modules[i].name, i};
    }
    if (rc == 0 && r->n_modules)
        qsort(loaded, r->n_modules, sizeof *loaded, cmp_name_at);
    /* Each module of the lists once, in their order; unions follow their file's modules. */
    for (size_t k = 0; rc == 0 && k < n_lists; k++) {
        long last_file = -1;
        for (size_t i = 0; rc == 0 && i < lists[k].n; i++) {
            const gm_module_req *m = &lists[k].mods[i];
            const char *name = m->name ? m->name : "-";
            long li = find_name(loaded, r->n_modules, name);
            if (li >= 0 && !r->modules[li].kernel_less)
                last_file = (long)c->file[li].file;
            long at = find_name(ix, n_ix, name);
            if (at >= 0) {
                out[at].optional &= m->optional; /* required anywhere: required */
                continue;
            }
            gm_prove_module *pm = &out[used];
            if (li >= 0 && moved[li] < 0) {
                *pm = r->modules[li]; /* shallow: union_loads still reads r->modules */
                moved[li] = (long)used;
            } else {
                pm->name = gm_strdup(name);
                pm->targets = req_targets_text(m);
                pm->library_union = true;
                if (!pm->name || !pm->targets)
                    rc = oom(err);
                else if (last_file < 0)
                    rc = gm_error_set(err, GM_EBACKEND, "prove: module %s has no file", name);
                else
                    rc = union_loads(c, (size_t)last_file, pm, err);
            }
            pm->optional = m->optional;
            pm->kernel_less = false;
            /* Sorted insertion: ix stays searchable. */
            size_t pos = 0, hi = n_ix;
            while (pos < hi) {
                size_t mid = pos + (hi - pos) / 2;
                if (strcmp(ix[mid].name, pm->name) < 0)
                    pos = mid + 1;
                else
                    hi = mid;
            }
            memmove(ix + pos + 1, ix + pos, (n_ix - pos) * sizeof *ix);
            ix[pos] = (name_at){pm->name, used++};
            n_ix++;
            if (rc == 0)
                rc = predict(&r->node, &(gm_requirement){.cuda_runtime = lists[k].runtime
                                                                             ? *lists[k].runtime
                                                                             : (gm_cuda_version){0, 0},
                                                         .has_cuda_runtime = lists[k].runtime != NULL},
                             m, pm, nd, err);
        }
    }
    for (size_t i = 0; i < r->n_modules; i++)
        if (moved[i] >= 0)
            memset(&r->modules[i], 0, sizeof r->modules[i]);
    /* What the requirement left out (kernel-less regions) is listed last, not required. */
    for (size_t i = 0; rc == 0 && i < r->n_modules; i++)
        if (moved[i] < 0 && r->modules[i].name) {
            out[used] = r->modules[i];
            memset(&r->modules[i], 0, sizeof r->modules[i]);
            out[used].optional = true;
            for (size_t d = 0; d < nd; d++)
                out[used].loads[d].predicted = GM_PROVE_SKIPPED;
            moved[i] = (long)used++;
        }
    for (size_t k = 0; k < r->n_modules; k++) {
        free(r->modules[k].name);
        free(r->modules[k].targets);
        for (size_t d = 0; r->modules[k].loads && d < nd; d++) {
            free(r->modules[k].loads[d].error_name);
            free(r->modules[k].loads[d].log);
        }
        free(r->modules[k].loads);
    }
    free(r->modules);
    free(loaded);
    /* "sampled from" named on_module's order; out[] is the printed one. */
    for (size_t i = 0; i < used; i++)
        for (size_t d = 0; out[i].loads && d < nd; d++)
            if (!out[i].library_union && out[i].loads[d].sampled_from >= 0)
                out[i].loads[d].sampled_from = moved[out[i].loads[d].sampled_from];
    free(moved);
    r->modules = out ? out : gm_xcalloc(1, sizeof *out);
    r->n_modules = out ? used : 0;
    if (rc < 0) {
        free(ix);
        free(lists);
        return rc;
    }
    /* Per GPU: gm_match on each list's device code; every entry point needs
     * one variant (as gm_match's check of entry points), proven the same way. */
    gm_verdict *v = gm_xcalloc(n_lists, sizeof *v);
    size_t n_v = 0;
    if (!v)
        rc = oom(err);
    for (size_t k = 0; rc == 0 && k < n_lists; k++)
        if ((rc = list_match(&r->node, &lists[k], &v[k], err)) == 0)
            n_v++;
    for (size_t d = 0; rc == 0 && d < nd; d++) {
        gm_prove_device *pd = &r->devices[d];
        bool pred = d < v[0].n_units && v[0].units[d].ok;
        int st = list_proven(&lists[0], r->modules, ix, n_ix, d);
        for (size_t e = 0, k = 1; e < req->n_entry_points; e++) {
            bool any = false;
            int best = 0;
            for (size_t var = 0; var < req->entry_points[e].n_variants; var++, k++) {
                any |= d < v[k].n_units && v[k].units[d].ok;
                int s = list_proven(&lists[k], r->modules, ix, n_ix, d);
                best = best == 1 || s == 1 ? 1 : best == -1 || s == -1 ? -1 : 0;
            }
            pred &= any;
            st = st == -1 || best == -1 ? -1 : st && best;
        }
        pd->predicted_ok = pred;
        pd->complete = st >= 0;
        pd->proven_ok = st == 1; /* unknown: not claimed */
        for (size_t i = 0; i < r->n_modules; i++) {
            const gm_prove_module *pm = &r->modules[i];
            gm_prove_load *l = &pm->loads[d];
            if (pm->kernel_less)
                continue;
            if (l->proven == GM_PROVE_SKIPPED) {
                if (!pm->library_union)
                    r->n_skipped++;
                continue;
            }
            if (!pm->library_union) {
                r->n_failed += l->proven == GM_PROVE_FAILED;
                r->n_jit += l->proven == GM_PROVE_JIT;
            }
            /* Loads or not must agree; cubin vs JIT too unless a JIT cache may
             * hide a compilation. */
            bool pl = l->predicted != GM_PROVE_FAILED, gl = l->proven != GM_PROVE_FAILED;
            l->disagree = pl != gl || (!c->o->jit_cache && pl && l->predicted != l->proven);
            /* A union's loads are its modules' loads: count those once. */
            if (l->disagree && !pm->library_union) {
                pd->n_disagree++;
                r->n_disagree++;
            }
        }
        pd->disagree = pd->complete && pd->predicted_ok != pd->proven_ok;
        if (pd->disagree && !pd->n_disagree)
            r->n_disagree++;
    }
    for (size_t k = 0; k < n_v; k++)
        gm_verdict_free(&v[k]);
    free(v);
    free(ix);
    free(lists);
    return rc;
}

static int prove_run(const char *const *paths, size_t n_paths, const gm_prove_opts *o,
                     gm_prove_report *r, prove_ctx *cp, gm_error *err);

int gm_prove(const char *const *paths, size_t n_paths, const gm_prove_opts *o,
             gm_prove_report *r, gm_error *err) {
    memset(r, 0, sizeof *r);
    gm_node_init(&r->node);
    prove_ctx c;
    memset(&c, 0, sizeof c);
    c.r = r;
    c.o = o;
    c.t0 = now_s();
    /* The driver reads these once, at cuInit; they are put back afterwards so
     * a caller that execs something next (launch --prove) does not pass them on. */
    static const char *const vars[4] = {"CUDA_VISIBLE_DEVICES", "CUDA_CACHE_PATH",
                                        "CUDA_CACHE_DISABLE", "CUDA_MODULE_LOADING"};
    char *saved[4];
    bool had[4];
    for (int i = 0; i < 4; i++) {
        const char *v = getenv(vars[i]);
        had[i] = v != NULL;
        saved[i] = v ? gm_strdup(v) : NULL;
    }
    if (o->gpus)
        setenv("CUDA_VISIBLE_DEVICES", o->gpus, 1);
    if (o->jit_cache) {
        setenv("CUDA_CACHE_PATH", o->jit_cache, 1);
        setenv("CUDA_CACHE_DISABLE", "0", 1);
    } else {
        setenv("CUDA_CACHE_DISABLE", "1", 1);
    }
    /* Lazy loading may defer work to the first launch; a proof wants it all now. */
    setenv("CUDA_MODULE_LOADING", "EAGER", 1);
    int rc = prove_run(paths, n_paths, o, r, &c, err);
    for (int i = 0; i < 4; i++) {
        if (had[i] && saved[i])
            setenv(vars[i], saved[i], 1);
        else if (!had[i])
            unsetenv(vars[i]);
        free(saved[i]);
    }
    return rc;
}

static int prove_run(const char *const *paths, size_t n_paths, const gm_prove_opts *o,
                     gm_prove_report *r, prove_ctx *cp, gm_error *err) {
    prove_ctx c = *cp;
    /* The node as probe's CUDA backend sees it: ordinals are the driver's,
     * after its own CUDA_VISIBLE_DEVICES selection (so probe must not filter). */
    gm_probe_opts po;
    memset(&po, 0, sizeof po);
    po.backend = "cuda";
    po.cuda_lib = o->cuda_lib;
    int rc = gm_probe(&po, &r->node, err);
    if (rc < 0)
        return rc;
    if (!r->node.n_devices)
        return gm_error_set(err, GM_ENOTFOUND, "no visible GPU (CUDA_VISIBLE_DEVICES=%s)",
                            getenv("CUDA_VISIBLE_DEVICES") ? getenv("CUDA_VISIBLE_DEVICES")
                                                           : "unset");
    if ((rc = gm_cuda_api_load(&c.a, o->cuda_lib, err)) < 0)
        return rc;
    if (!c.a.DevicePrimaryCtxRetain || !c.a.DevicePrimaryCtxRelease || !c.a.CtxSetCurrent ||
        !c.a.ModuleLoadDataEx || !c.a.ModuleUnload)
        return gm_error_set(err, GM_EBACKEND, "%s: lacks the module API (cuModuleLoadDataEx, "
                            "cuDevicePrimaryCtxRetain_v2...)", c.a.lib);
    CUresult cr = c.a.Init(0);
    if (cr != CUDA_SUCCESS)
        return gm_cuda_api_fail(&c.a, err, cr, "cuInit", -1);
    size_t nd = r->node.n_devices;
    r->devices = gm_xcalloc(nd, sizeof *r->devices);
    c.ctx = gm_xcalloc(nd, sizeof *c.ctx);
    if (!r->devices || !c.ctx) {
        free(c.ctx);
        return oom(err);
    }
    r->n_devices = nd;
    for (size_t d = 0; d < nd; d++) {
        gm_prove_device *pd = &r->devices[d];
        CUdevice dev;
        pd->ordinal = (int)d;
        cr = c.a.DeviceGet(&dev, (int)d);
        if (cr == CUDA_SUCCESS)
            cr = c.a.DevicePrimaryCtxRetain(&c.ctx[d], dev);
        if (cr != CUDA_SUCCESS) {
            c.ctx[d] = NULL;
            pd->ctx_code = cr;
            const char *n = gm_cuda_api_ename(&c.a, cr);
            pd->ctx_error = n ? gm_strdup(n) : gm_asprintf("CUresult %d", cr);
        }
    }
    gm_inspect in;
    gm_inspect_init(&in, o->depth);
    in.on_module = on_module;
    in.on_module_ctx = &c;
    for (size_t i = 0; i < n_paths && rc == 0; i++)
        rc = gm_inspect_add_path(&in, paths[i], NULL, err);
    gm_requirement req;
    gm_requirement_init(&req);
    if (rc == 0)
        rc = gm_inspect_requirement(&in, &req, err);
    for (size_t i = 0; rc == 0 && i < in.errors.n; i++)
        if (gm_strlist_add(&r->notes, in.errors.items[i]) < 0)
            rc = oom(err);
    if (rc == 0)
        rc = compare(&c, &req, err);
    if (rc == 0) {
        gm_verdict v;
        if ((rc = gm_match(&r->node, &req, &v, err)) == 0) {
            r->full_ok = v.ok;
            for (size_t i = 0; i < v.reasons.n && rc == 0; i++)
                if (gm_strlist_add(&r->full_reasons, v.reasons.items[i]) < 0)
                    rc = oom(err);
            gm_verdict_free(&v);
        }
    }
    gm_requirement_free(&req);
    gm_inspect_free(&in);
    for (size_t d = 0; d < nd; d++)
        if (c.ctx[d]) {
            CUdevice dev;
            if (c.a.DeviceGet(&dev, (int)d) == CUDA_SUCCESS)
                c.a.DevicePrimaryCtxRelease(dev);
        }
    free(c.ctx);
    free(c.file);
    gm_strlist_free(&c.keys);
    r->seconds = now_s() - c.t0;
    return rc; /* libcuda stays loaded: unloading after cuInit is unsafe */
}

void gm_prove_report_free(gm_prove_report *r) {
    for (size_t i = 0; i < r->n_modules; i++) {
        gm_prove_module *m = &r->modules[i];
        for (size_t d = 0; m->loads && d < r->n_devices; d++) {
            free(m->loads[d].error_name);
            free(m->loads[d].log);
        }
        free(m->loads);
        free(m->name);
        free(m->targets);
    }
    free(r->modules);
    for (size_t d = 0; d < r->n_devices; d++)
        free(r->devices[d].ctx_error);
    free(r->devices);
    gm_strlist_free(&r->full_reasons);
    gm_strlist_free(&r->notes);
    gm_node_free(&r->node);
    memset(r, 0, sizeof *r);
}

static json_t *jstr(const char *s) { return s ? json_string(s) : json_null(); }
/* Three decimals (ms: microseconds; s: milliseconds): more digits are noise. */
static json_t *jms(double v) { return json_real((double)(long long)(v * 1000.0 + 0.5) / 1000.0); }

char *gm_prove_report_json(const gm_prove_report *r, gm_error *err) {
    json_t *root = json_object(), *devs = json_array(), *mods = json_array();
    char b[GM_VERSION_STR_MAX];
    json_object_set_new(root, "schema_version", json_integer(GM_SCHEMA_VERSION));
    json_object_set_new(root, "driver", gm_driver_version_is_set(&r->node.driver)
                                            ? json_string(gm_driver_version_str(&r->node.driver, b))
                                            : json_null());
    json_object_set_new(root, "cuda_driver",
                        r->node.has_cuda_driver
                            ? json_string(gm_cuda_version_str(&r->node.cuda_driver, b))
                            : json_null());
    for (size_t d = 0; d < r->n_devices; d++) {
        const gm_prove_device *pd = &r->devices[d];
        const gm_device *nd = &r->node.devices[d];
        json_t *o = json_object();
        json_object_set_new(o, "ordinal", json_integer(pd->ordinal));
        json_object_set_new(o, "name", jstr(nd->name));
        json_object_set_new(o, "uuid", jstr(nd->uuid));
        json_object_set_new(o, "cc", json_string(gm_cc_str(&nd->cc, b)));
        json_object_set_new(o, "context", jstr(pd->ctx_code ? pd->ctx_error : "ok"));
        json_object_set_new(o, "predicted_fits", json_boolean(pd->predicted_ok));
        json_object_set_new(o, "proven_fits", pd->complete ? json_boolean(pd->proven_ok)
                                                           : json_null());
        json_object_set_new(o, "disagreements", json_integer((json_int_t)pd->n_disagree));
        json_object_set_new(o, "verdict_disagrees", json_boolean(pd->disagree));
        json_array_append_new(devs, o);
    }
    for (size_t i = 0; i < r->n_modules; i++) {
        const gm_prove_module *m = &r->modules[i];
        json_t *o = json_object(), *loads = json_array();
        json_object_set_new(o, "name", jstr(m->name));
        json_object_set_new(o, "targets", jstr(m->targets));
        json_object_set_new(o, "optional", json_boolean(m->optional));
        json_object_set_new(o, "library_union", json_boolean(m->library_union));
        json_object_set_new(o, "kernel_less", json_boolean(m->kernel_less));
        for (size_t d = 0; d < r->n_devices; d++) {
            const gm_prove_load *l = &m->loads[d];
            json_t *x = json_object();
            json_object_set_new(x, "device", json_integer((json_int_t)d));
            json_object_set_new(x, "predicted", json_string(gm_prove_how_name(l->predicted)));
            json_object_set_new(x, "result", json_string(gm_prove_how_name(l->proven)));
            json_object_set_new(x, "code", json_integer(l->code));
            json_object_set_new(x, "error", jstr(l->error_name));
            json_object_set_new(x, "log", jstr(l->log));
            json_object_set_new(x, "ms", jms(l->ms));
            json_object_set_new(x, "jit_ms", jms(l->jit_ms));
            json_object_set_new(x, "sampled_from",
                                l->sampled_from >= 0 ? json_integer(l->sampled_from) : json_null());
            json_object_set_new(x, "disagree", json_boolean(l->disagree));
            json_array_append_new(loads, x);
        }
        json_object_set_new(o, "loads", loads);
        json_array_append_new(mods, o);
    }
    json_t *s = json_object(), *reasons = gm_json_strlist(&r->full_reasons),
           *notes = gm_json_strlist(&r->notes);
    json_object_set_new(s, "loads", json_integer((json_int_t)r->n_loads));
    json_object_set_new(s, "jit", json_integer((json_int_t)r->n_jit));
    json_object_set_new(s, "failed", json_integer((json_int_t)r->n_failed));
    json_object_set_new(s, "skipped", json_integer((json_int_t)r->n_skipped));
    json_object_set_new(s, "sampled", json_integer((json_int_t)r->n_sampled));
    json_object_set_new(s, "disagreements", json_integer((json_int_t)r->n_disagree));
    json_object_set_new(s, "budget_expired", json_boolean(r->budget_expired));
    json_object_set_new(s, "seconds", jms(r->seconds));
    json_object_set_new(s, "full_verdict_fits", json_boolean(r->full_ok));
    json_object_set_new(s, "full_verdict_reasons", reasons);
    json_object_set_new(s, "notes", notes);
    json_object_set_new(root, "devices", devs);
    json_object_set_new(root, "modules", mods);
    json_object_set_new(root, "summary", s);
    char *text = gm_json_dump(root, err);
    json_decref(root);
    return text;
}
