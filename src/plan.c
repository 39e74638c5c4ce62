/* gpumatch plan: greedy placement over compiled nodes and requests.
 *
 * Compiled node: driver and CUDA-the-driver-supports as integers, and its
 * schedulable units grouped by identical kind (interned CC index, memory,
 * "nvreq key" = driver + CC + brand, which is all NVIDIA_REQUIRE_* can see).
 * Compiled request: node thresholds, a per-CC table of the CUDA version needed
 * (from cubin/PTX/CC limits), memory, count, and a per-nvreq-key verdict table
 * computed once per distinct NVIDIA_REQUIRE_* set with the core evaluator.
 * One check = 4 comparisons + per group 3 comparisons and an add. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "gpumatch/match.h"
#include "gpumatch/nvreq.h"
#include "gpumatch/plan.h"
#include "gpumatch/sys/plan.h"
#include "internal.h"

/* Fixed machines (entries times count) one plan holds, a few bytes each
 * (docs/limits.md). */
#define GM_PLAN_MAX_MACHINES ((size_t)1 << 23)

typedef struct {
    int32_t cc;    /* index into inv->ccs; -1: a unit that can never be used */
    int32_t mem;   /* MiB, -1 unknown */
    int32_t nvkey; /* index into inv->nvkeys */
    int32_t count;
    int32_t mig;   /* 1: MIG devices (core: serve one-GPU requests only) */
} cgroup;

typedef struct {
    size_t device;
    long mig;
    uint32_t group; /* group index relative to the node's g0 */
} cunit;

typedef struct {
    int64_t drv;
    int32_t cuda;       /* what the driver supports, probed or derived; -1 unknown */
    int32_t cuda_probe; /* probed only (the runtime rule's second way); -1 */
    uint32_t g0, ng;
    uint32_t u0, nu;
} cnode;

typedef struct {
    size_t node, dev; /* a representative for gm_nvreq_eval */
} nvkey_rep;

typedef struct {
    char *key;
    uint8_t *ok; /* per nvkey */
} nvset;

/* String -> index interning (open addressing). */
typedef struct {
    char **keys;
    uint32_t *vals;
    size_t cap, n;
} strmap;

struct gm_plan_inventory {
    const gm_node_list *src;
    cnode *nodes;
    size_t n;
    cgroup *groups;
    size_t ngroups, capgroups;
    cunit *units;
    size_t nunits, capunits;
    gm_cc *ccs;
    size_t nccs, capccs;
    nvkey_rep *nvkeys;
    size_t nnvkeys, capnvkeys;
    strmap nvkey_map;
    nvset *nvsets;
    size_t nnvsets, capnvsets;
    strmap nvset_map;
};

struct gm_plan_creq {
    int64_t min_drv, rt_drv;
    int32_t min_cuda, rt_cuda, min_mem, count;
    int32_t *need;       /* per inv->ccs */
    bool mig_ok;         /* MIG devices may serve it (core rule) */
    const uint8_t *nvok; /* per nvkey; NULL = no NVIDIA_REQUIRE_* condition */
};

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Returns the index for key, inserting `next` if absent (*added set). -1 OOM. */
static long strmap_get(strmap *m, const char *key, uint32_t next, bool *added) {
    if (added) *added = false;
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        char **nk = calloc(ncap, sizeof *nk);
        uint32_t *nv = calloc(ncap, sizeof *nv);
        if (!nk || !nv) { free(nk); free(nv); return -1; }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i]) continue;
            size_t j = hash_str(m->keys[i]) & (ncap - 1);
            while (nk[j]) j = (j + 1) & (ncap - 1);
            nk[j] = m->keys[i];
            nv[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = nk;
        m->vals = nv;
        m->cap = ncap;
    }
    size_t j = hash_str(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0) return m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    char *k = gm_strdup(key);
    if (!k) return -1;
    m->keys[j] = k;
    m->vals[j] = next;
    m->n++;
    if (added) *added = true;
    return next;
}

static void strmap_free(strmap *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static long intern_cc(gm_plan_inventory *inv, const gm_cc *cc) {
    for (size_t i = 0; i < inv->nccs; i++)
        if (inv->ccs[i].major == cc->major && inv->ccs[i].minor == cc->minor) return (long)i;
    if (gm_grow((void **)&inv->ccs, &inv->capccs, inv->nccs + 1, sizeof *inv->ccs)) return -1;
    inv->ccs[inv->nccs] = *cc;
    return (long)inv->nccs++;
}

/* The units gm_match schedules: each MIG instance of a GPU in MIG mode, else
 * the whole GPU. */
static bool dev_is_mig(const gm_device *d) { return d->mig_mode == GM_MIG_ENABLED && d->n_mig > 0; }

static int add_unit_group(gm_plan_inventory *inv, const gm_node *n, size_t ni, size_t di,
                          long mig, cnode *cn) {
    const gm_device *d = &n->devices[di];
    long mem = mig >= 0 ? d->mig[mig].memory_mib : d->memory_mib;
    long cc = intern_cc(inv, &d->cc);
    if (cc < 0) return GM_ENOMEM;
    if (mig == -2 || d->cc.major == 0) { /* dead unit (gm_match: CC unknown decides nothing) */
        cc = -1;
        mig = -1;
    }
    char key[256], vb[GM_VERSION_STR_MAX];
    snprintf(key, sizeof key, "%s|%d|%d.%d|%.200s",
             gm_driver_version_is_set(&n->driver) ? gm_driver_version_str(&n->driver, vb) : "-",
             (int)cn->cuda, d->cc.major, d->cc.minor, d->brand ? d->brand : "");
    bool added;
    long nk = strmap_get(&inv->nvkey_map, key, (uint32_t)inv->nnvkeys, &added);
    if (nk < 0) return GM_ENOMEM;
    if (added) {
        if (gm_grow((void **)&inv->nvkeys, &inv->capnvkeys, inv->nnvkeys + 1, sizeof *inv->nvkeys))
            return GM_ENOMEM;
        inv->nvkeys[inv->nnvkeys++] = (nvkey_rep){ni, di};
    }
    int32_t m32 = mem < 0 ? -1 : (mem > INT32_MAX - 1 ? INT32_MAX - 1 : (int32_t)mem);
    uint32_t g;
    for (g = 0; g < cn->ng; g++) {
        cgroup *x = &inv->groups[cn->g0 + g];
        if (x->cc == cc && x->mem == m32 && x->nvkey == nk && x->mig == (mig >= 0)) break;
    }
    if (g == cn->ng) {
        if (gm_grow((void **)&inv->groups, &inv->capgroups, inv->ngroups + 1, sizeof *inv->groups))
            return GM_ENOMEM;
        inv->groups[inv->ngroups++] = (cgroup){(int32_t)cc, m32, (int32_t)nk, 0, mig >= 0};
        cn->ng++;
    }
    inv->groups[cn->g0 + g].count++;
    if (gm_grow((void **)&inv->units, &inv->capunits, inv->nunits + 1, sizeof *inv->units))
        return GM_ENOMEM;
    inv->units[inv->nunits++] = (cunit){di, mig, g};
    cn->nu++;
    return 0;
}

int gm_plan_inventory_compile(const gm_node_list *list, gm_plan_inventory **out, gm_error *err) {
    gm_plan_inventory *inv = calloc(1, sizeof *inv);
    if (!inv) return gm_error_set(err, GM_ENOMEM, "out of memory");
    inv->src = list;
    inv->n = list->n;
    inv->nodes = gm_xcalloc(list->n ? list->n : 1, sizeof *inv->nodes);
    if (!inv->nodes) goto oom;
    for (size_t i = 0; i < list->n; i++) {
        const gm_node *n = &list->nodes[i];
        cnode *cn = &inv->nodes[i];
        cn->drv = gm_drv_int(&n->driver);
        cn->cuda = gm_node_cuda_int(n);
        /* gm_match: with a driver version only a probed CUDA version counts
         * for the runtime; without one, whatever gm_node_driver_cuda says. */
        cn->cuda_probe = gm_driver_version_is_set(&n->driver)
                             ? (n->has_cuda_driver ? gm_cuda_int(&n->cuda_driver) : -1)
                             : cn->cuda;
        cn->g0 = (uint32_t)inv->ngroups;
        cn->u0 = (uint32_t)inv->nunits;
        for (size_t d = 0; d < n->n_devices; d++) {
            const gm_device *dev = &n->devices[d];
            if (dev->mig_mode == GM_MIG_ENABLED && dev->n_mig == 0) {
                /* gm_match: "MIG enabled but no instances" - never usable */
                if (add_unit_group(inv, n, i, d, -2, cn)) goto oom;
            } else if (dev_is_mig(dev)) {
                for (size_t m = 0; m < dev->n_mig; m++)
                    if (add_unit_group(inv, n, i, d, (long)m, cn)) goto oom;
            } else if (add_unit_group(inv, n, i, d, -1, cn)) {
                goto oom;
            }
        }
    }
    *out = inv;
    return 0;
oom:
    gm_plan_inventory_free(inv);
    return gm_error_set(err, GM_ENOMEM, "out of memory compiling the inventory");
}

void gm_plan_inventory_free(gm_plan_inventory *inv) {
    if (!inv) return;
    free(inv->nodes);
    free(inv->groups);
    free(inv->units);
    free(inv->ccs);
    free(inv->nvkeys);
    strmap_free(&inv->nvkey_map);
    strmap_free(&inv->nvset_map);
    for (size_t i = 0; i < inv->nnvsets; i++) {
        free(inv->nvsets[i].key);
        free(inv->nvsets[i].ok);
    }
    free(inv->nvsets);
    free(inv);
}

/* Evaluates a distinct NVIDIA_REQUIRE_* set once per nvreq key. */
static int nvset_for(gm_plan_inventory *inv, const gm_requirement *r, const uint8_t **out,
                     gm_error *err) {
    *out = NULL;
    if (r->nvidia_disable_require || r->nvidia_require.n == 0) return 0;
    gm_buf b = {0};
    for (size_t i = 0; i < r->nvidia_require.n; i++) gm_buf_printf(&b, "%s\n", r->nvidia_require.items[i]);
    char *key = gm_buf_finish(&b, err);
    if (!key) return GM_ENOMEM;
    bool added;
    long s = strmap_get(&inv->nvset_map, key, (uint32_t)inv->nnvsets, &added);
    if (s < 0) { free(key); return gm_error_set(err, GM_ENOMEM, "out of memory"); }
    if (!added) { free(key); *out = inv->nvsets[s].ok; return 0; }
    if (gm_grow((void **)&inv->nvsets, &inv->capnvsets, inv->nnvsets + 1, sizeof *inv->nvsets)) {
        free(key);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    nvset *ns = &inv->nvsets[inv->nnvsets++];
    ns->key = key;
    ns->ok = calloc(inv->nnvkeys ? inv->nnvkeys : 1, 1);
    if (!ns->ok) return gm_error_set(err, GM_ENOMEM, "out of memory");
    for (size_t k = 0; k < inv->nnvkeys; k++) {
        const gm_node *n = &inv->src->nodes[inv->nvkeys[k].node];
        const gm_device *d = &n->devices[inv->nvkeys[k].dev];
        bool all = true;
        for (size_t i = 0; i < r->nvidia_require.n && all; i++) {
            bool ok = false;
            int rc = gm_nvreq_eval(r->nvidia_require.items[i], n, d, &ok, NULL, err);
            if (rc) return rc;
            all = ok;
        }
        ns->ok[k] = all;
    }
    *out = ns->ok;
    return 0;
}

int gm_plan_request_compile(gm_plan_inventory *inv, const gm_requirement *r, gm_plan_creq **out,
                            gm_error *err) {
    gm_plan_creq *c = calloc(1, sizeof *c);
    if (!c) return gm_error_set(err, GM_ENOMEM, "out of memory");
    c->need = calloc(inv->nccs ? inv->nccs : 1, sizeof *c->need);
    if (!c->need) { free(c); return gm_error_set(err, GM_ENOMEM, "out of memory"); }
    gm_req_node_need nn;
    gm_req_node_thresholds(r, &nn);
    c->min_drv = nn.min_drv;
    c->min_cuda = nn.min_cuda;
    c->rt_drv = nn.rt_drv;
    c->rt_cuda = nn.rt_cuda;
    c->min_mem = r->min_memory_mib > 0
                     ? (r->min_memory_mib > INT32_MAX ? INT32_MAX : (int32_t)r->min_memory_mib)
                     : GM_NEED_NONE;
    c->count = r->device_count > INT32_MAX ? INT32_MAX : (int32_t)r->device_count;
    c->mig_ok = gm_core_unit_usable(true, r->device_count);
    for (size_t i = 0; i < inv->nccs; i++) c->need[i] = gm_req_cc_need(r, &inv->ccs[i]);
    int rc = nvset_for(inv, r, &c->nvok, err);
    if (rc) { gm_plan_request_free(c); return rc; }
    *out = c;
    return 0;
}

void gm_plan_request_free(gm_plan_creq *c) {
    if (!c) return;
    free(c->need);
    free(c);
}

static inline bool node_level_ok(const gm_plan_creq *c, const cnode *n) {
    return n->drv >= c->min_drv && n->cuda >= c->min_cuda &&
           (n->drv >= c->rt_drv || n->cuda_probe >= c->rt_cuda);
}

static inline bool group_ok(const gm_plan_creq *c, const cnode *n, const cgroup *g) {
    return g->cc >= 0 && g->mem >= c->min_mem && c->need[g->cc] <= n->cuda &&
           (!g->mig || c->mig_ok) && (!c->nvok || c->nvok[g->nvkey]);
}

bool gm_plan_check(const gm_plan_inventory *inv, const gm_plan_creq *c, size_t node) {
    const cnode *n = &inv->nodes[node];
    if (!node_level_ok(c, n)) return false;
    int64_t have = 0;
    const cgroup *g = n->ng ? inv->groups + n->g0 : NULL;
    for (uint32_t i = 0; i < n->ng; i++)
        if (group_ok(c, n, &g[i])) have += g[i].count;
    return have >= c->count;
}

/* ------------------------------------------------------------------ plan */

/* A node kind: fixed nodes with the same compiled form, or one instance type. */
typedef struct {
    size_t rep;      /* representative inventory index */
    size_t *members; /* fixed: (node index, copy) pairs flattened as node*2, copy*2+1 */
    size_t nmembers, capmembers;
    int32_t *free;   /* fixed: per member per group */
    uint8_t *booked; /* fixed: per member per unit */
    int64_t *gfree;  /* fixed: per group, summed over members */
    struct { uint64_t mask; int32_t need; size_t pos; } *cursors;
    size_t ncursors, capcursors;
    long left;       /* instance type: instances left */
    int32_t *hist;   /* fixed: hist[f] = members with f free units */
    int32_t maxfree; /* fixed: most free units on any member */
    int64_t tfree;   /* fixed: free units over all members */
} nkind;

typedef struct {
    const gm_node_list *inv;
    gm_plan_inventory *ci;
    nkind *fixed;
    size_t nfixed, capfixed;
    nkind *types;
    size_t ntypes;
    size_t *open; /* fixed kinds with a free unit, in kind order */
    size_t nmachines; /* fixed machines (entries times count) so far */
    size_t nopen;
    /* reasons: memo of gm_match text per (request shape, kind) */
    strmap shapes;
    size_t nshapes;
    uint64_t *memo_k; /* (shape << 32 | kind) + 1 -> text id; 0 = empty slot */
    int32_t *memo_v;
    size_t memo_cap, memo_n;
    long fixed_full_text, type_full_text, count0_text;
    /* reason list per request shape: an unschedulable request's reasons do not
     * depend on what was placed before (every kind that fits is full for it) */
    uint8_t *shape_ver; /* 1 when built */
    gm_strlist *shape_reasons;
    size_t cap_sv, cap_sr;
    strmap texts;     /* reason text -> text id */
    char **text;
    size_t ntext, captext;
    int32_t *text_group; /* per text id: group index while grouping, else -1 */
    size_t cap_tg;
} planner;

static char *node_class_key(const gm_plan_inventory *ci, size_t i) {
    const cnode *n = &ci->nodes[i];
    gm_buf b = {0};
    gm_buf_printf(&b, "%lld|%d|%d", (long long)n->drv, (int)n->cuda, (int)n->cuda_probe);
    for (uint32_t g = 0; g < n->ng; g++) {
        const cgroup *x = &ci->groups[n->g0 + g];
        gm_buf_printf(&b, "|%d,%d,%d,%d,%d", (int)x->cc, (int)x->mem, (int)x->nvkey, (int)x->count,
                      (int)x->mig);
    }
    /* unit order matters for which devices are assigned */
    for (uint32_t u = 0; u < n->nu; u++) gm_buf_printf(&b, ";%u", ci->units[n->u0 + u].group);
    return gm_buf_finish(&b, NULL);
}

static int type_cmp_price(const gm_node_list *l, size_t a, size_t b) {
    double pa = l->nodes[a].price, pb = l->nodes[b].price;
    bool ua = pa < 0, ub = pb < 0; /* unknown price sorts last */
    if (ua != ub) return ua ? 1 : -1;
    if (!ua && pa != pb) return pa < pb ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* qsort_r (glibc, musl >= 1.2.3) passes the list: no file-scope state, so
 * plans run concurrently. */
static int type_qsort(const void *x, const void *y, void *list) {
    return type_cmp_price(list, ((const nkind *)x)->rep, ((const nkind *)y)->rep);
}

static int req_qsort(const void *x, const void *y, void *queue) {
    const gm_requirement_list *q = queue;
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    int pa = q->items[a].priority, pb = q->items[b].priority;
    if (pa != pb) return pa > pb ? -1 : 1;
    return a < b ? -1 : a > b;
}

static int planner_build(planner *p, gm_error *err) {
    const gm_node_list *l = p->inv;
    strmap classes = {0};
    size_t ntypes = 0;
    for (size_t i = 0; i < l->n; i++) ntypes += l->nodes[i].instance_type != NULL;
    p->types = gm_xcalloc(ntypes ? ntypes : 1, sizeof *p->types);
    if (!p->types) goto oom;
    for (size_t i = 0; i < l->n; i++) {
        const gm_node *n = &l->nodes[i];
        if (n->instance_type) {
            p->types[p->ntypes].rep = i;
            /* An instance type without "count" can be started without limit. */
            p->types[p->ntypes++].left = n->has_count ? n->count : LONG_MAX;
            continue;
        }
        char *key = node_class_key(p->ci, i);
        if (!key) goto oom;
        bool added;
        long k = strmap_get(&classes, key, (uint32_t)p->nfixed, &added);
        free(key);
        if (k < 0) goto oom;
        if (added) {
            if (gm_grow((void **)&p->fixed, &p->capfixed, p->nfixed + 1, sizeof *p->fixed)) goto oom;
            memset(&p->fixed[p->nfixed], 0, sizeof *p->fixed);
            p->fixed[p->nfixed++].rep = i;
        }
        nkind *c = &p->fixed[k];
        if ((size_t)n->count > GM_PLAN_MAX_MACHINES - p->nmachines) {
            strmap_free(&classes);
            return gm_error_set(err, GM_EINVAL,
                                "inventory entry %zu (%s): more than %zu fixed machines in all "
                                "(the limit of plan)",
                                i, n->hostname ? n->hostname : "?", (size_t)GM_PLAN_MAX_MACHINES);
        }
        p->nmachines += (size_t)n->count;
        for (long cp = 0; cp < n->count; cp++) { /* count 0: none available */
            if (gm_grow((void **)&c->members, &c->capmembers, 2 * c->nmembers + 2, sizeof(size_t)))
                goto oom;
            c->members[2 * c->nmembers] = i;
            c->members[2 * c->nmembers + 1] = (size_t)cp;
            c->nmembers++;
        }
    }
    for (size_t k = 0; k < p->nfixed; k++) {
        nkind *c = &p->fixed[k];
        const cnode *rn = &p->ci->nodes[c->rep];
        c->free = gm_xcalloc(c->nmembers * rn->ng + 1, sizeof *c->free);
        c->booked = gm_xcalloc(c->nmembers * rn->nu + 1, 1);
        c->gfree = gm_xcalloc(rn->ng + 1, sizeof *c->gfree);
        if (!c->free || !c->booked || !c->gfree) goto oom;
        for (size_t m = 0; m < c->nmembers; m++)
            for (uint32_t g = 0; g < rn->ng; g++) {
                c->free[m * rn->ng + g] = p->ci->groups[rn->g0 + g].count;
                c->gfree[g] += p->ci->groups[rn->g0 + g].count;
            }
        c->hist = gm_xcalloc(rn->nu + 1, sizeof *c->hist);
        if (!c->hist) goto oom;
        c->hist[rn->nu] = (int32_t)c->nmembers;
        c->maxfree = c->nmembers ? (int32_t)rn->nu : -1;
        c->tfree = (int64_t)c->nmembers * rn->nu;
    }
    p->open = gm_xcalloc(p->nfixed + 1, sizeof *p->open);
    if (!p->open) goto oom;
    for (size_t k = 0; k < p->nfixed; k++)
        if (p->fixed[k].tfree > 0) p->open[p->nopen++] = k;
    qsort_r(p->types, p->ntypes, sizeof *p->types, type_qsort, (void *)l);
    strmap_free(&classes);
    return 0;
oom:
    strmap_free(&classes);
    return gm_error_set(err, GM_ENOMEM, "out of memory planning");
}

static void planner_free(planner *p) {
    for (size_t k = 0; k < p->nfixed; k++) {
        free(p->fixed[k].members);
        free(p->fixed[k].free);
        free(p->fixed[k].booked);
        free(p->fixed[k].gfree);
        free(p->fixed[k].cursors);
        free(p->fixed[k].hist);
    }
    free(p->open);
    strmap_free(&p->shapes);
    free(p->memo_k);
    free(p->memo_v);
    for (size_t i = 0; i < p->nshapes && p->shape_reasons; i++) gm_strlist_free(&p->shape_reasons[i]);
    free(p->shape_reasons);
    free(p->shape_ver);
    strmap_free(&p->texts);
    for (size_t i = 0; i < p->ntext; i++) free(p->text[i]);
    free(p->text);
    free(p->text_group);
    free(p->fixed);
    free(p->types);
}

/* First member at or after the (mask, need) cursor with enough free units.
 * Free counts only fall, so members skipped once never fit that pair again. */
static long find_member(nkind *c, const cnode *rn, const uint8_t *gok, int32_t need) {
    size_t *pos = NULL, scratch = 0;
    if (rn->ng <= 64) {
        uint64_t mask = 0;
        for (uint32_t g = 0; g < rn->ng; g++) mask |= (uint64_t)gok[g] << g;
        for (size_t i = 0; i < c->ncursors; i++)
            if (c->cursors[i].mask == mask && c->cursors[i].need == need) pos = &c->cursors[i].pos;
        if (!pos && !gm_grow((void **)&c->cursors, &c->capcursors, c->ncursors + 1,
                             sizeof *c->cursors)) {
            c->cursors[c->ncursors].mask = mask;
            c->cursors[c->ncursors].need = need;
            c->cursors[c->ncursors].pos = 0;
            pos = &c->cursors[c->ncursors++].pos;
        }
    }
    if (!pos) pos = &scratch;
    for (; *pos < c->nmembers; (*pos)++) {
        int64_t have = 0;
        for (uint32_t g = 0; g < rn->ng; g++)
            if (gok[g]) have += c->free[*pos * rn->ng + g];
        if (have >= need) return (long)*pos;
    }
    return -1;
}

static void dedupe_add(gm_strlist *l, const char *s) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0) return;
    gm_strlist_add(l, s);
}

/* gm_match's reasons for one node kind, without its name: node reasons, then
 * each distinct unit reason once with the GPUs it applies to. */
static char *match_text(const gm_node *n, const gm_requirement *r, gm_error *err) {
    gm_verdict v;
    memset(&v, 0, sizeof v);
    if (gm_match(n, r, &v, err)) return NULL;
    gm_buf b = {0};
    gm_strlist parts = {0}, ureasons = {0}, ulabels = {0};
    for (size_t i = 0; i < v.reasons.n; i++) dedupe_add(&parts, v.reasons.items[i]);
    for (size_t u = 0; u < v.n_units; u++)
        for (size_t i = 0; i < v.units[u].reasons.n; i++) {
            char lab[64];
            size_t k;
            gm_unit_label(&v, &v.units[u], lab, sizeof lab);
            for (k = 0; k < ureasons.n; k++)
                if (strcmp(ureasons.items[k], v.units[u].reasons.items[i]) == 0) break;
            if (k == ureasons.n) {
                gm_strlist_add(&ureasons, v.units[u].reasons.items[i]);
                gm_strlist_add(&ulabels, lab);
            } else if (k < ulabels.n) {
                char *j = gm_asprintf("%s,%s", ulabels.items[k], lab);
                if (j) { free(ulabels.items[k]); ulabels.items[k] = j; }
            }
        }
    for (size_t k = 0; k < ureasons.n && k < ulabels.n; k++) {
        char *s2 = gm_asprintf("GPU %s: %s", ulabels.items[k], ureasons.items[k]);
        if (s2) dedupe_add(&parts, s2);
        free(s2);
    }
    if (parts.n == 0) gm_buf_printf(&b, "does not fit");
    for (size_t i = 0; i < parts.n; i++) gm_buf_printf(&b, "%s%s", i ? "; " : "", parts.items[i]);
    gm_strlist_free(&ureasons);
    gm_strlist_free(&ulabels);
    gm_strlist_free(&parts);
    gm_verdict_free(&v);
    return gm_buf_finish(&b, err);
}

/* Reason texts are interned so that grouping compares integers. */
static long intern_text(planner *p, char *t, gm_error *err) {
    bool added;
    if (!t) return -1;
    long id = strmap_get(&p->texts, t, (uint32_t)p->ntext, &added);
    if (id < 0 || (added && (gm_grow((void **)&p->text, &p->captext, p->ntext + 1, sizeof *p->text) ||
                             gm_grow((void **)&p->text_group, &p->cap_tg, p->ntext + 1,
                                     sizeof *p->text_group))))
        { free(t); gm_error_set(err, GM_ENOMEM, "out of memory"); return -1; }
    if (added) {
        p->text[p->ntext] = t;
        p->text_group[p->ntext++] = -1;
    } else {
        free(t);
    }
    return id;
}

/* Memoised per (request shape, kind): a queue repeats shapes, and gm_match
 * over every kind for every unschedulable request would dominate. */
static long memo_text(planner *p, size_t shape, size_t kind, const gm_node *n,
                      const gm_requirement *r, gm_error *err) {
    uint64_t key = ((uint64_t)shape << 32 | kind) + 1;
    if ((p->memo_n + 1) * 2 > p->memo_cap) {
        size_t ncap = p->memo_cap ? p->memo_cap * 2 : 1024;
        uint64_t *nk = calloc(ncap, sizeof *nk);
        int32_t *nv = calloc(ncap, sizeof *nv);
        if (!nk || !nv) { free(nk); free(nv); gm_error_set(err, GM_ENOMEM, "out of memory"); return -1; }
        for (size_t i = 0; i < p->memo_cap; i++) {
            if (!p->memo_k[i]) continue;
            size_t j = (p->memo_k[i] * 0x9E3779B97F4A7C15ull >> 20) & (ncap - 1);
            while (nk[j]) j = (j + 1) & (ncap - 1);
            nk[j] = p->memo_k[i];
            nv[j] = p->memo_v[i];
        }
        free(p->memo_k);
        free(p->memo_v);
        p->memo_k = nk;
        p->memo_v = nv;
        p->memo_cap = ncap;
    }
    size_t j = (key * 0x9E3779B97F4A7C15ull >> 20) & (p->memo_cap - 1);
    while (p->memo_k[j] && p->memo_k[j] != key) j = (j + 1) & (p->memo_cap - 1);
    if (p->memo_k[j]) return p->memo_v[j];
    long id = intern_text(p, match_text(n, r, err), err);
    if (id < 0) return -1;
    p->memo_k[j] = key;
    p->memo_v[j] = (int32_t)id;
    p->memo_n++;
    return id;
}

typedef struct {
    long text;
    char *names; /* up to 3 kind names */
    size_t nnames;
} rgroup;

static void key_targets(FILE *f, const gm_target *t, size_t n) {
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%d.%d.%d.%d,", t[i].kind, t[i].cc.major, t[i].cc.minor, t[i].variant);
    fputc(';', f);
}

/* Everything of a request that its reasons depend on (not id, not priority),
 * as one string: a cheap key for the per-shape memo. NULL on OOM. */
static char *shape_key(const gm_requirement *r) {
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    fprintf(f, "%d.%d.%d.%d|%d%d.%d|%d%d.%d|%d%d.%d|%ld|%ld|%d|", r->min_driver.major,
            r->min_driver.minor, r->min_driver.patch, r->min_driver.nparts, r->has_cuda_runtime,
            r->cuda_runtime.major, r->cuda_runtime.minor, r->has_min_cuda_driver,
            r->min_cuda_driver.major, r->min_cuda_driver.minor, r->has_min_cc, r->min_cc.major,
            r->min_cc.minor, r->device_count, r->min_memory_mib, r->nvidia_disable_require);
    for (size_t i = 0; i < r->n_exact_cc; i++)
        fprintf(f, "%d.%d,", r->exact_cc[i].major, r->exact_cc[i].minor);
    for (size_t i = 0; i < r->n_modules; i++) {
        const gm_module_req *m = &r->modules[i];
        fprintf(f, "|%zu:%s:%d:%d%d.%d:", m->name ? strlen(m->name) : 0, m->name ? m->name : "",
                m->optional, m->has_ptx_isa, m->ptx_isa.major, m->ptx_isa.minor);
        key_targets(f, m->cubin, m->n_cubin);
        key_targets(f, m->ptx, m->n_ptx);
    }
    for (size_t i = 0; i < r->nvidia_require.n; i++)
        fprintf(f, "|%zu:%s", strlen(r->nvidia_require.items[i]), r->nvidia_require.items[i]);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* One line per distinct reason, naming the node kinds it applies to. */
static int unschedulable_reasons(planner *p, const gm_requirement *r, const gm_plan_creq *c,
                                 size_t *set, gm_error *err) {
    char *sj = shape_key(r);
    if (!sj) return gm_error_set(err, GM_ENOMEM, "out of memory");
    bool added;
    long shape = strmap_get(&p->shapes, sj, (uint32_t)p->nshapes, &added);
    free(sj);
    if (shape < 0) return gm_error_set(err, GM_ENOMEM, "out of memory");
    if (added) {
        if (gm_grow((void **)&p->shape_ver, &p->cap_sv, p->nshapes + 1, sizeof *p->shape_ver) ||
            gm_grow((void **)&p->shape_reasons, &p->cap_sr, p->nshapes + 1, sizeof *p->shape_reasons))
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        p->shape_ver[p->nshapes] = 0;
        memset(&p->shape_reasons[p->nshapes], 0, sizeof *p->shape_reasons);
        p->nshapes++;
    }
    *set = (size_t)shape;
    if (p->shape_ver[shape]) return 0;
    gm_strlist *out = &p->shape_reasons[shape];
    size_t nk = p->nfixed + p->ntypes, ng = 0;
    rgroup *g = gm_xcalloc(nk + 1, sizeof *g);
    if (!g) return gm_error_set(err, GM_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t k = 0; k < nk && !rc; k++) {
        bool is_type = k >= p->nfixed;
        const nkind *kd = is_type ? &p->types[k - p->nfixed] : &p->fixed[k];
        const gm_node *n = &p->inv->nodes[kd->rep];
        long text;
        if (p->count0_text < 0 &&
            ((p->count0_text = intern_text(p, gm_strdup("count is 0: no machine available"), err)) < 0 ||
             (p->fixed_full_text = intern_text(p, gm_strdup("fits, but its compatible devices are "
                                                            "assigned to earlier requests"), err)) < 0 ||
             (p->type_full_text = intern_text(p, gm_strdup("fits, but every instance its count "
                                                           "allows is taken by earlier requests"), err)) < 0))
            { rc = err && err->code ? err->code : GM_ENOMEM; break; }
        if (!is_type && kd->nmembers == 0)
            text = p->count0_text;
        else if (gm_plan_check(p->ci, c, kd->rep))
            text = is_type ? p->type_full_text : p->fixed_full_text;
        else
            text = memo_text(p, (size_t)shape, k, n, r, err);
        if (text < 0) { rc = err && err->code ? err->code : GM_ENOMEM; break; }
        if (p->text_group[text] < 0) {
            p->text_group[text] = (int32_t)ng;
            g[ng++].text = text;
        }
        size_t j = (size_t)p->text_group[text];
        if (++g[j].nnames <= 3) {
            char *nm = is_type ? gm_asprintf("instance type %s", n->instance_type)
                       : kd->nmembers > 1 ? gm_asprintf("node %s (and %zu like it)",
                                                        n->hostname ? n->hostname : "?", kd->nmembers - 1)
                                          : gm_asprintf("node %s", n->hostname ? n->hostname : "?");
            char *joined = nm && g[j].names ? gm_asprintf("%s, %s", g[j].names, nm) : NULL;
            if (!nm || (g[j].names && !joined)) { free(nm); rc = gm_error_set(err, GM_ENOMEM, "out of memory"); break; }
            if (joined) { free(g[j].names); free(nm); g[j].names = joined; }
            else g[j].names = nm;
        }
    }
    for (size_t j = 0; j < ng && !rc; j++) {
        const char *t = p->text[g[j].text];
        char *line = g[j].nnames > 3 ? gm_asprintf("%s and %zu more kinds: %s", g[j].names,
                                                   g[j].nnames - 3, t)
                                     : gm_asprintf("%s: %s", g[j].names, t);
        if (!line || gm_strlist_add(out, line)) rc = gm_error_set(err, GM_ENOMEM, "out of memory");
        free(line);
    }
    if (!rc && nk == 0 && gm_strlist_add(out, "the inventory has no nodes"))
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
    if (!rc) p->shape_ver[shape] = 1;
    for (size_t j = 0; j < ng; j++) {
        p->text_group[g[j].text] = -1;
        free(g[j].names);
    }
    free(g);
    return rc;
}

static int place_one(planner *p, const gm_plan_options *opt, size_t ri, const gm_requirement *r,
                     gm_plan_entry *e, uint64_t *checks, gm_error *err) {
    gm_plan_creq *c;
    int rc = gm_plan_request_compile(p->ci, r, &c, err);
    if (rc) return rc;
    e->request = ri;
    e->kind = GM_PLACE_UNSCHEDULABLE;
    /* First fit in inventory order: each kind offers its first machine with
     * room (cursor scan), the lowest inventory position wins. */
    long best_k = -1, best_m = -1;
    /* A request for no devices may go on a full machine: scan every kind. */
    size_t nscan = c->count > 0 ? p->nopen : p->nfixed;
    for (size_t oi = 0; oi < nscan; oi++) {
        size_t k = c->count > 0 ? p->open[oi] : oi;
        if (!p->fixed[k].nmembers) continue;
        nkind *kd = &p->fixed[k];
        const cnode *rn = &p->ci->nodes[kd->rep];
        if (c->count > kd->maxfree) continue; /* no machine of this kind has that many free */
        (*checks)++;
        if (!gm_plan_check(p->ci, c, kd->rep)) continue;
        /* kinds are in order of their first machine: none after this can win */
        if (best_k >= 0 && kd->members[0] > p->fixed[best_k].members[2 * best_m]) break;
        uint8_t gbuf[64], *gok = rn->ng <= 64 ? gbuf : malloc(rn->ng);
        if (!gok) { gm_plan_request_free(c); return gm_error_set(err, GM_ENOMEM, "out of memory"); }
        int64_t total = 0;
        for (uint32_t g = 0; g < rn->ng; g++) {
            gok[g] = group_ok(c, rn, &p->ci->groups[rn->g0 + g]);
            if (gok[g]) total += kd->gfree[g];
        }
        long m = total >= c->count ? find_member(kd, rn, gok, c->count) : -1;
        if (gok != gbuf) free(gok);
        if (m < 0) continue;
        size_t pos = kd->members[2 * m], bpos = best_k >= 0 ? p->fixed[best_k].members[2 * best_m] : 0;
        if (best_k < 0 || pos < bpos) { best_k = (long)k; best_m = m; }
    }
    if (best_k >= 0) {
        nkind *kd = &p->fixed[best_k];
        const cnode *rn = &p->ci->nodes[kd->rep];
        long m = best_m;
        e->kind = GM_PLACE_NODE;
        e->node = kd->members[2 * m];
        e->copy = (long)kd->members[2 * m + 1];
        e->units = gm_xcalloc(c->count ? (size_t)c->count : 1, sizeof *e->units);
        if (!e->units) { gm_plan_request_free(c); return gm_error_set(err, GM_ENOMEM, "out of memory"); }
        for (uint32_t u = 0; u < rn->nu && e->n_units < (size_t)c->count; u++) {
            const cunit *cu = &p->ci->units[rn->u0 + u];
            if (kd->booked[m * rn->nu + u] || !group_ok(c, rn, &p->ci->groups[rn->g0 + cu->group]))
                continue;
            kd->booked[m * rn->nu + u] = 1;
            kd->free[m * rn->ng + cu->group]--;
            kd->gfree[cu->group]--;
            e->units[e->n_units++] = (gm_plan_unit){cu->device, cu->mig};
        }
        /* member m now has n_units fewer free units */
        int32_t before = 0;
        for (uint32_t g = 0; g < rn->ng; g++) before += kd->free[m * rn->ng + g];
        before += (int32_t)e->n_units;
        kd->hist[before]--;
        kd->hist[before - (int32_t)e->n_units]++;
        while (kd->maxfree >= 0 && kd->hist[kd->maxfree] == 0) kd->maxfree--;
        kd->tfree -= (int64_t)e->n_units;
        if (kd->tfree == 0) {
            size_t w = 0;
            for (size_t oi = 0; oi < p->nopen; oi++)
                if (p->open[oi] != (size_t)best_k) p->open[w++] = p->open[oi];
            p->nopen = w;
        }
    }
    for (size_t t = 0; t < p->ntypes && e->kind == GM_PLACE_UNSCHEDULABLE; t++) {
        (*checks)++;
        if (p->types[t].left > 0 && gm_plan_check(p->ci, c, p->types[t].rep)) {
            p->types[t].left--;
            e->kind = GM_PLACE_INSTANCE_TYPE;
            e->node = p->types[t].rep;
        }
    }
    if (e->kind == GM_PLACE_UNSCHEDULABLE && !opt->no_reasons)
        rc = unschedulable_reasons(p, r, c, &e->reason_set, err);
    gm_plan_request_free(c);
    return rc;
}

int gm_plan_run(const gm_node_list *inv, const gm_requirement_list *q, const gm_plan_options *opt,
                gm_plan *out, gm_error *err) {
    static const gm_plan_options defaults = {0};
    if (!opt) opt = &defaults;
    memset(out, 0, sizeof *out);
    planner p = {.inv = inv, .count0_text = -1};
    int rc = gm_plan_inventory_compile(inv, &p.ci, err);
    if (rc) return rc;
    size_t *order = gm_xcalloc(q->n ? q->n : 1, sizeof *order);
    out->entries = gm_xcalloc(q->n ? q->n : 1, sizeof *out->entries);
    if (!order || !out->entries) { rc = gm_error_set(err, GM_ENOMEM, "out of memory"); goto done; }
    out->n = q->n;
    rc = planner_build(&p, err);
    if (rc) goto done;
    for (size_t i = 0; i < q->n; i++) order[i] = i;
    qsort_r(order, q->n, sizeof *order, req_qsort, (void *)q);
    for (size_t i = 0; i < q->n && !rc; i++) {
        size_t ri = order[i];
        rc = place_one(&p, opt, ri, &q->items[ri], &out->entries[ri], &out->checks, err);
        if (rc) break;
        switch (out->entries[ri].kind) {
        case GM_PLACE_NODE: out->n_on_nodes++; break;
        case GM_PLACE_INSTANCE_TYPE: out->n_on_types++; break;
        default: out->n_unschedulable++; break;
        }
    }
    if (!rc) { /* hand the shared reason lists to the plan */
        out->reason_sets = p.shape_reasons;
        out->n_reason_sets = p.nshapes;
        p.shape_reasons = NULL;
        p.nshapes = 0;
        for (size_t i = 0; i < out->n; i++)
            if (out->entries[i].kind == GM_PLACE_UNSCHEDULABLE && !opt->no_reasons)
                out->entries[i].reasons = &out->reason_sets[out->entries[i].reason_set];
    }
done:
    free(order);
    planner_free(&p);
    gm_plan_inventory_free(p.ci);
    if (rc) gm_plan_free(out);
    return rc;
}

void gm_plan_free(gm_plan *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->entries[i].units);
    }
    for (size_t i = 0; i < p->n_reason_sets; i++) gm_strlist_free(&p->reason_sets[i]);
    free(p->reason_sets);
    free(p->entries);
    memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------------ reports */

static char *node_name(const gm_node_list *inv, const gm_plan_entry *e) {
    const gm_node *n = &inv->nodes[e->node];
    const char *h = n->hostname ? n->hostname : "?";
    if (n->count > 1) return gm_asprintf("%s#%ld", h, e->copy);
    return gm_strdup(h);
}

static char *req_id(const gm_requirement_list *q, size_t i) {
    if (q->items[i].id) return gm_strdup(q->items[i].id);
    return gm_asprintf("#%zu", i);
}

static char *unit_str(const gm_node *n, const gm_plan_unit *u) {
    if (u->mig >= 0) return gm_asprintf("%d:%ld", n->devices[u->device].index, u->mig);
    return gm_asprintf("%d", n->devices[u->device].index);
}

/* Requests of one shape share one reason list: the report prints it with the
 * first such request (queue order) and names that request for the others, so
 * 90 000 unschedulable requests over 10 000 nodes cost one list per shape,
 * not one each. first[set] = queue index of that request, or SIZE_MAX. */
static size_t *first_of_sets(const gm_plan *p) {
    size_t *first = gm_xcalloc(p->n_reason_sets + 1, sizeof *first);
    if (!first) return NULL;
    for (size_t i = 0; i < p->n_reason_sets; i++) first[i] = SIZE_MAX;
    for (size_t i = 0; i < p->n; i++) {
        const gm_plan_entry *e = &p->entries[i];
        if (e->kind == GM_PLACE_UNSCHEDULABLE && e->reasons && e->reason_set < p->n_reason_sets &&
            first[e->reason_set] == SIZE_MAX)
            first[e->reason_set] = i;
    }
    return first;
}

/* Writes a JSON value at nesting depth 2 in gm_json_dump's layout. */
static int put_nested(FILE *f, json_t *o, gm_error *err) {
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!s) return gm_error_set(err, GM_EINVAL, "plan report: a string is not valid UTF-8");
    fputs("    ", f);
    for (const char *c = s; *c;) {
        const char *nl = strchr(c, '\n');
        size_t n = nl ? (size_t)(nl - c) + 1 : strlen(c);
        fwrite(c, 1, n, f);
        if (nl) fputs("    ", f);
        c += n;
    }
    free(s);
    return 0;
}

static json_t *placement_json(const gm_node_list *inv, const gm_requirement_list *q,
                              const gm_plan *p, const size_t *first, size_t i) {
    const gm_plan_entry *e = &p->entries[i];
    const gm_requirement *r = &q->items[i];
    json_t *o = json_object();
    char *id = req_id(q, i);
    if (!o || !id) { json_decref(o); free(id); return NULL; }
    json_object_set_new(o, "id", json_string(id));
    free(id);
    json_object_set_new(o, "priority", json_integer(r->priority));
    const gm_node *n = &inv->nodes[e->node];
    if (e->kind == GM_PLACE_NODE) {
        char *nm = node_name(inv, e);
        json_object_set_new(o, "placement", json_string("node"));
        json_object_set_new(o, "node", json_string(nm ? nm : "?"));
        free(nm);
        json_t *devs = json_array();
        for (size_t u = 0; u < e->n_units; u++) {
            const gm_device *d = &n->devices[e->units[u].device];
            json_t *dj = json_object();
            json_object_set_new(dj, "index", json_integer(d->index));
            if (e->units[u].mig >= 0) {
                const gm_mig_instance *mi = &d->mig[e->units[u].mig];
                json_object_set_new(dj, "mig", json_integer(e->units[u].mig));
                if (mi->uuid) json_object_set_new(dj, "uuid", json_string(mi->uuid));
            } else if (d->uuid) {
                json_object_set_new(dj, "uuid", json_string(d->uuid));
            }
            json_array_append_new(devs, dj);
        }
        json_object_set_new(o, "devices", devs);
    } else if (e->kind == GM_PLACE_INSTANCE_TYPE) {
        json_object_set_new(o, "placement", json_string("instance_type"));
        json_object_set_new(o, "instance_type", json_string(n->instance_type));
        if (n->price >= 0) json_object_set_new(o, "price", json_real(n->price));
    } else {
        json_object_set_new(o, "placement", json_string("unschedulable"));
        if (e->reasons) {
            json_object_set_new(o, "reason_set", json_integer((json_int_t)e->reason_set));
            size_t f0 = first[e->reason_set];
            if (f0 != i && f0 != SIZE_MAX) {
                char *fid = req_id(q, f0);
                json_object_set_new(o, "same_reasons_as", json_string(fid ? fid : "?"));
                free(fid);
                return o;
            }
        }
        json_t *rs = json_array();
        for (size_t k = 0; e->reasons && k < e->reasons->n; k++)
            json_array_append_new(rs, json_string(e->reasons->items[k]));
        json_object_set_new(o, "reasons", rs);
    }
    return o;
}

int gm_plan_write_json(FILE *f, const gm_node_list *inv, const gm_requirement_list *q,
                       const gm_plan *p, gm_error *err) {
    size_t *first = first_of_sets(p);
    if (!first) return gm_error_set(err, GM_ENOMEM, "out of memory");
    int rc = 0;
    fputs("{\n  \"placements\": [", f);
    for (size_t i = 0; i < p->n && !rc; i++) {
        json_t *o = placement_json(inv, q, p, first, i);
        if (!o) { rc = gm_error_set(err, GM_ENOMEM, "out of memory"); break; }
        fputs(i ? ",\n" : "\n", f);
        rc = put_nested(f, o, err);
        json_decref(o);
    }
    free(first);
    if (rc) return rc;
    fprintf(f, "%s],\n  \"summary\": {\n    \"requests\": %zu,\n    \"on_nodes\": %zu,\n"
               "    \"on_instance_types\": %zu,\n    \"unschedulable\": %zu\n  },\n"
               "  \"schema_version\": %d\n}\n",
            p->n ? "\n  " : "", p->n, p->n_on_nodes, p->n_on_types, p->n_unschedulable,
            GM_SCHEMA_VERSION);
    return ferror(f) ? gm_error_set(err, GM_EIO, "plan report: write failed") : 0;
}

int gm_plan_write_text(FILE *f, const gm_node_list *inv, const gm_requirement_list *q,
                       const gm_plan *p, gm_error *err) {
    size_t *first = first_of_sets(p);
    if (!first) return gm_error_set(err, GM_ENOMEM, "out of memory");
    for (size_t i = 0; i < p->n; i++) {
        const gm_plan_entry *e = &p->entries[i];
        const gm_node *n = &inv->nodes[e->node];
        char *id = req_id(q, i);
        gm_fputs_safe(f, id ? id : "?");
        fprintf(f, " (priority %d): ", q->items[i].priority);
        free(id);
        if (e->kind == GM_PLACE_NODE) {
            char *nm = node_name(inv, e);
            fputs("node ", f);
            gm_fputs_safe(f, nm ? nm : "?");
            fprintf(f, ", device%s ", e->n_units == 1 ? "" : "s");
            free(nm);
            for (size_t u = 0; u < e->n_units; u++) {
                char *us = unit_str(n, &e->units[u]);
                const gm_device *d = &n->devices[e->units[u].device];
                const char *uuid = e->units[u].mig >= 0 ? d->mig[e->units[u].mig].uuid : d->uuid;
                fprintf(f, "%s%s", u ? ", " : "", us ? us : "?");
                if (uuid) {
                    fputs(" (", f);
                    gm_fputs_safe(f, uuid);
                    fputs(")", f);
                }
                free(us);
            }
            if (e->n_units == 0) fputs("none", f);
            fputs("\n", f);
        } else if (e->kind == GM_PLACE_INSTANCE_TYPE) {
            fputs("instance type ", f);
            gm_fputs_safe(f, n->instance_type);
            if (n->price >= 0) fprintf(f, " (price %g)", n->price);
            fputs("\n", f);
        } else if (e->reasons && first[e->reason_set] != i && first[e->reason_set] != SIZE_MAX) {
            char *fid = req_id(q, first[e->reason_set]);
            fputs("unschedulable, for the reasons given for ", f);
            gm_fputs_safe(f, fid ? fid : "?");
            fputs("\n", f);
            free(fid);
        } else {
            fputs("unschedulable\n", f);
            for (size_t k = 0; e->reasons && k < e->reasons->n; k++) {
                fputs("  - ", f);
                gm_fputs_safe(f, e->reasons->items[k]);
                fputs("\n", f);
            }
        }
    }
    free(first);
    fprintf(f, "%zu requests: %zu on nodes, %zu on instance types, %zu unschedulable\n", p->n,
            p->n_on_nodes, p->n_on_types, p->n_unschedulable);
    return ferror(f) ? gm_error_set(err, GM_EIO, "plan report: write failed") : 0;
}

typedef int (*plan_writer)(FILE *, const gm_node_list *, const gm_requirement_list *,
                           const gm_plan *, gm_error *);

static char *to_string(plan_writer w, const gm_node_list *inv, const gm_requirement_list *q,
                       const gm_plan *p, gm_error *err) {
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) { gm_error_set(err, GM_ENOMEM, "out of memory"); return NULL; }
    int rc = w(f, inv, q, p, err);
    if (fclose(f) != 0 && !rc) rc = gm_error_set(err, GM_ENOMEM, "out of memory");
    if (rc) { free(out); return NULL; }
    return out;
}

char *gm_plan_to_json(const gm_node_list *inv, const gm_requirement_list *q, const gm_plan *p,
                      gm_error *err) {
    return to_string(gm_plan_write_json, inv, q, p, err);
}

char *gm_plan_to_text(const gm_node_list *inv, const gm_requirement_list *q, const gm_plan *p,
                      gm_error *err) {
    return to_string(gm_plan_write_text, inv, q, p, err);
}
