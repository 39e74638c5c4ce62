/* Probe orchestration: pick backends in order, merge what they know, apply
 * CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES when asked. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "internal.h"
#include "probe/probe_int.h"

/* ---- visible devices ---- */

static void mig_free(gm_mig_instance *m) {
    free(m->uuid);
    free(m->profile);
}

static void device_free(gm_device *d) {
    free(d->uuid);
    free(d->name);
    free(d->brand);
    free(d->pci_bus_id);
    for (size_t i = 0; i < d->n_mig; i++) mig_free(&d->mig[i]);
    free(d->mig);
}

typedef struct {
    size_t n;        /* devices */
    size_t *order;   /* positions, in selection order */
    size_t n_order;
    bool *whole;     /* [n] whole device selected */
    bool **mig;      /* [n][n_mig] instance selected */
} selection;

static bool all_digits(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

/* Finds what an entry names: device position *dev and instance *mig (-1 = whole
 * device). 0 found, 1 no match, 2 ambiguous. */
static int lookup(const gm_node *n, const char *e, size_t *dev, long *mig) {
    int found = 0;
    if (all_digits(e)) {
        unsigned long i = strtoul(e, NULL, 10);
        if (i >= n->n_devices) return 1;
        *dev = i;
        *mig = -1;
        return 0;
    }
    const char *colon = strchr(e, ':');
    if (colon && colon != e) {
        char a[32];
        size_t la = (size_t)(colon - e);
        if (la < sizeof a) {
            memcpy(a, e, la);
            a[la] = 0;
            if (all_digits(a) && all_digits(colon + 1)) {
                unsigned long g = strtoul(a, NULL, 10), m = strtoul(colon + 1, NULL, 10);
                if (g >= n->n_devices || m >= n->devices[g].n_mig) return 1;
                *dev = g;
                *mig = (long)m;
                return 0;
            }
        }
    }
    size_t el = strlen(e);
    if (!strncasecmp(e, "GPU-", 4)) {
        for (size_t i = 0; i < n->n_devices; i++)
            if (n->devices[i].uuid && !strncasecmp(n->devices[i].uuid, e, el)) {
                if (found++) return 2;
                *dev = i;
                *mig = -1;
            }
        return found ? 0 : 1;
    }
    if (!strncasecmp(e, "MIG-GPU-", 8)) { /* old form MIG-GPU-<uuid>/<gi>/<ci> */
        const char *slash = strchr(e, '/');
        int gi, ci;
        if (!slash || sscanf(slash, "/%d/%d", &gi, &ci) != 2) return 1;
        size_t ul = (size_t)(slash - e) - 4;
        for (size_t i = 0; i < n->n_devices; i++) {
            const gm_device *d = &n->devices[i];
            if (!d->uuid || strlen(d->uuid) != ul || strncasecmp(d->uuid, e + 4, ul)) continue;
            for (size_t j = 0; j < d->n_mig; j++)
                if (d->mig[j].gi == gi && d->mig[j].ci == ci) {
                    *dev = i;
                    *mig = (long)j;
                    return 0;
                }
        }
        return 1;
    }
    if (!strncasecmp(e, "MIG-", 4)) {
        for (size_t i = 0; i < n->n_devices; i++)
            for (size_t j = 0; j < n->devices[i].n_mig; j++) {
                const char *u = n->devices[i].mig[j].uuid;
                if (u && !strncasecmp(u, e, el)) {
                    if (found++) return 2;
                    *dev = i;
                    *mig = (long)j;
                }
            }
        return found ? 0 : 1;
    }
    return 1;
}

static int select_one(selection *s, const gm_node *n, size_t dev, long mig) {
    bool seen = s->whole[dev];
    if (!seen && s->mig[dev])
        for (size_t j = 0; j < n->devices[dev].n_mig; j++) seen = seen || s->mig[dev][j];
    if (!seen) s->order[s->n_order++] = dev;
    if (mig < 0) {
        s->whole[dev] = true;
    } else {
        if (!s->mig[dev] && !(s->mig[dev] = calloc(n->devices[dev].n_mig, sizeof(bool))))
            return GM_ENOMEM;
        s->mig[dev][mig] = true;
    }
    return 0;
}

static void selection_free(selection *s) {
    for (size_t i = 0; i < s->n; i++) free(s->mig ? s->mig[i] : NULL);
    free(s->mig);
    free(s->whole);
    free(s->order);
}

/* Keeps only the selected devices (and instances), in selection order. */
static int apply(gm_node *n, selection *s) {
    gm_device *nd = s->n_order ? calloc(s->n_order, sizeof *nd) : NULL;
    if (s->n_order && !nd) return GM_ENOMEM;
    bool *kept = calloc(n->n_devices + 1, sizeof *kept);
    if (!kept) {
        free(nd);
        return GM_ENOMEM;
    }
    for (size_t k = 0; k < s->n_order; k++) {
        size_t i = s->order[k];
        gm_device *d = &n->devices[i];
        if (!s->whole[i] && s->mig[i]) { /* only some MIG instances */
            size_t w = 0;
            for (size_t j = 0; j < d->n_mig; j++) {
                if (s->mig[i][j]) d->mig[w++] = d->mig[j];
                else mig_free(&d->mig[j]);
            }
            d->n_mig = w;
        }
        nd[k] = *d;
        kept[i] = true;
    }
    for (size_t i = 0; i < n->n_devices; i++)
        if (!kept[i]) device_free(&n->devices[i]);
    free(kept);
    free(n->devices);
    n->devices = nd;
    n->n_devices = s->n_order;
    return 0;
}

/* One variable. strict: an entry that names no GPU is an error (the container
 * runtime refuses it); otherwise CUDA's rule: ignore it and everything after. */
static int filter(gm_node *n, const char *var, const char *val, bool strict, gm_strlist *notes,
                  gm_error *err) {
    selection s = {0};
    int rc = 0;
    s.n = n->n_devices;
    s.order = calloc(s.n + 1, sizeof *s.order);
    s.whole = calloc(s.n + 1, sizeof *s.whole);
    s.mig = calloc(s.n + 1, sizeof *s.mig);
    char *copy = gm_strdup(val);
    if (!s.order || !s.whole || !s.mig || !copy) {
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
        goto done;
    }
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok)) tok++;
        size_t l = strlen(tok);
        while (l && isspace((unsigned char)tok[l - 1])) tok[--l] = 0;
        if (!*tok) continue;
        size_t dev = 0;
        long mig = -1;
        int m = lookup(n, tok, &dev, &mig);
        if (m != 0) {
            char q[64];
            const char *why = m == 2 ? "is ambiguous" : "matches no GPU";
            if (strict) {
                rc = gm_error_set(err, GM_EINVAL, "%s: '%s' %s", var, gm_quote(tok, q), why);
                goto done;
            }
            if (notes)
                gm_strlist_addf(notes, "%s: '%s' %s; CUDA ignores it and the entries after it",
                                var, gm_quote(tok, q), why);
            break;
        }
        if (select_one(&s, n, dev, mig) < 0) {
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (apply(n, &s) < 0) rc = gm_error_set(err, GM_ENOMEM, "out of memory");
done:
    free(copy);
    selection_free(&s);
    return rc;
}

static int visible(gm_node *n, gm_strlist *notes, gm_error *err) {
    const char *nv = getenv("NVIDIA_VISIBLE_DEVICES");
    if (nv) {
        /* NVIDIA container runtime: "all"; "none"/"void"/"" expose no GPU. */
        if (!strcmp(nv, "none") || !strcmp(nv, "void") || !*nv) {
            int rc = filter(n, "NVIDIA_VISIBLE_DEVICES", "", true, notes, err);
            if (rc < 0) return rc;
        } else if (strcmp(nv, "all")) {
            int rc = filter(n, "NVIDIA_VISIBLE_DEVICES", nv, true, notes, err);
            if (rc < 0) return rc;
        }
    }
    const char *cv = getenv("CUDA_VISIBLE_DEVICES");
    if (cv) return filter(n, "CUDA_VISIBLE_DEVICES", cv, false, notes, err);
    return 0;
}

/* ---- orchestration ---- */

static void set_hostname(gm_node *n) {
    char h[256];
    if (!n->hostname && gethostname(h, sizeof h) == 0) {
        h[sizeof h - 1] = 0;
        n->hostname = gm_strdup(h);
    }
}

static const gm_device *find_uuid(const gm_node *n, const char *uuid) {
    for (size_t i = 0; uuid && i < n->n_devices; i++)
        if (n->devices[i].uuid && !strcasecmp(n->devices[i].uuid, uuid)) return &n->devices[i];
    return NULL;
}

static void note(gm_strlist *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(gm_strlist *notes, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    if (!notes) return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    gm_strlist_add(notes, buf);
}

/* Compares NVML's view with libcuda's; fills what NVML lacked. */
static void cross_check(const gm_probe_opts *o, gm_node *out, gm_strlist *notes) {
    gm_node c;
    gm_error e = {0};
    gm_node_init(&c);
    int rc = gm_probe_cuda(o, &c, &e);
    if (rc != 0) {
        note(notes, "cross-check skipped: %s", e.msg);
        gm_node_free(&c);
        return;
    }
    char b1[GM_VERSION_STR_MAX], b2[GM_VERSION_STR_MAX];
    if (c.has_cuda_driver) {
        if (!out->has_cuda_driver) {
            out->cuda_driver = c.cuda_driver;
            out->has_cuda_driver = true;
        } else if (gm_cuda_version_cmp(&c.cuda_driver, &out->cuda_driver)) {
            note(notes, "libcuda supports CUDA %s but NVML says %s",
                 gm_cuda_version_str(&c.cuda_driver, b1),
                 gm_cuda_version_str(&out->cuda_driver, b2));
        }
    }
    if (c.n_devices != out->n_devices)
        note(notes, "libcuda sees %zu GPU(s), NVML %zu (CUDA_VISIBLE_DEVICES?)", c.n_devices,
             out->n_devices);
    for (size_t i = 0; i < c.n_devices; i++) {
        const gm_device *cd = &c.devices[i];
        const gm_device *nd = find_uuid(out, cd->uuid);
        if (!nd) {
            note(notes, "libcuda device %s (%s) is unknown to NVML", cd->uuid ? cd->uuid : "?",
                 cd->name ? cd->name : "?");
        } else if (gm_cc_cmp(&cd->cc, &nd->cc)) {
            note(notes, "%s: compute capability %s from libcuda, %s from NVML", nd->uuid,
                 gm_cc_str(&cd->cc, b1), gm_cc_str(&nd->cc, b2));
        }
    }
    gm_node_free(&c);
}

typedef int (*backend_fn)(const gm_probe_opts *, gm_node *, gm_error *);

static const struct {
    const char *name;
    backend_fn fn;
} backends[] = {
    {"nvml", gm_probe_nvml},
    {"cuda", gm_probe_cuda},
    {"procfs", gm_probe_procfs},
    {"smi", gm_probe_smi},
};

/* Runs one backend on a fresh node so a failure leaves out untouched. */
static int run_backend(size_t b, const gm_probe_opts *o, gm_node *out, gm_error *err) {
    gm_node tmp;
    gm_node_init(&tmp);
    int rc = backends[b].fn(o, &tmp, err);
    if (rc < 0) {
        gm_node_free(&tmp);
        return rc;
    }
    gm_node_free(out);
    *out = tmp;
    return 0;
}

int gm_probe_ex(const gm_probe_opts *opts, gm_node *out, gm_strlist *notes, const char **used,
                gm_error *err) {
    gm_probe_opts o = {0};
    if (opts) o = *opts;
    size_t nb = sizeof backends / sizeof backends[0], chosen = nb;
    int rc = GM_ENODRIVER;
    if (o.smi_file && o.backend && strcmp(o.backend, "smi"))
        return gm_error_set(err, GM_EINVAL, "a recorded nvidia-smi file needs backend \"smi\", "
                                            "not \"%s\"", o.backend);
    if (o.backend || o.smi_file) {
        const char *want = o.backend ? o.backend : "smi";
        for (size_t b = 0; b < nb; b++)
            if (!strcmp(backends[b].name, want)) chosen = b;
        if (chosen == nb)
            return gm_error_set(err, GM_EINVAL,
                                "unknown backend '%s' (expected nvml, cuda, procfs or smi)", want);
        rc = run_backend(chosen, &o, out, err);
    } else {
        /* GM_EABSENT: this source is not installed, try the next; any other
         * failure (GM_ENODRIVER included: a source says none is loaded) is final. */
        char tried[GM_ERROR_MSG_MAX] = "";
        for (size_t b = 0; b < nb; b++) {
            gm_error be = {0};
            rc = run_backend(b, &o, out, &be);
            if (rc != GM_EABSENT) {
                chosen = b;
                if (rc < 0 && err) *err = be;
                break;
            }
            size_t l = strlen(tried);
            snprintf(tried + l, sizeof tried - l, "%s%s", l ? "; " : "", be.msg);
        }
        if (chosen == nb) {
            return gm_error_set(err, GM_ENODRIVER, "no NVIDIA driver found (%s)", tried);
        }
    }
    if (rc < 0) return rc;
    if (used) *used = backends[chosen].name;
    const char *name = backends[chosen].name;

    if (!o.smi_file) set_hostname(out);
    if (!strcmp(name, "nvml") || !strcmp(name, "cuda")) {
        /* The kernel module's version: NVML must agree; libcuda does not know it. */
        gm_driver_version kv;
        char b1[GM_VERSION_STR_MAX], b2[GM_VERSION_STR_MAX];
        if (gm_probe_procfs_version(o.root, &kv, NULL) == 0) {
            if (!gm_driver_version_is_set(&out->driver))
                out->driver = kv;
            else if (gm_driver_version_cmp(&kv, &out->driver))
                note(notes, "kernel module is %s but the user-space library is %s",
                     gm_driver_version_str(&kv, b1), gm_driver_version_str(&out->driver, b2));
        }
    }
    if (!strcmp(name, "nvml") && o.cross_check) cross_check(&o, out, notes);
    for (size_t i = 0; i < out->n_devices; i++)
        if (out->devices[i].cc.major == 0)
            note(notes, "GPU %d (%s): compute capability unknown (%s does not report it and "
                        "the product name is not in gpumatch's table)",
                 out->devices[i].index, out->devices[i].name ? out->devices[i].name : "?", name);
    if (o.visible) {
        rc = visible(out, notes, err);
        if (rc < 0) return rc;
    }
    return 0;
}

int gm_probe(const gm_probe_opts *opts, gm_node *out, gm_error *err) {
    return gm_probe_ex(opts, out, NULL, NULL, err);
}
