/* The ownership rule of docs/library.md ("Ownership"), type by type: a zeroed
 * object may be freed (twice: free leaves it empty), NULL may be freed, and an
 * out-parameter after a failed call owns nothing and may be freed. Run under
 * ASan, a free of something never allocated or a leak of a half-built result
 * fails here. ownership.sh checks every free function of the table is called. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "gpumatch/gpumatch.h"
#include "gpumatch/sys/elfscan.h"
#include "gpumatch/sys/fatbin.h"
#include "gpumatch/sys/ldcache.h"
#include "gpumatch/sys/plan.h"

/* free(x) twice on a zeroed x; the second sees what the first left. */
#define ZEROED(T, fn)                                                                     \
    do {                                                                                  \
        T x_;                                                                             \
        memset(&x_, 0, sizeof x_);                                                        \
        fn(&x_);                                                                          \
        fn(&x_);                                                                          \
    } while (0)

static void zeroed_objects(void **state) {
    ZEROED(gm_strlist, gm_strlist_free);
    ZEROED(gm_driver_files, gm_driver_files_free);
    ZEROED(gm_elf_scan, gm_elf_scan_free);
    ZEROED(gm_fatbin, gm_fatbin_free);
    ZEROED(gm_node_kinds, gm_node_kinds_free);
    ZEROED(gm_cell, gm_cell_free);
    ZEROED(gm_matrix, gm_matrix_free);
    ZEROED(gm_image_info, gm_image_info_free);
    ZEROED(gm_inspect, gm_inspect_free);
    ZEROED(gm_launch_plan, gm_launch_plan_free);
    ZEROED(gm_verdict, gm_verdict_free);
    ZEROED(gm_node, gm_node_free);
    ZEROED(gm_node_list, gm_node_list_free);
    ZEROED(gm_plan, gm_plan_free);
    ZEROED(gm_pf_report, gm_pf_report_free);
    ZEROED(gm_prove_report, gm_prove_report_free);
    ZEROED(gm_requirement, gm_requirement_free);
    ZEROED(gm_module_req, gm_module_req_free);
    ZEROED(gm_req_variant, gm_req_variant_free);
    ZEROED(gm_entry_point, gm_entry_point_free);
    ZEROED(gm_requirement_list, gm_requirement_list_free);
    ZEROED(gm_ldcache, gm_ldcache_free);
    ZEROED(gm_error, gm_error_clear);
    /* Handles: NULL is the empty one. */
    gm_agent_free(NULL);
    gm_plan_inventory_free(NULL);
    gm_plan_request_free(NULL);
}

/* Initialised objects are empty too: freeing them right away is harmless. */
static void initialised_objects(void **state) {
    gm_node n;
    gm_node_init(&n);
    gm_node_free(&n);
    gm_node_free(&n);
    gm_requirement r;
    gm_requirement_init(&r);
    gm_requirement_free(&r);
    gm_requirement_free(&r);
    gm_inspect in;
    gm_inspect_init(&in, GM_FATBIN_HEADERS);
    gm_inspect_free(&in);
    gm_inspect_free(&in);
}

/* After its free function an object is empty again: all zero bytes for the
 * types whose empty state is zero. */
static void assert_zero_bytes(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(b[i], 0);
}
#define FREED(x, fn)                                                                      \
    do {                                                                                  \
        fn(&(x));                                                                         \
        assert_zero_bytes(&(x), sizeof(x));                                               \
        fn(&(x));                                                                         \
    } while (0)

static void after_failure(void **state) {
    gm_error e = {0};
    static const char junk[] = "\x7f" "ELF\x02\x01\x01 not really an ELF file";

    gm_driver_files df = {0};
    gm_driver_files_opts dfo = {.root = "/nonexistent-root", .driver_version = "not-a-version"};
    assert_int_equal(gm_driver_files_find(&dfo, &df, &e), GM_EINVAL);
    FREED(df, gm_driver_files_free);

    gm_elf_scan es = {0};
    assert_true(gm_elfscan_file("/nonexistent/file", GM_FATBIN_HEADERS, &es, &e) < 0);
    FREED(es, gm_elf_scan_free);
    memset(&es, 0, sizeof es);
    assert_true(gm_elfscan_memory(junk, sizeof junk - 1, "junk", GM_FATBIN_HEADERS, &es, &e) < 0);
    FREED(es, gm_elf_scan_free);

    /* A region header claiming more entry bytes than there are. */
    unsigned char fb_bytes[16] = {0x50, 0xED, 0x55, 0xBA, 1, 0, 16, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0};
    gm_fatbin fb = {0};
    assert_true(gm_fatbin_parse(fb_bytes, sizeof fb_bytes, "t", 0, GM_FATBIN_HEADERS, &fb, &e) < 0);
    FREED(fb, gm_fatbin_free);

    gm_ldcache lc = {0};
    assert_true(gm_ldcache_parse((const unsigned char *)junk, sizeof junk - 1, "t", &lc, &e) < 0);
    FREED(lc, gm_ldcache_free);

    /* Appending functions take an initialised list (the caller's). */
    gm_node_list nl = {0};
    static const char two[] = "[{\"hostname\": \"a\", \"driver\": \"535.104.05\"}, {\"driver\": 5}]";
    assert_true(gm_node_list_parse(two, sizeof two - 1, "t", &nl, &e) < 0);
    FREED(nl, gm_node_list_free);

    gm_node n;
    gm_node_init(&n);
    assert_true(gm_probe_parse_smi_xml("<nvidia_smi_log", 15, "t", &n, &e) < 0);
    gm_node_free(&n);
    gm_node_free(&n);

    gm_requirement r;
    gm_requirement_init(&r);
    assert_true(gm_requirement_parse("{\"cuda\": [", 10, "t", &r, &e) < 0);
    gm_requirement_free(&r);

    gm_requirement_list rl = {0};
    assert_true(gm_requirement_list_parse("[{\"cuda\": 1}", 12, "t", &rl, &e) < 0);
    FREED(rl, gm_requirement_list_free);

    gm_pf_report pr = {0};
    gm_pf_opts po = {.root = "/nonexistent-root", .image = "/nonexistent/image.tar"};
    assert_true(gm_preflight_run(&po, &pr, &e) < 0);
    FREED(pr, gm_pf_report_free);

    gm_image_info ii = {0};
    assert_true(gm_image_walk("/nonexistent/image.tar", NULL, NULL, &ii, &e) < 0);
    FREED(ii, gm_image_info_free);

    gm_inspect in;
    gm_inspect_init(&in, GM_FATBIN_HEADERS);
    assert_true(gm_inspect_add_path(&in, "/nonexistent/dir", NULL, &e) < 0);
    gm_inspect_free(&in);

    gm_launch_plan lp = {0};
    gm_node ln;
    gm_node_init(&ln);
    gm_launch_opts lo = {.image = "-not-an-image"};
    assert_true(gm_launch_prepare(&ln, NULL, &lo, &lp, &e) < 0);
    FREED(lp, gm_launch_plan_free);
    gm_node_free(&ln);

    gm_agent *ag = (gm_agent *)&e; /* garbage the call must overwrite */
    gm_agent_opts ao = {0};
    if (gm_agent_new(&ao, &ag, &e) < 0)
        assert_null(ag);
    gm_agent_free(ag);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zeroed_objects),
        cmocka_unit_test(initialised_objects),
        cmocka_unit_test(after_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
