#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""UDP helpers for tests/attack/run.

udp.py sink PORT FILE
    Receive on [::]:PORT (IPv4 too); one line "ADDR PORT PAYLOAD" per
    datagram appended to FILE. Its pid goes to FILE.pid.
udp.py send ADDR PORT [--sport N] [--count N] [--payload S] [--linger S]
       [--rate N] [--go FILE --then N] [--big N] [--mark N]
    Send COUNT datagrams from one socket (bound to SPORT if given, its
    packets marked N if given: SO_MARK, CAP_NET_RAW's), RATE a second if
    given; with
    --go, wait for FILE to exist and send THEN more on the same socket;
    with --big, then one of N bytes (payload "big-PAYLOAD ..."). Stay
    LINGER seconds before closing it. A send that fails (a drop is EPERM)
    is counted on stderr, not fatal.
udp.py flood ADDR SECONDS [--stop FILE] [--hold FILE]
    From 64 sockets, datagrams to ports 1024-65000 of ADDR in turn (each a
    new flow: every one goes to the queue), as fast as they go, until
    SECONDS have passed or the --stop FILE exists; with --hold, the sockets
    then stay open until that FILE exists.
udp.py churn ADDR PORT [--count N] [--batch N] [--payload S] [--linger S]
      [--rate N]
    COUNT sockets, one datagram each (RATE a second if given): BATCH of
    them open at a time, each sends, all stay LINGER seconds (so each
    datagram is judged while its socket lives), then close.
"""
import argparse
import os
import socket
import struct
import sys
import time


def sink(a):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    # Bursts must not overflow it (SO_RCVBUFFORCE: the sink runs as root).
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)
    s.bind(("::", a.port))
    with open(a.file + ".pid", "w") as f:
        f.write("%d\n" % os.getpid())
    with open(a.file, "a") as out:
        while True:
            data, src = s.recvfrom(65536)
            addr = src[0]
            if addr.startswith("::ffff:"):
                addr = addr[7:]
            out.write("%s %d %s\n" % (addr, src[1],
                                      data.decode(errors="replace").strip()))
            out.flush()


def send(a):
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if a.mark:
        s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_MARK", 36),
                     struct.pack("I", a.mark))
    if a.sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", a.sport))
    dst = (a.addr, a.port)
    failed = []

    def one(data):
        try:
            s.sendto(data, dst)
        except OSError as e:
            failed.append(e.strerror)

    start = time.monotonic()
    for i in range(a.count):
        if a.rate:
            ahead = start + i / a.rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        one(("%s %d" % (a.payload, i)).encode())
    if a.go:
        while not os.path.exists(a.go):
            time.sleep(0.01)
        for i in range(a.then):
            one(("%s %d" % (a.payload, a.count + i)).encode())
            time.sleep(0.002)
    if a.big:
        one(("big-%s " % a.payload).encode().ljust(a.big, b"x"))
    time.sleep(a.linger)
    s.close()
    if failed:
        print("udp.py: %d sends failed (%s)" % (len(failed), failed[0]),
              file=sys.stderr)


def flood(a):
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    socks = [socket.socket(fam, socket.SOCK_DGRAM) for _ in range(64)]
    for s in socks:
        s.setblocking(False)
    end = time.monotonic() + a.seconds
    port = 1024
    while time.monotonic() < end:
        if a.stop and os.path.exists(a.stop):
            break
        for s in socks:
            try:
                s.sendto(b"flood", (a.addr, port))
            except OSError:
                pass
            port = port + 1 if port < 65000 else 1024
    while a.hold and not os.path.exists(a.hold):
        time.sleep(0.05)


def churn(a):
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    done = 0
    start = time.monotonic()
    while done < a.count:
        socks = [socket.socket(fam, socket.SOCK_DGRAM)
                 for _ in range(min(a.batch, a.count - done))]
        for s in socks:
            if a.rate:
                ahead = start + done / a.rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            s.sendto(("%s %d" % (a.payload, done)).encode(), (a.addr, a.port))
            done += 1
        time.sleep(a.linger)
        for s in socks:
            s.close()


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
k = sub.add_parser("sink")
k.add_argument("port", type=int)
k.add_argument("file")
k.set_defaults(fn=sink)
k = sub.add_parser("send")
k.add_argument("addr")
k.add_argument("port", type=int)
k.add_argument("--sport", type=int, default=0)
k.add_argument("--count", type=int, default=1)
k.add_argument("--rate", type=float, default=0)
k.add_argument("--payload", default="datagram")
k.add_argument("--linger", type=float, default=0)
k.add_argument("--go")
k.add_argument("--then", type=int, default=0)
k.add_argument("--big", type=int, default=0)
k.add_argument("--mark", type=lambda v: int(v, 0), default=0)
k.set_defaults(fn=send)
k = sub.add_parser("flood")
k.add_argument("addr")
k.add_argument("seconds", type=float)
k.add_argument("--stop")
k.add_argument("--hold")
k.set_defaults(fn=flood)
k = sub.add_parser("churn")
k.add_argument("addr")
k.add_argument("port", type=int)
k.add_argument("--count", type=int, default=1)
k.add_argument("--batch", type=int, default=100)
k.add_argument("--payload", default="datagram")
k.add_argument("--linger", type=float, default=0.05)
k.add_argument("--rate", type=float, default=0)
k.set_defaults(fn=churn)
a = p.parse_args()
try:
    a.fn(a)
except OSError as e:
    print("udp.py: %s" % e, file=sys.stderr)
    sys.exit(1)
