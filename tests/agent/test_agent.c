/* Unit tests of the agent's renderings and helpers. Expected text comes from
 * the formats' documents: NFD's `# +expiry-time=` takes Go's time.RFC3339
 * ("2006-01-02T15:04:05Z07:00"); the Prometheus text format escapes label
 * values as \\, \" and \n; `scontrol show node -o` prints one line of
 * Key=Value fields with Reason last (Slurm 22.05 output captured here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpumatch/agent.h"
#include "gpumatch/sys/agent.h"
#include "internal.h"

static void one_gpu(gm_node *n, const char *name) {
    gm_node_init(n);
    gm_error e = {0};
    assert_int_equal(gm_driver_version_parse("580.65.06", &n->driver, &e), 0);
    n->cuda_driver = (gm_cuda_version){13, 0};
    n->has_cuda_driver = true;
    n->devices = calloc(1, sizeof *n->devices);
    n->n_devices = 1;
    gm_device_init(&n->devices[0]);
    n->devices[0].name = strdup(name);
    n->devices[0].uuid = strdup("GPU-9a1b7c2e-0d3f-4e5a-9b6c-7d8e9f0a1b2c");
    n->devices[0].cc = (gm_cc){9, 0};
    n->devices[0].memory_mib = 81559;
}

static void add_result(gm_pf_report *r, const char *id, gm_pf_status st, const char *ev) {
    r->items = realloc(r->items, (r->n + 1) * sizeof *r->items);
    gm_pf_result *x = &r->items[r->n++];
    memset(x, 0, sizeof *x);
    x->id = id;
    x->status = st;
    x->subject = strdup("GPU 0");
    x->evidence = strdup(ev);
    r->cap = r->n;
}

static void test_nfd_unhealthy(void **state) {
    (void)state;
    gm_node n;
    one_gpu(&n, "NVIDIA H100 80GB HBM3");
    gm_pf_report r = {0};
    add_result(&r, "dev.nvidiactl", GM_PF_OK, "present");
    add_result(&r, "driver.version-mismatch", GM_PF_FAIL, "kernel 570 vs 580");
    gm_error e = {0};
    char *t = gm_agent_nfd_text(&n, &r, NULL, (time_t)1796180000, &e);
    assert_non_null(t);
    /* the directive first: NFD applies it to the lines after it */
    assert_int_equal(strncmp(t, "# +expiry-time=2026-12-02T02:53:20Z\n", 36), 0);
    assert_non_null(strstr(t, "\ngpumatch.io/gpu.healthy=false\n"));
    assert_non_null(strstr(t, "\ngpumatch.io/gpu.failed-check=driver.version-mismatch\n"));
    assert_non_null(strstr(t, "\ngpumatch.io/gpu.sm.min=90\n"));
    /* no other '# +' line: NFD rejects unknown directives */
    assert_null(strstr(t + 1, "\n# +"));
    free(t);
    t = gm_agent_nfd_text(&n, NULL, "example.org", 0, &e);
    assert_non_null(t);
    assert_int_equal(strncmp(t, "# +expiry-time=1970-01-01T00:00:00Z\n", 36), 0);
    assert_non_null(strstr(t, "\nexample.org/gpu.healthy=true\n"));
    assert_null(strstr(t, "failed-check"));
    free(t);
    gm_pf_report_free(&r);
    gm_node_free(&n);
}

static void test_prom_escape(void **state) {
    (void)state;
    gm_node n;
    one_gpu(&n, "odd \"name\" \\ with\nnewline");
    gm_error e = {0};
    char *t = gm_agent_prom_text(&n, NULL, false, 0, &e);
    assert_non_null(t);
    assert_non_null(strstr(t, "name=\"odd \\\"name\\\" \\\\ with\\nnewline\""));
    assert_non_null(strstr(t, "\ngpumatch_probe_success 0\n"));
    assert_null(strstr(t, "last_successful")); /* never succeeded: no timestamp */
    free(t);
    gm_node_free(&n);
}

static void test_scontrol_fields(void **state) {
    (void)state;
    const char *show =
        "NodeName=vm Arch=x86_64 CoresPerSocket=1  CPUAlloc=0 CPUEfctv=1 CPUTot=1 CPULoad=11.50 "
        "AvailableFeatures=gpu,cc90 ActiveFeatures=gpu Gres=gpu:h100:1 NodeAddr=127.0.0.1 "
        "State=IDLE+DRAIN ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A Partitions=gm "
        "Reason=gpumatch: driver.version-mismatch: kernel 570 vs 580 [root@2026-12-02T02:32:46]\n";
    char b[256];
    assert_true(gm_slurm_node_field(show, "AvailableFeatures", b, sizeof b));
    assert_string_equal(b, "gpu,cc90");
    assert_true(gm_slurm_node_field(show, "ActiveFeatures", b, sizeof b));
    assert_string_equal(b, "gpu");
    assert_true(gm_slurm_node_field(show, "State", b, sizeof b));
    assert_string_equal(b, "IDLE+DRAIN");
    assert_true(gm_slurm_node_field(show, "Reason", b, sizeof b));
    assert_string_equal(b, "gpumatch: driver.version-mismatch: kernel 570 vs 580 [root@2026-12-02T02:32:46]");
    assert_false(gm_slurm_node_field(show, "Features", b, sizeof b)); /* not a suffix match */
}

static void test_atomic_write(void **state) {
    (void)state;
    char dir[] = "/tmp/gm-agent-test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *p = gm_asprintf("%s/f", dir);
    gm_error e = {0};
    assert_int_equal(gm_agent_write_atomic(p, "one\n", 4, &e), 0);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    chmod(p, 0640);
    assert_int_equal(gm_agent_write_atomic(p, "two\n", 4, &e), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    char *q = gm_asprintf("%s/missing/f", dir);
    assert_int_equal(gm_agent_write_atomic(q, "x", 1, &e), GM_EIO);
    assert_non_null(strstr(e.msg, "missing/f"));
    char *t = NULL;
    size_t len = 0;
    assert_int_equal(gm_read_file(p, 100, &t, &len, &e), 0);
    assert_string_equal(t, "two\n");
    free(t);
    unlink(p);
    rmdir(dir);
    free(p);
    free(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nfd_unhealthy),
        cmocka_unit_test(test_prom_escape),
        cmocka_unit_test(test_scontrol_fields),
        cmocka_unit_test(test_atomic_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
