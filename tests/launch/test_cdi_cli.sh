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
validate() {
    [ $HAVE_SCHEMA = 1 ] || return 0
    $PY -c 'import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' "$D/cdi-schema.json" "$1"
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
check([n["path"] for n in ce["deviceNodes"]] == ["/dev/nvidiactl", "/dev/nvidia-uvm",
      "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset", "/dev/nvidia-caps/nvidia-cap1",
      "/dev/nvidia-caps/nvidia-cap2"], "control nodes %s" % [n["path"] for n in ce["deviceNodes"]])
m = {x["containerPath"]: x for x in ce["mounts"]}
lib = "/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05"
check(lib in m and m[lib]["hostPath"] == root + lib and m[lib]["options"] == ["ro", "nosuid", "nodev", "bind"], "libcuda mount")
check("/usr/bin/nvidia-smi" in m and "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.535.104.05" in m, "utility files")
check(not any("470.57.02" in x["hostPath"] for x in ce["mounts"]), "stale library mounted")
check(not any("libcudart" in x["hostPath"] or "i386" in x["hostPath"] for x in ce["mounts"]), "foreign library mounted")
check("/lib/firmware/nvidia/535.104.05/gsp_ga10x.bin" in m, "firmware")
check("noexec" in m["/run/nvidia-persistenced/socket"]["options"], "socket mount")
h = ce["hooks"]
check(len(h) == 1 and h[0]["hookName"] == "createContainer" and h[0]["path"] == me
      and h[0]["args"] == ["gpumatch", "cdi", "ldconfig-hook", "--folder", "/usr/lib/x86_64-linux-gnu"], "hook %s" % h)
for b in bad: print("spec:", b)
sys.exit(1 if bad else 0)
PY

# nvidia-ctk under the root takes the hook, as NVIDIA's own specs do.
printf '#!/bin/sh\n' >"$R/usr/bin/nvidia-ctk"
chmod 755 "$R/usr/bin/nvidia-ctk"
run "$G" cdi generate --root "$R" --node "$D/node-a100x2.json"
expect_rc 0
expect_out "\"path\": \"$R/usr/bin/nvidia-ctk\""
expect_out '"update-ldcache"'
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
