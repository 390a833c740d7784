#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Walks a Hone PCAP-NG stream block by block (checking every length).

hone_pcapng.py count FILE   prints the number of Enhanced Packet Blocks
"""
import struct
import sys

SHB, EPB = 0x0A0D0D0A, 6


def blocks(data):
    off, end = 0, '<'
    while off < len(data):
        if len(data) - off < 12:
            sys.exit(f"{sys.argv[2]}: offset {off}: truncated block header")
        btype = struct.unpack_from('<I', data, off)[0]
        if btype == SHB:
            magic = data[off + 8:off + 12]
            end = '<' if magic == b'\x4d\x3c\x2b\x1a' else '>'
        blen = struct.unpack_from(end + 'I', data, off + 4)[0]
        if blen < 12 or blen % 4 or off + blen > len(data):
            sys.exit(f"{sys.argv[2]}: offset {off}: bad block length {blen}")
        if struct.unpack_from(end + 'I', data, off + blen - 4)[0] != blen:
            sys.exit(f"{sys.argv[2]}: offset {off}: trailing length differs")
        yield struct.unpack_from(end + 'I', data, off)[0], data[off:off + blen]
        off += blen


def main():
    if len(sys.argv) != 3 or sys.argv[1] != 'count':
        sys.exit("usage: hone_pcapng.py count FILE")
    with open(sys.argv[2], 'rb') as f:
        data = f.read()
    print(sum(1 for t, _ in blocks(data) if t == EPB))


main()
