#!/usr/bin/env bash
# gpumatch matrix: every cell agrees with check on every node of its kind; the
# what-if re-evaluates with the new driver; text is width-aware and escaped.
. "$GM_SRC/tests/lib.sh"
S=$GM_SRC/samples
G=$GPUMATCH
REQS=()
for r in "$S"/requirements/*.json; do REQS+=(--require "$r"); done

# 1. Cells agree with `check --json` node by node (check is the consumer of gm_match).
run "$G" matrix --nodes "$S/cluster.json" "${REQS[@]}" --json
expect_rc 0 "matrix --json"
echo "$OUT" >"$GM_TMP/m.json"
for r in "$S"/requirements/*.json; do
    "$G" check --node "$S/cluster.json" --require "$r" --json >"$GM_TMP/c-$(basename "$r")"
done
python3 - "$GM_TMP" "$S/requirements" <<'PY' || fail "matrix disagrees with check"
import json, os, sys
tmp, reqdir = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(tmp, "m.json")))
assert m["schema_version"] == 1
nk = len(m["kinds"])
assert len(m["cells"]) == nk * len(m["workloads"])
for w, name in enumerate(m["workloads"]):
    c = json.load(open(os.path.join(tmp, "c-" + name + ".json")))
    fits = {n["node"]: n["fits"] for n in c["nodes"]}
    for k, kind in enumerate(m["kinds"]):
        cell = m["cells"][w * nk + k]
        for host in kind["nodes"]:
            assert fits[host] == (cell["state"] != "no"), (name, kind["id"], host, cell)
        if cell["state"] == "no":
            assert cell["reasons"], cell
        if cell["state"] == "fits-with-note":
            assert cell["notes"], cell
PY

# 2. What-if. CUDA 13.0 needs driver >= 580 ("CUDA 13.0 ... >=580" in Table 3 of
# the CUDA Toolkit Release Notes): the hopper/blackwell build (CUDA 13.0
# runtime, sm_80 cubin) is refused on a100-01 (535) and runs after the change.
H=$S/requirements/hopper-blackwell-tuned.json
run "$G" matrix --nodes "$S/cluster.json" --require "$H" --what-if driver=580.95.05 --pool a100 --json
expect_rc 0 "what-if a100"
python3 -c '
import json, sys
m = json.load(sys.stdin)
assert m["what_if"] == {"driver": "580.95.05", "pool": "a100"}, m["what_if"]
ids = [k["id"] for k in m["kinds"]]
a = ids.index("a100"); t = ids.index("t4")
assert m["kinds"][a]["changed"] and m["kinds"][a]["was_driver"] == "535.104.05"
assert m["kinds"][a]["cuda_driver"] == "13.0", m["kinds"][a]
assert not m["kinds"][t]["changed"]
ca = m["cells"][a]
assert ca["before"]["state"] == "no" and ca["state"] != "no", ca
assert any("< 580" in r for r in ca["before"]["reasons"]), ca
assert m["cells"][t]["state"] == "no"   # T4 has no sm_80 cubin: still no
' <<<"$OUT" || fail "what-if a100: $OUT"
# a glob on hostnames works as a pool, in text too
run "$G" matrix --nodes "$S/cluster.json" --require "$H" --what-if driver=580.95.05 --pool 'b200-*'
expect_rc 0 "what-if hostname glob"
expect_out "what-if: driver 580.95.05 on pool b200-*"
expect_out "570.124.06"
expect_out "no->note"
run "$G" matrix --nodes "$S/cluster.json" --require "$H" --what-if driver=580.95.05 --pool nosuch
expect_rc 2 "unknown pool"; expect_err "--pool nosuch matches no node kind"; expect_one_line_err
run "$G" matrix --nodes "$S/cluster.json" --require "$H" --what-if driver=58x --pool a100
expect_rc 2 "bad driver"; expect_one_line_err
run "$G" matrix --nodes "$S/cluster.json" --require "$H" --what-if cuda=13.0 --pool a100
expect_rc 2 "bad what-if"; expect_err "--what-if takes driver=VERSION"
run "$G" matrix --nodes "$S/cluster.json" --require "$H" --format yaml
expect_rc 2 "bad format"
run "$G" matrix --nodes "$S/cluster.json"
expect_rc 2 "no workload"

# 3. CSV: RFC 4180, one row per cell, read back by Python's csv module.
run "$G" matrix --nodes "$S/cluster.json" "${REQS[@]}" --format csv
expect_rc 0 csv
python3 -c '
import csv, io, sys
rows = list(csv.DictReader(io.StringIO(sys.stdin.read(), newline="")))
assert len(rows) == 5 * 6, len(rows)
assert {r["state"] for r in rows} <= {"fits", "fits-with-note", "no"}
r = [r for r in rows if r["workload"] == "seed" and r["kind"] == "t4"][0]
assert r["state"] == "no" and "driver 470.57.02 < 525.60.13 required" in r["reasons"], r
' <<<"$OUT" || fail "csv: $OUT"

# 4. Exit 1 when some workload fits nowhere (no GPU of CC 12.0 in the cluster).
echo '{"cubin":["sm_120"]}' >"$GM_TMP/r120.json"
run "$G" matrix --nodes "$S/cluster.json" --require "$S/requirements/seed.json" --require "$GM_TMP/r120.json"
expect_rc 1 "a workload fits nowhere"

# 5. Grouping: hostname/UUID do not split a kind, a different MIG layout does.
python3 - "$S/cluster.json" >"$GM_TMP/g.json" <<'PY'
import copy, json, sys
nodes = json.load(open(sys.argv[1]))["nodes"]
a = [n for n in nodes if n["hostname"] == "a100-01"][0]
twin = copy.deepcopy(a); twin["hostname"] = "a100-02"
for d in twin["devices"]: d["uuid"] = d["uuid"][:-1] + "f"
other = copy.deepcopy(a); other["hostname"] = "a100-03"
other["devices"][1]["mig_devices"] = other["devices"][1]["mig_devices"][:1]
print(json.dumps({"nodes": [a, twin, other]}))
PY
run "$G" matrix --nodes "$GM_TMP/g.json" --require "$S/requirements/seed.json" --json
python3 -c '
import json, sys
k = json.load(sys.stdin)["kinds"]
assert [x["nodes"] for x in k] == [["a100-01", "a100-02"], ["a100-03"]], k
assert [x["id"] for x in k] == ["a100", "a100-2"], k
' <<<"$OUT" || fail "grouping: $OUT"

# 6. Width: COLUMNS bounds every line; cut text ends in a visible ellipsis.
COLUMNS=60 run "$G" matrix --nodes "$S/cluster.json" "${REQS[@]}"
python3 -c '
import sys
lines = sys.stdin.read().split("\n")
assert max(len(l) for l in lines) <= 60, max(lines, key=len)
assert any(l.endswith("\u2026") for l in lines)
' <<<"$OUT" || fail "COLUMNS=60 not respected"
# a pipe without COLUMNS: nothing cut
env -u COLUMNS "$G" matrix --nodes "$S/cluster.json" "${REQS[@]}" | grep -q $'\u2026' && fail "elided on a pipe"

# 7. Control characters in names are escaped, never written raw.
printf '{"hostname":"evil\\u001b[31mhost","driver_version":"580.95.05","devices":[{"index":0,"name":"GPU\\u0007bell","compute_capability":"9.0","memory_mib":1000}]}' >"$GM_TMP/evil.json"
run "$G" matrix --nodes "$GM_TMP/evil.json" --require "$S/requirements/seed.json"
expect_rc 0 "evil names"
grep -q $'\x1b\|\x07' <<<"$OUT" && fail "raw control character in output"
expect_out 'GPU\x07bell'
run "$G" check --node "$GM_TMP/evil.json" --require "$S/requirements/seed.json"
grep -q $'\x1b\|\x07' <<<"$OUT" && fail "raw control character in check output"
expect_out 'evil\x1b[31mhost'

# 8. Did you mean.
run "$G" chek
expect_rc 2 "typo verb"; expect_err "did you mean check?"
run "$G" --help
expect_out "--version"
finish
