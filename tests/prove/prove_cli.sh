#!/usr/bin/env bash
# gpumatch prove against the stub libcuda (tests/probe/stub): the driver's
# answers are scripted per scenario (tests/prove/data/*.scn), the targets are
# the nvcc-built fixtures of tests/inspect/data. Checks the plumbing: one
# context per device, error-code names, JIT log capture, MIG selection,
# budget expiry, sampling, JIT cache, and that disagreements are flagged.
. "$GM_SRC/tests/lib.sh"
[ -n "${GM_STUB_DIR:-}" ] || skip "GM_STUB_DIR not set"
unset GPUMATCH_CUDA_PATH CUDA_VISIBLE_DEVICES CUDA_CACHE_PATH CUDA_CACHE_DISABLE
P=$GM_SRC/tests/prove/data
I=$GM_SRC/tests/inspect/data
CALLS=$GM_TMP/calls
prove() { # prove SCENARIO ARGS...
    local scn=$1; shift
    rm -f "$CALLS"
    run env LD_LIBRARY_PATH="$GM_STUB_DIR" GM_STUB_SCENARIO="$P/$scn" GM_STUB_CALLS="$CALLS" \
        "$GPUMATCH" prove "$@"
}
calls() { grep -c "^$1" "$CALLS" 2>/dev/null || true; }
expect_calls() { [ "$(calls "$1")" -eq "$2" ] || fail "expected $2 '$1' calls, got $(calls "$1"): $(cat "$CALLS")"; }

# sm_80 cubin + compute_80 PTX (ISA 9.0) on 8.0 and 9.0 under a CUDA 13.0
# driver. CUDA C Programming Guide, "Binary Compatibility": a cubin for X.y
# runs on X.z with z >= y; "PTX ... can be JIT-compiled for any compute
# capability >= the one it was generated for". So: cubin on 8.0, JIT on 9.0.
prove two.scn "$I/sm80_ptx80_plain.fatbin"
expect_rc 0 "cubin and JIT, as predicted"
expect_out "prove: 2 GPUs, 1 module"
expect_out "loaded cubin in"
expect_out "JIT-compiled PTX in"
expect_out "(JIT 41.5 ms): \"ptxas info    : 0 bytes gmem\"; predicted jit"
expect_no_out "Compiling entry function"   # only the log's first line
expect_no_out "DISAGREEMENT"
expect_calls "retain dev=0" 1
expect_calls "retain dev=1" 1
expect_calls "load dev=0" 1
expect_calls "load dev=1" 1
expect_calls "release" 2
expect_calls "unload" 2
expect_calls "init cache_disable=1 cache_path=- module_loading=EAGER" 2   # no JIT cache by default

prove two.scn --json "$I/sm80_ptx80_plain.fatbin"
expect_rc 0 "--json"
[ "$(jq -r '[(.devices|length), .modules[0].loads[0].result, .modules[0].loads[1].result,
             .modules[0].loads[1].jit_ms, .summary.disagreements, .cuda_driver] | join(" ")' \
      <<<"$OUT")" = "2 cubin jit 41.5 0 13.0" ] || fail "json: $OUT"

# Error codes: names from cuGetErrorName, the JIT error log's first line.
# sm_90a runs on 9.0 only and compute_100f needs CC >= 10.0 (Programming
# Guide, "Feature Availability"): both fail on 8.0, as predicted -> exit 1.
prove errors.scn "$I/sm90a.cubin" "$I/compute100f.ptx"
expect_rc 1 "refused, as predicted"
expect_out "failed CUDA_ERROR_NO_BINARY_FOR_GPU (209); predicted failed"
expect_out "failed CUDA_ERROR_INVALID_PTX (218): \"ptxas application ptx input, line 12; error   : Feature 'sm_100f' not supported on .target 'sm_80'\"; predicted failed"
expect_no_out "Ptx assembly aborted"
expect_no_out "DISAGREEMENT"
# PTX ISA 9.0 (CUDA 13.0) on a CUDA 12.4 driver (ISA 8.4): PTX ISA release
# notes table; the driver answers CUDA_ERROR_UNSUPPORTED_PTX_VERSION.
prove oldptx.scn "$I/compute100f.ptx" "$I/sm80_ptx80_plain.fatbin"
expect_rc 1 "ISA too new, as predicted"
expect_out "failed CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222): \"ptxas application ptx input, line 5; fatal   : Unsupported .version 9.0; current version is '8.4'\"; predicted failed"

# Disagreement: the driver refuses what the rules say loads.
prove lie.scn "$I/sm80_ptx80_plain.fatbin"
expect_rc 4 "disagreement"
expect_out "failed CUDA_ERROR_NO_BINARY_FOR_GPU (209); predicted cubin   <<< DISAGREEMENT"
expect_out "predicted fits, proven does not fit   <<< DISAGREEMENT"
expect_err "DISAGREEMENT: GPU 0 (cc 8.0): $I/sm80_ptx80_plain.fatbin [sm_80 compute_80 (PTX ISA 9.0)]: predicted cubin, driver failed CUDA_ERROR_NO_BINARY_FOR_GPU"
prove lie.scn --json "$I/sm80_ptx80_plain.fatbin"
expect_rc 4 "disagreement, json"
[ "$(jq -r '[.modules[0].loads[0].disagree, .devices[0].verdict_disagrees, .summary.disagreements] | join(" ")' <<<"$OUT")" = "true true 1" ] || fail "json disagreement: $OUT"
# JIT where a cubin should have loaded: a disagreement, unless a JIT cache
# is in use (a cache hit and a cubin look alike, so only load/fail counts).
prove jitted.scn "$I/sm80_ptx80_plain.fatbin"
expect_rc 4 "cubin predicted, JIT seen"
expect_out "predicted cubin   <<< DISAGREEMENT"
mkdir -p "$GM_TMP/cache"
prove jitted.scn --jit-cache "$GM_TMP/cache" "$I/sm80_ptx80_plain.fatbin"
expect_rc 0 "with a JIT cache"
expect_calls "init cache_disable=0 cache_path=$GM_TMP/cache module_loading=EAGER" 2

# MIG: CUDA_VISIBLE_DEVICES / --gpus select one instance; one context, on it.
rm -f "$CALLS"
run env CUDA_VISIBLE_DEVICES=MIG-b1000000-1111-2222-3333-444444444441 LD_LIBRARY_PATH="$GM_STUB_DIR" \
    GM_STUB_SCENARIO="$P/mig.scn" GM_STUB_CALLS="$CALLS" "$GPUMATCH" prove "$I/sm80_ptx80_plain.fatbin"
expect_rc 0 "MIG via CUDA_VISIBLE_DEVICES"
expect_out "prove: 1 GPU, 1 module"
expect_out "GPU 0 NVIDIA A100-SXM4-80GB MIG 2g.20gb (cc 8.0,"
expect_calls "retain dev=0 mig=MIG-b1000000-1111-2222-3333-444444444441" 1
expect_calls "retain" 1
prove mig.scn --gpus MIG-b1000000-1111-2222-3333-444444444442,1 "$I/sm80_ptx80_plain.fatbin"
expect_rc 0 "--gpus MIG,index"
expect_out "prove: 2 GPUs"
expect_out "GPU 0 NVIDIA A100-SXM4-80GB MIG 1g.10gb"
expect_out "GPU 1 NVIDIA A100-SXM4-80GB (cc 8.0, GPU-a1000000-1111-2222-3333-444444444441)"
expect_calls "retain" 2
prove mig.scn --gpus GPU-nope "$I/sm80_ptx80_plain.fatbin"
expect_rc 3 "--gpus selecting nothing"
expect_err "no visible GPU (CUDA_VISIBLE_DEVICES=GPU-nope)"

# Budget: each load takes 300 ms; after 0.2 s no new load starts. app_shared's
# first region (nvcc's device-link output of a whole-program build) defines no
# kernel: inspect leaves it out of the requirement (docs/inspect.md, loader
# model), so prove lists it as not required and never loads it: 3 required
# modules, 1 loaded, 2 skipped.
prove slow.scn --budget 0.2 "$I/sm80_ptx80_plain.fatbin" "$I/sm80_ptx80_lz4.fatbin" "$I/app_shared"
expect_rc 5 "budget spent"
expect_calls "load" 1
expect_out "skipped [budget spent]"
expect_out "1 loads (0 JIT, 0 failed), 0 sampled, 2 skipped (budget spent)"
expect_out "app_shared:.nv_fatbin#0 [sm_75]: kernel-less, not required (defines no kernel): not loaded"

# Sampling: the plain and LZ4 fat binaries hold the same images.
prove two.scn --sample "$I/sm80_ptx80_plain.fatbin" "$I/sm80_ptx80_lz4.fatbin"
expect_rc 0 "--sample"
expect_calls "load" 2
expect_out "[sampled: as module 0]"
prove two.scn "$I/sm80_ptx80_plain.fatbin" "$I/sm80_ptx80_lz4.fatbin"
expect_calls "load" 4

# Directory and tarball targets go through inspect's walk (mapped, streamed).
# A tree is entry points (the .fatbin; app_shared) whose modules live in
# entry_points[].variants[]: prove loads those too. 2 required modules on
# 2 GPUs = 4 loads; app_shared's kernel-less region is listed, not loaded.
mkdir -p "$GM_TMP/root/opt/app"
cp "$I/sm80_ptx80_lz4.fatbin" "$I/app_shared" "$GM_TMP/root/opt/app/"
prove tree.scn "$GM_TMP/root"
expect_rc 1 "directory: app_shared is sm_75 only"   # sm_75 cubins: 7.x only
expect_no_out "DISAGREEMENT"
expect_out "prove: 2 GPUs, 3 modules (1 kernel-less, not loaded)"
expect_out "app_shared:.nv_fatbin#1 [sm_75]: failed CUDA_ERROR_NO_BINARY_FOR_GPU (209); predicted failed"
expect_out "predicted does not fit, proven does not fit"
expect_calls "load" 4
tar -C "$GM_TMP/root" -cf "$GM_TMP/root.tar" .
prove tree.scn "$GM_TMP/root.tar"
expect_rc 1 "tarball"
expect_no_out "DISAGREEMENT"
expect_out "prove: 2 GPUs, 3 modules (1 kernel-less, not loaded)"
expect_calls "load" 4

# A library (ET_DYN) needs some image for the GPU, not every module (inspect.h):
# a real gcc-built .so carrying two real nvcc fat binaries in .nv_fatbin.
if command -v objcopy >/dev/null && command -v "${CC:-cc}" >/dev/null; then
    echo 'int gm_lib_fn(void) { return 1; }' >"$GM_TMP/l.c"
    "${CC:-cc}" -shared -fPIC -o "$GM_TMP/libplain.so" "$GM_TMP/l.c"
    cat "$I/sm80_ptx80_plain.fatbin" "$I/sm90a_sm100f_zstd.fatbin" >"$GM_TMP/two.fatbin"
    objcopy --add-section .nv_fatbin="$GM_TMP/two.fatbin" --set-section-flags .nv_fatbin=alloc,readonly \
        "$GM_TMP/libplain.so" "$GM_TMP/libtwo.so" 2>/dev/null
    prove lib.scn "$GM_TMP/libtwo.so"
    expect_rc 0 "library: one module loads"
    expect_out "libtwo.so:.nv_fatbin#1 [sm_90a sm_100f compute_100f (PTX ISA 9.0)] optional: failed CUDA_ERROR_NO_BINARY_FOR_GPU (209); predicted failed"
    expect_out "libtwo.so (library: any of its images) [sm_80 sm_90a sm_100f compute_80 compute_100f (PTX ISA 9.0)] (any module loads): loaded cubin; predicted cubin"
    expect_no_out "DISAGREEMENT"
    # Sampling names modules as printed (entry points' order, unions
    # included), not in load order: the standalone .fatbin entry point is
    # printed first but loaded last, from libtwo.so's #0 (printed as 1).
    prove lib.scn --sample "$GM_TMP/libtwo.so" "$I/app_shared" "$I/sm80_ptx80_lz4.fatbin"
    expect_rc 1 "library + app_shared"
    expect_out "0 $I/sm80_ptx80_lz4.fatbin [sm_80 compute_80 (PTX ISA 9.0)]: loaded cubin [sampled: as module 1]; predicted cubin"
    expect_out "4 $I/app_shared:.nv_fatbin#1 [sm_75]: failed CUDA_ERROR_NO_BINARY_FOR_GPU (209); predicted failed"
    expect_calls "load" 3
else
    echo "note: library part skipped (no objcopy or C compiler)"
fi

# No context on a GPU: nothing proven there.
prove noctx.scn "$I/sm80_ptx80_plain.fatbin"
expect_rc 5 "no context"
expect_out "context: cuDevicePrimaryCtxRetain failed: CUDA_ERROR_OUT_OF_MEMORY (2)"
expect_calls "load" 0

# preflight --prove: prove runs once the preflight checks pass; its exit code wins.
if command -v "${CC:-cc}" >/dev/null && { command -v ldconfig >/dev/null || [ -x /sbin/ldconfig ]; }; then
    command -v ldconfig >/dev/null || PATH=$PATH:/sbin:/usr/sbin
    source "$GM_SRC/tests/preflight/mkroot.sh"
    trap 'rm -rf "$GM_TMP" "$pf_src"' EXIT   # mkroot.sh replaced lib.sh's trap
    pf_root "$GM_TMP/pfroot" 580.95.05 1
    pf_node_json "$GM_TMP/pfnode.json" 580.95.05 13.0 nvidia "NVIDIA A100-SXM4-80GB" '"mig_mode": "disabled", "persistence_mode": true'
    rm -f "$CALLS"
    run env LD_LIBRARY_PATH="$GM_STUB_DIR" GM_STUB_SCENARIO="$P/lie.scn" GM_STUB_CALLS="$CALLS" \
        "$GPUMATCH" preflight --root "$GM_TMP/pfroot" --node "$GM_TMP/pfnode.json" --prove "$I/sm80_ptx80_plain.fatbin"
    expect_rc 4 "preflight --prove, disagreement"
    expect_out "driver.kernel-module"
    expect_out "prove: 1 GPU, 1 module"
    expect_err "DISAGREEMENT"
    run "$GPUMATCH" preflight --prove "$I/sm80_ptx80_plain.fatbin" --json
    expect_rc 2 "preflight --prove --json"
else
    echo "note: preflight --prove part skipped (no C compiler or ldconfig)"
fi

# launch --prove: prove runs on the GPUs launch picked (by UUID), before exec.
cat >"$GM_TMP/node.json" <<'JSON'
{"driver_version": "580.65.06", "cuda_driver_version": "13.0", "devices": [
 {"index": 0, "uuid": "GPU-c1000000-1111-2222-3333-444444444440", "name": "NVIDIA H100 80GB HBM3",
  "compute_capability": "9.0", "memory_mib": 81559}]}
JSON
"$GPUMATCH" inspect --json "$I/sm80_ptx80_plain.fatbin" >"$GM_TMP/req.json"
printf '#!/bin/sh\necho "args: $*"\nenv\n' >"$GM_TMP/fake-docker"
chmod +x "$GM_TMP/fake-docker"
launch() {
    rm -f "$CALLS"
    run env LD_LIBRARY_PATH="$GM_STUB_DIR" GM_STUB_SCENARIO="$1" GM_STUB_CALLS="$CALLS" \
        "$GPUMATCH" launch --runtime docker --program "$GM_TMP/fake-docker" --no-preflight --node "$GM_TMP/node.json" \
        --require "$GM_TMP/req.json" --prove "$I/sm80_ptx80_plain.fatbin" img
}
{ cat "$P/launch.scn"; echo "load info=ptxas info    : Compiling entry function '_Z5scalePf' for 'sm_90'"; } >"$GM_TMP/launch-ok.scn"
launch "$GM_TMP/launch-ok.scn"
expect_rc 0 "launch --prove, proven"
expect_out "GPU 0 NVIDIA H100 80GB HBM3 (cc 9.0, GPU-c1000000-1111-2222-3333-444444444440)"
expect_out "JIT-compiled PTX"
expect_out "args: run --gpus"        # the runtime was started after the proof
expect_no_out "CUDA_CACHE_DISABLE="   # prove put the environment back
expect_no_out "CUDA_MODULE_LOADING="
expect_calls "retain" 1
[ "$(grep -c '^init' "$CALLS")" -ge 1 ] || fail "no cuInit"
{ cat "$P/launch.scn"; echo "load rc=222|log=ptxas fatal   : Unsupported .version 9.0"; } >"$GM_TMP/launch-bad.scn"
launch "$GM_TMP/launch-bad.scn"
expect_rc 4 "launch --prove, disagreement refuses"
expect_err "launch: refused: prove of $I/sm80_ptx80_plain.fatbin exited 4"
expect_no_out "--gpus"

# Environment and input errors.
run env GPUMATCH_CUDA_PATH=/nonexistent/libcuda.so.1 "$GPUMATCH" prove "$I/sm90a.cubin"
expect_rc 3 "no driver"
expect_one_line_err
prove two.scn "$GM_TMP/none"
expect_rc 2 "missing target"
expect_one_line_err
head -c 100 "$I/sm80_ptx80_plain.fatbin" >"$GM_TMP/trunc.fatbin"
prove two.scn "$GM_TMP/trunc.fatbin"
expect_rc 2 "truncated fat binary"
expect_one_line_err
expect_err "trunc.fatbin: offset 0x0"
expect_calls "load" 0
prove two.scn --budget -1 "$I/sm90a.cubin"
expect_rc 2 "bad budget"
finish
