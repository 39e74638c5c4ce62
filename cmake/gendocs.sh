#!/usr/bin/env bash
# Man pages and bash and zsh completion generated from the one source a user also
# sees: the CLI's own --help text (the verb table in src/cli/main.c and each
# verb's usage). Usage: gendocs.sh GPUMATCH OUTDIR VERSION
set -euo pipefail
bin=$1 out=$2 version=$3
mkdir -p "$out/man1"
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d 2>/dev/null || date -u +%Y-%m-%d)
top=$("$bin" --help)
# "  VERB   description" lines of the verb table
verbs=$(sed -n '/^verbs:/,/^$/p' <<<"$top" | awk 'NF >= 2 && /^  [a-z]/ {print $1}')

# Escapes for roff: backslashes, and a leading dot or quote on a line.
roff() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

page() { # NAME SECTION-TITLE ONE-LINE HELP-TEXT
    {
        printf '.TH %s 1 "%s" "gpumatch %s" "User Commands"\n' "$(tr a-z A-Z <<<"$1")" "$date" "$version"
        printf '.SH NAME\n%s \\- %s\n' "$1" "$3"
        printf '.SH SYNOPSIS\n.nf\n'
        (grep -E "^(usage:|  +\\[)" <<<"$4" || true) | sed 's/^usage: //' | roff
        printf '.fi\n.SH DESCRIPTION\n.nf\n'
        (grep -vE '^(usage:|  +\[)' <<<"$4" || true) | roff
        printf '.fi\n'
        if [ "$1" = gpumatch ]; then
            printf '.SH SEE ALSO\n'
            for v in $verbs; do printf '.BR gpumatch-%s (1)\n' "$v"; done
        else
            printf '.SH SEE ALSO\n.BR gpumatch (1)\n'
        fi
    } >"$out/man1/$1.1"
}

page gpumatch "" "NVIDIA GPU workload compatibility: can it run here, why not, how to launch" "$top"
comp_cases="" zsh_verbs="" zsh_cases=""
# zsh quoting: inside '...', a ' is written '\''; ':' separates name and text in _describe.
zq() { sed -e "s/'/'\\\\''/g" <<<"$1"; }
for v in $verbs; do
    desc=$(sed -n '/^verbs:/,/^$/p' <<<"$top" | awk -v v="$v" '$1 == v {$1 = ""; sub(/^ +/, ""); print}')
    help=$("$bin" "$v" --help)
    page "gpumatch-$v" "" "$desc" "$help"
    opts=$( (grep -oE -- '--[a-z][a-z0-9-]*' <<<"$help" || true) | sort -u | tr '\n' ' ')
    comp_cases+="        $v) opts=\"${opts% }\" ;;"$'\n'
    zsh_verbs+="        '$v:$(zq "$desc")'"$'\n'
    zsh_cases+="        $v) opts=(${opts% }) ;;"$'\n'
done

cat >"$out/gpumatch.bash" <<EOB
# bash completion for gpumatch $version (generated from gpumatch --help by cmake/gendocs.sh)
_gpumatch() {
    local cur=\${COMP_WORDS[COMP_CWORD]} verb=\${COMP_WORDS[1]:-} opts
    if [ "\$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=(\$(compgen -W "$(tr '\n' ' ' <<<"$verbs")--help --version" -- "\$cur"))
        return
    fi
    case \$verb in
$comp_cases        *) opts="" ;;
    esac
    if [[ \$cur == -* ]]; then
        COMPREPLY=(\$(compgen -W "\$opts --help" -- "\$cur"))
    else
        COMPREPLY=(\$(compgen -f -- "\$cur"))
    fi
}
complete -o filenames -F _gpumatch gpumatch
EOB

cat >"$out/_gpumatch" <<EOZ
#compdef gpumatch
# zsh completion for gpumatch $version (generated from gpumatch --help by cmake/gendocs.sh)
_gpumatch() {
    local -a verbs opts
    verbs=(
$zsh_verbs    )
    if (( CURRENT == 2 )); then
        _describe -t verbs 'gpumatch verb' verbs
        [[ \$PREFIX == -* ]] && compadd -- --help --version
        return 0
    fi
    case \$words[2] in
$zsh_cases        *) opts=() ;;
    esac
    if [[ \$PREFIX == -* ]]; then
        compadd -- \$opts --help
    else
        _files
    fi
}
# Autoloaded from fpath, the file is the function's body; sourced, it registers.
if [[ \$funcstack[1] == _gpumatch ]]; then
    _gpumatch "\$@"
else
    compdef _gpumatch gpumatch
fi
EOZ
