#!/bin/bash
# The image walker on a real image: CUDA's lib64 (about 2.4 GB of libraries)
# as one zstd layer of an OCI archive, built here with tar + zstd (OCI
# image-layout: index.json -> manifest -> config + layer blob). Compares the
# walker reading every byte of every file (tests' gm_image_walk --nosum 1)
# and `gpumatch inspect --json` (also with --verify) with the pipeline
# `zstd -dc | tar -xO`: wall time, peak RSS (/usr/bin/time) and their ratios;
# then a docker-archive of one zstd layer with cuBLASLt, cuFFT and cuSPARSE.
# Usage: bench/bench_image_cuda.sh [BUILD_DIR] [CUDA_LIB_DIR]
set -eu
BUILD=${1:-build}
LIB=${2:-/usr/local/cuda/lib64}
W=$BUILD/tests/image/gm_image_walk
G=$BUILD/gpumatch
[ -x "$W" ] && [ -x "$G" ] || { echo "build first: $W / $G missing" >&2; exit 2; }
LIB=$(readlink -f "$LIB")
[ -d "$LIB" ] || { echo "no $LIB" >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
tar -C "$LIB" -cf - . | zstd -q -T2 -3 -o $T/layer.tar.zst
O=$T/oci
mkdir -p $O/blobs/sha256
blob() { # FILE MEDIATYPE: moves FILE into the layout, prints its descriptor
    local h s
    h=$(sha256sum "$1" | cut -c1-64)
    s=$(stat -c %s "$1")
    mv "$1" $O/blobs/sha256/$h
    printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$2" "$h" "$s"
}
L=$(blob $T/layer.tar.zst application/vnd.oci.image.layer.v1.tar+zstd)
printf '{"architecture":"amd64","os":"linux","config":{"Env":["CUDA_VERSION=13.0.0"]},"rootfs":{"type":"layers","diff_ids":[]}}' >$T/config.json
C=$(blob $T/config.json application/vnd.oci.image.config.v1+json)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' "$C" "$L" >$T/manifest.json
M=$(blob $T/manifest.json application/vnd.oci.image.manifest.v1+json)
printf '{"schemaVersion":2,"manifests":[%s]}' "$M" >$O/index.json
printf '{"imageLayoutVersion":"1.0.0"}' >$O/oci-layout
tar -C $O -cf $T/oci.tar oci-layout index.json blobs
LAYER=$(ls -S $O/blobs/sha256/* | head -1)
rm -rf $O
LAYER_IN_TAR=blobs/sha256/$(basename "$LAYER")

measure() { # LABEL CMD...: sets S (wall s) and R (peak RSS MiB)
    local label=$1
    shift
    /usr/bin/time -f '%e %M %U %S' -o $T/time.txt "$@" >$T/out.txt 2>$T/err.txt || true
    read -r S rss u sy < <(tail -n 1 $T/time.txt)
    R=$(echo "scale=1; $rss / 1024" | bc -l)
    printf '%-44s %7.2f s wall (%6.2f user + %5.2f sys)  peak RSS %7.1f MiB\n' "$label" "$S" "$u" \
        "$sy" "$R"
}
ratio() { # LABEL S R REF_S REF_R
    printf '  %s: %.2fx the pipeline'"'"'s time, %.1fx its peak RSS\n' "$1" "$(echo "$2 / $4" | bc -l)" \
        "$(echo "$3 / $5" | bc -l)"
}
ref() { tar -xOf "$1" "$2" | zstd -qdc | tar -xO | wc -c; }
export -f ref
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "image: $LIB as one zstd layer; OCI archive $(du -h $T/oci.tar | cut -f1), $(find "$LIB" -type f | wc -l) files, $(du -sh "$LIB" | cut -f1)"
cat $T/oci.tar >/dev/null # warm page cache
measure "reference: tar -xO | zstd -dc | tar -xO" bash -c "ref $T/oci.tar $LAYER_IN_TAR"
RS=$S RR=$R
echo "  bytes: $(cat $T/out.txt)"
measure "walker (reads every byte)" $W --buf 65536 --nosum 1 $T/oci.tar
echo "  files visited: $(grep -c '^F' $T/out.txt)"
ratio walker $S $R $RS $RR
measure "gpumatch inspect --json" $G inspect --json $T/oci.tar
ratio "inspect --json" $S $R $RS $RR
measure "gpumatch inspect --json --verify" $G inspect --json --verify $T/oci.tar
ratio "inspect --json --verify" $S $R $RS $RR
echo "load after the OCI archive: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f $T/oci.tar

# A docker-archive of one zstd layer holding the three largest libraries
# with embedded or many fat binaries (cuBLASLt, cuFFT, cuSPARSE).
D=$T/docker
mkdir -p $D/l
tar -C "$LIB" -cf - $(cd "$LIB" && ls libcublasLt.so.* libcufft.so.* libcusparse.so.* | grep -E '\.so\.[0-9]+$') |
    zstd -q -T2 -3 -o $D/l/layer.tar
printf '{"config":{"Env":[]}}' >$D/c.json
echo '[{"Config":"c.json","RepoTags":["bench:1"],"Layers":["l/layer.tar"]}]' >$D/manifest.json
tar -C $D -cf $T/docker.tar manifest.json c.json l
echo "docker-archive: $(cd "$LIB" && ls libcublasLt.so.* libcufft.so.* libcusparse.so.* | grep -E '\.so\.[0-9]+$' | tr '\n' ' ')in one zstd layer, $(du -h $T/docker.tar | cut -f1)"
measure "reference: tar -xO | zstd -dc | tar -xO" bash -c "ref $T/docker.tar l/layer.tar"
RS=$S RR=$R
measure "gpumatch inspect --json" $G inspect --json $T/docker.tar
ratio "inspect --json" $S $R $RS $RR
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
