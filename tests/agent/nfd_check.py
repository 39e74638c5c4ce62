#!/usr/bin/env python3
"""Checks a Node Feature Discovery local-source feature file the way nfd-worker
reads it (node-feature-discovery source/local/local.go, v0.14+ customization
guide "Feature files"):
  - lines are trimmed; empty lines skipped; lines starting with '#' are
    comments, and '# +' starts a directive: '# +expiry-time=<RFC3339>',
    '# +no-label', '# +no-feature' (any other directive is an error);
  - the expiry time applies to the lines after it; expired lines are dropped;
  - other lines are '<name>[=<value>]'; a name without a value means "true".
Labels must also pass Kubernetes label syntax (metadata.labels: optional DNS
subdomain prefix + '/', name <= 63 chars [A-Za-z0-9][-A-Za-z0-9_.]*, value
<= 63 chars, empty or alphanumeric at both ends) and NFD's namespace rule:
kubernetes.io / k8s.io namespaces are denied except feature.node.kubernetes.io
and profile.node.kubernetes.io.
usage: nfd_check.py FILE [MIN_EXPIRY_S MAX_EXPIRY_S]  -> prints KEY=VALUE lines"""
import datetime, re, sys

NAME = re.compile(r'^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$')
VALUE = re.compile(r'^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$')
DNS = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')


def fail(msg):
    print("nfd_check: " + msg, file=sys.stderr)
    sys.exit(1)


def main(path=None, quiet=False, ignore_expiry=False):
    path = path or sys.argv[1]
    data = open(path, 'rb').read()
    if len(data) > 65536:
        fail("file over NFD's 64 KiB limit")
    now = datetime.datetime.now(datetime.timezone.utc)
    expiry = now
    saw_expiry = False
    labels = {}
    for raw in data.decode().split('\n'):
        line = raw.strip()
        if not line:
            continue
        if line.startswith('#'):
            if line.startswith('# +'):
                key, _, val = line[3:].partition('=')
                if key == 'expiry-time':
                    # Go time.RFC3339; Python 3.11 fromisoformat accepts 'Z'
                    v = val.strip()
                    if not re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$', v):
                        fail("expiry-time not RFC3339: " + v)
                    expiry = datetime.datetime.fromisoformat(v.replace('Z', '+00:00'))
                    saw_expiry = True
                elif key not in ('no-label', 'no-feature'):
                    fail("unknown directive: " + line)
            continue
        if not saw_expiry:
            fail("label before the expiry-time directive: " + line)
        if expiry < now and not ignore_expiry:
            continue
        k, eq, v = line.partition('=')
        if not eq:
            v = 'true'
        prefix, slash, name = k.rpartition('/')
        if slash:
            if len(prefix) > 253 or not DNS.match(prefix):
                fail("bad label prefix: " + k)
            ns = prefix
            if (ns.endswith('kubernetes.io') or ns.endswith('k8s.io')) and not (
                    ns.endswith('feature.node.kubernetes.io') or ns.endswith('profile.node.kubernetes.io')):
                fail("namespace denied by NFD: " + k)
        if len(name) > 63 or not NAME.match(name):
            fail("bad label name: " + k)
        if len(v) > 63 or not VALUE.match(v):
            fail("bad label value: %s=%s" % (k, v))
        if k in labels:
            fail("duplicate label " + k)
        labels[k] = v
    if not saw_expiry:
        fail("no # +expiry-time directive")
    if not quiet and len(sys.argv) > 3:
        left = (expiry - now).total_seconds()
        if not (float(sys.argv[2]) <= left <= float(sys.argv[3])):
            fail("expiry %.0f s from now, expected %s..%s" % (left, sys.argv[2], sys.argv[3]))
    if not quiet:
        for k in sorted(labels):
            print("%s=%s" % (k, labels[k]))
    return labels


if __name__ == '__main__':
    main()
