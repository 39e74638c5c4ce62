#!/bin/sh
# Slurm HealthCheckProgram (slurm.conf):
#   HealthCheckProgram=/usr/local/libexec/gpumatch-healthcheck
#   HealthCheckInterval=300
# Drains this node with the failed check as reason; resumes it when healthy,
# only if gpumatch drained it. slurmd runs this with a minimal environment.
mkdir -p /var/lib/gpumatch
exec /usr/local/bin/gpumatch preflight --slurm-health --state-file /var/lib/gpumatch/slurm-health.state
