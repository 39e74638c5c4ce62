#!/bin/bash
# The loader model on real nvcc programs: which fat binaries a program needs.
# Verdicts come from the flags and NVIDIA's documents, not from gpumatch:
# - `nvcc -arch=sm_80` = `-gencode arch=compute_80,code=[sm_80,compute_80]`
#   (nvcc manual, "-arch=sm_XY is shorthand for ... code=sm_XY,compute_XY").
# - "A cubin generated for a certain compute capability is supported to run on
#   any GPU with the same major revision and same or higher minor revision"
#   (CUDA Programming Guide, binary compatibility): sm_80 runs on 8.0 and 8.6.
# - PTX "can be ... compiled at runtime ... by the driver" for any newer GPU
#   (same guide, application compatibility): compute_80 JIT-compiles on 9.0,
#   10.0 and 12.0, given a driver that knows the PTX ISA (9.0 = CUDA 13.0).
# - nvcc's whole-program executable also carries a device-link fat binary
#   whose cubin defines no function (no .text section; `*_dlink.reg.c` has
#   NUM_PRELINKED_OBJECTS 0): nothing is launched from it, so it cannot be
#   the reason a GPU is refused (issue 11).
# - The static CUDA 13.0 runtime needs a driver >= 580 (CUDA 13.0 release
#   notes, minor version compatibility "13.x >= 580").
. "$GM_SRC/tests/lib.sh"
NVCC=$(command -v nvcc || true)
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
[ -n "$NVCC" ] || skip "nvcc not found (PATH, /usr/local/cuda/bin)"
CUDA_LIB=$(dirname "$(dirname "$(readlink -f "$NVCC")")")/lib64
G="$GPUMATCH"
W="$GM_TMP/w"
mkdir -p "$W"
cat >"$W/app.cu" <<'EOF'
#include <cstdio>
__global__ void k(float *x) { x[threadIdx.x] += 1.0f; }
int main() { float *d; cudaMalloc(&d, 64); k<<<1, 16>>>(d); return (int)cudaDeviceSynchronize(); }
EOF
"$NVCC" -arch=sm_80 "$W/app.cu" -o "$W/app" --keep --keep-dir "$W" >"$W/log" 2>&1 &
"$NVCC" -arch=sm_80 -c "$W/app.cu" -o "$W/app_gxx.o" >>"$W/log" 2>&1
wait
[ -x "$W/app" ] || { cat "$W/log"; fail "nvcc -arch=sm_80 app.cu failed"; finish; }
# The device-link step really registers nothing (what the model relies on).
grep -q 'NUM_PRELINKED_OBJECTS 0' "$W"/app_dlink.reg.c || fail "nvcc's dlink.reg.c registers objects"
GXX=$(command -v g++ || command -v c++ || true)
if [ -n "$GXX" ]; then
    "$GXX" -o "$W/app_gxx" "$W/app_gxx.o" -L"$CUDA_LIB" -lcudart_static -ldl -lpthread -lrt \
        >>"$W/log" 2>&1 || fail "g++ link failed: $(tail -3 "$W/log")"
fi

node() { # name driver cuda cc
    cat <<EOF
{"hostname": "$1", "driver_version": "$2", "cuda_driver_version": "$3",
 "devices": [{"index": 0, "uuid": "GPU-00000000-0000-0000-0000-000000000000", "name": "gpu",
              "brand": "nvidia", "compute_capability": "$4", "memory_mib": 81920}]}
EOF
}
# One node per compute capability, all with a CUDA 13.0 driver.
for cc in 8.0 8.6 9.0 10.0 12.0; do node "cc$cc" 580.65.06 13.0 "$cc" >"$W/n$cc.json"; done
node old 575.51.03 12.9 9.0 >"$W/old.json"

for prog in app app_gxx; do
    [ -x "$W/$prog" ] || continue
    run "$G" inspect "$W/$prog"
    expect_rc 0 "inspect $prog"
    expect_out "requirement: 1 module (0 optional), CUDA runtime 13.0"
    [ "$prog" = app ] && expect_out "kernel-less, not required"
    run "$G" inspect --json -o "$W/$prog.json" "$W/$prog"
    expect_rc 0 "inspect --json $prog"
    for cc in 8.0 8.6 9.0 10.0 12.0; do
        run "$G" check --node "$W/n$cc.json" --require "$W/$prog.json"
        expect_rc 0 "$prog (sm_80 + compute_80) on CC $cc"
    done
    run "$G" check --node "$W/old.json" --require "$W/$prog.json"
    expect_rc 1 "$prog (static CUDA 13.0 runtime) on driver 575"
    # The same in one step: check --require on the binary itself.
    run "$G" check --node "$W/n9.0.json" --require "$W/$prog"
    expect_rc 0 "check --require $prog (binary) on CC 9.0"
    run "$G" check --node "$W/old.json" --require "$W/$prog"
    expect_rc 1 "check --require $prog (binary) on driver 575"
done

# A tree: a plugin shipped as alternatives that differ by CUDA version in the
# name (as bitsandbytes ships libbitsandbytes_cuda118.so ... _cuda132.so and
# loads one). libalt_cuda120.so has only sm_75, libalt_cuda130.so only sm_90:
# by the cubin rule (same major, minor >= ; no PTX), CC 7.5 runs the first,
# 9.0 the second, 8.0 neither. Intersecting the files would refuse every GPU.
# A second entry point, a program with its own library (DT_NEEDED closure),
# must run too: libk.so has sm_75 and sm_90 cubins.
printf '__global__ void ka(float *x) { x[0] = 1; }\nvoid alt(void) { ka<<<1, 1>>>(0); }\n' >"$W/alt.cu"
printf '__global__ void kk(float *x) { x[0] = 2; }\nvoid kfn(void) { kk<<<1, 1>>>(0); }\n' >"$W/k.cu"
printf 'void kfn(void);\nint main() { kfn(); return 0; }\n' >"$W/main.cu"
T="$W/tree"
mkdir -p "$T/plugin" "$T/bin"
"$NVCC" -shared -Xcompiler -fPIC -gencode arch=compute_75,code=sm_75 -o "$T/plugin/libalt_cuda120.so" "$W/alt.cu" >>"$W/log" 2>&1 &
"$NVCC" -shared -Xcompiler -fPIC -gencode arch=compute_90,code=sm_90 -o "$T/plugin/libalt_cuda130.so" "$W/alt.cu" >>"$W/log" 2>&1
wait
"$NVCC" -shared -Xcompiler -fPIC -gencode arch=compute_75,code=sm_75 -gencode arch=compute_90,code=sm_90 -o "$T/bin/libk.so" "$W/k.cu" >>"$W/log" 2>&1 &&
"$NVCC" -o "$T/bin/prog" "$W/main.cu" -L"$T/bin" -lk -Xlinker -rpath='$ORIGIN' >>"$W/log" 2>&1 ||
    fail "nvcc tree build failed: $(tail -3 "$W/log")"
node t4 580.65.06 13.0 7.5 >"$W/t4.json"
node a100 580.65.06 13.0 8.0 >"$W/a100.json"
node h100 580.65.06 13.0 9.0 >"$W/h100.json"
run "$G" inspect --json -o "$W/tree.json" "$T"
expect_rc 0 "inspect tree"
grep -q '"entry_points"' "$W/tree.json" || fail "tree requirement has no entry_points"
run "$G" inspect "$T"
expect_out "libalt_cuda*.so (2 alternatives)"
run "$G" check --node "$W/t4.json" --require "$W/tree.json"
expect_rc 0 "tree on CC 7.5 (libalt_cuda120.so)"
expect_out "1 of 2 variants fit"
run "$G" check --node "$W/h100.json" --require "$W/tree.json"
expect_rc 0 "tree on CC 9.0 (libalt_cuda130.so)"
run "$G" check --node "$W/a100.json" --require "$W/tree.json"
expect_rc 1 "tree on CC 8.0 (no variant has code for 8.0)"
expect_out "none of its 2 variants fits"
# Without the CC 9.0 code in the program's library, H100 is refused by that
# entry point even though a plugin variant fits.
"$NVCC" -shared -Xcompiler -fPIC -gencode arch=compute_75,code=sm_75 -o "$T/bin/libk.so" "$W/k.cu" >>"$W/log" 2>&1
run "$G" check --node "$W/h100.json" --require "$T"
expect_rc 1 "tree whose program lacks sm_90 on CC 9.0"
expect_out "bin/prog"
finish