#!/bin/bash
# Exports read by the real consumers (HTCondor's classad2, cel-python, the
# kubernetes client models, Slurm's and Arvados' rules), compared with
# `gpumatch check` for every node/requirement pair: see consumers.py.
# The consumers come from PyPI, installed by scripts/test into a virtual
# environment outside the tree; without it this test skips.
source "$GM_SRC/tests/lib.sh"
PY=${GM_CONSUMERS_PY:-${XDG_CACHE_HOME:-$HOME/.cache}/gpumatch/consumers/bin/python}
[ -x "$PY" ] || skip "no consumer environment at $PY (scripts/test creates it: pip install htcondor cel-python kubernetes pyyaml jsonschema)"
"$PY" -c 'import htcondor2, classad2, celpy, kubernetes, yaml' 2>/dev/null || skip "consumer modules missing in $PY"
export GPUMATCH GM_SRC
"$PY" "$GM_SRC/tests/export/consumers.py" || fail "consumers disagree with check (above)"
finish
