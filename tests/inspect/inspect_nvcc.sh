#!/bin/bash
# Builds small CUDA programs with nvcc for a matrix of -gencode flags and checks
# that gpumatch inspect finds exactly the targets the flags ask for (the
# expectation is computed from the flags here, not from gpumatch output).
. "$GM_SRC/tests/lib.sh"
NVCC=$(command -v nvcc || true)
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
[ -n "$NVCC" ] || skip "nvcc not found (PATH, /usr/local/cuda/bin); prebuilt fixtures are tested by test_inspect_fatbin"
G="$GPUMATCH"
W="$GM_TMP/nvcc"
mkdir -p "$W"
cat >"$W/a.cu" <<'EOF'
__global__ void ka(float *x) { x[threadIdx.x] += 1.0f; }
void launch_a(float *d) { ka<<<1, 16>>>(d); }
EOF
cat >"$W/b.cu" <<'EOF'
__global__ void kb(float *x) { x[threadIdx.x] *= 2.0f; }
void launch_a(float *d);
int main() { float *d; cudaMalloc(&d, 64); launch_a(d); kb<<<1, 16>>>(d); return cudaDeviceSynchronize(); }
EOF
MODES=""
"$NVCC" --help 2>/dev/null | grep -q -- '--compress-mode' && MODES="default size speed balance none"

# expected FLAGS...: the sorted set of targets the -gencode flags ask for.
expected() {
    local f items
    for f in "$@"; do
        case "$f" in
        arch=*,code=*)
            items=${f#*,code=}; items=${items#[}; items=${items%]}
            tr ',' '\n' <<<"$items"
            ;;
        esac
    done | sed 's/^compute_/compute_/' | sort -u | tr '\n' ' '
}
found() { # targets in a requirement document
    grep -o '"\(sm\|compute\)_[0-9]*[af]\?"' "$1" | tr -d '"' | sort -u | tr '\n' ' '
}

CASES=(
    "sm75|-gencode arch=compute_75,code=sm_75"
    "multi|-gencode arch=compute_80,code=sm_80 -gencode arch=compute_86,code=sm_86 -gencode arch=compute_90,code=[sm_90,compute_90]"
    "specific|-gencode arch=compute_90a,code=sm_90a -gencode arch=compute_100f,code=[sm_100f,compute_100f]"
    "blackwell|-gencode arch=compute_100,code=sm_100 -gencode arch=compute_120,code=[sm_120,compute_120]"
    "ptxonly|-gencode arch=compute_86,code=compute_86"
    "cubinonly_all|-gencode arch=compute_90,code=sm_90 -gencode arch=compute_120,code=sm_120 -Xfatbin=-compress-all"
)
for m in $MODES; do
    CASES+=("mode_$m|-gencode arch=compute_80,code=[sm_80,compute_80] --compress-mode=$m")
done

build() { # name flags...: programs from two translation units for a few
    # cases (host ELF path, modules, static runtime), fat binaries (faster) else.
    local name=$1; shift
    case "$name" in
    sm75 | multi | mode_none | specific)
        "$NVCC" -o "$W/$name" "$W/a.cu" "$W/b.cu" "$@" >"$W/$name.log" 2>&1 ;;
    *) "$NVCC" -fatbin -o "$W/$name" "$W/a.cu" "$@" >"$W/$name.log" 2>&1 ;;
    esac || echo "nvcc failed" >>"$W/$name.log"
}
# Two builds at a time (the machines have 2 cores).
i=0
for c in "${CASES[@]}"; do
    IFS='|' read -r name flags <<<"$c"
    # shellcheck disable=SC2086
    build "$name" $flags &
    i=$((i + 1))
    [ $((i % 2)) -eq 0 ] && wait
done
# -rdc objects, a static library of them and a device-linked program.
RDC="-gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=[sm_90,compute_90]"
# shellcheck disable=SC2086
"$NVCC" -rdc=true -c -o "$W/a.o" "$W/a.cu" $RDC >"$W/rdc.log" 2>&1 &
# shellcheck disable=SC2086
"$NVCC" -rdc=true -c -o "$W/b.o" "$W/b.cu" $RDC >>"$W/rdc.log" 2>&1
wait
ar rcs "$W/liba.a" "$W/a.o"
ar rcs "$W/libab.a" "$W/a.o" "$W/b.o"
# shellcheck disable=SC2086
"$NVCC" -rdc=true -o "$W/rdc_app" "$W/b.o" -L"$W" -la $RDC >>"$W/rdc.log" 2>&1 ||
    fail "nvcc -rdc link failed: $(cat "$W/rdc.log")"

check() { # label file expected-set
    run "$G" inspect --json -o "$GM_TMP/r.json" "$2"
    expect_rc 0 "inspect $1"
    local got; got=$(found "$GM_TMP/r.json")
    [ "$got" = "$3" ] || fail "$1: inspect found '$got', flags ask for '$3'"
    run "$G" inspect --verify "$2"
    expect_rc 0 "inspect --verify $1"
}
for c in "${CASES[@]}"; do
    IFS='|' read -r name flags <<<"$c"
    grep -q "nvcc failed" "$W/$name.log" && { fail "nvcc $name: $(cat "$W/$name.log")"; continue; }
    # shellcheck disable=SC2086
    check "$name" "$W/$name" "$(expected $flags)"
done
# shellcheck disable=SC2086
want=$(expected $RDC)
check "rdc object" "$W/a.o" "$want"
check "static library" "$W/libab.a" "$want"
# A device-linked program loads nvlink's output: cubins only (the objects' PTX
# stays in __nv_relfatbin, which the runtime does not register; cuobjdump
# lists it only with -all).
check "rdc program" "$W/rdc_app" "$(tr ' ' '\n' <<<"$want" | grep '^sm_' | tr '\n' ' ')"

# Each translation unit is one module; CUDA 13 adds a device-link module.
run "$G" inspect "$W/multi"
n=$(grep -c '^    module ' <<<"$OUT")
[ "$n" -ge 2 ] || fail "multi: $n modules, expected one per translation unit (2) or more"
# Object files: the relocatable fat binary is what they carry.
run "$G" inspect "$W/a.o"
expect_out "__nv_relfatbin"
# Compression: -compress-all leaves nothing uncompressed; none compresses nothing.
run "$G" inspect --entries "$W/cubinonly_all"
expect_out "fat binary"
grep -E '^\s+\+0x' <<<"$OUT" | grep -vq '(zstd\|(lz4' && fail "compress-all: an entry is uncompressed"
if [ -n "$MODES" ]; then
    run "$G" inspect --entries "$W/mode_none"
    grep -q '(zstd\|(lz4' <<<"$OUT" && fail "compress-mode=none: an entry is compressed"
    run "$G" inspect --entries "$W/mode_size"
    grep -q '(zstd' <<<"$OUT" || fail "compress-mode=size: no zstd entry"
fi
# Statically linked runtime (nvcc default): toolkit version from the notes.
ver=$("$NVCC" --version | sed -n 's/.*release \([0-9]*\.[0-9]*\).*/\1/p')
run "$G" inspect "$W/mode_none"
expect_out "CUDA runtime: $ver (static runtime"
finish
