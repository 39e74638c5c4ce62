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
echo "compared $COMPARED files with $CO"
finish
