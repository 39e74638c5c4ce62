/* Checks 1 and 3: kernel module vs user-space driver, and the driver libraries
 * the dynamic loader (and the container runtimes, which read ld.so.cache) find. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host/host.h"
#include "internal.h"
#include "preflight/pf.h"

#define FIX_RELOAD                                                                        \
    "the kernel module and the user-space driver come from different installs: reboot " \
    "(or unload and reload the nvidia modules) after a driver upgrade; if it persists, "   \
    "reinstall the driver so both parts have the same version"

int pf_check_driver(pf_ctx *c) {
    char *path = gm_host_path(c->root, "/proc/driver/nvidia/version");
    if (!path)
        return GM_ENOMEM;
    char *text = NULL;
    size_t len = 0;
    gm_error e = {0};
    int rc = 0;
    int rrc = gm_host_read(c->root, "/proc/driver/nvidia/version", GM_HOST_PROC_MAX, &text, &len,
                           &e);
    if (rrc != 0 && rrc != GM_EABSENT) {
        /* There but unreadable (a FIFO, oversized, EIO): not "no module loaded". */
        rc = pf_add(c, "driver.kernel-module", GM_PF_FAIL, "/proc/driver/nvidia/version",
                    "check the driver installation (the file is written by the nvidia "
                    "kernel module)",
                    "%s", e.msg);
    } else if (rrc != 0) {
        rc = pf_add(c, "driver.kernel-module", GM_PF_FAIL, "/proc/driver/nvidia/version",
                    "load the NVIDIA kernel module (modprobe nvidia, or nvidia-modprobe), "
                    "or install the driver",
                    "no NVIDIA kernel module loaded: %s", e.msg);
    } else {
        char ver[GM_VERSION_STR_MAX];
        gm_error pe = {0};
        if (gm_pf_parse_nvrm(text, len, ver, sizeof ver, &pe) != 0 ||
            gm_driver_version_parse(ver, &c->kmod, &pe) != 0) {
            rc = pf_add(c, "driver.kernel-module", GM_PF_FAIL, "/proc/driver/nvidia/version",
                        "check the driver installation (the file is written by the nvidia "
                        "kernel module)",
                        "%s: %s", path, pe.msg);
        } else {
            c->have_kmod = true;
            rc = pf_add(c, "driver.kernel-module", GM_PF_OK, "/proc/driver/nvidia/version",
                        NULL, "NVIDIA kernel module %s%s loaded", ver,
                        strstr(text, "Open Kernel Module") ? " (open)" : "");
        }
    }
    free(text);
    free(path);
    if (rc)
        return rc;

    if (c->have_kmod) {
        c->running = c->kmod;
        c->have_running = true;
    } else if (c->node && gm_driver_version_is_set(&c->node->driver)) {
        c->running = c->node->driver;
        c->have_running = true;
    }
    if (c->have_running)
        gm_driver_version_str(&c->running, c->running_str);
    return 0;
}

/* The 64-bit cache entries named `soname`, resolved to their files. */
typedef struct {
    char resolved[4096];
    bool exists;
    bool versioned;
    gm_driver_version ver;
    const gm_ldcache_entry *e;
} pf_lib;

static size_t find_libs(pf_ctx *c, const char *soname, const char *stem, pf_lib *libs,
                        size_t max) {
    size_t n = 0;
    for (size_t i = 0; c->have_ldcache && i < c->cache.n && n < max; i++) {
        const gm_ldcache_entry *e = &c->cache.entries[i];
        if (!e->name || !e->path || strcmp(e->name, soname) || !gm_ldcache_entry_is_64bit(e))
            continue;
        pf_lib *l = &libs[n];
        memset(l, 0, sizeof *l);
        l->e = e;
        l->exists = pf_resolve(c, e->path, l->resolved, sizeof l->resolved) == 0;
        l->versioned = l->exists && pf_lib_version(pf_base(l->resolved), stem, &l->ver);
        /* ldconfig can list one file twice (two configured dirs, one a symlink). */
        bool dup = false;
        for (size_t j = 0; j < n; j++)
            dup |= l->exists && !strcmp(libs[j].resolved, l->resolved);
        if (!dup)
            n++;
    }
    return n;
}

static bool is_compat_path(const char *p) {
    return strstr(p, "/compat/") != NULL;
}

/* Check 1, user-space half: NVML (libnvidia-ml) reports "driver/library version
 * mismatch" when its version differs from the kernel module's. */
static int check_mismatch(pf_ctx *c) {
    const char *id = "driver.version-mismatch";
    if (!c->have_kmod)
        return pf_add(c, id, GM_PF_SKIP, NULL, NULL,
                      "kernel module version unknown (see driver.kernel-module)");
    char kv[GM_VERSION_STR_MAX], ev[1024] = "", buf[GM_VERSION_STR_MAX];
    gm_driver_version_str(&c->kmod, kv);
    bool bad = false, any = false;
    size_t off = 0;
    pf_lib libs[4];
    /* libcuda.so.1 is judged by libs.libcuda (one FAIL per cause). */
    const char *sonames[1][2] = {{"libnvidia-ml.so.1", "libnvidia-ml.so."}};
    for (int k = 0; k < 1; k++) {
        size_t n = find_libs(c, sonames[k][0], sonames[k][1], libs, 4);
        /* The first entry is what the loader picks. */
        if (n == 0 || !libs[0].versioned)
            continue;
        any = true;
        bool eq = gm_driver_version_cmp(&libs[0].ver, &c->kmod) == 0;
        bad |= !eq;
        off += (size_t)snprintf(ev + off, sizeof ev - off, "%s%s -> %s (%s)",
                                off ? ", " : "", sonames[k][0], libs[0].resolved,
                                gm_driver_version_str(&libs[0].ver, buf));
        if (off >= sizeof ev)
            off = sizeof ev - 1;
    }
    if (c->node && gm_driver_version_is_set(&c->node->driver)) {
        any = true;
        bad |= gm_driver_version_cmp(&c->node->driver, &c->kmod) != 0;
        off += (size_t)snprintf(ev + off, sizeof ev - off, "%snode document driver %s",
                                off ? ", " : "", gm_driver_version_str(&c->node->driver, buf));
        if (off >= sizeof ev)
            off = sizeof ev - 1;
    }
    if (!any)
        return pf_add(c, id, GM_PF_SKIP, NULL, NULL,
                      "no user-space driver version found (no versioned libnvidia-ml.so.1 in "
                      "ld.so.cache, no node document)");
    if (bad)
        return pf_add(c, id, GM_PF_FAIL, NULL, FIX_RELOAD,
                      "kernel module %s but %s: NVML fails with \"driver/library version "
                      "mismatch\"",
                      kv, ev);
    return pf_add(c, id, GM_PF_OK, NULL, NULL, "kernel module %s = %s", kv, ev);
}

/* Other versions of a driver library lying beside the current one: left over
 * from an upgrade; globbing CDI generators and bind mounts may pick them. */
static int check_stale(pf_ctx *c, const char *stem, pf_lib *libs, size_t n) {
    char dirs[4][4096];
    size_t nd = 0;
    for (size_t i = 0; i < n; i++) {
        if (!libs[i].exists || is_compat_path(libs[i].resolved))
            continue;
        char d[4096];
        snprintf(d, sizeof d, "%s", libs[i].resolved);
        char *s = strrchr(d, '/');
        if (s == d)
            s[1] = '\0';
        else if (s)
            *s = '\0';
        bool seen = false;
        for (size_t j = 0; j < nd; j++)
            seen |= !strcmp(dirs[j], d);
        if (!seen && nd < 4)
            memcpy(dirs[nd++], d, strlen(d) + 1);
    }
    int rc = 0;
    for (size_t j = 0; j < nd && !rc; j++) {
        gm_strlist names = {0};
        if (gm_host_list(c->droot, dirs[j], &names, NULL) != 0) {
            gm_strlist_free(&names);
            continue;
        }
        char stale[1024] = "";
        size_t off = 0, count = 0;
        for (size_t i = 0; i < names.n; i++) {
            const char *name = names.items[i];
            gm_driver_version v;
            /* The version the cache entry points at is not stale: when it
             * differs from the running one, libs.libcuda already says so. */
            if (!pf_lib_version(name, stem, &v) ||
                gm_driver_version_cmp(&v, &c->running) == 0 ||
                (libs[0].versioned && gm_driver_version_cmp(&v, &libs[0].ver) == 0))
                continue;
            count++;
            if (off < sizeof stale - 1) {
                off += (size_t)snprintf(stale + off, sizeof stale - off, "%s%s",
                                        off ? ", " : "", name);
                if (off >= sizeof stale)
                    off = sizeof stale - 1;
            }
        }
        gm_strlist_free(&names);
        char subj[4200];
        snprintf(subj, sizeof subj, "%s/%s*", dirs[j], stem);
        if (count)
            rc = pf_add(c, "libs.stale", GM_PF_WARN, subj,
                        "remove the files of other driver versions (left by an upgrade) and "
                        "run ldconfig",
                        "%zu file(s) of a driver other than the running %s: %s", count,
                        c->running_str, stale);
        else
            rc = pf_add(c, "libs.stale", GM_PF_OK, subj, NULL,
                        "only the running driver's %s%s", stem, c->running_str);
    }
    return rc;
}

int pf_check_libs(pf_ctx *c) {
    int rc = check_mismatch(c);
    if (rc)
        return rc;
    if (!c->have_ldcache)
        return pf_add(c, "libs.libcuda", GM_PF_FAIL, "ld.so.cache",
                      "run ldconfig so that the driver libraries are in the cache (container "
                      "runtimes look them up there)",
                      "%s", c->ldcache_err);

    const char *families[2][2] = {{"libcuda.so.1", "libcuda.so."},
                                  {"libnvidia-ml.so.1", "libnvidia-ml.so."}};
    for (int k = 0; k < 2; k++) {
        const char *soname = families[k][0], *stem = families[k][1];
        pf_lib libs[8];
        size_t n = find_libs(c, soname, stem, libs, 8);
        char buf[GM_VERSION_STR_MAX];
        /* libs.libcuda / libs.libnvidia-ml: present, and the version that runs. */
        const char *id = k == 0 ? "libs.libcuda" : "libs.libnvidia-ml";
        if (n == 0) {
            rc = pf_add(c, id, GM_PF_FAIL, soname,
                        "install the driver's user-space libraries and run ldconfig",
                        "%s not in %s (\"load library failed: %s\")", soname, c->ldcache_path,
                        soname);
        } else if (!libs[0].exists) {
            rc = pf_add(c, id, GM_PF_FAIL, soname,
                        "run ldconfig (the cache names a file that is gone) or reinstall the "
                        "driver",
                        "cache entry %s -> %s: dangling (missing %s)", soname, libs[0].e->path,
                        libs[0].resolved);
        } else if (!libs[0].versioned) {
            rc = pf_add(c, id, GM_PF_WARN, soname,
                        "install the driver so that %s links to its versioned file",
                        "%s -> %s: not a versioned driver file, version unknown", soname,
                        libs[0].resolved);
        } else if (is_compat_path(libs[0].resolved)) {
            rc = pf_add(c, id, GM_PF_OK, soname, NULL,
                        "%s -> %s: a forward-compatibility library (see compat.forward)",
                        soname, libs[0].resolved);
        } else if (!c->have_running) {
            rc = pf_add(c, id, GM_PF_WARN, soname, NULL,
                        "%s -> %s (%s); running driver unknown", soname, libs[0].resolved,
                        gm_driver_version_str(&libs[0].ver, buf));
        } else if (gm_driver_version_cmp(&libs[0].ver, &c->running) != 0) {
            /* For libnvidia-ml with a known kernel module, driver.version-mismatch
             * already reports this; keep one FAIL per cause. */
            gm_pf_status st = (k == 1 && c->have_kmod) ? GM_PF_WARN : GM_PF_FAIL;
            rc = pf_add(c, id, st, soname,
                        "point the library at the running driver: reinstall the driver "
                        "user-space package of the running version, or reboot into the "
                        "installed one",
                        "%s -> %s (%s) but the running driver is %s%s", soname,
                        libs[0].resolved, gm_driver_version_str(&libs[0].ver, buf),
                        c->running_str,
                        k == 0 ? ": CUDA fails to initialise (error 803, or 804 on GPUs without "
                                 "forward compatibility)"
                               : "");
        } else {
            rc = pf_add(c, id, GM_PF_OK, soname, NULL, "%s -> %s", soname, libs[0].resolved);
        }
        if (rc)
            return rc;

        /* libs.duplicate: several 64-bit entries resolving to different files.
         * Forward-compatibility copies are meant to sit beside the driver's
         * (compat.forward judges them). */
        size_t nd = 0;
        for (size_t i = 0; i < n; i++)
            nd += !libs[i].exists || !is_compat_path(libs[i].resolved);
        if (nd > 1) {
            char ev[1024] = "";
            size_t off = 0;
            for (size_t i = 0; i < n; i++) {
                if (libs[i].exists && is_compat_path(libs[i].resolved))
                    continue;
                off += (size_t)snprintf(ev + off, sizeof ev - off, "%s%s%s%s",
                                        off ? ", " : "", libs[i].e->path,
                                        libs[i].exists ? " -> " : " (dangling)",
                                        libs[i].exists ? libs[i].resolved : "");
                if (off >= sizeof ev)
                    off = sizeof ev - 1;
            }
            rc = pf_add(c, "libs.duplicate", GM_PF_WARN, soname,
                        "keep one driver install: remove the other copies (or their "
                        "ld.so.conf.d entries) and run ldconfig; the first entry wins",
                        "%zu entries for %s: %s", nd, soname, ev);
        } else if (nd == 1) {
            rc = pf_add(c, "libs.duplicate", GM_PF_OK, soname, NULL, "one %s in ld.so.cache%s",
                        soname, n > nd ? " besides forward-compatibility copies" : "");
        }
        if (rc)
            return rc;
        if (c->have_running && n > 0)
            rc = check_stale(c, stem, libs, n);
        if (rc)
            return rc;
    }
    return 0;
}
