#!/usr/bin/env bash
# Every JSON document gpumatch writes validates against the schema shipped in
# schemas/ (python3-jsonschema, Draft 2020-12), and so do the bundled samples;
# documents the parser rejects are rejected by the schemas too.
. "$GM_SRC/tests/lib.sh"
S=$GM_SRC/samples
G=$GPUMATCH
SC=$GM_SRC/schemas
PY=
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || skip "python3-jsonschema not installed (scripts/deps --test installs it)"

D=$GM_TMP/docs
mkdir -p "$D"
i=0
save() { i=$((i + 1)); cp "$GM_TMP/out" "$D/$1.$i.json"; } # after run: save SCHEMA

for r in "$S"/requirements/*.json; do
    run "$G" check --node "$S/cluster.json" --require "$r" --json; save verdict
done
python3 "$GM_SRC/tests/ux/gen_cluster.py" 200 >"$GM_TMP/c200.json"
run "$G" check --node "$GM_TMP/c200.json" --require "$S/requirements/arvados-request.json" --json; save verdict
run "$G" plan --nodes "$S/plan/inventory.json" --queue "$S/plan/queue.json" --json; save plan
run "$G" plan --nodes "$GM_TMP/c200.json" --queue "$S/plan/queue.json" --json; save plan
REQS=()
for r in "$S"/requirements/*.json; do REQS+=(--require "$r"); done
run "$G" matrix --nodes "$S/cluster.json" "${REQS[@]}" --json; save matrix
run "$G" matrix --nodes "$S/cluster.json" "${REQS[@]}" --json --what-if driver=580.95.05 --pool 'a100*'; save matrix
for x in "$GM_SRC"/tests/probe/data/smi/{a100_mig,h100,t4,v100x2}.xml; do
    run "$G" probe --from-smi "$x"; expect_rc 0 "probe $x"; save node
done
for x in "$GM_SRC"/tests/inspect/data/{app_shared,sm80_ptx80_plain.fatbin,sm90a_sm100f_zstd.fatbin,compute100f.ptx,libk.a}; do
    run "$G" inspect --json "$x"; expect_rc 0 "inspect $x"; save requirement
done
cp "$S/cluster.json" "$D/node.sample-cluster.json"
cp "$S/plan/inventory.json" "$D/node.sample-inventory.json"
for r in "$S"/requirements/*.json; do cp "$r" "$D/requirement.sample-$(basename "$r")"; done

"$PY" - "$SC" "$D" <<'PY' || fail "schema validation"
import glob, json, os, sys
from jsonschema import Draft202012Validator
sc, d = sys.argv[1], sys.argv[2]
schemas = {}
for f in glob.glob(os.path.join(sc, "*.schema.json")):
    s = json.load(open(f))
    Draft202012Validator.check_schema(s)
    schemas[os.path.basename(f).split(".")[0]] = Draft202012Validator(s)
assert set(schemas) >= {"node", "requirement", "verdict", "plan", "matrix"}, schemas.keys()
bad, n = 0, 0
for f in sorted(glob.glob(os.path.join(d, "*.json"))):
    kind = os.path.basename(f).split(".")[0]
    doc = json.load(open(f))
    errs = list(schemas[kind].iter_errors(doc))
    n += 1
    for e in errs[:3]:
        bad += 1
        print("%s: %s at %s" % (os.path.basename(f), e.message, list(e.absolute_path)))
    if kind in ("verdict", "plan", "matrix") or (kind == "requirement" and "sample" not in f):
        if doc.get("schema_version") != 1:
            bad += 1
            print("%s: no schema_version" % os.path.basename(f))
# negative controls: what the parser rejects, the schemas reject
neg = [("node", {"hostname": "x", "min_driver": "535"}),
       ("node", {"devices": [{"compute_capability": "8.0", "memory": 1}]}),
       ("requirement", {"cubn": ["8.0"]}),
       ("verdict", {"schema_version": 1, "requirement": "r", "fits": [], "nodes": [
           {"node": "a", "fits": False, "compatible_gpus": 0, "reasons": [], "notes": [], "gpus": []}]}),
       ("matrix", {"schema_version": 1, "what_if": None, "workloads": [], "kinds": [],
                   "cells": [{"workload": 0, "kind": 0, "state": "maybe", "compatible_gpus": 0,
                              "reasons": [], "notes": []}]})]
for kind, doc in neg:
    if schemas[kind].is_valid(doc):
        bad += 1
        print("%s schema accepts %s" % (kind, doc))
print("%d documents validated, %d problems" % (n, bad))
sys.exit(1 if bad or n < 20 else 0)
PY

# Documents carrying schema_version are read back (check takes inspect's output).
run "$G" inspect --json "$GM_SRC/tests/inspect/data/sm80_ptx80_plain.fatbin" -o "$GM_TMP/req.json"
run "$G" check --node "$S/cluster.json" --require "$GM_TMP/req.json"
expect_rc 0 "requirement with schema_version reads back"
echo '{"nodes": [{"schema_version": 1, "hostname": "n", "driver_version": "580.95.05", "devices": [{"compute_capability": "9.0"}]}]}' >"$GM_TMP/n.json"
run "$G" check --node "$GM_TMP/n.json" --require "$S/requirements/seed.json"
expect_rc 0 "node with schema_version reads back"
finish
