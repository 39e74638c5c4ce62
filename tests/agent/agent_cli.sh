#!/bin/bash
# gpumatch agent without Slurm: the stub NVML (tests/probe/stub) drives probe,
# a fake system tree (tests/preflight/mkroot.sh) drives preflight. Outputs are
# read by their consumers' rules: the NFD feature file by nfd_check.py (NFD's
# local-source parser rules), the .prom file by prometheus_client's parser
# (condor-discovery: condor_cli.sh). Faults: driver unloaded
# mid-run, unwritable output, SIGTERM during writes; memory over 10 000
# evaluations.
source "$GM_SRC/tests/lib.sh"
source "$GM_SRC/tests/preflight/mkroot.sh"
command -v python3 >/dev/null || skip "python3 missing"
# the interpreter itself, not a version-manager shim (each shim start costs ~1 s here)
PY=$(gm_consumers_py)
python3() { "$PY" "$@"; }
python3 -c 'import prometheus_client' 2>/dev/null || skip "prometheus_client missing (pip install prometheus-client; scripts/test installs it)"
[ -e "$GM_STUB_DIR/libnvidia-ml.so.1" ] || skip "stub NVML not built"
unset GPUMATCH_NVML_PATH GPUMATCH_CUDA_PATH CUDA_VISIBLE_DEVICES NVIDIA_VISIBLE_DEVICES
A=$GM_SRC/tests/agent
D=$GM_SRC/tests/probe/data/nvml
R=$GM_TMP/root
O=$GM_TMP/o
mkdir -p "$O"
pf_root "$R" 570.124.06 1 >/dev/null 2>&1 || skip "cannot build the fake root (cc, ldconfig)"
export LD_LIBRARY_PATH=$GM_STUB_DIR GM_STUB_SCENARIO=$GM_TMP/live.scn
h100() { # DRIVER CUDA: one H100 (CC 9.0) behind driver DRIVER
    printf 'driver %s\ncuda %s\ngpu uuid=GPU-9a1b7c2e-0d3f-4e5a-9b6c-7d8e9f0a1b2c|name=NVIDIA H100 80GB HBM3|cc=9.0|mem=81559|pci=00000000:07:00.0|brand=14|persist=1|mig=0/0\n' "$1" "$2"
}
a100() {
    printf 'gpu uuid=GPU-1c2d3e4f-0d3f-4e5a-9b6c-7d8e9f0a1b2c|name=NVIDIA A100-SXM4-80GB|cc=8.0|mem=81920|pci=00000000:0F:00.0|brand=14|persist=1|mig=0/0\n'
}
{ h100 570.124.06 12080; a100; } >"$GM_STUB_SCENARIO"

# --- one evaluation: NFD + Prometheus ---
run "$GPUMATCH" agent --once --root "$R" --nfd-file "$O/gpumatch" --prom-file "$O/gpumatch.prom" --expiry 120
expect_rc 0 "agent --once"
expect_err "started: driver 570.124.06 (CUDA 12.8), 2 GPU(s)"
[ "$(grep -c . <<<"$ERR")" -eq 1 ] || fail "one state, one log line; got: $ERR"
run python3 "$A/nfd_check.py" "$O/gpumatch" 100 121
expect_rc 0 "NFD file syntax"
L=$OUT
# GFD's label set (as export --to k8s-labels writes it) ...
run "$GPUMATCH" probe
echo "$OUT" >"$GM_TMP/node.json"
run "$GPUMATCH" export --to k8s-labels "$GM_TMP/node.json"
while IFS= read -r l; do
    case "$l" in '#'* | '') continue ;; esac
    grep -qxF -- "$l" <<<"$L" || fail "NFD file lacks export label '$l'"
done <<<"$OUT"
# ... and gpumatch's own, from the scenario: min CC of (9.0, 8.0), CUDA 12.8,
# PTX ISA 8.7 (CUDA 12.8 release notes: PTX ISA version 8.7)
for want in gpumatch.io/gpu.healthy=true gpumatch.io/gpu.compute.min=8.0 gpumatch.io/gpu.sm.min=80 \
    gpumatch.io/cuda.driver-version=12.8 gpumatch.io/cuda.driver-version.code=12080 \
    gpumatch.io/ptx-isa.max=8.7 nvidia.com/cuda.driver-version.full=570.124.06 nvidia.com/gpu.count=2; do
    grep -qxF "$want" <<<"$L" || fail "NFD labels lack $want; got: $L"
done
[ "$(stat -c %a "$O/gpumatch")" = 644 ] || fail "new NFD file mode $(stat -c %a "$O/gpumatch"), want 644"

run python3 "$A/prom_check.py" "$O/gpumatch.prom"
expect_rc 0 "prom parse"
P=$OUT
for want in 'gpumatch_probe_success{} 1' 'gpumatch_node_healthy{} 1' 'gpumatch_gpu_count{} 2' \
    'gpumatch_driver_info{cuda=12.8,version=570.124.06} 1' \
    'gpumatch_gpu_info{compute_capability=9.0,index=0,mig=disabled,name=NVIDIA H100 80GB HBM3,pci_bus_id=00000000:07:00.0,uuid=GPU-9a1b7c2e-0d3f-4e5a-9b6c-7d8e9f0a1b2c} 1'; do
    grep -qxF "$want" <<<"$P" || fail "prom lacks '$want'; got: $P"
done
grep -q '^gpumatch_last_successful_probe_timestamp_seconds{} ' <<<"$P" || fail "no last-probe time"
# one gauge per preflight check, as many as preflight itself reports
run "$GPUMATCH" preflight --root "$R" --node "$GM_TMP/node.json" --json
nchecks=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["checks"]))' <<<"$OUT")
[ "$(grep -c '^gpumatch_preflight_check_ok{' <<<"$P")" -eq "$nchecks" ] || fail "prom has $(grep -c '^gpumatch_preflight_check_ok{' <<<"$P") check series, preflight $nchecks"

# an existing file keeps its mode
chmod 600 "$O/gpumatch"
run "$GPUMATCH" agent --once --root "$R" --nfd-file "$O/gpumatch" --expiry 1
[ "$(stat -c %a "$O/gpumatch")" = 600 ] || fail "rewrite changed mode to $(stat -c %a "$O/gpumatch")"
chmod 644 "$O/gpumatch"

# the shipped example config works (its paths moved under the test dir)
sed "s|/etc/kubernetes/node-feature-discovery/features.d|$O/cfg|; s|/var/lib/node_exporter/textfile_collector|$O/cfg|" \
    "$GM_SRC/contrib/agent/agent.conf" >"$GM_TMP/agent.conf"
mkdir -p "$O/cfg"
run "$GPUMATCH" agent --config "$GM_TMP/agent.conf" --once --root "$R"
expect_rc 0 "agent with contrib/agent/agent.conf: $ERR"
[ -s "$O/cfg/gpumatch" ] && [ -s "$O/cfg/gpumatch.prom" ] || fail "example config wrote nothing: $(ls "$O/cfg")"

# --- bad input ---
run "$GPUMATCH" agent --once
expect_rc 2 "no output"
run "$GPUMATCH" agent --once --nfd-file "$O/x" --interval soon
expect_rc 2 "bad interval"
printf 'nfd-file = %s\nbogus = 1\n' "$O/x" >"$GM_TMP/bad.conf"
run "$GPUMATCH" agent --once --config "$GM_TMP/bad.conf"
expect_rc 2 "bad config"
expect_err "bad.conf:2: unknown key 'bogus'"

# --- a long run: changes within one interval, driver unloaded, recovery ---
AG=
trap '[ -n "$AG" ] && kill "$AG" 2>/dev/null; rm -rf "$GM_TMP"' EXIT
start() { "$GPUMATCH" agent --root "$R" "$@" 2>"$GM_TMP/agent.log" & AG=$!; }
wait_for() { # FILE PATTERN SECONDS
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
start --nfd-file "$O/live" --prom-file "$O/live.prom" --interval 0.3
wait_for "$O/live" "nvidia.com/gpu.count=2" 5 || fail "agent did not write"
# driver upgrade and a GPU gone: visible within one interval (+ slack)
h100 580.65.06 13000 >"$GM_STUB_SCENARIO"
wait_for "$O/live" "nvidia.com/cuda.driver-version.full=580.65.06" 2 || fail "driver upgrade not seen within an interval"
grep -qxF "nvidia.com/gpu.count=1" "$O/live" || fail "GPU gone not seen: $(cat "$O/live")"
grep -qxF "gpumatch.io/gpu.compute.min=9.0" "$O/live" || fail "min CC not 9.0 after the A100 left"
# driver unloaded (nvmlInit: DRIVER_NOT_LOADED): keep the last good files
cp "$O/live" "$GM_TMP/live.good"
cp "$D/notloaded.scn" "$GM_STUB_SCENARIO"
wait_for "$O/live.prom" "gpumatch_probe_success 0" 3 || fail "prom does not show the failed probe"
sleep 0.7
cmp -s "$O/live" "$GM_TMP/live.good" || fail "NFD file changed while probing failed"
grep -q 'gpumatch_gpu_info{index="0",uuid="GPU-9a1b7c2e' "$O/live.prom" || fail "last good GPU series gone from prom"
h100 580.65.06 13000 >"$GM_STUB_SCENARIO"
wait_for "$GM_TMP/agent.log" "probe works again" 3 || fail "no recovery line"
wait_for "$O/live.prom" "gpumatch_probe_success 1" 3 || fail "prom not recovered"
kill -TERM $AG
wait $AG
RC=$?
[ $RC -eq 0 ] || fail "agent exit $RC after SIGTERM"
n_fail=$(grep -c "probe failed" "$GM_TMP/agent.log")
[ "$n_fail" -eq 1 ] || fail "probe failure logged $n_fail times (want once): $(cat "$GM_TMP/agent.log")"
[ "$(wc -l <"$GM_TMP/agent.log")" -eq 4 ] || fail "want 4 log lines (start, change, failed, recovered); got: $(cat "$GM_TMP/agent.log")"

# --- early re-evaluation on change: kernel module replaced under a 60 s interval ---
h100 570.124.06 12080 >"$GM_STUB_SCENARIO"
start --nfd-file "$O/watch" --interval 60 --watch 0.1
wait_for "$O/watch" "gpumatch.io/gpu.healthy=true" 5 || fail "watch agent did not write"
pf_kmod "$R" 580.82.07
wait_for "$O/watch" "gpumatch.io/gpu.healthy=false" 3 || fail "kernel module change not re-evaluated early"
grep -qxF "gpumatch.io/gpu.failed-check=driver.version-mismatch" "$O/watch" || fail "failed check not labelled: $(cat "$O/watch")"
kill -TERM $AG
wait $AG
grep -q "driver or devices changed" "$GM_TMP/agent.log" || fail "no change line"
pf_kmod "$R" 570.124.06

# --- unwritable output: directory missing, then created ---
start --nfd-file "$O/later/gpumatch" --interval 0.2
sleep 0.8
mkdir "$O/later"
wait_for "$O/later/gpumatch" "gpumatch.io/gpu.healthy=true" 3 || fail "not written once the directory exists"
kill -TERM $AG
wait $AG
[ "$(grep -c 'will retry' "$GM_TMP/agent.log")" -eq 1 ] || fail "write failure not logged exactly once: $(cat "$GM_TMP/agent.log")"
grep -q "written again" "$GM_TMP/agent.log" || fail "no recovery line for the output"
# the target is a directory: rename fails, no temporary file is left behind
mkdir -p "$O/isdir/gpumatch"
run "$GPUMATCH" agent --once --root "$R" --nfd-file "$O/isdir/gpumatch"
expect_rc 3 "unwritable target"
ls -A "$O/isdir" | grep -q gpumatch-tmp && fail "temporary file left: $(ls -A "$O/isdir")"

# --- SIGTERM during writes: files always whole, no temporary files left ---
S=/dev/shm
[ -w /dev/shm ] || S=$GM_TMP
W=$(mktemp -d "$S/gm-agent.XXXXXX")
for i in $(seq 8); do
    rm -f "$W/f.prom"
    "$GPUMATCH" agent --root "$R" --nfd-file "$W/f" --prom-file "$W/f.prom" --interval 0 --expiry 1 2>/dev/null &
    p=$!
    wait_for "$W/f.prom" "gpumatch_probe_success" 5  # handlers are installed by then
    sleep "0.0$((RANDOM % 9))"
    kill -TERM $p
    wait $p
    rc=$?
    [ $rc -eq 0 ] || fail "SIGTERM run $i: exit $rc"
    cp "$W/f" "$W/keep.$i"
    cp "$W/f.prom" "$W/keep.$i.prom"
    ls -A "$W" | grep -q gpumatch-tmp && fail "temporary file left after SIGTERM $i: $(ls -A "$W")"
done
# every file left behind parses whole (one interpreter for all of them)
run python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import nfd_check, prom_check
for i in range(1, 9):
    labels = nfd_check.main("%s/keep.%d" % (sys.argv[2], i), quiet=True, ignore_expiry=True)
    assert labels.get("gpumatch.io/gpu.healthy") in ("true", "false"), labels
    prom_check.check("%s/keep.%d.prom" % (sys.argv[2], i), quiet=True)
print("8 files whole")' "$A" "$W"
expect_rc 0 "files after SIGTERM"

rm -rf "$W"
finish
