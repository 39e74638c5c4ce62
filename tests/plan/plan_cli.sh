#!/bin/bash
# gpumatch plan on samples/plan. Expected placements worked out by hand from
# the rules (see docs/plan.md): priority first, fixed nodes before instance
# types, cheapest fitting type, reasons for every node kind otherwise.
source "$GM_SRC/tests/lib.sh"
S=$GM_SRC/samples/plan
run "$GPUMATCH" plan --nodes $S/inventory.json --queue $S/queue.json
expect_rc 1 "plan with an unschedulable request"
# train-a100 (priority 10): sm_80 x2, CUDA 12.1 runtime; a100-01 driver 535.104.05 >= 530.30.02
expect_out "train-a100 (priority 10): node a100-01, devices 0 (GPU-a1000000-0000-0000-0000-000000000000), 1 (GPU-a1000000-0000-0000-0000-000000000001)"
# infer-small: sm_75 on t4-01; CUDA 11.8 via minor version compatibility (470.57.02 >= 450.80.02)
expect_out "infer-small (priority 0): node t4-01, device 0"
# infer-ampere: a100 taken; sm_80 runs on 8.9 (same major) with 23034 MiB >= 20000: L4 at 0.805 < A10G 1.006
expect_out "infer-ampere (priority 5): instance type g6.xlarge (price 0.805)"
expect_out "hopper-8x (priority 1): instance type p5.48xlarge (price 98.32)"
# blackwell-only: no CC 10.x anywhere: one line per distinct reason, every kind named
expect_out "blackwell-only (priority 0): unschedulable"
expect_out "  - node a100-01: "
expect_out "  - node t4-01: "
expect_out "instance type p5.48xlarge: "
expect_out "instance type g4dn.xlarge: "
# image-cuda12.4: t4-01 is taken by infer-small (same priority, earlier); g4dn's driver 550 supports CUDA 12.4
expect_out "image-cuda12.4 (priority 0): instance type g4dn.xlarge (price 0.526)"
expect_out "6 requests: 2 on nodes, 3 on instance types, 1 unschedulable"

run "$GPUMATCH" plan --nodes $S/inventory.json --queue $S/queue.json --json
expect_rc 1 "plan --json"
python3 -c 'import json, sys
d = json.loads(sys.stdin.read())
p = {x["id"]: x for x in d["placements"]}
assert p["train-a100"]["placement"] == "node" and [u["index"] for u in p["train-a100"]["devices"]] == [0, 1]
assert p["infer-ampere"]["instance_type"] == "g6.xlarge"
assert p["blackwell-only"]["placement"] == "unschedulable" and len(p["blackwell-only"]["reasons"]) >= 3
assert d["summary"] == {"requests": 6, "on_nodes": 2, "on_instance_types": 3, "unschedulable": 1}
' <<<"$OUT" || fail "plan JSON: $OUT"

# everything placed -> 0; output file written atomically
echo '[{"id": "one", "cubin": ["sm_75"]}]' >"$GM_TMP/q.json"
run "$GPUMATCH" plan --nodes $S/inventory.json --queue "$GM_TMP/q.json" -o "$GM_TMP/plan.txt"
expect_rc 0 "all placed"
grep -q "one (priority 0): node t4-01" "$GM_TMP/plan.txt" || fail "plan -o: $(cat $GM_TMP/plan.txt)"

# one request document, not in a list, is a queue of one (issue 15: plan
# refused it); placed like the same request in a list
echo '{"id": "one", "cubin": ["sm_75"]}' >"$GM_TMP/q1.json"
run "$GPUMATCH" plan --nodes $S/inventory.json --queue "$GM_TMP/q1.json"
expect_rc 0 "single request object"
expect_out "one (priority 0): node t4-01"

# bad input -> 2, one line naming the file
echo '[{"id": "x", "device_count": -1}]' >"$GM_TMP/bad.json"
run "$GPUMATCH" plan --nodes $S/inventory.json --queue "$GM_TMP/bad.json"
expect_rc 2 "bad queue"; expect_one_line_err; expect_err "bad.json"
run "$GPUMATCH" plan --nodes $S/inventory.json
expect_rc 2 "no queue"

# An instance type without "count" can be started as often as needed (Arvados
# dispatch-cloud); with "count": 1 only once.
cat >"$GM_TMP/types.json" <<'EOF2'
[{"instance_type": "g6.xlarge", "price": 0.805, "driver_version": "550.54.15",
  "devices": [{"compute_capability": "8.9", "memory_mib": 23034}]}]
EOF2
echo '[{"id":"a","cubin":["8.0"]},{"id":"b","cubin":["8.0"]},{"id":"c","cubin":["8.0"]}]' >"$GM_TMP/q3.json"
run "$GPUMATCH" plan --nodes "$GM_TMP/types.json" --queue "$GM_TMP/q3.json"
expect_rc 0 "unlimited instance type"
[ "$(grep -c 'instance type g6.xlarge' <<<"$OUT")" -eq 3 ] || fail "expected 3 g6.xlarge placements: $OUT"
sed -i 's/"price": 0.805,/"price": 0.805, "count": 1,/' "$GM_TMP/types.json"
run "$GPUMATCH" plan --nodes "$GM_TMP/types.json" --queue "$GM_TMP/q3.json"
expect_rc 1 "count 1"
expect_out "every instance its count allows is taken"
finish
