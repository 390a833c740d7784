#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Verdicts given ahead (HEIO_PREJUDGE, HEIO_PREJUDGE_PORTS), as hone(4)
says they hold.

ahead.py driver       runs every case, printing VMTEST lines
ahead.py connector    (in hone-a) reads commands on stdin: "connect ADDR
                      [MARK [PORT]]" prints "cookie C" of a TCP socket that
                      sent its SYN to ADDR:PORT (7001; with SO_MARK MARK if
                      not 0); "fork ADDR"
                      does it in a child; "exec" runs itself again; each
                      then prints "ready"

The driver runs in hone-a, where the verdicts it gives hold, and needs
test_ahead.sh's nft table inet ahead in hone-a and hone-b: its chain out
counts SYNs whose conntrack mark is MARK (first rule) and the others
(second). A SYN counted in the first passed by a verdict given ahead: a
packet's own counting, not hone.ko's word for it.
"""
import errno
import fcntl
import os
import re
import socket
import struct
import subprocess
import sys
import time

from hone_pcapng import options

HEIO_SET_RECORDS = (1 << 30) | (4 << 16) | (0xE0 << 8) | 9
HEIO_GET_STATS = (2 << 30) | (80 << 16) | (0xE0 << 8) | 8
HEIO_PREJUDGE = (1 << 30) | (24 << 16) | (0xE0 << 8) | 10
HEIO_PREJUDGE_CLEAR = (0xE0 << 8) | 11
HEIO_PREJUDGE_PORTS = (1 << 30) | (152 << 16) | (0xE0 << 8) | 12
RING_KB = '/sys/module/hone/parameters/ring_kb'
SO_COOKIE = 57
SO_MARK = 36
MARK = 0x80000123
PROC, EPB = 0x101, 6


def vmtest(name, ok, detail=''):
    print(f'VMTEST ahead: {name} {"PASS" if ok else "FAIL"} {detail}', flush=True)


class Sensor:
    """A reader of processes and connections alone, as honefw is: any
    packet it gets is one passed ahead."""

    def __init__(self, ring_kb=None):
        if ring_kb:
            with open(RING_KB) as f:
                old = f.read().strip()
            with open(RING_KB, 'w') as f:
                f.write(str(ring_kb))
        try:
            self.fd = os.open('/dev/hone', os.O_RDONLY | os.O_NONBLOCK)
        finally:
            if ring_kb:
                with open(RING_KB, 'w') as f:
                    f.write(old)
        fcntl.ioctl(self.fd, HEIO_SET_RECORDS, 3)
        self.buf = b''
        self.execs = {}		# pid -> [(path, image)] of its execs
        self.ahead = []		# (pid, cookie, mark) of packets passed ahead

    def give(self, pid, uid, image, mark):
        fcntl.ioctl(self.fd, HEIO_PREJUDGE, struct.pack('=IIQII', pid, uid, image, mark, 0))

    def give_ports(self, pid, uid, image, ranges, n=None):
        """ranges: (lo, hi, mark), at most 16 of them; n: how many to say."""
        arg = struct.pack('=IIQII', pid, uid, image, len(ranges) if n is None else n, 0)
        arg += b''.join(struct.pack('=HHI', *r) for r in ranges[:16])
        fcntl.ioctl(self.fd, HEIO_PREJUDGE_PORTS, arg.ljust(152, b'\0'))

    def clear(self):
        fcntl.ioctl(self.fd, HEIO_PREJUDGE_CLEAR)

    def dropped(self):
        st = struct.unpack('=10Q', fcntl.ioctl(self.fd, HEIO_GET_STATS, bytes(80)))
        return st[1] + st[5] + st[8]

    def read(self):
        while True:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            if not data:
                break
            self.buf += data
        while len(self.buf) >= 12:
            btype, blen = struct.unpack_from('<II', self.buf)
            if len(self.buf) < blen:
                break
            blk, self.buf = self.buf[:blen], self.buf[blen:]
            self.block(btype, blk)

    def block(self, btype, blk):
        if btype == PROC:
            pid = struct.unpack_from('<I', blk, 8)[0]
            o = dict(options(blk, 20, '<', 'process'))
            if struct.unpack('<I', o[2])[0] if 2 in o else 0:
                return
            image = struct.unpack('<Q', o[273])[0] if 273 in o else 0
            self.execs.setdefault(pid, []).append((o.get(3, b'').decode(), image))
        elif btype == EPB:
            caplen = struct.unpack_from('<I', blk, 20)[0]
            o = dict(options(blk, 28 + (caplen + 3) // 4 * 4, '<', 'packet'))
            num = lambda c, f: struct.unpack('<' + f, o[c])[0] if c in o else 0
            self.ahead.append((num(258, 'I'), num(259, 'Q'), num(265, 'I')))

    def image(self, pid, want='python3'):
        """The image of pid's last exec of want, waiting for its record."""
        for _ in range(50):
            self.read()
            runs = [i for p, i in self.execs.get(pid, []) if want in p]
            if runs:
                return runs[-1]
            time.sleep(0.1)
        return 0


def counters(ns):
    out = subprocess.run(['ip', 'netns', 'exec', ns, 'nft', 'list', 'chain', 'inet',
                          'ahead', 'out'], capture_output=True, text=True).stdout
    n = [int(x) for x in re.findall(r'counter packets (\d+)', out)]
    return tuple(n) if len(n) == 2 else (-1, -1)


class Connector:
    def __init__(self, ns='hone-a'):
        self.ns = ns
        self.p = subprocess.Popen(['ip', 'netns', 'exec', ns, sys.executable,
                                   os.path.abspath(__file__), 'connector'],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = self.p.pid
        self.wait_ready()

    def wait_ready(self):
        assert self.p.stdout.readline().strip() == 'ready'

    def ask(self, cmd):
        """The cookie of the socket cmd made, and SYNs (marked, not)."""
        before = counters(self.ns)
        self.p.stdin.write(cmd + '\n')
        self.p.stdin.flush()
        cookie = int(self.p.stdout.readline().split()[1])
        self.wait_ready()
        after = counters(self.ns)
        return cookie, (after[0] - before[0], after[1] - before[1])

    def execs(self):
        self.p.stdin.write('exec\n')
        self.p.stdin.flush()
        self.wait_ready()

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def passed(s, cookie):
    """The marks hone.ko told s it set for cookie's SYNs."""
    s.read()
    return [m for p, c, m in s.ahead if c == cookie]


def driver():
    s = Sensor()
    c = Connector()
    image = s.image(c.pid)
    vmtest('a process record names its image', image > 0, f'image={image}')
    stale = [i for p, i in s.execs.get(c.pid, []) if 'python3' not in p]
    try:
        s.give(c.pid, 0, stale[-1] if stale else 1, MARK)
        vmtest('a verdict for an image the process no longer runs is refused', False, 'given')
    except OSError as e:
        vmtest('a verdict for an image the process no longer runs is refused',
               e.errno == errno.ESRCH, e.strerror)

    s.give(c.pid, 0, image, MARK)
    for addr in ('10.9.0.2', 'fd09::2'):
        cookie, n = c.ask(f'connect {addr}')
        vmtest(f'its SYN to {addr} leaves with the mark, unqueued', n == (1, 0), f'syns={n}')
        vmtest(f'the reader gets that SYN with the mark ({addr})',
               passed(s, cookie) == [MARK], f'{passed(s, cookie)}')

    cookie, n = c.ask('connect 10.9.0.2 7')
    vmtest('a SYN with a mark of its socket\'s own is left to the firewall', n == (0, 1),
           f'syns={n}')

    b = Connector('hone-b')
    s.give(b.pid, 0, s.image(b.pid), MARK)
    cookie, n = b.ask('connect 10.9.0.1')
    vmtest("in another network namespace than the giver's the verdict does not hold",
           n == (0, 1) and passed(s, cookie) == [], f'syns={n}')
    b.close()

    cookie, n = c.ask('fork 10.9.0.2')
    vmtest("a forked child has no verdict of its parent's", n == (0, 1), f'syns={n}')
    vmtest('nothing is told of the SYN not passed (child)', passed(s, cookie) == [])

    s.give(c.pid, 1000, image, MARK)
    cookie, n = c.ask('connect 10.9.0.2')
    vmtest('a verdict for another uid does not hold', n == (0, 1), f'syns={n}')

    # Per remote port: a SYN to a port of no range is queued; ranges not
    # as hone(4) says are refused whole, and the verdict before stays.
    s.give_ports(c.pid, 0, image, [(22, 22, MARK + 1), (7001, 7001, MARK)])
    cookie, n = c.ask('connect fd09::2 0 7001')
    vmtest('a verdict for its remote port holds', n == (1, 0) and passed(s, cookie) == [MARK],
           f'syns={n} {passed(s, cookie)}')
    cookie, n = c.ask('connect 10.9.0.2 0 7002')
    vmtest('a SYN to a port of no range is left to the firewall',
           n == (0, 1) and passed(s, cookie) == [], f'syns={n}')
    for what, ranges, count in (
            ('out of order', [(7001, 7001, MARK), (22, 22, MARK)], None),
            ('overlapping', [(1, 7001, MARK), (7001, 7002, MARK)], None),
            ('with lo past hi', [(7002, 7001, MARK)], None),
            ('with a mark of 0', [(7001, 7001, 0)], None),
            ('more than 16', [(i, i, MARK) for i in range(16)], 17)):
        try:
            s.give_ports(c.pid, 0, image, ranges, count)
            vmtest(f'ranges {what} are refused', False, 'given')
        except OSError as e:
            vmtest(f'ranges {what} are refused', e.errno == errno.EINVAL, e.strerror)
    cookie, n = c.ask('connect 10.9.0.2 0 7001')
    vmtest('the verdict given before them holds', n == (1, 0), f'syns={n}')
    s.give_ports(c.pid, 0, image, [])
    cookie, n = c.ask('connect 10.9.0.2 0 7001')
    vmtest('no range ends the verdict', n == (0, 1), f'syns={n}')

    s.give(c.pid, 0, image, MARK)
    s.clear()
    cookie, n = c.ask('connect 10.9.0.2')
    vmtest('a clear ends the verdicts', n == (0, 1), f'syns={n}')

    s.give(c.pid, 0, image, MARK)
    other = Sensor()
    for what, call in (('give', lambda: other.give(c.pid, 0, image, MARK)),
                       ('clear', other.clear)):
        try:
            call()
            vmtest(f'another reader cannot {what} verdicts', False, 'done')
        except OSError as e:
            vmtest(f'another reader cannot {what} verdicts', e.errno == errno.EBUSY, e.strerror)

    c.execs()
    cookie, n = c.ask('connect 10.9.0.2')
    vmtest('an exec ends the verdict', n == (0, 1), f'syns={n}')
    image = s.image(c.pid)
    s.give(c.pid, 0, image, MARK)
    cookie, n = c.ask('connect 10.9.0.2')
    vmtest('a verdict for the new image holds', n == (1, 0) and passed(s, cookie) == [MARK],
           f'syns={n}')

    os.close(s.fd)
    cookie, n = c.ask('connect 10.9.0.2')
    vmtest("the reader's close ends its verdicts", n == (0, 1), f'syns={n}')
    try:
        other.give(c.pid, 0, image, MARK)
        vmtest('then another reader may give them', True)
    except OSError as e:
        vmtest('then another reader may give them', False, e.strerror)
    os.close(other.fd)

    # /dev/honet's reader is told too: ahead=MARK at the PAKT line's end.
    t = os.open('/dev/honet', os.O_RDONLY | os.O_NONBLOCK)
    fcntl.ioctl(t, HEIO_SET_RECORDS, 3)
    fcntl.ioctl(t, HEIO_PREJUDGE, struct.pack('=IIQII', c.pid, 0, image, MARK, 0))
    cookie, n = c.ask('connect 10.9.0.2')
    text = b''
    while True:
        try:
            text += os.read(t, 1 << 20)
        except BlockingIOError:
            break
    os.close(t)
    line = [x for x in text.decode(errors='replace').splitlines()
            if ' PAKT ' in x and f'{cookie:016x}' in x]
    vmtest("/dev/honet's line of the SYN ends with ahead=0x80000123",
           n == (1, 0) and len(line) == 1 and line[0].endswith(f' ahead={MARK:#x}'),
           f'syns={n} {line}')

    # A full ring: the SYN is queued as any other, and nothing is told.
    s = Sensor(ring_kb=256)
    s.give(c.pid, 0, image, MARK)
    # Sockets opened and closed: two small events each, quicker than
    # processes under TCG.
    for _ in range(20):
        if s.dropped():
            break
        subprocess.run([sys.executable, '-c', 'import socket\n'
                        'for _ in range(2000): socket.socket().close()'])
    vmtest("the reader's ring is full", s.dropped() > 0)
    cookie, n = c.ask('connect 10.9.0.2')
    vmtest('with the ring full the SYN leaves unmarked', n == (0, 1), f'syns={n}')
    vmtest('and nothing was told of it', passed(s, cookie) == [])
    cookie, n = c.ask('connect 10.9.0.2')
    vmtest('with room again the verdict holds', n == (1, 0) and passed(s, cookie) == [MARK],
           f'syns={n}')
    c.close()


def connector():
    print('ready', flush=True)
    for line in sys.stdin:
        cmd, *arg = line.split()
        if cmd == 'exec':
            os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), 'connector'])
        child = cmd == 'fork' and os.fork() == 0
        if cmd == 'connect' or child:
            family = socket.AF_INET6 if ':' in arg[0] else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as sk:
                if len(arg) > 1 and int(arg[1]):
                    sk.setsockopt(socket.SOL_SOCKET, SO_MARK, int(arg[1]))
                print('cookie', struct.unpack('=Q', sk.getsockopt(socket.SOL_SOCKET,
                                                                  SO_COOKIE, 8))[0],
                      flush=True)
                sk.settimeout(2)
                try:
                    sk.connect((arg[0], int(arg[2]) if len(arg) > 2 else 7001))
                except OSError:
                    pass
            if child:
                os._exit(0)
        if cmd == 'fork':
            os.wait()
        print('ready', flush=True)


if __name__ == '__main__':
    {'driver': driver, 'connector': connector}[sys.argv[1]]()
