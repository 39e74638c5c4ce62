/* Check 4: forward-compatibility libraries (cuda-X.Y/compat/libcuda.so.<ver>).
 *
 * Rules (NVIDIA "CUDA Compatibility" guide, forward compatibility section, and
 * the CUDA driver API error descriptions):
 *  - a compat libcuda is a user-mode driver newer than the kernel module; it only
 *    works on data-center GPUs (and select NGC-ready RTX / Jetson), otherwise
 *    CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE (804);
 *  - the kernel module must be on a branch that supports forward compatibility
 *    (long-term and production branches, not new-feature branches), otherwise
 *    CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (803);
 *  - a compat libcuda older than the kernel module is a plain user/kernel
 *    mismatch: 803 when it is forced (ld.so.cache, LD_LIBRARY_PATH); NVIDIA's
 *    container toolkit only enables image compat libraries newer than the host
 *    driver;
 *  - it is needed only when the driver does not already support the CUDA
 *    release the compat package belongs to. */
#include "host/host.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/tables.h"
#include "internal.h"
#include "preflight/pf.h"

/* Driver branches (kernel module major) and forward compatibility. Sources:
 * NVIDIA data-center driver documentation (branch types: LTSB, PB, NFB) and the
 * CUDA Compatibility guide ("NFBs are not supported targets"). */
static const int supported_branches[] = {418, 450, 460, 470, 510, 515, 525, 535,
                                         550, 570, 580, 595, 0};
static const int nfb_branches[] = {410, 430, 440, 455, 465, 495, 520, 530, 545,
                                   555, 560, 575, 590, 0};

static int branch_kind(int major) {
    for (size_t i = 0; supported_branches[i]; i++)
        if (supported_branches[i] == major)
            return 1;
    for (size_t i = 0; nfb_branches[i]; i++)
        if (nfb_branches[i] == major)
            return -1;
    return 0;
}

/* "cuda-12.8" anywhere in the path. */
static gm_cuda_version cuda_from_path(const char *path) {
    gm_cuda_version v = {0, 0};
    const char *p = path;
    while ((p = strstr(p, "cuda-"))) {
        int a, b, n = 0;
        if (sscanf(p + 5, "%d.%d%n", &a, &b, &n) == 2 && n > 0 &&
            (p[5 + n] == '/' || p[5 + n] == '\0') && a > 0 && a < 100 && b >= 0 && b < 100) {
            v.major = a;
            v.minor = b;
        }
        p += 5;
    }
    return v;
}

int pf_compat_add(pf_ctx *c, bool in_image, const char *path, const gm_driver_version *v,
                  bool forced, const pf_compat_note *note) {
    for (size_t i = 0; i < c->n_compat; i++)
        if (c->compat[i].in_image == in_image && !strcmp(c->compat[i].path, path)) {
            c->compat[i].forced |= forced;
            return 0;
        }
    if (gm_grow((void **)&c->compat, &c->cap_compat, c->n_compat + 1, sizeof *c->compat))
        return GM_ENOMEM;
    pf_compat *k = &c->compat[c->n_compat];
    memset(k, 0, sizeof *k);
    k->path = gm_strdup(path);
    if (!k->path)
        return GM_ENOMEM;
    k->in_image = in_image;
    k->ver = *v;
    gm_driver_version_str(v, k->ver_str);
    k->cuda = cuda_from_path(path);
    k->forced = forced;
    if (note)
        k->note = *note;
    c->n_compat++;
    return 0;
}

/* The note of a host compat library (read whole: the note sits in the headers'
 * neighbourhood but libelf needs the section table). */
static void host_note(const char *root, const char *res, pf_compat_note *note) {
    memset(note, 0, sizeof *note);
    char *data = NULL;
    size_t len = 0;
    if (gm_host_read(root, res, PF_COMPAT_MAX_BYTES, &data, &len, NULL) == 0)
        pf_compat_note_read((const unsigned char *)data, len, note);
    free(data);
}

/* Host: compat libraries in ld.so.cache (in use by every process) and under
 * /usr/local/cuda-*\/compat (installed; used only via LD_LIBRARY_PATH). */
int pf_find_host_compat(pf_ctx *c) {
    int rc;
    for (size_t i = 0; c->have_ldcache && i < c->cache.n; i++) {
        const gm_ldcache_entry *e = &c->cache.entries[i];
        char res[4096];
        gm_driver_version v;
        if (!e->name || !e->path || strcmp(e->name, "libcuda.so.1") ||
            !gm_ldcache_entry_is_64bit(e) || pf_resolve(c, e->path, res, sizeof res) != 0 ||
            !strstr(res, "/compat/") || !pf_lib_version(pf_base(res), "libcuda.so.", &v))
            continue;
        pf_compat_note note;
        host_note(c->droot, res, &note);
        if ((rc = pf_compat_add(c, false, res, &v, true, &note)))
            return rc;
    }
    gm_strlist dirs = {0};
    if (gm_host_cuda_compat_dirs(c->root, &dirs, NULL) < 0) {
        gm_strlist_free(&dirs);
        return GM_ENOMEM;
    }
    rc = 0;
    for (size_t i = 0; !rc && i < dirs.n; i++) {
        const char *res = dirs.items[i];
        gm_strlist names = {0};
        if (gm_host_list(c->root, res, &names, NULL) < 0)
            rc = GM_ENOMEM;
        for (size_t j = 0; !rc && j < names.n; j++) {
            gm_driver_version v;
            if (!pf_lib_version(names.items[j], "libcuda.so.", &v))
                continue;
            char *p = gm_asprintf("%s/%s", strcmp(res, "/") ? res : "", names.items[j]);
            pf_compat_note note;
            if (p)
                host_note(c->root, p, &note);
            rc = p ? pf_compat_add(c, false, p, &v, false, &note) : GM_ENOMEM;
            free(p);
        }
        gm_strlist_free(&names);
    }
    gm_strlist_free(&dirs);
    return rc;
}

static int judge(pf_ctx *c, const pf_compat *k) {
    const char *id = "compat.forward";
    char subj[4200];
    snprintf(subj, sizeof subj, "%s%s", k->in_image ? "image:" : "", k->path);
    const char *cv = k->ver_str, *kv = c->running_str;
    const char *how = k->in_image ? (k->forced ? "on the image's LD_LIBRARY_PATH"
                                               : "enabled by the container toolkit when newer "
                                                 "than the host driver")
                                  : (k->forced ? "in the host's ld.so.cache"
                                               : "installed, not in ld.so.cache");
    if (!c->have_running)
        return pf_add(c, id, GM_PF_WARN, subj, "give a node document (--node) or run on the node",
                      "compat libcuda %s (%s): running driver unknown, cannot judge", cv, how);

    /* Does the driver already support the CUDA release this compat belongs to? */
    gm_cuda_version want = k->cuda.major ? k->cuda : k->note.cuda, have = {0, 0};
    bool have_known = false;
    if (c->node)
        have_known = gm_node_driver_cuda(c->node, &have);
    if (!have_known)
        have_known = gm_driver_max_cuda(&c->running, &have);
    if (!want.major && c->have_image_env && k->in_image) {
        const char *cvs = pf_env_get(&c->image_env, "CUDA_VERSION");
        if (cvs) {
            int a, b;
            if (sscanf(cvs, "%d.%d", &a, &b) == 2) {
                want.major = a;
                want.minor = b;
            }
        }
    }
    char wb[GM_VERSION_STR_MAX], hb[GM_VERSION_STR_MAX];
    bool needed_known = want.major && have_known;
    bool needed = needed_known && gm_cuda_version_cmp(&want, &have) > 0;

    int cmp = gm_driver_version_cmp(&k->ver, &c->running);
    if (cmp <= 0) {
        if (cmp < 0 && k->forced)
            return pf_add(c, id, GM_PF_FAIL, subj,
                          "remove the compat directory from ld.so.conf / LD_LIBRARY_PATH: the "
                          "host driver is newer and needs no forward compatibility",
                          "compat libcuda %s is older than the running driver %s and %s: CUDA "
                          "fails with error 803 (CUDA_ERROR_SYSTEM_DRIVER_MISMATCH)",
                          cv, kv, how);
        return pf_add(c, id, GM_PF_OK, subj, NULL,
                      "compat libcuda %s not newer than the running driver %s (%s): not used, "
                      "not needed",
                      cv, kv, how);
    }

    /* Newer than the kernel module: forward compatibility proper. */
    gm_pf_status cap = (!k->in_image && !k->forced) ? GM_PF_WARN : GM_PF_FAIL;
    size_t non_dc = 0, unknown = 0, ndev = c->node ? c->node->n_devices : 0;
    char names[512] = "";
    size_t off = 0;
    for (size_t i = 0; i < ndev; i++) {
        gm_tristate t = pf_is_datacenter(&c->node->devices[i]);
        if (t == GM_TRI_NO) {
            non_dc++;
            const gm_device *d = &c->node->devices[i];
            off += (size_t)snprintf(names + off, sizeof names - off, "%sGPU %d %s",
                                    off ? ", " : "", d->index, d->name ? d->name : "");
            if (off >= sizeof names)
                off = sizeof names - 1;
        } else if (t == GM_TRI_UNKNOWN)
            unknown++;
    }
    if (non_dc)
        return pf_add(c, id, cap, subj,
                      "do not use forward compatibility on this GPU: upgrade the host driver to "
                      "one that supports the image's CUDA, or remove the compat libraries",
                      "compat libcuda %s over driver %s (%s) on %s, which does not support "
                      "forward compatibility: CUDA error 804 "
                      "(CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE)",
                      cv, kv, how, names);
    /* The library's own note names the host branches it supports; without one,
     * the documented branch lists decide. */
    if (k->note.present) {
        if (!pf_compat_note_has_branch(&k->note, c->running.major))
            return pf_add(c, id, cap, subj,
                          "upgrade the host driver to one that supports the image's CUDA, or "
                          "move it to a branch the compat library lists",
                          "compat libcuda %s over driver %s (%s): its .note.cuda.fwd_compatibility "
                          "does not list branch R%d: the container toolkit does not enable it and "
                          "forcing it fails with CUDA error 803 (CUDA_ERROR_SYSTEM_DRIVER_MISMATCH)",
                          cv, kv, how, c->running.major);
    }
    int kind = k->note.present ? 1 : branch_kind(c->running.major);
    if (kind < 0)
        return pf_add(c, id, cap, subj,
                      "move the host to a long-term or production driver branch, or upgrade "
                      "it to one that supports the image's CUDA",
                      "compat libcuda %s over driver %s (%s): branch R%d is a new-feature "
                      "branch, not a forward-compatibility target: CUDA error 803 "
                      "(CUDA_ERROR_SYSTEM_DRIVER_MISMATCH)",
                      cv, kv, how, c->running.major);
    if (kind == 0 || unknown || ndev == 0)
        return pf_add(c, id, GM_PF_WARN, subj,
                      "check NVIDIA's forward-compatibility support matrix for this GPU and "
                      "driver branch",
                      "compat libcuda %s over driver %s (%s): %s", cv, kv, how,
                      kind == 0 ? "driver branch not in gpumatch's table"
                                : "GPU brand unknown (data-center GPUs only)");
    if (needed_known && !needed)
        return pf_add(c, id, GM_PF_WARN, subj,
                      "remove the compat libraries: the driver already supports this CUDA",
                      "compat libcuda %s (CUDA %s) over driver %s (%s): works on these "
                      "data-center GPUs but is not needed (driver supports CUDA %s)",
                      cv, gm_cuda_version_str(&want, wb), kv, how,
                      gm_cuda_version_str(&have, hb));
    return pf_add(c, id, GM_PF_OK, subj, NULL,
                  "compat libcuda %s over driver %s (%s): data-center GPU(s), supported branch "
                  "R%d (%s)%s%s",
                  cv, kv, how, c->running.major,
                  k->note.present ? "listed in its .note.cuda.fwd_compatibility"
                                  : "NVIDIA's documented branch list; the library has no note",
                  needed ? ": needed for CUDA " : "", needed ? gm_cuda_version_str(&want, wb) : "");
}

int pf_check_compat(pf_ctx *c) {
    if (c->n_compat == 0)
        return pf_add(c, "compat.forward", GM_PF_OK, NULL, NULL,
                      "no forward-compatibility libcuda on the host%s",
                      c->have_image_env ? " or in the image" : "");
    for (size_t i = 0; i < c->n_compat; i++) {
        int rc = judge(c, &c->compat[i]);
        if (rc)
            return rc;
    }
    return 0;
}
