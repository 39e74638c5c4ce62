#!/usr/bin/env python3
"""Parses a node_exporter textfile with prometheus_client's text-format parser
(the reference implementation of the exposition format) and prints one line
per sample: NAME{k=v,...} VALUE (labels sorted). Exit 77 without the module."""
import sys
try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("SKIP: prometheus_client not installed (pip install prometheus-client)")
    sys.exit(77)


def check(path, quiet=False):
  text = open(path).read()
  if not text.endswith('\n'):
    print("prom_check: no final newline", file=sys.stderr)
    sys.exit(1)
  seen = set()
  for fam in text_string_to_metric_families(text):
    if fam.type != 'gauge':
        print("prom_check: %s is %s, not gauge" % (fam.name, fam.type), file=sys.stderr)
        sys.exit(1)
    for s in fam.samples:
        key = (s.name, tuple(sorted(s.labels.items())))
        if key in seen:
            print("prom_check: duplicate series %s" % (key,), file=sys.stderr)
            sys.exit(1)
        seen.add(key)
        lab = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        if not quiet:
            print("%s{%s} %g" % (s.name, lab, s.value))


if __name__ == '__main__':
    check(sys.argv[1])
