#!/bin/bash
# `gpumatch plan` end to end (parse, plan with reasons, streamed report) on
# the documents bench_plan generates: NODES entries x REQUESTS requests.
# Prints wall time, CPU time and peak RSS for text and --json, and the
# report sizes. Usage: bench/bench_plan_cli.sh [BUILD_DIR] [NODES] [REQUESTS]
set -eu
BUILD=${1:-build}
NN=${2:-10000}
NQ=${3:-100000}
[ -x "$BUILD/gpumatch" ] && [ -x "$BUILD/bench_plan" ] || { echo "build first" >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$BUILD/bench_plan" --emit $T/nodes.json $T/queue.json "$NN" "$NQ"
echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "inventory $(du -h $T/nodes.json | cut -f1) ($NN entries), queue $(du -h $T/queue.json | cut -f1) ($NQ requests)"
for mode in text json; do
    flag=; [ $mode = json ] && flag=--json
    /usr/bin/time -f '%e %M %U %S' -o $T/time.txt "$BUILD/gpumatch" plan $flag --nodes $T/nodes.json \
        --queue $T/queue.json -o $T/out.$mode || [ $? -eq 1 ]
    read -r s rss u sy < <(tail -n 1 $T/time.txt)
    printf 'plan %-5s %6.2f s wall (%5.2f user + %4.2f sys), peak RSS %6.1f MiB, report %s\n' $mode "$s" "$u" \
        "$sy" "$(echo "$rss / 1024" | bc -l)" "$(du -h $T/out.$mode | cut -f1)"
done
tail -1 $T/out.text
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
