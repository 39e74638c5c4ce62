#!/bin/bash
# spank_gpumatch.so in a real Slurm (loopback slurmctld + slurmd, as in
# tests/export/slurm_live.sh): the stub NVML (inherited by slurmstepd through
# slurmd's environment) shows one H100 (CC 9.0) as the step's GPU.
#   srun --gpu-require=auto ./app_sm80_only  -> refused, gpumatch's reason on
#     srun's stderr (nvcc -gencode arch=compute_80,code=sm_80: a cubin for
#     CC 8.x only and no PTX; CUDA Programming Guide, binary compatibility:
#     a cubin for X.y runs only on X.z with z >= y)
#   srun --gpu-require=auto ./app_sm80_sm90  -> runs
#   srun --gpu-require=FILE (inspect --json of the sm_80 app) -> refused
source "$GM_SRC/tests/lib.sh"
source "$GM_SRC/tests/slurm_lib.sh"
slurm_require
# slurmd/slurmstepd are not ASan programs: an ASan-built plugin cannot load there
[ -z "${GM_SANITIZED:-}" ] || skip "sanitizer build: spank_gpumatch.so cannot be loaded by the system's slurmd"
PLUGIN=$GM_BUILD/spank/spank_gpumatch.so
[ -e "$PLUGIN" ] || skip "spank_gpumatch.so not built (needs slurm/spank.h: apt-get install libslurm-dev)"
[ -e "$GM_STUB_DIR/libnvidia-ml.so.1" ] || skip "stub NVML not built"
NVCC=$(command -v nvcc || true)
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
[ -n "$NVCC" ] || skip "nvcc not found (PATH, /usr/local/cuda/bin)"
unset GPUMATCH_NVML_PATH GPUMATCH_CUDA_PATH CUDA_VISIBLE_DEVICES NVIDIA_VISIBLE_DEVICES

T=$GM_TMP/slurm
B=$GM_TMP/apps
mkdir -p $T/state $T/spool $B
cat >$B/app.cu <<'EOF'
#include <cstdio>
__global__ void k(int *x) { x[threadIdx.x] = 1; }
int main() {
    int *d;
    if (cudaMalloc(&d, 64) != cudaSuccess) { printf("app ran (no real GPU here)\n"); return 0; }
    k<<<1, 4>>>(d);
    printf("app ran: %d\n", (int)cudaDeviceSynchronize());
    return 0;
}
EOF
"$NVCC" -gencode arch=compute_80,code=sm_80 -o $B/app_sm80_only $B/app.cu &
p1=$!
"$NVCC" -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -o $B/app_sm80_sm90 $B/app.cu &
p2=$!
wait $p1 || fail "nvcc sm_80"
wait $p2 || fail "nvcc sm_80+sm_90"
"$GPUMATCH" inspect --json $B/app_sm80_only >$B/req80.json || fail "inspect"

H=$(hostname)
SCN=$GM_TMP/h100.scn
printf 'driver 580.65.06\ncuda 13000\ngpu uuid=GPU-9a1b7c2e-0d3f-4e5a-9b6c-7d8e9f0a1b2c|name=NVIDIA H100 80GB HBM3|cc=9.0|mem=81559|pci=00000000:07:00.0|brand=14|persist=1|mig=0/0\n' >$SCN
echo "required $PLUGIN" >$T/plugstack.conf
slurm_conf gmspank 13 "PlugStackConfig=$T/plugstack.conf" \
    "NodeName=$H NodeAddr=127.0.0.1 CPUs=1 Features=gpu Gres=gpu:h100:1 State=UNKNOWN" \
    "PartitionName=gm Nodes=ALL Default=YES State=UP"
printf 'NodeName=%s Name=gpu Type=h100 File=/dev/null\n' $H >$T/gres.conf
# slurmstepd inherits slurmd's environment: the stub NVML and its scenario
slurm_start GPUMATCH_NVML_PATH=$GM_STUB_DIR/libnvidia-ml.so.1 GM_STUB_SCENARIO=$SCN
cd $B
run srun --help
expect_out "--gpu-require=FILE|auto"

run timeout 60 srun --immediate=5 --gres=gpu:1 --gpu-require=auto ./app_sm80_only
echo "refused: rc $RC; srun stderr:"
echo "$ERR"
[ "$RC" -ne 0 ] || fail "sm_80-only app was started on CC 9.0"
expect_err "gpumatch: refusing to start"
expect_err "no cubin for major 9 (has sm_80) and no PTX"
expect_no_out "app ran"

run timeout 60 srun --immediate=5 --gres=gpu:1 --gpu-require=auto ./app_sm80_sm90
expect_rc 0 "sm_80+sm_90 app under --gpu-require=auto: $ERR"
expect_out "app ran"

run timeout 60 srun --immediate=5 --gres=gpu:1 --gpu-require=$B/req80.json ./app_sm80_sm90
[ "$RC" -ne 0 ] || fail "--gpu-require=FILE (sm_80 only) accepted on CC 9.0"
expect_err "no cubin for major 9 (has sm_80) and no PTX"

# no --gpu-require: the plugin stays out of the way
run timeout 60 srun --immediate=5 --gres=gpu:1 ./app_sm80_only
expect_rc 0 "without --gpu-require: $ERR"
finish
