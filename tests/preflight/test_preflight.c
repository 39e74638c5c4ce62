/* preflight library: the /proc parsers, and the launch entry point with an
 * image's Env (check 6: NVIDIA_REQUIRE_* / CUDA_VERSION on this node).
 * Expectations follow the requirement language as cuda-facts.md states it
 * (driver 535 supports CUDA 12.2, 525.60.13 CUDA 12.0, 580 CUDA 13.0), not
 * output of the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpumatch/node.h"
#include "gpumatch/preflight.h"
#include "gpumatch/sys/preflight.h"
#include "internal.h"

/* ---- parsers ---- */

static void nvrm_versions(void **state) {
    char v[32];
    const char *proprietary =
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC "
        "2023\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n";
    assert_int_equal(gm_pf_parse_nvrm(proprietary, strlen(proprietary), v, sizeof v, NULL), 0);
    assert_string_equal(v, "535.104.05");
    const char *open = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  "
                       "Release Build  (dvs-builder@U22-I3-AE18-23-3)  Wed Sep 24 2025\n";
    assert_int_equal(gm_pf_parse_nvrm(open, strlen(open), v, sizeof v, NULL), 0);
    assert_string_equal(v, "580.95.05");
    /* aarch64 and a two-part version. */
    const char *arm = "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  570.26  Release\n";
    assert_int_equal(gm_pf_parse_nvrm(arm, strlen(arm), v, sizeof v, NULL), 0);
    assert_string_equal(v, "570.26");
}

static void nvrm_malformed(void **state) {
    char v[32];
    gm_error e = {0};
    const char *none = "GCC version: 12\n";
    assert_int_equal(gm_pf_parse_nvrm(none, strlen(none), v, sizeof v, &e), GM_EINVAL);
    assert_non_null(strstr(e.msg, "NVRM version"));
    const char *nover = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  Sat Aug 19\n";
    assert_int_equal(gm_pf_parse_nvrm(nover, strlen(nover), v, sizeof v, &e), GM_EINVAL);
    assert_int_equal(gm_pf_parse_nvrm("", 0, v, sizeof v, &e), GM_EINVAL);
}

static void proc_devices(void **state) {
    const char *t = "Character devices:\n  1 mem\n195 nvidia\n195 nvidiactl\n508 nvidia-uvm\n"
                    "509 nvidia-caps\n\nBlock devices:\n  8 sd\n510 nvidia-uvm-blk\n";
    assert_int_equal(gm_pf_proc_devices_major(t, strlen(t), "nvidia"), 195);
    assert_int_equal(gm_pf_proc_devices_major(t, strlen(t), "nvidia-uvm"), 508);
    assert_int_equal(gm_pf_proc_devices_major(t, strlen(t), "mem"), 1);
    /* Names match whole, and block devices are not character devices. */
    assert_int_equal(gm_pf_proc_devices_major(t, strlen(t), "nvidia-u"), -1);
    assert_int_equal(gm_pf_proc_devices_major(t, strlen(t), "sd"), -1);
    assert_int_equal(gm_pf_proc_devices_major(t, strlen(t), "nvidia-uvm-blk"), -1);
    assert_int_equal(gm_pf_proc_devices_major("", 0, "nvidia"), -1);
}

/* ---- image requirements through the launch entry point ---- */

static gm_node node_of(const char *driver, const char *cuda, const char *brand) {
    char *text = gm_asprintf(
        "{\"driver_version\": \"%s\", \"cuda_driver_version\": \"%s\", \"devices\": "
        "[{\"index\": 0, \"name\": \"NVIDIA A100-SXM4-80GB\", \"brand\": \"%s\", "
        "\"compute_capability\": \"8.0\", \"memory_mib\": 81920}]}",
        driver, cuda, brand);
    gm_node_list l = {0};
    gm_error e = {0};
    assert_int_equal(gm_node_list_parse(text, strlen(text), "test", &l, &e), 0);
    free(text);
    assert_int_equal(l.n, 1);
    gm_node n = l.nodes[0];
    free(l.nodes);
    return n;
}

/* Status of the image.requirements result(s): the worst of them. */
static const char *runtime_mode; /* written to the root's runtime config when set */

static gm_pf_status image_status(const char *driver, const char *cuda, const char *brand,
                                 const char *const *env, char *evidence, size_t evlen) {
    gm_node n = node_of(driver, cuda, brand);
    gm_strlist el = {0};
    for (size_t i = 0; env[i]; i++)
        assert_int_equal(gm_strlist_add(&el, env[i]), 0);
    char root[] = "/tmp/gm-pf-unit-XXXXXX";
    assert_non_null(mkdtemp(root));
    char *cfgdir = gm_asprintf("%s/etc/nvidia-container-runtime", root);
    char *cfg = gm_asprintf("%s/config.toml", cfgdir);
    if (runtime_mode) {
        char *etc = gm_asprintf("%s/etc", root);
        assert_int_equal(mkdir(etc, 0755), 0);
        assert_int_equal(mkdir(cfgdir, 0755), 0);
        /* As the toolkit writes it: the mode sits in the runtime's own table. */
        char *toml = gm_asprintf("#accept-nvidia-visible-devices-as-volume-mounts = false\n\n"
                                 "[nvidia-container-cli]\nldconfig = \"@/sbin/ldconfig\"\n\n"
                                 "[nvidia-container-runtime]\nlog-level = \"info\"\n"
                                 "mode = \"%s\"\n\n[nvidia-container-runtime.modes.cdi]\n"
                                 "default-kind = \"nvidia.com/gpu\"\n",
                                 runtime_mode);
        assert_int_equal(gm_write_file_atomic(cfg, toml, strlen(toml), NULL), 0);
        free(toml);
        free(etc);
    }
    gm_pf_report r = {0};
    gm_error e = {0};
    assert_int_equal(gm_preflight_for_launch(root, &n, &el, &r, &e), 0);
    gm_pf_status worst = GM_PF_SKIP;
    size_t seen = 0;
    if (evidence)
        evidence[0] = '\0';
    for (size_t i = 0; i < r.n; i++) {
        if (strcmp(r.items[i].id, "image.requirements"))
            continue;
        seen++;
        if (r.items[i].status >= worst) {
            worst = r.items[i].status;
            if (evidence)
                snprintf(evidence, evlen, "%s", r.items[i].evidence);
        }
    }
    assert_true(seen >= 1);
    /* The empty root itself is a broken node: the other checks must say so. */
    assert_int_equal(gm_pf_report_worst(&r), GM_PF_FAIL);
    gm_pf_report_free(&r);
    gm_strlist_free(&el);
    gm_node_free(&n);
    if (runtime_mode) {
        unlink(cfg);
        rmdir(cfgdir);
        *strrchr(cfgdir, '/') = '\0';
        rmdir(cfgdir);
    }
    free(cfg);
    free(cfgdir);
    rmdir(root);
    return worst;
}

static void require_cuda(void **state) {
    const char *env[] = {"PATH=/usr/bin", "NVIDIA_REQUIRE_CUDA=cuda>=12.4", NULL};
    char ev[1024];
    /* r535 supports CUDA 12.2 < 12.4. */
    assert_int_equal(image_status("535.104.05", "12.2", "nvidia", env, ev, sizeof ev), GM_PF_FAIL);
    assert_non_null(strstr(ev, "legacy mode only"));
    /* Under CDI nobody else checks it: the evidence says so. */
    runtime_mode = "jit-cdi";
    assert_int_equal(image_status("535.104.05", "12.2", "nvidia", env, ev, sizeof ev), GM_PF_FAIL);
    assert_non_null(strstr(ev, "runtime mode jit-cdi"));
    runtime_mode = "legacy";
    assert_int_equal(image_status("535.104.05", "12.2", "nvidia", env, ev, sizeof ev), GM_PF_FAIL);
    assert_non_null(strstr(ev, "unsatisfied condition"));
    runtime_mode = NULL;
    /* r580 supports CUDA 13.0 >= 12.4. */
    assert_int_equal(image_status("580.95.05", "13.0", "nvidia", env, NULL, 0), GM_PF_OK);
}

static void legacy_cuda_version(void **state) {
    /* CUDA_VERSION alone means cuda>=MAJ.MIN. */
    const char *env[] = {"CUDA_VERSION=12.2.0", NULL};
    assert_int_equal(image_status("535.104.05", "12.2", "nvidia", env, NULL, 0), GM_PF_OK);
    assert_int_equal(image_status("525.60.13", "12.0", "nvidia", env, NULL, 0), GM_PF_FAIL);
}

static void forward_compat_groups(void **state) {
    /* Groups are OR-ed: the brand/driver group lets a data-center GPU on r535
     * run a CUDA 12.8 image (with the image's compat libraries). */
    const char *env[] = {
        "NVIDIA_REQUIRE_CUDA=cuda>=12.8 brand=tesla,driver>=535,driver<536 "
        "brand=unknown,driver>=535,driver<536",
        NULL};
    assert_int_equal(image_status("535.104.05", "12.2", "tesla", env, NULL, 0), GM_PF_OK);
    assert_int_equal(image_status("535.104.05", "12.2", "geforce", env, NULL, 0), GM_PF_FAIL);
}

static void disabled_requirements(void **state) {
    const char *env[] = {"NVIDIA_REQUIRE_CUDA=cuda>=12.4", "NVIDIA_DISABLE_REQUIRE=true", NULL};
    char ev[1024];
    assert_int_equal(image_status("535.104.05", "12.2", "nvidia", env, ev, sizeof ev), GM_PF_WARN);
    assert_non_null(strstr(ev, "NVIDIA_DISABLE_REQUIRE"));
}

static void no_requirements(void **state) {
    const char *env[] = {"PATH=/usr/bin", NULL};
    assert_int_equal(image_status("535.104.05", "12.2", "nvidia", env, NULL, 0), GM_PF_OK);
}

static void renderings(void **state) {
    gm_pf_report r = {0};
    gm_error e = {0};
    gm_pf_opts o = {.root = "/nonexistent-gm-root"};
    assert_int_equal(gm_preflight_run(&o, &r, &e), 0);
    assert_int_equal(gm_pf_report_worst(&r), GM_PF_FAIL); /* no kernel module there */
    /* The one-line summary names the failed checks, and only those. */
    char *line = gm_pf_report_failures(&r);
    assert_non_null(line);
    assert_non_null(strstr(line, "driver.kernel-module: no NVIDIA kernel module"));
    assert_null(strchr(line, '\n'));
    assert_null(strstr(line, "compat.forward")); /* ok there: nothing installed */
    free(line);
    char *t = gm_pf_report_table(&r, &e);
    assert_non_null(t);
    assert_non_null(strstr(t, "driver.kernel-module"));
    assert_non_null(strstr(t, "-> FAIL"));
    free(t);
    char *j = gm_pf_report_json(&r, &e);
    assert_non_null(j);
    json_error_t je;
    json_t *doc = json_loads(j, 0, &je);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "status")), "fail");
    json_t *checks = json_object_get(doc, "checks");
    assert_int_equal(json_array_size(checks), r.n);
    json_decref(doc);
    free(j);
    gm_pf_report_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nvrm_versions),       cmocka_unit_test(nvrm_malformed),
        cmocka_unit_test(proc_devices),        cmocka_unit_test(require_cuda),
        cmocka_unit_test(legacy_cuda_version), cmocka_unit_test(forward_compat_groups),
        cmocka_unit_test(disabled_requirements), cmocka_unit_test(no_requirements),
        cmocka_unit_test(renderings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
