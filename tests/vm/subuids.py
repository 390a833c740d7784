#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A user's subordinate uids: subuids.py OUT N K, run as that user.

Makes a user namespace, writes its pid to OUT.ns and waits for OUT.mapped
(root maps uids 0 to N - 1 of it, as newuidmap would); then N children,
each one of those uids, hold K UDP sockets each. Creates OUT.ready once
all are open, and holds them until killed.
"""
import ctypes
import os
import socket
import sys
import time

CLONE_NEWUSER = 0x10000000


def main():
    out, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWUSER):
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER)")
    with open(out + '.ns', 'w') as f:
        print(os.getpid(), file=f)
    while not os.path.exists(out + '.mapped'):
        time.sleep(0.01)
    for i in range(n):
        r, w = os.pipe()
        if os.fork() == 0:
            os.setresgid(i, i, i)
            os.setresuid(i, i, i)
            held = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    for _ in range(k)]
            os.write(w, b'x')
            time.sleep(300)
            del held
            os._exit(0)
        os.read(r, 1)
    open(out + '.ready', 'w').close()
    time.sleep(300)


main()
