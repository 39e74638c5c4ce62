/* Stub libnvidia-ml.so.1 for tests: implements the entry points gpumatch calls,
 * answering from the scenario file ($GM_STUB_SCENARIO). Built twice; with
 * STUB_NO_CC it lacks nvmlDeviceGetCudaComputeCapability (a "broken" library). */
#include "scenario.h"

typedef void *dev;
#define EXPORT __attribute__((visibility("default")))

static int initialised;

static int is_gpu(dev d) {
    return (char *)d >= (char *)&S.gpu[0] && (char *)d < (char *)&S.gpu[S.n_gpu] &&
           ((char *)d - (char *)&S.gpu[0]) % sizeof(stub_gpu) == 0;
}
static stub_mig *as_mig(dev d) {
    for (int i = 0; i < S.n_gpu; i++)
        for (int j = 0; j < S.gpu[i].n_mig; j++)
            if (d == (dev)&S.gpu[i].mig[j]) return &S.gpu[i].mig[j];
    return NULL;
}

#define CHECK(fn)                                  \
    do {                                           \
        if (!initialised) return 1;                \
        int f_ = stub_fail(fn);                    \
        if (f_) return f_;                         \
    } while (0)

EXPORT const char *nvmlErrorString(int r) {
    switch (r) {
    case 0: return "Success";
    case 1: return "Uninitialized";
    case 2: return "Invalid Argument";
    case 3: return "Not Supported";
    case 4: return "Insufficient Permissions";
    case 6: return "Not Found";
    case 7: return "Insufficient Size";
    case 9: return "Driver Not Loaded";
    case 13: return "Function Not Found";
    case 15: return "GPU is lost";
    case 18: return "Driver/library version mismatch";
    default: return "Unknown Error";
    }
}

EXPORT int nvmlInit_v2(void) {
    stub_load();
    if (S.nvml_init) return S.nvml_init;
    initialised = 1;
    return 0;
}
EXPORT int nvmlShutdown(void) {
    initialised = 0;
    return 0;
}
EXPORT int nvmlSystemGetDriverVersion(char *buf, unsigned int len) {
    CHECK("nvmlSystemGetDriverVersion");
    if (strlen(S.driver) + 1 > len) return 7;
    strcpy(buf, S.driver);
    return 0;
}
EXPORT int nvmlSystemGetCudaDriverVersion_v2(int *v) {
    CHECK("nvmlSystemGetCudaDriverVersion_v2");
    *v = S.cuda;
    return 0;
}
EXPORT int nvmlDeviceGetCount_v2(unsigned int *n) {
    CHECK("nvmlDeviceGetCount_v2");
    *n = (unsigned int)S.n_gpu;
    return 0;
}
EXPORT int nvmlDeviceGetHandleByIndex_v2(unsigned int i, dev *d) {
    CHECK("nvmlDeviceGetHandleByIndex_v2");
    if (i >= (unsigned int)S.n_gpu) return 2;
    *d = &S.gpu[i];
    return 0;
}
static int copy(char *buf, unsigned int len, const char *s) {
    if (strlen(s) + 1 > len) return 7;
    strcpy(buf, s);
    return 0;
}
EXPORT int nvmlDeviceGetUUID(dev d, char *buf, unsigned int len) {
    CHECK("nvmlDeviceGetUUID");
    stub_mig *m = as_mig(d);
    if (m) return copy(buf, len, m->uuid);
    if (!is_gpu(d)) return 2;
    return copy(buf, len, ((stub_gpu *)d)->uuid);
}
EXPORT int nvmlDeviceGetName(dev d, char *buf, unsigned int len) {
    CHECK("nvmlDeviceGetName");
    stub_mig *m = as_mig(d);
    if (m) return copy(buf, len, m->name);
    if (!is_gpu(d)) return 2;
    return copy(buf, len, ((stub_gpu *)d)->name);
}
#ifndef STUB_NO_CC
EXPORT int nvmlDeviceGetCudaComputeCapability(dev d, int *maj, int *min) {
    CHECK("nvmlDeviceGetCudaComputeCapability");
    if (!is_gpu(d)) return 2;
    *maj = ((stub_gpu *)d)->ccmaj;
    *min = ((stub_gpu *)d)->ccmin;
    return 0;
}
#endif
typedef struct {
    unsigned long long total, free, used;
} mem_t;
EXPORT int nvmlDeviceGetMemoryInfo(dev d, mem_t *m) {
    CHECK("nvmlDeviceGetMemoryInfo");
    stub_mig *mi = as_mig(d);
    long mib = mi ? mi->mem : is_gpu(d) ? ((stub_gpu *)d)->mem : -1;
    if (mib < 0) return 2;
    m->total = (unsigned long long)mib * 1024ull * 1024ull;
    m->used = 0;
    m->free = m->total;
    return 0;
}
typedef struct {
    char busIdLegacy[16];
    unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
    char busId[32];
} pci_t;
EXPORT int nvmlDeviceGetPciInfo_v3(dev d, pci_t *p) {
    CHECK("nvmlDeviceGetPciInfo_v3");
    if (!is_gpu(d)) return 2;
    memset(p, 0, sizeof *p);
    snprintf(p->busId, sizeof p->busId, "%s", ((stub_gpu *)d)->pci);
    return 0;
}
EXPORT int nvmlDeviceGetBrand(dev d, int *b) {
    CHECK("nvmlDeviceGetBrand");
    if (!is_gpu(d)) return 2;
    *b = ((stub_gpu *)d)->brand;
    return 0;
}
EXPORT int nvmlDeviceGetPersistenceMode(dev d, int *p) {
    CHECK("nvmlDeviceGetPersistenceMode");
    if (!is_gpu(d)) return 2;
    *p = ((stub_gpu *)d)->persist;
    return 0;
}
EXPORT int nvmlDeviceGetMigMode(dev d, unsigned int *cur, unsigned int *pend) {
    CHECK("nvmlDeviceGetMigMode");
    if (!is_gpu(d)) return 2;
    stub_gpu *g = d;
    if (g->mig_na) return 3;
    *cur = (unsigned int)g->mig_cur;
    *pend = (unsigned int)g->mig_pend;
    return 0;
}
EXPORT int nvmlDeviceGetMaxMigDeviceCount(dev d, unsigned int *n) {
    CHECK("nvmlDeviceGetMaxMigDeviceCount");
    if (!is_gpu(d)) return 2;
    *n = STUB_MAX_MIG;
    return 0;
}
EXPORT int nvmlDeviceGetMigDeviceHandleByIndex(dev d, unsigned int i, dev *out) {
    CHECK("nvmlDeviceGetMigDeviceHandleByIndex");
    if (!is_gpu(d)) return 2;
    stub_gpu *g = d;
    for (int j = 0; j < g->n_mig; j++)
        if (g->mig[j].slot == (int)i) {
            *out = &g->mig[j];
            return 0;
        }
    return 6; /* NVML_ERROR_NOT_FOUND: empty slot */
}
EXPORT int nvmlDeviceGetGpuInstanceId(dev d, unsigned int *id) {
    CHECK("nvmlDeviceGetGpuInstanceId");
    stub_mig *m = as_mig(d);
    if (!m) return 2;
    *id = (unsigned int)m->gi;
    return 0;
}
EXPORT int nvmlDeviceGetComputeInstanceId(dev d, unsigned int *id) {
    CHECK("nvmlDeviceGetComputeInstanceId");
    stub_mig *m = as_mig(d);
    if (!m) return 2;
    *id = (unsigned int)m->ci;
    return 0;
}
