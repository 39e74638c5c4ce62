/* The rules, table-driven from NVIDIA's documentation:
 * - CUDA C Programming Guide, "Binary Compatibility" / "PTX Compatibility":
 *   cubin sm_XY runs on X.Z for Z >= Y only; PTX runs on any CC >= its own.
 * - Blackwell Compatibility Guide / CUDA 12.9 blog: sm_XYa only on X.Y;
 *   sm_100f on 10.0 and 10.3; sm_120f on 12.0 and 12.1.
 * - CUDA Compatibility guide, minor version compatibility: 12.x >= 525.60.13,
 *   11.x >= 450.80.02, 13.x >= 580; not before CUDA 11.
 * - PTX ISA release notes: ISA 9.0 first in CUDA 13.0, 8.7 in 12.8. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "gpumatch/rules.h"
#include "gpumatch/tables.h"
#include "tables_internal.h"

static gm_target T(const char *s) {
    gm_target t;
    assert_int_equal(gm_target_parse(s, &t, NULL), 0);
    return t;
}
static gm_cc C(const char *s) {
    gm_cc c;
    assert_int_equal(gm_cc_parse(s, &c, NULL), 0);
    return c;
}
static gm_cuda_version V(const char *s) {
    gm_cuda_version v;
    assert_int_equal(gm_cuda_version_parse(s, &v, NULL), 0);
    return v;
}
static gm_driver_version D(const char *s) {
    gm_driver_version v;
    assert_int_equal(gm_driver_version_parse(s, &v, NULL), 0);
    return v;
}

static void tables_parse(void **state) {
    gm_error e = {0};
    assert_int_equal(gm_tables_check(&e), 0);
    size_t n;
    assert_true(gm_table_toolkit(&n) && n >= 20);
    assert_true(gm_table_ptx(&n) && n >= 20);
    assert_true(gm_table_arch(&n) && n >= 20);
    static const char *required_cc[] = {"8.7", "8.9", "9.0", "10.0", "10.3", "11.0", "12.0", "12.1"};
    for (size_t i = 0; i < sizeof required_cc / sizeof *required_cc; i++) {
        gm_cc c = C(required_cc[i]);
        assert_non_null(gm_arch_find(&c));
    }
    gm_cuda_version out;
    gm_driver_version d = D("535.104.05");
    assert_true(gm_driver_max_cuda(&d, &out));
    assert_int_equal(gm_cuda_version_to_int(&out), 12020);
    d = D("470.57.02");
    assert_true(gm_driver_max_cuda(&d, &out));
    assert_int_equal(gm_cuda_version_to_int(&out), 11040);
    d = D("580.65.06");
    assert_true(gm_driver_max_cuda(&d, &out));
    assert_int_equal(gm_cuda_version_to_int(&out), 13000);
    d = D("400.10");
    assert_false(gm_driver_max_cuda(&d, &out));
    gm_cuda_version c = V("12.8"), isa;
    assert_true(gm_cuda_max_ptx(&c, &isa));
    assert_int_equal(gm_cuda_version_to_int(&isa), 8070);
    c = V("13.0");
    assert_true(gm_cuda_max_ptx(&c, &isa));
    assert_int_equal(gm_cuda_version_to_int(&isa), 9000);
}

static void cubin_rules(void **state) {
    static const struct { const char *target, *dev; gm_verdict_kind want; } cases[] = {
        {"sm_80", "8.6", GM_YES},  {"sm_80", "8.0", GM_YES},   {"sm_80", "8.9", GM_YES},
        {"sm_80", "9.0", GM_NO},   {"sm_86", "8.0", GM_NO},    {"sm_75", "8.0", GM_NO},
        {"sm_90", "9.0", GM_YES},  {"sm_90", "10.0", GM_NO},   {"sm_90a", "9.0", GM_YES},
        {"sm_90a", "10.0", GM_NO}, {"sm_100a", "10.3", GM_NO}, {"sm_100a", "10.0", GM_YES},
        {"sm_100f", "10.0", GM_YES}, {"sm_100f", "10.3", GM_YES}, {"sm_103f", "10.0", GM_NO},
        {"sm_100f", "11.0", GM_NO}, {"sm_100f", "12.0", GM_NO}, {"sm_120f", "12.1", GM_YES},
        {"sm_120", "12.1", GM_YES}, {"sm_121", "12.0", GM_NO}, {"sm_70", "7.5", GM_YES},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gm_target t = T(cases[i].target);
        gm_cc d = C(cases[i].dev);
        gm_rule_result r = {0};
        gm_verdict_kind k = gm_rule_cubin(&t, &d, &r);
        if (k != cases[i].want)
            fail_msg("%s on %s: got %d want %d (%s)", cases[i].target, cases[i].dev, k,
                     cases[i].want, r.reason);
        assert_non_null(strstr(r.reason, cases[i].target)); /* reason names the target */
    }
}

static void ptx_rules(void **state) {
    static const struct { const char *target, *isa, *dev, *drv_cuda; gm_verdict_kind want; } cases[] = {
        {"compute_80", "8.0", "9.0", "12.2", GM_YES},
        {"compute_80", "8.0", "7.5", "12.2", GM_NO},
        {"compute_75", "6.4", "12.0", "12.8", GM_YES},
        {"compute_90", "9.0", "9.0", "12.2", GM_NO},   /* PTX 9.0 ISA on a 535 driver: no JIT */
        {"compute_90", "9.0", "9.0", "13.0", GM_YES},
        {"compute_75", "8.7", "8.9", "12.4", GM_NO},   /* 12.8 PTX on a 550 driver */
        {"compute_75", "8.7", "8.9", "12.8", GM_YES},
        {"compute_90a", "8.0", "9.0", "12.2", GM_YES},
        {"compute_90a", "8.0", "10.0", "12.8", GM_NO},
        {"compute_100f", "8.8", "10.3", "12.9", GM_YES},
        {"compute_100f", "8.8", "12.0", "12.9", GM_NO},
        {"compute_80", "9.9", "9.0", "13.2", GM_UNKNOWN}, /* ISA newer than the tables */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gm_target t = T(cases[i].target);
        gm_cc d = C(cases[i].dev);
        gm_cuda_version isa = V(cases[i].isa), dc = V(cases[i].drv_cuda);
        gm_rule_result r = {0};
        gm_verdict_kind k = gm_rule_ptx(&t, &isa, &d, &dc, &r);
        if (k != cases[i].want)
            fail_msg("%s isa %s on %s drv %s: got %d want %d (%s)", cases[i].target, cases[i].isa,
                     cases[i].dev, cases[i].drv_cuda, k, cases[i].want, r.reason);
        if (k == GM_YES)
            assert_int_equal(r.how, GM_HOW_JIT);
    }
    /* Driver's CUDA version unknown: undecidable, not yes. */
    gm_target t = T("compute_80");
    gm_cc d = C("9.0");
    gm_cuda_version isa = V("8.0");
    assert_int_equal(gm_rule_ptx(&t, &isa, &d, NULL, NULL), GM_UNKNOWN);
}

static void runtime_rules(void **state) {
    static const struct { const char *rt, *drv; gm_verdict_kind want; gm_how how; } cases[] = {
        {"12.0", "470.57.02", GM_NO, GM_HOW_NONE},
        {"12.2", "535.54.03", GM_YES, GM_HOW_DIRECT},
        {"12.4", "535.104.05", GM_YES, GM_HOW_MINOR_COMPAT},
        {"12.8", "525.60.13", GM_YES, GM_HOW_MINOR_COMPAT},
        {"12.8", "525.60.12", GM_NO, GM_HOW_NONE},
        {"11.8", "450.80.02", GM_YES, GM_HOW_MINOR_COMPAT},
        {"11.8", "450.51.06", GM_NO, GM_HOW_NONE},
        {"11.0", "450.51.05", GM_YES, GM_HOW_DIRECT},
        {"10.2", "440.33", GM_YES, GM_HOW_DIRECT},
        {"10.2", "418.39", GM_NO, GM_HOW_NONE},   /* no minor version compatibility before 11 */
        {"13.1", "580.65.06", GM_YES, GM_HOW_MINOR_COMPAT},
        {"13.0", "575.51.03", GM_NO, GM_HOW_NONE},
        {"13.7", "590.44.01", GM_YES, GM_HOW_MINOR_COMPAT}, /* unknown minor, known major */
        {"14.0", "600.10", GM_UNKNOWN, GM_HOW_NONE},
        {"11.4", "580.95.05", GM_YES, GM_HOW_DIRECT},      /* backward compatibility */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gm_cuda_version rt = V(cases[i].rt);
        gm_driver_version drv = D(cases[i].drv);
        gm_rule_result r = {0};
        gm_verdict_kind k = gm_rule_runtime(&rt, &drv, NULL, &r);
        if (k != cases[i].want || r.how != cases[i].how)
            fail_msg("CUDA %s on %s: got %d/%d want %d/%d (%s)", cases[i].rt, cases[i].drv, k,
                     r.how, cases[i].want, cases[i].how, r.reason);
    }
    gm_cuda_version rt = V("12.0");
    gm_driver_version drv = D("470.57.02");
    gm_rule_result r;
    gm_rule_runtime(&rt, &drv, NULL, &r);
    assert_non_null(strstr(r.reason, "driver 470.57.02 < 525.60.13 required by CUDA 12.0 runtime"));
    rt = V("12.4");
    drv = D("535.104.05");
    gm_rule_runtime(&rt, &drv, NULL, &r);
    assert_non_null(strstr(r.reason, "ok via minor version compatibility"));
}

static void bounds(void **state) {
    gm_driver_version min = D("525.60.13"), a = D("525.60.13"), b = D("525.60.12");
    assert_int_equal(gm_rule_min_driver(&min, &a, NULL), GM_YES);
    assert_int_equal(gm_rule_min_driver(&min, &b, NULL), GM_NO);
    gm_cuda_version need = V("12.10"), have = V("12.9");
    gm_rule_result r;
    assert_int_equal(gm_rule_min_cuda_driver(&need, &have, &r), GM_NO);
    assert_non_null(strstr(r.reason, "12.9 < 12.10"));
    assert_int_equal(gm_rule_min_cuda_driver(&need, NULL, NULL), GM_UNKNOWN);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(tables_parse), cmocka_unit_test(cubin_rules),
                                       cmocka_unit_test(ptx_rules), cmocka_unit_test(runtime_rules),
                                       cmocka_unit_test(bounds)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
