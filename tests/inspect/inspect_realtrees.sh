#!/usr/bin/env bash
# Real software trees against the sample cluster, answers derived from NVIDIA's
# CUDA Toolkit Release Notes (Table 2, "CUDA Minor Version Compatibility": 13.x
# needs >= 580, 12.x >= 525.60.13) and from what each tree states about itself.
. "$GM_SRC/tests/lib.sh"
G=$GPUMATCH
S=$GM_SRC/samples
C=${GPUMATCH_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/gpumatch}
ran=0

# CUDA 13.0's own lib64: its libraries link libcudart.so.13, so every node needs a
# driver >= 580 (minor version compatibility minimum for 13.x). Of the sample
# nodes only h100-01 (580.95.05) has one; a100/l4/b200 (535/550/570) do not.
if [ -e /usr/local/cuda/lib64/libcudart.so.13 ]; then
    ran=1
    run "$G" check --node "$S/cluster.json" --require /usr/local/cuda/lib64
    expect_rc 0 "lib64"
    expect_out "1 of 6 nodes fit: h100-01"
    expect_out "driver 570.124.06 < 580 required by CUDA 13.0 runtime"
fi

# PyTorch 2.9.1's PyPI wheel pins nvidia-cuda-runtime-cu12==12.8.90 (its METADATA):
# a CUDA 12.8 program, so drivers >= 525.60.13 run it; its kernels cover the
# A100/L4/H100/B200 GPUs, so a100-01, l4-01, h100-01, b200-01 fit, and the T4
# (470) and V100 (450) nodes are refused for their drivers.
T=$(ls "$C"/wheels/torch-2.9.1-*.whl 2>/dev/null | head -1)
if [ -n "$T" ]; then
    ran=1
    unzip -p "$T" 'torch-2.9.1.dist-info/METADATA' | grep -q 'nvidia-cuda-runtime-cu12==12.8' \
        || fail "torch wheel METADATA no longer pins the CUDA 12.8 runtime"
    run "$G" check --node "$S/cluster.json" --require "$T"
    expect_rc 0 "torch wheel"
    expect_out "4 of 6 nodes fit: a100-01 l4-01 h100-01 b200-01"
    expect_out "driver 470.57.02 < 525.60.13 required by CUDA 12.8 runtime"
fi
[ "$ran" = 1 ] || skip "neither CUDA 13 lib64 nor the torch wheel (scripts/fetch-corpus with GPUMATCH_CORPUS_TORCH=1)"
finish
