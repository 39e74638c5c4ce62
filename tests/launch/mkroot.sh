#!/bin/bash
# Builds a fake NVIDIA driver root for the launch tests:
#   mkroot.sh ROOT [DRIVER_VERSION] [STALE_VERSION]
# Real tiny ELF shared objects with the SONAMEs the driver's libraries carry, a
# real ld.so.cache written by ldconfig (new format at /etc/ld.so.cache, plus
# /etc/ld.so.cache.old and /etc/ld.so.cache.compat), /proc/driver/nvidia/version,
# device nodes (mknod when permitted, else empty regular files; GM_FAKE_NODES=files
# forces files), utility binaries, GSP firmware and the persistenced socket.
# A stale libcuda/libnvidia-ml of STALE_VERSION sits in /usr/local/lib (must be
# reported, not mounted), a 32-bit libcuda in /usr/lib/i386-linux-gnu (not the
# host ABI) and libcudart.so.12 (not a driver library) in the main directory.
set -eu
root=$1
ver=${2:-535.104.05}
stale=${3:-470.57.02}
cc=${CC:-cc}
mkdir -p "$root"/{etc,usr/lib/x86_64-linux-gnu,usr/lib/i386-linux-gnu,usr/local/lib,usr/bin,dev/nvidia-caps,proc/driver/nvidia,lib/firmware/nvidia/"$ver",lib/firmware/nvidia/525.60.13,run/nvidia-persistenced}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo 'int gm_fake_symbol(int x) { return x + 1; }' >"$tmp/lib.c"
# so NAME SONAME DIR [extra cc flags]. The bytes depend only on SONAME and the
# flags, so each is compiled once per build dir and copied (atomic rename:
# tests run in parallel).
cache=${GM_BUILD:-$tmp}/mkroot-cache-$(printf '%s\n' "$cc" | cat - "$tmp/lib.c" | cksum | cut -d' ' -f1)
mkdir -p "$cache"
so() {
    local key="$2${4:+$(printf '%s' "${@:4}" | tr -c 'a-zA-Z0-9' _)}"
    if [ ! -f "$cache/$key" ]; then
        "$cc" -shared -fPIC -o "$cache/$key.$$" -Wl,-soname,"$2" "$tmp/lib.c" "${@:4}" || return 1
        mv -f "$cache/$key.$$" "$cache/$key"
    fi
    cp "$cache/$key" "$3/$1"
}
lib64=$root/usr/lib/x86_64-linux-gnu
# name:soname-suffix ("1" -> NAME.so.1; "V" -> NAME.so.VERSION)
for spec in libcuda:1 libcudadebugger:1 libnvidia-ptxjitcompiler:1 libnvidia-nvvm:4 \
            libnvidia-opencl:1 libnvidia-gpucomp:V libnvidia-allocator:1 libnvidia-ml:1 \
            libnvidia-cfg:1 libnvidia-encode:1 libnvcuvid:1 libnvidia-opticalflow:1 \
            libvdpau_nvidia:1 libGLX_nvidia:0 libEGL_nvidia:0 libnvidia-eglcore:V \
            libnvidia-glcore:V libnvidia-tls:V; do
    name=${spec%%:*} s=${spec#*:}
    [ "$s" = V ] && s=$ver
    so "$name.so.$ver" "$name.so.$s" "$lib64"
done
so libcudart.so.12.2.140 libcudart.so.12 "$lib64"
so libcuda.so.$stale libcuda.so.1 "$root/usr/local/lib"
so libnvidia-ml.so.$stale libnvidia-ml.so.1 "$root/usr/local/lib"
# 32-bit: no 32-bit C runtime here, so link nothing (ldconfig then flags it plain ELF).
# (x86 hosts only: elsewhere cc has no -m32 and the tests expect no 32-bit entry.)
so libcuda.so.$ver libcuda.so.1 "$root/usr/lib/i386-linux-gnu" -m32 -nostdlib 2>/dev/null || true
printf '/usr/local/lib\n/usr/lib/i386-linux-gnu\n' >"$root/etc/ld.so.conf"
ldconfig -c new -C /etc/ld.so.cache -r "$root"
ldconfig -c old -C /etc/ld.so.cache.old -r "$root"
ldconfig -c compat -C /etc/ld.so.cache.compat -r "$root"
# The kernel module's version file, as the 535 driver writes it.
printf 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  %s  Sat Aug 19 01:15:15 UTC 2023\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n' "$ver" >"$root/proc/driver/nvidia/version"
# Per-GPU information files (what probe's procfs backend reads), two A100s.
for i in 0 1; do
    bus=0000:00:0$((i + 4)).0
    mkdir -p "$root/proc/driver/nvidia/gpus/$bus"
    printf 'Model: \t\t NVIDIA A100-SXM4-80GB\nIRQ:   \t\t 0\nGPU UUID: \t GPU-a1000000-1111-2222-3333-44444444444%d\nVideo BIOS: \t 92.00.45.00.03\nBus Type: \t PCIe\nDMA Size: \t 47 bits\nDMA Mask: \t 0x7fffffffffff\nBus Location: \t %s\nDevice Minor: \t %d\nGPU Excluded:\t No\n' "$i" "$bus" "$i" >"$root/proc/driver/nvidia/gpus/$bus/information"
done
for b in nvidia-smi nvidia-debugdump nvidia-persistenced nvidia-cuda-mps-control nvidia-cuda-mps-server; do
    printf '#!/bin/sh\nexit 0\n' >"$root/usr/bin/$b"
    chmod 755 "$root/usr/bin/$b"
done
: >"$root/lib/firmware/nvidia/$ver/gsp_ga10x.bin"
: >"$root/lib/firmware/nvidia/$ver/gsp_tu10x.bin"
: >"$root/lib/firmware/nvidia/525.60.13/gsp_tu10x.bin"
# Device nodes: major 195 is NVIDIA's fixed char major; uvm and caps get
# dynamic majors (these are typical values).
node() {
    if [ "${GM_FAKE_NODES:-}" != files ] && mknod -m 666 "$root/dev/$1" c "$2" "$3" 2>/dev/null; then
        return 0
    fi
    : >"$root/dev/$1"
}
node nvidiactl 195 255
node nvidia-modeset 195 254
node nvidia0 195 0
node nvidia1 195 1
node nvidia-uvm 510 0
node nvidia-uvm-tools 510 1
node nvidia-caps/nvidia-cap1 511 1
node nvidia-caps/nvidia-cap2 511 2
if command -v python3 >/dev/null; then
    python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$root/run/nvidia-persistenced/socket"
else
    : >"$root/run/nvidia-persistenced/socket"
fi
