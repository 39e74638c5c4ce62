/* Memory, string and file helpers shared by the library's modules. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

char *gm_strdup(const char *s) { return s ? strdup(s) : NULL; }

char *gm_strndup(const char *s, size_t n) { return s ? strndup(s, n) : NULL; }

char *gm_asprintf(const char *fmt, ...) {
    va_list ap;
    char *out = NULL;
    va_start(ap, fmt);
    int r = vasprintf(&out, fmt, ap);
    va_end(ap);
    return r < 0 ? NULL : out;
}

void *gm_xcalloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size)
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

int gm_grow(void **arr, size_t *cap, size_t need, size_t size) {
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 4;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return GM_ENOMEM;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / size)
        return GM_ENOMEM;
    void *p = realloc(*arr, ncap * size);
    if (!p)
        return GM_ENOMEM;
    memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
    *arr = p;
    *cap = ncap;
    return 0;
}

const char *gm_quote(const char *s, char buf[64]) {
    if (!s)
        return "(null)";
    size_t n = strlen(s);
    if (n <= 40)
        return s;
    memcpy(buf, s, 37);
    memcpy(buf + 37, "...", 4);
    return buf;
}

int gm_strlist_add(gm_strlist *l, const char *s) {
    if (gm_grow((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items) < 0)
        return GM_ENOMEM;
    char *c = strdup(s);
    if (!c)
        return GM_ENOMEM;
    l->items[l->n++] = c;
    return 0;
}

int gm_strlist_addf(gm_strlist *l, const char *fmt, ...) {
    va_list ap;
    char *out = NULL;
    va_start(ap, fmt);
    int r = vasprintf(&out, fmt, ap);
    va_end(ap);
    if (r < 0)
        return GM_ENOMEM;
    if (gm_grow((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items) < 0) {
        free(out);
        return GM_ENOMEM;
    }
    l->items[l->n++] = out;
    return 0;
}

void gm_strlist_free(gm_strlist *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

int gm_read_file(const char *path, size_t max, char **out, size_t *len, gm_error *err) {
    *out = NULL;
    if (len)
        *len = 0;
    /* O_NONBLOCK: opening a FIFO nobody writes to must not hang (a pipe from
     * the shell, <(...), already has its writer and is read blocking below) */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return gm_error_set(err, errno == ENOENT ? GM_ENOTFOUND : GM_EIO, "%s: %s", path,
                            strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return gm_error_set(err, GM_EIO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        close(fd);
        return gm_error_set(err, GM_EIO, "%s: not a regular file", path);
    }
    if (S_ISFIFO(st.st_mode))
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    size_t cap = S_ISREG(st.st_mode) && (size_t)st.st_size < max ? (size_t)st.st_size + 1 : 65536;
    char *buf = malloc(cap);
    size_t n = 0;
    if (!buf) {
        close(fd);
        return gm_error_set(err, GM_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max) {
                free(buf);
                close(fd);
                return gm_error_set(err, GM_EINVAL, "%s: larger than %zu bytes", path, max);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                close(fd);
                return gm_error_set(err, GM_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            return gm_error_set(err, GM_EIO, "%s: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            free(buf);
            close(fd);
            return gm_error_set(err, GM_EINVAL, "%s: larger than %zu bytes", path, max);
        }
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return 0;
}

/* The temporary file takes the mode and owner of the file it replaces (a
 * 0600 node document stays 0600); a new file gets 0644 (readers of node
 * documents expect it), not mkstemp's 0600. */
FILE *gm_atomic_open(const char *path, char **tmp_out, gm_error *err) {
    *tmp_out = NULL;
    char *tmp = gm_asprintf("%s.tmp.XXXXXX", path);
    if (!tmp) {
        gm_error_set(err, GM_ENOMEM, "out of memory");
        return NULL;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        gm_error_set(err, GM_EIO, "%s: cannot create temporary file: %s", path, strerror(e));
        return NULL;
    }
    struct stat old;
    int bad;
    if (stat(path, &old) == 0 && S_ISREG(old.st_mode)) {
        bad = fchmod(fd, old.st_mode & 07777) < 0;
        /* owner only when it differs: an unprivileged caller keeps its own */
        if (!bad && (old.st_uid != geteuid() || old.st_gid != getegid()) &&
            fchown(fd, old.st_uid, old.st_gid) < 0)
            (void)fchown(fd, (uid_t)-1, old.st_gid); /* the group at least, if allowed */
    } else {
        bad = fchmod(fd, 0644) < 0;
    }
    FILE *f = bad ? NULL : fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        gm_error_set(err, GM_EIO, "%s: %s", path, strerror(e));
        return NULL;
    }
    *tmp_out = tmp;
    return f;
}

int gm_atomic_commit(FILE *f, char *tmp, const char *path, bool ok, gm_error *err) {
    int e = 0;
    if (ok && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0))
        e = errno ? errno : EIO;
    if (fclose(f) != 0 && ok && !e)
        e = errno;
    if (ok && !e && rename(tmp, path) < 0)
        e = errno;
    if (!ok || e)
        unlink(tmp);
    free(tmp);
    if (e)
        return gm_error_set(err, GM_EIO, "%s: %s", path, strerror(e));
    return ok ? 0 : GM_EIO;
}

int gm_write_file_atomic(const char *path, const char *data, size_t len, gm_error *err) {
    char *tmp;
    FILE *f = gm_atomic_open(path, &tmp, err);
    if (!f)
        return err ? err->code : GM_EIO;
    bool ok = fwrite(data, 1, len, f) == len;
    if (!ok)
        gm_error_set(err, GM_EIO, "%s: write failed: %s", path, strerror(errno));
    int rc = gm_atomic_commit(f, tmp, path, ok, err);
    return rc;
}
