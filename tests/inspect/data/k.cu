// Tiny kernel for fixtures: one module, one kernel.
__global__ void scale(float *x) { x[threadIdx.x] *= 2.0f; }
int main() {
    float *d;
    cudaMalloc(&d, 64);
    scale<<<1, 16>>>(d);
    return cudaDeviceSynchronize() != cudaSuccess;
}
