#!/bin/bash
# gpumatch inspect --list against `cuobjdump --list-elf --list-ptx`, line for
# line, on the fixtures and on a few small real CUDA libraries.
. "$GM_SRC/tests/lib.sh"
G="$GPUMATCH"
find_cuobjdump() {
    local c
    for c in "${CUOBJDUMP:-}" "$(command -v cuobjdump 2>/dev/null)" /usr/local/cuda/bin/cuobjdump \
        "$GM_BUILD"/cuobjdump/nvidia/*/bin/cuobjdump; do
        [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return; }
    done
}
CO=$(find_cuobjdump)
# scripts/test-artefacts fetches the PyPI wheel (nvidia-cuda-cuobjdump) into the cache.
[ -z "$CO" ] && CO=$(find "${XDG_CACHE_HOME:-$HOME/.cache}/gpumatch/cuobjdump" -name cuobjdump \
    -type f -perm -u+x 2>/dev/null | head -1)
[ -n "$CO" ] || skip "cuobjdump not found (run scripts/test-artefacts, or set CUOBJDUMP)"
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
