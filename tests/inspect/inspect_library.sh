#!/usr/bin/env bash
# A real CUDA library: cuBLASLt 13 ships per-architecture kernel modules (some
# for sm_100 alone, some for sm_75 alone) and dispatches per GPU, so it needs
# *some* image for the device. NVIDIA's CUDA 13 release notes: Turing (7.5) and
# newer are supported, Volta (7.0) is not; a 13.x runtime needs driver >= 580.
. "$GM_SRC/tests/lib.sh"
G=$GPUMATCH
LIB=$(ls /usr/local/cuda/lib64/libcublasLt.so.13* 2>/dev/null | head -1)
[ -n "$LIB" ] || skip "no libcublasLt.so.13 under /usr/local/cuda/lib64"
run "$G" inspect --json "$LIB"
expect_rc 0 "inspect --json"
printf '%s\n' "$OUT" >"$GM_TMP/req.json"
python3 - "$GM_TMP/req.json" <<'PY' || fail "library requirement is not one union module"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cuda_runtime"].startswith("13."), d["cuda_runtime"]
assert len(d["modules"]) == 1 and "library" in d["modules"][0]["name"], d["modules"]
assert "sm_75" in d["modules"][0]["cubin"], d["modules"][0]["cubin"]
PY
node() { # NAME DRIVER CC
    printf '{"hostname":"%s","driver_version":"%s","devices":[{"compute_capability":"%s"}]}' "$1" "$2" "$3"
}
node t4 580.95.05 7.5 >"$GM_TMP/t4.json"
node v100 580.95.05 7.0 >"$GM_TMP/v100.json"
node h100-old 535.104.05 9.0 >"$GM_TMP/h100old.json"
run "$G" check --node "$GM_TMP/t4.json" --require "$GM_TMP/req.json"
expect_rc 0 "cuBLASLt 13 on Turing with r580"
run "$G" check --node "$GM_TMP/v100.json" --require "$GM_TMP/req.json"
expect_rc 1 "cuBLASLt 13 on Volta"
run "$G" check --node "$GM_TMP/h100old.json" --require "$GM_TMP/req.json"
expect_rc 1 "CUDA 13 runtime on r535"
expect_out "required by CUDA 13.0 runtime"
# The human report groups the thousands of modules by image set.
run "$G" inspect "$LIB"
expect_out "distinct image sets"
expect_out "[optional: the library dispatches per GPU]"
finish
