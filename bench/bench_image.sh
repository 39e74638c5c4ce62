#!/bin/bash
# Memory and speed of the image walker on a large generated image: layers
# holding BIG_MB of zero-filled files (plus small files), as zstd-compressed
# and as uncompressed docker-archives. Reports wall time, throughput of file
# bytes read by the visitor, and peak RSS (/usr/bin/time -v), next to a
# reference pipeline (zstd -dc | tar -xO | wc -c) over the same layers; the
# walker's visitor reads every byte (gm_image_walk --nosum 1: no checksum).
# Usage: bench/bench_image.sh [BUILD_DIR] [BIG_MB]   (needs tests built: gm_image_walk)
set -eu
BUILD=${1:-build}
BIG_MB=${2:-1536}
W=$BUILD/tests/image/gm_image_walk
[ -x "$W" ] || { echo "build first: $W missing" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (Debian package time) missing" >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# layer 1: one big file (2/3), layer 2: another big file (1/3) + 2000 small files,
# layer 3: overrides a small file and deletes another.
mkdir -p $T/l1/data $T/l2/data $T/l2/small $T/l3/small
truncate -s $((BIG_MB * 2 / 3))M $T/l1/data/big1
truncate -s $((BIG_MB / 3))M $T/l2/data/big2
for i in $(seq 1 2000); do printf 'small %d\n' $i >$T/l2/small/f$i; done
printf 'override' >$T/l3/small/f1
: >$T/l3/small/.wh.f2
for i in 1 2 3; do tar -C $T/l$i -cf $T/layer$i.tar .; done
for i in 1 2 3; do zstd -q -T2 -3 $T/layer$i.tar -o $T/layer$i.tzst; done
printf '{"config":{"Env":["NVIDIA_REQUIRE_CUDA=cuda>=12.0"]}}' >$T/c.json
mkdocker() { # NAME EXT
    local d=$T/$1
    mkdir -p $d/a $d/b $d/c
    ln $T/layer1.$2 $d/a/layer.tar && ln $T/layer2.$2 $d/b/layer.tar && ln $T/layer3.$2 $d/c/layer.tar
    cp $T/c.json $d/
    echo '[{"Config":"c.json","RepoTags":["bench:1"],"Layers":["a/layer.tar","b/layer.tar","c/layer.tar"]}]' >$d/manifest.json
    tar -C $d -cf $T/$1.tar manifest.json c.json a b c
}
mkdocker zimg tzst
mkdocker pimg tar
rm -f $T/layer*.tar.tmp
bytes=$(( (BIG_MB * 2 / 3 + BIG_MB / 3) * 1024 * 1024 ))

measure() { # LABEL CMD...: prints seconds and peak RSS (KiB)
    local label=$1
    shift
    /usr/bin/time -v -o $T/time.txt "$@" >$T/out.txt
    local s rss
    s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); t=0; for(i=1;i<=n;i++) t=t*60+a[i]; print t}' $T/time.txt)
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' $T/time.txt)
    printf '%-34s %8.2f s  %8.1f MB/s  peak RSS %7.1f MiB\n' "$label" "$s" \
        "$(echo "$bytes / 1048576 / ($s + 0.0001)" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
    echo "$s" >$T/last
}
ref_z() { for i in 1 2 3; do zstd -qdc $T/layer$i.tzst | tar -xO; done | wc -c; }
ref_p() { for i in 1 2 3; do tar -xOf $T/layer$i.tar; done | wc -c; }
export -f ref_z ref_p
export T

echo "image: $BIG_MB MiB of file data in 3 layers, 2003 files"
printf 'archives on disk: zstd %s, uncompressed %s\n' "$(du -h $T/zimg.tar | cut -f1)" "$(du -h $T/pimg.tar | cut -f1)"
measure "walker, zstd docker-archive" $W --buf 65536 --nosum 1 $T/zimg.tar
wz=$(cat $T/last)
grep -c '^F' $T/out.txt | sed 's/^/  files visited: /'
measure "reference zstd -dc | tar -xO" bash -c ref_z
rz=$(cat $T/last)
measure "walker, uncompressed archive" $W --buf 65536 --nosum 1 $T/pimg.tar
wp=$(cat $T/last)
measure "reference tar -xO" bash -c ref_p
rp=$(cat $T/last)
printf 'ratio walker/reference time: zstd %.2f, uncompressed %.2f\n' \
    "$(echo "$wz / ($rz + 0.0001)" | bc -l)" "$(echo "$wp / ($rp + 0.0001)" | bc -l)"
