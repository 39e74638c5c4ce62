/* Check 6: the image's own requirements (NVIDIA_REQUIRE_*, legacy CUDA_VERSION)
 * evaluated on this node. libnvidia-container evaluates them in the legacy
 * runtime mode only; in the toolkit's cdi / jit-cdi modes nothing does, and a
 * container that cannot run starts anyway. Also collects the image's
 * forward-compatibility libraries for compat.forward. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/image.h"
#include "host/host.h"
#include "gpumatch/nvreq.h"
#include "internal.h"
#include "preflight/pf.h"

/* LD_LIBRARY_PATH element that selects this compat directory. Images name it
 * through the /usr/local/cuda symlink, which a file walk does not see. */
static bool on_ld_path(const char *ldpath, const char *libpath) {
    if (!ldpath)
        return false;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", libpath);
    char *s = strrchr(dir, '/');
    if (!s)
        return false;
    *s = '\0';
    const char *p = ldpath;
    while (*p) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n > 1 && p[n - 1] == '/')
            n--;
        if (n == strlen(dir) && !strncmp(p, dir, n))
            return true;
        if (n >= 17 && !strncmp(p, "/usr/local/cuda", 15) && !strncmp(p + n - 7, "/compat", 7) &&
            !strncmp(dir, "/usr/local/cuda", 15))
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

typedef struct {
    pf_ctx *c;
    gm_strlist found; /* compat lib paths, judged after the walk (env known) */
    pf_compat_note *notes;
    size_t cap_notes;
} walk_ctx;

static int visit(void *vctx, gm_image_file *f, gm_error *err) {
    walk_ctx *w = vctx;
    if (!strstr(f->path, "/compat/") || !pf_lib_version(pf_base(f->path), "libcuda.so.", NULL))
        return 0;
    if (gm_strlist_add(&w->found, f->path) ||
        gm_grow((void **)&w->notes, &w->cap_notes, w->found.n, sizeof *w->notes))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    pf_compat_note *note = &w->notes[w->found.n - 1];
    memset(note, 0, sizeof *note);
    unsigned char *data = NULL;
    size_t len = 0;
    gm_error e = {0};
    if (f->size <= PF_COMPAT_MAX_BYTES &&
        gm_image_file_slurp(f, PF_COMPAT_MAX_BYTES, &data, &len, &e) == 0)
        pf_compat_note_read(data, len, note);
    free(data);
    return 0;
}

int pf_load_image(pf_ctx *c, const char *image, gm_error *err) {
    walk_ctx w = {.c = c};
    gm_image_info info;
    memset(&info, 0, sizeof info);
    int rc = gm_image_walk(image, visit, &w, &info, err);
    if (rc) {
        gm_strlist_free(&w.found);
        free(w.notes);
        gm_image_info_free(&info);
        gm_error_prefix(err, "image %s: ", image);
        return rc; /* not gm_error_prefix's value: err may be NULL */
    }
    if (!c->have_image_env) {
        c->image_env = info.env;
        memset(&info.env, 0, sizeof info.env);
        c->have_image_env = true;
    }
    const char *ldpath = pf_env_get(&c->image_env, "LD_LIBRARY_PATH");
    for (size_t i = 0; i < w.found.n && !rc; i++) {
        gm_driver_version v;
        if (pf_lib_version(pf_base(w.found.items[i]), "libcuda.so.", &v))
            rc = pf_compat_add(c, true, w.found.items[i], &v, on_ld_path(ldpath, w.found.items[i]),
                               &w.notes[i]);
    }
    gm_strlist_free(&w.found);
    free(w.notes);
    gm_image_info_free(&info);
    if (rc)
        return gm_error_set(err, rc, "out of memory");
    return 0;
}

/* The NVIDIA Container Runtime's mode (config.toml `mode = "..."` in the
 * [nvidia-container-runtime] table): "legacy" evaluates NVIDIA_REQUIRE_* through
 * libnvidia-container, "cdi" / "jit-cdi" do not; "auto" is legacy unless CDI
 * devices are requested. Empty when no config is found. */
static void runtime_mode(pf_ctx *c, char *mode, size_t len) {
    mode[0] = '\0';
    char *text = NULL;
    size_t tl = 0;
    if (gm_host_read(c->root, "/etc/nvidia-container-runtime/config.toml", 1 << 20, &text, &tl,
                     NULL) != 0)
        return;
    bool in_table = false;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '[') {
            in_table = !strncmp(line, "[nvidia-container-runtime]", 26);
            continue;
        }
        char val[32];
        if (in_table && sscanf(line, "mode = \"%31[^\"]\"", val) == 1)
            snprintf(mode, len, "%s", val);
    }
    free(text);
}

int pf_check_image(pf_ctx *c) {
    const char *id = "image.requirements";
    if (!c->have_image_env)
        return pf_add(c, id, GM_PF_SKIP, NULL, NULL, "no image given (--image)");
    gm_strlist exprs = {0};
    bool disabled = false;
    gm_error e = {0};
    if (gm_nvreq_from_env(&c->image_env, &exprs, &disabled, &e) != 0) {
        gm_strlist_free(&exprs);
        return pf_add(c, id, GM_PF_FAIL, "image env",
                      "fix the image's NVIDIA_REQUIRE_* variables",
                      "image requirements unreadable: %s", e.msg);
    }
    int rc = 0;
    if (exprs.n == 0)
        rc = pf_add(c, id, GM_PF_OK, NULL, NULL,
                    "image declares no NVIDIA_REQUIRE_* or CUDA_VERSION");
    else if (!c->node)
        rc = pf_add(c, id, GM_PF_SKIP, NULL, NULL,
                    "%zu image requirement(s), no node document to evaluate them on", exprs.n);
    for (size_t i = 0; c->node && i < exprs.n && !rc; i++) {
        const char *x = exprs.items[i];
        size_t ndev = c->node->n_devices, nfail = 0, nrun = ndev ? ndev : 1;
        gm_strlist why = {0};
        char gpus[256] = "";
        size_t off = 0;
        for (size_t d = 0; d < nrun; d++) {
            const gm_device *dev = ndev ? &c->node->devices[d] : NULL;
            bool ok = false;
            gm_strlist w1 = {0};
            if (gm_nvreq_eval(x, c->node, dev, &ok, &w1, &e) != 0) {
                gm_strlist_free(&w1);
                gm_strlist_free(&why);
                gm_strlist_free(&exprs);
                return pf_add(c, id, GM_PF_FAIL, x, "fix the image's NVIDIA_REQUIRE_* variables",
                              "cannot evaluate: %s", e.msg);
            }
            if (!ok) {
                nfail++;
                if (dev)
                    off += (size_t)snprintf(gpus + off, sizeof gpus - off, "%s%d",
                                            off ? "," : "", dev->index);
                if (off >= sizeof gpus)
                    off = sizeof gpus - 1;
                for (size_t k = 0; k < w1.n && why.n < 4; k++)
                    if (gm_strlist_add(&why, w1.items[k]))
                        rc = GM_ENOMEM;
            }
            gm_strlist_free(&w1);
        }
        char reasons[1024] = "";
        size_t ro = 0;
        for (size_t k = 0; k < why.n; k++) {
            ro += (size_t)snprintf(reasons + ro, sizeof reasons - ro, "%s%s", k ? "; " : "",
                                   why.items[k]);
            if (ro >= sizeof reasons)
                ro = sizeof reasons - 1;
        }
        gm_strlist_free(&why);
        if (rc)
            break;
        char mode[32], cdi[160];
        runtime_mode(c, mode, sizeof mode);
        if (!strcmp(mode, "cdi") || !strcmp(mode, "jit-cdi"))
            snprintf(cdi, sizeof cdi,
                     " (runtime mode %s: NVIDIA's runtime does not check this, the container "
                     "starts and fails in CUDA)",
                     mode);
        else if (!strcmp(mode, "legacy"))
            snprintf(cdi, sizeof cdi,
                     " (runtime mode legacy: the runtime refuses the container with "
                     "\"unsatisfied condition\")");
        else
            snprintf(cdi, sizeof cdi,
                     " (NVIDIA's runtime checks this in legacy mode only, not with CDI)");
        if (nfail == 0)
            rc = pf_add(c, id, GM_PF_OK, x, NULL, "satisfied on %s%s",
                        ndev ? "every GPU" : "this node", disabled ? " (checks disabled by "
                                                                    "NVIDIA_DISABLE_REQUIRE)"
                                                                  : "");
        else if (disabled)
            rc = pf_add(c, id, GM_PF_WARN, x,
                        "NVIDIA_DISABLE_REQUIRE hides this: expect the container to fail at "
                        "CUDA initialisation",
                        "not satisfied (%s), but the image sets NVIDIA_DISABLE_REQUIRE",
                        reasons);
        else if (nfail < nrun)
            rc = pf_add(c, id, GM_PF_WARN, x, "select only GPUs that satisfy it",
                        "not satisfied on GPU %s: %s%s", gpus, reasons, cdi);
        else
            rc = pf_add(c, id, GM_PF_FAIL, x,
                        "run on a node whose driver satisfies the image, upgrade the driver, "
                        "use an image built for an older CUDA, or (data-center GPUs on a "
                        "supported branch) ship the matching cuda-compat package in the image",
                        "not satisfied%s%s: %s%s", ndev ? " on any GPU" : "",
                        ndev ? "" : " (no GPU selected)", reasons, cdi);
    }
    gm_strlist_free(&exprs);
    return rc;
}
