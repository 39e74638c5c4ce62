#!/usr/bin/env bash
# Dry run of `scripts/gpu-truth run` without a GPU: a mini bundle (this
# build's gpumatch, one nvcc-built fixture), the stub NVML/libcuda and a
# stand-in nvidia-smi answering from the recorded h100.xml. Checks the
# script's plumbing: the TSV's rows and columns, field-by-field probe
# comparison, and that a disagreement makes it exit 1. (The fixture cannot
# run here: its row must say so and count as a disagreement.)
. "$GM_SRC/tests/lib.sh"
[ -n "${GM_STUB_DIR:-}" ] || skip "GM_STUB_DIR not set"
command -v jq >/dev/null || skip "jq missing"
G=$GM_SRC/tests/gpu
B=$GM_TMP/bundle
mkdir -p "$B/bin" "$B/lib" "$B/fixtures"
ln -s "$GPUMATCH" "$B/bin/gpumatch"
cp "$GM_SRC/tests/inspect/data/app_shared" "$B/fixtures/app_shared"
printf 'app_shared\tnvcc\t-\tsm_75 cubins, shared cudart (tests/inspect/data)\n' >"$B/fixtures.tsv"
run env PATH="$G/fake:$PATH" LD_LIBRARY_PATH="$GM_STUB_DIR" GM_STUB_SCENARIO="$G/data_h100.scn" \
    FAKE_SMI_CSV="$G/data_h100.csv" FAKE_SMI_XML="$GM_SRC/tests/probe/data/smi/h100.xml" \
    GPU_TRUTH_OUT="$GM_TMP/res" bash "$GM_SRC/scripts/gpu-truth" run "$B"
expect_rc 1 "a disagreement (the fixture cannot run here)"
expect_out "gpu-truth: GPU 0: NVIDIA H100 80GB HBM3"
expect_out "DISAGREEMENT: fixture	app_shared"
T=$GM_TMP/res/truth.tsv
[ -f "$T" ] || fail "no truth.tsv"
[ "$(head -1 "$T")" = "$(printf 'kind\tname\tpredicted\tproven\tactual\tagree\tdetail')" ] || fail "header: $(head -1 "$T")"
awk -F'\t' 'NF != 7 {bad = 1} END {exit bad}' "$T" || fail "a row without 7 columns: $(cat "$T")"
# sm_75 cubins only, on 9.0: predicted no (CUDA Programming Guide: a cubin runs
# on its own major only); the stub loads everything, so prove disagrees.
row=$(awk -F'\t' '$1 == "fixture" && $2 == "app_shared"' "$T")
[ "$(cut -f3 <<<"$row")" = no ] || fail "predicted: $row"
[ "$(cut -f4 <<<"$row")" = "fits(disagrees)" ] || fail "proven: $row"
case $(cut -f5 <<<"$row") in "crash(exit "[1-9]*) ;; *) fail "actual: $row" ;; esac
[ "$(cut -f6 <<<"$row")" = no ] || fail "agree: $row"
# Its first region is kernel-less (not required: prove does not load it), so
# one module is loaded.
grep -qF "prove: cubin;" <<<"$row" || fail "prove detail: $row"
# Field-by-field probe comparison against the stand-in nvidia-smi.
for f in uuid name compute_capability memory_mib pci_bus_id; do
    for b in nvml smi; do
        [ "$(awk -F'\t' -v n="$b:gpu0.$f" '$2 == n {print $6}' "$T")" = yes ] || fail "$b $f: $(grep "$b:gpu0.$f" "$T")"
    done
done
[ "$(awk -F'\t' '$2 == "nvml:driver_version" {print $6}' "$T")" = yes ] || fail "nvml driver_version"
grep -q "^latency	probe	[0-9]*ms	-	[0-9]*ms	info	" "$T" || fail "latency row: $(grep latency "$T")"
[ -s "$GM_TMP/res/nvidia-smi-q-x.xml" ] || fail "nvidia-smi -q -x not saved"
# No GPU (an nvidia-smi that finds none, as on a node without devices):
# the run says so and exits 77 (skipped).
mkdir -p "$GM_TMP/nogpu"
printf '#!/bin/sh\necho "No devices were found"\nexit 6\n' >"$GM_TMP/nogpu/nvidia-smi"
chmod +x "$GM_TMP/nogpu/nvidia-smi"
run env PATH="$GM_TMP/nogpu:$PATH" bash "$GM_SRC/scripts/gpu-truth" run "$B"
expect_rc 77 "no GPU"
expect_out "GPU part skipped: no GPU"
finish
