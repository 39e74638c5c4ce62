/* CUDA driver API backend: dlopen(libcuda.so.1). Used when NVML is missing and
 * as a cross-check. It knows the CUDA version the driver supports but not the
 * driver's own version, which probe.c takes from /proc when it can. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "probe/probe_int.h"
#include "probe/cuda_api.h"

const char *gm_cuda_api_estr(const gm_cuda_api *a, CUresult r) {
    const char *s = NULL;
    if (a->GetErrorString && a->GetErrorString(r, &s) == CUDA_SUCCESS && s) return s;
    return "unknown CUDA error";
}

const char *gm_cuda_api_ename(const gm_cuda_api *a, CUresult r) {
    const char *s = NULL;
    if (a->GetErrorName && a->GetErrorName(r, &s) == CUDA_SUCCESS && s) return s;
    return NULL;
}

int gm_cuda_api_fail(const gm_cuda_api *a, gm_error *err, CUresult r, const char *call, int idx) {
    return gm_probe_call_failed(err, a->lib, call, idx, gm_cuda_api_estr(a, r), "CUDA", (int)r);
}

#define fail gm_cuda_api_fail
#define SYM GM_PROBE_SYM

int gm_cuda_api_load(gm_cuda_api *a, const char *override, gm_error *err) {
    int rc = gm_probe_dlopen(override, "GPUMATCH_CUDA_PATH", "libcuda.so.1", &a->h, &a->lib, err);
    if (rc < 0)
        return rc;
    SYM(GetErrorString, "cuGetErrorString", false);
    SYM(Init, "cuInit", true);
    SYM(DriverGetVersion, "cuDriverGetVersion", true);
    SYM(DeviceGetCount, "cuDeviceGetCount", true);
    SYM(DeviceGet, "cuDeviceGet", true);
    SYM(DeviceGetName, "cuDeviceGetName", true);
    SYM(DeviceGetAttribute, "cuDeviceGetAttribute", true);
    SYM(DeviceTotalMem_v2, "cuDeviceTotalMem_v2", true);
    SYM(DeviceGetUuid, "cuDeviceGetUuid", false);
    SYM(DeviceGetPCIBusId, "cuDeviceGetPCIBusId", false);
    SYM(GetErrorName, "cuGetErrorName", false);
    SYM(DevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", false);
    SYM(DevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", false);
    SYM(CtxSetCurrent, "cuCtxSetCurrent", false);
    SYM(ModuleLoadDataEx, "cuModuleLoadDataEx", false);
    SYM(ModuleUnload, "cuModuleUnload", false);
    return 0;
}

static int device(const gm_cuda_api *a, int i, gm_node *out, gm_error *err) {
    CUdevice dev;
    CUresult r = a->DeviceGet(&dev, i);
    if (r != CUDA_SUCCESS) return fail(a, err, r, "cuDeviceGet", i);
    gm_device *d = gm_probe_add_device(out);
    if (!d) return gm_error_set(err, GM_ENOMEM, "out of memory");
    d->index = i; /* CUDA ordinal; equals NVML's index only with CUDA_DEVICE_ORDER=PCI_BUS_ID */
    char name[256];
    if ((r = a->DeviceGetName(name, (int)sizeof name, dev)) != CUDA_SUCCESS)
        return fail(a, err, r, "cuDeviceGetName", i);
    name[sizeof name - 1] = 0;
    if (!(d->name = gm_strdup(name))) return gm_error_set(err, GM_ENOMEM, "out of memory");
    int maj = 0, min = 0;
    if ((r = a->DeviceGetAttribute(&maj, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev)) !=
            CUDA_SUCCESS ||
        (r = a->DeviceGetAttribute(&min, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev)) !=
            CUDA_SUCCESS)
        return fail(a, err, r, "cuDeviceGetAttribute", i);
    if (maj < 1 || maj > 99 || min < 0 || min > 9)
        return gm_error_set(err, GM_EBACKEND, "%s: device %d reports compute capability %d.%d",
                            a->lib, i, maj, min);
    d->cc.major = maj;
    d->cc.minor = min;
    size_t bytes = 0;
    if ((r = a->DeviceTotalMem_v2(&bytes, dev)) != CUDA_SUCCESS)
        return fail(a, err, r, "cuDeviceTotalMem_v2", i);
    d->memory_mib = (long)(bytes / (1024u * 1024u));
    CUuuid u;
    if (a->DeviceGetUuid && a->DeviceGetUuid(&u, dev) == CUDA_SUCCESS) {
        const unsigned char *b = u.bytes;
        d->uuid = gm_asprintf("GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                              "%02x%02x%02x%02x%02x%02x",
                              b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
                              b[11], b[12], b[13], b[14], b[15]);
    }
    char bus[64];
    if (a->DeviceGetPCIBusId && a->DeviceGetPCIBusId(bus, (int)sizeof bus, dev) == CUDA_SUCCESS) {
        bus[sizeof bus - 1] = 0;
        d->pci_bus_id = gm_probe_norm_busid(bus);
    }
    return 0;
}

int gm_probe_cuda(const gm_probe_opts *o, gm_node *out, gm_error *err) {
    gm_cuda_api a;
    memset(&a, 0, sizeof a);
    int rc = gm_cuda_api_load(&a, o->cuda_lib, err);
    if (rc < 0) goto done;
    int v = 0;
    CUresult r = a.DriverGetVersion(&v);
    if (r != CUDA_SUCCESS) {
        rc = fail(&a, err, r, "cuDriverGetVersion", -1);
        goto done;
    }
    if (gm_cuda_version_from_int(v, &out->cuda_driver, err) < 0) {
        rc = gm_error_prefix(err, "%s: cuDriverGetVersion: ", a.lib);
        goto done;
    }
    out->has_cuda_driver = true;
    r = a.Init(0);
    a.inited = true;
    if (r == CUDA_ERROR_NO_DEVICE) goto done; /* driver, but no usable GPU */
    if (r != CUDA_SUCCESS) {
        rc = fail(&a, err, r, "cuInit", -1);
        goto done;
    }
    int n = 0;
    if ((r = a.DeviceGetCount(&n)) != CUDA_SUCCESS) {
        rc = fail(&a, err, r, "cuDeviceGetCount", -1);
        goto done;
    }
    if (n < 0 || n > 1024) {
        rc = gm_error_set(err, GM_EBACKEND, "%s: cuDeviceGetCount returned %d", a.lib, n);
        goto done;
    }
    for (int i = 0; i < n && rc == 0; i++) rc = device(&a, i, out, err);
done:
    /* libcuda cannot be safely unloaded once cuInit ran; before that it can. */
    if (rc < 0 && a.h && !a.inited) dlclose(a.h);
    return rc;
}
