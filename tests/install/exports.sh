#!/usr/bin/env bash
# libgpumatch.so exports exactly the gm_* functions declared in the installed
# headers: nothing internal (pf_*, gm_ helpers of src/internal.h) leaks; and
# gpumatch.h includes every ordinary public header and none of the advanced
# ones under gpumatch/sys/ (libgit2's git2/sys/ pattern).
. "$GM_SRC/tests/lib.sh"
[ -n "${GM_SHARED_LIB:-}" ] && [ -f "$GM_SHARED_LIB" ] || skip "no shared library in this build"
nm -D --defined-only "$GM_SHARED_LIB" | awk '{print $3}' | sed 's/@.*//' | sort -u >"$GM_TMP/exported"
[ -s "$GM_TMP/exported" ] || fail "nm shows no exported symbol"
bad=$(grep -v '^gm_' "$GM_TMP/exported")
[ -z "$bad" ] || fail "exported without gm_ prefix: $bad"
cat "$GM_SRC"/include/gpumatch/*.h "$GM_SRC"/include/gpumatch/sys/*.h "$GM_BUILD"/generated/include/gpumatch/*.h |
    grep -oE '\bgm_[a-z0-9_]+ *\(' | sed 's/ *($//' | sort -u >"$GM_TMP/declared"
undeclared=$(comm -23 "$GM_TMP/exported" "$GM_TMP/declared")
[ -z "$undeclared" ] || fail "exported but in no public header: $undeclared"
# gm_version is the one function every consumer can rely on.
grep -qx gm_version "$GM_TMP/exported" || fail "gm_version not exported"
# The umbrella header names every public header (add new ones to gpumatch.h).
for h in "$GM_SRC"/include/gpumatch/*.h; do
    b=$(basename "$h")
    [ "$b" = gpumatch.h ] || grep -q "#include \"gpumatch/$b\"" "$GM_SRC/include/gpumatch/gpumatch.h" ||
        fail "include/gpumatch/gpumatch.h does not include gpumatch/$b"
done
! grep -n 'gpumatch/sys/' "$GM_SRC/include/gpumatch/gpumatch.h" ||
    fail "gpumatch.h includes an advanced header from gpumatch/sys/"
# Ordinary headers stand on ordinary headers only.
bad=$(grep -l '#include "gpumatch/sys/' "$GM_SRC"/include/gpumatch/*.h)
[ -z "$bad" ] || fail "ordinary headers include gpumatch/sys/: $bad"
major=$("$GPUMATCH" --version | cut -d" " -f2 | cut -d. -f1)
run readelf -d "$GM_SHARED_LIB"
expect_out "Library soname: [libgpumatch.so.$major]"
finish
