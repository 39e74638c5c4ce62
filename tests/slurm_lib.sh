# A real Slurm on loopback for the live tests (Debian slurmctld + slurmd +
# slurm-client as root; auth/none, cred/none, private ports and dirs, as in
# shared/testing-notes.md). The caller sets T (state dir) and H (hostname).
#   slurm_require [TOOL...]      skip unless the daemons, clients and root are there
#   slurm_conf NAME OFFSET LINE... write $T/slurm.conf: the common settings, then each
#                                LINE (extra settings, NodeName=, PartitionName=)
#   slurm_start [ENV=VALUE...]   start slurmctld, then slurmd in that environment,
#                                wait until $H is idle; stopped on exit (after
#                                slurm_stop_hook, if the caller defines one)

slurm_require() {
    local t
    for t in slurmctld slurmd srun scontrol sinfo "$@"; do
        command -v $t >/dev/null || skip "$t not installed (apt-get install slurmctld slurmd slurm-client)"
    done
    [ "$(id -u)" -eq 0 ] || skip "needs root to run slurmd"
}

slurm_conf() {
    local name=$1 port=$((20000 + ($$ + $2) % 20000))
    shift 2
    mkdir -p $T/state $T/spool
    {
        cat <<CONF
ClusterName=$name$$
SlurmctldHost=$H(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/none
CredType=cred/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
GresTypes=gpu
MpiDefault=none
SlurmUser=root
SlurmdUser=root
ReturnToService=2
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
CONF
        printf '%s\n' "$@"
    } >$T/slurm.conf
    export SLURM_CONF=$T/slurm.conf
}

slurm_stop() {
    declare -F slurm_stop_hook >/dev/null && slurm_stop_hook
    local p
    for p in $T/slurmd.pid $T/slurmctld.pid; do [ -s $p ] && kill "$(cat $p)" 2>/dev/null; done
    sleep 1
    [ -n "${GM_KEEP:-}" ] || rm -rf "$GM_TMP"
}

slurm_start() {
    trap slurm_stop EXIT
    slurmctld -f $T/slurm.conf || { cat $T/slurmctld.log; fail "slurmctld did not start"; finish; }
    env "$@" slurmd -f $T/slurm.conf || { cat $T/slurmd.log; fail "slurmd did not start"; finish; }
    local i st=
    for i in $(seq 60); do
        st=$(sinfo -h -n $H -o %t 2>/dev/null | head -1)
        [ "$st" = idle ] && break
        sleep 0.5
    done
    [ "$st" = idle ] || { tail -5 $T/slurmctld.log $T/slurmd.log; fail "node not idle ($st)"; finish; }
}
