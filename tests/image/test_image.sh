#!/bin/bash
# Builds real images without docker (GNU tar layers, JSON written here) and
# checks the walker's merged view file by file against `cksum` of the files
# the layers were made from. Expected sets follow the OCI image-layer spec
# (whiteouts, opaque dirs, later layers win), not the walker's output.
. "$GM_SRC/tests/lib.sh"
W=${GM_IMAGE_WALK:-$GM_BUILD/tests/image/gm_image_walk}
T=$GM_TMP
command -v zstd >/dev/null || skip "zstd command not installed (Debian package zstd)"
command -v sha256sum >/dev/null || skip "sha256sum missing"

mk() { mkdir -p "$(dirname "$1")"; printf '%s' "$2" >"$1"; }
# exp PATH SRC: the line the walker must print for PATH with SRC's bytes
exp() {
    local crc size
    read -r crc size < <(cksum <"$2")
    printf 'F\t%s\t%s\t%s\t%04d\n' "$1" "$size" "$crc" "$(stat -c %a "$2")"
}
files_of() { grep '^F' <<<"$OUT" | sort; }
# same_files NAME EXPECTED_FILE: compares the F lines of $OUT with the file
same_files() {
    local d
    if ! d=$(diff <(sort "$2") <(files_of)); then fail "$1: file set differs (< expected, > got):
$d"; fi
}
sha() { sha256sum "$1" | cut -c1-64; }

# ---- layer trees (bottom to top) ----
L1=$T/t1 L2=$T/t2 L3=$T/t3 L4=$T/t4 E=$T/te
mk $L1/etc/os-release "base"
mk $L1/usr/lib/libold.so "old v1"
mk $L1/usr/lib/libkeep.so "keep"
mk $L1/opt/app/data/a.txt "a"
mk $L1/opt/app/data/b.txt "b"
mk $L1/opt/gone/x "x"
mk $L1/var/cache/c1 "c1"
mk $L1/usr/bin/tool "tool v1"
chmod 755 $L1/usr/bin/tool
ln $L1/usr/bin/tool $L1/usr/bin/tool-hl # hard link: survives tool's override
mk $L1/dirfile/sub/y "y"
ln -s ../../../../../../etc/passwd $L1/escape
ln -s /etc $L1/etc-abs
ln -s libkeep.so $L1/usr/lib/liblink.so

mk $L2/usr/lib/libold.so "old v2"
mk $L2/opt/.wh.gone ""                 # deletes /opt/gone
mk $L2/opt/app/data/.wh..wh..opq ""    # hides a.txt, b.txt
mk $L2/opt/app/data/c.txt "c"
mk $L2/var/cache/.wh.c1 ""
mk $L2/dirfile "now a file"            # file over a lower directory
mk $L2/usr/bin/tool "tool v2"
chmod 755 $L2/usr/bin/tool
CUDART=/usr/local/cuda/lib64/libcudart.so.13
[ -f $CUDART ] || CUDART=/bin/ls      # any real ELF will do
mkdir -p $L2/usr/local/cuda/lib64
cp -L $CUDART $L2/usr/local/cuda/lib64/libcudart.so.13

mk $L3/etc/os-release "final"
mk $L3/var/cache/c1 "c1 again"         # re-created above its whiteout
mk $L3/usr/lib/.wh.libkeep.so ""
mk $L3/new/file "n"
mkdir -p $L3/run && mkfifo $L3/run/fifo
NVCC=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
HAVE_NVCC=0
if [ -x "$NVCC" ]; then
    mkdir -p $L3/opt/app/bin
    printf '__global__ void k(int *p) { *p = 1; }\nint main() { int *d; cudaMalloc(&d, 4); k<<<1, 1>>>(d); return 0; }\n' >$T/app.cu
    "$NVCC" -gencode arch=compute_80,code=sm_80 -o $L3/opt/app/bin/app $T/app.cu && HAVE_NVCC=1
else
    echo "note: nvcc not found; the image carries libcudart only"
fi
mkdir -p $L4/abs && printf 'abs' >$L4/abs/file
mkdir -p $E/e

# GNU tar: names "./x" in layer 1/3, bare names in layer 2, "/abs/file" (kept
# by -P) in layer 4; --sort=name makes usr/bin/tool the data entry and
# tool-hl the hard link.
tar --sort=name --format=gnu -C $L1 -cf $T/layer1.tar .
(cd $L2 && tar --sort=name --format=pax -czf $T/layer2.tgz *)
tar --sort=name --zstd -C $L3 -cf $T/layer3.tzst .
tar -P --transform='s|^|/|' -C $L4 -cf $T/layer4.tar abs/file
tar -C $E -cf $T/empty.tar .

{
    exp /etc/os-release $L3/etc/os-release
    exp /usr/lib/libold.so $L2/usr/lib/libold.so
    exp /opt/app/data/c.txt $L2/opt/app/data/c.txt
    exp /var/cache/c1 $L3/var/cache/c1
    exp /usr/bin/tool $L2/usr/bin/tool
    exp /usr/bin/tool-hl $L1/usr/bin/tool
    exp /dirfile $L2/dirfile
    exp /usr/local/cuda/lib64/libcudart.so.13 $L2/usr/local/cuda/lib64/libcudart.so.13
    exp /new/file $L3/new/file
    exp /abs/file $L4/abs/file
    [ $HAVE_NVCC = 1 ] && exp /opt/app/bin/app $L3/opt/app/bin/app
} >$T/expected

# ---- image config (diff_ids are the uncompressed layer digests) ----
d1=$(sha $T/layer1.tar) de=$(sha $T/empty.tar)
d2=$(gzip -dc $T/layer2.tgz | sha256sum | cut -c1-64)
d3=$(zstd -qdc $T/layer3.tzst | sha256sum | cut -c1-64)
d4=$(sha $T/layer4.tar)
ENV1='PATH=/usr/local/nvidia/bin:/usr/bin'
ENV2='NVIDIA_REQUIRE_CUDA=cuda>=12.2 brand=tesla,driver>=470,driver<471'
ENV3='CUDA_VERSION=12.2.0'
cat >$T/config.json <<EOF
{"architecture":"amd64","os":"linux",
 "config":{"Env":["$ENV1","$ENV2","$ENV3"],"Cmd":["/bin/sh"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:$d1","sha256:$de","sha256:$d2","sha256:$de","sha256:$d3","sha256:$d4"]}}
EOF
dc=$(sha $T/config.json)

# ---- docker-archive (legacy `docker save` layout, duplicate layer as a symlink) ----
D=$T/docker
mkdir -p $D/l1 $D/e1 $D/l2 $D/e2 $D/l3 $D/l4
cp $T/layer1.tar $D/l1/layer.tar
cp $T/empty.tar $D/e1/layer.tar
ln -s ../e1/layer.tar $D/e2/layer.tar
cp $T/layer2.tgz $D/l2/layer.tar
cp $T/layer3.tzst $D/l3/layer.tar
cp $T/layer4.tar $D/l4/layer.tar
cp $T/config.json $D/$dc.json
echo "[{\"Config\":\"$dc.json\",\"RepoTags\":[\"gm/test:1\"],\"Layers\":[\"l1/layer.tar\",\"e1/layer.tar\",\"l2/layer.tar\",\"e2/layer.tar\",\"l3/layer.tar\",\"l4/layer.tar\"]}]" >$D/manifest.json
tar -C $D -cf $T/docker.tar manifest.json $dc.json l1 e1 l2 e2 l3 l4

check_image() { # NAME KIND REF LAYERS
    expect_rc 0 "$1"
    expect_out "kind	$2"
    expect_out "reference	$3"
    expect_out "layers	$4"
    expect_out "env	$ENV1"
    expect_out "env	$ENV2"
    expect_out "env	$ENV3"
    expect_out "files	$(wc -l <$T/expected)"
    same_files "$1" $T/expected
}

run "$W" $T/docker.tar
check_image docker-archive docker-archive gm/test:1 6
run "$W" --buf 1 $T/docker.tar
check_image "docker-archive 1-byte reads" docker-archive gm/test:1 6
run "$W" --slurp 100000000 $T/docker.tar
check_image "docker-archive slurp" docker-archive gm/test:1 6
run "$W" --slurp 1000 $T/docker.tar
expect_rc 1 "slurp over its bound"
expect_err "more than the limit of 1000"

# Long member names in the outer tar: GNU 'L' records, pax 'path', ustar prefix.
long=$(printf 'x%.0s' $(seq 1 90))/$(printf 'y%.0s' $(seq 1 60))
mkdir -p $T/dlong/$long
cp $D/manifest.json $D/$dc.json $T/dlong/
for l in l1 e1 l2 l3 l4; do mkdir -p $T/dlong/$long/$l && cp $D/$l/layer.tar $T/dlong/$long/$l/; done
mkdir -p $T/dlong/$long/e2 && ln -s ../e1/layer.tar $T/dlong/$long/e2/layer.tar
sed -i "s#\"\(l[1-4]\|e[12]\)/#\"$long/\1/#g" $T/dlong/manifest.json
for fmt in gnu pax ustar; do
    tar --format=$fmt -C $T/dlong -cf $T/long-$fmt.tar manifest.json $dc.json "${long%%/*}"
    run "$W" $T/long-$fmt.tar
    check_image "docker-archive, long names, $fmt" docker-archive gm/test:1 6
done

# ---- OCI layout directory and OCI archive ----
blob() { local h; h=$(sha "$1"); cp "$1" $O/blobs/sha256/$h; echo "sha256:$h"; }
desc() { printf '{"mediaType":"%s","digest":"%s","size":%s}' "$1" "$(blob "$2")" "$(stat -c %s "$2")"; }
LT=application/vnd.oci.image.layer.v1.tar
# make_layout DIR LAYER3 MEDIATYPE3: an OCI layout holding the image, tagged "1"
make_layout() {
    local O=$1
    mkdir -p $O/blobs/sha256
    cat >$O.manifest.json <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
 "config":$(desc application/vnd.oci.image.config.v1+json $T/config.json),
 "layers":[$(desc $LT $T/layer1.tar),$(desc $LT $T/empty.tar),$(desc $LT+gzip $T/layer2.tgz),
           $(desc $LT $T/empty.tar),$(desc $3 $2),$(desc $LT $T/layer4.tar)]}
EOF
    local md
    md=$(desc application/vnd.oci.image.manifest.v1+json $O.manifest.json)
    echo "{\"schemaVersion\":2,\"manifests\":[${md%\}},\"annotations\":{\"org.opencontainers.image.ref.name\":\"1\"}}]}" >$O/index.json
    printf '{"imageLayoutVersion":"1.0.0"}' >$O/oci-layout
}
O=$T/oci
make_layout $O $T/layer3.tzst $LT+zstd
cp $O.manifest.json $T/manifest.json
tar -C $O -cf $T/oci.tar .
# umoci 0.4.7 and docker-archive know no zstd: the same image with layer 3 in gzip
zstd -qdc $T/layer3.tzst | gzip -n >$T/layer3.tgz
make_layout $T/ocigz $T/layer3.tgz $LT+gzip

run "$W" $O
check_image oci-layout oci-layout 1 6
run "$W" $T/oci.tar
check_image oci-archive oci-archive 1 6

# Docker >= 25 `docker save`: an OCI layout plus manifest.json naming blobs/sha256/...
cp -r $O $T/d25
lay=$(grep -o '"digest":"sha256:[0-9a-f]*"' $T/manifest.json | sed 's/"digest":"sha256:/"blobs\/sha256\//; s/"$/"/' | tail -n +2 | paste -sd,)
echo "[{\"Config\":\"blobs/sha256/$dc\",\"RepoTags\":[\"gm/test:25\"],\"Layers\":[$lay]}]" >$T/d25/manifest.json
tar -C $T/d25 -cf $T/d25.tar oci-layout index.json manifest.json blobs
run "$W" $T/d25.tar
check_image "docker 25 archive" docker-archive gm/test:25 6

# A nested image index with two platforms: the host's is chosen.
if [ "$(uname -m)" = x86_64 ]; then
    O2=$T/oci2
    cp -r $O $O2
    cat >$T/manifest-arm.json <<EOF
{"schemaVersion":2,"config":$(desc application/vnd.oci.image.config.v1+json $T/config.json),"layers":[$(desc $LT $T/layer1.tar)]}
EOF
    MA=$(O=$O2 desc application/vnd.oci.image.manifest.v1+json $T/manifest-arm.json)
    MD2=$(O=$O2 desc application/vnd.oci.image.manifest.v1+json $T/manifest.json)
    echo "{\"schemaVersion\":2,\"manifests\":[${MA%\}},\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},${MD2%\}},\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}" >$T/imgindex.json
    II=$(O=$O2 desc application/vnd.oci.image.index.v1+json $T/imgindex.json)
    echo "{\"schemaVersion\":2,\"manifests\":[${II%\}},\"annotations\":{\"io.containerd.image.name\":\"docker.io/gm/test:multi\"}}]}" >$O2/index.json
    run "$W" $O2
    check_image "nested index" oci-layout docker.io/gm/test:multi 6
    sed -i 's/"amd64"/"s390x"/' $T/imgindex.json
    II=$(O=$O2 desc application/vnd.oci.image.index.v1+json $T/imgindex.json)
    echo "{\"schemaVersion\":2,\"manifests\":[$II]}" >$O2/index.json
    run "$W" $O2
    expect_rc 1 "no image for this host"
    expect_err "2 images (linux/arm64, linux/s390x)"
fi

# ---- real tools as cross-checks (optional) ----
if command -v umoci >/dev/null; then
    # umoci applies the layers itself (whiteouts included): an independent oracle.
    if umoci unpack --rootless --image "$T/ocigz:1" $T/bundle >$T/umoci.log 2>&1; then
        run "$W" $T/ocigz
        check_image "oci layout, gzip only" oci-layout 1 6
        cut -f1-4 <<<"$(files_of)" >$T/got-oci
        run "$W" $T/bundle/rootfs
        expect_rc 0 "walk umoci rootfs"
        if ! d=$(diff $T/got-oci <(files_of | cut -f1-4)); then fail "umoci rootfs differs (< walker on layout, > umoci's extraction):
$d"; fi
    else
        fail "umoci unpack failed: $(tail -3 $T/umoci.log)"
    fi
else
    echo "note: umoci not installed; extraction oracle skipped"
fi
if command -v skopeo >/dev/null; then
    # skopeo rewrites our images in its own formats (gzip-recompressed OCI, docker-archive with <digest>.tar names)
    if skopeo copy -q docker-archive:$T/docker.tar oci:$T/sk-oci:gm >$T/sk.log 2>&1; then
        run "$W" $T/sk-oci
        check_image "skopeo oci layout" oci-layout gm 6
    else
        fail "skopeo docker-archive -> oci failed: $(tail -3 $T/sk.log)"
    fi
    if skopeo copy -q oci:$T/ocigz:1 docker-archive:$T/sk-docker.tar:gm/test:sk >$T/sk.log 2>&1; then
        run "$W" $T/sk-docker.tar
        check_image "skopeo docker-archive" docker-archive docker.io/gm/test:sk 6
    else
        fail "skopeo oci -> docker-archive failed: $(tail -3 $T/sk.log)"
    fi
else
    echo "note: skopeo not installed; skopeo round trips skipped"
fi

# ---- directory tree: symlinks never followed, special files skipped ----
R=$T/root
mk $R/usr/lib/libz.so "z"
mk $R/a/b/c/deep "deep"
mk $R/.hidden "h"
ln -s /etc $R/etc-out
ln -s ../../../../../.. $R/up
ln -s /etc/passwd $R/pw
ln -s usr/lib/libz.so $R/libz-link
mkfifo $R/fifo
{
    exp /usr/lib/libz.so $R/usr/lib/libz.so
    exp /a/b/c/deep $R/a/b/c/deep
    exp /.hidden $R/.hidden
} >$T/expected-dir
run "$W" $R
expect_rc 0 directory
expect_out "kind	directory"
same_files directory $T/expected-dir
ln -s $R $T/rootlink # the root itself may be a symlink
run "$W" $T/rootlink
same_files "symlinked root" $T/expected-dir

# ---- root file system tarballs (a tar, compressed or not, without image metadata) ----
{
    for f in etc/os-release usr/lib/libold.so usr/lib/libkeep.so opt/app/data/a.txt \
        opt/app/data/b.txt opt/gone/x var/cache/c1 usr/bin/tool dirfile/sub/y; do
        exp /$f $L1/$f
    done
    exp /usr/bin/tool-hl $L1/usr/bin/tool
} >$T/expected-l1
run "$W" $T/layer1.tar
expect_rc 0 "rootfs tar"
expect_out "kind	rootfs-archive"
expect_out "layers	1"
same_files "rootfs tar" $T/expected-l1
gzip -nc $T/layer1.tar >$T/rootfs.tar.gz
run "$W" $T/rootfs.tar.gz
expect_out "kind	rootfs-archive"
same_files "rootfs tar.gz" $T/expected-l1
for c in xz bzip2; do
    command -v $c >/dev/null || continue
    $c -c $T/layer1.tar >$T/rootfs.$c
    run "$W" $T/rootfs.$c
    expect_out "kind	rootfs-archive"
    same_files "rootfs $c" $T/expected-l1
done
run "$W" $T/layer3.tzst
expect_out "kind	rootfs-archive"
expect_no_out "env	"
gzip -nc $T/docker.tar >$T/docker.tar.gz
run "$W" $T/docker.tar.gz
expect_rc 1 "compressed docker save"
expect_err "docker.tar.gz: a compressed image archive (it holds manifest.json): decompress it first"
# ---- plain files ----
run "$W" $CUDART
expect_rc 0 "plain ELF"
expect_out "kind	file"
same_files "plain ELF" <(exp $CUDART $CUDART)
printf 'just text' | gzip -n >$T/text.gz # compressed, but not a tar
run "$W" $T/text.gz
expect_out "kind	file"
same_files "plain gzip" <(exp $T/text.gz $T/text.gz)
# cut inside libcudart's data (a tiny truncated .gz is not recognised as a tar: plain file)
head -c $(($(stat -c %s $T/layer2.tgz) / 2)) $T/layer2.tgz >$T/cut.tar.gz
run "$W" $T/cut.tar.gz
expect_rc 1 "truncated rootfs tar.gz"
expect_err "cut.tar.gz: layer 1 (cut.tar.gz): /usr/local/cuda/lib64/libcudart.so.13: truncated gzip input"

# ---- malformed images: clear errors naming the place ----
bad_docker() { # MANIFEST-JSON [LAYER]: docker-archive with that manifest.json
    rm -rf $T/bad && mkdir -p $T/bad/l1 && cp ${2:-$T/layer1.tar} $T/bad/l1/layer.tar
    cp $T/config.json $T/bad/c.json
    printf '%s' "$1" >$T/bad/manifest.json
    tar -C $T/bad -cf $T/bad.tar .
}
bad_docker '[{"Config":"c.json","Layers":["l1/layer.tar",7]}]'
run "$W" $T/bad.tar
expect_rc 1 "non-string layer"
expect_err "bad.tar: manifest.json: \$[0].Layers[1]: expected a file name"
bad_docker '[{"Config":"c.json","Layers":'
run "$W" $T/bad.tar
expect_rc 1 "bad JSON"
expect_err "manifest.json:1:"
expect_err "invalid JSON"
bad_docker '{"Config":"c.json"}'
run "$W" $T/bad.tar
expect_err "manifest.json: \$: expected an array of images, got an object"
bad_docker '[{"Layers":[]}]'
run "$W" $T/bad.tar
expect_err "manifest.json: \$[0]: missing \"Config\""
bad_docker '[{"Config":"c.json","Layers":["l1/layer.tar"]},{"Config":"c.json","Layers":[]}]'
run "$W" $T/bad.tar
expect_err "2 images"
bad_docker '[{"Config":"c.json","Layers":["l1/layer.tar","l9/layer.tar"]}]'
run "$W" $T/bad.tar
expect_rc 1 "missing layer"
expect_err "$T/bad.tar: layer 2: \"l9/layer.tar\" is missing from the archive"
printf '{"config":{"Env":["A=1",2]}}' >$T/bad/c.json
bad_docker '[{"Config":"c.json","Layers":["l1/layer.tar"]}]'
printf '{"config":{"Env":["A=1",2]}}' >$T/bad/c.json && tar -C $T/bad -cf $T/bad.tar .
run "$W" $T/bad.tar
expect_err "c.json: \$.config.Env[1]: expected a string, got a number"

# the same path twice in one layer (tar -r): visited once (docs/image.md)
mkdir -p $T/dup && printf 'one' >$T/dup/f
tar -C $T/dup -cf $T/dup.tar f
printf 'two!' >$T/dup/f && tar -C $T/dup -rf $T/dup.tar f
[ "$(tar -tf $T/dup.tar | grep -c '^f$')" = 2 ] || fail "tar -r did not append a duplicate"
bad_docker '[{"Config":"c.json","Layers":["l1/layer.tar"]}]' $T/dup.tar
run "$W" $T/bad.tar
expect_rc 0 "duplicate entry"
[ "$(grep -c $'^F\t/f\t' <<<"$OUT")" = 1 ] || fail "duplicate entry visited $(grep -c $'^F\t/f\t' <<<"$OUT") times"

# path traversal inside a layer
mkdir -p $T/evil && printf 'evil' >$T/evil/x
tar -P --transform='s|^x|../../x|' -C $T/evil -cf $T/evil.tar x
rm -rf $T/bad && mkdir -p $T/bad/l1 && cp $T/evil.tar $T/bad/l1/layer.tar && cp $T/config.json $T/bad/c.json
echo '[{"Config":"c.json","Layers":["l1/layer.tar"]}]' >$T/bad/manifest.json
tar -C $T/bad -cf $T/bad.tar .
run "$W" $T/bad.tar
expect_rc 1 "traversal"
expect_err 'layer 1 (l1/layer.tar): entry "../../x" escapes the root'

# truncated outer tarball
size=$(stat -c %s $T/docker.tar)
head -c $((size / 2)) $T/docker.tar >$T/trunc.tar
run "$W" $T/trunc.tar
expect_rc 1 "truncated archive"
expect_err "trunc.tar: truncated tar archive"
expect_one_line_err

# truncated layer blob in an OCI layout (digests are not verified, see docs)
cp -r $O $T/oci-trunc
b2=$(sha $T/layer2.tgz)
head -c 300 $T/layer2.tgz >$T/oci-trunc/blobs/sha256/$b2
run "$W" $T/oci-trunc
expect_rc 1 "truncated layer"
expect_err "layer 3 (blobs/sha256/$b2):"
# missing blob
rm $T/oci-trunc/blobs/sha256/$b2
run "$W" $T/oci-trunc
expect_err "$T/oci-trunc: layer 3: blobs/sha256/$b2: missing"
# a layer that is not a tar
printf 'not a tar at all' >$T/oci-trunc/blobs/sha256/$b2
run "$W" $T/oci-trunc
expect_rc 1 "garbage layer"
expect_err "layer 3 (blobs/sha256/$b2): "
# a digest that tries to leave blobs/
sed 's/"digest":"sha256:[0-9a-f]*"/"digest":"sha256:..\/..\/etc"/' $O/index.json >$T/oci-trunc/index.json
run "$W" $T/oci-trunc
expect_err "index.json: \$.manifests[0]: bad digest"

run "$W" $T/does-not-exist
expect_rc 1 "missing input"
expect_err "does-not-exist: No such file or directory"

finish
