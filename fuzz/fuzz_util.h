/* Shared by the harnesses that give a parser files instead of bytes: a private
 * temp tree (removed at exit) and splitting one input into documents. */
#ifndef GM_FUZZ_UTIL_H
#define GM_FUZZ_UTIL_H

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char fz_dir[256];

static inline int fz_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(p);
}

static inline void fz_cleanup(void) {
    if (fz_dir[0])
        nftw(fz_dir, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The private tree, made on the first call; aborts if it cannot be made. */
static inline const char *fz_tmpdir(const char *tag) {
    if (!fz_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fz_dir, sizeof fz_dir, "%s/gm-fuzz-%s-XXXXXX", t && *t ? t : "/tmp", tag);
        if (!mkdtemp(fz_dir))
            abort();
        atexit(fz_cleanup);
    }
    return fz_dir;
}

/* Writes (or, when data is NULL, removes) fz_dir/rel, making the parents. */
static inline void fz_put(const char *rel, const void *data, size_t n) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", fz_dir, rel);
    for (char *s = p + strlen(fz_dir) + 1; (s = strchr(s, '/')); s++) {
        *s = 0;
        mkdir(p, 0700);
        *s = '/';
    }
    if (!data) {
        unlink(p);
        return;
    }
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (n && write(fd, data, n) != (ssize_t)n))
        abort();
    close(fd);
}

/* Splits data at its first max-1 NUL bytes; the last part keeps any further
 * NULs. Returns the number of parts (at least 1). */
static inline size_t fz_split(const uint8_t *data, size_t size, const uint8_t **part, size_t *len,
                       size_t max) {
    size_t n = 0;
    while (n + 1 < max) {
        const uint8_t *z = memchr(data, 0, size);
        if (!z)
            break;
        part[n] = data;
        len[n++] = (size_t)(z - data);
        size -= (size_t)(z - data) + 1;
        data = z + 1;
    }
    part[n] = data;
    len[n++] = size;
    return n;
}

/* The input as a file: one memfd per process, rewritten for every input;
 * path gets its /proc/self/fd name. */
static inline void fz_memfd_path(const uint8_t *data, size_t size, char path[64]) {
    static int fd = -1;
    if (fd < 0 && (fd = memfd_create("gm-fuzz", 0)) < 0)
        abort();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    snprintf(path, 64, "/proc/self/fd/%d", fd);
}

#endif
