#!/bin/bash
# --driver-root (a driver container: NVIDIA's GPU Operator mounts its root at
# /run/nvidia/driver) for driver-files, preflight and launch, as nvidia-ctk's
# --driver-root: ld.so.cache, libraries and binaries from the driver root;
# /proc and the device nodes from the host --root. The host tree here has the
# kernel side only, the driver tree the user-space side only.
. "$GM_SRC/tests/lib.sh"
. "$GM_SRC/tests/preflight/mkroot.sh"
G=$GPUMATCH
PY=python3
D=$GM_SRC/tests/launch/data
H=$GM_TMP/host
DR=$GM_TMP/driver
pf_root "$H" 535.104.05 2
mkdir -p "$DR/usr/lib" "$DR/etc" "$DR/usr/bin"
mv "$H/usr/lib/x86_64-linux-gnu" "$DR/usr/lib/"
mv "$H/etc/ld.so.cache" "$H/etc/ld.so.conf" "$DR/etc/"
printf '#!/bin/sh\n' >"$DR/usr/bin/nvidia-smi"
chmod 755 "$DR/usr/bin/nvidia-smi"

# driver-files: without --driver-root the host has no ld.so.cache.
run "$G" driver-files --root "$H"
expect_rc 3 "host root alone: no ld.so.cache"
expect_err "ld.so.cache"
run "$G" driver-files --root "$H" --driver-root "$DR" --json
expect_rc 0 "driver-files --driver-root"
$PY - "$GM_TMP/out" "$H" "$DR" <<'PY' || fail "driver-files --driver-root JSON"
import json, sys
doc, host, drv = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
assert doc["root"] == host and doc["driver_root"] == drv, (doc["root"], doc.get("driver_root"))
assert doc["driver_version"] == "535.104.05" and doc["driver_version_source"] == "/proc/driver/nvidia/version"
kinds = {(f["kind"], f["path"]) for f in doc["files"]}
assert ("library", "/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05") in kinds, kinds
assert ("binary", "/usr/bin/nvidia-smi") in kinds, kinds
assert ("device", "/dev/nvidia1") in kinds and ("device", "/dev/nvidiactl") in kinds, kinds
assert not doc["missing"], doc["missing"]
PY
run "$G" driver-files --root "$H" --driver-root "$DR"
expect_rc 0
expect_out "libraries, binaries and firmware under $DR; devices and IPC under $H"
# The driver root alone has no device nodes: without the host root they are missing.
run "$G" driver-files --root "$DR" --driver-root "$DR" --driver-version 535.104.05 --json
expect_rc 3 "driver root alone has no device nodes"
expect_out '"missing"'

# preflight: the libraries are checked in the driver root, the nodes on the host.
run "$G" preflight --root "$H" --node "$D/node-mixed.json"
expect_rc 1 "host root alone: libs fail"
expect_out "libs.libcuda"
run "$G" preflight --root "$H" --driver-root "$DR" --node "$D/node-mixed.json" --json
expect_rc 0 "preflight --driver-root"
$PY - "$GM_TMP/out" <<'PY' || fail "preflight --driver-root report"
import json, sys
checks = {c["id"]: c for c in json.load(open(sys.argv[1]))["checks"]}
assert checks["libs.libcuda"]["status"] == "ok", checks["libs.libcuda"]
assert checks["driver.kernel-module"]["status"] == "ok", checks["driver.kernel-module"]
assert checks["dev.nvidiactl"]["status"] in ("ok", "warn"), checks["dev.nvidiactl"]
PY

# launch: its preflight honours --driver-root, so the stand-in runtime starts.
cat >"$GM_TMP/fake-rt" <<'SH'
#!/bin/bash
: >"$FAKE_OUT"
exit 7
SH
chmod +x "$GM_TMP/fake-rt"
export FAKE_OUT=$GM_TMP/ran
base=(launch --root "$H" --node "$D/node-mixed.json" --require "$D/req-sm80.json" --runtime docker
      --cdi no --program "$GM_TMP/fake-rt")
run "$G" "${base[@]}" img
expect_rc 1 "launch on the host root alone: preflight refuses"
expect_err "libs.libcuda"
[ -e "$FAKE_OUT" ] && fail "runtime ran although preflight failed"
run "$G" "${base[@]}" --driver-root "$DR" img
expect_rc 7 "launch --driver-root: runtime started"
[ -e "$FAKE_OUT" ] || fail "runtime did not run with --driver-root"
finish
