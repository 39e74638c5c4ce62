// -rdc=true fixture, part 1: the kernel calls a device function of another
// translation unit (resolved by nvlink's device link step).
#include <cstdio>
#include <cuda_runtime.h>

extern __device__ float twice(float v);
__global__ void scale(float *x) { x[threadIdx.x] = twice(x[threadIdx.x]); }

int main() {
    float h[64], *d = nullptr;
    for (int i = 0; i < 64; i++) h[i] = (float)i;
    cudaError_t e = cudaMalloc(&d, sizeof h);
    if (e == cudaSuccess) e = cudaMemcpy(d, h, sizeof h, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) {
        scale<<<1, 64>>>(d);
        e = cudaGetLastError();
    }
    if (e == cudaSuccess) e = cudaDeviceSynchronize();
    if (e == cudaSuccess) e = cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost);
    if (e == cudaSuccess && h[63] != 126.0f) {
        printf("launch: wrong result %g\n", h[63]);
        return 1;
    }
    printf("launch: %s\n", e == cudaSuccess ? "ok" : cudaGetErrorName(e));
    return e == cudaSuccess ? 0 : 1;
}
