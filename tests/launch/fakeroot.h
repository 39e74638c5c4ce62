/* Test helper: builds the fake driver root with tests/launch/mkroot.sh. */
#ifndef GM_TEST_FAKEROOT_H
#define GM_TEST_FAKEROOT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Creates a fresh temp dir and fills it; returns the path (static buffer) or NULL. */
static inline const char *gm_test_fakeroot(void) {
    static char dir[256];
    const char *src = getenv("GM_SRC");
    if (!src)
        return NULL;
    snprintf(dir, sizeof dir, "%s/gm-launch-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return NULL;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash '%s/tests/launch/mkroot.sh' '%s/root'", src, dir);
    if (system(cmd) != 0)
        return NULL;
    strncat(dir, "/root", sizeof dir - strlen(dir) - 1);
    return dir;
}

static inline void gm_test_rmroot(const char *root) {
    char cmd[1024];
    if (!root)
        return;
    /* root is ".../gm-launch-XXXXXX/root": remove the temp dir above it. */
    size_t n = strlen(root);
    if (n < 5 || strcmp(root + n - 5, "/root") != 0)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(n - 5), root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

/* cmocka group fixtures: build the tree once per test file into gm_test_root. */
static const char *gm_test_root;
static inline int gm_test_root_setup(void **state) {
    (void)state;
    gm_test_root = gm_test_fakeroot();
    return gm_test_root ? 0 : -1;
}
static inline int gm_test_root_teardown(void **state) {
    (void)state;
    gm_test_rmroot(gm_test_root);
    return 0;
}

#endif
