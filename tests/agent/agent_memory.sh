#!/bin/bash
# The agent's resident memory stays flat over 10 000 evaluations (probe through
# the stub NVML, preflight of a fake tree, NFD + Prometheus outputs on tmpfs):
# RSS sampled from /proc after warm-up and at the end must not grow > 512 kB.
source "$GM_SRC/tests/lib.sh"
source "$GM_SRC/tests/preflight/mkroot.sh"
[ -z "${GM_SANITIZED:-}" ] || skip "sanitizer build: ASan's quarantine makes RSS meaningless (leaks are checked by LeakSanitizer in agent_cli)"
[ -e "$GM_STUB_DIR/libnvidia-ml.so.1" ] || skip "stub NVML not built"
unset GPUMATCH_NVML_PATH GPUMATCH_CUDA_PATH CUDA_VISIBLE_DEVICES NVIDIA_VISIBLE_DEVICES
R=$GM_TMP/root
pf_root "$R" 570.124.06 1 >/dev/null 2>&1 || skip "cannot build the fake root (cc, ldconfig)"
export LD_LIBRARY_PATH=$GM_STUB_DIR GM_STUB_SCENARIO=$GM_TMP/live.scn
printf 'driver 570.124.06\ncuda 12080\ngpu uuid=GPU-9a1b7c2e-0d3f-4e5a-9b6c-7d8e9f0a1b2c|name=NVIDIA H100 80GB HBM3|cc=9.0|mem=81559|pci=00000000:07:00.0|brand=14|persist=1|mig=0/0\n' >"$GM_STUB_SCENARIO"
S=/dev/shm
[ -w /dev/shm ] || S=$GM_TMP
W=$(mktemp -d "$S/gm-agent.XXXXXX")
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }
"$GPUMATCH" agent --root "$R" --nfd-file "$W/m" --prom-file "$W/m.prom" --interval 0 --iterations 10000 2>"$GM_TMP/mem.log" &
p=$!
trap 'kill $p 2>/dev/null; rm -rf "$GM_TMP" "$W"' EXIT
sleep 0.5
first=$(rss $p)
last=$first
while kill -0 $p 2>/dev/null; do
    r=$(rss $p)
    [ -n "$r" ] && last=$r
    sleep 0.2
done
wait $p
rc=$?
echo "memory: RSS ${first} kB after 0.5 s, ${last} kB near the end of 10000 evaluations"
[ $rc -eq 0 ] || fail "10000 iterations: exit $rc: $(cat "$GM_TMP/mem.log")"
[ -n "$first" ] && [ "$last" -le $((first + 512)) ] || fail "RSS grew from ${first} kB to ${last} kB"
[ "$(wc -l <"$GM_TMP/mem.log")" -eq 1 ] || fail "steady state logged: $(head -3 "$GM_TMP/mem.log")"
rm -rf "$W"
finish
