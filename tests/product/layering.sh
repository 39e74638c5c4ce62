#!/usr/bin/env bash
# Layering (issue 14): the CLI is a thin layer over the public API, and the
# modules of src/image/ and src/probe/ call and include each other without
# cycles (shared helpers live in helper files, not in the orchestrating one).
. "$GM_SRC/tests/lib.sh"
cd "$GM_SRC" || fail "no source tree"

# 1. src/cli/ includes only public headers (gpumatch/...) and its own (cli/...).
bad=$(grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' src/cli/*.c src/cli/*.h |
    grep -vE '#[[:space:]]*include[[:space:]]*"(gpumatch|cli)/[A-Za-z0-9_]+\.h"')
[ -z "$bad" ] || fail "CLI includes a private header: $bad"

# 2. File-level graph of a folder: A -> B when A includes B's header, or calls
#    an external function defined in B. tsort fails on a loop.
graph() {
    local d=$1 f g fn
    for f in "$d"/*.c "$d"/*.h; do
        echo "$f $f" # every file a node, even without edges
        for g in $(grep -oE '#[[:space:]]*include[[:space:]]*"[^"]+"' "$f" | sed 's/.*"\(.*\)"/\1/'); do
            [ -f "src/$g" ] && [ "$(dirname "src/$g")" = "$d" ] && echo "$f src/$g"
        done
    done
    for g in "$d"/*.c; do
        # external definitions: a line at column 0, not static, "TYPE name(".
        for fn in $(grep -E '^[A-Za-z_][A-Za-z0-9_ *]*[ *]gm_[a-z0-9_]+\(' "$g" | grep -v '^static' |
            grep -v ';[[:space:]]*$' | grep -oE 'gm_[a-z0-9_]+\(' | head -n 1000 | sed 's/($//'); do
            for f in "$d"/*.c; do
                [ "$f" != "$g" ] && grep -qw "$fn" "$f" && echo "$f $g"
            done
        done
    done
}
for d in src/image src/probe; do
    graph "$d" | sort -u >"$GM_TMP/edges"
    grep -q . "$GM_TMP/edges" || fail "$d: no files seen"
    tsort "$GM_TMP/edges" >/dev/null 2>"$GM_TMP/loop" ||
        fail "$d: include/call cycle: $(tr '\n' ' ' <"$GM_TMP/loop")"
done

# 3. probe, preflight and launch read the node's file system only through
#    src/host/ (gm_host_*: paths confined under --root, one root+path join).
#    Rule: no call in src/probe, src/preflight or src/launch to a libc function
#    that names a file-system path or walks a directory: open, openat, openat2,
#    creat, fopen, freopen, opendir, fdopendir, readdir, scandir, glob, nftw, ftw,
#    stat, lstat, fstatat, statx, access, faccessat, readlink, readlinkat,
#    realpath, canonicalize_file_name. Allowed: dlopen (the dynamic loader finds
#    the NVIDIA libraries, as a CUDA program would; that is not reading host
#    files), and gm_read_file of a document the caller names (--smi-file, an OCI
#    state's config.json). Comments and strings are not calls.
fs='open|openat|openat2|creat|fopen|freopen|opendir|fdopendir|readdir|scandir|glob|nftw|ftw'
fs="$fs|stat|lstat|fstatat|statx|access|faccessat|readlink|readlinkat|realpath"
fs="$fs|canonicalize_file_name"
for f in src/probe/*.[ch] src/preflight/*.[ch] src/launch/*.[ch]; do
    # Drop /* */ and // comments and string literals, then look for NAME( not
    # preceded by an identifier character, '.', or "->" (a field or gm_NAME).
    hits=$(perl -0pe 's{/\*.*?\*/|//[^\n]*|"(?:[^"\\\n]|\\.)*"|'"'"'(?:[^'"'"'\\\n]|\\.)*'"'"'}{$& =~ tr/\n//cdr}gse' "$f" |
        grep -nE "(^|[^A-Za-z0-9_.>])($fs)[[:space:]]*\(")
    [ -z "$hits" ] || fail "$f reads the host file system directly (use src/host/): $hits"
done
finish
