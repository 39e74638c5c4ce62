/* Packages as users have them: wheels and zips, conda packages (.conda = zip
 * of pkg-*.tar.zst; .tar.bz2 goes through the image walker as a tar), and
 * compressed single files. Everything is streamed through libarchive; only a
 * member whose first bytes look like device code is read into memory. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "inspect_internal.h"
#include "internal.h"

#define BLOCK 65536
/* Nested archives inside an archive (conda's pkg-*.tar.zst in a zip): one level. */
#define MAX_DEPTH 2

gm_pkg_kind gm_inspect_pkg_sniff(const unsigned char *h, size_t n) {
    if (n >= 4 && memcmp(h, "PK\x03\x04", 4) == 0)
        return GM_PKG_ZIP;
    if ((n >= 2 && h[0] == 0x1f && h[1] == 0x8b) || (n >= 3 && memcmp(h, "BZh", 3) == 0) ||
        (n >= 6 && memcmp(h, "\xfd" "7zXZ\0", 6) == 0) ||
        (n >= 4 && memcmp(h, "\x28\xb5\x2f\xfd", 4) == 0))
        return GM_PKG_COMPRESSED;
    return GM_PKG_NONE;
}

typedef struct {
    struct archive *a;
    const char *origin;
} member_io;

static int member_read(gm_image_file *f, void *buf, size_t len, size_t *got, gm_error *err) {
    member_io *io = f->impl;
    la_ssize_t n = archive_read_data(io->a, buf, len);
    if (n < 0) {
        *got = 0;
        return gm_error_set(err, GM_EFORMAT, "%s:%s: %s", io->origin, f->path,
                            archive_error_string(io->a));
    }
    *got = (size_t)n;
    return 0;
}

/* Inner archive reading its bytes from the current member of the outer one. */
static la_ssize_t nested_read(struct archive *inner, void *ctx, const void **buf) {
    (void)inner;
    struct { struct archive *outer; char data[BLOCK]; } *c = ctx;
    *buf = c->data;
    return archive_read_data(c->outer, c->data, sizeof c->data);
}

static bool nested_name(const char *p) {
    static const char *const suf[] = {".tar.zst", ".tar.bz2", ".tar.gz", ".tar.xz", ".tar", NULL};
    size_t n = strlen(p);
    for (size_t i = 0; suf[i]; i++) {
        size_t k = strlen(suf[i]);
        if (n > k && strcmp(p + n - k, suf[i]) == 0)
            return true;
    }
    return false;
}

static struct archive *new_reader(bool raw) {
    struct archive *a = archive_read_new();
    if (!a)
        return NULL;
    archive_read_support_filter_all(a);
    archive_read_support_format_zip(a);
    archive_read_support_format_tar(a);
    if (raw)
        archive_read_support_format_raw(a);
    return a;
}

/* A compressed single file: its size is not known before the end, so what
 * is past its head is spilled to a temporary file and mapped (issue 13: it
 * was read into memory, up to 2 GiB from a few hundred bytes of bzip2). */
static int scan_raw(gm_inspect *in, struct archive *a, const char *origin, gm_error *err) {
    /* Named without the compression suffix (app.ptx.gz -> app.ptx). */
    char name[4096];
    snprintf(name, sizeof name, "%s", origin);
    char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
    if (dot && (!slash || dot > slash))
        *dot = '\0';
    member_io io = {a, origin};
    gm_image_file f = {0};
    f.path = name;
    f.read = member_read;
    f.impl = &io;
    unsigned char head[4096];
    size_t have = 0, got = 0;
    int rc;
    while (have < sizeof head) {
        if ((rc = member_read(&f, head + have, sizeof head - have, &got, err)) < 0)
            return rc;
        if (got == 0)
            break;
        have += got;
    }
    if (!gm_elfscan_sniff(head, have, name))
        return gm_error_set(err, GM_EUNSUPPORTED,
                            "%s: decompressed, it is not an ELF, fat binary, cubin, PTX or archive",
                            origin);
    gm_elf_scan s;
    if (have < sizeof head) { /* all of it is in head */
        rc = gm_elfscan_memory(head, have, name, in->depth, &s, err);
    } else {
        gm_error fe = {0};
        bool failed_io = false;
        rc = gm_inspect_spill_scan(in, &f, head, have, name, &s, &fe, err, &failed_io);
        if (rc < 0 && !failed_io)
            gm_error_set(err, fe.code, "%s", fe.msg);
    }
    return rc < 0 ? rc : gm_inspect_add_scan(in, &s, err);
}

static int walk_archive(gm_inspect *in, struct archive *a, const char *origin, int depth,
                        bool *raw_tar, gm_error *err) {
    struct archive_entry *ent;
    int r, rc = 0;
    while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        if (raw_tar && archive_format(a) != ARCHIVE_FORMAT_RAW &&
            (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR) {
            *raw_tar = true; /* a compressed tar: the image walker's job */
            return 0;
        }
        /* Only regular files: symlinks and hard links are never followed. */
        if (archive_entry_filetype(ent) != AE_IFREG || archive_entry_hardlink(ent))
            continue;
        const char *p = archive_entry_pathname(ent);
        char path[4096];
        if (archive_format(a) == ARCHIVE_FORMAT_RAW)
            return scan_raw(in, a, origin, err);
        snprintf(path, sizeof path, "%s%s", p && p[0] == '/' ? "" : "/", p ? p : "data");
        if (depth < MAX_DEPTH && nested_name(path)) {
            struct archive *inner = new_reader(false);
            void *ctx = inner ? gm_xcalloc(1, sizeof(struct archive *) + BLOCK) : NULL;
            if (!inner || !ctx) {
                if (inner)
                    archive_read_free(inner);
                return gm_error_set(err, GM_ENOMEM, "out of memory");
            }
            *(struct archive **)ctx = a;
            char o[4096];
            snprintf(o, sizeof o, "%s:%s", origin, path);
            if (archive_read_open(inner, ctx, NULL, nested_read, NULL) != ARCHIVE_OK)
                rc = gm_error_set(err, GM_EFORMAT, "%s: %s", o, archive_error_string(inner));
            else
                rc = walk_archive(in, inner, o, depth + 1, NULL, err);
            archive_read_free(inner);
            free(ctx);
            if (rc < 0)
                return rc;
            continue;
        }
        member_io io = {a, origin};
        gm_image_file f = {0};
        f.path = path;
        f.size = archive_entry_size_is_set(ent) ? (uint64_t)archive_entry_size(ent) : 0;
        f.read = member_read;
        f.impl = &io;
        f.mode = (uint32_t)archive_entry_perm(ent);
        if ((rc = gm_inspect_visit(in, origin, &f, err)) < 0)
            return rc;
    }
    if (r != ARCHIVE_EOF)
        return gm_error_set(err, GM_EFORMAT, "%s: %s", origin,
                            archive_error_string(a) ? archive_error_string(a) : "unreadable");
    return 0;
}

int gm_inspect_add_package(gm_inspect *in, const char *path, bool *handled, gm_error *err) {
    *handled = true;
    struct archive *a = new_reader(true);
    if (!a)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    int rc;
    bool is_tar = false;
    if (archive_read_open_filename(a, path, BLOCK) != ARCHIVE_OK)
        rc = gm_error_set(err, GM_EFORMAT, "%s: %s", path, archive_error_string(a));
    else
        rc = walk_archive(in, a, path, 0, &is_tar, err);
    archive_read_free(a);
    if (rc == 0 && is_tar)
        *handled = false;
    return rc;
}
