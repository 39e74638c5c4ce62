/* Reentrancy: match, plan and inspect from several threads at once give the
 * answers they give alone. Each thread has its own inventory and queue (its
 * own prices and priorities), so shared state in a sort comparator or a
 * parser would hand one thread another's order. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "gpumatch/gpumatch.h"

#define NTHREADS 4
#define ROUNDS 300
#define FULL_ROUNDS 3
#define NREQ 300
#define NMATCH 40

typedef struct {
    int id;
    char nodes[4096], *queue;
    gm_node_list inv;
    gm_requirement_list q;
    char *want_plan, *want_req, *want_match, *want_sig;
    int failures;
} job;


/* Inventory: fixed nodes plus instance types priced so that their order
 * depends on the thread; queue priorities differ per thread too. */
static void make_docs(job *j) {
    int k = j->id;
    snprintf(j->nodes, sizeof j->nodes,
             "{\"nodes\": ["
             "{\"hostname\": \"v100-%d\", \"driver_version\": \"535.104.05\", \"devices\": ["
             "{\"index\": 0, \"name\": \"Tesla V100\", \"compute_capability\": \"7.0\", \"memory_mib\": 16160}]},"
             "{\"hostname\": \"a100-%d\", \"driver_version\": \"570.26\", \"devices\": ["
             "{\"index\": 0, \"name\": \"A100\", \"compute_capability\": \"8.0\", \"memory_mib\": 40960},"
             "{\"index\": 1, \"name\": \"A100\", \"compute_capability\": \"8.0\", \"memory_mib\": 40960}]},"
             "{\"hostname\": \"t-a\", \"instance_type\": \"a-%d\", \"price\": %d.5, \"count\": 2, "
             "\"driver_version\": \"570.26\", \"devices\": [{\"index\": 0, \"name\": \"L4\", "
             "\"compute_capability\": \"8.9\", \"memory_mib\": 23034}]},"
             "{\"hostname\": \"t-b\", \"instance_type\": \"b-%d\", \"price\": %d.5, \"count\": 2, "
             "\"driver_version\": \"570.26\", \"devices\": [{\"index\": 0, \"name\": \"H100\", "
             "\"compute_capability\": \"9.0\", \"memory_mib\": 81559}]}]}",
             k, k, k, 1 + k, k, 4 - k);
    /* Long enough that a sort takes a while: a comparator reading another
     * thread's queue would then reorder this one. */
    size_t cap = NREQ * 64 + 8;
    j->queue = malloc(cap);
    assert_non_null(j->queue);
    size_t n = (size_t)snprintf(j->queue, cap, "[");
    for (int i = 0; i < NREQ; i++)
        n += (size_t)snprintf(j->queue + n, cap - n,
                              "%s{\"min_compute_capability\": \"%s\", \"priority\": %d}", i ? "," : "",
                              (i + k) % 3 == 0 ? "8.0" : (i % 2 ? "7.0" : "8.9"), (i * (k + 3)) % 97);
    snprintf(j->queue + n, cap - n, "]");
}

/* The long queue is parsed once per thread (in concurrent()), so the plans'
 * sorts make up much of a round and overlap between threads; the small
 * inventory is parsed in every round. */
static int once(job *j, char **plan_json, char **req_json, char **match_text) {
    gm_node_list inv2 = {0};
    gm_plan p;
    memset(&p, 0, sizeof p);
    int rc = gm_node_list_parse(j->nodes, strlen(j->nodes), "nodes", &inv2, NULL);
    const gm_node_list inv = j->inv; /* inv2 must equal it; the plan uses the shared one */
    const gm_requirement_list q = j->q;
    if (!rc) rc = gm_plan_run(&inv, &q, NULL, &p, NULL);
    if (!rc) *plan_json = gm_plan_to_json(&inv, &q, &p, NULL);
    /* match: every request against every node, as one line of verdicts */
    char buf[4096] = "";
    for (size_t r = 0; !rc && r < q.n && r < NMATCH; r++)
        for (size_t n = 0; n < inv.n; n++) {
            gm_verdict v;
            if (gm_match(&inv.nodes[n], &q.items[r], &v, NULL) < 0) { rc = -1; break; }
            strncat(buf, v.ok ? "y" : "n", sizeof buf - strlen(buf) - 1);
            gm_verdict_free(&v);
        }
    if (!rc) *match_text = strdup(buf);
    /* inspect: a real nvcc fat binary (tests/inspect/data, sm_90a + sm_100f, zstd) */
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/inspect/data/sm90a_sm100f_zstd.fatbin", getenv("GM_SRC"));
    gm_inspect in;
    gm_inspect_init(&in, GM_FATBIN_VERIFY);
    gm_requirement req;
    gm_requirement_init(&req);
    if (!rc) rc = gm_inspect_add_path(&in, path, NULL, NULL);
    if (!rc) rc = gm_inspect_requirement(&in, &req, NULL);
    if (!rc) *req_json = gm_requirement_to_json(&req, NULL);
    gm_requirement_free(&req);
    gm_inspect_free(&in);
    gm_plan_free(&p);
    gm_node_list_free(&inv2);
    return rc;
}

/* The placement of every request, "kind node copy" per entry. */
static char *plan_sig(const job *j) {
    gm_plan p;
    memset(&p, 0, sizeof p);
    gm_plan_options opt = {.no_reasons = true};
    if (gm_plan_run(&j->inv, &j->q, &opt, &p, NULL) < 0)
        return NULL;
    size_t cap = p.n * 24 + 1, n = 0;
    char *s = malloc(cap);
    for (size_t i = 0; s && i < p.n; i++)
        n += (size_t)snprintf(s + n, cap - n, "%d %zu %ld;", (int)p.entries[i].kind,
                              p.entries[i].node, p.entries[i].copy);
    gm_plan_free(&p);
    return s;
}

static pthread_barrier_t start;

static void *worker(void *arg) {
    job *j = arg;
    for (int r = 0; r < ROUNDS; r++) {
        pthread_barrier_wait(&start); /* every round starts together, so the sorts overlap */
        char *sig = plan_sig(j);
        if (!sig || strcmp(sig, j->want_sig))
            j->failures++;
        free(sig);
    }
    for (int r = 0; r < FULL_ROUNDS; r++) {
        char *pj = NULL, *rj = NULL, *mt = NULL;
        if (once(j, &pj, &rj, &mt) != 0 || !pj || !rj || !mt || strcmp(pj, j->want_plan) ||
            strcmp(rj, j->want_req) || strcmp(mt, j->want_match))
            j->failures++;
        free(pj);
        free(rj);
        free(mt);
    }
    return NULL;
}

static void concurrent(void **state) {
    static job jobs[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        jobs[i].id = i;
        make_docs(&jobs[i]);
        assert_int_equal(gm_node_list_parse(jobs[i].nodes, strlen(jobs[i].nodes), "nodes",
                                            &jobs[i].inv, NULL), 0);
        assert_int_equal(gm_requirement_list_parse(jobs[i].queue, strlen(jobs[i].queue), "queue",
                                                   &jobs[i].q, NULL), 0);
        /* the reference: the same work alone, before any thread starts */
        assert_int_equal(once(&jobs[i], &jobs[i].want_plan, &jobs[i].want_req, &jobs[i].want_match), 0);
        assert_non_null(jobs[i].want_sig = plan_sig(&jobs[i]));
    }
    /* The per-thread inventories must plan differently, or the test could not
     * see one thread using another's sort order. */
    assert_true(strcmp(jobs[0].want_plan, jobs[3].want_plan) != 0);
    pthread_t t[NTHREADS];
    assert_int_equal(pthread_barrier_init(&start, NULL, NTHREADS), 0);
    for (int i = 0; i < NTHREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < NTHREADS; i++) {
        if (jobs[i].failures)
            fail_msg("thread %d: %d of %d rounds differed from the single-threaded answer", i,
                     jobs[i].failures, ROUNDS + FULL_ROUNDS);
        free(jobs[i].want_plan);
        free(jobs[i].want_req);
        free(jobs[i].want_match);
        free(jobs[i].want_sig);
        free(jobs[i].queue);
        gm_node_list_free(&jobs[i].inv);
        gm_requirement_list_free(&jobs[i].q);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(concurrent)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
