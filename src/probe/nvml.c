/* NVML backend: dlopen(libnvidia-ml.so.1) and ask the driver directly.
 * Types and constants are declared here from NVIDIA's nvml.h documentation so
 * gpumatch builds without NVIDIA headers or libraries. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "probe/probe_int.h"

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;

enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_FUNCTION_NOT_FOUND = 13,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
};
enum { NVML_DEVICE_MIG_DISABLE = 0, NVML_DEVICE_MIG_ENABLE = 1 };

#define NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE 80
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96
#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96

typedef struct {
    unsigned long long total, free, used;
} nvmlMemory_t;

typedef struct {
    char busIdLegacy[16];
    unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
    char busId[32];
} nvmlPciInfo_t;

typedef struct {
    void *h;
    const char *lib;
    nvmlReturn_t (*Init_v2)(void);
    nvmlReturn_t (*Shutdown)(void);
    const char *(*ErrorString)(nvmlReturn_t);
    nvmlReturn_t (*SystemGetDriverVersion)(char *, unsigned int);
    nvmlReturn_t (*SystemGetCudaDriverVersion)(int *);
    nvmlReturn_t (*DeviceGetCount_v2)(unsigned int *);
    nvmlReturn_t (*DeviceGetHandleByIndex_v2)(unsigned int, nvmlDevice_t *);
    nvmlReturn_t (*DeviceGetUUID)(nvmlDevice_t, char *, unsigned int);
    nvmlReturn_t (*DeviceGetName)(nvmlDevice_t, char *, unsigned int);
    nvmlReturn_t (*DeviceGetCudaComputeCapability)(nvmlDevice_t, int *, int *);
    nvmlReturn_t (*DeviceGetMemoryInfo)(nvmlDevice_t, nvmlMemory_t *);
    /* optional: older drivers or non-datacenter GPUs lack them */
    nvmlReturn_t (*DeviceGetPciInfo)(nvmlDevice_t, nvmlPciInfo_t *);
    nvmlReturn_t (*DeviceGetMigMode)(nvmlDevice_t, unsigned int *, unsigned int *);
    nvmlReturn_t (*DeviceGetMaxMigDeviceCount)(nvmlDevice_t, unsigned int *);
    nvmlReturn_t (*DeviceGetMigDeviceHandleByIndex)(nvmlDevice_t, unsigned int, nvmlDevice_t *);
    nvmlReturn_t (*DeviceGetGpuInstanceId)(nvmlDevice_t, unsigned int *);
    nvmlReturn_t (*DeviceGetComputeInstanceId)(nvmlDevice_t, unsigned int *);
    nvmlReturn_t (*DeviceGetPersistenceMode)(nvmlDevice_t, int *);
    nvmlReturn_t (*DeviceGetBrand)(nvmlDevice_t, int *);
    nvmlReturn_t (*DeviceGetMinorNumber)(nvmlDevice_t, unsigned int *);
} nvml_api;

static const char *estr(const nvml_api *a, nvmlReturn_t r) {
    const char *s = a->ErrorString ? a->ErrorString(r) : NULL;
    return s ? s : "unknown NVML error";
}

static int fail(const nvml_api *a, gm_error *err, nvmlReturn_t r, const char *call, int idx) {
    return gm_probe_call_failed(err, a->lib, call, idx, estr(a, r), "NVML", (int)r);
}

#define SYM GM_PROBE_SYM

static int load(nvml_api *a, const gm_probe_opts *o, gm_error *err) {
    int rc = gm_probe_dlopen(o->nvml_lib, "GPUMATCH_NVML_PATH", "libnvidia-ml.so.1", &a->h, &a->lib, err);
    if (rc < 0)
        return rc;
    /* nvmlErrorString first so later messages can use it. */
    SYM(ErrorString, "nvmlErrorString", false);
    SYM(Init_v2, "nvmlInit_v2", true);
    SYM(Shutdown, "nvmlShutdown", true);
    SYM(SystemGetDriverVersion, "nvmlSystemGetDriverVersion", true);
    SYM(SystemGetCudaDriverVersion, "nvmlSystemGetCudaDriverVersion_v2", false);
    if (!a->SystemGetCudaDriverVersion)
        SYM(SystemGetCudaDriverVersion, "nvmlSystemGetCudaDriverVersion", false);
    SYM(DeviceGetCount_v2, "nvmlDeviceGetCount_v2", true);
    SYM(DeviceGetHandleByIndex_v2, "nvmlDeviceGetHandleByIndex_v2", true);
    SYM(DeviceGetUUID, "nvmlDeviceGetUUID", true);
    SYM(DeviceGetName, "nvmlDeviceGetName", true);
    SYM(DeviceGetCudaComputeCapability, "nvmlDeviceGetCudaComputeCapability", true);
    SYM(DeviceGetMemoryInfo, "nvmlDeviceGetMemoryInfo", true);
    SYM(DeviceGetPciInfo, "nvmlDeviceGetPciInfo_v3", false);
    SYM(DeviceGetMigMode, "nvmlDeviceGetMigMode", false);
    SYM(DeviceGetMaxMigDeviceCount, "nvmlDeviceGetMaxMigDeviceCount", false);
    SYM(DeviceGetMigDeviceHandleByIndex, "nvmlDeviceGetMigDeviceHandleByIndex", false);
    SYM(DeviceGetGpuInstanceId, "nvmlDeviceGetGpuInstanceId", false);
    SYM(DeviceGetComputeInstanceId, "nvmlDeviceGetComputeInstanceId", false);
    SYM(DeviceGetPersistenceMode, "nvmlDeviceGetPersistenceMode", false);
    SYM(DeviceGetBrand, "nvmlDeviceGetBrand", false);
    SYM(DeviceGetMinorNumber, "nvmlDeviceGetMinorNumber", false);
    return 0;
}

static long to_mib(unsigned long long bytes) { return (long)(bytes / (1024ull * 1024ull)); }

static int mig_instances(const nvml_api *a, nvmlDevice_t h, gm_device *d, gm_error *err) {
    unsigned int max = 0;
    if (!a->DeviceGetMaxMigDeviceCount || !a->DeviceGetMigDeviceHandleByIndex) return 0;
    nvmlReturn_t r = a->DeviceGetMaxMigDeviceCount(h, &max);
    if (r != NVML_SUCCESS) return fail(a, err, r, "nvmlDeviceGetMaxMigDeviceCount", d->index);
    for (unsigned int i = 0; i < max; i++) {
        nvmlDevice_t m;
        r = a->DeviceGetMigDeviceHandleByIndex(h, i, &m);
        if (r == NVML_ERROR_NOT_FOUND) continue; /* empty slot */
        if (r != NVML_SUCCESS)
            return fail(a, err, r, "nvmlDeviceGetMigDeviceHandleByIndex", d->index);
        gm_mig_instance *mi = gm_probe_add_mig(d);
        if (!mi) return gm_error_set(err, GM_ENOMEM, "out of memory");
        char buf[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
        if (a->DeviceGetUUID(m, buf, sizeof buf) == NVML_SUCCESS) {
            buf[sizeof buf - 1] = 0;
            mi->uuid = gm_strdup(buf);
        }
        if (a->DeviceGetName(m, buf, sizeof buf) == NVML_SUCCESS) {
            buf[sizeof buf - 1] = 0;
            mi->profile = gm_probe_mig_profile_from_name(buf);
        }
        nvmlMemory_t mem;
        if (a->DeviceGetMemoryInfo(m, &mem) == NVML_SUCCESS) mi->memory_mib = to_mib(mem.total);
        unsigned int id;
        if (a->DeviceGetGpuInstanceId && a->DeviceGetGpuInstanceId(m, &id) == NVML_SUCCESS)
            mi->gi = (int)id;
        if (a->DeviceGetComputeInstanceId && a->DeviceGetComputeInstanceId(m, &id) == NVML_SUCCESS)
            mi->ci = (int)id;
    }
    return 0;
}

static gm_mig_mode mig_mode(unsigned int v) {
    return v == NVML_DEVICE_MIG_ENABLE ? GM_MIG_ENABLED : GM_MIG_DISABLED;
}

static int device(const nvml_api *a, unsigned int i, gm_node *out, gm_error *err) {
    nvmlDevice_t h;
    nvmlReturn_t r = a->DeviceGetHandleByIndex_v2(i, &h);
    if (r != NVML_SUCCESS) return fail(a, err, r, "nvmlDeviceGetHandleByIndex_v2", (int)i);
    gm_device *d = gm_probe_add_device(out);
    if (!d) return gm_error_set(err, GM_ENOMEM, "out of memory");
    d->index = (int)i;

    char buf[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
    if ((r = a->DeviceGetUUID(h, buf, sizeof buf)) != NVML_SUCCESS)
        return fail(a, err, r, "nvmlDeviceGetUUID", (int)i);
    buf[sizeof buf - 1] = 0;
    d->uuid = gm_strdup(buf);
    if ((r = a->DeviceGetName(h, buf, sizeof buf)) != NVML_SUCCESS)
        return fail(a, err, r, "nvmlDeviceGetName", (int)i);
    buf[sizeof buf - 1] = 0;
    d->name = gm_strdup(buf);
    int maj = 0, min = 0;
    if ((r = a->DeviceGetCudaComputeCapability(h, &maj, &min)) != NVML_SUCCESS)
        return fail(a, err, r, "nvmlDeviceGetCudaComputeCapability", (int)i);
    if (maj < 1 || maj > 99 || min < 0 || min > 9)
        return gm_error_set(err, GM_EBACKEND,
                            "%s: nvmlDeviceGetCudaComputeCapability(%u) returned %d.%d", a->lib, i,
                            maj, min);
    d->cc.major = maj;
    d->cc.minor = min;
    nvmlMemory_t mem;
    if ((r = a->DeviceGetMemoryInfo(h, &mem)) != NVML_SUCCESS)
        return fail(a, err, r, "nvmlDeviceGetMemoryInfo", (int)i);
    d->memory_mib = to_mib(mem.total);

    if (a->DeviceGetPciInfo) {
        nvmlPciInfo_t pci;
        memset(&pci, 0, sizeof pci);
        if ((r = a->DeviceGetPciInfo(h, &pci)) == NVML_SUCCESS) {
            pci.busId[sizeof pci.busId - 1] = 0;
            d->pci_bus_id = gm_probe_norm_busid(pci.busId);
        } else if (r != NVML_ERROR_NOT_SUPPORTED) {
            return fail(a, err, r, "nvmlDeviceGetPciInfo_v3", (int)i);
        }
    }
    if (a->DeviceGetBrand) {
        int b = 0;
        if (a->DeviceGetBrand(h, &b) == NVML_SUCCESS) d->brand = gm_strdup(gm_probe_brand_word(b));
    }
    if (a->DeviceGetMinorNumber) {
        /* /dev/nvidia<minor>: the kernel's numbering, not NVML's index */
        unsigned int m = 0;
        if (a->DeviceGetMinorNumber(h, &m) == NVML_SUCCESS && m < 255) d->minor = (int)m;
    }
    if (a->DeviceGetPersistenceMode) {
        int p = 0;
        if (a->DeviceGetPersistenceMode(h, &p) == NVML_SUCCESS)
            d->persistence_mode = p ? GM_TRI_YES : GM_TRI_NO;
    }
    if (a->DeviceGetMigMode) {
        unsigned int cur = 0, pend = 0;
        r = a->DeviceGetMigMode(h, &cur, &pend);
        if (r == NVML_SUCCESS) {
            d->mig_mode = mig_mode(cur);
            d->mig_pending = mig_mode(pend);
            if (cur == NVML_DEVICE_MIG_ENABLE) {
                int rc = mig_instances(a, h, d, err);
                if (rc < 0) return rc;
            }
        } else if (r == NVML_ERROR_NOT_SUPPORTED || r == NVML_ERROR_FUNCTION_NOT_FOUND) {
            d->mig_mode = GM_MIG_UNSUPPORTED;
        } else {
            return fail(a, err, r, "nvmlDeviceGetMigMode", (int)i);
        }
    }
    if ((d->uuid == NULL) || (d->name == NULL)) return gm_error_set(err, GM_ENOMEM, "out of memory");
    return 0;
}

static int query(const nvml_api *a, gm_node *out, gm_error *err) {
    char ver[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
    nvmlReturn_t r = a->SystemGetDriverVersion(ver, sizeof ver);
    if (r != NVML_SUCCESS) return fail(a, err, r, "nvmlSystemGetDriverVersion", -1);
    ver[sizeof ver - 1] = 0;
    if (gm_driver_version_parse(ver, &out->driver, err) < 0)
        return gm_error_prefix(err, "%s: nvmlSystemGetDriverVersion: ", a->lib);
    if (a->SystemGetCudaDriverVersion) {
        int cv = 0;
        if (a->SystemGetCudaDriverVersion(&cv) == NVML_SUCCESS &&
            gm_cuda_version_from_int(cv, &out->cuda_driver, NULL) == 0)
            out->has_cuda_driver = true;
    }
    unsigned int n = 0;
    if ((r = a->DeviceGetCount_v2(&n)) != NVML_SUCCESS)
        return fail(a, err, r, "nvmlDeviceGetCount_v2", -1);
    if (n > 1024)
        return gm_error_set(err, GM_EBACKEND, "%s: nvmlDeviceGetCount_v2 returned %u", a->lib, n);
    for (unsigned int i = 0; i < n; i++) {
        int rc = device(a, i, out, err);
        if (rc < 0) return rc;
    }
    return 0;
}

int gm_probe_nvml(const gm_probe_opts *o, gm_node *out, gm_error *err) {
    nvml_api a;
    memset(&a, 0, sizeof a);
    int rc = load(&a, o, err);
    if (rc < 0) {
        if (a.h) dlclose(a.h);
        return rc;
    }
    nvmlReturn_t r = a.Init_v2();
    if (r != NVML_SUCCESS) {
        if (r == NVML_ERROR_DRIVER_NOT_LOADED)
            rc = gm_error_set(err, GM_ENODRIVER, "no NVIDIA driver loaded (%s: %s)", a.lib,
                              estr(&a, r));
        else
            rc = fail(&a, err, r, "nvmlInit_v2", -1);
        if (r == NVML_ERROR_LIB_RM_VERSION_MISMATCH) {
            gm_driver_version kv;
            char b[GM_VERSION_STR_MAX];
            if (gm_probe_procfs_version(o->root, &kv, NULL) == 0 && err)
                gm_error_prefix(err, "kernel module is %s, user-space library differs: ",
                                gm_driver_version_str(&kv, b));
        }
        dlclose(a.h);
        return rc;
    }
    rc = query(&a, out, err);
    a.Shutdown();
    dlclose(a.h);
    return rc;
}
