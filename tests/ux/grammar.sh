#!/usr/bin/env bash
# One CLI grammar (issue 15 item 2): --nodes and --require take the same kinds
# of argument in every verb, -o/--json/--format behave alike, short options
# mean one thing, mistyped options get a suggestion, a document passed as the
# wrong kind is named, and every --help lists the same exit codes. The answer
# each new form must give is the one of the form that existed before (one
# file, a document), on the real sample files.
. "$GM_SRC/tests/lib.sh"
G=$GPUMATCH
S=$GM_SRC/samples
SEED=$S/requirements/seed.json
ARV=$S/requirements/arvados-request.json
FATBIN=$GM_SRC/tests/inspect/data/sm80_ptx80_plain.fatbin
# fits nowhere: no sample node has 4 GPUs (README, "Blocking constraint")
FOUR=$GM_TMP/four.json
echo '{"cubin": ["sm_90"], "device_count": 4}' >"$FOUR"
N=$GM_TMP/nodes
"$S/make" "$N" >/dev/null || fail "samples/make"
cd "$GM_TMP" || exit 1

# --- --nodes: file, directory, glob, -, repeated; --node stays ------------
run "$G" check --node "$S/cluster.json" --require "$SEED"
expect_rc 0 "check --node"
ref=$OUT
run "$G" check --nodes "$N" --require "$SEED"
expect_rc 0 "check --nodes DIR"
# the directory's files sorted: a100, b200, h100, l4, t4, v100
expect_out "4 of 6 nodes fit: a100-01 b200-01 h100-01 l4-01 (6 kinds)"
run "$G" check --nodes "$N/*-01.json" --require "$SEED"
expect_rc 0 "check --nodes GLOB"
expect_out "4 of 6 nodes fit: a100-01 b200-01 h100-01 l4-01"
run "$G" check --nodes "$N/h100*" --nodes "$N/t4-01.json" -r "$SEED"
expect_rc 0 "check --nodes repeated"
expect_out "1 of 2 nodes fit: h100-01"
run "$G" check --nodes - --require "$SEED" <"$S/cluster.json"
expect_rc 0 "check --nodes -"
[ "$OUT" = "$ref" ] || fail "check --nodes - differs from --node FILE: $OUT"
run "$G" check --nodes "$N/nosuch*.json" --require "$SEED"
expect_rc 2 "glob without match"
expect_err "gpumatch check: --nodes '$N/nosuch*.json': no file matches"
mkdir -p empty
run "$G" check --nodes empty --require "$SEED"
expect_rc 2 "empty directory"
expect_err "empty: a directory without *.json files"
run "$G" plan --nodes - --queue "$S/plan/queue.json" <"$S/plan/inventory.json"
expect_rc 1 "plan --nodes -" # blackwell-only is unschedulable (README)
expect_out "6 requests: 2 on nodes, 3 on instance types, 1 unschedulable"
run "$G" matrix --nodes "$N" --require "$SEED" --require "$FOUR"
expect_rc 1 "matrix --nodes DIR" # four fits nowhere
expect_out "seed"
run "$G" report --nodes "$N/*.json" --require "$SEED" -o r.html
expect_rc 0 "report --nodes GLOB"
grep -q "<html" r.html || fail "report -o: no page"

# export --to slurm --nodes CLUSTER --require REQ: the README's positional form
run "$G" export --to slurm --nodes "$S/cluster.json" "$SEED"
expect_rc 0 "export positional"
ref=$OUT
run "$G" export --to slurm --nodes "$S/cluster.json" --require "$SEED"
expect_rc 0 "export --nodes --require"
[ "$OUT" = "$ref" ] || fail "export --require differs from the positional FILE: $OUT"
run "$G" export --to slurm --node "$N/h100-01.json"
expect_rc 0 "export --node FILE"
expect_out "Features="
run "$G" export --to k8s-labels --nodes "$S/cluster.json" --require "$SEED"
expect_rc 2 "export --nodes with a requirement, not slurm"
expect_err "is for --to slurm"

# --- --require: documents, binaries, repeated -----------------------------
run "$G" check --nodes "$S/cluster.json" --require "$FATBIN"
expect_rc 0 "check --require BINARY"
# sm_80 cubin + PTX ISA 9.0 (CUDA 13.0): CC 8.x by cubin, 9.0 by JIT; B200's
# driver 570 (CUDA 12.8) cannot JIT ISA 9.0
expect_out "3 of 6 nodes fit: a100-01 l4-01 h100-01"
run "$G" check --nodes "$S/cluster.json" --require "$FATBIN" --require "$SEED"
expect_rc 0 "check with two --require"
[ "$(grep -c '^requirement: ' <<<"$OUT")" -eq 2 ] || fail "not one section per requirement: $OUT"
expect_out "requirement: $SEED"
expect_out "4 of 6 nodes fit: a100-01 l4-01 h100-01 b200-01"
run "$G" check --nodes "$S/cluster.json" --require "$SEED" --require "$FOUR"
expect_rc 1 "one requirement fits nowhere"
run "$G" check --nodes "$S/cluster.json" --require "$SEED" --require "$ARV" --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert [x["requirement"] for x in d] == sys.argv[2:], d' \
    "$OUT" "$SEED" "$ARV" || fail "check --json with two --require: not one document each"
run "$G" matrix --nodes "$S/cluster.json" --require "$FATBIN" --json
expect_rc 0 "matrix --require BINARY"
expect_out '"sm80_ptx80_plain.fatbin"'
run "$G" launch --runtime docker --nodes "$N/h100-01.json" -r "$FATBIN" --dry-run img
expect_rc 0 "launch --require BINARY"
expect_out "device=GPU-e1000000-0000-0000-0000-000000000000"

# a repeated single-valued option is an error naming it
run "$G" check --nodes "$S/cluster.json" -r "$SEED" --format json --format csv
expect_rc 2 "--format twice"
expect_err "gpumatch check: option --format given twice; it takes one value"
run "$G" launch --runtime docker --runtime podman -r "$SEED" -n "$N/h100-01.json" --dry-run img
expect_rc 2 "--runtime twice"
expect_err "option --runtime given twice"
run "$G" export --to slurm --to dra "$SEED"
expect_rc 2 "export --to twice"
expect_err "option --to given twice"
run "$G" plan --nodes "$S/plan/inventory.json" --queue "$S/plan/queue.json" --queue "$S/plan/queue.json"
expect_rc 2 "plan --queue twice"
expect_err "option --queue given twice"

# --- -o / --json / --format ------------------------------------------------
run "$G" check --nodes "$S/cluster.json" --require "$SEED"
ref=$OUT
echo old >c.txt && chmod 600 c.txt
run "$G" check --nodes "$S/cluster.json" --require "$SEED" -o c.txt
expect_rc 0 "check -o"
[ -z "$OUT" ] || fail "check -o also printed: $OUT"
[ "$(cat c.txt)" = "$ref" ] || fail "check -o wrote: $(cat c.txt)"
[ "$(stat -c %a c.txt)" = 600 ] || fail "check -o changed the mode to $(stat -c %a c.txt)"
run "$G" check --nodes "$S/cluster.json" --require "$FOUR" -o c.txt
expect_rc 1 "check -o, nothing fits"
grep -q "0 of 6 nodes fit" c.txt || fail "check -o on exit 1: $(cat c.txt)"
run "$G" check --nodes "$S/cluster.json" --require "$SEED" --format csv
expect_rc 0 "check --format csv"
expect_out "requirement,node,gpu,model,cc,memory_mib,verdict,reasons,notes"
expect_out "\"$SEED\",\"h100-01\",\"1\",\"NVIDIA H100 80GB HBM3\",\"9.0\",81559,compatible,"
[ "$(grep -c "\"$SEED\",\"h100-01\"," <<<"$OUT")" -eq 3 ] || fail "csv: not a node row + 2 GPU rows"
run "$G" check --nodes "$S/cluster.json" --require "$SEED" --json --format table
expect_rc 2 "--json and --format table"
expect_err "--json and --format table disagree"
run "$G" inspect "$FATBIN"
ref=$OUT
run "$G" inspect -o i.txt "$FATBIN"
expect_rc 0 "inspect -o (text)"
[ "$(cat i.txt 2>/dev/null)" = "$ref" ] || fail "inspect -o without --json wrote: $(cat i.txt 2>/dev/null)"
run "$G" preflight --root /nonexistent-root --nodes "$N/a100-01.json" -o pf.json --json
[ "$RC" -le 1 ] || fail "preflight -o: exit $RC: $ERR"
python3 -c 'import json,sys; json.load(open("pf.json"))' || fail "preflight -o --json: not JSON"
run "$G" preflight --root /nonexistent-root --nodes "$N/a100-01.json" --format csv
expect_rc 2 "preflight --format csv"
expect_err "gpumatch preflight: --format csv: preflight has no csv output; use table or json"
"$S/pfroot" pfroot >/dev/null || fail "samples/pfroot"
run "$G" driver-files --root pfroot
ref=$OUT
run "$G" driver-files --root pfroot -o df.txt
[ -n "$ref" ] && [ "$(cat df.txt 2>/dev/null)" = "$ref" ] || fail "driver-files -o wrote: $(cat df.txt 2>/dev/null) $ERR"
run "$G" probe --from-smi "$GM_SRC/tests/probe/data/smi/h100.xml" -o p.json
expect_rc 0 "probe -o"
"$G" probe --from-smi "$GM_SRC/tests/probe/data/smi/h100.xml" --out p2.json
cmp -s p.json p2.json || fail "probe -o and --out differ"
run "$G" plan --nodes "$S/plan/inventory.json" --queue "$S/plan/queue.json" --format csv
expect_rc 2 "plan --format csv"
expect_err "plan has no csv output"

# --- short options: -r is --require everywhere, -n --nodes, -j --json -------
run "$G" launch --runtime docker -r "$SEED" -n "$N/h100-01.json" --dry-run img
expect_rc 0 "launch -r REQ"
run "$G" check -n "$S/cluster.json" -r "$SEED" -j
expect_rc 0 "check -n -r -j"
expect_out '"schema_version": 1'

# --- a node given twice ---------------------------------------------------------
# the same cluster file twice (or a glob and a file): refused, not 12 nodes of 6
run "$G" check -n "$S/cluster.json" -n "$S/cluster.json" -r "$SEED"
expect_rc 2 "the same --nodes twice"
expect_err 'hostname "a100-01" is given twice'
expect_one_line_err
run "$G" plan -n "$S/cluster.json" -n "$N/a100-01.json" --queue "$S/plan/queue.json"
expect_rc 2 "a cluster file and a node file naming one node"
expect_err 'hostname "a100-01" is given twice'

# --- did you mean ------------------------------------------------------------
run "$G" check --requre "$SEED" --nodes "$S/cluster.json"
expect_rc 2 "check --requre"
expect_err "gpumatch check: unknown option --requre; did you mean --require?"
expect_one_line_err
run "$G" matrix --nods "$S/cluster.json" -r "$SEED"
expect_rc 2 "matrix --nods"
expect_err "unknown option --nods; did you mean --nodes?"
run "$G" probe --jsn
expect_rc 2 "probe --jsn"
expect_err "unknown option --jsn; did you mean --json?"
run "$G" launch --runtime docker -r "$SEED" --dry-rn img
expect_rc 2 "launch --dry-rn"
expect_err "unknown option --dry-rn; did you mean --dry-run?"
run "$G" chek
expect_rc 2 "verb typo"
expect_err "did you mean check?"
# JSON fields too (issue 15: "min_memory" gave no suggestion); a truncated
# name, a typo, and a word too far from every field (no suggestion)
echo '{"min_memory": 1}' >"$GM_TMP/mm.json"
run "$G" check -r "$GM_TMP/mm.json" --nodes "$S/cluster.json"
expect_rc 2 "field min_memory"
expect_err 'unknown field "min_memory"; did you mean "min_memory_mib"?'
expect_one_line_err
echo '{"nodes": [{"hostname": "x", "drivr_version": "580.95.05", "devices": []}]}' >"$GM_TMP/dv.json"
run "$G" check -r "$SEED" --nodes "$GM_TMP/dv.json"
expect_rc 2 "field drivr_version"
expect_err 'did you mean "driver_version"?'
echo '{"colour": "red"}' >"$GM_TMP/col.json"
run "$G" check -r "$GM_TMP/col.json" --nodes "$S/cluster.json"
expect_rc 2 "field colour"
expect_err 'unknown field "colour"'
grep -qF "did you mean" <<<"$ERR" && fail "colour got a suggestion: $ERR"

# --- document kinds ------------------------------------------------------------
run "$G" check --nodes "$SEED" --require "$S/cluster.json"
expect_rc 2 "swapped documents"
expect_err "gpumatch check: $SEED looks like a requirement document (has \"min_driver\"); pass it with --require"
run "$G" check --nodes "$S/cluster.json" --require "$S/cluster.json"
expect_rc 2 "node document as requirement"
expect_err "$S/cluster.json looks like a node document (has \"nodes\"); pass it with --nodes"
run "$G" matrix --nodes "$ARV" --require "$SEED"
expect_rc 2 "Arvados request as nodes"
expect_err "looks like a requirement document (has \"runtime_constraints\")"

# --- launch --host, --gpus all -------------------------------------------------
run "$G" launch --runtime docker --nodes "$S/cluster.json" --host h100-01 -r "$SEED" --dry-run img
expect_rc 0 "launch --host"
expect_out "device=GPU-e1000000-0000-0000-0000-000000000000\""
run "$G" launch --runtime docker --nodes "$S/cluster.json" -r "$SEED" --dry-run img
expect_rc 2 "launch, cluster without --host"
expect_err "holds 6 nodes; launch checks one (pick it with --host NAME)"
run "$G" launch --runtime docker --nodes "$S/cluster.json" --host nosuch -r "$SEED" --dry-run img
expect_rc 2 "launch --host nosuch"
expect_err "no node has hostname \"nosuch\""
# both H100s run the seed (CC 9.0 cubin): all gives both
run "$G" launch --runtime docker --nodes "$S/cluster.json" --host h100-01 -r "$SEED" --gpus all --dry-run img
expect_rc 0 "launch --gpus all"
expect_out "device=GPU-e1000000-0000-0000-0000-000000000000,GPU-e1000000-0000-0000-0000-000000000001"
# a100-01: GPU 0 whole, GPU 1 in MIG mode; all takes the whole GPU only
run "$G" launch --runtime docker --nodes "$S/cluster.json" --host a100-01 -r "$SEED" --gpus all --dry-run img
expect_rc 0 "launch --gpus all, MIG"
expect_out "\"device=GPU-a1000000-1111-2222-3333-444444444440\","

# --- exit codes in every --help; --version in the usage -----------------------
run "$G" --help
expect_out "--version"
expect_out "exit: 0 ok / fits, 1 does not fit / refused / a check failed, 2 bad usage or input,"
for v in $("$G" --help | sed -n '/^verbs:/,/^$/p' | awk 'NF >= 2 && /^  [a-z]/ {print $1}'); do
    case $v in cdi) h=$("$G" cdi --help) ;; *) h=$("$G" "$v" --help) ;; esac
    grep -qF "exit: 0 ok / fits, 1 does not fit / refused / a check failed, 2 bad usage or input," <<<"$h" &&
        grep -qF "      3 no driver, GPU or runtime" <<<"$h" || fail "$v --help lacks the exit codes"
done
finish
