#!/usr/bin/env bash
# The installed library as a user sees it: `cmake --install` into a fresh
# prefix, then a program outside the tree built three ways and run:
# pkg-config (shared), find_package (shared), find_package static.
. "$GM_SRC/tests/lib.sh"
command -v pkg-config >/dev/null || skip "pkg-config missing"
prefix=$GM_TMP/prefix
run cmake --install "$GM_BUILD" --prefix "$prefix"
expect_rc 0 "cmake --install"
libdir=$(ls -d "$prefix"/lib*/pkgconfig 2>/dev/null | head -1); libdir=${libdir%/pkgconfig}
[ -n "$libdir" ] || { fail "no lib*/pkgconfig under the prefix"; finish; }
for f in bin/gpumatch include/gpumatch/gpumatch.h include/gpumatch/libversion.h \
    include/gpumatch/sys/host.h include/gpumatch/sys/plan.h \
    share/man/man1/gpumatch.1 share/man/man1/gpumatch-probe.1 share/bash-completion/completions/gpumatch \
    share/zsh/site-functions/_gpumatch; do
    [ -e "$prefix/$f" ] || fail "not installed: $f"
done
for f in libgpumatch.a libgpumatch.so libgpumatch.so.0 cmake/gpumatch/gpumatch-config.cmake; do
    [ -e "$libdir/$f" ] || fail "not installed: ${libdir#$prefix/}/$f"
done
src=$GM_SRC/tests/install/consumer
cc=${CC:-cc}
export PKG_CONFIG_PATH=$libdir/pkgconfig

# 1. pkg-config, shared: the link line a user is told to write.
# shellcheck disable=SC2046
run "$cc" -std=c11 -Wall -Werror -o "$GM_TMP/pc" "$src/consumer.c" $(pkg-config --cflags --libs gpumatch)
expect_rc 0 "cc \$(pkg-config --cflags --libs gpumatch)"
run env LD_LIBRARY_PATH="$libdir" "$GM_TMP/pc"
expect_rc 0 "pkg-config consumer"; expect_out "gpumatch $("$prefix/bin/gpumatch" --version | cut -d' ' -f2): ok"
run readelf -d "$GM_TMP/pc"
expect_out "Shared library: [libgpumatch.so.0]"

# 2. and 3. find_package, shared then static (GPUMATCH_USE_STATIC_LIBS).
for kind in shared static; do
    b=$GM_TMP/cm-$kind
    extra=(); [ $kind = static ] && extra=(-DGPUMATCH_USE_STATIC_LIBS=ON)
    run cmake -S "$src" -B "$b" -DCMAKE_PREFIX_PATH="$prefix" "${extra[@]}"
    expect_rc 0 "find_package ($kind) configure"
    run cmake --build "$b"
    expect_rc 0 "find_package ($kind) build"
    run env LD_LIBRARY_PATH="$libdir" "$b/consumer"
    expect_rc 0 "find_package ($kind) consumer"; expect_out ": ok"
    run readelf -d "$b/consumer"
    if [ $kind = shared ]; then expect_out "libgpumatch.so.0"; else expect_no_out "libgpumatch"; fi
done

finish
