#!/usr/bin/env python3
"""Exports read by the real consumers, compared with `gpumatch check`.

For every (requirement, node) pair of samples/cluster.json plus
tests/export/data/consumer-nodes.json (a node whose GPUs are all in MIG mode,
one with swapped device minors) and the mixed-model node, each consumer must
accept only what `gpumatch check` accepts (exit 0); it may be stricter (a
refusal where check fits) when the export says so in a note. One process for
the whole file (CI time). Consumers:

- htcondor: the `classad2` module of the PyPI htcondor wheel. The machine ad
  holds one nested ad per published GPU (Common merged into each, as the
  startd's per-GPU properties), AvailableGPUs lists them, and the job's
  require_gpus is counted with countMatches(RequireGPUs, AvailableGPUs) >=
  request_GPUs, as the startd matches GPU requirements.
- dra: cel-python (a real CEL evaluator) over the exported ResourceSlice, with
  Kubernetes' CEL library functions added as k8s.io/apiserver defines them:
  semver() strict (major.minor.patch, no leading zeros; blang/semver
  ParseTolerant is *not* used for the selector), quantity(), and
  compareTo() returning -1/0/1. A claim is satisfiable when `count` devices
  pass the selector. Both objects are loaded into the kubernetes client's
  models (V1ResourceSlice, V1ResourceClaimTemplate), which enforce required
  fields.
- k8s-labels: nodeAffinity semantics (API reference, NodeSelectorRequirement)
  over the node's labels, and the device plugin's nvidia.com/gpu allocatable =
  nvidia.com/gpu.count (MIG strategy mixed); on a mixed-model node also with
  the labels real GFD writes when it picks either model. V1Affinity model.
- slurm: sbatch(1) --constraint parsed strictly left to right with
  parentheses grouping (checked against a live Slurm in slurm_live.sh), and
  --gres=gpu:N against the node's gres count.
- arvados: lib/dispatchcloud/container/node_size.go ChooseInstanceType's GPU
  checks (ParseFloat versions, hardware_target list semantics) and
  services/api/app/models/container_request.rb's validation of
  runtime_constraints.gpu (driver_version "X.Y" when device_count > 0).
"""
import glob, json, os, re, subprocess, sys, tempfile

import yaml
import htcondor2  # registers HTCondor's ClassAd functions (countMatches, evalInEachContext)
import classad2
import celpy
from celpy import celtypes
import kubernetes.client

GM, SRC = os.environ["GPUMATCH"], os.environ["GM_SRC"]
D = f"{SRC}/tests/export/data"
TMP = tempfile.mkdtemp()
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def gm(*args):
    p = subprocess.run([GM, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


# ---------------------------------------------------------------- inputs
nodes = json.load(open(f"{SRC}/samples/cluster.json"))["nodes"]
nodes += json.load(open(f"{D}/consumer-nodes.json"))["nodes"]
nodes.append(json.load(open(f"{D}/mixed-node.json")))
node_files = {}
for n in nodes:
    p = f"{TMP}/{n['hostname']}.json"
    json.dump(n, open(p, "w"))
    node_files[n["hostname"]] = p
reqs = sorted(glob.glob(f"{SRC}/samples/requirements/*.json")) + sorted(glob.glob(f"{D}/req-*.json"))

all_nodes = f"{TMP}/all.json"
json.dump({"nodes": nodes}, open(all_nodes, "w"))
fits = {}
for r in reqs:  # one check per requirement over all nodes
    rc, out, err = gm("check", "--node", all_nodes, "--require", r, "--json")
    if rc not in (0, 1):
        fail(f"check {r}: exit {rc}: {err}")
    ok = set(json.loads(out)["fits"])
    for h in node_files:
        fits[h, r] = h in ok

api = kubernetes.client.ApiClient()


def k8s_model(obj, kind):
    # the client's own deserializer: required fields and types are enforced
    return api._ApiClient__deserialize(obj, kind)


def notes(text):
    return [l for l in text.splitlines() if "note:" in l]


# ---------------------------------------------------------------- htcondor
def condor_machine(text):
    attrs = {}
    for line in text.splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        attrs[k] = v
    common = classad2.ClassAd(attrs["Common"]) if "Common" in attrs else classad2.ClassAd()
    m = classad2.ClassAd()
    names = []
    for k, v in attrs.items():
        if k in ("DetectedGPUs", "Common"):
            continue
        g = classad2.ClassAd(v)
        for ck in common.keys():
            if ck not in g:
                g[ck] = common.eval(ck)
        m[k] = g
        names.append(k)
    # DetectedGPUs names every published unit, and only those
    det = attrs.get("DetectedGPUs", "0").strip('"')
    ids = [] if det == "0" else [x.strip() for x in det.split(",")]
    if sorted(i.replace("-", "_") for i in ids) != sorted(names):
        fail(f"DetectedGPUs {ids} vs ads {names}")
    m["AvailableGPUs"] = classad2.ExprTree("{ " + ", ".join(names) + " }")
    return m, ids


def condor_accepts(machine, text):
    count = int(re.search(r"^request_GPUs = (\d+)$", text, re.M).group(1))
    expr = re.search(r"^require_gpus = (.*)$", text, re.M).group(1)
    machine["RequireGPUs"] = classad2.ExprTree(expr)
    n = classad2.ExprTree("countMatches(RequireGPUs, AvailableGPUs)").eval(machine)
    if type(n) is not int:  # classad2.Value (Error/Undefined) is an int subclass
        fail(f"countMatches gave {n!r} for {expr}")
        return False
    return n >= count


# ---------------------------------------------------------------- dra (CEL)
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


class Semver(celtypes.ListType):
    pass


def semver(s):
    m = SEMVER.match(str(s))
    if not m:
        raise ValueError(f"semver: invalid version {s!r}")
    return Semver([celtypes.IntType(int(x)) for x in m.groups()])


QSUF = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def quantity(s):
    m = re.match(r"^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T|)$", str(s))
    if not m:
        raise ValueError(f"quantity: {s!r}")
    return celtypes.IntType(int(m.group(1)) * QSUF[m.group(2)])


def compare_to(a, b):
    if isinstance(a, Semver) != isinstance(b, Semver):
        raise TypeError("compareTo across types")
    a, b = (tuple(a), tuple(b)) if isinstance(a, Semver) else (int(a), int(b))
    return celtypes.IntType((a > b) - (a < b))


CEL = celpy.Environment()


def dra_devices(sl):
    out = []
    for d in sl["spec"]["devices"]:
        attrs = {}
        for k, v in d.get("attributes", {}).items():
            dom, name = k.rsplit("/", 1) if "/" in k else (sl["spec"]["driver"], k)
            if "string" in v: val = celtypes.StringType(v["string"])
            elif "int" in v: val = celtypes.IntType(v["int"])
            elif "bool" in v: val = celtypes.BoolType(v["bool"])
            else: val = semver(v["version"])
            attrs.setdefault(celtypes.StringType(dom), celtypes.MapType())[celtypes.StringType(name)] = val
        cap = celtypes.MapType()
        for k, v in d.get("capacity", {}).items():
            cap.setdefault(celtypes.StringType(sl["spec"]["driver"]), celtypes.MapType())[celtypes.StringType(k)] = quantity(v["value"])
        out.append((d["name"], celtypes.MapType({
            celtypes.StringType("driver"): celtypes.StringType(sl["spec"]["driver"]),
            celtypes.StringType("attributes"): celtypes.MapType(attrs),
            celtypes.StringType("capacity"): cap})))
    return out


PROGS = {}


def dra_accepts(devices, claim):
    req = claim["spec"]["spec"]["devices"]["requests"][0]["exactly"]
    src = req["selectors"][0]["cel"]["expression"]
    if src not in PROGS:
        PROGS[src] = CEL.program(CEL.compile(src), functions={"semver": semver, "quantity": quantity,
                                                              "compareTo": compare_to})
    prog = PROGS[src]
    ok = 0
    for name, dev in devices:
        r = prog.evaluate({"device": dev})
        if isinstance(r, celpy.CELEvalError):
            fail(f"CEL error on {name}: {r}")
            continue
        ok += bool(r)
    return ok >= req["count"]


# ---------------------------------------------------------------- k8s labels
def labels(text):
    return dict(l.split("=", 1) for l in text.splitlines() if l and not l.startswith("#"))


def expr_ok(e, lab):
    k, op, vals = e["key"], e["operator"], e.get("values", [])
    if op == "Exists": return k in lab
    if op == "DoesNotExist": return k not in lab
    if k not in lab: return op == "NotIn"
    v = lab[k]
    if op == "In": return v in vals
    if op == "NotIn": return v not in vals
    assert len(vals) == 1, e
    return int(v) > int(vals[0]) if op == "Gt" else int(v) < int(vals[0])


def k8s_accepts(lab, doc, allocatable):
    """allocatable: the device plugin's nvidia.com/gpu under MIG strategy mixed
    (GPUs not in MIG mode), which the scheduler checks against the limit."""
    terms = doc["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    want = doc.get("resources", {}).get("limits", {}).get("nvidia.com/gpu", 0)
    sel = any(all(expr_ok(e, lab) for e in t["matchExpressions"]) for t in terms)
    return sel and want <= allocatable


def gfd_variants(node, lab):
    """Labels real GFD may write: gpu.count counts every GPU of the winning
    model, MIG-enabled ones included (internal/lm/mig-strategy.go
    newGPULabelers); on a mixed-model node one model's labels win at random."""
    names = [d.get("name") for d in node["devices"]]
    out = [lab, dict(lab, **{"nvidia.com/gpu.count": str(max([names.count(x) for x in names] or [0]))})]
    devs = [d for d in node["devices"] if d.get("mig_mode") != "enabled"]
    if len({(d.get("name"), d.get("compute_capability"), d.get("memory_mib")) for d in devs}) > 1:
        for d in devs:
            v = dict(lab)
            ma, mi = d["compute_capability"].split(".")
            v.update({"nvidia.com/gpu.product": d["name"].replace(" ", "-"), "nvidia.com/gpu.compute.major": ma,
                      "nvidia.com/gpu.compute.minor": mi, "nvidia.com/gpu.memory": str(d["memory_mib"])})
            out.append(v)
    return out


# ---------------------------------------------------------------- slurm
def slurm_eval(expr, feats):
    toks = re.findall(r"[()&|]|[^()&|]+", expr)
    pos = 0

    def seq():  # strictly left to right: no precedence between & and |
        nonlocal pos
        val = term()
        while pos < len(toks) and toks[pos] in "&|":
            op = toks[pos]; pos += 1
            rhs = term()
            val = (val and rhs) if op == "&" else (val or rhs)
        return val

    def term():
        nonlocal pos
        t = toks[pos]; pos += 1
        if t == "(":
            v = seq()
            assert toks[pos] == ")", expr
            pos += 1
            return v
        return t in feats

    v = seq()
    assert pos == len(toks), expr
    return v


def slurm_node(text):
    line = [l for l in text.splitlines() if l.startswith("NodeName=") and " Features=" in l][0]
    feats = set(line.split(" Features=")[1].split(","))
    m = re.search(r" Gres=(\S+)", line)
    units = sum(int(g.rsplit(":", 1)[1]) for g in m.group(1).split(",")) if m else 0
    return feats, units


def slurm_accepts(node, text):
    feats, units = node
    c = re.search(r"^#SBATCH --constraint=(.*)$", text, re.M).group(1)
    g = re.search(r"^#SBATCH --gres=gpu:(\d+)$", text, re.M)
    return slurm_eval(c, feats) and (int(g.group(1)) if g else 0) <= units


# ---------------------------------------------------------------- arvados
def arv_float(s):
    return float(s)  # strconv.ParseFloat; raises like it errs


def arv_validate(rc):
    """container_request.rb validate_runtime_constraints (gpu part)."""
    g = rc.get("gpu", {})
    if g.get("device_count", 0) > 0:
        if not isinstance(g.get("driver_version"), str) or not re.match(r"^\d+\.\d+$", g["driver_version"]) \
                or g["driver_version"] == "0.0":
            fail(f"Arvados API refuses driver_version {g.get('driver_version')!r}")
        if not isinstance(g.get("hardware_target"), list) or not all(isinstance(x, str) for x in g["hardware_target"]):
            fail(f"Arvados API refuses hardware_target {g.get('hardware_target')!r}")


def arv_bytes(v):
    m = re.match(r"^(\d+)(MiB|GiB|KiB|B|)$", str(v))
    return int(m.group(1)) * {"": 1, "B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[m.group(2)]


def arv_accepts(it, rc):
    """node_size.go ChooseInstanceType, the GPU conditions only."""
    g, ig = rc.get("gpu", {}), it.get("GPU", {}) or {}
    def less(a, b):
        try: return arv_float(a) < arv_float(b), False
        except (ValueError, TypeError): return False, True
    dinsuff, derr = less(ig.get("DriverVersion", ""), g.get("driver_version", ""))
    cinsuff, cerr = False, False
    ht = g.get("hardware_target") or []
    if g.get("stack", "") == "cuda":
        if len(ht) > 1: cinsuff = ig.get("HardwareTarget", "") not in ht
        elif len(ht) == 1: cinsuff, cerr = less(ig.get("HardwareTarget", ""), ht[0])
        else: cinsuff = True
    if ig.get("Stack", "") != g.get("stack", ""): return False
    if ig.get("DeviceCount", 0) < g.get("device_count", 0): return False
    if arv_bytes(ig.get("VRAM", 0)) < g.get("vram", 0): return False
    if g.get("device_count", 0) > 0 and (dinsuff or derr): return False
    if g.get("device_count", 0) > 0 and (cinsuff or cerr): return False
    return True


# ---------------------------------------------------------------- run
node_out = {}
EXT = {"htcondor": "condor", "dra": "yaml", "k8s-labels": "features", "slurm": "conf", "arvados": "yaml"}
for fmt in EXT:  # -o DIR: one file per node, one process per target
    os.makedirs(f"{TMP}/{fmt}")
    rc, out, err = gm("export", "--to", fmt, all_nodes, "-o", f"{TMP}/{fmt}")
    if rc:
        fail(f"export {fmt} -o DIR: {err}")
for h, nf in node_files.items():
    node = [n for n in nodes if n["hostname"] == h][0]
    e = {fmt: open(f"{TMP}/{fmt}/{h}.{x}").read() for fmt, x in EXT.items()}
    sl = yaml.safe_load(e["dra"])
    k8s_model(sl, "V1ResourceSlice")
    names = [d["name"] for d in sl["spec"]["devices"]]
    if len(set(names)) != len(names):
        fail(f"{h}: DRA device names repeat: {names}")
    # MIG: the parent is never a unit; minors name devices
    for d in node["devices"]:
        minor = d.get("minor", d["index"])
        if d.get("mig_mode") == "enabled":
            if f"gpu-{minor}" in names: fail(f"{h}: MIG parent gpu-{minor} published in DRA")
            for m in d.get("mig_devices", []):
                if f"MultipleFiles=/dev/nvidia{minor}," not in e["slurm"]: fail(f"{h}: no MultipleFiles for MIG")
        else:
            if f"gpu-{minor}" not in names: fail(f"{h}: no DRA device gpu-{minor} for GPU {d['index']}")
            typ = [l for l in e["slurm"].splitlines() if f"File=/dev/nvidia{minor}" in l]
            if not typ: fail(f"{h}: gres.conf lacks File=/dev/nvidia{minor} (minor of GPU {d['index']})")
    ids = condor_machine(e["htcondor"])[1]
    whole = [d for d in node["devices"] if d.get("mig_mode") != "enabled"]
    migs = [m for d in node["devices"] if d.get("mig_mode") == "enabled" for m in d.get("mig_devices", [])]
    if sum(i.startswith("GPU-") for i in ids) != len(whole) or sum(i.startswith("MIG-") for i in ids) != len(migs):
        fail(f"{h}: DetectedGPUs {ids} is not the whole GPUs plus the MIG instances")
    arv = yaml.safe_load(e["arvados"])["InstanceTypes"]
    node_out[h] = {"condor": condor_machine(e["htcondor"])[0], "dra": dra_devices(sl),
                   "labels": gfd_variants(node, labels(e["k8s-labels"])), "full": len(whole),
                   "slurm": slurm_node(e["slurm"]), "arvados": list(arv.values())[0], "text": e}

cluster = f"{SRC}/samples/cluster.json"
stats = {c: {"accepted": 0, "fits": 0, "stricter": 0, "looser": 0} for c in ("htcondor", "dra", "k8s", "slurm", "arvados")}
for r in reqs:
    rx = {}
    for fmt in ("htcondor", "dra", "k8s-labels", "arvados"):
        rc, out, err = gm("export", "--to", fmt, r)
        if rc: fail(f"export {fmt} {r}: {err}")
        rx[fmt] = out
        rx[fmt + ".err"] = err
    rc, rx["slurm"], _ = gm("export", "--to", "slurm", r)
    claim = yaml.safe_load(rx["dra"])
    k8s_model(claim, "V1ResourceClaimTemplate")
    aff = yaml.safe_load(rx["k8s-labels"])
    k8s_model(aff["affinity"], "V1Affinity")
    arq = json.loads(rx["arvados"][rx["arvados"].index("{"):])
    arv_validate(arq["runtime_constraints"])
    for h in node_files:
        o, f = node_out[h], fits[h, r]
        verdicts = {
            "htcondor": condor_accepts(o["condor"], rx["htcondor"]),
            "dra": dra_accepts(o["dra"], claim),
            "k8s": any(k8s_accepts(l, aff, o["full"]) for l in o["labels"]),
            "slurm": slurm_accepts(o["slurm"], rx["slurm"]),
            "arvados": arv_accepts(o["arvados"], arq["runtime_constraints"]),
        }
        for c, acc in verdicts.items():
            s = stats[c]
            s["accepted"] += acc
            s["fits"] += f
            if acc and not f:
                s["looser"] += 1
                fail(f"{c} accepts {os.path.basename(r)} on {h} but gpumatch check refuses")
            elif f and not acc:
                s["stricter"] += 1
                k = "k8s-labels" if c == "k8s" else c
                txt = rx[k] + rx.get(k + ".err", "") + o["text"][k]
                if not notes(txt):
                    fail(f"{c} refuses {os.path.basename(r)} on {h} (check fits) without a note saying why")

pairs = len(reqs) * len(node_files)
for c, s in stats.items():
    print(f"{c}: {pairs} pairs, check fits {s['fits']}, consumer accepts {s['accepted']}, "
          f"agree {pairs - s['stricter'] - s['looser']}, stricter {s['stricter']}, looser {s['looser']}")

# ---------------------------------------------------------------- multi-node documents
rc, out, err = gm("export", "--to", "dra", cluster)
docs = [d for d in yaml.safe_load_all(out) if d]
if len(docs) != 6: fail(f"DRA cluster export: {len(docs)} documents, expected 6")
rc, out, err = gm("export", "--to", "arvados", cluster)
if len(yaml.safe_load(out)["InstanceTypes"]) != 6: fail("Arvados cluster export lost instance types")
rc, out, err = gm("export", "--to", "slurm", cluster)
conf = out.split("# gres.conf")[0]
if out.count("GresTypes=gpu") != 1 or conf.count("NodeName=") != 6 or "NodeName=" not in out.split("# gres.conf")[1]:
    fail(f"Slurm cluster export is not one slurm.conf and one gres.conf section: {out[:300]}")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("ok")
