#!/usr/bin/env bash
# Man pages and completion come from --help: a page per verb of `gpumatch
# --help`, each quoting that verb's usage, rendered by man(1) without
# warnings; and bash's own completion machinery completes verbs and options.
. "$GM_SRC/tests/lib.sh"
doc=$GM_BUILD/doc
[ -f "$doc/gpumatch.bash" ] || skip "docs not generated (GPUMATCH_DOCS=OFF)"
verbs=$("$GPUMATCH" --help | sed -n '/^verbs:/,/^$/p' | awk 'NF >= 2 && /^  [a-z]/ {print $1}')
[ "$(wc -w <<<"$verbs")" -ge 5 ] || fail "verb table not found in gpumatch --help"
for v in $verbs; do
    page=$doc/man1/gpumatch-$v.1
    [ -f "$page" ] || { fail "no man page for $v"; continue; }
    first=$("$GPUMATCH" "$v" --help | head -1 | sed 's/^usage: //')
    grep -qF -- "$first" "$page" || fail "gpumatch-$v.1 lacks its usage line: $first"
    if command -v man >/dev/null; then
        run env MANWIDTH=100 man --warnings -l "$page"
        expect_rc 0 "man -l gpumatch-$v.1"
        [ -z "$ERR" ] || fail "man warns on gpumatch-$v.1: $ERR"
        expect_out "gpumatch-$v"
    fi
done
grep -q 'gpumatch-probe' "$doc/man1/gpumatch.1" || fail "gpumatch.1 does not list gpumatch-probe(1)"

# bash's compgen, as an interactive shell would call the function.
complete_words() {
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _gpumatch; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$doc/gpumatch.bash" "$@"
}
run complete_words gpumatch pro
expect_out probe; expect_no_out check
run complete_words gpumatch probe --ba
[ "$OUT" = "--backend" ] || fail "gpumatch probe --ba completes to '$OUT', expected --backend"
run complete_words gpumatch preflight --
for o in $("$GPUMATCH" preflight --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    expect_out "$o"
done
finish
