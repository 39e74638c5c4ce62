#!/usr/bin/env bash
# check/plan on a generated 1000-node cluster: a grouped summary that fits a
# screen, the blocking constraint named, and the details still available.
. "$GM_SRC/tests/lib.sh"
S=$GM_SRC/samples
G=$GPUMATCH
python3 "$GM_SRC/tests/ux/gen_cluster.py" 1000 >"$GM_TMP/c.json" || { fail "generator"; finish; }

run "$G" check --node "$GM_TMP/c.json" --require "$S/requirements/seed.json"
expect_rc 0 "check 1000 nodes"
n=$(wc -l <<<"$OUT")
[ "$n" -lt 40 ] || fail "check summary is $n lines (want < 40): $OUT"
expect_out "900 of 1000 nodes fit (6 kinds)"
expect_out " 400 × 8x NVIDIA H100 80GB HBM3 (CC 9.0, 81559 MiB), driver 580.95.05 (CUDA 13.0): fits"
# the T4 reason is printed once for its 100 nodes, not 100 times
[ "$(grep -c 'driver 470.57.02 < 525.60.13 required' <<<"$OUT")" -eq 1 ] || fail "T4 reason repeated"
expect_out "all 8 GPUs: via PTX JIT of compute_90"

# --details is the per-GPU table; --json still lists every node.
run "$G" check --node "$GM_TMP/c.json" --require "$S/requirements/seed.json" --details
[ "$(wc -l <<<"$OUT")" -gt 1000 ] || fail "--details lost nodes"
# the node column is as wide as the longest hostname in the cluster file
W=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d=d.get("nodes",d); print(max(len(n["hostname"]) for n in d))' "$GM_TMP/c.json")
[ "$(sed -n 2p <<<"$OUT" | grep -bo 'GPU   MODEL' | cut -d: -f1)" = $((W + 1)) ] ||
    fail "--details header: GPU not at column $((W + 1)): $(sed -n 2p <<<"$OUT")"
run "$G" check --node "$GM_TMP/c.json" --require "$S/requirements/seed.json" --json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["nodes"])==1000 and len(d["fits"])==900' <<<"$OUT" \
    || fail "check --json on 1000 nodes"

# Blocking constraint. "A cubin generated for a certain target architecture is
# only compatible with devices of the same major revision" (CUDA C++
# Programming Guide, Binary Compatibility): sm_90 runs on H100 (9.0) only,
# whose 81559 MiB is below 100000; the B200 has the memory but is 10.0.
echo '{"cubin":["sm_90"],"min_memory_mib":100000}' >"$GM_TMP/big.json"
run "$G" check --node "$GM_TMP/c.json" --require "$GM_TMP/big.json"
expect_rc 1 "nothing fits"
expect_out "blocking: no GPU has both >= 100000 MiB and CC 9.0 (where its code runs)"
[ "$(wc -l <<<"$OUT")" -lt 40 ] || fail "unschedulable summary too long"
# one facet alone: no GPU of the fleet has 200 GiB
echo '{"min_memory_mib":300000}' >"$GM_TMP/huge.json"
run "$G" check --node "$GM_TMP/c.json" --require "$GM_TMP/huge.json"
expect_out "blocking: no GPU has >= 300000 MiB"
# GPU count: 16 H100s on one node exist nowhere (nodes have 8)
echo '{"cubin":["sm_90"],"device_count":16}' >"$GM_TMP/many.json"
run "$G" check --node "$GM_TMP/c.json" --require "$GM_TMP/many.json"
expect_out "blocking: no node has 16 GPUs that meet all constraints (at most 8)"
# driver and code: the CUDA 13.0 build's sm_100 code meets B200s, all on 570
echo '{"cuda_runtime":"13.0","cubin":["sm_100"]}' >"$GM_TMP/b13.json"
run "$G" check --node "$GM_TMP/c.json" --require "$GM_TMP/b13.json"
expect_out "blocking: no node with a driver for the CUDA 13.0 runtime has a GPU with"
# GPUs whose compute capability the node document leaves out: the driver
# (580.95.05 >= 525.60.13) is not what blocks, the unknown CC is
echo '{"hostname":"nocc","driver_version":"580.95.05","devices":[{"name":"x"}]}' >"$GM_TMP/nocc.json"
run "$G" check --node "$GM_TMP/nocc.json" --require "$GM_SRC/samples/requirements/seed.json"
expect_rc 1 "check on GPUs of unknown CC"
expect_out "blocking: no node has a GPU with a known compute capability"
expect_no_out "no node has driver"
# --details (issue 15): an FQDN widens the node column instead of shifting the
# row; a long model is cut visibly; an unknown CC is "?", not "0.0"
FQDN=a-very-long-hostname-that-goes-on.gpu.cluster.example.org
MODEL="NVIDIA Some Extremely Long Model Name 96GB HBM3e"
echo "{\"hostname\":\"$FQDN\",\"driver_version\":\"580.95.05\",\"devices\":[{\"name\":\"$MODEL\",\"compute_capability\":\"9.0\",\"memory_mib\":98304},{\"name\":\"x\"}]}" >"$GM_TMP/fqdn.json"
run "$G" check --node "$GM_TMP/fqdn.json" --require "$GM_SRC/samples/requirements/seed.json" --details
GM_OUT=$OUT python3 - "$FQDN" <<'PY' || fail "check --details columns: $OUT"
import os, sys
fqdn = sys.argv[1]
rows = [l for l in os.environ["GM_OUT"].split("\n")[1:] if l and not l.startswith(("0 of", "1 of"))]
head, body = rows[0], rows[1:]
col = head.index("GPU")
assert col == len(fqdn) + 1, (col, head)
for l in body:
    assert l.startswith(fqdn + " "), l
    assert l.index(" ", len(fqdn) + 1) > col, l
    assert l[head.index("VERDICT"):].split()[0] in ("no", "fits", "compatible", "incompatible"), l
gpu0 = [l for l in body if l[col:].startswith("0 ")][0]
assert "NVIDIA Some Extremely Long Mo\u2026" in gpu0, gpu0
gpu1 = [l for l in body if l[col:].startswith("1 ")][0]
assert gpu1[head.index("CC"):].startswith("? "), gpu1
assert "0.0" not in gpu1, gpu1
PY

# On a terminal of 80 columns every line fits, cut text ending in an ellipsis.
COLUMNS=80 run "$G" check --node "$GM_TMP/c.json" --require "$GM_TMP/big.json"
python3 -c '
import sys
lines = sys.stdin.read().split("\n")
assert max(len(l) for l in lines) <= 80, max(lines, key=len)
assert any(l.endswith("\u2026") for l in lines)
' <<<"$OUT" || fail "COLUMNS=80 not respected by check"

# 300 nodes that all differ (one driver each): the summary stays a screenful and
# says how many kinds it did not print.
python3 -c '
import json
print(json.dumps([{"hostname": "n%03d" % i, "driver_version": "5%02d.%d.01" % (30 + i % 50, i),
                   "devices": [{"name": "NVIDIA L4", "compute_capability": "8.9", "memory_mib": 23034}]}
                  for i in range(300)]))' >"$GM_TMP/k300.json"
run "$G" check --node "$GM_TMP/k300.json" --require "$S/requirements/seed.json"
[ "$(wc -l <<<"$OUT")" -lt 40 ] || fail "300 kinds: summary too long"
expect_out "... 276 more kinds (276 nodes, 276 fit): --details or --json lists them"

# plan on the same inventory stays short too.
run "$G" plan --nodes "$GM_TMP/c.json" --queue "$S/plan/queue.json"
[ "$(wc -l <<<"$OUT")" -lt 40 ] || fail "plan summary too long: $(wc -l <<<"$OUT") lines"
finish
