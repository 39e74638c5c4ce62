/* gm_open_beneath (openat2) and its O_NOFOLLOW walk agree on a planted tree:
 * regular files open, anything reached through a symlink, "..", an absolute
 * path or a FIFO does not (and the FIFO does not block). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "internal.h"

static char root[64];
static int rfd = -1;

static void put(const char *rel, const char *text) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state) {
    (void)state;
    snprintf(root, sizeof root, "/tmp/gm-beneath-XXXXXX");
    if (!mkdtemp(root)) return -1;
    char p[256], outside[256];
    snprintf(p, sizeof p, "%s/in", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/in/blobs", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/out", root);
    mkdir(p, 0755);
    put("in/blobs/ok", "ok");
    put("out/secret", "SECRET");
    snprintf(outside, sizeof outside, "%s/out/secret", root);
    snprintf(p, sizeof p, "%s/in/blobs/link", root);
    if (symlink(outside, p)) return -1;
    snprintf(outside, sizeof outside, "%s/out", root);
    snprintf(p, sizeof p, "%s/in/dirlink", root);
    if (symlink(outside, p)) return -1;
    snprintf(p, sizeof p, "%s/in/blobs/rel", root);
    if (symlink("ok", p)) return -1; /* even a link that stays inside */
    snprintf(p, sizeof p, "%s/in/blobs/fifo", root);
    if (mkfifo(p, 0644)) return -1;
    snprintf(p, sizeof p, "%s/in", root);
    rfd = open(p, O_RDONLY | O_DIRECTORY);
    return rfd < 0 ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    close(rfd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

typedef int (*opener)(int, const char *, int);

static void expect_refused(opener o, const char *path, int want_errno) {
    errno = 0;
    int fd = o(rfd, path, O_RDONLY | O_NONBLOCK);
    if (fd >= 0) close(fd);
    assert_int_equal(fd, -1);
    assert_int_equal(errno, want_errno);
}

static void check(opener o) {
    int fd = o(rfd, "blobs/ok", O_RDONLY);
    assert_true(fd >= 0);
    close(fd);
    fd = o(rfd, "blobs//ok", O_RDONLY);
    assert_true(fd >= 0);
    close(fd);
    expect_refused(o, "blobs/link", ELOOP);
    expect_refused(o, "blobs/rel", ELOOP);
    expect_refused(o, "dirlink/secret", ELOOP);
    expect_refused(o, "../out/secret", EXDEV);
    expect_refused(o, "blobs/../../out/secret", EXDEV);
    expect_refused(o, "/etc/passwd", EXDEV);
    expect_refused(o, "blobs/missing", ENOENT);
}

static void test_openat2(void **state) { (void)state; check(gm_open_beneath); }
static void test_walk(void **state) { (void)state; check(gm_open_beneath_walk); }

static void test_regular_only(void **state) {
    (void)state;
    struct stat st;
    int fd = gm_open_regular_beneath(rfd, "blobs/ok", &st);
    assert_true(fd >= 0);
    assert_int_equal(st.st_size, 2);
    close(fd);
    errno = 0;
    assert_int_equal(gm_open_regular_beneath(rfd, "blobs/fifo", NULL), -1); /* no hang */
    assert_int_equal(errno, EINVAL);
    assert_int_equal(gm_open_regular_beneath(rfd, "blobs", NULL), -1);
    assert_string_equal(gm_open_errstr(ELOOP), "a symbolic link (not followed inside the tree)");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openat2),
        cmocka_unit_test(test_walk),
        cmocka_unit_test(test_regular_only),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
