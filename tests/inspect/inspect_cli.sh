#!/bin/bash
# gpumatch inspect on the committed fixtures (expectations: data/README.md,
# from the nvcc flags; --list lines in cuobjdump's format).
. "$GM_SRC/tests/lib.sh"
D="$GM_SRC/tests/inspect/data"
G="$GPUMATCH"

# Report: a dynamically linked program needs libcudart.so.13 -> runtime 13.0.
run "$G" inspect "$D/app_shared"
expect_rc 0 "inspect app_shared"
expect_out "CUDA libraries needed: libcudart.so.13"
expect_out "CUDA runtime: 13.0 (DT_NEEDED libcudart.so.13)"
expect_out "sm_75"
expect_no_out "compute_"
# The second fat binary is nvcc's whole-program device-link output: its cubin
# has no .text section and its _dlink.reg.c says NUM_PRELINKED_OBJECTS 0, so
# nothing is launched from it (docs/inspect.md, loader model).
expect_out "kernel-less, not required"
expect_out "requirement: 1 module (0 optional), CUDA runtime 13.0"

# --list, line for line as cuobjdump prints it (a only on cubins' names, f only on PTX).
run "$G" inspect --list "$D/sm90a_sm100f_zstd.fatbin"
expect_rc 0 "--list"
want=$'ELF file    1: sm90a_sm100f_zstd.1.sm_90a.cubin\nELF file    2: sm90a_sm100f_zstd.2.sm_100.cubin\nPTX file    1: sm90a_sm100f_zstd.1.sm_100f.ptx'
[ "$OUT" = "$want" ] || fail "--list output: got '$OUT' want '$want'"
run "$G" inspect --list "$D/libk.a"
want=$'\nmember '"$D"$'/libk.a:rdc_sm86.o:\nELF file    1: libk.1.sm_86.cubin\n\nmember '"$D"$'/libk.a:host.o:'
[ "$OUT" = "$want" ] || fail "--list archive: got '$OUT' want '$want'"

# --json feeds check --require.
run "$G" inspect --json -o "$GM_TMP/req.json" "$D/app_shared"
expect_rc 0 "inspect --json -o"
grep -q '"cuda_runtime": "13.0"' "$GM_TMP/req.json" || fail "req.json lacks cuda_runtime 13.0"
grep -q '"sm_75"' "$GM_TMP/req.json" || fail "req.json lacks sm_75"
node() { # hostname driver cuda cc
    cat <<EOF
{"hostname": "$1", "driver_version": "$2", "cuda_driver_version": "$3",
 "devices": [{"index": 0, "uuid": "GPU-00000000-0000-0000-0000-000000000000", "name": "gpu",
              "brand": "nvidia", "compute_capability": "$4", "memory_mib": 16384}]}
EOF
}
node t4-new 580.65.06 13.0 7.5 >"$GM_TMP/t4new.json"
node t4-old 550.54.15 12.4 7.5 >"$GM_TMP/t4old.json"
node a100 580.65.06 13.0 8.0 >"$GM_TMP/a100.json"
run "$G" check --node "$GM_TMP/t4new.json" --require "$GM_TMP/req.json"
expect_rc 0 "sm_75 + CUDA 13.0 on a T4 with driver 580"
run "$G" check --node "$GM_TMP/t4old.json" --require "$GM_TMP/req.json"
expect_rc 1 "CUDA 13.0 runtime on driver 550"
run "$G" check --node "$GM_TMP/a100.json" --require "$GM_TMP/req.json"
expect_rc 1 "sm_75 cubin only on CC 8.0"

# Arch-specific module beside a portable one is optional (see docs/inspect.md).
run "$G" inspect "$D/sm90a_sm100f_zstd.fatbin" "$D/sm80_ptx80_plain.fatbin"
expect_rc 0 "two fatbins"
expect_out "[optional: arch/family-specific only]"
expect_out "requirement: 2 modules (1 optional)"

# A directory: every fixture found, other files skipped.
mkdir -p "$GM_TMP/tree/lib" "$GM_TMP/tree/bin"
cp "$D/app_shared" "$GM_TMP/tree/bin/"
cp "$D/sm80_ptx80_lz4.fatbin" "$D/libk.a" "$GM_TMP/tree/lib/"
echo "not code" >"$GM_TMP/tree/README"
run "$G" inspect --json "$GM_TMP/tree"
expect_rc 0 "inspect directory"
for t in sm_75 sm_80 compute_80 sm_86; do expect_out "\"$t\""; done
run "$G" inspect "$GM_TMP/tree"
expect_out "file without device code or ELF skipped"

# Malformed: truncated fat binary -> one-line error with file and offset, exit 2.
head -c 1000 "$D/sm80_ptx80_plain.fatbin" >"$GM_TMP/cut.fatbin"
run "$G" inspect "$GM_TMP/cut.fatbin"
expect_rc 2 "truncated fatbin"
expect_err "$GM_TMP/cut.fatbin: offset 0x"
expect_one_line_err
# ... and a truncated one inside a directory walk is reported, the rest still inspected.
cp "$GM_TMP/cut.fatbin" "$GM_TMP/tree/lib/"
run "$G" inspect --json "$GM_TMP/tree"
expect_rc 2 "directory with a bad file"
expect_err "cut.fatbin: offset 0x"
[ -z "$OUT" ] || fail "--json printed a partial requirement despite a bad input"
run "$G" inspect "$GM_TMP/tree"
expect_rc 2 "report on a directory with a bad file"
expect_out "libk.a"

# A `docker save` archive: layer 1 has the program and a library, layer 2
# deletes the program (whiteout); only the library's sm_86 remains.
I="$GM_TMP/img"
mkdir -p "$I/l1/usr/bin" "$I/l1/usr/lib" "$I/l2/usr/bin" "$I/out"
cp "$D/app_shared" "$I/l1/usr/bin/app"
cp "$D/libk.a" "$I/l1/usr/lib/"
: >"$I/l2/usr/bin/.wh.app"
tar -C "$I/l1" -cf "$I/out/layer1.tar" usr
tar -C "$I/l2" -czf "$I/out/layer2.tar" usr
echo '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/bin","CUDA_VERSION=13.0.1","NVIDIA_REQUIRE_JETPACK=csv-mounts=all"]},"rootfs":{"type":"layers","diff_ids":[]}}' >"$I/out/config.json"
echo '[{"Config":"config.json","RepoTags":["app:1"],"Layers":["layer1.tar","layer2.tar"]}]' >"$I/out/manifest.json"
tar -C "$I/out" -cf "$I/app.tar" manifest.json config.json layer1.tar layer2.tar
run "$G" inspect --json "$I/app.tar"
expect_rc 0 "inspect docker-archive"
expect_out '"sm_86"'
expect_no_out '"sm_75"'
expect_no_out '"cuda_runtime"'
expect_out '"cuda>=13.0"'          # legacy CUDA_VERSION counts as cuda>=13.0
expect_no_out 'csv-mounts'         # NVIDIA_REQUIRE_JETPACK is not a requirement
# Without the whiteout layer the program is there, with its runtime.
echo '[{"Config":"config.json","RepoTags":["app:1"],"Layers":["layer1.tar"]}]' >"$I/out/manifest.json"
tar -C "$I/out" -cf "$I/app1.tar" manifest.json config.json layer1.tar
run "$G" inspect --json "$I/app1.tar"
expect_rc 0 "inspect one-layer docker-archive"
expect_out '"sm_75"'
expect_out '"cuda_runtime": "13.0"'

run "$G" inspect --verify "$D/sm90a_sm100f_zstd.fatbin" "$D/sm80_ptx80_lz4.fatbin" "$D/rdc_sm86.o"
expect_rc 0 "--verify on compressed fixtures"
run "$G" inspect "$GM_TMP/does-not-exist"
expect_rc 2 "missing file"
run "$G" inspect
expect_rc 2 "no arguments"

# Nothing found is an answer, never "fits everywhere" (issue 11): exit 1, a
# line on stderr, "device_code": false. Unsupported input: exit 2, one line.
mkdir -p "$GM_TMP/nocode"
echo "just text" >"$GM_TMP/nocode/notes.txt"
run "$G" inspect --json "$GM_TMP/nocode"
expect_rc 1 "directory without device code"
expect_out '"device_code": false'
expect_err "no device code found"
run "$G" inspect --json "$G"           # an ELF program without device code
expect_rc 1 "ELF without device code"
expect_out '"device_code": false'
run "$G" inspect --json "$GM_TMP/nocode/notes.txt"
expect_rc 2 "text file"
expect_one_line_err
expect_no_out "device_count"
gzip -c "$GM_TMP/nocode/notes.txt" >"$GM_TMP/notes.txt.gz"
run "$G" inspect --json "$GM_TMP/notes.txt.gz"
expect_rc 2 "gzip of a text file"
expect_one_line_err
run "$G" check --node "$GM_TMP/t4new.json" --require "$GM_TMP/nocode"
expect_rc 2 "check --require on a tree without device code"

# Packages: a compressed single file and a zip (the layout of a wheel).
gzip -c "$D/sm80_ptx80_plain.fatbin" >"$GM_TMP/k.fatbin.gz"
run "$G" inspect --json "$GM_TMP/k.fatbin.gz"
expect_rc 0 "gzip of a fat binary"
expect_out '"sm_80"'
if command -v python3 >/dev/null; then
    mkdir -p "$GM_TMP/whl/pkg"
    cp "$D/app_shared" "$D/sm90a_sm100f_zstd.fatbin" "$GM_TMP/whl/pkg/"
    ln -s /etc/passwd "$GM_TMP/whl/pkg/escape"
    (cd "$GM_TMP/whl" && python3 -c 'import os, zipfile, sys
z = zipfile.ZipFile("../p-1-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED)
for n in sorted(os.listdir("pkg")):
    p = "pkg/" + n
    if os.path.islink(p):  # as wheels store a symlink: mode bits in external_attr
        i = zipfile.ZipInfo(p); i.external_attr = (0o120777 << 16); z.writestr(i, os.readlink(p))
    else:
        z.write(p)
z.close()')
    run "$G" inspect "$GM_TMP/p-1-py3-none-any.whl"
    expect_rc 0 "inspect a wheel"
    expect_out "p-1-py3-none-any.whl:/pkg/app_shared: executable"
    expect_out "sm_90a sm_100f"
    expect_no_out "passwd"
fi
finish
