#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A reader that opens DEVICE and never reads; once the file GO exists it
prints its HEIO_GET_STATS counters (struct hone_stats) as name=value.
stats() is what capture.py and stallcost.py read them with."""
import fcntl
import os
import struct
import sys
import time

HEIO_GET_STATS = (2 << 30) | (80 << 16) | (0xE0 << 8) | 8
NAMES = ('packets packets_dropped packets_lost packets_filtered proc_events '
         'proc_dropped proc_lost conn_events conn_dropped conn_lost').split()


def stats(fd):
    """The reader's counters, by name."""
    buf = bytearray(80)
    fcntl.ioctl(fd, HEIO_GET_STATS, buf)
    return dict(zip(NAMES, struct.unpack('=10Q', buf)))


def main():
    dev, ready, go = sys.argv[1:4]
    fd = os.open(dev, os.O_RDONLY)
    open(ready, 'w').close()
    while not os.path.exists(go):
        time.sleep(0.1)
    print(' '.join(f'{n}={v}' for n, v in stats(fd).items()))


if __name__ == '__main__':
    main()
