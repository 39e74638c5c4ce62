/* plan: compiled check == gm_match on random inputs; greedy placement replayed
 * independently with gm_match (first fit, cheapest type by brute force, no
 * double booking, unschedulable means nothing had room); table cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gpumatch/match.h"
#include "gpumatch/plan.h"
#include "gpumatch/sys/plan.h"
#include "internal.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}
#define PICK(arr) (arr[rnd(sizeof arr / sizeof arr[0])])

typedef struct {
    char *s;
    size_t len, cap;
} sbuf;
__attribute__((format(printf, 2, 3))) static void sb(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && n < (int)sizeof tmp);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        assert_non_null(b->s);
    }
    memcpy(b->s + b->len, tmp, (size_t)n + 1);
    b->len += (size_t)n;
}

static const char *drivers[] = {NULL,         "418.39",    "450.80.02", "470.57.02", "525.60.13",
                                "535.104.05", "550.54.15", "565.57.01", "570.26",    "580.95.05",
                                "595.45.04",  "999.1"};
static const char *cudas[] = {NULL, NULL, "11.0", "11.4", "12.0", "12.2", "12.4", "12.8", "13.0", "13.2"};
static const char *ccs[] = {"3.5", "5.2", "6.1", "7.0", "7.5", "8.0", "8.6", "8.7", "8.9",
                            "9.0", "10.0", "10.1", "10.3", "11.0", "12.0", "12.1", "13.0"};
static const char *brands[] = {NULL, "tesla", "nvidia", "geforce"};
static const long mems[] = {-1, 8192, 16384, 24576, 40960, 81920};

static void gen_device(sbuf *b, int idx, int *uuid) {
    sb(b, "{\"index\":%d,\"uuid\":\"GPU-%d\",\"name\":\"G%d\"", idx, (*uuid)++, idx);
    if (rnd(20)) sb(b, ",\"compute_capability\":\"%s\"", PICK(ccs)); /* sometimes unknown */
    const char *br = PICK(brands);
    if (br) sb(b, ",\"brand\":\"%s\"", br);
    long m = PICK(mems);
    if (m >= 0) sb(b, ",\"memory_mib\":%ld", m);
    int mig = (int)rnd(6);
    if (mig == 0) sb(b, ",\"mig_mode\":\"disabled\"");
    if (mig >= 4) {
        int k = mig == 4 ? 0 : 1 + (int)rnd(2);
        sb(b, ",\"mig_mode\":\"enabled\",\"mig_devices\":[");
        for (int i = 0; i < k; i++) {
            long mm = PICK(mems);
            sb(b, "%s{\"uuid\":\"MIG-%d\"", i ? "," : "", (*uuid)++);
            if (mm >= 0) sb(b, ",\"memory_mib\":%ld", mm / 2);
            sb(b, "}");
        }
        sb(b, "]");
    }
    sb(b, "}");
}

/* One random node; kind 0 fixed, 1 instance type. */
static void gen_node(sbuf *b, int i, int kind, int *uuid) {
    static const char *prices[] = {NULL, "0.5", "1.0", "1.0", "2.5", "7"};
    sb(b, "{");
    if (kind) {
        const char *p = PICK(prices);
        sb(b, "\"instance_type\":\"type%d\",\"count\":%u", i, rnd(3));
        if (p) sb(b, ",\"price\":%s", p);
    } else {
        sb(b, "\"hostname\":\"host%d\"", i);
        if (rnd(4) == 0) sb(b, ",\"count\":%u", rnd(3));
    }
    const char *d = PICK(drivers), *c = PICK(cudas);
    if (d) sb(b, ",\"driver_version\":\"%s\"", d);
    if (c) sb(b, ",\"cuda_driver_version\":\"%s\"", c);
    sb(b, ",\"devices\":[");
    int n = (int)rnd(5);
    for (int k = 0; k < n; k++) {
        if (k) sb(b, ",");
        gen_device(b, k, uuid);
    }
    sb(b, "]}");
}

static const char *cubins[] = {"sm_35", "sm_52", "sm_70", "sm_75", "sm_80", "sm_86", "sm_89", "sm_90",
                               "sm_90a", "sm_100", "sm_100a", "sm_100f", "sm_103f", "sm_120"};
static const char *ptxs[] = {"compute_52", "compute_70", "compute_80", "compute_90", "compute_90a",
                             "compute_100f", "compute_120"};
static const char *isas[] = {NULL, NULL, "6.5", "7.0", "7.8", "8.1", "8.4", "8.7", "9.0", "9.2"};
static const char *nvreqs[] = {"cuda>=12.2", "cuda>=11.0 brand=tesla,driver>=470,driver<471",
                               "arch>=8.0", "brand=nvidia", "driver>=535", "cuda>=12.8 arch<7.5"};

static void gen_module(sbuf *b, bool top) {
    int nc = (int)rnd(3), np = (int)rnd(2);
    if (!nc && !np) nc = 1;
    if (nc) {
        sb(b, "\"cubin\":[");
        for (int i = 0; i < nc; i++) sb(b, "%s\"%s\"", i ? "," : "", PICK(cubins));
        sb(b, "]");
    }
    if (np) {
        const char *isa = PICK(isas);
        sb(b, "%s\"ptx\":[\"%s\"]", nc ? "," : "", PICK(ptxs));
        if (isa) sb(b, ",\"ptx_isa\":\"%s\"", isa);
    }
    if (!top && rnd(4) == 0) sb(b, ",\"optional\":true");
}

static void gen_req(sbuf *b, int i) {
    static const char *mins[] = {NULL, NULL, "450.80.02", "525.60.13", "535.104.05", "570.26"};
    static const char *rts[] = {NULL, NULL, "11.0", "11.8", "12.1", "12.4", "12.7", "12.8", "13.0", "10.2"};
    static const char *mcd[] = {NULL, NULL, NULL, "11.4", "12.2", "12.8"};
    static const char *mcc[] = {NULL, NULL, NULL, "7.5", "8.0", "8.6", "9.0"};
    static const long mm[] = {0, 0, 10000, 20000, 40000};
    sb(b, "{\"id\":\"r%d\",\"priority\":%u", i, rnd(3));
    const char *s;
    if ((s = PICK(mins))) sb(b, ",\"min_driver\":\"%s\"", s);
    if ((s = PICK(rts))) sb(b, ",\"cuda_runtime\":\"%s\"", s);
    if ((s = PICK(mcd))) sb(b, ",\"min_cuda_driver\":\"%s\"", s);
    if ((s = PICK(mcc))) sb(b, ",\"min_compute_capability\":\"%s\"", s);
    if (rnd(6) == 0) sb(b, ",\"compute_capabilities\":[\"%s\",\"%s\"]", PICK(ccs), PICK(ccs));
    sb(b, ",\"device_count\":%u", rnd(4));
    long m = PICK(mm);
    if (m) sb(b, ",\"min_memory_mib\":%ld", m);
    int what = (int)rnd(3);
    if (what >= 1) {
        sb(b, ",");
        gen_module(b, true);
    }
    if (what == 2) {
        sb(b, ",\"modules\":[{\"name\":\"lib\",");
        gen_module(b, false);
        sb(b, "}]");
    }
    if (rnd(3) == 0) {
        sb(b, ",\"nvidia_require\":[\"%s\"", PICK(nvreqs));
        if (rnd(3) == 0) sb(b, ",\"%s\"", PICK(nvreqs));
        sb(b, "]");
        if (rnd(5) == 0) sb(b, ",\"nvidia_disable_require\":true");
    }
    sb(b, "}");
}

static void gen_inventory(gm_node_list *l, int n, int types_pct) {
    sbuf b = {0};
    int uuid = 0;
    uint64_t prev = rng_state;
    sb(&b, "[");
    for (int i = 0; i < n; i++) {
        if (i) sb(&b, ",");
        /* sometimes a node identical to an earlier one but for names and
         * UUIDs, so node kinds with several machines get exercised */
        uint64_t here = rng_state;
        if (i && rnd(3) == 0) rng_state = prev;
        else prev = here;
        gen_node(&b, i, (int)rnd(100) < types_pct, &uuid);
        if (rng_state != here) rng_state = here ^ (uint64_t)i * 0x9E3779B97F4A7C15ull;
    }
    sb(&b, "]");
    gm_error err = {0};
    int rc = gm_node_list_parse(b.s, b.len, "random", l, &err);
    if (rc) fprintf(stderr, "%s\n%s\n", err.msg, b.s);
    assert_int_equal(rc, 0);
    free(b.s);
}

static void gen_queue(gm_requirement_list *q, int n) {
    sbuf b = {0};
    sb(&b, "[");
    for (int i = 0; i < n; i++) {
        if (i) sb(&b, ",");
        gen_req(&b, i);
    }
    sb(&b, "]");
    gm_error err = {0};
    int rc = gm_requirement_list_parse(b.s, b.len, "random", q, &err);
    if (rc) fprintf(stderr, "%s\n%s\n", err.msg, b.s);
    assert_int_equal(rc, 0);
    free(b.s);
}

static void seed_from_env(void) {
    const char *s = getenv("GM_SEED");
    if (s) rng_state = strtoull(s, NULL, 0) | 1;
}

/* The compiled check and gm_match agree on every (request, node) pair. */
static void test_compiled_agrees_with_match(void **st) {
    (void)st;
    seed_from_env();
    for (int round = 0; round < 4; round++) {
        gm_node_list nodes = {0};
        gm_requirement_list q = {0};
        gm_plan_inventory *inv;
        gm_error err = {0};
        gen_inventory(&nodes, 120, 30);
        gen_queue(&q, 150);
        assert_int_equal(gm_plan_inventory_compile(&nodes, &inv, &err), 0);
        size_t yes = 0, total = 0;
        for (size_t r = 0; r < q.n; r++) {
            gm_plan_creq *c;
            assert_int_equal(gm_plan_request_compile(inv, &q.items[r], &c, &err), 0);
            for (size_t n = 0; n < nodes.n; n++) {
                gm_verdict v;
                assert_int_equal(gm_match(&nodes.nodes[n], &q.items[r], &v, &err), 0);
                bool fast = gm_plan_check(inv, c, n);
                if (fast != v.ok) {
                    char *nj = gm_node_to_json(&nodes.nodes[n], &err);
                    char *rj = gm_requirement_to_json(&q.items[r], &err);
                    fprintf(stderr, "disagree: compiled %d, gm_match %d\nnode %s\nreq %s\n", fast,
                            v.ok, nj, rj);
                    for (size_t k = 0; k < v.reasons.n; k++) fprintf(stderr, "  %s\n", v.reasons.items[k]);
                    free(nj);
                    free(rj);
                }
                assert_int_equal(fast, v.ok);
                yes += v.ok;
                total++;
                gm_verdict_free(&v);
            }
            gm_plan_request_free(c);
        }
        /* the generator must exercise both answers */
        assert_true(yes > total / 50 && yes < total - total / 50);
        gm_plan_inventory_free(inv);
        gm_node_list_free(&nodes);
        gm_requirement_list_free(&q);
    }
}

/* ---- independent replay of the documented greedy policy with gm_match ---- */
typedef struct {
    size_t node;
    long copy;
    size_t dev;
    long mig;
} booking;

static bool booked(const booking *b, size_t nb, size_t node, long copy, size_t dev, long mig) {
    for (size_t i = 0; i < nb; i++)
        if (b[i].node == node && b[i].copy == copy && b[i].dev == dev && b[i].mig == mig) return true;
    return false;
}

static const gm_requirement_list *gq;
static int ord_cmp(const void *x, const void *y) {
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    if (gq->items[a].priority != gq->items[b].priority)
        return gq->items[a].priority > gq->items[b].priority ? -1 : 1;
    return a < b ? -1 : 1;
}

static void check_plan(const gm_node_list *nodes, const gm_requirement_list *q, const gm_plan *p) {
    gm_error err = {0};
    size_t *order = calloc(q->n, sizeof *order);
    long *left = calloc(nodes->n, sizeof *left);
    booking *bk = calloc(4096, sizeof *bk);
    size_t nb = 0;
    for (size_t i = 0; i < q->n; i++) order[i] = i;
    gq = q;
    qsort(order, q->n, sizeof *order, ord_cmp);
    for (size_t i = 0; i < nodes->n; i++) left[i] = nodes->nodes[i].count;
    assert_int_equal(p->n, q->n);
    for (size_t oi = 0; oi < q->n; oi++) {
        size_t r = order[oi];
        const gm_requirement *req = &q->items[r];
        const gm_plan_entry *e = &p->entries[r];
        assert_int_equal(e->request, r);
        /* expected: first fixed node/copy with enough free compatible units */
        bool found = false;
        for (size_t n = 0; n < nodes->n && !found; n++) {
            const gm_node *nd = &nodes->nodes[n];
            if (nd->instance_type) continue;
            gm_verdict v;
            assert_int_equal(gm_match(nd, req, &v, &err), 0);
            for (long cp = 0; cp < nd->count && v.ok && !found; cp++) {
                size_t avail = 0;
                for (size_t u = 0; u < v.n_units; u++)
                    avail += v.units[u].ok &&
                             !booked(bk, nb, n, cp, v.units[u].device, v.units[u].mig);
                if ((long)avail < req->device_count) continue;
                found = true;
                assert_int_equal(e->kind, GM_PLACE_NODE);
                assert_int_equal(e->node, n);
                assert_int_equal(e->copy, cp);
                assert_int_equal(e->n_units, req->device_count);
                size_t k = 0;
                for (size_t u = 0; u < v.n_units && k < e->n_units; u++) {
                    if (!v.units[u].ok || booked(bk, nb, n, cp, v.units[u].device, v.units[u].mig))
                        continue;
                    /* each assigned unit passes gm_match and was free */
                    assert_int_equal(e->units[k].device, v.units[u].device);
                    assert_int_equal(e->units[k].mig, v.units[u].mig);
                    bk[nb++] = (booking){n, cp, v.units[u].device, v.units[u].mig};
                    assert_true(nb < 4096);
                    k++;
                }
            }
            gm_verdict_free(&v);
        }
        if (found) continue;
        /* brute force: cheapest instance type that fits and has one left */
        long best = -1;
        for (size_t n = 0; n < nodes->n; n++) {
            const gm_node *nd = &nodes->nodes[n];
            if (!nd->instance_type || left[n] <= 0) continue;
            gm_verdict v;
            assert_int_equal(gm_match(nd, req, &v, &err), 0);
            bool ok = v.ok;
            gm_verdict_free(&v);
            if (!ok) continue;
            if (best < 0) { best = (long)n; continue; }
            double pb = nodes->nodes[best].price, pn = nd->price;
            if ((pb < 0 && pn >= 0) || (pn >= 0 && pb >= 0 && pn < pb)) best = (long)n;
        }
        if (best >= 0) {
            assert_int_equal(e->kind, GM_PLACE_INSTANCE_TYPE);
            assert_int_equal(e->node, (size_t)best);
            left[best]--;
            continue;
        }
        assert_int_equal(e->kind, GM_PLACE_UNSCHEDULABLE);
        assert_non_null(e->reasons);
        assert_true(e->reasons->n >= 1);
        /* every instance type is accounted for by name (or in "N more kinds") */
        bool more = false;
        for (size_t k = 0; k < e->reasons->n; k++) more |= strstr(e->reasons->items[k], " more kinds: ") != NULL;
        for (size_t n = 0; n < nodes->n && !more; n++) {
            if (!nodes->nodes[n].instance_type) continue;
            bool named = false;
            char pat[64], pat2[64];
            snprintf(pat, sizeof pat, "instance type %s:", nodes->nodes[n].instance_type);
            snprintf(pat2, sizeof pat2, "instance type %s,", nodes->nodes[n].instance_type);
            for (size_t k = 0; k < e->reasons->n; k++)
                named |= strstr(e->reasons->items[k], pat) || strstr(e->reasons->items[k], pat2);
            assert_true(named);
        }
    }
    free(order);
    free(left);
    free(bk);
}

static void test_plan_property(void **st) {
    (void)st;
    seed_from_env();
    size_t kinds[4] = {0};
    for (int round = 0; round < 60; round++) {
        gm_node_list nodes = {0};
        gm_requirement_list q = {0};
        gm_plan p;
        gm_error err = {0};
        gen_inventory(&nodes, 2 + (int)rnd(10), 40);
        gen_queue(&q, 5 + (int)rnd(40));
        assert_int_equal(gm_plan_run(&nodes, &q, NULL, &p, &err), 0);
        check_plan(&nodes, &q, &p);
        kinds[1] += p.n_on_nodes;
        kinds[2] += p.n_on_types;
        kinds[3] += p.n_unschedulable;
        /* determinism: same input, same answer */
        gm_plan p2;
        assert_int_equal(gm_plan_run(&nodes, &q, NULL, &p2, &err), 0);
        char *a = gm_plan_to_json(&nodes, &q, &p, &err), *b = gm_plan_to_json(&nodes, &q, &p2, &err);
        assert_string_equal(a, b);
        free(a);
        free(b);
        gm_plan_free(&p2);
        gm_plan_free(&p);
        gm_node_list_free(&nodes);
        gm_requirement_list_free(&q);
    }
    /* all three outcomes must occur for the property to mean something */
    assert_true(kinds[1] > 20 && kinds[2] > 20 && kinds[3] > 20);
}

/* ---- table cases, expectations from the rules by hand ---- */
static void plan_text(const char *nodes_json, const char *queue_json, gm_node_list *nodes,
                      gm_requirement_list *q, gm_plan *p) {
    gm_error err = {0};
    assert_int_equal(gm_node_list_parse(nodes_json, strlen(nodes_json), "nodes", nodes, &err), 0);
    int rc = gm_requirement_list_parse(queue_json, strlen(queue_json), "queue", q, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(gm_plan_run(nodes, q, NULL, p, &err), 0);
}

#define A100(i) "{\"index\":" #i ",\"uuid\":\"GPU-A" #i "\",\"compute_capability\":\"8.0\",\"memory_mib\":81920}"

static void test_priority_and_no_double_booking(void **st) {
    (void)st;
    gm_node_list nodes = {0};
    gm_requirement_list q = {0};
    gm_plan p;
    /* two A100s; three one-GPU requests: the priority-5 one listed last goes first */
    plan_text("[{\"hostname\":\"a\",\"driver_version\":\"535.104.05\",\"devices\":[" A100(0) "," A100(1) "]}]",
              "[{\"id\":\"low\",\"cubin\":[\"sm_80\"]},{\"id\":\"low2\",\"cubin\":[\"sm_80\"]},"
              "{\"id\":\"high\",\"priority\":5,\"cubin\":[\"sm_80\"]}]",
              &nodes, &q, &p);
    assert_int_equal(p.entries[2].kind, GM_PLACE_NODE);
    assert_int_equal(p.entries[2].units[0].device, 0);
    assert_int_equal(p.entries[0].kind, GM_PLACE_NODE);
    assert_int_equal(p.entries[0].units[0].device, 1);
    assert_int_equal(p.entries[1].kind, GM_PLACE_UNSCHEDULABLE);
    assert_int_equal(p.entries[1].reasons->n, 1);
    assert_non_null(strstr(p.entries[1].reasons->items[0], "assigned to earlier requests"));
    gm_plan_free(&p);
    gm_node_list_free(&nodes);
    gm_requirement_list_free(&q);
}

static void test_cheapest_type_and_exhaustion(void **st) {
    (void)st;
    gm_node_list nodes = {0};
    gm_requirement_list q = {0};
    gm_plan p;
    /* sm_80 cubin runs on 8.0 and 8.6 (same major), not 9.0 or 7.5 */
    plan_text("[{\"instance_type\":\"h100\",\"price\":0.1,\"count\":5,\"driver_version\":\"580.95.05\","
              "\"devices\":[{\"index\":0,\"compute_capability\":\"9.0\"}]},"
              "{\"instance_type\":\"a10\",\"price\":1.0,\"count\":1,\"driver_version\":\"550.54.15\","
              "\"devices\":[{\"index\":0,\"compute_capability\":\"8.6\"}]},"
              "{\"instance_type\":\"t4\",\"price\":0.2,\"count\":5,\"driver_version\":\"550.54.15\","
              "\"devices\":[{\"index\":0,\"compute_capability\":\"7.5\"}]},"
              "{\"instance_type\":\"a100\",\"price\":3.0,\"count\":1,\"driver_version\":\"550.54.15\","
              "\"devices\":[{\"index\":0,\"compute_capability\":\"8.0\"}]}]",
              "[{\"id\":\"1\",\"cubin\":[\"sm_80\"]},{\"id\":\"2\",\"cubin\":[\"sm_80\"]},"
              "{\"id\":\"3\",\"cubin\":[\"sm_80\"]}]",
              &nodes, &q, &p);
    assert_int_equal(p.entries[0].kind, GM_PLACE_INSTANCE_TYPE);
    assert_string_equal(nodes.nodes[p.entries[0].node].instance_type, "a10");
    assert_int_equal(p.entries[1].kind, GM_PLACE_INSTANCE_TYPE);
    assert_string_equal(nodes.nodes[p.entries[1].node].instance_type, "a100");
    assert_int_equal(p.entries[2].kind, GM_PLACE_UNSCHEDULABLE);
    /* one line per distinct reason: the two used-up types share one */
    assert_int_equal(p.entries[2].reasons->n, 3);
    assert_non_null(strstr(p.entries[2].reasons->items[0], "instance type h100: "));
    assert_non_null(strstr(p.entries[2].reasons->items[0], "GPU 0: no cubin for major 9"));
    assert_non_null(strstr(p.entries[2].reasons->items[2],
                           "instance type a10, instance type a100: fits, but every instance"));
    gm_plan_free(&p);
    gm_node_list_free(&nodes);
    gm_requirement_list_free(&q);
}

static void test_mig_units_and_copies(void **st) {
    (void)st;
    gm_node_list nodes = {0};
    gm_requirement_list q = {0};
    gm_plan p;
    /* GPU 0 in MIG mode with two 20 GiB instances; 2 identical machines */
    plan_text("[{\"hostname\":\"m\",\"count\":2,\"driver_version\":\"550.54.15\",\"devices\":["
              "{\"index\":0,\"compute_capability\":\"8.0\",\"memory_mib\":40960,\"mig_mode\":\"enabled\","
              "\"mig_devices\":[{\"uuid\":\"MIG-a\",\"memory_mib\":20096},{\"uuid\":\"MIG-b\",\"memory_mib\":20096}]}]}]",
              "[{\"id\":\"two\",\"cubin\":[\"sm_80\"],\"device_count\":2},"
              "{\"id\":\"big\",\"cubin\":[\"sm_80\"],\"min_memory_mib\":30000},"
              "{\"id\":\"one\",\"cubin\":[\"sm_80\"]}]",
              &nodes, &q, &p);
    /* MIG User Guide, "CUDA Device Enumeration": "a single CUDA process can only
     * enumerate a single MIG device" - two MIG slices never serve a 2-GPU request. */
    assert_int_equal(p.entries[0].kind, GM_PLACE_UNSCHEDULABLE);
    bool named = false;
    for (size_t i = 0; i < p.entries[0].reasons->n; i++)
        named |= strstr(p.entries[0].reasons->items[i], "single MIG device") != NULL;
    assert_true(named);
    assert_int_equal(p.entries[1].kind, GM_PLACE_UNSCHEDULABLE); /* instances are 20 GiB */
    assert_int_equal(p.entries[2].kind, GM_PLACE_NODE);
    assert_int_equal(p.entries[2].copy, 0);
    assert_int_equal(p.entries[2].units[0].mig, 0);
    gm_error err = {0};
    char *t = gm_plan_to_text(&nodes, &q, &p, &err);
    assert_non_null(strstr(t, "one (priority 0): node m#0, device 0:0 (MIG-a)"));
    free(t);
    gm_plan_free(&p);
    gm_node_list_free(&nodes);
    gm_requirement_list_free(&q);
}

/* Entry points and their names are part of a request's reasons (gm_match
 * names the entry point whose variants do not run): two requests that differ
 * only in them are two shapes, each with its own reason list. */
static void test_entry_points_make_shapes(void **st) {
    (void)st;
    gm_node_list nodes = {0};
    gm_requirement_list q = {0};
    gm_plan p;
    /* an sm_100 cubin runs only on CC 10.x; the node has an A100 (8.0) */
    plan_text("[{\"hostname\":\"a\",\"driver_version\":\"535.104.05\",\"devices\":[" A100(0) "]}]",
              "[{\"id\":\"a\",\"entry_points\":[{\"name\":\"prog-a\",\"variants\":[{\"modules\":"
              "[{\"name\":\"ka\",\"cubin\":[\"sm_100\"]}]}]}]},"
              "{\"id\":\"b\",\"entry_points\":[{\"name\":\"prog-b\",\"variants\":[{\"modules\":"
              "[{\"name\":\"kb\",\"cubin\":[\"sm_100\"]}]}]}]}]",
              &nodes, &q, &p);
    assert_int_equal(p.entries[0].kind, GM_PLACE_UNSCHEDULABLE);
    assert_int_equal(p.entries[1].kind, GM_PLACE_UNSCHEDULABLE);
    assert_int_not_equal(p.entries[0].reason_set, p.entries[1].reason_set);
    assert_non_null(strstr(p.entries[0].reasons->items[0], "prog-a"));
    assert_non_null(strstr(p.entries[1].reasons->items[0], "prog-b"));
    gm_plan_free(&p);
    gm_node_list_free(&nodes);
    gm_requirement_list_free(&q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compiled_agrees_with_match),
        cmocka_unit_test(test_plan_property),
        cmocka_unit_test(test_priority_and_no_double_booking),
        cmocka_unit_test(test_cheapest_type_and_exhaustion),
        cmocka_unit_test(test_mig_units_and_copies),
        cmocka_unit_test(test_entry_points_make_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
