#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The sensor's "full" counters over a window: tables.py OUT [SPAWN]

Opens reader A of /dev/honet and reads its snapshot; then reader B, whose
section it ends at once: B's TAIL line (to OUT.x) gives the counters after
both snapshots. Creates OUT.ready, runs /bin/true SPAWN times if asked,
then reads A into OUT.txt until OUT.go exists (at once after SPAWN), ends
A's section and writes its TAIL line to OUT.y. A's section has one
snapshot only, so y - x counts what happened in the window.
"""
import fcntl
import os
import select
import subprocess
import sys
import time

HEIO_RESTART = (0xE0 << 8) | 1


def drain(fd, out):
    """Reads until the reader would block."""
    while True:
        try:
            b = os.read(fd, 65536)
        except BlockingIOError:
            return
        out.write(b)


def tail(fd, out):
    """Ends the section; its last line (TAIL)."""
    fcntl.ioctl(fd, HEIO_RESTART)
    data = b''
    while True:
        select.select([fd], [], [], 1)
        try:
            b = os.read(fd, 65536)
        except BlockingIOError:
            continue
        if not b:
            break
        data += b
    out.write(data)
    return data.decode().splitlines()[-1]


def main():
    out, spawn = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0
    txt = open(out + '.txt', 'wb')
    a = os.open('/dev/honet', os.O_RDONLY | os.O_NONBLOCK)
    drain(a, txt)
    b = os.open('/dev/honet', os.O_RDONLY | os.O_NONBLOCK)
    drain(b, open(os.devnull, 'wb'))
    with open(out + '.x', 'w') as f:
        print(tail(b, open(os.devnull, 'wb')), file=f)
    os.close(b)
    open(out + '.ready', 'w').close()
    for _ in range(spawn):
        subprocess.run(['/bin/true'])
    while not spawn and not os.path.exists(out + '.go'):
        select.select([a], [], [], 0.2)
        drain(a, txt)
    drain(a, txt)
    with open(out + '.y', 'w') as f:
        print(tail(a, txt), file=f)
    txt.close()


main()
