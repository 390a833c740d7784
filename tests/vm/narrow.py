#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""narrow.py DEVICE RECORDS CMD...: opens DEVICE, runs CMD (traffic that
fills the new reader's ring), then asks for RECORDS alone
(HEIO_SET_RECORDS) and reads what is ready. Prints the number of packet
lines (/dev/honet's PAKT) it read, then its HEIO_GET_STATS counters."""
import fcntl
import os
import subprocess
import sys

from lazy import HEIO_SET_RECORDS
from stall import stats


def main():
    dev, records, *cmd = sys.argv[1:]
    fd = os.open(dev, os.O_RDONLY | os.O_NONBLOCK)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    fcntl.ioctl(fd, HEIO_SET_RECORDS, int(records))
    out = b''
    while True:
        try:
            data = os.read(fd, 1 << 20)
        except BlockingIOError:
            break
        if not data:
            break
        out += data
    pakt = sum(1 for line in out.splitlines() if b' PAKT ' in line)
    print(f'pakt={pakt}', ' '.join(f'{n}={v}' for n, v in stats(fd).items()))


if __name__ == '__main__':
    main()
