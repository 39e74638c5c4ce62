/* gm_oci_state_rootfs: the OCI runtime spec's hook input. runtime-spec
 * runtime.md "State": "bundle (string, REQUIRED) is the absolute path to the
 * container's bundle directory"; config.md "root.path": "Either an absolute
 * path or a relative path to the bundle." */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpumatch/cdi.h"

static char bundle[] = "/tmp/gm_oci_XXXXXX";

static void write_config(const char *text) {
    char p[256];
    snprintf(p, sizeof p, "%s/config.json", bundle);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int rootfs_of(const char *cfg, char **out, gm_error *err) {
    char state[512];
    write_config(cfg);
    snprintf(state, sizeof state,
             "{\"ociVersion\": \"1.0.2\", \"id\": \"c1\", \"status\": \"creating\", \"pid\": 1, "
             "\"bundle\": \"%s\"}", bundle);
    return gm_oci_state_rootfs(state, strlen(state), out, err);
}

static void relative_and_absolute_root(void **st) {
    (void)st;
    char *r = NULL, want[256];
    gm_error err = {0};
    assert_int_equal(rootfs_of("{\"root\": {\"path\": \"rootfs\"}}", &r, &err), 0);
    snprintf(want, sizeof want, "%s/rootfs", bundle);
    assert_string_equal(r, want);
    free(r);
    assert_int_equal(rootfs_of("{\"root\": {\"path\": \"/var/lib/c1/merged\"}}", &r, &err), 0);
    assert_string_equal(r, "/var/lib/c1/merged");
    free(r);
}

static void bad_documents_name_the_field(void **st) {
    (void)st;
    char *r = (char *)1;
    gm_error err = {0};
    const char *rel = "{\"bundle\": \"relative/path\"}";
    assert_int_equal(gm_oci_state_rootfs(rel, strlen(rel), &r, &err), GM_EINVAL);
    assert_null(r);
    assert_non_null(strstr(err.msg, "$.bundle"));
    gm_error_clear(&err);
    assert_int_equal(rootfs_of("{\"process\": {}}", &r, &err), GM_EINVAL);
    assert_null(r);
    assert_non_null(strstr(err.msg, "$.root"));
    assert_non_null(strstr(err.msg, "config.json"));
    gm_error_clear(&err);
    assert_int_equal(gm_oci_state_rootfs("{", 1, &r, &err), GM_EINVAL);
    assert_null(r);
    gm_error_clear(&err);
    /* err may be NULL */
    assert_int_equal(gm_oci_state_rootfs(rel, strlen(rel), &r, NULL), GM_EINVAL);
}

int main(void) {
    if (!mkdtemp(bundle))
        return 1;
    const struct CMUnitTest t[] = {cmocka_unit_test(relative_and_absolute_root),
                                   cmocka_unit_test(bad_documents_name_the_field)};
    int rc = cmocka_run_group_tests(t, NULL, NULL);
    char p[256];
    snprintf(p, sizeof p, "%s/config.json", bundle);
    unlink(p);
    rmdir(bundle);
    return rc;
}
