/* plan reports (gm_plan_write and its FILE/string forms): the text and JSON
 * of one small plan, worked out by hand from docs/plan.md (priority order,
 * first fit on fixed machines, cheapest type, a shape's reasons printed once)
 * and from gm_match's reasons; the sink form delivers the same bytes and
 * reports a failing sink; the number of threads does not change a plan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gpumatch/plan.h"

#define A100(i) "{\"index\":" #i ",\"uuid\":\"GPU-A" #i "\",\"compute_capability\":\"8.0\",\"memory_mib\":81920}"

/* a: two A100s; m: two identical machines, GPU 0 in MIG mode with two 20 GiB
 * instances (one without a uuid); l4: one instance of CC 8.9, 23034 MiB. */
static const char *inventory =
    "[{\"hostname\":\"a\",\"driver_version\":\"535.104.05\",\"devices\":[" A100(0) "," A100(1) "]},"
    "{\"hostname\":\"m\",\"count\":2,\"driver_version\":\"550.54.15\",\"devices\":["
    "{\"index\":0,\"compute_capability\":\"8.0\",\"memory_mib\":40960,\"mig_mode\":\"enabled\","
    "\"mig_devices\":[{\"uuid\":\"MIG-a\",\"memory_mib\":20096},{\"memory_mib\":20096}]}]},"
    "{\"instance_type\":\"l4\",\"price\":0.805,\"count\":1,\"driver_version\":\"550.54.15\","
    "\"devices\":[{\"index\":0,\"compute_capability\":\"8.9\",\"memory_mib\":23034}]}]";

/* Order of placement: x (2), y (1), then z, u, #4 in queue order, then v (-1). */
static const char *queue =
    "[{\"id\":\"x\",\"priority\":2,\"cubin\":[\"sm_80\"],\"device_count\":2},"
    "{\"id\":\"y\",\"priority\":1,\"cubin\":[\"sm_80\"]},"
    "{\"id\":\"z\",\"cubin\":[\"sm_80\"],\"min_memory_mib\":22000},"
    "{\"id\":\"u\",\"cubin\":[\"sm_80\"],\"min_memory_mib\":22000},"
    "{\"device_count\":0},"
    "{\"id\":\"v\",\"priority\":-1,\"cubin\":[\"sm_80\"],\"min_memory_mib\":22000}]";

/* x takes both A100s of a. y: a is full; a MIG instance serves a one-GPU
 * request, the first free unit of m's first machine is instance 0. z needs
 * 22000 MiB: the instances have 20096, the L4 23034 and CC 8.9 runs an sm_80
 * cubin (same major). u has z's shape: a and l4 fit but are taken; m's
 * reason is gm_match's (node reason, then the GPUs each unit reason names).
 * #4 asks for no device: the first machine that fits, full or not. v has
 * u's shape and names u. */
static const char *expect_text =
    "x (priority 2): node a, devices 0 (GPU-A0), 1 (GPU-A1)\n"
    "y (priority 1): node m#0, device 0:0 (MIG-a)\n"
    "z (priority 0): instance type l4 (price 0.805)\n"
    "u (priority 0): unschedulable\n"
    "  - node a: fits, but its compatible devices are assigned to earlier requests\n"
    "  - node m (and 1 like it): 1 compatible GPU needed, node has 0; GPU 0:0,0:1: memory 20096 "
    "MiB < 22000 MiB required\n"
    "  - instance type l4: fits, but every instance its count allows is taken by earlier requests\n"
    "#4 (priority 0): node a, devices none\n"
    "v (priority -1): unschedulable, for the reasons given for u\n"
    "6 requests: 3 on nodes, 1 on instance types, 2 unschedulable\n";

/* gm_json_dump's layout (indent 2, keys in order); a price as jansson writes
 * a double (17 significant digits); one reason list, set 0. */
static const char *expect_json =
    "{\n"
    "  \"placements\": [\n"
    "    {\n"
    "      \"id\": \"x\",\n"
    "      \"priority\": 2,\n"
    "      \"placement\": \"node\",\n"
    "      \"node\": \"a\",\n"
    "      \"devices\": [\n"
    "        {\n"
    "          \"index\": 0,\n"
    "          \"uuid\": \"GPU-A0\"\n"
    "        },\n"
    "        {\n"
    "          \"index\": 1,\n"
    "          \"uuid\": \"GPU-A1\"\n"
    "        }\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"id\": \"y\",\n"
    "      \"priority\": 1,\n"
    "      \"placement\": \"node\",\n"
    "      \"node\": \"m#0\",\n"
    "      \"devices\": [\n"
    "        {\n"
    "          \"index\": 0,\n"
    "          \"mig\": 0,\n"
    "          \"uuid\": \"MIG-a\"\n"
    "        }\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"id\": \"z\",\n"
    "      \"priority\": 0,\n"
    "      \"placement\": \"instance_type\",\n"
    "      \"instance_type\": \"l4\",\n"
    "      \"price\": 0.80500000000000005\n"
    "    },\n"
    "    {\n"
    "      \"id\": \"u\",\n"
    "      \"priority\": 0,\n"
    "      \"placement\": \"unschedulable\",\n"
    "      \"reason_set\": 0,\n"
    "      \"reasons\": [\n"
    "        \"node a: fits, but its compatible devices are assigned to earlier requests\",\n"
    "        \"node m (and 1 like it): 1 compatible GPU needed, node has 0; GPU 0:0,0:1: memory "
    "20096 MiB < 22000 MiB required\",\n"
    "        \"instance type l4: fits, but every instance its count allows is taken by earlier "
    "requests\"\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"id\": \"#4\",\n"
    "      \"priority\": 0,\n"
    "      \"placement\": \"node\",\n"
    "      \"node\": \"a\",\n"
    "      \"devices\": []\n"
    "    },\n"
    "    {\n"
    "      \"id\": \"v\",\n"
    "      \"priority\": -1,\n"
    "      \"placement\": \"unschedulable\",\n"
    "      \"reason_set\": 0,\n"
    "      \"same_reasons_as\": \"u\"\n"
    "    }\n"
    "  ],\n"
    "  \"summary\": {\n"
    "    \"requests\": 6,\n"
    "    \"on_nodes\": 3,\n"
    "    \"on_instance_types\": 1,\n"
    "    \"unschedulable\": 2\n"
    "  },\n"
    "  \"schema_version\": 1\n"
    "}\n";

typedef struct {
    gm_node_list nodes;
    gm_requirement_list q;
    gm_plan p;
} fixture;

static void load(fixture *f, const char *nodes, const char *q, int threads) {
    gm_error err = {0};
    memset(f, 0, sizeof *f);
    assert_int_equal(gm_node_list_parse(nodes, strlen(nodes), "nodes", &f->nodes, &err), 0);
    assert_int_equal(gm_requirement_list_parse(q, strlen(q), "queue", &f->q, &err), 0);
    gm_plan_options o = {.threads = threads};
    assert_int_equal(gm_plan_run(&f->nodes, &f->q, &o, &f->p, &err), 0);
}

static void unload(fixture *f) {
    gm_plan_free(&f->p);
    gm_requirement_list_free(&f->q);
    gm_node_list_free(&f->nodes);
}

static void test_text_and_json(void **st) {
    (void)st;
    fixture f;
    load(&f, inventory, queue, 0);
    gm_error err = {0};
    char *t = gm_plan_to_text(&f.nodes, &f.q, &f.p, &err);
    assert_non_null(t);
    assert_string_equal(t, expect_text);
    char *j = gm_plan_to_json(&f.nodes, &f.q, &f.p, &err);
    assert_non_null(j);
    assert_string_equal(j, expect_json);
    free(t);
    free(j);
    unload(&f);
}

/* Collects what the sink is given, in how many pieces. */
typedef struct {
    char *s;
    size_t len, calls, fail_after;
} collect;

static int collect_sink(void *ctx, const char *data, size_t len) {
    collect *c = ctx;
    if (c->fail_after && c->calls >= c->fail_after) return -1;
    c->calls++;
    c->s = realloc(c->s, c->len + len + 1);
    assert_non_null(c->s);
    memcpy(c->s + c->len, data, len);
    c->len += len;
    c->s[c->len] = 0;
    return 0;
}

static void test_sink(void **st) {
    (void)st;
    fixture f;
    load(&f, inventory, queue, 1);
    gm_error err = {0};
    collect c = {0};
    assert_int_equal(gm_plan_write(GM_PLAN_TEXT, collect_sink, &c, &f.nodes, &f.q, &f.p, &err), 0);
    assert_string_equal(c.s, expect_text);
    free(c.s);
    memset(&c, 0, sizeof c);
    assert_int_equal(gm_plan_write(GM_PLAN_JSON, collect_sink, &c, &f.nodes, &f.q, &f.p, &err), 0);
    assert_string_equal(c.s, expect_json);
    free(c.s);
    unload(&f);

    /* a report larger than one piece arrives whole and in order; a sink that
     * refuses stops it with an I/O error */
    char *big = malloc(64 + 3000 * 48);
    assert_non_null(big);
    size_t n = (size_t)sprintf(big, "[");
    for (int i = 0; i < 3000; i++)
        n += (size_t)sprintf(big + n, "%s{\"id\":\"request-%05d\",\"cubin\":[\"sm_80\"]}", i ? "," : "", i);
    sprintf(big + n, "]");
    load(&f, inventory, big, 0);
    free(big);
    char *whole = gm_plan_to_text(&f.nodes, &f.q, &f.p, &err);
    assert_non_null(whole);
    memset(&c, 0, sizeof c);
    assert_int_equal(gm_plan_write(GM_PLAN_TEXT, collect_sink, &c, &f.nodes, &f.q, &f.p, &err), 0);
    assert_true(c.calls > 1);
    assert_string_equal(c.s, whole);
    free(c.s);
    free(whole);
    memset(&c, 0, sizeof c);
    c.fail_after = 1;
    err = (gm_error){0};
    assert_int_equal(gm_plan_write(GM_PLAN_JSON, collect_sink, &c, &f.nodes, &f.q, &f.p, &err), GM_EIO);
    assert_int_equal(err.code, GM_EIO);
    free(c.s);
    unload(&f);
}

/* Reason lists built on 1 or 4 threads: the same plan, byte for byte. */
static void test_threads_same_plan(void **st) {
    (void)st;
    char *q = malloc(64 + 400 * 96);
    assert_non_null(q);
    size_t n = (size_t)sprintf(q, "[");
    static const char *cubins[] = {"sm_75", "sm_80", "sm_90", "sm_100", "sm_86"};
    for (int i = 0; i < 400; i++)
        n += (size_t)sprintf(q + n, "%s{\"id\":\"r%d\",\"cubin\":[\"%s\"],\"device_count\":%d,"
                             "\"min_memory_mib\":%d}", i ? "," : "", i, cubins[i % 5], 1 + i % 3,
                             (i % 7) * 5000);
    sprintf(q + n, "]");
    fixture one, four;
    load(&one, inventory, q, 1);
    load(&four, inventory, q, 4);
    free(q);
    assert_true(one.p.n_reason_sets > 4);
    gm_error err = {0};
    char *a = gm_plan_to_json(&one.nodes, &one.q, &one.p, &err);
    char *b = gm_plan_to_json(&four.nodes, &four.q, &four.p, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a);
    free(b);
    unload(&one);
    unload(&four);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_and_json),
        cmocka_unit_test(test_sink),
        cmocka_unit_test(test_threads_same_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
