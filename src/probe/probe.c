/* Probe orchestration: pick backends in order, merge what they know, apply
 * CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES when asked. */
#include <ctype.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "internal.h"
#include "probe/probe_int.h"

/* ---- small helpers shared by the backends ---- */

gm_device *gm_probe_add_device(gm_node *n) {
    gm_device *d = realloc(n->devices, (n->n_devices + 1) * sizeof *d);
    if (!d) return NULL;
    n->devices = d;
    gm_device_init(&d[n->n_devices]);
    return &d[n->n_devices++];
}

gm_mig_instance *gm_probe_add_mig(gm_device *d) {
    gm_mig_instance *m = realloc(d->mig, (d->n_mig + 1) * sizeof *m);
    if (!m) return NULL;
    d->mig = m;
    m = &m[d->n_mig++];
    memset(m, 0, sizeof *m);
    m->memory_mib = -1;
    m->gi = m->ci = -1;
    return m;
}

char *gm_probe_mig_profile_from_name(const char *name) {
    if (!name) return NULL;
    const char *p = strncmp(name, "MIG ", 4) ? strstr(name, " MIG ") : name - 1;
    if (!p) return NULL;
    p += 5;
    while (*p == ' ') p++;
    return *p ? gm_strdup(p) : NULL;
}

char *gm_probe_norm_busid(const char *s) {
    unsigned int dom = 0, bus, dev, fn;
    int used = 0;
    if (!s || !*s || s[strspn(s, "0123456789abcdefABCDEF:.")]) return NULL;
    if (sscanf(s, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, &used) != 4 || s[used]) {
        used = 0;
        dom = 0;
        if (sscanf(s, "%x:%x.%x%n", &bus, &dev, &fn, &used) != 3 || s[used]) return NULL;
    }
    if (bus > 0xff || dev > 0x1f || fn > 7) return NULL;
    /* NVML's spelling: 8-digit domain, upper-case hex. */
    return gm_asprintf("%08X:%02X:%02X.%X", dom, bus, dev, fn);
}

/* NVML's nvmlBrandType_t values, in order; words as NVIDIA's container toolkit
 * lower-cases them for `brand=` requirements. */
static const char *const brand_words[] = {
    "unknown",     "quadro",    "tesla",     "nvs",       "grid",
    "geforce",     "titan",     "nvidiavapps", "nvidiavpc", "nvidiavcs",
    "nvidiavws",   "nvidiacloudgaming", "quadrortx", "nvidiartx", "nvidia",
    "geforcertx",  "titanrtx",
};

const char *gm_probe_brand_word(int b) {
    if (b < 0 || (size_t)b >= sizeof brand_words / sizeof brand_words[0]) return "unknown";
    return brand_words[b];
}

const char *gm_probe_brand_from_text(const char *text) {
    /* nvidia-smi prints the same brands with spaces and capitals ("Quadro RTX",
     * "NVIDIA RTX"); a few long forms map to the NVML names. */
    static const struct {
        const char *text, *word;
    } longer[] = {{"nvidiavirtualapplications", "nvidiavapps"},
                  {"nvidiavirtualpc", "nvidiavpc"},
                  {"nvidiavirtualcomputeserver", "nvidiavcs"},
                  {"nvidiartxvirtualworkstation", "nvidiavws"},
                  {"nvidiavirtualworkstation", "nvidiavws"},
                  {"vapps", "nvidiavapps"},
                  {"vpc", "nvidiavpc"},
                  {"vcs", "nvidiavcs"},
                  {"vws", "nvidiavws"},
                  {"cloudgaming", "nvidiacloudgaming"}};
    char k[64];
    size_t n = 0;
    for (const char *p = text ? text : ""; *p && n < sizeof k - 1; p++)
        if (isalnum((unsigned char)*p)) k[n++] = (char)tolower((unsigned char)*p);
    k[n] = 0;
    for (size_t i = 0; i < sizeof brand_words / sizeof brand_words[0]; i++)
        if (!strcmp(k, brand_words[i])) return brand_words[i];
    for (size_t i = 0; i < sizeof longer / sizeof longer[0]; i++)
        if (!strcmp(k, longer[i].text)) return longer[i].word;
    return "unknown";
}

/* Product name -> compute capability. Source: NVIDIA's "CUDA GPUs" page
 * (developer.nvidia.com/cuda-gpus). A trailing '*' lets the name go on with any
 * characters ("RTX 40*" = RTX 4090); otherwise the match must end at a
 * non-digit, and it must always start a word, so "A10" misses "A100". */
static const struct {
    const char *needle;
    int major, minor;
} name_cc[] = {
    {"GB300", 10, 3}, {"B300", 10, 3}, {"GB200", 10, 0}, {"B200", 10, 0}, {"GB10", 12, 1},
    {"RTX PRO 6000 Blackwell*", 12, 0}, {"RTX 50*", 12, 0},
    {"GH200", 9, 0}, {"H100", 9, 0}, {"H200", 9, 0}, {"H800", 9, 0}, {"H20", 9, 0},
    {"Ada Generation*", 8, 9}, {"L40S", 8, 9}, {"L40", 8, 9}, {"L20", 8, 9}, {"L4", 8, 9},
    {"RTX 40*", 8, 9},
    {"A100", 8, 0}, {"A800", 8, 0}, {"A30", 8, 0},
    {"RTX A*", 8, 6}, {"A10", 8, 6}, {"A10G", 8, 6}, {"A40", 8, 6}, {"A16", 8, 6}, {"A2", 8, 6},
    {"RTX 30*", 8, 6},
    {"T4", 7, 5}, {"Quadro RTX*", 7, 5}, {"TITAN RTX", 7, 5}, {"RTX 20*", 7, 5},
    {"GTX 16*", 7, 5},
    {"V100", 7, 0}, {"TITAN V", 7, 0},
    {"P100", 6, 0}, {"P40", 6, 1}, {"P4", 6, 1}, {"GTX 10*", 6, 1},
};

static bool word_match(const char *name, const char *needle) {
    size_t nl = strlen(needle);
    bool open = nl && needle[nl - 1] == '*';
    if (open) nl--;
    for (const char *p = name; *p; p++) {
        if (strncasecmp(p, needle, nl)) continue;
        if (p != name && isalnum((unsigned char)p[-1])) continue;
        if (!open && isdigit((unsigned char)p[nl])) continue;
        return true;
    }
    return false;
}

bool gm_probe_cc_from_name(const char *name, gm_cc *cc) {
    if (!name) return false;
    for (size_t i = 0; i < sizeof name_cc / sizeof name_cc[0]; i++)
        if (word_match(name, name_cc[i].needle)) {
            cc->major = name_cc[i].major;
            cc->minor = name_cc[i].minor;
            return true;
        }
    return false;
}

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

int gm_probe_dlopen(const char *override, const char *env, const char *def, void **h,
                    const char **lib, gm_error *err) {
    const char *name = override ? override : getenv(env);
    if (!name || !*name)
        name = def;
    *lib = name;
    *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!*h) {
        const char *e = dlerror();
        size_t l = strlen(name);
        if (e && !strncmp(e, name, l) && !strncmp(e + l, ": ", 2))
            e += l + 2; /* dlerror() repeats the name */
        return gm_error_set(err, GM_EABSENT, "cannot load %s (%s)", name, e ? e : "not found");
    }
    return 0;
}

int gm_probe_dlsym(void *h, const char *lib, void **slot, const char *name, bool required,
                   gm_error *err) {
    dlerror();
    *slot = dlsym(h, name);
    if (!*slot && required)
        return gm_error_set(err, GM_EBACKEND, "%s: missing symbol %s (library too old or broken)",
                            lib, name);
    return 0;
}

int gm_probe_call_failed(gm_error *err, const char *lib, const char *call, int idx,
                         const char *text, const char *api, int code) {
    char at[32] = "";
    if (idx >= 0)
        snprintf(at, sizeof at, "(%d)", idx);
    return gm_error_set(err, GM_EBACKEND, "%s: %s%s failed: %s (%s error %d)", lib, call, at, text,
                        api, code);
}
