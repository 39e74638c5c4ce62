// Kernel-less fixture: uses the CUDA runtime but has no device code.
#include <cstdio>
#include <cuda_runtime.h>

int main() {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e == cudaSuccess) e = cudaFree(nullptr); /* creates the context */
    printf("launch: %s\n", e == cudaSuccess ? "ok" : cudaGetErrorName(e));
    return e == cudaSuccess ? 0 : 1;
}
