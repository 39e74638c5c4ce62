#!/usr/bin/env bash
# One image-environment reader (gm_nvreq_from_env) for inspect, check and launch:
# an image with NVIDIA_DISABLE_REQUIRE=true is started by the NVIDIA runtime
# whatever its NVIDIA_REQUIRE_CUDA says (nvidia-container-toolkit: "disables all
# constraints"), so the requirement inspect derives must not refuse it either.
. "$GM_SRC/tests/lib.sh"
G=$GPUMATCH
D=$GM_TMP/docker
mkdir -p "$D/l1" "$GM_TMP/root/opt"
echo hi >"$GM_TMP/root/opt/readme"
tar -C "$GM_TMP/root" -cf "$D/l1/layer.tar" opt
diff=$(sha256sum "$D/l1/layer.tar" | cut -c1-64)
mkimage() { # NAME ENV-JSON-LIST
    cat >"$D/config.json" <<J
{"architecture":"amd64","os":"linux","config":{"Env":$2},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff"]}}
J
    echo '[{"Config":"config.json","RepoTags":["gm/env:1"],"Layers":["l1/layer.tar"]}]' >"$D/manifest.json"
    tar -C "$D" -cf "$GM_TMP/$1.tar" manifest.json config.json l1
}
mkimage disabled '["NVIDIA_REQUIRE_CUDA=cuda>=99.0","NVIDIA_REQUIRE_X=cuda>>1","NVIDIA_DISABLE_REQUIRE=true"]'
mkimage strict '["NVIDIA_REQUIRE_CUDA=cuda>=99.0"]'
mkimage legacy '["NVIDIA_REQUIRE_CUDA=","CUDA_VERSION=v99.1"]'
cat >"$GM_TMP/node.json" <<'J'
{"hostname": "n", "driver_version": "580.95.05", "cuda_driver_version": "13.0",
 "devices": [{"index": 0, "compute_capability": "9.0", "brand": "nvidia"}]}
J
for img in disabled strict legacy; do
    "$G" inspect --json "$GM_TMP/$img.tar" >"$GM_TMP/$img.json" 2>"$GM_TMP/$img.err"
    echo "inspect $img: rc=$? $(cat "$GM_TMP/$img.err")"
done
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d.get("nvidia_disable_require") is True, d' \
    "$GM_TMP/disabled.json" || fail "inspect ignored NVIDIA_DISABLE_REQUIRE"
run "$G" check --node "$GM_TMP/node.json" --require "$GM_TMP/disabled.json"
expect_rc 0 "disabled image fits"
run "$G" check --node "$GM_TMP/node.json" --require "$GM_TMP/strict.json"
expect_rc 1 "cuda>=99.0 image refused"
expect_out "cuda>=99.0: driver supports CUDA 13.0"
# An empty NVIDIA_REQUIRE_CUDA beside CUDA_VERSION is a legacy image: cuda>=MAJ.MIN.
run "$G" check --node "$GM_TMP/node.json" --require "$GM_TMP/legacy.json"
expect_rc 1 "legacy CUDA_VERSION=v99.1 refused"
expect_out "cuda>=99.1"
finish
