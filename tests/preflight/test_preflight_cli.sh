#!/bin/bash
# gpumatch preflight over fake system trees: for every check one scenario that
# fails it and one that passes it, plus a healthy node with no findings.
# Expectations come from each check's definition (docs/preflight.md), e.g. "a
# libcuda.so.1 whose file version differs from the kernel module's is a
# failure", never from captured output.
here=$(cd "$(dirname "$0")" && pwd)
source "$GM_SRC/tests/lib.sh"
source "$here/mkroot.sh"
command -v ldconfig >/dev/null || PATH=$PATH:/sbin:/usr/sbin
command -v ldconfig >/dev/null || skip "ldconfig not found"
command -v "${CC:-cc}" >/dev/null || skip "no C compiler to build the fake driver libraries"

T=$GM_TMP
R=$T/root
A100='"mig_mode": "disabled", "persistence_mode": true'
pf() { run "$GPUMATCH" preflight "$@"; }
# has ID STATUS [TEXT]: a result line with that id and status (and TEXT in it).
line() {
    awk -v id="$1" -v st="$2" -v s="${3:-}" '$1 == id && $2 == st && index($0, s) { f = 1 }
        END { exit !f }' <<<"$OUT"
}
has() { line "$@" || fail "${CASE:-}: no '$1 $2 ${3:-}' line in: $OUT"; }
# hasnt ID STATUS: no result line with that id and status.
hasnt() {
    awk -v id="$1" -v st="$2" '$1 == id && $2 == st { f = 1 } END { exit !f }' <<<"$OUT" &&
        fail "${CASE:-}: unexpected '$1 $2' line in: $OUT"
    true
}
# only_ok: every line is ok or skip (no warn, no fail), except device-node
# warnings when this machine could not mknod.
only_ok() {
    local bad
    bad=$(awk 'NR > 1 && ($2 == "warn" || $2 == "fail")' <<<"$OUT")
    if [ "$PF_NODES_ARE_FILES" = 1 ]; then
        bad=$(grep -v 'not a character device' <<<"$bad")
    fi
    [ -z "$bad" ] || fail "${CASE:-}: findings on a healthy node: $bad"
}
N=$T/node.json

# ---- healthy node: kernel module = libraries = node document, nodes present
CASE=healthy
pf_root "$R" 580.95.05 2
pf_node_json "$N" 580.95.05 13.0 nvidia "NVIDIA A100-SXM4-80GB" "$A100"
pf --root "$R" --node "$N"
expect_rc 0 healthy
only_ok
for id in driver.kernel-module driver.version-mismatch libs.libcuda libs.libnvidia-ml \
          libs.duplicate libs.stale dev.majors compat.forward gpu.persistence gpu.mig-instances; do
    has "$id" ok
done
if [ "$PF_NODES_ARE_FILES" = 0 ]; then
    for d in /dev/nvidiactl /dev/nvidia0 /dev/nvidia1 /dev/nvidia-uvm /dev/nvidia-uvm-tools; do
        line "dev.${d#/dev/}" ok "$d" || has dev.nvidia-gpu ok "$d"
    done
fi
expect_out "0 fail"
# The same with --json: one object per check, overall pass.
pf --root "$R" --node "$N" --json
expect_rc 0 "healthy --json"
expect_out '"status": "pass"'
expect_out '"id": "driver.kernel-module"'

# Without --node the node comes from probe (procfs backend under --root): the
# tree's two GPUs show up in the per-GPU checks, and no note is printed.
CASE=probe
pf --root "$R"
expect_rc 0 "healthy, probed"
awk '$1 ~ /^gpu\./ && /GPU 1/ { f = 1 } END { exit !f }' <<<"$OUT" ||
    fail "probe: no per-GPU line for GPU 1 in: $OUT"
[ -z "$ERR" ] || fail "probe: unexpected stderr: $ERR"

# ---- 1. kernel module missing / not matching the user-space driver
CASE=no-kmod
rm "$R/proc/driver/nvidia/version"
pf --root "$R" --node "$N"
expect_rc 1 no-kmod
has driver.kernel-module fail "no NVIDIA kernel module"
has driver.version-mismatch skip
# ... and with no node document, probe finds no driver either: node checks skip.
pf --root "$R"
expect_rc 1 "no-kmod, probed"
has gpu.state skip
expect_err "node checks skipped"
expect_one_line_err

CASE=mismatch
pf_root "$R" 580.95.05 1            # user space upgraded to 580.95.05 ...
pf_kmod "$R" 580.82.07              # ... the old kernel module still loaded
pf --root "$R" --node "$N"
expect_rc 1 mismatch
has driver.version-mismatch fail "kernel module 580.82.07 but libnvidia-ml.so.1"
has driver.version-mismatch fail "driver/library version mismatch"
has libs.libcuda fail "running driver is 580.82.07"
# libnvidia-ml's own line must not repeat the failure (one fail per cause),
# and the freshly installed libraries are not "stale".
has libs.libnvidia-ml warn
hasnt libs.stale warn
# The library alone must show it (NVML itself cannot start here, so a real
# node would have no NVML-made document): no --node.
pf --root "$R"
expect_rc 1 "mismatch without node document"
has driver.version-mismatch fail "kernel module 580.82.07 but libnvidia-ml.so.1"

# ---- 3. libcuda.so.1 pointing at another driver; duplicates; stale files
CASE=libcuda-other
pf_root "$R" 580.95.05 1
rm "$R"/usr/lib/x86_64-linux-gnu/libcuda.so.*
pf_lib "$R" /usr/lib/x86_64-linux-gnu libcuda 575.51.03
pf_ldconfig "$R" /usr/lib/x86_64-linux-gnu
pf --root "$R" --node "$N"
expect_rc 1 libcuda-other
has libs.libcuda fail "libcuda.so.575.51.03"
has driver.version-mismatch ok

CASE=duplicate
pf_root "$R" 580.95.05 1
pf_lib "$R" /usr/local/lib libcuda 535.104.05   # an old install, searched first
pf_ldconfig "$R" /usr/local/lib /usr/lib/x86_64-linux-gnu
pf --root "$R" --node "$N"
expect_rc 1 duplicate
has libs.duplicate warn "2 entries for libcuda.so.1"
has libs.libcuda fail "/usr/local/lib/libcuda.so.535.104.05"
# The old copy is what libcuda.so.1 resolves to: reported by libs.libcuda, not as stale.
hasnt libs.stale warn

CASE=duplicate-same
pf_root "$R" 580.95.05 1
pf_lib "$R" /usr/local/lib libcuda 580.95.05   # a second copy of the running driver
pf_ldconfig "$R" /usr/local/lib /usr/lib/x86_64-linux-gnu
pf --root "$R" --node "$N"
expect_rc 0 duplicate-same
has libs.duplicate warn "2 entries"
has libs.libcuda ok

CASE=stale
pf_root "$R" 580.95.05 1
pf_lib "$R" /usr/lib/x86_64-linux-gnu libcuda 550.54.15    # left by an upgrade
pf_ldconfig "$R" /usr/lib/x86_64-linux-gnu                 # ldconfig links the newest
pf --root "$R" --node "$N"
expect_rc 0 stale
has libs.stale warn "libcuda.so.550.54.15"
has libs.libcuda ok
has libs.duplicate ok

CASE=no-ldcache
pf_root "$R" 580.95.05 1
rm "$R/etc/ld.so.cache"
pf --root "$R" --node "$N"
expect_rc 1 no-ldcache
has libs.libcuda fail "ld.so.cache"

# ---- 2. device nodes
CASE=no-uvm
pf_root "$R" 580.95.05 1
pf_proc_devices "$R" 0
rm "$R/dev/nvidia-uvm" "$R/dev/nvidia-uvm-tools"
pf --root "$R" --node "$N"
expect_rc 1 no-uvm
has dev.majors fail "nvidia-uvm"
has dev.nvidia-uvm fail "missing"
has dev.nvidia-uvm-tools fail "missing"
expect_out "nvidia-modprobe -u -c0"
line dev.nvidiactl ok || has dev.nvidiactl warn "not a character device"

CASE=missing-gpu-node
pf_root "$R" 580.95.05 2
rm "$R/dev/nvidia1"
pf --root "$R" --node "$N"
expect_rc 1 missing-gpu-node
has dev.nvidia-gpu fail "/dev/nvidia1 is missing"
expect_out "nvidia-modprobe -c1"

if [ "$PF_NODES_ARE_FILES" = 0 ]; then
    CASE=wrong-major
    pf_root "$R" 580.95.05 1
    pf_node "$R" nvidia0 10 0              # not NVIDIA's 195
    pf_node "$R" nvidia-uvm 195 0          # not the registered nvidia-uvm major
    pf --root "$R" --node "$N"
    expect_rc 1 wrong-major
    has dev.nvidia-gpu fail "major 10"
    has dev.nvidia-uvm fail "major 195, the kernel registered $PF_UVM_MAJOR"
    CASE=wrong-minor
    pf_root "$R" 580.95.05 1
    pf_node "$R" nvidia-uvm-tools "$PF_UVM_MAJOR" 0
    pf --root "$R" --node "$N"
    expect_rc 1 wrong-minor
    has dev.nvidia-uvm-tools fail "minor 0, expected 1"
fi

CASE=regular-files
GM_FAKE_NODES=files pf_root "$R" 580.95.05 1
pf --root "$R" --node "$N"
expect_rc 0 regular-files          # warnings only: a test tree, not this machine
has dev.nvidiactl warn "regular file, not a character device"
has dev.nvidia-uvm warn "not a character device"
hasnt dev.nvidiactl fail

# ---- 4. forward compatibility
compat_root() { # KMOD COMPAT-CUDA COMPAT-VER CONFIGURED(0/1)
    pf_root "$R" "$1" 1
    pf_lib "$R" "/usr/local/cuda-$2/compat" libcuda "$3"
    ln -s "cuda-$2" "$R/usr/local/cuda"
    if [ "$4" = 1 ]; then
        pf_ldconfig "$R" /usr/local/cuda/compat /usr/lib/x86_64-linux-gnu
    fi
}
CASE=compat-ok
compat_root 535.104.05 12.8 570.124.06 1
pf_node_json "$N" 535.104.05 12.2 nvidia "NVIDIA A100-SXM4-80GB" "$A100"
pf --root "$R" --node "$N"
expect_rc 0 compat-ok
has compat.forward ok "needed for CUDA 12.8"
has libs.libcuda ok "forward-compatibility"
has libs.duplicate ok

# The library's own .note.cuda.fwd_compatibility decides the branch, not gpumatch's
# documented list (nvidia-container-toolkit cmd/nvidia-cdi-hook/cudacompat: the host
# branch must be in the note's "Driver" list).
CASE=compat-note-lists-branch
compat_root 535.104.05 12.8 570.124.06 1
pf_fwd_note "$R/usr/local/cuda-12.8/compat/libcuda.so.570.124.06" 12.8 535 550 570
readelf -n "$R/usr/local/cuda-12.8/compat/libcuda.so.570.124.06" | grep -q "NVIDIA Corporation" \
    || fail "fixture: objcopy did not write the note"
pf --root "$R" --node "$N"
expect_rc 0 compat-note-lists-branch
has compat.forward ok "listed in its .note.cuda.fwd_compatibility"
CASE=compat-note-lacks-branch
compat_root 535.104.05 12.8 570.124.06 1
pf_fwd_note "$R/usr/local/cuda-12.8/compat/libcuda.so.570.124.06" 12.8 550 570
pf --root "$R" --node "$N"
expect_rc 1 compat-note-lacks-branch
has compat.forward fail "does not list branch R535"
CASE=compat-note-nfb-listed   # a branch the documented list calls new-feature, listed by the note
compat_root 545.23.08 12.8 570.124.06 1
pf_fwd_note "$R/usr/local/cuda-12.8/compat/libcuda.so.570.124.06" 12.8 545
pf_node_json "$N" 545.23.08 12.3 nvidia "NVIDIA A100-SXM4-80GB" "$A100"
pf --root "$R" --node "$N"
expect_rc 0 compat-note-nfb-listed
has compat.forward ok "R545"
pf_node_json "$N" 535.104.05 12.2 nvidia "NVIDIA A100-SXM4-80GB" "$A100"
compat_root 535.104.05 12.8 570.124.06 1

CASE=compat-804
pf_node_json "$N" 535.104.05 12.2 geforce "NVIDIA GeForce RTX 4090" "$A100"
pf --root "$R" --node "$N"
expect_rc 1 compat-804
has compat.forward fail "804"

CASE=compat-nfb
compat_root 545.23.08 12.8 570.124.06 1
pf_node_json "$N" 545.23.08 12.3 nvidia "NVIDIA A100-SXM4-80GB" "$A100"
pf --root "$R" --node "$N"
expect_rc 1 compat-nfb
has compat.forward fail "803"
has compat.forward fail "R545"

CASE=compat-older
compat_root 580.95.05 12.8 570.124.06 1
pf_node_json "$N" 580.95.05 13.0 nvidia "NVIDIA A100-SXM4-80GB" "$A100"
pf --root "$R" --node "$N"
expect_rc 1 compat-older
has compat.forward fail "older than the running driver 580.95.05"

CASE=compat-unused
compat_root 580.95.05 12.8 570.124.06 0
pf --root "$R" --node "$N"
expect_rc 0 compat-unused
has compat.forward ok "not used, not needed"

CASE=compat-not-needed
compat_root 580.95.05 13.0 580.95.05 1   # same version as the driver
pf --root "$R" --node "$N"
expect_rc 0 compat-not-needed
has compat.forward ok "not newer"

# ---- 5. persistence and MIG (node document)
pf_root "$R" 580.95.05 1
CASE=persistence-off
pf_node_json "$N" 580.95.05 13.0 nvidia "NVIDIA A100-SXM4-80GB" '"mig_mode": "disabled", "persistence_mode": false'
pf --root "$R" --node "$N"
expect_rc 0 persistence-off
has gpu.persistence warn "persistence mode off on a data-center GPU"
CASE=persistence-off-workstation
pf_node_json "$N" 580.95.05 13.0 geforce "NVIDIA GeForce RTX 4090" '"mig_mode": "unsupported", "persistence_mode": false'
pf --root "$R" --node "$N"
expect_rc 0 persistence-off-workstation
has gpu.persistence ok "optional"
CASE=mig-empty
pf_node_json "$N" 580.95.05 13.0 nvidia "NVIDIA A100-SXM4-80GB" '"mig_mode": "enabled", "persistence_mode": true'
pf --root "$R" --node "$N"
expect_rc 1 mig-empty
has gpu.mig-instances fail "no MIG instances"
CASE=mig-ok
pf_node_json "$N" 580.95.05 13.0 nvidia "NVIDIA A100-SXM4-80GB" '"mig_mode": "enabled", "persistence_mode": true, "mig_devices": [{"uuid": "MIG-00000000-0000-0000-0000-000000000001", "profile": "3g.40gb", "memory_mib": 40192, "gi": 1, "ci": 0}]'
pf --root "$R" --node "$N"
expect_rc 0 mig-ok
has gpu.mig-instances ok "1 instance"
CASE=mig-pending
pf_node_json "$N" 580.95.05 13.0 nvidia "NVIDIA A100-SXM4-80GB" '"mig_mode": "disabled", "mig_pending": "enabled", "persistence_mode": true'
pf --root "$R" --node "$N"
expect_rc 0 mig-pending
has gpu.mig-pending warn "pending enabled"
CASE=mig-not-pending
pf_node_json "$N" 580.95.05 13.0 nvidia "NVIDIA A100-SXM4-80GB" '"mig_mode": "disabled", "mig_pending": "disabled", "persistence_mode": true'
pf --root "$R" --node "$N"
has gpu.mig-pending ok

# ---- 6. image requirements and image compat libraries
CASE=image
pf_root "$R" 535.104.05 1
pf_node_json "$N" 535.104.05 12.2 nvidia "NVIDIA A100-SXM4-80GB" "$A100"
L=$T/layer
mkdir -p "$L/usr/bin" && echo hi >"$L/usr/bin/app"
pf_docker_archive "$T/req.tar" "$L" "PATH=/usr/bin" "CUDA_VERSION=12.4.1" "NVIDIA_REQUIRE_CUDA=cuda>=12.4"
pf --root "$R" --node "$N" --image "$T/req.tar"
{
    # r535 supports CUDA 12.2: cuda>=12.4 fails; no compat libraries to rescue it.
    expect_rc 1 "image cuda>=12.4 on r535"
    has image.requirements fail "cuda>=12.4"
    pf_node_json "$N" 580.95.05 13.0 nvidia "NVIDIA A100-SXM4-80GB" "$A100"
    pf_root "$R" 580.95.05 1
    pf --root "$R" --node "$N" --image "$T/req.tar"
    expect_rc 0 "image cuda>=12.4 on r580"
    has image.requirements ok "cuda>=12.4"
    # An image carrying CUDA 12.8 compat libraries, on r535 (needs them).
    pf_root "$R" 535.104.05 1
    pf_node_json "$N" 535.104.05 12.2 nvidia "NVIDIA A100-SXM4-80GB" "$A100"
    pf_lib "$L" /usr/local/cuda-12.8/compat libcuda 570.124.06
    pf_docker_archive "$T/compat.tar" "$L" "CUDA_VERSION=12.8.1" \
        "NVIDIA_REQUIRE_CUDA=cuda>=12.8 brand=tesla,driver>=535,driver<536 brand=nvidia,driver>=535,driver<536"
    pf --root "$R" --node "$N" --image "$T/compat.tar"
    expect_rc 0 "compat image on A100 r535"
    has compat.forward ok "needed for CUDA 12.8"
    has image.requirements ok
    # The same image on a GeForce: the requirement fails and compat gives 804.
    pf_node_json "$N" 535.104.05 12.2 geforce "NVIDIA GeForce RTX 4090" "$A100"
    pf --root "$R" --node "$N" --image "$T/compat.tar"
    expect_rc 1 "compat image on GeForce"
    has compat.forward fail "804"
    has image.requirements fail
    # An image that forces its 12.8 compat libcuda (LD_LIBRARY_PATH) onto a newer
    # r580 driver: older user-mode driver than the kernel module, error 803.
    pf_docker_archive "$T/forced.tar" "$L" "CUDA_VERSION=12.8.1" \
        "LD_LIBRARY_PATH=/usr/local/cuda/compat:/usr/local/nvidia/lib64"
    pf_root "$R" 580.95.05 1
    pf_node_json "$N" 580.95.05 13.0 nvidia "NVIDIA A100-SXM4-80GB" "$A100"
    pf --root "$R" --node "$N" --image "$T/forced.tar"
    expect_rc 1 "forced old compat"
    has compat.forward fail "803"
    has compat.forward fail "LD_LIBRARY_PATH"
    # The same image without LD_LIBRARY_PATH: the toolkit leaves it unused.
    pf --root "$R" --node "$N" --image "$T/compat.tar"
    expect_rc 0 "unforced old compat"
    has compat.forward ok "not used, not needed"
    # Unreadable image: bad input.
    pf --root "$R" --node "$N" --image "$T/missing.tar"
    expect_rc 2 "missing image"
    expect_one_line_err
}

# ---- bad input: exit 2, one line on stderr
CASE=bad-input
pf --root "$R" --node "$T/missing.json"
expect_rc 2 "missing node file"
expect_one_line_err
printf '[{"driver_version": "580.95.05", "devices": []}, {"driver_version": "580.95.05", "devices": []}]' >"$T/two.json"
pf --root "$R" --node "$T/two.json"
expect_rc 2 "two nodes"
expect_err "preflight checks one"
pf --bogus
expect_rc 2 "unknown option"
pf --root "$R" --node "$N" extra
expect_rc 2 "extra argument"

finish
