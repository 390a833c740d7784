#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Readers of /dev/hone and /dev/honet that end their section the way
hone(4) says: capture.py GO READER...

READER is DEVICE,OUT[,snaplen=N][,records=N][,ring_kb=N][,stall]. Each
DEVICE is opened (ring_kb: with the module parameter set to N meanwhile;
snaplen, records: then set with HEIO_SET_SNAPLEN, HEIO_SET_RECORDS) and
OUT.ready created; then each is read into OUT until the file GO exists (a
stall reader reads nothing until then). Then each: what is left is read,
its HEIO_GET_STATS counters go to OUT.stats (name=value), HEIO_RESTART is
asked and it is read until read() returns 0, into OUT: the section ends
with the statistics. The first read of the next section goes to OUT.next.
"""
import fcntl
import os
import select
import sys

from stall import stats

HEIO_RESTART = (0xE0 << 8) | 1
HEIO_SET_SNAPLEN = (1 << 30) | (4 << 16) | (0xE0 << 8) | 5
HEIO_SET_RECORDS = (1 << 30) | (4 << 16) | (0xE0 << 8) | 9
RING_KB = '/sys/module/hone/parameters/ring_kb'


class Reader:
    def __init__(self, spec):
        dev, self.path, *opts = spec.split(',')
        opts = dict(o.split('=') if '=' in o else (o, '') for o in opts)
        self.stall = 'stall' in opts
        if 'ring_kb' in opts:
            with open(RING_KB) as f:
                old = f.read().strip()
            with open(RING_KB, 'w') as f:
                f.write(opts['ring_kb'])
        try:
            self.fd = os.open(dev, os.O_RDONLY | os.O_NONBLOCK)
        finally:
            if 'ring_kb' in opts:
                with open(RING_KB, 'w') as f:
                    f.write(old)
        if 'snaplen' in opts:
            fcntl.ioctl(self.fd, HEIO_SET_SNAPLEN, int(opts['snaplen']))
        if 'records' in opts:
            fcntl.ioctl(self.fd, HEIO_SET_RECORDS, int(opts['records']))
        self.out = open(self.path, 'wb')
        open(self.path + '.ready', 'w').close()

    def fileno(self):
        return self.fd

    def read_all(self):
        """Reads until nothing is ready; False after a 0-byte read."""
        while True:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return True
            if not data:
                return False
            self.out.write(data)

    def end(self):
        self.read_all()
        with open(self.path + '.stats', 'w') as f:
            print(' '.join(f'{n}={v}' for n, v in stats(self.fd).items()), file=f)
        fcntl.ioctl(self.fd, HEIO_RESTART)
        if self.read_all():
            sys.exit(f'{self.path}: no 0-byte read after HEIO_RESTART')
        self.out.close()
        try:
            data = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            data = b''
        with open(self.path + '.next', 'wb') as f:
            f.write(data)


def main():
    go = sys.argv[1]
    readers = [Reader(spec) for spec in sys.argv[2:]]
    live = [r for r in readers if not r.stall]
    while not os.path.exists(go):
        for r in select.select(live, [], [], 0.1)[0] if live else ():
            r.read_all()
        if not live:
            select.select([], [], [], 0.1)
    for r in readers:
        r.end()


main()
