#!/bin/bash
# Exports read by the real consumers (HTCondor's classad2, cel-python, the
# kubernetes client models, Slurm's and Arvados' rules), compared with
# `gpumatch check` for every node/requirement pair: see consumers.py.
# The consumers come from PyPI, installed by scripts/test into a virtual
# environment outside the tree; without it this test skips.
source "$GM_SRC/tests/lib.sh"
PY=$(gm_consumers_py)
"$PY" -c 'import htcondor2, classad2, celpy, kubernetes, yaml' 2>/dev/null || skip "consumer modules missing in $PY"
export GPUMATCH GM_SRC
"$PY" "$GM_SRC/tests/export/consumers.py" || fail "consumers disagree with check (above)"
finish
