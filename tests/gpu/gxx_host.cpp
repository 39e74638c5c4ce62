// g++-linked fixture, host part (compiled and linked by g++, not nvcc).
#include <cstdio>

extern "C" int gm_launch(float *h, int n, const char **err);

int main() {
    float h[64];
    for (int i = 0; i < 64; i++) h[i] = (float)i;
    const char *err = "?";
    int rc = gm_launch(h, 64, &err);
    if (rc == 0 && h[63] != 126.0f) {
        std::printf("launch: wrong result %g\n", h[63]);
        return 1;
    }
    std::printf("launch: %s\n", err);
    return rc;
}
