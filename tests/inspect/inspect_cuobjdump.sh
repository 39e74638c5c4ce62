#!/bin/bash
# gpumatch inspect --list against `cuobjdump --list-elf --list-ptx`, line for
# line, on the fixtures and on a few small real CUDA libraries.
. "$GM_SRC/tests/lib.sh"
G="$GPUMATCH"
CORPUS=${GPUMATCH_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/gpumatch} # scripts/fetch-corpus
find_cuobjdump() {
    local c
    for c in "${CUOBJDUMP:-}" "$(command -v cuobjdump 2>/dev/null)" /usr/local/cuda/bin/cuobjdump \
        "$CORPUS"/corpus/cuobjdump/nvidia/*/bin/cuobjdump \
        "$GM_BUILD"/cuobjdump/nvidia/*/bin/cuobjdump "$GM_BUILD"/cuobjdump/nvidia/cuda_cuobjdump/bin/cuobjdump; do
        [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return; }
    done
}
CO=$(find_cuobjdump)
# No download here: scripts/test's setup fetches the wheel into the cache.
[ -n "$CO" ] || skip "cuobjdump not found (run scripts/fetch-corpus, or set CUOBJDUMP)"
"$CO" --version >/dev/null 2>&1 || skip "cuobjdump at $CO does not run"

compare() {
    local f=$1 want got
    want=$("$CO" --list-elf --list-ptx "$f" 2>/dev/null)
    run "$G" inspect --list "$f"
    expect_rc 0 "inspect --list $f"
    got=$OUT
    if [ "$want" != "$got" ]; then
        fail "$f: --list differs from cuobjdump: $(diff <(echo "$want") <(echo "$got") | head -5)"
    fi
    COMPARED=$((COMPARED + 1))
}
COMPARED=0
cd "$GM_SRC/tests/inspect/data" || exit 1
# cuobjdump names members by the absolute path given, so pass absolute paths.
for f in *.fatbin *.cubin *.o *.a app_shared; do compare "$PWD/$f"; done
L=/usr/local/cuda/lib64
for f in "$L"/libcudadevrt.a "$L"/libculibos.a "$L"/libcufftw.so.* "$L"/libcudnn_cnn.so.* "$L"/libcudart.so.*; do
    [ -f "$f" ] && [ ! -L "$f" ] && compare "$f"
done

# nvcc -G / -lineinfo pass --ident to fatbinary: cuobjdump names those entries
# after the identifier ("k.sm_80.cubin"), without an index.
NVCC=$(command -v nvcc || true)
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
W="$GM_TMP/cuobj"
mkdir -p "$W"
if [ -n "$NVCC" ]; then
    printf '__global__ void k(float *x) { x[threadIdx.x] += 1.0f; }\nint main() { k<<<1, 1>>>(0); return 0; }\n' >"$W/k.cu"
    "$NVCC" -G -arch=sm_80 -o "$W/app_g" "$W/k.cu" >/dev/null 2>&1 &
    "$NVCC" -lineinfo -arch=sm_80 -gencode arch=compute_90,code=sm_90 -o "$W/app_lineinfo" "$W/k.cu" >/dev/null 2>&1
    wait
    for f in app_g app_lineinfo; do
        if [ -f "$W/$f" ]; then compare "$W/$f"; else fail "nvcc build of $f failed"; fi
    done
else
    echo "nvcc not found: -G/-lineinfo comparison not run"
fi
# Old-ABI cubins from ptxas 12.4/12.9 (PyPI nvidia-cuda-nvcc-cu12): sm_90a is
# EI_OSABI 0x33 with e_flags bit 0x800 (0x5a0d5a); cuobjdump says sm_90a.
printf '.version 8.0\n.target sm_90a\n.address_size 64\n.visible .entry k(.param .u64 p)\n{\n\tret;\n}\n' >"$W/k80.ptx"
NPTXAS=0
for px in "$CORPUS"/corpus/nvcc12*/nvidia/cuda_nvcc/bin/ptxas; do
    [ -x "$px" ] || continue
    v=${px#"$CORPUS"/corpus/}; v=${v%%/*}
    "$px" -arch=sm_90a "$W/k80.ptx" -o "$W/${v}_sm90a.cubin" || { fail "$px failed"; continue; }
    compare "$W/${v}_sm90a.cubin"
    run "$G" inspect --json "$W/${v}_sm90a.cubin"
    expect_out '"sm_90a"'
    NPTXAS=$((NPTXAS + 1))
done
[ "$NPTXAS" -gt 0 ] || echo "no ptxas 12.x under $CORPUS (scripts/fetch-corpus): old-ABI sm_90a not compared"
echo "compared $COMPARED files with $CO"
finish
