#!/bin/bash
# Real CUDA software from PyPI (fetched by scripts/fetch-corpus into a cache
# outside the tree; this test never downloads). Expected verdicts on
# samples/cluster.json come from NVIDIA's and the projects' documents:
#  - CUDA Compatibility guide, minor version compatibility (Table 2): a CUDA
#    12.x application runs on a driver >= 525.60.13, an 11.x one on >= 450.80.02.
#    samples/cluster.json: t4-01 470.57.02, v100-01 450.80.02, a100-01 535,
#    l4-01 550, h100-01 580, b200-01 570.
#  - CUDA 12.9 release notes: the toolkit (and its math libraries, cuFFT 11.4.1
#    = nvidia-cufft-cu12 11.4.1.4) supports compute capability 5.0 to 12.x.
#  - CUDA 11.8 release notes: cuFFT 10.9.0.58 (nvidia-cufft-cu11), CC 3.5 to
#    9.0; newer GPUs through the PTX it ships ("applications built with CUDA
#    11.8 run on Blackwell when they include PTX", Blackwell compatibility guide).
#  - JAX installation guide: the CUDA 12 plugin needs an NVIDIA GPU of SM 5.2
#    or newer and a driver for CUDA 12 (>= 525).
#  - CuPy installation guide: cupy-cuda12x needs CUDA 12.x driver (>= 525).
# So: cu12 software fits a100-01 l4-01 h100-01 b200-01 (t4-01 and v100-01 have
# pre-525 drivers); cu11 cuFFT fits all six.
. "$GM_SRC/tests/lib.sh"
C=${GPUMATCH_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/gpumatch}
G="$GPUMATCH"
S="$GM_SRC/samples/cluster.json"
CU12="4 of 6 nodes fit: a100-01 l4-01 h100-01 b200-01"
N=0
wheel() { compgen -G "$C/wheels/$1" | head -1; }

# Cached wheels and unpacked files; a missing one is reported, not passed.
W_CUFFT12=$(wheel 'nvidia_cufft_cu12-11.4.1.4-*.whl')
F_CUFFT11=$C/corpus/cufft11/nvidia/cufft/lib/libcufft.so.10
W_JAX=$(wheel 'jax_cuda12_plugin-0.10.2-*.whl')
W_CUPY=$(wheel 'cupy_cuda12x-14.2.0-*.whl')
F_LT=$C/corpus/cublas12/nvidia/cublas/lib/libcublasLt.so.12

if [ -n "$W_CUFFT12" ]; then
    # cuFFT keeps its kernels in ~24 000 fat binaries inside .ldata; .nv_fatbin
    # holds one kernel-less sm_52 stub (read alone: "usable only on 5.2").
    # Read straight from the wheel, once (inflating it is most of the cost).
    run "$G" check --node "$S" --require "$W_CUFFT12"
    expect_rc 0 "check --require nvidia-cufft-cu12 wheel"
    expect_out "$CU12"
    N=$((N + 1))
else echo "missing: nvidia-cufft-cu12 11.4.1.4 wheel (scripts/fetch-corpus)"; fi

if [ -f "$F_CUFFT11" ]; then
    run "$G" check --node "$S" --require "$F_CUFFT11"
    expect_rc 0 "check --require libcufft.so.10 (cu11)"
    expect_out "6 of 6 nodes fit"
    run "$G" inspect "$F_CUFFT11"
    expect_out "(embedded in data: loaded by the program itself)"
    expect_out "kernel-less, not required"
    N=$((N + 1))
else echo "missing: $F_CUFFT11 (scripts/fetch-corpus)"; fi

for w in "$W_JAX" "$W_CUPY"; do
    [ -n "$w" ] || { echo "missing: jax-cuda12-plugin 0.10.2 / cupy-cuda12x 14.2.0 wheel"; continue; }
    run "$G" check --node "$S" --require "$w"
    expect_rc 0 "check --require $(basename "$w")"
    expect_out "$CU12"
    N=$((N + 1))
done

if [ -f "$F_LT" ]; then
    # cuBLASLt 12.9.1.4: PTX ISA 8.8 (first emitted by CUDA 12.9) and cubin
    # notes of 12.8 and 12.9 builds. The strongest evidence is 12.9, with and
    # without --verify (which reads the notes of compressed cubins).
    run "$G" inspect --json "$F_LT"
    expect_out '"cuda_runtime": "12.9"'
    run "$G" inspect --verify --json "$F_LT"
    expect_rc 0 "inspect --verify libcublasLt.so.12"
    expect_out '"cuda_runtime": "12.9"'
    N=$((N + 1))
else echo "missing: $F_LT (scripts/fetch-corpus)"; fi

[ "$N" -gt 0 ] || skip "no wheel corpus under $C (run scripts/fetch-corpus)"
finish
