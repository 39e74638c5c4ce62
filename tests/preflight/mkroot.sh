#!/bin/bash
# Fake system trees for the preflight tests, built the way NVIDIA tests its
# container stack: /proc/driver/nvidia/version, /proc/devices, device nodes
# (mknod when permitted, else empty regular files: GM_FAKE_NODES=files forces
# files), and real tiny ELF driver libraries with real sonames under a real
# ld.so.cache written by `ldconfig -r ROOT`.
#
#   source mkroot.sh
#   pf_root ROOT VERSION [NGPUS]   healthy tree: kernel module = libraries = VERSION
#   pf_lib ROOT DIR NAME VERSION   add DIR/NAME.so.VERSION (soname NAME.so.1)
#   pf_kmod ROOT VERSION           rewrite /proc/driver/nvidia/version
#   pf_ldconfig ROOT [DIR...]      (re)write /etc/ld.so.conf with DIRs and run ldconfig
#   pf_node ROOT NAME MAJOR MINOR  device node under ROOT/dev
#   pf_node_json FILE DRIVER CUDA BRAND NAME [DEVICE-EXTRA-JSON]
# PF_NODES_ARE_FILES=1 after pf_root when device nodes had to be regular files.

pf_cc=${CC:-cc}
pf_src=$(mktemp -d)
trap 'rm -rf "$pf_src"' EXIT
echo 'int gm_fake_driver_symbol(int x) { return x + 1; }' >"$pf_src/lib.c"

pf_lib() { # ROOT DIR NAME VERSION
    mkdir -p "$1$2"
    # One compile per soname: the bytes do not depend on VERSION (only the file name does).
    [ -f "$pf_src/$3.so" ] || "$pf_cc" -shared -fPIC -o "$pf_src/$3.so" -Wl,-soname,"$3.so.1" "$pf_src/lib.c"
    cp "$pf_src/$3.so" "$1$2/$3.so.$4"
}

# pf_fwd_note LIB CUDA BRANCH...: give LIB the ELF note a CUDA compat libcuda
# carries (.note.cuda.fwd_compatibility, name "NVIDIA Corporation", JSON desc),
# the layout nvidia-container-toolkit's cuda-compat hook reads.
pf_fwd_note() {
    local lib=$1 cuda=$2
    shift 2
    local branches
    branches=$(IFS=,; echo "$*")
    python3 - "$pf_src/note.bin" "$cuda" "$branches" <<'PY'
import json, struct, sys
out, cuda, br = sys.argv[1], sys.argv[2], sys.argv[3]
desc = json.dumps({"Format": 1, "CUDA Version": cuda,
                   "Driver": [int(b) for b in br.split(",") if b], "Device": []}).encode() + b"\0"
name = b"NVIDIA Corporation\0"
pad = lambda b: b + b"\0" * (-len(b) % 4)
open(out, "wb").write(struct.pack("<III", len(name), len(desc), 1) + pad(name) + pad(desc))
PY
    objcopy --add-section .note.cuda.fwd_compatibility="$pf_src/note.bin" \
        --set-section-alignment .note.cuda.fwd_compatibility=4 "$lib"
}

pf_kmod() { # ROOT VERSION: the open kernel module's wording
    mkdir -p "$1/proc/driver/nvidia"
    printf 'NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  %s  Release Build  (dvs-builder@U22-I3-AE18-23-3)  Wed Sep 24 00:00:00 UTC 2025\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n' "$2" >"$1/proc/driver/nvidia/version"
}

pf_ldconfig() { # ROOT DIR...
    local r=$1
    shift
    mkdir -p "$r/etc"
    printf '%s\n' "$@" >"$r/etc/ld.so.conf"
    ldconfig -r "$r" -C /etc/ld.so.cache -f /etc/ld.so.conf
}

PF_NODES_ARE_FILES=0
pf_node() { # ROOT NAME MAJOR MINOR
    mkdir -p "$1/dev"
    rm -f "$1/dev/$2"
    if [ "${GM_FAKE_NODES:-}" != files ] && mknod -m 666 "$1/dev/$2" c "$3" "$4" 2>/dev/null; then
        return 0
    fi
    PF_NODES_ARE_FILES=1
    : >"$1/dev/$2"
}

# Typical dynamic major of nvidia-uvm; the check reads it from /proc/devices.
PF_UVM_MAJOR=508

pf_proc_devices() { # ROOT WITH_UVM(0/1)
    {
        printf 'Character devices:\n  1 mem\n  4 /dev/vc/0\n  5 /dev/tty\n195 nvidia\n195 nvidia-modeset\n195 nvidiactl\n'
        [ "$2" = 1 ] && printf '%d nvidia-uvm\n' "$PF_UVM_MAJOR"
        printf '509 nvidia-caps\n\nBlock devices:\n  8 sd\n259 blkext\n'
    } >"$1/proc/devices"
}

pf_root() { # ROOT VERSION [NGPUS]
    local r=$1 v=$2 n=${3:-1} i
    rm -rf "$r"
    mkdir -p "$r/etc" "$r/proc/driver/nvidia/gpus" "$r/dev"
    pf_kmod "$r" "$v"
    pf_proc_devices "$r" 1
    for lib in libcuda libnvidia-ml libnvidia-ptxjitcompiler; do
        pf_lib "$r" /usr/lib/x86_64-linux-gnu "$lib" "$v"
    done
    pf_ldconfig "$r" /usr/lib/x86_64-linux-gnu
    pf_node "$r" nvidiactl 195 255
    for ((i = 0; i < n; i++)); do
        pf_node "$r" "nvidia$i" 195 "$i"
        mkdir -p "$r/proc/driver/nvidia/gpus/0000:0$i:00.0"
        printf 'Model: \t\t NVIDIA A100-SXM4-80GB\nIRQ:   \t\t 42\nGPU UUID: \t GPU-00000000-0000-0000-0000-00000000000%d\nDevice Minor: \t %d\nBus Location: \t 0000:0%d:00.0\n' \
            "$i" "$i" "$i" >"$r/proc/driver/nvidia/gpus/0000:0$i:00.0/information"
    done
    pf_node "$r" nvidia-uvm "$PF_UVM_MAJOR" 0
    pf_node "$r" nvidia-uvm-tools "$PF_UVM_MAJOR" 1
}

pf_node_json() { # FILE DRIVER CUDA BRAND NAME [DEVICE-EXTRA-JSON]
    local extra=${6:-'"mig_mode": "disabled", "persistence_mode": true'}
    cat >"$1" <<EOF
{"hostname": "fake-01", "driver_version": "$2", "cuda_driver_version": "$3",
 "devices": [{"index": 0, "uuid": "GPU-00000000-0000-0000-0000-000000000000",
   "name": "$5", "brand": "$4", "compute_capability": "8.0", "memory_mib": 81920,
   $extra}]}
EOF
}

# pf_docker_archive OUT.tar LAYER-DIR ENV...: a `docker save` archive with one
# layer (LAYER-DIR's files) and a config whose Env is the given KEY=VALUEs.
pf_docker_archive() {
    local out=$1 layer=$2 w env="" e
    shift 2
    w=$(mktemp -d)
    tar -C "$layer" -cf "$w/layer.tar" .
    local diff
    diff=$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
    for e in "$@"; do env="$env${env:+, }\"$e\""; done
    printf '{"architecture": "amd64", "os": "linux", "config": {"Env": [%s]}, "rootfs": {"type": "layers", "diff_ids": ["sha256:%s"]}}\n' "$env" "$diff" >"$w/config.json"
    local cfg
    cfg=$(sha256sum "$w/config.json" | cut -d' ' -f1)
    mv "$w/config.json" "$w/$cfg.json"
    mkdir "$w/$diff" && mv "$w/layer.tar" "$w/$diff/layer.tar"
    printf '[{"Config": "%s.json", "RepoTags": ["gm/preflight:test"], "Layers": ["%s/layer.tar"]}]\n' "$cfg" "$diff" >"$w/manifest.json"
    tar -C "$w" -cf "$out" manifest.json "$cfg.json" "$diff/layer.tar"
    rm -rf "$w"
}
