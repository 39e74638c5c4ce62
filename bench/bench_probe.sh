#!/bin/bash
# Times `gpumatch probe` against references and prints ms per run and ratios.
#   bench/bench_probe.sh [BUILD_DIR] [RUNS]
# On a node with nvidia-smi: real NVML probe vs
#   nvidia-smi --query-gpu=driver_version,compute_cap,memory.total,uuid --format=csv
# Elsewhere: the stub NVML from the test build (8 GPUs) vs the cost of starting
# a process (/bin/true) and vs parsing a recorded `nvidia-smi -q -x` file.
# Targets (issue 4): < 30 ms per probe, >= 3x faster than nvidia-smi.
set -u
BUILD=${1:-build}
RUNS=${2:-200}
SRC=$(cd "$(dirname "$0")/.." && pwd)
GM=$BUILD/gpumatch
[ -x "$GM" ] || { echo "no $GM (build first)"; exit 2; }

# mean milliseconds per run of "$@" over RUNS runs
time_ms() {
    local t0 t1
    t0=$(date +%s%N)
    for ((i = 0; i < RUNS; i++)); do "$@" >/dev/null 2>&1; done
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" -v n="$RUNS" 'BEGIN { printf "%.3f", (b - a) / n / 1e6 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
verdict() { awk -v p="$1" -v r="${2:-999}" 'BEGIN { print (p < 30 && r >= 3) ? "meets" : "MISSES" }'; }

echo "runs per figure: $RUNS"
if command -v nvidia-smi >/dev/null 2>&1 && "$GM" probe >/dev/null 2>&1; then
    echo "mode: real driver ($(nvidia-smi --query-gpu=name --format=csv,noheader | head -1))"
    p=$(time_ms "$GM" probe)
    s=$(time_ms nvidia-smi --query-gpu=driver_version,compute_cap,memory.total,uuid --format=csv)
    x=$(time_ms nvidia-smi -q -x)
    printf "gpumatch probe (NVML)            %8s ms\n" "$p"
    printf "nvidia-smi --query-gpu=...       %8s ms   (%sx gpumatch)\n" "$s" "$(ratio "$s" "$p")"
    printf "nvidia-smi -q -x                 %8s ms   (%sx gpumatch)\n" "$x" "$(ratio "$x" "$p")"
    echo "target <30 ms and >=3x faster than nvidia-smi --query-gpu: $(verdict "$p" "$(ratio "$s" "$p")")"
else
    STUB=$BUILD/tests/probe/stub-full
    [ -f "$STUB/libnvidia-ml.so.1" ] || { echo "no stub NVML in $STUB (build with tests)"; exit 2; }
    echo "mode: stub NVML, 8 GPUs (no nvidia-smi here; the nvidia-smi ratio needs a GPU node)"
    export GM_STUB_SCENARIO=$SRC/tests/probe/data/nvml/eight.scn
    t=$(time_ms /bin/true)
    p=$(LD_LIBRARY_PATH=$STUB time_ms "$GM" probe --root /nonexistent)
    c=$(LD_LIBRARY_PATH=$STUB time_ms "$GM" probe --cross-check --root /nonexistent)
    x=$(time_ms "$GM" probe --from-smi "$SRC/tests/probe/data/smi/a100_mig.xml")
    printf "/bin/true (process start floor)  %8s ms\n" "$t"
    printf "gpumatch probe (stub NVML)       %8s ms   (%sx the floor)\n" "$p" "$(ratio "$p" "$t")"
    printf "gpumatch probe --cross-check     %8s ms\n" "$c"
    printf "gpumatch probe --from-smi FILE   %8s ms\n" "$x"
    echo "target <30 ms: $(awk -v p="$p" 'BEGIN { print (p < 30) ? "meets" : "MISSES" }') (stub; real NVML adds the driver's own cost)"
fi
