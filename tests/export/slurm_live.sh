#!/bin/bash
# A real Slurm (Debian slurmctld + slurmd + slurm-client) on loopback, with the
# node's Features= from `gpumatch export --to slurm` of a node document; then
# srun --constraint from `export --to slurm` of requirements must be accepted
# exactly when `gpumatch check` (the core) says the requirement fits the node,
# or refused (Slurm features are tighter, never looser). Config per
# /work/shared/testing-notes.md: auth/none, cred/none, private ports and dirs.
source "$GM_SRC/tests/lib.sh"
source "$GM_SRC/tests/slurm_lib.sh"
slurm_require python3

T=$GM_TMP/slurm
mkdir -p $T/state $T/spool
H=$(hostname)
# The live node is a100-01 (one GPU in MIG mode) on driver 525.60.13 (CUDA
# 12.0): pytorch-cu121 fits there (minor version compatibility), while its
# last alternative (cc100, PTX JIT) needs cudage_12_1. Parsed left to right,
# a flat a&b|c&d would apply that last term to every alternative (sbatch(1):
# "node features are parsed strictly from left to right") and refuse it.
python3 - "$GM_SRC/samples/cluster.json" $T/node.json $T/cluster.json $T/h100.json $T/b200.json <<'PY'
import json, sys
nodes = json.load(open(sys.argv[1]))["nodes"]
a100 = [n for n in nodes if n["hostname"] == "a100-01"][0]
a100.update(driver_version="525.60.13", cuda_driver_version="12.0")
h100 = [n for n in nodes if n["hostname"] == "h100-01"][0]
b200 = [n for n in nodes if n["hostname"] == "b200-01"][0]
json.dump(a100, open(sys.argv[2], "w"))
json.dump([a100, h100, b200], open(sys.argv[3], "w"))
json.dump(h100, open(sys.argv[4], "w"))
json.dump(b200, open(sys.argv[5], "w"))
PY
run "$GPUMATCH" export --to slurm $T/node.json
expect_rc 0 "export node"
FEAT=$(sed -n 's/^NodeName=.* Features=//p' <<<"$OUT")
[ -n "$FEAT" ] || fail "no Features= line in: $OUT"
case ",$FEAT," in *,cc80,*) ;; *) fail "A100 node lacks cc80: $FEAT" ;; esac
# a second node that never runs (DOWN, with the features of h100-01 and
# b200-01): its features are valid words in the
# cluster, so constraints naming them reach Slurm's matching instead of being
# rejected as unknown
run "$GPUMATCH" export --to slurm $T/h100.json
FEAT2=$(sed -n 's/^NodeName=.* Features=//p' <<<"$OUT")
run "$GPUMATCH" export --to slurm $T/b200.json
FEAT3=$(sed -n 's/^NodeName=.* Features=//p' <<<"$OUT")

slurm_conf gmtest 0 \
    "NodeName=$H NodeAddr=127.0.0.1 CPUs=1 Features=$FEAT Gres=gpu:a100:1 State=UNKNOWN" \
    "NodeName=gmfake NodeAddr=192.0.2.1 CPUs=1 Features=$FEAT2,$FEAT3 Gres=gpu:h100:1 State=DOWN" \
    "PartitionName=gm Nodes=ALL Default=YES State=UP"
printf 'NodeName=%s Name=gpu Type=a100 File=/dev/null\nNodeName=gmfake Name=gpu Type=h100 File=/dev/null\n' $H >$T/gres.conf
slurm_start


accepted=0 refused=0 matched_refusal=0
for req in "$GM_SRC"/samples/requirements/*.json "$GM_SRC"/tests/export/data/req-*.json; do
    run "$GPUMATCH" check --node $T/node.json --require "$req"
    fits=$RC
    run "$GPUMATCH" export --to slurm --nodes $T/cluster.json "$req"
    expect_rc 0 "export $req"
    C=$(sed -n 's/^#SBATCH --constraint=//p' <<<"$OUT")
    G=$(sed -n 's/^#SBATCH --gres=//p' <<<"$OUT")
    [ -n "$C" ] || { fail "no --constraint for $req"; continue; }
    # --immediate=1: a refusal for a down node returns after one second, not five
    run timeout 60 srun --immediate=1 --constraint="$C" ${G:+--gres=gpu:1} true
    if [ "$RC" -eq 0 ]; then
        accepted=$((accepted + 1))
        echo "accepted: $(basename "$req"): --constraint=$C"
        [ "$fits" -eq 0 ] || fail "$req: Slurm accepted --constraint=$C but gpumatch check says it does not fit"
    else
        refused=$((refused + 1))
        grep -q "Invalid feature specification" <<<"$ERR" || matched_refusal=$((matched_refusal + 1))
        echo "refused: $(basename "$req"): $(head -1 <<<"$ERR")"
        grep -qE "Invalid feature specification|Requested node configuration is not available|Unable to allocate resources|Required node not available" <<<"$ERR" \
            || fail "$req: srun failed for another reason: $ERR"
        # a requirement the node fits must be accepted (expected ones listed here)
        case "$(basename "$req")" in
            pytorch-cu121.json) fail "$req fits the A100 node but Slurm refused: $ERR" ;;
        esac
    fi
done
# the same alternatives without parentheses: Slurm reads them left to right,
# the last alternative's cudage_12_1 applies to all, and this node is refused
run "$GPUMATCH" export --to slurm --nodes $T/cluster.json "$GM_SRC/samples/requirements/pytorch-cu121.json"
C=$(sed -n 's/^#SBATCH --constraint=//p' <<<"$OUT")
run timeout 60 srun --immediate=1 --constraint="${C//[()]/}" true
[ "$RC" -ne 0 ] || fail "flat ${C//[()]/} accepted: Slurm no longer parses features left to right?"
echo "flat form refused as sbatch(1) says: $(head -1 <<<"$ERR")"
[ $accepted -ge 2 ] || fail "only $accepted requirement(s) accepted"
[ $refused -ge 2 ] || fail "only $refused requirement(s) refused"
# at least one refusal must come from Slurm's own feature matching (features
# valid in the cluster, only on the node that is down), not from unknown words
[ $matched_refusal -ge 1 ] || fail "no refusal came from Slurm's feature matching"
echo "slurm: $accepted accepted, $refused refused"
finish
