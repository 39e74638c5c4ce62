/* Small helpers the probe backends share (device lists, names, dlopen):
 * kept apart from the orchestrator in probe.c so no backend calls back into it. */
#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "internal.h"
#include "probe/probe_int.h"

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
