#!/bin/bash
# Progress of long inspections: a line on stderr only when stderr is a
# terminal (script(1) gives one), redrawn in place and cleared at the end;
# nothing on a pipe, nothing with -q/--quiet.
. "$GM_SRC/tests/lib.sh"
G=$GPUMATCH
D=$GM_SRC/tests/inspect/data
command -v script >/dev/null || skip "script (util-linux) missing"
command -v python3 >/dev/null || skip "python3 missing"
IN=$GM_TMP/slow.tar.bz2
# 64 x 8 MiB through bzip2: about 1.3 s here, past the half second before a line shows
python3 "$GM_SRC/tests/inspect/progress_input.py" 64 "$D/sm80_ptx80_lz4.fatbin" "$IN" ||
    { echo "progress_input.py failed"; exit 1; }

# on a terminal: the line, then the clearing sequence as the last bytes
script -qec "$G inspect --json '$IN' >'$GM_TMP/doc' 2>/dev/tty" /dev/null >"$GM_TMP/tty" </dev/null
RC=$?
[ "$RC" -eq 0 ] || fail "on a terminal: exit $RC"
grep -aq 'inspect: [0-9]* files, [0-9]* MiB, [0-9]* MiB/s' "$GM_TMP/tty" ||
    fail "on a terminal: no progress line; got: $(od -c "$GM_TMP/tty" | head -5)"
[ "$(tail -c 4 "$GM_TMP/tty" | od -An -c | tr -d ' ')" = '\r033[K' ] ||
    fail "on a terminal: the line is not cleared at the end; got: $(tail -c 40 "$GM_TMP/tty" | od -c)"
grep -q '"compute_80"' "$GM_TMP/doc" || fail "on a terminal: the document lacks compute_80"

# --quiet and -q: nothing on the terminal
for q in --quiet -q; do
    script -qec "$G inspect $q --json '$IN' >/dev/null 2>/dev/tty" /dev/null >"$GM_TMP/tty" </dev/null
    [ -s "$GM_TMP/tty" ] && fail "$q: the terminal shows: $(od -c "$GM_TMP/tty" | head -3)"
done

# check, matrix, export and launch inspect a --require that is not a document:
# the same line on a terminal, none with -q (issue 15: long work is silent)
for v in check matrix; do
    script -qec "$G $v -n '$GM_SRC/samples/cluster.json' -r '$IN' >/dev/null 2>/dev/tty" /dev/null >"$GM_TMP/tty" </dev/null
    grep -aq 'inspect: [0-9]* files, [0-9]* MiB, [0-9]* MiB/s' "$GM_TMP/tty" ||
        fail "$v -r IMAGE on a terminal: no progress line; got: $(od -c "$GM_TMP/tty" | head -3)"
    script -qec "$G $v -q -n '$GM_SRC/samples/cluster.json' -r '$IN' >/dev/null 2>/dev/tty" /dev/null >"$GM_TMP/tty" </dev/null
    [ -s "$GM_TMP/tty" ] && fail "$v -q: the terminal shows: $(od -c "$GM_TMP/tty" | head -3)"
done
run "$G" check -n "$GM_SRC/samples/cluster.json" -r "$IN"
[ -z "$ERR" ] || fail "check -r IMAGE piped: stderr is not empty: $ERR"

# a pipe: stderr stays empty, the document is the same
run "$G" inspect --json "$IN"
expect_rc 0 "piped"
[ -z "$ERR" ] || fail "piped: stderr is not empty: $ERR"
[ "$OUT" = "$(cat "$GM_TMP/doc")" ] || fail "piped: the document differs from the terminal run's"
finish
