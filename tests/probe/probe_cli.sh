#!/bin/bash
# gpumatch probe through the CLI: stub NVML/libcuda found by the dynamic loader
# (LD_LIBRARY_PATH, as on a real node), recorded XML, fake /proc, --watch.
. "$GM_SRC/tests/lib.sh"
D=$GM_PROBE_DATA
[ -f "$GM_STUB_DIR/libnvidia-ml.so.1" ] || skip "stub libraries not built"
# No NVIDIA software on the test machine: keep the real environment out.
unset GPUMATCH_NVML_PATH GPUMATCH_CUDA_PATH CUDA_VISIBLE_DEVICES NVIDIA_VISIBLE_DEVICES
export GPUMATCH_NVIDIA_SMI=/nonexistent/nvidia-smi
stubbed() { LD_LIBRARY_PATH="$GM_STUB_DIR" GM_STUB_SCENARIO="$D/nvml/$1.scn" "${@:2}"; }

# No driver at all (the machine running the tests): one line, exit 3.
run "$GPUMATCH" probe --root "$GM_TMP/empty"
expect_rc 3 "no driver"
expect_err "no NVIDIA driver found"
expect_one_line_err
run "$GPUMATCH" probe --root "$GM_TMP/empty" --allow-empty
expect_rc 0 "no driver, --allow-empty"
expect_out '"devices": []'

# One GPU through the default soname lookup.
run stubbed one "$GPUMATCH" probe --root "$GM_TMP/empty"
expect_rc 0 "one GPU"
expect_out '"driver_version": "550.54.15"'
expect_out '"cuda_driver_version": "12.4"'
expect_out '"compute_capability": "8.0"'
expect_out '"uuid": "GPU-4b1a7c2e-0d3f-4e5a-9b6c-7d8e9f0a1b2c"'
expect_out '"memory_mib": 81920'
expect_out '"brand": "nvidia"'
expect_out "\"hostname\": \"$(hostname)\""

# The document reads back: `gpumatch check` takes it as a node.
run stubbed eight "$GPUMATCH" probe --root "$GM_TMP/empty" --out "$GM_TMP/eight.json"
expect_rc 0 "probe --out"
run "$GPUMATCH" check --node "$GM_TMP/eight.json" --require "$GM_SRC/samples/requirements/pytorch-cu121.json"
expect_rc 0 "check on a probed node"
expect_out "memory 15360 MiB < 16000 MiB required"

# Table form.
run stubbed eight "$GPUMATCH" probe --table --root "$GM_TMP/empty"
expect_rc 0 "table"
expect_out "driver 535.104.05  cuda 12.2  (from nvml)"
expect_out "Quadro RTX 8000"
[ "$(grep -c '^[0-7] ' <<<"$OUT")" -eq 8 ] || fail "table: expected 8 GPU rows: $OUT"

# Zero GPUs: exit 3 unless --allow-empty.
run stubbed zero "$GPUMATCH" probe --root "$GM_TMP/empty"
expect_rc 3 "zero GPUs"
expect_err "no NVIDIA GPU found (driver 550.54.15, via nvml)"
expect_one_line_err
run stubbed zero "$GPUMATCH" probe --allow-empty --root "$GM_TMP/empty"
expect_rc 0 "zero GPUs, --allow-empty"
expect_out '"driver_version": "550.54.15"'

# Driver not loaded / broken library: exit 3, named, NVML's words.
run stubbed notloaded "$GPUMATCH" probe --root "$GM_TMP/empty"
expect_rc 3 "driver not loaded"
expect_err "libnvidia-ml.so.1: Driver Not Loaded"
expect_one_line_err
run stubbed gpulost "$GPUMATCH" probe --root "$GM_TMP/empty"
expect_rc 3 "GPU lost"
expect_err "nvmlDeviceGetMemoryInfo(0) failed: GPU is lost"
run env LD_LIBRARY_PATH="$GM_STUB_NOSYM_DIR" GM_STUB_SCENARIO="$D/nvml/one.scn" "$GPUMATCH" probe
expect_rc 3 "missing symbol"
expect_err "libnvidia-ml.so.1: missing symbol nvmlDeviceGetCudaComputeCapability"
expect_one_line_err

# MIG and UTF-8 names survive to the document.
run stubbed mig "$GPUMATCH" probe --root "$GM_TMP/empty"
expect_out '"profile": "2g.20gb"'
expect_out '"mig_pending": "enabled"'
run stubbed utf8 "$GPUMATCH" probe --root "$GM_TMP/empty"
expect_rc 0 "utf8"
expect_out 'NVIDIA Tésla Ünïcode GPU ✓'
expect_out 'エヌビディア RTX 5090 — テスト'

# --backend cuda: libcuda stub + the fake kernel module's version.
run stubbed one "$GPUMATCH" probe --backend cuda --root "$D/proc/two"
expect_rc 0 "cuda backend"
expect_out '"driver_version": "550.54.14"'
expect_out '"compute_capability": "8.0"'
# --cross-check prints the disagreement as a note on stderr.
run stubbed crosscheck "$GPUMATCH" probe --cross-check --root "$GM_TMP/empty"
expect_rc 0 "cross-check"
expect_err "note: GPU-c0000000-0000-0000-0000-000000000001: compute capability 8.6 from libcuda, 8.9 from NVML"

# --visible
run env CUDA_VISIBLE_DEVICES=5,0 LD_LIBRARY_PATH="$GM_STUB_DIR" GM_STUB_SCENARIO="$D/nvml/eight.scn" \
    "$GPUMATCH" probe --visible --table --root "$GM_TMP/empty"
expect_rc 0 "visible"
[ "$(grep -E '^[0-9]' <<<"$OUT" | awk '{print $1}' | tr '\n' ' ')" = "5 0 " ] || fail "visible order: $OUT"
run env NVIDIA_VISIBLE_DEVICES=GPU-nope LD_LIBRARY_PATH="$GM_STUB_DIR" GM_STUB_SCENARIO="$D/nvml/eight.scn" \
    "$GPUMATCH" probe --visible
expect_rc 2 "bad NVIDIA_VISIBLE_DEVICES"
expect_err "NVIDIA_VISIBLE_DEVICES: 'GPU-nope' matches no GPU"
# Without --visible the variables are ignored.
run env CUDA_VISIBLE_DEVICES=5 LD_LIBRARY_PATH="$GM_STUB_DIR" GM_STUB_SCENARIO="$D/nvml/eight.scn" \
    "$GPUMATCH" probe --root "$GM_TMP/empty"
[ "$(grep -c '"index"' <<<"$OUT")" -eq 8 ] || fail "--visible off should keep 8 GPUs"

# Recorded nvidia-smi XML and its errors.
run "$GPUMATCH" probe --from-smi "$D/smi/h100.xml"
expect_rc 0 "from-smi"
expect_out '"name": "NVIDIA H100 80GB HBM3"'
expect_out '"compute_capability": "9.0"'
expect_no_out '"hostname"'
run "$GPUMATCH" probe --from-smi "$D/smi/truncated.xml"
expect_rc 2 "truncated XML"
expect_err "truncated.xml:"
expect_err "malformed XML"
expect_one_line_err
run "$GPUMATCH" probe --from-smi "$D/smi/wrong_root.xml"
expect_rc 2 "wrong root"
expect_err "expected <nvidia_smi_log>"
# A product gpumatch cannot place gets a note, not a guess.
printf '<nvidia_smi_log><driver_version>550.54.15</driver_version><gpu><product_name>Mystery</product_name><product_architecture>Ampere</product_architecture></gpu></nvidia_smi_log>' >"$GM_TMP/mystery.xml"
run "$GPUMATCH" probe --from-smi "$GM_TMP/mystery.xml"
expect_rc 0 "unknown product"
expect_err "note: GPU 0 (Mystery): compute capability unknown"
# Live nvidia-smi backend through a fake command printing the recorded XML.
printf '#!/bin/sh\ncat "%s"\n' "$D/smi/t4.xml" >"$GM_TMP/nvidia-smi"
chmod +x "$GM_TMP/nvidia-smi"
run env GPUMATCH_NVIDIA_SMI="$GM_TMP/nvidia-smi" "$GPUMATCH" probe --backend smi
expect_rc 0 "live smi"
expect_out '"name": "Tesla T4"'
printf '#!/bin/sh\necho "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver."\nexit 9\n' >"$GM_TMP/nvidia-smi-bad"
chmod +x "$GM_TMP/nvidia-smi-bad"
run env GPUMATCH_NVIDIA_SMI="$GM_TMP/nvidia-smi-bad" "$GPUMATCH" probe --backend smi
expect_rc 3 "failing nvidia-smi"
expect_err "could not communicate with the NVIDIA driver"

# Fake /proc.
run "$GPUMATCH" probe --backend procfs --root "$D/proc/two"
expect_rc 0 "procfs"
expect_out '"name": "Tesla V100-PCIE-32GB"'

# Usage errors.
run "$GPUMATCH" probe --backend rocm
expect_rc 2 "unknown backend"
run "$GPUMATCH" probe --watch 1
expect_rc 2 "--watch without --out"
run "$GPUMATCH" probe --bogus
expect_rc 2 "unknown option"

# --watch: writes once, rewrites only on change, atomically.
OUTF=$GM_TMP/node.json
run stubbed one "$GPUMATCH" probe --watch 0.05 --watch-count 3 --out "$OUTF" --root "$GM_TMP/empty"
expect_rc 0 "watch"
grep -q '"memory_mib": 81920' "$OUTF" || fail "watch did not write the document"
ino1=$(stat -c %i "$OUTF")
run stubbed one "$GPUMATCH" probe --watch 0.05 --watch-count 3 --out "$OUTF" --root "$GM_TMP/empty"
[ "$(stat -c %i "$OUTF")" = "$ino1" ] || fail "watch rewrote an unchanged document"
run stubbed eight "$GPUMATCH" probe --watch 0.05 --watch-count 2 --out "$OUTF" --root "$GM_TMP/empty"
[ "$(stat -c %i "$OUTF")" != "$ino1" ] || fail "watch did not replace a changed document"
grep -q 'Quadro RTX 8000' "$OUTF" || fail "watch: new content missing"
ls "$GM_TMP" | grep -q '^node.json.' && fail "watch left a temporary file"
# A change while running (scenario file edited) is picked up; SIGTERM ends cleanly.
cp "$D/nvml/one.scn" "$GM_TMP/live.scn"
LD_LIBRARY_PATH="$GM_STUB_DIR" GM_STUB_SCENARIO="$GM_TMP/live.scn" \
    "$GPUMATCH" probe --watch 0.05 --out "$GM_TMP/live.json" --root "$GM_TMP/empty" 2>"$GM_TMP/w.err" &
wpid=$!
for _ in $(seq 100); do [ -s "$GM_TMP/live.json" ] && break; sleep 0.05; done
grep -q '"memory_mib": 81920' "$GM_TMP/live.json" || fail "live watch: first document"
sed 's/mem=81920/mem=40960/' "$D/nvml/one.scn" >"$GM_TMP/live.scn.new" && mv "$GM_TMP/live.scn.new" "$GM_TMP/live.scn"
for _ in $(seq 100); do grep -q '"memory_mib": 40960' "$GM_TMP/live.json" && break; sleep 0.05; done
grep -q '"memory_mib": 40960' "$GM_TMP/live.json" || fail "live watch: change not written"
kill -TERM "$wpid"
wait "$wpid"
wrc=$?
[ "$wrc" -eq 0 ] || fail "watch after SIGTERM exited $wrc"
finish
