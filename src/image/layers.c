/* Merged view of image layers without extracting them.
 *
 * Layers are read from the top down. A set of paths remembers what upper
 * layers decided: an entry, a whiteout (".wh.NAME"), an opaque directory
 * (".wh..wh..opq") or a non-directory that hides a lower directory's
 * contents. An entry of a lower layer is visible only if nothing above
 * decided its path or an ancestor's, so each path is visited once, from the
 * layer that wins, while every layer is streamed from its byte range. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include "image/image_internal.h"
#include "internal.h"

#define PATH_BUF 4096
#define MAX_LINK_PASSES 8
/* Layers one image may have (docs/limits.md); Docker's overlay2 stops at 128. */
#define GM_IMG_MAX_LAYERS 256

/* ---- path set: a tree of path components, layer numbers 1..n (0 = not set).
 * Each node stores one component and its parent, so a path of d components
 * costs d small nodes shared with every path below them, not d copies of its
 * prefixes (a few KB of deep names cannot claim gigabytes). */
#define NONE UINT32_MAX
/* Distinct paths (files and their parent directories) over all layers
 * (docs/limits.md); a CUDA devel image has about 100 000. */
#define GM_IMG_MAX_PATHS (1u << 22)

typedef struct {
    char *name; /* component; "" for the root */
    uint32_t parent, h;
    uint32_t l_exists, l_wh, l_opq, l_nondir;
} prec;

typedef struct {
    prec *v;
    size_t n, capv;
    uint32_t *t; /* open addressing over v indexes; NONE = empty */
    size_t cap;
    bool full;   /* GM_IMG_MAX_PATHS reached */
} pset;

static uint32_t hash(uint32_t parent, const char *s, size_t n) {
    uint32_t h = 2166136261u ^ parent * 0x9e3779b1u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int pset_init(pset *s) {
    memset(s, 0, sizeof *s);
    s->cap = 1024;
    s->t = malloc(s->cap * sizeof *s->t);
    s->v = malloc(16 * sizeof *s->v);
    if (!s->t || !s->v)
        return GM_ENOMEM;
    s->capv = 16;
    memset(s->t, 0xff, s->cap * sizeof *s->t);
    s->v[0] = (prec){.name = gm_strdup(""), .parent = NONE};
    s->n = 1;
    return s->v[0].name ? 0 : GM_ENOMEM;
}

static uint32_t child(const pset *s, uint32_t parent, const char *c, size_t n) {
    uint32_t h = hash(parent, c, n);
    for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        uint32_t id = s->t[i];
        if (id == NONE)
            return NONE;
        const prec *r = &s->v[id];
        if (r->h == h && r->parent == parent && !strncmp(r->name, c, n) && r->name[n] == '\0')
            return id;
    }
}

static int pset_grow(pset *s) {
    size_t nc = s->cap * 2;
    uint32_t *nt = malloc(nc * sizeof *nt);
    if (!nt)
        return GM_ENOMEM;
    memset(nt, 0xff, nc * sizeof *nt);
    for (size_t k = 1; k < s->n; k++) {
        size_t j = s->v[k].h & (nc - 1);
        while (nt[j] != NONE)
            j = (j + 1) & (nc - 1);
        nt[j] = (uint32_t)k;
    }
    free(s->t);
    s->t = nt;
    s->cap = nc;
    return 0;
}

/* Finds or adds a child; NONE on OOM or at the limit (s->full). */
static uint32_t add_child(pset *s, uint32_t parent, const char *c, size_t n) {
    uint32_t id = child(s, parent, c, n);
    if (id != NONE)
        return id;
    if (s->n >= GM_IMG_MAX_PATHS) {
        s->full = true;
        return NONE;
    }
    if ((s->n + 1) * 2 > s->cap && pset_grow(s) < 0)
        return NONE;
    if (gm_grow((void **)&s->v, &s->capv, s->n + 1, sizeof *s->v) < 0)
        return NONE;
    uint32_t h = hash(parent, c, n);
    prec *r = &s->v[s->n];
    *r = (prec){.name = gm_strndup(c, n), .parent = parent, .h = h};
    if (!r->name)
        return NONE;
    size_t i = h & (s->cap - 1);
    while (s->t[i] != NONE)
        i = (i + 1) & (s->cap - 1);
    s->t[i] = (uint32_t)s->n;
    return (uint32_t)s->n++;
}

static void pset_free(pset *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].name);
    free(s->v);
    free(s->t);
    memset(s, 0, sizeof *s);
}

/* The node of a cleaned path ("" is the root), or NULL when never recorded. */
static prec *find(pset *s, const char *path) {
    uint32_t id = 0;
    for (const char *c = path; *c && id != NONE;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        id = child(s, id, c, n);
        c += n + (e != NULL);
    }
    return id == NONE ? NULL : &s->v[id];
}

/* Hidden by a decision of a layer above l? The path itself only by an entry;
 * by its ancestors also by a whiteout, an opaque marker or a non-directory. */
static bool hidden(pset *s, const char *path, uint32_t l) {
    if (s->v[0].l_opq > l)
        return true; /* opaque root */
    uint32_t id = 0;
    for (const char *c = path; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if ((id = child(s, id, c, n)) == NONE)
            return false; /* nothing decided at or below here */
        const prec *r = &s->v[id];
        if (!e)
            return r->l_exists > l;
        if (r->l_wh > l || r->l_opq > l || r->l_nondir > l)
            return true;
        c = e + 1;
    }
    return false;
}

/* Records path (and its implied parent directories) as decided by layer l.
 * NULL on OOM or at the limit (s->full). */
static prec *record(pset *s, const char *path, uint32_t l) {
    uint32_t id = 0;
    for (const char *c = path; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if ((id = add_child(s, id, c, n)) == NONE)
            return NULL;
        if (!s->v[id].l_exists)
            s->v[id].l_exists = l;
        c += n + (e != NULL);
    }
    return &s->v[id];
}

static int pset_err(gm_img_src *src, pset *s, gm_error *err) {
    if (s->full)
        return gm_error_set(err, GM_EINVAL,
                            "%s: more than %u distinct paths in the image's layers (the limit)",
                            src->origin, GM_IMG_MAX_PATHS);
    return gm_error_set(err, GM_ENOMEM, "out of memory");
}

/* ---- a layer streamed from its byte range ---- */
typedef struct {
    int fd;
    uint64_t off, size, pos;
    unsigned char buf[64 * 1024];
} region;

static la_ssize_t region_read(struct archive *a, void *data, const void **out) {
    region *r = data;
    size_t want = sizeof r->buf;
    if (r->size - r->pos < want)
        want = (size_t)(r->size - r->pos);
    *out = r->buf;
    if (want == 0)
        return 0;
    ssize_t got;
    do
        got = pread(r->fd, r->buf, want, (off_t)(r->off + r->pos));
    while (got < 0 && errno == EINTR);
    if (got <= 0) {
        archive_set_error(a, EIO, "blob shorter than expected at byte %llu",
                          (unsigned long long)r->pos);
        return -1;
    }
    r->pos += (uint64_t)got;
    return got;
}

static la_int64_t region_skip(struct archive *a, void *data, la_int64_t req) {
    region *r = data;
    uint64_t left = r->size - r->pos;
    uint64_t n = req < 0 ? 0 : (uint64_t)req;
    if (n > left)
        n = left;
    r->pos += n;
    return (la_int64_t)n;
}

static la_int64_t region_seek(struct archive *a, void *data, la_int64_t off, int whence) {
    region *r = data;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)r->pos : (int64_t)r->size;
    int64_t np = base + off;
    if (np < 0 || (uint64_t)np > r->size)
        return ARCHIVE_FATAL;
    r->pos = (uint64_t)np;
    return np;
}

typedef struct {
    gm_img_src *src;
    const char *blob;
    size_t index; /* 1-based from the bottom */
    gm_blob b;
    region *rg;
    struct archive *a;
} layer;

static int layer_err(layer *L, gm_error *err, int code, const char *what) {
    return gm_error_set(err, code, "%s: layer %zu (%s): %s", L->src->origin, L->index, L->blob,
                        what);
}

static void layer_close(layer *L) {
    if (L->a)
        archive_read_free(L->a);
    L->a = NULL;
    free(L->rg);
    L->rg = NULL;
    gm_blob_close(&L->b);
}

static int layer_open(layer *L, gm_error *err) {
    int rc = gm_src_open_blob(L->src, L->blob, &L->b, err);
    if (rc < 0) {
        if (!err)
            return rc;
        /* "ORIGIN: detail" -> "ORIGIN: layer N: detail" */
        char detail[GM_ERROR_MSG_MAX];
        size_t ol = strlen(L->src->origin);
        const char *m = err->msg;
        if (!strncmp(m, L->src->origin, ol) && !strncmp(m + ol, ": ", 2))
            m += ol + 2;
        snprintf(detail, sizeof detail, "%s", m);
        return gm_error_set(err, rc, "%s: layer %zu: %s", L->src->origin, L->index, detail);
    }
    if (!(L->rg = malloc(sizeof *L->rg)) || !(L->a = archive_read_new())) {
        layer_close(L);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    *L->rg = (region){.fd = L->b.fd, .off = L->b.off, .size = L->b.size};
    /* Compression per the OCI/Docker layer media types (tar, gzip, zstd), plus
     * xz and bzip2 which old tools wrote. libarchive falls back to running an
     * external program when built without a library: only linked ones count. */
    if (archive_zlib_version())
        archive_read_support_filter_gzip(L->a);
    if (archive_libzstd_version())
        archive_read_support_filter_zstd(L->a);
    if (archive_liblzma_version())
        archive_read_support_filter_xz(L->a);
    if (archive_bzlib_version())
        archive_read_support_filter_bzip2(L->a);
    archive_read_support_format_tar(L->a);
    archive_read_set_read_callback(L->a, region_read);
    archive_read_set_skip_callback(L->a, region_skip);
    archive_read_set_seek_callback(L->a, region_seek);
    archive_read_set_callback_data(L->a, L->rg);
    if (archive_read_open1(L->a) != ARCHIVE_OK) {
        rc = layer_err(L, err, GM_EFORMAT, archive_error_string(L->a));
        layer_close(L);
        return rc;
    }
    return 0;
}

/* Next entry; 1 = got one, 0 = end, <0 error. */
static int layer_next(layer *L, struct archive_entry **e, gm_error *err) {
    int r = archive_read_next_header(L->a, e);
    if (r == ARCHIVE_EOF)
        return 0;
    if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
        return 1;
    const char *m = archive_error_string(L->a);
    return layer_err(L, err, GM_EFORMAT, m ? m : "unreadable tar entry");
}

typedef struct {
    layer *L;
    const char *path;
} entry_reader;

static int entry_read(gm_image_file *f, void *buf, size_t len, size_t *got, gm_error *err) {
    entry_reader *er = f->impl;
    la_ssize_t n = archive_read_data(er->L->a, buf, len);
    if (n < 0) {
        char what[PATH_BUF + 300];
        const char *m = archive_error_string(er->L->a);
        snprintf(what, sizeof what, "%s: %s", er->path, m ? m : "read error");
        *got = 0;
        return layer_err(er->L, err, GM_EFORMAT, what);
    }
    *got = (size_t)n;
    return 0;
}

static int visit_entry(layer *L, struct archive_entry *e, const char *clean, gm_image_visit visit,
                       void *ctx, gm_error *err) {
    char path[PATH_BUF + 2];
    snprintf(path, sizeof path, "/%s", clean);
    entry_reader er = {L, path};
    la_int64_t sz = archive_entry_size(e);
    gm_image_file f = {.path = path,
                       .size = sz < 0 ? 0 : (uint64_t)sz,
                       .read = entry_read,
                       .impl = &er,
                       .mode = (uint32_t)archive_entry_perm(e) & 07777};
    return visit(ctx, &f, err);
}

typedef struct {
    char *path;   /* cleaned link name */
    char *target; /* cleaned target, resolved through other links of the layer */
    size_t order; /* position in the archive */
    bool done;
} hlink;

typedef struct {
    hlink *v;
    size_t n, cap;
} hlinks;

static void hlinks_free(hlinks *h) {
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].path);
        free(h->v[i].target);
    }
    free(h->v);
    memset(h, 0, sizeof *h);
}

/* Cleans an entry name; 0 ok, 1 skip (the root itself), <0 error. */
static int entry_name(layer *L, const char *raw, char *out, const char *what, gm_error *err) {
    char msg[200], q[64];
    if (!raw) {
        snprintf(msg, sizeof msg, "%s without a name", what);
        return layer_err(L, err, GM_EFORMAT, msg);
    }
    int c = gm_img_clean_path(raw, out, PATH_BUF);
    if (c == 1) {
        snprintf(msg, sizeof msg, "%s \"%s\" escapes the root", what, gm_quote(raw, q));
        return layer_err(L, err, GM_EFORMAT, msg);
    }
    if (c < 0) {
        snprintf(msg, sizeof msg, "%s \"%s\" is too long", what, gm_quote(raw, q));
        return layer_err(L, err, GM_EFORMAT, msg);
    }
    return out[0] ? 0 : 1;
}

/* First pass over layer l: decide visibility, visit visible regular files,
 * collect visible hard links for the extra passes. */
static int layer_pass(layer *L, uint32_t l, pset *set, hlinks *links, gm_image_visit visit,
                      void *ctx, size_t *n_files, gm_error *err) {
    struct archive_entry *e;
    char clean[PATH_BUF], tgt[PATH_BUF + 8];
    int rc;
    while ((rc = layer_next(L, &e, err)) == 1) {
        int c = entry_name(L, archive_entry_pathname(e), clean, "entry", err);
        if (c < 0)
            return c;
        if (c == 1)
            continue;
        if (L->src->whole && (!strcmp(clean, "manifest.json") || !strcmp(clean, "oci-layout")))
            return gm_error_set(err, GM_EUNSUPPORTED,
                                "%s: a compressed image archive (it holds %s): decompress it "
                                "first, gpumatch reads image archives uncompressed",
                                L->src->origin, clean);
        char *slash = strrchr(clean, '/');
        const char *base = slash ? slash + 1 : clean;
        size_t dlen = slash ? (size_t)(slash - clean) : 0;
        if (!strncmp(base, ".wh.", 4)) {
            if (hidden(set, clean, l))
                continue;
            prec *r;
            if (!strcmp(base, ".wh..wh..opq")) {
                if (dlen == 0)
                    r = &set->v[0];
                else {
                    clean[dlen] = '\0';
                    r = record(set, clean, l);
                }
                if (r && !r->l_opq)
                    r->l_opq = l;
            } else if (!strncmp(base, ".wh..wh.", 8)) {
                continue; /* aufs bookkeeping (.wh..wh.plnk etc.), not a path */
            } else {
                snprintf(tgt, sizeof tgt, "%.*s%s%s", (int)dlen, clean, dlen ? "/" : "", base + 4);
                r = record(set, tgt, l);
                if (r && !r->l_wh)
                    r->l_wh = l;
            }
            if (!r)
                return pset_err(L->src, set, err);
            continue;
        }
        prec *r = find(set, clean);
        if (r && r->l_exists == l)
            continue; /* a duplicate inside one layer: the first one counts */
        if (hidden(set, clean, l))
            continue;
        mode_t type = archive_entry_filetype(e);
        const char *hl = archive_entry_hardlink(e);
        if (!(r = record(set, clean, l)))
            return pset_err(L->src, set, err);
        if (type != AE_IFDIR || hl)
            r->l_nondir = l;
        if (hl) {
            char t[PATH_BUF];
            if ((c = entry_name(L, hl, t, "hard link target", err)) < 0)
                return c;
            if (c == 1)
                continue;
            if (gm_grow((void **)&links->v, &links->cap, links->n + 1, sizeof *links->v) < 0)
                return gm_error_set(err, GM_ENOMEM, "out of memory");
            hlink *h = &links->v[links->n];
            h->path = gm_strdup(clean);
            h->target = gm_strdup(t);
            h->done = false;
            links->n++;
            if (!h->path || !h->target)
                return gm_error_set(err, GM_ENOMEM, "out of memory");
        } else if (type == AE_IFREG) {
            if ((rc = visit_entry(L, e, clean, visit, ctx, err)) < 0)
                return rc;
            ++*n_files;
        }
        /* symlinks, devices, fifos: decide the path, never visited */
    }
    return rc;
}

/* Hard links are sorted (by path to resolve chains, then by target for the
 * passes) so 100 000 links cost n log n, not n squared. */
static const hlinks *g_sort_links; /* qsort has no context argument in C11 */

static int cmp_path(const void *a, const void *b) {
    return strcmp(g_sort_links->v[*(const size_t *)a].path,
                  g_sort_links->v[*(const size_t *)b].path);
}

static int cmp_target(const void *a, const void *b) {
    const hlink *x = a, *y = b;
    int c = strcmp(x->target, y->target);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Index of the link whose path is name, or -1. */
static long find_path(const hlinks *links, const size_t *by_path, const char *name) {
    size_t lo = 0, hi = links->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(links->v[by_path[mid]].path, name);
        if (c == 0)
            return (long)by_path[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* A link to a link: tar writers point at the first name, but be tolerant.
 * Then orders the links by target (archive order within a target). */
static int resolve_chains(hlinks *links) {
    size_t *by_path = gm_xcalloc(links->n, sizeof *by_path);
    if (!by_path)
        return GM_ENOMEM;
    for (size_t i = 0; i < links->n; i++) {
        by_path[i] = i;
        links->v[i].order = i;
    }
    g_sort_links = links;
    qsort(by_path, links->n, sizeof *by_path, cmp_path);
    for (size_t i = 0; i < links->n; i++) {
        for (int depth = 0; depth < 8; depth++) {
            long j = find_path(links, by_path, links->v[i].target);
            if (j < 0 || (size_t)j == i)
                break;
            char *t = gm_strdup(links->v[j].target);
            if (!t)
                break;
            free(links->v[i].target);
            links->v[i].target = t;
        }
    }
    free(by_path);
    qsort(links->v, links->n, sizeof *links->v, cmp_target);
    return 0;
}

/* Extra pass: each target's data is streamed once per pass, so a pass visits
 * at most one pending link per target. */
static int link_pass(layer *L, hlinks *links, gm_image_visit visit, void *ctx, size_t *n_files,
                     bool *progress, gm_error *err) {
    struct archive_entry *e;
    char clean[PATH_BUF];
    int rc;
    *progress = false;
    while ((rc = layer_next(L, &e, err)) == 1) {
        if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
            continue;
        int c = entry_name(L, archive_entry_pathname(e), clean, "entry", err);
        if (c < 0)
            return c;
        if (c == 1)
            continue;
        size_t lo = 0, hi = links->n; /* first link with this target */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(links->v[mid].target, clean) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        /* links of a target are visited in order: the done ones come first */
        for (size_t i = lo; i < links->n && !strcmp(links->v[i].target, clean); i++) {
            hlink *h = &links->v[i];
            if (h->done)
                continue;
            h->done = true;
            *progress = true;
            if ((rc = visit_entry(L, e, h->path, visit, ctx, err)) < 0)
                return rc;
            ++*n_files;
            break;
        }
    }
    return rc;
}

bool gm_img_is_compressed_tar(int fd, uint64_t size) {
    unsigned char m[6];
    if (size < sizeof m || pread(fd, m, sizeof m, 0) != (ssize_t)sizeof m)
        return false;
    bool magic = (m[0] == 0x1f && m[1] == 0x8b) ||                                /* gzip */
                 (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) || /* zstd */
                 !memcmp(m, "\xfd" "7zXZ", 5) ||                                    /* xz */
                 !memcmp(m, "BZh", 3);                                             /* bzip2 */
    if (!magic)
        return false;
    gm_img_src src = {.origin = "", .dirfd = -1, .fd = fd, .fsize = size, .whole = true};
    layer L = {.src = &src, .blob = "", .index = 1};
    struct archive_entry *e;
    bool ok = layer_open(&L, NULL) == 0 && layer_next(&L, &e, NULL) == 1;
    layer_close(&L);
    return ok;
}

int gm_img_walk_layers(gm_img_src *src, const gm_strlist *layers, gm_image_visit visit, void *ctx,
                       size_t *n_files, size_t *n_skipped, gm_error *err) {
    pset set;
    int rc = 0;
    if (layers->n > GM_IMG_MAX_LAYERS)
        return gm_error_set(err, GM_EINVAL, "%s: %zu layers, more than the limit of %d",
                            src->origin, layers->n, GM_IMG_MAX_LAYERS);
    if (pset_init(&set) < 0) {
        pset_free(&set);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    for (size_t i = layers->n; i-- > 0 && rc == 0;) {
        uint32_t l = (uint32_t)(i + 1);
        /* A blob listed again higher up decides every path this copy holds
         * (same entries, same whiteouts): the lower copy adds nothing. */
        bool again = false;
        for (size_t k = i + 1; k < layers->n && !again; k++)
            again = !strcmp(layers->items[k], layers->items[i]);
        if (again)
            continue;
        layer L = {.src = src, .blob = layers->items[i], .index = i + 1};
        hlinks links = {0};
        if ((rc = layer_open(&L, err)) < 0)
            break;
        rc = layer_pass(&L, l, &set, &links, visit, ctx, n_files, err);
        layer_close(&L);
        if (rc == 0 && links.n) {
            if (resolve_chains(&links) < 0)
                rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            bool progress = true;
            for (int pass = 0; pass < MAX_LINK_PASSES && progress && rc == 0; pass++) {
                size_t left = 0;
                for (size_t k = 0; k < links.n; k++)
                    left += !links.v[k].done;
                if (!left)
                    break;
                if ((rc = layer_open(&L, err)) < 0)
                    break;
                rc = link_pass(&L, &links, visit, ctx, n_files, &progress, err);
                layer_close(&L);
            }
            for (size_t k = 0; k < links.n; k++)
                *n_skipped += !links.v[k].done;
        }
        hlinks_free(&links);
    }
    pset_free(&set);
    return rc;
}
