/* Unit tests for the image walker's path hygiene and API contract. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* ---- outer tar index on hand-made headers (GNU tar cannot write these) ---- */
static void hdr(unsigned char *b, const char *name, uint64_t size, char type, const char *link) {
    memset(b, 0, 512);
    snprintf((char *)b, 100, "%s", name);
    memcpy(b + 100, "0000644", 7);
    if (size >> 33) { /* GNU base-256 */
        b[124] = 0x80;
        for (int i = 0; i < 8; i++)
            b[135 - i] = (unsigned char)(size >> (8 * i));
    } else {
        snprintf((char *)b + 124, 12, "%011llo", (unsigned long long)size);
    }
    b[156] = (unsigned char)type;
    if (link)
        snprintf((char *)b + 157, 100, "%s", link);
    memcpy(b + 257, "ustar", 6);
    memcpy(b + 263, "00", 2);
    memset(b + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += b[i];
    snprintf((char *)b + 148, 8, "%06o", sum);
}

static int index_of(const unsigned char *data, size_t len, gm_tar_index *ix, gm_error *err) {
    int fd = memfd_create("t", 0);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    int rc = gm_tar_index_build(fd, len, "t.tar", ix, err);
    close(fd);
    return rc;
}

static void test_tar_index(void **state) {
    static unsigned char t[512 * 12];
    gm_tar_index ix;
    gm_error err = {0};
    /* a regular member, a pax-sized member, links, then the end */
    memset(t, 0, sizeof t);
    hdr(t, "a/layer.tar", 3, '0', NULL);
    memcpy(t + 512, "abc", 3);
    const char *pax = "10 size=5\n";
    hdr(t + 1024, "PaxHeaders/x", strlen(pax), 'x', NULL);
    memcpy(t + 1536, pax, strlen(pax));
    hdr(t + 2048, "b/layer.tar", 0, '0', NULL); /* header says 0; pax says 5 */
    memcpy(t + 2560, "hello", 5);
    hdr(t + 3072, "c/layer.tar", 0, '2', "../a/layer.tar");
    hdr(t + 3584, "loop1", 0, '2', "loop2");
    hdr(t + 4096, "loop2", 0, '2', "loop1");
    hdr(t + 4608, "d/hard", 0, '1', "b/layer.tar");
    int rc0 = index_of(t, sizeof t, &ix, &err);
    if (rc0)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc0, 0);
    const gm_tar_member *m = gm_tar_index_find(&ix, "./b/layer.tar");
    assert_non_null(m);
    assert_int_equal(m->off, 2560);
    assert_int_equal(m->size, 5);
    m = gm_tar_index_find(&ix, "c/layer.tar");
    assert_non_null(m);
    assert_string_equal(m->name, "a/layer.tar");
    assert_null(gm_tar_index_find(&ix, "loop1"));
    m = gm_tar_index_find(&ix, "d/hard");
    assert_non_null(m);
    assert_string_equal(m->name, "b/layer.tar");
    gm_tar_index_free(&ix);

    /* a corrupt second header names its offset */
    hdr(t, "a", 3, '0', NULL);
    hdr(t + 1024, "b", 0, '0', NULL);
    t[1024 + 10] ^= 1;
    assert_int_equal(index_of(t, sizeof t, &ix, &err), GM_EFORMAT);
    assert_string_equal(err.msg, "t.tar: bad tar header checksum at offset 1024");

    /* a base-256 size of 8 GiB in a 6 KiB file */
    hdr(t, "big", (uint64_t)8 << 30, '0', NULL);
    assert_int_equal(index_of(t, sizeof t, &ix, &err), GM_EFORMAT);
    assert_string_equal(err.msg, "t.tar: truncated tar archive: member at offset 0 needs "
                                 "8589934592 bytes, 5632 left");

    /* a pax record whose length runs past the header */
    memset(t, 0, sizeof t);
    hdr(t, "PaxHeaders/x", 10, 'x', NULL);
    memcpy(t + 512, "99 path=a\n", 10);
    assert_int_equal(index_of(t, sizeof t, &ix, &err), GM_EFORMAT);
    assert_string_equal(err.msg, "t.tar: malformed pax header at offset 0");

    /* no end-of-archive blocks after members is accepted; a cut header is not */
    hdr(t, "a", 3, '0', NULL);
    assert_int_equal(index_of(t, 1024, &ix, &err), 0);
    gm_tar_index_free(&ix);
    assert_int_equal(index_of(t, 1024 + 100, &ix, &err), GM_EFORMAT);
    assert_string_equal(err.msg, "t.tar: truncated tar archive at offset 1024");
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
    /* slurp refuses more than max: bad input (exit 2), issue 13 */
    put("c", "12345");
    v = (vctx){0, 0};
    assert_int_equal(gm_image_walk(tmpdir, visit_stop, &v, &info, &err), GM_EINVAL);
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
        cmocka_unit_test(test_tar_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
