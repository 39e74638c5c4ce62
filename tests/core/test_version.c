/* Version, capability and target parsing: accepted forms and rejected ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/version.h"

static void driver_versions(void **state) {
    static const struct { const char *s; int maj, min, pat, n; const char *print; } ok[] = {
        {"580.95.05", 580, 95, 5, 3, "580.95.05"}, {"535.104.12", 535, 104, 12, 3, "535.104.12"},
        {"470.57.02", 470, 57, 2, 3, "470.57.02"}, {"450.80.02", 450, 80, 2, 3, "450.80.02"},
        {"570.26", 570, 26, 0, 2, "570.26"},       {"535.104.5", 535, 104, 5, 3, "535.104.05"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        gm_driver_version v;
        gm_error e = {0};
        char buf[GM_VERSION_STR_MAX];
        assert_int_equal(gm_driver_version_parse(ok[i].s, &v, &e), 0);
        assert_int_equal(v.major, ok[i].maj);
        assert_int_equal(v.minor, ok[i].min);
        assert_int_equal(v.patch, ok[i].pat);
        assert_int_equal(v.nparts, ok[i].n);
        assert_string_equal(gm_driver_version_str(&v, buf), ok[i].print);
    }
    gm_driver_version a, b;
    gm_driver_version_parse("535.104.12", &a, NULL);
    gm_driver_version_parse("535.54.03", &b, NULL);
    assert_true(gm_driver_version_cmp(&a, &b) > 0); /* numeric, not lexical */
    gm_driver_version_parse("470.57.02", &b, NULL);
    assert_true(gm_driver_version_cmp(&b, &a) < 0);
}

static void bad_strings(void **state) {
    static const char *bad_drivers[] = {"", "535", "535..1", "-1", "535.x", "5.3.5.1", "abc",
                                        "535.104.05 ", " 535.104", "535.", "0.1"};
    for (size_t i = 0; i < sizeof bad_drivers / sizeof *bad_drivers; i++) {
        gm_driver_version v;
        gm_error e = {0};
        assert_int_equal(gm_driver_version_parse(bad_drivers[i], &v, &e), GM_EINVAL);
        assert_non_null(strstr(e.msg, "driver version"));
        if (*bad_drivers[i])
            assert_non_null(strstr(e.msg, bad_drivers[i])); /* names the bad text */
    }
    static const char *bad_cc[] = {"8.x", "8", "8.10", "-1", "8.6.1", "", "x.6", "8,6"};
    for (size_t i = 0; i < sizeof bad_cc / sizeof *bad_cc; i++) {
        gm_cc c;
        gm_error e = {0};
        assert_int_equal(gm_cc_parse(bad_cc[i], &c, &e), GM_EINVAL);
        assert_non_null(strstr(e.msg, bad_cc[i]));
    }
    static const char *bad_targets[] = {"sm_", "sm_8", "sm_90b", "compute_", "sm_90af", "SM_90",
                                        "sm_1000", "sm_-90", "sm_90 ", "gfx90a"};
    for (size_t i = 0; i < sizeof bad_targets / sizeof *bad_targets; i++) {
        gm_target t;
        gm_error e = {0};
        assert_int_equal(gm_target_parse(bad_targets[i], &t, &e), GM_EINVAL);
        assert_non_null(strstr(e.msg, bad_targets[i]));
    }
    static const char *bad_cuda[] = {"12.x", "", "-1", "12..4", "12.4.1.1", "100.0", "12041"};
    for (size_t i = 0; i < sizeof bad_cuda / sizeof *bad_cuda; i++) {
        gm_cuda_version v;
        gm_error e = {0};
        assert_int_equal(gm_cuda_version_parse(bad_cuda[i], &v, &e), GM_EINVAL);
    }
    /* 10 000 characters: rejected, and the message stays short. */
    char *big = malloc(10001);
    memset(big, '9', 10000);
    big[10000] = '\0';
    gm_error e = {0};
    gm_driver_version v;
    gm_cc c;
    gm_target t;
    assert_int_equal(gm_driver_version_parse(big, &v, &e), GM_EINVAL);
    assert_true(strlen(e.msg) < 200);
    assert_int_equal(gm_cc_parse(big, &c, &e), GM_EINVAL);
    big[0] = 's', big[1] = 'm', big[2] = '_';
    assert_int_equal(gm_target_parse(big, &t, &e), GM_EINVAL);
    free(big);
}

static void cuda_versions(void **state) {
    gm_cuda_version v;
    char buf[GM_VERSION_STR_MAX];
    assert_int_equal(gm_cuda_version_parse("12.4", &v, NULL), 0);
    assert_int_equal(gm_cuda_version_to_int(&v), 12040);
    assert_int_equal(gm_cuda_version_parse("13", &v, NULL), 0);
    assert_string_equal(gm_cuda_version_str(&v, buf), "13.0");
    assert_int_equal(gm_cuda_version_parse("12040", &v, NULL), 0);
    assert_int_equal(v.major, 12);
    assert_int_equal(v.minor, 4);
    assert_int_equal(gm_cuda_version_from_int(13010, &v, NULL), 0);
    assert_string_equal(gm_cuda_version_str(&v, buf), "13.1");
    gm_cuda_version a = {12, 10}, b = {12, 9};
    assert_true(gm_cuda_version_cmp(&a, &b) > 0); /* 12.10 > 12.9, unlike Arvados' floats */
}

static void targets(void **state) {
    static const struct { const char *s; gm_target_kind k; int maj, min; gm_variant v; } ok[] = {
        {"sm_86", GM_KIND_CUBIN, 8, 6, GM_VARIANT_PLAIN},
        {"sm_90a", GM_KIND_CUBIN, 9, 0, GM_VARIANT_ARCH},
        {"sm_100f", GM_KIND_CUBIN, 10, 0, GM_VARIANT_FAMILY},
        {"compute_90", GM_KIND_PTX, 9, 0, GM_VARIANT_PLAIN},
        {"compute_90a", GM_KIND_PTX, 9, 0, GM_VARIANT_ARCH},
        {"sm_120", GM_KIND_CUBIN, 12, 0, GM_VARIANT_PLAIN},
        {"sm_121a", GM_KIND_CUBIN, 12, 1, GM_VARIANT_ARCH},
        {"compute_103f", GM_KIND_PTX, 10, 3, GM_VARIANT_FAMILY},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        gm_target t;
        char buf[GM_VERSION_STR_MAX];
        assert_int_equal(gm_target_parse(ok[i].s, &t, NULL), 0);
        assert_int_equal(t.kind, ok[i].k);
        assert_int_equal(t.cc.major, ok[i].maj);
        assert_int_equal(t.cc.minor, ok[i].min);
        assert_int_equal(t.variant, ok[i].v);
        assert_string_equal(gm_target_str(&t, buf), ok[i].s); /* round trip */
    }
    gm_target t;
    assert_int_equal(gm_target_parse_or_cc("8.0", GM_KIND_CUBIN, &t, NULL), 0);
    assert_int_equal(t.kind, GM_KIND_CUBIN);
    assert_int_equal(gm_cc_to_sm(&t.cc), 80);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(driver_versions), cmocka_unit_test(bad_strings),
        cmocka_unit_test(cuda_versions), cmocka_unit_test(targets)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
