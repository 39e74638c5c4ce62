/* A directory tree treated as a container's root file system. Symlinks are
 * never followed (neither to directories nor to files): every regular file
 * is reached by its real path inside the root anyway, and a link cannot lead
 * the walk out of the root. Pseudo file systems (proc, sysfs, ...) mounted
 * inside the tree are not entered. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "image/image_internal.h"
#include "internal.h"

#define MAX_DEPTH 256
#define PATH_BUF 4096

int gm_image_file_fd(const gm_image_file *f) {
    return f->read == gm_img_fd_read ? *(const int *)f->impl : -1;
}

int gm_img_fd_read(gm_image_file *f, void *buf, size_t len, size_t *got, gm_error *err) {
    int fd = *(int *)f->impl;
    ssize_t n;
    do
        n = read(fd, buf, len);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        *got = 0;
        return gm_error_set(err, GM_EIO, "%s: read: %s", f->path, strerror(errno));
    }
    *got = (size_t)n;
    return 0;
}

static bool pseudo_fs(int fd) {
    struct statfs s;
    if (fstatfs(fd, &s) != 0)
        return false;
    switch ((unsigned long)s.f_type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case BPF_FS_MAGIC:
        return true;
    default:
        return false;
    }
}

typedef struct {
    const char *root;
    gm_image_visit visit;
    void *ctx;
    size_t *n_files, *n_skipped;
    char path[PATH_BUF]; /* "/a/b" inside the root */
} walker;

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(walker *w, int dfd, size_t plen, dev_t dev, int depth, gm_error *err);

static int visit_one(walker *w, int dfd, const char *name, size_t plen, dev_t dev, int depth,
                     gm_error *err) {
    size_t nl = strlen(name);
    if (plen + 1 + nl >= sizeof w->path)
        return gm_error_set(err, GM_EINVAL, "%s: path too long: %s/%s", w->root, w->path,
                            name);
    w->path[plen] = '/';
    memcpy(w->path + plen + 1, name, nl + 1);
    size_t nplen = plen + 1 + nl;
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return 0; /* vanished while walking */
        return gm_error_set(err, GM_EIO, "%s%s: %s", w->root, w->path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        if (depth + 1 >= MAX_DEPTH)
            return gm_error_set(err, GM_EINVAL, "%s%s: directories nested too deep",
                                w->root, w->path);
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno == EACCES || errno == EPERM) {
                ++*w->n_skipped;
                return 0;
            }
            if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)
                return 0; /* replaced while walking */
            return gm_error_set(err, GM_EIO, "%s%s: %s", w->root, w->path, strerror(errno));
        }
        if (st.st_dev != dev && pseudo_fs(fd)) {
            close(fd);
            return 0;
        }
        int rc = walk(w, fd, nplen, st.st_dev, depth + 1, err);
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode))
        return 0; /* symlinks and special files */
    /* O_NONBLOCK: if a FIFO was swapped in since the stat, open must not hang */
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == EACCES || errno == EPERM) {
            ++*w->n_skipped;
            return 0;
        }
        if (errno == ENOENT || errno == ELOOP)
            return 0;
        return gm_error_set(err, GM_EIO, "%s%s: %s", w->root, w->path, strerror(errno));
    }
    int rc = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        gm_image_file f = {.path = w->path,
                           .size = (uint64_t)st.st_size,
                           .read = gm_img_fd_read,
                           .impl = &fd,
                           .mode = (uint32_t)st.st_mode & 07777};
        rc = w->visit(w->ctx, &f, err);
        if (rc == 0)
            ++*w->n_files;
    }
    close(fd);
    return rc;
}

static int walk(walker *w, int dfd, size_t plen, dev_t dev, int depth, gm_error *err) {
    int fd = dup(dfd);
    if (fd < 0)
        return gm_error_set(err, GM_EIO, "%s%s: %s", w->root, w->path, strerror(errno));
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return gm_error_set(err, GM_EIO, "%s%s: %s", w->root, w->path, strerror(errno));
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (gm_grow((void **)&names, &cap, n + 1, sizeof *names) < 0 ||
            !(names[n] = gm_strdup(de->d_name))) {
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            break;
        }
        n++;
    }
    if (rc == 0 && errno != 0)
        rc = gm_error_set(err, GM_EIO, "%s%s: %s", w->root, w->path, strerror(errno));
    closedir(d);
    /* sorted, so output does not depend on the file system's order */
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = visit_one(w, dfd, names[i], plen, dev, depth, err);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    w->path[plen] = '\0';
    return rc;
}

int gm_img_walk_dir(const char *root, gm_image_visit visit, void *ctx, size_t *n_files,
                    size_t *n_skipped, gm_error *err) {
    /* The root itself may be a symlink (the user named it); nothing below it is followed. */
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return gm_error_set(err, errno == ENOENT ? GM_ENOTFOUND : GM_EIO, "%s: %s", root,
                            strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return gm_error_set(err, GM_EIO, "%s: %s", root, strerror(errno));
    }
    walker *w = malloc(sizeof *w);
    if (!w) {
        close(fd);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    w->root = root;
    w->visit = visit;
    w->ctx = ctx;
    w->n_files = n_files;
    w->n_skipped = n_skipped;
    w->path[0] = '\0';
    int rc = walk(w, fd, 0, st.st_dev, 0, err);
    free(w);
    close(fd);
    return rc;
}
