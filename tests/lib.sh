# Assertions for CLI script tests. Each failure prints what was expected and got.
set -u
GM_FAILS=0
GM_TMP=$(mktemp -d)
trap 'rm -rf "$GM_TMP"' EXIT

fail() { echo "FAIL: $*" >&2; GM_FAILS=$((GM_FAILS + 1)); }
# run CMD...: captures stdout in $OUT, stderr in $ERR, exit code in $RC.
run() {
    "$@" >"$GM_TMP/out" 2>"$GM_TMP/err"
    RC=$?
    OUT=$(cat "$GM_TMP/out")
    ERR=$(cat "$GM_TMP/err")
}
expect_rc() { [ "$RC" -eq "$1" ] || fail "${2:-command}: exit $RC, expected $1; stderr: $ERR"; }
expect_out() { grep -qF -- "$1" <<<"$OUT" || fail "stdout lacks '$1'; got: $OUT"; }
expect_no_out() { grep -qF -- "$1" <<<"$OUT" && fail "stdout has '$1'"; true; }
expect_err() { grep -qF -- "$1" <<<"$ERR" || fail "stderr lacks '$1'; got: $ERR"; }
expect_one_line_err() { [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "stderr not one line: $ERR"; }
skip() { echo "SKIP: $*"; exit 77; }
# The Python that has the PyPI consumers (htcondor, prometheus-client, cel-python,
# kubernetes): scripts/test's venv outside the tree, else the system python3.
gm_consumers_py() {
    local v=${GM_CONSUMERS_PY:-${XDG_CACHE_HOME:-$HOME/.cache}/gpumatch/consumers/bin/python}
    if [ -x "$v" ]; then echo "$v"; else command -v python3; fi
}
finish() {
    if [ "$GM_FAILS" -ne 0 ]; then echo "$GM_FAILS assertion(s) failed"; exit 1; fi
    echo "ok"; exit 0
}
