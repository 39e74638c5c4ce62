#!/bin/bash
# gpumatch cdi generate over the fake driver root: structure checked against
# the fixture's files, validated against the CDI JSON schema, and the
# ldconfig hook run on a fake OCI bundle.
. "$GM_SRC/tests/lib.sh"
G=$GPUMATCH
D=$GM_SRC/tests/launch/data
R=$GM_TMP/root
bash "$GM_SRC/tests/launch/mkroot.sh" "$R" || fail "mkroot.sh"
PY=python3
$PY -c 'import jsonschema' 2>/dev/null || PY=/usr/bin/python3
HAVE_SCHEMA=1
$PY -c 'import jsonschema' 2>/dev/null || { HAVE_SCHEMA=0; echo "note: python3-jsonschema absent, schema validation skipped"; }
# The published schema (schema/schema.json + defs.json of the CDI project, from
# Debian's golang-github-container-orchestrated-devices-container-device-interface-dev)
# as well as the stricter one written for these tests.
CDI_SCHEMA=/usr/share/gocode/src/github.com/container-orchestrated-devices/container-device-interface/schema/schema.json
[ -f $CDI_SCHEMA ] || echo "note: CDI's published schema absent ($CDI_SCHEMA): scripts/deps --test installs it"
validate() {
    [ $HAVE_SCHEMA = 1 ] || return 0
    $PY -c 'import json, os, sys, jsonschema
doc = json.load(open(sys.argv[3]))
jsonschema.validate(doc, json.load(open(sys.argv[1])))
if os.path.exists(sys.argv[2]):
    pub = json.load(open(sys.argv[2]))
    res = jsonschema.RefResolver("file://" + os.path.dirname(sys.argv[2]) + "/", pub)
    jsonschema.validate(doc, pub, resolver=res)' "$D/cdi-schema.json" "$CDI_SCHEMA" "$1"
}

run "$G" cdi generate --root "$R" --node "$D/node-a100x2.json" --output "$GM_TMP/spec.json"
expect_rc 0 "cdi generate"
validate "$GM_TMP/spec.json" || fail "spec does not validate against the CDI schema"
# The validator does reject a broken spec (so the check above can fail).
if [ $HAVE_SCHEMA = 1 ]; then
    sed 's/"name": "all"/"name": "all gpus"/' "$GM_TMP/spec.json" >"$GM_TMP/bad.json"
    validate "$GM_TMP/bad.json" 2>/dev/null && fail "schema accepted a device name with a space"
fi
run "$G" cdi generate --root "$R" --node "$D/node-a100x2.json"
cmp -s <(printf '%s\n' "$OUT") "$GM_TMP/spec.json" || fail "stdout and --output differ"

SELF=$(readlink -f "$G")
maj() { printf '%d' 0x$(stat -c %t "$R$1"); }
mnr() { printf '%d' 0x$(stat -c %T "$R$1"); }
$PY - "$GM_TMP/spec.json" "$R" "$SELF" "$(maj /dev/nvidia1)" "$(mnr /dev/nvidia1)" <<'PY' || fail "spec content"
import json, sys
spec, root, me, major1, minor1 = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
bad = []
def check(c, msg):
    if not c: bad.append(msg)
check(spec["cdiVersion"] == "0.5.0" and spec["kind"] == "nvidia.com/gpu", "version/kind")
names = [d["name"] for d in spec["devices"]]
check(names == ["0", "GPU-a1000000-1111-2222-3333-444444444440", "1",
                "GPU-a1000000-1111-2222-3333-444444444441", "all"], "device names %s" % names)
dev = {d["name"]: d["containerEdits"]["deviceNodes"] for d in spec["devices"]}
n1 = dev["GPU-a1000000-1111-2222-3333-444444444441"]
check(n1 == dev["1"] and len(n1) == 1, "GPU 1 by UUID = by index")
check(n1[0]["path"] == "/dev/nvidia1" and n1[0]["hostPath"] == root + "/dev/nvidia1", "GPU 1 node paths")
if "major" in n1[0]:
    check((n1[0]["type"], n1[0]["major"], n1[0]["minor"]) == ("c", major1, minor1), "GPU 1 numbers")
check([n["path"] for n in dev["all"]] == ["/dev/nvidia0", "/dev/nvidia1"], "all")
ce = spec["containerEdits"]
check(ce["env"] == ["NVIDIA_VISIBLE_DEVICES=void"], "env")
# nvidia-ctk's global edits: nvidiactl, uvm, uvm-tools, modeset only; the
# nvidia-caps (MIG config/monitor, GI/CI access) go to MIG devices only
check([n["path"] for n in ce["deviceNodes"]] == ["/dev/nvidiactl", "/dev/nvidia-uvm",
      "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset"], "control nodes %s" % [n["path"] for n in ce["deviceNodes"]])
m = {x["containerPath"]: x for x in ce["mounts"]}
lib = "/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05"
check(lib in m and m[lib]["hostPath"] == root + lib and m[lib]["options"] == ["ro", "nosuid", "nodev", "rbind", "rprivate"], "libcuda mount")
check("/usr/bin/nvidia-smi" in m and "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.535.104.05" in m, "utility files")
check(not any("470.57.02" in x["hostPath"] for x in ce["mounts"]), "stale library mounted")
check(not any("libcudart" in x["hostPath"] or "i386" in x["hostPath"] for x in ce["mounts"]), "foreign library mounted")
check("/lib/firmware/nvidia/535.104.05/gsp_ga10x.bin" in m, "firmware")
check(m["/run/nvidia-persistenced/socket"]["options"] == ["nosuid", "nodev", "rbind", "rprivate", "noexec"], "socket mount")
h = ce["hooks"]
check(len(h) == 1 and h[0]["hookName"] == "createContainer" and h[0]["path"] == me
      and h[0]["args"] == ["gpumatch", "cdi", "ldconfig-hook", "--folder", "/usr/lib/x86_64-linux-gnu"], "hook %s" % h)
for b in bad: print("spec:", b)
sys.exit(1 if bad else 0)
PY

# nvidia-cdi-hook under the root: the hooks nvidia-ctk writes (create-symlinks
# with libcuda.so, enable-cuda-compat, update-ldcache).
printf '#!/bin/sh\n' >"$R/usr/bin/nvidia-cdi-hook"
chmod 755 "$R/usr/bin/nvidia-cdi-hook"
run "$G" cdi generate --root "$R" --node "$D/node-a100x2.json" --output "$GM_TMP/hooks.json"
expect_rc 0
validate "$GM_TMP/hooks.json" || fail "spec with hooks does not validate"
$PY - "$GM_TMP/hooks.json" "$R" <<'PY' || fail "hooks"
import json, sys
h = json.load(open(sys.argv[1]))["containerEdits"]["hooks"]
p = sys.argv[2] + "/usr/bin/nvidia-cdi-hook"
assert [x["args"][1] for x in h] == ["create-symlinks", "enable-cuda-compat", "update-ldcache"], h
assert all(x["path"] == p and x["hookName"] == "createContainer" for x in h), h
assert "libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so" in h[0]["args"], h[0]
assert "libcuda.so.535.104.05::/usr/lib/x86_64-linux-gnu/libcuda.so.1" in h[0]["args"], h[0]
assert h[1]["args"][2:] == ["--host-driver-version=535.104.05"], h[1]
assert h[2]["args"][2:] == ["--folder", "/usr/lib/x86_64-linux-gnu"], h[2]
PY
rm "$R/usr/bin/nvidia-cdi-hook"

# MIG: each instance "<index>:<k>" and by UUID, with the parent's node and its
# GI and CI access caps, whose minors come from /proc/driver/nvidia-caps/mig-minors
mkdir -p "$R/proc/driver/nvidia-caps"
printf 'config 1\nmonitor 2\ngpu0/gi1/access 12\ngpu0/gi1/ci0/access 13\ngpu0/gi7/access 66\ngpu0/gi7/ci0/access 67\n' \
    >"$R/proc/driver/nvidia-caps/mig-minors"
for c in 12 13 66 67; do : >"$R/dev/nvidia-caps/nvidia-cap$c"; done
run "$G" cdi generate --root "$R" --node "$D/node-mig.json" --output "$GM_TMP/mig.json"
expect_rc 0 "cdi generate MIG"
validate "$GM_TMP/mig.json" || fail "MIG spec does not validate"
$PY - "$GM_TMP/mig.json" <<'PY' || fail "MIG devices"
import json, sys
spec = json.load(open(sys.argv[1]))
dev = {d["name"]: [n["path"] for n in d["containerEdits"]["deviceNodes"]] for d in spec["devices"]}
assert dev["0:0"] == ["/dev/nvidia0", "/dev/nvidia-caps/nvidia-cap66", "/dev/nvidia-caps/nvidia-cap67"], dev
assert dev["0:1"] == ["/dev/nvidia0", "/dev/nvidia-caps/nvidia-cap12", "/dev/nvidia-caps/nvidia-cap13"], dev
assert dev["MIG-b1000000-1111-2222-3333-444444444441"] == dev["0:1"], dev
assert not any("caps" in n["path"] for n in spec["containerEdits"]["deviceNodes"])
PY
rm -r "$R/proc/driver/nvidia-caps"
run "$G" cdi generate --root "$R" --node "$D/node-mig.json"
expect_rc 0 "MIG without mig-minors"
expect_err "GPU 0 MIG 0: no GI/CI access caps"
expect_no_out '"0:0"'

# Swapped minors: /dev/nvidia<minor>, not /dev/nvidia<index> (nvidia-ctk uses
# NVML's minor number; the kernel does not promise index order)
$PY - "$D/node-a100x2.json" "$GM_TMP/swapped.json" <<'PY'
import json, sys
n = json.load(open(sys.argv[1]))
n["devices"][0]["minor"], n["devices"][1]["minor"] = 1, 0
json.dump(n, open(sys.argv[2], "w"))
PY
run "$G" cdi generate --root "$R" --node "$GM_TMP/swapped.json"
expect_rc 0 "swapped minors"
$PY -c 'import json, sys
d = {x["name"]: x["containerEdits"]["deviceNodes"][0]["path"] for x in json.loads(sys.stdin.read())["devices"] if x["name"] != "all"}
assert d["0"] == "/dev/nvidia1" and d["1"] == "/dev/nvidia0", d' <<<"$OUT" || fail "swapped minors: $OUT"

# Device names must be unique (CDI): a repeated index or UUID is bad input
$PY - "$D/node-a100x2.json" "$GM_TMP/dup.json" <<'PY'
import json, sys
n = json.load(open(sys.argv[1]))
n["devices"][1]["index"] = 0
json.dump(n, open(sys.argv[2], "w"))
PY
run "$G" cdi generate --root "$R" --node "$GM_TMP/dup.json" --output "$GM_TMP/dup-spec.json"
expect_rc 2 "duplicate device name"; expect_err 'CDI device name "0" twice'
[ -e "$GM_TMP/dup-spec.json" ] && fail "partial output for duplicate names"

# A root path that is not UTF-8 cannot go into JSON: exit 2, no crash (the
# mount() options array was released twice there before)
RX=$GM_TMP/$'r\xff'
cp -a "$R" "$RX"
run "$G" cdi generate --root "$RX" --node "$D/node-a100x2.json"
expect_rc 2 "non-UTF-8 root"; expect_one_line_err; expect_err "not valid UTF-8"
rm -rf "$RX"

# A driver container (GPU Operator: the driver's root at /run/nvidia/driver):
# libraries and binaries from --driver-root, device nodes from the host --root,
# as nvidia-ctk cdi generate --driver-root.
H=$GM_TMP/host
mkdir -p "$H/etc" "$H/dev/nvidia-caps" "$H/proc/driver/nvidia"
cp "$R/proc/driver/nvidia/version" "$H/proc/driver/nvidia/version"
for n in nvidiactl nvidia-uvm nvidia-uvm-tools nvidia-modeset nvidia0 nvidia1; do : >"$H/dev/$n"; done
ldconfig -C /etc/ld.so.cache -r "$H" 2>/dev/null || : >"$H/etc/ld.so.cache"
run "$G" cdi generate --root "$H" --driver-root "$R" --node "$D/node-a100x2.json" --output "$GM_TMP/drvroot.json"
expect_rc 0 "cdi generate --driver-root"
validate "$GM_TMP/drvroot.json" || fail "driver-root spec does not validate"
$PY - "$GM_TMP/drvroot.json" "$H" "$R" <<'PY' || fail "driver-root spec"
import json, sys
spec, host, drv = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
ce = spec["containerEdits"]
nodes = ce["deviceNodes"] + [n for d in spec["devices"] for n in d["containerEdits"]["deviceNodes"]]
assert nodes and all(n["hostPath"].startswith(host + "/dev/") for n in nodes), nodes
libs = [m for m in ce["mounts"] if "libcuda.so" in m["containerPath"]]
assert libs and all(m["hostPath"] == drv + m["containerPath"] for m in libs), libs
assert any(m["containerPath"] == "/usr/bin/nvidia-smi" and m["hostPath"] == drv + "/usr/bin/nvidia-smi" for m in ce["mounts"])
PY

# nvidia-ctk under the root takes the hook, as NVIDIA's own specs do.
printf '#!/bin/sh\n' >"$R/usr/bin/nvidia-ctk"
chmod 755 "$R/usr/bin/nvidia-ctk"
run "$G" cdi generate --root "$R" --node "$D/node-a100x2.json"
expect_rc 0
expect_out "\"path\": \"$R/usr/bin/nvidia-ctk\""
expect_out '"update-ldcache"'
expect_out '"hook",'
rm "$R/usr/bin/nvidia-ctk"

# A node document naming a GPU the root has no device node for.
run "$G" cdi generate --root "$R" --node "$D/node-mixed.json"
expect_rc 0
expect_err "GPU 2: no /dev/nvidia2"

# Without a node document the probe reads the root's /proc (procfs backend),
# unless a real NVML answers first.
if ldconfig -p | grep -q 'libnvidia-ml.so.1 '; then
    echo "note: a real NVIDIA driver is installed; probe-over-root checks skipped"
else
    run "$G" cdi generate --root "$R"
    expect_rc 0
    expect_out '"name": "GPU-a1000000-1111-2222-3333-444444444441"'
    run "$G" launch --runtime podman --root "$R" --require "$D/req-sm80.json" --no-preflight --gpus 2 --dry-run img
    expect_rc 0
    expect_out "nvidia.com/gpu=GPU-a1000000-1111-2222-3333-444444444441"
fi

# Regular files standing in for device nodes: no numbers in the spec, still valid.
R2=$GM_TMP/root-files
GM_FAKE_NODES=files bash "$GM_SRC/tests/launch/mkroot.sh" "$R2" || fail "mkroot.sh files"
run "$G" cdi generate --root "$R2" --node "$D/node-a100x2.json" --output "$GM_TMP/spec2.json"
expect_rc 0
validate "$GM_TMP/spec2.json" || fail "stand-in spec does not validate"
grep -q '"major"' "$GM_TMP/spec2.json" && fail "regular-file stand-ins got device numbers"

# Output is atomic: an unwritable target leaves nothing behind.
run "$G" cdi generate --root "$R" --node "$D/node-a100x2.json" --output "$GM_TMP/no-such-dir/spec.json"
expect_rc 2
[ -e "$GM_TMP/no-such-dir" ] && fail "partial output"
run "$G" cdi generate --root "$GM_TMP/empty"
expect_rc 3
run "$G" cdi frobnicate
expect_rc 2

# The ldconfig hook on a fake OCI bundle (needs chroot: root only).
if [ "$(id -u)" = 0 ]; then
    B=$GM_TMP/bundle
    mkdir -p "$B/rootfs/usr/lib/x86_64-linux-gnu" "$B/rootfs/etc"
    cp "$R/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05" "$B/rootfs/usr/lib/x86_64-linux-gnu/"
    echo '{"ociVersion": "1.0.2", "root": {"path": "rootfs"}}' >"$B/config.json"
    run "$G" cdi ldconfig-hook --folder /usr/lib/x86_64-linux-gnu <<<"{\"ociVersion\": \"1.0.2\", \"id\": \"c1\", \"status\": \"creating\", \"pid\": 1, \"bundle\": \"$B\"}"
    expect_rc 0 "ldconfig hook"
    ldconfig -p -C "$B/rootfs/etc/ld.so.cache" | grep -q 'libcuda.so.1 .*=> /usr/lib/x86_64-linux-gnu/libcuda.so.1' || fail "hook did not index libcuda"
    [ -L "$B/rootfs/usr/lib/x86_64-linux-gnu/libcuda.so.1" ] || fail "hook did not create the soname link"
    run "$G" cdi ldconfig-hook --folder relative <<<'{}'
    expect_rc 2
    run "$G" cdi ldconfig-hook <<<'{"bundle": "relative/path"}'
    expect_rc 2
else
    echo "note: not root, ldconfig hook not run"
fi
finish
