#!/bin/bash
# gpumatch probe --format condor-discovery[-flat], read by HTCondor's own
# ClassAd parser (PyPI htcondor) and compared with condor_gpu_discovery's
# documented output for the stub scenarios' GPUs (condor_check.py).
source "$GM_SRC/tests/lib.sh"
command -v python3 >/dev/null || skip "python3 missing"
PY=$(gm_consumers_py)
"$PY" -c 'import classad2' 2>/dev/null || "$PY" -c 'import classad' 2>/dev/null ||
    skip "HTCondor's classad module missing (pip install htcondor; scripts/test installs it)"
[ -e "$GM_STUB_DIR/libnvidia-ml.so.1" ] || skip "stub NVML not built"
unset GPUMATCH_NVML_PATH GPUMATCH_CUDA_PATH CUDA_VISIBLE_DEVICES NVIDIA_VISIBLE_DEVICES
A=$GM_SRC/tests/agent
D=$GM_SRC/tests/probe/data/nvml
export LD_LIBRARY_PATH=$GM_STUB_DIR
printf 'driver 570.124.06\ncuda 12080\ngpu uuid=GPU-9a1b7c2e-0d3f-4e5a-9b6c-7d8e9f0a1b2c|name=NVIDIA H100 80GB HBM3|cc=9.0|mem=81559|pci=00000000:07:00.0|brand=14|persist=1|mig=0/0\ngpu uuid=GPU-1c2d3e4f-0d3f-4e5a-9b6c-7d8e9f0a1b2c|name=NVIDIA A100-SXM4-80GB|cc=8.0|mem=81920|pci=00000000:0F:00.0|brand=14|persist=1|mig=0/0\n' >"$GM_TMP/two.scn"
printf 'driver 570.124.06\ncuda 12080\ngpu uuid=GPU-9a1b7c2e-0d3f-4e5a-9b6c-7d8e9f0a1b2c|name=NVIDIA H100 80GB HBM3|cc=9.0|mem=81559|pci=00000000:07:00.0|brand=14|persist=1|mig=0/0\n' >"$GM_TMP/one.scn"
# --- condor-discovery, by HTCondor's ClassAd parser ---
for scn in "$D/mig.scn" "$D/eight.scn" "$GM_TMP/two.scn" "$GM_TMP/one.scn"; do
    for form in nested flat; do
        f=condor-discovery
        [ $form = flat ] && f=condor-discovery-flat
        GM_STUB_SCENARIO=$scn "$GPUMATCH" probe --format $f >"$GM_TMP/condor.out" || fail "probe --format $f"
        run "$PY" "$A/condor_check.py" $form "$scn" "$GM_TMP/condor.out"
        expect_rc 0 "condor $form $(basename "$scn"): $ERR"
    done
done

# no GPU: DetectedGPUs=0
printf 'driver 570.124.06\ncuda 12080\n' >"$GM_TMP/none.scn"
run env GM_STUB_SCENARIO="$GM_TMP/none.scn" "$GPUMATCH" probe --allow-empty --format condor-discovery
expect_rc 0 "no GPU"
[ "$OUT" = "DetectedGPUs=0" ] || fail "no GPU: got $OUT"
run "$GPUMATCH" probe --format condor
expect_rc 2 "bad format"
finish
