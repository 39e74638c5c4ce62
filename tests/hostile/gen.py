#!/usr/bin/env python3
"""Builds hostile inputs: gen.py DIR CASE... builds each in DIR/CASE and prints
"CASE<TAB>PATH", the path to give gpumatch (one process: Python starts slowly).

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


def raw_member(name, data=b"", typ=b"0", link=""):
    """A GNU tar member written directly (tarfile is too slow for 100 000),
    with a ././@LongLink record for names over 99 bytes (GNU tar's format)."""
    out = b""
    nb = name.encode()
    if len(nb) > 99:
        out += raw_member("././@LongLink", nb + b"\0", b"L")
        nb = nb[:99]
    h = bytearray(512)
    h[0:len(nb)] = nb
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % len(data)
    h[136:148] = b"00000000000\0"
    h[156:157] = typ
    lb = link.encode()
    h[157:157 + len(lb)] = lb
    h[257:265] = b"ustar  \0"
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    pad = (512 - len(data) % 512) % 512
    return out + bytes(h) + data + bytes(pad)


def raw_tar(members):
    return b"".join(members) + bytes(1024)


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


FATBIN_MAGIC = 0xBA55ED50  # region header: u32 magic, u16 version 1, u16 header size, u64 size


def fb_entry(kind, sm, payload=b"", flags=0x11, isa=(8, 0), unc=0, csize=0):
    """A fat binary entry (layout in include/gpumatch/fatbin.h, from nvcc output):
    kind 1 PTX / 2 cubin, 64-byte header, then the payload."""
    return struct.pack("<HHIQIIHHIIIQQQ", kind, 0x101, 64, len(payload), csize, 0, isa[1],
                       isa[0], sm, 0, 0, flags, 0, unc) + payload


def fb_region(entries):
    body = b"".join(entries)
    return struct.pack("<IHHQ", FATBIN_MAGIC, 1, 16, len(body)) + body


def elf_rel(sections):
    """An x86-64 relocatable object with the named PROGBITS sections."""
    names = b"\0.shstrtab\0" + b"".join(n.encode() + b"\0" for n, _ in sections)
    blobs, off = b"", 64
    hdrs = [bytes(64), struct.pack("<IIQQQQIIQQ", 1, 3, 0, 0, off, len(names), 0, 0, 1, 0)]
    blobs += names
    noff = 11
    for n, data in sections:
        pad = (-(off + len(blobs))) % 8
        blobs += bytes(pad)
        hdrs.append(struct.pack("<IIQQQQIIQQ", noff, 1, 0, 0, off + len(blobs), len(data), 0, 0,
                                8, 0))
        blobs += data
        noff += len(n) + 1
    pad = (-(off + len(blobs))) % 8
    blobs += bytes(pad)
    shoff = off + len(blobs)
    hdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    hdr += struct.pack("<HHIQQQIHHHHHH", 1, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, len(hdrs), 1)
    return hdr + blobs + b"".join(hdrs)


def ar_archive(members):
    out = [b"!<arch>\n"]
    for name, data in members:
        out.append(b"%-16s%-12d%-6d%-6d%-8s%-10d`\n" % ((name + "/").encode(), 0, 0, 0, b"644",
                                                       len(data)))
        out.append(data + (b"\n" if len(data) % 2 else b""))
    return b"".join(out)


def main():
    top = sys.argv[1]
    for case in sys.argv[2:]:
        print(f"{case}\t{build(case, os.path.join(top, case))}")


def build(case, d):
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
    elif case == "ptx-sm1000":
        out = write(f"{d}/k.ptx", b".version 8.0\n.target sm_1000\n.address_size 64\n")
    elif case == "tar-name-escape":
        out = write(f"{d}/rootfs.tar", raw_tar([raw_member("../\x1b[2J\nfake: ok", b"x")]))
    elif case == "deep-paths-tgz":
        # 2000 entries, each a distinct path of 2000 one-letter components.
        deep = "/".join(["d"] * 1990)
        mem = [raw_member(f"{deep}/{i:x}") for i in range(2000)]
        out = write(f"{d}/deep.tar.gz", gzip.compress(raw_tar(mem), 6))
    elif case == "hardlinks":
        n = int(os.environ.get("GM_HOSTILE_N", "100000"))
        mem = [raw_member("lib/libtarget.so", b"x")]
        mem += [raw_member(f"lib/l{i}", b"", b"1", "lib/libtarget.so") for i in range(n)]
        out = write(f"{d}/links.tar", raw_tar(mem))
    elif case == "docker-same-layer":
        l = tar_bytes([reg("etc/x", b"x" * 1000)])
        out = docker_archive(f"{d}/img.tar", ["l.tar"] * 1000, [reg("l.tar", l)])
    elif case == "queue":
        out = write(f"{d}/queue.json", json.dumps([{"cuda_runtime": "12.0", "cubin": ["sm_80"]}]).encode())
    elif case == "inventory-count":
        out = write(f"{d}/nodes.json", json.dumps([{
            "hostname": "n", "driver_version": "550.54.15", "count": 1073741824,
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
    elif case == "fatbin-targets":
        # 200 000 PTX entries naming sm_10 .. sm_999 with every variant, a region each
        ents = [fb_region([fb_entry(1, 10 + i % 990,
                                    flags=0x11 | (0x100000, 0x200000, 0)[i // 990 % 3])])
                for i in range(200000)]
        out = write(f"{d}/many.fatbin", b"".join(ents))
    elif case == "fatbin-empty-tzst":
        # 512 MB of empty PTX entries as one file of a .tar.zst image (a few KB compressed)
        n = 512 * 1024 * 1024 // 64 - 1
        size = 16 + 64 * n
        hdr = raw_member("usr/lib/empty.fatbin", b"")
        hdr = hdr[:124] + b"%011o\0" % size + hdr[136:148] + b" " * 8 + hdr[156:]
        hdr = hdr[:148] + b"%06o\0 " % sum(hdr) + hdr[156:]
        out = f"{d}/rootfs.tar.zst"
        with open(out, "wb") as f:
            z = subprocess.Popen(["zstd", "-q", "-1", "-c"], stdin=subprocess.PIPE, stdout=f)
            z.stdin.write(hdr + struct.pack("<IHHQ", FATBIN_MAGIC, 1, 16, 64 * n))
            chunk = fb_entry(1, 80) * (1 << 16)
            for i in range(0, n, 1 << 16):
                z.stdin.write(chunk if n - i >= 1 << 16 else fb_entry(1, 80) * (n - i))
            z.stdin.write(bytes((-size) % 512 + 1024))
            z.stdin.close()
            z.wait()
    elif case == "layer-big-file":
        # a 384 MiB shared object in a .tar.zst image: a PTX fat binary at the
        # start of its .rodata, zeros after it (all of it is searched for
        # embedded fat binaries; was 390 MB RSS: every page of the copy stayed mapped)
        ptx = b".version 8.0\n.target sm_80\n.address_size 64\n.visible .entry k()\n{\nret;\n}\n"
        fb = fb_region([fb_entry(1, 80, ptx + bytes((-len(ptx)) % 8))])
        big = 384 * 1024 * 1024
        names = b"\0.shstrtab\0.rodata\0"
        shoff = 64 + ((len(names) + 7) & ~7)
        data_off = shoff + 3 * 64
        hdrs = [bytes(64), struct.pack("<IIQQQQIIQQ", 1, 3, 0, 0, 64, len(names), 0, 0, 1, 0),
                struct.pack("<IIQQQQIIQQ", 11, 1, 2, 0, data_off, big, 0, 0, 8, 0)]
        ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
        ehdr += struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, 3, 1)
        head = ehdr + names + bytes(shoff - 64 - len(names)) + b"".join(hdrs) + fb
        size = data_off + big
        hdr = raw_member("usr/lib/libbig.so", b"")
        hdr = hdr[:124] + b"%011o\0" % size + hdr[136:148] + b" " * 8 + hdr[156:]
        hdr = hdr[:148] + b"%06o\0 " % sum(hdr) + hdr[156:]
        out = f"{d}/rootfs.tar.zst"
        with open(out, "wb") as f:
            z = subprocess.Popen(["zstd", "-q", "-1", "-c"], stdin=subprocess.PIPE, stdout=f)
            z.stdin.write(hdr + head)
            left, zeros = size - len(head), bytes(1 << 20)
            while left:
                n = min(left, len(zeros))
                z.stdin.write(zeros[:n])
                left -= n
            z.stdin.write(bytes((-size) % 512 + 1024))
            z.stdin.close()
            z.wait()
    elif case == "fatbin-verify-bomb":
        # 40 PTX entries that each zstd-decompress to 512 MiB of text from ~20 KB
        ptx = b".version 8.0\n.target sm_80\n.address_size 64\n"
        big = ptx + b" " * (512 * 1024 * 1024 - len(ptx))
        z = subprocess.run(["zstd", "-q", "-1", "-c"], input=big, stdout=subprocess.PIPE,
                           check=True).stdout
        del big
        e = fb_entry(1, 80, z, flags=0x11 | 0x8000, unc=512 * 1024 * 1024, csize=len(z))
        out = write(f"{d}/bomb.fatbin", fb_region([e] * 40))
        # the same entry once in each of 8 objects of a static library: the
        # budget is per file, not per section
        obj = elf_rel([(".nv_fatbin", fb_region([e]))])
        write(f"{d}/libbomb.a", ar_archive([(f"b{i}.o", obj) for i in range(8)]))
    elif case == "ar-members":
        # 20 000 objects, each with one PTX fat binary, in one static library
        fb = fb_region([fb_entry(1, 80, b".version 8.0\n.target sm_80\n.address_size 64\n")])
        obj = elf_rel([(".nv_fatbin", fb)])
        out = write(f"{d}/libmany.a", ar_archive([(f"m{i}.o", obj) for i in range(20000)]))
    else:
        sys.exit(f"gen.py: unknown case {case}")
    return out


if __name__ == "__main__":
    main()
