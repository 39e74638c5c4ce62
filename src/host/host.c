/* The node's files under a root: one reader for /proc/driver/nvidia/version,
 * /proc/devices and directory listings, and one in-root path resolver. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define GM_HAVE_OPENAT2 1
#endif
#endif
#include "host/host.h"
#include "internal.h"

static bool is_host_root(const char *root) {
    return !root || !*root || !strcmp(root, "/");
}

char *gm_host_path(const char *root, const char *abs) {
    if (is_host_root(root))
        return gm_strdup(abs);
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    return gm_asprintf("%.*s%s%s", (int)n, root, abs[0] == '/' ? "" : "/", abs);
}

int gm_host_resolve(const char *root, const char *abs, char **out) {
    *out = NULL;
    char *rest = gm_strdup(abs), *cur = gm_strdup("");
    int links = 0, rc = -1;
    if (!rest || !cur)
        goto done;
    for (;;) {
        char *p = rest;
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        if (n == 1 && p[0] == '.') {
            memmove(rest, p + 1, strlen(p + 1) + 1);
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            char *slash = strrchr(cur, '/');
            if (slash)
                *slash = '\0';
            memmove(rest, p + 2, strlen(p + 2) + 1);
            continue;
        }
        char *next = gm_asprintf("%s/%.*s", cur, (int)n, p);
        char *full = next ? gm_host_path(root, next) : NULL;
        if (!full || strlen(full) >= 4096) {
            free(next);
            free(full);
            goto done;
        }
        struct stat st;
        if (lstat(full, &st) != 0) {
            free(full);
            free(next);
            *out = gm_asprintf("%s/%s", cur, p);
            rc = *out ? 1 : -1;
            goto done;
        }
        if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t tn = readlink(full, target, sizeof target - 1);
            free(full);
            free(next);
            if (tn <= 0 || ++links > 40)
                goto done;
            target[tn] = '\0';
            const char *tail = p + n;
            char *spliced = gm_asprintf("%s%s", target, tail);
            if (!spliced || strlen(spliced) >= 4096) {
                free(spliced);
                goto done;
            }
            free(rest);
            rest = spliced;
            if (target[0] == '/')
                cur[0] = '\0'; /* absolute: restart at root */
            continue;
        }
        free(full);
        memmove(rest, p + n, strlen(p + n) + 1);
        free(cur);
        cur = next;
    }
    *out = gm_strdup(*cur ? cur : "/");
    rc = *out ? 0 : -1;
done:
    free(rest);
    free(cur);
    return rc;
}

static int open_resolved(const char *root, const char *abs) {
    char *res = NULL;
    int r = gm_host_resolve(root, abs, &res);
    if (r != 0) {
        free(res);
        errno = r > 0 ? ENOENT : ELOOP;
        return -1;
    }
    char *full = gm_host_path(root, res);
    free(res);
    if (!full) {
        errno = ENOMEM;
        return -1;
    }
    int fd = open(full, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
    int e = errno;
    free(full);
    errno = e;
    return fd;
}

int gm_host_open(const char *root, const char *abs) {
    int fd = -1;
    if (is_host_root(root)) {
        fd = open(abs, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    } else {
#if defined(GM_HAVE_OPENAT2) && defined(SYS_openat2)
        int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            return -1;
        while (*abs == '/')
            abs++;
        struct open_how how = {.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                               .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
        fd = (int)syscall(SYS_openat2, dfd, *abs ? abs : ".", &how, sizeof how);
        int e = errno;
        close(dfd);
        errno = e;
        if (fd < 0 && (e == ENOSYS || e == EPERM || e == E2BIG))
            fd = open_resolved(root, abs);
#else
        fd = open_resolved(root, abs);
#endif
    }
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

int gm_host_read(const char *root, const char *abs, size_t max, char **text, size_t *len,
                 gm_error *err) {
    *text = NULL;
    if (len)
        *len = 0;
    char *path = gm_host_path(root, abs);
    if (!path)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    int rc = 0, fd = gm_host_open(root, abs);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            rc = gm_error_set(err, GM_EABSENT, "%s: not found", path);
        else if (e == EINVAL)
            rc = gm_error_set(err, GM_EINVAL, "%s: not a regular file", path);
        else
            rc = gm_error_set(err, GM_EIO, "%s: %s", path, strerror(e));
        free(path);
        return rc;
    }
    /* /proc reports size 0: read until EOF, one byte past max to see "too large". */
    size_t cap = 4096 < max + 1 ? 4096 : max + 1, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            if (cap > max)
                break;
            size_t nc = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(buf, nc + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap = nc;
        }
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            rc = gm_error_set(err, GM_EIO, "%s: %s", path, strerror(errno));
            break;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    if (!buf)
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
    else if (rc == 0 && n > max)
        rc = gm_error_set(err, GM_EINVAL, "%s: too large (over %zu bytes)", path, max);
    if (rc < 0) {
        free(buf);
        free(path);
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    if (len)
        *len = n;
    free(path);
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int gm_host_list(const char *root, const char *abs, gm_strlist *names, gm_error *err) {
    char *res = NULL, *dir = NULL;
    int r = is_host_root(root) ? 0 : gm_host_resolve(root, abs, &res);
    if (r < 0)
        return gm_error_set(err, GM_EINVAL, "%s: symbolic link loop or path too long", abs);
    dir = gm_host_path(root, r == 0 && res ? res : abs);
    free(res);
    if (!dir)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    DIR *dh = r == 0 ? opendir(dir) : NULL;
    if (!dh) {
        int e = r == 0 ? errno : ENOENT;
        int rc = gm_error_set(err, e == ENOENT || e == ENOTDIR ? GM_EABSENT : GM_EIO, "%s: %s",
                              dir, e == ENOENT ? "not found" : strerror(e));
        free(dir);
        return rc;
    }
    size_t first = names->n;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(dh)))
        if (e->d_name[0] != '.' && gm_strlist_add(names, e->d_name) < 0) {
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            break;
        }
    closedir(dh);
    free(dir);
    /* Directory order is arbitrary; callers want PCI bus order, i.e. by name. */
    if (names->n > first)
        qsort(names->items + first, names->n - first, sizeof *names->items, cmp_str);
    return rc;
}

int gm_host_parse_nvrm(const char *text, size_t len, gm_driver_version *v, char *buf,
                       size_t buflen, gm_error *err) {
    static const char key[] = "NVRM version:";
    const size_t kl = sizeof key - 1;
    const char *line = text, *end = text + len;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *le = nl ? nl : end;
        if ((size_t)(le - line) >= kl && !memcmp(line, key, kl)) {
            /* The words before the version vary ("Kernel Module", "Open Kernel
             * Module for x86_64"); the version is the first token that parses. */
            for (const char *p = line + kl; p < le;) {
                while (p < le && isspace((unsigned char)*p))
                    p++;
                const char *t = p;
                while (p < le && !isspace((unsigned char)*p))
                    p++;
                size_t tl = (size_t)(p - t);
                if (tl == 0 || tl >= GM_VERSION_STR_MAX || !isdigit((unsigned char)*t) ||
                    !memchr(t, '.', tl))
                    continue;
                char tok[GM_VERSION_STR_MAX];
                memcpy(tok, t, tl);
                tok[tl] = '\0';
                gm_driver_version dv;
                if (gm_driver_version_parse(tok, &dv, NULL) != 0)
                    continue;
                if (buf && tl >= buflen)
                    return gm_error_set(err, GM_EINVAL, "driver version %s too long", tok);
                if (buf)
                    memcpy(buf, tok, tl + 1);
                if (v)
                    *v = dv;
                return 0;
            }
            return gm_error_set(err, GM_EINVAL, "'NVRM version:' line has no driver version");
        }
        line = nl ? nl + 1 : end;
    }
    return gm_error_set(err, GM_EINVAL, "no 'NVRM version:' line");
}

int gm_host_driver_version(const char *root, gm_driver_version *v, char *buf, size_t buflen,
                           gm_error *err) {
    char *text = NULL;
    size_t len = 0;
    int rc = gm_host_read(root, "/proc/driver/nvidia/version", GM_HOST_PROC_MAX, &text, &len, err);
    if (rc < 0)
        return rc;
    rc = gm_host_parse_nvrm(text, len, v, buf, buflen, err);
    free(text);
    if (rc < 0 && err) {
        char *path = gm_host_path(root, "/proc/driver/nvidia/version");
        gm_error_prefix(err, "%s: ", path ? path : "/proc/driver/nvidia/version");
        free(path);
    }
    return rc;
}

int gm_host_proc_devices_major(const char *text, size_t len, const char *name) {
    /* "Character devices:\n  1 mem\n195 nvidia\n...\n\nBlock devices:\n..." */
    const char *line = text, *end = text + len;
    size_t want = strlen(name);
    bool chr = false;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *le = nl ? nl : end;
        size_t ll = (size_t)(le - line);
        if (ll >= 18 && !memcmp(line, "Character devices:", 18))
            chr = true;
        else if (ll >= 14 && !memcmp(line, "Block devices:", 14))
            chr = false;
        else if (chr) {
            const char *p = line;
            while (p < le && *p == ' ')
                p++;
            long major = 0;
            const char *d = p;
            while (p < le && isdigit((unsigned char)*p) && major < 100000)
                major = major * 10 + (*p++ - '0');
            if (p > d && p < le && *p == ' ' && major < 100000) {
                while (p < le && *p == ' ')
                    p++;
                if ((size_t)(le - p) == want && !memcmp(p, name, want))
                    return (int)major;
            }
        }
        line = nl ? nl + 1 : end;
    }
    return -1;
}

const char *gm_host_root_for(const char *root, const char *driver_root, gm_host_side side) {
    return side == GM_HOST_DRIVER_SIDE && driver_root && *driver_root ? driver_root : root;
}

int gm_host_stat(const char *root, const char *abs, bool follow, struct stat *st) {
    if (is_host_root(root))
        return follow ? stat(abs, st) : lstat(abs, st);
    /* Resolve in the root what the kernel would follow: the whole path, or
     * (lstat) only the directories above the last component. */
    const char *slash = strrchr(abs, '/');
    const char *base = slash ? slash + 1 : abs;
    bool whole = follow || !*base || !strcmp(base, ".") || !strcmp(base, "..");
    char *dir = whole ? gm_strdup(abs) : gm_strndup(abs, (size_t)(base - abs));
    char *res = NULL;
    int r = dir ? gm_host_resolve(root, *dir ? dir : "/", &res) : -1;
    free(dir);
    if (r != 0) {
        free(res);
        errno = r > 0 ? ENOENT : ELOOP;
        return -1;
    }
    char *rel = whole ? res : gm_asprintf("%s/%s", strcmp(res, "/") ? res : "", base);
    char *full = rel ? gm_host_path(root, rel) : NULL;
    if (rel != res)
        free(rel);
    free(res);
    if (!full) {
        errno = ENOMEM;
        return -1;
    }
    int rc = lstat(full, st), e = errno;
    free(full);
    errno = e;
    return rc;
}

bool gm_host_is_executable(const char *root, const char *abs) {
    struct stat st;
    return gm_host_stat(root, abs, true, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

int gm_host_gpus(const char *root, gm_strlist *bus, gm_error *err) {
    return gm_host_list(root, "/proc/driver/nvidia/gpus", bus, err);
}

int gm_host_gpu_information(const char *root, const char *bus, char **text, size_t *len,
                            gm_error *err) {
    *text = NULL;
    char *path = gm_asprintf("/proc/driver/nvidia/gpus/%s/information", bus);
    if (!path)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    int rc = gm_host_read(root, path, GM_HOST_PROC_MAX, text, len, err);
    free(path);
    return rc;
}

int gm_host_cuda_compat_dirs(const char *root, gm_strlist *dirs, gm_error *err) {
    gm_strlist names = {0};
    int rc = gm_host_list(root, "/usr/local", &names, err);
    if (rc == GM_EABSENT)
        rc = 0;
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        if (strncmp(names.items[i], "cuda", 4))
            continue;
        char *rel = gm_asprintf("/usr/local/%s/compat", names.items[i]), *res = NULL;
        struct stat st;
        if (!rel) {
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            break;
        }
        if (gm_host_resolve(root, rel, &res) == 0 && gm_host_stat(root, res, false, &st) == 0 &&
            S_ISDIR(st.st_mode) && gm_strlist_add(dirs, res) < 0)
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
        free(res);
        free(rel);
    }
    gm_strlist_free(&names);
    return rc;
}
