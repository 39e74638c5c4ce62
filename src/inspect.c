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

int gm_inspect_note_name(gm_inspect *in, const char *b, gm_error *err) {
    if (!is_cudart_name(b))
        return 0;
    for (size_t i = 0; i < in->lib_names.n; i++)
        if (!strcmp(in->lib_names.items[i], b))
            return 0;
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

int gm_inspect_add_scan(gm_inspect *in, gm_elf_scan *scan, gm_error *err) {
    if (scan->kind == GM_FILE_OTHER) {
        in->n_skipped++;
        gm_elf_scan_free(scan);
        return 0;
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
    return gm_inspect_add_scan(in, &s, err);
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

static int visit(void *vctx, gm_image_file *f, gm_error *err) {
    walk_ctx *c = vctx;
    gm_inspect *in = c->in;
    const char *slash = strrchr(f->path, '/');
    int rc = gm_inspect_note_name(in, slash ? slash + 1 : f->path, err);
    if (rc < 0)
        return rc;
    char name[4096];
    snprintf(name, sizeof name, "%s:%s", c->origin, f->path);
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
        rc = gm_elfscan_memory(map ? map : "", (size_t)f->size, name, in->depth, &s, &fe);
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
    }
    walk_ctx c = {in, path};
    gm_image_info local = {0};
    gm_image_info *ii = info ? info : &local;
    int rc = gm_image_walk(path, visit, &c, ii, err);
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

gm_runtime_guess gm_inspect_runtime(const gm_inspect *in, const gm_elf_scan *s) {
    gm_runtime_guess g;
    memset(&g, 0, sizeof g);
    for (size_t i = 0; i < s->needed.n; i++) {
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
        snprintf(g.source, sizeof g.source, "DT_NEEDED %s", n);
        /* A fuller name of the same major beside it (libcudart.so.12.4.127)
         * says which minor will load; take the oldest if there are several. */
        bool better = false;
        gm_cuda_version best = {0, 0};
        for (size_t k = 0; in && k < in->lib_names.n; k++) {
            gm_cuda_version w;
            if (parse_mm(in->lib_names.items[k] + 13, &w) && w.major == v.major &&
                strchr(strchr(in->lib_names.items[k] + 13, '.') + 1, '.') &&
                (!better || gm_cuda_version_cmp(&w, &best) < 0)) {
                best = w;
                better = true;
                size_t used = strlen(g.source);
                snprintf(g.source + used, sizeof g.source - used, ", %s beside it",
                         in->lib_names.items[k]);
            }
        }
        if (better && gm_cuda_version_cmp(&best, &v) > 0)
            v = best;
        g.found = true;
        g.version = v;
        return g;
    }
    /* No shared runtime: device code in an executable or library means the
     * runtime is linked in statically (nvcc's default). */
    if (!has_device_code(s) || s->kind == GM_FILE_CUBIN || s->kind == GM_FILE_PTX ||
        s->kind == GM_FILE_FATBIN)
        return g;
    if (s->tool[0] && parse_mm(s->tool, &g.version)) {
        g.found = true;
        snprintf(g.source, sizeof g.source, "static runtime, toolkit %s (cubin/PTX notes)",
                 s->tool);
        return g;
    }
    bool f = false;
    gm_cuda_version isa = {0, 0};
    newest_isa(s, &f, &isa);
    const gm_ptx_entry *pe = f ? gm_ptx_find(&isa) : NULL;
    if (pe) {
        g.found = true;
        g.version = pe->first_cuda;
        snprintf(g.source, sizeof g.source,
                 "static runtime, at least CUDA %d.%d (first to emit PTX ISA %d.%d)",
                 pe->first_cuda.major, pe->first_cuda.minor, isa.major, isa.minor);
    }
    return g;
}

static int add_target(gm_target **arr, size_t *n, const gm_target *t, gm_error *err) {
    for (size_t i = 0; i < *n; i++)
        if (gm_target_cmp(&(*arr)[i], t) == 0)
            return 0;
    gm_target *p = realloc(*arr, (*n + 1) * sizeof *p);
    if (!p)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    p[(*n)++] = *t;
    *arr = p;
    return 0;
}

static int cmp_target(const void *a, const void *b) { return gm_target_cmp(a, b); }

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
    for (size_t e = 0; e < rg->n_entries; e++) {
        const gm_fatbin_entry *en = &rg->entries[e];
        int rc = 0;
        if (en->kind == GM_FATBIN_CUBIN)
            rc = add_target(&m->cubin, &m->n_cubin, &en->target, err);
        else if (en->kind == GM_FATBIN_PTX) {
            rc = add_target(&m->ptx, &m->n_ptx, &en->target, err);
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
    if (m->n_cubin)
        qsort(m->cubin, m->n_cubin, sizeof *m->cubin, cmp_target);
    if (m->n_ptx)
        qsort(m->ptx, m->n_ptx, sizeof *m->ptx, cmp_target);
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
                         gm_module_req *u, gm_error *err) {
    memset(u, 0, sizeof *u);
    int rc = 0;
    if (!(u->name = gm_asprintf("%s (library: any of its images)", s->path)))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    for (size_t i = from; i < to && rc == 0; i++) {
        const gm_module_req *m = &r->modules[i];
        for (size_t k = 0; k < m->n_cubin && rc == 0; k++)
            rc = add_target(&u->cubin, &u->n_cubin, &m->cubin[k], err);
        for (size_t k = 0; k < m->n_ptx && rc == 0; k++)
            rc = add_target(&u->ptx, &u->n_ptx, &m->ptx[k], err);
        if (m->has_ptx_isa && (!u->has_ptx_isa || gm_cuda_version_cmp(&m->ptx_isa, &u->ptx_isa) > 0)) {
            u->ptx_isa = m->ptx_isa;
            u->has_ptx_isa = true;
        }
    }
    if (rc < 0) {
        gm_module_req_free(u);
        return rc;
    }
    if (u->n_cubin)
        qsort(u->cubin, u->n_cubin, sizeof *u->cubin, cmp_target);
    if (u->n_ptx)
        qsort(u->ptx, u->n_ptx, sizeof *u->ptx, cmp_target);
    return 0;
}

int gm_inspect_requirement(const gm_inspect *in, gm_requirement *out, gm_error *err) {
    return gm_inspect_requirement_opts(in, false, out, err);
}

int gm_inspect_requirement_opts(const gm_inspect *in, bool compact, gm_requirement *out,
                                gm_error *err) {
    gm_requirement_init(out);
    int rc;
    size_t n_specific = 0, n_portable = 0, cap = 0, *specific = NULL;
    for (size_t f = 0; f < in->n_files; f++) {
        const gm_elf_scan *s = &in->files[f];
        gm_runtime_guess g = gm_inspect_runtime(in, s);
        if (g.found && (!out->has_cuda_runtime ||
                        gm_cuda_version_cmp(&g.version, &out->cuda_runtime) > 0)) {
            out->cuda_runtime = g.version;
            out->has_cuda_runtime = true;
        }
        size_t first = out->n_modules;
        for (size_t i = 0; i < s->n_sections; i++) {
            const gm_fatbin_section *sec = &s->sections[i];
            if (!sec->primary)
                continue;
            for (size_t r = 0; r < sec->fb.n_regions; r++) {
                gm_module_req m;
                if ((rc = region_module(s, sec, r, &m, err)) < 0)
                    goto fail;
                if (m.n_cubin + m.n_ptx == 0) { /* NVVM IR only: nothing loads it */
                    gm_module_req_free(&m);
                    continue;
                }
                if ((rc = gm_requirement_add_module(out, &m, err)) < 0) {
                    gm_module_req_free(&m);
                    goto fail;
                }
            }
        }
        size_t last = out->n_modules;
        if (last == first)
            continue;
        if (s->kind == GM_FILE_SHARED) {
            gm_module_req u;
            if ((rc = library_union(s, out, first, last, &u, err)) < 0)
                goto fail;
            for (size_t i = first; i < last; i++)
                out->modules[i].optional = true;
            if (compact) {
                for (size_t i = first; i < last; i++)
                    gm_module_req_free(&out->modules[i]);
                out->n_modules = first;
            }
            if ((rc = gm_requirement_add_module(out, &u, err)) < 0) {
                gm_module_req_free(&u);
                goto fail;
            }
            continue;
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
    specific = NULL;
    for (size_t i = 0; i < in->nvidia_require.n; i++)
        if (gm_strlist_add(&out->nvidia_require, in->nvidia_require.items[i]) < 0) {
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            goto fail;
        }
    out->nvidia_disable_require = in->nvidia_disable_require;
    return 0;
fail:
    free(specific);
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
    for (size_t mi = 0; mi < nmem && s->kind != GM_FILE_CUBIN; mi++) {
        const char *member = s->kind == GM_FILE_ARCHIVE ? s->members.items[mi] : NULL;
        if (member)
            sb_printf(&b, "\nmember %s:%s:\n", abs, member);
        for (size_t i = 0; i < s->n_sections; i++) {
            const gm_fatbin_section *sec = &s->sections[i];
            if (!sec->primary)
                continue;
            if (member && (!sec->member || strcmp(sec->member, member)))
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
                    if (en->kind == GM_FATBIN_CUBIN) {
                        nelf++;
                        sb_printf(&b, "ELF file %4zu: %s.%zu.sm_%d%s.cubin\n", nelf, base, nelf,
                                  en->sm, suf);
                    } else if (en->kind == GM_FATBIN_PTX) {
                        nptx++;
                        sb_printf(&b, "PTX file %4zu: %s.%zu.sm_%d%s.ptx\n", nptx, base, nptx,
                                  en->sm, suf);
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
