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
#include "core/tables_internal.h"

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
    d = D("383.10"); /* older than CUDA 9.0's 384.81 */
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

/* CUDA C++ Programming Guide 12.x section 6.1.2: "Binary compatibility is
 * supported only for the desktop. It is not supported for Tegra. Also, the binary
 * compatibility between desktop and Tegra is not supported." PTX compatibility
 * (JIT) is not restricted that way. */
static void tegra_rules(void **state) {
    static const struct { const char *target, *dev; gm_verdict_kind want; } cases[] = {
        {"sm_80", "8.7", GM_NO},   /* desktop cubin on Orin */
        {"sm_87", "8.9", GM_NO},   /* Orin cubin on desktop Ada */
        {"sm_70", "7.2", GM_NO},   /* Volta desktop on Xavier */
        {"sm_72", "7.5", GM_NO},   /* Xavier cubin on Turing */
        {"sm_53", "5.3", GM_YES},  /* exact CC always runs */
        {"sm_87", "8.7", GM_YES},
        {"sm_100", "10.1", GM_NO}, /* Thor under CUDA 12.x naming */
        {"sm_110", "11.0", GM_YES},
        {"sm_80", "8.6", GM_YES},  /* desktop to desktop still works */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gm_target t = T(cases[i].target);
        gm_cc d = C(cases[i].dev);
        gm_rule_result r = {0};
        gm_verdict_kind k = gm_rule_cubin(&t, &d, &r);
        if (k != cases[i].want)
            fail_msg("%s on %s: got %d want %d (%s)", cases[i].target, cases[i].dev, k,
                     cases[i].want, r.reason);
    }
    gm_target t = T("sm_80");
    gm_cc d = C("8.7");
    gm_rule_result r;
    gm_rule_cubin(&t, &d, &r);
    assert_non_null(strstr(r.reason, "Tegra"));
    gm_target p = T("compute_80");
    gm_cuda_version isa = V("8.0"), dc = V("12.6");
    assert_int_equal(gm_rule_ptx(&p, &isa, &d, &dc, NULL), GM_YES); /* JIT on Orin is fine */
    assert_true(gm_cc_is_tegra(&d));
    gm_cc desk = C("8.6");
    assert_false(gm_cc_is_tegra(&desk));
}

/* CUDA C++ Programming Guide 13.x, family-specific targets: 100f -> 10.0, 10.3,
 * 10.7; 103f -> 10.3, 10.7; 110f -> 11.0; 120f -> 12.0, 12.1; 121f -> 12.1.
 * CUDA 12.9 family blog: sm_100f is 10.0 and 10.3 (not 10.1). */
static void family_rules(void **state) {
    static const struct { const char *target, *dev; gm_verdict_kind want; } cases[] = {
        {"sm_100f", "10.0", GM_YES}, {"sm_100f", "10.3", GM_YES}, {"sm_100f", "10.7", GM_YES},
        {"sm_100f", "10.1", GM_NO},  {"sm_103f", "10.3", GM_YES}, {"sm_103f", "10.7", GM_YES},
        {"sm_103f", "10.0", GM_NO},  {"sm_110f", "11.0", GM_YES}, {"sm_110f", "10.0", GM_NO},
        {"sm_120f", "12.0", GM_YES}, {"sm_120f", "12.1", GM_YES}, {"sm_121f", "12.1", GM_YES},
        {"sm_121f", "12.0", GM_NO},  {"sm_107f", "10.7", GM_YES}, {"sm_107f", "10.0", GM_NO},
        {"sm_130f", "13.0", GM_UNKNOWN}, /* a family the tables do not know */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gm_target t = T(cases[i].target);
        gm_cc d = C(cases[i].dev);
        gm_rule_result r = {0};
        gm_verdict_kind k = gm_rule_cubin(&t, &d, &r);
        if (k != cases[i].want)
            fail_msg("%s on %s: got %d want %d (%s)", cases[i].target, cases[i].dev, k,
                     cases[i].want, r.reason);
        /* compute_XYf follows the same membership */
        gm_target p = t;
        p.kind = GM_KIND_PTX;
        if (gm_rule_ptx_arch(&p, &d, NULL) != cases[i].want)
            fail_msg("PTX %s on %s disagrees with the family table", cases[i].target, cases[i].dev);
    }
    size_t n;
    assert_true(gm_table_family(&n) && n >= 6);
}

/* Knowledge as of December 2026 (data/NAME.tsv, each row citing its source). */
static void current_knowledge(void **state) {
    struct { const char *cuda, *drv; } tk[] = {
        {"9.0", "384.81"}, {"9.1", "390.46"}, {"9.2", "396.26"}, {"11.0", "450.51.05"},
        {"13.3", "610.43.02"}, {"13.4", "615"},
    };
    for (size_t i = 0; i < sizeof tk / sizeof *tk; i++) {
        gm_cuda_version c = V(tk[i].cuda);
        const gm_toolkit_entry *e = gm_toolkit_find(&c);
        assert_non_null(e);
        char b[GM_VERSION_STR_MAX];
        assert_string_equal(gm_driver_version_str(&e->toolkit_driver, b), tk[i].drv);
        assert_true(e->source && *e->source);
    }
    /* 13.5: no full-support driver stated, minor version compatibility from 580. */
    gm_cuda_version c135 = V("13.5");
    const gm_toolkit_entry *e = gm_toolkit_find(&c135);
    assert_non_null(e);
    assert_false(gm_driver_version_is_set(&e->toolkit_driver));
    gm_driver_version d580 = D("580.95.05"), d575 = D("575.51.03");
    gm_rule_result r;
    assert_int_equal(gm_rule_runtime(&c135, &d580, NULL, &r), GM_YES);
    assert_int_equal(r.how, GM_HOW_MINOR_COMPAT);
    assert_int_equal(gm_rule_runtime(&c135, &d575, NULL, NULL), GM_NO);
    static const char *isa[][2] = {{"9.3", "13.3"}, {"9.4", "13.4"}, {"9.5", "13.5"}};
    for (size_t i = 0; i < 3; i++) {
        gm_cuda_version v = V(isa[i][0]), want = V(isa[i][1]);
        const gm_ptx_entry *p = gm_ptx_find(&v);
        assert_non_null(p);
        assert_int_equal(gm_cuda_version_cmp(&p->first_cuda, &want), 0);
    }
    gm_cc c107 = C("10.7"), c72 = C("7.2");
    assert_non_null(gm_arch_find(&c107));
    const gm_arch_entry *a72 = gm_arch_find(&c72);
    gm_cuda_version v91 = V("9.1");
    assert_int_equal(gm_cuda_version_cmp(&a72->first_cuda, &v91), 0); /* sm_72: CUDA 9.1 */
    /* Every row of every table cites a source. */
    size_t n;
    const gm_toolkit_entry *t = gm_table_toolkit(&n);
    for (size_t i = 0; i < n; i++) assert_true(t[i].source[0] && strcmp(t[i].source, "-"));
    const gm_ptx_entry *p = gm_table_ptx(&n);
    for (size_t i = 0; i < n; i++) assert_true(p[i].source[0] && strcmp(p[i].source, "-"));
    const gm_arch_entry *ar = gm_table_arch(&n);
    for (size_t i = 0; i < n; i++) assert_true(ar[i].source[0] && strcmp(ar[i].source, "-"));
    const gm_family_entry *f = gm_table_family(&n);
    for (size_t i = 0; i < n; i++) assert_true(f[i].source[0] && strcmp(f[i].source, "-"));
    const gm_branch_entry *b = gm_table_branch(&n);
    for (size_t i = 0; i < n; i++) assert_true(b[i].source[0] && strcmp(b[i].source, "-"));
}

/* Driver -> CUDA by branch (PTX ISA release history: ISA 8.6 = CUDA 12.7 = r565,
 * 9.3 = 13.3 = r610, 9.4 = 13.4 = r615; JetPack 6: 540.x = CUDA 12.6). The old
 * "newest toolkit whose bundled driver <= node driver" under-reported these. */
static void driver_branches(void **state) {
    static const char *cases[][2] = {
        {"565.57.01", "12.7"}, {"610.43.02", "13.3"}, {"615.10", "13.4"}, {"540.4.0", "12.6"},
        {"535.104.05", "12.2"}, {"580.95.05", "13.0"}, {"595.71.05", "13.2"},
        {"470.57.02", "11.4"}, {"384.81", "9.0"}, {"620.10", "13.4"}, /* newer: at least 13.4 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gm_driver_version d = D(cases[i][0]);
        gm_cuda_version got, want = V(cases[i][1]);
        assert_true(gm_driver_max_cuda(&d, &got));
        if (gm_cuda_version_cmp(&got, &want))
            fail_msg("driver %s: got CUDA %d.%d want %s", cases[i][0], got.major, got.minor,
                     cases[i][1]);
    }
}

/* The PTX a toolkit emits: known for releases the tables cover, unknown past them. */
static void emitted_isa(void **state) {
    gm_cuda_version c = V("13.3"), isa;
    assert_true(gm_cuda_emitted_ptx(&c, &isa));
    assert_int_equal(gm_cuda_version_to_int(&isa), 9030);
    c = V("12.6");
    assert_true(gm_cuda_emitted_ptx(&c, &isa));
    assert_int_equal(gm_cuda_version_to_int(&isa), 8050);
    c = V("13.6");
    assert_false(gm_cuda_emitted_ptx(&c, &isa));
}

/* MIG User Guide, "CUDA Device Enumeration": "a single CUDA process can only
 * enumerate a single MIG device". */
static void mig_rule(void **state) {
    gm_rule_result r;
    assert_int_equal(gm_rule_mig(1, &r), GM_YES);
    assert_int_equal(gm_rule_mig(2, &r), GM_NO);
    assert_non_null(strstr(r.reason, "single MIG device"));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(tables_parse), cmocka_unit_test(cubin_rules),
                                       cmocka_unit_test(ptx_rules), cmocka_unit_test(runtime_rules),
                                       cmocka_unit_test(bounds), cmocka_unit_test(tegra_rules),
                                       cmocka_unit_test(family_rules),
                                       cmocka_unit_test(current_knowledge),
                                       cmocka_unit_test(driver_branches),
                                       cmocka_unit_test(emitted_isa), cmocka_unit_test(mig_rule)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
