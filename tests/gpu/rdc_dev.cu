// -rdc=true fixture, part 2: the device function.
__device__ float twice(float v) { return 2.0f * v; }
