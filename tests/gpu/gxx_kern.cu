// g++-linked fixture, device part: nvcc -c; the host program is plain C++.
#include <cuda_runtime.h>

__global__ void scale(float *x) { x[threadIdx.x] *= 2.0f; }

extern "C" int gm_launch(float *h, int n, const char **err) {
    float *d = nullptr;
    size_t bytes = (size_t)n * sizeof *h;
    cudaError_t e = cudaMalloc(&d, bytes);
    if (e == cudaSuccess) e = cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) {
        scale<<<1, n>>>(d);
        e = cudaGetLastError();
    }
    if (e == cudaSuccess) e = cudaDeviceSynchronize();
    if (e == cudaSuccess) e = cudaMemcpy(h, d, bytes, cudaMemcpyDeviceToHost);
    *err = e == cudaSuccess ? "ok" : cudaGetErrorName(e);
    return e == cudaSuccess ? 0 : 1;
}
