/* Driver file discovery, following libnvidia-container's approach: driver
 * libraries by name through ld.so.cache, keeping only files whose name ends
 * in the running driver's version; fixed binary names on the default PATH;
 * device nodes, GSP firmware and IPC sockets at their fixed places. All
 * lookups resolve symlinks component by component inside the root, so an
 * absolute link in a fake (or mounted) tree never escapes it. */
#include "gpumatch/driverfiles.h"
#include "gpumatch/sys/driverfiles.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "gpumatch/sys/ldcache.h"
#include "host/host.h"
#include "internal.h"

/* libnvidia-container's library lists (nvc_info.c), by capability. */
static const char *const utility_libs[] = {"libnvidia-ml", "libnvidia-cfg", "libnvidia-nscq", NULL};
static const char *const compute_libs[] = {
    "libcuda",          "libcudadebugger",         "libnvidia-opencl",
    "libnvidia-gpucomp", "libnvidia-ptxjitcompiler", "libnvidia-fatbinaryloader",
    "libnvidia-allocator", "libnvidia-compiler",   "libnvidia-pkcs11",
    "libnvidia-pkcs11-openssl3", "libnvidia-nvvm", NULL};
static const char *const video_libs[] = {"libvdpau_nvidia", "libnvidia-encode",
                                         "libnvidia-opticalflow", "libnvcuvid", NULL};
static const char *const graphics_libs[] = {
    "libnvidia-eglcore", "libnvidia-glcore", "libnvidia-tls", "libnvidia-glsi",
    "libnvidia-fbc",     "libnvidia-ifr",    "libnvidia-rtcore", "libnvoptix",
    "libGLX_nvidia",     "libEGL_nvidia",    "libGLESv2_nvidia", "libGLESv1_CM_nvidia",
    "libnvidia-glvkspirv", NULL};
static const char *const utility_bins[] = {"nvidia-smi", "nvidia-debugdump", "nvidia-persistenced",
                                           NULL};
static const char *const compute_bins[] = {"nvidia-cuda-mps-control", "nvidia-cuda-mps-server", NULL};
/* libnvidia-container's default PATH for binaries. */
static const char *const bin_dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                       "/usr/bin",        "/sbin",           "/bin", NULL};
/* Control nodes every GPU container gets (when present). */
static const char *const control_nodes[] = {"/dev/nvidiactl", "/dev/nvidia-uvm",
                                            "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset", NULL};

static const struct {
    unsigned cap;
    const char *name;
} cap_names[] = {{GM_CAP_COMPUTE, "compute"},
                 {GM_CAP_UTILITY, "utility"},
                 {GM_CAP_VIDEO, "video"},
                 {GM_CAP_GRAPHICS, "graphics"}};

const char *gm_driver_cap_name(unsigned one_cap) {
    for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
        if (cap_names[i].cap == one_cap)
            return cap_names[i].name;
    return "all";
}

const char *gm_df_kind_name(gm_df_kind k) {
    switch (k) {
    case GM_DF_LIBRARY: return "library";
    case GM_DF_BINARY: return "binary";
    case GM_DF_DEVICE: return "device";
    case GM_DF_FIRMWARE: return "firmware";
    case GM_DF_IPC: return "ipc";
    }
    return "unknown";
}

int gm_driver_caps_parse(const char *s, unsigned *out, gm_error *err) {
    *out = 0;
    if (!s || !*s)
        return gm_error_set(err, GM_EINVAL, "capabilities: empty list");
    const char *p = s;
    while (*p) {
        size_t n = strcspn(p, ",");
        bool found = false;
        if (n == 3 && strncmp(p, "all", 3) == 0) {
            *out |= GM_CAP_ALL;
            found = true;
        }
        for (size_t i = 0; !found && i < sizeof cap_names / sizeof cap_names[0]; i++) {
            if (strlen(cap_names[i].name) == n && strncmp(p, cap_names[i].name, n) == 0) {
                *out |= cap_names[i].cap;
                found = true;
            }
        }
        if (!found) {
            char q[64];
            char *word = gm_strndup(p, n);
            int rc = gm_error_set(err, GM_EINVAL,
                                  "capabilities: unknown capability \"%s\" (known: compute, "
                                  "utility, video, graphics, all)",
                                  gm_quote(word ? word : "", q));
            free(word);
            return rc;
        }
        p += n;
        if (*p == ',') {
            p++;
            if (!*p)
                return gm_error_set(err, GM_EINVAL, "capabilities: trailing comma in \"%s\"",
                                    s);
        }
    }
    return 0;
}

char *gm_driver_caps_str(unsigned caps) {
    char buf[64] = "";
    for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++) {
        if (caps & cap_names[i].cap) {
            if (*buf)
                strcat(buf, ",");
            strcat(buf, cap_names[i].name);
        }
    }
    return gm_strdup(buf);
}

/* "535.104.05" or "570.26": digits and dots only, so it is safe in paths. */
static bool version_shaped(const char *s, size_t n) {
    int dots = 0;
    if (n == 0 || n > 31 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return false;
            dots++;
        } else if (!isdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return dots >= 1 && dots <= 2;
}

int gm_driver_version_from_proc(const char *text, char *buf, size_t len, const char *origin,
                                gm_error *err) {
    int rc = gm_host_parse_nvrm(text, strlen(text), NULL, buf, len, err);
    if (rc < 0)
        gm_error_prefix(err, "%s: ", origin);
    return rc;
}

/* ---- path resolution inside root ---- */

/* The host path of `path` inside root (gm_host_resolve), or NULL if a
 * component is missing or the link chain is too long. */
static char *resolve_in_root(const char *root, const char *path) {
    char *out = NULL;
    if (gm_host_resolve(root, path, &out) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* ---- result building ---- */

static int add_file(gm_driver_files *f, gm_df_kind kind, unsigned cap, const char *path,
                    const char *soname, const char *link, gm_error *err) {
    if (gm_grow((void **)&f->files, &f->cap, f->n + 1, sizeof *f->files))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    gm_driver_file *d = &f->files[f->n];
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->cap = cap;
    d->major = d->minor = -1;
    d->gpu_index = -1;
    d->path = gm_strdup(path);
    d->soname = gm_strdup(soname);
    d->link = gm_strdup(link);
    f->n++;
    if (!d->path || (soname && !d->soname) || (link && !d->link))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    return 0;
}

static int add_stale(gm_driver_files *f, const char *path, const char *soname, const char *version,
                     const char *reason, gm_error *err) {
    for (size_t i = 0; i < f->n_stale; i++)
        if (strcmp(f->stale[i].path, path) == 0)
            return 0;
    if (gm_grow((void **)&f->stale, &f->cap_stale, f->n_stale + 1, sizeof *f->stale))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    gm_stale_file *s = &f->stale[f->n_stale++];
    s->path = gm_strdup(path);
    s->soname = gm_strdup(soname);
    s->version = gm_strdup(version);
    s->reason = gm_strdup(reason);
    if (!s->path || !s->soname || !s->reason || (version && !s->version))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    return 0;
}

/* NAME is BASE.so or BASE.so.SOMETHING. */
static bool lib_name_matches(const char *name, const char *base) {
    size_t n = strlen(base);
    if (strncmp(name, base, n) != 0 || strncmp(name + n, ".so", 3) != 0)
        return false;
    return name[n + 3] == 0 || name[n + 3] == '.';
}

static int find_libs(gm_driver_files *f, const gm_ldcache *lc, const char *root,
                     const char *const *bases, unsigned cap, gm_error *err) {
    for (const char *const *b = bases; *b; b++) {
        bool seen = false;
        for (size_t i = 0; i < lc->n; i++) {
            const gm_ldcache_entry *e = &lc->entries[i];
            if (!gm_ldcache_entry_is_native(e) || !lib_name_matches(e->name, *b) ||
                e->path[0] != '/')
                continue;
            seen = true;
            char *real = resolve_in_root(root, e->path);
            if (!real) {
                int rc = gm_strlist_addf(&f->warnings,
                                         "%s: ld.so.cache entry %s does not resolve under %s",
                                         e->name, e->path, root);
                if (rc)
                    return gm_error_set(err, GM_ENOMEM, "out of memory");
                continue;
            }
            const char *base = strrchr(real, '/') + 1;
            const char *so = strstr(base, ".so.");
            const char *ver = so ? so + 4 : NULL;
            int rc = 0;
            if (ver && strcmp(ver, f->driver_version) == 0) {
                bool dup = false;
                for (size_t k = 0; k < f->n; k++) {
                    gm_driver_file *d = &f->files[k];
                    if (d->kind == GM_DF_LIBRARY && strcmp(d->path, real) == 0) {
                        dup = true;
                        /* Prefer the SONAME entry over the libX.so development link. */
                        if (strcmp(d->soname + strlen(d->soname) - 3, ".so") == 0 &&
                            strcmp(e->name + strlen(e->name) - 3, ".so") != 0) {
                            free(d->soname);
                            free(d->link);
                            d->soname = gm_strdup(e->name);
                            d->link = gm_strdup(e->path);
                            if (!d->soname || !d->link)
                                rc = gm_error_set(err, GM_ENOMEM, "out of memory");
                        }
                    }
                }
                if (!dup)
                    rc = add_file(f, GM_DF_LIBRARY, cap, real, e->name, e->path, err);
            } else {
                bool versioned = ver && version_shaped(ver, strlen(ver));
                char *why = versioned ? gm_asprintf("version %s is not the running driver's %s",
                                                    ver, f->driver_version)
                                      : gm_asprintf("file name carries no driver version "
                                                    "(running driver %s)",
                                                    f->driver_version);
                rc = why ? add_stale(f, real, e->name, versioned ? ver : NULL, why, err)
                         : gm_error_set(err, GM_ENOMEM, "out of memory");
                free(why);
            }
            free(real);
            if (rc)
                return rc;
        }
        /* The two libraries nothing works without. */
        if (!seen && (strcmp(*b, "libcuda") == 0 || strcmp(*b, "libnvidia-ml") == 0) &&
            gm_strlist_addf(&f->missing, "%s.so (%s): not in ld.so.cache %s", *b,
                            gm_driver_cap_name(cap), f->ldcache_path))
            return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    return 0;
}

static int find_bins(gm_driver_files *f, const char *root, const char *const *names, unsigned cap,
                     gm_error *err) {
    for (const char *const *b = names; *b; b++) {
        for (const char *const *d = bin_dirs; *d; d++) {
            char *p = gm_asprintf("%s/%s", *d, *b);
            char *real = p ? resolve_in_root(root, p) : NULL;
            bool ok = real && gm_host_is_executable(root, real);
            int rc = ok ? add_file(f, GM_DF_BINARY, cap, real, NULL, p, err) : 0;
            free(real);
            free(p);
            if (rc)
                return rc;
            if (ok)
                break;
        }
    }
    return 0;
}

/* One node: char device, regular-file stand-in, or skipped with a warning. */
static int add_node(gm_driver_files *f, const char *root, const char *path, int gpu, gm_error *err) {
    struct stat st;
    int rc = 0;
    if (gm_host_stat(root, path, false, &st) != 0)
        return errno == ENOMEM ? gm_error_set(err, GM_ENOMEM, "out of memory") : 1; /* absent */
    if (S_ISCHR(st.st_mode) || S_ISREG(st.st_mode)) {
        rc = add_file(f, GM_DF_DEVICE, 0, path, NULL, NULL, err);
        if (rc == 0) {
            gm_driver_file *d = &f->files[f->n - 1];
            d->gpu_index = gpu;
            d->is_char_device = S_ISCHR(st.st_mode);
            if (d->is_char_device) {
                d->major = (long)major(st.st_rdev);
                d->minor = (long)minor(st.st_rdev);
            }
        }
    } else if (gm_strlist_addf(&f->warnings, "%s: neither a character device nor a file; skipped",
                               path)) {
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    return rc;
}

/* Sorted names in ROOT/dir accepted by keep(); none when dir is missing. */
static int list_dir(const char *root, const char *dir, bool (*keep)(const char *), gm_strlist *out,
                    gm_error *err) {
    gm_strlist all = {0};
    gm_error le = {0};
    int rc = gm_host_list(root, dir, &all, &le);
    if (rc == GM_ENOMEM)
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
    else
        rc = 0;
    for (size_t i = 0; rc == 0 && i < all.n; i++)
        if (keep(all.items[i]) && gm_strlist_add(out, all.items[i]))
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
    gm_strlist_free(&all);
    return rc;
}

static bool is_gpu_node(const char *n) {
    if (strncmp(n, "nvidia", 6) != 0 || !n[6] || strlen(n) > 12)
        return false;
    for (const char *p = n + 6; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return true;
}
static bool is_cap_node(const char *n) { return strncmp(n, "nvidia-cap", 10) == 0; }
static bool is_gsp(const char *n) {
    size_t l = strlen(n);
    return strncmp(n, "gsp", 3) == 0 && l > 4 && strcmp(n + l - 4, ".bin") == 0;
}

static int cmp_gpu(const void *a, const void *b) {
    long x = atol(*(char *const *)a + 6), y = atol(*(char *const *)b + 6);
    return (x > y) - (x < y);
}

static int find_nodes(gm_driver_files *f, const char *root, gm_error *err) {
    int rc;
    for (const char *const *n = control_nodes; *n; n++) {
        rc = add_node(f, root, *n, -1, err);
        if (rc < 0)
            return rc;
        if (rc > 0 && (strcmp(*n, "/dev/nvidiactl") == 0 || strcmp(*n, "/dev/nvidia-uvm") == 0) &&
            gm_strlist_addf(&f->missing, "%s: no such device node", *n))
            return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    gm_strlist gpus = {0}, caps = {0};
    rc = list_dir(root, "/dev", is_gpu_node, &gpus, err);
    if (rc == 0 && gpus.n > 1)
        qsort(gpus.items, gpus.n, sizeof *gpus.items, cmp_gpu);
    for (size_t i = 0; rc == 0 && i < gpus.n; i++) {
        char *p = gm_asprintf("/dev/%s", gpus.items[i]);
        rc = p ? add_node(f, root, p, atoi(gpus.items[i] + 6), err)
               : gm_error_set(err, GM_ENOMEM, "out of memory");
        free(p);
        if (rc > 0)
            rc = 0;
    }
    if (rc == 0)
        rc = list_dir(root, "/dev/nvidia-caps", is_cap_node, &caps, err);
    for (size_t i = 0; rc == 0 && i < caps.n; i++) {
        char *p = gm_asprintf("/dev/nvidia-caps/%s", caps.items[i]);
        rc = p ? add_node(f, root, p, -1, err) : gm_error_set(err, GM_ENOMEM, "out of memory");
        free(p);
        if (rc > 0)
            rc = 0;
    }
    gm_strlist_free(&gpus);
    gm_strlist_free(&caps);
    return rc;
}

static int find_firmware(gm_driver_files *f, const char *root, gm_error *err) {
    char *dir = gm_asprintf("/lib/firmware/nvidia/%s", f->driver_version);
    gm_strlist names = {0};
    if (!dir)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    int rc = list_dir(root, dir, is_gsp, &names, err);
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        char *p = gm_asprintf("%s/%s", dir, names.items[i]);
        char *real = p ? resolve_in_root(root, p) : NULL;
        if (real)
            rc = add_file(f, GM_DF_FIRMWARE, 0, real, NULL, p, err);
        free(real);
        free(p);
    }
    gm_strlist_free(&names);
    free(dir);
    return rc;
}

static int find_ipc(gm_driver_files *f, const char *root, unsigned caps, gm_error *err) {
    static const struct {
        const char *path;
        unsigned cap;
        bool dir;
    } ipcs[] = {{"/run/nvidia-persistenced/socket", 0, false}, {"/tmp/nvidia-mps", GM_CAP_COMPUTE, true}};
    for (size_t i = 0; i < sizeof ipcs / sizeof ipcs[0]; i++) {
        if (ipcs[i].cap && !(caps & ipcs[i].cap))
            continue;
        struct stat st;
        bool ok = gm_host_stat(root, ipcs[i].path, false, &st) == 0 &&
                  (ipcs[i].dir ? S_ISDIR(st.st_mode) : S_ISSOCK(st.st_mode));
        if (ok) {
            int rc = add_file(f, GM_DF_IPC, ipcs[i].cap, ipcs[i].path, NULL, NULL, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

void gm_driver_files_free(gm_driver_files *f) {
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->files[i].path);
        free(f->files[i].soname);
        free(f->files[i].link);
    }
    for (size_t i = 0; i < f->n_stale; i++) {
        free(f->stale[i].path);
        free(f->stale[i].soname);
        free(f->stale[i].version);
        free(f->stale[i].reason);
    }
    free(f->files);
    free(f->stale);
    free(f->root);
    free(f->driver_root);
    free(f->driver_version);
    free(f->driver_source);
    free(f->ldcache_path);
    gm_strlist_free(&f->missing);
    gm_strlist_free(&f->warnings);
    memset(f, 0, sizeof *f);
}

static int read_proc_version(const char *root, char *buf, size_t len, gm_error *err) {
    int rc = gm_host_driver_version(root, NULL, buf, len, err);
    if (rc == GM_EABSENT) {
        char *path = gm_host_path(root, "/proc/driver/nvidia/version");
        rc = gm_error_set(err, GM_ENODRIVER, "%s: not found (is the NVIDIA driver loaded?)",
                          path ? path : "/proc/driver/nvidia/version");
        free(path);
    }
    return rc;
}

int gm_driver_files_find(const gm_driver_files_opts *o, gm_driver_files *f, gm_error *err) {
    memset(f, 0, sizeof *f);
    const char *root = o && o->root && *o->root ? o->root : "/";
    /* The driver's user-space files: from a driver container when given. */
    const char *droot = gm_host_root_for(root, o ? o->driver_root : NULL, GM_HOST_DRIVER_SIDE);
    unsigned caps = o && o->caps ? o->caps : GM_CAP_DEFAULT;
    char proc_ver[32] = "";
    gm_error perr = {0};
    int rc;
    f->root = gm_strdup(root);
    f->driver_root = droot != root ? gm_strdup(droot) : NULL;
    if (!f->root || (droot != root && !f->driver_root)) {
        gm_driver_files_free(f);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    bool have_proc = read_proc_version(root, proc_ver, sizeof proc_ver, &perr) == 0;
    if (o && o->driver_version) {
        if (!version_shaped(o->driver_version, strlen(o->driver_version))) {
            char q[64];
            rc = gm_error_set(err, GM_EINVAL, "driver version \"%s\" is not like 535.104.05",
                              gm_quote(o->driver_version, q));
            goto out;
        }
        f->driver_version = gm_strdup(o->driver_version);
        f->driver_source = gm_strdup("given");
        if (have_proc && strcmp(proc_ver, o->driver_version) != 0 &&
            gm_strlist_addf(&f->warnings,
                            "kernel module is %s but the given driver version is %s (NVML "
                            "reports \"driver/library version mismatch\")",
                            proc_ver, o->driver_version)) {
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            goto out;
        }
    } else if (have_proc) {
        f->driver_version = gm_strdup(proc_ver);
        f->driver_source = gm_strdup("/proc/driver/nvidia/version");
    } else {
        if (err)
            *err = perr;
        rc = perr.code;
        goto out;
    }
    if (!f->driver_version || !f->driver_source) {
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
        goto out;
    }

    gm_ldcache lc = {0};
    f->ldcache_path = gm_strdup(o && o->ldcache ? o->ldcache : "/etc/ld.so.cache");
    char *cache_full = f->ldcache_path ? gm_host_path(droot, f->ldcache_path) : NULL;
    if (!cache_full) {
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
        goto out;
    }
    struct stat cst;
    /* The same file gm_ldcache_load opens (root joined, not resolved in it). */
    if (gm_host_stat(NULL, cache_full, true, &cst) != 0) {
        rc = gm_error_set(err, GM_EABSENT, "%s: no ld.so.cache (run ldconfig)", cache_full);
        free(cache_full);
        goto out;
    }
    rc = gm_ldcache_load(cache_full, &lc, err);
    free(cache_full);
    if (rc)
        goto out;
    f->ldcache_format = gm_ldcache_format_name(lc.format);
    static const struct {
        unsigned cap;
        const char *const *libs;
        const char *const *bins;
    } groups[] = {{GM_CAP_UTILITY, utility_libs, utility_bins},
                  {GM_CAP_COMPUTE, compute_libs, compute_bins},
                  {GM_CAP_VIDEO, video_libs, NULL},
                  {GM_CAP_GRAPHICS, graphics_libs, NULL}};
    for (size_t g = 0; rc == 0 && g < sizeof groups / sizeof groups[0]; g++) {
        if (!(caps & groups[g].cap))
            continue;
        rc = find_libs(f, &lc, droot, groups[g].libs, groups[g].cap, err);
        if (rc == 0 && groups[g].bins)
            rc = find_bins(f, droot, groups[g].bins, groups[g].cap, err);
    }
    gm_ldcache_free(&lc);
    if (rc == 0)
        rc = find_nodes(f, root, err);
    if (rc == 0)
        rc = find_firmware(f, droot, err);
    if (rc == 0)
        rc = find_ipc(f, root, caps, err);
out:
    if (rc)
        gm_driver_files_free(f);
    return rc;
}

char *gm_driver_file_host_path(const gm_driver_files *f, const gm_driver_file *d) {
    bool kernel = d->kind == GM_DF_DEVICE || d->kind == GM_DF_IPC;
    return gm_host_path(gm_host_root_for(f->root, f->driver_root,
                                         kernel ? GM_HOST_KERNEL_SIDE : GM_HOST_DRIVER_SIDE),
                        d->path);
}

char *gm_driver_files_to_json(const gm_driver_files *f, gm_error *err) {
    /* JSON carries UTF-8 only: a path it cannot carry is an error, not a file
     * left out of the list (issue 13) */
    if (gm_utf8_check(f->root, "root", err) < 0 || gm_utf8_check(f->driver_root, "driver root", err) < 0 ||
        gm_utf8_check(f->ldcache_path, "ld.so.cache path", err) < 0)
        return NULL;
    for (size_t i = 0; i < f->n; i++)
        if (gm_utf8_check(f->files[i].path, "path", err) < 0 ||
            gm_utf8_check(f->files[i].soname, "soname", err) < 0 ||
            gm_utf8_check(f->files[i].link, "link", err) < 0)
            return NULL;
    for (size_t i = 0; i < f->n_stale; i++)
        if (gm_utf8_check(f->stale[i].path, "path", err) < 0 ||
            gm_utf8_check(f->stale[i].soname, "soname", err) < 0)
            return NULL;
    for (size_t i = 0; i < f->missing.n; i++)
        if (gm_utf8_check(f->missing.items[i], "missing file", err) < 0)
            return NULL;
    for (size_t i = 0; i < f->warnings.n; i++)
        if (gm_utf8_check(f->warnings.items[i], "warning", err) < 0)
            return NULL;
    json_t *doc = json_object(), *files = json_array(), *stale = json_array(),
           *missing = gm_json_strlist(&f->missing), *warnings = gm_json_strlist(&f->warnings);
    if (!doc || !files || !stale || !missing || !warnings) {
        json_decref(doc), json_decref(files), json_decref(stale), json_decref(missing),
            json_decref(warnings);
        gm_error_set(err, GM_ENOMEM, "out of memory");
        return NULL;
    }
    json_object_set_new(doc, "schema_version", json_integer(GM_SCHEMA_VERSION));
    json_object_set_new(doc, "root", json_string(f->root));
    if (f->driver_root)
        json_object_set_new(doc, "driver_root", json_string(f->driver_root));
    json_object_set_new(doc, "driver_version", json_string(f->driver_version));
    json_object_set_new(doc, "driver_version_source", json_string(f->driver_source));
    json_object_set_new(doc, "ldcache", json_pack("{s:s, s:s}", "path", f->ldcache_path, "format",
                                                  f->ldcache_format ? f->ldcache_format : "unknown"));
    for (size_t i = 0; i < f->n; i++) {
        const gm_driver_file *d = &f->files[i];
        json_t *o = json_pack("{s:s, s:s, s:s}", "kind", gm_df_kind_name(d->kind), "capability",
                              gm_driver_cap_name(d->cap), "path", d->path);
        if (!o)
            continue;
        if (d->soname)
            json_object_set_new(o, "soname", json_string(d->soname));
        if (d->link && strcmp(d->link, d->path) != 0)
            json_object_set_new(o, "link", json_string(d->link));
        if (d->kind == GM_DF_DEVICE) {
            json_object_set_new(o, "char_device", json_boolean(d->is_char_device));
            if (d->is_char_device) {
                json_object_set_new(o, "major", json_integer(d->major));
                json_object_set_new(o, "minor", json_integer(d->minor));
            }
            if (d->gpu_index >= 0)
                json_object_set_new(o, "gpu_index", json_integer(d->gpu_index));
        }
        json_array_append_new(files, o);
    }
    for (size_t i = 0; i < f->n_stale; i++) {
        const gm_stale_file *s = &f->stale[i];
        json_t *o = json_pack("{s:s, s:s, s:s?, s:s}", "path", s->path, "soname", s->soname,
                              "version", s->version, "reason", s->reason);
        if (o)
            json_array_append_new(stale, o);
    }
    json_object_set_new(doc, "files", files);
    json_object_set_new(doc, "stale", stale);
    json_object_set_new(doc, "missing", missing);
    json_object_set_new(doc, "warnings", warnings);
    char *s = gm_json_dump(doc, err);
    json_decref(doc);
    return s;
}
