/* Unit tests for probe: recorded nvidia-smi XML, stub NVML/libcuda loaded by
 * dlopen, a fake /proc tree, CUDA/NVIDIA_VISIBLE_DEVICES. Expected documents
 * under data/ were written by hand from the inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/probe.h"
#include "internal.h"
#include "probe/probe_int.h"

static char path_buf[4][1024];

static const char *data(int slot, const char *rel) {
    const char *d = getenv("GM_PROBE_DATA");
    assert_non_null(d);
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", d, rel);
    return path_buf[slot];
}

static const char *stub(int slot, const char *which) {
    const char *d = getenv(strcmp(which, "nosym") ? "GM_STUB_DIR" : "GM_STUB_NOSYM_DIR");
    assert_non_null(d);
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", d,
             strcmp(which, "cuda") ? "libnvidia-ml.so.1" : "libcuda.so.1");
    return path_buf[slot];
}

static void scenario(const char *name) {
    char rel[128];
    snprintf(rel, sizeof rel, "nvml/%s.scn", name);
    setenv("GM_STUB_SCENARIO", data(3, rel), 1);
}

/* The node's JSON (without hostname) must equal the expected file. */
static void expect_doc(const gm_node *n, const char *rel) {
    gm_error err = {0};
    char *s = gm_node_to_json(n, &err);
    assert_non_null(s);
    json_t *got = json_loads(s, 0, NULL);
    assert_non_null(got);
    json_object_del(got, "hostname");
    json_error_t je;
    json_t *exp = json_load_file(data(0, rel), 0, &je);
    if (!exp) fail_msg("%s: %s", rel, je.text);
    if (!json_equal(got, exp)) {
        char *e = json_dumps(exp, JSON_INDENT(2) | JSON_SORT_KEYS);
        char *g = json_dumps(got, JSON_INDENT(2) | JSON_SORT_KEYS);
        print_error("expected (%s):\n%s\ngot:\n%s\n", rel, e, g);
        free(e);
        free(g);
        fail();
    }
    json_decref(got);
    json_decref(exp);
    free(s);
}

static int probe_with(gm_probe_opts *o, gm_node *n, gm_strlist *notes, gm_error *err) {
    gm_node_init(n);
    return gm_probe_ex(o, n, notes, NULL, err);
}

static void clear_visible(void) {
    unsetenv("CUDA_VISIBLE_DEVICES");
    unsetenv("NVIDIA_VISIBLE_DEVICES");
}

/* ---- nvidia-smi XML ---- */

static void test_smi_fixtures(void **state) {
    static const char *names[] = {"a100_mig", "h100", "t4", "v100x2"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char xml[128], exp[128];
        snprintf(xml, sizeof xml, "smi/%s.xml", names[i]);
        snprintf(exp, sizeof exp, "smi/%s.expected.json", names[i]);
        gm_probe_opts o = {.smi_file = data(1, xml)};
        gm_node n;
        gm_error err = {0};
        const char *used = NULL;
        gm_node_init(&n);
        int rc = gm_probe_ex(&o, &n, NULL, &used, &err);
        if (rc) fail_msg("%s: %s", xml, err.msg);
        assert_string_equal(used, "smi");
        assert_null(n.hostname); /* a recorded file says nothing about this host */
        expect_doc(&n, exp);
        gm_node_free(&n);
    }
}

static void expect_smi_error(const char *rel, const char *needle) {
    gm_probe_opts o = {.smi_file = data(1, rel), .backend = "smi"};
    gm_node n;
    gm_error err = {0};
    assert_int_equal(probe_with(&o, &n, NULL, &err), GM_EINVAL);
    if (!strstr(err.msg, needle) || !strstr(err.msg, rel))
        fail_msg("%s: message '%s' lacks '%s' or the file name", rel, err.msg, needle);
    gm_node_free(&n);
}

static void test_smi_malformed(void **state) {
    expect_smi_error("smi/truncated.xml", "malformed XML");
    expect_smi_error("smi/wrong_root.xml", "expected <nvidia_smi_log>");
    expect_smi_error("smi/bad_driver.xml", "<driver_version>");
    gm_node n;
    gm_error err = {0};
    gm_node_init(&n);
    assert_int_equal(gm_probe_parse_smi_xml("", 0, "empty.xml", &n, &err), GM_EINVAL);
    assert_non_null(strstr(err.msg, "empty.xml"));
    gm_node_free(&n);
}

static void test_smi_no_entities(void **state) {
    /* An external entity must not be fetched into the document. */
    gm_probe_opts o = {.smi_file = data(1, "smi/entity.xml")};
    gm_node n;
    gm_error err = {0};
    int rc = probe_with(&o, &n, NULL, &err);
    if (rc == 0) {
        assert_int_equal(n.n_devices, 1);
        assert_true(!n.devices[0].name || !strstr(n.devices[0].name, "root:"));
    } else {
        assert_int_equal(rc, GM_EINVAL);
    }
    gm_node_free(&n);
}

static void test_smi_missing_file(void **state) {
    gm_probe_opts o = {.smi_file = "/nonexistent/smi.xml"};
    gm_node n;
    gm_error err = {0};
    assert_true(probe_with(&o, &n, NULL, &err) < 0);
    assert_non_null(strstr(err.msg, "/nonexistent/smi.xml"));
    gm_node_free(&n);
}

/* ---- NVML stub ---- */

static void nvml_doc(const char *scn, const char *exp) {
    clear_visible();
    scenario(scn);
    gm_probe_opts o = {.backend = "nvml", .nvml_lib = stub(1, "nvml"), .root = "/nonexistent"};
    gm_node n;
    gm_error err = {0};
    int rc = probe_with(&o, &n, NULL, &err);
    if (rc) fail_msg("%s: %s", scn, err.msg);
    assert_non_null(n.hostname);
    expect_doc(&n, exp);
    gm_node_free(&n);
}

static void test_nvml_one(void **state) { nvml_doc("one", "nvml/one.expected.json"); }
static void test_nvml_eight(void **state) { nvml_doc("eight", "nvml/eight.expected.json"); }
static void test_nvml_mig(void **state) { nvml_doc("mig", "nvml/mig.expected.json"); }
static void test_nvml_utf8(void **state) { nvml_doc("utf8", "nvml/utf8.expected.json"); }

static void test_nvml_auto_env(void **state) {
    /* Default order picks NVML; the library comes from GPUMATCH_NVML_PATH. */
    clear_visible();
    scenario("one");
    setenv("GPUMATCH_NVML_PATH", stub(1, "nvml"), 1);
    gm_probe_opts o = {.root = "/nonexistent"};
    gm_node n;
    gm_error err = {0};
    const char *used = NULL;
    gm_node_init(&n);
    int rc = gm_probe_ex(&o, &n, NULL, &used, &err);
    unsetenv("GPUMATCH_NVML_PATH");
    if (rc) fail_msg("%s", err.msg);
    assert_string_equal(used, "nvml");
    expect_doc(&n, "nvml/one.expected.json");
    gm_node_free(&n);
}

static void test_nvml_zero(void **state) {
    scenario("zero");
    gm_probe_opts o = {.backend = "nvml", .nvml_lib = stub(1, "nvml"), .root = "/nonexistent"};
    gm_node n;
    gm_error err = {0};
    assert_int_equal(probe_with(&o, &n, NULL, &err), 0);
    assert_int_equal(n.n_devices, 0);
    assert_int_equal(n.driver.major, 550);
    assert_int_equal(n.driver.minor, 54);
    assert_int_equal(n.driver.patch, 15);
    gm_node_free(&n);
}

static void expect_nvml_error(const char *scn, const char *which, int code, const char *n1,
                              const char *n2) {
    scenario(scn);
    gm_probe_opts o = {.backend = "nvml", .nvml_lib = stub(1, which), .root = "/nonexistent"};
    gm_node n;
    gm_error err = {0};
    assert_int_equal(probe_with(&o, &n, NULL, &err), code);
    if (!strstr(err.msg, n1) || !strstr(err.msg, n2) || !strstr(err.msg, "libnvidia-ml.so.1"))
        fail_msg("%s: '%s' lacks '%s' / '%s' / the library name", scn, err.msg, n1, n2);
    assert_int_equal(n.n_devices, 0);
    gm_node_free(&n);
}

static void test_nvml_errors(void **state) {
    expect_nvml_error("notloaded", "nvml", GM_ENODRIVER, "no NVIDIA driver", "Driver Not Loaded");
    expect_nvml_error("mismatch", "nvml", GM_EBACKEND, "nvmlInit_v2",
                      "Driver/library version mismatch");
    expect_nvml_error("gpulost", "nvml", GM_EBACKEND, "nvmlDeviceGetMemoryInfo(0)", "GPU is lost");
    expect_nvml_error("one", "nosym", GM_EBACKEND, "missing symbol",
                      "nvmlDeviceGetCudaComputeCapability");
}

static void test_nvml_missing_lib(void **state) {
    gm_probe_opts o = {.backend = "nvml", .nvml_lib = "/nonexistent/libnvidia-ml.so.1"};
    gm_node n;
    gm_error err = {0};
    assert_int_equal(probe_with(&o, &n, NULL, &err), GM_EABSENT);
    assert_non_null(strstr(err.msg, "/nonexistent/libnvidia-ml.so.1"));
    gm_node_free(&n);
}

static void test_mismatch_names_kernel_version(void **state) {
    /* With /proc saying 550.54.14, the mismatch message quotes the module version. */
    scenario("mismatch");
    gm_probe_opts o = {.backend = "nvml", .nvml_lib = stub(1, "nvml"),
                       .root = data(2, "proc/two")};
    gm_node n;
    gm_error err = {0};
    assert_int_equal(probe_with(&o, &n, NULL, &err), GM_EBACKEND);
    assert_non_null(strstr(err.msg, "kernel module is 550.54.14"));
    gm_node_free(&n);
}

static void test_kernel_vs_library_note(void **state) {
    clear_visible();
    scenario("one"); /* NVML says 550.54.15, /proc 550.54.14 */
    gm_probe_opts o = {.backend = "nvml", .nvml_lib = stub(1, "nvml"),
                       .root = data(2, "proc/two")};
    gm_node n;
    gm_strlist notes = {0};
    gm_error err = {0};
    assert_int_equal(probe_with(&o, &n, &notes, &err), 0);
    assert_int_equal(notes.n, 1);
    assert_non_null(strstr(notes.items[0], "kernel module is 550.54.14"));
    assert_non_null(strstr(notes.items[0], "550.54.15"));
    gm_strlist_free(&notes);
    gm_node_free(&n);
}

/* ---- libcuda stub ---- */

static void test_cuda_backend(void **state) {
    clear_visible();
    scenario("one");
    gm_probe_opts o = {.backend = "cuda", .cuda_lib = stub(1, "cuda"), .root = data(2, "proc/two")};
    gm_node n;
    gm_error err = {0};
    int rc = probe_with(&o, &n, NULL, &err);
    if (rc) fail_msg("%s", err.msg);
    assert_true(n.has_cuda_driver);
    assert_int_equal(n.cuda_driver.major, 12);
    assert_int_equal(n.cuda_driver.minor, 4);
    /* libcuda has no driver version: taken from the (fake) kernel module */
    assert_int_equal(n.driver.major, 550);
    assert_int_equal(n.driver.patch, 14);
    assert_int_equal(n.n_devices, 1);
    const gm_device *d = &n.devices[0];
    assert_string_equal(d->uuid, "GPU-4b1a7c2e-0d3f-4e5a-9b6c-7d8e9f0a1b2c");
    assert_string_equal(d->name, "NVIDIA A100-SXM4-80GB");
    assert_string_equal(d->pci_bus_id, "00000000:07:00.0");
    assert_int_equal(d->cc.major, 8);
    assert_int_equal(d->cc.minor, 0);
    assert_int_equal(d->memory_mib, 81920);
    gm_node_free(&n);
}

static void test_cuda_no_device(void **state) {
    scenario("nodevice"); /* cuInit -> CUDA_ERROR_NO_DEVICE */
    gm_probe_opts o = {.backend = "cuda", .cuda_lib = stub(1, "cuda"), .root = "/nonexistent"};
    gm_node n;
    gm_error err = {0};
    assert_int_equal(probe_with(&o, &n, NULL, &err), 0);
    assert_int_equal(n.n_devices, 0);
    gm_node_free(&n);
}

static void test_cross_check(void **state) {
    clear_visible();
    scenario("crosscheck");
    gm_probe_opts o = {.backend = "nvml", .nvml_lib = stub(1, "nvml"), .cuda_lib = stub(2, "cuda"),
                       .root = "/nonexistent", .cross_check = true};
    gm_node n;
    gm_strlist notes = {0};
    gm_error err = {0};
    assert_int_equal(probe_with(&o, &n, &notes, &err), 0);
    assert_int_equal(notes.n, 1);
    assert_non_null(strstr(notes.items[0], "GPU-c0000000-0000-0000-0000-000000000001"));
    assert_non_null(strstr(notes.items[0], "8.6 from libcuda, 8.9 from NVML"));
    gm_strlist_free(&notes);
    gm_node_free(&n);
}

/* ---- /proc ---- */

static void test_procfs(void **state) {
    clear_visible();
    gm_probe_opts o = {.backend = "procfs", .root = data(1, "proc/two")};
    gm_node n;
    gm_error err = {0};
    int rc = probe_with(&o, &n, NULL, &err);
    if (rc) fail_msg("%s", err.msg);
    expect_doc(&n, "proc/two.expected.json");
    gm_node_free(&n);

    gm_probe_opts o2 = {.backend = "procfs", .root = data(1, "proc/nogpu")};
    assert_int_equal(probe_with(&o2, &n, NULL, &err), 0);
    assert_int_equal(n.n_devices, 0);
    assert_int_equal(n.driver.major, 535);
    gm_node_free(&n);

    gm_probe_opts o3 = {.backend = "procfs", .root = "/nonexistent"};
    assert_int_equal(probe_with(&o3, &n, NULL, &err), GM_EABSENT);
    gm_node_free(&n);
}

static void test_auto_falls_back_to_procfs(void **state) {
    clear_visible();
    gm_probe_opts o = {.root = data(1, "proc/two"), .nvml_lib = "/nonexistent/libnvidia-ml.so.1",
                       .cuda_lib = "/nonexistent/libcuda.so.1"};
    gm_node n;
    gm_error err = {0};
    const char *used = NULL;
    gm_node_init(&n);
    assert_int_equal(gm_probe_ex(&o, &n, NULL, &used, &err), 0);
    assert_string_equal(used, "procfs");
    assert_int_equal(n.n_devices, 2);
    gm_node_free(&n);

    /* Nothing anywhere: one ENODRIVER naming every source tried. */
    gm_probe_opts none = {.root = "/nonexistent", .nvml_lib = "/nonexistent/libnvidia-ml.so.1",
                          .cuda_lib = "/nonexistent/libcuda.so.1",
                          .smi_cmd = "/nonexistent/nvidia-smi"};
    gm_node_init(&n);
    assert_int_equal(gm_probe_ex(&none, &n, NULL, NULL, &err), GM_ENODRIVER);
    assert_non_null(strstr(err.msg, "no NVIDIA driver found"));
    assert_non_null(strstr(err.msg, "libnvidia-ml.so.1"));
    assert_non_null(strstr(err.msg, "libcuda.so.1"));
    assert_non_null(strstr(err.msg, "/proc/driver/nvidia/version"));
    assert_non_null(strstr(err.msg, "nvidia-smi"));
    gm_node_free(&n);
}

/* ---- --visible ---- */

static void visible_case(const char *scn, const char *nv, const char *cv, int want_rc,
                         const int *want_idx, size_t n_want, size_t want_notes) {
    clear_visible();
    if (nv) setenv("NVIDIA_VISIBLE_DEVICES", nv, 1);
    if (cv) setenv("CUDA_VISIBLE_DEVICES", cv, 1);
    scenario(scn);
    gm_probe_opts o = {.backend = "nvml", .nvml_lib = stub(1, "nvml"), .root = "/nonexistent",
                       .visible = true};
    gm_node n;
    gm_strlist notes = {0};
    gm_error err = {0};
    int rc = probe_with(&o, &n, &notes, &err);
    clear_visible();
    if (rc != want_rc) fail_msg("NV=%s CUDA=%s: rc %d (%s)", nv, cv, rc, err.msg);
    if (rc == 0) {
        if (n.n_devices != n_want) fail_msg("NV=%s CUDA=%s: %zu devices", nv, cv, n.n_devices);
        for (size_t i = 0; i < n_want; i++) assert_int_equal(n.devices[i].index, want_idx[i]);
        assert_int_equal(notes.n, want_notes);
    }
    gm_strlist_free(&notes);
    gm_node_free(&n);
}

static void test_visible(void **state) {
    /* CUDA order is kept; a UUID works like an index; CUDA stops at a bad entry. */
    visible_case("eight", NULL, "3,GPU-00000000-1111-2222-3333-000000000001,bogus,5", 0,
                 (int[]){3, 1}, 2, 1);
    /* CUDA indices count the GPUs NVIDIA_VISIBLE_DEVICES left. */
    visible_case("eight", "0,2,4,6", "1,3", 0, (int[]){2, 6}, 2, 0);
    visible_case("eight", "all", NULL, 0, (int[]){0, 1, 2, 3, 4, 5, 6, 7}, 8, 0);
    visible_case("eight", "none", NULL, 0, NULL, 0, 0);
    visible_case("eight", "void", NULL, 0, NULL, 0, 0);
    visible_case("eight", NULL, "", 0, NULL, 0, 0);
    /* A unique UUID prefix selects, an ambiguous one stops CUDA's list. */
    visible_case("eight", NULL, "GPU-00000000-1111-2222-3333-00000000000", 0, NULL, 0, 1);
    visible_case("eight", NULL, "GPU-00000000-1111-2222-3333-0000000000077,2", 0, NULL, 0, 1);
    /* The container runtime refuses an unknown id. */
    visible_case("eight", "GPU-ffffffff", NULL, GM_EINVAL, NULL, 0, 0);
    visible_case("eight", "8", NULL, GM_EINVAL, NULL, 0, 0);
}

static void test_visible_mig(void **state) {
    clear_visible();
    setenv("CUDA_VISIBLE_DEVICES", "MIG-b1000000-1111-2222-3333-444444444441", 1);
    scenario("mig");
    gm_probe_opts o = {.backend = "nvml", .nvml_lib = stub(1, "nvml"), .root = "/nonexistent",
                       .visible = true};
    gm_node n;
    gm_error err = {0};
    assert_int_equal(probe_with(&o, &n, NULL, &err), 0);
    assert_int_equal(n.n_devices, 1);
    assert_int_equal(n.devices[0].n_mig, 1);
    assert_int_equal(n.devices[0].mig[0].gi, 5);
    assert_string_equal(n.devices[0].mig[0].profile, "2g.20gb");
    gm_node_free(&n);

    clear_visible();
    setenv("NVIDIA_VISIBLE_DEVICES", "0:2,1", 1);
    assert_int_equal(probe_with(&o, &n, NULL, &err), 0);
    clear_visible();
    assert_int_equal(n.n_devices, 2);
    assert_int_equal(n.devices[0].n_mig, 1);
    assert_int_equal(n.devices[0].mig[0].gi, 13);
    assert_int_equal(n.devices[1].index, 1);
    gm_node_free(&n);
}

/* ---- helpers ---- */

static void test_brands(void **state) {
    /* nvmlBrandType_t order from nvml.h */
    assert_string_equal(gm_probe_brand_word(0), "unknown");
    assert_string_equal(gm_probe_brand_word(1), "quadro");
    assert_string_equal(gm_probe_brand_word(2), "tesla");
    assert_string_equal(gm_probe_brand_word(5), "geforce");
    assert_string_equal(gm_probe_brand_word(6), "titan");
    assert_string_equal(gm_probe_brand_word(13), "nvidiartx");
    assert_string_equal(gm_probe_brand_word(14), "nvidia");
    assert_string_equal(gm_probe_brand_word(16), "titanrtx");
    assert_string_equal(gm_probe_brand_word(17), "unknown");
    assert_string_equal(gm_probe_brand_word(-1), "unknown");
    assert_string_equal(gm_probe_brand_from_text("Quadro RTX"), "quadrortx");
    assert_string_equal(gm_probe_brand_from_text("NVIDIA RTX"), "nvidiartx");
    assert_string_equal(gm_probe_brand_from_text("GeForce"), "geforce");
    assert_string_equal(gm_probe_brand_from_text("TITAN"), "titan");
    assert_string_equal(gm_probe_brand_from_text("NVIDIA Virtual Applications"), "nvidiavapps");
    assert_string_equal(gm_probe_brand_from_text("Something Else"), "unknown");
}

static void test_helpers(void **state) {
    char *s = gm_probe_norm_busid("0000:3b:00.0");
    assert_string_equal(s, "00000000:3B:00.0");
    free(s);
    s = gm_probe_norm_busid("00000001:AF:1F.7");
    assert_string_equal(s, "00000001:AF:1F.7");
    free(s);
    assert_null(gm_probe_norm_busid("junk"));
    assert_null(gm_probe_norm_busid("0000:3b:00.0x"));
    assert_null(gm_probe_norm_busid("0000:3b:40.0"));
    s = gm_probe_mig_profile_from_name("NVIDIA A100-SXM4-40GB MIG 1g.5gb");
    assert_string_equal(s, "1g.5gb");
    free(s);
    s = gm_probe_mig_profile_from_name("MIG 7g.80gb");
    assert_string_equal(s, "7g.80gb");
    free(s);
    assert_null(gm_probe_mig_profile_from_name("NVIDIA A100-SXM4-40GB"));
}

static void test_cc_from_name(void **state) {
    /* From NVIDIA's CUDA GPUs page. */
    static const struct {
        const char *name;
        int major, minor;
    } t[] = {{"NVIDIA A100-SXM4-80GB", 8, 0}, {"NVIDIA A10", 8, 6},   {"NVIDIA A10G", 8, 6},
             {"NVIDIA L40S", 8, 9},           {"NVIDIA L4", 8, 9},    {"NVIDIA GeForce RTX 4090", 8, 9},
             {"Tesla P4", 6, 1},              {"Tesla P40", 6, 1},    {"Tesla P100-PCIE-16GB", 6, 0},
             {"NVIDIA GH200 480GB", 9, 0},    {"NVIDIA H20", 9, 0},   {"NVIDIA H100 PCIe", 9, 0},
             {"NVIDIA RTX A4000", 8, 6},      {"Tesla T4", 7, 5},     {"Tesla V100S-PCIE-32GB", 7, 0},
             {"NVIDIA B200", 10, 0},          {"NVIDIA GeForce RTX 5090", 12, 0},
             {"NVIDIA RTX 6000 Ada Generation", 8, 9}, {"Quadro RTX 8000", 7, 5},
             {"NVIDIA A30", 8, 0},            {"Mystery GPU", 0, 0}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        gm_cc cc = {0, 0};
        bool ok = gm_probe_cc_from_name(t[i].name, &cc);
        if (ok != (t[i].major != 0) || cc.major != t[i].major || cc.minor != t[i].minor)
            fail_msg("%s: got %d.%d (%d)", t[i].name, cc.major, cc.minor, ok);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smi_fixtures),     cmocka_unit_test(test_smi_malformed),
        cmocka_unit_test(test_smi_no_entities),  cmocka_unit_test(test_smi_missing_file),
        cmocka_unit_test(test_nvml_one),         cmocka_unit_test(test_nvml_eight),
        cmocka_unit_test(test_nvml_mig),         cmocka_unit_test(test_nvml_utf8),
        cmocka_unit_test(test_nvml_auto_env),    cmocka_unit_test(test_nvml_zero),
        cmocka_unit_test(test_nvml_errors),      cmocka_unit_test(test_nvml_missing_lib),
        cmocka_unit_test(test_mismatch_names_kernel_version),
        cmocka_unit_test(test_kernel_vs_library_note),
        cmocka_unit_test(test_cuda_backend),     cmocka_unit_test(test_cuda_no_device),
        cmocka_unit_test(test_cross_check),      cmocka_unit_test(test_procfs),
        cmocka_unit_test(test_auto_falls_back_to_procfs),
        cmocka_unit_test(test_visible),          cmocka_unit_test(test_visible_mig),
        cmocka_unit_test(test_brands),           cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_cc_from_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
