/* gm_image_walk: decides what the input is (plain file, directory tree, OCI
 * layout directory, docker-archive or OCI archive tarball) and walks it. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image/image_internal.h"
#include "internal.h"

void gm_image_info_free(gm_image_info *info) {
    if (!info)
        return;
    free(info->kind);
    free(info->reference);
    gm_strlist_free(&info->env);
    memset(info, 0, sizeof *info);
}

int gm_image_file_slurp(gm_image_file *f, size_t max, unsigned char **out, size_t *len,
                        gm_error *err) {
    *out = NULL;
    *len = 0;
    if (max >= SIZE_MAX / 2)
        max = SIZE_MAX / 2; /* keeps size + 1 and doubling from overflowing */
    if (f->size > max)
        return gm_error_set(err, GM_EINVAL, "%s: %llu bytes, more than the limit of %zu",
                            f->path, (unsigned long long)f->size, max);
    size_t cap = (size_t)f->size + 1, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    for (;;) {
        if (n + 1 >= cap) { /* full: the file grew (or a size lied), or this is the end */
            if (cap > max) {
                unsigned char probe;
                size_t got = 0;
                int rc = f->read(f, &probe, 1, &got, err);
                if (rc < 0 || got) {
                    free(buf);
                    return rc < 0 ? rc
                                  : gm_error_set(err, GM_EINVAL,
                                                 "%s: more than the limit of %zu bytes", f->path,
                                                 max);
                }
                break;
            }
            size_t lim = max < SIZE_MAX ? max + 1 : SIZE_MAX;
            size_t nc = cap > lim / 2 ? lim : cap * 2;
            unsigned char *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                return gm_error_set(err, GM_ENOMEM, "out of memory");
            }
            buf = nb;
            cap = nc;
        }
        size_t got = 0;
        int rc = f->read(f, buf + n, cap - 1 - n, &got, err);
        if (rc < 0) {
            free(buf);
            return rc;
        }
        if (got == 0)
            break;
        n += got;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static int set_kind(gm_image_info *info, const char *kind, gm_error *err) {
    if (!info)
        return 0;
    free(info->kind);
    if (!(info->kind = gm_strdup(kind)))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    return 0;
}

/* Config + layers, once the manifest has been read. */
static int walk_plan(gm_img_src *s, gm_img_plan *p, gm_image_visit visit, void *ctx,
                     gm_image_info *info, size_t *n_files, size_t *n_skipped, gm_error *err) {
    gm_strlist env = {0};
    int rc = 0;
    if (p->config && (rc = gm_img_read_config(s, p->config, &env, err)) < 0) {
        gm_strlist_free(&env);
        return rc;
    }
    if (info) {
        info->n_layers = p->layers.n;
        info->reference = p->reference;
        p->reference = NULL;
        info->env = env;
    } else {
        gm_strlist_free(&env);
    }
    return gm_img_walk_layers(s, &p->layers, visit, ctx, n_files, n_skipped, err);
}

static bool exists_at(int dfd, const char *name) {
    struct stat st;
    /* a symlinked index.json is refused later, by gm_src_open_blob */
    return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode));
}

int gm_image_walk(const char *path, gm_image_visit visit, void *ctx, gm_image_info *info,
                  gm_error *err) {
    if (info)
        memset(info, 0, sizeof *info);
    size_t n_files = 0, n_skipped = 0;
    gm_img_src s = {.origin = path, .dirfd = -1, .fd = -1};
    gm_img_plan plan = {0};
    int rc = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return gm_error_set(err, errno == ENOENT ? GM_ENOTFOUND : GM_EIO, "%s: %s", path,
                            strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            return gm_error_set(err, GM_EIO, "%s: %s", path, strerror(errno));
        if (exists_at(dfd, "oci-layout") && exists_at(dfd, "index.json")) {
            s.dirfd = dfd;
            if ((rc = set_kind(info, "oci-layout", err)) == 0 &&
                (rc = gm_img_plan_oci(&s, &plan, err)) == 0)
                rc = walk_plan(&s, &plan, visit, ctx, info, &n_files, &n_skipped, err);
        } else if ((rc = set_kind(info, "directory", err)) == 0) {
            rc = gm_img_walk_dir(path, visit, ctx, &n_files, &n_skipped, err);
        }
        close(dfd);
        goto out;
    }
    if (!S_ISREG(st.st_mode))
        return gm_error_set(err, GM_EINVAL, "%s: not a regular file or directory", path);
    s.fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (s.fd < 0)
        return gm_error_set(err, GM_EIO, "%s: %s", path, strerror(errno));
    if (fstat(s.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = gm_error_set(err, GM_EIO, "%s: not a regular file", path);
        goto out;
    }
    s.fsize = (uint64_t)st.st_size;
    unsigned char hdr[512];
    bool tar = s.fsize >= sizeof hdr && pread(s.fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr &&
               gm_tar_is_header(hdr);
    if (tar && (rc = gm_tar_index_build(s.fd, s.fsize, path, &s.ix, err)) < 0)
        goto out;
    if (tar && gm_tar_index_find(&s.ix, "manifest.json")) {
        /* Docker >= 25 also writes index.json; manifest.json is the docker-archive view. */
        if ((rc = set_kind(info, "docker-archive", err)) == 0 &&
            (rc = gm_img_plan_docker(&s, &plan, err)) == 0)
            rc = walk_plan(&s, &plan, visit, ctx, info, &n_files, &n_skipped, err);
    } else if (tar && gm_tar_index_find(&s.ix, "index.json")) {
        if ((rc = set_kind(info, "oci-archive", err)) == 0 &&
            (rc = gm_img_plan_oci(&s, &plan, err)) == 0)
            rc = walk_plan(&s, &plan, visit, ctx, info, &n_files, &n_skipped, err);
    } else if (tar || gm_img_is_compressed_tar(s.fd, s.fsize)) {
        /* a root file system tarball (`docker export`, a rootfs .tar.gz): one layer */
        const char *base = strrchr(path, '/');
        s.whole = true;
        if ((rc = set_kind(info, "rootfs-archive", err)) == 0 &&
            (rc = gm_strlist_add(&plan.layers, base ? base + 1 : path)) < 0)
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
        if (rc == 0) {
            if (info)
                info->n_layers = 1;
            rc = gm_img_walk_layers(&s, &plan.layers, visit, ctx, &n_files, &n_skipped, err);
        }
    } else if ((rc = set_kind(info, "file", err)) == 0) {
        int fd = s.fd;
        gm_image_file f = {.path = path,
                           .size = s.fsize,
                           .read = gm_img_fd_read,
                           .impl = &fd,
                           .mode = (uint32_t)st.st_mode & 07777};
        if (lseek(fd, 0, SEEK_SET) != 0)
            rc = gm_error_set(err, GM_EIO, "%s: %s", path, strerror(errno));
        else if ((rc = visit(ctx, &f, err)) == 0)
            n_files++;
    }
out:
    if (s.fd >= 0)
        close(s.fd);
    gm_tar_index_free(&s.ix);
    gm_img_plan_free(&plan);
    if (info) {
        info->n_files = n_files;
        info->n_skipped = n_skipped;
    }
    return rc;
}
