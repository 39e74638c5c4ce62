"""A slow input for the progress test: a root file system tarball holding a
fat binary and N files of 8 MiB of zeros, bzip2-compressed as one stream
per tar header and one shared stream of the zeros (bzip2 allows streams back
to back), so it is a few KB to write and seconds to read.
Usage: progress_input.py N FATBIN OUT"""
import bz2
import sys
import tarfile

n, fatbin, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(fatbin, "rb").read()
zeros = bz2.compress(bytes(8 << 20), 1)
with open(out, "wb") as f:
    ti = tarfile.TarInfo("usr/lib/k.fatbin")
    ti.size = len(data)
    f.write(bz2.compress(ti.tobuf(tarfile.GNU_FORMAT) + data + bytes((-len(data)) % 512), 1))
    for i in range(n):
        ti = tarfile.TarInfo(f"data/f{i}")
        ti.size = 8 << 20
        f.write(bz2.compress(ti.tobuf(tarfile.GNU_FORMAT), 1))
        f.write(zeros)
    f.write(bz2.compress(bytes(1024), 1))
