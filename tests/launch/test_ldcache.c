/* ld.so.cache reader against caches written by the real ldconfig (all three
 * formats) over a fake driver root; expectations come from `ldconfig -p`
 * and from the files the fixture script created, not from the parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpumatch/sys/ldcache.h"
#include "internal.h"
#include "launch/fakeroot.h"


static char *path_in(const char *rel) { return gm_asprintf("%s%s", gm_test_root, rel); }

/* Entries as `ldconfig -p -C FILE` prints them: "NAME (ABI) => PATH". */
static size_t ldconfig_listing(const char *file, char lines[][512], size_t max) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ldconfig -p -C '%s'", file);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char buf[1024];
    size_t n = 0;
    while (fgets(buf, sizeof buf, p)) {
        char name[256], abi[128], path[512];
        if (sscanf(buf, " %255s (%127[^)]) => %511s", name, abi, path) == 3 && n < max)
            snprintf(lines[n++], 512, "%s=>%s", name, path);
    }
    pclose(p);
    return n;
}

static void check_against_ldconfig(const char *rel, gm_ldcache_format want_format) {
    char *file = path_in(rel);
    gm_ldcache c;
    gm_error err = {0};
    int rc = gm_ldcache_load(file, &c, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(c.format, want_format);
    static char want[64][512];
    size_t n = ldconfig_listing(file, want, 64);
    assert_true(n >= 21); /* the fixture puts 21 (+1 32-bit) libraries in */
    assert_int_equal(c.n, n);
    for (size_t i = 0; i < n; i++) {
        char got[1024];
        snprintf(got, sizeof got, "%s=>%s", c.entries[i].name, c.entries[i].path);
        assert_string_equal(got, want[i]); /* same order as ldconfig -p */
    }
    /* Facts from mkroot.sh: two 64-bit libcuda.so.1 (driver dir and the stale
     * /usr/local/lib) and one 32-bit one. */
    int cuda64 = 0, cuda32 = 0, cudart = 0;
    for (size_t i = 0; i < c.n; i++) {
        const gm_ldcache_entry *e = &c.entries[i];
        if (strcmp(e->name, "libcuda.so.1") == 0) {
            if (gm_ldcache_entry_is_native(e)) {
                assert_int_equal(e->flags, GM_LDCACHE_FLAG_ELF_LIBC6 | GM_LDCACHE_ARCH_X8664_LIB64);
                assert_true(gm_ldcache_entry_is_64bit(e));
                assert_true(strcmp(e->path, "/usr/lib/x86_64-linux-gnu/libcuda.so.1") == 0 ||
                            strcmp(e->path, "/usr/local/lib/libcuda.so.1") == 0);
                cuda64++;
            } else {
                assert_false(gm_ldcache_entry_is_64bit(e));
                assert_string_equal(e->path, "/usr/lib/i386-linux-gnu/libcuda.so.1");
                cuda32++;
            }
        }
        if (strcmp(e->name, "libcudart.so.12") == 0)
            cudart++;
    }
    assert_int_equal(cuda64, 2);
    char *lib32 = path_in("/usr/lib/i386-linux-gnu/libcuda.so.535.104.05");
    assert_int_equal(cuda32, access(lib32, F_OK) == 0 ? 1 : 0);
    free(lib32);
    assert_int_equal(cudart, 1);
    if (want_format != GM_LDCACHE_OLD) {
        assert_non_null(c.generator);
        assert_non_null(strstr(c.generator, "ldconfig"));
    }
    gm_ldcache_free(&c);
    free(file);
}

static void test_new_format(void **state) { check_against_ldconfig("/etc/ld.so.cache", GM_LDCACHE_NEW); }
static void test_old_format(void **state) { check_against_ldconfig("/etc/ld.so.cache.old", GM_LDCACHE_OLD); }
static void test_compat_format(void **state) {
    check_against_ldconfig("/etc/ld.so.cache.compat", GM_LDCACHE_COMPAT);
}

static unsigned char *slurp(const char *rel, size_t *len) {
    char *file = path_in(rel), *buf = NULL;
    gm_error err = {0};
    if (gm_read_file(file, 1 << 20, &buf, len, &err))
        fail_msg("%s", err.msg);
    free(file);
    return (unsigned char *)buf;
}

static void expect_error(const unsigned char *d, size_t len, int code, const char *needle) {
    gm_ldcache c;
    gm_error err = {0};
    int rc = gm_ldcache_parse(d, len, "t.cache", &c, &err);
    if (rc == 0) {
        gm_ldcache_free(&c);
        fail_msg("parse of %zu bytes succeeded, expected \"%s\"", len, needle);
    }
    assert_int_equal(rc, code);
    if (!strstr(err.msg, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
    assert_non_null(strstr(err.msg, "t.cache: "));
    assert_null(strchr(err.msg, '\n'));
}

/* Every strict prefix of a real cache is rejected with an offset (the string
 * table and the extension directory run to the end of the file). */
static void test_truncations(void **state) {
    const char *files[] = {"/etc/ld.so.cache", "/etc/ld.so.cache.old", "/etc/ld.so.cache.compat"};
    for (size_t f = 0; f < 3; f++) {
        size_t len;
        unsigned char *d = slurp(files[f], &len);
        for (size_t cut = 0; cut < len; cut++) {
            gm_ldcache c;
            gm_error err = {0};
            unsigned char *copy = malloc(cut ? cut : 1); /* exact size so ASan sees overreads */
            memcpy(copy, d, cut);
            int rc = gm_ldcache_parse(copy, cut, "t.cache", &c, &err);
            free(copy);
            if (rc == 0)
                fail_msg("%s cut at %zu/%zu parsed", files[f], cut, len);
            assert_int_equal(rc, GM_EFORMAT);
            assert_non_null(strstr(err.msg, "offset"));
        }
        free(d);
    }
}

static void wr32(unsigned char *p, uint32_t v) {
    p[0] = v & 0xff;
    p[1] = v >> 8 & 0xff;
    p[2] = v >> 16 & 0xff;
    p[3] = v >> 24 & 0xff;
}

static void test_corruptions(void **state) {
    size_t len;
    unsigned char *d = slurp("/etc/ld.so.cache", &len);
    unsigned char *c = malloc(len);
    /* glibc-ld.so.cache1.1 header: nlibs at 20, len_strings at 24, flags at 28,
     * extension offset at 32; entries of 24 bytes from 48 (key at +4). */
    memcpy(c, d, len), wr32(c + 20, 0x10000000);
    expect_error(c, len, GM_EFORMAT, "offset 20: 268435456 entries claimed");
    memcpy(c, d, len), wr32(c + 24, 0xfffffff0);
    expect_error(c, len, GM_EFORMAT, "offset 24: string table");
    memcpy(c, d, len), wr32(c + 48 + 4, 0xffffff00);
    expect_error(c, len, GM_EFORMAT, "offset 48: key string at offset 4294967040 is outside");
    memcpy(c, d, len), wr32(c + 48 + 24 + 8, 3);
    expect_error(c, len, GM_EFORMAT, "offset 72: value string at offset 3 is outside");
    memcpy(c, d, len), c[28] = 3;
    expect_error(c, len, GM_EUNSUPPORTED, "big-endian");
    memcpy(c, d, len), c[28] = 1;
    expect_error(c, len, GM_EFORMAT, "offset 28: invalid endianness");
    memcpy(c, d, len), memcpy(c + 17, "1.2", 3);
    expect_error(c, len, GM_EUNSUPPORTED, "version \"1.2\"");
    memcpy(c, d, len), wr32(c + 32, (uint32_t)len - 4);
    expect_error(c, len, GM_EFORMAT, "extension directory offset");
    memcpy(c, d, len), c[0] = 'X';
    expect_error(c, len, GM_EFORMAT, "offset 0: not an ld.so.cache");
    /* Unterminated string table: every NUL in it replaced. */
    memcpy(c, d, len);
    uint32_t n = c[20] | c[21] << 8, ls = c[24] | c[25] << 8 | c[26] << 16;
    size_t strings = 48 + (size_t)n * 24;
    for (size_t i = strings; i < strings + ls; i++)
        if (c[i] == 0)
            c[i] = 'x';
    expect_error(c, len, GM_EFORMAT, "is not terminated before offset");
    free(c);
    free(d);

    d = slurp("/etc/ld.so.cache.old", &len);
    c = malloc(len);
    memcpy(c, d, len), wr32(c + 12, 1000);
    expect_error(c, len, GM_EFORMAT, "offset 12: 1000 entries claimed");
    memcpy(c, d, len), wr32(c + 16 + 8, 0x7fffffff);
    expect_error(c, len, GM_EFORMAT, "offset 16: value string");
    free(c);
    free(d);
    expect_error((const unsigned char *)"", 0, GM_EFORMAT, "offset 0");
}

static void test_missing_file(void **state) {
    gm_ldcache c;
    gm_error err = {0};
    assert_true(gm_ldcache_load("/nonexistent/ld.so.cache", &c, &err) < 0);
    assert_non_null(strstr(err.msg, "/nonexistent/ld.so.cache"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_format),   cmocka_unit_test(test_old_format),
        cmocka_unit_test(test_compat_format), cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_corruptions),  cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, gm_test_root_setup, gm_test_root_teardown);
}
