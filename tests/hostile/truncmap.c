/* LD_PRELOAD shim for the SIGBUS test: right after gpumatch maps a file whose
 * path ends with $GM_TRUNCATE_SUFFIX, the file is truncated to 0 bytes, as a
 * writer racing the scan would; every later read of the mapping faults. This
 * makes the race deterministic. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    static void *(*real)(void *, size_t, int, int, int, off_t);
    if (!real)
        real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    void *p = real(addr, len, prot, flags, fd, off);
    const char *suf = getenv("GM_TRUNCATE_SUFFIX");
    if (p != MAP_FAILED && fd >= 0 && suf && *suf) {
        char link[64], path[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof path - 1);
        size_t sl = strlen(suf);
        if (n > 0) {
            path[n] = '\0';
            if ((size_t)n >= sl && !strcmp(path + n - sl, suf) && truncate(path, 0) == 0)
                fprintf(stderr, "truncmap: truncated %s after mapping it\n", path);
        }
    }
    return p;
}
