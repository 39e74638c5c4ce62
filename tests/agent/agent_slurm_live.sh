#!/bin/bash
# gpumatch agent and `preflight --slurm-health` against a real Slurm (Debian
# slurmctld + slurmd on loopback, as tests/export/slurm_live.sh runs it):
#  - the agent (stub NVML) sets the node's AvailableFeatures/ActiveFeatures to
#    the node's `export --to slurm` words, and srun --constraint accepts them;
#  - a driver upgrade and a GPU gone in the stub show up within one interval;
#  - slurmd itself runs `gpumatch preflight --slurm-health` as
#    HealthCheckProgram: a broken driver drains the node with the failed
#    check as reason (sinfo -R), fixed it resumes; a drain by an admin is
#    left alone.
source "$GM_SRC/tests/lib.sh"
source "$GM_SRC/tests/preflight/mkroot.sh"
source "$GM_SRC/tests/slurm_lib.sh"
slurm_require
[ -e "$GM_STUB_DIR/libnvidia-ml.so.1" ] || skip "stub NVML not built"
unset GPUMATCH_NVML_PATH GPUMATCH_CUDA_PATH CUDA_VISIBLE_DEVICES NVIDIA_VISIBLE_DEVICES

T=$GM_TMP/slurm
R=$GM_TMP/root
mkdir -p $T/state $T/spool
pf_root "$R" 570.124.06 1 >/dev/null 2>&1 || skip "cannot build the fake root"
H=$(hostname)
SCN=$GM_TMP/live.scn
h100() { printf 'driver %s\ncuda %s\ngpu uuid=GPU-9a1b7c2e-0d3f-4e5a-9b6c-7d8e9f0a1b2c|name=NVIDIA H100 80GB HBM3|cc=9.0|mem=81559|pci=00000000:07:00.0|brand=14|persist=1|mig=0/0\n' "$1" "$2"; }
a100() { printf 'gpu uuid=GPU-1c2d3e4f-0d3f-4e5a-9b6c-7d8e9f0a1b2c|name=NVIDIA A100-SXM4-80GB|cc=8.0|mem=81920|pci=00000000:0F:00.0|brand=14|persist=1|mig=0/0\n'; }
{ h100 570.124.06 12080; a100; } >"$SCN"
stubbed() { LD_LIBRARY_PATH=$GM_STUB_DIR GM_STUB_SCENARIO=$SCN "$@"; }
# What the features must become: export --to slurm of the probed node.
want_features() {
    stubbed "$GPUMATCH" probe >$GM_TMP/node.json || return 1
    "$GPUMATCH" export --to slurm $GM_TMP/node.json | sed -n 's/^NodeName=.* Features=//p'
}
feat() { scontrol show node $H -o | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# HealthCheckProgram: slurmd runs it with no arguments; the wrapper names the
# tree and the node document (the fake root stands for this machine).
cat >$T/health.sh <<EOF
#!/bin/bash
# slurmd runs this with a clean environment: name the config for scontrol
export SLURM_CONF=$T/slurm.conf
exec "$GPUMATCH" preflight --slurm-health --root "$R" --node "$GM_TMP/health-node.json" \\
    --slurm-node "$H" --state-file "$T/health.state" >>"$T/health.log" 2>&1
EOF
chmod +x $T/health.sh
want_features >/dev/null
cp $GM_TMP/node.json $GM_TMP/health-node.json

slurm_conf gmagent 7 "HealthCheckProgram=$T/health.sh" "HealthCheckInterval=1" \
    "NodeName=$H NodeAddr=127.0.0.1 CPUs=1 Features=gpu Gres=gpu:h100:1 State=UNKNOWN" \
    "PartitionName=gm Nodes=ALL Default=YES State=UP"
printf 'NodeName=%s Name=gpu Type=h100 File=/dev/null\n' $H >$T/gres.conf
AG=
slurm_stop_hook() { [ -n "$AG" ] && kill "$AG" 2>/dev/null; true; }
slurm_start

wait_feat() { # WORDS SECONDS: until AvailableFeatures and ActiveFeatures equal WORDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        [ "$(feat AvailableFeatures)" = "$1" ] && [ "$(feat ActiveFeatures)" = "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# --- the agent keeps the node's features ---
INTERVAL=1
# env, not the stubbed function: $! must be the agent itself, so kill stops it
env LD_LIBRARY_PATH=$GM_STUB_DIR GM_STUB_SCENARIO=$SCN "$GPUMATCH" agent --slurm-node $H --interval $INTERVAL --root "$R" 2>$GM_TMP/agent.log &
AG=$!
W=$(want_features)
case ",$W," in *,drv570,*) ;; *) fail "expected drv570 in $W" ;; esac
wait_feat "$W" 5 || fail "features not set: want $W, have $(feat AvailableFeatures) / $(feat ActiveFeatures); log: $(cat $GM_TMP/agent.log)"
run timeout 30 srun --immediate=5 --constraint="drv570" true
expect_rc 0 "srun on the agent's features: $ERR"
# driver upgrade (580, CUDA 13.0) and the A100 gone: one interval (+1 s slack)
h100 580.65.06 13000 >"$SCN"
W2=$(want_features)
case ",$W2," in *,cc80,*) fail "A100 gone but cc80 still wanted: $W2" ;; esac
case ",$W2," in *,cc90,*) ;; *) fail "one H100 left: expected cc90 in $W2" ;; esac
t0=$(date +%s.%N)
wait_feat "$W2" $((INTERVAL + 2)) || fail "change not applied within an interval: want $W2, have $(feat AvailableFeatures)"
echo "features updated $(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo '?') s after the stub changed"
run timeout 30 srun --immediate=5 --constraint="cc90&cudage_13_0" true
expect_rc 0 "srun --constraint=cudage_13_0 after the upgrade: $ERR"
run timeout 20 srun --immediate=3 --constraint="cc80" true
[ "$RC" -ne 0 ] || fail "cc80 still accepted after the A100 left"
# someone else overwrites the features: put back within an interval
scontrol update NodeName=$H AvailableFeatures=gpu ActiveFeatures=gpu
wait_feat "$W2" $((INTERVAL + 2)) || fail "foreign feature change not undone"
kill $AG
wait $AG
AG=
[ "$(grep -c 'features set to' $GM_TMP/agent.log)" -eq 3 ] || fail "want 3 feature updates logged: $(cat $GM_TMP/agent.log)"

# --- HealthCheckProgram: drain with the failed check, resume when fixed ---
# 580 user space (node document) over the 570 kernel module: version mismatch
cp $GM_TMP/node.json $GM_TMP/health-node.json
wait_reason() { # PATTERN SECONDS ('' = no reason)
    local i r
    for ((i = 0; i < $2 * 10; i++)); do
        r=$(sinfo -h -R -n $H -o '%E' 2>/dev/null)
        if [ -z "$1" ]; then [ -z "$r" ] && return 0; else grep -qF -- "$1" <<<"$r" && return 0; fi
        sleep 0.1
    done
    return 1
}
wait_reason "gpumatch: driver.version-mismatch" 8 || fail "not drained by the health check: $(sinfo -R); log: $(cat $T/health.log)"
sinfo -R -o '%.70E %.8U %N'
case "$(sinfo -h -n $H -o %t)" in drain* | drng*) ;; *) fail "state $(sinfo -h -n $H -o %t), want drain" ;; esac
[ -s $T/health.state ] || fail "drain not recorded in the state file"
pf_kmod "$R" 580.65.06
pf_lib "$R" /usr/lib/x86_64-linux-gnu libnvidia-ml 580.65.06
rm -f "$R"/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.570.124.06
pf_ldconfig "$R" /usr/lib/x86_64-linux-gnu
pf_lib "$R" /usr/lib/x86_64-linux-gnu libcuda 580.65.06
rm -f "$R"/usr/lib/x86_64-linux-gnu/libcuda.so.570.124.06 "$R"/usr/lib/x86_64-linux-gnu/libnvidia-ptxjitcompiler.so.570.124.06
pf_lib "$R" /usr/lib/x86_64-linux-gnu libnvidia-ptxjitcompiler 580.65.06
pf_ldconfig "$R" /usr/lib/x86_64-linux-gnu
run "$GPUMATCH" preflight --root "$R" --node $GM_TMP/health-node.json
expect_rc 0 "fixed tree passes preflight: $OUT"
wait_reason "" 8 || fail "not resumed: $(sinfo -R); log: $(cat $T/health.log)"
[ -e $T/health.state ] && fail "state file left after resume"
grep -q "resumed node $H" $T/health.log || fail "no resume line: $(cat $T/health.log)"
# an admin's drain on a healthy node stays
scontrol update NodeName=$H State=DRAIN Reason="admin: memory test"
sleep 2.5
wait_reason "admin: memory test" 1 || fail "admin drain was undone: $(sinfo -R)"
scontrol update NodeName=$H State=RESUME
finish
