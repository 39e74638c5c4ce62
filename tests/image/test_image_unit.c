/* Unit tests for the image walker's path hygiene and API contract. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gpumatch/image.h"
#include "image/image_internal.h"

static void test_clean_path(void **state) {
    char out[64];
    struct {
        const char *in, *want;
        int rc;
    } cases[] = {
        {"./usr/lib/x", "usr/lib/x", 0}, {"/abs//file/", "abs/file", 0},
        {"a/./b/../c", "a/c", 0},        {".", "", 0},
        {"../x", NULL, 1},               {"a/../../x", NULL, 1},
        {"/..", NULL, 1},                {"a/b/..", "a", 0},
        {"..a/b", "..a/b", 0},           {".wh..wh..opq", ".wh..wh..opq", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = gm_img_clean_path(cases[i].in, out, sizeof out);
        assert_int_equal(rc, cases[i].rc);
        if (cases[i].want)
            assert_string_equal(out, cases[i].want);
    }
    char longp[200];
    memset(longp, 'a', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    assert_int_equal(gm_img_clean_path(longp, out, sizeof out), -1);
}

static void test_digest_path(void **state) {
    char out[300];
    const char *hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char d[100];
    snprintf(d, sizeof d, "sha256:%s", hex);
    assert_int_equal(gm_img_digest_path(d, out, sizeof out), 0);
    assert_string_equal(out + 13, hex);
    assert_memory_equal(out, "blobs/sha256/", 13);
    const char *bad[] = {"sha256:../../../../etc/passwd", "sha256", ":abc", "SHA256:abc",
                         "sha256:0123456789ABCDEF0123456789abcdef0123",
                         "../x:0123456789abcdef0123456789abcdef", "sha256:/x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(gm_img_digest_path(bad[i], out, sizeof out), -1);
}

typedef struct {
    int calls, stop_at;
} vctx;

static int visit_stop(void *ctx, gm_image_file *f, gm_error *err) {
    vctx *v = ctx;
    if (++v->calls == v->stop_at)
        return gm_error_set(err, GM_EBACKEND, "visitor stopped at %s", f->path);
    unsigned char *d;
    size_t n;
    int rc = gm_image_file_slurp(f, 4, &d, &n, err);
    if (rc < 0)
        return rc;
    free(d);
    return 0;
}

static char tmpdir[] = "/tmp/gm_image_unitXXXXXX";

static void put(const char *rel, const char *text) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_walk_contract(void **state) {
    assert_non_null(mkdtemp(tmpdir));
    put("a", "1234");
    put("b", "12");
    vctx v = {0, 0};
    gm_error err = {0};
    /* info may be NULL */
    assert_int_equal(gm_image_walk(tmpdir, visit_stop, &v, NULL, &err), 0);
    assert_int_equal(v.calls, 2);
    /* the visitor's error ends the walk unchanged */
    v = (vctx){0, 2};
    gm_image_info info = {0};
    assert_int_equal(gm_image_walk(tmpdir, visit_stop, &v, &info, &err), GM_EBACKEND);
    assert_string_equal(err.msg, "visitor stopped at /b");
    assert_string_equal(info.kind, "directory");
    assert_int_equal(info.n_files, 1);
    gm_image_info_free(&info);
    /* slurp refuses more than max */
    put("c", "12345");
    v = (vctx){0, 0};
    assert_int_equal(gm_image_walk(tmpdir, visit_stop, &v, &info, &err), GM_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "/c: 5 bytes, more than the limit of 4"));
    gm_image_info_free(&info);
    /* a missing path */
    char p[512];
    snprintf(p, sizeof p, "%s/none", tmpdir);
    assert_int_equal(gm_image_walk(p, visit_stop, &v, &info, &err), GM_ENOTFOUND);
    gm_image_info_free(&info);
    /* not a regular file or directory */
    assert_int_equal(gm_image_walk("/dev/null", visit_stop, &v, &info, &err), GM_EINVAL);
    gm_image_info_free(&info);
    for (const char *n = "abc"; *n; n++) {
        snprintf(p, sizeof p, "%s/%c", tmpdir, *n);
        unlink(p);
    }
    rmdir(tmpdir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_path),
        cmocka_unit_test(test_digest_path),
        cmocka_unit_test(test_walk_contract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
