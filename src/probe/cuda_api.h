/* The CUDA driver API as gpumatch dlopens it: one loader shared by the probe
 * backend (cuda.c) and prove (src/prove). Not public. */
#ifndef GM_CUDA_API_H
#define GM_CUDA_API_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/error.h"

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct {
    unsigned char bytes[16];
} CUuuid;

enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_NO_DEVICE = 100,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
    /* CUjit_option values (cuda.h) */
    CU_JIT_WALL_TIME = 2,
    CU_JIT_INFO_LOG_BUFFER = 3,
    CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
    CU_JIT_ERROR_LOG_BUFFER = 5,
    CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
    CU_JIT_LOG_VERBOSE = 12,
};

typedef struct {
    void *h;
    const char *lib;
    bool inited;
    CUresult (*Init)(unsigned int);
    CUresult (*DriverGetVersion)(int *);
    CUresult (*DeviceGetCount)(int *);
    CUresult (*DeviceGet)(CUdevice *, int);
    CUresult (*DeviceGetName)(char *, int, CUdevice);
    CUresult (*DeviceGetAttribute)(int *, int, CUdevice);
    CUresult (*DeviceTotalMem_v2)(size_t *, CUdevice);
    CUresult (*DeviceGetUuid)(CUuuid *, CUdevice);          /* optional */
    CUresult (*DeviceGetPCIBusId)(char *, int, CUdevice);   /* optional */
    CUresult (*GetErrorString)(CUresult, const char **);    /* optional */
    /* Module loading (optional for probe; prove requires them). */
    CUresult (*GetErrorName)(CUresult, const char **);
    CUresult (*DevicePrimaryCtxRetain)(CUcontext *, CUdevice);
    CUresult (*DevicePrimaryCtxRelease)(CUdevice);         /* _v2 */
    CUresult (*CtxSetCurrent)(CUcontext);
    CUresult (*ModuleLoadDataEx)(CUmodule *, const void *, unsigned int, int *, void **);
    CUresult (*ModuleUnload)(CUmodule);
} gm_cuda_api;

/* dlopen()s override, else $GPUMATCH_CUDA_PATH, else libcuda.so.1, and
 * resolves the symbols above. GM_ENOTFOUND when the library is absent. */
int gm_cuda_api_load(gm_cuda_api *a, const char *override, gm_error *err);
/* cuGetErrorString text, or "unknown CUDA error". */
const char *gm_cuda_api_estr(const gm_cuda_api *a, CUresult r);
/* cuGetErrorName ("CUDA_ERROR_NO_BINARY_FOR_GPU"), or NULL if unknown. */
const char *gm_cuda_api_ename(const gm_cuda_api *a, CUresult r);
/* Sets the probe-style "LIB: CALL(IDX) failed: TEXT (CUDA error CODE)" message. */
int gm_cuda_api_fail(const gm_cuda_api *a, gm_error *err, CUresult r, const char *call, int idx);

#endif
