#!/usr/bin/env python3
"""Checks a PNG screenshot is not blank: decodes it (zlib + PNG filters, no
third-party code) and requires enough non-background pixels and each of the
given colours (#rrggbb, within a small tolerance) on at least N pixels.

usage: png_check.py FILE MIN_PIXELS COLOUR...   (exit 0 ok, 1 blank/missing)"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG (depth %d, colour type %d)" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 2:  # Up, most rows: one pass in a comprehension
            line = bytearray([(x + p) & 255 for x, p in zip(line, prev)])
        elif f:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b, c = prev[x], prev[x - bpp] if x >= bpp else 0
                if f == 1: line[x] = (line[x] + a) & 255
                elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    path, min_px, colours = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    w, h, bpp, rows = decode(path)
    want = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in colours]
    hits, ink = [0] * len(want), 0
    for line in rows[::2]:  # every other row and third pixel: enough to tell
        for x in range(0, w * bpp, 3 * bpp):
            px = (line[x], line[x + 1], line[x + 2])
            if min(px) < 235:
                ink += 1
            for i, c in enumerate(want):
                if all(abs(px[j] - c[j]) <= 6 for j in range(3)):
                    hits[i] += 1
    print("%dx%d, %d non-background pixels, colour hits %s" % (w, h, ink, hits))
    if ink * 6 < min_px or any(x * 6 < min_px // 10 for x in hits):
        print("screenshot looks blank or lacks the heatmap colours")
        return 1
    return 0


sys.exit(main())
