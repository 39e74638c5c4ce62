#!/usr/bin/env python3
"""Parses `gpumatch probe --format condor-discovery[-flat]` with HTCondor's own
ClassAd parser (PyPI htcondor: classad module) and compares it attribute by
attribute with what condor_gpu_discovery documents, for the GPUs of a stub
scenario file (the input, not gpumatch's output):
  DetectedGPUs = "id, id, ..." with id = "GPU-" + first 8 hex digits of the
  UUID (full UUID when those collide), MIG instances by their MIG UUID and
  their parent GPU left out;
  nested: Common=[...] with values every device shares, one ad per device
  named id with '-' -> '_' holding id and the rest; flat: CUDA<Attr> and
  <id_><Attr>; Capability, DeviceName, GlobalMemoryMb, DevicePciBusId,
  DriverVersion (CUDA major.minor*10, e.g. 12.40), MaxSupportedVersion (12040).
usage: condor_check.py nested|flat SCENARIO OUTPUT; exit 77 without classad."""
import sys
try:
    import classad2 as classad  # htcondor >= 24 ships classad2
except ImportError:
  try:
    import classad
  except ImportError:
    print("SKIP: classad (pip install htcondor) not installed")
    sys.exit(77)

form, scn, outp = sys.argv[1:4]
gpus, cuda = [], None
for line in open(scn):
    line = line.strip()
    if line.startswith('cuda '):
        cuda = int(line.split()[1])
    elif line.startswith('gpu '):
        gpus.append(dict(kv.split('=', 1) for kv in line[4:].split('|')))
        gpus[-1]['migs'] = []
    elif line.startswith('mig '):
        gpus[-1]['migs'].append(dict(kv.split('=', 1) for kv in line[4:].split('|')))

errors = []
def expect(what, got, want):
    if got != want:
        errors.append("%s: got %r, want %r" % (what, got, want))

short = [g['uuid'][:12] for g in gpus]
collide = len(set(short)) != len(short)
devices = []  # (id, {attr: value})
for g in gpus:
    if g.get('mig', '').startswith('1/'):
        for m in g['migs']:
            prof = m['name'].split(' MIG ')[-1]
            devices.append((m['uuid'], {'Capability': float(g['cc']), 'GlobalMemoryMb': int(m['mem']),
                                        'DeviceName': g['name'] + ' MIG ' + prof}))
        continue
    gid = g['uuid'] if collide else g['uuid'][:12]
    devices.append((gid, {'Capability': float(g['cc']), 'GlobalMemoryMb': int(g['mem']),
                          'DeviceName': g['name'], 'DevicePciBusId': g['pci']}))

text = open(outp).read()
ad = classad.parseOne(text)  # raises on a syntax error
expect("DetectedGPUs", ad.eval('DetectedGPUs'), ", ".join(d[0] for d in devices))
common_want = {'DriverVersion': round(cuda // 1000 + (cuda % 1000) / 100, 2),
               'MaxSupportedVersion': cuda}

def num(v):
    # PCI bus ids: NVML prints hex digits in upper case, the stub in either
    return round(v, 2) if isinstance(v, float) else v.upper() if isinstance(v, str) and v.count(':') == 2 else v

for gid, attrs in devices:
    name = gid.replace('-', '_')
    if form == 'nested':
        common = ad.eval('Common') if 'Common' in ad else classad.ClassAd()
        dev = ad.eval(name)
        expect(name + ".id", dev.eval('id'), gid)
        merged = dict((k, common.eval(k)) for k in common.keys())
        merged.update((k, dev.eval(k)) for k in dev.keys())
    else:
        merged = {}
        for k in ad.keys():
            if k.startswith('CUDA'):
                merged[k[4:]] = ad.eval(k)
            elif k.startswith(name):
                merged[k[len(name):]] = ad.eval(k)
    for k, v in list(attrs.items()) + list(common_want.items()):
        expect("%s %s" % (gid, k), num(merged.get(k)), num(v))
# parents of MIG instances must not appear anywhere
props = ('Capability', 'DeviceName', 'DevicePciBusId', 'DeviceUuid', 'GlobalMemoryMb')
for g in gpus:
    if g.get('mig', '').startswith('1/'):
        pid = (g['uuid'] if collide else g['uuid'][:12])
        pname = pid.replace('-', '_')
        if pid in ad.eval('DetectedGPUs').split(', '):
            errors.append("MIG parent %s in DetectedGPUs" % pid)
        for k in ad.keys():
            if k == pname or any(k == pname + p for p in props):
                errors.append("MIG parent %s appears as %s" % (g['uuid'], k))
# a require_gpus-style expression evaluates against a device ad
if form == 'nested' and devices:
    dev = ad.eval(devices[0][0].replace('-', '_'))
    cap = devices[0][1]['Capability']
    merged_ad = classad.ClassAd(dict((k, ad.eval('Common').eval(k)) for k in ad.eval('Common').keys())) \
        if 'Common' in ad else classad.ClassAd()
    merged_ad.update(dev)
    e = classad.ExprTree('Capability >= %.1f && GlobalMemoryMb >= 1' % cap)
    expect("require_gpus eval", e.eval(merged_ad), True)
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
print("condor %s ok: %d device(s)" % (form, len(devices)))
