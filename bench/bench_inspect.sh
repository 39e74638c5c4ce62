#!/bin/bash
# gpumatch inspect vs cuobjdump: libcublasLt and a whole CUDA library tree,
# warm page cache, same run. Prints time, throughput (file bytes/s), the ratio
# and whether both list the same targets (--list vs --list-elf --list-ptx).
# usage: bench/bench_inspect.sh [GPUMATCH] [LIBDIR] [CUOBJDUMP]
set -u
G=${1:-${GPUMATCH:-build/gpumatch}}
L=${2:-/usr/local/cuda/lib64}
CO=${3:-${CUOBJDUMP:-$(command -v cuobjdump || echo /usr/local/cuda/bin/cuobjdump)}}
[ -x "$G" ] || { echo "gpumatch binary not found: $G" >&2; exit 2; }
[ -x "$CO" ] || { echo "cuobjdump not found: $CO (pip download nvidia-cuda-cuobjdump)" >&2; exit 2; }
mapfile -t FILES < <(find "$L/" -maxdepth 1 -type f | sort) # symlinks skipped, as the walker does
now() { date +%s.%N; }
bytes() { stat -L -c %s "$@" | awk '{s += $1} END {print s}'; }
best() { # best-of-N wall seconds of a command
    local n=$1 b=999999 t0 t1 d; shift
    for _ in $(seq "$n"); do
        t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
        b=$(awk -v a="$t0" -v c="$t1" -v b="$b" 'BEGIN { d = c - a; print (d < b ? d : b) }')
    done
    echo "$b"
}
cuobj_all() { for f in "$@"; do "$CO" --list-elf --list-ptx "$f" 2>/dev/null; done; }
row() { # label bytes t_gpumatch t_cuobjdump
    awk -v l="$1" -v b="$2" -v g="$3" -v c="$4" 'BEGIN {
        printf "%-26s %8.1f MB  gpumatch %8.4f s (%7.1f GB/s)  cuobjdump %8.3f s (%6.3f GB/s)  ratio %6.0fx\n",
               l, b / 1e6, g, b / g / 1e9, c, b / c / 1e9, c / g }'
}
cat "${FILES[@]}" >/dev/null # warm the page cache
echo "gpumatch: $G; cuobjdump: $CO ($("$CO" --version | tail -1)); $(nproc) cores"
LT=$(ls "$L"/libcublasLt.so.* 2>/dev/null | head -1)
if [ -n "$LT" ]; then
    b=$(bytes "$LT")
    tg=$(best 5 "$G" inspect --list "$LT")
    tc=$(best 1 "$CO" --list-elf --list-ptx "$LT")
    same=$(cmp -s <("$G" inspect --list "$LT") <("$CO" --list-elf --list-ptx "$LT" 2>/dev/null) && echo same || echo DIFFERENT)
    row "$(basename "$LT") (--list)" "$b" "$tg" "$tc"
    echo "  target lists: $same"
    tr=$(best 5 "$G" inspect --json "$LT")
    printf '  gpumatch inspect --json (requirement): %.4f s\n' "$tr"
fi
b=$(bytes "${FILES[@]}")
tg=$(best 5 "$G" inspect --list "${FILES[@]}")
tc=$(best 1 cuobj_all "${FILES[@]}")
same=$(cmp -s <("$G" inspect --list "${FILES[@]}") <(cuobj_all "${FILES[@]}") && echo same || echo DIFFERENT)
row "$(basename "$L") (${#FILES[@]} files)" "$b" "$tg" "$tc"
echo "  target lists: $same"
tr=$(best 5 "$G" inspect --json "$L")
printf '  gpumatch inspect --json %s (directory walk): %.4f s\n' "$L" "$tr"
tv=$(best 1 "$G" inspect --confirm --json "$L")
printf '  with --confirm (decompress compressed heads): %.3f s\n' "$tv"
