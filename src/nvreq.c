/* NVIDIA_REQUIRE_* evaluation, following libnvidia-container's documented
 * semantics: groups split by spaces are OR-ed, conditions split by commas are
 * AND-ed; keys cuda/driver/arch/brand (case-insensitive); versions compare part
 * by part with trailing zero parts ignored ("12" == "12.0"). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "gpumatch/nvreq.h"
#include "gpumatch/tables.h"
#include "internal.h"

#define MAX_EXPR 4096
#define MAX_PARTS 4

typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } op_t;
typedef enum { K_CUDA, K_DRIVER, K_ARCH, K_BRAND } key_t_;

typedef struct {
    key_t_ key;
    op_t op;
    char value[64];
} cond_t;

static const char *op_names[] = {"=", "!=", "<", "<=", ">", ">="};

/* Parts of a dotted version; -1 if not one. */
static int parts_of(const char *s, long *v) {
    int n = 0;
    const char *p = s;
    memset(v, 0, MAX_PARTS * sizeof *v);
    while (*p) {
        if (n == MAX_PARTS || !isdigit((unsigned char)*p))
            return -1;
        char *end;
        v[n++] = strtol(p, &end, 10);
        p = end;
        if (*p == '.') {
            p++;
            if (!*p)
                return -1;
        } else if (*p) {
            return -1;
        }
    }
    return n ? n : -1;
}

static int parse_cond(const char *s, size_t len, cond_t *c, gm_error *err) {
    char buf[128];
    if (len >= sizeof buf)
        return gm_error_set(err, GM_EINVAL, "requirement condition too long");
    memcpy(buf, s, len);
    buf[len] = '\0';
    size_t k = strcspn(buf, "<>=!");
    if (k == len || k == 0)
        return gm_error_set(err, GM_EINVAL, "bad requirement condition \"%s\": expected KEY OP VALUE",
                            buf);
    char key[16];
    if (k >= sizeof key)
        return gm_error_set(err, GM_EINVAL, "bad requirement key in \"%s\"", buf);
    memcpy(key, buf, k);
    key[k] = '\0';
    if (!strcasecmp(key, "cuda"))
        c->key = K_CUDA;
    else if (!strcasecmp(key, "driver"))
        c->key = K_DRIVER;
    else if (!strcasecmp(key, "arch"))
        c->key = K_ARCH;
    else if (!strcasecmp(key, "brand"))
        c->key = K_BRAND;
    else
        return gm_error_set(err, GM_EINVAL,
                            "bad requirement \"%s\": unknown key \"%s\" (cuda, driver, arch, brand)",
                            buf, key);
    const char *p = buf + k;
    if (!strncmp(p, "!=", 2)) { c->op = OP_NE; p += 2; }
    else if (!strncmp(p, "<=", 2)) { c->op = OP_LE; p += 2; }
    else if (!strncmp(p, ">=", 2)) { c->op = OP_GE; p += 2; }
    else if (*p == '<') { c->op = OP_LT; p++; }
    else if (*p == '>') { c->op = OP_GT; p++; }
    else if (*p == '=') { c->op = OP_EQ; p++; }
    else
        return gm_error_set(err, GM_EINVAL, "bad requirement \"%s\": unknown operator", buf);
    if (!*p || strlen(p) >= sizeof c->value || strpbrk(p, "<>=!"))
        return gm_error_set(err, GM_EINVAL, "bad requirement \"%s\": bad value", buf);
    strcpy(c->value, p);
    if (c->key == K_BRAND) {
        if (c->op != OP_EQ && c->op != OP_NE)
            return gm_error_set(err, GM_EINVAL, "bad requirement \"%s\": brand takes = or != only",
                                buf);
        return 0;
    }
    long parts[MAX_PARTS];
    if (parts_of(c->value, parts) < 0)
        return gm_error_set(err, GM_EINVAL, "bad requirement \"%s\": \"%s\" is not a version",
                            buf, c->value);
    return 0;
}

/* Zero-padded parts make trailing zero parts irrelevant. */
static int vcmp(const long *a, const long *b) {
    for (int i = 0; i < MAX_PARTS; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

static bool apply(op_t op, int c) {
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    default: return c >= 0;
    }
}

/* Calls fn for every condition; fn returns 1 to skip the rest of the group
 * (a false condition), 2 to stop (a satisfied group), 0 to go on, < 0 to fail.
 * A NULL condition marks each group's end. As libnvidia-container's dsl.c:
 * groups are split on single spaces, conditions on commas, empty conditions are
 * skipped, and a condition is parsed only when evaluation reaches it (lazy). */
typedef int (*cond_fn)(void *ctx, const cond_t *c, gm_error *err);

static int walk(const char *expr, cond_fn fn, void *ctx, bool lazy, gm_error *err) {
    if (!expr)
        return gm_error_set(err, GM_EINVAL, "missing requirement expression");
    size_t len = strnlen(expr, MAX_EXPR + 1);
    if (len > MAX_EXPR)
        return gm_error_set(err, GM_EINVAL, "requirement expression longer than %d bytes", MAX_EXPR);
    const char *p = expr, *end = expr + len;
    int groups = 0;
    while (p < end) {
        const char *ge = memchr(p, ' ', (size_t)(end - p));
        if (!ge)
            ge = end;
        const char *g = p, *q = g;
        int conds = 0, rc = 0;
        while (q < ge) {
            const char *ce = memchr(q, ',', (size_t)(ge - q));
            if (!ce)
                ce = ge;
            if (ce > q) {
                cond_t c;
                conds++;
                if (rc != 1 || !lazy) {
                    int prc = parse_cond(q, (size_t)(ce - q), &c, err);
                    if (prc < 0)
                        return prc;
                    if (rc != 1) {
                        rc = fn(ctx, &c, err);
                        if (rc < 0)
                            return rc;
                    }
                }
            }
            q = ce < ge ? ce + 1 : ge;
        }
        /* An empty group (two spaces, a lone comma) is skipped: gpumatch does not
         * count it as satisfied. */
        if (conds) {
            groups++;
            if ((rc = fn(ctx, NULL, err)) < 0)
                return rc;
            if (rc == 2 && lazy)
                return 0;
        }
        p = ge < end ? ge + 1 : end;
    }
    if (!groups)
        return gm_error_set(err, GM_EINVAL, "empty requirement expression");
    return 0;
}

static int noop(void *ctx, const cond_t *c, gm_error *err) { return 0; }

int gm_nvreq_validate(const char *expr, gm_error *err) { return walk(expr, noop, NULL, false, err); }

typedef struct {
    const gm_node *node;
    const gm_device *dev;
    bool any_group_ok;
    bool group_ok;
    char first_fail[256];
    gm_strlist *why;
} eval_ctx;

static bool eval_cond(const eval_ctx *e, const cond_t *c, char *why, size_t whylen) {
    long have[MAX_PARTS], want[MAX_PARTS];
    char hs[GM_VERSION_STR_MAX];
    const char *key = c->key == K_CUDA ? "cuda" : c->key == K_DRIVER ? "driver"
                    : c->key == K_ARCH ? "arch" : "brand";
    const char *what;
    switch (c->key) {
    case K_BRAND: {
        /* libnvidia-container: no device, or a device whose brand is unknown,
         * satisfies brand conditions. */
        const char *b = e->dev ? e->dev->brand : NULL;
        if (!b)
            return true;
        bool eq = !strcasecmp(b, c->value);
        if (eq == (c->op == OP_EQ))
            return true;
        snprintf(why, whylen, "brand%s%s: device brand is %s", op_names[c->op], c->value, b);
        return false;
    }
    case K_ARCH:
        if (!e->dev || !e->dev->cc.major) /* unknown arch satisfies, as the runtime */
            return true;
        gm_cc_str(&e->dev->cc, hs);
        what = "device compute capability is";
        break;
    case K_DRIVER:
        if (!gm_driver_version_is_set(&e->node->driver)) /* unknown satisfies (dsl.c) */
            return true;
        gm_driver_version_str(&e->node->driver, hs);
        what = "driver is";
        break;
    default: {
        gm_cuda_version dc;
        if (!gm_node_driver_cuda(e->node, &dc)) /* unknown satisfies (dsl.c) */
            return true;
        gm_cuda_version_str(&dc, hs);
        what = "driver supports CUDA";
    }
    }
    if (parts_of(hs, have) < 0 || parts_of(c->value, want) < 0) {
        snprintf(why, whylen, "%s%s%s: cannot compare with %s", key, op_names[c->op], c->value, hs);
        return false;
    }
    if (apply(c->op, vcmp(have, want)))
        return true;
    snprintf(why, whylen, "%s%s%s: %s %s", key, op_names[c->op], c->value, what, hs);
    return false;
}

static int eval_fn(void *ctx, const cond_t *c, gm_error *err) {
    eval_ctx *e = ctx;
    if (!c) { /* end of group */
        bool ok = e->group_ok;
        if (ok)
            e->any_group_ok = true;
        else if (e->why && gm_strlist_add(e->why, e->first_fail) < 0)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        e->group_ok = true;
        e->first_fail[0] = '\0';
        return ok ? 2 : 0;
    }
    char why[256];
    if (!eval_cond(e, c, why, sizeof why)) {
        e->group_ok = false;
        snprintf(e->first_fail, sizeof e->first_fail, "%s", why);
        return 1;
    }
    return 0;
}

int gm_nvreq_eval(const char *expr, const gm_node *node, const gm_device *dev, bool *ok,
                  gm_strlist *why, gm_error *err) {
    gm_strlist local = {0};
    eval_ctx e = {node, dev, false, true, "", &local};
    gm_error pe = {0};
    int rc = walk(expr, eval_fn, &e, true, &pe);
    if (rc == GM_ENOMEM) {
        gm_strlist_free(&local);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    if (rc < 0) {
        /* A condition reached before any group held is malformed: the container
         * runtime refuses to start the container. */
        e.any_group_ok = false;
        if (gm_strlist_addf(&local, "%s (libnvidia-container refuses to start it)", pe.msg) < 0) {
            gm_strlist_free(&local);
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        }
    }
    *ok = e.any_group_ok;
    if (!*ok && why)
        for (size_t i = 0; i < local.n; i++)
            if (gm_strlist_add(why, local.items[i]) < 0) {
                gm_strlist_free(&local);
                return gm_error_set(err, GM_ENOMEM, "out of memory");
            }
    gm_strlist_free(&local);
    return 0;
}

static bool parse_bool_true(const char *v) {
    /* Go's strconv.ParseBool, which NVIDIA's toolkit uses. */
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True", NULL};
    for (const char *const *p = t; *p; p++)
        if (!strcmp(v, *p))
            return true;
    return false;
}

/* CUDA_VERSION as nvidia-container-toolkit reads it: an optional "v", then one
 * to three parts that each fit 32 bits ("v11.6", "12.4.1"; not "9.0.116.50"). */
static bool legacy_cuda_version(const char *v, unsigned long *maj, unsigned long *min) {
    unsigned long parts[3] = {0, 0, 0};
    int n = 0;
    const char *p = v[0] == 'v' ? v + 1 : v;
    while (*p) {
        if (n == 3 || !isdigit((unsigned char)*p))
            return false;
        unsigned long long x = 0;
        while (isdigit((unsigned char)*p)) {
            x = x * 10 + (unsigned long long)(*p++ - '0');
            if (x > 4294967295ULL)
                return false;
        }
        parts[n++] = (unsigned long)x;
        if (*p == '.' && !*++p)
            return false;
    }
    if (!n)
        return false;
    *maj = parts[0];
    *min = parts[1];
    return true;
}

int gm_nvreq_from_env(const gm_strlist *env, gm_strlist *exprs, bool *disabled, gm_error *err) {
    const char *cuda_version = NULL;
    bool has_require_cuda = false;
    *disabled = false;
    /* NVIDIA_DISABLE_REQUIRE turns every constraint off, malformed ones too: the
     * values are still returned (preflight warns about them), never validated. */
    for (size_t i = 0; i < env->n; i++)
        if (!strncmp(env->items[i], "NVIDIA_DISABLE_REQUIRE=", 23))
            *disabled = parse_bool_true(env->items[i] + 23);
    for (size_t i = 0; i < env->n; i++) {
        const char *kv = env->items[i];
        const char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        size_t kl = (size_t)(eq - kv);
        const char *v = eq + 1;
        if (kl == 12 && !strncmp(kv, "CUDA_VERSION", kl)) {
            cuda_version = v;
        } else if (kl > 15 && !strncmp(kv, "NVIDIA_REQUIRE_", 15)) {
            if (!strncmp(kv + 15, "JETPACK", 7)) /* every NVIDIA_REQUIRE_JETPACK* */
                continue;
            if (kl == 19 && !strncmp(kv, "NVIDIA_REQUIRE_CUDA", kl) && *v)
                has_require_cuda = true;
            /* Kept as is: the runtime parses a condition only when it reaches it. */
            if (*v && gm_strlist_add(exprs, v) < 0)
                return gm_error_set(err, GM_ENOMEM, "out of memory");
        }
    }
    /* Legacy image (CUDA_VERSION, empty or no NVIDIA_REQUIRE_CUDA): cuda>=MAJ.MIN. */
    if (!has_require_cuda && cuda_version && *cuda_version) {
        unsigned long maj, min;
        if (!legacy_cuda_version(cuda_version, &maj, &min))
            return *disabled ? 0
                             : gm_error_set(err, GM_EINVAL, "CUDA_VERSION=%s is not a version",
                                            cuda_version);
        if (gm_strlist_addf(exprs, "cuda>=%lu.%lu", maj, min) < 0)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    return 0;
}
