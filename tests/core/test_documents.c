/* Node and requirement documents (strict parsing, Arvados forms, round trip)
 * and match() verdicts with their reasons. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/match.h"

static const char *NODE_A100 =
    "{\"hostname\":\"a\",\"driver_version\":\"535.104.05\",\"cuda_driver_version\":12020,"
    "\"devices\":[{\"index\":0,\"uuid\":\"GPU-0\",\"name\":\"A100\",\"brand\":\"nvidia\","
    "\"compute_capability\":\"8.0\",\"memory_mib\":81920},"
    "{\"index\":1,\"compute_capability\":\"8.0\",\"memory_mib\":81920,\"mig_mode\":\"enabled\","
    "\"mig_devices\":[{\"uuid\":\"MIG-1\",\"profile\":\"1g.10gb\",\"memory_mib\":9856,\"gi\":7,\"ci\":0}]}]}";

static void parse_node(const char *text, gm_node_list *l) {
    gm_error e = {0};
    if (gm_node_list_parse(text, strlen(text), "n.json", l, &e) < 0)
        fail_msg("node parse failed: %s", e.msg);
}

static void parse_req(const char *text, gm_requirement *r) {
    gm_error e = {0};
    gm_requirement_init(r);
    if (gm_requirement_parse(text, strlen(text), "r.json", r, &e) < 0)
        fail_msg("requirement parse failed: %s", e.msg);
}

static void expect_req_error(const char *text, const char *needle) {
    gm_requirement r;
    gm_error e = {0};
    gm_requirement_init(&r);
    assert_true(gm_requirement_parse(text, strlen(text), "r.json", &r, &e) < 0);
    if (!strstr(e.msg, needle))
        fail_msg("error '%s' lacks '%s'", e.msg, needle);
    assert_non_null(strstr(e.msg, "r.json"));
    gm_requirement_free(&r);
}

static void expect_node_error(const char *text, const char *needle) {
    gm_node_list l = {0};
    gm_error e = {0};
    assert_true(gm_node_list_parse(text, strlen(text), "n.json", &l, &e) < 0);
    if (!strstr(e.msg, needle))
        fail_msg("error '%s' lacks '%s'", e.msg, needle);
    gm_node_list_free(&l);
}

static void node_document(void **state) {
    gm_node_list l = {0};
    parse_node(NODE_A100, &l);
    assert_int_equal(l.n, 1);
    gm_node *n = &l.nodes[0];
    assert_string_equal(n->hostname, "a");
    assert_int_equal(n->cuda_driver.major, 12);
    assert_int_equal(n->cuda_driver.minor, 2);
    assert_int_equal(n->n_devices, 2);
    assert_int_equal(n->devices[1].mig_mode, GM_MIG_ENABLED);
    assert_int_equal(n->devices[1].mig[0].gi, 7);
    /* Round trip through the printer. */
    char *s = gm_node_to_json(n, NULL);
    gm_node_list l2 = {0};
    parse_node(s, &l2);
    char *s2 = gm_node_to_json(&l2.nodes[0], NULL);
    assert_string_equal(s, s2);
    free(s);
    free(s2);
    gm_node_list_free(&l2);
    gm_node_list_free(&l);
}

static void node_errors(void **state) {
    expect_node_error("{\"hostname\":\"a\",\"drivr_version\":\"535.1\"}", "unknown field \"drivr_version\"");
    expect_node_error("{\"devices\":[{\"compute_capability\":\"8.x\"}]}", "$.devices[0].compute_capability");
    expect_node_error("{\"devices\":[{\"compute_capability\":\"8.0\",\"cc\":1}]}", "$.devices[0]: unknown field \"cc\"");
    expect_node_error("{\"driver_version\":\"535..1\"}", "535..1");
    expect_node_error("{\"hostname\": ", "invalid JSON");
    expect_node_error("[1]", "$[0]");
    expect_node_error("{\"devices\":[{\"compute_capability\":\"8.0\",\"mig_mode\":\"on\"}]}", "mig_mode");
}

static void requirement_forms(void **state) {
    gm_requirement r;
    parse_req("{\"min_driver\":\"525.60.13\",\"cubin\":[\"8.0\",\"sm_90\"],\"ptx\":\"9.0\"}", &r);
    assert_int_equal(r.n_modules, 1);
    assert_int_equal(r.modules[0].n_cubin, 2);
    assert_int_equal(r.modules[0].cubin[1].cc.major, 9);
    assert_int_equal(r.modules[0].ptx[0].kind, GM_KIND_PTX);
    assert_int_equal(r.device_count, 1);
    char *s = gm_requirement_to_json(&r, NULL);
    gm_requirement r2;
    parse_req(s, &r2);
    char *s2 = gm_requirement_to_json(&r2, NULL);
    assert_string_equal(s, s2);
    free(s);
    free(s2);
    gm_requirement_free(&r2);
    gm_requirement_free(&r);

    /* Arvados: one hardware_target is a minimum, vram in bytes, driver_version a CUDA version. */
    parse_req("{\"runtime_constraints\":{\"vcpus\":2,\"gpu\":{\"stack\":\"cuda\",\"device_count\":2,"
              "\"driver_version\":\"12.10\",\"hardware_target\":[\"8.6\"],\"vram\":8589934592}},"
              "\"command\":[\"x\"]}", &r);
    assert_true(r.has_min_cc);
    assert_int_equal(r.min_cc.minor, 6);
    assert_int_equal(r.device_count, 2);
    assert_int_equal(r.min_memory_mib, 8192);
    assert_int_equal(r.min_cuda_driver.minor, 10);
    gm_requirement_free(&r);
    /* Several hardware targets: an exact list. */
    /* (driver_version is required with GPUs: container_request.rb) */
    parse_req("{\"gpu\":{\"stack\":\"cuda\",\"device_count\":1,\"driver_version\":\"12.0\",\"hardware_target\":[\"8.0\",\"9.0\"]}}", &r);
    assert_false(r.has_min_cc);
    assert_int_equal(r.n_exact_cc, 2);
    gm_requirement_free(&r);
    /* Legacy cuda block. */
    parse_req("{\"cuda\":{\"device_count\":1,\"driver_version\":\"11.0\",\"hardware_capability\":\"7.5\"}}", &r);
    assert_true(r.has_min_cc && r.has_min_cuda_driver);
    gm_requirement_free(&r);
}

static void requirement_errors(void **state) {
    expect_req_error("{\"cubn\":[\"8.0\"]}", "$: unknown field \"cubn\"");
    expect_req_error("{\"cubin\":[\"8.x\"]}", "$.cubin[0]");
    expect_req_error("{\"cubin\":[\"compute_80\"]}", "PTX target");
    expect_req_error("{\"modules\":[{\"name\":\"m\",\"cubn\":[]}]}", "$.modules[0]: unknown field");
    expect_req_error("{\"min_driver\":\"535..1\"}", "$.min_driver");
    expect_req_error("{\"gpu\":{\"stack\":\"rocm\",\"device_count\":1}}", "rocm");
    expect_req_error("{\"gpu\":{\"stack\":\"cuda\",\"hardware_targets\":[]}}", "$.gpu: unknown field");
    expect_req_error("{\"nvidia_require\":[\"cuda>>12\"]}", "nvidia_require[0]");
    expect_req_error("[", "invalid JSON");
}

static gm_verdict run(const char *node, const char *req, gm_node_list *l, gm_requirement *r) {
    gm_verdict v;
    gm_error e = {0};
    parse_node(node, l);
    parse_req(req, r);
    if (gm_match(&l->nodes[0], r, &v, &e) < 0)
        fail_msg("match failed: %s", e.msg);
    return v;
}

static bool has(const gm_strlist *s, const char *needle) {
    for (size_t i = 0; i < s->n; i++)
        if (strstr(s->items[i], needle))
            return true;
    return false;
}

static void matching(void **state) {
    gm_node_list l = {0};
    gm_requirement r;
    /* Seed requirement on an A100 with one whole GPU and one MIG slice. */
    gm_verdict v = run(NODE_A100, "{\"min_driver\":\"525.60.13\",\"cubin\":[\"8.0\"],\"ptx\":\"9.0\"}", &l, &r);
    assert_true(v.ok);
    assert_int_equal(v.n_units, 2);
    assert_int_equal(v.units[1].mig, 0);
    assert_int_equal(v.n_compatible, 2);
    gm_verdict_free(&v);
    gm_node_list_free(&l);
    gm_requirement_free(&r);
    /* Memory: the MIG slice is too small. */
    v = run(NODE_A100, "{\"cubin\":[\"8.0\"],\"min_memory_mib\":20000,\"device_count\":2}", &l, &r);
    assert_false(v.ok);
    assert_true(has(&v.units[1].reasons, "memory 9856 MiB < 20000 MiB required"));
    assert_true(has(&v.reasons, "2 compatible GPUs needed, node has 1"));
    gm_verdict_free(&v);
    gm_node_list_free(&l);
    gm_requirement_free(&r);
    /* Driver too old for the runtime, and sm_90 code only. */
    v = run("{\"driver_version\":\"470.57.02\",\"devices\":[{\"compute_capability\":\"7.5\"}]}",
            "{\"cuda_runtime\":\"12.0\",\"cubin\":[\"sm_90\"],\"ptx\":\"compute_80\"}", &l, &r);
    assert_false(v.ok);
    assert_true(has(&v.reasons, "driver 470.57.02 < 525.60.13 required by CUDA 12.0 runtime"));
    assert_true(has(&v.units[0].reasons, "no cubin for major 7 (has sm_90) and PTX compute_80 needs >= 8.0"));
    gm_verdict_free(&v);
    gm_node_list_free(&l);
    gm_requirement_free(&r);
    /* Minor version compatibility is a note; PTX of that newer ISA is still refused. */
    v = run("{\"driver_version\":\"535.104.05\",\"devices\":[{\"compute_capability\":\"9.0\"}]}",
            "{\"cuda_runtime\":\"12.8\",\"ptx\":\"compute_90\",\"ptx_isa\":\"8.7\"}", &l, &r);
    assert_false(v.ok);
    assert_true(has(&v.notes, "ok via minor version compatibility"));
    assert_true(has(&v.units[0].reasons, "needs a driver supporting CUDA 12.8"));
    gm_verdict_free(&v);
    gm_node_list_free(&l);
    gm_requirement_free(&r);
    /* An optional (arch-specific only) module never rules a device out. */
    v = run("{\"driver_version\":\"580.95.05\",\"devices\":[{\"compute_capability\":\"8.0\"}]}",
            "{\"modules\":[{\"name\":\"app\",\"cubin\":[\"sm_80\"]},"
            "{\"name\":\"tuned\",\"cubin\":[\"sm_90a\"],\"optional\":true}]}", &l, &r);
    assert_true(v.ok);
    assert_true(has(&v.units[0].notes, "optional tuned unused"));
    gm_verdict_free(&v);
    gm_node_list_free(&l);
    gm_requirement_free(&r);
    /* A required arch-specific module does. */
    v = run("{\"driver_version\":\"580.95.05\",\"devices\":[{\"compute_capability\":\"10.0\"}]}",
            "{\"cubin\":[\"sm_90a\"]}", &l, &r);
    assert_false(v.ok);
    assert_true(has(&v.units[0].reasons, "no cubin for major 10 (has sm_90a) and no PTX"));
    gm_verdict_free(&v);
    gm_node_list_free(&l);
    gm_requirement_free(&r);
    /* MIG enabled without instances: unusable. */
    v = run("{\"driver_version\":\"580.95.05\",\"devices\":[{\"compute_capability\":\"9.0\",\"mig_mode\":\"enabled\"}]}",
            "{\"cubin\":[\"sm_90\"]}", &l, &r);
    assert_false(v.ok);
    assert_true(has(&v.units[0].reasons, "MIG is enabled but no MIG instances"));
    gm_verdict_free(&v);
    gm_node_list_free(&l);
    gm_requirement_free(&r);
    /* Arvados driver_version compares as versions: 12.10 > 12.9. */
    v = run("{\"cuda_driver_version\":\"12.9\",\"devices\":[{\"compute_capability\":\"9.0\"}]}",
            "{\"gpu\":{\"stack\":\"cuda\",\"device_count\":1,\"driver_version\":\"12.10\","
            "\"hardware_target\":[\"9.0\"]}}", &l, &r);
    assert_false(v.ok);
    assert_true(has(&v.reasons, "driver supports CUDA 12.9 < 12.10 required"));
    gm_verdict_free(&v);
    gm_node_list_free(&l);
    gm_requirement_free(&r);
    /* Image requirement string, per device brand. */
    v = run("{\"driver_version\":\"470.57.02\",\"devices\":[{\"compute_capability\":\"7.5\",\"brand\":\"tesla\"},"
            "{\"compute_capability\":\"7.5\",\"brand\":\"geforce\"}]}",
            "{\"device_count\":1,\"nvidia_require\":[\"cuda>=12.2 brand=tesla,driver>=470,driver<471\"]}", &l, &r);
    assert_true(v.ok);
    assert_true(v.units[0].ok);
    assert_false(v.units[1].ok);
    assert_true(has(&v.units[1].reasons, "cuda>=12.2: driver supports CUDA 11.4"));
    gm_verdict_free(&v);
    gm_node_list_free(&l);
    gm_requirement_free(&r);
    /* Compute capability not known (e.g. probed from /proc): never compatible. */
    v = run("{\"driver_version\":\"580.95.05\",\"devices\":[{\"name\":\"Mystery\"}]}",
            "{\"ptx\":\"compute_50\"}", &l, &r);
    assert_false(v.ok);
    assert_true(has(&v.units[0].reasons, "compute capability unknown"));
    gm_verdict_free(&v);
    gm_node_list_free(&l);
    gm_requirement_free(&r);
}

/* Verdict text of the one node against one requirement. */
static bool verdict_of(const char *node, const char *req, char *why, size_t len) {
    gm_node_list l = {0};
    gm_requirement r;
    gm_verdict v;
    gm_error e = {0};
    parse_node(node, &l);
    parse_req(req, &r);
    assert_int_equal(gm_match(&l.nodes[0], &r, &v, &e), 0);
    why[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < v.n_units; i++)
        for (size_t k = 0; k < v.units[i].reasons.n; k++)
            used += (size_t)snprintf(why + used, len - used, "%s;", v.units[i].reasons.items[k]);
    for (size_t k = 0; k < v.reasons.n && used < len; k++)
        used += (size_t)snprintf(why + used, len - used, "%s;", v.reasons.items[k]);
    bool ok = v.ok;
    gm_verdict_free(&v);
    gm_requirement_free(&r);
    gm_node_list_free(&l);
    return ok;
}

/* A stated runtime decides the PTX ISA of modules that state none: CUDA 13.3
 * emits ISA 9.3 (PTX ISA release history), which an r595 driver (CUDA 13.2)
 * cannot JIT. A runtime newer than the tables is undecidable, not "newest known". */
static void ptx_isa_from_runtime(void **state) {
    const char *h100_595 = "{\"hostname\":\"h\",\"driver_version\":\"595.45.04\",\"devices\":["
                           "{\"index\":0,\"compute_capability\":\"9.0\"}]}";
    const char *h100_610 = "{\"hostname\":\"h\",\"driver_version\":\"610.43.02\",\"devices\":["
                           "{\"index\":0,\"compute_capability\":\"9.0\"}]}";
    char why[2048];
    assert_false(verdict_of(h100_595, "{\"cuda_runtime\":\"13.3\",\"ptx\":[\"compute_80\"]}",
                            why, sizeof why));
    if (!strstr(why, "ISA 9.3, which needs a driver supporting CUDA 13.3"))
        fail_msg("reason: %s", why);
    assert_true(verdict_of(h100_610, "{\"cuda_runtime\":\"13.3\",\"ptx\":[\"compute_80\"]}",
                           why, sizeof why));
    assert_false(verdict_of(h100_610, "{\"cuda_runtime\":\"13.6\",\"ptx\":[\"compute_80\"]}",
                            why, sizeof why));
    if (!strstr(why, "whose PTX ISA gpumatch's tables do not know") || !strstr(why, "undecidable"))
        fail_msg("reason: %s", why);
}

/* Versions as JSON numbers lose their text (12.10 is 12.1, 535.10 is 535.1):
 * refused. Unambiguous string forms are accepted: a branch "535" as a minimum,
 * "12.4.1" (CUDA_VERSION style) as a CUDA version. */
static void versions_as_strings(void **state) {
    expect_req_error("{\"cuda_runtime\": 12.10}", "write versions as strings");
    expect_req_error("{\"min_driver\": 535.10}", "write versions as strings");
    expect_req_error("{\"cubin\": [8.6]}", "write versions as strings");
    expect_node_error("{\"hostname\":\"x\",\"driver_version\":535.104,\"devices\":[]}",
                      "write versions as strings");
    gm_requirement r;
    parse_req("{\"min_driver\": \"535\", \"cuda_runtime\": \"12.4.1\"}", &r);
    assert_int_equal(r.min_driver.major, 535);
    assert_int_equal(r.cuda_runtime.major, 12);
    assert_int_equal(r.cuda_runtime.minor, 4);
    gm_driver_version d = {535, 54, 3, 3};
    assert_true(gm_driver_version_cmp(&d, &r.min_driver) >= 0);
    gm_requirement_free(&r);
}

/* nvidia-container-toolkit: an empty requirement is none; NVIDIA_DISABLE_REQUIRE
 * disables every constraint, so a malformed one beside it is no error. */
static void nvidia_require_documents(void **state) {
    gm_requirement r;
    parse_req("{\"nvidia_require\": [\"\"]}", &r);
    assert_int_equal(r.nvidia_require.n, 0);
    gm_requirement_free(&r);
    parse_req("{\"nvidia_require\": [\"cuda>>1\"], \"nvidia_disable_require\": true}", &r);
    gm_requirement_free(&r);
    expect_req_error("{\"nvidia_require\": [\"cuda>=.1\"]}", "is not a version");
    expect_req_error("{\"nvidia_require\": [\"cuda>=1..2\"]}", "is not a version");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(node_document), cmocka_unit_test(node_errors),
        cmocka_unit_test(requirement_forms), cmocka_unit_test(requirement_errors),
        cmocka_unit_test(matching), cmocka_unit_test(ptx_isa_from_runtime),
        cmocka_unit_test(versions_as_strings), cmocka_unit_test(nvidia_require_documents)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
