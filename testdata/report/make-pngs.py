#!/usr/bin/env python3
# make-pngs.py - writes the tiny PNG files of png-stats' golden cases.  Run
# once by hand (python3 make-pngs.py in this directory); the files are in
# git and the tests never run Python.  Each image's pixels are chosen here,
# so the expected .out files follow by counting; every scanline filter type
# is used, encoded independently of png-stats.c by the filter definitions of
# the PNG specification (W3C 2003, section 9).
import struct
import zlib


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filtered(rows, bpp, filters):
    """rows: list of bytes objects; filters: one filter type per row."""
    out = b""
    prev = bytes(len(rows[0]))
    for row, ftype in zip(rows, filters):
        line = bytearray()
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ftype]
            line.append((x - pred) & 0xFF)
        out += bytes([ftype]) + bytes(line)
        prev = row
    return out


def png(width, height, colour_type, rows, bpp, filters, depth=8, extra=b""):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    data = zlib.compress(filtered(rows, bpp, filters))
    # Two IDAT chunks, to check that they are read as one stream.
    half = len(data) // 2
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra +
            chunk(b"IDAT", data[:half]) + chunk(b"IDAT", data[half:]) +
            chunk(b"IEND", b""))


W, R, B, G = (255, 255, 255), (255, 0, 0), (0, 0, 255), (0, 128, 0)


def rgb(*px):
    return bytes(v for p in px for v in p)


files = {
    # 2x2 RGB: white white / red blue; Sub then Paeth.
    "rgb-2x2.png": png(2, 2, 2, [rgb(W, W), rgb(R, B)], 3, [1, 4]),
    # 3x3 RGB: 6 white, 2 red, 1 green; Up, Average, None.
    "rgb-3x3.png": png(3, 3, 2, [rgb(W, R, W), rgb(W, G, W), rgb(R, W, W)],
                       3, [2, 3, 0]),
    # 4x1 greyscale: 0, 0, 0, 200 (background black, three quarters).
    "grey-4x1.png": png(4, 1, 0, [bytes([0, 0, 0, 200])], 1, [4]),
    # 2x2 RGBA: two transparent white, one opaque white, one half red.
    "rgba-2x2.png": png(2, 2, 6, [bytes([255, 255, 255, 0] * 2),
                                  bytes([255, 255, 255, 255, 255, 0, 0, 128])],
                        4, [3, 1]),
    # 3x1 palette of two colours, the second 50% transparent by tRNS.
    "palette-3x1.png": png(3, 1, 3, [bytes([1, 0, 1])], 1, [0],
                           extra=chunk(b"PLTE", bytes([10, 20, 30, 40, 50, 60])) +
                           chunk(b"tRNS", bytes([255, 128]))),
    # 1x1 16-bit greyscale: a depth png-stats does not read.
    "grey16.png": png(1, 1, 0, [bytes([1, 2])], 2, [0], depth=16),
}
# A palette index past the end of PLTE.
files["palette-bad-index.png"] = png(2, 1, 3, [bytes([0, 5])], 1, [0],
                                     extra=chunk(b"PLTE", bytes([1, 2, 3])))
# rgb-2x2.png with one byte of IDAT changed: its CRC no longer matches.
bad = bytearray(files["rgb-2x2.png"])
bad[41] ^= 0xFF
files["bad-crc.png"] = bytes(bad)
# rgb-2x2.png cut inside its second IDAT chunk.
files["truncated.png"] = files["rgb-2x2.png"][:-20]

for name, data in files.items():
    with open(name, "wb") as f:
        f.write(data)
