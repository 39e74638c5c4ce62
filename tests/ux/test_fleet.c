/* Fleet helpers: text elision/escaping, node kinds, cells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "gpumatch/fleet.h"

static void elide(void **state) {
    (void)state;
    char *s = gm_text_elide("abcdef", 4);
    assert_string_equal(s, "abc\xe2\x80\xa6");
    free(s);
    s = gm_text_elide("abcd", 4); /* fits exactly: untouched */
    assert_string_equal(s, "abcd");
    free(s);
    s = gm_text_elide("abcdef", 0); /* 0: no limit */
    assert_string_equal(s, "abcdef");
    free(s);
    /* code points, not bytes: "ü" is one column and never split */
    s = gm_text_elide("\xc3\xbc\xc3\xbc\xc3\xbc", 2);
    assert_string_equal(s, "\xc3\xbc\xe2\x80\xa6");
    assert_int_equal(gm_text_width(s), 2);
    free(s);
}

static void escape(void **state) {
    (void)state;
    char *s = gm_text_escape("a\x1b[31mb\n\t\x7f");
    assert_string_equal(s, "a\\x1b[31mb\\n\\t\\x7f");
    free(s);
    s = gm_text_escape("H100 \xc3\xbc"); /* UTF-8 stays */
    assert_string_equal(s, "H100 \xc3\xbc");
    free(s);
}

static const char nodes_json[] =
    "[{\"hostname\":\"a\",\"driver_version\":\"580.95.05\",\"devices\":["
    "{\"index\":0,\"uuid\":\"GPU-1\",\"name\":\"NVIDIA H100 80GB HBM3\",\"compute_capability\":\"9.0\",\"memory_mib\":81559}]},"
    "{\"hostname\":\"b\",\"driver_version\":\"580.95.05\",\"devices\":["
    "{\"index\":0,\"uuid\":\"GPU-2\",\"pci_bus_id\":\"x\",\"name\":\"NVIDIA H100 80GB HBM3\",\"compute_capability\":\"9.0\",\"memory_mib\":81559}]},"
    "{\"hostname\":\"c\",\"driver_version\":\"570.124.06\",\"devices\":["
    "{\"index\":0,\"name\":\"NVIDIA H100 80GB HBM3\",\"compute_capability\":\"9.0\",\"memory_mib\":81559}]},"
    "{\"hostname\":\"d\",\"driver_version\":\"580.95.05\",\"devices\":["
    "{\"index\":0,\"name\":\"NVIDIA GeForce RTX 4090\",\"compute_capability\":\"8.9\",\"memory_mib\":24564},"
    "{\"index\":1,\"name\":\"NVIDIA GeForce RTX 4090\",\"compute_capability\":\"8.9\",\"memory_mib\":24564}]}]";

static void kinds(void **state) {
    (void)state;
    gm_node_list l = {0};
    gm_error err = {0};
    assert_int_equal(gm_node_list_parse(nodes_json, strlen(nodes_json), "t", &l, &err), 0);
    gm_node_kinds k;
    assert_int_equal(gm_node_kinds_build(&l, &k, &err), 0);
    assert_int_equal(k.n, 3); /* a and b differ only in host, UUID, bus id */
    assert_string_equal(k.kinds[0].id, "h100");
    assert_int_equal(k.kinds[0].n_members, 2);
    assert_string_equal(k.kinds[1].id, "h100-2"); /* another driver */
    assert_string_equal(k.kinds[2].id, "4090");
    assert_string_equal(k.kinds[2].gpus, "2x NVIDIA GeForce RTX 4090 (CC 8.9, 24564 MiB)");
    assert_int_equal(k.kind_of[3], 2);
    gm_node_kinds_free(&k);
    gm_node_list_free(&l);
}

static void cell_states(void **state) {
    (void)state;
    gm_node_list l = {0};
    gm_requirement r;
    gm_error err = {0};
    assert_int_equal(gm_node_list_parse(nodes_json, strlen(nodes_json), "t", &l, &err), 0);
    /* sm_89 cubin + compute_89 PTX: cubin on the 4090 (8.9), PTX JIT on the H100 (9.0) */
    const char *req = "{\"cubin\":[\"sm_89\"],\"ptx\":\"compute_89\"}";
    gm_requirement_init(&r);
    assert_int_equal(gm_requirement_parse(req, strlen(req), "r", &r, &err), 0);
    gm_verdict v;
    gm_cell c;
    assert_int_equal(gm_match(&l.nodes[0], &r, &v, &err), 0);
    assert_int_equal(gm_cell_from_verdict(&v, &c, &err), 0);
    assert_int_equal(c.state, GM_CELL_NOTE); /* fits via PTX JIT */
    assert_non_null(strstr(c.notes.items[0], "GPU 0: via PTX JIT"));
    gm_cell_free(&c);
    gm_verdict_free(&v);
    assert_int_equal(gm_match(&l.nodes[3], &r, &v, &err), 0);
    assert_int_equal(gm_cell_from_verdict(&v, &c, &err), 0);
    assert_int_equal(c.state, GM_CELL_FITS); /* sm_89 cubin on 8.9 */
    assert_int_equal(c.notes.n, 0);
    gm_cell_free(&c);
    gm_verdict_free(&v);
    gm_requirement_free(&r);
    gm_node_list_free(&l);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(elide), cmocka_unit_test(escape),
                                       cmocka_unit_test(kinds), cmocka_unit_test(cell_states)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
