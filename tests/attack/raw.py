#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""raw.py KIND...: send one malformed packet per KIND from 10.99.0.1 /
fd99::1 to 10.99.0.2 / fd99::2 over a raw socket (needs CAP_NET_RAW):
  v4ver0  an IPv4 header (IP_HDRINCL) with version 0, then UDP
  v4ver5  the same with version 5
  v6hbh   IPv6 (IPV6_HDRINCL) with a hop-by-hop header whose length
          (255: 2048 bytes) runs past the end of the packet
Prints "KIND sent" or "KIND: error"."""
import socket
import struct
import sys

SRC4, DST4 = "10.99.0.1", "10.99.0.2"
SRC6, DST6 = "fd99::1", "fd99::2"


def udp(payload):
    return struct.pack("!HHHH", 40999, 9, 8 + len(payload), 0) + payload


def v4(version):
    body = udp(b"malformed-v4")
    hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | 5, 0,
                      20 + len(body), 0x4242, 0, 64, socket.IPPROTO_UDP, 0,
                      socket.inet_aton(SRC4), socket.inet_aton(DST4))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(hdr + body, (DST4, 0))


def v6hbh():
    # next header UDP, length 255 (8 * 256 bytes), then PadN: 16 bytes
    # where 2048 are announced.
    hbh = struct.pack("!BB", socket.IPPROTO_UDP, 255) + b"\x01\x04" + \
        b"\0" * 4 + b"malformed-v6hbh!"
    hdr = struct.pack("!IHBB16s16s", 6 << 28, len(hbh), 0, 64,
                      socket.inet_pton(socket.AF_INET6, SRC6),
                      socket.inet_pton(socket.AF_INET6, DST6))
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(hdr + hbh, (DST6, 0))


KINDS = {"v4ver0": lambda: v4(0), "v4ver5": lambda: v4(5), "v6hbh": v6hbh}
rc = 0
for k in sys.argv[1:]:
    try:
        KINDS[k]()
        print("%s sent" % k)
    except OSError as e:
        print("%s: %s" % (k, e))
        rc = 1
sys.exit(rc)
