#!/bin/bash
# gpumatch export: golden files written by hand from upstream docs (HTCondor,
# CEL), YAML/JSON parsed by real parsers, k8s selectors evaluated with the
# documented nodeAffinity semantics against the labels exported for real
# node documents and cross-checked with `gpumatch check`.
source "$GM_SRC/tests/lib.sh"
D=$GM_SRC/tests/export/data
G=$D/golden
body() { grep -v '^ *#' <<<"$OUT"; }

# --- golden: HTCondor
run "$GPUMATCH" export --to htcondor "$D/req-cc75-mem20000.json"
expect_rc 0 "htcondor req"
[ "$(body)" = "$(cat $G/htcondor-req-cc75-mem20000.txt)" ] || fail "htcondor req differs: $(body)"
run "$GPUMATCH" export --to htcondor "$D/v100-node.json"
expect_rc 0 "htcondor node"
[ "$(body)" = "$(cat $G/htcondor-node-v100.txt)" ] || fail "htcondor node differs: $(body)"

# --- golden: CEL (the expression block of the ResourceClaimTemplate)
run "$GPUMATCH" export --to dra "$D/req-cc80.json"
expect_rc 0 "dra req"
CEL=$(sed -n '/expression: |-/,$p' <<<"$OUT" | sed 1d | sed 's/^                //')
[ "$CEL" = "$(cat $G/cel-req-cc80.txt)" ] || fail "CEL differs: $CEL"

# --- the issue's example: CC >= 8.6 is two terms
run "$GPUMATCH" export --to k8s-labels "$D/req-cc86.json"
expect_rc 0 "k8s cc86"
expect_out '- {key: nvidia.com/gpu.compute.major, operator: Gt, values: ["8"]}'
expect_out '- {key: nvidia.com/gpu.compute.major, operator: In, values: ["8"]}'
expect_out '- {key: nvidia.com/gpu.compute.minor, operator: Gt, values: ["5"]}'
[ "$(grep -c 'matchExpressions' <<<"$OUT")" -eq 2 ] || fail "CC >= 8.6 should be 2 terms: $OUT"

# --- semver in DRA: 535.104.05 -> 535.104.5, every version strict
run "$GPUMATCH" export --to dra "$D/v100-node.json"
expect_out 'driverVersion: {version: "535.104.5"}'
expect_out 'cudaDriverVersion: {version: "12.2.0"}'
grep -o 'version: "[^"]*"' <<<"$OUT" | grep -vqE 'version: "(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"' \
    && fail "non-semver version in: $OUT"

# --- mixed models: said, not hidden
run "$GPUMATCH" export --to k8s-labels "$D/mixed-node.json"
expect_out "mixed GPU models on this node"
expect_no_out "gpumatch.io/gpu.uniform=true"
expect_no_out "nvidia.com/gpu.product="
expect_no_out "nvidia.com/gpu.compute.major="
expect_out "nvidia.com/gpu.count=2"
run "$GPUMATCH" export --to arvados "$D/mixed-node.json"
expect_out "mixed GPU models"
expect_no_out "HardwareTarget"
run "$GPUMATCH" export --to slurm "$D/mixed-node.json"
# a job may get either GPU: no ccXY word that only one of them has
expect_out "Features=gpu,nomig,"
expect_no_out ",cc80,"
expect_out "Gres=gpu:a100:1,gpu:t4:1"
expect_out "GresTypes=gpu"

# --- arvados requirement round trip: the core reads back what we wrote
run "$GPUMATCH" export --to arvados "$GM_SRC/samples/requirements/arvados-request.json"
expect_rc 0 "arvados req"
echo "$OUT" >"$GM_TMP/arv.json"
run "$GPUMATCH" export --to arvados "$GM_TMP/arv.json"
expect_rc 0 "arvados re-export"
[ "$OUT" = "$(cat "$GM_TMP/arv.json")" ] || fail "arvados export does not round-trip: $OUT"

# --- Arvados requests read as lib/dispatchcloud/container/node_size.go and
# services/api/app/models/container_request.rb (arvados 913e36393d0d) do
A100=$GM_TMP/a100.json
python3 -c 'import json,sys; print(json.dumps([n for n in json.load(open(sys.argv[1]))["nodes"] if n["hostname"] == "a100-01"][0]))' \
    "$GM_SRC/samples/cluster.json" >"$A100"
arv() { echo "$1" >"$GM_TMP/arvreq.json"; run "$GPUMATCH" check --node "$A100" --require "$GM_TMP/arvreq.json"; }
# versionLess: strconv.ParseFloat("8") is 8, a valid minimum
arv '{"runtime_constraints": {"gpu": {"stack": "cuda", "device_count": 1, "driver_version": "12.0", "hardware_target": ["8"]}}}'
expect_rc 0 'hardware_target "8"'
# "if runtime_constraints['gpu']['device_count'] > 0": otherwise the GPU fields are not read
arv '{"runtime_constraints": {"gpu": {"stack": "", "device_count": 0, "driver_version": "", "hardware_target": [""]}}}'
expect_rc 0 "device_count 0 ignores the GPU fields"
# "[gpu.driver_version]=... must be a string in format 'X.Y'" when device_count > 0
arv '{"runtime_constraints": {"gpu": {"stack": "cuda", "device_count": 1, "hardware_target": ["8.0"]}}}'
expect_rc 2 "no driver_version"; expect_one_line_err; expect_err "format 'X.Y'"
# an empty stack matches no instance type ("it.GPU.Stack != ctr...GPU.Stack"),
# a cuda stack without hardware_target sets capabilityInsuff: never scheduled
arv '{"runtime_constraints": {"gpu": {"stack": "", "device_count": 1, "driver_version": "12.0", "hardware_target": ["8.0"]}}}'
expect_rc 2 "empty stack with GPUs"; expect_err 'empty "stack"'
arv '{"runtime_constraints": {"gpu": {"stack": "cuda", "device_count": 1, "driver_version": "12.0", "hardware_target": []}}}'
expect_rc 2 "no hardware_target"; expect_err 'no "hardware_target"'
# the API's wrapped form
arv '{"container_request": {"runtime_constraints": {"gpu": {"stack": "cuda", "device_count": 1, "driver_version": "12.0", "hardware_target": ["8.0"]}}}}'
expect_rc 0 "wrapped container_request"

# --- errors: one line, exit 2
run "$GPUMATCH" export --to nosuch "$D/req-cc80.json"
expect_rc 2 "bad format"; expect_one_line_err
run "$GPUMATCH" export --to slurm "$GM_TMP/missing.json"
expect_rc 2 "missing file"; expect_one_line_err
echo '{"min_compute_capability": "eight"}' >"$GM_TMP/bad.json"
run "$GPUMATCH" export --to slurm "$GM_TMP/bad.json"
expect_rc 2 "bad requirement"; expect_one_line_err; expect_err "bad.json"
run "$GPUMATCH" export "$D/req-cc80.json"
expect_rc 2 "no --to"

# --- per-node documents: -o DIR writes one file per node; names must differ
mkdir -p "$GM_TMP/perdir"
run "$GPUMATCH" export --to dra "$GM_SRC/samples/cluster.json" -o "$GM_TMP/perdir"
expect_rc 0 "export -o DIR"
[ "$(ls "$GM_TMP/perdir" | wc -l)" -eq 6 ] || fail "-o DIR: $(ls "$GM_TMP/perdir")"
[ -s "$GM_TMP/perdir/a100-01.yaml" ] || fail "-o DIR: no a100-01.yaml"
echo '[{"hostname": "x", "devices": []}, {"hostname": "x", "devices": []}]' >"$GM_TMP/dup.json"
run "$GPUMATCH" export --to arvados "$GM_TMP/dup.json"
expect_rc 2 "arvados duplicate names"; expect_one_line_err
# two GPUs with one device minor would give two DRA devices one name
echo '{"hostname": "d", "devices": [{"index": 0, "minor": 3}, {"index": 1, "minor": 3}]}' >"$GM_TMP/dupminor.json"
run "$GPUMATCH" export --to dra "$GM_TMP/dupminor.json"
expect_rc 2 "dra duplicate minor"; expect_one_line_err; expect_err "device minor 3"
echo '{"hostname": "d", "devices": [{"index": 0, "minor": 255}]}' >"$GM_TMP/badminor.json"
run "$GPUMATCH" export --to dra "$GM_TMP/badminor.json"
expect_rc 2 "minor 255 (nvidiactl's)"; expect_one_line_err
# The real consumers (HTCondor, CEL, kubernetes models, Slurm and Arvados
# rules) over every node/requirement pair: tests/export/consumers.sh.
finish
