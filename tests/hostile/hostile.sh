#!/bin/bash
# Hostile inputs (built by gen.py): each runs gpumatch under `ulimit -v` and
# `timeout`, and asserts the exit status, one line of message (naming the
# input and what was wrong, leaking nothing of files outside the input) and
# the peak RSS from /usr/bin/time -f %M.
. "$GM_SRC/tests/lib.sh"
GEN="python3 $GM_SRC/tests/hostile/gen.py"
command -v python3 >/dev/null || skip "python3 missing"
[ -x /usr/bin/time ] || skip "/usr/bin/time missing (Debian package time)"
VMEM_KB=${GM_HOSTILE_VMEM_KB:-2097152} # ulimit -v: 2 GiB of address space
TIME_S=${GM_HOSTILE_TIMEOUT:-10}
case "${ASAN_OPTIONS:-}${GM_SANITIZE:-}" in ?*) VMEM_KB=unlimited ;; esac
# gcc links libasan dynamically, clang statically: both leave the symbol
grep -qa __asan_init "$GPUMATCH" 2>/dev/null && VMEM_KB=unlimited
# The RSS bounds are the plain build's; ASan's shadow memory and quarantine
# add to every allocation, so under it they only catch gross growth (x4).
RSS_SCALE=1
[ "$VMEM_KB" = unlimited ] && RSS_SCALE=4

# hrun MAX_RSS_MB CMD...: runs CMD bounded; sets RC, OUT, ERR, RSS_MB.
hrun() {
    local max=$(($1 * RSS_SCALE)) t0=$(date +%s%N)
    shift
    (ulimit -v "$VMEM_KB"; exec /usr/bin/time -q -f %M -o "$GM_TMP/rss" timeout -k 2 "$TIME_S" "$@") \
        >"$GM_TMP/out" 2>"$GM_TMP/err"
    RC=$?
    [ -z "${GM_HOSTILE_TIMES:-}" ] || echo "run $CASE $2: $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2
    OUT=$(cat "$GM_TMP/out")
    ERR=$(grep -av '^Command exited with non-zero status' "$GM_TMP/err")
    RSS_MB=$(( $(tail -1 "$GM_TMP/rss" 2>/dev/null || echo 0) / 1024 ))
    [ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] || fail "$CASE: timed out after ${TIME_S}s"
    [ "$RSS_MB" -le "$max" ] || fail "$CASE: peak RSS ${RSS_MB} MB, limit ${max} MB"
}
CASES="oci-config-symlink oci-layer-symlink oci-index-symlink oci-blobs-dir-symlink oci-config-fifo
 elf-trunc-shtab elf-bogus-shoff elf-bogus-shnum elf-bogus-shstrndx ptx-sm1000 deep-paths-tgz
 hardlinks docker-same-layer tar-name-escape inventory-count queue smi-entities ldcache-shared-string
 fatbin-targets fatbin-empty-tzst fatbin-verify-bomb ar-members layer-big-file"
GM_HOSTILE_N=30000 $GEN "$GM_TMP/in" $CASES >"$GM_TMP/cases" || { echo "gen.py failed"; exit 1; }
gen() { CASE=$1; IN=$(awk -F'\t' -v c="$1" '$1 == c {print $2}' "$GM_TMP/cases"); }
no_leak() { grep -q SECRET-TOKEN <<<"$OUT$ERR" && fail "$CASE: output shows the host file's contents"; true; }

# ---- files inside an image are confined to it (docs/image.md) ----
for c in oci-config-symlink oci-layer-symlink oci-index-symlink oci-blobs-dir-symlink; do
    gen $c
    hrun 64 "$GPUMATCH" inspect "$IN"
    expect_rc 2 "$c"
    expect_err "symbolic link"
    expect_one_line_err
    no_leak
    hrun 64 "$GPUMATCH" inspect --json "$IN"
    expect_rc 2 "$c --json"
    no_leak
done
gen oci-config-fifo
hrun 64 "$GPUMATCH" inspect "$IN"
expect_rc 2 "$CASE"
expect_err "not a regular file"

# a FIFO nobody writes to as a document: no hang
CASE=require-fifo
mkfifo "$GM_TMP/fifo"
hrun 64 "$GPUMATCH" check --node "$GM_SRC/tests/launch/data/node-mixed.json" --require "$GM_TMP/fifo"
expect_rc 2 "$CASE"
hrun 64 "$GPUMATCH" inspect "$GM_TMP/fifo"
expect_rc 2 "$CASE (inspect)"

# ---- malformed ELF: exit 2 naming the file and an offset (docs/inspect.md) ----
for k in trunc-shtab bogus-shoff bogus-shnum bogus-shstrndx; do
    gen elf-$k
    for j in "" --json; do
        hrun 64 "$GPUMATCH" inspect $j "$IN"
        expect_rc 2 "$CASE $j"
        expect_err "$IN: offset 0x"
        expect_one_line_err
    done
done
# sm_1000 cannot be written: check refuses it (gm_target_parse takes 2-3 digits)
gen ptx-sm1000
hrun 64 "$GPUMATCH" inspect --json "$IN"
expect_rc 2 "$CASE"
expect_err "sm_1000"

# ---- bounded memory and time ----
gen deep-paths-tgz # no device code in it: exit 1, within time and memory
hrun 128 "$GPUMATCH" inspect "$IN"
expect_rc 1 "$CASE"
expect_err "2000 skipped"
# 30 000 hard links to one file: was quadratic (about 10 s here), now n log n
gen hardlinks
TIME_S=6 hrun 128 "$GPUMATCH" inspect "$IN"
expect_rc 1 "$CASE" # no device code in it
# 300 libcudart.so.* names in one directory: the limit, not a quadratic scan
CASE=cudart-names
mkdir -p "$GM_TMP/cudart"
(cd "$GM_TMP/cudart" && for i in $(seq 1 300); do : >libcudart.so.12.$i; done)
hrun 64 "$GPUMATCH" inspect "$GM_TMP/cudart"
expect_rc 2 "$CASE"
expect_err "more than 256 distinct libcudart.so.* names"
expect_one_line_err
gen docker-same-layer # one layer listed 1000 times
hrun 64 "$GPUMATCH" inspect "$IN"
expect_rc 2 "$CASE"
expect_err "$IN: 1000 layers, more than the limit of 256"
gen queue; Q=$IN; gen inventory-count
hrun 64 "$GPUMATCH" plan --nodes "$IN" --queue "$Q"
expect_rc 2 "$CASE"
expect_err "$IN: \$[0]: field \"count\""
expect_one_line_err
gen smi-entities
hrun 64 "$GPUMATCH" probe --from-smi "$IN"
expect_rc 2 "$CASE"
expect_err "$IN: the document declares XML entities"
gen ldcache-shared-string
mkdir -p "$GM_TMP/ldroot/etc" && mv "$IN" "$GM_TMP/ldroot/etc/ld.so.cache" && IN=$GM_TMP/ldroot/etc/ld.so.cache
hrun 128 "$GPUMATCH" driver-files --driver-version 550.54.15 --root "$GM_TMP/ldroot"
expect_rc 2 "$CASE"
expect_err "ld.so.cache: offset"
expect_one_line_err
# 200 000 one-entry regions in a .fatbin: the entry cap (was 348 MB RSS, exit 0)
gen fatbin-targets
hrun 192 "$GPUMATCH" inspect "$IN"
expect_rc 2 "$CASE"
expect_err "$IN: offset 0x"
expect_err "more than 131072 fat binary regions and entries (the limit)"
expect_one_line_err
# a 50 KB .tar.zst holding a 512 MB fat binary of empty entries (was 3.6 GB, 6 s)
gen fatbin-empty-tzst # 64 MB here, 134 MB under ASan
hrun 192 "$GPUMATCH" inspect "$IN"
expect_rc 2 "$CASE"
expect_err "$IN:/usr/lib/empty.fatbin: offset 0x"
expect_err "(the limit)"
expect_one_line_err
# a 384 MiB file in an image layer: inspect --json keeps a window of its
# temporary copy mapped, not the file (was 390 MB RSS; 30 MB here)
gen layer-big-file
hrun 64 "$GPUMATCH" inspect --json "$IN"
expect_rc 0 "$CASE"
grep -q '"compute_80"' <<<"$OUT" || fail "$CASE: the fat binary's compute_80 is not in the document"
# a compressed single file (lib.so.zst) decompressed into memory whole (up to
# 2 GiB from a few hundred bytes of bzip2): now spilled like a big layer
# member; the document is the one of the uncompressed library
CASE=compressed-file-big
LIB=/usr/local/cuda/lib64/libcublas.so.13
if [ -f "$LIB" ] && command -v zstd >/dev/null; then
    zstd -q -1 -T2 -c "$LIB" >"$GM_TMP/libcublas.so.13.zst"
    hrun 40 "$GPUMATCH" inspect --json "$GM_TMP/libcublas.so.13.zst"
    expect_rc 0 "$CASE"
    WANT=$("$GPUMATCH" inspect --json "$LIB")
    [ "$(sed 's#"[^"]*libcublas.so.13[^"]*"#L#g' <<<"$OUT")" = "$(sed 's#"[^"]*libcublas.so.13[^"]*"#L#g' <<<"$WANT")" ] ||
        fail "$CASE: the .zst's document differs from the library's"
fi
# --verify of 40 zstd entries of 512 MiB each from 730 KB: the decompression
# budget (was 20 GiB of work, 30 s); entries stream through a fixed buffer
# (was 512 MiB, one entry's whole buffer)
gen fatbin-verify-bomb
hrun 64 "$GPUMATCH" inspect --verify "$IN"
expect_rc 2 "$CASE"
expect_err "$IN: offset 0x"
expect_err "would pass the decompression budget of 1073741824 bytes"
expect_one_line_err
hrun 64 "$GPUMATCH" inspect --verify "${IN%/*}/libbomb.a"
expect_rc 2 "$CASE (archive)"
expect_err "libbomb.a(b1.o):.nv_fatbin: offset 0x"
expect_err "would pass the decompression budget of 1073741824 bytes"
# --list of a static library of 20 000 objects: one pass (was members x sections, 6 s)
gen ar-members
TIME_S=4 hrun 128 "$GPUMATCH" inspect --list "$IN"
expect_rc 0 "$CASE"
[ "$(grep -c '^member ' <<<"$OUT")" = 20000 ] || fail "$CASE: not 20000 members listed"
expect_out "member $(cd "$(dirname "$IN")" && pwd)/libmany.a:m19999.o:"

# ---- messages ----
# a member name with ESC and a newline: one line, escaped
gen tar-name-escape
hrun 64 "$GPUMATCH" inspect "$IN"
expect_rc 2 "$CASE"
expect_one_line_err
expect_err 'escapes the root'
expect_err '\x1b[2J\nfake'
grep -q $'\e' "$GM_TMP/err" && fail "$CASE: raw ESC on stderr"
# getopt's own messages carry the verb
CASE=getopt-prefix
for v in plan launch inspect probe; do
    hrun 64 "$GPUMATCH" $v --no-such-option
    expect_rc 2 "$v --no-such-option"
    grep -q "^gpumatch $v: .*no-such-option" <<<"$ERR" || fail "$v: getopt message not prefixed: $ERR"
done
# an atomic -o over an existing file keeps its mode (0600 stays 0600)
CASE=atomic-mode
printf old >"$GM_TMP/plan.out"
chmod 600 "$GM_TMP/plan.out"
hrun 64 "$GPUMATCH" plan --nodes "$GM_SRC/samples/plan/inventory.json" --queue "$GM_SRC/samples/plan/queue.json" -o "$GM_TMP/plan.out"
expect_rc 1 "$CASE"
[ "$(stat -c %a "$GM_TMP/plan.out")" = 600 ] || fail "$CASE: mode became $(stat -c %a "$GM_TMP/plan.out")"
grep -q "unschedulable" "$GM_TMP/plan.out" || fail "$CASE: report not written"

CASE=missing-files
hrun 64 "$GPUMATCH" plan --nodes /nonexistent --queue "$Q"
expect_rc 2 "plan --nodes /nonexistent"
expect_err "/nonexistent"
hrun 64 "$GPUMATCH" probe --from-smi /nonexistent
expect_rc 2 "probe --from-smi /nonexistent"
expect_err "/nonexistent"

# ---- non-UTF-8 into JSON: an error, never a silently different document ----
CASE=engine-api-argv
LD=$GM_SRC/tests/launch/data
L=(launch --node "$LD/node-mixed.json" --require "$LD/req-sm80.json" --no-preflight --runtime docker)
hrun 64 "$GPUMATCH" "${L[@]}" --engine-api img:1 -- python3 $'\xff\xfe' -c 'print(1)'
expect_rc 2 "$CASE"
expect_err "command argument"
expect_err "not valid UTF-8"
expect_no_out '"Cmd"'
# a GPU name in /proc that is not UTF-8: exit 2, not a node without the name
CASE=procfs-name
cp -r "$GM_SRC/tests/probe/data/proc/two" "$GM_TMP/proc8"
f=$(ls "$GM_TMP"/proc8/proc/driver/nvidia/gpus/*/information | head -1)
sed -i $'s/^Model:.*/Model: \t\t Tesla \xff\xfe V100/' "$f"
hrun 64 "$GPUMATCH" probe --backend procfs --root "$GM_TMP/proc8"
expect_rc 2 "$CASE"
expect_err "not valid UTF-8"
# a module (file) name that is not UTF-8: inspect --json refuses it
CASE=inspect-module-name
mkdir -p "$GM_TMP/u8"
printf '.version 8.0\n.target sm_80\n.address_size 64\n' >"$GM_TMP/u8/k"$'\xff'".ptx"
hrun 64 "$GPUMATCH" inspect --json "$GM_TMP/u8"
expect_rc 2 "$CASE"
expect_err 'module name'
expect_err 'not valid UTF-8'
# --dry-run: one argument per line even when it holds a newline or ESC
CASE=dry-run-newline
hrun 64 "$GPUMATCH" "${L[@]}" --dry-run img:1 -- sh -c $'echo a\necho b' $'\e[2J'
expect_rc 0 "$CASE"
expect_out "\$'echo a\\necho b'"
expect_out "\$'\\x1b[2J'"
grep -q $'\e' <<<"$OUT" && fail "$CASE: raw ESC in the output"

# ---- a file truncated while it is mapped: an error, not SIGBUS (exit 135) ----
SO=${GM_TRUNCMAP:-$GM_BUILD/tests/hostile/gm_truncmap.so}
CUDART=$(ls /usr/local/cuda/lib64/libcudart.so.1[0-9]* 2>/dev/null | head -1)
if [ -f "$SO" ] && [ -n "$CUDART" ]; then
    CASE=truncated-while-mapped
    mkdir -p "$GM_TMP/tree/lib"
    for where in file tree; do
        cp "$CUDART" "$GM_TMP/tree/lib/libvictim.so"
        target=$GM_TMP/tree/lib/libvictim.so
        [ $where = tree ] && target=$GM_TMP/tree
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0 \
            GM_TRUNCATE_SUFFIX=/libvictim.so LD_PRELOAD=$SO hrun 64 "$GPUMATCH" inspect "$target"
        grep -q "truncmap: truncated" <<<"$ERR" || fail "$CASE ($where): the shim did not truncate"
        expect_rc 2 "$CASE ($where)"
        expect_err "libvictim.so: the file shrank while it was read"
    done
else
    echo "note: truncated-while-mapped not run (no shim $SO or no libcudart in /usr/local/cuda)"
fi

finish
