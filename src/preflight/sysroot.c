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
#include "internal.h"
#include "preflight/pf.h"

char *pf_path(const pf_ctx *c, const char *abs) {
    return gm_asprintf("%s%s", c->root, abs);
}

const char *pf_base(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Component-wise resolution so that absolute symlink targets (common in driver
 * installs: libcuda.so.1 -> /usr/lib/...) stay inside the root. */
int pf_resolve(const pf_ctx *c, const char *abs, char *out, size_t outlen) {
    char rest[4096], cur[4096], full[8192], link[4096];
    if (strlen(abs) >= sizeof rest || outlen == 0)
        return -1;
    snprintf(rest, sizeof rest, "%s", abs);
    cur[0] = '\0';
    int hops = 0;
    char *p = rest;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        char comp[1024];
        if (n >= sizeof comp)
            return -1;
        memcpy(comp, p, n);
        comp[n] = '\0';
        p += n;
        if (!strcmp(comp, "."))
            continue;
        if (!strcmp(comp, "..")) {
            char *s = strrchr(cur, '/');
            if (s)
                *s = '\0';
            continue;
        }
        size_t cl = strlen(cur);
        if (cl + 1 + n >= sizeof cur)
            return -1;
        cur[cl] = '/';
        memcpy(cur + cl + 1, comp, n + 1);
        snprintf(full, sizeof full, "%s%s", c->root, cur);
        struct stat st;
        if (lstat(full, &st) != 0) {
            /* Report what was resolved so far plus the missing tail. */
            snprintf(out, outlen, "%s%s", cur, p);
            return -1;
        }
        if (S_ISLNK(st.st_mode)) {
            if (++hops > 40)
                return -1;
            ssize_t k = readlink(full, link, sizeof link - 1);
            if (k <= 0)
                return -1;
            link[k] = '\0';
            char next[4096];
            if (link[0] == '/') {
                cur[0] = '\0';
                if ((size_t)snprintf(next, sizeof next, "%s%s", link, p) >= sizeof next)
                    return -1;
            } else {
                char *s = strrchr(cur, '/');
                *s = '\0';
                if ((size_t)snprintf(next, sizeof next, "%s/%s", link, p) >= sizeof next)
                    return -1;
            }
            memcpy(rest, next, strlen(next) + 1);
            p = rest;
        }
    }
    if ((size_t)snprintf(out, outlen, "%s", cur[0] ? cur : "/") >= outlen)
        return -1;
    return 0;
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
    /* First line: "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  <date>"
     * or "... Open Kernel Module for x86_64  580.95.05  Release Build ...". */
    const char *key = "NVRM version:";
    size_t kl = strlen(key);
    const char *line = text, *end = text + len;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *le = nl ? nl : end;
        if ((size_t)(le - line) >= kl && !memcmp(line, key, kl)) {
            const char *p = line + kl;
            while (p < le) {
                while (p < le && isspace((unsigned char)*p))
                    p++;
                const char *t = p;
                while (p < le && !isspace((unsigned char)*p))
                    p++;
                size_t tl = (size_t)(p - t);
                if (tl == 0 || tl >= 32 || !isdigit((unsigned char)*t))
                    continue;
                char tok[32];
                memcpy(tok, t, tl);
                tok[tl] = '\0';
                gm_driver_version v;
                if (strchr(tok, '.') && gm_driver_version_parse(tok, &v, NULL) == 0) {
                    if (tl >= verlen)
                        return gm_error_set(err, GM_EINVAL, "driver version too long");
                    memcpy(ver, tok, tl + 1);
                    return 0;
                }
            }
            return gm_error_set(err, GM_EINVAL, "'NVRM version:' line has no driver version");
        }
        line = nl ? nl + 1 : end;
    }
    return gm_error_set(err, GM_EINVAL, "no 'NVRM version:' line");
}

int gm_pf_proc_devices_major(const char *text, size_t len, const char *name) {
    /* "Character devices:\n  1 mem\n195 nvidia\n...\n\nBlock devices:\n..." */
    const char *line = text, *end = text + len;
    bool chr = false;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *le = nl ? nl : end;
        size_t ll = (size_t)(le - line);
        if (ll >= 18 && !memcmp(line, "Character devices:", 18))
            chr = true;
        else if (ll >= 14 && !memcmp(line, "Block devices:", 14))
            chr = false;
        else if (chr) {
            const char *p = line;
            while (p < le && *p == ' ')
                p++;
            long major = 0;
            const char *d = p;
            while (p < le && isdigit((unsigned char)*p) && major < 100000)
                major = major * 10 + (*p++ - '0');
            if (p > d && p < le && *p == ' ' && major < 100000) {
                while (p < le && *p == ' ')
                    p++;
                size_t nl2 = (size_t)(le - p);
                if (nl2 == strlen(name) && !memcmp(p, name, nl2))
                    return (int)major;
            }
        }
        line = nl ? nl + 1 : end;
    }
    return -1;
}
