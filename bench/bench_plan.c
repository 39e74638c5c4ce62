/* bench_plan: 100 000 requests over 10 000 generated nodes (mixed GPU models
 * and drivers). Prints compiled (request, node) checks per second on one core,
 * the reference rate of gm_match on a subsample, their ratio, and the whole
 * plan time (without gm_match reasons for unschedulable requests, and with
 * them built on one thread and on every online CPU).
 * Usage: bench_plan [NODES] [REQUESTS]
 *        bench_plan --emit NODES.json QUEUE.json [NODES] [REQUESTS]: write the
 *        same documents, for timing the CLI (bench/bench_plan_cli.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpumatch/match.h"
#include "gpumatch/plan.h"
#include "gpumatch/sys/plan.h"

static uint64_t st = 88172645463325252ull;
static uint32_t rnd(uint32_t n) {
    st ^= st << 13;
    st ^= st >> 7;
    st ^= st << 17;
    return (uint32_t)(st % n);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct {
    char *s;
    size_t len, cap;
} buf;
static void put(buf *b, const char *s) {
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s) abort();
    }
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

static const struct {
    const char *name, *cc;
    int mem;
} models[] = {{"Tesla T4", "7.5", 15360},          {"Tesla V100-SXM2-32GB", "7.0", 32768},
              {"NVIDIA A100-SXM4-40GB", "8.0", 40960}, {"NVIDIA A100-SXM4-80GB", "8.0", 81920},
              {"NVIDIA A10", "8.6", 23028},        {"NVIDIA L4", "8.9", 23034},
              {"NVIDIA H100 80GB HBM3", "9.0", 81559}, {"NVIDIA B200", "10.0", 183359}};
static const char *drivers[] = {"470.57.02", "525.60.13", "535.104.05", "550.54.15",
                                "570.86.10", "580.95.05"};

static char *gen_nodes(int n) {
    buf b = {0};
    char tmp[512];
    put(&b, "[");
    for (int i = 0; i < n; i++) {
        int m = (int)rnd(8), g = 1 << rnd(4);
        bool type = i % 200 == 0; /* 1 in 200 entries is a cloud instance type */
        if (type)
            snprintf(tmp, sizeof tmp, "%s{\"instance_type\":\"type%d\",\"price\":%.3f,\"count\":50,",
                     i ? "," : "", i, 0.2 + rnd(10000) / 1000.0);
        else
            snprintf(tmp, sizeof tmp, "%s{\"hostname\":\"n%05d\",", i ? "," : "", i);
        put(&b, tmp);
        snprintf(tmp, sizeof tmp, "\"driver_version\":\"%s\",\"devices\":[", drivers[rnd(6)]);
        put(&b, tmp);
        for (int d = 0; d < g; d++) {
            int mm = rnd(10) == 0 ? (int)rnd(8) : m; /* some nodes mix models */
            snprintf(tmp, sizeof tmp,
                     "%s{\"index\":%d,\"uuid\":\"GPU-%d-%d\",\"name\":\"%s\",\"brand\":\"nvidia\","
                     "\"compute_capability\":\"%s\",\"memory_mib\":%d}",
                     d ? "," : "", d, i, d, models[mm].name, models[mm].cc, models[mm].mem);
            put(&b, tmp);
        }
        put(&b, "]}");
    }
    put(&b, "]");
    return b.s;
}

static const char *shapes[] = {
    "\"cuda_runtime\":\"12.1\",\"cubin\":[\"sm_70\",\"sm_75\",\"sm_80\",\"sm_86\",\"sm_90\"],"
    "\"ptx\":[\"compute_90\"],\"ptx_isa\":\"8.1\"",
    "\"cuda_runtime\":\"12.4\",\"cubin\":[\"sm_80\",\"sm_90\"]",
    "\"cuda_runtime\":\"11.8\",\"cubin\":[\"sm_75\"],\"ptx\":[\"compute_75\"],\"ptx_isa\":\"7.8\"",
    "\"cuda_runtime\":\"12.8\",\"cubin\":[\"sm_90\",\"sm_100\"],\"ptx\":[\"compute_100\"],\"ptx_isa\":\"8.7\"",
    "\"min_driver\":\"535.104.05\",\"min_compute_capability\":\"8.0\"",
    "\"cuda_runtime\":\"13.0\",\"cubin\":[\"sm_80\",\"sm_90\"],\"modules\":[{\"name\":\"k\","
    "\"cubin\":[\"sm_90a\"],\"optional\":true}]",
    "\"min_cuda_driver\":\"12.2\",\"compute_capabilities\":[\"8.6\",\"8.9\"]",
    "\"cuda_runtime\":\"12.2\",\"cubin\":[\"sm_80\"],\"nvidia_require\":[\"cuda>=12.2\"]"};

static char *gen_queue(int n) {
    buf b = {0};
    char tmp[1024];
    static const int mems[] = {0, 0, 16000, 40000, 80000};
    put(&b, "[");
    for (int i = 0; i < n; i++) {
        snprintf(tmp, sizeof tmp,
                 "%s{\"id\":\"r%d\",\"priority\":%u,\"device_count\":%d,\"min_memory_mib\":%d,%s}",
                 i ? "," : "", i, rnd(4), 1 << rnd(4), mems[rnd(5)], shapes[rnd(8)]);
        put(&b, tmp);
    }
    put(&b, "]");
    return b.s;
}

static int emit(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 4 && !strcmp(argv[1], "--emit")) {
        int en = argc > 4 ? atoi(argv[4]) : 10000, eq = argc > 5 ? atoi(argv[5]) : 100000;
        char *nt = gen_nodes(en), *qt = gen_queue(eq);
        int bad = emit(argv[2], nt) || emit(argv[3], qt);
        free(nt);
        free(qt);
        return bad;
    }
    int nn = argc > 1 ? atoi(argv[1]) : 10000, nq = argc > 2 ? atoi(argv[2]) : 100000;
    gm_error err = {0};
    gm_node_list nodes = {0};
    gm_requirement_list q = {0};
    char *nt = gen_nodes(nn), *qt = gen_queue(nq);
    if (gm_node_list_parse(nt, strlen(nt), "bench", &nodes, &err) ||
        gm_requirement_list_parse(qt, strlen(qt), "bench", &q, &err)) {
        fprintf(stderr, "bench_plan: %s\n", err.msg);
        return 1;
    }
    free(nt);
    free(qt);

    /* 1. compiled check throughput: 1000 requests x every node, one core */
    gm_plan_inventory *inv;
    if (gm_plan_inventory_compile(&nodes, &inv, &err)) return 1;
    size_t nr = q.n < 1000 ? q.n : 1000;
    gm_plan_creq **cr = calloc(nr, sizeof *cr);
    for (size_t r = 0; r < nr; r++)
        if (gm_plan_request_compile(inv, &q.items[r], &cr[r], &err)) return 1;
    uint64_t yes = 0, checks = 0;
    double t0 = now();
    for (size_t r = 0; r < nr; r++)
        for (size_t n = 0; n < nodes.n; n++) yes += gm_plan_check(inv, cr[r], n);
    double tc = now() - t0;
    checks = (uint64_t)nr * nodes.n;
    double cps = (double)checks / tc;

    /* 2. reference: gm_match on a subsample, and agreement on it */
    size_t ref_r = nr < 10 ? nr : 10, disagree = 0;
    t0 = now();
    for (size_t r = 0; r < ref_r; r++)
        for (size_t n = 0; n < nodes.n; n++) {
            gm_verdict v;
            if (gm_match(&nodes.nodes[n], &q.items[r], &v, &err)) return 1;
            disagree += v.ok != gm_plan_check(inv, cr[r], n);
            gm_verdict_free(&v);
        }
    double tm = now() - t0;
    double mps = (double)(ref_r * nodes.n) / tm;
    for (size_t r = 0; r < nr; r++) gm_plan_request_free(cr[r]);
    free(cr);
    gm_plan_inventory_free(inv);

    /* 3. whole plans */
    gm_plan p;
    gm_plan_options quiet = {.no_reasons = true};
    t0 = now();
    if (gm_plan_run(&nodes, &q, &quiet, &p, &err)) return 1;
    double tp = now() - t0;
    printf("inventory: %zu entries; queue: %zu requests\n", nodes.n, q.n);
    printf("compiled check: %llu checks in %.3f s = %.1f M checks/s (one core), %.1f%% fit\n",
           (unsigned long long)checks, tc, cps / 1e6, 100.0 * (double)yes / (double)checks);
    printf("gm_match reference: %zu matches in %.3f s = %.3f M/s; compiled/reference = %.0fx; "
           "disagreements: %zu\n",
           ref_r * nodes.n, tm, mps / 1e6, cps / mps, disagree);
    printf("plan (no reasons): %.3f s; %zu on nodes, %zu on instance types, %zu unschedulable; "
           "%llu kind checks\n",
           tp, p.n_on_nodes, p.n_on_types, p.n_unschedulable, (unsigned long long)p.checks);
    gm_plan_free(&p);
    /* reasons on one thread, then on one per online CPU (the CLI's default) */
    gm_plan_options one = {.threads = 1};
    t0 = now();
    if (gm_plan_run(&nodes, &q, &one, &p, &err)) return 1;
    double tr1 = now() - t0;
    size_t sets = p.n_reason_sets;
    gm_plan_free(&p);
    t0 = now();
    if (gm_plan_run(&nodes, &q, NULL, &p, &err)) return 1;
    double tr = now() - t0;
    printf("plan (with gm_match reasons for unschedulable, %zu reason lists): %.3f s on one "
           "thread, %.3f s on all CPUs (%.2fx)\n",
           sets, tr1, tr, tr1 / tr);
    printf("targets: >= 20 M checks/s per core: %s; whole plan (placement) < 1 s: %s\n",
           cps >= 20e6 ? "met" : "MISSED", tp < 1.0 ? "met" : "MISSED");
    gm_plan_free(&p);
    gm_node_list_free(&nodes);
    gm_requirement_list_free(&q);
    return disagree ? 1 : 0;
}
