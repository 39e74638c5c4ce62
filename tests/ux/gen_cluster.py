#!/usr/bin/env python3
"""Writes a node list of N nodes in a few realistic kinds (deterministic).

usage: gen_cluster.py N > cluster.json
Kinds (share of N): 8x H100 on 580.95.05, 8x A100 80GB on 535.104.05,
4x L4 on 550.54.15, 1x T4 on 470.57.02, 8x B200 on 570.124.06, and
a few A100 nodes in MIG mode (2x 3g.40gb)."""
import json
import sys

KINDS = [
    # share, prefix, driver, cuda, model, cc, memory, gpus, mig
    (0.40, "h100", "580.95.05", "13.0", "NVIDIA H100 80GB HBM3", "9.0", 81559, 8, None),
    (0.25, "a100", "535.104.05", "12.2", "NVIDIA A100-SXM4-80GB", "8.0", 81920, 8, None),
    (0.15, "l4", "550.54.15", "12.4", "NVIDIA L4", "8.9", 23034, 4, None),
    (0.10, "t4", "470.57.02", "11.4", "Tesla T4", "7.5", 15360, 1, None),
    (0.08, "b200", "570.124.06", "12.8", "NVIDIA B200", "10.0", 183359, 8, None),
    (0.02, "a100mig", "535.104.05", "12.2", "NVIDIA A100-SXM4-80GB", "8.0", 81920, 1,
     [("3g.40gb", 40192), ("3g.40gb", 40192)]),
]


def node(i, k, serial):
    share, prefix, drv, cuda, model, cc, mem, n, mig = k
    devs = []
    for d in range(n):
        dev = {"index": d, "uuid": "GPU-%08x-0000-0000-0000-%012x" % (serial, d),
               "name": model, "brand": "tesla" if model.startswith("Tesla") else "nvidia",
               "compute_capability": cc, "memory_mib": mem,
               "mig_mode": "enabled" if mig else "disabled", "persistence_mode": True}
        if mig:
            dev["mig_devices"] = [
                {"uuid": "MIG-%08x-0000-0000-0000-%012x" % (serial, m), "profile": p,
                 "memory_mib": mm, "gi": m + 1, "ci": 0} for m, (p, mm) in enumerate(mig)]
        devs.append(dev)
    return {"hostname": "%s-%04d.gpu.cluster.example.org" % (prefix, i), "driver_version": drv,
            "cuda_driver_version": cuda, "devices": devs}


def main():
    n = int(sys.argv[1])
    nodes, serial = [], 0
    for k in KINDS:
        for i in range(max(1, round(n * k[0]))):
            if len(nodes) < n:
                nodes.append(node(i, k, serial))
                serial += 1
    while len(nodes) < n:
        nodes.append(node(len(nodes), KINDS[0], serial))
        serial += 1
    json.dump({"nodes": nodes}, sys.stdout, indent=1)


main()
