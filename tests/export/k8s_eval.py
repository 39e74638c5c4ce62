#!/usr/bin/env python3
"""Kubernetes node affinity semantics (API reference, NodeSelectorRequirement):
terms are OR-ed, expressions in a term AND-ed; In: label present with a listed
value; NotIn; Exists; DoesNotExist; Gt/Lt: label present and its integer value
greater/less than the single integer given. Exit 0 if the selector matches."""
import sys, yaml

def labels(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith('#'):
            k, v = line.split('=', 1)
            out[k] = v
    return out

def expr_ok(e, lab):
    k, op, vals = e['key'], e['operator'], e.get('values', [])
    if op == 'Exists': return k in lab
    if op == 'DoesNotExist': return k not in lab
    if k not in lab: return op == 'NotIn'
    v = lab[k]
    if op == 'In': return v in vals
    if op == 'NotIn': return v not in vals
    assert len(vals) == 1, e
    if op == 'Gt': return int(v) > int(vals[0])
    if op == 'Lt': return int(v) < int(vals[0])
    raise ValueError(op)

doc = yaml.safe_load(open(sys.argv[1]))
terms = doc['affinity']['nodeAffinity']['requiredDuringSchedulingIgnoredDuringExecution']['nodeSelectorTerms']
lab = labels(sys.argv[2])
sys.exit(0 if any(all(expr_ok(e, lab) for e in t['matchExpressions']) for t in terms) else 1)
