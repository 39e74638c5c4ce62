/* Stub libcuda.so.1 for tests, answering from the same scenario file. */
#include "scenario.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT int cuGetErrorString(int r, const char **s) {
    switch (r) {
    case 0: *s = "no error"; return 0;
    case 3: *s = "initialization error"; return 0;
    case 100: *s = "no CUDA-capable device is detected"; return 0;
    case 803: *s = "system has unsupported display driver / cuda driver combination"; return 0;
    case 999: *s = "unknown error"; return 0;
    default: return 1;
    }
}
EXPORT int cuDriverGetVersion(int *v) {
    stub_load();
    *v = S.cuda;
    return 0;
}
EXPORT int cuInit(unsigned int flags) {
    (void)flags;
    stub_load();
    return S.cuda_init;
}
EXPORT int cuDeviceGetCount(int *n) {
    *n = S.n_gpu;
    return 0;
}
EXPORT int cuDeviceGet(int *d, int i) {
    if (i < 0 || i >= S.n_gpu) return 101;
    *d = i;
    return 0;
}
EXPORT int cuDeviceGetName(char *buf, int len, int d) {
    if (d < 0 || d >= S.n_gpu || len < 1) return 101;
    snprintf(buf, (size_t)len, "%s", S.gpu[d].name);
    return 0;
}
EXPORT int cuDeviceGetAttribute(int *v, int attr, int d) {
    if (d < 0 || d >= S.n_gpu) return 101;
    if (attr == 75) *v = S.gpu[d].cudaccmaj;
    else if (attr == 76) *v = S.gpu[d].cudaccmin;
    else return 1;
    return 0;
}
EXPORT int cuDeviceTotalMem_v2(size_t *bytes, int d) {
    if (d < 0 || d >= S.n_gpu) return 101;
    *bytes = (size_t)S.gpu[d].mem * 1024u * 1024u;
    return 0;
}
EXPORT int cuDeviceGetUuid(unsigned char out[16], int d) {
    if (d < 0 || d >= S.n_gpu) return 101;
    const char *u = S.gpu[d].uuid;
    if (!strncmp(u, "GPU-", 4)) u += 4;
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
    if (d < 0 || d >= S.n_gpu || len < 1) return 101;
    unsigned int dom, bus, dev, fn;
    if (sscanf(S.gpu[d].pci, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4) return 1;
    snprintf(buf, (size_t)len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
    return 0;
}
