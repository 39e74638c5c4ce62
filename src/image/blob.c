/* Blobs of an image source (a directory's files or a tarball's members):
 * shared by the manifest and layer readers, apart from image.c's walk so
 * neither calls back into it. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image/image_internal.h"
#include "internal.h"

void gm_blob_close(gm_blob *b) {
    if (b->own_fd && b->fd >= 0)
        close(b->fd);
    b->fd = -1;
    b->own_fd = false;
}

static bool is_data_member(char type) {
    return type == '0' || type == '\0' || type == '7';
}

int gm_src_open_blob(gm_img_src *s, const char *name, gm_blob *b, gm_error *err) {
    char q[64];
    *b = (gm_blob){.fd = -1};
    if (s->whole) {
        *b = (gm_blob){.fd = s->fd, .own_fd = false, .off = 0, .size = s->fsize};
        return 0;
    }
    if (s->fd >= 0) {
        const gm_tar_member *m = gm_tar_index_find(&s->ix, name);
        if (!m)
            return gm_error_set(err, GM_ENOTFOUND, "%s: \"%s\" is missing from the archive",
                                s->origin, gm_quote(name, q));
        if (!is_data_member(m->type))
            return gm_error_set(err, GM_EFORMAT, "%s: \"%s\" is not a regular file in the archive",
                                s->origin, gm_quote(name, q));
        *b = (gm_blob){.fd = s->fd, .own_fd = false, .off = m->off, .size = m->size};
        return 0;
    }
    char clean[4096];
    if (gm_img_clean_path(name, clean, sizeof clean) != 0 || !clean[0])
        return gm_error_set(err, GM_EINVAL, "%s: bad blob name \"%s\"", s->origin,
                            gm_quote(name, q));
    struct stat st;
    int fd = gm_open_regular_beneath(s->dirfd, clean, &st);
    if (fd < 0) {
        int e = errno;
        return gm_error_set(err, e == ENOENT ? GM_ENOTFOUND : e == EIO ? GM_EIO : GM_EFORMAT,
                            "%s: %s: %s", s->origin, clean, gm_open_errstr(e));
    }
    *b = (gm_blob){.fd = fd, .own_fd = true, .off = 0, .size = (uint64_t)st.st_size};
    return 0;
}

int gm_src_read_doc(gm_img_src *s, const char *name, size_t max, char **out, size_t *len,
                    gm_error *err) {
    gm_blob b;
    int rc = gm_src_open_blob(s, name, &b, err);
    if (rc < 0)
        return rc;
    if (b.size > max) {
        gm_blob_close(&b);
        return gm_error_set(err, GM_EINVAL, "%s: %s: %llu bytes, more than %zu", s->origin,
                            name, (unsigned long long)b.size, max);
    }
    char *buf = malloc((size_t)b.size + 1);
    if (!buf) {
        gm_blob_close(&b);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    size_t done = 0;
    while (done < b.size) {
        ssize_t r = pread(b.fd, buf + done, (size_t)b.size - done, (off_t)(b.off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(buf);
            gm_blob_close(&b);
            return gm_error_set(err, GM_EIO, "%s: %s: short read", s->origin, name);
        }
        done += (size_t)r;
    }
    buf[done] = '\0';
    gm_blob_close(&b);
    *out = buf;
    *len = done;
    return 0;
}
