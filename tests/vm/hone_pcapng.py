#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Walks a Hone PCAP-NG stream block by block (checking every length).

hone_pcapng.py count FILE        prints the number of Enhanced Packet Blocks
hone_pcapng.py text FILE         prints one line per block, for awk and grep
hone_pcapng.py text -w FILE...   writes them to FILE.txt for each FILE

text writes Connection Event and Enhanced Packet Blocks as /dev/honet
writes their records (hone(4)), then what only the block has, as
name=value fields:

  TS SOCK O|A|F|C PID COOKIE PROTO LOCAL -> REMOTE id=ID family=F type=T
     proto=P uid=U tid=T netns=N [inode=I] opts=CODES
  TS PAKT I|O COOKIE PID PROTO SRC -> DST LEN caplen=N flags=F opts=CODES
     [conn=ID] [pidtid=PID/TID] [comment=TEXT] [ahead=MARK]

A connection's COOKIE is its option 257; a packet's COOKIE and PID are
its options 259 and 258, 0 when absent (as /dev/honet writes them); ID is
the connection's fixed field or the packet's option 257, in hex; CODES
lists the block's option codes in order; a value whose option is missing
is written ?. The other blocks:

  TS EXEC|FORK|KTHD|EXIT PID ppid=N uid=N gid=N path=PATH argv=ARGV
     [status=N] tid=N comm=C exe_dev=N exe_ino=N mntns=N opts=CODES
  SHB os=OS appl=APPL      IDB link=L snaplen=N tsresol=R
  TS ISB starttime=TS endtime=TS ifrecv=N ifdrop=N filteraccept=N osdrop=N
     usrdeliv=N proc_recv=N proc_drop=N proc_rdrop=N proc_deliv=N
     conn_recv=N conn_drop=N conn_rdrop=N conn_deliv=N owner_full=N
     proc_full=N opts=CODES

Strings and argv are written with every byte that is not printable ASCII,
a space or a backslash as \\xHH (argv keeps its NULs: a\\x00b\\x00).
A malformed block or option list ends the program with an error.
"""
import ipaddress
import signal
import struct
import sys

SHB, IDB, ISB, EPB, PROC, CONN = 0x0A0D0D0A, 1, 5, 6, 0x101, 0x102


NAME = ''


def fail(msg):
    sys.exit(f'{NAME}: {msg}')


def blocks(data):
    off, end = 0, '<'
    while off < len(data):
        if len(data) - off < 12:
            fail(f'offset {off}: truncated block header')
        btype = struct.unpack_from('<I', data, off)[0]
        if btype == SHB:
            magic = data[off + 8:off + 12]
            end = '<' if magic == b'\x4d\x3c\x2b\x1a' else '>'
        blen = struct.unpack_from(end + 'I', data, off + 4)[0]
        if blen < 12 or blen % 4 or off + blen > len(data):
            fail(f'offset {off}: bad block length {blen}')
        if struct.unpack_from(end + 'I', data, off + blen - 4)[0] != blen:
            fail(f'offset {off}: trailing length differs')
        yield struct.unpack_from(end + 'I', data, off)[0], data[off:off + blen], end, off
        off += blen


def options(blk, start, end, where):
    """The option list from start to the trailing length: [(code, value)]."""
    opts, off, stop = [], start, len(blk) - 4
    while True:
        if off == stop and not opts:
            return opts
        if off + 4 > stop:
            fail(f'{where}: option list without opt_endofopt')
        code, olen = struct.unpack_from(end + 'HH', blk, off)
        off += 4
        if code == 0:
            if olen or off != stop:
                fail(f'{where}: bytes after opt_endofopt')
            return opts
        if off + olen > stop:
            fail(f'{where}: option {code} overruns the block')
        if any(blk[off + olen:off + (olen + 3) // 4 * 4]):
            fail(f'{where}: option {code} padding is not zero')
        opts.append((code, blk[off:off + olen]))
        off += (olen + 3) // 4 * 4


def esc(b):
    return ''.join(chr(c) if 0x20 < c < 0x7f and c != 0x5c else f'\\x{c:02x}' for c in b)


def ts(end, hi, lo):
    us = hi << 32 | lo
    return f'{us // 1000000}.{us % 1000000:06d}'


def num(end, v, where, code, size):
    """An integer option's value; '?' when the option is absent."""
    if v is None:
        return '?'
    if len(v) != size:
        fail(f'{where}: option {code} is {len(v)} bytes, not {size}')
    return struct.unpack(end + ('I' if size == 4 else 'Q'), v)[0]


def hex16(v):
    return v if v == '?' else f'{v:016x}'


def codes(opts):
    return 'opts=' + ','.join(str(c) for c, _ in opts)


def sockaddr(end, v, family, where, code):
    if v is None:
        return '?'
    if len(v) != (8 if family == 2 else 20):
        fail(f'{where}: option {code} has length {len(v)} for family {family}')
    port = struct.unpack_from(end + 'H', v)[0]
    a = ipaddress.ip_address(bytes(v[4:]))
    return f'{a}:{port}' if family == 2 else f'[{a}]:{port}'


def proto_name(proto, v6):
    name = {6: 'TCP', 17: 'UDP', 1: 'ICMP', 58: 'ICMP'}.get(proto, f'{proto}')
    return name + ('v6' if v6 else 'v4')


def conn_line(blk, end, where):
    cid, pid, hi, lo = struct.unpack_from(end + '4I', blk, 8)
    opts = options(blk, 24, end, where)
    o = dict(opts)
    event = num(end, o.get(2), where, 2, 4) if 2 in o else 0
    kind = {0: 'O', 1: 'A', 2: 'F', 0xFFFFFFFF: 'C'}.get(event, f'?{event}')
    fam = num(end, o.get(258), where, 258, 4)
    proto = num(end, o.get(260), where, 260, 4)
    f = [ts(end, hi, lo), 'SOCK', kind, str(pid), hex16(num(end, o.get(257), where, 257, 8)),
         proto_name(proto, fam == 10), sockaddr(end, o.get(261), fam, where, 261), '->',
         sockaddr(end, o.get(262), fam, where, 262), f'id={cid:08x}', f'family={fam}',
         f'type={num(end, o.get(259), where, 259, 4)}', f'proto={proto}']
    for code, name in ((263, 'uid'), (264, 'tid'), (265, 'netns')):
        f.append(f'{name}={num(end, o.get(code), where, code, 4)}')
    if 266 in o:
        f.append(f'inode={num(end, o.get(266), where, 266, 8)}')
    if 267 in o:
        f.append(f'listen={num(end, o.get(267), where, 267, 4)}')
    return ' '.join(f + [codes(opts)])


def v6_proto(pkt):
    """The protocol after IPv6 extension headers, and where it starts."""
    proto, off = pkt[6], 40
    while proto in (0, 43, 44, 51, 60):
        if off + 8 > len(pkt):
            return proto, len(pkt)
        if proto == 44:
            hlen = len(pkt) if struct.unpack_from('!H', pkt, off + 2)[0] & 0xFFF8 else 8
        elif proto == 51:
            hlen = (pkt[off + 1] + 2) * 4
        else:
            hlen = (pkt[off + 1] + 1) * 8
        proto, off = pkt[off], min(off + hlen, len(pkt))
    return proto, off


def pkt_summary(pkt):
    """PROTO SRC -> DST as /dev/honet writes them."""
    if not pkt or pkt[0] >> 4 not in (4, 6):
        return '? ? -> ?'
    v6 = pkt[0] >> 4 == 6
    if len(pkt) < (40 if v6 else 20):
        return '? ? -> ?'
    if v6:
        proto, off = v6_proto(pkt)
        src, dst = ipaddress.ip_address(pkt[8:24]), ipaddress.ip_address(pkt[24:40])
    else:
        proto, off = pkt[9], (pkt[0] & 15) * 4
        if struct.unpack_from('!H', pkt, 6)[0] & 0x1FFF:
            off = len(pkt)      # not the first fragment: no ports
        src, dst = ipaddress.ip_address(pkt[12:16]), ipaddress.ip_address(pkt[16:20])
    sp = dp = 0
    if proto in (6, 17) and off + 4 <= len(pkt):
        sp, dp = struct.unpack_from('!HH', pkt, off)
    if v6:
        return f'{proto_name(proto, True)} [{src}]:{sp} -> [{dst}]:{dp}'
    return f'{proto_name(proto, False)} {src}:{sp} -> {dst}:{dp}'


def pkt_line(blk, end, where):
    iface, hi, lo, caplen, origlen = struct.unpack_from(end + '5I', blk, 8)
    if iface != 0 or 28 + caplen > len(blk) - 4:
        fail(f'{where}: interface {iface}, captured length {caplen}')
    pkt = blk[28:28 + caplen]
    opts = options(blk, 28 + (caplen + 3) // 4 * 4, end, where)
    o = dict(opts)
    flags = num(end, o.get(2), where, 2, 4) if 2 in o else 0
    cookie = num(end, o.get(259), where, 259, 8) if 259 in o else 0
    pid = num(end, o.get(258), where, 258, 4) if 258 in o else 0
    f = [ts(end, hi, lo), 'PAKT', {1: 'I', 2: 'O'}.get(flags & 3, '?'), f'{cookie:016x}',
         str(pid), pkt_summary(pkt), str(origlen), f'caplen={caplen}', f'flags={flags}',
         codes(opts)]
    if 257 in o:
        f.append(f'conn={num(end, o.get(257), where, 257, 4):08x}')
    if 8 in o:
        if len(o.get(8)) != 8:
            fail(f'{where}: option 8 is {len(o.get(8))} bytes')
        f.append('pidtid=%d/%d' % struct.unpack(end + 'II', o.get(8)))
    if 1 in o:
        f.append('comment=' + esc(o.get(1)))
    if 265 in o:
        f.append(f'ahead={num(end, o.get(265), where, 265, 4):#x}')
    return ' '.join(f)


def proc_line(blk, end, where):
    pid, hi, lo = struct.unpack_from(end + '3I', blk, 8)
    opts = options(blk, 20, end, where)
    o = dict(opts)
    event = num(end, o.get(2), where, 2, 4) if 2 in o else 0
    f = [ts(end, hi, lo), {0: 'EXEC', 1: 'FORK', 2: 'KTHD', 0xFFFFFFFF: 'EXIT'}.get(event, '?'),
         str(pid)]
    for code, name in ((5, 'ppid'), (6, 'uid'), (7, 'gid')):
        f.append(f'{name}={num(end, o.get(code), where, code, 4)}')
    f += [f'path={esc(o.get(3, b""))}', f'argv={esc(o.get(4, b""))}']
    if 260 in o:
        f.append(f'status={num(end, o.get(260), where, 260, 4)}')
    f += [f'tid={num(end, o.get(257), where, 257, 4)}', f'comm={esc(o.get(259, b""))}',
          f'exe_dev={num(end, o.get(264), where, 264, 8)}',
          f'exe_ino={num(end, o.get(265), where, 265, 8)}',
          f'mntns={num(end, o.get(266), where, 266, 4)}', codes(opts)]
    # Appended: the fields before keep their places.
    if 268 in o:
        f.append(f'script={esc(o.get(268))}')
    if 270 in o:
        f.append(f'script_ino={num(end, o.get(270), where, 270, 8)}')
    if 271 in o:
        f.append(f'cgroup_id={num(end, o.get(271), where, 271, 8)}')
    if 272 in o:
        f.append(f'cgroup={esc(o.get(272))}')
    if 273 in o:
        f.append(f'image={num(end, o.get(273), where, 273, 8)}')
    return ' '.join(f)


ISB_NAMES = {4: 'ifrecv', 5: 'ifdrop', 6: 'filteraccept', 7: 'osdrop', 8: 'usrdeliv',
             257: 'proc_recv', 258: 'proc_drop', 259: 'proc_rdrop', 260: 'proc_deliv',
             261: 'conn_recv', 262: 'conn_drop', 263: 'conn_rdrop', 264: 'conn_deliv',
             265: 'owner_full', 266: 'proc_full', 267: 'script_lost'}


def isb_line(blk, end, where):
    _, hi, lo = struct.unpack_from(end + '3I', blk, 8)
    opts = options(blk, 20, end, where)
    f = [ts(end, hi, lo), 'ISB']
    for code, v in opts:
        if code in (2, 3):
            if len(v) != 8:
                fail(f'{where}: option {code} is {len(v)} bytes')
            name = 'starttime' if code == 2 else 'endtime'
            f.append(f'{name}={ts(end, *struct.unpack(end + "II", v))}')
        elif code in ISB_NAMES:
            f.append(f'{ISB_NAMES[code]}={num(end, v, where, code, 8)}')
    return ' '.join(f + [codes(opts)])


def text(data, out):
    for btype, blk, end, off in blocks(data):
        where = f'offset {off}: block {btype:#x}'
        if btype == SHB:
            o = dict(options(blk, 24, end, where))
            print(f'SHB os={esc(o.get(3, b""))} appl={esc(o.get(4, b""))}', file=out)
        elif btype == IDB:
            link, snaplen = struct.unpack_from(end + 'HxxI', blk, 8)
            o = dict(options(blk, 16, end, where))
            print(f'IDB link={link} snaplen={snaplen} tsresol={o.get(9, b"").hex()}',
                  file=out)
        elif btype == CONN:
            print(conn_line(blk, end, where), file=out)
        elif btype == EPB:
            print(pkt_line(blk, end, where), file=out)
        elif btype == PROC:
            print(proc_line(blk, end, where), file=out)
        elif btype == ISB:
            print(isb_line(blk, end, where), file=out)
        else:
            print(f'BLOCK {btype:#x} len={len(blk)}', file=out)


def main():
    global NAME
    # A reader that has seen enough (grep -q) ends us quietly.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = sys.argv[1:]
    if args[:2] == ['text', '-w'] and len(args) > 2:
        for NAME in args[2:]:
            with open(NAME, 'rb') as f, open(NAME + '.txt', 'w') as out:
                text(f.read(), out)
        return
    if len(args) != 2 or args[0] not in ('count', 'text'):
        sys.exit('usage: hone_pcapng.py count FILE | text FILE | text -w FILE...')
    NAME = args[1]
    with open(NAME, 'rb') as f:
        data = f.read()
    if args[0] == 'count':
        print(sum(1 for t, *_ in blocks(data) if t == EPB))
    else:
        text(data, sys.stdout)


if __name__ == '__main__':
    main()
