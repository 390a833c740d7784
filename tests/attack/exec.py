#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""exec.py udp|tcp ADDR PORT PAYLOAD FILE CMD: send the line PAYLOAD from
a socket connected to ADDR PORT; once FILE (the sink's) holds it (10 s at
most), run sh -c CMD in this process, the socket its descriptor 3."""
import os
import socket
import sys
import time

proto, addr, port, payload, path, cmd = sys.argv[1:7]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp"
                  else socket.SOCK_DGRAM)
s.settimeout(5)
s.connect((addr, int(port)))
s.send((payload + "\n").encode())
end = time.monotonic() + 10
while time.monotonic() < end:
    with open(path) as f:
        # The UDP sink's lines end with the payload; the TCP sink's are it.
        if any(line.split()[-1:] == [payload] for line in f):
            break
    time.sleep(0.01)
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.execv("/bin/sh", ["sh", "-c", cmd])
