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
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "gpumatch/match.h"
#include "gpumatch/nvreq.h"
#include "gpumatch/plan.h"
#include "gpumatch/sys/plan.h"
#include "internal.h"

/* Fixed machines (entries times count) one plan holds, a few bytes each
 * (docs/limits.md). */
#define GM_PLAN_MAX_MACHINES ((size_t)1 << 23)
/* Threads that build reason lists at once (gm_plan_options.threads). */
#define GM_PLAN_MAX_THREADS 16

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

/* Eight bytes a step: reason texts and shape keys are long, and hundreds of
 * thousands of them are interned per large plan. */
static uint64_t hash_str(const char *s) {
    size_t n = strlen(s);
    uint64_t h = 1469598103934665603ull ^ n, w;
    for (; n >= 8; n -= 8, s += 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0x9E3779B97F4A7C15ull;
    return h ^ h >> 32;
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
    gm_plan_creq *c; /* compiled at the shape's first request */
    bool dead;       /* unschedulable: free units and instances only fall, so
                      * every later request of the shape is unschedulable too */
    long set;        /* reason list index, -1 none yet */
} rshape;

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
    /* Requests of one shape (everything but id and priority) share the
     * compiled form, the outcome once unschedulable, and the reason list. */
    strmap shapes;
    rshape *shape;
    size_t nshapes, capshape;
    gm_buf key; /* scratch for shape keys */
    /* Reason lists, numbered in order of their shape's first unschedulable
     * request (placement order), built after placement: an unschedulable
     * request's reasons do not depend on what was placed before (every kind
     * that fits is full for it). set_shape/set_req: its shape and request. */
    size_t *set_shape, *set_req;
    size_t nsets, cap_ss, cap_sq;
    gm_strlist *shape_reasons;
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
    for (size_t i = 0; i < p->nshapes; i++) gm_plan_request_free(p->shape[i].c);
    free(p->shape);
    free(p->key.s);
    for (size_t i = 0; i < p->nsets && p->shape_reasons; i++) gm_strlist_free(&p->shape_reasons[i]);
    free(p->shape_reasons);
    free(p->set_shape);
    free(p->set_req);
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

/* Appends n bytes (n = strlen when SIZE_MAX) without printf: the reason and
 * key texts are built some 300 000 times per large plan. */
static void buf_put(gm_buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (n == SIZE_MAX) n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *q = realloc(b->s, cap);
        if (!q) { b->oom = true; return; }
        b->s = q;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

static void buf_long(gm_buf *b, long v) {
    char t[24], *e = t + sizeof t, *q = e;
    unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
    do *--q = (char)('0' + u % 10); while (u /= 10);
    if (v < 0) *--q = '-';
    buf_put(b, q, (size_t)(e - q));
}

/* A length-prefixed string, so that no two field lists make the same key. */
static void buf_lstr(gm_buf *b, const char *s) {
    buf_long(b, s ? (long)strlen(s) : -1);
    buf_put(b, ":", 1);
    if (s) buf_put(b, s, SIZE_MAX);
}

/* gm_match's reasons for one node kind, without its name: node reasons, then
 * each distinct unit reason once with the GPUs it applies to. */
static int match_text(const gm_node *n, const gm_requirement *r, gm_buf *out, gm_error *err) {
    gm_verdict v;
    memset(&v, 0, sizeof v);
    out->len = 0;
    out->oom = false;
    if (gm_match(n, r, &v, err)) return err && err->code ? err->code : GM_ENOMEM;
    size_t total = 0, nu = 0, nparts = 0;
    for (size_t u = 0; u < v.n_units; u++) total += v.units[u].reasons.n;
    /* distinct unit reasons (pointers into v) and the labels of their GPUs;
     * on the stack for the usual few */
    const char *ur_s[32], *parts_s[16];
    gm_buf lab_s[32];
    memset(lab_s, 0, sizeof lab_s);
    const char **ur = total < 32 ? ur_s : gm_xcalloc(total + 1, sizeof *ur);
    gm_buf *lab = total < 32 ? lab_s : gm_xcalloc(total + 1, sizeof *lab);
    const char **parts = v.reasons.n < 16 ? parts_s : gm_xcalloc(v.reasons.n + 1, sizeof *parts);
    int rc = ur && lab && parts ? 0 : GM_ENOMEM;
    for (size_t u = 0; u < v.n_units && !rc; u++)
        for (size_t i = 0; i < v.units[u].reasons.n; i++) {
            char l[64];
            size_t k;
            gm_unit_label(&v, &v.units[u], l, sizeof l);
            for (k = 0; k < nu; k++)
                if (strcmp(ur[k], v.units[u].reasons.items[i]) == 0) break;
            if (k == nu) ur[nu++] = v.units[u].reasons.items[i];
            else buf_put(&lab[k], ",", 1);
            buf_put(&lab[k], l, SIZE_MAX);
        }
    for (size_t i = 0; i < v.reasons.n && !rc; i++) {
        size_t k;
        for (k = 0; k < nparts; k++)
            if (strcmp(parts[k], v.reasons.items[i]) == 0) break;
        if (k == nparts) {
            buf_put(out, "; ", nparts ? 2 : 0);
            buf_put(out, v.reasons.items[i], SIZE_MAX);
            parts[nparts++] = v.reasons.items[i];
        }
    }
    /* "GPU L: R" cannot repeat itself (distinct R, and a label has no ": "),
     * only a node reason */
    gm_buf one = {0};
    for (size_t k = 0; k < nu && !rc; k++) {
        one.len = 0;
        buf_put(&one, "GPU ", 4);
        buf_put(&one, lab[k].s ? lab[k].s : "", lab[k].len);
        buf_put(&one, ": ", 2);
        buf_put(&one, ur[k], SIZE_MAX);
        if (one.oom) { rc = GM_ENOMEM; break; }
        size_t i;
        for (i = 0; i < nparts; i++)
            if (strcmp(parts[i], one.s) == 0) break;
        if (i < nparts) continue;
        buf_put(out, "; ", out->len ? 2 : 0);
        buf_put(out, one.s, one.len);
    }
    free(one.s);
    if (!rc && out->len == 0) buf_put(out, "does not fit", SIZE_MAX);
    for (size_t k = 0; lab && k < total; k++) free(lab[k].s);
    if (lab != lab_s) free(lab);
    if (ur != ur_s) free(ur);
    if (parts != parts_s) free(parts);
    gm_verdict_free(&v);
    if (!rc && out->oom) rc = GM_ENOMEM;
    return rc ? gm_error_set(err, GM_ENOMEM, "out of memory") : 0;
}

typedef struct {      /* one distinct reason text of a list */
    size_t kind[3];   /* the first kinds it applies to, named in the line */
    size_t nnames;    /* kinds it applies to */
} rgroup;

/* Numbers of a key, each ended by ','. */
static void key_nums(gm_buf *b, const long *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        buf_long(b, v[i]);
        buf_put(b, ",", 1);
    }
}

static void key_targets(gm_buf *b, const gm_target *t, size_t n) {
    for (size_t i = 0; i < n; i++)
        key_nums(b, (const long[]){t[i].kind, t[i].cc.major, t[i].cc.minor, t[i].variant}, 4);
    buf_put(b, ";", 1);
}

static void key_modules(gm_buf *b, const gm_module_req *mods, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const gm_module_req *m = &mods[i];
        buf_put(b, "|", 1);
        buf_lstr(b, m->name);
        key_nums(b, (const long[]){m->optional, m->has_ptx_isa, m->ptx_isa.major, m->ptx_isa.minor},
                 4);
        key_targets(b, m->cubin, m->n_cubin);
        key_targets(b, m->ptx, m->n_ptx);
    }
}

/* Everything of a request that its placement and reasons depend on (not id,
 * not priority), as one string in b. */
static void shape_key(gm_buf *b, const gm_requirement *r) {
    const long f[] = {r->min_driver.major,      r->min_driver.minor,     r->min_driver.patch,
                      r->min_driver.nparts,     r->has_cuda_runtime,     r->cuda_runtime.major,
                      r->cuda_runtime.minor,    r->has_min_cuda_driver,  r->min_cuda_driver.major,
                      r->min_cuda_driver.minor, r->has_min_cc,           r->min_cc.major,
                      r->min_cc.minor,          r->device_count,         r->min_memory_mib,
                      r->nvidia_disable_require, (long)r->n_exact_cc,    (long)r->n_modules,
                      (long)r->nvidia_require.n, (long)r->n_entry_points};
    b->len = 0;
    b->oom = false;
    key_nums(b, f, sizeof f / sizeof f[0]);
    for (size_t i = 0; i < r->n_exact_cc; i++)
        key_nums(b, (const long[]){r->exact_cc[i].major, r->exact_cc[i].minor}, 2);
    key_modules(b, r->modules, r->n_modules);
    for (size_t i = 0; i < r->nvidia_require.n; i++) {
        buf_put(b, "|", 1);
        buf_lstr(b, r->nvidia_require.items[i]);
    }
    /* entry points: their names and variants' names appear in reasons */
    for (size_t e = 0; e < r->n_entry_points; e++) {
        const gm_entry_point *ep = &r->entry_points[e];
        buf_put(b, "|E", 2);
        buf_lstr(b, ep->name);
        key_nums(b, (const long[]){(long)ep->n_variants}, 1);
        for (size_t k = 0; k < ep->n_variants; k++) {
            const gm_req_variant *var = &ep->variants[k];
            buf_put(b, "|V", 2);
            buf_lstr(b, var->name);
            key_nums(b, (const long[]){var->has_cuda_runtime, var->cuda_runtime.major,
                                       var->cuda_runtime.minor, (long)var->n_modules}, 4);
            key_modules(b, var->modules, var->n_modules);
        }
    }
}

/* The request's shape index; -1 with err set on OOM. */
static long shape_of(planner *p, const gm_requirement *r, gm_error *err) {
    shape_key(&p->key, r);
    if (p->key.oom) { gm_error_set(err, GM_ENOMEM, "out of memory"); return -1; }
    bool added;
    long s = strmap_get(&p->shapes, p->key.s, (uint32_t)p->nshapes, &added);
    if (s < 0 || (added && gm_grow((void **)&p->shape, &p->capshape, p->nshapes + 1, sizeof *p->shape)))
        { gm_error_set(err, GM_ENOMEM, "out of memory"); return -1; }
    if (added) p->shape[p->nshapes++] = (rshape){NULL, false, -1};
    return s;
}

/* "node HOST", "node HOST (and N like it)" or "instance type T". */
static void put_kind_name(gm_buf *b, const planner *p, size_t k) {
    bool is_type = k >= p->nfixed;
    const nkind *kd = is_type ? &p->types[k - p->nfixed] : &p->fixed[k];
    const gm_node *n = &p->inv->nodes[kd->rep];
    if (is_type) {
        buf_put(b, "instance type ", SIZE_MAX);
        buf_put(b, n->instance_type ? n->instance_type : "(null)", SIZE_MAX);
        return;
    }
    buf_put(b, "node ", 5);
    buf_put(b, n->hostname ? n->hostname : "?", SIZE_MAX);
    if (kd->nmembers > 1) {
        buf_put(b, " (and ", 6);
        buf_long(b, (long)(kd->nmembers - 1));
        buf_put(b, " like it)", SIZE_MAX);
    }
}

/* One line per distinct reason, naming the node kinds it applies to: the
 * reason list of a shape (compiled c) for its request r. Reads the planner
 * only, so lists are built on several threads at once. */
static int build_set(const planner *p, const gm_requirement *r, const gm_plan_creq *c,
                     gm_strlist *out, gm_error *err) {
    size_t nk = p->nfixed + p->ntypes, ng = 0;
    rgroup *g = gm_xcalloc(nk + 1, sizeof *g);
    if (!g) return gm_error_set(err, GM_ENOMEM, "out of memory");
    strmap texts = {0}; /* text -> group index */
    gm_buf text = {0};
    int rc = 0;
    for (size_t k = 0; k < nk && !rc; k++) {
        bool is_type = k >= p->nfixed;
        const nkind *kd = is_type ? &p->types[k - p->nfixed] : &p->fixed[k];
        const gm_node *n = &p->inv->nodes[kd->rep];
        const char *t;
        if (!is_type && kd->nmembers == 0)
            t = "count is 0: no machine available";
        else if (gm_plan_check(p->ci, c, kd->rep))
            t = is_type ? "fits, but every instance its count allows is taken by earlier requests"
                        : "fits, but its compatible devices are assigned to earlier requests";
        else if ((rc = match_text(n, r, &text, err)) == 0)
            t = text.s;
        else
            break;
        bool added;
        long j = strmap_get(&texts, t, (uint32_t)ng, &added);
        if (j < 0) { rc = gm_error_set(err, GM_ENOMEM, "out of memory"); break; }
        if (added) ng++;
        if (g[j].nnames < 3) g[j].kind[g[j].nnames] = k;
        g[j].nnames++;
    }
    free(text.s);
    /* the group's text, by index: the map's keys */
    const char **gt = rc ? NULL : gm_xcalloc(ng + 1, sizeof *gt);
    if (!rc && !gt) rc = gm_error_set(err, GM_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < texts.cap; i++)
        if (texts.keys[i]) gt[texts.vals[i]] = texts.keys[i];
    gm_buf line = {0};
    for (size_t j = 0; j < ng && !rc; j++) {
        line.len = 0;
        for (size_t i = 0; i < g[j].nnames && i < 3; i++) {
            buf_put(&line, ", ", i ? 2 : 0);
            put_kind_name(&line, p, g[j].kind[i]);
        }
        if (g[j].nnames > 3) {
            buf_put(&line, " and ", 5);
            buf_long(&line, (long)(g[j].nnames - 3));
            buf_put(&line, " more kinds", SIZE_MAX);
        }
        buf_put(&line, ": ", 2);
        buf_put(&line, gt[j], SIZE_MAX);
        if (line.oom || gm_strlist_add(out, line.s)) rc = gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    free(line.s);
    if (!rc && nk == 0 && gm_strlist_add(out, "the inventory has no nodes"))
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
    free(g);
    free(gt);
    strmap_free(&texts);
    return rc;
}

/* Workers take reason lists by number until none is left. */
typedef struct {
    const planner *p;
    const gm_requirement_list *q;
    atomic_size_t *next;
    gm_error err;
    int rc;
} set_worker;

static void *build_sets_worker(void *arg) {
    set_worker *w = arg;
    const planner *p = w->p;
    for (;;) {
        size_t s = atomic_fetch_add(w->next, 1);
        if (s >= p->nsets) break;
        w->rc = build_set(p, &w->q->items[p->set_req[s]], p->shape[p->set_shape[s]].c,
                          &p->shape_reasons[s], &w->err);
        if (w->rc) { atomic_store(w->next, p->nsets); break; }
    }
    return NULL;
}

/* The lists are independent (each runs gm_match once per node kind that does
 * not fit: the bulk of a plan with many unschedulable shapes), so they are
 * built on up to `threads` threads; the result does not depend on how many. */
static int build_sets(planner *p, const gm_requirement_list *q, int threads, gm_error *err) {
    if (!p->nsets) return 0;
    p->shape_reasons = gm_xcalloc(p->nsets, sizeof *p->shape_reasons);
    if (!p->shape_reasons) return gm_error_set(err, GM_ENOMEM, "out of memory");
    if (threads <= 0) {
        long on = sysconf(_SC_NPROCESSORS_ONLN);
        threads = on > 0 ? (int)(on < GM_PLAN_MAX_THREADS ? on : GM_PLAN_MAX_THREADS) : 1;
    }
    if ((size_t)threads > p->nsets) threads = (int)p->nsets;
    if (threads > GM_PLAN_MAX_THREADS) threads = GM_PLAN_MAX_THREADS;
    atomic_size_t next = 0;
    set_worker w[GM_PLAN_MAX_THREADS];
    pthread_t tid[GM_PLAN_MAX_THREADS];
    int started = 0;
    for (int i = 0; i < threads; i++) w[i] = (set_worker){p, q, &next, {0}, 0};
    /* worker 0 is this thread; one that cannot be started leaves its share to the others */
    for (int i = 1; i < threads; i++) {
        if (pthread_create(&tid[i], NULL, build_sets_worker, &w[i]) != 0) break;
        started = i;
    }
    build_sets_worker(&w[0]);
    for (int i = 1; i <= started; i++) pthread_join(tid[i], NULL);
    for (int i = 0; i <= started; i++)
        if (w[i].rc) {
            if (err) *err = w[i].err;
            return w[i].rc;
        }
    return 0;
}

static int place_one(planner *p, const gm_plan_options *opt, size_t ri, const gm_requirement *r,
                     gm_plan_entry *e, uint64_t *checks, gm_error *err) {
    long si = shape_of(p, r, err);
    if (si < 0) return err && err->code ? err->code : GM_ENOMEM;
    rshape *sh = &p->shape[si];
    e->request = ri;
    e->kind = GM_PLACE_UNSCHEDULABLE;
    int rc = 0;
    if (sh->dead) {
        e->reason_set = sh->set >= 0 ? (size_t)sh->set : 0;
        return 0;
    }
    if (!sh->c && (rc = gm_plan_request_compile(p->ci, r, &sh->c, err))) return rc;
    const gm_plan_creq *c = sh->c;
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
        if (!gok) return gm_error_set(err, GM_ENOMEM, "out of memory");
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
        if (!e->units) return gm_error_set(err, GM_ENOMEM, "out of memory");
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
    if (e->kind != GM_PLACE_UNSCHEDULABLE) return 0;
    sh->dead = true;
    if (!opt->no_reasons) { /* the list is built after placement (build_sets) */
        if (gm_grow((void **)&p->set_shape, &p->cap_ss, p->nsets + 1, sizeof *p->set_shape) ||
            gm_grow((void **)&p->set_req, &p->cap_sq, p->nsets + 1, sizeof *p->set_req))
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        p->set_shape[p->nsets] = (size_t)si;
        p->set_req[p->nsets] = ri;
        sh->set = (long)p->nsets++;
    }
    e->reason_set = sh->set >= 0 ? (size_t)sh->set : 0;
    return rc;
}

int gm_plan_run(const gm_node_list *inv, const gm_requirement_list *q, const gm_plan_options *opt,
                gm_plan *out, gm_error *err) {
    static const gm_plan_options defaults = {0};
    if (!opt) opt = &defaults;
    memset(out, 0, sizeof *out);
    planner p = {.inv = inv};
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
    if (!rc && !opt->no_reasons) rc = build_sets(&p, q, opt->threads, err);
    if (!rc) { /* hand the shared reason lists to the plan */
        out->reason_sets = p.shape_reasons;
        out->n_reason_sets = p.nsets;
        p.shape_reasons = NULL;
        p.nsets = 0;
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

/* A request's name: its id, or "#INDEX". */
static void put_id_text(FILE *f, const gm_requirement_list *q, size_t i) {
    if (q->items[i].id) gm_fputs_safe(f, q->items[i].id);
    else fprintf(f, "#%zu", i);
}

/* A JSON string as jansson writes it (gm_json_dump's flags). Plain printable
 * ASCII needs no escape and goes out as it is; anything else through
 * jansson, after the UTF-8 check (docs/limits.md: never silently left out). */
static int put_jstr(FILE *f, const char *s, const char *what, gm_error *err) {
    const unsigned char *c = (const unsigned char *)s;
    while (*c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\') c++;
    if (!*c) {
        putc('"', f);
        fwrite(s, 1, (size_t)(c - (const unsigned char *)s), f);
        putc('"', f);
        return 0;
    }
    json_t *j = gm_json_text(s, what, err);
    if (!j) return err && err->code ? err->code : GM_EINVAL;
    char *d = json_dumps(j, JSON_ENCODE_ANY);
    json_decref(j);
    if (!d) return gm_error_set(err, GM_ENOMEM, "out of memory");
    fputs(d, f);
    free(d);
    return 0;
}

static int put_id_json(FILE *f, const gm_requirement_list *q, size_t i, gm_error *err) {
    if (q->items[i].id) return put_jstr(f, q->items[i].id, "plan report: request id", err);
    fprintf(f, "\"#%zu\"", i);
    return 0;
}

/* "HOST", or "HOST#COPY" for one of count > 1 identical machines. */
static char *node_name(const gm_node_list *inv, const gm_plan_entry *e) {
    const gm_node *n = &inv->nodes[e->node];
    const char *h = n->hostname ? n->hostname : "?";
    if (n->count > 1) return gm_asprintf("%s#%ld", h, e->copy);
    return gm_strdup(h);
}

/* One placement at nesting depth 2, laid out as gm_json_dump would. */
static int placement_json(FILE *f, const gm_node_list *inv, const gm_requirement_list *q,
                          const gm_plan *p, const size_t *first, size_t i, gm_error *err) {
    const gm_plan_entry *e = &p->entries[i];
    const gm_node *n = &inv->nodes[e->node];
    int rc;
    fputs("    {\n      \"id\": ", f);
    if ((rc = put_id_json(f, q, i, err))) return rc;
    fprintf(f, ",\n      \"priority\": %d,\n      \"placement\": ", q->items[i].priority);
    if (e->kind == GM_PLACE_NODE) {
        char *nm = node_name(inv, e);
        if (!nm) return gm_error_set(err, GM_ENOMEM, "out of memory");
        fputs("\"node\",\n      \"node\": ", f);
        rc = put_jstr(f, nm, "plan report: node name", err);
        free(nm);
        if (rc) return rc;
        fputs(",\n      \"devices\": [", f);
        for (size_t u = 0; u < e->n_units; u++) {
            const gm_device *d = &n->devices[e->units[u].device];
            const char *uuid = e->units[u].mig >= 0 ? d->mig[e->units[u].mig].uuid : d->uuid;
            fprintf(f, "%s\n        {\n          \"index\": %d", u ? "," : "", d->index);
            if (e->units[u].mig >= 0) fprintf(f, ",\n          \"mig\": %ld", e->units[u].mig);
            if (uuid) {
                fputs(",\n          \"uuid\": ", f);
                if ((rc = put_jstr(f, uuid, "plan report: device uuid", err))) return rc;
            }
            fputs("\n        }", f);
        }
        fputs(e->n_units ? "\n      ]\n    }" : "]\n    }", f);
        return 0;
    }
    if (e->kind == GM_PLACE_INSTANCE_TYPE) {
        fputs("\"instance_type\",\n      \"instance_type\": ", f);
        if ((rc = put_jstr(f, n->instance_type ? n->instance_type : "?",
                           "plan report: instance type", err)))
            return rc;
        if (n->price >= 0) { /* jansson's own number format */
            json_t *j = json_real(n->price);
            char *d = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
            json_decref(j);
            if (!d) return gm_error_set(err, GM_ENOMEM, "out of memory");
            fprintf(f, ",\n      \"price\": %s", d);
            free(d);
        }
        fputs("\n    }", f);
        return 0;
    }
    fputs("\"unschedulable\"", f);
    if (e->reasons) {
        fprintf(f, ",\n      \"reason_set\": %zu", e->reason_set);
        size_t f0 = first[e->reason_set];
        if (f0 != i && f0 != SIZE_MAX) {
            fputs(",\n      \"same_reasons_as\": ", f);
            if ((rc = put_id_json(f, q, f0, err))) return rc;
            fputs("\n    }", f);
            return 0;
        }
    }
    fputs(",\n      \"reasons\": [", f);
    size_t nr = e->reasons ? e->reasons->n : 0;
    for (size_t k = 0; k < nr; k++) {
        fputs(k ? ",\n        " : "\n        ", f);
        if ((rc = put_jstr(f, e->reasons->items[k], "plan report: reason", err))) return rc;
    }
    fputs(nr ? "\n      ]\n    }" : "]\n    }", f);
    return 0;
}

int gm_plan_write_json(FILE *f, const gm_node_list *inv, const gm_requirement_list *q,
                       const gm_plan *p, gm_error *err) {
    size_t *first = first_of_sets(p);
    if (!first) return gm_error_set(err, GM_ENOMEM, "out of memory");
    int rc = 0;
    fputs("{\n  \"placements\": [", f);
    for (size_t i = 0; i < p->n && !rc; i++) {
        fputs(i ? ",\n" : "\n", f);
        rc = placement_json(f, inv, q, p, first, i, err);
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
        put_id_text(f, q, i);
        fprintf(f, " (priority %d): ", q->items[i].priority);
        if (e->kind == GM_PLACE_NODE) {
            fputs("node ", f);
            gm_fputs_safe(f, n->hostname ? n->hostname : "?");
            if (n->count > 1) fprintf(f, "#%ld", e->copy);
            fprintf(f, ", device%s ", e->n_units == 1 ? "" : "s");
            for (size_t u = 0; u < e->n_units; u++) {
                const gm_device *d = &n->devices[e->units[u].device];
                const char *uuid = e->units[u].mig >= 0 ? d->mig[e->units[u].mig].uuid : d->uuid;
                if (e->units[u].mig >= 0) fprintf(f, "%s%d:%ld", u ? ", " : "", d->index, e->units[u].mig);
                else fprintf(f, "%s%d", u ? ", " : "", d->index);
                if (uuid) {
                    fputs(" (", f);
                    gm_fputs_safe(f, uuid);
                    fputs(")", f);
                }
            }
            if (e->n_units == 0) fputs("none", f);
            fputs("\n", f);
        } else if (e->kind == GM_PLACE_INSTANCE_TYPE) {
            fputs("instance type ", f);
            gm_fputs_safe(f, n->instance_type);
            if (n->price >= 0) fprintf(f, " (price %g)", n->price);
            fputs("\n", f);
        } else if (e->reasons && first[e->reason_set] != i && first[e->reason_set] != SIZE_MAX) {
            fputs("unschedulable, for the reasons given for ", f);
            put_id_text(f, q, first[e->reason_set]);
            fputs("\n", f);
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

/* The callback form: a FILE whose buffer goes to the sink in large pieces,
 * so both writers above serve it unchanged. */
typedef struct {
    gm_plan_sink sink;
    void *ctx;
    bool failed;
} sink_cookie;

static ssize_t sink_write(void *cookie, const char *buf, size_t len) {
    sink_cookie *k = cookie;
    if (k->failed || k->sink(k->ctx, buf, len) != 0) {
        k->failed = true;
        return -1;
    }
    return (ssize_t)len;
}

int gm_plan_write(gm_plan_format fmt, gm_plan_sink sink, void *ctx, const gm_node_list *inv,
                  const gm_requirement_list *q, const gm_plan *p, gm_error *err) {
    sink_cookie k = {sink, ctx, false};
    FILE *f = fopencookie(&k, "w", (cookie_io_functions_t){.write = sink_write});
    if (!f) return gm_error_set(err, GM_ENOMEM, "out of memory");
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    int rc = (fmt == GM_PLAN_JSON ? gm_plan_write_json : gm_plan_write_text)(f, inv, q, p, err);
    if ((fclose(f) != 0 || k.failed) && !rc) rc = gm_error_set(err, GM_EIO, "plan report: write failed");
    return rc;
}

static int mem_sink(void *ctx, const char *data, size_t len) {
    gm_buf *b = ctx;
    buf_put(b, data, len);
    return b->oom ? -1 : 0;
}

static char *to_string(gm_plan_format fmt, const gm_node_list *inv, const gm_requirement_list *q,
                       const gm_plan *p, gm_error *err) {
    gm_buf b = {0};
    buf_put(&b, "", 0);
    int rc = gm_plan_write(fmt, mem_sink, &b, inv, q, p, err);
    if (!rc && b.oom) rc = gm_error_set(err, GM_ENOMEM, "out of memory");
    if (rc) { free(b.s); return NULL; }
    return b.s;
}

char *gm_plan_to_json(const gm_node_list *inv, const gm_requirement_list *q, const gm_plan *p,
                      gm_error *err) {
    return to_string(GM_PLAN_JSON, inv, q, p, err);
}

char *gm_plan_to_text(const gm_node_list *inv, const gm_requirement_list *q, const gm_plan *p,
                      gm_error *err) {
    return to_string(GM_PLAN_TEXT, inv, q, p, err);
}
