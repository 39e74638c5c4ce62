/* The NULL-err rule of error.h: every public function accepts err == NULL,
 * fails the same way (same status) as with an error buffer, and never
 * crashes. Each case is a failing input; run with &e, then with NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "gpumatch/gpumatch.h"
#include "gpumatch/sys/elfscan.h"
#include "gpumatch/sys/fatbin.h"
#include "gpumatch/sys/host.h"
#include "gpumatch/sys/ldcache.h"

#define NOFILE "/nonexistent/gpumatch-null-err"
#define S(x) x, strlen(x)

static int c_node_parse(gm_error *err) {
    gm_node_list l = {0};
    int rc = gm_node_list_parse(S("{\"devices\": 3}"), "n.json", &l, err);
    gm_node_list_free(&l);
    return rc;
}
static int c_node_load(gm_error *err) {
    gm_node_list l = {0};
    int rc = gm_node_list_load(NOFILE, &l, err);
    gm_node_list_free(&l);
    return rc;
}
static int c_req_parse(gm_error *err) {
    gm_requirement r;
    gm_requirement_init(&r);
    int rc = gm_requirement_parse(S("{\"min_compute_capability\": \"eight\"}"), "r.json", &r, err);
    gm_requirement_free(&r);
    return rc;
}
static int c_req_load(gm_error *err) {
    gm_requirement r;
    gm_requirement_init(&r);
    int rc = gm_requirement_load(NOFILE, &r, err);
    gm_requirement_free(&r);
    return rc;
}
static int c_req_list(gm_error *err) {
    gm_requirement_list l = {0};
    int rc = gm_requirement_list_parse(S("[{\"bogus\": 1}]"), "q.json", &l, err);
    gm_requirement_list_free(&l);
    return rc;
}
static int c_versions(gm_error *err) {
    gm_driver_version d;
    gm_cuda_version c;
    gm_cc cc;
    gm_target t;
    int r[] = {gm_driver_version_parse("535.x", &d, err), gm_cuda_version_parse("12.x", &c, err),
               gm_cc_parse("8.O", &cc, err), gm_target_parse("sm_8", &t, err)};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (r[i] != GM_EINVAL)
            return 0;
    return GM_EINVAL;
}
static int c_nvreq(gm_error *err) { return gm_nvreq_validate("cuda>=banana", err); }
static int c_caps(gm_error *err) {
    unsigned caps;
    return gm_driver_caps_parse("compute,banana", &caps, err);
}
/* Every probe source absent: the fallback loop used to read err->msg. */
static int c_probe_auto(gm_error *err) {
    gm_probe_opts o = {.root = NOFILE, .nvml_lib = NOFILE "/libnvidia-ml.so.1",
                       .cuda_lib = NOFILE "/libcuda.so.1", .smi_cmd = NOFILE "/nvidia-smi"};
    gm_node n;
    gm_node_init(&n);
    int rc = gm_probe(&o, &n, err);
    gm_node_free(&n);
    return rc;
}
static int c_probe_backend(gm_error *err) {
    gm_probe_opts o = {.backend = "bogus"};
    gm_node n;
    gm_node_init(&n);
    int rc = gm_probe(&o, &n, err);
    gm_node_free(&n);
    return rc;
}
static int c_host(gm_error *err) {
    gm_driver_version v;
    return gm_host_driver_version(NOFILE, &v, NULL, 0, err);
}
static int c_driver_files(gm_error *err) {
    gm_driver_files f;
    gm_driver_files_opts o = {.root = NOFILE};
    int rc = gm_driver_files_find(&o, &f, err);
    gm_driver_files_free(&f);
    return rc;
}
static int c_ldcache(gm_error *err) {
    gm_ldcache c = {0};
    int rc = gm_ldcache_load(NOFILE, &c, err);
    gm_ldcache_free(&c);
    return rc;
}
static int c_elfscan(gm_error *err) {
    gm_elf_scan s;
    memset(&s, 0, sizeof s);
    int rc = gm_elfscan_file(NOFILE, GM_FATBIN_HEADERS, &s, err);
    gm_elf_scan_free(&s);
    return rc;
}
static int visit(void *ctx, gm_image_file *f, gm_error *err) { return 0; }
static int c_image(gm_error *err) {
    gm_image_info info = {0};
    int rc = gm_image_walk(NOFILE, visit, NULL, &info, err);
    gm_image_info_free(&info);
    return rc;
}
static int c_inspect(gm_error *err) {
    gm_inspect in;
    gm_inspect_init(&in, GM_FATBIN_HEADERS);
    int rc = gm_inspect_add_path(&in, NOFILE, NULL, err);
    gm_inspect_free(&in);
    return rc;
}
static int c_preflight(gm_error *err) {
    gm_pf_opts o = {.root = NOFILE, .image = NOFILE "/image.tar"};
    gm_pf_report r = {0};
    int rc = gm_preflight_run(&o, &r, err);
    gm_pf_report_free(&r);
    return rc;
}

static const struct {
    const char *name;
    int (*fn)(gm_error *);
    int want; /* 0: any failure */
} cases[] = {
    {"gm_node_list_parse", c_node_parse, GM_EINVAL},
    {"gm_node_list_load", c_node_load, GM_ENOTFOUND},
    {"gm_requirement_parse", c_req_parse, GM_EINVAL},
    {"gm_requirement_load", c_req_load, GM_ENOTFOUND},
    {"gm_requirement_list_parse", c_req_list, GM_EINVAL},
    {"version parsers", c_versions, GM_EINVAL},
    {"gm_nvreq_validate", c_nvreq, GM_EINVAL},
    {"gm_driver_caps_parse", c_caps, GM_EINVAL},
    {"gm_probe (auto, nothing installed)", c_probe_auto, GM_ENODRIVER},
    {"gm_probe (bad backend)", c_probe_backend, GM_EINVAL},
    {"gm_host_driver_version", c_host, GM_EABSENT},
    {"gm_driver_files_find", c_driver_files, GM_ENODRIVER},
    {"gm_ldcache_load", c_ldcache, 0},
    {"gm_elfscan_file", c_elfscan, 0},
    {"gm_image_walk", c_image, 0},
    {"gm_inspect_add_path", c_inspect, 0},
    {"gm_preflight_run (missing image)", c_preflight, 0},
};

static void null_err(void **state) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gm_error e = {0};
        int with = cases[i].fn(&e);
        int without = cases[i].fn(NULL);
        if (with >= 0 || with != without || e.code != with || !e.msg[0] ||
            (cases[i].want && with != cases[i].want))
            fail_msg("%s: with err %d (%s, code %d \"%s\"), with NULL %d, want %d", cases[i].name,
                     with, gm_status_name(with), e.code, e.msg, without, cases[i].want);
    }
    gm_error_clear(NULL);
    assert_int_equal(gm_error_set(NULL, GM_EIO, "x"), GM_EIO);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(null_err)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
