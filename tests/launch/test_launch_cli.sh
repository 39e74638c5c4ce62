#!/bin/bash
# gpumatch launch: --dry-run argv per runtime against hand-written goldens
# (forms from the runtimes' documentation), the Engine API body, refusals,
# argument injection, and a real execvp of a stand-in runtime.
. "$GM_SRC/tests/lib.sh"
G=$GPUMATCH
D=$GM_SRC/tests/launch/data
IMG=nvcr.io/nvidia/cuda:12.2.0-base-ubuntu22.04
A=GPU-a1000000-1111-2222-3333-444444444441
B=GPU-a1000000-1111-2222-3333-444444444442
base=(launch --node "$D/node-mixed.json" --require "$D/req-sm80.json" --no-preflight)

for rt in docker podman singularity apptainer; do
    run "$G" "${base[@]}" --runtime $rt --gpus 2 --dry-run "$IMG" -- bash -c "echo it's \$HOME"
    expect_rc 0 "$rt dry-run"
    diff -u "$D/golden/$rt.argv" <(printf '%s\n' "$OUT") >"$GM_TMP/diff" || fail "$rt argv differs: $(cat "$GM_TMP/diff")"
    # The printed words, read back by a shell, are the argv itself.
    eval "words=($(tr '\n' ' ' <<<"$OUT"))"
    [ "${words[-1]}" = "echo it's \$HOME" ] || fail "$rt: quoting does not round-trip: ${words[-1]}"
    [ "${#words[@]}" -eq "$(printf '%s\n' "$OUT" | wc -l)" ] || fail "$rt: word count differs"
done

# Only compatible devices are picked: the T4 (GPU 0, sm_75) never is.
run "$G" "${base[@]}" --runtime docker --dry-run "$IMG"
expect_rc 0
expect_out "CUDA_VISIBLE_DEVICES=$A"
expect_no_out "GPU-7a000000"
# The requirement's device_count is the default count.
run "$G" launch --node "$D/node-mixed.json" --require "$D/req-sm80-x2.json" --no-preflight --runtime podman --dry-run "$IMG"
expect_rc 0
expect_out "nvidia.com/gpu=$B"
run "$G" launch --node "$D/node-mixed.json" --require "$D/req-sm80-x2.json" --no-preflight --runtime podman --gpus 1 --dry-run "$IMG"
expect_rc 1
expect_err "needs 2 devices"

# MIG: the instance big enough, by its MIG UUID; never two MIG devices for one
# process; a device without UUID goes by index, and docker/podman (which
# renumber from 0 inside) then get no CUDA_VISIBLE_DEVICES.
mig=(launch --node "$D/node-mig.json" --require "$D/req-sm80-20g.json" --no-preflight)
run "$G" "${mig[@]}" --runtime podman --dry-run "$IMG"
expect_rc 0
expect_out "nvidia.com/gpu=MIG-b1000000-1111-2222-3333-444444444441"
expect_out "CUDA_VISIBLE_DEVICES=MIG-b1000000-1111-2222-3333-444444444441"
run "$G" "${mig[@]}" --runtime podman --gpus 2 --dry-run "$IMG"
expect_rc 1
expect_err "MIG instances not combined"
sed 's/"uuid": "GPU-a1000000-1111-2222-3333-44444444444[12]", //' "$D/node-mixed.json" >"$GM_TMP/no-uuid.json"
run "$G" launch --node "$GM_TMP/no-uuid.json" --require "$D/req-sm80.json" --no-preflight --runtime docker --dry-run "$IMG"
expect_rc 0
expect_out '"device=1"'
expect_no_out "CUDA_VISIBLE_DEVICES"
run "$G" launch --node "$GM_TMP/no-uuid.json" --require "$D/req-sm80.json" --no-preflight --runtime singularity --dry-run "$IMG"
expect_out "SINGULARITYENV_CUDA_VISIBLE_DEVICES=1"

# Engine API body equals the hand-written one.
run "$G" "${base[@]}" --runtime docker --gpus 2 --engine-api "$IMG" -- nvidia-smi -L
expect_rc 0
python3 -c 'import json, sys
sys.exit(0 if json.load(sys.stdin) == json.load(open(sys.argv[1])) else 1)' "$D/golden/engine-api.json" <<<"$OUT" || fail "engine-api body differs: $OUT"
run "$G" "${base[@]}" --runtime podman --engine-api "$IMG"
expect_rc 2

# Refusals: reasons on one line, exit 1, nothing on stdout.
run "$G" launch --node "$D/node-mixed.json" --require "$D/req-cuda13.json" --no-preflight --runtime docker --dry-run "$IMG"
expect_rc 1
expect_err "refused: driver 535.104.05"
expect_one_line_err
[ -z "$OUT" ] || fail "refusal printed a command: $OUT"
run "$G" "${base[@]}" --runtime docker --gpus 3 --dry-run "$IMG"
expect_rc 1
expect_err "3 device(s) needed, 2 usable"
expect_err "device 0: "

# Argument injection: an image that looks like an option is refused, even
# after "--"; options after IMAGE belong to the container command.
run "$G" "${base[@]}" --runtime docker --dry-run -- --privileged
expect_rc 2
expect_err "starts with '-'"
run "$G" "${base[@]}" --runtime docker --dry-run "$IMG" --privileged
expect_rc 2
expect_err 'after "--"'
run "$G" "${base[@]}" --runtime docker --dry-run "$IMG" -- --privileged -v /:/host
expect_rc 0
# --privileged only after the image (and after the "--" that ends docker's options).
awk -v img="$IMG" '$0==img{seen=1} $0=="--privileged" && !seen{bad=1} END{exit bad}' <<<"$OUT" || fail "--privileged before the image"
run "$G" "${base[@]}" --runtime docker --dry-run 'img$(id);id'
expect_rc 0
expect_out "'img\$(id);id'"
run "$G" "${base[@]}" --runtime docker --dry-run "img name"
expect_rc 2
# A node document whose UUID would smuggle a second device or a quote.
sed 's/"GPU-a1000000-1111-2222-3333-444444444441"/"GPU-x,\\"all"/' "$D/node-mixed.json" >"$GM_TMP/evil-node.json"
run "$G" launch --node "$GM_TMP/evil-node.json" --require "$D/req-sm80.json" --no-preflight --runtime docker --dry-run "$IMG"
expect_rc 2
expect_err "unfit for a runtime argument"
run "$G" "${base[@]}" --runtime rkt --dry-run "$IMG"
expect_rc 2

# The image's own NVIDIA_REQUIRE_CUDA: cuda>=12.4 is more than the 535 driver's 12.2.
run "$G" "${base[@]}" --runtime docker --dry-run --image-env NVIDIA_REQUIRE_CUDA=cuda\>=12.4 "$IMG"
expect_rc 1
expect_err "unsatisfied condition"
run "$G" "${base[@]}" --runtime docker --dry-run --image-env NVIDIA_REQUIRE_CUDA=cuda\>=12.4 --image-env NVIDIA_DISABLE_REQUIRE=true "$IMG"
expect_rc 0
run "$G" "${base[@]}" --runtime docker --dry-run --image-env "NVIDIA_REQUIRE_CUDA=cuda>=12.2 brand=tesla,driver>=470,driver<471" "$IMG"
expect_rc 0

# Real exec: a stand-in runtime records its argv and environment.
cat >"$GM_TMP/fake-rt" <<'SH'
#!/bin/bash
printf '%s\n' "$@" >"$FAKE_OUT.argv"
env >"$FAKE_OUT.env"
exit 7
SH
chmod +x "$GM_TMP/fake-rt"
export FAKE_OUT=$GM_TMP/rec
run "$G" "${base[@]}" --runtime apptainer --program "$GM_TMP/fake-rt" "$IMG" -- nvidia-smi -L
expect_rc 7 "exec of the runtime"
[ "$(cat "$FAKE_OUT.argv")" = "$(printf '%s\n' exec --nv -- "$IMG" nvidia-smi -L)" ] || fail "exec argv: $(cat "$FAKE_OUT.argv")"
grep -qx "APPTAINERENV_CUDA_VISIBLE_DEVICES=$A" "$FAKE_OUT.env" || fail "APPTAINERENV_CUDA_VISIBLE_DEVICES not set"
grep -qx "CUDA_VISIBLE_DEVICES=$A" "$FAKE_OUT.env" || fail "CUDA_VISIBLE_DEVICES not set"
grep -qx "NVIDIA_VISIBLE_DEVICES=$A" "$FAKE_OUT.env" || fail "NVIDIA_VISIBLE_DEVICES not set"
run "$G" "${base[@]}" --runtime docker --program "$GM_TMP/no-such-runtime" "$IMG"
expect_rc 3
expect_err "cannot run"
# CDI with docker: the toolkit's cdi / jit-cdi modes refuse --gpus. A spec
# under ROOT/etc/cdi or ROOT/var/run/cdi naming the picked device (nvidia-ctk
# writes YAML there) switches docker to --device nvidia.com/gpu=UUID.
CR=$GM_TMP/cdiroot
mkdir -p "$CR/var/run/cdi" "$CR/etc/cdi"
printf 'cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: "0"\n  containerEdits: {}\n- name: %s\n  containerEdits: {}\n' "$A" >"$CR/var/run/cdi/nvidia.yaml"
run "$G" "${base[@]}" --root "$CR" --runtime docker --dry-run "$IMG"
expect_rc 0 "docker with a CDI spec"
expect_out "nvidia.com/gpu=$A"
expect_no_out "--gpus"
expect_err "CDI spec $CR/var/run/cdi/nvidia.yaml names the devices"
run "$G" "${base[@]}" --root "$CR" --runtime docker --cdi no --dry-run "$IMG"
expect_out "--gpus"
# a spec of another kind, or one not naming the device, does not count
sed -i 's|kind: nvidia.com/gpu|kind: example.com/fpga|' "$CR/var/run/cdi/nvidia.yaml"
run "$G" "${base[@]}" --root "$CR" --runtime docker --dry-run "$IMG"
expect_out "--gpus"
echo '{"cdiVersion": "0.5.0", "kind": "nvidia.com/gpu", "devices": [{"name": "0", "containerEdits": {}}]}' >"$CR/etc/cdi/g.json"
run "$G" "${base[@]}" --root "$CR" --runtime docker --dry-run "$IMG"
expect_out "--gpus"
run "$G" "${base[@]}" --root "$CR" --runtime docker --cdi yes --dry-run "$IMG"
expect_out "nvidia.com/gpu=$A"
run "$G" "${base[@]}" --runtime docker --cdi sometimes --dry-run "$IMG"
expect_rc 2 "bad --cdi"
# apptainer --nvccli: nvidia-container-cli sets up the GPUs
run "$G" "${base[@]}" --runtime apptainer --nvccli --dry-run "$IMG" -- nvidia-smi
expect_rc 0
grep -A1 -x -- '--nv' <<<"$OUT" | grep -qx -- '--nvccli' || fail "apptainer: no --nv --nvccli: $OUT"
# JSON cannot carry a non-UTF-8 argument: refused, never dropped (a dropped
# argument would run another command)
run "$G" "${base[@]}" --runtime docker --engine-api "$IMG" -- python3 $'\xff\xfe' -c 'print(1)'
expect_rc 2 "non-UTF-8 argument"; expect_one_line_err; expect_err "command argument 1 is not valid UTF-8"
finish
