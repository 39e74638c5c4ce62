/* Requirement derivation from scanned files (see inspect.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/inspect.h"
#include "gpumatch/nvreq.h"
#include "gpumatch/rules.h"
#include "gpumatch/tables.h"
#include "internal.h"
#include "inspect_internal.h"

const char *gm_cover_name(gm_cover c) {
    return c == GM_COVER_EVERY ? "every" : c == GM_COVER_SOME ? "some" : "none";
}

void gm_inspect_init(gm_inspect *in, gm_fatbin_depth depth) {
    memset(in, 0, sizeof *in);
    in->depth = depth;
}

void gm_inspect_free(gm_inspect *in) {
    for (size_t i = 0; i < in->n_files; i++)
        gm_elf_scan_free(&in->files[i]);
    free(in->files);
    gm_strlist_free(&in->lib_names);
    gm_strlist_free(&in->dirs_seen);
    gm_strlist_free(&in->errors);
    gm_strlist_free(&in->nvidia_require);
    memset(in, 0, sizeof *in);
}

static bool is_cudart_name(const char *b) { return strncmp(b, "libcudart.so.", 13) == 0; }

#define MAX_CUDART_NAMES 256

int gm_inspect_note_name(gm_inspect *in, const char *b, gm_error *err) {
    if (!is_cudart_name(b))
        return 0;
    for (size_t i = 0; i < in->lib_names.n; i++)
        if (!strcmp(in->lib_names.items[i], b))
            return 0;
    /* An image has a handful; the list is searched linearly (docs/limits.md). */
    if (in->lib_names.n >= MAX_CUDART_NAMES)
        return gm_error_set(err, GM_EINVAL, "%s: more than %d distinct libcudart.so.* names (the "
                            "limit)", b, MAX_CUDART_NAMES);
    if (gm_strlist_add(&in->lib_names, b) < 0)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    return 0;
}

/* Lists libcudart.so.* beside an input once per directory (cheap: names only). */
static int note_dir(gm_inspect *in, const char *path, gm_error *err) {
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) ? (int)(slash - path) : 1, path);
    for (size_t i = 0; i < in->dirs_seen.n; i++)
        if (!strcmp(in->dirs_seen.items[i], dir))
            return 0;
    if (gm_strlist_add(&in->dirs_seen, dir) < 0)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)))
        rc = gm_inspect_note_name(in, de->d_name, err);
    closedir(d);
    return rc;
}

/* ---- folding a scan to what the compact requirement reads ---- */

typedef struct {
    gm_target target;
    gm_cuda_version isa;
    uint16_t kind;
    size_t at;
} image_key;

static int cmp_key(const void *a, const void *b) {
    const image_key *x = a, *y = b;
    int c = (x->kind > y->kind) - (x->kind < y->kind);
    if (!c)
        c = gm_target_cmp(&x->target, &y->target);
    if (!c)
        c = gm_cuda_version_cmp(&x->isa, &y->isa);
    return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* Keeps the first entry of each kind, target and PTX ISA, in order:
 * set_requirement and gm_inspect_runtime read only those, sort targets
 * uniquely and keep the newest ISA, and the first of equals stays first.
 * Sorted, so n log n whatever a hostile region holds. */
static int dedupe(gm_fatbin_region *r) {
    size_t n = r->n_entries, k = 0;
    if (n < 2)
        return 0;
    image_key *key = gm_xcalloc(n, sizeof *key);
    bool *keep = gm_xcalloc(n, sizeof *keep);
    if (!key || !keep) {
        free(key);
        free(keep);
        return GM_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        key[i] = (image_key){r->entries[i].target, r->entries[i].code_version,
                             r->entries[i].kind, i};
    qsort(key, n, sizeof *key, cmp_key);
    for (size_t i = 0; i < n; i++) {
        image_key a = key[i];
        if (i > 0) {
            a.at = key[i - 1].at; /* equal but for the position? */
            if (!cmp_key(&a, &key[i - 1]))
                continue;
        }
        keep[key[i].at] = true;
    }
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            r->entries[k++] = r->entries[i];
    free(key);
    free(keep);
    gm_fatbin_entry *t = realloc(r->entries, k * sizeof *t);
    if (t)
        r->entries = t;
    r->n_entries = r->cap = k;
    return 0;
}

/* Moves the entries of from to the end of to. */
static int take_entries(gm_fatbin_region *to, gm_fatbin_region *from) {
    if (gm_grow((void **)&to->entries, &to->cap, to->n_entries + from->n_entries,
                sizeof *to->entries) < 0)
        return GM_ENOMEM;
    if (from->n_entries)
        memcpy(to->entries + to->n_entries, from->entries, from->n_entries * sizeof *to->entries);
    to->n_entries += from->n_entries;
    free(from->entries);
    from->entries = NULL;
    from->n_entries = from->cap = 0;
    return 0;
}

/* Regions of a section whose modules the compact requirement unites (a
 * library's, embedded ones; or a section nothing loads) become at most two:
 * the distinct images of the regions with kernels, and those of the
 * kernel-less ones (still evidence for the runtime). Registered sections of
 * programs, objects and archives keep one region per module, deduplicated. */
static int fold_section(gm_fatbin_section *sec, bool unite) {
    int rc = 0;
    if (!unite) {
        for (size_t r = 0; r < sec->fb.n_regions && rc == 0; r++)
            rc = dedupe(&sec->fb.regions[r]);
        return rc;
    }
    gm_fatbin_region live = {0}, kless = {.kernel_less = true};
    bool any_live = false, any_kless = false;
    size_t kept_live = 0, kept_kless = 0;
    for (size_t r = 0; r < sec->fb.n_regions && rc == 0; r++) {
        gm_fatbin_region *rg = &sec->fb.regions[r];
        bool *any = rg->kernel_less ? &any_kless : &any_live;
        size_t *kept = rg->kernel_less ? &kept_kless : &kept_live;
        gm_fatbin_region *to = rg->kernel_less ? &kless : &live;
        if (!*any) {
            *to = (gm_fatbin_region){.offset = rg->offset, .size = rg->size,
                                     .version = rg->version, .kernel_less = rg->kernel_less};
            *any = true;
        }
        rc = take_entries(to, rg);
        /* deduplicate as it grows: twice the distinct images at most */
        if (rc == 0 && to->n_entries >= 2 * *kept + 64 && (rc = dedupe(to)) == 0)
            *kept = to->n_entries;
    }
    if (rc == 0 && (rc = dedupe(&live)) == 0)
        rc = dedupe(&kless);
    gm_fatbin_region *keep = rc == 0 ? malloc(2 * sizeof *keep) : NULL;
    if (!keep) {
        free(live.entries);
        free(kless.entries);
        return GM_ENOMEM;
    }
    size_t n = 0;
    if (any_live)
        keep[n++] = live;
    if (any_kless)
        keep[n++] = kless;
    for (size_t r = 0; r < sec->fb.n_regions; r++)
        free(sec->fb.regions[r].entries);
    free(sec->fb.regions);
    sec->fb.regions = keep;
    sec->fb.n_regions = sec->fb.cap = n;
    return 0;
}

static int fold_scan(gm_elf_scan *s) {
    for (size_t i = 0; i < s->n_sections; i++) {
        gm_fatbin_section *sec = &s->sections[i];
        bool unite = !sec->primary || sec->embedded || s->kind == GM_FILE_SHARED;
        if (fold_section(sec, unite) < 0)
            return GM_ENOMEM;
    }
    return 0;
}

int gm_inspect_add_scan(gm_inspect *in, gm_elf_scan *scan, gm_error *err) {
    if (scan->kind == GM_FILE_OTHER) {
        in->n_skipped++;
        gm_elf_scan_free(scan);
        return 0;
    }
    if (in->fold && fold_scan(scan) < 0) {
        gm_elf_scan_free(scan);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    if (gm_grow((void **)&in->files, &in->cap, in->n_files + 1, sizeof *in->files) < 0) {
        gm_elf_scan_free(scan);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    in->files[in->n_files++] = *scan;
    memset(scan, 0, sizeof *scan);
    return 0;
}

static int emit_modules(gm_inspect *in, const gm_elf_scan *s, const void *data, size_t len,
                        gm_error *err);

int gm_inspect_add_file(gm_inspect *in, const char *path, gm_error *err) {
    gm_elf_scan s;
    int rc = gm_elfscan_file(path, in->depth, &s, err);
    if (rc < 0)
        return rc;
    if ((rc = note_dir(in, path, err)) < 0) {
        gm_elf_scan_free(&s);
        return rc;
    }
    if (in->on_module && s.kind != GM_FILE_OTHER && s.size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        void *map = fd >= 0 ? mmap(NULL, (size_t)s.size, PROT_READ, MAP_PRIVATE, fd, 0)
                            : MAP_FAILED;
        if (fd >= 0)
            close(fd);
        if (map == MAP_FAILED) {
            gm_elf_scan_free(&s);
            return gm_error_set(err, GM_EIO, "%s: cannot map: %s", path, strerror(errno));
        }
        rc = emit_modules(in, &s, map, (size_t)s.size, err);
        munmap(map, (size_t)s.size);
        if (rc < 0) {
            gm_elf_scan_free(&s);
            return rc;
        }
    }
    uint64_t size = s.size;
    if ((rc = gm_inspect_add_scan(in, &s, err)) == 0 && in->on_progress) {
        in->progress.files++;
        in->progress.bytes += size;
        in->progress.path = path;
        in->on_progress(in->on_progress_ctx, &in->progress);
        in->progress.path = NULL;
    }
    return rc;
}

static bool parse_mm(const char *s, gm_cuda_version *v);

/* ---- directories and images ---- */

/* Largest single file read into memory from a streamed layer. */
#define MAX_STREAMED_FILE (2ull * 1024 * 1024 * 1024)

typedef struct {
    gm_inspect *in;
    const char *origin;
} walk_ctx;

static int record_error(gm_inspect *in, const gm_error *e, gm_error *err) {
    if (gm_strlist_add(&in->errors, e->msg) < 0)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    return 0;
}

/* Files of a layer larger than this are spilled to a temporary file and
 * mapped instead of read into memory (docs/limits.md). */
#define SPILL_BYTES (8u * 1024 * 1024)

int gm_inspect_spill_scan(gm_inspect *in, gm_image_file *f, const unsigned char *head,
                          size_t have, const char *name, gm_elf_scan *s, gm_error *fe,
                          gm_error *err, bool *io) {
    gm_fatbin_depth depth = in->depth;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int fd = open(dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
    if (fd < 0) {
        char *tmpl = gm_asprintf("%s/gpumatch-inspect.XXXXXX", dir);
        fd = tmpl ? mkstemp(tmpl) : -1;
        if (fd >= 0)
            unlink(tmpl);
        free(tmpl);
    }
    *io = true;
    if (fd < 0)
        return gm_error_set(err, GM_EIO, "%s: cannot create a temporary file in %s: %s", name,
                            dir, strerror(errno));
    unsigned char *buf = malloc(1u << 20);
    int rc = buf ? 0 : gm_error_set(err, GM_ENOMEM, "out of memory");
    size_t total = 0, got = 0;
    const unsigned char *chunk = head;
    size_t n = have;
    while (rc == 0) {
        for (size_t off = 0; off < n;) {
            ssize_t w = pwrite(fd, chunk + off, n - off, (off_t)(total + off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = gm_error_set(err, GM_EIO, "%s: writing the temporary copy in %s: %s", name,
                                  dir, strerror(errno));
                break;
            }
            off += (size_t)w;
        }
        total += n;
        if (rc == 0 && total > MAX_STREAMED_FILE) { /* a stream of unknown size */
            rc = gm_error_set(err, GM_EUNSUPPORTED, "%s: more than the %llu bytes read from "
                              "a layer or package member", name, MAX_STREAMED_FILE);
            break;
        }
        if (rc || (rc = f->read(f, buf, 1u << 20, &got, err)) < 0 || got == 0)
            break;
        chunk = buf;
        n = got;
    }
    free(buf);
    if (rc == 0) {
        void *map = total ? mmap(NULL, total, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
        if (map == MAP_FAILED) {
            rc = gm_error_set(err, GM_EIO, "%s: cannot map the temporary copy: %s", name,
                              strerror(errno));
        } else {
            if (map)
                madvise(map, total, depth == GM_FATBIN_VERIFY ? MADV_SEQUENTIAL : MADV_RANDOM);
            *io = false;
            rc = gm_elfscan_mapped(map ? map : "", total, name, depth, s, fe);
            if (rc == 0 && (rc = emit_modules(in, s, map ? map : "", total, err)) < 0) {
                gm_elf_scan_free(s);
                *io = true; /* an error of the module consumer, in err */
            }
            if (map)
                munmap(map, total);
        }
    }
    close(fd);
    return rc;
}

static int visit(void *vctx, gm_image_file *f, gm_error *err) {
    walk_ctx *c = vctx;
    return gm_inspect_visit(c->in, c->origin, f, err);
}

static int visit_one(gm_inspect *in, const char *origin, gm_image_file *f, gm_error *err);

int gm_inspect_visit(gm_inspect *in, const char *origin, gm_image_file *f, gm_error *err) {
    int rc = visit_one(in, origin, f, err);
    if (in->on_progress) {
        in->progress.files++;
        in->progress.bytes += f->size;
        in->progress.path = f->path;
        in->on_progress(in->on_progress_ctx, &in->progress);
        in->progress.path = NULL;
    }
    return rc;
}

static int visit_one(gm_inspect *in, const char *origin, gm_image_file *f, gm_error *err) {
    const char *slash = strrchr(f->path, '/');
    int rc = gm_inspect_note_name(in, slash ? slash + 1 : f->path, err);
    if (rc < 0)
        return rc;
    char name[4096];
    snprintf(name, sizeof name, "%s:%s", origin, f->path);
    gm_elf_scan s;
    gm_error fe = {0};
    int fd = gm_image_file_fd(f);
    if (fd >= 0) {
        /* A file of a directory tree: map it, as for a file on the command line. */
        unsigned char head[8];
        ssize_t n = pread(fd, head, sizeof head, 0);
        if (n <= 0 || !gm_elfscan_sniff(head, (size_t)n, f->path)) {
            if (n > 0 && n == (ssize_t)sizeof head && f->size <= 1024 * 1024) {
                /* maybe PTX text: sniff needs more than 8 bytes */
                unsigned char big[4096];
                ssize_t m = pread(fd, big, sizeof big, 0);
                if (m <= 0 || !gm_elfscan_sniff(big, (size_t)m, f->path)) {
                    in->n_skipped++;
                    return 0;
                }
            } else {
                in->n_skipped++;
                return 0;
            }
        }
        void *map = f->size ? mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
        if (map == MAP_FAILED)
            return gm_error_set(err, GM_EIO, "%s: cannot map: %s", name, strerror(errno));
        if (map)
            madvise(map, (size_t)f->size, in->depth == GM_FATBIN_VERIFY ? MADV_SEQUENTIAL : MADV_RANDOM);
        rc = gm_elfscan_mapped(map ? map : "", (size_t)f->size, name, in->depth, &s, &fe);
        if (rc == 0 && (rc = emit_modules(in, &s, map ? map : "", (size_t)f->size, err)) < 0) {
            gm_elf_scan_free(&s);
            if (map)
                munmap(map, (size_t)f->size);
            return rc;
        }
        if (map)
            munmap(map, (size_t)f->size);
    } else {
        /* A file inside a layer tarball: sniff its head, then read it whole. */
        unsigned char head[4096];
        size_t have = 0, got = 0;
        while (have < sizeof head) {
            if ((rc = f->read(f, head + have, sizeof head - have, &got, err)) < 0)
                return rc;
            if (got == 0)
                break;
            have += got;
        }
        if (!gm_elfscan_sniff(head, have, f->path)) {
            in->n_skipped++;
            return 0;
        }
        if (f->size > MAX_STREAMED_FILE) {
            gm_error_set(&fe, GM_EUNSUPPORTED, "%s: %llu bytes, more than the %llu bytes read "
                         "from a layer", name, (unsigned long long)f->size, MAX_STREAMED_FILE);
            return record_error(in, &fe, err);
        }
        if (f->size > SPILL_BYTES) {
            /* A big library goes to an unlinked temporary file that is then
             * mapped: only the pages the scan touches (headers, fat binary
             * sections) become resident, so memory stays bounded (issue 13). */
            bool io = false;
            rc = gm_inspect_spill_scan(in, f, head, have, name, &s, &fe, err, &io);
            if (io)
                return rc; /* the copy failed: an error of the walk, in err */
            goto scanned;
        }
        size_t cap = (size_t)f->size > have ? (size_t)f->size : have;
        unsigned char *buf = malloc(cap ? cap : 1);
        if (!buf)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        memcpy(buf, head, have);
        while (have < cap) {
            if ((rc = f->read(f, buf + have, cap - have, &got, err)) < 0) {
                free(buf);
                return rc;
            }
            if (got == 0)
                break;
            have += got;
        }
        rc = gm_elfscan_memory(buf, have, name, in->depth, &s, &fe);
        if (rc == 0 && (rc = emit_modules(in, &s, buf, have, err)) < 0) {
            gm_elf_scan_free(&s);
            free(buf);
            return rc;
        }
        free(buf);
    }
scanned:
    if (rc < 0)
        return fe.code == GM_ENOMEM ? gm_error_set(err, GM_ENOMEM, "%s", fe.msg)
                                    : record_error(in, &fe, err);
    return gm_inspect_add_scan(in, &s, err);
}

/* The image's NVIDIA_REQUIRE_* as the container runtime reads them (one reader:
 * gm_nvreq_from_env, also used by launch and preflight). */
static int take_env(gm_inspect *in, const gm_strlist *env, gm_error *err) {
    bool disabled = false;
    int rc = gm_nvreq_from_env(env, &in->nvidia_require, &disabled, err);
    in->nvidia_disable_require |= disabled;
    return rc;
}

int gm_inspect_add_path(gm_inspect *in, const char *path, gm_image_info *info, gm_error *err) {
    struct stat st;
    if (stat(path, &st) != 0)
        return gm_error_set(err, GM_ENOTFOUND, "%s: %s", path, strerror(errno));
    if (S_ISREG(st.st_mode)) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        unsigned char head[4096];
        ssize_t n = fd >= 0 ? pread(fd, head, sizeof head, 0) : -1;
        if (fd >= 0)
            close(fd);
        if (n < 0)
            return gm_error_set(err, GM_EIO, "%s: cannot read: %s", path, strerror(errno));
        if (gm_elfscan_sniff(head, (size_t)n, path))
            return gm_inspect_add_file(in, path, err);
        if (gm_inspect_pkg_sniff(head, (size_t)n) != GM_PKG_NONE) {
            bool handled;
            int prc = gm_inspect_add_package(in, path, &handled, err);
            if (prc < 0 || handled)
                return prc;
        }
    }
    walk_ctx c = {in, path};
    gm_image_info local = {0};
    gm_image_info *ii = info ? info : &local;
    size_t files_before = in->n_files, skipped_before = in->n_skipped;
    int rc = gm_image_walk(path, visit, &c, ii, err);
    if (rc == 0 && ii->kind && !strcmp(ii->kind, "file") && in->n_files == files_before &&
        in->n_skipped > skipped_before) {
        gm_image_info_free(&local);
        return gm_error_set(err, GM_EUNSUPPORTED,
                            "%s: not an ELF, fat binary, cubin, PTX, ar archive, package (.whl, "
                            ".zip, .conda, .tar.*), image or directory",
                            path);
    }
    if (rc == 0)
        rc = take_env(in, &ii->env, err);
    gm_image_info_free(&local);
    return rc;
}

/* "13.0.88" or "12.4" -> 13.0 / 12.4 */
static bool parse_mm(const char *s, gm_cuda_version *v) {
    char *e;
    long a = strtol(s, &e, 10);
    if (e == s || *e != '.' || a < 1 || a > 999)
        return false;
    const char *m = e + 1;
    long b = strtol(m, &e, 10);
    if (e == m || b < 0 || b > 99)
        return false;
    v->major = (int)a;
    v->minor = (int)b;
    return true;
}

static bool has_device_code(const gm_elf_scan *s) {
    for (size_t i = 0; i < s->n_sections; i++)
        if (s->sections[i].primary && s->sections[i].fb.n_regions)
            return true;
    return false;
}

static void newest_isa(const gm_elf_scan *s, bool *found, gm_cuda_version *isa) {
    for (size_t i = 0; i < s->n_sections; i++)
        for (size_t r = 0; r < s->sections[i].fb.n_regions; r++) {
            const gm_fatbin_region *rg = &s->sections[i].fb.regions[r];
            for (size_t e = 0; e < rg->n_entries; e++) {
                const gm_fatbin_entry *en = &rg->entries[e];
                if (en->kind == GM_FATBIN_PTX &&
                    (!*found || gm_cuda_version_cmp(&en->code_version, isa) > 0)) {
                    *isa = en->code_version;
                    *found = true;
                }
            }
        }
}

/* Keeps the strongest evidence: each source gives a version the program needs
 * at least, so the newest one wins (sources tie: the first named stays). */
static void take_evidence(gm_runtime_guess *g, const gm_cuda_version *v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void take_evidence(gm_runtime_guess *g, const gm_cuda_version *v, const char *fmt, ...) {
    if (g->found && gm_cuda_version_cmp(v, &g->version) <= 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->source, sizeof g->source, fmt, ap);
    va_end(ap);
    g->version = *v;
    g->found = true;
}

gm_runtime_guess gm_inspect_runtime(const gm_inspect *in, const gm_elf_scan *s) {
    gm_runtime_guess g;
    memset(&g, 0, sizeof g);
    bool shared_rt = false;
    for (size_t i = 0; i < s->needed.n && !shared_rt; i++) {
        const char *n = s->needed.items[i];
        if (!is_cudart_name(n))
            continue;
        gm_cuda_version v = {0, 0};
        char *e;
        long maj = strtol(n + 13, &e, 10);
        if (e == n + 13 || maj < 1 || maj > 999)
            continue;
        v.major = (int)maj;
        if (*e == '.')
            parse_mm(n + 13, &v); /* libcudart.so.11.0 */
        shared_rt = true;
        take_evidence(&g, &v, "DT_NEEDED %s", n);
        /* A fuller name of the same major beside it (libcudart.so.12.4.127)
         * says which minor will load; take the oldest if there are several. */
        const char *best_name = NULL;
        gm_cuda_version best = {0, 0};
        for (size_t k = 0; in && k < in->lib_names.n; k++) {
            gm_cuda_version w;
            if (parse_mm(in->lib_names.items[k] + 13, &w) && w.major == v.major &&
                strchr(strchr(in->lib_names.items[k] + 13, '.') + 1, '.') &&
                (!best_name || gm_cuda_version_cmp(&w, &best) < 0)) {
                best = w;
                best_name = in->lib_names.items[k];
            }
        }
        if (best_name)
            take_evidence(&g, &best, "DT_NEEDED %s, %s beside it", n, best_name);
    }
    /* Standalone device files name no runtime; an executable or library with
     * device code and no shared cudart has it linked in (nvcc's default). */
    if (!has_device_code(s) || s->kind == GM_FILE_CUBIN || s->kind == GM_FILE_PTX ||
        s->kind == GM_FILE_FATBIN)
        return g;
    gm_cuda_version tv;
    if (s->tool[0] && parse_mm(s->tool, &tv))
        take_evidence(&g, &tv, "%stoolkit %s (cubin/PTX notes)",
                      shared_rt ? "" : "static runtime, ", s->tool);
    bool f = false;
    gm_cuda_version isa = {0, 0};
    newest_isa(s, &f, &isa);
    const gm_ptx_entry *pe = f ? gm_ptx_find(&isa) : NULL;
    if (pe)
        take_evidence(&g, &pe->first_cuda, "%sat least CUDA %d.%d (first to emit PTX ISA %d.%d)",
                      shared_rt ? "" : "static runtime, ", pe->first_cuda.major,
                      pe->first_cuda.minor, isa.major, isa.minor);
    /* A target exists only from some toolkit on (sm_120: 12.8). */
    const gm_arch_entry *newest = NULL;
    char tname[GM_VERSION_STR_MAX] = "";
    for (size_t i = 0; i < s->n_sections; i++)
        for (size_t r = 0; r < s->sections[i].fb.n_regions; r++) {
            const gm_fatbin_region *rg = &s->sections[i].fb.regions[r];
            for (size_t e = 0; e < rg->n_entries; e++) {
                const gm_fatbin_entry *en = &rg->entries[e];
                if (en->kind != GM_FATBIN_CUBIN && en->kind != GM_FATBIN_PTX)
                    continue;
                const gm_arch_entry *a = gm_arch_find(&en->target.cc);
                if (a && (!newest || gm_cuda_version_cmp(&a->first_cuda, &newest->first_cuda) > 0)) {
                    newest = a;
                    gm_target_str(&en->target, tname);
                }
            }
        }
    if (newest && newest->first_cuda.major && (s->kind == GM_FILE_EXEC || s->kind == GM_FILE_SHARED))
        take_evidence(&g, &newest->first_cuda, "%sat least CUDA %d.%d (first toolkit with %s)",
                      shared_rt ? "" : "static runtime, ", newest->first_cuda.major,
                      newest->first_cuda.minor, tname);
    return g;
}

/* Appends (duplicates too: region_module sorts and drops them, n log n). */
static int add_target(gm_target **arr, size_t *n, size_t *cap, const gm_target *t,
                      gm_error *err) {
    if (gm_grow((void **)arr, cap, *n + 1, sizeof **arr) < 0)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    (*arr)[(*n)++] = *t;
    return 0;
}

static int cmp_target(const void *a, const void *b) { return gm_target_cmp(a, b); }

static void sort_unique(gm_target *t, size_t *n) {
    if (*n == 0)
        return;
    qsort(t, *n, sizeof *t, cmp_target);
    size_t k = 1;
    for (size_t i = 1; i < *n; i++)
        if (gm_target_cmp(&t[i], &t[k - 1]) != 0)
            t[k++] = t[i];
    *n = k;
}

static void module_name(const gm_elf_scan *s, const gm_fatbin_section *sec, size_t ri,
                        char *name, size_t len) {
    if (!sec->section)
        snprintf(name, len, "%s", s->path);
    else
        snprintf(name, len, "%s%s%s%s:%s#%zu", s->path, sec->member ? "(" : "",
                 sec->member ? sec->member : "", sec->member ? ")" : "", sec->section, ri);
}

static bool region_loadable(const gm_fatbin_region *rg) {
    for (size_t e = 0; e < rg->n_entries; e++)
        if (rg->entries[e].kind == GM_FATBIN_CUBIN || rg->entries[e].kind == GM_FATBIN_PTX)
            return true;
    return false; /* NVVM IR only: nothing loads it */
}

/* Hands each module of s (bytes in data[0, len)) to in->on_module. */
static int emit_modules(gm_inspect *in, const gm_elf_scan *s, const void *data, size_t len,
                        gm_error *err) {
    if (!in->on_module || s->kind == GM_FILE_OTHER)
        return 0;
    for (size_t i = 0; i < s->n_sections; i++) {
        const gm_fatbin_section *sec = &s->sections[i];
        if (!sec->primary)
            continue;
        for (size_t r = 0; r < sec->fb.n_regions; r++) {
            const gm_fatbin_region *rg = &sec->fb.regions[r];
            if (!region_loadable(rg))
                continue;
            char name[1024];
            module_name(s, sec, r, name, sizeof name);
            gm_inspect_module m = {s, in->n_files, name, rg, GM_FILE_FATBIN, NULL, 0};
            if (s->kind == GM_FILE_CUBIN || s->kind == GM_FILE_PTX) {
                m.kind = s->kind; /* the whole file is the image */
                m.data = data;
                m.len = len;
            } else {
                uint64_t at = sec->offset + rg->offset;
                if (at > len || rg->size > len - at)
                    return gm_error_set(err, GM_EFORMAT, "%s: offset 0x%llx: fat binary runs "
                                        "past the end of the file", s->path,
                                        (unsigned long long)at);
                m.data = (const unsigned char *)data + at;
                m.len = (size_t)rg->size;
            }
            int rc = in->on_module(in->on_module_ctx, &m, err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static int region_module(const gm_elf_scan *s, const gm_fatbin_section *sec, size_t ri,
                         gm_module_req *m, gm_error *err) {
    const gm_fatbin_region *rg = &sec->fb.regions[ri];
    memset(m, 0, sizeof *m);
    char name[1024];
    module_name(s, sec, ri, name, sizeof name);
    if (!(m->name = gm_strdup(name)))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    size_t ncap = 0, pcap = 0;
    for (size_t e = 0; e < rg->n_entries; e++) {
        const gm_fatbin_entry *en = &rg->entries[e];
        int rc = 0;
        if (en->kind == GM_FATBIN_CUBIN)
            rc = add_target(&m->cubin, &m->n_cubin, &ncap, &en->target, err);
        else if (en->kind == GM_FATBIN_PTX) {
            rc = add_target(&m->ptx, &m->n_ptx, &pcap, &en->target, err);
            if (!m->has_ptx_isa || gm_cuda_version_cmp(&en->code_version, &m->ptx_isa) > 0) {
                m->ptx_isa = en->code_version;
                m->has_ptx_isa = true;
            }
        }
        if (rc < 0) {
            gm_module_req_free(m);
            return rc;
        }
    }
    sort_unique(m->cubin, &m->n_cubin);
    sort_unique(m->ptx, &m->n_ptx);
    bool specific = m->n_cubin + m->n_ptx > 0;
    for (size_t i = 0; i < m->n_cubin; i++)
        specific &= m->cubin[i].variant != GM_VARIANT_PLAIN;
    for (size_t i = 0; i < m->n_ptx; i++)
        specific &= m->ptx[i].variant != GM_VARIANT_PLAIN;
    m->optional = specific;
    return 0;
}

/* Union of modules [from, to) into one module named after the library. */
static int library_union(const gm_elf_scan *s, const gm_requirement *r, size_t from, size_t to,
                         const char *label, gm_module_req *u, gm_error *err) {
    memset(u, 0, sizeof *u);
    int rc = 0;
    if (!(u->name = gm_asprintf("%s (%s)", s->path, label)))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    size_t ncap = 0, pcap = 0;
    for (size_t i = from; i < to && rc == 0; i++) {
        const gm_module_req *m = &r->modules[i];
        for (size_t k = 0; k < m->n_cubin && rc == 0; k++)
            rc = add_target(&u->cubin, &u->n_cubin, &ncap, &m->cubin[k], err);
        for (size_t k = 0; k < m->n_ptx && rc == 0; k++)
            rc = add_target(&u->ptx, &u->n_ptx, &pcap, &m->ptx[k], err);
        if (m->has_ptx_isa && (!u->has_ptx_isa || gm_cuda_version_cmp(&m->ptx_isa, &u->ptx_isa) > 0)) {
            u->ptx_isa = m->ptx_isa;
            u->has_ptx_isa = true;
        }
    }
    if (rc < 0) {
        gm_module_req_free(u);
        return rc;
    }
    sort_unique(u->cubin, &u->n_cubin);
    sort_unique(u->ptx, &u->n_ptx);
    return 0;
}

/* Modules of a file's loaded regions (embedded or not). Regions that define
 * no kernel are left out: nothing launched can need them. */
static int add_regions(const gm_elf_scan *s, bool embedded, gm_requirement *out, gm_error *err) {
    for (size_t i = 0; i < s->n_sections; i++) {
        const gm_fatbin_section *sec = &s->sections[i];
        if (!sec->primary || sec->embedded != embedded)
            continue;
        for (size_t r = 0; r < sec->fb.n_regions; r++) {
            if (sec->fb.regions[r].kernel_less)
                continue;
            gm_module_req m;
            int rc = region_module(s, sec, r, &m, err);
            if (rc < 0)
                return rc;
            if (m.n_cubin + m.n_ptx == 0) { /* NVVM IR only: nothing loads it */
                gm_module_req_free(&m);
                continue;
            }
            if ((rc = gm_requirement_add_module(out, &m, err)) < 0) {
                gm_module_req_free(&m);
                return rc;
            }
        }
    }
    return 0;
}

bool gm_inspect_found_device_code(const gm_inspect *in) {
    for (size_t f = 0; f < in->n_files; f++)
        if (has_device_code(&in->files[f]))
            return true;
    return false;
}

int gm_inspect_requirement(const gm_inspect *in, gm_requirement *out, gm_error *err) {
    return gm_inspect_requirement_opts(in, false, out, err);
}

/* Runtime and modules of a set of files (idx NULL: all of them). */
static int set_requirement(const gm_inspect *in, const size_t *idx, size_t n_idx, bool compact,
                           gm_requirement *out, gm_error *err) {
    gm_requirement_init(out);
    int rc;
    size_t n_specific = 0, n_portable = 0, cap = 0, *specific = NULL;
    size_t nf = idx ? n_idx : in->n_files;
    for (size_t fi = 0; fi < nf; fi++) {
        const gm_elf_scan *s = &in->files[idx ? idx[fi] : fi];
        gm_runtime_guess g = gm_inspect_runtime(in, s);
        if (g.found && (!out->has_cuda_runtime ||
                        gm_cuda_version_cmp(&g.version, &out->cuda_runtime) > 0)) {
            out->cuda_runtime = g.version;
            out->has_cuda_runtime = true;
        }
        size_t first = out->n_modules, mid = first;
        /* Registered sections first, then fat binaries embedded in data. */
        for (int pass = 0; pass < 2; pass++) {
            if ((rc = add_regions(s, pass == 1, out, err)) < 0)
                goto fail;
            if (pass == 0)
                mid = out->n_modules;
        }
        size_t last = out->n_modules;
        if (last == first)
            continue;
        if (s->kind == GM_FILE_SHARED || mid < last) {
            /* A library dispatches over all its images; a program that loads
             * embedded fat binaries itself picks one of them. */
            bool lib = s->kind == GM_FILE_SHARED;
            size_t from = lib ? first : mid;
            gm_module_req u;
            if ((rc = library_union(s, out, from, last,
                                    lib ? "library: any of its images"
                                        : "embedded fat binaries: any of them",
                                    &u, err)) < 0)
                goto fail;
            for (size_t i = from; i < last; i++)
                out->modules[i].optional = true;
            if (compact) {
                for (size_t i = from; i < last; i++)
                    gm_module_req_free(&out->modules[i]);
                out->n_modules = from;
            }
            if ((rc = gm_requirement_add_module(out, &u, err)) < 0) {
                gm_module_req_free(&u);
                goto fail;
            }
            if (lib)
                continue;
            last = mid;
        }
        for (size_t i = first; i < last; i++) {
            if (!out->modules[i].optional) {
                n_portable++;
            } else if (gm_grow((void **)&specific, &cap, n_specific + 1, sizeof *specific) < 0) {
                rc = gm_error_set(err, GM_ENOMEM, "out of memory");
                goto fail;
            } else {
                specific[n_specific++] = i;
            }
        }
    }
    /* A program (outside libraries) made only of arch-/family-specific code
     * needs that GPU: those modules are required after all. */
    if (!n_portable)
        for (size_t i = 0; i < n_specific; i++)
            out->modules[specific[i]].optional = false;
    free(specific);
    return 0;
fail:
    free(specific);
    gm_requirement_free(out);
    return rc;
}

static int add_image_settings(const gm_inspect *in, gm_requirement *out, gm_error *err) {
    for (size_t i = 0; i < in->nvidia_require.n; i++)
        if (gm_strlist_add(&out->nvidia_require, in->nvidia_require.items[i]) < 0)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
    out->nvidia_disable_require = in->nvidia_disable_require;
    return 0;
}

int gm_inspect_requirement_flat(const gm_inspect *in, bool compact, gm_requirement *out,
                                gm_error *err) {
    int rc = set_requirement(in, NULL, 0, compact, out, err);
    if (rc == 0 && (rc = add_image_settings(in, out, err)) < 0)
        gm_requirement_free(out);
    return rc;
}

/* ---- the loader model for trees: entry points and what they link ---- */

static const char *base_name(const char *p) {
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static size_t dir_len(const char *p) { return (size_t)(base_name(p) - p); }

typedef struct {
    const char *name; /* base name or soname */
    size_t file;
} name_ix;

static int cmp_name_ix(const void *a, const void *b) {
    const name_ix *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->file > y->file) - (x->file < y->file);
}

/* The file a DT_NEEDED name resolves to in the set: same directory first
 * (RPATH $ORIGIN, the usual layout), else the first file of that name or
 * soname. ix is sorted by name. */
static long resolve(const gm_inspect *in, const name_ix *ix, size_t n_ix, size_t from,
                    const char *needed) {
    size_t lo = 0, hi = n_ix;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(ix[mid].name, needed) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const char *fp = in->files[from].path;
    long any = -1;
    for (size_t i = lo; i < n_ix && !strcmp(ix[i].name, needed); i++) {
        const char *tp = in->files[ix[i].file].path;
        if (ix[i].file == from)
            continue;
        if (dir_len(tp) == dir_len(fp) && !strncmp(tp, fp, dir_len(fp)))
            return (long)ix[i].file;
        if (any < 0)
            any = (long)ix[i].file;
    }
    return any;
}

/* "dir/libbitsandbytes_cuda118.so" -> "dir/libbitsandbytes_cuda*.so"; false
 * when the name carries no CUDA version. */
static bool alt_key(const char *path, char *key, size_t len) {
    const char *b = base_name(path), *c = strstr(b, "cuda");
    while (c && !(c[4] >= '0' && c[4] <= '9'))
        c = strstr(c + 4, "cuda");
    if (!c)
        return false;
    const char *e = c + 4;
    while (*e >= '0' && *e <= '9')
        e++;
    snprintf(key, len, "%.*scuda*%s", (int)(c - path), path, e);
    return true;
}

typedef struct {
    size_t *files; /* the entry point and its closure */
    size_t n;
    char key[1024];
    bool alt, taken;
} ep_work;

static int closure(const gm_inspect *in, size_t root, const long *dep_first, const long *deps,
                   ep_work *w, gm_error *err) {
    size_t cap = 0;
    if (gm_grow((void **)&w->files, &cap, 1, sizeof *w->files) < 0)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    w->files[w->n++] = root;
    for (size_t q = 0; q < w->n; q++)
        for (long k = dep_first[w->files[q]]; k < dep_first[w->files[q] + 1]; k++) {
            bool seen = deps[k] < 0;
            for (size_t j = 0; j < w->n && !seen; j++)
                seen = w->files[j] == (size_t)deps[k];
            if (seen)
                continue;
            if (gm_grow((void **)&w->files, &cap, w->n + 1, sizeof *w->files) < 0)
                return gm_error_set(err, GM_ENOMEM, "out of memory");
            w->files[w->n++] = (size_t)deps[k];
        }
    return 0;
}

static int variant_from(const gm_inspect *in, const ep_work *w, bool compact, gm_req_variant *v,
                        gm_error *err) {
    gm_requirement r;
    int rc = set_requirement(in, w->files, w->n, compact, &r, err);
    if (rc < 0)
        return rc;
    memset(v, 0, sizeof *v);
    v->name = gm_strdup(in->files[w->files[0]].path);
    v->cuda_runtime = r.cuda_runtime;
    v->has_cuda_runtime = r.has_cuda_runtime;
    v->modules = r.modules;
    v->n_modules = r.n_modules;
    r.modules = NULL;
    r.n_modules = 0;
    gm_requirement_free(&r);
    return v->name ? 0 : gm_error_set(err, GM_ENOMEM, "out of memory");
}

int gm_inspect_requirement_opts(const gm_inspect *in, bool compact, gm_requirement *out,
                                gm_error *err) {
    size_t n = in->n_files;
    int rc = 0;
    long *dep_first = gm_xcalloc(n + 1, sizeof *dep_first), *deps = NULL;
    bool *needed = gm_xcalloc(n ? n : 1, sizeof *needed);
    ep_work *w = gm_xcalloc(n ? n : 1, sizeof *w);
    size_t n_deps = 0, n_w = 0, n_groups = 0;
    gm_requirement_init(out);
    if (!dep_first || !needed || !w) {
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        n_deps += in->files[i].needed.n;
    if (!(deps = gm_xcalloc(n_deps ? n_deps : 1, sizeof *deps))) {
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
        goto done;
    }
    name_ix *ix = gm_xcalloc(2 * n + 1, sizeof *ix);
    size_t n_ix = 0;
    if (!ix) {
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const gm_elf_scan *t = &in->files[i];
        if (t->kind != GM_FILE_SHARED && t->kind != GM_FILE_EXEC)
            continue;
        ix[n_ix++] = (name_ix){base_name(t->path), i};
        if (t->soname && strcmp(t->soname, base_name(t->path)))
            ix[n_ix++] = (name_ix){t->soname, i};
    }
    qsort(ix, n_ix, sizeof *ix, cmp_name_ix);
    n_deps = 0;
    for (size_t i = 0; i < n; i++) {
        dep_first[i] = (long)n_deps;
        for (size_t k = 0; k < in->files[i].needed.n; k++) {
            long t = resolve(in, ix, n_ix, i, in->files[i].needed.items[k]);
            deps[n_deps++] = t;
            if (t >= 0)
                needed[t] = true;
        }
    }
    dep_first[n] = (long)n_deps;
    free(ix);
    /* Entry points: programs, libraries nothing here links (plugins, Python
     * extension modules), and device files of their own. CPU-only ones drop. */
    /* Objects, static libraries and standalone fat binaries, cubins and PTX
     * are parts of one program being built: together they are one entry point. */
    ep_work loose = {0};
    size_t loose_cap = 0;
    for (size_t i = 0; i < n; i++) {
        gm_file_kind k = in->files[i].kind;
        if (k == GM_FILE_EXEC || k == GM_FILE_SHARED || !has_device_code(&in->files[i]))
            continue;
        if (gm_grow((void **)&loose.files, &loose_cap, loose.n + 1, sizeof *loose.files) < 0) {
            free(loose.files);
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            goto done;
        }
        loose.files[loose.n++] = i;
    }
    if (loose.n)
        w[n_w++] = loose;
    for (size_t i = 0; i < n; i++) {
        const gm_elf_scan *s = &in->files[i];
        if ((s->kind == GM_FILE_SHARED && needed[i]) ||
            (s->kind != GM_FILE_SHARED && s->kind != GM_FILE_EXEC))
            continue;
        ep_work *e = &w[n_w];
        if ((rc = closure(in, i, dep_first, deps, e, err)) < 0)
            goto done;
        bool code = false;
        for (size_t k = 0; k < e->n && !code; k++)
            code = has_device_code(&in->files[e->files[k]]);
        if (!code) {
            free(e->files);
            memset(e, 0, sizeof *e);
            continue;
        }
        e->alt = s->kind == GM_FILE_SHARED && alt_key(s->path, e->key, sizeof e->key);
        n_w++;
    }
    /* Group alternatives (same key); a key met once is an ordinary entry point. */
    for (size_t i = 0; i < n_w; i++) {
        if (w[i].taken)
            continue;
        size_t same = 1;
        for (size_t k = i + 1; k < n_w; k++)
            same += w[i].alt && w[k].alt && !strcmp(w[i].key, w[k].key);
        w[i].alt = same > 1;
        for (size_t k = i + 1; w[i].alt && k < n_w; k++)
            if (w[k].alt && !strcmp(w[i].key, w[k].key))
                w[k].taken = true;
        n_groups++;
    }
    if (n_groups <= 1 && !(n_w && w[0].alt)) {
        /* One program (or none): the flat document, as for a single file. */
        rc = gm_inspect_requirement_flat(in, compact, out, err);
        goto done;
    }
    out->entry_points = gm_xcalloc(n_groups, sizeof *out->entry_points);
    if (!out->entry_points) {
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_w; i++) {
        if (w[i].taken)
            continue;
        gm_entry_point *ep = &out->entry_points[out->n_entry_points++];
        size_t nv = 1;
        for (size_t k = i + 1; w[i].alt && k < n_w; k++)
            nv += w[k].taken && w[k].alt && !strcmp(w[i].key, w[k].key);
        ep->name = gm_strdup(w[i].alt ? w[i].key : in->files[w[i].files[0]].path);
        ep->variants = gm_xcalloc(nv, sizeof *ep->variants);
        if (!ep->name || !ep->variants) {
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t k = i; k < n_w && ep->n_variants < nv; k++) {
            if (k != i && !(w[k].taken && w[k].alt && !strcmp(w[i].key, w[k].key)))
                continue;
            if ((rc = variant_from(in, &w[k], compact, &ep->variants[ep->n_variants], err)) < 0)
                goto done;
            ep->n_variants++;
        }
    }
    rc = add_image_settings(in, out, err);
done:
    for (size_t i = 0; w && i < n; i++)
        free(w[i].files);
    free(w);
    free(needed);
    free(deps);
    free(dep_first);
    if (rc < 0)
        gm_requirement_free(out);
    return rc;
}

static bool module_runs(const gm_module_req *m, const gm_cc *cc, bool *via_jit) {
    gm_rule_result rr;
    for (size_t i = 0; i < m->n_cubin; i++)
        if (gm_rule_cubin(&m->cubin[i], cc, &rr) == GM_YES) {
            *via_jit = false;
            return true;
        }
    for (size_t i = 0; i < m->n_ptx; i++)
        if (gm_rule_ptx(&m->ptx[i], NULL, cc, NULL, &rr) == GM_YES) {
            *via_jit = true;
            return true;
        }
    return false;
}

int gm_inspect_coverage(const gm_requirement *r, gm_coverage **out, size_t *n, gm_error *err) {
    size_t na;
    const gm_arch_entry *arch = gm_table_arch(&na);
    *out = NULL;
    *n = 0;
    gm_coverage *c = gm_xcalloc(na ? na : 1, sizeof *c);
    if (!c)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    for (size_t a = 0; a < na; a++) {
        gm_coverage *row = &c[a];
        row->cc = arch[a].cc;
        for (size_t i = 0; i < r->n_modules; i++) {
            const gm_module_req *m = &r->modules[i];
            bool jit = false, runs = module_runs(m, &row->cc, &jit);
            row->n_running += runs;
            if (!m->optional) {
                row->n_required++;
                row->n_required_running += runs;
                row->jit_only |= runs && jit;
            }
        }
        if (r->n_modules && row->n_running && row->n_required_running == row->n_required)
            row->cover = GM_COVER_EVERY;
        else if (row->n_running)
            row->cover = GM_COVER_SOME;
    }
    *out = c;
    *n = na;
    return 0;
}

/* ---- cuobjdump --list-elf --list-ptx ---- */

typedef struct {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0 || b->oom)
        return;
    if (gm_grow((void **)&b->p, &b->cap, b->n + (size_t)k + 1, 1) < 0) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

char *gm_inspect_cuobjdump_list(const gm_elf_scan *s, gm_error *err) {
    sbuf b = {0};
    char abs[PATH_MAX], base[PATH_MAX];
    /* cuobjdump names members by the absolute path, symlinks kept. */
    char cwd[PATH_MAX];
    if (s->path[0] == '/' || !getcwd(cwd, sizeof cwd))
        snprintf(abs, sizeof abs, "%s", s->path);
    else
        snprintf(abs, sizeof abs, "%s/%s", cwd, s->path);
    const char *slash = strrchr(s->path, '/');
    snprintf(base, sizeof base, "%s", slash ? slash + 1 : s->path);
    char *dot = strrchr(base, '.');
    if (dot && dot != base)
        *dot = '\0'; /* cuobjdump drops the last extension */
    sb_printf(&b, "%s", "");
    if (s->kind == GM_FILE_CUBIN && s->n_sections) {
        const gm_fatbin_entry *e = &s->sections[0].fb.regions[0].entries[0];
        sb_printf(&b, "ELF file    1: %s.sm_%d%s.cubin\n", base, e->sm,
                  e->target.variant == GM_VARIANT_ARCH ? "a" : "");
    }
    size_t nelf = 0, nptx = 0;
    size_t nmem = s->kind == GM_FILE_ARCHIVE ? s->members.n : 1;
    /* Sections follow the members' order (scan_archive): one pass, not members x sections. */
    size_t next = 0;
    for (size_t mi = 0; mi < nmem && s->kind != GM_FILE_CUBIN; mi++) {
        const char *member = s->kind == GM_FILE_ARCHIVE ? s->members.items[mi] : NULL;
        size_t lo = 0, hi = s->n_sections;
        if (member) {
            sb_printf(&b, "\nmember %s:%s:\n", abs, member);
            lo = hi = next;
            while (hi < s->n_sections && s->sections[hi].member &&
                   !strcmp(s->sections[hi].member, member))
                hi++;
            next = hi;
        }
        for (size_t i = lo; i < hi; i++) {
            const gm_fatbin_section *sec = &s->sections[i];
            if (!sec->primary || sec->embedded) /* cuobjdump reads the sections only */
                continue;
            for (size_t r = 0; r < sec->fb.n_regions; r++)
                for (size_t e = 0; e < sec->fb.regions[r].n_entries; e++) {
                    const gm_fatbin_entry *en = &sec->fb.regions[r].entries[e];
                    /* cuobjdump shows "a" on both kinds but "f" only on PTX. */
                    const char *suf = en->target.variant == GM_VARIANT_ARCH ? "a"
                                      : en->target.variant == GM_VARIANT_FAMILY &&
                                              en->kind == GM_FATBIN_PTX
                                          ? "f"
                                          : "";
                    /* An entry with an identifier is named after it, without
                     * the index: "k.cu" -> "k.sm_80.cubin" (cuobjdump 13). */
                    char id[64] = "", num[32] = "";
                    if (en->ident[0]) {
                        snprintf(id, sizeof id, "%s", en->ident);
                        char *d = strrchr(id, '.');
                        if (d && d != id)
                            *d = '\0';
                    }
                    if (en->kind == GM_FATBIN_CUBIN) {
                        nelf++;
                        if (!id[0])
                            snprintf(num, sizeof num, ".%zu", nelf);
                        sb_printf(&b, "ELF file %4zu: %s%s.sm_%d%s.cubin\n", nelf,
                                  id[0] ? id : base, num, en->sm, suf);
                    } else if (en->kind == GM_FATBIN_PTX) {
                        nptx++;
                        if (!id[0])
                            snprintf(num, sizeof num, ".%zu", nptx);
                        sb_printf(&b, "PTX file %4zu: %s%s.sm_%d%s.ptx\n", nptx,
                                  id[0] ? id : base, num, en->sm, suf);
                    }
                }
        }
    }
    if (b.oom) {
        free(b.p);
        gm_error_set(err, GM_ENOMEM, "out of memory");
        return NULL;
    }
    return b.p;
}
