#!/usr/bin/env python3
"""Builds one hostile input: gen.py CASE DIR prints the path to give gpumatch.

Every input is small on disk (a few KB to a few MB) and is built here from
the formats' own definitions (tar via Python's tarfile, OCI layout per the
image-spec, ELF headers per the System V ABI), never from gpumatch output."""
import gzip
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tarfile


def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    """members: list of (TarInfo, data-or-None)."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        for ti, data in members:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return b.getvalue()


def reg(name, data=b"", mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    return ti, data


def hardlink(name, target):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.LNKTYPE
    ti.linkname = target
    return ti, None


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def sha(data):
    return hashlib.sha256(data).hexdigest()


def oci_layout(d, layers, config=None, symlink=None):
    """An OCI image layout. symlink: {"config"|"layer"|"index": host path}
    replaces that file by a symbolic link to the host path."""
    os.makedirs(f"{d}/blobs/sha256", exist_ok=True)
    symlink = symlink or {}
    config = config if config is not None else json.dumps({"config": {"Env": []}}).encode()

    def blob(data, what):
        h = sha(data)
        p = f"{d}/blobs/sha256/{h}"
        if what in symlink:
            if os.path.lexists(p):
                os.unlink(p)
            os.symlink(symlink[what], p)
        else:
            write(p, data)
        return {"digest": f"sha256:{h}", "size": len(data)}

    cfg = dict(blob(config, "config"), mediaType="application/vnd.oci.image.config.v1+json")
    ls = [dict(blob(l, "layer"), mediaType="application/vnd.oci.image.layer.v1.tar")
          for l in layers]
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": cfg, "layers": ls}).encode()
    md = dict(blob(man, "manifest"), mediaType="application/vnd.oci.image.manifest.v1+json")
    write(f"{d}/oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    idx = json.dumps({"schemaVersion": 2, "manifests": [md]}).encode()
    if "index" in symlink:
        os.symlink(symlink["index"], f"{d}/index.json")
    else:
        write(f"{d}/index.json", idx)
    return d


def docker_archive(path, layer_names, members, config=b'{"config":{"Env":[]}}'):
    m = json.dumps([{"Config": "c.json", "RepoTags": ["h:1"], "Layers": layer_names}]).encode()
    mem = [reg("manifest.json", m), reg("c.json", config)] + members
    return write(path, tar_bytes(mem, tarfile.GNU_FORMAT))


def elf64(shoff=None, shnum=None, shstrndx=None, truncate=None):
    """A minimal ELF64 shared object: header, .shstrtab, section table."""
    strtab = b"\0.shstrtab\0"
    ehsize, shentsize = 64, 64
    str_off = ehsize
    sh_off = str_off + len(strtab)
    sh_off = (sh_off + 7) & ~7
    sections = [bytes(64),
                struct.pack("<IIQQQQIIQQ", 1, 3, 0, 0, str_off, len(strtab), 0, 0, 1, 0)]
    hdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    hdr += struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 0,
                       sh_off if shoff is None else shoff, 0, ehsize, 0, 0, shentsize,
                       2 if shnum is None else shnum, 1 if shstrndx is None else shstrndx)
    body = hdr + strtab
    body += bytes(sh_off - len(body)) + b"".join(sections)
    if truncate is not None:
        body = body[:truncate]
    return body


def main():
    case, d = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    secret = write(f"{d}/secret", b"root:x:0:0:SECRET-TOKEN:/root:/bin/bash\n")
    layer = tar_bytes([reg("usr/lib/libx.so", b"not an elf")])
    out = None
    if case == "oci-config-symlink":
        out = oci_layout(f"{d}/img", [layer], symlink={"config": secret})
    elif case == "oci-layer-symlink":
        host_tar = write(f"{d}/host.tar", tar_bytes([reg("etc/shadow", b"SECRET-TOKEN")]))
        out = oci_layout(f"{d}/img", [layer], symlink={"layer": host_tar})
    elif case == "oci-index-symlink":
        out = oci_layout(f"{d}/img", [layer], symlink={"index": secret})
    elif case == "oci-blobs-dir-symlink":
        out = oci_layout(f"{d}/img", [layer])
        os.makedirs(f"{d}/elsewhere", exist_ok=True)
        for f in os.listdir(f"{out}/blobs/sha256"):
            os.rename(f"{out}/blobs/sha256/{f}", f"{d}/elsewhere/{f}")
        os.rmdir(f"{out}/blobs/sha256")
        os.symlink(f"{d}/elsewhere", f"{out}/blobs/sha256")
    elif case == "oci-config-fifo":
        out = oci_layout(f"{d}/img", [layer])
        cfg = json.load(open(f"{out}/index.json"))
        man = json.load(open(f"{out}/blobs/sha256/" + cfg["manifests"][0]["digest"][7:]))
        p = f"{out}/blobs/sha256/" + man["config"]["digest"][7:]
        os.unlink(p)
        os.mkfifo(p)
    elif case.startswith("elf-"):
        kind = case[4:]
        data = {"trunc-shtab": elf64(truncate=100),
                "bogus-shoff": elf64(shoff=1 << 40),
                "bogus-shnum": elf64(shnum=60000),
                "bogus-shstrndx": elf64(shstrndx=77)}[kind]
        out = write(f"{d}/lib{kind}.so", data)
    elif case == "deep-paths-tgz":
        # 2000 entries, each a distinct path of 2000 one-letter components.
        mem = []
        for i in range(2000):
            mem.append(reg("/".join(["d"] * 1990 + [f"{i:x}"]), b""))
        out = write(f"{d}/deep.tar.gz", gzip.compress(tar_bytes(mem), 9))
    elif case == "hardlinks":
        n = int(os.environ.get("GM_HOSTILE_N", "100000"))
        mem = [reg("lib/libtarget.so", b"x")]
        mem += [hardlink(f"lib/l{i}", "lib/libtarget.so") for i in range(n)]
        out = write(f"{d}/links.tar", tar_bytes(mem, tarfile.GNU_FORMAT))
    elif case == "docker-same-layer":
        l = tar_bytes([reg("etc/x", b"x" * 1000)])
        out = docker_archive(f"{d}/img.tar", ["l.tar"] * 1000, [reg("l.tar", l)])
    elif case == "inventory-count":
        out = write(f"{d}/nodes.json", json.dumps([{
            "hostname": "n", "driver": "550.54.15", "count": 1073741824,
            "devices": [{"name": "NVIDIA A100", "cc": "8.0"}]}]).encode())
    elif case == "smi-entities":
        ent = "A" * 100000
        refs = "&e;" * 20000
        xml = (f'<?xml version="1.0"?>\n<!DOCTYPE nvidia_smi_log [<!ENTITY e "{ent}">]>\n'
               f'<nvidia_smi_log><driver_version>550.54.15</driver_version>'
               f'<cuda_version>12.4</cuda_version><attached_gpus>1</attached_gpus>'
               f'<gpu id="00000000:01:00.0"><product_name>{refs}</product_name>'
               f'<uuid>GPU-1</uuid></gpu></nvidia_smi_log>\n')
        out = write(f"{d}/smi.xml", xml.encode())
    elif case == "ldcache-shared-string":
        # new format: n entries whose key and value all point at one 4000-byte string
        n = 400000
        s = b"/" + b"a" * 3998 + b"\0"
        hdr = b"glibc-ld.so.cache1.1" + struct.pack("<II", n, len(s)) + bytes([2, 0, 0, 0])
        hdr += struct.pack("<IIII", 0, 0, 0, 0)
        str_at = len(hdr) + n * 24
        ent = struct.pack("<iIIIQ", 0x0303, str_at, str_at, 0, 0)
        out = write(f"{d}/ld.so.cache", hdr + ent * n + s)
    else:
        sys.exit(f"gen.py: unknown case {case}")
    print(out)


if __name__ == "__main__":
    main()
