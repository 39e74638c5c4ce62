/* Opening files inside an untrusted tree (an OCI layout, a --root): the path
 * may not leave the tree, by "..", an absolute path or a symbolic link, and a
 * FIFO or device planted there must not block or be read. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define GM_HAVE_OPENAT2_H 1
#endif
#endif
#include "internal.h"

/* Lexical check first, so both code paths refuse the same names. */
static bool lexically_beneath(const char *p) {
    if (!p[0] || p[0] == '/')
        return false;
    for (const char *c = p; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return false;
        c += n;
        while (*c == '/')
            c++;
    }
    return true;
}

static int open_walk(int dirfd, const char *path, int flags);

/* Component by component with O_NOFOLLOW: for kernels before 5.6 (or a
 * seccomp filter that refuses openat2). */
int gm_open_beneath_walk(int dirfd, const char *path, int flags) {
    if (!lexically_beneath(path)) {
        errno = EXDEV;
        return -1;
    }
    return open_walk(dirfd, path, flags | O_CLOEXEC);
}

static int open_walk(int dirfd, const char *path, int flags) {
    char part[256];
    int cur = dirfd, own = -1;
    const char *c = path;
    for (;;) {
        while (*c == '/')
            c++;
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        const char *rest = c + n;
        while (*rest == '/')
            rest++;
        if (n >= sizeof part) {
            if (own >= 0)
                close(own);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(part, c, n);
        part[n] = '\0';
        bool last = !*rest;
        int fd = last ? openat(cur, part, flags | O_NOFOLLOW)
                      : openat(cur, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e2 = errno;
        /* a symlink as a middle component gives ENOTDIR with O_DIRECTORY */
        struct stat st;
        if (fd < 0 && !last && e2 == ENOTDIR &&
            fstatat(cur, part, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            e2 = ELOOP;
        if (own >= 0)
            close(own);
        if (fd < 0) {
            errno = e2;
            return -1;
        }
        if (last)
            return fd;
        cur = own = fd;
        c = rest;
    }
}

int gm_open_beneath(int dirfd, const char *path, int flags) {
    if (!lexically_beneath(path)) {
        errno = EXDEV;
        return -1;
    }
    flags |= O_CLOEXEC;
#if defined(GM_HAVE_OPENAT2_H) && defined(SYS_openat2)
    struct open_how how = {.flags = (uint64_t)flags,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                      RESOLVE_NO_MAGICLINKS};
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != E2BIG))
        return (int)fd;
#endif
    return open_walk(dirfd, path, flags);
}

int gm_open_regular_beneath(int dirfd, const char *path, struct stat *st) {
    struct stat local;
    if (!st)
        st = &local;
    int fd = gm_open_beneath(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

const char *gm_open_errstr(int e) {
    switch (e) {
    case ELOOP: return "a symbolic link (not followed inside the tree)";
    case EXDEV: return "outside the tree";
    case EINVAL: return "not a regular file";
    case ENOENT: return "missing";
    default: return strerror(e);
    }
}
