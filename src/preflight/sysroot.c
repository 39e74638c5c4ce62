/* Reading a system tree under a root prefix, and the small text formats of
 * /proc that preflight relies on. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "host/host.h"
#include "internal.h"
#include "preflight/pf.h"

const char *pf_base(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* gm_host_resolve into a buffer: absolute symlink targets (common in driver
 * installs: libcuda.so.1 -> /usr/lib/...) stay inside the root. On a missing
 * component out gets what resolved plus the missing tail. */
int pf_resolve(const pf_ctx *c, const char *abs, char *out, size_t outlen) {
    char *res = NULL;
    int r = gm_host_resolve(c->droot, abs, &res);
    if (res && outlen && (size_t)snprintf(out, outlen, "%s", res) >= outlen)
        r = -1;
    free(res);
    return r == 0 ? 0 : -1;
}

bool pf_lib_version(const char *file, const char *stem, gm_driver_version *v) {
    size_t sl = strlen(stem);
    if (strncmp(file, stem, sl) != 0)
        return false;
    const char *ver = file + sl;
    /* Only driver-style versions: "1" (the soname) is not one. */
    if (!strchr(ver, '.'))
        return false;
    gm_driver_version tmp;
    if (gm_driver_version_parse(ver, &tmp, NULL) != 0)
        return false;
    if (v)
        *v = tmp;
    return true;
}

const char *pf_env_get(const gm_strlist *env, const char *key) {
    size_t kl = strlen(key);
    const char *val = NULL;
    for (size_t i = 0; env && i < env->n; i++)
        if (!strncmp(env->items[i], key, kl) && env->items[i][kl] == '=')
            val = env->items[i] + kl + 1; /* last one wins, as in an image config */
    return val;
}

gm_tristate pf_is_datacenter(const gm_device *d) {
    /* NVML brand words as libnvidia-container prints them. */
    static const char *const dc[] = {"tesla", "nvidia", "grid", "nvidiavapps", "nvidiavpc",
                                     "nvidiavcs", "nvidiavws", "nvidiacloudgaming", NULL};
    static const char *const ws[] = {"geforce", "geforcertx", "titan", "titanrtx", "quadro",
                                     "quadrortx", "nvidiartx", "nvs", NULL};
    if (d->brand && *d->brand && strcasecmp(d->brand, "unknown")) {
        for (size_t i = 0; dc[i]; i++)
            if (!strcasecmp(d->brand, dc[i]))
                return GM_TRI_YES;
        for (size_t i = 0; ws[i]; i++)
            if (!strcasecmp(d->brand, ws[i]))
                return GM_TRI_NO;
    }
    if (!d->name)
        return GM_TRI_UNKNOWN;
    static const char *const dc_names[] = {"Tesla", "A100", "A800", "A30", "A40", "A10", "A16",
                                           "A2 ", "H100", "H200", "H800", "H20", "GH200", "B200",
                                           "B300", "GB200", "GB300", "L40", "L20", "L4", "T4",
                                           "V100", "P100", "P40", "K80", NULL};
    static const char *const ws_names[] = {"GeForce", "TITAN", "Quadro", "RTX", NULL};
    for (size_t i = 0; ws_names[i]; i++)
        if (strstr(d->name, ws_names[i]))
            return GM_TRI_NO;
    for (size_t i = 0; dc_names[i]; i++) {
        const char *s = strstr(d->name, dc_names[i]);
        /* "NVIDIA A100-SXM4", "Tesla T4": the model word, not a substring of one. */
        if (s && (s == d->name || s[-1] == ' ' || s[-1] == '-'))
            return GM_TRI_YES;
    }
    return GM_TRI_UNKNOWN;
}

int gm_pf_parse_nvrm(const char *text, size_t len, char *ver, size_t verlen, gm_error *err) {
    return gm_host_parse_nvrm(text, len, NULL, ver, verlen, err);
}

int gm_pf_proc_devices_major(const char *text, size_t len, const char *name) {
    return gm_host_proc_devices_major(text, len, name);
}
