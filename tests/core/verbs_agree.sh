#!/usr/bin/env bash
# check, plan and launch --dry-run decide through the one core: for every node of
# the sample cluster (a100-01 has GPU 1 in MIG mode) and every sample
# requirement, plus one- and two-GPU requests, the three verbs must agree.
# MIG User Guide, "CUDA Device Enumeration": "a single CUDA process can only
# enumerate a single MIG device" - so a whole GPU plus a MIG slice is never two
# GPUs for one process.
. "$GM_SRC/tests/lib.sh"
S=$GM_SRC/samples
G=$GPUMATCH
python3 - "$S/cluster.json" "$GM_TMP" <<'PY'
import json, sys
nodes = json.load(open(sys.argv[1]))
nodes = nodes["nodes"] if isinstance(nodes, dict) else nodes
for n in nodes:
    json.dump(n, open(f"{sys.argv[2]}/node-{n['hostname']}.json", "w"))
PY
cat >"$GM_TMP/req-one.json" <<'J'
{"cubin": ["sm_80"], "device_count": 1}
J
cat >"$GM_TMP/req-two.json" <<'J'
{"cubin": ["sm_80"], "device_count": 2}
J
agree=0
for node in "$GM_TMP"/node-*.json; do
    for req in "$S"/requirements/*.json "$GM_TMP"/req-one.json "$GM_TMP"/req-two.json; do
        "$G" check --node "$node" --require "$req" >/dev/null 2>&1; c=$?
        { printf '['; cat "$req"; printf ']'; } >"$GM_TMP/queue.json"
        "$G" plan --nodes "$node" --queue "$GM_TMP/queue.json" >/dev/null 2>&1; p=$?
        "$G" launch --runtime docker --require "$req" --node "$node" --no-preflight --dry-run \
            img:latest >/dev/null 2>&1; l=$?
        if [ "$c" -le 1 ] && [ "$c" = "$p" ] && [ "$c" = "$l" ]; then
            agree=$((agree + 1))
        else
            fail "$(basename "$node") x $(basename "$req"): check=$c plan=$p launch=$l"
        fi
    done
done
echo "verbs agree on $agree (node, requirement) pairs"
# The MIG node: one GPU request fits (a whole GPU or one MIG device), two GPUs do not.
run "$G" check --node "$GM_TMP/node-a100-01.json" --require "$GM_TMP/req-two.json"
expect_rc 1 "a100-01 two GPUs"
expect_out "a MIG device cannot serve a 2-GPU request"
run "$G" launch --runtime docker --require "$GM_TMP/req-two.json" --node "$GM_TMP/node-a100-01.json" \
    --no-preflight --dry-run img:latest
expect_rc 1 "launch two GPUs on a100-01"
finish
