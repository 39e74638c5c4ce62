#!/usr/bin/env bash
# gpumatch check on the bundled samples, and every kind of bad input.
. "$GM_SRC/tests/lib.sh"
S=$GM_SRC/samples
G=$GPUMATCH

# Seed requirement: min driver 525.60.13 rules out t4-01 (470) and v100-01 (450);
# sm_80 runs on 8.0 and 8.9, sm_90 on 9.0, PTX compute_90 JIT-compiles on 10.0.
run "$G" check --node "$S/cluster.json" --require "$S/requirements/seed.json"
expect_rc 0 "seed check"
expect_out "4 of 6 nodes fit: a100-01 l4-01 h100-01 b200-01"
expect_out "driver 470.57.02 < 525.60.13 required"
expect_out "no cubin for major 7 (has sm_80, sm_90) and PTX compute_90 needs >= 9.0, device is 7.5"
expect_out "via PTX JIT of compute_90"

# JSON form parses and agrees with the table.
run "$G" check --node "$S/cluster.json" --require "$S/requirements/seed.json" --json
expect_rc 0 "seed --json"
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["fits"]==["a100-01","l4-01","h100-01","b200-01"], d["fits"]; assert len(d["nodes"])==6' <<<"$OUT" \
    || fail "JSON output not valid or wrong fits"

# 12.8 PTX on a 535 driver: runtime accepted via minor version compatibility, JIT refused.
run "$G" check --node "$S/cluster.json" --require "$S/requirements/ptx-only-cuda128.json"
expect_out "ok via minor version compatibility"
expect_out "PTX compute_75 has ISA 8.7, which needs a driver supporting CUDA 12.8; driver supports CUDA 12.2"

# Arvados request: 2 GPUs of CC >= 8.0 with 32 GiB each and CUDA >= 12.0.
# a100-01 has one whole GPU and GPU 1 in MIG mode: MIG User Guide, "CUDA Device
# Enumeration": "a single CUDA process can only enumerate a single MIG device", so
# a whole GPU plus a MIG slice is not 2 GPUs for one process.
run "$G" check --node "$S/cluster.json" --require "$S/requirements/arvados-request.json"
expect_rc 0 "arvados"
expect_out "1 of 6 nodes fit: h100-01"
expect_out "a MIG device cannot serve a 2-GPU request"

# Empty lists are no constraint (and, under ASan, leak nothing).
echo '{"cubin": [], "ptx": []}' >"$GM_TMP/empty.json"
run "$G" check --node "$S/cluster.json" --require "$GM_TMP/empty.json"
expect_rc 0 "empty code lists"
expect_out "6 of 6 nodes fit"

# Nothing fits -> exit 1.
echo '{"cubin":["sm_120"]}' >"$GM_TMP/r.json"
run "$G" check --node "$S/cluster.json" --require "$GM_TMP/r.json"
expect_rc 1 "nothing fits"

# Bad input: one line on stderr naming file and field, exit 2.
printf '{"cubin": ["8.0"' >"$GM_TMP/bad.json"
run "$G" check --node "$S/cluster.json" --require "$GM_TMP/bad.json"
expect_rc 2 "malformed JSON"; expect_err "bad.json:1:"; expect_one_line_err
echo '{"cubn": ["8.0"]}' >"$GM_TMP/typo.json"
run "$G" check --node "$S/cluster.json" --require "$GM_TMP/typo.json"
expect_rc 2 "unknown field"; expect_err 'typo.json: $: unknown field "cubn"'; expect_one_line_err
echo '{"min_driver": "535..1"}' >"$GM_TMP/ver.json"
run "$G" check --node "$S/cluster.json" --require "$GM_TMP/ver.json"
expect_rc 2 "bad version"; expect_err 'ver.json: $.min_driver: bad driver version "535..1"'; expect_one_line_err
echo '{"devices":[{"compute_capability":"8.x"}]}' >"$GM_TMP/node.json"
run "$G" check --node "$GM_TMP/node.json" --require "$S/requirements/seed.json"
expect_rc 2 "bad node"; expect_err '$.devices[0].compute_capability'; expect_one_line_err
run "$G" check --node "$GM_TMP/missing.json" --require "$S/requirements/seed.json"
expect_rc 2 "missing file"; expect_err "missing.json: No such file"; expect_one_line_err
run "$G" check --require "$S/requirements/seed.json"
expect_rc 2 "no node"
run "$G" check --bogus
expect_rc 2 "bad option"
run "$G" frobnicate
expect_rc 2 "unknown verb"

# tables prints every table with its source.
run "$G" tables
expect_rc 0 tables
expect_out "12.0   525.60.13    525.60.13    RN-T3 + RN-T2"
expect_out "9.0      13.0       PTX-RH"
expect_out "sm_100f  10.0,10.3,10.7     12.9   PG13-FAM + BLOG-12.9"
expect_out "8.7   Ampere     yes"
expect_out "565      12.7   PTX-RH"
finish
