/* Stub libcuda.so.1 for tests, answering from the same scenario file. Module
 * loading answers come from the scenario's "load" rules, never from CUDA's
 * compatibility rules: tests script what the driver says. */
#include <stdarg.h>
#include <stdint.h>
#include <time.h>
#include "scenario.h"

#define EXPORT __attribute__((visibility("default")))

/* Visible devices: ordinal -> (gpu, mig or -1). */
static int vis_gpu[STUB_MAX_GPU * (STUB_MAX_MIG + 1)], vis_mig[STUB_MAX_GPU * (STUB_MAX_MIG + 1)];
static int n_vis;
static int current = -1;          /* ordinal of the current context */
static int loads_on[STUB_MAX_GPU * (STUB_MAX_MIG + 1)];

static void calls(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void calls(const char *fmt, ...) {
    const char *p = getenv("GM_STUB_CALLS");
    FILE *f = p ? fopen(p, "a") : NULL;
    if (!f) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

static int find_token(const char *t, int *g, int *m) {
    char *e;
    long i = strtol(t, &e, 10);
    if (e != t && !*e) {
        if (i < 0 || i >= S.n_gpu) return 0;
        *g = (int)i;
        *m = -1;
        return 1;
    }
    for (int k = 0; k < S.n_gpu; k++) {
        if (!strcmp(t, S.gpu[k].uuid)) {
            *g = k;
            *m = -1;
            return 1;
        }
        for (int j = 0; j < S.gpu[k].n_mig; j++)
            if (!strcmp(t, S.gpu[k].mig[j].uuid)) {
                *g = k;
                *m = j;
                return 1;
            }
    }
    return 0;
}

static void compute_visible(void) {
    n_vis = 0;
    memset(loads_on, 0, sizeof loads_on);
    const char *v = getenv("CUDA_VISIBLE_DEVICES");
    if (!S.visible || !v) {
        for (int i = 0; i < S.n_gpu; i++) {
            vis_gpu[n_vis] = i;
            vis_mig[n_vis++] = -1;
        }
        return;
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int g, m;
        if (!find_token(t, &g, &m)) break; /* CUDA stops at the first invalid entry */
        vis_gpu[n_vis] = g;
        vis_mig[n_vis++] = m;
    }
}

#define DEV_OK(d) ((d) >= 0 && (d) < n_vis)
#define GPU(d) (&S.gpu[vis_gpu[d]])
static stub_mig *mig_of(int d) { return vis_mig[d] >= 0 ? &S.gpu[vis_gpu[d]].mig[vis_mig[d]] : NULL; }
#define MIG(d) mig_of(d)

EXPORT int cuGetErrorString(int r, const char **s) {
    switch (r) {
    case 0: *s = "no error"; return 0;
    case 2: *s = "out of memory"; return 0;
    case 3: *s = "initialization error"; return 0;
    case 100: *s = "no CUDA-capable device is detected"; return 0;
    case 209: *s = "no kernel image is available for execution on the device"; return 0;
    case 218: *s = "a PTX JIT compilation failed"; return 0;
    case 221: *s = "PTX JIT compiler library not found"; return 0;
    case 222: *s = "the provided PTX was compiled with an unsupported toolchain."; return 0;
    case 803: *s = "system has unsupported display driver / cuda driver combination"; return 0;
    case 999: *s = "unknown error"; return 0;
    default: return 1;
    }
}
EXPORT int cuGetErrorName(int r, const char **s) {
    switch (r) {
    case 0: *s = "CUDA_SUCCESS"; return 0;
    case 2: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
    case 3: *s = "CUDA_ERROR_NOT_INITIALIZED"; return 0;
    case 100: *s = "CUDA_ERROR_NO_DEVICE"; return 0;
    case 101: *s = "CUDA_ERROR_INVALID_DEVICE"; return 0;
    case 200: *s = "CUDA_ERROR_INVALID_IMAGE"; return 0;
    case 209: *s = "CUDA_ERROR_NO_BINARY_FOR_GPU"; return 0;
    case 218: *s = "CUDA_ERROR_INVALID_PTX"; return 0;
    case 221: *s = "CUDA_ERROR_JIT_COMPILER_NOT_FOUND"; return 0;
    case 222: *s = "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"; return 0;
    case 999: *s = "CUDA_ERROR_UNKNOWN"; return 0;
    default: return 1; /* CUDA_ERROR_INVALID_VALUE */
    }
}
EXPORT int cuDriverGetVersion(int *v) {
    stub_load();
    compute_visible();
    *v = S.cuda;
    return 0;
}
EXPORT int cuInit(unsigned int flags) {
    (void)flags;
    stub_load();
    compute_visible();
    const char *cd = getenv("CUDA_CACHE_DISABLE"), *cp = getenv("CUDA_CACHE_PATH"),
               *ml = getenv("CUDA_MODULE_LOADING");
    calls("init cache_disable=%s cache_path=%s module_loading=%s", cd ? cd : "-", cp ? cp : "-",
          ml ? ml : "-");
    return S.cuda_init;
}
EXPORT int cuDeviceGetCount(int *n) {
    *n = n_vis;
    return 0;
}
EXPORT int cuDeviceGet(int *d, int i) {
    if (!DEV_OK(i)) return 101;
    *d = i;
    return 0;
}
EXPORT int cuDeviceGetName(char *buf, int len, int d) {
    if (!DEV_OK(d) || len < 1) return 101;
    snprintf(buf, (size_t)len, "%s", MIG(d) ? MIG(d)->name : GPU(d)->name);
    return 0;
}
EXPORT int cuDeviceGetAttribute(int *v, int attr, int d) {
    if (!DEV_OK(d)) return 101;
    if (attr == 75) *v = GPU(d)->cudaccmaj;
    else if (attr == 76) *v = GPU(d)->cudaccmin;
    else return 1;
    return 0;
}
EXPORT int cuDeviceTotalMem_v2(size_t *bytes, int d) {
    if (!DEV_OK(d)) return 101;
    *bytes = (size_t)(MIG(d) ? MIG(d)->mem : GPU(d)->mem) * 1024u * 1024u;
    return 0;
}
EXPORT int cuDeviceGetUuid(unsigned char out[16], int d) {
    if (!DEV_OK(d)) return 101;
    const char *u = MIG(d) ? MIG(d)->uuid : GPU(d)->uuid;
    if (!strncmp(u, "GPU-", 4) || !strncmp(u, "MIG-", 4)) u += 4;
    int k = 0;
    for (; *u && k < 16; u++) {
        if (*u == '-') continue;
        unsigned int b;
        if (sscanf(u, "%2x", &b) != 1) break;
        out[k++] = (unsigned char)b;
        u++;
    }
    return k == 16 ? 0 : 1;
}
EXPORT int cuDeviceGetPCIBusId(char *buf, int len, int d) {
    if (!DEV_OK(d) || len < 1) return 101;
    unsigned int dom, bus, dev, fn;
    if (sscanf(GPU(d)->pci, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4) return 1;
    snprintf(buf, (size_t)len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
    return 0;
}

/* ---- contexts and modules ---- */

EXPORT int cuDevicePrimaryCtxRetain(void **ctx, int d) {
    if (!DEV_OK(d)) return 101;
    int f = stub_fail("cuDevicePrimaryCtxRetain");
    calls("retain dev=%d%s%s", d, MIG(d) ? " mig=" : "", MIG(d) ? MIG(d)->uuid : "");
    if (f) return f;
    *ctx = (void *)(intptr_t)(d + 1);
    return 0;
}
EXPORT int cuDevicePrimaryCtxRelease_v2(int d) {
    if (!DEV_OK(d)) return 101;
    calls("release dev=%d", d);
    return 0;
}
EXPORT int cuCtxSetCurrent(void *ctx) {
    int d = (int)(intptr_t)ctx - 1;
    if (!DEV_OK(d)) return 201; /* CUDA_ERROR_INVALID_CONTEXT */
    current = d;
    return 0;
}

static size_t image_len(const unsigned char *p) {
    /* Enough to search: a fat binary header says its size; else text (PTX) or ELF. */
    if (p[0] == 0x50 && p[1] == 0xed && p[2] == 0x55 && p[3] == 0xba) {
        uint64_t n;
        memcpy(&n, p + 8, sizeof n);
        return 16 + (size_t)n;
    }
    if (p[0] == 0x7f && p[1] == 'E') {
        uint64_t shoff;
        uint16_t shentsize, shnum;
        memcpy(&shoff, p + 0x28, 8);
        memcpy(&shentsize, p + 0x3a, 2);
        memcpy(&shnum, p + 0x3c, 2);
        return (size_t)(shoff + (uint64_t)shentsize * shnum);
    }
    return strlen((const char *)p);
}

static void put(void *buf, size_t cap, const char *s) {
    if (buf && cap) snprintf(buf, cap, "%s", s);
}

EXPORT int cuModuleLoadDataEx(void **mod, const void *image, unsigned int n, int *opt,
                              void **val) {
    if (!DEV_OK(current)) return 201;
    int d = current, nth = ++loads_on[d];
    size_t len = image_len(image);
    const stub_load_rule *r = NULL;
    for (int i = 0; i < S.n_load && !r; i++) {
        const stub_load_rule *x = &S.load[i];
        if (x->dev >= 0 && x->dev != d) continue;
        if (x->nth && x->nth != nth) continue;
        if (x->bytes && (size_t)x->bytes != len) continue;
        if (x->match[0] && !memmem(image, len, x->match, strlen(x->match))) continue;
        r = x;
    }
    calls("load dev=%d n=%d bytes=%zu rule=%ld", d, nth, len, r ? (long)(r - S.load) : -1L);
    if (r && r->delay_ms) {
        struct timespec ts = {r->delay_ms / 1000, (long)(r->delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    void *ebuf = NULL, *ibuf = NULL;
    size_t ecap = 0, icap = 0;
    for (unsigned int i = 0; i < n; i++) {
        if (opt[i] == 5) ebuf = val[i];
        else if (opt[i] == 6) ecap = (size_t)val[i];
        else if (opt[i] == 3) ibuf = val[i];
        else if (opt[i] == 4) icap = (size_t)val[i];
    }
    put(ebuf, ecap, r ? r->log : "");
    put(ibuf, icap, r ? r->info : "");
    for (unsigned int i = 0; i < n; i++)
        if (opt[i] == 2) { /* CU_JIT_WALL_TIME: a float written over the value */
            float ms = r ? (float)r->jit_ms : 0.0f;
            memcpy(&val[i], &ms, sizeof ms);
        } else if (opt[i] == 4 && ibuf) {
            val[i] = (void *)strlen(ibuf);
        } else if (opt[i] == 6 && ebuf) {
            val[i] = (void *)strlen(ebuf);
        }
    int rc = r ? r->rc : 0;
    if (rc == 0) *mod = (void *)(intptr_t)(0x1000 + nth);
    return rc;
}
EXPORT int cuModuleUnload(void *mod) {
    calls("unload");
    return mod ? 0 : 400;
}
