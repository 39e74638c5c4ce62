#!/usr/bin/env bash
# Every JSON document gpumatch writes (probe, inspect, check, plan, matrix and
# report's embedded matrix, preflight, driver-files, prove) carries
# schema_version and validates against the installed schema of schemas/
# (python3-jsonschema, Draft 2020-12), and so do the bundled samples; documents
# the parser rejects, and real outputs broken one way, are rejected.
. "$GM_SRC/tests/lib.sh"
S=$GM_SRC/samples
G=$GPUMATCH
# validate against the installed copies: what ships is what is checked
run cmake --install "$GM_BUILD" --prefix "$GM_TMP/prefix"
expect_rc 0 "cmake --install"
SC=$GM_TMP/prefix/share/gpumatch/schemas
for f in "$GM_SRC"/schemas/*.schema.json; do
    cmp -s "$f" "$SC/${f##*/}" || fail "not installed: share/gpumatch/schemas/${f##*/}"
done
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
# report embeds the matrix document in the page
run "$G" report --nodes "$S/cluster.json" "${REQS[@]}" --what-if driver=580.95.05 --pool 'a100*' -o "$GM_TMP/r.html"
expect_rc 0 "report"
sed -n '/<script type="application\/json" id="gm-data">/,/<\/script>/p' "$GM_TMP/r.html" | sed '1d;$d' >"$GM_TMP/out"
[ -s "$GM_TMP/out" ] || fail "report: no embedded gm-data document"
save matrix
for x in "$GM_SRC"/tests/probe/data/smi/{a100_mig,h100,t4,v100x2}.xml; do
    run "$G" probe --from-smi "$x"; expect_rc 0 "probe $x"; save node
done
for x in "$GM_SRC"/tests/inspect/data/{app_shared,sm80_ptx80_plain.fatbin,sm90a_sm100f_zstd.fatbin,compute100f.ptx,libk.a}; do
    run "$G" inspect --json "$x"; expect_rc 0 "inspect $x"; save requirement
done
# check with several --require: a list of verdict documents
run "$G" check --node "$S/cluster.json" "${REQS[@]}" --json; save verdict
# plan: instance types, MIG instances, unschedulable requests (one reason list
# shared by several), a queue of one
cat >"$GM_TMP/types.json" <<'EOF2'
[{"instance_type": "g6.xlarge", "price": 0.805, "driver_version": "550.54.15",
  "devices": [{"compute_capability": "8.9", "memory_mib": 23034}]},
 {"instance_type": "free", "driver_version": "550.54.15", "devices": [{"compute_capability": "7.5"}]}]
EOF2
echo '[{"id":"a","cubin":["8.0"]},{"id":"b","cubin":["7.5"],"priority":3},{"id":"c","cubin":["12.0"]},{"id":"d","cubin":["12.0"]},{"cubin":["9.0"]}]' >"$GM_TMP/q5.json"
run "$G" plan --nodes "$GM_TMP/types.json" --queue "$GM_TMP/q5.json" --json; save plan
"$G" probe --from-smi "$GM_SRC/tests/probe/data/smi/a100_mig.xml" >"$GM_TMP/mig.json"
echo '[{"id":"m1","cubin":["8.0"],"min_memory_mib":30000},{"id":"m2","cubin":["8.0"]},{"id":"m3","cubin":["8.0"]},{"id":"big","cubin":["8.0"],"min_memory_mib":90000}]' >"$GM_TMP/qm.json"
run "$G" plan --nodes "$GM_TMP/mig.json" --queue "$GM_TMP/qm.json" --json; save plan
grep -q '"mig": 1' "$GM_TMP/out" || fail "MIG plan places no request on a MIG instance: $OUT"
run "$G" plan --nodes "$S/plan/inventory.json" --queue "$S/requirements/seed.json" --json; save plan
# preflight over the sample trees (samples/pfroot), pass and fail, with an image
P=$GM_TMP/pf
mkdir -p "$P"
(cd "$P" && for k in good upgraded fc n535 mismatch; do "$GM_SRC/samples/pfroot" "$k" "$k" >/dev/null 2>&1; done) ||
    fail "samples/pfroot"
for a in "good --node $P/a100.json" "upgraded" "mismatch" "fc --node $P/rtx-535.json" \
         "n535 --node $P/rtx-535.json --image $P/cuda128.tar" "n535 --node $P/a100ok.json --image $P/cuda128.tar"; do
    set -- $a
    r=$1; shift
    run "$G" preflight --root "$P/$r" "$@" --json; save preflight
done
run "$G" probe --root "$P/good" --backend procfs; expect_rc 0 "probe procfs"; save node
# driver-files: with a driver root, a given version (a warning, exit 3), stale
# libraries, all capabilities
for a in "good" "fc --capabilities all" "upgraded --driver-version 580.95.05" "mismatch" \
         "n535 --driver-root $P/good --driver-version 580.95.05"; do
    set -- $a
    r=$1; shift
    run "$G" driver-files --root "$P/$r" "$@" --json; save driver-files
done
# prove against the stub libcuda (tests/probe/stub): cubin + JIT, errors, a
# lying rule, an expired budget, sampling, MIG
I=$GM_SRC/tests/inspect/data
PD=$GM_SRC/tests/prove/data
STUB=$GM_BUILD/tests/probe/stub-full
if [ -d "$STUB" ]; then
    for a in "two.scn $I/sm80_ptx80_plain.fatbin" "errors.scn $I/sm90a.cubin $I/compute100f.ptx" \
             "lie.scn $I/sm80_ptx80_plain.fatbin" \
             "slow.scn --budget 0.2 $I/sm80_ptx80_plain.fatbin $I/sm80_ptx80_lz4.fatbin" \
             "two.scn --sample $I/sm80_ptx80_plain.fatbin $I/sm80_ptx80_lz4.fatbin" \
             "mig.scn --gpus MIG-b1000000-1111-2222-3333-444444444441 $I/sm80_ptx80_plain.fatbin"; do
        set -- $a
        scn=$1; shift
        run env -u CUDA_VISIBLE_DEVICES LD_LIBRARY_PATH="$STUB" GM_STUB_SCENARIO="$PD/$scn" "$G" prove --json "$@"
        save prove
    done
    run env LD_LIBRARY_PATH="$STUB" GM_STUB_SCENARIO="$PD/two.scn" "$G" probe --backend cuda; save node
else
    fail "no stub libcuda at $STUB"
fi
# inspect over a directory, an image and a wheel
mkdir -p "$GM_TMP/tree/lib" "$GM_TMP/layer/opt/app"
cp "$I/app_shared" "$I/libk.a" "$GM_TMP/tree/lib/"
run "$G" inspect --json "$GM_TMP/tree"; save requirement
run "$G" inspect --json "$P/cuda128.tar"; save requirement
cp "$I/app_shared" "$I/sm90a_sm100f_zstd.fatbin" "$GM_TMP/layer/opt/app/"
(. "$GM_SRC/tests/preflight/mkroot.sh" && pf_docker_archive "$GM_TMP/app.tar" "$GM_TMP/layer" CUDA_VERSION=12.8.1)
run "$G" inspect --json "$GM_TMP/app.tar"; save requirement
"$PY" -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.write(sys.argv[2], "pkg/libk.so")
    z.writestr("pkg-1.0.dist-info/METADATA", "Name: pkg\nVersion: 1.0\n")' "$GM_TMP/pkg-1.0-py3-none-linux_x86_64.whl" "$I/app_shared"
run "$G" inspect --json "$GM_TMP/pkg-1.0-py3-none-linux_x86_64.whl"; save requirement
cp "$S/cluster.json" "$D/node.sample-cluster.json"
cp "$S/plan/inventory.json" "$D/node.sample-inventory.json"
for r in "$S"/requirements/*.json; do cp "$r" "$D/requirement.sample-$(basename "$r")"; done

"$PY" - "$SC" "$D" <<'PY' || fail "schema validation"
import copy, glob, json, os, sys
from jsonschema import Draft202012Validator
sc, d = sys.argv[1], sys.argv[2]
schemas = {}
for f in glob.glob(os.path.join(sc, "*.schema.json")):
    s = json.load(open(f))
    Draft202012Validator.check_schema(s)
    schemas[os.path.basename(f).split(".")[0]] = Draft202012Validator(s)
want = {"node", "requirement", "verdict", "plan", "matrix", "preflight", "driver-files", "prove"}
assert set(schemas) >= want, schemas.keys()
bad, n, docs = 0, 0, {}
for f in sorted(glob.glob(os.path.join(d, "*.json"))):
    kind = os.path.basename(f).split(".")[0]
    doc = json.load(open(f))
    docs.setdefault(kind, []).append(doc)
    errs = list(schemas[kind].iter_errors(doc))
    n += 1
    for e in errs[:3]:
        bad += 1
        print("%s: %s at %s" % (os.path.basename(f), e.message, list(e.absolute_path)))
    # every document gpumatch writes carries schema_version (first key, but in
    # plan and requirement documents, whose writers put it elsewhere)
    if "sample" not in f:
        for x in doc if isinstance(doc, list) else [doc]:
            if x.get("schema_version") != 1 or (kind not in ("plan", "requirement") and next(iter(x)) != "schema_version"):
                bad += 1
                print("%s: schema_version not 1 or not first" % os.path.basename(f))
missing = want - set(docs)
if missing:
    bad += 1
    print("no documents of kind %s" % sorted(missing))
# negative controls: what the parser rejects, the schemas reject
neg = [("node", {"hostname": "x", "min_driver": "535"}),
       ("node", {"devices": [{"compute_capability": "8.0", "memory": 1}]}),
       ("requirement", {"cubn": ["8.0"]}),
       ("verdict", {"schema_version": 1, "requirement": "r", "fits": [], "nodes": [
           {"node": "a", "fits": False, "compatible_gpus": 0, "reasons": [], "notes": [], "gpus": []}]}),
       ("matrix", {"schema_version": 1, "what_if": None, "workloads": [], "kinds": [],
                   "cells": [{"workload": 0, "kind": 0, "state": "maybe", "compatible_gpus": 0,
                              "reasons": [], "notes": []}]})]
# and real documents, each broken in one way a consumer would trip on
def first(kind, pred=lambda x: True):
    return copy.deepcopy(next(x for x in docs[kind] if pred(x)))
def mut(kind, f, pred=lambda x: True):
    x = first(kind, pred)
    f(x)
    neg.append((kind, x))
is_list = lambda x: isinstance(x, list)
mut("verdict", lambda x: x[1].pop("schema_version"), is_list)
mut("verdict", lambda x: x.append({"schema_version": 1}), is_list)
mut("plan", lambda x: x["placements"][0]["devices"][0].update(gpu=0),
    lambda x: x["placements"] and "devices" in x["placements"][0])
mut("plan", lambda x: next(p for p in x["placements"] if "reasons" in p).update(reasons=[]),
    lambda x: any("reasons" in p for p in x["placements"]))
mut("plan", lambda x: next(p for p in x["placements"] if p["placement"] == "instance_type").update(price="0.8"),
    lambda x: any(p["placement"] == "instance_type" for p in x["placements"]))
mut("plan", lambda x: next(p for p in x["placements"] if "same_reasons_as" in p).update(reasons=["r"]),
    lambda x: any("same_reasons_as" in p for p in x["placements"]))
mut("preflight", lambda x: x["checks"][0].update(status="error"))
mut("preflight", lambda x: next(c for c in x["checks"] if c["status"] == "ok").update(fix="reboot"))
mut("preflight", lambda x: x["checks"][0].update(id="driver.kernel_module"))
mut("preflight", lambda x: x.update(status="warn"))
mut("preflight", lambda x: x["checks"][0].pop("fix"))
mut("driver-files", lambda x: x["files"][0].update(kind="socket"))
mut("driver-files", lambda x: x.pop("ldcache"))
mut("driver-files", lambda x: x.update(libraries=[]))
mut("driver-files", lambda x: next(f for f in x["files"] if f["kind"] == "device").update(major="195"))
mut("prove", lambda x: x["modules"][0]["loads"][0].update(result="loaded"))
mut("prove", lambda x: x["devices"][0].update(proven_fits="yes"))
mut("prove", lambda x: x["summary"].pop("budget_expired"))
mut("requirement", lambda x: x.update(device_code="yes"), lambda x: "device_code" in x)
mut("requirement", lambda x: x["entry_points"][0]["variants"][0].pop("modules"), lambda x: "entry_points" in x)
for kind, doc in neg:
    if schemas[kind].is_valid(doc):
        bad += 1
        print("%s schema accepts %s" % (kind, json.dumps(doc)[:300]))
print("%d documents validated (%s), %d rejected as they should be, %d problems" % (
    n, ", ".join("%s %d" % (k, len(v)) for k, v in sorted(docs.items())), len(neg), bad))
sys.exit(1 if bad or n < 40 else 0)
PY

# Documents carrying schema_version are read back (check takes inspect's output).
run "$G" inspect --json "$GM_SRC/tests/inspect/data/sm80_ptx80_plain.fatbin" -o "$GM_TMP/req.json"
run "$G" check --node "$S/cluster.json" --require "$GM_TMP/req.json"
expect_rc 0 "requirement with schema_version reads back"
echo '{"nodes": [{"schema_version": 1, "hostname": "n", "driver_version": "580.95.05", "devices": [{"compute_capability": "9.0"}]}]}' >"$GM_TMP/n.json"
run "$G" check --node "$GM_TMP/n.json" --require "$S/requirements/seed.json"
expect_rc 0 "node with schema_version reads back"
finish
