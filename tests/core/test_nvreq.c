/* NVIDIA_REQUIRE_* language, against the semantics documented by
 * libnvidia-container and the strings real CUDA base images carry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "gpumatch/nvreq.h"

/* nvidia/cuda:12.2.0-base-ubuntu22.04 (abridged: the brand groups repeat per brand). */
static const char *CUDA122 =
    "cuda>=12.2 brand=tesla,driver>=470,driver<471 brand=unknown,driver>=470,driver<471 "
    "brand=nvidia,driver>=470,driver<471 brand=tesla,driver>=525,driver<526 "
    "brand=nvidia,driver>=525,driver<526 brand=tesla,driver>=535,driver<536";

static bool eval(const char *expr, const char *drv, int dc_major, int dc_minor, const char *brand,
                 int ccmaj, int ccmin, bool with_dev) {
    gm_node n;
    gm_device d;
    gm_node_init(&n);
    gm_device_init(&d);
    if (drv)
        assert_int_equal(gm_driver_version_parse(drv, &n.driver, NULL), 0);
    if (dc_major) {
        n.cuda_driver.major = dc_major;
        n.cuda_driver.minor = dc_minor;
        n.has_cuda_driver = true;
    }
    d.brand = (char *)brand;
    d.cc.major = ccmaj;
    d.cc.minor = ccmin;
    bool ok = false;
    gm_error e = {0};
    if (gm_nvreq_eval(expr, &n, with_dev ? &d : NULL, &ok, NULL, &e) < 0)
        fail_msg("eval failed: %s", e.msg);
    return ok;
}

static void cuda_image_strings(void **state) {
    /* Driver new enough: first group. */
    assert_true(eval(CUDA122, "535.104.05", 12, 2, "nvidia", 8, 0, true));
    /* 470 on a Tesla: forward-compat escape group. */
    assert_true(eval(CUDA122, "470.57.02", 11, 4, "tesla", 7, 5, true));
    /* 470 on GeForce: no group holds. */
    assert_false(eval(CUDA122, "470.57.02", 11, 4, "geforce", 7, 5, true));
    /* 525 Tesla: escape; 550 (supports 12.4) plain. */
    assert_true(eval(CUDA122, "525.60.13", 12, 0, "tesla", 8, 0, true));
    assert_true(eval(CUDA122, "550.54.15", 12, 4, "geforce", 8, 9, true));
    /* Brand is case-insensitive; trailing .0 ignored; no device: brand/arch pass. */
    assert_true(eval("brand=Tesla", "535.1", 0, 0, "tesla", 8, 0, true));
    assert_true(eval("cuda>=12", "535.104.05", 12, 0, NULL, 8, 0, true));
    assert_true(eval("cuda=12.0.0", "535.104.05", 12, 0, NULL, 8, 0, true));
    assert_true(eval("arch>=9.0 brand=quadro", "535.104.05", 12, 2, NULL, 0, 0, false));
    assert_false(eval("arch>=9.0", "535.104.05", 12, 2, "nvidia", 8, 0, true));
    assert_true(eval("arch>=7.5,arch<9", "535.104.05", 12, 2, "nvidia", 8, 9, true));
    /* CUDA version derived from the driver when not probed. */
    assert_true(eval("cuda>=12.2", "535.104.05", 0, 0, NULL, 8, 0, true));
    assert_false(eval("cuda>=12.3", "535.104.05", 0, 0, NULL, 8, 0, true));
    assert_true(eval("driver!=535.104.05 driver>=535", "535.104.05", 0, 0, NULL, 8, 0, true));
}

/* nvidia/cuda:12.8.1 images: the same brand list for the 470, 535, 550, 560
 * and 565 branches (read from the image config published on Docker Hub). */
static void cuda128_image_string(void **state) {
    static const char *brands[] = {"unknown", "grid", "tesla", "nvidia", "quadro", "quadrortx",
                                   "nvidiartx", "vapps", "vpc", "vcs", "vws", "cloudgaming"};
    static const int branches[] = {470, 535, 550, 560, 565};
    char expr[4096] = "cuda>=12.8";
    for (size_t b = 0; b < 5; b++)
        for (size_t i = 0; i < 12; i++)
            snprintf(expr + strlen(expr), sizeof expr - strlen(expr), " brand=%s,driver>=%d,driver<%d",
                     brands[i], branches[b], branches[b] + 1);
    assert_true(eval(expr, "570.124.06", 12, 8, "geforce", 12, 0, true));  /* supports 12.8 */
    assert_true(eval(expr, "535.104.05", 12, 2, "tesla", 8, 0, true));    /* forward compat */
    assert_true(eval(expr, "565.57.01", 12, 7, "nvidiartx", 8, 9, true));
    assert_false(eval(expr, "535.104.05", 12, 2, "geforce", 8, 9, true)); /* no escape */
    assert_false(eval(expr, "545.23.06", 12, 3, "tesla", 9, 0, true));    /* 545 not listed */
    /* nvidia/cuda:11.0.3: escapes for 418 and 440 Teslas. */
    const char *cuda110 = "cuda>=11.0 brand=tesla,driver>=418,driver<419 brand=tesla,driver>=440,driver<441";
    assert_true(eval(cuda110, "450.80.02", 11, 0, "geforce", 7, 5, true));
    assert_true(eval(cuda110, "440.33.01", 10, 2, "tesla", 7, 0, true));
    assert_false(eval(cuda110, "440.33.01", 10, 2, "geforce", 7, 5, true));
}

static void reasons_and_errors(void **state) {
    gm_node n;
    gm_node_init(&n);
    gm_driver_version_parse("470.57.02", &n.driver, NULL);
    gm_strlist why = {0};
    bool ok;
    assert_int_equal(gm_nvreq_eval("cuda>=12.2 driver>=525", &n, NULL, &ok, &why, NULL), 0);
    assert_false(ok);
    assert_int_equal(why.n, 2);
    assert_string_equal(why.items[0], "cuda>=12.2: driver supports CUDA 11.4");
    assert_string_equal(why.items[1], "driver>=525: driver is 470.57.02");
    gm_strlist_free(&why);
    static const char *bad[] = {"", "cuda", "cuda>>12", "gpu>=1", "brand>tesla", "cuda>=x",
                                "cuda>=", "cuda>=.1", "cuda>=1.", "cuda>=1..2", " ", ","};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        gm_error e = {0};
        if (gm_nvreq_validate(bad[i], &e) == 0)
            fail_msg("accepted bad expression '%s'", bad[i]);
    }
}

static void from_env(void **state) {
    gm_strlist env = {0}, out = {0};
    bool dis;
    gm_strlist_add(&env, "PATH=/usr/bin");
    gm_strlist_add(&env, "CUDA_VERSION=11.0.3");
    gm_strlist_add(&env, "NVIDIA_REQUIRE_JETPACK=csi");
    gm_strlist_add(&env, "NVIDIA_REQUIRE_ARCH=arch>=7.0");
    assert_int_equal(gm_nvreq_from_env(&env, &out, &dis, NULL), 0);
    assert_false(dis);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.items[0], "arch>=7.0");
    assert_string_equal(out.items[1], "cuda>=11.0"); /* legacy CUDA_VERSION */
    gm_strlist_free(&out);
    gm_strlist_add(&env, "NVIDIA_REQUIRE_CUDA=cuda>=11.0 brand=tesla,driver>=418,driver<419");
    gm_strlist_add(&env, "NVIDIA_DISABLE_REQUIRE=true");
    assert_int_equal(gm_nvreq_from_env(&env, &out, &dis, NULL), 0);
    assert_true(dis);
    assert_int_equal(out.n, 2); /* CUDA_VERSION ignored when NVIDIA_REQUIRE_CUDA is set */
    gm_strlist_free(&out);
    gm_strlist_free(&env);
}

/* libnvidia-container src/cli/dsl.c and nvidia-container-toolkit's
 * internal/config/image/cuda_image.go, as the audit read them. */
static void runtime_semantics(void **state) {
    gm_error e = {0};
    /* Empty conditions are skipped: "cuda>=12.0," is valid. */
    assert_int_equal(gm_nvreq_validate("cuda>=12.0,", &e), 0);
    assert_int_equal(gm_nvreq_validate(",cuda>=12.0", &e), 0);
    assert_true(eval("cuda>=12.0,", "535.104.05", 12, 2, "nvidia", 8, 0, true));
    /* A device with no brand / arch satisfies brand= / arch=. */
    assert_true(eval("brand=tesla", "535.104.05", 12, 2, NULL, 8, 0, true));
    assert_true(eval("arch>=9.0", "535.104.05", 12, 2, "nvidia", 0, 0, true));
    /* An unknown driver / CUDA version satisfies its condition. */
    assert_true(eval("driver>=999", NULL, 0, 0, "nvidia", 8, 0, true));
    assert_true(eval("cuda>=99.0", NULL, 0, 0, "nvidia", 8, 0, true));
    /* Groups split on single spaces; a tab is part of a condition (invalid). */
    assert_false(eval("cuda>=99.0\tcuda>=12.0", "535.104.05", 12, 2, "nvidia", 8, 0, true));
    assert_true(eval("cuda>=99.0  cuda>=12.0", "535.104.05", 12, 2, "nvidia", 8, 0, true));
    /* Lazy: the first satisfied group ends evaluation, so an unknown key after it
     * is never parsed; reached first, it fails (the runtime refuses to start). */
    assert_true(eval("cuda>=11.6 foo=bar", "535.104.05", 12, 2, "nvidia", 8, 0, true));
    gm_node n;
    gm_node_init(&n);
    gm_driver_version_parse("470.57.02", &n.driver, NULL);
    gm_strlist why = {0};
    bool ok = true;
    assert_int_equal(gm_nvreq_eval("cuda>=12.6 foo=bar", &n, NULL, &ok, &why, NULL), 0);
    assert_false(ok);
    assert_true(why.n >= 1);
    assert_non_null(strstr(why.items[why.n - 1], "unknown key \"foo\""));
    gm_strlist_free(&why);
}

static void env_semantics(void **state) {
    gm_strlist env = {0}, out = {0};
    bool dis;
    /* Every NVIDIA_REQUIRE_JETPACK* is skipped, not only the exact name. */
    gm_strlist_add(&env, "NVIDIA_REQUIRE_JETPACK_HOST_MOUNTS=foo>=1");
    /* An empty NVIDIA_REQUIRE_CUDA with CUDA_VERSION is legacy (IsLegacy). */
    gm_strlist_add(&env, "NVIDIA_REQUIRE_CUDA=");
    gm_strlist_add(&env, "CUDA_VERSION=v11.6");
    assert_int_equal(gm_nvreq_from_env(&env, &out, &dis, NULL), 0);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.items[0], "cuda>=11.6");
    gm_strlist_free(&out);
    gm_strlist_free(&env);
    /* CUDA_VERSION parts: at most three, each 32-bit. */
    static const char *badv[] = {"CUDA_VERSION=9.0.116.50", "CUDA_VERSION=9.4294967296"};
    for (size_t i = 0; i < 2; i++) {
        gm_strlist_add(&env, badv[i]);
        gm_error e = {0};
        assert_true(gm_nvreq_from_env(&env, &out, &dis, &e) < 0);
        gm_strlist_free(&out);
        gm_strlist_free(&env);
    }
    /* NVIDIA_DISABLE_REQUIRE disables all constraints: a malformed one beside it
     * is no error. */
    gm_strlist_add(&env, "NVIDIA_REQUIRE_X=cuda>>1");
    gm_strlist_add(&env, "CUDA_VERSION=9.0.116.50");
    gm_strlist_add(&env, "NVIDIA_DISABLE_REQUIRE=1");
    assert_int_equal(gm_nvreq_from_env(&env, &out, &dis, NULL), 0);
    assert_true(dis);
    gm_strlist_free(&out);
    gm_strlist_free(&env);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(cuda_image_strings),
                                       cmocka_unit_test(cuda128_image_string),
                                       cmocka_unit_test(reasons_and_errors),
                                       cmocka_unit_test(from_env),
                                       cmocka_unit_test(runtime_semantics),
                                       cmocka_unit_test(env_semantics)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
