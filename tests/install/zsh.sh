#!/usr/bin/env bash
# The generated zsh completion (cmake/gendocs.sh, from --help like the bash one
# and the man pages) completes verbs and each verb's options.
. "$GM_SRC/tests/lib.sh"
doc=$GM_BUILD/doc
command -v zsh >/dev/null || skip "zsh not installed (scripts/deps --test installs it)"
[ -f "$doc/gpumatch.bash" ] || skip "docs not generated (GPUMATCH_DOCS=OFF)"
verbs=$("$GPUMATCH" --help | sed -n '/^verbs:/,/^$/p' | awk 'NF >= 2 && /^  [a-z]/ {print $1}')
[ "$(wc -w <<<"$verbs")" -ge 5 ] || fail "verb table not found in gpumatch --help"
# zsh: compinit finds _gpumatch on fpath by its #compdef line; called as the
# completion system calls it (words, CURRENT, PREFIX set), with compadd,
# _describe and _files stubbed to print what would be offered.
[ -f "$doc/_gpumatch" ] || fail "no zsh completion generated"
zcomplete() { # PREFIX WORD...
    zsh -f -c '
        doc=$1 pre=$2; shift 2
        fpath=($doc $fpath); autoload -U compinit; compinit -u -D
        [[ $_comps[gpumatch] == _gpumatch ]] || { print "not registered: $_comps[gpumatch]"; exit 1; }
        compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; print -rl -- "$@"; }
        _describe() { local a=${@[-1]}; print -rl -- ${${(P)a}%%:*}; }
        _files() { print -r -- "<files>"; }
        words=("$@"); CURRENT=$#; PREFIX=$pre
        _gpumatch' _ "$doc" "$@"
}
run zcomplete pro gpumatch pro
expect_rc 0 "zsh completion of verbs"
for v in $verbs; do expect_out "$v"; done
run zcomplete --ba gpumatch probe --ba
expect_rc 0 "zsh completion of probe options"
expect_out --backend; expect_out --root; expect_no_out --nodes
run zcomplete -- gpumatch preflight --
for o in $("$GPUMATCH" preflight --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    expect_out "$o"
done
run zcomplete no gpumatch probe no
[ "$OUT" = "<files>" ] || fail "a non-option word after a verb completes files, got '$OUT'"
finish
