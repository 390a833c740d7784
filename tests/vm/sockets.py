#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Programs that report what hone.ko should say about them: one line per
socket, written once its addresses are known,

    KIND PROTO PID COOKIE LOCAL REMOTE

KIND: client, listen, accept, udp (an unconnected server socket) or idle;
PROTO, COOKIE (SO_COOKIE, 16 hex digits) and the addresses as /dev/honet
writes them (TCPv4, a.b.c.d:port, [v6]:port; 0.0.0.0:0 when unset).

sockets.py server A4 A6 PORT   TCP listeners and UDP sockets on A4 and A6,
                               PORT; answers one connection and one datagram
                               on each with what it got, then closes all
sockets.py client A4 A6 PORT   TCP and UDP over IPv4 and IPv6: connect, send
                               a line, read the answer (TCP: and the end of
                               the stream, the server's TIME_WAIT answers
                               our FIN), close
sockets.py idle A4             a TCP socket only created and a UDP socket
                               only bound to A4, both closed unused
sockets.py http A PORT N       an HTTP/1.0 server for N requests on A:PORT;
                               GET /LEN answers LEN bytes
"""
import os
import select
import socket
import sys
import time

SO_COOKIE = 57
PID = os.getpid()


def addr(s, peer):
    try:
        a = s.getpeername() if peer else s.getsockname()
    except OSError:
        a = ('::', 0) if s.family == socket.AF_INET6 else ('0.0.0.0', 0)
    if s.family == socket.AF_INET6:
        return f'[{a[0]}]:{a[1]}'
    return f'{a[0]}:{a[1]}'


def report(kind, s):
    proto = 'TCP' if s.type == socket.SOCK_STREAM else 'UDP'
    ver = 'v6' if s.family == socket.AF_INET6 else 'v4'
    cookie = int.from_bytes(s.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8), 'little')
    print(kind, proto + ver, PID, f'{cookie:016x}', addr(s, False), addr(s, True),
          flush=True)


def family(a):
    return socket.AF_INET6 if ':' in a else socket.AF_INET


def server(a4, a6, port):
    socks = []
    for a in (a4, a6):
        u = socket.socket(family(a), socket.SOCK_DGRAM)
        u.bind((a, port))
        report('udp', u)
        socks.append(u)
    for a in (a4, a6):
        t = socket.socket(family(a), socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((a, port))
        t.listen()
        report('listen', t)
        socks.append(t)
    todo = list(socks)
    while todo:
        for s in select.select(todo, [], [], 30)[0] or sys.exit('server: timeout'):
            todo.remove(s)
            if s.type == socket.SOCK_DGRAM:
                data, peer = s.recvfrom(100)
                s.sendto(data, peer)
                continue
            c, _ = s.accept()
            report('accept', c)
            c.sendall(c.recv(100))
            c.close()
    for s in socks:
        s.close()


def client(a4, a6, port):
    for a in (a4, a6):
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(family(a), kind)
            s.settimeout(10)
            s.connect((a, port))
            report('client', s)
            s.send(b'hone\n')
            if s.recv(100) != b'hone\n':
                sys.exit('client: wrong answer')
            if kind == socket.SOCK_STREAM:
                # The server closed first: once its FIN is acknowledged,
                # the kernel answers ours from its TIME_WAIT socket.
                if s.recv(100) != b'':
                    sys.exit('client: no end of stream')
                time.sleep(0.1)
            s.close()


def idle(a4):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    report('idle', t)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((a4, 0))
    report('idle', u)
    t.close()
    u.close()


def http(a, port, n):
    t = socket.socket(family(a), socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((a, port))
    t.listen()
    report('listen', t)
    for _ in range(n):
        c, _ = t.accept()
        report('accept', c)
        req = b''
        while b'\r\n\r\n' not in req:
            data = c.recv(4096)
            if not data:
                break
            req += data
        size = int(req.split(b' ')[1][1:] or 0)
        c.sendall(b'HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n' % size + b'x' * size)
        c.close()
    t.close()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'server':
        server(args[0], args[1], int(args[2]))
    elif cmd == 'client':
        client(args[0], args[1], int(args[2]))
    elif cmd == 'idle':
        idle(args[0])
    elif cmd == 'http':
        http(args[0], int(args[1]), int(args[2]))
    else:
        sys.exit(__doc__)


main()
