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
TIME_S=${GM_HOSTILE_TIMEOUT:-20}
case "${ASAN_OPTIONS:-}${GM_SANITIZE:-}" in ?*) VMEM_KB=unlimited ;; esac
ldd "$GPUMATCH" 2>/dev/null | grep -q libasan && VMEM_KB=unlimited

# hrun MAX_RSS_MB CMD...: runs CMD bounded; sets RC, OUT, ERR, RSS_MB.
hrun() {
    local max=$1
    shift
    (ulimit -v "$VMEM_KB"; exec /usr/bin/time -q -f %M -o "$GM_TMP/rss" timeout -k 2 "$TIME_S" "$@") \
        >"$GM_TMP/out" 2>"$GM_TMP/err"
    RC=$?
    OUT=$(cat "$GM_TMP/out")
    ERR=$(grep -v '^Command exited with non-zero status' "$GM_TMP/err")
    RSS_MB=$(( $(tail -1 "$GM_TMP/rss" 2>/dev/null || echo 0) / 1024 ))
    [ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] || fail "$CASE: timed out after ${TIME_S}s"
    [ "$RSS_MB" -le "$max" ] || fail "$CASE: peak RSS ${RSS_MB} MB, limit ${max} MB"
}
gen() { CASE=$1; IN=$($GEN "$1" "$GM_TMP/$1"); }
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

finish
