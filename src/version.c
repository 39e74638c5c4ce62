/* Strict parsers and printers for driver versions, CUDA versions, compute
 * capabilities and target names. Nothing is coerced: "8.x", "535..1", "-1" and
 * over-long input are errors quoting the text. */
#include <stdio.h>
#include <string.h>
#include "gpumatch/version.h"
#include "internal.h"

#define MAX_INPUT 64

/* Parses up to max_parts dot-separated decimal parts (each 1..6 digits, value
 * <= limit). Returns the number of parts, or -1. */
static int parse_parts(const char *s, int *parts, int max_parts, long limit) {
    int n = 0;
    const char *p = s;
    if (!*p)
        return -1;
    for (;;) {
        if (n == max_parts)
            return -1;
        long v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (++digits > 6)
                return -1;
            v = v * 10 + (*p - '0');
            p++;
        }
        if (!digits || v > limit)
            return -1;
        parts[n++] = (int)v;
        if (*p == '\0')
            return n;
        if (*p != '.')
            return -1;
        p++;
    }
}

static int too_long(const char *what, const char *s, gm_error *err) {
    char q[64];
    if (strnlen(s, MAX_INPUT + 1) > MAX_INPUT)
        return gm_error_set(err, GM_EINVAL, "bad %s \"%s\": longer than %d characters", what,
                            gm_quote(s, q), MAX_INPUT);
    return 0;
}

int gm_driver_version_parse(const char *s, gm_driver_version *out, gm_error *err) {
    int p[3] = {0, 0, 0};
    if (!s)
        return gm_error_set(err, GM_EINVAL, "missing driver version");
    if (too_long("driver version", s, err))
        return GM_EINVAL;
    int n = parse_parts(s, p, 3, 99999);
    if (n < 2 || p[0] == 0)
        return gm_error_set(err, GM_EINVAL,
                            "bad driver version \"%s\": expected 2 or 3 numeric parts like "
                            "580.95.05",
                            s);
    out->major = p[0];
    out->minor = p[1];
    out->patch = p[2];
    out->nparts = n;
    return 0;
}

bool gm_driver_version_is_set(const gm_driver_version *v) { return v->nparts > 0; }

int gm_driver_version_cmp(const gm_driver_version *a, const gm_driver_version *b) {
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    if (a->patch != b->patch)
        return a->patch < b->patch ? -1 : 1;
    return 0;
}

char *gm_driver_version_str(const gm_driver_version *v, char buf[GM_VERSION_STR_MAX]) {
    if (!v->nparts)
        snprintf(buf, GM_VERSION_STR_MAX, "unknown");
    else if (v->nparts == 1) /* a branch from the tables, e.g. 580 */
        snprintf(buf, GM_VERSION_STR_MAX, "%d", v->major);
    else if (v->nparts == 2)
        snprintf(buf, GM_VERSION_STR_MAX, "%d.%02d", v->major, v->minor);
    else
        snprintf(buf, GM_VERSION_STR_MAX, "%d.%02d.%02d", v->major, v->minor, v->patch);
    return buf;
}

int gm_cuda_version_from_int(long v, gm_cuda_version *out, gm_error *err) {
    /* cuDriverGetVersion: 1000*major + 10*minor; CUDA 2.0 is the oldest. */
    if (v < 2000 || v > 99990 || v % 10 != 0)
        return gm_error_set(err, GM_EINVAL,
                            "bad CUDA driver API version %ld: expected 1000*major + 10*minor "
                            "like 12040",
                            v);
    out->major = (int)(v / 1000);
    out->minor = (int)((v % 1000) / 10);
    return 0;
}

int gm_cuda_version_to_int(const gm_cuda_version *v) { return v->major * 1000 + v->minor * 10; }

int gm_cuda_version_parse(const char *s, gm_cuda_version *out, gm_error *err) {
    int p[2] = {0, 0};
    if (!s)
        return gm_error_set(err, GM_EINVAL, "missing CUDA version");
    if (too_long("CUDA version", s, err))
        return GM_EINVAL;
    int n = parse_parts(s, p, 2, 99999);
    if (n == 1 && p[0] >= 1000) /* driver API integer form */
        return gm_cuda_version_from_int(p[0], out, err);
    if (n < 1 || p[0] == 0 || p[0] > 99 || p[1] > 99)
        return gm_error_set(err, GM_EINVAL,
                            "bad CUDA version \"%s\": expected MAJOR.MINOR like 12.4 or the "
                            "driver API form 12040",
                            s);
    out->major = p[0];
    out->minor = n == 2 ? p[1] : 0;
    return 0;
}

int gm_cuda_version_parse_release(const char *s, gm_cuda_version *out, gm_error *err) {
    int p[3] = {0, 0, 0};
    if (s && strnlen(s, MAX_INPUT + 1) <= MAX_INPUT && parse_parts(s, p, 3, 99999) == 3) {
        if (p[0] == 0 || p[0] > 99 || p[1] > 99)
            return gm_error_set(err, GM_EINVAL, "bad CUDA version \"%s\"", s);
        out->major = p[0];
        out->minor = p[1];
        return 0;
    }
    return gm_cuda_version_parse(s, out, err);
}

int gm_driver_version_parse_min(const char *s, gm_driver_version *out, gm_error *err) {
    int p[1] = {0};
    if (s && strnlen(s, MAX_INPUT + 1) <= MAX_INPUT && parse_parts(s, p, 1, 99999) == 1 && p[0]) {
        *out = (gm_driver_version){p[0], 0, 0, 1};
        return 0;
    }
    return gm_driver_version_parse(s, out, err);
}

int gm_cuda_version_cmp(const gm_cuda_version *a, const gm_cuda_version *b) {
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    return 0;
}

char *gm_cuda_version_str(const gm_cuda_version *v, char buf[GM_VERSION_STR_MAX]) {
    snprintf(buf, GM_VERSION_STR_MAX, "%d.%d", v->major, v->minor);
    return buf;
}

int gm_cc_parse(const char *s, gm_cc *out, gm_error *err) {
    int p[2];
    if (!s)
        return gm_error_set(err, GM_EINVAL, "missing compute capability");
    if (too_long("compute capability", s, err))
        return GM_EINVAL;
    int n = parse_parts(s, p, 2, 99);
    if (n != 2 || p[0] < 1 || p[1] > 9)
        return gm_error_set(err, GM_EINVAL,
                            "bad compute capability \"%s\": expected MAJOR.MINOR like 8.6", s);
    out->major = p[0];
    out->minor = p[1];
    return 0;
}

int gm_cc_cmp(const gm_cc *a, const gm_cc *b) {
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    return 0;
}

char *gm_cc_str(const gm_cc *v, char buf[GM_VERSION_STR_MAX]) {
    snprintf(buf, GM_VERSION_STR_MAX, "%d.%d", v->major, v->minor);
    return buf;
}

int gm_cc_to_sm(const gm_cc *v) { return v->major * 10 + v->minor; }

int gm_cc_from_sm(int sm, gm_cc *out, gm_error *err) {
    if (sm < 10 || sm > 999)
        return gm_error_set(err, GM_EINVAL, "bad SM number %d", sm);
    out->major = sm / 10;
    out->minor = sm % 10;
    return 0;
}

int gm_target_parse(const char *s, gm_target *out, gm_error *err) {
    const char *p;
    gm_target t = {0};
    if (!s)
        return gm_error_set(err, GM_EINVAL, "missing target");
    if (too_long("target", s, err))
        return GM_EINVAL;
    if (!strncmp(s, "sm_", 3)) {
        t.kind = GM_KIND_CUBIN;
        p = s + 3;
    } else if (!strncmp(s, "compute_", 8)) {
        t.kind = GM_KIND_PTX;
        p = s + 8;
    } else {
        return gm_error_set(err, GM_EINVAL,
                            "bad target \"%s\": expected sm_XY or compute_XY (optionally with a "
                            "or f suffix)",
                            s);
    }
    int sm = 0, digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 4) {
        sm = sm * 10 + (*p - '0');
        p++;
        digits++;
    }
    if (*p == 'a' || *p == 'f') {
        t.variant = (gm_variant)*p;
        p++;
    }
    if (digits < 2 || digits > 3 || *p != '\0' || sm < 10)
        return gm_error_set(err, GM_EINVAL,
                            "bad target \"%s\": expected sm_XY or compute_XY (optionally with a "
                            "or f suffix)",
                            s);
    t.cc.major = sm / 10;
    t.cc.minor = sm % 10;
    *out = t;
    return 0;
}

int gm_target_parse_or_cc(const char *s, gm_target_kind default_kind, gm_target *out,
                          gm_error *err) {
    if (s && (s[0] == 's' || s[0] == 'c'))
        return gm_target_parse(s, out, err);
    gm_cc cc;
    if (gm_cc_parse(s, &cc, err) < 0)
        return GM_EINVAL;
    out->kind = default_kind;
    out->cc = cc;
    out->variant = GM_VARIANT_PLAIN;
    return 0;
}

char *gm_target_str(const gm_target *t, char buf[GM_VERSION_STR_MAX]) {
    char suffix[2] = {t->variant ? (char)t->variant : '\0', '\0'};
    snprintf(buf, GM_VERSION_STR_MAX, "%s_%d%s", t->kind == GM_KIND_PTX ? "compute" : "sm",
             gm_cc_to_sm(&t->cc), suffix);
    return buf;
}

int gm_target_cmp(const gm_target *a, const gm_target *b) {
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    int c = gm_cc_cmp(&a->cc, &b->cc);
    if (c)
        return c;
    if (a->variant != b->variant)
        return a->variant < b->variant ? -1 : 1;
    return 0;
}
